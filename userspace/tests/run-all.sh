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
# the build directory, as make's BUILD (make test passes it)
B=${KTCP_BUILD:-build}
export KTCP_BUILD=$B

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
suite unit "./$B/tests/unit-tests"
suite unit-asan-ubsan "./$B/tests/unit-tests-san"
# The parser's tests again on its portable scans, where the CPU would
# have had the vector ones chosen (tests/http_test.c).
mapfile -t http_tests < <(sed -n 's/^TEST(\(.*\))$/\1/p' tests/http_test.c)
suite unit-portable-scan env KTCP_TEST_HTTP_SCAN=portable \
	"./$B/tests/unit-tests" "${http_tests[@]}"
suite preload "./$B/tests/preload-tests"
suite interop tests/interop.sh
suite fuzz tests/fuzz.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
