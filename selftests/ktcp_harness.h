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

#include "ktcp_selftest.h"

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
