/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp internals: which scan the HTTP parser uses (src/http.c).
 * Not exported from libktcp.so (libktcp.map); the unit tests, linked
 * with libktcp.a, use it to run the parser's tests on both paths.
 */
#ifndef KTCP_SRC_HTTP_SCAN_H
#define KTCP_SRC_HTTP_SCAN_H

enum {
	LIBKTCP_SCAN_BEST,	/* AVX2 where the CPU has it (the default) */
	LIBKTCP_SCAN_PORTABLE,	/* 8 bytes at a time, any architecture */
	LIBKTCP_SCAN_AVX2,	/* 32 bytes at a time */
};

/*
 * Use the scan @which for the parses that follow, in the whole
 * process.  Returns the one now in use, or -ENOTSUP if the CPU has no
 * AVX2 (or this is not x86-64) and nothing changed.
 */
int libktcp_http_scan_select(int which);

#endif /* KTCP_SRC_HTTP_SCAN_H */
