#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make bench" needs beyond scripts/install-deps.sh: the anchors
# it measures libktcp against, linked or run from Debian's packages at
# bench time, and picohttpparser's source.  Not needed by "make test".
#
# picohttpparser is built from its source by bench/run.sh, with the
# flags libktcp gets and -msse4.2 (Debian's libh2o exports a copy built
# without its SSE4.2 path).  Its two files come from the source
# distribution of gunicorn-h1c on PyPI, which carries upstream's
# picohttpparser.c and .h unchanged; they go to $KTCP_PICO_DIR
# (default ~/.cache/ktcp/picohttpparser), never into this tree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# nginx, wrk, python3 and websockets come with the test dependencies.
"$here/../../scripts/install-deps.sh"
. "$here/../../scripts/lib.sh"
ktcp_apt_install install-bench-deps libhttp-parser-dev libwslay-dev h2o \
	strace

pico=${KTCP_PICO_DIR:-$HOME/.cache/ktcp/picohttpparser}
if [ ! -s "$pico/picohttpparser.c" ] || [ ! -s "$pico/picohttpparser.h" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "install-bench-deps: picohttpparser's source (PyPI gunicorn-h1c 0.6.9 sdist)" >&2
	python3 -m pip download --quiet --no-deps --no-binary :all: \
		gunicorn-h1c==0.6.9 -d "$tmp" >&2
	tar -xzf "$tmp"/gunicorn_h1c-0.6.9.tar.gz -C "$tmp" \
		gunicorn_h1c-0.6.9/src/gunicorn_h1c/picohttpparser/picohttpparser.c \
		gunicorn_h1c-0.6.9/src/gunicorn_h1c/picohttpparser/picohttpparser.h
	mkdir -p "$pico"
	cp "$tmp"/gunicorn_h1c-0.6.9/src/gunicorn_h1c/picohttpparser/picohttpparser.[ch] \
		"$pico/"
fi
grep -q '__SSE4_2__' "$pico/picohttpparser.c" ||
	{ echo "install-bench-deps: $pico/picohttpparser.c has no SSE4.2 path" >&2; exit 1; }
