#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netns.sh - ktcp keeps its state per network namespace.
#
# Creates two network namespaces, ktcp-ns1-<pid> and ktcp-ns2-<pid>,
# and checks that:
#  - the same ktcp port can be bound in both at once, while a second
#    bind of it within one namespace is EADDRINUSE;
#  - each namespace's /proc/net/ktcp lists its own sockets only;
#  - net.ktcp.ip_local_port_range is per namespace: changing it in ns1
#    changes neither ns2 nor the initial namespace, and ephemeral ports
#    follow each namespace's own range;
#  - closing a socket frees its port in its namespace only.
#
# Native TCP behaves the same with its per-namespace port tables and
# net.ipv4.ip_local_port_range.  Only the two namespaces created here
# are configured; the initial namespace is read, never written.
# Needs root and a loaded ktcp.ko; build/ktcp_bind_hold comes from
# "make".  Prints TAP; exits 0 (pass), 1 (fail) or 4 (skip).

set -eu

# shellcheck source=ktcp_lib.sh
. "$(dirname "$0")/ktcp_lib.sh"

port=20080
narrow_low=62000
narrow_high=62001
default_low=$(ktcp_uapi_define KTCP_EPHEMERAL_PORT_LOW 61000)
default_high=$(ktcp_uapi_define KTCP_EPHEMERAL_PORT_HIGH 65535)

ns1=ktcp-ns1-$$
ns2=ktcp-ns2-$$

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup()
{
	ktcp_lib_cleanup
}

trap cleanup EXIT
trap 'exit 1' INT TERM

ktcp_require ip
[ -x "$KTCP_BIND_HOLD" ] || tap_bail "$KTCP_BIND_HOLD missing: run make first"
[ -r /sys/module/ktcp/parameters/family ] || tap_bail "ktcp module is not loaded"
family=$(cat /sys/module/ktcp/parameters/family)

ktcp_lib_init
netns_add "$ns1" "$ns2"

# in_ns NS COMMAND...
in_ns()
{
	ip netns exec "$@"
}

# bind_once NS PORT: bind and release at once; prints the helper's output.
bind_once()
{
	in_ns "$1" "$KTCP_BIND_HOLD" -f "$family" "$2" </dev/null 2>/dev/null || true
}

# "ns1" or "ns2" for ktcp-ns1-<pid> or ktcp-ns2-<pid>
nslabel()
{
	local l=${1#ktcp-}

	echo "${l%-*}"
}

# in_range PORT LOW HIGH
in_range()
{
	[ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

init_range=$(ktcp_range cat)

tap_plan 12

# 1
if hold_start a ip netns exec "$ns1" "$KTCP_BIND_HOLD" -f "$family" "$port"; then
	tap_ok "ns1: bind 127.0.0.1:$port"
else
	tap_fail "ns1: bind 127.0.0.1:$port" "$(hold_output a)"
fi

# 2
if hold_start b ip netns exec "$ns2" "$KTCP_BIND_HOLD" -f "$family" "$port"; then
	tap_ok "ns2: bind the same 127.0.0.1:$port while ns1 holds it"
else
	tap_fail "ns2: bind the same 127.0.0.1:$port while ns1 holds it" \
		"$(hold_output b)"
fi

# 3, 4
for ns in "$ns1" "$ns2"; do
	out=$(bind_once "$ns" "$port")
	if [ "$(bind_error <<<"$out")" = "error bind EADDRINUSE" ]; then
		tap_ok "$(nslabel "$ns"): second bind of port $port is EADDRINUSE"
	else
		tap_fail "$(nslabel "$ns"): second bind of port $port is EADDRINUSE" \
			"ktcp_bind_hold said:" "$out"
	fi
done

# 5, 6
check_proc()
{
	local ns=$1 own=$2 other=$3 listed own_ino other_ino

	listed=$(proc_ktcp_inodes in_ns "$ns" cat)
	own_ino=$(hold_inodes "$own")
	other_ino=$(hold_inodes "$other")
	if [ -n "$own_ino" ] && grep -qx "$own_ino" <<<"$listed" &&
	   { [ -z "$other_ino" ] || ! grep -qx "$other_ino" <<<"$listed"; }; then
		tap_ok "$(nslabel "$ns"): /proc/net/ktcp lists its own socket only"
	else
		tap_fail "$(nslabel "$ns"): /proc/net/ktcp lists its own socket only" \
			"own inode '$own_ino', other namespace's '$other_ino'" \
			"listed inodes: $(echo "$listed" | tr '\n' ' ')"
	fi
}
check_proc "$ns1" a b
check_proc "$ns2" b a

# 7
r1=$(ktcp_range in_ns "$ns1" cat)
r2=$(ktcp_range in_ns "$ns2" cat)
if [ "$r1" = "$default_low $default_high" ] && [ "$r2" = "$r1" ]; then
	tap_ok "new namespaces start with the default port range $r1"
else
	tap_fail "new namespaces start with the default port range" \
		"ns1 '$r1', ns2 '$r2', expected '$default_low $default_high'"
fi

# 8
echo "$narrow_low $narrow_high" |
	in_ns "$ns1" tee "$KTCP_RANGE_SYSCTL" >/dev/null 2>&1 || true
r1=$(ktcp_range in_ns "$ns1" cat)
if [ "$r1" = "$narrow_low $narrow_high" ]; then
	tap_ok "ns1: port range set to $r1"
else
	tap_fail "ns1: port range set to $narrow_low $narrow_high" "reads '$r1'"
fi

# 9
r2=$(ktcp_range in_ns "$ns2" cat)
r0=$(ktcp_range cat)
if [ "$r2" = "$default_low $default_high" ] && [ "$r0" = "$init_range" ]; then
	tap_ok "ns1's port range changes neither ns2's nor the initial namespace's"
else
	tap_fail "ns1's port range changes neither ns2's nor the initial namespace's" \
		"ns2 '$r2' (expected '$default_low $default_high')" \
		"initial namespace '$r0' (was '$init_range')"
fi

# 10
out=$(bind_once "$ns1" 0)
p=$(awk '$1 == "bound" { print $3 }' <<<"$out")
if in_range "$p" "$narrow_low" "$narrow_high"; then
	tap_ok "ns1: ephemeral port $p is from ns1's range"
else
	tap_fail "ns1: ephemeral port is from ns1's range $narrow_low-$narrow_high" \
		"ktcp_bind_hold said:" "$out"
fi

# 11
out=$(bind_once "$ns2" 0)
p=$(awk '$1 == "bound" { print $3 }' <<<"$out")
if in_range "$p" "$default_low" "$default_high"; then
	tap_ok "ns2: ephemeral port $p is from ns2's range"
else
	tap_fail "ns2: ephemeral port is from ns2's range $default_low-$default_high" \
		"ktcp_bind_hold said:" "$out"
fi

# 12
desc="closing ns1's socket frees port $port in ns1 only"
if hold_stop a; then
	out1=$(bind_once "$ns1" "$port")
	out2=$(bind_once "$ns2" "$port")
	if [ "$(awk '$1 == "bound" { print $3 }' <<<"$out1")" = "$port" ] &&
	   [ "$(bind_error <<<"$out2")" = "error bind EADDRINUSE" ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "ns1 rebind:" "$out1" "ns2 rebind:" "$out2"
	fi
else
	tap_fail "$desc" "ns1's holder failed:" "$(hold_output a)"
fi
hold_stop b || true

tap_exit
