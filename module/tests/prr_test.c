// SPDX-License-Identifier: GPL-2.0
/*
 * PRR's count (prr.h): RFC 6937's proportional part brings the window
 * down to ssthresh over one round, its slow-start bound grows it back
 * below ssthresh, and the fast retransmit always goes.
 */

#include <kunit/test.h>

#include "prr.h"

/* RFC 6937's example: 20 out, ssthresh 10: one segment per two ACKs. */
static void prr_sends_half_above_ssthresh(struct kunit *test)
{
	u32 delivered, out = 0, sent;

	for (delivered = 1; delivered <= 10; delivered++) {
		sent = ktcp_prr_sndcnt(10, 19, 20, delivered, out, 1, false);
		KUNIT_EXPECT_EQ(test, sent, delivered % 2);
		out += sent;
	}
	KUNIT_EXPECT_EQ(test, out, 5U);
}

static void prr_fast_retransmit_always_goes(struct kunit *test)
{
	/* pipe already at ssthresh: the bound says 0, the rule says 1 */
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 7, 10, 1, 0, 1, false), 1U);
	/* ... but only the first time */
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 7, 10, 2, 1, 1, false), 0U);
}

static void prr_never_below_nothing(struct kunit *test)
{
	/* more went than the proportion allows: nothing, not negative */
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(10, 19, 20, 2, 5, 1, false), 0U);
}

/* Below ssthresh: what was delivered, one more on progress, up to it. */
static void prr_slow_start_bound(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 3, 10, 5, 4, 1, false), 1U);
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 3, 10, 5, 4, 1, true), 2U);
	/* what was held back before goes now ... */
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 3, 10, 9, 4, 1, false), 4U);
	/* ... up to ssthresh */
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 5, 10, 9, 4, 1, false), 2U);
	/* a stretch ACK's deliveries count whole */
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(7, 1, 10, 9, 9, 3, false), 3U);
}

static void prr_survives_a_zero_prior_cwnd(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_prr_sndcnt(2, 5, 0, 1, 0, 1, false), 2U);
}

static struct kunit_case prr_cases[] = {
	KUNIT_CASE(prr_sends_half_above_ssthresh),
	KUNIT_CASE(prr_fast_retransmit_always_goes),
	KUNIT_CASE(prr_never_below_nothing),
	KUNIT_CASE(prr_slow_start_bound),
	KUNIT_CASE(prr_survives_a_zero_prior_cwnd),
	{}
};

static struct kunit_suite prr_suite = {
	.name = "ktcp_prr",
	.test_cases = prr_cases,
};

kunit_test_suite(prr_suite);
