#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh - the module DKMS built from the ktcp-dkms package, installed
# by dkms and loaded by "modprobe ktcp", as a user who installed the
# package gets it.
#
#   dkms.sh
#
# The host's package test (scripts/package-test.sh) builds the packages,
# lets dkms add and build the packaged source for this kernel in a dkms
# tree of its own and leaves that tree and the source next to the staged
# selftests ($KTCP_DKMS_DIR, default ../dkms: tree/, src/ and version).  The
# guest's root is the host's, read-only: for the length of the script
# /lib/modules/$(uname -r) is a tmpfs with links to the kernel's own
# directories and copies of its module index (dkms walks the modules
# tree with find for a module of the same name, several times: over
# 9p under emulation, minutes for its 4,000 files; a link it does not
# follow, and there is no in-tree ktcp.ko to find).  Then:
#  1. "dkms install" puts the built ktcp.ko under updates/dkms; the
#     module index is the one the host's depmod made of this kernel's
#     modules and that one (the guest's own depmod reads 4,000 modules
#     over 9p: minutes); "dkms status" says installed;
#  2. "modprobe ktcp" loads it: modinfo names that file, its version is
#     VERSION's, /sys/module/ktcp/version says the same;
#  3. a ktcp connection over that module, to ktcp and to native TCP
#     (connect_test's handshake case, its ktcp variants);
#  4. "modprobe -r ktcp" unloads it, "dkms uninstall" takes it out of
#     updates/dkms, the index is the kernel's own again, and modprobe
#     no longer finds a ktcp module;
#  5. outside the script's mount namespace, a veth pair can be made:
#     the suites after this one still autoload their modules.
# The suites' own module (the tree's build) is loaded again on the way
# out.  Needs root, dkms, modprobe.  Prints TAP; exits 0, 1 or 4 (skip).

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

ko=${1:-${KTCP_KO:-}}
dkms_dir=${KTCP_DKMS_DIR:-$KTCP_SELFTESTS_DIR/../dkms}
connect_test=${SELFTEST_DIR:-$KTCP_SELFTESTS_DIR/build}/connect_test
kver=$(uname -r)
lib_modules=/lib/modules/$kver
modules_mounted=

[ "$(id -u)" = 0 ] || tap_skip_all "needs root"

[ -d "$dkms_dir/tree/ktcp" ] ||
	tap_skip_all "no DKMS tree staged in $dkms_dir (the host's package test builds it: scripts/package-test.sh, KTCP_PKG_DKMS_OUT)"
ktcp_require dkms modprobe modinfo depmod unshare
version=$(cat "$dkms_dir/version" 2>/dev/null)
[ -n "$version" ] && [ -d "$dkms_dir/tree/ktcp/$version/$kver" ] &&
	[ -f "$dkms_dir/index/modules.dep" ] ||
	tap_skip_all "the staged DKMS tree has no build for $kver"

# The mounts below are the script's own: it runs in a mount namespace
# of its own (private propagation), which ends with it, and the VM's
# /lib/modules is never touched.  Then, outside it, the last test: the
# suites after this one still autoload modules (a veth pair).
if [ -z "${KTCP_DKMS_INNER:-}" ]; then
	KTCP_DKMS_INNER=1 unshare -m --propagation private -- "$0" "$@"
	rc=$?
	if ip link add ktcp-dkms0 type veth peer name ktcp-dkms1 2>/dev/null; then
		ip link del ktcp-dkms0
		echo "ok 8 - outside the script's mounts, modules still autoload (veth)"
	else
		echo "not ok 8 - outside the script's mounts, modules still autoload (veth)"
		rc=1
	fi
	exit $rc
fi

# shellcheck disable=SC2317 # called by wait_until
ktcp_unused()
{
	[ "$(cat /sys/module/ktcp/refcnt)" = 0 ]
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	[ ! -d /sys/module/ktcp ] || modprobe -r ktcp 2>/dev/null
	# The mounts end with the namespace; the bind of the kernel's
	# modules goes first, so that ktcp_lib_cleanup's rm -rf of the
	# scratch directory does not walk into it.
	[ -z "$modules_mounted" ] || umount "$kernel_mods" 2>/dev/null
	ktcp_lib_cleanup
	# The suites after this one find the tree's module loaded.
	if [ -n "$ko" ] && [ -r "$ko" ] && [ ! -d /sys/module/ktcp ]; then
		insmod "$ko" 2>/dev/null || true
	fi
}

ktcp_lib_init
trap cleanup EXIT
tap_plan 8

# dkms writes its tree (the install records) and /lib/modules: both in
# this guest's tmpfs, never the host's.
tree=$ktcp_tmp/dkms
cp -a "$dkms_dir/tree" "$tree"
# The tree's link to the source named the host's throwaway copy.
ln -sfn "$dkms_dir/src/ktcp-$version" "$tree/ktcp/$version/source"
dkms=(dkms --dkmstree "$tree" --sourcetree "$dkms_dir/src")

# The kernel's modules stay where they are, seen through $kernel_mods.
kernel_mods=$ktcp_tmp/kernel-modules
mkdir -p "$kernel_mods"
# Private: the tmpfs mounted on $lib_modules next must not propagate
# onto this view of it (a shared root would stack it there too).
mount --bind "$lib_modules" "$kernel_mods" &&
	mount --make-private "$kernel_mods" ||
	tap_bail "cannot bind-mount $lib_modules"
modules_mounted=1
mount -t tmpfs tmpfs "$lib_modules" ||
	tap_bail "cannot mount a tmpfs on $lib_modules"
for f in "$kernel_mods"/*; do
	case ${f##*/} in
	modules.*) cp "$f" "$lib_modules/" ;;
	*) ln -s "$f" "$lib_modules/" ;;
	esac
done

if [ -d /sys/module/ktcp ]; then
	wait_until 120 ktcp_unused
	rmmod ktcp || tap_bail "the tree's ktcp.ko will not unload"
fi

# 1. dkms install: updates/dkms/ktcp.ko, "installed", and the index
# of the modules.  The index is the host's depmod of this kernel's
# modules and the one dkms built (scripts/package-test.sh): dkms's own
# depmod reads the 4,000 modules over 9p, 268 s under emulation.
mkdir -p "$ktcp_tmp/index-before"
cp "$lib_modules"/modules.* "$ktcp_tmp/index-before/"
out=$("${dkms[@]}" install --no-depmod -m ktcp -v "$version" -k "$kver" 2>&1) &&
	cp "$dkms_dir"/index/modules.* "$lib_modules/"
rc=$?
status=$("${dkms[@]}" status -m ktcp -v "$version" -k "$kver" 2>&1)
if [ "$rc" -eq 0 ] && [ -f "$lib_modules/updates/dkms/ktcp.ko" ] &&
   grep -q "^updates/dkms/ktcp.ko:" "$lib_modules/modules.dep" &&
   echo "$status" | grep -q 'installed'; then
	tap_ok "dkms install: updates/dkms/ktcp.ko, in modules.dep, status installed"
else
	tap_fail "dkms install: updates/dkms/ktcp.ko, in modules.dep, status installed" \
		"$out" "status: $status"
fi

# 2. modprobe ktcp: that file, that version.
if out=$(modprobe ktcp 2>&1) && [ -d /sys/module/ktcp ]; then
	tap_ok "modprobe ktcp loads it"
else
	tap_fail "modprobe ktcp loads it" "$out"
fi
file=$(modinfo -F filename ktcp 2>&1)
mod_version=$(modinfo -F version ktcp 2>&1)
sys_version=$(cat /sys/module/ktcp/version 2>&1)
if [ "$file" = "$lib_modules/updates/dkms/ktcp.ko" ] &&
   [ "$mod_version" = "$version" ] && [ "$sys_version" = "$version" ]; then
	tap_ok "modinfo: $file, version $version, as /sys/module/ktcp/version"
else
	tap_fail "modinfo: updates/dkms/ktcp.ko, version $version, as /sys/module/ktcp/version" \
		"filename: $file" "modinfo version: $mod_version" \
		"/sys/module/ktcp/version: $sys_version"
fi

# 3. Connections over the DKMS module: ktcp to ktcp, and each side
# against native TCP.
for v in ktcp_both ktcp_server ktcp_client; do
	if out=$(timeout 120 "$connect_test" \
		-r "conn:$v:handshake_exchange_and_close_from_client" 2>&1) &&
	   echo "$out" | grep -q '^# Totals: pass:1 fail:0'; then
		tap_ok "a connection over the DKMS module ($v)"
	else
		tap_fail "a connection over the DKMS module ($v)" \
			"$(echo "$out" | tail -8)"
	fi
done

# 4. modprobe -r, dkms uninstall: gone from the modules tree.  The
# index goes back to the kernel's own, as uninstall's depmod would make
# it.
out=$( (modprobe -r ktcp && [ ! -d /sys/module/ktcp ] &&
	"${dkms[@]}" uninstall --no-depmod -m ktcp -v "$version" -k "$kver" &&
	cp "$ktcp_tmp"/index-before/modules.* "$lib_modules/") 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$lib_modules/updates/dkms/ktcp.ko" ] &&
   ! modinfo ktcp >/dev/null 2>&1; then
	tap_ok "modprobe -r ktcp; dkms uninstall leaves no ktcp module"
else
	tap_fail "modprobe -r ktcp; dkms uninstall leaves no ktcp module" \
		"$out" "modinfo: $(modinfo -F filename ktcp 2>&1)"
fi

tap_exit
