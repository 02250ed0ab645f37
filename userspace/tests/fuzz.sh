#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bounded libFuzzer runs, for "make test": every target first replays
# its regression inputs (fuzz/regressions/<target>/, crashes found
# earlier, kept after their fix), then fuzzes for KTCP_FUZZ_SECONDS
# (default 20) from those inputs and the seeds in fuzz/seeds/<target>/.  A crash is copied into the
# regression directory's "new" folder for a human to look at, and fails
# the run.  Prints ok/not ok lines and "P passed, F failed".
cd "$(dirname "$0")/.." || exit 1
secs=${KTCP_FUZZ_SECONDS:-20}
n=0 passed=0 failed=0
work=$(mktemp -d /tmp/ktcp-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

result()
{
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n $1"
	else
		failed=$((failed + 1))
		echo "not ok $n $1"
	fi
}

for target in http_fuzz ws_fuzz; do
	bin=${KTCP_BUILD:-build}/fuzz/$target
	reg=fuzz/regressions/$target
	if [ ! -x "$bin" ]; then
		result "$target is built (make fuzz needs clang)" 1
		continue
	fi
	inputs=("$reg"/*)
	if [ -e "${inputs[0]}" ]; then
		"$bin" -runs=0 "${inputs[@]}" >"$work/$target.replay" 2>&1
		rc=$?
		[ $rc -ne 0 ] && tail -20 "$work/$target.replay" | sed 's/^/#   /'
		result "$target: ${#inputs[@]} regression inputs replay cleanly" $rc
	fi
	mkdir -p "$work/$target.corpus"
	cp fuzz/seeds/$target/* "$work/$target.corpus/" 2>/dev/null
	[ -e "${inputs[0]}" ] && cp "${inputs[@]}" "$work/$target.corpus/"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$target-" -print_final_stats=1 \
		"$work/$target.corpus" >"$work/$target.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		tail -30 "$work/$target.log" | sed 's/^/#   /'
		mkdir -p "$reg/new"
		cp "$work/$target-"* "$reg/new/" 2>/dev/null
	fi
	execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -oE '[0-9]+$')
	result "$target: ${secs} s of fuzzing without a crash (${execs:-?} runs)" $rc
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
