#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# transfer.sh - ktcp moves bytes exactly over a bad link, waits out a
# zero window, and finds a dead peer with keepalive.
#
# Two network namespaces, ktcp-xa-<pid> (10.78.0.1) and ktcp-xb-<pid>
# (10.78.0.2), joined by a veth pair.  Every case runs with a ktcp end
# against a native end (and ktcp against ktcp where it adds something),
# and checks the bytes (build/ktcp_xfer verifies every byte of a
# pseudo-random stream), the errno, and the ktcp counters:
#  - netem on both ends (5% loss, 25% reordering, 5% duplication, 1%
#    corruption, 20 ms +- 10 ms delay): ktcp->ktcp, ktcp->native and
#    native->ktcp stay byte-exact and RetransSegs moves;
#  - a reader that sleeps between reads drives the window to zero: the
#    ktcp sender blocks, sends persist probes, and the transfer ends;
#    a ktcp receiver with a native sender the same;
#  - keepalive (3 s idle, 1 s interval, 3 probes) on a connection whose
#    peer's link went down gives ETIMEDOUT after 3 probes, counted on the
#    wire by an nftables rule of the output hook, ktcp as native.
#
# Environment: KTCP_NETEM_BYTES (default 2000000) per netem transfer;
# KTCP_DEBUG_KERNEL=1 runs only the ktcp-to-ktcp cases and ktcp's keepalive.
# Needs root, ip, tc with netem, nft, a loaded ktcp.ko and build/ktcp_xfer.
# Prints TAP; exits 0 (pass), 1 (fail) or 4 (skip).

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

xfer=${SELFTEST_DIR:-$KTCP_SELFTESTS_DIR/build}/ktcp_xfer
netem_bytes=${KTCP_NETEM_BYTES:-2000000}
nsa=ktcp-xa-$$
nsb=ktcp-xb-$$
addr_a=10.78.0.1
addr_b=10.78.0.2
netem=(loss 5% reorder 25% duplicate 5% corrupt 1% delay 20ms 10ms)

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	ktcp_lib_cleanup
}

trap cleanup EXIT
trap 'exit 1' INT TERM

ktcp_require ip tc ss nc nft timeout
[ -x "$xfer" ] || tap_bail "$xfer missing: run make first"
[ -r /sys/module/ktcp/parameters/family ] || tap_bail "ktcp module is not loaded"

ktcp_lib_init
netns_add "$nsa" "$nsb"
for ns in "$nsa" "$nsb"; do
	ip netns exec "$ns" sysctl -qw net.ktcp.tw_timeout=1
done
ip link add veth-xa netns "$nsa" type veth peer name veth-xb netns "$nsb" ||
	tap_bail "cannot create a veth pair"
ip -n "$nsa" addr add "$addr_a/24" dev veth-xa
ip -n "$nsb" addr add "$addr_b/24" dev veth-xb
ip -n "$nsa" link set veth-xa up
ip -n "$nsb" link set veth-xb up

counter() # counter NS NAME
{
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/ktcp_snmp
}

# drops NS: segments a ktcp receiver in NS dropped for want of room,
# whatever the queue: the receive queue, out of order, the backlog.
drops()
{
	echo $(($(counter "$1" RcvPruned) + $(counter "$1" TCPOFODrop) +
		$(counter "$1" TCPBacklogDrop)))
}

# xfer_pair NAME SECS RECV_FAMILY SEND_FAMILY BYTES [RECV_OPTS...]: a
# receiver in a, a sender in b; true if both report the same hash.
xfer_pair()
{
	local name=$1 secs=$2 rfam=$3 sfam=$4 bytes=$5 port=$((7300 + ktcp_ntests))
	local ready=$ktcp_tmp/$name.ready

	shift 5
	rm -f "$ready"
	timeout "$secs" ip netns exec "$nsa" "$xfer" recv "$rfam" "$addr_a" \
		"$port" "$bytes" --ready "$ready" "$@" >"$ktcp_tmp/$name.recv" 2>&1 &
	local rpid=$!
	wait_file "$ready" "$rpid"
	timeout "$secs" ip netns exec "$nsb" "$xfer" send "$sfam" "$addr_a" \
		"$port" "$bytes" >"$ktcp_tmp/$name.send" 2>&1
	wait "$rpid"
	local got sent
	got=$(cat "$ktcp_tmp/$name.recv")
	sent=$(cat "$ktcp_tmp/$name.send")
	xfer_diag=("receiver: $got" "sender: $sent")
	[ "$got" = "ok $bytes ${sent##* }" ] && [ "$sent" = "sent $bytes ${got##* }" ]
}

# Receiver and sender families of the netem and zero-window cases, and
# the keepalive servers.  The emulated debug kernel runs only the cases
# with ktcp at both ends, and ktcp's keepalive: its checkers see every
# ktcp path there, while the mixed cases add native behaviour, which
# the stock kernel's run checks.
netem_pairs=("ktcp ktcp" "inet ktcp" "ktcp inet")
zero_pairs=("inet ktcp" "ktcp ktcp" "ktcp inet")
keepalive_fams=(ktcp inet)
if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	netem_pairs=("ktcp ktcp")
	zero_pairs=("ktcp ktcp")
	keepalive_fams=(ktcp)
fi
# The ktcp keepalive case counts its probes too: one more.
tap_plan $((${#netem_pairs[@]} + ${#zero_pairs[@]} + ${#keepalive_fams[@]} + 1))

# --- 1-3: netem -----------------------------------------------------

ip netns exec "$nsa" tc qdisc add dev veth-xa root netem "${netem[@]}" &&
ip netns exec "$nsb" tc qdisc add dev veth-xb root netem "${netem[@]}" ||
	tap_bail "cannot add netem (CONFIG_NET_SCH_NETEM)"

for pair in "${netem_pairs[@]}"; do
	read -r rfam sfam <<<"$pair"
	desc="netem: $sfam -> $rfam, $netem_bytes bytes arrive exactly, RetransSegs moves"
	[ "$sfam" = ktcp ] || desc="netem: $sfam -> $rfam, $netem_bytes bytes arrive exactly, the ktcp receiver kept segments out of order"
	retrans0=$(counter "$nsb" RetransSegs)
	ofo0=$(counter "$nsa" TCPOFOQueue)
	start=$(date +%s)
	if xfer_pair "netem-$sfam-$rfam" 900 "$rfam" "$sfam" "$netem_bytes"; then
		retrans=$(($(counter "$nsb" RetransSegs) - retrans0))
		ofo=$(($(counter "$nsa" TCPOFOQueue) - ofo0))
		if [ "$sfam" = ktcp ] && [ "$retrans" -le 0 ]; then
			tap_fail "$desc" "${xfer_diag[@]}" "RetransSegs of the ktcp sender did not move"
		elif [ "$sfam" != ktcp ] && [ "$ofo" -le 0 ]; then
			tap_fail "$desc" "${xfer_diag[@]}" "TCPOFOQueue of the ktcp receiver did not move"
		else
			tap_ok "$desc"
			tap_diag "$(($(date +%s) - start)) s; ktcp RetransSegs +$retrans (sender), TCPOFOQueue +$ofo (receiver)"
		fi
	else
		tap_fail "$desc" "${xfer_diag[@]}"
	fi
done
tap_diag "counters of the sender's namespace: $(ip netns exec "$nsb" cat /proc/net/ktcp_snmp | tr '\n' ' ')"
ip netns exec "$nsa" tc qdisc del dev veth-xa root
ip netns exec "$nsb" tc qdisc del dev veth-xb root

# --- 4-6: zero window -----------------------------------------------

# Small receive buffers, a reader that takes 64 KB a second: the window
# closes for longer than an RTO each time, so the sender must probe it.
ip netns exec "$nsa" sysctl -qw net.ktcp.rmem="65536 131072 131072"
ip netns exec "$nsa" sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
for pair in "${zero_pairs[@]}"; do
	read -r rfam sfam <<<"$pair"
	desc="zero window: $sfam -> slow $rfam reader, the transfer completes"
	probes0=$(counter "$nsb" KtcpPersistProbes)
	pruned0=$(drops "$nsa")
	collapses0=$(counter "$nsa" KtcpRcvCollapses)
	if ! xfer_pair "zero-$sfam-$rfam" 300 "$rfam" "$sfam" 600000 \
		--read-delay-ms 1000; then
		tap_fail "$desc" "${xfer_diag[@]}"
		continue
	fi
	probes=$(($(counter "$nsb" KtcpPersistProbes) - probes0))
	pruned=$(($(drops "$nsa") - pruned0))
	collapses=$(($(counter "$nsa" KtcpRcvCollapses) - collapses0))
	[ "$rfam" != ktcp ] ||
		tap_diag "the ktcp receiver: in-window drops +$pruned, KtcpRcvCollapses +$collapses"
	# A receiver takes all that its window let in (collapse.c): data
	# dropped there would be resent on the sender's timer instead of
	# waiting for the window to open.
	if [ "$rfam" = ktcp ] && [ "$pruned" -gt 0 ]; then
		tap_fail "$desc, nothing the window let in dropped" \
			"${xfer_diag[@]}" \
			"the ktcp receiver dropped $pruned segments in its window (RcvPruned, TCPOFODrop, TCPBacklogDrop)" \
			"its counters: $(ip netns exec "$nsa" cat /proc/net/ktcp_snmp | tr '\n' ' ')"
	elif [ "$sfam" = ktcp ] && [ "$probes" -le 0 ]; then
		tap_fail "$desc, with persist probes" "${xfer_diag[@]}" \
			"KtcpPersistProbes of the ktcp sender did not move"
	elif [ "$sfam" = ktcp ]; then
		tap_ok "$desc, with persist probes ($probes)"
	else
		tap_ok "$desc (the native sender probes the ktcp window)"
	fi
done

# --- 7-9: keepalive -------------------------------------------------

# wire_probes_start PORT: count, in an nftables rule of a's output hook,
# the bare ACKs that local PORT sends from now on: keepalive probes (a
# RST or data would not match), whichever stack sends them.
wire_probes_start()
{
	ip netns exec "$nsa" nft -f - <<EOF
flush ruleset
table inet ka {
	chain out {
		type filter hook output priority 0;
		tcp sport $1 tcp flags == ack counter
	}
}
EOF
}

# wire_probes: what wire_probes_start counted, or "none".
wire_probes()
{
	ip netns exec "$nsa" nft list chain inet ka out 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n 1 |
		grep . || echo none
}

declare -A wire=()

# keepalive FAMILY: a FAMILY server in a accepts a native client from b,
# which stays silent (nc -d: it never reads its stdin); once the server
# has accepted it, b's link goes down, and only then does the
# server arm keepalive 3,1,3 (--keepalive-after): every probe it sends
# goes to a peer that cannot answer, however slow the guest is.
probes_desc="keepalive: KtcpKeepaliveProbes agrees with the probes on the wire"
for fam in "${keepalive_fams[@]}"; do
	desc="keepalive: a $fam socket whose peer vanished fails with ETIMEDOUT after 3 probes on the wire"
	port=$((7400 + ktcp_ntests))
	ready=$ktcp_tmp/ka-$fam.ready
	accepted=$ktcp_tmp/ka-$fam.accepted
	armed=$ktcp_tmp/ka-$fam.armed
	ip -n "$nsb" link set veth-xb up
	timeout 300 ip netns exec "$nsa" "$xfer" recv "$fam" "$addr_a" "$port" 0 \
		--keepalive 3,1,3 --keepalive-after "$armed" --ready "$ready" \
		--accepted "$accepted" >"$ktcp_tmp/ka-$fam" 2>&1 &
	kpid=$!
	wait_file "$ready" "$kpid"
	timeout 300 ip netns exec "$nsb" nc -d "$addr_a" "$port" </dev/null >/dev/null 2>&1 &
	cpid=$!
	# The link goes down only once the server holds the connection.
	if ! wait_file "$accepted" "$kpid"; then
		kill "$kpid" "$cpid" 2>/dev/null
		wait "$kpid" "$cpid" 2>/dev/null
		tap_fail "$desc" "the server never accepted the native client" \
			"server said: $(cat "$ktcp_tmp/ka-$fam")"
		[ "$fam" = ktcp ] && tap_fail "$probes_desc" "no connection"
		continue
	fi
	ip -n "$nsb" link set veth-xb down
	probes0=$(counter "$nsa" KtcpKeepaliveProbes)
	wire_probes_start "$port"
	touch "$armed"
	wait "$kpid"
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	got=$(cat "$ktcp_tmp/ka-$fam")
	wire[$fam]=$(wire_probes)
	if [ "$got" = "error ETIMEDOUT" ] && [ "${wire[$fam]}" = 3 ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "server said: $got" \
			"probes on the wire (nftables): ${wire[$fam]}"
	fi
	if [ "$fam" = ktcp ]; then
		probes=$(($(counter "$nsa" KtcpKeepaliveProbes) - probes0))
		if [ "$probes" -eq "${wire[ktcp]}" ]; then
			tap_ok "$probes_desc"
		else
			tap_fail "$probes_desc" "KtcpKeepaliveProbes moved by $probes," \
				"the wire (nftables) saw ${wire[ktcp]}"
		fi
	fi
done

tap_exit
