#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages and DKMS, on the host, without touching the
# system: builds ktcp-dkms, libktcp0, libktcp-dev and libktcp-preload
# with dpkg-buildpackage in a copy of the tree (it writes ../*.deb),
# holds them to lintian (no error, no warning), unpacks them into a
# throwaway root, builds userspace/examples/echo.c and a small program
# against that root's "pkg-config libktcp" and runs the program, lets
# dkms add and build the packaged source for the stock kernel in a
# private dkms tree, and installs the module with "make modules_install"
# and depmod into another throwaway root.  Nothing lands in /usr/src,
# /var/lib/dkms or /lib/modules: the VMs share the host's root.
# (Loading the DKMS-built module is the VMs' part.)
#
# Prints "ok N - ..." / "not ok N - ..." a step, then "P passed, F failed";
# exits nonzero if any step failed.  KTCP_PKG_KERNEL: the kernel release
# to build for (default: Debian's stock one, whose headers
# install-deps.sh installs).  KTCP_PKG_KEEP=1 keeps the work directory;
# KTCP_PKG_DKMS_OUT=DIR keeps the dkms tree built (for selftests/dkms.sh).
set -uo pipefail

. "$(dirname "$0")/lib.sh"

kver=${KTCP_PKG_KERNEL:-$(ktcp_stock_version)}
[ -n "$kver" ] || ktcp_die "no stock kernel (linux-image-amd64) to build for"
version=$(cat "$KTCP_ROOT/VERSION")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
machine=$(uname -m)

work=$(mktemp -d "${TMPDIR:-/tmp}/ktcp-package-test.XXXXXX")
if [ "${KTCP_PKG_KEEP:-0}" = 1 ]; then
	echo "# work directory kept: $work"
else
	trap 'rm -rf "$work"' EXIT
fi
src=$work/src/ktcp-$version	# dpkg-buildpackage writes into $work/src
root=$work/root			# the packages, unpacked
debs=("$work/src/ktcp-dkms_${version}_all.deb"
      "$work/src/libktcp0_${version}_$arch.deb"
      "$work/src/libktcp-dev_${version}_$arch.deb"
      "$work/src/libktcp-preload_${version}_$arch.deb")

n=0 passed=0 failed=0
echo "1..9"

# step NAME COMMAND...: one TAP line; the output goes to a log of the
# step, whose end is shown when it fails.
step()
{
	local name=$1 log
	shift
	n=$((n + 1))
	log=$work/step-$n.log
	if "$@" >"$log" 2>&1; then
		echo "ok $n - $name"
		passed=$((passed + 1))
	else
		echo "not ok $n - $name"
		tail -30 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# The tracked and the new (not ignored) files, as a fresh clone with the
# work tree's changes would have them; no build products.
copy_tree()
{
	mkdir -p "$src" &&
	(cd "$KTCP_ROOT" && git ls-files -z -c -o --exclude-standard) |
		tar -C "$KTCP_ROOT" --null -T - --ignore-failed-read -cf - |
		tar -C "$src" -xf -
}

# The source package first, from the clean copy (lintian checks its
# debian/ too), then the binary ones.  nocheck: the unit tests are
# scripts/test.sh's own suite.
build_packages()
{
	(cd "$work/src" && dpkg-source --build "ktcp-$version") || return 1
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=1" \
		dpkg-buildpackage -us -uc -b) || return 1
	ls -l "$work/src/ktcp_$version.dsc" "${debs[@]}"
}

# Every tag shown (-I --pedantic), any error or warning a failure.
run_lintian()
{
	local out=$work/lintian.txt

	lintian -I --pedantic "$work/src/ktcp_$version.dsc" \
		"$work/src/ktcp_${version}_$arch.changes" >"$out" 2>&1
	cat "$out"
	! grep -E '^[EW]: ' "$out"
}

# has DEB PATH...: the package holds each PATH.
has()
{
	local deb=$1 list p rc=0
	shift

	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
	for p in "$@"; do
		grep -qxF "$p" <<<"$list" || { echo "$(basename "$deb"): no $p"; rc=1; }
	done
	return $rc
}

check_contents()
{
	local lib=/usr/lib/$multiarch rc=0 d

	has "${debs[0]}" "/usr/src/ktcp-$version/dkms.conf" \
		"/usr/src/ktcp-$version/Kbuild" "/usr/src/ktcp-$version/VERSION" \
		"/usr/src/ktcp-$version/module/af_ktcp.c" \
		"/usr/src/ktcp-$version/uapi/linux/ktcp.h" || rc=1
	has "${debs[1]}" "$lib/libktcp.so.$version" "$lib/libktcp.so.0" || rc=1
	has "${debs[2]}" /usr/include/ktcp/socket.h /usr/include/ktcp/http.h \
		/usr/include/linux/ktcp.h "$lib/libktcp.a" "$lib/libktcp.so" \
		"$lib/pkgconfig/libktcp.pc" || rc=1
	has "${debs[3]}" "$lib/ktcp/libktcp-preload.so" || rc=1
	for d in "${debs[@]}"; do
		has "$d" "/usr/share/doc/$(dpkg-deb -f "$d" Package)/copyright" || rc=1
	done
	# dkms builds it on install and removes it on removal.
	dpkg-deb -I "${debs[0]}" postinst | grep -q common.postinst ||
		{ echo "ktcp-dkms: postinst does not call dkms"; rc=1; }
	dpkg-deb -I "${debs[0]}" prerm | grep -q 'dkms remove' ||
		{ echo "ktcp-dkms: prerm does not call dkms remove"; rc=1; }
	# Programs linked with libktcp get a dependency on it.
	dpkg-deb -I "${debs[1]}" shlibs | tee /dev/stderr |
		grep -qx "libktcp 0 libktcp0 (>= $version)" ||
		{ echo "libktcp0: no shlibs for libktcp.so.0"; rc=1; }
	return $rc
}

unpack()
{
	local d

	mkdir -p "$root"
	for d in "${debs[@]}"; do
		dpkg-deb -x "$d" "$root" || return 1
	done
}

# The packaged pkg-config file, relocated into the unpacked root.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$root \
		PKG_CONFIG_LIBDIR=$root/usr/lib/$multiarch/pkgconfig \
		pkg-config "$@"
}

# A program built and linked from the packages alone: every header and
# the library it uses come from the unpacked root, none from the tree.
build_against_packages()
{
	local flags prog=$work/prog

	[ "$(pc --modversion libktcp)" = "$version" ] ||
		{ echo "pkg-config says $(pc --modversion libktcp)"; return 1; }
	flags=$(pc --cflags --libs libktcp) || return 1
	echo "pkg-config --cflags --libs libktcp: $flags"
	# shellcheck disable=SC2086 # flags are words
	cc -Wall -Wextra -Werror -MD -MF "$work/echo.d" \
		-o "$work/echo" "$KTCP_ROOT/userspace/examples/echo.c" $flags ||
		return 1
	cat >"$prog.c" <<-'EOF'
	#include <stdio.h>
	#include <string.h>
	#include <linux/ktcp.h>
	#include <ktcp/http.h>
	#include <ktcp/socket.h>

	int main(int argc, char **argv)
	{
		static const char get[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
		struct ktcp_http_header h[8];
		struct ktcp_http_request req = { .headers = h, .num_headers = 8 };
		int n = ktcp_http_parse_request(get, strlen(get), &req, NULL);
		int family = argc > 1 ? ktcp_family_from_path(argv[1]) : -1;

		printf("parsed %d of %zu bytes, %zu headers; family %d\n",
		       n, strlen(get), req.num_headers, family);
		return !(n == (int)strlen(get) && req.num_headers == 1 &&
			 family == KTCP_FAMILY_DEFAULT);
	}
	EOF
	# shellcheck disable=SC2086
	cc -Wall -Wextra -Werror -MD -MF "$prog.d" -o "$prog" "$prog.c" $flags ||
		return 1
	for dep in "$root/usr/include/ktcp/socket.h" \
		   "$root/usr/include/ktcp/http.h" \
		   "$root/usr/include/linux/ktcp.h"; do
		grep -qF "$dep" "$work/echo.d" "$prog.d" ||
			{ echo "not built with $dep"; return 1; }
	done
	echo "$KTCP_FAMILY_DEFAULT_TEXT" >"$work/family"
	LD_LIBRARY_PATH=$root/usr/lib/$multiarch ldd "$prog" | tee "$work/ldd" &&
		grep -qF "libktcp.so.0 => $root/usr/lib/$multiarch/libktcp.so.0" \
			"$work/ldd" || { echo "not linked with the packaged libktcp.so.0"; return 1; }
	LD_LIBRARY_PATH=$root/usr/lib/$multiarch "$prog" "$work/family" || return 1
	# echo.c runs, and says what a host without the module lacks.
	LD_LIBRARY_PATH=$root/usr/lib/$multiarch KTCP_FAMILY_PATH=$work/none \
		"$work/echo" server 0 && return 1
	return 0
}

# dkms add and build of the packaged source, in a dkms tree of its own
# (--dkmstree: /var/lib/dkms is not touched), signed with a throwaway
# key (dkms would make one in /var/lib/dkms), one make job.
dkms_build()
{
	local out=$work/dkms/ktcp/$version/$kver/$machine
	local -a dkms=(dkms --dkmstree "$work/dkms" --sourcetree "$root/usr/src")

	mkdir -p "$work/dkms"
	export mok_signing_key=$work/mok.key mok_certificate=$work/mok.pub
	"${dkms[@]}" add -m ktcp -v "$version" &&
		"${dkms[@]}" build -m ktcp -v "$version" -k "$kver" -j 1 || {
			cat "$work"/dkms/ktcp/"$version"/build/make.log 2>/dev/null
			return 1
		}
	"${dkms[@]}" status -m ktcp -v "$version" | tee /dev/stderr |
		grep -q "$kver.*built" || return 1
	tail -3 "$out/log/make.log"
	modinfo_complete "$out/module/ktcp.ko" && keep_dkms_tree
}

# keep_dkms_tree: the dkms tree just built and the packaged source it
# names, in KTCP_PKG_DKMS_OUT (tree/, src/, version), where the stock
# kernel's VM installs and loads the module (selftests/dkms.sh), and
# the module index (index/modules.*) that the depmod of "dkms install"
# would write there.  depmod reads every one of the kernel's 4,000
# modules: a second here, 268 s in the emulated guest over 9p.  Made
# from the kernel's own modules (links) and the module dkms built, put
# where dkms installs it.
keep_dkms_tree()
{
	local keep=${KTCP_PKG_DKMS_OUT:-} mods=/lib/modules/$kver f
	local idx=$work/modroot-dkms/lib/modules/$kver

	[ -n "$keep" ] || return 0
	rm -rf "$keep" && mkdir -p "$keep/index" "$idx/updates/dkms" &&
		cp -a "$work/dkms" "$keep/tree" &&
		cp -a "$root/usr/src" "$keep/src" &&
		echo "$version" >"$keep/version" || return 1
	for f in "$mods"/*; do
		case ${f##*/} in
		modules.order|modules.builtin|modules.builtin.modinfo)
			cp "$f" "$idx/" ;;
		modules.*|updates) ;;
		*) ln -s "$f" "$idx/" ;;
		esac
	done
	cp "$work/dkms/ktcp/$version/$kver/$machine/module/ktcp.ko" \
		"$idx/updates/dkms/" &&
		depmod -b "$work/modroot-dkms" "$kver" &&
		grep -q '^updates/dkms/ktcp.ko:' "$idx/modules.dep" &&
		cp "$idx"/modules.* "$keep/index/"
}

# modinfo_complete KO: description, version, license, and a meaning
# for every parameter.
modinfo_complete()
{
	local ko=$1 f rc=0 parm re='^[a-z_0-9]+:[^[:space:]].* \([a-z ]+\)$'

	modinfo "$ko" || return 1
	[ "$(modinfo -F version "$ko")" = "$version" ] ||
		{ echo "modinfo version is not $version"; rc=1; }
	for f in description license author; do
		[ -n "$(modinfo -F "$f" "$ko")" ] || { echo "no $f"; rc=1; }
	done
	[ -n "$(modinfo -F parm "$ko")" ] || { echo "no parm"; rc=1; }
	while IFS= read -r parm; do
		# name:meaning (type); a parameter without MODULE_PARM_DESC
		# reads "name: (type)" or has no meaning before the type.
		[[ $parm =~ $re ]] ||
			{ echo "parameter without a meaning: $parm"; rc=1; }
	done < <(modinfo -F parm "$ko")
	return $rc
}

# make modules_install (and depmod) into a throwaway INSTALL_MOD_PATH;
# modprobe's view of that root finds the module.
modules_install()
{
	local mroot=$work/modroot

	make -C "$src" modules_install KDIR="/lib/modules/$kver/build" \
		INSTALL_MOD_PATH="$mroot" || return 1
	grep -q '^updates/ktcp.ko:' "$mroot/lib/modules/$kver/modules.dep" ||
		{ echo "depmod: ktcp not in modules.dep"; return 1; }
	modinfo -b "$mroot" -k "$kver" -F version ktcp | grep -qx "$version" &&
		modprobe -d "$mroot" -S "$kver" --show-depends ktcp
}

KTCP_FAMILY_DEFAULT_TEXT=$(sed -n 's/^#define KTCP_FAMILY_DEFAULT[[:space:]]*\([0-9]*\)$/\1/p' \
	"$KTCP_ROOT/uapi/linux/ktcp.h")

step "versions agree (VERSION, dkms.conf, debian/changelog)" \
	"$KTCP_ROOT/scripts/version.sh" --check
step "copy of the tree" copy_tree
step "dpkg-source --build, dpkg-buildpackage -us -uc -b" build_packages
step "lintian: no errors or warnings" run_lintian
step "packages hold what they should" check_contents
step "unpack into a throwaway root" unpack
step "echo.c and a test program built with pkg-config libktcp from the packages" \
	build_against_packages
step "dkms add and build for $kver, modinfo complete" dkms_build
step "make modules_install and depmod for $kver" modules_install

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
