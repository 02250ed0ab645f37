#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# memory.sh - what a peer can make ktcp keep is bounded: memory
# (net.ktcp.mem), orphans (net.ktcp.max_orphans), TIME_WAIT sockets
# (net.ktcp.max_tw_buckets), and the out-of-order queue's CPU cost.
#
# Two namespaces, ktcp-ma-<pid> (10.79.0.1, the ktcp receiver) and
# ktcp-mb-<pid> (10.79.0.2), on a veth pair; a routes 10.79.1.0/24 to b,
# where ofo_flood.py speaks from 10.79.1.1 through raw sockets (b's own
# stack does not own that address, so it never answers for it).
#  - 2000 connections (200 when KTCP_DEBUG_KERNEL=1) into a ktcp
#    receiver that never reads get only out-of-order data, far more
#    than net.ktcp.mem (set to 512 1024 2048 pages for the test)
#    allows: KTCP's memory in /proc/net/protocols (the kernel's own
#    accounting of the proto) stays under mem[2] plus the per-cpu
#    reserves, TCPMemoryPressures, TCPOFODrop and OfoPruned move, a
#    ktcp connection beside them still moves bytes exactly, and the
#    memory comes back when the flood ends;
#  - net.ktcp.mem 0 0 0 (every charge over the limit): a ktcp
#    connection still moves bytes exactly, one forced skb at a time;
#  - SegmentSmack (CVE-2018-5390): thousands of one-byte out-of-order
#    segments into one connection, then the data: every byte arrives
#    exactly (the time the flood took is reported, not judged);
#  - net.ktcp.max_orphans=2 and four closed connections whose native
#    peer does not close: two are reset, on the wire and in
#    TCPAbortOnMemory;
#  - net.ktcp.max_tw_buckets=2 and five connections that reach
#    TIME_WAIT: two are in /proc/net/ktcp, three counted in
#    TCPTimeWaitOverflow, none in KtcpOrphans (a socket in TIME_WAIT
#    is not an orphan still sending, as native's timewait sockets).
#
# Needs root, ip, python3, tcpdump, a loaded ktcp.ko, build/ktcp_hold
# and build/ktcp_xfer.  net.ktcp.mem is global: it is restored on exit.
# Prints TAP; exits 0 (pass), 1 (fail) or 4 (skip).

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

bindir=${SELFTEST_DIR:-$KTCP_SELFTESTS_DIR/build}
hold=$bindir/ktcp_hold
xfer=$bindir/ktcp_xfer
flood=$KTCP_SELFTESTS_DIR/ofo_flood.py
nsa=ktcp-ma-$$
nsb=ktcp-mb-$$
addr_a=10.79.0.1
addr_b=10.79.0.2
spoofed=10.79.1.1
mem_sysctl=/proc/sys/net/ktcp/mem
mem_test="512 1024 2048"
mem_saved=

if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	conns=200 segs=16 smack_segs=1000 xfer_bytes=65536 patience=600
	over_bytes=32768
else
	conns=2000 segs=4 smack_segs=5000 xfer_bytes=2000000 patience=180
	over_bytes=65536
fi

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	[ -z "$mem_saved" ] || echo "$mem_saved" >"$mem_sysctl"
	ktcp_lib_cleanup
}

trap cleanup EXIT
trap 'exit 1' INT TERM

ktcp_require ip python3 tcpdump timeout
[ -x "$hold" ] && [ -x "$xfer" ] || tap_bail "$hold or $xfer missing: run make first"
[ -r /sys/module/ktcp/parameters/family ] || tap_bail "ktcp module is not loaded"
[ -w "$mem_sysctl" ] || tap_bail "no $mem_sysctl"

ktcp_lib_init
netns_add "$nsa" "$nsb"
ip link add veth-ma netns "$nsa" type veth peer name veth-mb netns "$nsb" ||
	tap_bail "cannot create a veth pair"
ip -n "$nsa" addr add "$addr_a/24" dev veth-ma
ip -n "$nsb" addr add "$addr_b/24" dev veth-mb
ip -n "$nsa" link set veth-ma up
ip -n "$nsb" link set veth-mb up
ip -n "$nsa" route add 10.79.1.0/24 via "$addr_b"
ip netns exec "$nsa" sysctl -qw net.ktcp.tw_timeout=1

ns_watch "$nsa"

# Counters are read with shell builtins (ns_watch): each process
# started costs the emulated debug guest seconds.
counter() # counter NAME: a's value in /proc/net/ktcp_snmp
{
	ns_counter "$nsa" "$1"
}

snmp_line() # all of a's counters on one line
{
	ns_counters "$nsa"
}

snmp_delta() # snmp_delta BEFORE AFTER: the counters that changed
{
	echo "$1" "$2" | awk '{ for (i = 1; i < NF; i += 2) {
		if ($i in v) { if ($(i + 1) != v[$i]) printf "%s +%d ", $i, $(i + 1) - v[$i] }
		else v[$i] = $(i + 1) } }'
}

protocols_memory() # KTCP's memory column of /proc/net/protocols (pages)
{
	local -a f

	while read -r -a f; do
		[ "${f[0]}" != KTCP ] || echo "${f[3]}"
	done </proc/net/protocols
}

# sink_start NAME NS FAMILY ADDR PORT N [--read]: ktcp_hold sink in the
# background, its stdin a FIFO that sink_stop closes.
declare -A sink_fd=()
sink_start()
{
	local name=$1 ns=$2 fd

	shift 2
	mkfifo "$ktcp_tmp/$name.in"
	# Emptied before the child's own redirection: wait_line must not
	# find an earlier run's line.
	: >"$ktcp_tmp/$name.out"
	timeout $((patience * 4)) ip netns exec "$ns" "$hold" sink "$@" \
		<"$ktcp_tmp/$name.in" >"$ktcp_tmp/$name.out" 2>&1 &
	exec {fd}>"$ktcp_tmp/$name.in"
	sink_fd[$name]=$fd
	wait_line "$ktcp_tmp/$name.out" '^ready' "$patience"
}

sink_stop() # sink_stop NAME: EOF on its stdin; it closes its sockets
{
	local fd=${sink_fd[$1]}

	exec {fd}>&-
	wait_line "$ktcp_tmp/$1.out" '^closed' "$patience"
}

ncpu=$(nproc)
rsv=$(cat /proc/sys/net/core/mem_pcpu_rsv 2>/dev/null || echo 256)
slack=$((ncpu * rsv))

tap_plan 9

# --- 1. memory ---------------------------------------------------------
mem_saved=$(cat "$mem_sysctl")
echo "$mem_test" >"$mem_sysctl"
read -r _ _ mem_max <<<"$mem_test"
press0=$(counter TCPMemoryPressures) drop0=$(counter TCPOFODrop)
prune0=$(counter OfoPruned)

if sink_start hogs "$nsa" ktcp "$addr_a" 8401 "$conns"; then
	t0=$SECONDS
	timeout $((patience * 4)) ip netns exec "$nsb" python3 "$flood" flood \
		--dev veth-mb --src "$spoofed" --dst "$addr_a:8401" -n "$conns" \
		--segs "$segs" --size 1000 --state "$ktcp_tmp/flood.json" \
		>"$ktcp_tmp/flood.out" 2>&1
	est=$(sed -n 's/^established //p' "$ktcp_tmp/flood.out")
	peak=$(sed -n 's/^max_memory_pages //p' "$ktcp_tmp/flood.out")
	wait_line "$ktcp_tmp/hogs.out" "^accepted $conns" "$patience"
	if [ "${est:-0}" -eq "$conns" ] && grep -q "^accepted $conns" "$ktcp_tmp/hogs.out"; then
		tap_ok "$conns connections into a ktcp receiver that never reads, $segs out-of-order segments each, in $((SECONDS - t0)) s"
	else
		tap_fail "$conns connections into a ktcp receiver that never reads" \
			"flood: $(cat "$ktcp_tmp/flood.out")" "sink: $(tail -3 "$ktcp_tmp/hogs.out")"
	fi
	now=$(protocols_memory)
	# -1 (no accounting at all, as before net.ktcp.mem) is no pass.
	if [ -n "$peak" ] && [ "$peak" -gt 0 ] && [ "$peak" -le $((mem_max + slack)) ] &&
	   [ "$now" -le $((mem_max + slack)) ]; then
		tap_ok "KTCP memory in /proc/net/protocols stayed under net.ktcp.mem[2] ($mem_max pages + $slack per-cpu): peak $peak, now $now, KtcpMemoryPages $(counter KtcpMemoryPages)"
	else
		tap_fail "KTCP memory in /proc/net/protocols stayed under net.ktcp.mem[2]" \
			"peak ${peak:-?} now $now limit $mem_max + $slack"
	fi
	press=$(( $(counter TCPMemoryPressures) - press0 ))
	drop=$(( $(counter TCPOFODrop) - drop0 ))
	prune=$(( $(counter OfoPruned) - prune0 ))
	if [ "$press" -gt 0 ] && [ "$drop" -gt 0 ] && [ "$prune" -gt 0 ]; then
		tap_ok "pressure entered $press times, $drop out-of-order segments dropped, $prune queues pruned"
	else
		tap_fail "pressure counters moved" \
			"TCPMemoryPressures +$press TCPOFODrop +$drop OfoPruned +$prune"
	fi

	# Another connection, while the flood still holds what it got.
	port=8410 ready=$ktcp_tmp/xfer.ready
	timeout "$patience" ip netns exec "$nsa" "$xfer" recv ktcp "$addr_a" \
		"$port" "$xfer_bytes" --ready "$ready" >"$ktcp_tmp/xfer.recv" 2>&1 &
	rpid=$!
	wait_file "$ready" "$rpid" "$patience"
	c0=$(snmp_line)
	# The transfer on the wire, for a failure to show its last segments.
	: >"$ktcp_tmp/xfer.tcpdump.err"
	timeout "$patience" ip netns exec "$nsb" tcpdump -i veth-mb -n -U \
		-s 96 -w "$ktcp_tmp/xfer.pcap" "tcp port $port" \
		2>"$ktcp_tmp/xfer.tcpdump.err" &
	dpid=$!
	wait_line "$ktcp_tmp/xfer.tcpdump.err" 'listening on' "$patience"
	timeout "$patience" ip netns exec "$nsb" "$xfer" send ktcp "$addr_a" \
		"$port" "$xfer_bytes" >"$ktcp_tmp/xfer.send" 2>&1 &
	spid=$!
	# What the two sockets hold, every 10 s, for a failure to show.
	while kill -0 "$spid" 2>/dev/null; do
		{
			date +%T
			for ns in "$nsa" "$nsb"; do
				ip netns exec "$ns" grep -h ":20DA " /proc/net/ktcp
			done
			echo "memory $(protocols_memory) pages"
		} >"$ktcp_tmp/xfer.sockets"
		sleep 10
	done
	wait "$spid"
	wait "$rpid"
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	rh=$(awk '$1 == "ok" { print $3 }' "$ktcp_tmp/xfer.recv")
	sh=$(awk '$1 == "sent" { print $3 }' "$ktcp_tmp/xfer.send")
	if [ -n "$rh" ] && [ "$rh" = "$sh" ]; then
		tap_ok "a ktcp connection beside the flood moves $xfer_bytes bytes exactly"
	else
		tap_fail "a ktcp connection beside the flood moves $xfer_bytes bytes exactly" \
			"recv: $(cat "$ktcp_tmp/xfer.recv")" "send: $(cat "$ktcp_tmp/xfer.send")" \
			"the last look at their sockets (/proc/net/ktcp):" \
			"$(cat "$ktcp_tmp/xfer.sockets" 2>/dev/null)" \
			"counters that moved meanwhile:" \
			"$(snmp_delta "$c0" "$(snmp_line)")" \
			"the last 60 segments of port $port (seen from b):" \
			"$(tcpdump -r "$ktcp_tmp/xfer.pcap" -n -tt 2>/dev/null | tail -60)"
	fi

	ip netns exec "$nsb" python3 "$flood" rst --src "$spoofed" \
		--dst "$addr_a:8401" --state "$ktcp_tmp/flood.json" >/dev/null 2>&1
	sink_stop hogs
	end=$((SECONDS + 120))
	while :; do
		now=$(protocols_memory)
		[ "$now" -le "$slack" ] || [ "$SECONDS" -ge "$end" ] && break
		ktcp_nap 0.2
	done
	if [ "$now" -le "$slack" ]; then
		tap_ok "memory comes back once the flood is reset and closed: $now pages"
	else
		tap_fail "memory comes back once the flood is reset and closed" \
			"$now pages, more than the per-cpu reserves ($slack)"
	fi
else
	for i in 1 2 3 4 5; do
		tap_fail "memory flood $i: the ktcp sink did not start" "$(cat "$ktcp_tmp/hogs.out")"
	done
fi
echo "$mem_saved" >"$mem_sysctl"
mem_saved=

# --- 1b. over the limit from the start ----------------------------------
# net.ktcp.mem 0 0 0: every charge is over mem[2], as when a flood that
# is never read holds all of it.  Native TCP still moves a connection
# one skb at a time: it forces the charge of an in-order segment into
# an empty receive queue and of the first skb of an empty write queue
# (sk_forced_mem_schedule()).  Without that nothing arrives at all.
mem_saved=$(cat "$mem_sysctl")
echo "0 0 0" >"$mem_sysctl"
qdrop0=$(counter TCPRcvQDrop)
port=8411 ready=$ktcp_tmp/xfer0.ready
timeout "$patience" ip netns exec "$nsa" "$xfer" recv ktcp "$addr_a" \
	"$port" "$over_bytes" --ready "$ready" >"$ktcp_tmp/xfer0.recv" 2>&1 &
rpid=$!
wait_file "$ready" "$rpid" "$patience"
t0=$SECONDS
timeout "$patience" ip netns exec "$nsb" "$xfer" send ktcp "$addr_a" \
	"$port" "$over_bytes" >"$ktcp_tmp/xfer0.send" 2>&1
wait "$rpid"
echo "$mem_saved" >"$mem_sysctl"
mem_saved=
rh=$(awk '$1 == "ok" { print $3 }' "$ktcp_tmp/xfer0.recv")
sh=$(awk '$1 == "sent" { print $3 }' "$ktcp_tmp/xfer0.send")
if [ -n "$rh" ] && [ "$rh" = "$sh" ]; then
	tap_ok "net.ktcp.mem 0 0 0: a ktcp connection still moves $over_bytes bytes exactly in $((SECONDS - t0)) s (TCPRcvQDrop +$(( $(counter TCPRcvQDrop) - qdrop0 )))"
else
	tap_fail "net.ktcp.mem 0 0 0: a ktcp connection still moves $over_bytes bytes exactly" \
		"recv: $(cat "$ktcp_tmp/xfer0.recv")" "send: $(cat "$ktcp_tmp/xfer0.send")"
fi

# --- 2. SegmentSmack ---------------------------------------------------
want=$((2 * smack_segs))
if sink_start smack "$nsa" ktcp "$addr_a" 8402 1 --read; then
	ip netns exec "$nsb" python3 "$flood" smack --dev veth-mb \
		--src "$spoofed" --dst "$addr_a:8402" --segs "$smack_segs" \
		--state "$ktcp_tmp/smack.json" >"$ktcp_tmp/smack.py" 2>&1
	wait_line "$ktcp_tmp/smack.out" "^read " "$patience"
	if grep -q "^read $want ok" "$ktcp_tmp/smack.out"; then
		tap_ok "SegmentSmack: $(grep '^smack' "$ktcp_tmp/smack.py"), then the data: $want bytes exact"
	else
		tap_fail "SegmentSmack: $smack_segs one-byte out-of-order segments, then the data" \
			"$(cat "$ktcp_tmp/smack.py" "$ktcp_tmp/smack.out")"
	fi
	# No orphan left behind sending FINs to nobody.
	ip netns exec "$nsb" python3 "$flood" rst --src "$spoofed" \
		--dst "$addr_a:8402" --state "$ktcp_tmp/smack.json" >/dev/null 2>&1
	sink_stop smack
else
	tap_fail "SegmentSmack: the ktcp sink did not start" "$(cat "$ktcp_tmp/smack.out")"
fi

# --- 3. orphans --------------------------------------------------------
# wait_idle: until no orphan and no TIME_WAIT is left in a.
wait_idle()
{
	local end=$((SECONDS + 300))

	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(counter KtcpTimeWait)" -eq 0 ] &&
			[ "$(counter KtcpOrphans)" -eq 0 ] && return 0
		ktcp_nap 0.2
	done
	return 1
}

# A native peer that never closes: every ktcp close() leaves an orphan.
wait_idle
ip netns exec "$nsa" sysctl -qw net.ktcp.max_orphans=2
abort0=$(counter TCPAbortOnMemory)
if sink_start orphans "$nsb" inet "$addr_b" 8403 4; then
	: >"$ktcp_tmp/tcpdump.err"
	timeout $((patience * 2)) ip netns exec "$nsb" tcpdump -i veth-mb -n -U \
		--immediate-mode -w "$ktcp_tmp/orphans.pcap" \
		"src host $addr_a and tcp[tcpflags] & tcp-rst != 0" \
		2>"$ktcp_tmp/tcpdump.err" &
	dpid=$!
	wait_line "$ktcp_tmp/tcpdump.err" 'listening on' "$patience"
	timeout "$patience" ip netns exec "$nsa" "$hold" close ktcp "$addr_b" 8403 4 \
		>"$ktcp_tmp/close.out" 2>&1
	sleep 1
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	# Connections reset, not RSTs: a reset connection answers what
	# its peer still sends with more RSTs (a slow guest sees them).
	rsts=$(tcpdump -r "$ktcp_tmp/orphans.pcap" -n 2>/dev/null |
		awk '{ print $3 }' | sort -u | grep -c .)
	aborts=$(( $(counter TCPAbortOnMemory) - abort0 ))
	orphans=$(counter KtcpOrphans)
	if [ "$aborts" -eq 2 ] && [ "$rsts" -eq 2 ] && [ "$orphans" -eq 2 ]; then
		tap_ok "max_orphans=2: of 4 orphans 2 reset (2 connections reset on the wire, TCPAbortOnMemory +2), 2 kept"
	else
		tap_fail "max_orphans=2: of 4 orphans 2 reset" \
			"TCPAbortOnMemory +$aborts, connections reset on the wire $rsts, KtcpOrphans $orphans" \
			"$(tcpdump -r "$ktcp_tmp/orphans.pcap" -n 2>/dev/null)" \
			"$(cat "$ktcp_tmp/close.out")"
	fi
	sink_stop orphans
else
	tap_fail "max_orphans: the native sink did not start" "$(cat "$ktcp_tmp/orphans.out")"
fi
ip netns exec "$nsa" sysctl -qw net.ktcp.max_orphans=65536

# --- 4. TIME_WAIT --------------------------------------------------------
# Wait out the TIME_WAITs of the orphans above (tw_timeout=1).
wait_idle
ip netns exec "$nsa" sysctl -qw net.ktcp.max_tw_buckets=2 net.ktcp.tw_timeout=60
over0=$(counter TCPTimeWaitOverflow)
if sink_start tw "$nsb" inet "$addr_b" 8404 5; then
	timeout "$patience" ip netns exec "$nsa" "$hold" close ktcp "$addr_b" 8404 5 \
		>"$ktcp_tmp/close.out" 2>&1
	wait_line "$ktcp_tmp/tw.out" '^accepted 5' "$patience"
	# The native side closes: each ktcp FIN_WAIT2 gets its FIN.
	sink_stop tw
	# Orphans in TIME_WAIT count as such, not as orphans (native's).
	end=$((SECONDS + 120))
	until { [ "$(counter KtcpTimeWait)" -eq 2 ] &&
		[ "$(counter KtcpOrphans)" -eq 0 ]; } ||
		[ "$SECONDS" -ge "$end" ]; do
		ktcp_nap 0.2
	done
	over=$(( $(counter TCPTimeWaitOverflow) - over0 ))
	tw=$(ip netns exec "$nsa" awk 'NR > 1 && $4 == "06"' "$KTCP_PROC_NET" | grep -c .)
	if [ "$over" -eq 3 ] && [ "$tw" -eq 2 ] && [ "$(counter KtcpTimeWait)" -eq 2 ] &&
		[ "$(counter KtcpOrphans)" -eq 0 ]; then
		tap_ok "max_tw_buckets=2: of 5 connections 2 in TIME_WAIT in /proc/net/ktcp, 3 closed (TCPTimeWaitOverflow +3), no orphan counted"
	else
		tap_fail "max_tw_buckets=2: 2 in TIME_WAIT, 3 closed, no orphan counted" \
			"TCPTimeWaitOverflow +$over, TIME_WAIT rows $tw, KtcpTimeWait $(counter KtcpTimeWait), KtcpOrphans $(counter KtcpOrphans)" \
			"$(cat "$ktcp_tmp/close.out")" "$(ip netns exec "$nsa" cat "$KTCP_PROC_NET")"
	fi
else
	tap_fail "max_tw_buckets: the native sink did not start" "$(cat "$ktcp_tmp/tw.out")"
fi
ip netns exec "$nsa" sysctl -qw net.ktcp.tw_timeout=1

tap_exit
