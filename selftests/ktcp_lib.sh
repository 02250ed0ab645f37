#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the ktcp shell selftests: TAP output, and ktcp sockets held
# open in the background by build/ktcp_bind_hold.  Source it; it
# defines functions and variables only.  The sourcing script must call
# ktcp_lib_cleanup from its EXIT trap.

# shellcheck disable=SC2034 # variables are for the sourcing scripts
KSFT_SKIP=4

KTCP_SELFTESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KTCP_BIND_HOLD=${KTCP_BIND_HOLD:-$KTCP_SELFTESTS_DIR/build/ktcp_bind_hold}
KTCP_UAPI_HEADER=$KTCP_SELFTESTS_DIR/../uapi/linux/ktcp.h
KTCP_PROC_NET=/proc/net/ktcp
KTCP_RANGE_SYSCTL=/proc/sys/net/ktcp/ip_local_port_range

ktcp_tmp=
ktcp_ntests=0
ktcp_nfail=0
declare -A ktcp_hold_pid=()
declare -A ktcp_hold_fd=()
declare -A ktcp_ns_pid=()
ktcp_netns=()

# A numeric #define of uapi/linux/ktcp.h, or $2 if the header is absent.
ktcp_uapi_define()
{
	local v=

	if [ -r "$KTCP_UAPI_HEADER" ]; then
		v=$(sed -n "s/^#define[[:space:]]\{1,\}$1[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" \
			"$KTCP_UAPI_HEADER")
	fi
	echo "${v:-$2}"
}

# ktcp_with_native: native references run here.  Not on the debug
# kernel (KTCP_DEBUG_KERNEL=1), whose run is for ktcp's paths under
# KASAN, lockdep and kmemleak: the stock kernel's run compares the same
# cases with native (README says which), and each native run costs the
# emulated debug guest as much as ktcp's.
ktcp_with_native()
{
	[ "${KTCP_DEBUG_KERNEL:-0}" != 1 ]
}

# native_run COMMAND...: COMMAND's output, the native reference's
# verdict; "stock kernel only" where native references do not run.
native_run()
{
	if ktcp_with_native; then
		"$@"
	else
		echo "stock kernel only"
	fi
}

# native_verdict WANT VERDICT: VERDICT (native's) is WANT, or native
# did not run here (ktcp_with_native).
native_verdict()
{
	! ktcp_with_native || [ "$2" = "$1" ]
}

ktcp_lib_init()
{
	ktcp_tmp=$(mktemp -d "${TMPDIR:-/tmp}/ktcp-selftest.XXXXXX")
	# ktcp_nap's FIFO, opened here by the main shell: a subshell
	# that opened it first would keep the descriptor to itself.
	mkfifo "$ktcp_tmp/.nap"
	exec {ktcp_nap_fd}<>"$ktcp_tmp/.nap"
}

# ktcp_require TOOL...: skip the whole script unless root, with every TOOL.
ktcp_require()
{
	local tool

	[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root"
	for tool; do
		command -v "$tool" >/dev/null || tap_skip_all "needs $tool"
	done
}

# netns_add NS...: new network namespaces with lo up, which
# ktcp_lib_cleanup deletes.
netns_add()
{
	local ns

	for ns; do
		ip netns add "$ns" || tap_bail "cannot create network namespace $ns"
		ktcp_netns+=("$ns")
		ip -n "$ns" link set lo up
	done
}

# ns_watch NS...: a process that lives in each NS (ktcp_ns_pid[NS],
# killed by ktcp_lib_cleanup), whose /proc/PID/net holds the
# namespace's counters and socket tables: the ns_* functions below read
# them with shell builtins alone.  In the emulated debug guest every
# process started costs seconds, and an "ip netns exec NS awk" per
# counter was most of stress.sh's time there.  Not for a namespace a
# test deletes: the process keeps it alive.
ns_watch()
{
	local ns pid fd

	for ns; do
		(
			# No FIFO write end may stay open in it: a reader
			# would never see end of file.
			for fd in ${ktcp_hold_fd[@]+"${ktcp_hold_fd[@]}"}; do
				exec {fd}>&-
			done
			exec ip netns exec "$ns" sleep infinity
		) &
		pid=$!
		# Out of the job table: a suite's cleanup that waits for
		# all its jobs must not wait for this one.
		disown "$pid"
		ktcp_ns_pid[$ns]=$pid
		wait_until 120 ns_entered "$pid" "$ns" ||
			tap_bail "no process entered namespace $ns"
	done
}

# ns_entered PID NS: PID lives in NS (ip netns exec has switched).
ns_entered()
{
	[[ /proc/$1/ns/net -ef /run/netns/$2 ]]
}

# ns_net NS: /proc/PID/net of the process that lives in NS; false,
# and nothing printed, if that process is gone (or another took its
# pid): a reader must then fail, not read zeros.
ns_net()
{
	local pid=${ktcp_ns_pid[$1]:-}

	if [ -z "$pid" ] || ! ns_entered "$pid" "$1"; then
		echo "ns_net: no process in namespace $1" >&2
		return 1
	fi
	echo "/proc/$pid/net"
}

# ns_counter NS NAME: ktcp's counter NAME in NS (/proc/net/ktcp_snmp),
# 0 if there is none; nothing, and false, if NS cannot be read.
ns_counter()
{
	local net name value

	net=$(ns_net "$1") || return 1
	while read -r name value; do
		[ "$name" = "$2" ] && echo "$value" && return
	done <"$net/ktcp_snmp"
	echo 0
}

# ns_counters NS: every ktcp counter of NS on one line, for a
# diagnostic.
ns_counters()
{
	local net
	local -a lines

	net=$(ns_net "$1") || return 1
	mapfile -t lines <"$net/ktcp_snmp"
	echo "${lines[*]}"
}

# ns_native NS GROUP NAME: native TCP's counter NAME of GROUP (Tcp, in
# /proc/net/snmp; TcpExt, in /proc/net/netstat) in NS.
ns_native()
{
	local net file=snmp head="" line i
	local -a names values

	net=$(ns_net "$1") || return 1
	[ "$2" = Tcp ] || file=netstat
	while read -r line; do
		[[ $line == "$2: "* ]] || continue
		if [ -z "$head" ]; then
			head=$line
			continue
		fi
		read -r -a names <<<"$head"
		read -r -a values <<<"$line"
		for ((i = 1; i < ${#names[@]}; i++)); do
			[ "${names[i]}" = "$3" ] && echo "${values[i]}" && return
		done
		break
	done <"$net/$file"
	echo 0
}

# --- waiting without starting processes ------------------------------

# ktcp_nap SECS: sleep(1) without a process: a read that times out on a
# FIFO nobody writes to (opened by ktcp_lib_init).
ktcp_nap_fd=
ktcp_nap()
{
	[ -n "$ktcp_nap_fd" ] || { sleep "$1"; return; }
	read -r -t "$1" -u "$ktcp_nap_fd" _ || true
}

# wait_until SECS COMMAND...: run COMMAND (best a shell function) every
# 0.1 s until it succeeds (true) or SECS went by (false).
wait_until()
{
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		ktcp_nap 0.1
	done
}

# file_has_line FILE REGEX: a line of FILE matches the extended REGEX
# (grep -Eq, without a process).
file_has_line()
{
	local line

	[ -r "$1" ] || return 1
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ $2 ]] && return 0
	done <"$1"
	return 1
}

# wait_line FILE REGEX SECS [PID]: until a line of FILE matches REGEX;
# false after SECS, or once PID exited without such a line.
wait_line()
{
	local end=$((SECONDS + $3))

	until file_has_line "$1" "$2"; do
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			file_has_line "$1" "$2"
			return
		fi
		[ "$SECONDS" -lt "$end" ] || return 1
		ktcp_nap 0.1
	done
}

# --- TAP -------------------------------------------------------------

tap_plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

# Nothing to run: "1..0 # SKIP" and the kselftest skip code.
tap_skip_all()
{
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit "$KSFT_SKIP"
}

tap_bail()
{
	echo "Bail out! $*"
	exit 1
}

tap_diag()
{
	local line

	for line in "$@"; do
		while IFS= read -r line; do
			printf '# %s\n' "$line"
		done <<<"$line"
	done
}

# Where a slow suite spends its time: a diagnostic after every result
# that came 10 s or more after the one before (or the script's start).
ktcp_tap_seconds=0
ktcp_tap_elapsed()
{
	[ $((SECONDS - ktcp_tap_seconds)) -lt 10 ] ||
		echo "# $((SECONDS - ktcp_tap_seconds)) s since the previous result"
	ktcp_tap_seconds=$SECONDS
}

tap_ok()
{
	ktcp_ntests=$((ktcp_ntests + 1))
	echo "ok $ktcp_ntests - $1"
	ktcp_tap_elapsed
}

# tap_fail DESCRIPTION [DIAGNOSTIC...]
tap_fail()
{
	ktcp_ntests=$((ktcp_ntests + 1))
	ktcp_nfail=$((ktcp_nfail + 1))
	echo "not ok $ktcp_ntests - $1"
	shift
	tap_diag "$@"
	ktcp_tap_elapsed
}

# tap_skip DESCRIPTION REASON: counted as a skip, never as a pass.
tap_skip()
{
	ktcp_ntests=$((ktcp_ntests + 1))
	echo "ok $ktcp_ntests - $1 # SKIP $2"
	ktcp_tap_elapsed
}

# Summary line, then exit 0 if every test passed, 1 otherwise.
tap_exit()
{
	if [ "$ktcp_nfail" -eq 0 ]; then
		tap_diag "all $ktcp_ntests tests passed"
		exit 0
	fi
	tap_diag "$ktcp_nfail of $ktcp_ntests tests failed"
	exit 1
}

# --- sockets held by ktcp_bind_hold ----------------------------------

# wait_file FILE PID [SECS]: wait until FILE exists; false if PID died
# first or SECS (default 120) went by.  A fixed short wait is not
# enough: under emulation a debug kernel takes seconds to start a
# process in a namespace.
wait_file()
{
	local file=$1 pid=$2 end=$((SECONDS + ${3:-120}))

	while [ ! -e "$file" ]; do
		kill -0 "$pid" 2>/dev/null || [ -e "$file" ] || return 1
		[ "$SECONDS" -lt "$end" ] || return 1
		ktcp_nap 0.1
	done
}

# hold_start NAME COMMAND...
# Runs COMMAND (ending in a ktcp_bind_hold invocation, possibly behind
# "ip netns exec NS") in the background with its stdin on a FIFO, and
# waits until it reports "ready" (success) or "error ..." (failure).
# Its output stays readable through hold_output NAME.
hold_start()
{
	local name=$1 fifo fd end

	shift
	fifo=$ktcp_tmp/$name.in
	rm -f "$fifo" "$ktcp_tmp/$name.out"
	mkfifo "$fifo"
	(
		# Drop the write ends of the other holders' FIFOs, or
		# they would not see end of file when hold_stop closes them.
		for fd in ${ktcp_hold_fd[@]+"${ktcp_hold_fd[@]}"}; do
			exec {fd}>&-
		done
		exec "$@"
	) <"$fifo" >"$ktcp_tmp/$name.out" 2>&1 &
	ktcp_hold_pid[$name]=$!
	# Opening the FIFO's write end waits for the reader above.
	exec {fd}>"$fifo"
	ktcp_hold_fd[$name]=$fd

	# Bounded by the clock: starting a program in a namespace takes
	# the emulated debug guest seconds, a loaded one minutes.
	end=$((SECONDS + 120))
	while [ "$SECONDS" -lt "$end" ]; do
		file_has_line "$ktcp_tmp/$name.out" '^ready$' && return 0
		file_has_line "$ktcp_tmp/$name.out" '^error ' && return 1
		kill -0 "${ktcp_hold_pid[$name]}" 2>/dev/null || break
		ktcp_nap 0.05
	done
	file_has_line "$ktcp_tmp/$name.out" '^ready$'
}

hold_running()
{
	[ -n "${ktcp_hold_pid[$1]:-}" ]
}

# hold_stop NAME: close the holder's stdin and reap it; fails if it
# did not exit 0.
hold_stop()
{
	local name=$1 fd rc=0

	hold_running "$name" || return 0
	fd=${ktcp_hold_fd[$name]}
	exec {fd}>&-
	wait "${ktcp_hold_pid[$name]}" || rc=$?
	unset "ktcp_hold_pid[$name]" "ktcp_hold_fd[$name]"
	return "$rc"
}

hold_output()
{
	cat "$ktcp_tmp/$1.out" 2>/dev/null || true
}

# Socket inodes, or bound ports, of a holder, one per line.
hold_inodes()
{
	hold_output "$1" | awk '$1 == "bound" { print $4 }'
}

hold_ports()
{
	hold_output "$1" | awk '$1 == "bound" { print $3 }'
}

# The "error STEP ERRNAME" line of ktcp_bind_hold output on stdin.
bind_error()
{
	grep '^error ' || true
}

# Socket inodes listed in /proc/net/ktcp by COMMAND... (e.g. "cat", or
# "ip netns exec NS cat"), one per line.
proc_ktcp_inodes()
{
	"$@" "$KTCP_PROC_NET" | awk 'NR > 1 { print $10 }'
}

# The port range sysctl as "LOW HIGH", read by COMMAND... as above.
ktcp_range()
{
	"$@" "$KTCP_RANGE_SYSCTL" | awk '{ print $1, $2 }'
}

ktcp_lib_cleanup()
{
	local name

	for name in "${!ktcp_hold_pid[@]}"; do
		kill "${ktcp_hold_pid[$name]}" 2>/dev/null || true
		hold_stop "$name" || true
	done
	for name in "${!ktcp_ns_pid[@]}"; do
		kill "${ktcp_ns_pid[$name]}" 2>/dev/null || true
	done
	for name in ${ktcp_netns[@]+"${ktcp_netns[@]}"}; do
		ip netns del "$name" 2>/dev/null || true
	done
	if [ -n "$ktcp_tmp" ]; then
		rm -rf "$ktcp_tmp"
	fi
}
