#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the debug-kernel test VM (see ktcp_vm in lib.sh).
# The guest's root is the host's, read-only over 9p; this makes the
# few places tests write to writable, mounts the results share, runs
# the command the host left there, and powers off.
#
# Why not virtme-ng's init: on the emulated debug kernel its udev
# coldplug takes minutes and at times never settles (300 s, then the
# script's I/O ports are missing and its output is lost).  ktcp's tests
# need no device manager.
#
# Kernel command line: ktcp.results=<host path of the results share>,
# ktcp.shared=<host path of a share the VMs of a run write to>.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

# Every program started over 9p costs seconds on the emulated debug
# kernel: few of them, and shell builtins where they do.
mount -t proc proc /proc
if ! mount -a -T "${0%/*}/vm-fstab"; then
	echo "vm-init: mount -a failed; mounting one by one"
	mount -t sysfs sysfs /sys
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs -o mode=0755 tmpfs /run
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
fi
# What virtme-ng's init makes and devtmpfs does not: bash's process
# substitution (< <(...)) opens /dev/fd/N, and fails without it.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
for arg in $(</proc/cmdline); do
	case $arg in
	ktcp.results=*) results=${arg#ktcp.results=} ;;
	ktcp.shared=*) shared=${arg#ktcp.shared=} ;;
	esac
done
# A checkout under /tmp (git clone ... /tmp/x) lies under the tmpfs
# just mounted there, with the staged tests and the results share's
# mount point: bring its top directory back from the host's root (a
# bind of / leaves the tmpfs out), read-only as the rest of it.
case ${results:-} in
/tmp/?*)
	top=${results#/tmp/}
	top=/tmp/${top%%/*}
	mkdir -p /run/host-root "$top"
	mount --bind / /run/host-root &&
		mount --bind "/run/host-root$top" "$top" ||
		echo "vm-init: $top stays hidden under /tmp's tmpfs"
	;;
esac

# nginx and friends write under /var: a writable layer over it.
mkdir -p /run/var/upper /run/var/work
mount -t overlay -o lowerdir=/var,upperdir=/run/var/upper,workdir=/run/var/work \
	overlay /var

# The test kernel has built in all that the tests use; module autoload
# (socket() of an unknown protocol asks for one) would only start
# modprobe over 9p, which under emulation outlasts a test's timeout.
echo /nonexistent/modprobe >/proc/sys/kernel/modprobe

echo ktcp-vm >/proc/sys/kernel/hostname
ip link set lo up
ulimit -n 65536

if [ -z "${results:-}" ] ||
   ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 \
	ktcp.results "$results"; then
	echo "vm-init: no results share (ktcp.results=${results:-})"
else
	# The directory the VMs of one kernel share (ktcp_vm's
	# KTCP_VM_SHARED), where each claims its suites.
	[ -z "${shared:-}" ] ||
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 \
			ktcp.shared "$shared" ||
		echo "vm-init: no shared directory (ktcp.shared=$shared)"
	cd / && bash "$results/.vm-command" </dev/null
	echo "vm-init: the command exited with $?"
	sync
fi

echo o >/proc/sysrq-trigger
sleep 30
