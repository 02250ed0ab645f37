# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by bench/run.sh and bench/syscalls.sh (sourced): the three
# HTTP servers on one file, each with one worker, pinned to CPU
# $KTCP_BENCH_SERVER_CPU (default 1) while wrk runs on CPU
# $KTCP_BENCH_CLIENT_CPU (default 0).  The caller sets B (the build
# directory) and T (a scratch directory it removes), and kills
# "${pids[@]}" on exit.
# shellcheck disable=SC2034  # pid_* and port_* are for the caller

scpu=${KTCP_BENCH_SERVER_CPU:-1}
ccpu=${KTCP_BENCH_CLIENT_CPU:-0}
pids=()

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
	echo "bench: no server on port $1" >&2
	return 1
}

# The file every server answers: 24 bytes.
make_root()
{
	mkdir -p "$T/root"
	printf 'hello, keep-alive world\n' >"$T/root/index.html"
	chmod 755 "$T" "$T/root"
	chmod 644 "$T/root/index.html"
}

# start_SERVER: sets port_SERVER and pid_SERVER (the process that
# serves: for nginx its worker, for h2o the process with its threads).
start_libktcp()
{
	port_libktcp=$(free_port)
	taskset -c "$scpu" "$B/http_server" --port "$port_libktcp" \
		--root "$T/root" --cache-valid-ms 1000 >/dev/null &
	pid_libktcp=$!
	pids+=("$pid_libktcp")
	wait_http "$port_libktcp"
}

start_nginx()
{
	local master _
	port_nginx=$(free_port)
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<NGINX
daemon off; worker_processes 1; pid $T/nginx/pid; error_log $T/nginx/err;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 100000;
	open_file_cache max=1024; open_file_cache_valid 1s;
	client_body_temp_path $T/nginx; proxy_temp_path $T/nginx;
	fastcgi_temp_path $T/nginx; uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
	server { listen 127.0.0.1:$port_nginx; root $T/root; } }
NGINX
	taskset -c "$scpu" nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>/dev/null &
	master=$!
	pids+=("$master")
	wait_http "$port_nginx" || return 1
	for _ in $(seq 50); do
		pid_nginx=$(pgrep -P "$master" | head -1)
		[ -n "$pid_nginx" ] && return 0
		sleep 0.1
	done
	return 1
}

start_h2o()
{
	port_h2o=$(free_port)
	cat >"$T/h2o.conf" <<H2O
listen: {host: 127.0.0.1, port: $port_h2o}
num-threads: 1
user: nobody
error-log: $T/h2o.err
hosts:
  default:
    paths:
      /: {file.dir: $T/root}
H2O
	taskset -c "$scpu" h2o -c "$T/h2o.conf" >/dev/null 2>&1 &
	pid_h2o=$!
	pids+=("$pid_h2o")
	wait_http "$port_h2o"
}

# wrk_run PORT SECS: wrk's output, one thread and 64 connections on
# the client CPU.
wrk_run()
{
	taskset -c "$ccpu" wrk -t1 -c64 -d"$2s" "http://127.0.0.1:$1/index.html"
}

# stats V...: "median [min-max]" of the numbers given
stats()
{
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
		END { if (!NR) { print "n/a"; exit }
		      m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		      printf "%.0f [%.0f-%.0f]", m, a[1], a[NR] }'
}

median()
{
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
		END { if (NR) print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
