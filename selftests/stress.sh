#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh - concurrency stress: many short connections at once, ktcp
# to ktcp, native to ktcp and ktcp to native, on a slow, jittery path,
# with a CPU hog beside them, checked byte for byte and on the wire.
#
# Two network namespaces, ktcp-sa-<pid> (the clients) and
# ktcp-sb-<pid> (the servers), joined by two veth pairs: 10.79.0.0/24
# with netem (delay 5ms, jitter 2ms, so segments also arrive reordered)
# on both ends, and 10.80.0.0/24 with no qdisc, where a client's
# handshake ACK (sent from softirq) and its first request (sent by the
# process) reach the server on two CPUs at once, as over loopback.  In
# b, build/ktcp_stress serves ktcp on 10.79.0.2 ports 5001 and 5002 and
# on 10.80.0.2 port 5004, native TCP on 10.79.0.2 ports 5003 and 5005;
# in a, five ktcp_stress clients run at once for $KTCP_STRESS_SECONDS:
# ktcp -> 5001, native -> 5002, ktcp -> 5003, ktcp -> 5004 and, as the
# reference, native -> 5005, each
# $KTCP_STRESS_CLIENTS threads looping connect, 1-3 checked
# request/response exchanges of 0-64 KiB, close (half of them closed by
# the server first).  A busy loop runs beside them on every CPU but one.
# tcpdump captures every RST each namespace sends.  TIME-WAIT keeps its
# default length (60 s): a shorter one would turn a late retransmission
# into a legitimate RST.  Tests:
#
#  1-5  each pair: no client or server error (no reset, no early end of
#       file, no timeout, every byte as sent), the same number of
#       connections, exchanges and bytes at both ends, and some of each;
#  6    no RST reset a connection: EstabResets of ktcp and of native TCP
#       are 0 in both namespaces, and every RST ktcp sent answered a
#       segment of a connection already gone (RstNoSocket,
#       RstListenAck, RstBadAck).  Those do happen on an emulated, overloaded
#       guest, from both stacks (the native pair too): a retransmission
#       that an RTT longer than the RTO made spurious crosses the close
#       and finds no socket.  The RSTs per pair are printed;
#  7    every RST has its cause counted: in each namespace the Rst*
#       cause counters add up to ktcp's OutRsts, and the RSTs captured
#       leaving it number ktcp's OutRsts plus native's;
#  8    connections opened == connections made: ActiveOpens of a equals
#       the connections the three ktcp clients made, PassiveOpens of b
#       those the three ktcp servers accepted; AttemptFails and
#       EstabResets are 0;
#  9    connections opened == closed: once the programs are gone,
#       CurrEstab is 0 in both namespaces and every ktcp socket left is
#       in TIME-WAIT.
#
# Environment:
#   KTCP_STRESS_SECONDS  how long the clients run (default 60; 20 on
#                        the debug kernel)
#   KTCP_STRESS_CLIENTS  client threads per pair (default 60: 300 at
#                        once; 12 on the debug kernel)
#   KTCP_STRESS_SEED     the clients' seed (default: time and pid,
#                        printed, so that a run can be replayed)
#
# Needs root, a loaded ktcp.ko, ip, tc (netem), tcpdump.  Prints TAP;
# exits 0 (pass), 1 (fail) or 4 (skip).

set -eu

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

stress_bin=${KTCP_STRESS:-$KTCP_SELFTESTS_DIR/build/ktcp_stress}
if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	seconds=${KTCP_STRESS_SECONDS:-20}
	clients=${KTCP_STRESS_CLIENTS:-12}
else
	seconds=${KTCP_STRESS_SECONDS:-60}
	clients=${KTCP_STRESS_CLIENTS:-60}
fi
nsa=ktcp-sa-$$
nsb=ktcp-sb-$$
addr_a=10.79.0.1	# netem
addr_b=10.79.0.2
addr_da=10.80.0.1	# direct
addr_db=10.80.0.2
pairs=(kk nk kn kd nn)
declare -A port=([kk]=5001 [nk]=5002 [kn]=5003 [kd]=5004 [nn]=5005)
declare -A saddr=([kk]=$addr_b [nk]=$addr_b [kn]=$addr_b [kd]=$addr_db
		  [nn]=$addr_b)
declare -A cfam=([kk]=ktcp [nk]=inet [kn]=ktcp [kd]=ktcp [nn]=inet)
declare -A sfam=([kk]=ktcp [nk]=ktcp [kn]=inet [kd]=ktcp [nn]=inet)
declare -A what=([kk]="ktcp to ktcp, netem" [nk]="native to ktcp, netem"
		 [kn]="ktcp to native, netem" [kd]="ktcp to ktcp, no qdisc"
		 [nn]="native to native (the reference), netem")
declare -A pid=()
hogs=()
server_fd=

cleanup()
{
	local p

	for p in ${hogs[@]+"${hogs[@]}"} "${pid[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	ktcp_lib_cleanup
}
trap cleanup EXIT

ktcp_require ip tc tcpdump
[ -x "$stress_bin" ] || tap_skip_all "no $stress_bin (make -C selftests)"
[ -r /proc/net/ktcp_snmp ] || tap_skip_all "ktcp.ko is not loaded"
ktcp_lib_init

# Counters are read with shell builtins (ns_watch): each process
# started costs the emulated debug guest seconds.
snmp()
{
	ns_counter "$@"
}

# rst_causes NS: the sum of the Rst* cause counters of NS.
rst_causes()
{
	local net name value sum=0

	net=$(ns_net "$1") || return 1
	while read -r name value; do
		[[ $name != Rst* ]] || sum=$((sum + value))
	done <"$net/ktcp_snmp"
	echo "$sum"
}

# native_tcp NS NAME: a Tcp: counter of native TCP in NS.
native_tcp()
{
	ns_native "$1" Tcp "$2"
}

# native_ext NS NAME: a TcpExt: counter of native TCP in NS.
native_ext()
{
	ns_native "$1" TcpExt "$2"
}

native_rsts()
{
	native_tcp "$1" OutRsts
}

# field FILE ROLE NAME: a count from a ktcp_stress summary line.
field()
{
	local -a f
	local i

	while read -r -a f; do
		[ "${f[0]:-}" = "$2" ] || continue
		for ((i = 1; i + 1 < ${#f[@]}; i += 2)); do
			[ "${f[i]}" != "$3" ] || echo "${f[i + 1]}"
		done
	done <"$1"
}

# not_time_wait NS: the ktcp and native sockets of NS in a state other
# than TIME-WAIT (06), one a line.
not_time_wait()
{
	local net file sl loc rem st rest

	net=$(ns_net "$1")

	for file in ktcp tcp; do
		[ -r "$net/$file" ] || { echo "no $net/$file"; continue; }
		while read -r sl loc rem st rest; do
			[[ $sl == *: ]] && [ "$st" != 06 ] &&
				echo "$sl $loc $rem $st $rest"
		done <"$net/$file"
	done
	return 0
}

tap_plan 9
netns_add "$nsa" "$nsb"
ns_watch "$nsa" "$nsb"
ip link add veth-sa netns "$nsa" type veth peer name veth-sb netns "$nsb" &&
ip link add veth-da netns "$nsa" type veth peer name veth-db netns "$nsb" ||
	tap_bail "cannot create the veth pairs"
ip -n "$nsa" addr add $addr_a/24 dev veth-sa
ip -n "$nsb" addr add $addr_b/24 dev veth-sb
ip -n "$nsa" addr add $addr_da/24 dev veth-da
ip -n "$nsb" addr add $addr_db/24 dev veth-db
for dev in veth-sa veth-da; do ip -n "$nsa" link set "$dev" up; done
for dev in veth-sb veth-db; do ip -n "$nsb" link set "$dev" up; done
tc -n "$nsa" qdisc add dev veth-sa root netem delay 5ms 2ms limit 100000 &&
tc -n "$nsb" qdisc add dev veth-sb root netem delay 5ms 2ms limit 100000 ||
	tap_bail "no netem (sch_netem)"
for ns in "$nsa" "$nsb"; do
	# Native clients may reuse their own TIME-WAIT ports.
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1
done
tap_diag "$clients clients per pair for $seconds s"

# Every RST each namespace sends, on any device (each packet leaves on
# one).  Captured at the sender: a receiver's backlog may drop it.
declare -A caddr=([a]="$addr_a or src host $addr_da" [b]="$addr_b or src host $addr_db")
declare -A cns=([a]=$nsa [b]=$nsb)
for s in a b; do
	ip netns exec "${cns[$s]}" tcpdump -i any -n -U -Z root -s 128 -B 8192 \
		-w "$ktcp_tmp/rst-$s.pcap" \
		"tcp[tcpflags] & tcp-rst != 0 and (src host ${caddr[$s]})" \
		>"$ktcp_tmp/tcpdump-$s.out" 2>&1 &
	pid[tcpdump-$s]=$!
done
for s in a b; do
	wait_line "$ktcp_tmp/tcpdump-$s.out" 'listening on' 300 \
		"${pid[tcpdump-$s]}" ||
		tap_bail "tcpdump did not start: $(cat "$ktcp_tmp/tcpdump-$s.out")"
done

# The servers stop when their stdin, one FIFO, closes.
mkfifo "$ktcp_tmp/stop"
for p in "${pairs[@]}"; do
	ip netns exec "$nsb" "$stress_bin" server "${sfam[$p]}" "${saddr[$p]}" \
		"${port[$p]}" 4 <"$ktcp_tmp/stop" >"$ktcp_tmp/server-$p.out" 2>&1 &
	pid[server-$p]=$!
done
exec {server_fd}>"$ktcp_tmp/stop"
for p in "${pairs[@]}"; do
	wait_line "$ktcp_tmp/server-$p.out" '^ready$' 300 "${pid[server-$p]}" ||
		tap_bail "server $p did not start: $(cat "$ktcp_tmp/server-$p.out")"
done

# A CPU hog on every CPU but one shifts the timing of everything else.
for _ in $(seq $(($(nproc) > 1 ? $(nproc) - 1 : 1))); do
	(while :; do :; done) &
	hogs+=($!)
done

for p in "${pairs[@]}"; do
	ip netns exec "$nsa" "$stress_bin" client "${cfam[$p]}" "${saddr[$p]}" \
		"${port[$p]}" "$clients" "$seconds" >"$ktcp_tmp/client-$p.out" 2>&1 &
	pid[client-$p]=$!
done
declare -A crc=()
for p in "${pairs[@]}"; do
	rc=0
	wait "${pid[client-$p]}" || rc=$?
	crc[$p]=$rc
	unset "pid[client-$p]"
done
for h in "${hogs[@]}"; do
	kill "$h" 2>/dev/null || true
	wait "$h" 2>/dev/null || true
done
hogs=()
exec {server_fd}>&-
declare -A src=()
for p in "${pairs[@]}"; do
	rc=0
	wait "${pid[server-$p]}" || rc=$?
	src[$p]=$rc
	unset "pid[server-$p]"
done
# Quiet before the captures stop and the counters are read: FIN_WAIT
# and LAST_ACK end with the last ACK or FIN, a few netem delays away
# (a RST sent in between would be counted and not captured); TIME-WAIT
# (state 06) stays for its 60 s, and answers only what comes.
left=
end=$((SECONDS + 300))
while :; do
	left=$(not_time_wait "$nsa"; not_time_wait "$nsb")
	[ -z "$left" ] && [ "$(snmp "$nsa" CurrEstab)" = 0 ] &&
		[ "$(snmp "$nsb" CurrEstab)" = 0 ] && break
	[ "$SECONDS" -lt "$end" ] || break
	ktcp_nap 0.5
done
ktcp_nap 1
for s in a b; do
	kill "${pid[tcpdump-$s]}" 2>/dev/null || true
	wait "${pid[tcpdump-$s]}" 2>/dev/null || true
	unset "pid[tcpdump-$s]"
done

# 1-4
for p in "${pairs[@]}"; do
	c=$ktcp_tmp/client-$p.out s=$ktcp_tmp/server-$p.out
	cc=$(field "$c" client conns) sc=$(field "$s" server conns)
	cr=$(field "$c" client requests) sr=$(field "$s" server requests)
	cbo=$(field "$c" client bytes_out) sbi=$(field "$s" server bytes_in)
	cbi=$(field "$c" client bytes_in) sbo=$(field "$s" server bytes_out)
	desc="${what[$p]}: ${cc:-?} connections, ${cr:-?} exchanges, no error, every byte exact"
	if [ "${crc[$p]}" = 0 ] && [ "${src[$p]}" = 0 ] &&
	   [ -n "$cc" ] && [ "$cc" -gt 0 ] && [ "$cr" -gt 0 ] &&
	   [ "$cc" = "$sc" ] && [ "$cr" = "$sr" ] &&
	   [ "$cbo" = "$sbi" ] && [ "$cbi" = "$sbo" ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "client (exit ${crc[$p]}):" "$(cat "$c")" \
			"server (exit ${src[$p]}):" "$(cat "$s")"
	fi
done

snmp_a=$(ns_counters "$nsa")
snmp_b=$(ns_counters "$nsb")
declare -A krst=() nrst=() wire=() causes=() dropped=() pair_rsts=()
for p in "${pairs[@]}"; do
	pair_rsts[$p]=0
done
for s in a b; do
	krst[$s]=$(snmp "${cns[$s]}" OutRsts)
	nrst[$s]=$(native_rsts "${cns[$s]}")
	causes[$s]=$(rst_causes "${cns[$s]}")
	# Each capture decoded once; its RSTs counted by the pair's
	# server port ("... IP A.PORT > B.PORT: ...").
	tcpdump -r "$ktcp_tmp/rst-$s.pcap" -n >"$ktcp_tmp/rst-$s.txt" 2>/dev/null ||
		echo "tcpdump -r rst-$s.pcap failed" >>"$ktcp_tmp/tcpdump-$s.out"
	wire[$s]=0
	while read -r -a f; do
		wire[$s]=$((wire[$s] + 1))
		for ((i = 0; i + 3 < ${#f[@]}; i++)); do
			[ "${f[i]}" = IP ] && break
		done
		from=${f[i + 1]:-} to=${f[i + 3]:-}
		for p in "${pairs[@]}"; do
			[ "${from##*.}" != "${port[$p]}" ] &&
				[ "${to##*.}" != "${port[$p]}:" ] ||
				pair_rsts[$p]=$((pair_rsts[$p] + 1))
		done
	done <"$ktcp_tmp/rst-$s.txt"
	dropped[$s]=0
	while read -r n rest; do
		[[ $rest != "packets dropped by kernel"* ]] || dropped[$s]=$n
	done <"$ktcp_tmp/tcpdump-$s.out"
done

per_pair=
for p in "${pairs[@]}"; do
	per_pair="$per_pair $p ${pair_rsts[$p]}"
done
nresets=$(( $(native_tcp "$nsa" EstabResets) + $(native_tcp "$nsb" EstabResets) ))
kresets=$(( $(snmp "$nsa" EstabResets) + $(snmp "$nsb" EstabResets) ))
# RSTs that answer segments of a connection already gone: a
# retransmission that crossed the close (RstNoSocket, RstListenAck),
# or one of an earlier connection of the same 4-tuple that meets a new
# SYN-SENT (RstBadAck), as native TCP answers them.
late=0
for s in a b; do
	late=$((late + $(snmp "${cns[$s]}" RstNoSocket) +
		$(snmp "${cns[$s]}" RstListenAck) +
		$(snmp "${cns[$s]}" RstBadAck)))
done

# 5
desc="no RST reset a connection: EstabResets ktcp $kresets, native $nresets; ktcp's RSTs (a ${krst[a]}, b ${krst[b]}) all for connections already gone ($late)"
if [ "$kresets" = 0 ] && [ "$nresets" = 0 ] &&
   [ $((krst[a] + krst[b])) = "$late" ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" \
		"$(head -10 "$ktcp_tmp/rst-a.txt" "$ktcp_tmp/rst-b.txt")" \
		"a: $snmp_a" "b: $snmp_b"
fi
# retrans_rate NAME NEW RETRANS: "NAME R per 1000 new segments".
retrans_rate()
{
	echo "$1 $(($3 * 1000 / ($2 > 0 ? $2 : 1))) per 1000 new segments ($3 / $2)"
}

# Retransmissions of each stack per segment of new data or control it
# sent, both namespaces together (native's OutSegs leaves retransmissions
# out, ktcp's counts them: taken off here).  Printed, not judged: the
# pairs differ in what each stack carries, and an emulated, loaded
# guest varies from run to run.
kout=$(($(snmp "$nsa" OutSegs) + $(snmp "$nsb" OutSegs)))
kre=$(($(snmp "$nsa" RetransSegs) + $(snmp "$nsb" RetransSegs)))
nout=$(($(native_tcp "$nsa" OutSegs) + $(native_tcp "$nsb" OutSegs)))
nre=$(($(native_tcp "$nsa" RetransSegs) + $(native_tcp "$nsb" RetransSegs)))
tap_diag "RSTs on the wire by pair:$per_pair; native a ${nrst[a]}, b ${nrst[b]}" \
	"native RetransSegs a $(native_tcp "$nsa" RetransSegs), b $(native_tcp "$nsb" RetransSegs); ktcp RetransSegs a $(snmp "$nsa" RetransSegs), b $(snmp "$nsb" RetransSegs)" \
	"retransmitted: $(retrans_rate ktcp $((kout - kre)) $kre), $(retrans_rate native "$nout" $nre); PAWSEstab ktcp a $(snmp "$nsa" PAWSEstab), b $(snmp "$nsb" PAWSEstab), native a $(native_ext "$nsa" PAWSEstab), b $(native_ext "$nsb" PAWSEstab)"

# 6
desc="every RST has a cause: Rst* a ${causes[a]} = OutRsts ${krst[a]}, b ${causes[b]} = ${krst[b]}; captured a ${wire[a]} = ${krst[a]} + ${nrst[a]}, b ${wire[b]} = ${krst[b]} + ${nrst[b]}"
if ip netns exec "$nsa" grep -q '^Rst' /proc/net/ktcp_snmp &&
   [ "${causes[a]}" = "${krst[a]}" ] && [ "${causes[b]}" = "${krst[b]}" ] &&
   [ "${wire[a]}" = $((krst[a] + nrst[a])) ] &&
   [ "${wire[b]}" = $((krst[b] + nrst[b])) ] &&
   [ "${dropped[a]:-0}" = 0 ] && [ "${dropped[b]:-0}" = 0 ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "tcpdump a: $(tr '\n' ' ' <"$ktcp_tmp/tcpdump-a.out")" \
		"tcpdump b: $(tr '\n' ' ' <"$ktcp_tmp/tcpdump-b.out")" \
		"a: $snmp_a" "b: $snmp_b"
fi

# 7
kconns_a=$(( $(field "$ktcp_tmp/client-kk.out" client conns) +
	     $(field "$ktcp_tmp/client-kn.out" client conns) +
	     $(field "$ktcp_tmp/client-kd.out" client conns) ))
kconns_b=$(( $(field "$ktcp_tmp/server-kk.out" server conns) +
	     $(field "$ktcp_tmp/server-nk.out" server conns) +
	     $(field "$ktcp_tmp/server-kd.out" server conns) ))
active=$(snmp "$nsa" ActiveOpens) passive=$(snmp "$nsb" PassiveOpens)
fails=$(( $(snmp "$nsa" AttemptFails) + $(snmp "$nsb" AttemptFails) ))
eresets=$(( $(snmp "$nsa" EstabResets) + $(snmp "$nsb" EstabResets) ))
desc="ActiveOpens $active = $kconns_a ktcp connects, PassiveOpens $passive = $kconns_b ktcp accepts, AttemptFails $fails, EstabResets $eresets"
if [ "$active" = "$kconns_a" ] && [ "$passive" = "$kconns_b" ] &&
   [ "$fails" = 0 ] && [ "$eresets" = 0 ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "a: $snmp_a" "b: $snmp_b"
fi

# 9: waited for above, before the captures stopped.
desc="every connection closed: CurrEstab 0, no ktcp or native socket left but in TIME-WAIT"
if [ -z "$left" ] && [ "$(snmp "$nsa" CurrEstab)" = 0 ] &&
   [ "$(snmp "$nsb" CurrEstab)" = 0 ]; then
	tap_ok "$desc"
else
	tap_fail "$desc" "CurrEstab a $(snmp "$nsa" CurrEstab), b $(snmp "$nsb" CurrEstab)" \
		"$(echo "$left" | head -20)"
fi

tap_exit
