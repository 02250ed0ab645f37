#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# preload.sh - unmodified programs on ktcp through libktcp-preload.so.
#
# In a namespace of its own (lo only), each pair of real programs runs
# three ways: the client on ktcp against a native server, a native
# client against the server on ktcp, and both on ktcp:
#  - curl against python3 -m http.server: a file, by its sha256; over
#    IPv4, and over IPv6 (curl -g http://[::1]:PORT/ against
#    --bind ::), then IPv4 clients of the dual-stack server on ktcp
#    (curl http://127.0.0.1:PORT/, the server naming them
#    ::ffff:127.0.0.1);
#  - wrk against nginx (master and one worker, sendfile on): no socket
#    errors, only 2xx; and curl fetches a file from it by its sha256;
#  - iperf3 both directions (-R): bytes sent and received, no error;
#  - redis-cli SET/GET of a 60 KiB value, exactly; redis-benchmark
#    -t set,get completes both tests.
# Every case checks the open counters of both stacks, ktcp's
# (/proc/net/ktcp_snmp) and native's (/proc/net/snmp): each connection
# is opened by the stack the case says, and by no other (native TCP
# counts IPv6 there too).  Three Python cases check what a program
# sees of a converted socket (SO_DOMAIN, addresses, errno, inodes in
# /proc/net/ktcp), the same for AF_INET6 (struct sockaddr_in6
# addresses before and after bind(), IPV6_V6ONLY, listen() without
# bind(), inodes in /proc/net/ktcp6), and the lazy conversion of
# KTCP_PRELOAD=ports=... for both families.
#
# Programs on ktcp run with KTCP_PRELOAD_STRICT=1: without ktcp they
# fail instead of quietly running natively.  A missing program fails
# its cases.  KTCP_DEBUG_KERNEL=1 shrinks the volumes.
#
# Needs root, a loaded ktcp.ko and "make -C userspace".  Prints TAP;
# exits 0 (pass) or 1 (fail).

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

# nginx and redis-server live in sbin, which a guest's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
bin=${KTCP_USERSPACE_BIN:-$KTCP_SELFTESTS_DIR/../userspace/build}
so=$bin/libktcp-preload.so
ns=ktcp-preload-$$
pids=()
holder=
declare -A up=()

if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	file_kib=256 wrk_c=4 wrk_d=2 redis_n=200 iperf_len=(-n 1M)
else
	file_kib=1024 wrk_c=8 wrk_d=2 redis_n=1000 iperf_len=(-t 1)
fi

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	local p

	for p in "${pids[@]}" ${holder:+"$holder"}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# Whatever a failed case left running in the namespace goes too,
	# or its ktcp sockets would keep the module from unloading.
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	ktcp_lib_cleanup
}
trap cleanup EXIT

ktcp_lib_init
tap_plan 29

[ -r "$so" ] || tap_bail "$so missing: make -C userspace"
[ -r /proc/net/ktcp_snmp ] || tap_bail "ktcp is not loaded"
ip netns add "$ns" || tap_bail "ip netns add $ns"
ip -n "$ns" link set lo up
# The namespace's /proc/net, read through a process that stays in it:
# "ip netns exec" for every counter read costs seconds under emulation.
ip netns exec "$ns" sleep 100000 &
holder=$!
net=/proc/$holder/net
for i in $(seq 100); do
	[ "$(readlink "/proc/$holder/ns/net")" = "$(ip netns exec "$ns" readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done

ktcp_env=(env LD_PRELOAD="$so" KTCP_PRELOAD=all KTCP_PRELOAD_STRICT=1)

# on_ktcp / on_native COMMAND...: run in the namespace, through the
# library or without it.
on_ktcp()
{
	ip netns exec "$ns" "${ktcp_env[@]}" "$@"
}

on_native()
{
	ip netns exec "$ns" "$@"
}

# opens: "KTCP_ACTIVE KTCP_PASSIVE NATIVE_ACTIVE NATIVE_PASSIVE" of
# the namespace.
opens()
{
	awk '$1 == "ActiveOpens" { ka = $2 }
		$1 == "PassiveOpens" { kp = $2 }
		$1 == "Tcp:" {
			if (!h) { for (i = 2; i <= NF; i++) k[i] = $i; h = 1; next }
			for (i = 2; i <= NF; i++) {
				if (k[i] == "ActiveOpens") na = $i
				if (k[i] == "PassiveOpens") np = $i
			}
		} END { print ka, kp, na, np }' "$net/ktcp_snmp" "$net/snmp"
}

# want VALUE "=N" | "+N": exactly N, or at least N.
want()
{
	case $2 in
	=*) [ "$1" -eq "${2#=}" ] ;;
	+*) [ "$1" -ge "${2#+}" ] ;;
	*) return 1 ;;
	esac
}

# opens_moved "BEFORE" KA KP NA NP: since BEFORE (an opens line), the
# four counters grew as wanted (see want).  Says what it saw if not.
opens_moved()
{
	local -a b a w
	local i ok=0 names=(ktcp.ActiveOpens ktcp.PassiveOpens
			    native.ActiveOpens native.PassiveOpens)

	read -r -a b <<<"$1"
	read -r -a a <<<"$(opens)"
	w=("$2" "$3" "$4" "$5")
	for i in 0 1 2 3; do
		want $((a[i] - b[i])) "${w[i]}" && continue
		echo "${names[i]} grew by $((a[i] - b[i])), wanted ${w[i]}"
		ok=1
	done
	return $ok
}

# listening ktcp|native PORT: a listener of that stack holds PORT,
# over IPv4 or IPv6.
listening()
{
	local file=$net/tcp

	[ "$1" = ktcp ] && file=$net/ktcp
	awk -v p="$(printf ':%04X' "$2")" '
		FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }' "$file" "${file}6"
}

# start NAME ktcp|native PORT COMMAND...: a server, on the stack named,
# listening on PORT within 60 s (emulated debug kernels are slow) and
# not on the other stack.  Sets up[NAME].  Not in a subshell: the
# cleanup needs the pid.
start()
{
	local name=$1 stack=$2 port=$3 other=ktcp i

	shift 3
	# A simple command, not on_ktcp: $! must be the server itself
	# (ip netns exec and env exec it), not a subshell around it.
	if [ "$stack" = ktcp ]; then
		other=native
		ip netns exec "$ns" "${ktcp_env[@]}" "$@" \
			>"$ktcp_tmp/$name.out" 2>"$ktcp_tmp/$name.err" &
	else
		ip netns exec "$ns" "$@" \
			>"$ktcp_tmp/$name.out" 2>"$ktcp_tmp/$name.err" &
	fi
	pids+=($!)
	up[$name]=0
	for i in $(seq 600); do
		if listening "$stack" "$port"; then
			listening "$other" "$port" || up[$name]=1
			return
		fi
		kill -0 "$!" 2>/dev/null || return
		sleep 0.1
	done
}

# server_up NAME: whether NAME started; says why not.
server_up()
{
	[ "${up[$1]:-0}" = 1 ] && return 0
	echo "server $1 did not start listening on the right stack:"
	tail -5 "$ktcp_tmp/$1.out" "$ktcp_tmp/$1.err" 2>/dev/null
	return 1
}

# check DESCRIPTION "TOOL..." FUNCTION [ARGS...]: one TAP line; fails
# if a tool is missing, else passes when FUNCTION returns 0.
check()
{
	local desc=$1 t t0 missing=

	for t in $2; do
		command -v "$t" >/dev/null || missing+=" $t"
	done
	shift 2
	if [ -n "$missing" ]; then
		tap_fail "$desc" "not installed:$missing (scripts/install-deps.sh)"
		return
	fi
	t0=$(date +%s)
	if "$@" >"$ktcp_tmp/diag" 2>&1; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "$(tail -30 "$ktcp_tmp/diag")"
	fi
	tap_diag "took $(( $(date +%s) - t0 )) s"
}

stack_of() # stack_of ktcp|native: the runner function
{
	echo "on_$1"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- what a program sees --------------------------------------------

py_transparency()
{
	local out

	out=$(on_ktcp timeout 120 python3 - <<'EOF' 2>&1
import errno, os, socket
from socket import *

def inodes(path):
    with open(path) as f:
        next(f)
        return {int(l.split()[9]) for l in f if l.strip()}

def ino(s):
    return os.fstat(s.fileno()).st_ino

lo, hi = map(int, open("/proc/sys/net/ktcp/ip_local_port_range").read().split())
l = socket(AF_INET, SOCK_STREAM)
l.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 0))
l.listen(4)
port = l.getsockname()[1]
c = create_connection(("127.0.0.1", port), timeout=60)
a, peer = l.accept()
for s in (l, c, a):
    assert s.getsockopt(SOL_SOCKET, SO_DOMAIN) == AF_INET, s
    assert s.getsockopt(SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, s
    assert s.getsockopt(SOL_SOCKET, SO_TYPE) == SOCK_STREAM, s
assert a.getsockname() == ("127.0.0.1", port), a.getsockname()
assert c.getpeername() == ("127.0.0.1", port), c.getpeername()
assert peer == c.getsockname() == a.getpeername(), (peer, c.getsockname())
# ktcp picks client ports from its own range
assert lo <= c.getsockname()[1] <= hi, (c.getsockname(), lo, hi)
k = inodes("/proc/net/ktcp")
assert {ino(l), ino(c), ino(a)} <= k, "not in /proc/net/ktcp"
# a socket object made from a bare descriptor asks SO_DOMAIN
d = socket(fileno=os.dup(c.fileno()))
assert d.family == AF_INET and d.type == SOCK_STREAM, (d.family, d.type)
d.close()
data = os.urandom(300000)
c.sendall(data)
c.shutdown(SHUT_WR)
got = b""
while True:
    b = a.recv(65536)
    if not b:
        break
    got += b
assert got == data, len(got)
# errno of a refused connection is the native one
r = socket(AF_INET, SOCK_STREAM)
try:
    r.connect(("127.0.0.1", 1))
    raise SystemExit("connected to port 1")
except OSError as e:
    assert e.errno == errno.ECONNREFUSED, e
# UDP and AF_UNIX stay native
u = socket(AF_INET, SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
x, y = socketpair()
x.sendall(b"unix")
assert y.recv(4) == b"unix"
k = inodes("/proc/net/ktcp") | inodes("/proc/net/ktcp6")
assert not {ino(u), ino(x)} & k, "UDP or unix in /proc/net/ktcp"
assert ino(u) in inodes("/proc/net/udp")
print("ok")
EOF
)
	[ "$out" = ok ] || { echo "$out"; return 1; }
}

py_inet6()
{
	local out

	out=$(on_ktcp timeout 120 python3 - <<'EOF' 2>&1
import errno, os
from socket import *

def inodes(path):
    with open(path) as f:
        next(f)
        return {int(l.split()[9]) for l in f if l.strip()}

def ino(s):
    return os.fstat(s.fileno()).st_ino

lo, hi = map(int, open("/proc/sys/net/ktcp/ip_local_port_range").read().split())
# before bind(): what a fresh native AF_INET6 socket says
l = socket(AF_INET6, SOCK_STREAM)
assert l.getsockopt(SOL_SOCKET, SO_DOMAIN) == AF_INET6
assert l.getsockname() == ("::", 0, 0, 0), l.getsockname()
assert l.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) == 0
l.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1)
l.bind(("::1", 0))
l.listen(4)
port = l.getsockname()[1]
assert l.getsockname() == ("::1", port, 0, 0), l.getsockname()
assert l.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) == 1
c = create_connection(("::1", port), timeout=60)
a, peer = l.accept()
for s in (l, c, a):
    assert s.getsockopt(SOL_SOCKET, SO_DOMAIN) == AF_INET6, s
    assert s.getsockopt(SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, s
    assert s.getsockopt(SOL_SOCKET, SO_TYPE) == SOCK_STREAM, s
assert a.getsockname() == ("::1", port, 0, 0), a.getsockname()
assert c.getpeername() == ("::1", port, 0, 0), c.getpeername()
assert peer == c.getsockname() == a.getpeername(), (peer, c.getsockname())
assert lo <= c.getsockname()[1] <= hi, (c.getsockname(), lo, hi)
k6 = inodes("/proc/net/ktcp6")
assert {ino(l), ino(c), ino(a)} <= k6, "not in /proc/net/ktcp6"
d = socket(fileno=os.dup(a.fileno()))
assert d.family == AF_INET6 and d.type == SOCK_STREAM, (d.family, d.type)
d.close()
data = os.urandom(300000)
c.sendall(data)
c.shutdown(SHUT_WR)
got = b""
while True:
    b = a.recv(65536)
    if not b:
        break
    got += b
assert got == data, len(got)
# a closed port of ::1: ECONNREFUSED, and still an AF_INET6 socket
r = socket(AF_INET6, SOCK_STREAM)
try:
    r.connect(("::1", 1))
    raise SystemExit("connected to port 1")
except OSError as e:
    assert e.errno == errno.ECONNREFUSED, e
assert r.getsockopt(SOL_SOCKET, SO_DOMAIN) == AF_INET6
# listen() without bind(): a dual-stack listener on [::], as native
w = socket(AF_INET6, SOCK_STREAM)
w.listen(1)
name = w.getsockname()
assert name[0] == "::" and name[1] and len(name) == 4, name
assert ino(w) in inodes("/proc/net/ktcp6"), "listen() without bind() not IPv6"
v4 = create_connection(("127.0.0.1", name[1]), timeout=60)
b, bpeer = w.accept()
assert bpeer == ("::ffff:127.0.0.1", v4.getsockname()[1], 0, 0), bpeer
# an AF_INET6 client to a v4-mapped address: IPv4 on the wire, IPv6 names
m = create_connection(("::ffff:127.0.0.1", name[1]), timeout=60)
mname = m.getsockname()
assert mname[0] == "::ffff:127.0.0.1" and len(mname) == 4, mname
assert m.getpeername() == ("::ffff:127.0.0.1", name[1], 0, 0), m.getpeername()
assert m.getsockopt(SOL_SOCKET, SO_DOMAIN) == AF_INET6
assert ino(m) in inodes("/proc/net/ktcp6"), "v4-mapped client not in /proc/net/ktcp6"
b, bpeer = w.accept()
assert bpeer == mname, (bpeer, mname)
print("ok")
EOF
)
	[ "$out" = ok ] || { echo "$out"; return 1; }
}

py_lazy()
{
	local out

	out=$(on_ktcp env KTCP_PRELOAD=ports=7001 timeout 120 python3 - <<'EOF' 2>&1
import fcntl, os
from socket import *

def inodes(path):
    with open(path) as f:
        next(f)
        return {int(l.split()[9]) for l in f if l.strip()}

def ino(s):
    return os.fstat(s.fileno()).st_ino

# nonblocking and close-on-exec from socket(), options from setsockopt()
s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
fd, i0 = s.fileno(), ino(s)
s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
s.bind(("127.0.0.1", 7001))
s.listen(4)
assert s.fileno() == fd and ino(s) != i0, "not replaced"
assert ino(s) in inodes("/proc/net/ktcp"), "listed port not on ktcp"
assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK, "O_NONBLOCK lost"
assert not os.get_inheritable(fd), "FD_CLOEXEC lost"
assert s.getsockopt(SOL_SOCKET, SO_REUSEADDR) == 1, "SO_REUSEADDR lost"
assert s.getsockopt(IPPROTO_TCP, TCP_NODELAY) == 1, "TCP_NODELAY lost"
o = socket(AF_INET, SOCK_STREAM)
o.bind(("127.0.0.1", 7002))
o.listen(4)
assert ino(o) not in inodes("/proc/net/ktcp"), "unlisted port on ktcp"
assert ino(o) in inodes("/proc/net/tcp")
s.setblocking(True)
for port, lsock, on_ktcp in ((7001, s, True), (7002, o, False)):
    c = socket(AF_INET, SOCK_STREAM)
    c.settimeout(60)
    c.connect(("127.0.0.1", port))
    assert (ino(c) in inodes("/proc/net/ktcp")) == on_ktcp, port
    a, _ = lsock.accept()
    c.sendall(b"port %d" % port)
    assert a.recv(64) == b"port %d" % port
    a.close()
    c.close()
# AF_INET6: IPV6_V6ONLY, set before bind(), goes along
s6 = socket(AF_INET6, SOCK_STREAM)
i0 = ino(s6)
s6.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1)
s6.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
s6.bind(("::1", 7001))
s6.listen(4)
assert ino(s6) != i0 and ino(s6) in inodes("/proc/net/ktcp6"), "IPv6 not on ktcp"
assert s6.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) == 1, "IPV6_V6ONLY lost"
assert s6.getsockopt(SOL_SOCKET, SO_DOMAIN) == AF_INET6
c = create_connection(("::1", 7001), timeout=60)
assert ino(c) in inodes("/proc/net/ktcp6"), "IPv6 client not on ktcp"
a, peer = s6.accept()
assert peer == c.getsockname() and peer[0] == "::1", peer
c.close()
a.close()
print("ok")
EOF
)
	[ "$out" = ok ] || { echo "$out"; return 1; }
}

check "python on ktcp: SO_DOMAIN/SO_PROTOCOL/addresses/errno as native, sockets in /proc/net/ktcp, UDP/unix left native" \
	"python3" py_transparency
check "python AF_INET6 on ktcp: SO_DOMAIN, sockaddr_in6 names before and after bind, IPV6_V6ONLY, listen() without bind() dual stack, v4-mapped connect, sockets in /proc/net/ktcp6" \
	"python3" py_inet6
check "KTCP_PRELOAD=ports=7001: that port's sockets move with O_NONBLOCK, FD_CLOEXEC, SO_REUSEADDR, TCP_NODELAY, IPV6_V6ONLY; port 7002 stays native" \
	"python3" py_lazy

# --- curl against python3 -m http.server ----------------------------

www=$ktcp_tmp/www
mkdir -p "$www"
head -c $((file_kib * 1024)) /dev/urandom >"$www/file.bin"
printf 'index\n' >"$www/index.html"
want_sha=$(sha "$www/file.bin")

if command -v python3 >/dev/null; then
	start http-native native 8001 python3 -m http.server 8001 \
		--bind 127.0.0.1 --directory "$www"
	start http-ktcp ktcp 8002 python3 -m http.server 8002 \
		--bind 127.0.0.1 --directory "$www"
	# Dual stack: http.server sets IPV6_V6ONLY to 0 before bind().
	start http6-native native 8003 python3 -m http.server 8003 \
		--bind :: --directory "$www"
	start http6-ktcp ktcp 8004 python3 -m http.server 8004 \
		--bind :: --directory "$www"
fi

# curl_file CLIENT_STACK SERVER PORT KA KP NA NP: over IPv4, or over
# IPv6 with curl_host=[::1].
curl_file()
{
	local client=$1 server=$2 port=$3 before rc

	shift 3
	server_up "$server" || return 1
	rm -f "$ktcp_tmp/got"
	before=$(opens)
	"$(stack_of "$client")" timeout 120 curl -gsS --max-time 100 \
		-o "$ktcp_tmp/got" "http://${curl_host:-127.0.0.1}:$port/file.bin"
	rc=$?
	[ $rc -eq 0 ] || { echo "curl exit $rc"; return 1; }
	[ "$(sha "$ktcp_tmp/got")" = "$want_sha" ] ||
		{ echo "sha256 differs: $(wc -c <"$ktcp_tmp/got") bytes"; return 1; }
	opens_moved "$before" "$@"
}

check "curl on ktcp -> native http.server: sha256 of ${file_kib} KiB, one ktcp active open" \
	"curl python3" curl_file ktcp http-native 8001 =1 =0 =0 =1
check "native curl -> http.server on ktcp: sha256 of ${file_kib} KiB, one ktcp passive open" \
	"curl python3" curl_file native http-ktcp 8002 =0 =1 =1 =0
check "curl on ktcp -> http.server on ktcp: sha256 of ${file_kib} KiB, ktcp opens both ends" \
	"curl python3" curl_file ktcp http-ktcp 8002 =1 =1 =0 =0
curl_host='[::1]'
check "IPv6: curl on ktcp -> native http.server on [::1]: sha256 of ${file_kib} KiB, one ktcp active open" \
	"curl python3" curl_file ktcp http6-native 8003 =1 =0 =0 =1
check "IPv6: native curl -> http.server on ktcp on [::1]: sha256 of ${file_kib} KiB, one ktcp passive open" \
	"curl python3" curl_file native http6-ktcp 8004 =0 =1 =1 =0
check "IPv6: curl on ktcp -> http.server on ktcp on [::1]: sha256 of ${file_kib} KiB, ktcp opens both ends" \
	"curl python3" curl_file ktcp http6-ktcp 8004 =1 =1 =0 =0
curl_host=

# mapped_gets: how many requests for file.bin the dual-stack server on
# ktcp logged from ::ffff:127.0.0.1.
mapped_gets()
{
	grep -c '^::ffff:127\.0\.0\.1 .*"GET /file\.bin ' "$ktcp_tmp/http6-ktcp.err"
}

# curl_mapped CLIENT_STACK KA KP NA NP: an IPv4 client of the
# dual-stack http.server on ktcp, which must see it as ::ffff:127.0.0.1.
curl_mapped()
{
	local n

	n=$(mapped_gets)
	curl_file "$1" http6-ktcp 8004 "${@:2}" || return 1
	[ "$(mapped_gets)" -gt "$n" ] && return 0
	echo "no request from ::ffff:127.0.0.1 in the server's log:"
	tail -3 "$ktcp_tmp/http6-ktcp.err"
	return 1
}

check "dual stack: native curl over IPv4 -> http.server on ktcp on [::]: sha256, the server sees ::ffff:127.0.0.1" \
	"curl python3" curl_mapped native =0 =1 =1 =0
check "dual stack: curl on ktcp over IPv4 -> http.server on ktcp on [::]: sha256, the server sees ::ffff:127.0.0.1" \
	"curl python3" curl_mapped ktcp =1 =1 =0 =0

# --- wrk and curl against nginx -------------------------------------

# nginx_conf DIR PORT: master and one worker, as root, all files in DIR.
nginx_conf()
{
	mkdir -p "$1/tmp"
	cat >"$1/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 256; }
http {
	access_log $1/access.log;
	sendfile on;
	keepalive_requests 100000;
	client_body_temp_path $1/tmp;
	proxy_temp_path $1/tmp;
	fastcgi_temp_path $1/tmp;
	uwsgi_temp_path $1/tmp;
	scgi_temp_path $1/tmp;
	server {
		listen 127.0.0.1:$2;
		root $www;
	}
}
EOF
}

if command -v nginx >/dev/null; then
	for s in native:8011 ktcp:8012; do
		d=$ktcp_tmp/nginx-${s%:*}
		nginx_conf "$d" "${s#*:}"
		start "nginx-${s%:*}" "${s%:*}" "${s#*:}" \
			nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	done
fi

# wrk_run CLIENT_STACK SERVER PORT KA KP NA NP
wrk_run()
{
	local client=$1 server=$2 port=$3 before out n

	shift 3
	server_up "$server" || return 1
	before=$(opens)
	out=$("$(stack_of "$client")" timeout 120 wrk -t 2 -c "$wrk_c" \
		-d "${wrk_d}s" --timeout 30s "http://127.0.0.1:$port/index.html" 2>&1)
	echo "$out"
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
	[ "${n:-0}" -gt 0 ] || { echo "no requests"; return 1; }
	if grep -Eq 'Socket errors|Non-2xx' <<<"$out"; then
		echo "errors above"
		return 1
	fi
	opens_moved "$before" "$@"
}

check "wrk on ktcp -> native nginx: requests, no socket errors, only 2xx" \
	"wrk nginx" wrk_run ktcp nginx-native 8011 +"$wrk_c" =0 =0 +"$wrk_c"
check "native wrk -> nginx on ktcp: requests, no socket errors, only 2xx" \
	"wrk nginx" wrk_run native nginx-ktcp 8012 =0 +"$wrk_c" +"$wrk_c" =0
check "wrk on ktcp -> nginx on ktcp: requests, no socket errors, only 2xx" \
	"wrk nginx" wrk_run ktcp nginx-ktcp 8012 +"$wrk_c" +"$wrk_c" =0 =0
check "curl on ktcp -> nginx on ktcp (sendfile): sha256 of ${file_kib} KiB" \
	"curl nginx" curl_file ktcp nginx-ktcp 8012 =1 =1 =0 =0
check "native curl -> nginx on ktcp (sendfile): sha256 of ${file_kib} KiB" \
	"curl nginx" curl_file native nginx-ktcp 8012 =0 =1 =1 =0

# --- iperf3 -------------------------------------------------------

if command -v iperf3 >/dev/null; then
	start iperf-native native 5201 iperf3 -s -B 127.0.0.1 -p 5201
	start iperf-ktcp ktcp 5202 iperf3 -s -B 127.0.0.1 -p 5202
fi

# iperf_run CLIENT_STACK SERVER PORT "" | -R KA KP NA NP: a control and
# a data connection.
iperf_run()
{
	local client=$1 server=$2 port=$3 dir=$4 before

	shift 4
	server_up "$server" || return 1
	before=$(opens)
	# shellcheck disable=SC2086 # $dir: nothing or -R
	"$(stack_of "$client")" timeout 120 iperf3 -c 127.0.0.1 -p "$port" \
		"${iperf_len[@]}" $dir -J >"$ktcp_tmp/iperf.json" 2>&1
	python3 - "$ktcp_tmp/iperf.json" <<'EOF' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
assert "error" not in r, r["error"]
end = r["end"]
sent, rcvd = end["sum_sent"]["bytes"], end["sum_received"]["bytes"]
print("sent", sent, "received", rcvd)
assert sent > 0 and rcvd > 0
EOF
	opens_moved "$before" "$@"
}

check "iperf3 on ktcp -> native server: bytes both ends, no error" \
	"iperf3 python3" iperf_run ktcp iperf-native 5201 "" =2 =0 =0 =2
check "iperf3 -R on ktcp <- native server: bytes both ends, no error" \
	"iperf3 python3" iperf_run ktcp iperf-native 5201 -R =2 =0 =0 =2
check "native iperf3 -> server on ktcp: bytes both ends, no error" \
	"iperf3 python3" iperf_run native iperf-ktcp 5202 "" =0 =2 =2 =0
check "native iperf3 -R <- server on ktcp: bytes both ends, no error" \
	"iperf3 python3" iperf_run native iperf-ktcp 5202 -R =0 =2 =2 =0
check "iperf3 on ktcp -> server on ktcp: bytes both ends, no error" \
	"iperf3 python3" iperf_run ktcp iperf-ktcp 5202 "" =2 =2 =0 =0
check "iperf3 -R on ktcp <- server on ktcp: bytes both ends, no error" \
	"iperf3 python3" iperf_run ktcp iperf-ktcp 5202 -R =2 =2 =0 =0

# --- redis ----------------------------------------------------------

if command -v redis-server >/dev/null; then
	for s in native:6379 ktcp:6380; do
		d=$ktcp_tmp/redis-${s%:*}
		mkdir -p "$d"
		start "redis-${s%:*}" "${s%:*}" "${s#*:}" redis-server \
			--port "${s#*:}" --bind 127.0.0.1 --protected-mode no \
			--save '' --appendonly no --daemonize no --dir "$d" \
			--logfile "$d/redis.log"
	done
fi
head -c 45000 /dev/urandom | base64 -w0 >"$ktcp_tmp/value"

# redis_setget CLIENT_STACK SERVER PORT KA KP NA NP: two redis-cli runs.
redis_setget()
{
	local client=$1 server=$2 port=$3 before run out

	shift 3
	server_up "$server" || return 1
	run=$(stack_of "$client")
	before=$(opens)
	out=$("$run" timeout 60 redis-cli -h 127.0.0.1 -p "$port" -x \
		SET "key-$client" <"$ktcp_tmp/value" 2>&1)
	[ "$out" = OK ] || { echo "SET: $out"; return 1; }
	"$run" timeout 60 redis-cli -h 127.0.0.1 -p "$port" --raw \
		GET "key-$client" >"$ktcp_tmp/got" 2>&1
	if ! cmp <(cat "$ktcp_tmp/value"; echo) "$ktcp_tmp/got"; then
		echo "GET returned $(wc -c <"$ktcp_tmp/got") bytes, not the value"
		return 1
	fi
	opens_moved "$before" "$@"
}

# redis_bench CLIENT_STACK SERVER PORT KA KP NA NP
redis_bench()
{
	local client=$1 server=$2 port=$3 before out

	shift 3
	server_up "$server" || return 1
	before=$(opens)
	out=$("$(stack_of "$client")" timeout 300 redis-benchmark -h 127.0.0.1 \
		-p "$port" -t set,get -n "$redis_n" -c 4 -q 2>&1 | tr '\r' '\n')
	echo "$out" | grep -v '^$' | tail -5
	grep -Eq '^SET: [0-9.]+ requests per second' <<<"$out" &&
		grep -Eq '^GET: [0-9.]+ requests per second' <<<"$out" &&
		! grep -qi error <<<"$out" || return 1
	opens_moved "$before" "$@"
}

check "redis-cli on ktcp -> native redis-server: SET/GET of 60 KiB, exact" \
	"redis-cli redis-server" redis_setget ktcp redis-native 6379 =2 =0 =0 =2
check "native redis-cli -> redis-server on ktcp: SET/GET of 60 KiB, exact" \
	"redis-cli redis-server" redis_setget native redis-ktcp 6380 =0 =2 =2 =0
check "redis-cli on ktcp -> redis-server on ktcp: SET/GET of 60 KiB, exact" \
	"redis-cli redis-server" redis_setget ktcp redis-ktcp 6380 =2 =2 =0 =0
check "redis-benchmark on ktcp -> native redis-server: set,get -n $redis_n" \
	"redis-benchmark redis-server" redis_bench ktcp redis-native 6379 +4 =0 =0 +4
check "native redis-benchmark -> redis-server on ktcp: set,get -n $redis_n" \
	"redis-benchmark redis-server" redis_bench native redis-ktcp 6380 =0 +4 +4 =0
check "redis-benchmark on ktcp -> redis-server on ktcp: set,get -n $redis_n" \
	"redis-benchmark redis-server" redis_bench ktcp redis-ktcp 6380 +4 +4 =0 =0

# --- the servers lived through it -----------------------------------

# Then SIGTERM stops each, nginx's worker and Python's threads with
# it: no process may stay in the namespace holding ktcp sockets.
servers_stop()
{
	local p dead=0 i left

	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || dead=$((dead + 1))
	done
	[ ${#pids[@]} -eq 10 ] || { echo "${#pids[@]} of 10 servers started"; return 1; }
	[ $dead -eq 0 ] || { echo "$dead servers died"; tail -3 "$ktcp_tmp"/*.err; return 1; }
	for p in "${pids[@]}"; do
		kill "$p"
		wait "$p" 2>/dev/null
	done
	pids=()
	for i in $(seq 100); do
		left=$(ip netns pids "$ns" | grep -vx "$holder")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "still in the namespace:"
	# shellcheck disable=SC2086 # one pid per word
	ps -o pid=,args= -p $left
	return 1
}
check "all 10 servers (5 on ktcp) still run, and stop on SIGTERM leaving no process behind" \
	"" servers_stop

tap_exit
