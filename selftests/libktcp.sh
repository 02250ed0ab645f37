#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libktcp.sh - libktcp's example servers on AF_KTCP, reached by real
# clients over the native TCP of the same namespace.
#
# In a namespace of its own (lo only):
#  - userspace/build/http_server --family ktcp serves files; curl
#    fetches two of them on one connection (and says it reused it),
#    posts a body and gets it echoed, and Python's http.client sends
#    three requests on one connection; curl -r gets a byte range (206,
#    Content-Range) and curl -C - resumes a cut download, both sent by
#    sendfile() on ktcp;
#  - userspace/build/ws_server --family ktcp echoes WebSocket messages
#    of 0, 125, 126, 65535 and 65536 bytes to Python's websockets, text
#    and binary, answers a ping, and returns the client's close code;
#  - ktcp's PassiveOpens grows with each connection: the servers really
#    ran on ktcp.
#
# Needs root, a loaded ktcp.ko, curl, python3 with websockets, and
# "make -C userspace".  Prints TAP; exits 0 (pass) or 1 (fail).

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

bin=${KTCP_USERSPACE_BIN:-$KTCP_SELFTESTS_DIR/../userspace/build}
ns=ktcp-lib-$$
pids=()

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ktcp_lib_cleanup
}
trap cleanup EXIT

ktcp_lib_init
tap_plan 10

for b in http_server ws_server; do
	[ -x "$bin/$b" ] || tap_bail "$bin/$b missing: make -C userspace"
done
netns_add "$ns"

passive()
{
	ip netns exec "$ns" awk '$1 == "PassiveOpens" { print $2 }' /proc/net/ktcp_snmp
}

# start NAME COMMAND...: run a server in the namespace; set $port once
# it says "listening on PORT" (30 s at most: emulated guests are slow).
# Not in a subshell: the cleanup needs its pid.
start()
{
	local name=$1 _
	shift

	ip netns exec "$ns" "$@" >"$ktcp_tmp/$name.out" 2>"$ktcp_tmp/$name.err" &
	pids+=($!)
	for _ in $(seq 300); do
		port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$ktcp_tmp/$name.out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	return 1
}

# snapshot: ktcp's sockets and counters and native's sockets in the
# namespace, for the diagnosis of a client that hangs.
snapshot()
{
	echo "/proc/net/ktcp:"
	ip netns exec "$ns" cat /proc/net/ktcp
	echo "ktcp counters: $(ip netns exec "$ns" tr '\n' ' ' </proc/net/ktcp_snmp)"
	echo "native sockets:"
	ip netns exec "$ns" ss -tnie
}

# watched SECONDS COMMAND...: COMMAND under timeout SECONDS; if it still
# runs 10 s before that, snapshot goes to $ktcp_tmp/hang.txt.  The
# watcher's sleep dies with it and holds none of the caller's output
# open: in out=$(watched ...), a sleep left behind kept the command
# substitution waiting SECONDS - 10 s for nothing.
watched()
{
	local secs=$1 watcher rc
	shift

	rm -f "$ktcp_tmp/hang.txt"
	(
		sleep $((secs - 10)) &
		trap 'kill $! 2>/dev/null; exit' TERM
		wait $! && snapshot >"$ktcp_tmp/hang.txt" 2>&1
	) >/dev/null 2>&1 </dev/null &
	watcher=$!
	ip netns exec "$ns" timeout "$secs" "$@"
	rc=$?
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	return $rc
}

# hang_report: what watched() saw, if it saw anything.
hang_report()
{
	[ -s "$ktcp_tmp/hang.txt" ] && cat "$ktcp_tmp/hang.txt"
}

# expect_ok DESC OUTPUT: a Python client passes when it printed only "ok".
expect_ok()
{
	if [ "$2" = ok ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "$2"
	fi
}

# --- HTTP ------------------------------------------------------------

root=$ktcp_tmp/www
mkdir -p "$root"
printf 'first file\n' >"$root/a.txt"
head -c 200000 /dev/urandom >"$root/b.bin"

opens0=$(passive)
if ! start http "$bin/http_server" --family ktcp --host 127.0.0.1 \
		--port 0 --root "$root"; then
	tap_bail "http_server --family ktcp did not start: $(cat "$ktcp_tmp/http.err")"
fi
hport=$port
url=http://127.0.0.1:$hport

desc="curl: two files on one ktcp connection, byte for byte, connection reused"
watched 180 curl -sS -v -o "$ktcp_tmp/a.got" "$url/a.txt" \
	-o "$ktcp_tmp/b.got" "$url/b.bin" 2>"$ktcp_tmp/curl.err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$root/a.txt" "$ktcp_tmp/a.got" &&
   cmp -s "$root/b.bin" "$ktcp_tmp/b.got" &&
   grep -q 'Re-using existing connection' "$ktcp_tmp/curl.err"; then
	tap_ok "$desc"
else
	tap_fail "$desc" "curl exit $rc" "$(grep -E '^[*<>] ' "$ktcp_tmp/curl.err" | head -20)" \
		"$(hang_report)"
fi

desc="curl: a POST body comes back exactly"
got=$(ip netns exec "$ns" timeout 60 curl -sS --data-binary 'ping over ktcp' "$url/echo")
if [ "$got" = "ping over ktcp" ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "got '$got'"
fi

desc="python http.client: three requests on one connection, one source port"
out=$(watched 180 python3 - "$hport" <<'EOF' 2>&1
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
ports = set()
for body in (b"one", b"two", b"three"):
    c.request("POST", "/echo", body=body)
    r = c.getresponse()
    assert r.status == 200, r.status
    got = r.read()
    assert got == body, (got, body)
    ports.add(c.sock.getsockname()[1])
assert len(ports) == 1, ports
print("ok")
EOF
)
report=
[ "$out" = ok ] || report=$(hang_report)
expect_ok "$desc" "$out${report:+
$report}"

desc="curl -r: a byte range of a file on ktcp is a 206 with its Content-Range and exact bytes"
watched 60 curl -sS -D "$ktcp_tmp/range.hdr" -r 1000-70999 \
	-o "$ktcp_tmp/range.got" "$url/b.bin" 2>"$ktcp_tmp/range.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^HTTP/1.1 206' "$ktcp_tmp/range.hdr" &&
   grep -qi '^Content-Range: bytes 1000-70999/200000' "$ktcp_tmp/range.hdr" &&
   cmp -s <(tail -c +1001 "$root/b.bin" | head -c 70000) "$ktcp_tmp/range.got"; then
	tap_ok "$desc"
else
	tap_fail "$desc" "curl exit $rc" "$(cat "$ktcp_tmp/range.hdr" "$ktcp_tmp/range.err" 2>&1 | head -20)"
fi

desc="curl -C -: a download cut at 50000 bytes resumes on ktcp to the exact file"
head -c 50000 "$root/b.bin" >"$ktcp_tmp/resume.got"
watched 60 curl -sS -C - -o "$ktcp_tmp/resume.got" "$url/b.bin" 2>"$ktcp_tmp/resume.err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$root/b.bin" "$ktcp_tmp/resume.got"; then
	tap_ok "$desc"
else
	tap_fail "$desc" "curl exit $rc" "$(head -5 "$ktcp_tmp/resume.err")" \
		"$(cmp "$root/b.bin" "$ktcp_tmp/resume.got" 2>&1)"
fi

desc="a request for a missing file gets 404"
code=$(ip netns exec "$ns" timeout 60 curl -s -o /dev/null -w '%{http_code}' "$url/nope")
if [ "$code" = 404 ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "status '$code'"
fi

# --- WebSocket -------------------------------------------------------

if ! start ws "$bin/ws_server" --family ktcp --host 127.0.0.1 --port 0; then
	tap_bail "ws_server --family ktcp did not start: $(cat "$ktcp_tmp/ws.err")"
fi
wport=$port

desc="websockets: text and binary echo of 0, 125, 126, 65535, 65536 bytes"
out=$(ip netns exec "$ns" timeout 120 python3 - "$wport" <<'EOF' 2>&1
import os, sys
from websockets.sync.client import connect
with connect(f"ws://127.0.0.1:{sys.argv[1]}/echo", max_size=None,
             compression=None, open_timeout=30) as ws:
    for n in (0, 125, 126, 65535, 65536):
        for m in ("x" * n, os.urandom(n)):
            ws.send(m)
            got = ws.recv(timeout=60)
            assert got == m, (n, type(m), len(got))
    ws.close(1000)
print("ok")
EOF
)
expect_ok "$desc" "$out"

desc="websockets: a ping is answered; the close code 4001 comes back"
out=$(ip netns exec "$ns" timeout 120 python3 - "$wport" <<'EOF' 2>&1
import sys
from websockets.sync.client import connect
with connect(f"ws://127.0.0.1:{sys.argv[1]}/echo", open_timeout=30) as ws:
    assert ws.ping(b"are you there").wait(30)
    ws.close(4001, "bye")
    assert ws.close_code == 4001, ws.close_code
print("ok")
EOF
)
expect_ok "$desc" "$out"

desc="the servers ran on ktcp: PassiveOpens grew by at least 6"
opens1=$(passive)
if [ $((opens1 - opens0)) -ge 6 ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "PassiveOpens $opens0 -> $opens1"
fi

desc="both servers still run after all of it"
alive=0
for p in "${pids[@]}"; do
	kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
done
if [ "$alive" -eq 2 ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "$alive of 2 alive" "$(cat "$ktcp_tmp"/*.err)"
fi

tap_exit
