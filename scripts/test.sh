#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test of ktcp, in one command: hygiene (make check), the
# userspace unit tests and the Debian packages on the host, then the
# kselftests inside a VM running Debian's stock 6.1 kernel, and the
# KUnit suites and the kselftests inside one running the 6.12 debug
# kernel (KASAN, lockdep, kmemleak), built meanwhile if it is not cached.
# Ends with one line: "N passed, N failed, N skipped".
#
# Environment: KTCP_SKIP_612=1 or KTCP_SKIP_61=1 leave one kernel out
# (the summary then says so); KTCP_VM_TIMEOUT bounds each VM (s), and
# KTCP_DEADLINE (epoch s, default 85 min from the start) the whole run;
# KTCP_ONLY=wire,kunit runs only those VM suites and KTCP_SKIP_HOST=1
# leaves out make check, the libktcp unit tests and the packages (for
# development).
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cd "$KTCP_ROOT" || exit 1

"$KTCP_ROOT/scripts/install-deps.sh" || ktcp_die "could not install dependencies"

build=$KTCP_ROOT/build
mkdir -p "$build"
passed=0 failed=0 skipped=0 vms_run=

count() # count SUITE PASSED FAILED [SKIPPED]
{
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + ${4:-0}))
	echo "# suite $1: $2 passed, $3 failed, ${4:-0} skipped" >&2
}

check() # check NAME COMMAND...: one verdict for a host step
{
	local name=$1
	shift
	if "$@" >"$build/$name.log" 2>&1; then
		count "$name" 1 0
	else
		tail -40 "$build/$name.log" >&2
		count "$name" 0 1
		return 1
	fi
}

start=$(date +%s)
# CI gives the whole job 90 minutes: every VM's timeout comes out of
# what is left of KTCP_DEADLINE (epoch seconds; .ci/run sets it when the
# job starts), so a slow run ends red with its results, never late.
deadline=${KTCP_DEADLINE:-$((start + 5100))}

# The 6.12 debug kernel takes a fresh machine 22 minutes or more to
# build.  Build it in the background at the lowest priority while the
# host checks and the stock kernel's VM run: the VM sleeps through many
# of its tests' timeouts, and the build takes those cycles.  Only its
# source is needed until then (checkpatch, kselftest_harness.h).
kbuild_pid=
if [ "${KTCP_SKIP_612:-0}" = 1 ]; then
	ksrc=$("$KTCP_ROOT/scripts/build-test-kernel.sh" --source) ||
		ktcp_die "no 6.12 source tree"
else
	tree=$("$KTCP_ROOT/scripts/build-test-kernel.sh" --path)
	if [ -e "$tree/.ktcp-built" ]; then
		ktcp_log "test kernel: reusing the cached 6.12 tree"
	else
		ktcp_log "test kernel: building 6.12 in the background ($build/test-kernel.log)"
		nice -n 19 "$KTCP_ROOT/scripts/build-test-kernel.sh" \
			>"$build/test-kernel.log" 2>&1 &
		kbuild_pid=$!
	fi
	ksrc=$("$KTCP_ROOT/scripts/build-test-kernel.sh" --source) ||
		ktcp_die "no 6.12 source tree"
fi
ktcp_log "kernel source ready in $(( $(date +%s) - start )) s: $ksrc"

stock=$(ktcp_stock_version)
[ -n "$stock" ] || ktcp_die "linux-image-amd64 is not installed"
kdir61=/usr/src/linux-headers-$stock

# The host's own checks: make check, then libktcp's unit tests (in a
# build directory of their own: the VMs copy userspace/build meanwhile).
# A background job: count_host_checks counts what it left.
host_checks()
{
	ktcp_log "host: make check (checkpatch, sparse, -Werror, shellcheck)"
	make check KSRC="$ksrc" KDIR="$kdir61" >"$build/make-check.log" 2>&1
	echo $? >"$build/make-check.rc"
	ktcp_log "host: libktcp unit tests"
	make -C userspace BUILD=../build/userspace-host test \
		>"$build/userspace-test.log" 2>&1
	echo $? >"$build/userspace-test.rc"
	ktcp_log "host: checks done"
}

# count_host_checks: make check's verdict, and the unit tests', each of
# their suites apart: they run twice (plain, and under ASan and UBSan),
# and each run is counted under its name.
count_host_checks()
{
	local log=$build/userspace-test.log rc uf=0 name p f

	rc=$(cat "$build/make-check.rc" 2>/dev/null || echo 1)
	if [ "$rc" -eq 0 ]; then
		count make-check 1 0
	else
		tail -40 "$build/make-check.log" >&2
		count make-check 0 1
	fi
	rc=$(cat "$build/userspace-test.rc" 2>/dev/null || echo 1)
	tail -3 "$log" >&2
	while read -r _ _ name p f; do
		count "host-$name" "$p" "$f"
		uf=$((uf + f))
	done < <(grep -sE '^# result [a-z-]+ [0-9]+ [0-9]+$' "$log")
	grep -qsE '^# result ' "$log" || count host-userspace-tests 0 1
	[ "$rc" -eq 0 ] || [ "$uf" -gt 0 ] || count host-userspace-tests 0 1
}

# count_packages: package-test.sh's steps, each counted.
count_packages()
{
	local rc=$1 log=$build/package-test.log pp pf

	grep -E '^(not )?ok ' "$log" >&2
	pp=$(grep -c '^ok ' "$log")
	pf=$(grep -c '^not ok ' "$log")
	[ "$rc" -eq 0 ] || [ "$pf" -gt 0 ] || pf=1
	[ "$pf" -eq 0 ] || tail -40 "$log" >&2
	count host-packages "$pp" "$pf"
}

# What the VMs need comes first: the modules, the selftests, libktcp,
# and the DKMS tree of the packages (beside the builds).  The host's
# own checks then run beside the VMs, which no longer wait minutes for
# them to begin; the two share the host's CPUs.
pkg_pid='' host_pid=''
rm -f "$build/make-check.rc" "$build/userspace-test.rc"
if [ "${KTCP_SKIP_HOST:-0}" = 1 ]; then
	echo "# host checks and libktcp unit tests skipped (KTCP_SKIP_HOST=1)" >&2
else
	ktcp_log "host: Debian packages, lintian, dkms build (scripts/package-test.sh)"
	KTCP_PKG_KERNEL=$stock KTCP_PKG_DKMS_OUT=$build/dkms-6.1 \
		scripts/package-test.sh >"$build/package-test.log" 2>&1 &
	pkg_pid=$!
fi

ktcp_log "build: modules, selftests and libktcp"
check kmod-6.1 scripts/build-module.sh "$kdir61" "$build/kmod-6.1"
check selftests make -C selftests KSRC="$ksrc"
check userspace make -C userspace
kmod612=0
if [ "${KTCP_SKIP_612:-0}" != 1 ] && [ -z "$kbuild_pid" ] &&
   check kmod-6.12 scripts/build-module.sh "$ksrc" "$build/kmod-6.12"; then
	kmod612=1
fi
if [ -n "$pkg_pid" ]; then
	wait "$pkg_pid"
	count_packages $?
	host_checks &
	host_pid=$!
fi

# count_kunit NAME KSRC RESULTS: the KUnit cases of a VM, as the kernel
# tree's kunit.py parses the KTAP the guest saved.
count_kunit()
{
	local name=$1 ksrc=$2 results=$3 summary kp kf ke

	"$ksrc/tools/testing/kunit/kunit.py" parse "$results/kunit.dmesg" \
		>"$results/kunit.txt" 2>&1
	cat "$results/kunit.txt" >&2
	summary=$(grep -o 'Ran [0-9]* tests:.*' "$results/kunit.txt" | tail -1)
	kp=$(echo "$summary" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
	kf=$(echo "$summary" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
	ke=$(echo "$summary" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
	kp=${kp:-0} kf=$(( ${kf:-0} + ${ke:-0} ))
	[ -n "$summary" ] || kf=1
	count "$name/kunit-cases" "$kp" "$kf"
}

# suites_of KERNEL: the suites that KERNEL's VMs must run, one a line,
# within KTCP_ONLY: every selftests/*_test.c and executable
# selftests/*.sh, and on 6.12 KUnit.  Some run on the stock kernel only
# (debug_skipped), where CI's 90 minutes cannot hold them on the
# emulated debug kernel, and the paths they drive are driven there by
# other suites: libktcp and preload (userspace libraries, dozens of
# program starts at half a second each; connect_test, transfer_test and
# epoll_test drive their kernel paths); wire (ten minutes of tcpdump
# and nc starts; handshakes, RSTs, TIME_WAIT and SYN cookies under a
# flood are driven by hostile, fuzz, stress, syn and module_cycle);
# packetdrill (half an hour there: 25 s a script, and its timings are
# native's, which an emulated debug guest on a busy host misses; the
# MSS floor is driven there by KUnit and hostile, RFC 5961 by hostile
# and paws); transfer
# (bulk data over netem; transfer_test, stress and memory move data
# there); netns (six minutes there of namespace and program starts;
# the per-namespace tables and sysctls are read by every suite, and
# namespaces come and go under floods in module_cycle); trace_test
# (enabling tracepoints patches kernel text with int3 on every vCPU,
# and the emulated debug guest once executed a stale int3 after the
# patch, an "Oops: int3" in trace_sched_wakeup that no tracepoint of
# the test's touched, 2026-12-04, one run in three; ktcp's events are
# the same code on 6.1, where trace_test runs); dkms (the packages and
# their dkms build are for the stock kernel's headers).
debug_skipped="libktcp preload wire packetdrill transfer netns trace_test dkms"
suites_of()
{
	local kernel=$1 f s

	{
		[ "$kernel" = 6.1 ] || echo kunit
		for f in "$KTCP_ROOT"/selftests/*_test.c; do
			basename "$f" .c
		done
		for f in "$KTCP_ROOT"/selftests/*.sh; do
			[ -x "$f" ] || continue
			basename "$f" .sh
		done
	} | while read -r s; do
		[ "$kernel" = 6.1 ] ||
			[[ " $debug_skipped " != *" $s "* ]] || continue
		[ -z "${KTCP_ONLY:-}" ] || [[ ",$KTCP_ONLY," == *",$s,"* ]] ||
			continue
		echo "$s"
	done
}

# any_file FILE...: one of them exists.
any_file()
{
	local f

	for f in "$@"; do
		[ ! -e "$f" ] || return 0
	done
	return 1
}

# expect_suites KERNEL RESULTS...: every suite that KERNEL must run has a
# verdict in one of its VMs' RESULTS/counts; one that left none (it did
# not build, was not staged, or the guest died before it) is a failure.
expect_suites()
{
	local kernel=$1 s
	shift

	for s in $(suites_of "$kernel"); do
		if [ $# -eq 0 ]; then
			count "$kernel/$s-ran" 0 1
			continue
		fi
		if [ "$s" = kunit ]; then
			any_file "${@/%//kunit.dmesg}" ||
				count "$kernel/kunit-ran" 0 1
			continue
		fi
		# grep reads the files itself: "cat | grep -q" under pipefail
		# failed when grep quit before cat was done (SIGPIPE).
		grep -qs "^selftest-$s " "${@/%//counts}" ||
			count "$kernel/selftest-$s-ran" 0 1
	done
}

# Each kernel's suites run in several VMs at once (KTCP_STOCK_VMS,
# default 3; KTCP_DEBUG_VMS, default 2), each VM claiming the next one
# from a list ordered by the seconds each took there (the mean of three warm runs with five VMs on the host,
# three of 6.1 and two of 6.12: 2026-12-04 22:14 and 22:57, 2026-12-05
# 00:35, trees aad63be, 42e1073 and 29b4b66; icmp_test and coexist_test
# on 6.12 from the last two, after their debug volumes shrank;
# module_cycle on 6.1 estimated since its module lost its debug info),
# longest first, so that no long one starts last.  "-": not run on that
# kernel.
#	suite		6.1	6.12
suite_seconds="
	packetdrill	1139	-
	hostile	361	402
	preload	316	-
	module_cycle	250	90
	table_test	232	107
	wire	218	-
	stress	164	87
	transfer	159	-
	netfilter_test	157	199
	paws	138	210
	dkms	130	-
	memory	119	186
	libktcp	89	-
	fuzz	89	149
	transfer_test	87	101
	syn	66	33
	icmp_test	60	155
	edge_test	48	69
	netns	46	-
	bindtodevice_test	31	92
	sockopt_test	20	37
	trace_test	16	-
	epoll_test	16	52
	ipopt_test	13	102
	connect_test	10	63
	poll_test	9	32
	ipv6_test	6	40
	bind_test	6	65
	coexist_test	5	44
	kunit	-	60"

# weight_of KERNEL SUITE: its seconds in suite_seconds, 60 if unknown.
weight_of()
{
	local col=2 w

	[ "$1" = 6.1 ] || col=3
	w=$(echo "$suite_seconds" | awk -v s="$2" -v c="$col" \
		'$1 == s && $c ~ /^[0-9]+$/ { print $c }')
	echo "${w:-60}"
}

# by_weight KERNEL: reads KERNEL's suites, one a line, and prints them
# comma-separated, longest first.
by_weight()
{
	local kernel=$1 s

	while read -r s; do
		echo "$(weight_of "$kernel" "$s") $s"
	done | sort -rn | awk '{ printf "%s%s", (NR > 1 ? "," : ""), $2 }'
}

# vm_cap SECONDS CAP: SECONDS, but at most CAP and KTCP_VM_TIMEOUT.
vm_cap()
{
	local s=$1

	[ "$s" -lt "$2" ] || s=$2
	[ "$s" -lt "${KTCP_VM_TIMEOUT:-4500}" ] || s=${KTCP_VM_TIMEOUT:-4500}
	echo "$s"
}

# vm_start NAME KERNEL MODDIR KSRC|- SUITES CAP CLAIMS: boots a VM in
# the background (its pid in vm_pid) that runs those of the
# comma-separated SUITES it claims first in CLAIMS (guest-tests.sh);
# its output goes to RESULTS/console.log and, prefixed, to stderr.
# It gets at most CAP seconds, and never more than KTCP_DEADLINE leaves.
vm_start()
{
	local name=$1 kernel=$2 moddir=$3 vksrc=$4 suites=$5 cap=$6 claims=$7
	local results=$build/results/$name stage=$build/stage/$name
	local left=$((deadline - $(date +%s) - 60))

	vms_run+=" $name"
	vm_pid=
	rm -rf "$results" "$stage"
	mkdir -p "$results" "$stage"
	if [ "$left" -lt 300 ]; then
		echo "error: vm $name: only ${left}s left before KTCP_DEADLINE" >&2
		return
	fi
	left=$(vm_cap "$left" "$cap")
	# The guest stops starting suites 4 minutes before its timeout:
	# unloading, kmemleak's scans and the dmesg checks still run.
	echo $((left - 240)) >"$results/budget"
	# The guest does not inherit this environment: the suites' own
	# knobs that a developer sets on the host go in a file it reads.
	local v
	for v in KTCP_PACKETDRILL_SETS KTCP_PACKETDRILL_ONLY \
		 KTCP_PACKETDRILL_JOBS KTCP_PACKETDRILL_TIMEOUT \
		 KTCP_PACKETDRILL_VERBOSE; do
		[ -z "${!v:-}" ] || printf 'export %s=%q\n' "$v" "${!v}"
	done >"$results/env"
	# The guest reads its scripts while it runs, for an hour on the
	# debug kernel: give it a copy, so that editing the tree meanwhile
	# cannot change a script under a running bash.
	cp -a "$KTCP_ROOT/scripts" "$KTCP_ROOT/selftests" "$KTCP_ROOT/uapi" \
		"$stage/"
	mkdir -p "$stage/userspace"
	cp -a "$KTCP_ROOT/userspace/build" "$stage/userspace/"
	# The DKMS tree the host's package test built for the stock kernel
	# (selftests/dkms.sh installs and modprobes it there).
	[ "${name%%-*}" != 6.1 ] || [ ! -d "$build/dkms-6.1" ] ||
		cp -a "$build/dkms-6.1" "$stage/dkms"
	# The debug VM that runs KUnit boots with virtme-ng, the way
	# README tells a developer to run ktcp_kunit.ko by hand: each run
	# proves that recipe.  The other boots with scripts/vm-init.sh.
	local vng=0
	[ ! -d "$kernel" ] || [[ ",$suites," != *,kunit,* ]] || vng=1
	ktcp_log "vm $name: booting $kernel for $suites$( ((vng)) && echo ' (virtme-ng)')"
	(
		t0=$(date +%s)
		for attempt in 1 2; do
			KTCP_VM_VNG=$vng KTCP_VM_TIMEOUT=$left \
				KTCP_VM_SHARED=$claims ktcp_vm "$kernel" \
				"$results" "$stage/scripts/guest-tests.sh" \
				"$moddir" "$stage/selftests/build" "$results" \
				"$vksrc" "$suites" "$claims" 2>&1 |
				tee -a "$results/console.log" |
				sed -u "s/^/[$name] /" >&2
			# A guest whose script never began (no boot-dmesg.txt)
			# died booting, silently: one of five guests on two
			# emulated cores once did, a minute in (2026-12-04).
			# Once more, in what time is left; a kernel that cannot
			# boot fails both, and the run with them.
			[ "$attempt" = 1 ] && [ ! -e "$results/boot-dmesg.txt" ] ||
				break
			left=$((deadline - $(date +%s) - 60))
			[ "$left" -ge 300 ] || break
			left=$(vm_cap "$left" "$cap")
			ktcp_log "vm $name: the guest never began its tests; booting it again"
		done
		# Host CPU the guest took (its emulator's, the waited-for
		# children of this subshell): where a run's minutes go.
		times >"$results/host-cpu"
		ktcp_log "vm $name: finished in $(( $(date +%s) - t0 )) s, $(awk 'NR == 2 {
			for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] }
			printf "%d", n }' "$results/host-cpu") s of host CPU"
	) &
	vm_pid=$!
}

# vm_count NAME KSRC|-: sums what VM NAME left in its results.
vm_count()
{
	local name=$1 vksrc=$2 results=$build/results/$1 suite p f s

	[ -f "$results/kunit.dmesg" ] && count_kunit "$name" "$vksrc" "$results"
	if [ -f "$results/counts" ]; then
		while read -r suite p f s; do
			count "$name/$suite" "$p" "$f" "${s:-0}"
		done <"$results/counts"
	fi
	[ -f "$results/done" ] || count "$name/vm-completed" 0 1
}

# start_vms KERNEL IMAGE MODDIR KSRC|- N CAP: boots KERNEL's suites in N
# VMs, each given at most CAP seconds; finish_vms waits for them.  Each
# VM gets the whole list, longest first, and runs what it claims first
# (guest-tests.sh): a VM takes the next suite when it is free, so that
# none is left with the last ten minutes alone when a suite took
# longer this time than suite_seconds says (they vary by half between
# runs).  KUnit only in the first: the VM that boots with virtme-ng.
vm_names=() vm_pids=() vm_ksrcs=() vm_kernels=() kernels_run=()
start_vms()
{
	local kernel=$1 image=$2 moddir=$3 vksrc=$4 n=$5 cap=$6 i
	local claims=$build/results/claims-$kernel all others suites

	all=$(suites_of "$kernel" | by_weight "$kernel")
	others=$(suites_of "$kernel" | grep -vx kunit | by_weight "$kernel")
	kernels_run+=("$kernel")
	rm -rf "$claims"
	mkdir -p "$claims"
	for ((i = 0; i < n; i++)); do
		suites=$others
		[ "$i" -gt 0 ] || suites=$all
		[ -n "$suites" ] || continue
		# Two guests booting at once double each one's boot.
		[ ${#vm_names[@]} -eq 0 ] || sleep "${KTCP_VM_STAGGER:-30}"
		vm_names+=("$kernel-$((i + 1))")
		vm_start "${vm_names[-1]}" "$image" "$moddir" "$vksrc" \
			"$suites" "$cap" "$claims"
		vm_pids+=("$vm_pid")
		vm_ksrcs+=("$vksrc")
		vm_kernels+=("$kernel")
	done
}

# finish_vms: waits for every VM started, then counts their results
# and the suites each kernel's VMs left out.
finish_vms()
{
	local i kernel
	local -a dirs

	for i in "${vm_pids[@]}"; do
		[ -z "$i" ] || wait "$i"
	done
	for i in "${!vm_names[@]}"; do
		vm_count "${vm_names[i]}" "${vm_ksrcs[i]}"
	done
	# Every kernel start_vms was asked for, even one that got no VM.
	for kernel in ${kernels_run[@]+"${kernels_run[@]}"}; do
		dirs=()
		for i in "${!vm_names[@]}"; do
			[ "${vm_kernels[i]}" != "$kernel" ] ||
				dirs+=("$build/results/${vm_names[i]}")
		done
		expect_suites "$kernel" "${dirs[@]}"
	done
}

# One emulated guest keeps a host CPU busy only part of the time (its
# suites sleep through timeouts and retransmission timers): all the VMs
# run at once, the debug kernel's as soon as it is built.
if [ "${KTCP_SKIP_61:-0}" = 1 ]; then
	echo "# 6.1 VM suites skipped (KTCP_SKIP_61=1)" >&2
else
	# Its suites take 20 minutes in one VM alone; one that hangs
	# must not eat the debug kernel's time.
	start_vms 6.1 "/boot/vmlinuz-$stock" "$build/kmod-6.1" - \
		"${KTCP_STOCK_VMS:-3}" 2700
fi
if [ "${KTCP_SKIP_612:-0}" = 1 ]; then
	echo "# 6.12 VM suites skipped (KTCP_SKIP_612=1)" >&2
else
	if [ -n "$kbuild_pid" ]; then
		ktcp_log "test kernel: waiting for the 6.12 build"
		wait "$kbuild_pid" || {
			tail -40 "$build/test-kernel.log" >&2
			ktcp_die "test kernel build failed"
		}
		ksrc=$("$KTCP_ROOT/scripts/build-test-kernel.sh" --path)
		grep 'built in' "$build/test-kernel.log" >&2
	fi
	ktcp_log "test kernel ready $(( $(date +%s) - start )) s into the run"
	if [ "$kmod612" = 1 ] ||
	   check kmod-6.12 scripts/build-module.sh "$ksrc" "$build/kmod-6.12"; then
		start_vms 6.12 "$ksrc" "$build/kmod-6.12" "$ksrc" \
			"${KTCP_DEBUG_VMS:-2}" 4500
	fi
fi
finish_vms
if [ -n "$host_pid" ]; then
	wait "$host_pid"
	count_host_checks
fi

# The last screen of a CI log is often all a reader gets: name every
# failed case right above the verdict, with the diagnostic lines its
# test printed after it (what was expected, what came): a flaky case
# seen once in CI must be explainable from that screen alone.
if [ "$failed" -gt 0 ]; then
	echo "# failed cases:" >&2
	# The shell suites print their diagnostics after "not ok", the
	# kernel's kselftest harness before it (after its "#  RUN").
	awk -v prefix="$build/results/" '
		FNR == 1 { why = 0; n = 0 }
		/^ *not ok |\[FAILED\]/ {
			f = FILENAME
			if (index(f, prefix) == 1)
				f = substr(f, length(prefix) + 1)
			print "#   " f ":" $0
			for (i = 0; i < n; i++)
				print "#     " before[i]
			why = 6; n = 0; next
		}
		/^ *#  RUN / { why = 0; n = 0; next }
		why > 0 && /^ *# / { print "#     " $0; why--; next }
		/^ *# / { if (n < 6) before[n++] = $0; next }
		{ why = 0; n = 0 }' "$build"/results/*/console.log \
		"$build"/results/*/kunit.txt 2>/dev/null | head -60 >&2
	for vm in $vms_run; do
		[ -f "$build/results/$vm/done" ] ||
			echo "#   $vm: the VM did not finish" >&2
	done
fi
[ -z "${KTCP_ONLY:-}" ] ||
	echo "# only these VM suites ran: $KTCP_ONLY (KTCP_ONLY)" >&2
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
