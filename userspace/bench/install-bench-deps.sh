#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make bench" needs beyond scripts/install-deps.sh: the anchors
# it measures libktcp against, linked or run from Debian's packages at
# bench time.  Not needed by "make test".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# nginx, wrk, python3 and websockets come with the test dependencies.
"$here/../../scripts/install-deps.sh"
. "$here/../../scripts/lib.sh"
ktcp_apt_install install-bench-deps libh2o-dev libhttp-parser-dev \
	libwslay-dev h2o
