#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man-lint.sh: the man pages of man/ (make man-lint, part of make check).
#
# 1. Every page renders without a warning: "groff -ww -man -Tutf8 -z" and
#    "mandoc -T lint -W warning" print nothing.
# 2. The pages name what the code has, so that they cannot fall behind:
#    every function declared in userspace/include/ktcp/HEADER.h is in the
#    NAME section of man/libktcp-HEADER.3, which names nothing else; and
#    ktcp.7 has every sysctl, /proc/net/ktcp_snmp counter and gauge,
#    SOL_TCP option, ioctl, tracepoint, tracepoint reason and module
#    parameter of module/.
#
# Silent with status 0 when all is well; otherwise every finding on
# stderr and status 1.  A second or so.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

status=0
finding()
{
	printf 'man-lint: %s\n' "$*" >&2
	status=1
}

for tool in groff mandoc; do
	command -v "$tool" >/dev/null || {
		echo "man-lint: $tool is not installed (scripts/install-deps.sh installs it)" >&2
		exit 1
	}
done

# 1. Rendering.
for page in man/*.[1-9]; do
	out=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$page" 2>&1
	      mandoc -T lint -W warning "$page" 2>&1)
	[ -z "$out" ] || finding "$out"
done

# 2a. Each public header against its page.
for header in userspace/include/ktcp/*.h; do
	name=$(basename "$header" .h)
	page=man/libktcp-$name.3
	if [ ! -f "$page" ]; then
		finding "$header has no page $page"
		continue
	fi
	# Prototypes: a line that starts with a type and names ktcp_*(.
	declared=$(grep -E '^[a-z][^(;]*[ *]ktcp_[a-z0-9_]+\(' "$header" |
		grep -v '^typedef' |
		sed -E 's/^[^(]*[ *](ktcp_[a-z0-9_]+)\(.*/\1/' | sort -u)
	named=$(scripts/install-man.sh --names "$page" |
		grep -vx "libktcp-$name" | sort -u)
	for f in $(comm -23 <(echo "$declared") <(echo "$named")); do
		finding "$f() of $header is not in the NAME section of $page"
	done
	for f in $(comm -13 <(echo "$declared") <(echo "$named")); do
		finding "$page names $f, which $header does not declare"
	done
done

# 2b. ktcp.7 against module/.
page=man/ktcp.7
has_word() { grep -qw -- "$1" "$page"; }

# sysctls: a tag of the Sysctls list (".IR name ...").
for s in $(sed -nE -e '/^#define/d' -e 's/.*KTCP_SYSCTL_INTS?\(([a-z0-9_]+),.*/\1/p' \
		   -e 's/.*\.procname[[:space:]]*=[[:space:]]*"([a-z0-9_]+)".*/\1/p' \
		   module/sysctl.c | sort -u); do
	grep -qE "^\.IR? $s( |$)" "$page" || finding "sysctl net.ktcp.$s is not in $page"
done
# counters and gauges of /proc/net/ktcp_snmp
for c in $(sed -nE -e 's/^[[:space:]]*\[KTCP_MIB_[A-Z0-9_]+\][[:space:]]*= "([A-Za-z0-9]+)",.*/\1/p' \
		   -e 's/.*seq_printf\(seq, "(Ktcp[A-Za-z]+) %.*/\1/p' \
		   module/proc.c | sort -u); do
	has_word "$c" || finding "counter $c is not in $page"
done
# SOL_TCP options and ioctls
for o in $(grep -ohE '(case|optname ==) (TCP|SIOC)[A-Z0-9_]+' module/sockopt.c |
	   awk '{ print $NF }' | sort -u); do
	has_word "$o" || finding "$o is not in $page"
done
# tracepoints and the reasons they carry
for t in $(sed -nE -e 's/^TRACE_EVENT\(([a-z0-9_]+),.*/\1/p' \
		   -e 's/^DEFINE_EVENT\([a-z0-9_]+, ([a-z0-9_]+),.*/\1/p' \
		   module/ktcp_trace.h | sort -u); do
	has_word "ktcp:$t" || finding "tracepoint ktcp:$t is not in $page"
done
for r in $(sed -nE 's/.*EMe?\((KTCP_[A-Z0-9_]+)\).*/\1/p' module/ktcp_trace.h | sort -u); do
	has_word "$r" || finding "tracepoint value $r is not in $page"
done
# module parameters: a tag of the Module parameters list (".I name")
for p in $(sed -nE 's/^module_param\(([a-z0-9_]+),.*/\1/p' module/*.c | sort -u); do
	grep -qx "\.I $p" "$page" || finding "module parameter $p is not in $page"
done

exit $status
