#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interop tests of libktcp against real peers: curl, Python's
# http.client, wrk, ab -k, nginx, python3 -m http.server, Python's
# websockets (client and server) and Node's ws; byte ranges and
# conditional requests beside nginx serving the same files.  Every server binds
# 127.0.0.1 with a port of its own choosing (or a socket in a private
# directory), and every process started here is killed on exit.
# Prints "ok N name" / "not ok N name" lines and "P passed, F failed".
# A missing peer tool is a failure, not a skip.
cd "$(dirname "$0")/.." || exit 1
B=$PWD/${KTCP_BUILD:-build}
I=$PWD/tests/interop
NODE_DIR=${KTCP_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ktcp/node}
T=$(mktemp -d /tmp/ktcp-interop.XXXXXX)
pids=()
n=0 passed=0 failed=0

cleanup()
{
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

result() # result NAME STATUS [DETAIL]
{
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n $1"
	else
		failed=$((failed + 1))
		echo "not ok $n $1"
		[ -n "${3:-}" ] && sed 's/^/#   /' <<<"$3" | tail -20
	fi
}

t() # t NAME COMMAND...: one test, passes if COMMAND exits 0
{
	local name=$1 out rc
	shift
	if declare -F "$1" >/dev/null; then
		out=$("$@" 2>&1)
	else
		out=$(timeout 120 "$@" 2>&1)
	fi
	rc=$?
	result "$name" $rc "$out"
}

need() # need TOOL...: fail (not skip) when a peer is missing
{
	local tool
	for tool; do
		command -v "$tool" >/dev/null || {
			result "peer $tool is installed (scripts/install-deps.sh)" 1
			return 1
		}
	done
}

# start NAME COMMAND...: run a server in the background, wait for its
# first line (the port), set $port.
start()
{
	local name=$1 _
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	pids+=($!)
	for _ in $(seq 300); do
		[ -s "$T/$name.out" ] && break
		sleep 0.1
	done
	# "listening on N", "N", or http.server's "... port N (http://...) ..."
	port=$(head -1 "$T/$name.out" | sed -nE 's/.* port ([0-9]+).*/\1/p; t; s/.*[^0-9]([0-9]+)$/\1/p; t; s/^([0-9]+)$/\1/p')
	[ -n "$port" ]
}

free_port()
{
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- our HTTP server against real clients ----

mkdir -p "$T/root"
chmod 755 "$T" "$T/root"	# nginx workers run as an unprivileged user
head -c 1048576 /dev/urandom >"$T/root/big.bin"
echo "file one" >"$T/root/one.txt"
echo "file two" >"$T/root/two.txt"
start http_server "$B/http_server" --family inet --port 0 --root "$T/root" ||
	result "http_server starts" 1 "$(cat "$T/http_server.err")"
hport=$port

curl_reuse()
{
	local out
	out=$(curl -sv "http://127.0.0.1:$hport/one.txt" "http://127.0.0.1:$hport/two.txt" \
		"http://127.0.0.1:$hport/one.txt" 2>&1) || return 1
	[ "$(grep -c 'Re-using existing connection' <<<"$out")" -eq 2 ] &&
		[ "$(grep -c '^file one' <<<"$out")" -eq 2 ] &&
		[ "$(grep -c '^file two' <<<"$out")" -eq 1 ] &&
		[ "$(grep -c 'Connected to' <<<"$out")" -eq 1 ]
}
if need curl; then
	t "curl: three URLs on one reused connection" curl_reuse
	t "curl: 1 MiB file streamed intact" bash -c \
		"curl -sf -o '$T/got.bin' http://127.0.0.1:$hport/big.bin && cmp '$T/got.bin' '$T/root/big.bin'"
	t "curl: 404 for a missing file" bash -c \
		"[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/nope)\" = 404 ]"
	t "curl: chunked upload echoed" bash -c \
		"[ \"\$(printf 'chunky body' | curl -sf -H 'Transfer-Encoding: chunked' --data-binary @- http://127.0.0.1:$hport/echo)\" = 'chunky body' ]"
	t "curl: Expect: 100-continue" bash -c \
		"out=\$(curl -sv -H 'Expect: 100-continue' --data-binary @'$T/root/big.bin' -o '$T/echo.bin' http://127.0.0.1:$hport/echo 2>&1) &&
		 grep -q '< HTTP/1.1 100 Continue' <<<\"\$out\" && cmp '$T/echo.bin' '$T/root/big.bin'"
	t "curl: HTTP/1.0 gets Connection: close" bash -c \
		"curl -s0 -D - -o /dev/null http://127.0.0.1:$hport/one.txt | grep -qi '^Connection: close'"
	t "curl: smuggling attempt (CL + TE) gets 400" bash -c \
		"[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Length: 3' -H 'Transfer-Encoding: chunked' --data-binary abc http://127.0.0.1:$hport/echo)\" = 400 ]"
fi
need python3 && t "python http.client: keep-alive, chunked body, HTTP/1.0" \
	python3 "$I/http_client.py" "$hport"
if need wrk; then
	wrk_run()
	{
		local out
		out=$(wrk -t1 -c16 -d1s "http://127.0.0.1:$hport/one.txt") || return 1
		echo "$out"
		grep -q 'Requests/sec' <<<"$out" && ! grep -qE 'Socket errors|Non-2xx' <<<"$out"
	}
	t "wrk -c16: no errors, no non-2xx" wrk_run
fi
if need ab; then
	ab_run()
	{
		local out
		out=$(ab -q -k -n 2000 -c 8 "http://127.0.0.1:$hport/one.txt") || return 1
		echo "$out"
		grep -qE '^Failed requests: +0$' <<<"$out" &&
			grep -qE '^Keep-Alive requests: +2000$' <<<"$out" &&
			grep -qE '^Complete requests: +2000$' <<<"$out"
	}
	t "ab -k: 2000 requests, all kept alive" ab_run
fi

# the same server over AF_UNIX and IPv6, with our own client
start http_unix "$B/http_server" --family unix --host "$T/http.sock" --root "$T/root" ||
	result "http_server starts on AF_UNIX" 1
t "curl --unix-socket: two URLs on one reused connection" bash -c \
	"out=\$(curl -sv --unix-socket '$T/http.sock' http://localhost/one.txt http://localhost/two.txt 2>&1) &&
	 [ \$(grep -c 'Re-using existing connection' <<<\"\$out\") = 1 ] && grep -q '^file two' <<<\"\$out\""
t "our client, chunked request body, over AF_UNIX" bash -c \
	"[ \"\$('$B/http_client' --family unix --host '$T/http.sock' --method POST --chunked --data 'hello chunks' /echo /echo 2>/dev/null)\" = 'hello chunkshello chunks' ]"
t "our client over AF_UNIX: 3 requests, 1 connection" bash -c \
	"out=\$('$B/http_client' --family unix --host '$T/http.sock' /one.txt /two.txt /big.bin 2>&1 >/dev/null) &&
	 grep -q 'connections: 1' <<<\"\$out\" && [ \$(grep -c '^200 ' <<<\"\$out\") = 3 ]"
start http_inet6 "$B/http_server" --family inet6 --host ::1 --port 0 || result "http_server starts on IPv6" 1
t "curl over IPv6: one reused connection" bash -c \
	"[ \$(curl -sv 'http://[::1]:$port/' 'http://[::1]:$port/' 2>&1 | grep -c 'Re-using existing') = 1 ]"

# --family ktcp end to end on the host: a family file naming AF_INET
# (2) stands in for the module, so ktcp_socket() opens TCP sockets and
# every --family ktcp code path of the examples runs.
echo 2 >"$T/family"
start http_ktcp env KTCP_FAMILY_PATH="$T/family" "$B/http_server" --family ktcp --port 0 \
	--root "$T/root" || result "http_server --family ktcp starts" 1
kport=$port
t "examples --family ktcp (family file = AF_INET): http client, one connection" bash -c \
	"out=\$(KTCP_FAMILY_PATH='$T/family' '$B/http_client' --family ktcp --port $kport /one.txt /two.txt 2>&1) &&
	 grep -q 'connections: 1' <<<\"\$out\" && grep -q '^file two' <<<\"\$out\""
start ws_ktcp env KTCP_FAMILY_PATH="$T/family" "$B/ws_server" --family ktcp --port 0 ||
	result "ws_server --family ktcp starts" 1
t "examples --family ktcp (family file = AF_INET): ws client echo" bash -c \
	"[ \"\$(KTCP_FAMILY_PATH='$T/family' '$B/ws_client' --family ktcp --port $port hi)\" = \"\$(printf 'hi\nclose 1000')\" ]"
t "examples --family ktcp without the module: a clear error" bash -c \
	"out=\$(KTCP_FAMILY_PATH=/nonexistent '$B/http_server' --family ktcp --port 0 2>&1); [ \$? -ne 0 ] && grep -q 'ktcp module is not loaded' <<<\"\$out\""

# ---- our client against real servers ----

if need nginx; then
	nport=$(free_port)
	mkdir -p "$T/nginx/logs" "$T/nginx/tmp"
	cat >"$T/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp;
	proxy_temp_path $T/nginx/tmp;
	fastcgi_temp_path $T/nginx/tmp;
	uwsgi_temp_path $T/nginx/tmp;
	scgi_temp_path $T/nginx/tmp;
	keepalive_requests 3;
	server {
		listen 127.0.0.1:$nport;
		root $T/root;
		location /chunked { return 200 "chunk"; }
	}
}
NGINX
	nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx.err" &
	pids+=($!)
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$nport/one.txt" && break
		sleep 0.1
	done
	nginx_client()
	{
		local out
		out=$("$B/http_client" --port "$nport" /one.txt /two.txt /big.bin \
			/one.txt /nope 2>&1 >"$T/nginx.body") || return 1
		echo "$out"
		# keepalive_requests 3: the client must notice nginx's close
		grep -q 'connections: 2' <<<"$out" &&
			[ "$(grep -c '^200 ' <<<"$out")" = 4 ] &&
			grep -q '^404 ' <<<"$out" &&
			[ "$(sed -n 2p <<<"$out")" = "200 9 reused" ] &&
			[ "$(head -c 18 "$T/nginx.body")" = "$(printf 'file one\nfile two')" ]
	}
	t "our client vs nginx: reuse, notice close after keepalive_requests" nginx_client
	# nginx must find the end of our chunked body to keep the connection
	t "our client vs nginx: chunked request body, then the connection is reused" bash -c \
		"out=\$('$B/http_client' --port $nport --method POST --chunked --data 'a chunked body' /one.txt /two.txt 2>&1 >/dev/null);
		 echo \"\$out\"; [ \"\$(grep -c '^405 ' <<<\"\$out\")\" = 2 ] && grep -q 'connections: 1' <<<\"\$out\""
fi

if need python3; then
	start pyhttp python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/root"
	pyport=$port
	py_client()
	{
		local out
		out=$("$B/http_client" --port "$pyport" /one.txt /two.txt /big.bin 2>&1 >"$T/py.body") || return 1
		echo "$out"
		# http.server speaks HTTP/1.0 and closes every time
		grep -q 'connections: 3' <<<"$out" && [ "$(grep -c '^200 ' <<<"$out")" = 3 ] &&
			[ "$(stat -c %s "$T/py.body")" = $((9 + 9 + 1048576)) ]
	}
	t "our client vs python3 -m http.server (HTTP/1.0, close-delimited)" py_client
fi

# ---- byte ranges and conditional requests, beside nginx ----
# Our http_server and nginx serve the same files.  Python asks both the
# same questions and the answers that must agree are compared line by
# line: status, Content-Range, Content-Length, Accept-Ranges,
# Content-Type (but a multipart boundary), ETag, Last-Modified, the
# bytes of the body or of each part.  Where RFC 9110 and nginx part
# ways, range_client.py's "ours" checks that we follow the RFC.

mkdir -p "$T/range"
chmod 755 "$T" "$T/range"	# nginx workers run as an unprivileged user
head -c 1048576 /dev/urandom >"$T/range/big.bin"
: >"$T/range/empty.bin"
# a date validator is strong only once it is a second old
touch -d '2023-11-14 22:13:20 UTC' "$T/range/big.bin" "$T/range/empty.bin"
start http_range "$B/http_server" --family inet --port 0 --root "$T/range" ||
	result "http_server for ranges starts" 1
rport=$port
if need nginx curl python3; then
	ngport=$(free_port)
	mkdir -p "$T/nginx-range/logs" "$T/nginx-range/tmp"
	# default_type: the type ours gives files, so that it compares
	cat >"$T/nginx-range/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $T/nginx-range/nginx.pid;
error_log $T/nginx-range/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	default_type application/octet-stream;
	client_body_temp_path $T/nginx-range/tmp;
	proxy_temp_path $T/nginx-range/tmp;
	fastcgi_temp_path $T/nginx-range/tmp;
	uwsgi_temp_path $T/nginx-range/tmp;
	scgi_temp_path $T/nginx-range/tmp;
	server {
		listen 127.0.0.1:$ngport;
		root $T/range;
	}
}
NGINX
	nginx -p "$T/nginx-range" -c "$T/nginx-range/nginx.conf" 2>"$T/nginx-range.err" &
	pids+=($!)
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$ngport/empty.bin" && break
		sleep 0.1
	done

	range_same()
	{
		python3 "$I/range_client.py" "$rport" same >"$T/range.ours" || return 1
		python3 "$I/range_client.py" "$ngport" same >"$T/range.nginx" || return 1
		diff "$T/range.nginx" "$T/range.ours" && wc -l <"$T/range.ours"
	}
	t "python http.client/urllib: 35 range and conditional requests answered as nginx does" range_same
	t "python http.client: where nginx and RFC 9110 differ, we follow the RFC" \
		python3 "$I/range_client.py" "$rport" ours "$T/range/big.bin"

	# curl -r: one range, then several; the multipart bodies must be
	# nginx's byte for byte once the boundaries are set aside
	curl_ranges()
	{
		local p
		tail -c +1001 "$T/range/big.bin" | head -c 1000 >"$T/range.expect"
		for p in "$rport" "$ngport"; do
			curl -sf -r 1000-1999 -o "$T/r1.$p" "http://127.0.0.1:$p/big.bin" &&
				cmp "$T/r1.$p" "$T/range.expect" || return 1
			[ "$(curl -s -r 0-9,500000-500099,-5 -D "$T/rh.$p" -o "$T/rm.$p" \
				-w '%{http_code}' "http://127.0.0.1:$p/big.bin")" = 206 ] || return 1
		done
		python3 - "$T/rh.$rport" "$T/rm.$rport" "$T/rh.$ngport" "$T/rm.$ngport" <<'PY'
import re, sys
def norm(head, body):
    h = open(head, "rb").read().decode()
    b = open(body, "rb").read()
    boundary = re.search(r"boundary=(\S+)", h).group(1).encode()
    assert int(re.search(r"Content-Length: (\d+)", h, re.I).group(1)) == len(b)
    return b.replace(boundary, b"BOUNDARY")
ours, theirs = norm(*sys.argv[1:3]), norm(*sys.argv[3:5])
assert ours == theirs, "multipart bodies differ"
assert ours.count(b"Content-Range: bytes ") == 3
PY
	}
	t "curl -r: one range, and three in a multipart body identical to nginx's" curl_ranges

	# curl -C -: resume after 300000 bytes; then again, on a complete file
	curl_resume()
	{
		local p
		for p in "$rport" "$ngport"; do
			head -c 300000 "$T/range/big.bin" >"$T/resume.$p"
			curl -sf -C - -o "$T/resume.$p" "http://127.0.0.1:$p/big.bin" &&
				cmp "$T/resume.$p" "$T/range/big.bin" || return 1
			curl -s -C - -o "$T/resume.$p" "http://127.0.0.1:$p/big.bin" &&
				cmp "$T/resume.$p" "$T/range/big.bin" || return 1
		done
	}
	t "curl -C -: resumes a download, and sees a complete one through 416" curl_resume

	# our client's ranged GET against nginx, checked against what it asked
	client_ranges_vs_nginx()
	{
		local out etag
		out=$("$B/http_client" --port "$ngport" --range 1000- /big.bin 2>&1 \
			>"$T/c1.bin") || { echo "$out"; return 1; }
		grep -q '^range 1000-1048575/1048576$' <<<"$out" &&
			cmp "$T/c1.bin" <(tail -c +1001 "$T/range/big.bin") || return 1
		out=$("$B/http_client" --port "$ngport" --range 0-9,500000-500099,-5 \
			/big.bin /big.bin 2>&1 >"$T/c2.bin") || { echo "$out"; return 1; }
		cmp "$T/c2.bin" <(for _ in 1 2; do
			head -c 10 "$T/range/big.bin"
			tail -c +500001 "$T/range/big.bin" | head -c 100
			tail -c 5 "$T/range/big.bin"; done) || return 1
		[ "$(grep -c '^range ' <<<"$out")" = 6 ] && grep -q 'connections: 1' <<<"$out" || return 1
		etag=$(curl -sI "http://127.0.0.1:$ngport/big.bin" | tr -d '\r' | sed -n 's/^ETag: //ip')
		out=$("$B/http_client" --port "$ngport" --header "If-Range: $etag" --range -10 \
			/big.bin 2>&1 >/dev/null) && grep -q '^range 1048566-1048575/1048576$' <<<"$out" &&
		out=$("$B/http_client" --port "$ngport" --header 'If-Range: "stale"' --range -10 \
			/big.bin 2>&1 >/dev/null) && grep -q '^200 1048576 ' <<<"$out"
	}
	t "our client vs nginx: resume, three ranges on one connection, If-Range" client_ranges_vs_nginx
fi

# ---- WebSocket ----

start ws_server "$B/ws_server" --family inet --port 0 --max-message 65536 ||
	result "ws_server starts" 1
wsmall=$port
start ws_big "$B/ws_server" --family inet --port 0 --max-message 33554432 ||
	result "ws_server starts" 1
wport=$port
start ws_deflate "$B/ws_server" --family inet --port 0 --deflate || result "ws_server --deflate starts" 1
wdport=$port

if need python3 && python3 -c 'import websockets' 2>/dev/null; then
	t "python websockets client: echo 0..16 MiB, fragments, ping, close 4001" \
		python3 "$I/ws_py_client.py" "$wport" echo
	t "python websockets client: permessage-deflate" python3 "$I/ws_py_client.py" "$wdport" deflate
	t "python websockets client: broadcast to two clients" python3 "$I/ws_py_client.py" "$wport" broadcast
	while read -r line; do
		case $line in
		"ok "*) result "${line#ok [0-9]* }" 0 ;;
		"not ok "*) result "${line#not ok [0-9]* }" 1 ;;
		esac
	done < <(timeout 120 python3 "$I/ws_conformance.py" "$wsmall" 2>&1)

	start pyws python3 -u "$I/ws_py_server.py" || result "python websockets server starts" 1
	pwport=$port
	ws_vs_py()
	{
		local s out
		for s in 0 125 126 65535 65536 16777216; do
			out=$("$B/ws_client" --port "$pwport" --path / --binary --size $s) || return 1
			[ "$out" = "$(printf '<%d bytes ok>\nclose 1000' $s)" ] || { echo "$out"; return 1; }
			out=$("$B/ws_client" --port "$pwport" --path / --size $s) || return 1
			[ "$out" = "$(printf '<%d bytes ok>\nclose 1000' $s)" ] || { echo "$out"; return 1; }
		done
		out=$("$B/ws_client" --port "$pwport" --path / --protocol echo --close 4003 one two) &&
			[ "$out" = "$(printf 'one\ntwo\nclose 4003')" ]
	}
	t "our ws client vs python websockets server: 0..16 MiB, close 4003" ws_vs_py
	start pywsd python3 -u "$I/ws_py_server.py" deflate || result "python websockets deflate server starts" 1
	t "our ws client vs python websockets server: permessage-deflate" bash -c \
		"[ \"\$('$B/ws_client' --port $port --path / --deflate --size 1000000)\" = \"\$(printf '<1000000 bytes ok>\nclose 1000')\" ]"
else
	result "python websockets is installed (scripts/install-deps.sh)" 1
fi

if need node && [ -d "$NODE_DIR/node_modules/ws" ]; then
	t "node ws client: echo 0..16 MiB, fragments, ping, close 4002" \
		env NODE_PATH="$NODE_DIR/node_modules" node "$I/ws_node_client.js" "$wport"
else
	result "node ws is installed (scripts/install-deps.sh)" 1
fi

# ---- the installed library, as an application sees it ----

install_check()
{
	local prefix=$T/prefix
	make -s install PREFIX="$prefix" >/dev/null || return 1
	cat >"$T/app.c" <<'APP'
#include <ktcp/http.h>
#include <ktcp/ws.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	char key[29];
	ktcp_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, key);
	printf("%s %s\n", ktcp_http_reason(431), key);
	return 0;
}
APP
	export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
	# shellcheck disable=SC2046 # pkg-config prints flags: one word each
	cc -o "$T/app" "$T/app.c" $(pkg-config --cflags --libs libktcp) || return 1
	[ "$(LD_LIBRARY_PATH=$prefix/lib "$T/app")" = \
		"Request Header Fields Too Large s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ] || return 1
	[ "$(readelf -d "$T/app" | grep -o 'libktcp.so.[0-9]*')" = libktcp.so.0 ] || return 1
	# shellcheck disable=SC2046 # as above
	cc -o "$T/app_static" "$T/app.c" $(pkg-config --cflags libktcp) \
		"$prefix/lib/libktcp.a" $(pkg-config --static --libs-only-l libktcp | sed 's/-lktcp//') &&
		"$T/app_static" >/dev/null
}
t "make install PREFIX=...; pkg-config; links against libktcp.so.0 and libktcp.a" install_check

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
