#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The data-transfer benchmark: build ktcp.ko and selftests/ktcp_bench,
# boot Debian's stock kernel in a VM, and run ktcp and native TCP side
# by side in that one boot, over loopback and over a veth pair between
# two namespaces.  Prints the bench's Markdown table (with the kernel,
# the date and the vCPUs); it reports, it asserts nothing.  The
# defaults are meant to take about 15 minutes under software emulation.
#
#   scripts/bench.sh [ktcp_bench options, e.g. --repeat 3 --conns-list 10000]
#
# The options are ktcp_bench's (see its header): --bulk-mib, --seconds,
# --repeat, --conns-list, --paths, --only, --metrics.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cd "$KTCP_ROOT" || exit 1

"$KTCP_ROOT/scripts/install-deps.sh" || ktcp_die "could not install dependencies"
stock=$(ktcp_stock_version)
[ -n "$stock" ] || ktcp_die "linux-image-amd64 is not installed"
ksrc=$("$KTCP_ROOT/scripts/build-test-kernel.sh" --path 2>/dev/null) ||
	ksrc=
scripts/build-module.sh "/usr/src/linux-headers-$stock" build/kmod-6.1 >/dev/null ||
	ktcp_die "module build failed"
make -s -C selftests ${ksrc:+KSRC="$ksrc"} >/dev/null ||
	ktcp_die "selftests build failed (kselftest_harness.h from the test kernel tree)"

results=$KTCP_ROOT/build/results/bench
ktcp_log "booting Debian's $stock kernel in a VM"
ktcp_vm "/boot/vmlinuz-$stock" "$results" "$KTCP_ROOT/scripts/guest-bench.sh" \
	"$KTCP_ROOT/build/kmod-6.1" "$KTCP_ROOT/selftests/build" "$results" "$@"
