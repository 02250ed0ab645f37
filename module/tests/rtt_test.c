// SPDX-License-Identifier: GPL-2.0
/*
 * The RFC 6298 estimator: first sample, steady samples, a spike,
 * and the floor of the RTO's margin and the RTO's ceiling; backoff, and
 * timeouts counted from u32 stamps of jiffies.
 */

#include <kunit/test.h>

#include "rtt.h"

static void rtt_first_sample_sets_srtt_and_half_variation(struct kunit *test)
{
	u32 srtt = 0, rttvar = 0;
	u32 rto = ktcp_rtt_update(&srtt, &rttvar, 100, 1, 100000);

	KUNIT_EXPECT_EQ(test, srtt >> 3, 100U);		/* SRTT = R */
	KUNIT_EXPECT_EQ(test, rttvar >> 2, 50U);	/* RTTVAR = R / 2 */
	KUNIT_EXPECT_EQ(test, rto, 300U);		/* SRTT + 4 RTTVAR */
}

static void rtt_steady_samples_shrink_the_variation(struct kunit *test)
{
	u32 srtt = 0, rttvar = 0, rto = 0;
	int i;

	for (i = 0; i < 50; i++)
		rto = ktcp_rtt_update(&srtt, &rttvar, 100, 1, 100000);
	KUNIT_EXPECT_EQ(test, srtt >> 3, 100U);
	/* 3/4 per sample from 50: nothing is left after 50 samples. */
	KUNIT_EXPECT_LE(test, rttvar, 3U);
	KUNIT_EXPECT_LE(test, rto, 103U);
	KUNIT_EXPECT_GE(test, rto, 100U);
}

static void rtt_a_spike_moves_srtt_by_an_eighth(struct kunit *test)
{
	u32 srtt = 100 << 3, rttvar = 0;

	ktcp_rtt_update(&srtt, &rttvar, 180, 1, 100000);
	KUNIT_EXPECT_EQ(test, srtt >> 3, 110U);	/* 100 + (180 - 100) / 8 */
	KUNIT_EXPECT_EQ(test, rttvar >> 2, 20U);	/* |180 - 100| / 4 */
}

static void rtt_rto_is_clamped(struct kunit *test)
{
	u32 srtt = 0, rttvar = 0;

	/* rto_min is a floor of the margin: 1 + max(2, 50). */
	KUNIT_EXPECT_EQ(test, ktcp_rtt_update(&srtt, &rttvar, 1, 50, 1000),
			51U);
	srtt = 0;
	KUNIT_EXPECT_EQ(test, ktcp_rtt_update(&srtt, &rttvar, 900, 50, 1000),
			1000U);
}

/*
 * A steady RTT near rto_min: the RTO stays rto_min above SRTT (native's
 * tcp_set_rto()), never SRTT plus a vanishing variation.
 */
static void rtt_rto_keeps_rto_min_above_a_steady_srtt(struct kunit *test)
{
	u32 srtt = 0, rttvar = 0, rto = 0;
	int i;

	for (i = 0; i < 50; i++)
		rto = ktcp_rtt_update(&srtt, &rttvar, 180, 200, 120000);
	KUNIT_EXPECT_EQ(test, srtt >> 3, 180U);
	KUNIT_EXPECT_EQ(test, rto, 380U);
}

static void rtt_zero_sample_counts_as_one_tick(struct kunit *test)
{
	u32 srtt = 0, rttvar = 0;

	ktcp_rtt_update(&srtt, &rttvar, 0, 1, 100000);
	KUNIT_EXPECT_EQ(test, srtt >> 3, 1U);
}

/* Every backoff stops at 120 s, whatever the retry count. */
static void rtt_backoff_is_capped_for_any_shift(struct kunit *test)
{
	const unsigned long max = 120000;
	unsigned int shift;

	KUNIT_EXPECT_EQ(test, ktcp_backoff(1000, 0, max), 1000UL);
	KUNIT_EXPECT_EQ(test, ktcp_backoff(1000, 1, max), 2000UL);
	KUNIT_EXPECT_EQ(test, ktcp_backoff(1000, 6, max), 64000UL);
	KUNIT_EXPECT_EQ(test, ktcp_backoff(1000, 7, max), max);
	KUNIT_EXPECT_EQ(test, ktcp_backoff(200000, 0, max), max);
	KUNIT_EXPECT_EQ(test, ktcp_backoff(0, 5, max), 0UL);
	for (shift = 0; shift <= 300; shift++) {
		unsigned long t = ktcp_backoff(1000, shift, max);

		KUNIT_ASSERT_GE(test, t, 1000UL);
		KUNIT_ASSERT_LE(test, t, max);
	}
	KUNIT_EXPECT_EQ(test, ktcp_backoff(1000, 255, max), max);
}

/*
 * Timeouts counted from u32 stamps of jiffies, across the wrap of the
 * low 32 bits that 64-bit kernels pass five minutes after boot (their
 * jiffies start at 2^32 - 300 s).  A stamp subtracted from the full
 * jiffies was 2^32 ticks old there: TCP_USER_TIMEOUT had run out.
 */
static void rtt_timeout_left_across_the_wrap(struct kunit *test)
{
	const u32 initial = (u32)(-300 * 250);	/* INITIAL_JIFFIES, HZ 250 */

	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(0x100, 0xffffff00, 1000), 488);
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(0, 0xffffffff, 1), 0);
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(initial + 75000 + 10,
						initial + 75000 - 10, 1250),
			1230);
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(5, 5, 1250), 1250);
	/* Passed: exactly at the limit, and beyond it. */
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(1005, 5, 1000), 0);
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(0x10, 0xfffffc00, 1000), -40);
	/* A stamp ahead of now (set on another CPU) counts as now. */
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(0xfffffff0, 0x10, 1000), 1000);
	/* The largest TCP_USER_TIMEOUT, INT_MAX ms, at HZ 1000. */
	KUNIT_EXPECT_EQ(test, ktcp_timeout_left(0x10, 0xfffffff0, 0x7fffffff),
			0x7fffffdf);
}

static struct kunit_case rtt_cases[] = {
	KUNIT_CASE(rtt_first_sample_sets_srtt_and_half_variation),
	KUNIT_CASE(rtt_steady_samples_shrink_the_variation),
	KUNIT_CASE(rtt_a_spike_moves_srtt_by_an_eighth),
	KUNIT_CASE(rtt_rto_is_clamped),
	KUNIT_CASE(rtt_rto_keeps_rto_min_above_a_steady_srtt),
	KUNIT_CASE(rtt_zero_sample_counts_as_one_tick),
	KUNIT_CASE(rtt_backoff_is_capped_for_any_shift),
	KUNIT_CASE(rtt_timeout_left_across_the_wrap),
	{}
};

static struct kunit_suite rtt_suite = {
	.name = "ktcp_rtt",
	.test_cases = rtt_cases,
};

kunit_test_suite(rtt_suite);
