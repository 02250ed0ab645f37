// SPDX-License-Identifier: GPL-2.0
/*
 * The size of a GSO packet: native's TSO sizing at the RTTs packetdrill
 * and real paths give, and never a datagram beyond 64 KB, whatever MSS
 * a peer announced.
 */

#include <kunit/test.h>

#include "gso.h"

static void gso_sub_ms_path_takes_all_64k(struct kunit *test)
{
	/* Loopback, or a script's ACK at +0: 65435 / 1000 segments. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1000, 10, ~0U, 4000, 0, 2), 65U);
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1448, 10, ~0U, 100, 100, 2), 45U);
}

static void gso_100ms_path_sends_two(struct kunit *test)
{
	/* 200 KB/s in slow start: 195 bytes a millisecond, the floor. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1000, 10, ~0U, 100000, 100000, 2),
			2U);
}

static void gso_rate_grows_with_cwnd(struct kunit *test)
{
	/* 1000 segments per 10 ms, 1.2 times: 117 KB a ms, capped at 64 KB. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1000, 1000, 10, 10000, 10000, 2),
			65U);
	/* 100 segments per 10 ms, 1.2 times: 11718 bytes a ms. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1000, 100, 10, 10000, 10000, 2),
			11U);
	/* Twice the rate in slow start (cwnd below half of ssthresh). */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1000, 100, 1000, 10000, 10000, 2),
			19U);
}

static void gso_no_sample_yet(struct kunit *test)
{
	/* No SRTT: no pacing limit (native's rate stays undivided). */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(1000, 10, ~0U, 0, ~0U, 2), 65U);
}

static void gso_peer_mss_extremes_fit_64k(struct kunit *test)
{
	/* The floor, 36 bytes with timestamps: many, but within 64 KB. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(36, 10, ~0U, 0, 0, 2),
			(u32)(KTCP_GSO_MAX_BYTES / 36));
	/* Half of 64 KB: two fit. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(32000, 10, ~0U, 0, 0, 2), 2U);
	/* Loopback's MSS: one, however slow the path (no floor of two). */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(65483, 10, ~0U, 100000, 100000, 2),
			1U);
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(65535, 10, ~0U, 0, 0, 2), 1U);
}

static void gso_min_segs_is_the_floor(struct kunit *test)
{
	/* tcp_min_tso_segs 1: a slow path sends single segments. */
	KUNIT_EXPECT_EQ(test,
			ktcp_gso_segs(1000, 10, ~0U, 100000, 100000, 1), 1U);
	KUNIT_EXPECT_EQ(test,
			ktcp_gso_segs(1000, 10, ~0U, 100000, 100000, 8), 8U);
	/* Never beyond 64 KB, whatever the floor. */
	KUNIT_EXPECT_EQ(test, ktcp_gso_segs(32000, 10, ~0U, 0, 0, 100), 2U);
}

static struct kunit_case gso_cases[] = {
	KUNIT_CASE(gso_min_segs_is_the_floor),
	KUNIT_CASE(gso_sub_ms_path_takes_all_64k),
	KUNIT_CASE(gso_100ms_path_sends_two),
	KUNIT_CASE(gso_rate_grows_with_cwnd),
	KUNIT_CASE(gso_no_sample_yet),
	KUNIT_CASE(gso_peer_mss_extremes_fit_64k),
	{}
};

static struct kunit_suite gso_suite = {
	.name = "ktcp_gso",
	.test_cases = gso_cases,
};

kunit_test_suite(gso_suite);
