#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libktcp benchmarks, side by side in one run on this host.  Reports
# ratios; asserts nothing.  KTCP_BENCH_SECS sets the length of each
# measurement (default 3 s).
#
#   1. parse/build speed: HTTP requests against picohttpparser (libh2o)
#      and http-parser; WebSocket frames against wslay
#   2. keep-alive requests/s of examples/http_server against nginx and
#      h2o (each with one worker), wrk -t2 -c64 on loopback
#   3. WebSocket echo messages/s of examples/ws_server against Python
#      websockets' echo server, same load client for both
cd "$(dirname "$0")/.." || exit 1
bench/install-bench-deps.sh || exit 1
secs=${KTCP_BENCH_SECS:-3}
B=$PWD/build
T=$(mktemp -d /tmp/ktcp-bench.XXXXXX)
chmod 755 "$T"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

cc -O2 -Wall -Wextra -Werror -std=gnu11 -I include bench/parse_bench.c \
	"$B/libktcp.a" -lh2o -lhttp_parser -lwslay -lz -o "$B/parse_bench" || exit 1
cc -O2 -Wall -Wextra -Werror -std=gnu11 -I include bench/ws_load.c \
	"$B/libktcp.a" -lz -o "$B/ws_load" || exit 1

echo "== parse and build ($(date -u +%FT%TZ), $(nproc) CPUs)"
"$B/parse_bench" 1

free_port()
{
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() # wait_http PORT
{
	local _
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/index.html" && return 0
		sleep 0.1
	done
	return 1
}

rps() # rps PORT: requests/s under wrk
{
	wrk -t2 -c64 -d"${secs}s" "http://127.0.0.1:$1/index.html" |
		awk '/Requests\/sec/ { print $2 }'
}

mkdir -p "$T/root"
printf 'hello, keep-alive world\n' >"$T/root/index.html"
chmod 644 "$T/root/index.html"

echo "== keep-alive requests/s, wrk -t2 -c64 -d${secs}s, 24-byte file"
p=$(free_port)
"$B/http_server" --port "$p" --root "$T/root" >/dev/null &
pids+=($!)
wait_http "$p" && ours=$(rps "$p")

p=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<NGINX
daemon off; worker_processes 1; pid $T/nginx/pid; error_log $T/nginx/err;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 100000;
	client_body_temp_path $T/nginx; proxy_temp_path $T/nginx;
	fastcgi_temp_path $T/nginx; uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
	server { listen 127.0.0.1:$p; root $T/root; } }
NGINX
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>/dev/null &
pids+=($!)
wait_http "$p" && ngx=$(rps "$p")

p=$(free_port)
cat >"$T/h2o.conf" <<H2O
listen: {host: 127.0.0.1, port: $p}
num-threads: 1
user: nobody
error-log: $T/h2o.err
hosts:
  default:
    paths:
      /: {file.dir: $T/root}
H2O
h2o -c "$T/h2o.conf" >/dev/null 2>&1 &
pids+=($!)
wait_http "$p" && h2o=$(rps "$p")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf 'libktcp http_server %10s req/s\n' "${ours:-n/a}"
printf 'nginx (1 worker)    %10s req/s   libktcp/nginx %s\n' "${ngx:-n/a}" "$(ratio "$ours" "$ngx")"
printf 'h2o (1 thread)      %10s req/s   libktcp/h2o   %s\n' "${h2o:-n/a}" "$(ratio "$ours" "$h2o")"

echo "== WebSocket echo messages/s, 1 connection, 32 in flight, 64 bytes, ${secs}s"
p=$(free_port)
"$B/ws_server" --port "$p" >/dev/null &
pids+=($!)
sleep 0.3
ours=$("$B/ws_load" "$p" "$secs" 64 32 | awk '{ print $2 }')
python3 -u tests/interop/ws_py_server.py >"$T/pyws.port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$T/pyws.port" ] && break; sleep 0.1; done
py=$("$B/ws_load" "$(cat "$T/pyws.port")" "$secs" 64 32 | awk '{ print $2 }')
printf 'libktcp ws_server   %10s msg/s\n' "${ours:-n/a}"
printf 'python websockets   %10s msg/s   libktcp/python %s\n' "${py:-n/a}" "$(ratio "$ours" "$py")"
