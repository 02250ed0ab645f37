#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make bench" needs beyond scripts/install-deps.sh: the anchors
# it measures libktcp against, linked or run from Debian's packages at
# bench time.  Not needed by "make test".
set -euo pipefail

debs=(libh2o-dev libhttp-parser-dev libwslay-dev h2o nginx-light wrk python3)
missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-bench-deps: apt-get install ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import websockets' 2>/dev/null; then
	pip3 install -q websockets 2>/dev/null ||
		pip3 install -q --break-system-packages websockets
fi
