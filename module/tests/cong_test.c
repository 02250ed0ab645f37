// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control (cong.c): NewReno halves, CUBIC keeps 0.7 and
 * remembers W_max with fast convergence, both grow by one segment a
 * window's worth of ACKs at most as their counts say, and the cube root
 * behind CUBIC's K is exact on cubes.
 */

#include <kunit/test.h>

#include "ktcp.h"

static struct ktcp_sock *new_ks(struct kunit *test,
				const struct ktcp_cong_ops *ops)
{
	struct ktcp_sock *ks = kunit_kzalloc(test, sizeof(*ks), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ks);
	ks->cong = ops;
	ks->counts.min_rtt = ~0U;
	return ks;
}

static void cong_names_are_natives(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, ktcp_cong_find("cubic"), &ktcp_cubic);
	KUNIT_EXPECT_PTR_EQ(test, ktcp_cong_find("reno"), &ktcp_reno);
	KUNIT_EXPECT_NULL(test, ktcp_cong_find("bbr"));
	KUNIT_EXPECT_NULL(test, ktcp_cong_find(""));
}

static void cubic_root_is_exact_on_cubes(struct kunit *test)
{
	u32 x;

	for (x = 0; x < 3000; x += 7) {
		u64 c = (u64)x * x * x;

		KUNIT_EXPECT_EQ(test, ktcp_cubic_root(c), x);
		if (c)
			KUNIT_EXPECT_EQ(test, ktcp_cubic_root(c - 1), x - 1);
	}
	KUNIT_EXPECT_EQ(test, ktcp_cubic_root(U64_MAX), 2642245U);
}

static void reno_halves_the_flight(struct kunit *test)
{
	struct ktcp_sock *ks = new_ks(test, &ktcp_reno);

	KUNIT_EXPECT_EQ(test, ktcp_reno.ssthresh(ks, 10), 5U);
	KUNIT_EXPECT_EQ(test, ktcp_reno.ssthresh(ks, 5), 2U);
	KUNIT_EXPECT_EQ(test, ktcp_reno.ssthresh(ks, 1), 2U);
	KUNIT_EXPECT_EQ(test, ktcp_reno.ssthresh(ks, 0), 2U);
}

/* CUBIC's decrease, from cwnd (@flight is NewReno's). */
static u32 cubic_loss_at(struct ktcp_sock *ks, u32 cwnd)
{
	ks->cwnd = cwnd;
	return ktcp_cubic.ssthresh(ks, 1);
}

static void cubic_keeps_seven_tenths_and_w_max(struct kunit *test)
{
	struct ktcp_sock *ks = new_ks(test, &ktcp_cubic);

	KUNIT_EXPECT_EQ(test, cubic_loss_at(ks, 10), 7U);
	KUNIT_EXPECT_EQ(test, ks->cubic.last_max_cwnd, 10U);
	/* Fast convergence: a loss below W_max lowers it further. */
	KUNIT_EXPECT_EQ(test, cubic_loss_at(ks, 8), 5U);
	KUNIT_EXPECT_EQ(test, ks->cubic.last_max_cwnd, 8U * 1741 / 2048);
	KUNIT_EXPECT_EQ(test, cubic_loss_at(ks, 100), 70U);
	KUNIT_EXPECT_EQ(test, ks->cubic.last_max_cwnd, 100U);
	KUNIT_EXPECT_EQ(test, cubic_loss_at(ks, 2), 2U);
	/* A timeout forgets the curve. */
	ktcp_cubic.loss(ks);
	KUNIT_EXPECT_EQ(test, ks->cubic.last_max_cwnd, 0U);
	KUNIT_EXPECT_EQ(test, ks->cubic.epoch_start, 0U);
}

static void avoid_ai_adds_one_per_w_acked(struct kunit *test)
{
	struct ktcp_sock *ks = new_ks(test, &ktcp_reno);
	int i;

	ks->cwnd = 10;
	for (i = 0; i < 9; i++)
		ktcp_cong_avoid_ai(ks, 10, 1);
	KUNIT_EXPECT_EQ(test, ks->cwnd, 10U);
	ktcp_cong_avoid_ai(ks, 10, 1);
	KUNIT_EXPECT_EQ(test, ks->cwnd, 11U);
	/* A stretch ACK of 25 at w = 11: two more, 3 carried. */
	ktcp_cong_avoid_ai(ks, 11, 25);
	KUNIT_EXPECT_EQ(test, ks->cwnd, 13U);
	KUNIT_EXPECT_EQ(test, ks->cwnd_cnt, 3U);
	ks->cwnd = KTCP_CWND_MAX;
	ktcp_cong_avoid_ai(ks, 1, 1000);
	KUNIT_EXPECT_EQ(test, ks->cwnd, (u32)KTCP_CWND_MAX);
	/* w = 0 counts as 1, and the clamp holds. */
	ktcp_cong_avoid_ai(ks, 0, 5);
	KUNIT_EXPECT_EQ(test, ks->cwnd, (u32)KTCP_CWND_MAX);
	ks->cwnd = 10;
	ks->cwnd_cnt = 0;
	ktcp_cong_avoid_ai(ks, 0, 5);
	KUNIT_EXPECT_EQ(test, ks->cwnd, 15U);
}

static void cubic_grows_at_most_half_a_segment_per_ack(struct kunit *test)
{
	struct ktcp_sock *ks = new_ks(test, &ktcp_cubic);
	u32 before;
	int i;

	/* No loss yet: at least 5 % a window (one segment per 20 ACKs). */
	ks->cwnd = 100;
	ktcp_cubic.cong_avoid(ks, 1);
	KUNIT_EXPECT_EQ(test, ks->cubic.cnt, 20U);
	before = ks->cwnd;
	for (i = 0; i < 100; i++)
		ktcp_cubic.cong_avoid(ks, 1);
	KUNIT_EXPECT_EQ(test, ks->cwnd, before + 5);
	/*
	 * Just after a loss at 1000, at 700: K = cbrt(300 / 0.4) = 9 s
	 * away, and the curve is flat here: about one segment a window
	 * from the Reno-friendly region, not the cubic's 100 * cwnd.
	 */
	cubic_loss_at(ks, 1000);
	ks->cwnd = 700;
	ks->cwnd_cnt = 0;
	ktcp_cubic.cong_avoid(ks, 1);
	KUNIT_EXPECT_EQ(test, ks->cubic.origin_point, 1000U);
	KUNIT_EXPECT_GE(test, ks->cubic.k, 9000U);
	KUNIT_EXPECT_LE(test, ks->cubic.k, 9400U);
	KUNIT_EXPECT_GE(test, ks->cubic.cnt, 700U);
}

static struct kunit_case cong_cases[] = {
	KUNIT_CASE(cong_names_are_natives),
	KUNIT_CASE(cubic_root_is_exact_on_cubes),
	KUNIT_CASE(reno_halves_the_flight),
	KUNIT_CASE(cubic_keeps_seven_tenths_and_w_max),
	KUNIT_CASE(avoid_ai_adds_one_per_w_acked),
	KUNIT_CASE(cubic_grows_at_most_half_a_segment_per_ack),
	{}
};

static struct kunit_suite cong_suite = {
	.name = "ktcp_cong",
	.test_cases = cong_cases,
};

kunit_test_suite(cong_suite);
