#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing ktcp needs on Debian 12.  Fast and
# quiet when everything is already there.
set -euo pipefail

debs=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
	rsync zstd sparse shellcheck python3 python3-pip
	linux-headers-amd64 linux-image-amd64 linux-source-6.12
	qemu-system-x86 busybox-static
	iproute2 netcat-openbsd tcpdump hping3 socat curl
	# packetdrill's MSS scripts turn the tun device's offloads off
	ethtool
	# module_cycle.sh floods beside an nftables input chain;
	# transfer.sh counts keepalive probes in an nftables rule, a
	# witness that is neither stack's own counter
	nftables iptables
	# libktcp (userspace/): zlib for permessage-deflate, clang and its
	# runtime for the libFuzzer targets, peers for the interop tests
	zlib1g-dev clang libclang-rt-14-dev valgrind
	wrk apache2-utils nginx-light nodejs
	# libktcp-preload.so's in-VM tests (selftests/preload.sh)
	iperf3 redis-server redis-tools
	# make man-lint: the man pages of man/ through groff and mandoc
	groff-base mandoc
	# scripts/package-test.sh: the Debian packages (debian/), lintian,
	# a dkms build, a program built with pkg-config libktcp
	dpkg-dev debhelper dh-dkms dkms lintian pkgconf
)

. "$(dirname "$0")/lib.sh"
ktcp_apt_install install-deps "${debs[@]}"

if ! command -v vng >/dev/null; then
	echo "install-deps: pip install virtme-ng" >&2
	pip3 install -q virtme-ng 2>/dev/null ||
		pip3 install -q --break-system-packages virtme-ng
fi
command -v vng >/dev/null || {
	echo "install-deps: vng not on PATH after pip install" >&2
	exit 1
}

# libktcp's WebSocket interop tests: Python's websockets and Node's ws.
if ! python3 -c 'import websockets' 2>/dev/null; then
	echo "install-deps: pip install websockets" >&2
	pip3 install -q websockets 2>/dev/null ||
		pip3 install -q --break-system-packages websockets
fi
# The VM guests run Debian's /usr/bin/python3 (the host's PATH, with
# pyenv or a venv in it, stays on the host): it needs websockets too,
# at a version with websockets.sync (11 or later; Debian 12 has 10.4).
if ! /usr/bin/python3 -c 'import websockets.sync.client' 2>/dev/null; then
	echo "install-deps: pip install websockets for /usr/bin/python3" >&2
	/usr/bin/python3 -m pip install -q --break-system-packages websockets
fi
ws_dir=${KTCP_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ktcp/node}
if [ ! -d "$ws_dir/node_modules/ws" ]; then
	echo "install-deps: npm install ws into $ws_dir" >&2
	mkdir -p "$ws_dir"
	# nodejs from NodeSource bundles npm; Debian's nodejs needs the npm package
	command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
	npm install --silent --prefix "$ws_dir" ws >/dev/null
fi

# packetdrill (selftests/packetdrill.sh), built once into the cache from
# KTCP_PACKETDRILL_SRC or its upstream repository; without a source its
# suite reports skips.
"$(dirname "$0")/build-packetdrill.sh" >/dev/null ||
	echo "install-deps: no packetdrill; selftests/packetdrill.sh will skip" >&2
