#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# syn.sh - what a listener does with SYNs and stray ACKs, on the wire:
# native TCP first, then ktcp, in the same run; ktcp must do what
# native did (issue 11, review findings 8, 9 and 10).
#
# One network namespace, ktcp-syn-<pid>, and a veth pair in it:
# veth-sa, 10.85.0.1/24, is the listener's side; veth-sb has no
# address, so the namespace's own TCP never answers for 10.85.0.2, and
# syn_peer.py plays 10.85.0.2 there, frame by frame (AF_PACKET), and
# reads every segment the listener sends.  Tests (syn_peer.py says more):
#
#  1  cookie: an ACK carrying a valid cookie draws a RST from a
#     listener that sent no cookie lately (native checks them only
#     within two minutes of a SYN queue overflow); a control ACK of a
#     fresh cookie still makes a connection;
#  2  defer: TCP_DEFER_ACCEPT keeps no request whose SYN-ACK was never
#     ACKed beyond synack_retries (native's syn_ack_recalc());
#  3  broadcast: a SYN to a broadcast or multicast address, or in a
#     link broadcast or multicast frame, makes no request and draws no
#     answer (tcp_v4_rcv(), tcp_v4_conn_request());
#  4  dupsyn: copies of a SYN draw one SYN-ACK per invalid_ratelimit
#     (tcp_check_req()'s tcp_oow_rate_limited(), TCPACKSkippedSynRecv).
#
# Needs root, a loaded ktcp.ko, ip, python3.  Prints TAP; exits 0
# (pass), 1 (fail) or 4 (skip).

set -eu

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

peer_py=$KTCP_SELFTESTS_DIR/syn_peer.py
ns=ktcp-syn-$$

trap ktcp_lib_cleanup EXIT

ktcp_require ip python3
[ -r "$peer_py" ] || tap_skip_all "$peer_py missing"
[ -r /proc/net/ktcp_snmp ] || tap_skip_all "ktcp.ko is not loaded"
ktcp_lib_init
tap_plan 4

netns_add "$ns"
ip -n "$ns" link add veth-sa type veth peer name veth-sb ||
	tap_bail "cannot create the veth pair"
ip -n "$ns" addr add 10.85.0.1/24 dev veth-sa
ip -n "$ns" link set veth-sa up
ip -n "$ns" link set veth-sb up
mac_a=$(ip -n "$ns" -br link show veth-sa | awk '{ print $3 }')
mac_b=$(ip -n "$ns" -br link show veth-sb | awk '{ print $3 }')
ip -n "$ns" neigh add 10.85.0.2 lladdr "$mac_b" dev veth-sa nud permanent

# run CASE FAMILY: the peer's verdict for CASE against a FAMILY listener.
run()
{
	local out=$ktcp_tmp/$1-$2.out

	ip netns exec "$ns" timeout 120 python3 "$peer_py" "$1" "$2" \
		veth-sb "$mac_a" >"$out" 2>&1 || true
	sed -n 's/^verdict //p' "$out"
	grep -v '^verdict ' "$out" | sed 's/^/# /' >&2 || true
}

# check DESC CASE EXPECTED: native gives EXPECTED, and so must ktcp.
check()
{
	local desc=$1 case=$2 want=$3 native ktcp

	native=$(native_run run "$case" inet)
	ktcp=$(run "$case" ktcp)
	if native_verdict "$want" "$native" && [ "$ktcp" = "$want" ]; then
		tap_ok "$desc: native $native, ktcp $ktcp"
	else
		tap_fail "$desc" "native: '$native', ktcp: '$ktcp' (want '$want')"
	fi
}

check "an ACK of a cookie no recent overflow sent draws a RST, as native's" \
	cookie "control=accepted stale=rst,none"
check "TCP_DEFER_ACCEPT drops a request never ACKed after synack_retries" \
	defer "synacks=2 ack=rst"
check "SYNs to broadcast and multicast destinations make no request" \
	broadcast "answered=f synrecv=1"
check "copies of a SYN draw one SYN-ACK per invalid_ratelimit" \
	dupsyn "burst1=1 burst2=1 skipped=8 accept=accepted"
tap_exit
