#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the demo VM: load ktcp, run the demo programs, unload.
set -u
moddir=$1
root=$(cd "$(dirname "$0")/.." && pwd)

echo "== insmod ktcp.ko"
insmod "$moddir/ktcp.ko" || exit 1
dmesg | grep 'ktcp:' | tail -1
echo
echo "== userspace/build/bind_demo"
"$root/userspace/build/bind_demo"
echo
echo "== rmmod ktcp"
rmmod ktcp && echo "unloaded cleanly"
