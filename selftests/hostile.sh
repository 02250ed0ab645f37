#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostile.sh - a peer that lies: tiny MSS options, a zero window and
# then silence, ACKs outside the window.  ktcp and native TCP meet the
# same peer in the same run; the peer judges both on the wire.
#
# Namespaces ktcp-ha-<pid> (10.77.3.1, the applications) and
# ktcp-hb-<pid> (the peer), joined by a veth pair.  The peer,
# hostile_peer.py, speaks from 10.77.3.99, an address nobody owns: a
# permanent neighbour entry in ha sends it to hb's link, where the peer
# reads it from an AF_PACKET socket, so hb's native stack never answers
# with a RST.  The applications are hostile_app.py, run natively and on
# ktcp (libktcp-preload.so), the very same code.
#
#  1-3  issue 11 item 1: a SYN with MSS 0, 1, 11, 12, 13 or 48, with
#       and without timestamps, to a ktcp echo server: the handshake
#       completes, 600 bytes come back intact in segments of 48 bytes
#       (36 with timestamps; 536/524 for MSS 0, read as no option),
#       never empty, as native's in every case (MSS 12 with timestamps
#       made ktcp's send MSS 0 and divided by zero in softirq);
#  4-5  a ktcp connect() answered by a SYN-ACK with MSS 12 (+TS): the
#       600 bytes arrive in 36-byte segments, as native's;
#  6-8  item 4: the peer closes its window and goes silent.  With
#       retries2 = 3 (net.ktcp and net.ipv4 alike) a blocked writer
#       gets ETIMEDOUT after 3 unanswered probes, counted on the wire,
#       as native; and once closed (an orphan, orphan_retries = 2) the
#       socket is gone from /proc/net/ktcp after 2 probes, as native's
#       after its 2;
#  9-10 item 5: ACKs 100000 ahead of SND.NXT and 1000000 behind SND.UNA
#       each draw one challenge ACK, a burst of 20 draws at most one
#       (per-socket limit, 500 ms), and the echo still works; native
#       answers the old ACKs the same way (it drops ACKs of unsent data
#       without an ACK, where RFC 5961 5.2 and ktcp send one).
#  11   the counters agree: TCPChallengeACK, TCPACKSkippedChallenge,
#       KtcpOutOfWindowAcks, KtcpPersistProbes, TCPAbortOnTimeout.
# 12-22 timers once jiffies passed 2^32 (300 s after boot on 64-bit;
#       the cases wait for an uptime of 310 s and print it): u32 stamps
#       compared with the full jiffies made TCP_USER_TIMEOUT end a
#       connection one tick after its first RTO and probe a zero window
#       every tick.  12-13 the first segment lost twice, with
#       TCP_USER_TIMEOUT 5 s: delivered the third time, no ETIMEDOUT;
#       14-15 a zero window whose probes are answered, TCP_USER_TIMEOUT
#       3 s: ETIMEDOUT after about 3 s and a handful of probes, as
#       native's; 16-17 the same with a silent peer: retries2 = 3
#       probes spaced by the backoff, not by ticks; 18-19 the window
#       opens after 4 answered probes and the first segment is lost: it
#       is resent after an RTO, not after the last probe's backoff;
#       20 an orphan whose peer answers every probe is reset at its
#       next probe once net.ktcp.max_orphans is below the orphans
#       (TCPAbortOnMemory, the RST on the wire; native's limit is
#       global, so ktcp only); 21-22 an orphan whose peer answers every
#       probe is gone once its probe interval reached 120 s
#       (orphan_retries 0, RTO 120 s: net.ktcp.rto_min_ms, a route's
#       rto_min for native), as native's, where ktcp probed it every
#       120 s for ever (stock kernel only: two minutes).
#
# On the debug kernel (KTCP_DEBUG_KERNEL=1) the native references are
# left out: they test the native stack, which the stock kernel's run
# compares ktcp with; there 2, 3, 5, 10, 13, 15, 17, 19 and 22 are
# skips, 6-7 and 14-17 check ktcp's own numbers, the ones native gives
# on the stock kernel, and 21 (two minutes) is left to the stock kernel.
#
# Needs root, a loaded ktcp.ko, python3, ip and
# userspace/build/libktcp-preload.so.  Prints TAP; exits 0 or 1.

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

bin=${KTCP_USERSPACE_BIN:-$KTCP_SELFTESTS_DIR/../userspace/build}
so=$bin/libktcp-preload.so
peer=$KTCP_SELFTESTS_DIR/hostile_peer.py
app=$KTCP_SELFTESTS_DIR/hostile_app.py
a=ktcp-ha-$$ b=ktcp-hb-$$
ip_a=10.77.3.1 ip_peer=10.77.3.99
pids=()
with_native=1
ktcp_with_native || with_native=0
stock_only="native reference: on the stock kernel only"

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in $(ip netns pids "$a" 2>/dev/null) $(ip netns pids "$b" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ktcp_lib_cleanup
}
trap cleanup EXIT

ktcp_require python3 ip
ktcp_lib_init
[ -r "$so" ] || tap_skip_all "$so missing: make -C userspace"
[ -r /proc/net/ktcp_snmp ] || tap_skip_all "ktcp is not loaded"
tap_plan 22

netns_add "$a" "$b"
ip link add va netns "$a" type veth peer name vb netns "$b" ||
	tap_bail "veth pair"
ip -n "$a" addr add "$ip_a/24" dev va
ip -n "$b" addr add 10.77.3.2/24 dev vb
ip -n "$a" link set va up
ip -n "$b" link set vb up
mac_b=$(ip -n "$b" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$a" neigh replace "$ip_peer" lladdr "$mac_b" dev va nud permanent ||
	tap_bail "neighbour entry for $ip_peer"
# The same limits for both stacks, in ha only.
ip netns exec "$a" sh -c '
	echo 3 >/proc/sys/net/ktcp/retries2
	echo 2 >/proc/sys/net/ktcp/orphan_retries
	echo 3 >/proc/sys/net/ipv4/tcp_retries2
	echo 2 >/proc/sys/net/ipv4/tcp_orphan_retries' ||
	tap_bail "sysctls in $a"

ns_watch "$a"
net=$(ns_net "$a")

on_ktcp()
{
	ip netns exec "$a" env LD_PRELOAD="$so" KTCP_PRELOAD=all \
		KTCP_PRELOAD_STRICT=1 "$@"
}

on_native()
{
	ip netns exec "$a" "$@"
}

on_peer()
{
	ip netns exec "$b" python3 "$peer" "$1" "$ip_peer" vb "${@:2}"
}

# on_peer_at ADDR MODE ARGS...: the peer, speaking from ADDR.
on_peer_at()
{
	ip netns exec "$b" python3 "$peer" "$2" "$1" vb "${@:3}"
}

counter()
{
	awk -v n="$1" '$1 == n { print $2 }' "$net/ktcp_snmp"
}

# json FILE KEY: that field of every JSON line of FILE (numbers, true
# and false as they are, strings without their quotes).  sed, not
# python: a process start costs seconds under emulation.
json()
{
	sed -n "s/.*\"$2\": \"\{0,1\}\([^,}\"]*\).*/\1/p" "$1"
}

# Start the echo servers: ktcp on 7001, native on 7002.
on_ktcp python3 "$app" echo 7001 >"$ktcp_tmp/echo-ktcp" 2>&1 &
pids+=($!)
if [ "$with_native" = 1 ]; then
	on_native python3 "$app" echo 7002 >"$ktcp_tmp/echo-native" 2>&1 &
	pids+=($!)
else
	echo listening >"$ktcp_tmp/echo-native"
fi
end=$((SECONDS + 300))
until file_has_line "$ktcp_tmp/echo-ktcp" listening &&
	file_has_line "$ktcp_tmp/echo-native" listening; do
	[ "$SECONDS" -lt "$end" ] || break
	ktcp_nap 0.1
done

# --- 1-3: MSS options of 0 to 48 at a listener ------------------------

on_peer mss-listen "$ip_a" 7001 >"$ktcp_tmp/mss-ktcp" 2>&1 &
p1=$!
[ "$with_native" = 0 ] ||
	on_peer mss-listen "$ip_a" 7002 >"$ktcp_tmp/mss-native" 2>&1
wait "$p1"

# mss_check FILE: every case worked, in full segments of the floor.
mss_check()
{
	python3 - "$1" <<'EOF'
import json, sys
bad = []
n = 0
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    n += 1
    full = 536 if d["mss"] == 0 else 48
    if d["ts_agreed"]:
        full -= 12
    if not d["ok"] or d["min"] <= 0 or d["max"] != full:
        bad.append("MSS %d ts %s: ok %s, segments %d..%d (want %d)" %
                   (d["mss"], d["ts"], d["ok"], d["min"], d["max"], full))
    if d["ts"] and not d["ts_agreed"]:
        bad.append("MSS %d: timestamps not agreed" % d["mss"])
if n != 12:
    bad.append("%d cases of 12 reported" % n)
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
}

if out=$(mss_check "$ktcp_tmp/mss-ktcp"); then
	tap_ok "ktcp listener: SYN MSS 0/1/11/12/13/48 +-TS, echo intact in floor-sized segments"
else
	tap_fail "ktcp listener: SYN MSS 0/1/11/12/13/48 +-TS, echo intact in floor-sized segments" \
		"$out" "$(cat "$ktcp_tmp/mss-ktcp")"
fi
if [ "$with_native" = 0 ]; then
	tap_skip "native listener (reference): the same cases, the same sizes" "$stock_only"
	tap_skip "ktcp's largest segment equals native's in every case" "$stock_only"
elif out=$(mss_check "$ktcp_tmp/mss-native"); then
	tap_ok "native listener (reference): the same cases, the same sizes"
else
	tap_fail "native listener (reference): the same cases, the same sizes" \
		"$out" "$(cat "$ktcp_tmp/mss-native")"
fi
if [ "$with_native" = 0 ]; then
	:
elif [ "$(json "$ktcp_tmp/mss-ktcp" max)" = "$(json "$ktcp_tmp/mss-native" max)" ] &&
   [ -n "$(json "$ktcp_tmp/mss-ktcp" max)" ]; then
	tap_ok "ktcp's largest segment equals native's in every case"
else
	tap_fail "ktcp's largest segment equals native's in every case" \
		"ktcp: $(json "$ktcp_tmp/mss-ktcp" max | tr '\n' ' ')" \
		"native: $(json "$ktcp_tmp/mss-native" max | tr '\n' ' ')"
fi

# --- 4-5: a SYN-ACK with MSS 12 -------------------------------------

# mss_connect NAME RUN PORT: the peer answers MSS 12; print its report.
mss_connect()
{
	local ppid

	on_peer mss-connect "$3" >"$ktcp_tmp/conn-$1" 2>&1 &
	ppid=$!
	sleep 1
	$2 timeout 60 python3 "$app" send "$ip_peer" "$3" 600 \
		>"$ktcp_tmp/conn-app-$1" 2>&1
	wait "$ppid"
}

for side in ktcp native; do
	if [ "$side" = native ] && [ "$with_native" = 0 ]; then
		tap_skip "native connect(): SYN-ACK MSS 12 +TS, 600 bytes in 36-byte segments" "$stock_only"
		continue
	fi
	mss_connect "$side" "on_$side" $((7100 + ${#side}))
	r=$(cat "$ktcp_tmp/conn-$side")
	if [ "$(json "$ktcp_tmp/conn-$side" ok)" = true ] &&
	   [ "$(json "$ktcp_tmp/conn-$side" ts_agreed)" = true ] &&
	   [ "$(json "$ktcp_tmp/conn-$side" max)" = 36 ] &&
	   [ "$(json "$ktcp_tmp/conn-$side" min)" -gt 0 ]; then
		tap_ok "$side connect(): SYN-ACK MSS 12 +TS, 600 bytes in 36-byte segments"
	else
		tap_fail "$side connect(): SYN-ACK MSS 12 +TS, 600 bytes in 36-byte segments" \
			"peer: $r" "app: $(cat "$ktcp_tmp/conn-app-$side")"
	fi
done

# --- 6-8: zero window, then silence -----------------------------------

probes0=$(counter KtcpPersistProbes)
aborts0=$(counter TCPAbortOnTimeout)
# persist NAME RUN PORT HOW: the peer's report, then the app's.
persist()
{
	local ppid

	on_peer persist "$3" 20 >"$ktcp_tmp/persist-$1-$4" 2>&1 &
	ppid=$!
	sleep 1
	$2 timeout 60 python3 "$app" fill "$ip_peer" "$3" "$4" \
		>"$ktcp_tmp/persist-app-$1-$4" 2>&1
	wait "$ppid"
}

persist ktcp on_ktcp 7201 block &
pk=$!
[ "$with_native" = 0 ] || persist native on_native 7202 block
wait "$pk"
kp=$(json "$ktcp_tmp/persist-ktcp-block" probes)
ke=$(json "$ktcp_tmp/persist-app-ktcp-block" error)
np=3 ne=ETIMEDOUT
if [ "$with_native" = 1 ]; then
	np=$(json "$ktcp_tmp/persist-native-block" probes)
	ne=$(json "$ktcp_tmp/persist-app-native-block" error)
fi
if [ "$kp" = 3 ] && [ "$ke" = ETIMEDOUT ] && [ "$np" = "$kp" ] &&
   [ "$ne" = ETIMEDOUT ]; then
	tap_ok "zero window, silent peer: ETIMEDOUT to a blocked writer after retries2 = 3 probes on the wire, as native"
else
	tap_fail "zero window, silent peer: ETIMEDOUT to a blocked writer after retries2 = 3 probes on the wire, as native" \
		"ktcp peer: $(cat "$ktcp_tmp/persist-ktcp-block")" \
		"ktcp app: $(cat "$ktcp_tmp/persist-app-ktcp-block")" \
		"native peer: $(cat "$ktcp_tmp/persist-native-block")" \
		"native app: $(cat "$ktcp_tmp/persist-app-native-block")"
fi

persist ktcp on_ktcp 7203 close &
pk=$!
[ "$with_native" = 0 ] || persist native on_native 7204 close
wait "$pk"
kp=$(json "$ktcp_tmp/persist-ktcp-close" probes)
np=2
[ "$with_native" = 0 ] || np=$(json "$ktcp_tmp/persist-native-close" probes)
if [ "$kp" = 2 ] && [ "$np" = "$kp" ]; then
	tap_ok "zero window, silent peer, close(): the orphan gives up after orphan_retries = 2 probes, as native"
else
	tap_fail "zero window, silent peer, close(): the orphan gives up after orphan_retries = 2 probes, as native" \
		"ktcp peer: $(cat "$ktcp_tmp/persist-ktcp-close")" \
		"native peer: $(cat "$ktcp_tmp/persist-native-close")"
fi
left=$(awk 'NR > 1 && ($3 ~ /:1C2[0-9A-F]$/)' "$net/ktcp" | wc -l)
if [ "$left" = 0 ]; then
	tap_ok "no ktcp socket of the silent peers is left in /proc/net/ktcp"
else
	tap_fail "no ktcp socket of the silent peers is left in /proc/net/ktcp" \
		"$(cat "$net/ktcp")"
fi

# --- 9-10: ACKs outside the window ------------------------------------

# A burst of 20 from a Python peer can take the debug guest longer than
# native's 500 ms interval to send: one burst would then draw two
# challenge ACKs by right.  There the interval is 3 s for this case
# (there is no native reference to compare with).
ch_limit=0.5
if [ "$with_native" = 0 ]; then
	ch_limit=3
	rl0=$(ip netns exec "$a" cat /proc/sys/net/ktcp/invalid_ratelimit)
	ip netns exec "$a" sh -c 'echo 3000 >/proc/sys/net/ktcp/invalid_ratelimit'
fi
ch0=$(counter TCPChallengeACK)
sk0=$(counter TCPACKSkippedChallenge)
oo0=$(counter KtcpOutOfWindowAcks)
on_peer challenge "$ip_a" 7001 "$ch_limit" >"$ktcp_tmp/ch-ktcp" 2>&1 &
p1=$!
[ "$with_native" = 0 ] ||
	on_peer challenge "$ip_a" 7002 >"$ktcp_tmp/ch-native" 2>&1
wait "$p1"
[ "$with_native" = 1 ] ||
	ip netns exec "$a" sh -c "echo $rl0 >/proc/sys/net/ktcp/invalid_ratelimit"
f=$ktcp_tmp/ch-ktcp
if [ "$(json "$f" ok)" = true ] && [ "$(json "$f" flows)" = true ] &&
   [ "$(json "$f" ahead)" = 1 ] && [ "$(json "$f" old)" = 1 ] &&
   [ "$(json "$f" old_burst)" = 1 ] && [ "$(json "$f" ahead_burst)" = 1 ]; then
	tap_ok "ktcp: ACKs ahead of SND.NXT and behind SND.UNA - MAX.SND.WND draw one challenge ACK each, bursts one, data still flows"
else
	tap_fail "ktcp: ACKs ahead of SND.NXT and behind SND.UNA - MAX.SND.WND draw one challenge ACK each, bursts one, data still flows" \
		"$(cat "$f")"
fi
f=$ktcp_tmp/ch-native
if [ "$with_native" = 0 ]; then
	tap_skip "native (reference): old ACKs draw one challenge ACK, bursts one, data still flows" "$stock_only"
elif [ "$(json "$f" ok)" = true ] && [ "$(json "$f" flows)" = true ] &&
   [ "$(json "$f" old)" = 1 ] && [ "$(json "$f" old_burst)" = 1 ]; then
	tap_ok "native (reference): old ACKs draw one challenge ACK, bursts one, data still flows"
	tap_diag "native, ACKs of unsent data: $(json "$f" ahead) and $(json "$f" ahead_burst) ACKs (it drops them silently)"
else
	tap_fail "native (reference): old ACKs draw one challenge ACK, bursts one, data still flows" \
		"$(cat "$f")"
fi

# --- 11: counters -----------------------------------------------------

probes=$(( $(counter KtcpPersistProbes) - probes0 ))
aborts=$(( $(counter TCPAbortOnTimeout) - aborts0 ))
ch=$(( $(counter TCPChallengeACK) - ch0 ))
sk=$(( $(counter TCPACKSkippedChallenge) - sk0 ))
oo=$(( $(counter KtcpOutOfWindowAcks) - oo0 ))
# The ACKs the peer saw, and the 42 it sent: 1 + 1 + 20 + 20.
seen=0
for k in ahead old old_burst ahead_burst; do
	v=$(json "$ktcp_tmp/ch-ktcp" "$k")
	seen=$((seen + ${v//[^0-9]/}))
done
if [ "$probes" = 5 ] && [ "$aborts" = 2 ] && [ "$ch" = "$seen" ] &&
   [ "$sk" = $((42 - seen)) ] && [ "$oo" = 42 ]; then
	tap_ok "counters: 5 persist probes, 2 timeouts, the $seen challenge ACKs on the wire, the other $((42 - seen)) of 42 out-of-window ACKs held back"
else
	tap_fail "counters: 5 persist probes, 2 timeouts, challenge ACKs as on the wire ($seen), the rest of 42 out-of-window ACKs held back" \
		"KtcpPersistProbes +$probes TCPAbortOnTimeout +$aborts TCPChallengeACK +$ch TCPACKSkippedChallenge +$sk KtcpOutOfWindowAcks +$oo"
fi

# --- 12-22: timers once jiffies passed 2^32 ---------------------------

ip netns exec "$a" sh -c '
	echo 0 >/proc/sys/net/ktcp/orphan_retries
	echo 0 >/proc/sys/net/ipv4/tcp_orphan_retries' ||
	tap_bail "orphan_retries in $a"

# 21-22 take two minutes: start them first, from a second address
# whose route gives native an RTO of 120 s; ktcp gets it from
# rto_min_ms while its connection takes its RTT samples.
ip_cap=10.77.3.98
cap_pids=()
if [ "$with_native" = 1 ]; then
	ip -n "$a" neigh replace "$ip_cap" lladdr "$mac_b" dev va nud permanent &&
	ip -n "$a" route add "$ip_cap/32" dev va rto_min 120s ||
		tap_bail "route to $ip_cap"
	rto_min0=$(ip netns exec "$a" cat /proc/sys/net/ktcp/rto_min_ms)
	ip netns exec "$a" sh -c 'echo 120000 >/proc/sys/net/ktcp/rto_min_ms'
	for side in ktcp native; do
		port=$((7300 + ${#side}))
		on_peer_at "$ip_cap" persist-answer "$port" 140 \
			>"$ktcp_tmp/cap-$side" 2>&1 &
		cap_pids+=($!)
	done
	sleep 1
	on_ktcp timeout 60 python3 "$app" fill "$ip_cap" 7304 close \
		>"$ktcp_tmp/cap-app-ktcp" 2>&1 &
	p1=$!
	on_native timeout 60 python3 "$app" fill "$ip_cap" 7306 close \
		>"$ktcp_tmp/cap-app-native" 2>&1
	wait "$p1"
	# Every RTT sample is taken once the window is closed.
	wait_line "$ktcp_tmp/cap-ktcp" zero_window 300 || true
	ip netns exec "$a" sh -c "echo $rto_min0 >/proc/sys/net/ktcp/rto_min_ms"
fi

# The timer cases below cross the 32-bit jiffies wrap (5 minutes after
# boot): wait for it.  The debug kernel skips them.
if [ "$with_native" = 1 ]; then
	up=$(cut -d. -f1 /proc/uptime)
	while [ "$up" -lt 310 ]; do
		sleep 5
		up=$(cut -d. -f1 /proc/uptime)
	done
	tap_diag "uptime $up s, jiffies $(awk '/^jiffies:/ { print $2; exit }' /proc/timer_list 2>/dev/null) (2^32 = 4294967296)"
fi

# pair NAME PEER_MODE PEER_ARGS APP_ARGS APP_ARGS2: the peer on port
# 7310 + N (ktcp) and 7320 + N (native) for the Nth pair, and the
# application "APP_ARGS PORT APP_ARGS2" of each stack, both at once
# (native on the stock kernel only); the reports go to NAME-ktcp,
# NAME-native, NAME-app-ktcp and NAME-app-native.
pair_n=0
pair()
{
	local side port pp=() pa=() run

	pair_n=$((pair_n + 1))
	for side in ktcp native; do
		[ "$side" = ktcp ] || [ "$with_native" = 1 ] || continue
		port=$((7310 + pair_n))
		[ "$side" = ktcp ] || port=$((port + 10))
		# shellcheck disable=SC2086 # word lists on purpose
		on_peer "$2" "$port" $3 >"$ktcp_tmp/$1-$side" 2>&1 &
		pp+=($!)
	done
	sleep 1
	for side in ktcp native; do
		[ "$side" = ktcp ] || [ "$with_native" = 1 ] || continue
		port=$((7310 + pair_n))
		[ "$side" = ktcp ] || port=$((port + 10))
		run=on_$side
		# shellcheck disable=SC2086
		$run timeout 60 python3 "$app" $4 "$port" $5 \
			>"$ktcp_tmp/$1-app-$side" 2>&1 &
		pa+=($!)
	done
	wait "${pp[@]}" "${pa[@]}"
}

# field NAME SIDE KEY [app]: KEY of the peer's (or the app's) report.
field()
{
	json "$ktcp_tmp/$1${4:+-$4}-$2" "$3"
}

# list NAME SIDE KEY: the numbers of a list KEY of the peer's report.
list()
{
	sed -n "s/.*\"$3\": \[\([^]]*\)\].*/\1/p" "$ktcp_tmp/$1-$2"
}

# report NAME SIDE: both reports, for a failure's diagnostics.
report()
{
	echo "$2 peer: $(cat "$ktcp_tmp/$1-$2")"
	echo "$2 app: $(cat "$ktcp_tmp/$1-app-$2")"
}

# span "a, b, c": the seconds from the first to the last of a list.
span()
{
	echo "$1" | tr -d ' ' | awk -F, '{ printf "%.2f", $NF - $1 }'
}

# 12-19: timers, each case beside native's.  Their timings under
# emulation on the debug kernel mean little and take it 8 minutes; its
# checkers see the same timers in cases 6-8 and 20.
if [ "$with_native" = 0 ]; then
	for n in 12 13 14 15 16 17 18 19; do
		tap_skip "timer case $n (TCP_USER_TIMEOUT, persist, RTO after probes)" \
			"timings against native: on the stock kernel only"
	done
else
	# 12-13: one segment lost twice under TCP_USER_TIMEOUT 5 s.
	pair rtout rto-ut 1000 "send $ip_peer" "1000 5000"
	for side in ktcp native; do
		d="$side: first segment lost twice, TCP_USER_TIMEOUT 5 s: resent at RTO, delivered, no ETIMEDOUT"
		if [ "$(field rtout "$side" ok)" = true ] &&
		     [ "$(field rtout "$side" copies)" = 3 ] &&
		     [ "$(field rtout "$side" rst)" = false ] &&
		     [ "$(field rtout "$side" end app)" = eof ]; then
			tap_ok "$d"
			tap_diag "$side: the three copies at $(list rtout "$side" at) s"
		else
			tap_fail "$d" "$(report rtout "$side")"
		fi
	done

	# 14-15: every probe answered, TCP_USER_TIMEOUT 3 s.
	pair utans persist-answer 7 "fill $ip_peer" "block 3000"
	np=$(field utans native probes)
	lo=$((np - 1)) hi=$((np + 1))
	for side in ktcp native; do
		d="$side: zero window, every probe answered, TCP_USER_TIMEOUT 3 s: ETIMEDOUT after 3 s, probes backed off ($np: $lo to $hi)"
		p=$(field utans "$side" probes)
		w=$(field utans "$side" waited app)
		if [ "$(field utans "$side" error app)" = ETIMEDOUT ] &&
		     [ -n "$p" ] && [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ] &&
		     [ "$p" -ge 1 ] && [ "$p" -le 8 ] &&
		     awk -v w="$w" 'BEGIN { exit !(w >= 2.5 && w <= 10) }'; then
			tap_ok "$d"
			tap_diag "$side: $p probes at $(list utans "$side" at) s, ETIMEDOUT after $w s"
		else
			tap_fail "$d" "$(report utans "$side")"
		fi
	done

	# 16-17: a silent peer, TCP_USER_TIMEOUT 3 s, retries2 = 3: the probes
	# come an RTO, 2 and 4 RTOs apart, native's spread.
	pair utsil persist 7 "fill $ip_peer" "block 3000"
	np=$(field utsil native probes)
	ns=$(span "$(list utsil native at)")
	lo=$(awk -v n="$ns" 'BEGIN { printf "%.2f", n / 2 < 0.5 ? 0.5 : n / 2 }')
	hi=$(awk -v n="$ns" 'BEGIN { printf "%.2f", n * 2 + 0.5 }')
	for side in ktcp native; do
		d="$side: zero window, silent peer, TCP_USER_TIMEOUT 3 s: $np probes spread over $lo to $hi s${ns:+ (native: $ns s)}, ETIMEDOUT"
		p=$(field utsil "$side" probes)
		sp=$(span "$(list utsil "$side" at)")
		if [ "$(field utsil "$side" error app)" = ETIMEDOUT ] &&
		     [ "$p" = "$np" ] &&
		     awk -v s="$sp" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(s >= lo && s <= hi) }'; then
			tap_ok "$d"
			tap_diag "$side: probes at $(list utsil "$side" at) s"
		else
			tap_fail "$d" "$(report utsil "$side")"
		fi
	done

	# 18-19: the window opens after 4 answered probes; the next segment is lost.
	pair open persist-answer "20 4" "fill $ip_peer" block
	for side in ktcp native; do
		d="$side: the window opens after 4 answered probes, the first segment is lost: resent after an RTO (< 1.6 s), not the probes' backoff"
		dl=$(field open "$side" delay)
		if [ "$(field open "$side" probes)" = 4 ] && [ -n "$dl" ] &&
		     [ "$dl" != null ] &&
		     awk -v d="$dl" 'BEGIN { exit !(d < 1.6) }'; then
			tap_ok "$d"
			tap_diag "$side: probes at $(list open "$side" at) s, resent after $dl s"
		else
			tap_fail "$d" "$(report open "$side")"
		fi
	done
fi

# 20: an orphan whose peer answers, and a max_orphans now below it.
mem0=$(counter TCPAbortOnMemory)
max0=$(ip netns exec "$a" cat /proc/sys/net/ktcp/max_orphans)
on_peer persist-answer 7341 60 >"$ktcp_tmp/oom-ktcp" 2>&1 &
op=$!
sleep 1
on_ktcp timeout 60 python3 "$app" fill "$ip_peer" 7341 close \
	>"$ktcp_tmp/oom-app-ktcp" 2>&1
# Closed; once the peer has answered a probe (an RTO or more after the
# window closed: seconds on the debug kernel), no orphan is allowed.
while kill -0 "$op" 2>/dev/null; do
	file_has_line "$ktcp_tmp/oom-ktcp" '"probe": 1\}' && break
	ktcp_nap 0.1
done
ip netns exec "$a" sh -c 'echo 0 >/proc/sys/net/ktcp/max_orphans'
wait "$op"
ip netns exec "$a" sh -c "echo $max0 >/proc/sys/net/ktcp/max_orphans"
mem=$(( $(counter TCPAbortOnMemory) - mem0 ))
r=$(field oom ktcp rst)
if [ -n "$r" ] && [ "$r" != null ] && [ "$mem" -ge 1 ] &&
   [ "$(field oom ktcp probes)" -ge 1 ]; then
	tap_ok "ktcp: an orphan whose peer answers its probes is reset at the next one once max_orphans is 0 (RST on the wire, TCPAbortOnMemory +1)"
	tap_diag "probes at $(list oom ktcp at) s, RST at $r s"
else
	tap_fail "ktcp: an orphan whose peer answers its probes is reset at the next one once max_orphans is 0 (RST on the wire, TCPAbortOnMemory +1)" \
		"TCPAbortOnMemory +$mem" "$(report oom ktcp)"
fi

# 21-22: the two orphans of the start, their peers answering throughout.
d="an orphan whose peer answers every probe is gone once its probe interval reached 120 s, as native"
if [ "$with_native" = 0 ]; then
	tap_skip "ktcp: $d" "two minutes: on the stock kernel only"
	tap_skip "native: $d" "$stock_only"
else
	wait "${cap_pids[@]}"
	kleft=$(awk 'NR > 1 && $3 ~ /:1C88$/' "$net/ktcp" | wc -l)
	nleft=$(ip netns exec "$a" ss -tanH dst "$ip_cap" | wc -l)
	# Data flowed (both hold back the last 1100 bytes of the 4000:
	# sender SWS avoidance, until a timeout of 120 s).
	if [ "$kleft" = 0 ] && [ "$(field cap ktcp got)" -gt 0 ] 2>/dev/null &&
	   [ "$(field cap ktcp probes)" = "$(field cap native probes)" ]; then
		tap_ok "ktcp: $d"
		tap_diag "ktcp: $(field cap ktcp probes) probes; native: $(field cap native probes)"
	else
		tap_fail "ktcp: $d" "left in /proc/net/ktcp: $kleft" \
			"$(report cap ktcp)" "$(report cap native)" "$(cat "$net/ktcp")"
	fi
	if [ "$nleft" = 0 ] && [ "$(field cap native got)" -gt 0 ] 2>/dev/null; then
		tap_ok "native: $d"
	else
		tap_fail "native: $d" "$(ip netns exec "$a" ss -tanoiH dst "$ip_cap")" \
			"$(report cap native)"
	fi
fi

tap_exit
