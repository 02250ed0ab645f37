#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build packetdrill (google/packetdrill, gtests/net/packetdrill) once,
# into a cache outside the clone:
#
#   $KTCP_CACHE/packetdrill-<commit>/packetdrill    the binary
#   $KTCP_CACHE/packetdrill-<commit>/tcp/           google's gtests/net/tcp
#   $KTCP_CACHE/packetdrill-<commit>/common/        and gtests/net/common
#   $KTCP_CACHE/packetdrill -> packetdrill-<commit> the one the tests use
#
# packetdrill is not packaged by Debian 12 nor published on PyPI or npm,
# and its source is not part of this repository.  The source is one of,
# in this order:
#
#   KTCP_PACKETDRILL_SRC   a git repository (a clone or a bare mirror) or
#                          an unpacked source tree of google/packetdrill
#   KTCP_PACKETDRILL_GIT   a URL to clone (default: the upstream GitHub
#                          repository), tried only when the first is unset
#
# With no source reachable, an earlier build in the cache is used.
# With neither reachable the script says so and exits 4 (skip): the
# packetdrill suite then reports every script as skipped, never passed.
# Prints the binary's path on success.  Needs bison, flex and a C
# compiler (scripts/install-deps.sh).

set -euo pipefail

. "$(dirname "$0")/lib.sh"

KSFT_SKIP=4
src=${KTCP_PACKETDRILL_SRC:-}
url=${KTCP_PACKETDRILL_GIT:-https://github.com/google/packetdrill.git}
work=

cleanup() { [ -z "$work" ] || rm -rf "$work"; }
# built DIR: a complete build there (the binary and google's scripts).
built() { [ -x "$1/packetdrill" ] && [ -d "$1/common" ]; }
trap cleanup EXIT

mkdir -p "$KTCP_CACHE"
work=$(mktemp -d "$KTCP_CACHE/.packetdrill-build.XXXXXX")

# Export the source into $work/src and name it by its commit.
if [ -n "$src" ] && git -C "$src" rev-parse --verify -q "HEAD^{commit}" >/dev/null 2>&1; then
	commit=$(git -C "$src" rev-parse --short=12 HEAD)
	mkdir "$work/src"
	git -C "$src" archive HEAD gtests/net/packetdrill gtests/net/tcp \
		gtests/net/common |
		tar -x -C "$work/src"
elif [ -n "$src" ] && [ -f "$src/gtests/net/packetdrill/packetdrill.c" ]; then
	# A tree without git: name it by the hash of its sources.
	commit=tree-$(find "$src/gtests/net/packetdrill" -type f -print0 |
		sort -z | xargs -0 cat | sha1sum | cut -c1-12)
	mkdir -p "$work/src/gtests/net"
	cp -a "$src/gtests/net/packetdrill" "$work/src/gtests/net/"
	for d in tcp common; do
		[ ! -d "$src/gtests/net/$d" ] || cp -a "$src/gtests/net/$d" "$work/src/gtests/net/"
	done
elif [ -z "$src" ] && commit=$(timeout 30 git ls-remote "$url" HEAD 2>/dev/null |
			      cut -c1-12) && [ -n "$commit" ]; then
	out=$KTCP_CACHE/packetdrill-$commit
	if ! built "$out"; then
		timeout 300 git clone -q --depth 1 "$url" "$work/src"
	fi
elif [ -x "$KTCP_CACHE/packetdrill/packetdrill" ]; then
	# No source now, but an earlier build: keep using it.
	echo "$(readlink -f "$KTCP_CACHE/packetdrill/packetdrill")"
	exit 0
else
	echo "build-packetdrill: no packetdrill source (set KTCP_PACKETDRILL_SRC" \
	     "to a google/packetdrill clone; $url is not reachable)" >&2
	exit $KSFT_SKIP
fi

out=$KTCP_CACHE/packetdrill-$commit
if ! built "$out"; then
	echo "build-packetdrill: building packetdrill $commit" >&2
	(cd "$work/src/gtests/net/packetdrill" && ./configure >/dev/null &&
	 make -j"$(nproc)" packetdrill >"$work/make.log" 2>&1) || {
		tail -30 "$work/make.log" >&2
		ktcp_die "packetdrill $commit does not build"
	}
	mkdir -p "$work/out"
	cp "$work/src/gtests/net/packetdrill/packetdrill" "$work/out/"
	# google's scripts call ../common/defaults.sh, a link into
	# gtests/net/common: keep both, side by side as in the source.
	for d in tcp common; do
		[ ! -d "$work/src/gtests/net/$d" ] || cp -a "$work/src/gtests/net/$d" "$work/out/"
	done
	rm -rf "$out"
	mv "$work/out" "$out"
fi
ln -sfn "packetdrill-$commit" "$KTCP_CACHE/packetdrill"
echo "$out/packetdrill"
