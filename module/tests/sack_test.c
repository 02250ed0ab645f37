// SPDX-License-Identifier: GPL-2.0
/*
 * The SACK scoreboard: which blocks are believed, and which queued
 * segments a block marks.
 */

#include <kunit/test.h>

#include "ktcp.h"
#include "sack.h"

/* A write queue of @n skbs of @len bytes each, from sequence 1000. */
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
	ktcp_sack_mark(&q, 1100, 1300, 100, NULL);
	ktcp_sack_mark(&q, 1350, 1500, 100, NULL);
	KUNIT_EXPECT_EQ(test, marks(&q), 0x16UL);
	__skb_queue_purge(&q);
}

static void sack_marks_accumulate(struct kunit *test)
{
	struct sk_buff_head q;

	fill_queue(test, &q, 4, 100);
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1300, 1400, 100, NULL), 1U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1100, 1200, 100, NULL), 1U);
	/* A block seen before tells nothing new. */
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1300, 1400, 100, NULL), 0U);
	KUNIT_EXPECT_EQ(test, marks(&q), 0xaUL);
	__skb_queue_purge(&q);
}

/* An skb that went as several segments counts as that many. */
static void sack_marks_count_segments(struct kunit *test)
{
	struct sk_buff_head q;

	fill_queue(test, &q, 2, 250);
	KUNIT_EXPECT_EQ(test, ktcp_sack_mark(&q, 1250, 1500, 100, NULL), 3U);
	KUNIT_EXPECT_EQ(test, marks(&q), 0x2UL);
	__skb_queue_purge(&q);
}

/*
 * A block's edge cuts an skb of 5 segments of 100 at a segment's edge,
 * rounded inward; none at the skb's own edges or beyond its last
 * segment's start.
 */
static void sack_cuts_at_whole_segments(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 200, 100, true), 200U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 200, 100, false), 200U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 201, 100, true), 300U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 299, 100, false), 200U);
	/* Inside the first segment: an end cuts nothing. */
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 99, 100, false), 0U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 1, 100, true), 100U);
	/* Inside the last segment, a short one: a start cuts nothing. */
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(450, 401, 100, true), 0U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(450, 449, 100, false), 400U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 0, 100, true), 0U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 500, 100, false), 0U);
	/* One-byte blocks of a lying peer cut no more than segments do. */
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 150, 100, true), 200U);
	KUNIT_EXPECT_EQ(test, ktcp_sack_cut(500, 151, 100, false), 100U);
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
