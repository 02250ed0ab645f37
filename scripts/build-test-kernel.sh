#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the 6.12 debug test kernel from Debian's linux-source-6.12
# package with virtme-ng's minimal config plus scripts/test-kernel.config.
# The tree is cached outside the clone, keyed by the source package
# version and the fragment's hash, so a rerun only prints its path.
#
# Usage: scripts/build-test-kernel.sh          builds if needed, prints the tree
#        scripts/build-test-kernel.sh --path   only prints where it would be
#        scripts/build-test-kernel.sh --source prints a source tree for
#               checkpatch, kselftest_harness.h and kunit.py: the built
#               tree if there is one, else the source only unpacked
#               (a minute, not the build's 22), for runs without 6.12
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fragment="$here/test-kernel.config"
tarball=/usr/src/linux-source-6.12.tar.xz

[ -r "$tarball" ] || {
	echo "build-test-kernel: $tarball missing (apt-get install linux-source-6.12)" >&2
	exit 1
}
version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$(sha256sum "$fragment" | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ktcp
tree="$cache/linux-$version-$key"

if [ "${1:-}" = --path ] || [ -e "$tree/.ktcp-built" ]; then
	echo "$tree"
	exit 0
fi

mkdir -p "$cache"
if [ "${1:-}" = --source ]; then
	src="$cache/source-$version"
	if [ ! -e "$src/.ktcp-unpacked" ]; then
		rm -rf "$src.tmp.$$"
		mkdir -p "$src.tmp.$$"
		tar -xf "$tarball" -C "$src.tmp.$$" --strip-components=1
		touch "$src.tmp.$$/.ktcp-unpacked"
		# Two runs may race here: the first one's tree wins.
		mv -T "$src.tmp.$$" "$src" 2>/dev/null || rm -rf "$src.tmp.$$"
	fi
	echo "$src"
	exit 0
fi

# One build at a time: a second run waits for the first one's tree
# instead of deleting it half built.
exec 9>"$cache/.build.lock"
flock 9
if [ -e "$tree/.ktcp-built" ]; then
	echo "$tree"
	exit 0
fi
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
echo "build-test-kernel: unpacking $tarball" >&2
tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
mv "$tree.tmp" "$tree"
cd "$tree"

echo "build-test-kernel: configuring (virtme-ng base + $fragment)" >&2
vng --kconfig --config "$fragment" >/dev/null 2>&1
# virtme-ng appends its own defaults after our fragment and turns DWARF
# back on (about a third of the build time): switch it off afterwards.
scripts/config --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
	--disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 \
	--enable DEBUG_INFO_NONE
# Its graphics and sound (DRM with i915, ALSA) are a sixth of the
# objects, and a guest with -display none and no sound card needs none.
scripts/config --disable DRM --disable SOUND --disable AGP --disable FB \
	--disable VGA_ARB
# vng's base may leave dependent symbols unresolved; settle them.
make olddefconfig >&2
for opt in KUNIT KASAN KASAN_INLINE HZ_250 PROVE_LOCKING DEBUG_KMEMLEAK NETFILTER NET_NS VETH \
	   IPV6 NET_SCH_NETEM TUN PACKET DEBUG_ATOMIC_SLEEP USER_NS NF_TABLES \
	   NF_CONNTRACK DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR NET_VRF; do
	grep -q "^CONFIG_$opt=y" .config || {
		echo "build-test-kernel: CONFIG_$opt did not stick" >&2
		exit 1
	}
done

echo "build-test-kernel: building with $(nproc) jobs" >&2
start=$(date +%s)
make -j"$(nproc)" >"$tree/build.log" 2>&1 || {
	tail -40 "$tree/build.log" >&2
	exit 1
}
echo "build-test-kernel: built in $(( $(date +%s) - start )) s" >&2
touch .ktcp-built
echo "$tree"
