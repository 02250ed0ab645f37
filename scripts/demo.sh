#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, on Debian's stock kernel so a fresh machine sees it in
# minutes: build ktcp.ko, boot a VM, load it, run the demo over ktcp,
# show what happened, unload.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cd "$KTCP_ROOT" || exit 1

"$KTCP_ROOT/scripts/install-deps.sh" || ktcp_die "could not install dependencies"
stock=$(ktcp_stock_version)
[ -n "$stock" ] || ktcp_die "linux-image-amd64 is not installed"

ktcp_log "building ktcp.ko against Debian's $stock headers"
scripts/build-module.sh "/usr/src/linux-headers-$stock" build/kmod-6.1 >/dev/null ||
	ktcp_die "module build failed"
ktcp_log "building libktcp and the demo programs"
make -s -C userspace examples >/dev/null || ktcp_die "userspace build failed"

ktcp_log "booting Debian's $stock kernel in a VM"
ktcp_vm "/boot/vmlinuz-$stock" "$KTCP_ROOT/build/results/demo" \
	"$KTCP_ROOT/scripts/guest-demo.sh" "$KTCP_ROOT/build/kmod-6.1"
