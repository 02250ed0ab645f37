#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ktcp's version lives in one place, the top-level VERSION file.  Kbuild
# (MODULE_VERSION) and userspace/Makefile (libktcp.so.VERSION, the .pc)
# read it; dkms.conf and debian/changelog must carry it as text, since
# dkms, dh_dkms and dpkg read them as they are.
#
#   version.sh              print the version
#   version.sh --check      fail unless dkms.conf and debian/changelog agree
#   version.sh --set X.Y.Z  write X.Y.Z into VERSION and dkms.conf and open
#                           a debian/changelog entry for it
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")

dkms_version() { sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$root/dkms.conf"; }
# The first entry's version: the package is native, it has no revision.
changelog_version() { sed -n '1s/^ktcp (\([^)]*\)).*/\1/p' "$root/debian/changelog"; }

case ${1:-} in
"")
	echo "$version"
	;;
--check)
	rc=0
	if ! [[ $version =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
		echo "version: VERSION holds '$version', not a version" >&2
		rc=1
	fi
	d=$(dkms_version) c=$(changelog_version)
	if [ "$d" != "$version" ]; then
		echo "version: dkms.conf's PACKAGE_VERSION is '$d', VERSION is '$version' (scripts/version.sh --set)" >&2
		rc=1
	fi
	if [ "$c" != "$version" ]; then
		echo "version: debian/changelog's first entry is '$c', VERSION is '$version' (scripts/version.sh --set)" >&2
		rc=1
	fi
	exit $rc
	;;
--set)
	new=${2:-}
	[[ $new =~ ^[0-9]+(\.[0-9]+)*$ ]] ||
		{ echo "usage: $0 --set X.Y.Z" >&2; exit 2; }
	echo "$new" >"$root/VERSION"
	sed -i "s/^PACKAGE_VERSION=\".*\"$/PACKAGE_VERSION=\"$new\"/" "$root/dkms.conf"
	if [ "$(changelog_version)" != "$new" ]; then
		maint=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$root/debian/changelog" | head -1)
		{
			printf 'ktcp (%s) unstable; urgency=medium\n\n' "$new"
			printf '  * Version %s.\n\n' "$new"
			printf ' -- %s  %s\n\n' "$maint" "$(LC_ALL=C date -R)"
			cat "$root/debian/changelog"
		} >"$root/debian/changelog.new"
		mv "$root/debian/changelog.new" "$root/debian/changelog"
		echo "version: debian/changelog has a new entry for $new: say what changed in it" >&2
	fi
	"$0" --check
	;;
*)
	echo "usage: $0 [--check | --set X.Y.Z]" >&2
	exit 2
	;;
esac
