#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the host-side scripts: where things are, and the VM launcher.

KTCP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KTCP_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ktcp

ktcp_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ktcp_apt_install WHO PACKAGE...: install the Debian packages that are
# not installed yet; quiet and quick when all are.
ktcp_apt_install()
{
	local who=$1 p missing=()
	shift

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "$who: apt-get install ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}
ktcp_die() { echo "error: $*" >&2; exit 1; }

# Debian's stock kernel: the version linux-image-amd64 points at.
ktcp_stock_version()
{
	dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/.*linux-image-\([0-9][^ ,]*-amd64\).*/\1/p'
}

# KVM is listed on these machines but may hang: boot a kernel with no
# root filesystem under KVM and expect it to panic and exit quickly.
# Under KVM that takes about a second; a hang is cut after 15 s.
ktcp_kvm_works()
{
	local kernel=$1

	[ -w /dev/kvm ] || return 1
	timeout 15 qemu-system-x86_64 -accel kvm -m 256 -nographic \
		-no-reboot -monitor none -kernel "$kernel" \
		-append "console=ttyS0 panic=-1 loglevel=0" \
		</dev/null >/dev/null 2>&1
}

# ktcp_vm KERNEL RESULTS_DIR SCRIPT [ARGS...]: boot KERNEL (a bzImage
# or a built tree) with virtme-ng, run SCRIPT inside with RESULTS_DIR
# writable, power off.  The command line stays short: vng passes it on
# the kernel command line, which silently hangs the guest past 2 KiB.
ktcp_vm()
{
	local kernel=$1 results=$2
	local probe accel=() timeout_s=${KTCP_VM_TIMEOUT:-4500}
	shift 2

	probe=$kernel
	[ -d "$kernel" ] && probe=$kernel/arch/x86/boot/bzImage
	if ktcp_kvm_works "$probe"; then
		ktcp_log "KVM works: hardware virtualization"
	else
		ktcp_log "KVM unusable here: software emulation (--disable-kvm)"
		accel=(--disable-kvm)
	fi
	mkdir -p "$results"
	# Retpolines and return thunks turn every indirect call and return
	# into extra jumps, which emulation pays for dearly; a test VM
	# needs no Spectre defence.
	timeout --kill-after=30 "$timeout_s" \
		vng "${accel[@]}" --run "$kernel" --memory 2G --cpus 2 \
		--append mitigations=off \
		--rwdir "$results" -- "$@" </dev/null
	local rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "error: the VM did not finish within ${timeout_s}s (KTCP_VM_TIMEOUT)" >&2
	fi
	return $rc
}
