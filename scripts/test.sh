#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test of ktcp, in one command: hygiene (make check) and the
# userspace unit tests on the host, then the KUnit suites and the
# kselftests inside a VM running the 6.12 debug kernel (KASAN, lockdep,
# kmemleak) and inside one running Debian's stock 6.1 kernel.
# Ends with one line: "N passed, N failed, N skipped".
#
# Environment: KTCP_SKIP_612=1 or KTCP_SKIP_61=1 leave one kernel out
# (the summary then says so); KTCP_VM_TIMEOUT bounds each VM (s);
# KTCP_ONLY=wire,kunit runs only those VM suites and KTCP_SKIP_HOST=1
# leaves out make check and the libktcp unit tests (for development).
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
if [ "${KTCP_SKIP_612:-0}" = 1 ]; then
	# No 6.12 VM: its source alone serves checkpatch and the harness.
	ksrc=$("$KTCP_ROOT/scripts/build-test-kernel.sh" --source) ||
		ktcp_die "no 6.12 source tree"
else
	ktcp_log "test kernel: building or reusing the cached 6.12 tree"
	ksrc=$("$KTCP_ROOT/scripts/build-test-kernel.sh") ||
		ktcp_die "test kernel build failed"
fi
ktcp_log "kernel source ready in $(( $(date +%s) - start )) s: $ksrc"

stock=$(ktcp_stock_version)
[ -n "$stock" ] || ktcp_die "linux-image-amd64 is not installed"
kdir61=/usr/src/linux-headers-$stock

if [ "${KTCP_SKIP_HOST:-0}" = 1 ]; then
	echo "# host checks and libktcp unit tests skipped (KTCP_SKIP_HOST=1)" >&2
	make -C userspace >"$build/userspace-build.log" 2>&1 ||
		ktcp_die "userspace build failed: $build/userspace-build.log"
else
	ktcp_log "host: make check (checkpatch, sparse, -Werror, shellcheck)"
	check make-check make check KSRC="$ksrc" KDIR="$kdir61"

	ktcp_log "host: libktcp unit tests"
	make -C userspace test >"$build/userspace-test.log" 2>&1
	rc=$?
	tail -3 "$build/userspace-test.log" >&2
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$build/userspace-test.log" | tail -1)
	up=${line%% passed*} uf=${line#*, } uf=${uf%% failed}
	[ -n "$line" ] || { up=0 uf=1; }
	[ $rc -eq 0 ] || [ "$uf" -gt 0 ] || uf=1
	count userspace "$up" "$uf"
fi

ktcp_log "build: modules and selftests"
[ "${KTCP_SKIP_612:-0}" = 1 ] ||
	check kmod-6.12 scripts/build-module.sh "$ksrc" "$build/kmod-6.12"
check kmod-6.1 scripts/build-module.sh "$kdir61" "$build/kmod-6.1"
check selftests make -C selftests KSRC="$ksrc"

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

# expect_suites NAME RESULTS: every suite that kernel NAME must run has
# a verdict in RESULTS/counts; one that left none (it did not build, was
# not staged, or the guest died before it) is a failure.
expect_suites()
{
	local name=$1 results=$2 f s want=()

	for f in "$KTCP_ROOT"/selftests/*_test.c; do
		want+=("selftest-$(basename "$f" .c)")
	done
	for f in "$KTCP_ROOT"/selftests/*.sh; do
		[ -x "$f" ] || continue
		s=$(basename "$f" .sh)
		# libktcp and preload run on the stock kernel only
		# (guest-tests.sh's debug_skipped).
		if [ "$name" = 6.12 ]; then
			case $s in libktcp | preload) continue ;; esac
		fi
		want+=("selftest-$s")
	done
	for s in "${want[@]}"; do
		if [ -n "${KTCP_ONLY:-}" ] &&
		   [[ ",$KTCP_ONLY," != *",${s#selftest-},"* ]]; then
			continue
		fi
		grep -q "^$s " "$results/counts" 2>/dev/null ||
			count "$name/$s-ran" 0 1
	done
	if [ "$name" = 6.12 ] && { [ -z "${KTCP_ONLY:-}" ] ||
	   [[ ",$KTCP_ONLY," == *",kunit,"* ]]; }; then
		[ -f "$results/kunit.dmesg" ] || count "$name/kunit-ran" 0 1
	fi
}

run_vm() # run_vm NAME KERNEL MODDIR KSRC|-
{
	local name=$1 kernel=$2 moddir=$3 vksrc=$4
	local results=$build/results/$name

	vms_run+=" $name"

	local stage=$build/stage/$name

	rm -rf "$results" "$stage"
	mkdir -p "$results" "$stage"
	# The guest reads its scripts while it runs, for an hour on the
	# debug kernel: give it a copy, so that editing the tree meanwhile
	# cannot change a script under a running bash.
	cp -a "$KTCP_ROOT/scripts" "$KTCP_ROOT/selftests" "$KTCP_ROOT/uapi" \
		"$stage/"
	mkdir -p "$stage/userspace"
	cp -a "$KTCP_ROOT/userspace/build" "$stage/userspace/"
	ktcp_log "vm $name: booting $kernel"
	local t0

	t0=$(date +%s)
	ktcp_vm "$kernel" "$results" "$stage/scripts/guest-tests.sh" \
		"$moddir" "$stage/selftests/build" "$results" "$vksrc" \
		"${KTCP_ONLY:-}" 2>&1 |
		tee "$results/console.log"
	ktcp_log "vm $name: finished in $(( $(date +%s) - t0 )) s"
	[ -f "$results/kunit.dmesg" ] && count_kunit "$name" "$vksrc" "$results"
	if [ -f "$results/counts" ]; then
		while read -r suite p f s; do
			count "$name/$suite" "$p" "$f" "${s:-0}"
		done <"$results/counts"
	fi
	expect_suites "$name" "$results"
	[ -f "$results/done" ] || count "$name/vm-completed" 0 1
}

if [ "${KTCP_SKIP_612:-0}" = 1 ]; then
	echo "# 6.12 VM suites skipped (KTCP_SKIP_612=1)" >&2
else
	run_vm 6.12 "$ksrc" "$build/kmod-6.12" "$ksrc"
fi
if [ "${KTCP_SKIP_61:-0}" = 1 ]; then
	echo "# 6.1 VM suites skipped (KTCP_SKIP_61=1)" >&2
else
	run_vm 6.1 "/boot/vmlinuz-$stock" "$build/kmod-6.1" -
fi

# The last screen of a CI log is often all a reader gets: name every
# failed case right above the verdict.
if [ "$failed" -gt 0 ]; then
	echo "# failed cases:" >&2
	grep -H -E '^ *not ok |\[FAILED\]' "$build"/results/*/console.log \
		"$build"/results/*/kunit.txt 2>/dev/null |
		sed "s|^$build/results/|#   |" | head -40 >&2
	for vm in $vms_run; do
		[ -f "$build/results/$vm/done" ] ||
			echo "#   $vm: the VM did not finish" >&2
	done
fi
[ -z "${KTCP_ONLY:-}" ] ||
	echo "# only these VM suites ran: $KTCP_ONLY (KTCP_ONLY)" >&2
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
