#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the benchmark VM: load ktcp, run ktcp_bench with the options
# bench.sh was given, unload.  No sysctl is touched: both stacks run
# with their defaults (ktcp_bench makes its own namespaces for the veth
# path and raises its own RLIMIT_NOFILE).
set -u
moddir=$1 stdir=$2 results=$3
shift 3

insmod "$moddir/ktcp.ko" || exit 1
ip link set lo up
echo "# $(nproc) vCPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
"$stdir/ktcp_bench" "$@" | tee "$results/bench.md"
sleep 2
rmmod ktcp 2>/dev/null || true
