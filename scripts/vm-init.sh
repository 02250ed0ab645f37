#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the debug-kernel test VM (see ktcp_vm_direct in lib.sh).
# The guest's root is the host's, read-only over 9p; this makes the
# few places tests write to writable, mounts the results share, runs
# the command the host left there, and powers off.
#
# Why not virtme-ng's init: on the emulated debug kernel its udev
# coldplug takes minutes and at times never settles (300 s, then the
# script's I/O ports are missing and its output is lost).  ktcp's tests
# need no device manager.
#
# Kernel command line: ktcp.results=<host path of the results share>.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

# Writable layers over what servers under test may write (nginx's
# /var/lib/nginx, logs, ~/.cache), as virtme-ng gives its guests.
mkdir -p /run/overlay
for dir in /etc /var /root /home /opt; do
	up=/run/overlay$dir
	mkdir -p "$up/upper" "$up/work"
	mount -t overlay -o "xino=off,lowerdir=$dir,upperdir=$up/upper,workdir=$up/work" \
		overlay "$dir" 2>/dev/null ||
		mount -t overlay -o "lowerdir=$dir,upperdir=$up/upper,workdir=$up/work" \
			overlay "$dir"
done

# modprobe finds the test kernel's modules where the build put them.
kver=$(uname -r)
for arg in $(cat /proc/cmdline); do
	case $arg in
	ktcp.results=*) results=${arg#ktcp.results=} ;;
	ktcp.mods=*) mods=${arg#ktcp.mods=} ;;
	esac
done
if [ -n "${mods:-}" ] && [ -d "$mods" ]; then
	mount -t tmpfs tmpfs /lib/modules
	ln -s "$mods" "/lib/modules/$kver"
fi

hostname ktcp-vm
ip link set lo up
ulimit -n 65536

mkdir -p "${results:-/nonexistent}" 2>/dev/null
if [ -z "${results:-}" ] ||
   ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 \
	ktcp.results "$results"; then
	echo "vm-init: no results share (ktcp.results=${results:-})"
else
	cd / && bash "$results/.vm-command" </dev/null
	echo "vm-init: the command exited with $?"
	sync
fi

echo o >/proc/sysrq-trigger
sleep 30
