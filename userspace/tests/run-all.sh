#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every libktcp suite -- unit tests, the same under ASan and UBSan,
# libktcp-preload.so's host tests, interop tests against real peers,
# bounded fuzz runs -- and end with one line "P passed, F failed"
# summing them all.  Each suite's own summary line is shown as a
# comment.  A suite that exits nonzero without counting a failure, or
# prints no summary, counts as one failure.  Exit status: 0 only if
# nothing failed.
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() # suite NAME COMMAND...
{
	local name=$1 rc line p f
	shift
	echo "# suite $name: $*"
	"$@" 2>&1 | tee "$log" |
		sed -E "s/^([0-9]+ passed, [0-9]+ failed)$/# $name: \1/"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	if [ -z "$line" ]; then
		p=0 f=1
		echo "not ok $name: no summary line (exit $rc)"
	else
		p=${line%% passed*}
		f=${line#*, }
		f=${f%% failed}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "not ok $name: exit $rc"
		fi
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	# One line a suite for scripts/test.sh, which counts each apart.
	echo "# result $name $p $f"
}

# The same unit tests twice: plainly, and built with ASan and UBSan.
# Both are real runs, each counted under its own name.
suite unit ./build/tests/unit-tests
suite unit-asan-ubsan ./build/tests/unit-tests-san
suite preload ./build/tests/preload-tests
suite interop tests/interop.sh
suite fuzz tests/fuzz.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
