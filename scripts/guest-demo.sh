#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the demo VM: load ktcp, bind sockets, run a ktcp echo server
# with the native nc as its client and a ktcp client against a native
# nc server, show the tables and counters, unload.
set -u
moddir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
echo_bin=$root/userspace/build/echo

echo "== insmod ktcp.ko"
insmod "$moddir/ktcp.ko" || exit 1
dmesg | grep 'ktcp:' | tail -1
echo 1 >/proc/sys/net/ktcp/tw_timeout	# the demo unloads in a moment
ip link set lo up

echo
echo "== userspace/build/bind_demo"
"$root/userspace/build/bind_demo"

echo
echo "== ktcp echo server on :7000, native nc as client"
timeout 20 "$echo_bin" server 7000 1 &
sleep 0.5
echo "hello from the native nc" | timeout 10 nc -N 127.0.0.1 7000
wait

echo
echo "== ktcp echo client -> native nc server on :7001"
timeout 20 nc -l 127.0.0.1 7001 >/tmp/ktcp-demo-nc.out &
sleep 0.5
timeout 10 "$echo_bin" client 127.0.0.1 7001 "hello from a ktcp client"
wait
echo "native nc server received: $(cat /tmp/ktcp-demo-nc.out)"

echo
echo "== /proc/net/ktcp (the client's side waits in TIME_WAIT, st 06)"
cat /proc/net/ktcp
echo
echo "== /proc/net/ktcp_snmp"
grep -E 'Opens|CurrEstab|Segs|Rsts' /proc/net/ktcp_snmp | tr '\n' ' '
echo
sleep 2	# TIME_WAIT (1 s here) must end before the module can go
echo
echo "== rmmod ktcp"
rmmod ktcp && echo "unloaded cleanly"
