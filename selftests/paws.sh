#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# paws.sh - timestamps on the wire (RFC 7323): ktcp against a server
# played by hand, native TCP against the same, in the same run.
#
# Two network namespaces joined by a veth pair: in ktcp-pa-<pid> the
# client, 10.82.0.1; in ktcp-pb-<pid> no IPv4 address at all, so its
# TCP never answers, and paws_peer.py plays the server 10.82.0.2:8000
# on the raw link (AF_PACKET), building every segment and reading every
# one the client sends.  Each case runs with a native client, then a
# ktcp client, and ktcp must do what native did.  Tests:
#
#  1  one tick back: a data segment whose TSval is one below TS.Recent
#     is taken and ACKed, as native takes it (TCP_PAWS_WINDOW); a
#     stress run saw native peers send such segments;
#  2  the ACK after an RTO: with three segments unacknowledged and the
#     first resent by the RTO, the client ACKs new data with SEQ =
#     SND.MAX, as native does.  Before, ktcp sent SND.NXT, which the RTO
#     had taken back: below the RCV.NXT of a receiver that has it all
#     (out of its window) or at it, where the receiver's TS.Recent jumps
#     past the TSval of our data still in flight, and its PAWS drops
#     that data (stress.sh: PAWSEstab high, connections stalled until
#     the next RTO);
#  3  TS.Recent is not moved by a segment that is then dropped or
#     challenged (the kernel's packetdrill tcp_ts_recent_invalid_ack.pkt
#     and more): a FIN with an ACK of unsent data, data without the
#     ACK flag, a SYN, a FIN with an ACK below SND.UNA - MAX.SND.WND,
#     each with a TSval 2^31 - 2^16 ahead, each followed by in-order
#     data with the peer's true TSval, which must be ACKed echoing it.
#     Before, the bad segment's TSval stayed, and PAWS dropped all that
#     followed: the connection was dead;
#  4  ACKs to invalid segments are rate limited as native's
#     (tcp_oow_rate_limited(), net.ipv4.tcp_invalid_ratelimit 500 ms):
#     20 pure ACKs far out of the window, then 20 SYNs PAWS refuses,
#     draw at most one ACK per 500 ms each; 20 copies of old data draw
#     a duplicate ACK each (data is never held).  ktcp's
#     TCPACKSkippedSeq and TCPACKSkippedPAWS count the ACKs it held;
#  5  the same at a TIME_WAIT (the client closed first): 20 bare ACKs
#     at RCV.NXT draw none, 20 out of the window at most one per
#     500 ms (TCPACKSkippedTimeWait), 20 data segments one each.
#     Before, ktcp answered every one of the 80 segments of 4 and 5.
#
# Needs root, a loaded ktcp.ko, ip, python3.  Prints TAP; exits 0
# (pass), 1 (fail) or 4 (skip).

set -eu

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

peer_py=$KTCP_SELFTESTS_DIR/paws_peer.py
nsa=ktcp-pa-$$
nsb=ktcp-pb-$$
addr_a=10.82.0.1
addr_b=10.82.0.2
port=8000
client_pid=

cleanup()
{
	[ -z "$client_pid" ] || kill "$client_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	ktcp_lib_cleanup
}
trap cleanup EXIT

ktcp_require ip python3
[ -r "$peer_py" ] || tap_skip_all "$peer_py missing"
[ -r /proc/net/ktcp_snmp ] || tap_skip_all "ktcp.ko is not loaded"
ktcp_lib_init
tap_plan 5

netns_add "$nsa" "$nsb"
ip link add veth-pa netns "$nsa" type veth peer name veth-pb netns "$nsb" ||
	tap_bail "cannot create the veth pair"
ip -n "$nsa" addr add $addr_a/24 dev veth-pa
ip -n "$nsa" link set veth-pa up
ip -n "$nsb" link set veth-pb up
mac_a=$(ip -n "$nsa" -br link show veth-pa | awk '{ print $3 }')
mac_b=$(ip -n "$nsb" -br link show veth-pb | awk '{ print $3 }')
ip -n "$nsa" neigh add $addr_b lladdr "$mac_b" dev veth-pa nud permanent
# Case 5 needs the ktcp client's TIME_WAIT for a few seconds, no more.
ip netns exec "$nsa" sysctl -qw net.ktcp.tw_timeout=5

ns_watch "$nsa"

# counter NAME: a ktcp counter of the client's namespace.
counter()
{
	ns_counter "$nsa" "$1"
}

paws_estab()
{
	counter PAWSEstab
}

# run CASE FAMILY: the peer's verdict line for CASE against a FAMILY client.
run()
{
	local out=$ktcp_tmp/peer-$1-$2.out _

	ip netns exec "$nsb" python3 "$peer_py" peer veth-pb "$mac_a" \
		$addr_b $port "$1" >"$out" 2>&1 &
	local peer_pid=$!
	wait_line "$out" '^ready$' 300 "$peer_pid" || true
	ip netns exec "$nsa" timeout 120 python3 "$peer_py" client "$2" \
		$addr_b $port "$1" >"$ktcp_tmp/client-$1-$2.out" 2>&1 &
	client_pid=$!
	wait "$peer_pid" || true
	wait "$client_pid" || true
	client_pid=
	sed -n 's/^verdict //p' "$out"
	grep -v '^ready$\|^verdict ' "$out" "$ktcp_tmp/client-$1-$2.out" |
		sed 's/^/# /' >&2 || true
}

# check DESC CASE EXPECTED [KEY=COUNTER...]: native gives EXPECTED, and
# so must ktcp.  For each KEY=COUNTER, ktcp's COUNTER grew by the
# number of ACKs the peer counted as held back ("held KEY=N").
check()
{
	local desc=$1 case=$2 want=$3 native ktcp paws0 paws1 kv bad=
	local -A c0=()

	shift 3
	native=$(native_run run "$case" inet)
	paws0=$(paws_estab)
	for kv; do
		c0[$kv]=$(counter "${kv#*=}")
	done
	ktcp=$(run "$case" ktcp)
	paws1=$(paws_estab)
	for kv; do
		local held got
		held=$(sed -n "s/^held .*\<${kv%%=*}=\([0-9]*\).*/\1/p" \
			"$ktcp_tmp/peer-$case-ktcp.out")
		got=$(( $(counter "${kv#*=}") - c0[$kv] ))
		[ "$got" = "${held:-none}" ] ||
			bad="$bad ${kv#*=} +$got, held ${held:-?}"
	done
	if native_verdict "$want" "$native" && [ "$ktcp" = "$want" ] && [ -z "$bad" ]; then
		tap_ok "$desc: native $native, ktcp $ktcp"
	else
		tap_fail "$desc" "native: '$native', ktcp: '$ktcp' (want '$want')" \
			"ktcp PAWSEstab +$((paws1 - paws0))${bad:+;$bad}"
	fi
}

check "a TSval one tick below TS.Recent is taken, as native takes it" \
	one_tick accepted
check "after an RTO a pure ACK carries SEQ = SND.MAX, as native's" \
	rto_ack ack_seq=snd_max
check "segments dropped or challenged leave TS.Recent alone, as native" \
	ts_invalid kept
check "ACKs to out-of-window pure ACKs and PAWS-refused SYNs: one per 500 ms, to old data each, as native" \
	oow_burst "seq=limited paws=limited data=each" \
	seq=TCPACKSkippedSeq paws=TCPACKSkippedPAWS
check "at a TIME_WAIT: none to bare ACKs at RCV.NXT, one per 500 ms to out-of-window ones, each to data, as native" \
	tw_burst "bare=silent oow=limited data=each" tw=TCPACKSkippedTimeWait
tap_exit
