#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (see vm-tests.sh): load ktcp.ko, run the KUnit
# module and the kselftests, unload, then judge the kernel log.  Every
# verdict is a TAP line on stdout; RESULTS/counts gets one line per
# suite, "suite passed failed", for the host to sum.
#
# Usage: guest-tests.sh MODULE_DIR SELFTEST_DIR RESULTS KSRC|- [ONLY [CLAIMS]]
# ONLY, a comma-separated list of suite names (kunit, bind_test, wire,
# ...), runs just those, in that order; the module checks and hygiene
# always run.  CLAIMS, a directory the VMs of one kernel share: a suite
# runs in the VM that claims it first (mkdir CLAIMS/NAME), so that VMs
# given the same list share it out as each becomes free, whatever
# each suite takes this time.
set -u

moddir=$1 stdir=$2 results=$3 ksrc=$4 only=${5:-} claims=${6:-}

# The stock kernel's VM shares the host's /usr a second time (ktcp_vm in
# lib.sh): mounted with a page cache, a program started again is read
# from memory, not over 9p.
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=loose,ro \
	ktcp.usr /usr 2>/dev/null; then
	echo "# /usr: the host's, with a page cache (cache=loose)"
fi
root=$(cd "$(dirname "$0")/.." && pwd)
counts=$results/counts
: >"$counts"
n=0

tap() # tap PASSED(0|1) SUITE NAME
{
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2: $3"
		echo "$2 1 0 0" >>"$counts"
	else
		echo "not ok $n - $2: $3"
		echo "$2 0 1 0" >>"$counts"
	fi
}

# Wait (at most 120 s) until no process holds a ktcp socket (orphans do
# not hold the module: its unload ends them).  A reference that never
# goes away is a leak, and the next rmmod says so.
ktcp_wait_idle()
{
	local _

	for _ in $(seq 240); do
		[ -r /sys/module/ktcp/refcnt ] || return 0
		[ "$(cat /sys/module/ktcp/refcnt)" = 0 ] && return 0
		sleep 0.5
	done
	echo "# ktcp still in use after 120 s: refcnt $(cat /sys/module/ktcp/refcnt)"
	echo "# /proc/net/ktcp of the initial namespace:"
	sed 's/^/#   /' /proc/net/ktcp
	return 1
}

# tap_count FILE RC: sets sp, sf and ss, the passes, failures and skips
# of a plain TAP stream.  "ok ... # SKIP" is a skip, not a pass; a plan
# (1..N) that the results do not fill, a run with no result at all, and
# an exit status other than 0 or 4 (kselftest's skip) are failures.
tap_count()
{
	local file=$1 rc=$2 plan

	ss=$(grep -Ec '^ok .*# *(SKIP|skip)' "$file")
	sp=$(( $(grep -c '^ok ' "$file") - ss ))
	sf=$(grep -c '^not ok ' "$file")
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$file" | head -1)
	if [ -n "$plan" ] && [ $((sp + sf + ss)) -ne "$plan" ]; then
		echo "# $(basename "$file"): plan 1..$plan, $((sp + sf + ss)) results"
		sf=$((sf + 1))
	fi
	[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || [ "$sf" -gt 0 ] || sf=1
	[ $((sp + sf + ss)) -gt 0 ] || grep -q '^1\.\.0 # SKIP' "$file" || sf=1
	[ "$ss" -gt 0 ] || ! grep -q '^1\.\.0 # SKIP' "$file" || ss=1
}

# cpu_busy: the guest's CPUs' busy time so far, in clock ticks (all of
# /proc/stat's first line but idle and iowait).  A suite's share says
# where a run's host CPU goes: a suite that waits costs the host little,
# one that computes holds a host CPU for its emulated vCPU.
cpu_busy()
{
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# The host gives this VM a budget (RESULTS/budget, seconds of uptime)
# out of CI's 90 minutes.  A suite that would start after it, or runs
# past it, fails as such, and the unload and hygiene checks still run.
budget=$(cat "$results/budget" 2>/dev/null || echo 1000000)
# What the host's environment set for the suites (RESULTS/env).
# shellcheck disable=SC1091
[ ! -r "$results/env" ] || . "$results/env"
time_left()
{
	echo $((budget - $(cut -d. -f1 /proc/uptime)))
}

# out_of_time NAME: fails suite NAME, without running it, once the
# budget is spent.
out_of_time()
{
	[ "$(time_left)" -lt 30 ] || return 1
	echo "# selftest $1: not run, the run's time is up (KTCP_DEADLINE)"
	echo "selftest-$1 0 1 0" >>"$counts"
}

# claimed NAME: this VM runs suite NAME (no CLAIMS, or its claim came
# first: mkdir is atomic on the host's side of the share).
claimed()
{
	[ -z "$claims" ] || mkdir "$claims/$1" 2>/dev/null
}

debugfs=/sys/kernel/debug
mountpoint -q $debugfs || mount -t debugfs none $debugfs 2>/dev/null
kmemleak=$debugfs/kmemleak

# The emulated debug kernel (KASAN, lockdep, kmemleak) runs ktcp 20 to
# 30 times slower than the stock kernel: a 100 MiB transfer takes a
# minute, a load/unload cycle two.  Its checkers see every code path
# at any volume, so there the volumes shrink and the stock kernel
# keeps the full ones; that holds the whole debug run under 45 min.
# Suites read KTCP_DEBUG_KERNEL=1 to shrink their own volumes.
if [ -e $kmemleak ]; then
	export KTCP_DEBUG_KERNEL=1
	export KTCP_CYCLES=${KTCP_CYCLES:-2}
	export KTCP_TRANSFER_MIB=${KTCP_TRANSFER_MIB:-8}
	export KTCP_NETEM_BYTES=${KTCP_NETEM_BYTES:-500000}
	# A thousand SYNs a second fill the SYN queue within a second and
	# keep the cookies coming; hping3 --flood left the guest no time
	# for the exchanges the flood cases are about.
	export KTCP_FLOOD_RATE=${KTCP_FLOOD_RATE:--i u1000}
fi

# The native reference variants of the kselftests (inet, inet6) test
# the native stack only; the stock kernel's run compares ktcp with
# them, and the debug kernel leaves them out (-V: exclude a variant).
native_variants=()
if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	native_variants=(-V inet -V inet6)
fi

echo "# kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
# Where the boot spent its time, before the log is cleared for the tests.
dmesg >"$results/boot-dmesg.txt"
dmesg -C
if [ -w $kmemleak ]; then
	# Forget what boot left behind: only our leaks count.
	echo scan >$kmemleak
	echo clear >$kmemleak
fi

insmod "$moddir/ktcp.ko"
tap $? module "insmod ktcp.ko"
[ -d /sys/module/ktcp ] || { echo "# ktcp.ko did not load; stopping"; exit 1; }

# KUnit: the suites run when ktcp_kunit.ko loads.  The host parses the
# KTAP with kunit.py (scripts/test.sh): Python under emulation needs
# minutes for what the host does in a second.
run_kunit()
{
	if [ -f "$moddir/ktcp_kunit.ko" ] && [ -d $debugfs/kunit ] && [ "$ksrc" != - ]; then
		t0=$(date +%s)
		insmod "$moddir/ktcp_kunit.ko"
		tap $? kunit "insmod ktcp_kunit.ko"
		dmesg >"$results/kunit.dmesg"
		rmmod ktcp_kunit
		echo "# kunit: ran in $(( $(date +%s) - t0 )) s; KTAP in kunit.dmesg"
	else
		echo "# kunit: not run (kernel without CONFIG_KUNIT)"
	fi
}

# run_harness_test NAME: a kselftest_harness binary, which ends with
# "# Totals: pass:N fail:N ...".
run_harness_test()
{
	local name=$1 t=$stdir/$1 rc totals se

	timeout -k 10 "$(time_left)" \
		"$t" ${native_variants[@]+"${native_variants[@]}"} 2>&1 |
		tee "$results/$name.tap"
	rc=${PIPESTATUS[0]}
	[ "$rc" -ne 124 ] || echo "# selftest $name: cut, the run's time is up"
	totals=$(grep '^# Totals:' "$results/$name.tap" | tail -1)
	sp=$(echo "$totals" | sed -n 's/.* pass:\([0-9]*\).*/\1/p')
	sf=$(echo "$totals" | sed -n 's/.* fail:\([0-9]*\).*/\1/p')
	se=$(echo "$totals" | sed -n 's/.* error:\([0-9]*\).*/\1/p')
	ss=$(echo "$totals" | sed -n 's/.* skip:\([0-9]*\).*/\1/p')
	sp=${sp:-0} sf=$(( ${sf:-0} + ${se:-0} )) ss=${ss:-0}
	[ -n "$totals" ] || sf=$((sf + 1))
	[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || [ "$sf" -gt 0 ] || sf=1
}

# run_shell_suite NAME: selftests/NAME.sh, which prints plain TAP.
run_shell_suite()
{
	local name=$1 rc

	ktcp_wait_idle
	KTCP_KO="$moddir/ktcp.ko" SELFTEST_DIR="$stdir" \
		timeout -k 10 "$(time_left)" "$root/selftests/$name.sh" \
		"$moddir/ktcp.ko" 2>&1 | tee "$results/$name.tap"
	rc=${PIPESTATUS[0]}
	[ "$rc" -ne 124 ] || echo "# selftest $name: cut, the run's time is up"
	tap_count "$results/$name.tap" "$rc"
}

# The suites: ONLY's, in its order, or every one there is.
if [ -n "$only" ]; then
	IFS=, read -r -a suites <<<"$only"
else
	suites=(kunit)
	for t in "$stdir"/*_test; do
		[ ! -x "$t" ] || suites+=("$(basename "$t")")
	done
	for t in "$root"/selftests/*.sh; do
		[ ! -x "$t" ] || suites+=("$(basename "$t" .sh)")
	done
fi
for name in "${suites[@]}"; do
	claimed "$name" || continue
	if [ "$name" = kunit ]; then
		run_kunit
		continue
	fi
	out_of_time "$name" && continue
	echo "# selftest $name"
	t0=$(date +%s) c0=$(cpu_busy)
	if [[ $name == *_test ]] && [ -x "$stdir/$name" ]; then
		run_harness_test "$name"
	elif [ -x "$root/selftests/$name.sh" ]; then
		run_shell_suite "$name"
	else
		# The host fails a suite that left no verdict.
		echo "# selftest $name: no such suite here"
		continue
	fi
	echo "selftest-$name $sp $sf $ss" >>"$counts"
	echo "# selftest $name took $(( $(date +%s) - t0 )) s, $(( ($(cpu_busy) - c0) / $(getconf CLK_TCK) )) s of CPU"
	[ -r /proc/net/ktcp_snmp ] && echo "# counters: $(tr '\n' ' ' </proc/net/ktcp_snmp)"
done

if [ -d /sys/module/ktcp ]; then
	ktcp_wait_idle
	rmmod ktcp
	tap $? module "rmmod ktcp after all suites"
else
	tap 1 module "ktcp still loaded before the final rmmod"
fi

if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	# kmemleak reports an object once it has been unreferenced for 5 s
	# and seen so by a scan.  It turns itself off when its object pool
	# runs out, and then finds nothing: that is a failure, not a pass.
	sleep 6
	if echo scan 2>/dev/null >$kmemleak && echo scan 2>/dev/null >$kmemleak; then
		tap 0 hygiene "kmemleak scans"
	else
		tap 1 hygiene "kmemleak scans (it could not be triggered: disabled?)"
	fi
	cat $kmemleak >"$results/kmemleak.txt" 2>/dev/null
	leaks=$(grep -c '^unreferenced object' "$results/kmemleak.txt")
	[ "$leaks" -eq 0 ] || head -60 "$results/kmemleak.txt"
	tap "$leaks" hygiene "kmemleak reports no leak ($leaks found)"
fi

dmesg >"$results/dmesg.txt"
bad='BUG:|WARNING:|KASAN:|Oops|general protection fault|circular locking|recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called from invalid context|refcount_t:|UBSAN:|rcu: INFO:|detected stalls? on CPU|self-detected stall|soft lockup|hard LOCKUP|blocked for more than [0-9]+ seconds|kmemleak: .*disabled|kmemleak: Cannot allocate'
# Known, not ktcp's: with 5-level paging, the 6.12 debug kernel under
# emulation at times takes an interrupt inside identify_cpu() while the
# boot CPU's feature bits are being read again; KASAN then uses the
# 4-level shadow bounds and reports rcu_is_watching() (irqflags
# tracing) before any module is loaded.  The VM now boots without LA57
# (ktcp_qemu_args), which should end it; should it come back, it is a
# skip, said as such, never a pass: it turns lockdep off for the whole
# VM.  Any other report fails.
early=$(awk '/BUG: KASAN: wild-memory-access in rcu_is_watching/ { on = 1 }
	on { print } on && /^\[ *[0-9.]+\] =+$/ { on = 0 }' \
	"$results/boot-dmesg.txt")
if [ -n "$early" ] && echo "$early" | grep -q start_kernel; then
	grep -v -F -x -f <(echo "$early") "$results/boot-dmesg.txt" \
		>"$results/boot-dmesg-rest.txt"
	if grep -Eq "$bad" "$results/boot-dmesg-rest.txt"; then
		:
	else
		echo "$early" | head -30 | sed 's/^/# /'
		n=$((n + 1))
		echo "ok $n - hygiene: boot-dmesg, the kernel's early-boot KASAN report under emulation (before ktcp; lockdep off for this VM) # SKIP not ktcp's"
		echo "hygiene 0 0 1" >>"$counts"
		cp "$results/boot-dmesg-rest.txt" "$results/boot-dmesg.txt"
	fi
fi
for log in boot-dmesg dmesg; do
	if grep -Eq "$bad" "$results/$log.txt"; then
		grep -E -A30 "$bad" "$results/$log.txt" | head -80
		tap 1 hygiene "$log is free of KASAN, lockdep, WARN, BUG, Oops, stalls, hung tasks, kmemleak off"
	else
		tap 0 hygiene "$log is free of KASAN, lockdep, WARN, BUG, Oops, stalls, hung tasks, kmemleak off"
	fi
done
touch "$results/done"
