// SPDX-License-Identifier: GPL-2.0
/*
 * The SACK scoreboard: which blocks are believed, and which queued
 * segments a block marks.
 */

#include <kunit/test.h>

#include "ktcp.h"
#include "sack.h"

/*
 * A write queue of @n skbs of @len bytes each, from sequence 1000, sent
 * as segments of 100.
 */
static void fill_queue(struct kunit *test, struct sk_buff_head *q, int n,
		       u32 len)
{
	int i;

	__skb_queue_head_init(q);
	for (i = 0; i < n; i++) {
		struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb_put_zero(skb, len);
		memset(skb->cb, 0, sizeof(skb->cb));
		KTCP_SKB_CB(skb)->seq = 1000 + len * i;
		KTCP_SKB_CB(skb)->end_seq = 1000 + len * (i + 1);
		KTCP_SKB_CB(skb)->sent_mss = 100;
		__skb_queue_tail(q, skb);
	}
}

/* The marks of the queue as a bit mask, segment 0 in bit 0. */
static unsigned long marks(struct sk_buff_head *q)
{
	struct sk_buff *skb;
	unsigned long m = 0;
	int i = 0;

	skb_queue_walk(q, skb)
		m |= (unsigned long)KTCP_SKB_CB(skb)->sacked << i++;
	return m;
}

static void sack_block_validity(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, ktcp_sack_block_valid(1100, 1300, 1000, 1500));
	/* Empty, reversed, below SND.UNA (D-SACK), beyond SND.MAX. */
	KUNIT_EXPECT_FALSE(test, ktcp_sack_block_valid(1200, 1200, 1000, 1500));
	KUNIT_EXPECT_FALSE(test, ktcp_sack_block_valid(1300, 1100, 1000, 1500));
	KUNIT_EXPECT_FALSE(test, ktcp_sack_block_valid(900, 1000, 1000, 1500));
	KUNIT_EXPECT_FALSE(test, ktcp_sack_block_valid(1400, 1600, 1000, 1500));
	/* Across the sequence wrap. */
	KUNIT_EXPECT_TRUE(test, ktcp_sack_block_valid(0xfffffff0, 0x10,
						      0xffffff00, 0x100));
}

static void sack_marks_whole_segments_only(struct kunit *test)
{
	struct sk_buff_head q;

	fill_queue(test, &q, 5, 100);
	/* 1100-1300 holds segments 1 and 2; 1350-1500 only segment 4. */
	ktcp_sack_mark(&q, 1100, 1300, NULL);
	ktcp_sack_mark(&q, 1350, 1500, NULL);
	KUNIT_EXPECT_EQ(test, marks(&q), 0x16UL);
	__skb_queue_purge(&q);
}

static void sack_marks_accumulate(struct kunit *test)
{
	struct sk_buff_head q;

	fill_queue(test, &q, 4, 100);
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1300, 1400, NULL), 1U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1100, 1200, NULL), 1U);
	/* A block seen before tells nothing new. */
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1300, 1400, NULL), 0U);
	KUNIT_EXPECT_EQ(test, marks(&q), 0xaUL);
	__skb_queue_purge(&q);
}

/* An skb that went as several segments counts as that many. */
static void sack_marks_count_segments(struct kunit *test)
{
	struct sk_buff_head q;

	fill_queue(test, &q, 2, 250);
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1250, 1500, NULL), 3U);
	KUNIT_EXPECT_EQ(test, marks(&q), 0x2UL);
	__skb_queue_purge(&q);
}

/*
 * Where a block cuts an skb that went as segments of 100: at a
 * segment's edge, its edges taken inward; not where it holds no whole
 * segment, or all of it.
 */
static void sack_cuts_at_whole_segments(struct kunit *test)
{
	static const struct {
		u32 len, lo, hi, cut;
	} cases[] = {
		{ 500, 200, 500, 200 },
		{ 500, 0, 200, 200 },
		/* Inside: the start first, the end on the rest. */
		{ 500, 200, 300, 200 },
		{ 300, 0, 100, 100 },
		{ 500, 201, 500, 300 },
		{ 500, 0, 299, 200 },
		/* The last segment, a short one, whole or in part. */
		{ 450, 400, 450, 400 },
		{ 450, 350, 450, 400 },
		{ 450, 401, 450, 0 },
		/* All of it: nothing to cut. */
		{ 500, 0, 500, 0 },
		/* A lying peer's blocks, no whole segment: no cut. */
		{ 500, 0, 99, 0 },
		{ 500, 150, 151, 0 },
		{ 500, 101, 299, 0 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, ktcp_sack_cut(cases[i].len, cases[i].lo,
							cases[i].hi, 100),
				    cases[i].cut, "len %u, block %u-%u",
				    cases[i].len, cases[i].lo, cases[i].hi);
}

static struct kunit_case sack_cases[] = {
	KUNIT_CASE(sack_block_validity),
	KUNIT_CASE(sack_marks_whole_segments_only),
	KUNIT_CASE(sack_marks_accumulate),
	KUNIT_CASE(sack_marks_count_segments),
	KUNIT_CASE(sack_cuts_at_whole_segments),
	{}
};

static struct kunit_suite sack_suite = {
	.name = "ktcp_sack",
	.test_cases = sack_cases,
};

kunit_test_suite(sack_suite);
