#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build ktcp.ko (and ktcp_kunit.ko where the kernel has KUnit) against
# KDIR in a separate output directory, so one checkout serves several
# kernels.  Any compiler or modpost warning fails the build.
#
# Usage: build-module.sh KDIR OUTDIR [extra make args, e.g. C=2]
set -euo pipefail

kdir=$1 out=$(realpath -m "$2")
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)

[ -f "$kdir/Makefile" ] || { echo "build-module: no kernel build tree at $kdir" >&2; exit 1; }
mkdir -p "$out"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	"$root/Kbuild" "$root/VERSION" "$root/module" "$root/uapi" "$out/"
log=$out/build.log
if ! make -C "$kdir" M="$out" "$@" modules >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module: warnings against $kdir" >&2
	exit 1
fi
# A kernel built with debug info (Debian's) gives the module DWARF:
# 10 MB, where the code is 1 MB.  Every insmod reads and copies the
# whole file, which an emulated guest pays for with seconds a load
# (module_cycle.sh loads it 20 times).  The loaded module keeps its
# symbols (kallsyms names a trace's functions); the debug info stays
# beside it, in NAME.ko.debug, for decoding a trace to lines.
for ko in "$out"/*.ko; do
	cp "$ko" "$ko.debug"
	strip --strip-debug "$ko"
done
ls "$out"/*.ko
