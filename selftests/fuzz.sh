#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh - the segment fuzzer (build/ktcp_fuzz) against the loaded
# ktcp, then the checks that it left ktcp whole.
#
#   fuzz.sh [path/to/ktcp.ko]      (default: $KTCP_KO)
#
# build/ktcp_fuzz runs in a network namespace of its own with a tun
# device, plays the peer of ktcp listeners, of connections in every
# state and of ports with no socket, and sends mutated segments for
# $KTCP_FUZZ_SECONDS (default 60).  It prints "# seed N"; to replay a
# run, set KTCP_FUZZ_SEED=N, or (in a VM, which the environment does not
# reach) write N to selftests/fuzz.seed: never commit that file, the
# suite's own runs take a new seed each time.  Its own checks (every segment counted in
# /proc/net/ktcp_snmp, a fresh handshake and a fresh transfer work) come
# out as "RESULT ok|fail ..." lines, made TAP here.  Then:
#  - the fuzzer exited by itself within its time and a margin (no hang);
#  - the kernel log since the start has no KASAN, WARN, BUG, Oops,
#    lockdep, RCU stall, soft lockup or hung task report;
#  - once ktcp's sockets are gone, rmmod ktcp succeeds, and its exit
#    (ktcp_memory_exit(): every page and socket returned) reports
#    nothing either; ktcp.ko is then loaded again for the suites that
#    follow.
# KTCP_FUZZ_EXCLUDE=mss,... leaves mutation classes out: a development
# aid while a known bug crashes the kernel; the default run has them all.
# Needs root and /dev/net/tun.  Prints TAP; exits 0, 1 or 4 (skip).

set -eu

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

ko=${1:-${KTCP_KO:-}}
fuzz=$KTCP_SELFTESTS_DIR/build/ktcp_fuzz
seconds=${KTCP_FUZZ_SECONDS:-60}
sysmod=/sys/module/ktcp
marker="fuzz.sh[$$]: start $(date +%s%N)"
kmsg_pid=

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	[ -z "$kmsg_pid" ] || kill "$kmsg_pid" 2>/dev/null || true
	ktcp_lib_cleanup
	if [ -n "$ko" ] && [ -r "$ko" ] && [ ! -e "$sysmod" ]; then
		insmod "$ko" 2>/dev/null || true
	fi
}

trap cleanup EXIT
trap 'exit 1' INT TERM

ktcp_require ip timeout
[ -n "$ko" ] || tap_bail "usage: $0 path/to/ktcp.ko (or set KTCP_KO)"
[ -r "$ko" ] || tap_bail "$ko: not readable"
[ -x "$fuzz" ] || tap_bail "$fuzz missing: run make first"
[ -e "$sysmod" ] || tap_bail "ktcp is not loaded"
seed_file=$(dirname "$0")/fuzz.seed
if [ -z "${KTCP_FUZZ_SEED:-}" ] && [ -r "$seed_file" ]; then
	KTCP_FUZZ_SEED=$(tr -d '[:space:]' < "$seed_file")
	export KTCP_FUZZ_SEED
fi
case $seconds in
''|*[!0-9]*) tap_bail "KTCP_FUZZ_SECONDS='$seconds' is not a number" ;;
esac
[ -e /dev/net/tun ] || modprobe tun 2>/dev/null || true
[ -e /dev/net/tun ] || tap_skip_all "no /dev/net/tun"

ktcp_lib_init
echo "$marker" >/dev/kmsg

log_since()
{
	dmesg | awk -v m="$1" 'found { print } index($0, m) { found = 1 }'
}

echo "TAP version 13"
out=$ktcp_tmp/fuzz.out
# The time limit: its time, then two handshakes, two transfers and a
# margin for the emulator.  Its diagnostics are shown as they come (a
# crash leaves them in the log), its RESULT lines afterwards as TAP.
# New kernel messages too: an oops in softirq panics the guest, and a
# line or two of it may still make it into the log this way.
dmesg -W 2>/dev/null > >(sed -u 's/^/# kmsg: /') &
kmsg_pid=$!
set +e
KTCP_FUZZ_SECONDS=$seconds timeout -k 10 $((seconds + 240)) "$fuzz" 2>&1 |
	tee "$out" | grep --line-buffered -v '^RESULT '
rc=${PIPESTATUS[0]}
set -e
sleep 1
kill "$kmsg_pid" 2>/dev/null || true
kmsg_pid=
while read -r _ verdict desc; do
	if [ "$verdict" = ok ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc"
	fi
done < <(grep '^RESULT ' "$out" || true)
seed=$(sed -n 's/^# seed //p' "$out" | head -1)

desc="the fuzzer exited by itself within $((seconds + 240)) s"
case $rc in
0|1) tap_ok "$desc" ;;
124|137) tap_fail "$desc" "timed out: ktcp wedged (seed $seed)" ;;
*) tap_fail "$desc" "exit status $rc (seed $seed)" ;;
esac

# Kernel reports since $1 (a marker line in the log).
kernel_reports()
{
	log_since "$1" | grep -E \
		-e 'BUG:|WARNING:|KASAN:|UBSAN:|Oops|general protection fault' \
		-e 'divide error|refcount_t:|list_(add|del) corruption' \
		-e 'blocked for more than|soft lockup|hard LOCKUP|rcu_.*stall' \
		-e 'possible (circular|recursive) locking|inconsistent lock state' \
		-e 'suspicious RCU usage|sleeping function called' \
		-e 'ktcp: socket freed in state' || true
}

desc="no kernel report (KASAN, WARN, BUG, Oops, lockdep, stall, hung task)"
if [ -z "$(kernel_reports "$marker")" ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "seed $seed" "$(log_since "$marker" | head -n 80)"
fi

# The fuzzer's namespace is gone with it; its sockets end by themselves.
desc="rmmod ktcp succeeds once the fuzzer's sockets are gone"
why=
end=$((SECONDS + 360))
while [ "$SECONDS" -lt "$end" ]; do
	refcnt=0
	read -r refcnt 2>/dev/null <"$sysmod/refcnt" || true
	[ "$refcnt" = 0 ] && break
	ktcp_nap 0.5
done
rm_marker="fuzz.sh[$$]: rmmod $(date +%s%N)"
echo "$rm_marker" >/dev/kmsg
if why=$(rmmod ktcp 2>&1); then
	tap_ok "$desc"
	# The sockets' last skbs and pages are only counted at exit.
	desc="ktcp's exit finds every page and socket returned (no report)"
	if [ -z "$(kernel_reports "$rm_marker")" ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "seed $seed" \
			"$(log_since "$rm_marker" | head -n 40)"
	fi
else
	tap_fail "$desc" "$why" "refcnt $(cat "$sysmod/refcnt" 2>/dev/null)"
fi

desc="ktcp.ko loaded again"
if [ -e "$sysmod" ] || why=$(insmod "$ko" 2>&1); then
	tap_ok "$desc"
else
	tap_fail "$desc" "insmod: $why"
fi

[ "$ktcp_nfail" -eq 0 ] || tap_diag "replay: KTCP_FUZZ_SEED=$seed $0 $ko"
echo "1..$ktcp_ntests"
tap_exit
