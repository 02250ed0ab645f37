#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# packetdrill.sh - packetdrill scripts on native TCP and on ktcp, side
# by side.
#
# Every script runs twice, each time in a fresh network namespace
# (unshare -n) under a timeout, one packetdrill process per run, several
# runs at once (each has its namespace and tun device; most of a run
# is the script's own waiting):
#
#   native  plain packetdrill: the reference.  A script native fails is
#           a wrong script.
#   ktcp    packetdrill under libktcp-preload.so (KTCP_PRELOAD_STRICT=1,
#           so that a socket ktcp cannot take fails instead of falling
#           back to native); a pass also needs the preload library's
#           word that the script's socket was on ktcp.
#
# packetdrill injects the peer's segments through its tun device: they
# enter the namespace's IP stack as received packets, pass
# NF_INET_LOCAL_IN, where ktcp's hook takes those of ktcp's sockets,
# and ktcp's replies go out through the tun device to packetdrill.
#
# Script sets (KTCP_PACKETDRILL_SETS, comma-separated, default
# "own,kernel,google-loss"):
#
#   own     selftests/packetdrill/*.pkt: issue 11's cases, and what
#           the third-party sets found ktcp doing unlike native.  The MSS
#           scripts (mss-*) run last, and on ktcp those that announce
#           an MSS of 12 or less last of all: on a ktcp without an MSS
#           floor they may crash the kernel.
#   kernel  the kernel's tools/testing/selftests/net/packetdrill/*.pkt,
#           from the kernel source tree the test setup unpacked
#           (KTCP_PACKETDRILL_KSRC, or the cache's source-*/linux-*);
#   google  google's gtests/net/tcp/*/*.pkt, kept beside the binary by
#           scripts/build-packetdrill.sh;
#   google-loss  of those, loss recovery's directories only (a minute on
#           the stock guest): fast retransmit and recovery, Limited
#           Transmit, SACK, the tail loss probe's user_timeout and
#           shutdown scripts.  What ktcp's RACK, PRR, TLP and CUBIC
#           were built to match, in the one test command.
#
# The third-party sets are not ktcp's to change (stage_set only makes
# their defaults.sh faster, and sets ktcp's sysctls beside native's): a
# script of theirs that native fails here is listed and not run on
# ktcp; ktcp's results on the others are reported, a failure listed in
# packetdrill/known-failures (a feature ktcp does not have, such as
# TCP-MD5) as a skip with its reason.  The kernel's set runs by default
# (two minutes on the stock guest); google's is opt-in (ten to twenty).
#
# Environment:
#   KTCP_PACKETDRILL            the packetdrill binary (default: the
#                               cache's, see scripts/build-packetdrill.sh)
#   KTCP_PACKETDRILL_SETS       see above
#   KTCP_PACKETDRILL_ONLY       a pattern (grep -E) of script names to run
#   KTCP_PACKETDRILL_TIMEOUT    seconds per run (default 60)
#   KTCP_PACKETDRILL_JOBS       runs at once (default 4; 1 on the debug
#                               kernel)
#   KTCP_PACKETDRILL_TOLERANCE  packetdrill's --tolerance_usecs (default
#                               150000; 300000 on the debug kernel:
#                               emulated guests on a busy host are late)
#   KTCP_PACKETDRILL_VERBOSE    1: run packetdrill -v and print a
#                               failing run's whole output (debugging)
#   KTCP_PRELOAD_SO             the preload library (default
#                               ../userspace/build/libktcp-preload.so)
#
# Needs root, a loaded ktcp.ko, unshare, ethtool and the packetdrill
# binary; without packetdrill every run is skipped (plan "1..0 # SKIP",
# exit 4), never passed.  Prints TAP; exits 0 (pass), 1 (fail) or 4.

set -u

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

cache=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/ktcp
pd=${KTCP_PACKETDRILL:-}
for c in "$cache/packetdrill/packetdrill" /root/.cache/ktcp/packetdrill/packetdrill; do
	[ -n "$pd" ] || [ ! -x "$c" ] || pd=$c
done
pd_dir=$(dirname "$(readlink -f "${pd:-/nonexistent}")")
preload=${KTCP_PRELOAD_SO:-$KTCP_SELFTESTS_DIR/../userspace/build/libktcp-preload.so}
sets=,${KTCP_PACKETDRILL_SETS:-own,kernel,google-loss},
only=${KTCP_PACKETDRILL_ONLY:-}
run_timeout=${KTCP_PACKETDRILL_TIMEOUT:-60}
tolerance=${KTCP_PACKETDRILL_TOLERANCE:-150000}
pd_jobs=${KTCP_PACKETDRILL_JOBS:-4}
if [ "${KTCP_DEBUG_KERNEL:-0}" = 1 ]; then
	tolerance=${KTCP_PACKETDRILL_TOLERANCE:-300000}
	pd_jobs=${KTCP_PACKETDRILL_JOBS:-1}
fi

[ -n "$pd" ] && [ -x "$pd" ] ||
	tap_skip_all "packetdrill not built (scripts/build-packetdrill.sh; set KTCP_PACKETDRILL_SRC)"
ktcp_require unshare ethtool timeout flock

# packetdrill's tun device: the stock kernel has tun as a module and the
# virtme-ng guest's /dev has no /dev/net/tun until it is loaded.
if [ ! -c /dev/net/tun ]; then
	modprobe tun 2>/dev/null
	[ -c /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }
fi
[ -c /dev/net/tun ] || tap_bail "no /dev/net/tun (CONFIG_TUN)"

# The addresses of the kernel's own packetdrill runner (ksft_runner.sh).
pd_args=(--ip_version=ipv4 --local_ip=192.168.0.1
	 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0
	 --remote_ip=192.0.2.1 -D CMSG_LEVEL_IP=SOL_IP
	 -D CMSG_TYPE_RECVERR=IP_RECVERR)
verbose=${KTCP_PACKETDRILL_VERBOSE:-0}
[ "$verbose" != 1 ] || pd_args+=(-v)

ktcp_lib_init
trap ktcp_lib_cleanup EXIT
echo "TAP version 13"
tap_diag "packetdrill: $pd; tolerance ${tolerance} us; sets ${sets//,/ }; $pd_jobs runs at once"

# run_pd STACK SCRIPT OUT [-s|-x [TOLERANCE]]: one packetdrill run in a
# new network namespace, from the script's directory (scripts name
# helpers relative to it), its output in OUT.  Each run holds the
# guest's run lock, shared (-s, the default) or, for a last try of a
# late script, exclusive (-x): that try runs with no other script beside
# it in the guest.  TOLERANCE: packetdrill's, in microseconds.
run_pd()
{
	local stack=$1 script=$2 out=$3 mode=${4:--s} tol=${5:-$tolerance}
	local dir rc lock_fd
	local -a preload_env=()

	# No dirname, basename or env: every process costs the emulated
	# guest a fork and an exec, and a run already starts a dozen
	# (packetdrill's own ip and ifconfig through system()).
	dir=${script%/*}
	[ "$stack" = native ] || preload_env=(LD_PRELOAD="$preload"
		KTCP_PRELOAD_STRICT=1 KTCP_PRELOAD_VERBOSE=2)
	exec {lock_fd}>>"$ktcp_tmp/run.lock"
	flock "$mode" "$lock_fd"
	(
		cd "$dir" || exit 1
		[ ${#preload_env[@]} -eq 0 ] || export "${preload_env[@]}"
		exec timeout -k 5 "$run_timeout" unshare -n "$pd" \
			"${pd_args[@]}" "--tolerance_usecs=$tol" "${script##*/}"
	) >"$out" 2>&1
	rc=$?
	exec {lock_fd}>&-
	return $rc
}

# pd_late_first OUT: the run in OUT failed first on timing (a segment or
# call late beyond the tolerance).  What follows a late call may be
# wrong too (a blocking call's thread dies while the main one goes on),
# so only the first error counts; a real fault fails every try.
pd_late_first()
{
	grep -m1 'error' "$1" | grep -q 'timing error'
}

# stage_set DST SRC...: copies of a third-party set's directories (links
# followed) in DST, whose defaults.sh set their sysctls in one process,
# and ktcp's to the same values.  Each script runs defaults.sh in its
# namespace, and its 25 sysctl processes cost an emulated guest seconds
# a script.  ktcp's sysctls are its own (net.ktcp.*): without them
# google's scripts met ktcp at its defaults, not at defaults.sh's (nor
# at the timestamps and buffers a script sets itself).  The
# script's status stays the original's (a key the kernel lacks, such
# as tcp_ecn_option on 6.1, fails no script).
stage_set()
{
	local dst=$1 f

	shift
	rm -rf "$dst"
	mkdir -p "$dst"
	cp -rL "$@" "$dst/"
	find "$dst" -name defaults.sh | while read -r f; do
		sed -i -E -e '/^sysctl -q /s/ *> *\/dev\/null 2>&1$//' \
			-e 's/^sysctl -q (.*)$/_k+=(\1)/' -e '1a _k=()' "$f"
		cat >>"$f" <<-'EOF'
		_rc=$?
		[ ! -d /proc/sys/net/ktcp ] || _k+=(
			net.ktcp.rmem="4096 540000 $((15 * 1024 * 1024))"
			net.ktcp.wmem="4096 $((256 * 1024)) 4194304"
			net.ktcp.timestamps=1 net.ktcp.sack=1 net.ktcp.syncookies=1
			net.ktcp.syn_retries=5 net.ktcp.synack_retries=5)
		sysctl -q -w "${_k[@]}"
		exit $_rc
		EOF
	done
	# A script's own settings of sysctls ktcp shares: ktcp's too.
	find "$dst" -name '*.pkt' -exec sed -i -E \
		-e 's#(/proc/sys/net/ipv4/tcp_)(timestamps|wmem|rmem|min_tso_segs|notsent_lowat)=("[^"]*"|[0-9]+)#& /proc/sys/net/ktcp/\2=\3#g' \
		-e 's#(net\.ipv4\.tcp_)(timestamps|wmem|rmem|min_tso_segs|notsent_lowat)=("[^"]*"|[0-9]+)#& net.ktcp.\2=\3#g' {} +
}

# pd_job ID STACK SCRIPT: one script on one stack (the body of a
# background job): its output in job-ID.out, "STATUS SECONDS" in
# job-ID.rc once it is done.
pd_job()
{
	local id=$1 stack=$2 script=$3 rc t0=$SECONDS
	local out=$ktcp_tmp/job-$1.out

	run_pd "$stack" "$script" "$out"
	rc=$?
	# Late first: an emulated guest on a busy host (native's own
	# reference has been 0.6 s late so; in CI the stock VMs share two
	# cores with each other and with the debug kernel's build, and
	# packetdrill's own inbound segments come 170 ms late).  Once
	# more, then a last time alone in the guest with twice the
	# tolerance, and said; any other first error, or late that last
	# time too, fails.
	if [ "$rc" -ne 0 ] && pd_late_first "$out"; then
		echo "$(grep -m1 'timing error' "$out"); run again" \
			>"$ktcp_tmp/job-$id.note"
		run_pd "$stack" "$script" "$out"
		rc=$?
		if [ "$rc" -ne 0 ] && pd_late_first "$out"; then
			echo "late again: $(grep -m1 'timing error' "$out"); run alone, tolerance $((2 * tolerance)) us" \
				>>"$ktcp_tmp/job-$id.note"
			run_pd "$stack" "$script" "$out" -x $((2 * tolerance))
			rc=$?
		fi
	fi
	if [ "$rc" -eq 0 ] && [ "$stack" = ktcp ] &&
	   ! grep -q 'is on ktcp' "$out"; then
		echo "no socket of the script was on ktcp" >>"$out"
		rc=1
	fi
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] ||
		echo "timed out after $run_timeout s" >>"$out"
	echo "$rc $((SECONDS - t0))" >"$ktcp_tmp/job-$id.rc.new"
	mv "$ktcp_tmp/job-$id.rc.new" "$ktcp_tmp/job-$id.rc"
}

# pd_start STACK SCRIPT: starts its run once fewer than pd_jobs run
# (the script's only background jobs are these); its id in pd_id.
pd_seq=0 pd_running=0
pd_start()
{
	while [ "$pd_running" -ge "$pd_jobs" ]; do
		wait -n
		pd_running=$((pd_running - 1))
	done
	pd_seq=$((pd_seq + 1))
	pd_id=$pd_seq
	pd_job "$pd_id" "$@" &
	pd_running=$((pd_running + 1))
}

# pd_done ID: job ID has finished.
pd_done()
{
	[ -e "$ktcp_tmp/job-$1.rc" ]
}

# pd_wait ID: waits for job ID; its status in pd_rc, its seconds in
# pd_secs.
pd_wait()
{
	local limit=$((2 * run_timeout + 30))

	if wait_until "$limit" pd_done "$1"; then
		read -r pd_rc pd_secs <"$ktcp_tmp/job-$1.rc"
	else
		pd_rc=124 pd_secs=$limit
	fi
}

# pd_report ID STACK NAME [KNOWN]: waits for job ID; one TAP result
# for it: 0 if it passed, 2 if it failed as KNOWN (the reason of a
# known failure, a skip), 1 if it failed.
pd_report()
{
	local id=$1 stack=$2 name=$3 known=${4:-} rc secs

	pd_wait "$id"
	rc=$pd_rc secs=$pd_secs
	[ ! -e "$ktcp_tmp/job-$id.note" ] ||
		tap_diag "$stack $name: $(<"$ktcp_tmp/job-$id.note")"
	if [ "$rc" -eq 0 ]; then
		tap_ok "$stack $name ($secs s)"
		[ -z "$known" ] ||
			tap_diag "$name passes now: take it out of $known_file"
		return 0
	fi
	[ "$verbose" != 1 ] || sed 's/^/# /' "$ktcp_tmp/job-$id.out"
	if [ -n "$known" ]; then
		tap_skip "$stack $name" "known failure: $known"
		tap_diag "$(grep -m1 -e 'error' -e 'assertion' \
			"$ktcp_tmp/job-$id.out")"
		return 2
	fi
	tap_fail "$stack $name" \
		"$(grep -v -e '^libktcp-preload: fd' -e '^sysctl: setting key' \
			"$ktcp_tmp/job-$id.out" | tail -6)"
	return 1
}

# Third-party scripts ktcp fails for a reason README documents (a
# feature it lacks): "SET/DIR/NAME REASON", one a line.  Such a failure
# is a skip with its reason; any other one fails the run.
known_file=$KTCP_SELFTESTS_DIR/packetdrill/known-failures
declare -A known=()
if [ -r "$known_file" ]; then
	while read -r name reason; do
		[[ $name == \#* ]] || [ -z "$name" ] || known[$name]=$reason
	done <"$known_file"
fi

# pkt_name PATH: the script's name, without its directory and .pkt, in
# pkt (set, not printed: a $(...) would fork).
pkt_name()
{
	pkt=${1##*/}
	pkt=${pkt%.pkt}
}

picked()
{
	[ -z "$only" ] || [[ $1 =~ $only ]]
}

# --- ktcp's own scripts ------------------------------------------------

# The order of the MSS scripts on ktcp: announcements ktcp used as
# they are first, then the ones below the floor, with timestamps last
# (MSS 12 with timestamps made the send MSS 0).
mss_rank()
{
	local m=${1#mss-*-}

	m=${m%.pkt}
	case $m in
	*-ts) m=${m%-ts}; [ "$m" -ge 48 ] && echo 2 || echo 4 ;;
	*) [ "$m" -ge 48 ] && echo 1 || echo 3 ;;
	esac
}

own=() mss=()
if [[ $sets == *,own,* ]]; then
	for s in "$KTCP_SELFTESTS_DIR"/packetdrill/*.pkt; do
		[ -f "$s" ] || continue
		pkt_name "$s"
		picked "$pkt" || continue
		case $pkt in
		mss-*) mss+=("$s") ;;
		*) own+=("$s") ;;
		esac
	done
fi
native_ids=() ktcp_ids=()
for s in ${own[@]+"${own[@]}"}; do
	pd_start native "$s"
	native_ids+=("$pd_id")
	pd_start ktcp "$s"
	ktcp_ids+=("$pd_id")
done
for i in ${own[@]+"${!own[@]}"}; do
	pkt_name "${own[i]}"
	pd_report "${native_ids[i]}" native "$pkt"
	pd_report "${ktcp_ids[i]}" ktcp "$pkt"
done

# --- third-party scripts -----------------------------------------------

# third SET ROOT SCRIPT...: the set's scripts that native passes, on
# ktcp; named by their path under ROOT.
third()
{
	local set=$1 root=$2 s name i native_fail=() npass=0 nrun=0 nknown=0
	local -a names=() paths=() native_ids=() ktcp_ids=() ktcp_names=()

	shift 2
	for s in "$@"; do
		[ -f "$s" ] || continue
		name=$set/${s#"$root/"}
		name=${name%.pkt}
		picked "$name" || continue
		pd_start native "$s"
		names+=("$name")
		paths+=("$s")
		native_ids+=("$pd_id")
	done
	for i in ${names[@]+"${!names[@]}"}; do
		pd_wait "${native_ids[i]}"
		if [ "$pd_rc" -ne 0 ]; then
			native_fail+=("${names[i]#"$set/"}")
			continue
		fi
		tap_ok "native ${names[i]}"
		nrun=$((nrun + 1))
		pd_start ktcp "${paths[i]}"
		ktcp_ids+=("$pd_id")
		ktcp_names+=("${names[i]}")
	done
	for i in ${ktcp_ids[@]+"${!ktcp_ids[@]}"}; do
		pd_report "${ktcp_ids[i]}" ktcp "${ktcp_names[i]}" \
			"${known[${ktcp_names[i]}]:-}"
		case $? in
		0) npass=$((npass + 1)) ;;
		2) nknown=$((nknown + 1)) ;;
		esac
	done
	tap_diag "$set: ktcp passed $npass of the $nrun scripts native passed here" \
		"($((nrun ? 100 * npass / nrun : 0)) %), $nknown known failures;" \
		"native failed ${#native_fail[@]}, not run on ktcp:" \
		"${native_fail[*]:-none}"
}
if [[ $sets == *,kernel,* ]]; then
	kdir=
	for d in ${KTCP_PACKETDRILL_KSRC:-} "$cache"/source-* "$cache"/linux-*; do
		d=$d/tools/testing/selftests/net/packetdrill
		[ -n "$kdir" ] || [ ! -d "$d" ] || kdir=$d
	done
	if [ -n "$kdir" ]; then
		stage_set "$ktcp_tmp/kernel" "$kdir"
		kdir=$ktcp_tmp/kernel/packetdrill
		third kernel "$kdir" "$kdir"/*.pkt
	else
		tap_diag "kernel: no kernel source tree with packetdrill scripts"
	fi
fi
if [[ $sets == *,google,* || $sets == *,google-loss,* ]]; then
	if [ -d "$pd_dir/tcp" ]; then
		stage_set "$ktcp_tmp/google" "$pd_dir/common" "$pd_dir/tcp"
		g=$ktcp_tmp/google/tcp
		if [[ $sets == *,google,* ]]; then
			third google "$g" "$g"/*/*.pkt
		else
			third google "$g" "$g"/{fast_recovery,fast_retransmit,limited_transmit,sack,user_timeout,shutdown}/*.pkt
		fi
	else
		tap_diag "google: no gtests/net/tcp beside $pd"
	fi
fi

# --- the MSS scripts, last ---------------------------------------------

mss_ids=()
for s in ${mss[@]+"${mss[@]}"}; do
	pd_start native "$s"
	mss_ids+=("$pd_id")
done
for i in ${mss[@]+"${!mss[@]}"}; do
	pkt_name "${mss[i]}"
	pd_report "${mss_ids[i]}" native "$pkt"
done
# On ktcp one rank after the other, each rank's scripts at once, but
# those below the floor one at a time: should one crash the kernel, the
# last TAP line names it.
for rank in 1 2 3 4; do
	[ "$rank" -lt 3 ] || pd_jobs=1
	ranked=() mss_ids=()
	for s in ${mss[@]+"${mss[@]}"}; do
		[ "$(mss_rank "${s##*/}")" = "$rank" ] || continue
		pd_start ktcp "$s"
		ranked+=("$s")
		mss_ids+=("$pd_id")
	done
	for i in ${ranked[@]+"${!ranked[@]}"}; do
		pkt_name "${ranked[i]}"
		pd_report "${mss_ids[i]}" ktcp "$pkt"
	done
done

echo "1..$ktcp_ntests"
tap_exit
