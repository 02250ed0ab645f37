// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-order queue: every byte kept once, in order, whatever the
 * overlaps; checked by the ranges and by the bytes themselves.  Each
 * segment's payload is its own sequence numbers (low byte), so a wrong
 * trim shows as a wrong byte.
 */

#include <kunit/test.h>

#include "ktcp.h"
#include "reassembly.h"

static struct sk_buff *seg(struct kunit *test, u32 seq, u32 len, bool fin)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);
	u8 *p;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	p = skb_put(skb, len);
	for (i = 0; i < len; i++)
		p[i] = (u8)(seq + i);
	KTCP_SKB_CB(skb)->seq = seq;
	KTCP_SKB_CB(skb)->end_seq = seq + len + fin;
	KTCP_SKB_CB(skb)->flags = fin ? KTCP_FIN : 0;
	return skb;
}

static void insert(struct kunit *test, struct sk_buff_head *q,
		   struct sk_buff *skb, bool queued)
{
	bool got = ktcp_ofo_insert(q, skb);

	KUNIT_EXPECT_EQ(test, got, queued);
	if (!got)
		kfree_skb(skb);
}

/* The queue holds exactly the ranges [start[i], end[i]). */
static void expect_ranges(struct kunit *test, struct sk_buff_head *q,
			  const u32 *start, const u32 *end, int n)
{
	struct sk_buff *skb;
	int i = 0;

	skb_queue_walk(q, skb) {
		const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
		u32 k;

		KUNIT_ASSERT_LT(test, i, n);
		KUNIT_EXPECT_EQ(test, cb->seq, start[i]);
		KUNIT_EXPECT_EQ(test, cb->end_seq, end[i]);
		for (k = 0; k < skb->len; k++)
			KUNIT_EXPECT_EQ(test, skb->data[k], (u8)(cb->seq + k));
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, n);
}

static void ofo_sorts_segments_arriving_backwards(struct kunit *test)
{
	static const u32 start[] = { 100, 300, 500 }, end[] = { 200, 400, 600 };
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 500, 100, false), true);
	insert(test, &q, seg(test, 300, 100, false), true);
	insert(test, &q, seg(test, 100, 100, false), true);
	expect_ranges(test, &q, start, end, 3);
	__skb_queue_purge(&q);
}

static void ofo_drops_a_duplicate_and_a_covered_segment(struct kunit *test)
{
	static const u32 start[] = { 100 }, end[] = { 300 };
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 100, 200, false), true);
	insert(test, &q, seg(test, 100, 200, false), false);
	insert(test, &q, seg(test, 150, 50, false), false);
	expect_ranges(test, &q, start, end, 1);
	__skb_queue_purge(&q);
}

static void ofo_trims_the_head_of_an_overlapping_segment(struct kunit *test)
{
	static const u32 start[] = { 100, 200 }, end[] = { 200, 250 };
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 100, 100, false), true);
	insert(test, &q, seg(test, 150, 100, false), true);
	expect_ranges(test, &q, start, end, 2);
	__skb_queue_purge(&q);
}

static void ofo_trims_the_tail_before_a_later_segment(struct kunit *test)
{
	static const u32 start[] = { 100, 200 }, end[] = { 200, 300 };
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 200, 100, false), true);
	insert(test, &q, seg(test, 100, 150, false), true);
	expect_ranges(test, &q, start, end, 2);
	__skb_queue_purge(&q);
}

static void ofo_replaces_segments_a_larger_one_covers(struct kunit *test)
{
	static const u32 start[] = { 50, 300 }, end[] = { 300, 450 };
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 100, 50, false), true);
	insert(test, &q, seg(test, 200, 50, false), true);
	insert(test, &q, seg(test, 300, 150, false), true);
	/* Covers the first two, overlaps the head of the third. */
	insert(test, &q, seg(test, 50, 350, false), true);
	expect_ranges(test, &q, start, end, 2);
	__skb_queue_purge(&q);
}

static void ofo_keeps_a_fin_and_counts_it(struct kunit *test)
{
	static const u32 start[] = { 100, 200 }, end[] = { 200, 301 };
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 200, 100, true), true);
	insert(test, &q, seg(test, 100, 150, false), true);
	expect_ranges(test, &q, start, end, 2);
	KUNIT_EXPECT_TRUE(test, KTCP_SKB_CB(skb_peek_tail(&q))->flags & KTCP_FIN);
	__skb_queue_purge(&q);
}

static void ofo_dequeue_waits_for_the_hole(struct kunit *test)
{
	struct sk_buff_head q;
	struct sk_buff *skb;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 200, 100, false), true);
	KUNIT_EXPECT_NULL(test, ktcp_ofo_dequeue(&q, 150));
	KUNIT_EXPECT_EQ(test, skb_queue_len(&q), 1U);
	skb = ktcp_ofo_dequeue(&q, 200);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->seq, 200U);
	KUNIT_EXPECT_EQ(test, skb->len, 100U);
	kfree_skb(skb);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&q));
}

static void ofo_dequeue_trims_what_was_already_received(struct kunit *test)
{
	struct sk_buff_head q;
	struct sk_buff *skb;

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 100, 50, false), true);
	insert(test, &q, seg(test, 200, 100, false), true);
	/* An in-order segment 100..250 arrived: the first is all old. */
	skb = ktcp_ofo_dequeue(&q, 250);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->seq, 250U);
	KUNIT_EXPECT_EQ(test, skb->len, 50U);
	KUNIT_EXPECT_EQ(test, skb->data[0], (u8)250);
	kfree_skb(skb);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&q));
}

static void ofo_works_across_sequence_wrap(struct kunit *test)
{
	struct sk_buff_head q;
	u32 s[4], e[4];

	__skb_queue_head_init(&q);
	insert(test, &q, seg(test, 0xffffff80, 0x180, false), true);
	insert(test, &q, seg(test, 0xffffff00, 0x100, false), true);
	/* Adjacent ranges are two skbs; the SACK view merges them. */
	KUNIT_EXPECT_EQ(test, skb_queue_len(&q), 2U);
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 1);
	KUNIT_EXPECT_EQ(test, s[0], 0xffffff00U);
	KUNIT_EXPECT_EQ(test, e[0], 0x100U);
	__skb_queue_purge(&q);
}

static void ofo_blocks_stop_at_max(struct kunit *test)
{
	struct sk_buff_head q;
	u32 s[2], e[2];
	int i;

	__skb_queue_head_init(&q);
	for (i = 0; i < 4; i++)
		insert(test, &q, seg(test, 100 + 200 * i, 100, false), true);
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 2), 2);
	KUNIT_EXPECT_EQ(test, s[1], 300U);
	KUNIT_EXPECT_EQ(test, e[1], 400U);
	__skb_queue_purge(&q);
}

static struct kunit_case reassembly_cases[] = {
	KUNIT_CASE(ofo_sorts_segments_arriving_backwards),
	KUNIT_CASE(ofo_drops_a_duplicate_and_a_covered_segment),
	KUNIT_CASE(ofo_trims_the_head_of_an_overlapping_segment),
	KUNIT_CASE(ofo_trims_the_tail_before_a_later_segment),
	KUNIT_CASE(ofo_replaces_segments_a_larger_one_covers),
	KUNIT_CASE(ofo_keeps_a_fin_and_counts_it),
	KUNIT_CASE(ofo_dequeue_waits_for_the_hole),
	KUNIT_CASE(ofo_dequeue_trims_what_was_already_received),
	KUNIT_CASE(ofo_works_across_sequence_wrap),
	KUNIT_CASE(ofo_blocks_stop_at_max),
	{}
};

static struct kunit_suite reassembly_suite = {
	.name = "ktcp_reassembly",
	.test_cases = reassembly_cases,
};

kunit_test_suite(reassembly_suite);
