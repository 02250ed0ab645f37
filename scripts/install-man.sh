#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-man.sh MANDIR PAGE...: install the man pages of man/ (NAME.N)
# into MANDIR/manN/, and for section 3 link each function its NAME
# section lists to its header's page (ktcp_socket.3 -> libktcp-socket.3),
# so that "man ktcp_socket" finds it.  The top-level Makefile's install
# and userspace/Makefile's install call it with $(DESTDIR)$(MANDIR).
#
# install-man.sh --names PAGE: print the names of PAGE's NAME section,
# one a line (scripts/man-lint.sh checks them against the headers).
set -euo pipefail

# The names before " \- " in the NAME section, "\-" read as "-".
man_names()
{
	awk '/^\.SH / { in_name = ($2 == "NAME"); next } in_name' "$1" |
		tr '\n' ' ' | sed -e 's/ \\- .*//' -e 's/\\-/-/g' |
		tr ', ' '\n\n' | sed '/^$/d'
}

if [ "${1-}" = --names ]; then
	man_names "$2"
	exit 0
fi

[ $# -ge 1 ] || { echo "usage: $0 MANDIR PAGE... | --names PAGE" >&2; exit 2; }
mandir=$1
shift
for page in "$@"; do
	base=${page##*/}
	section=${base##*.}
	install -d "$mandir/man$section"
	install -m 644 "$page" "$mandir/man$section/$base"
	[ "$section" = 3 ] || continue
	for name in $(man_names "$page"); do
		[ "$name.$section" = "$base" ] ||
			ln -sf "$base" "$mandir/man$section/$name.$section"
	done
done
