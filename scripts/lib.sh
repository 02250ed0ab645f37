#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the host-side scripts: where things are, and the VM launcher.

KTCP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # for the scripts that source this
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

# ktcp_qemu_args BZIMAGE RESULTS ACCEL INIT: sets qemu_args to boot a
# kernel that has 9p, virtio and devtmpfs built in (the test kernel)
# straight from QEMU, with INIT (scripts/vm-init.sh) as PID 1, which runs
# RESULTS/.vm-command.
#
# The root is the host's, read-only, with cache=loose: without a page
# cache every exec reads the binary and its libraries through 9p again,
# and starting tcpdump took 10 to 30 s on the emulated debug kernel.
# Files the host changes during the run may look stale inside, which is
# why the tests run from a staged copy.
ktcp_qemu_args()
{
	local image=$1 results=$2 accel=$3 init=$4
	local p9=security_model=none,multidevs=remap

	# la57=off: with 5-level paging, an interrupt that lands inside
	# identify_cpu(), while the boot CPU's feature bits are cleared and
	# read again, makes KASAN take the 4-level shadow bounds and report
	# a wild access in rcu_is_watching() (boot-dmesg, 2 boots in 4 here),
	# which also turns lockdep off for the whole VM.
	# shellcheck disable=SC2054 # commas separate QEMU suboptions
	qemu_args=(-name ktcp-test -machine q35 -accel "$accel" -cpu max,la57=off
		-smp 2 -m 2G -nodefaults -no-reboot
		-display none -serial stdio -monitor none
		-fsdev "local,id=root,path=/,$p9,readonly=on"
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
		-fsdev "local,id=results,path=$results,$p9"
		-device virtio-9p-pci,fsdev=results,mount_tag=ktcp.results
		-kernel "$image"
		-append "rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=524288,access=any,cache=loose ro console=ttyS0 quiet loglevel=1 panic=-1 mitigations=off ktcp.results=$results init=$init${KTCP_VM_SHARED:+ ktcp.shared=$KTCP_VM_SHARED}")
	if [ -n "${KTCP_VM_SHARED:-}" ]; then
		# shellcheck disable=SC2054 # commas separate QEMU suboptions
		qemu_args+=(-fsdev "local,id=shared,path=$KTCP_VM_SHARED,$p9"
			-device virtio-9p-pci,fsdev=shared,mount_tag=ktcp.shared)
	fi
}

# ktcp_vm KERNEL RESULTS_DIR SCRIPT [ARGS...]: boot KERNEL, run SCRIPT
# inside with RESULTS_DIR writable (and KTCP_VM_SHARED, a directory
# several VMs write to, at its own path), power off.  A built tree (the test
# kernel) boots straight from QEMU with our own init, or with
# virtme-ng when KTCP_VM_VNG=1; a bzImage (the stock kernel, whose 9p
# and virtio are modules) boots with virtme-ng.  The command goes to
# the guest in RESULTS_DIR/.vm-command: virtme-ng passes its command in
# base64 on the kernel command line, which the stock kernel cuts at
# 2 KiB without a word.  A CI clone's long paths did, and the tail of
# the suite list (the last argument) was lost (2026-12-04).
#
# mitigations=off: retpolines and return thunks turn every indirect
# call and return into extra jumps, which emulation pays for dearly; a
# test VM needs no Spectre defence.
ktcp_vm()
{
	local kernel=$1 results=$2
	local probe init accel=kvm vng_accel=() vng_shared=() qemu_args
	local timeout_s=${KTCP_VM_TIMEOUT:-4500}
	shift 2

	probe=$kernel
	[ -d "$kernel" ] && probe=$kernel/arch/x86/boot/bzImage
	if ktcp_kvm_works "$probe"; then
		ktcp_log "KVM works: hardware virtualization"
	else
		ktcp_log "KVM unusable here: software emulation (TCG)"
		accel=tcg vng_accel=(--disable-kvm)
	fi
	mkdir -p "$results"
	printf '%q ' "$@" >"$results/.vm-command"
	[ -z "${KTCP_VM_SHARED:-}" ] || vng_shared=(--rwdir "$KTCP_VM_SHARED")
	if [ -d "$kernel" ] && [ "${KTCP_VM_VNG:-0}" = 1 ]; then
		# virtme-ng on the debug kernel, as a developer runs it by
		# hand: with vng-skip-udev first in the guest's PATH (see
		# there), la57=off (see ktcp_qemu_args), and the root's 9p
		# cached as the own init has it (vng's rootflags, then
		# cache=loose: this later rootflags= wins).  Uncached, each
		# program start reads its files over 9p again, and a suite
		# of python starts (paws.sh) took twice as long.
		timeout --kill-after=30 "$timeout_s" \
			vng "${vng_accel[@]}" --run "$kernel" --memory 2G \
			--cpus 2 --append mitigations=off \
			--append "PATH=$(dirname "$1")/vng-skip-udev" \
			--append "rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose" \
			--qemu-opts="-cpu max,la57=off" \
			--rwdir "$results" ${vng_shared[@]+"${vng_shared[@]}"} \
			-- bash "$results/.vm-command" </dev/null
	elif [ -d "$kernel" ]; then
		# PID 1 comes from next to SCRIPT: a staged copy stays put
		# while the tree is edited.
		init=$(dirname "$1")/vm-init.sh
		[ -x "$init" ] || init=$KTCP_ROOT/scripts/vm-init.sh
		ktcp_qemu_args "$probe" "$results" "$accel" "$init"
		timeout --kill-after=30 "$timeout_s" \
			qemu-system-x86_64 "${qemu_args[@]}" </dev/null
	else
		# The stock kernel's 9p is a module: vng mounts the root
		# from its initramfs, uncached, whatever rootflags say, and
		# every program start read its binary and libraries over 9p
		# again.  The host's /usr (all of Debian's programs and
		# libraries: /bin and /lib lead there) goes in as a second
		# share, which guest-tests.sh mounts over /usr with
		# cache=loose.  The host does not change it during a run.
		timeout --kill-after=30 "$timeout_s" \
			vng "${vng_accel[@]}" --run "$kernel" --memory 2G \
			--cpus 2 --append mitigations=off \
			--qemu-opts="-fsdev local,id=usr,path=/usr,security_model=none,multidevs=remap,readonly=on -device virtio-9p-pci,fsdev=usr,mount_tag=ktcp.usr" \
			--rwdir "$results" ${vng_shared[@]+"${vng_shared[@]}"} \
			-- bash "$results/.vm-command" </dev/null
	fi
	local rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "error: the VM did not finish within ${timeout_s}s (KTCP_VM_TIMEOUT)" >&2
	fi
	return $rc
}
