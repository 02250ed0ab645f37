#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libktcp benchmarks, side by side in one run on this host.  Reports
# ratios libktcp/anchor (above 1: libktcp is faster); asserts nothing.
#
#   1. parse/build speed (bench/parse_bench.c): HTTP requests against
#      picohttpparser built here from its source with the flags libktcp
#      gets plus -msse4.2, and http-parser; WebSocket frames against
#      wslay; UTF-8 validation.  Interleaved rounds, medians.
#   2. keep-alive requests/s of examples/http_server (small files from
#      its ktcp_file_cache, a checked file trusted for 1 s) against
#      nginx (open_file_cache, open_file_cache_valid 1s: each server's
#      file cache on, with the same window) and h2o (its own cache of
#      open files, always on), one worker each,
#      pinned to one CPU, wrk -t1 -c64 pinned to the other; the three
#      measured one after the other in each of ROUNDS rounds, the order
#      turning each round; median [min-max] of the rounds.
#   3. WebSocket echo messages/s of examples/ws_server against a C
#      echo server on wslay's event API (bench/wslay_echo.c), the same
#      load client (bench/ws_load.c) for both, interleaved the same way.
#   4. system calls per keep-alive request (bench/syscalls.sh).
#
# KTCP_BENCH_SECS: each measurement's length (default 3 s);
# KTCP_BENCH_ROUNDS: rounds (default 5); KTCP_BUILD: the build
# directory (default build); CFLAGS: as given to make (default -O2 -g).
cd "$(dirname "$0")/.." || exit 1
bench/install-bench-deps.sh || exit 1
secs=${KTCP_BENCH_SECS:-3}
rounds=${KTCP_BENCH_ROUNDS:-5}
B=$PWD/${KTCP_BUILD:-build}
T=$(mktemp -d /tmp/ktcp-bench.XXXXXX)
pico=${KTCP_PICO_DIR:-$HOME/.cache/ktcp/picohttpparser}
flags=${CFLAGS:--O2 -g}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. bench/lib.sh
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
export KTCP_BENCH_ROUNDS=$rounds

# shellcheck disable=SC2086  # $flags: several flags
cc $flags -msse4.2 -Wall -Wextra -Werror -std=gnu11 -I include -I "$pico" \
	bench/parse_bench.c "$pico/picohttpparser.c" \
	"$B/libktcp.a" -lhttp_parser -lwslay -lz -o "$B/parse_bench" || exit 1
# shellcheck disable=SC2086
cc $flags -Wall -Wextra -Werror -std=gnu11 -I include bench/ws_load.c \
	"$B/libktcp.a" -lz -o "$B/ws_load" || exit 1
# shellcheck disable=SC2086
cc $flags -Wall -Wextra -Werror -std=gnu11 -I include bench/wslay_echo.c \
	"$B/libktcp.a" -lwslay -lz -o "$B/wslay_echo" || exit 1

echo "# $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); libktcp and picohttpparser: $flags (picohttpparser -msse4.2)"
echo "== parse and build (bench/parse_bench.c)"
taskset -c "$scpu" "$B/parse_bench" 0.3

make_root
start_libktcp || exit 1
start_nginx || exit 1
start_h2o || exit 1

# rps PORT: requests/s under wrk; warns of errors and non-2xx answers
rps()
{
	local out
	out=$(wrk_run "$1" "$secs")
	grep -E 'Non-2xx|Socket errors' <<<"$out" | sed 's/^/# wrk: /' >&2
	awk '/Requests\/sec/ { print $2 }' <<<"$out"
}

echo "== keep-alive requests/s, wrk -t1 -c64 -d${secs}s (CPU $ccpu), one worker (CPU $scpu), 24-byte file, $rounds rounds interleaved"
servers=(libktcp nginx h2o)
declare -A got
for ((r = 0; r < rounds; r++)); do
	for ((k = 0; k < 3; k++)); do
		s=${servers[$(((k + r) % 3))]}
		port=port_$s
		got[$s]+=" $(rps "${!port}")"
	done
done
# shellcheck disable=SC2086  # the lists of numbers
{
	o=$(median ${got[libktcp]})
	printf '%-22s %s req/s\n' "libktcp http_server" "$(stats ${got[libktcp]})"
	printf '%-22s %s req/s   libktcp/nginx %s\n' "nginx (1 worker)" \
		"$(stats ${got[nginx]})" "$(ratio "$o" "$(median ${got[nginx]})")"
	printf '%-22s %s req/s   libktcp/h2o   %s\n' "h2o (1 thread)" \
		"$(stats ${got[h2o]})" "$(ratio "$o" "$(median ${got[h2o]})")"
}
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()

echo "== WebSocket echo messages/s, 1 connection, 32 in flight, 64 bytes, ${secs}s, $rounds rounds interleaved"
p_ours=$(free_port)
taskset -c "$scpu" "$B/ws_server" --port "$p_ours" >/dev/null &
pids+=($!)
taskset -c "$scpu" "$B/wslay_echo" 0 >"$T/wslay.port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$T/wslay.port" ] && break; sleep 0.1; done
p_wslay=$(awk '{ print $3 }' "$T/wslay.port")
sleep 0.3
ws_ours=() ws_wslay=()
for ((r = 0; r < rounds; r++)); do
	if ((r % 2)); then
		ws_wslay+=("$(taskset -c "$ccpu" "$B/ws_load" "$p_wslay" "$secs" 64 32 | awk '{ print $2 }')")
		ws_ours+=("$(taskset -c "$ccpu" "$B/ws_load" "$p_ours" "$secs" 64 32 | awk '{ print $2 }')")
	else
		ws_ours+=("$(taskset -c "$ccpu" "$B/ws_load" "$p_ours" "$secs" 64 32 | awk '{ print $2 }')")
		ws_wslay+=("$(taskset -c "$ccpu" "$B/ws_load" "$p_wslay" "$secs" 64 32 | awk '{ print $2 }')")
	fi
done
printf '%-22s %s msg/s\n' "libktcp ws_server" "$(stats "${ws_ours[@]}")"
printf '%-22s %s msg/s   libktcp/wslay %s\n' "wslay echo (C)" "$(stats "${ws_wslay[@]}")" \
	"$(ratio "$(median "${ws_ours[@]}")" "$(median "${ws_wslay[@]}")")"
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()

KTCP_BUILD=${KTCP_BUILD:-build} bench/syscalls.sh "$secs"
