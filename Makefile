# SPDX-License-Identifier: GPL-2.0
#
# make               ktcp.ko (+ ktcp_kunit.ko where KDIR has KUnit) and libktcp
# make check         checkpatch --strict, sparse, userspace -Wall -Wextra -Werror,
#                    shellcheck on the scripts
# make test          every test, host and VMs (scripts/test.sh)
# make demo          the main job on Debian's stock kernel (scripts/demo.sh)
# make man-lint      groff -ww and mandoc -T lint on man/*, and the pages held
#                    to the code (scripts/man-lint.sh; part of make check)
# make install       libktcp and its man pages (make -C userspace install) and
#                    ktcp(7), under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
# make modules_install  ktcp.ko into /lib/modules/<KDIR's release>/updates,
#                    then depmod (INSTALL_MOD_PATH= for another root)
# make dkms-src      the module's source and dkms.conf in
#                    $(DESTDIR)/usr/src/ktcp-$(VERSION), for "dkms install ktcp/VERSION"
#
# KDIR: kernel build tree to build against (default: the running kernel's).
# KSRC: a full kernel source tree, for checkpatch.pl (default: the cached
#       6.12 test kernel of scripts/build-test-kernel.sh).

KDIR ?= /lib/modules/$(shell uname -r)/build
KSRC ?= $(shell scripts/build-test-kernel.sh --path)
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man

MODULE_SRC := $(wildcard module/*.c module/*.h module/tests/*.c) uapi/linux/ktcp.h
# The one version of ktcp (scripts/version.sh).
VERSION := $(shell cat VERSION)

all: modules userspace

modules:
	@test -f $(KDIR)/Makefile || { echo "no kernel build tree at $(KDIR): install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

# The kernel's modules_install runs depmod only where KDIR has a
# System.map, which a headers package has not: run it here, for the
# release in ktcp.ko's vermagic (Debian's headers say another in
# "make kernelrelease").
modules_install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a \
		$$(modinfo -F vermagic ktcp.ko | cut -d' ' -f1)

# What the ktcp-dkms package installs (debian/rules calls this).
DKMS_SRC = $(DESTDIR)/usr/src/ktcp-$(VERSION)
dkms-src:
	for f in Kbuild VERSION dkms.conf $(wildcard module/*.[ch] module/tests/*.[ch]) uapi/linux/ktcp.h; do \
		install -D -m 644 $$f $(DKMS_SRC)/$$f || exit 1; \
	done

check: checkpatch sparse userspace-check shellcheck version-check man-lint

version-check:
	scripts/version.sh --check

# The man pages (man/): not a warning from groff or mandoc, and every
# function, sysctl, option, counter and tracepoint of the code named.
man-lint:
	scripts/man-lint.sh

# libktcp, its pages (libktcp*.3, libktcp-preload.8) and ktcp(7).
install: install-man
	$(MAKE) -C userspace install

install-man:
	scripts/install-man.sh $(DESTDIR)$(MANDIR) man/ktcp.7

# From each script's directory, so that -x follows what it sources.
shellcheck:
	cd scripts && shellcheck -x -S warning *.sh
	cd selftests && shellcheck -x -S warning *.sh
	cd userspace/tests && shellcheck -x -S warning *.sh
	cd userspace/bench && shellcheck -x -S warning *.sh
	shellcheck -S warning .ci/run

checkpatch:
	@test -x $(KSRC)/scripts/checkpatch.pl || { echo "checkpatch.pl not found under KSRC=$(KSRC)" >&2; exit 1; }
	@# compat.h is where version tests belong, and only there.  socket.c
	@# fills proto_ops.family at load time: it is a module parameter.
	$(KSRC)/scripts/checkpatch.pl --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE \
		-f $(filter-out module/socket.c module/ktcp_trace.h,$(MODULE_SRC))
	$(KSRC)/scripts/checkpatch.pl --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,CONST_STRUCT -f module/socket.c
	@# The TRACE_EVENT() language, written as include/trace/events/ is.
	$(KSRC)/scripts/checkpatch.pl --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,OPEN_ENDED_LINE,COMPLEX_MACRO,TRAILING_SEMICOLON,PARENTHESIS_ALIGNMENT,CAMELCASE \
		-f module/ktcp_trace.h
	@! grep -n LINUX_VERSION_CODE $(filter-out module/compat.h,$(MODULE_SRC))

sparse:
	scripts/build-module.sh $(KDIR) build/sparse C=2

# In a build directory of its own: scripts/test.sh runs this while VMs
# copy userspace/build.
userspace-check:
	$(MAKE) -C userspace BUILD=../build/userspace-check clean
	$(MAKE) -C userspace BUILD=../build/userspace-check \
		CFLAGS="-O2 -Wall -Wextra -Werror"
	$(MAKE) -C selftests KSRC=$(KSRC)

test:
	scripts/test.sh

demo:
	scripts/demo.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C userspace clean
	rm -rf build

.PHONY: all modules modules_install dkms-src userspace check checkpatch sparse userspace-check shellcheck version-check test demo clean man-lint install install-man
