#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# System calls per keep-alive request: libktcp's example http_server,
# nginx and h2o (one worker each, pinned as in bench/lib.sh) serve the
# same 24-byte file to wrk -t1 -c64; strace -c -f counts every call of
# the serving process (all its threads) while wrk runs, and the count
# is divided by the requests wrk completed.  strace slows each server
# down, and fewer requests then arrive per epoll_wait(), so the
# epoll_wait share is higher than without it, alike for all three.
#
#   bench/syscalls.sh [SECS]     (default 3; from userspace/, needs
#                                 make and bench/install-bench-deps.sh)
# KTCP_BUILD: the build directory (default build).
cd "$(dirname "$0")/.." || exit 1
secs=${1:-3}
B=$PWD/${KTCP_BUILD:-build}
T=$(mktemp -d /tmp/ktcp-sys.XXXXXX)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. bench/lib.sh
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

make_root

# count NAME PID PORT: prints "NAME requests calls per-request top..."
count()
{
	local name=$1 pid=$2 port=$3 st reqs out
	wrk_run "$port" 1 >/dev/null	# warm: caches, connections
	strace -c -f -p "$pid" -o "$T/$name.strace" 2>/dev/null &
	st=$!
	sleep 1	# attached to every thread before the load starts
	out=$(wrk_run "$port" "$secs")
	kill -INT "$st"
	wait "$st" 2>/dev/null
	reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
	awk -v name="$name" -v reqs="$reqs" '
		/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ / && $NF != "total" {
			calls[$NF] = $4 }
		END {
			n = 0; for (s in calls) n += calls[s]
			printf "%-8s %9d requests %10d calls %6.2f per request  ", name, reqs, n, n / reqs
			# the biggest, per request
			for (k = 0; k < 6; k++) {
				best = ""; for (s in calls) if (best == "" || calls[s] > calls[best]) best = s
				if (best == "" || calls[best] / reqs < 0.01) break
				printf " %s %.2f", best, calls[best] / reqs; delete calls[best]
			}
			printf "\n"
		}' "$T/$name.strace"
}

start_libktcp || exit 1
start_nginx || exit 1
start_h2o || exit 1
echo "== syscalls per keep-alive request, strace -c -f, wrk -t1 -c64 -d${secs}s, 24-byte file ($(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
count libktcp "$pid_libktcp" "$port_libktcp"
count nginx "$pid_nginx" "$port_nginx"
count h2o "$pid_h2o" "$port_h2o"
