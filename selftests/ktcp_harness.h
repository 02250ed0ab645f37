/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every ktcp kselftest includes: the kernel's kselftest harness,
 * then the shared helpers, whose asserting half needs the harness.
 */
#ifndef _KTCP_HARNESS_H
#define _KTCP_HARNESS_H

/* The 6.12 harness's __timeout_handler() leaves a parameter unused. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include <sys/resource.h>

#include "ktcp_selftest.h"

/* Room for @want descriptors: tests that hold thousands of sockets. */
static inline void raise_nofile(struct __test_metadata *_metadata,
				rlim_t want)
{
	struct rlimit rl;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
		TH_LOG("RLIMIT_NOFILE %lu: %s", (unsigned long)want,
		       strerror(errno));
}

/*
 * Every test of fixture @f twice: on native TCP (variant @native, say
 * inet or inet6) and on ktcp; variant->ktcp tells which.
 */
#define KTCP_FAMILY_VARIANTS(f, native)					\
	FIXTURE_VARIANT(f) {						\
		bool ktcp;						\
	};								\
	FIXTURE_VARIANT_ADD(f, native) {				\
		.ktcp = false,						\
	};								\
	FIXTURE_VARIANT_ADD(f, ktcp) {					\
		.ktcp = true,						\
	}

/*
 * The socket families of a KTCP_FAMILY_VARIANTS fixture's variant
 * (@ktcp): native's AF_INET and AF_INET6, or ktcp's one family for
 * both IP versions.  In FIXTURE_SETUP: the ktcp variant skips under
 * KTCP_SELFTEST_INET_ONLY, and fails if ktcp.ko is not loaded.
 */
#define KTCP_VARIANT_FAMILIES(ktcp, family, family6)			\
	do {								\
		(family) = AF_INET;					\
		(family6) = AF_INET6;					\
		if (ktcp) {						\
			if (inet_only())				\
				SKIP(return, "KTCP_SELFTEST_INET_ONLY set"); \
			(family) = ktcp_family_or_fail(_metadata);	\
			(family6) = (family);				\
		}							\
	} while (0)

/*
 * Every test of fixture @f between a client and a server, each native
 * or ktcp: variant @native (both native, the reference), ktcp_server,
 * ktcp_client and ktcp_both.
 */
#define KTCP_PAIR_VARIANTS(f, native)					\
	FIXTURE_VARIANT(f) {						\
		bool ktcp_server;					\
		bool ktcp_client;					\
	};								\
	FIXTURE_VARIANT_ADD(f, native) {				\
		.ktcp_server = false,					\
		.ktcp_client = false,					\
	};								\
	FIXTURE_VARIANT_ADD(f, ktcp_server) {				\
		.ktcp_server = true,					\
		.ktcp_client = false,					\
	};								\
	FIXTURE_VARIANT_ADD(f, ktcp_client) {				\
		.ktcp_server = false,					\
		.ktcp_client = true,					\
	};								\
	FIXTURE_VARIANT_ADD(f, ktcp_both) {				\
		.ktcp_server = true,					\
		.ktcp_client = true,					\
	}

#endif /* _KTCP_HARNESS_H */
