// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-order queue: every byte kept once, in order, whatever the
 * overlaps; checked by the ranges and by the bytes themselves.  Each
 * segment's payload is its own sequence numbers (low byte), so a wrong
 * trim shows as a wrong byte.  The SACK blocks it keeps are checked
 * against what it holds.
 */

#include <kunit/test.h>

#include "ktcp.h"
#include "reassembly.h"
#include "segment.h"

/* A segment in a kmalloc()ed head: coalesced only by copy into room. */
static struct sk_buff *seg(struct kunit *test, u32 seq, u32 len, bool fin)
{
	struct sk_buff *skb = ktcp_test_seg(test, seq, len, len);

	KTCP_SKB_CB(skb)->end_seq = seq + len + fin;
	KTCP_SKB_CB(skb)->flags = fin ? KTCP_FIN : 0;
	return skb;
}

/* A segment in a page-fragment head, as drivers build them: coalesces. */
static struct sk_buff *frag_seg(struct kunit *test, u32 seq, u32 len)
{
	struct sk_buff *skb = netdev_alloc_skb(NULL, len);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	ktcp_test_fill(skb_put(skb, len), seq, len);
	KTCP_SKB_CB(skb)->seq = seq;
	KTCP_SKB_CB(skb)->end_seq = seq + len;
	KTCP_SKB_CB(skb)->flags = 0;
	return skb;
}

static enum ktcp_ofo_result insert_any(struct ktcp_ofo *q, struct sk_buff *skb)
{
	enum ktcp_ofo_result r;
	bool stolen;
	int delta;

	r = ktcp_ofo_insert(q, skb, &stolen, &delta);
	if (r == KTCP_OFO_MERGED)
		kfree_skb_partial(skb, stolen);
	else if (r == KTCP_OFO_DUP)
		kfree_skb(skb);
	return r;
}

static void insert(struct kunit *test, struct ktcp_ofo *q,
		   struct sk_buff *skb, bool queued)
{
	KUNIT_EXPECT_EQ(test, insert_any(q, skb) != KTCP_OFO_DUP, queued);
}

static unsigned int ofo_len(struct ktcp_ofo *q)
{
	struct rb_node *node;
	unsigned int n = 0;

	for (node = rb_first(&q->root); node; node = rb_next(node))
		n++;
	return n;
}

/*
 * The queue holds exactly the ranges [start[i], end[i]) as contiguous
 * runs (adjacent skbs count as one run: a segment may be coalesced into
 * the one before it, by copy into its tailroom or by its page), with
 * the right bytes, in order, and ktcp_ofo_unlink_last() would find the
 * highest one.
 */
static void expect_ranges(struct kunit *test, struct ktcp_ofo *q,
			  const u32 *start, const u32 *end, int n)
{
	struct rb_node *node;
	int i = -1;
	u32 run_end = 0;

	for (node = rb_first(&q->root); node; node = rb_next(node)) {
		const struct sk_buff *skb = rb_to_skb(node);
		const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
		u32 k;

		if (i < 0 || cb->seq != run_end) {
			if (i >= 0)
				KUNIT_EXPECT_EQ(test, run_end, end[i]);
			i++;
			KUNIT_ASSERT_LT(test, i, n);
			KUNIT_EXPECT_EQ(test, cb->seq, start[i]);
		}
		run_end = cb->end_seq;
		KUNIT_EXPECT_LE(test, skb->len, cb->end_seq - cb->seq);
		for (k = 0; k < skb->len; k++) {
			u8 b;

			KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, k, &b, 1), 0);
			KUNIT_EXPECT_EQ(test, b, (u8)(cb->seq + k));
		}
		if (!rb_next(node))
			KUNIT_EXPECT_PTR_EQ(test, q->last, skb);
	}
	if (i >= 0)
		KUNIT_EXPECT_EQ(test, run_end, end[i]);
	KUNIT_EXPECT_EQ(test, i + 1, n);
}

static void ofo_sorts_segments_arriving_backwards(struct kunit *test)
{
	static const u32 start[] = { 100, 300, 500 }, end[] = { 200, 400, 600 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 500, 100, false), true);
	insert(test, &q, seg(test, 300, 100, false), true);
	insert(test, &q, seg(test, 100, 100, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	ktcp_ofo_purge(&q);
}

static void ofo_drops_a_duplicate_and_a_covered_segment(struct kunit *test)
{
	static const u32 start[] = { 100 }, end[] = { 300 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 200, false), true);
	insert(test, &q, seg(test, 100, 200, false), false);
	insert(test, &q, seg(test, 150, 50, false), false);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	ktcp_ofo_purge(&q);
}

static void ofo_trims_the_head_of_an_overlapping_segment(struct kunit *test)
{
	static const u32 start[] = { 100 }, end[] = { 250 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 100, false), true);
	insert(test, &q, seg(test, 150, 100, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	ktcp_ofo_purge(&q);
}

static void ofo_trims_the_tail_before_a_later_segment(struct kunit *test)
{
	static const u32 start[] = { 100 }, end[] = { 300 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 200, 100, false), true);
	insert(test, &q, seg(test, 100, 150, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	ktcp_ofo_purge(&q);
}

static void ofo_replaces_segments_a_larger_one_covers(struct kunit *test)
{
	static const u32 start[] = { 50 }, end[] = { 450 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 50, false), true);
	insert(test, &q, seg(test, 200, 50, false), true);
	insert(test, &q, seg(test, 300, 150, false), true);
	/* Covers the first two, overlaps the head of the third. */
	insert(test, &q, seg(test, 50, 350, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	ktcp_ofo_purge(&q);
}

static void ofo_keeps_a_fin_and_counts_it(struct kunit *test)
{
	static const u32 start[] = { 100 }, end[] = { 301 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 200, 100, true), true);
	insert(test, &q, seg(test, 100, 150, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	KUNIT_EXPECT_TRUE(test, KTCP_SKB_CB(q.last)->flags & KTCP_FIN);
	ktcp_ofo_purge(&q);
}

static void ofo_dequeue_waits_for_the_hole(struct kunit *test)
{
	struct ktcp_ofo q;
	struct sk_buff *skb;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 200, 100, false), true);
	KUNIT_EXPECT_NULL(test, ktcp_ofo_dequeue(&q, 150));
	KUNIT_EXPECT_EQ(test, ofo_len(&q), 1U);
	skb = ktcp_ofo_dequeue(&q, 200);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->seq, 200U);
	KUNIT_EXPECT_EQ(test, skb->len, 100U);
	kfree_skb(skb);
	KUNIT_EXPECT_TRUE(test, ktcp_ofo_empty(&q));
}

static void ofo_dequeue_trims_what_was_already_received(struct kunit *test)
{
	struct ktcp_ofo q;
	struct sk_buff *skb;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 50, false), true);
	insert(test, &q, seg(test, 200, 100, false), true);
	/* An in-order segment 100..250 arrived: the first is all old. */
	skb = ktcp_ofo_dequeue(&q, 250);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->seq, 250U);
	KUNIT_EXPECT_EQ(test, skb->len, 50U);
	KUNIT_EXPECT_EQ(test, skb->data[0], (u8)250);
	kfree_skb(skb);
	KUNIT_EXPECT_TRUE(test, ktcp_ofo_empty(&q));
}

static void ofo_works_across_sequence_wrap(struct kunit *test)
{
	struct ktcp_ofo q;
	u32 s[4], e[4];

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 0xffffff80, 0x180, false), true);
	insert(test, &q, seg(test, 0xffffff00, 0x100, false), true);
	/* Adjacent ranges are two skbs; the SACK view merges them. */
	KUNIT_EXPECT_EQ(test, ofo_len(&q), 2U);
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 1);
	KUNIT_EXPECT_EQ(test, s[0], 0xffffff00U);
	KUNIT_EXPECT_EQ(test, e[0], 0x100U);
	ktcp_ofo_purge(&q);
}

static void ofo_blocks_stop_at_max(struct kunit *test)
{
	struct ktcp_ofo q;
	u32 s[2], e[2];
	int i;

	ktcp_ofo_init(&q);
	for (i = 0; i < 4; i++)
		insert(test, &q, seg(test, 100 + 200 * i, 100, false), true);
	/* RFC 2018 4: the newest first, then the ones before it. */
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 2), 2);
	KUNIT_EXPECT_EQ(test, s[0], 700U);
	KUNIT_EXPECT_EQ(test, e[0], 800U);
	KUNIT_EXPECT_EQ(test, s[1], 500U);
	KUNIT_EXPECT_EQ(test, e[1], 600U);
	ktcp_ofo_purge(&q);
}

static void ofo_duplicate_inside_two_segments_is_dropped(struct kunit *test)
{
	static const u32 start[] = { 100 }, end[] = { 300 };
	struct ktcp_ofo q;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 100, false), true);
	insert(test, &q, seg(test, 200, 100, false), true);
	/* Every byte of it is held, across the two. */
	insert(test, &q, seg(test, 150, 100, false), false);
	insert(test, &q, seg(test, 200, 50, false), false);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	ktcp_ofo_purge(&q);
}

static void ofo_fills_holes_between_many_segments(struct kunit *test)
{
	static const u32 start[] = { 0 }, end[] = { 1000 };
	struct ktcp_ofo q;
	int i;

	ktcp_ofo_init(&q);
	for (i = 0; i < 10; i++)
		insert(test, &q, seg(test, i * 100, 50, false), true);
	/* One segment over all the holes and all that is held. */
	insert(test, &q, seg(test, 0, 1000, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	/* The first, then the rest (or all in one, if it had room). */
	KUNIT_EXPECT_LE(test, ofo_len(&q), 2U);
	ktcp_ofo_purge(&q);
}

static void ofo_coalesces_adjacent_page_fragments(struct kunit *test)
{
	static const u32 start[] = { 1000 }, end[] = { 7000 };
	struct ktcp_ofo q;
	int i;

	/* 1500 bytes: smaller heads may come from kmalloc() on 6.12. */
	ktcp_ofo_init(&q);
	KUNIT_EXPECT_EQ(test, insert_any(&q, frag_seg(test, 1000, 1500)),
			KTCP_OFO_QUEUED);
	for (i = 1; i < 4; i++)
		KUNIT_EXPECT_EQ(test,
				insert_any(&q, frag_seg(test, 1000 + 1500 * i,
							1500)),
				KTCP_OFO_MERGED);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	KUNIT_EXPECT_EQ(test, ofo_len(&q), 1U);
	ktcp_ofo_purge(&q);
}

static void ofo_sack_blocks_newest_first_and_merged(struct kunit *test)
{
	struct ktcp_ofo q;
	u32 s[4], e[4];

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 100, false), true);
	insert(test, &q, seg(test, 300, 100, false), true);
	insert(test, &q, seg(test, 500, 100, false), true);
	KUNIT_ASSERT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 3);
	KUNIT_EXPECT_EQ(test, s[0], 500U);
	KUNIT_EXPECT_EQ(test, s[2], 100U);
	/* Filling 200..300 joins the first two into the newest block. */
	insert(test, &q, seg(test, 200, 100, false), true);
	KUNIT_ASSERT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 2);
	KUNIT_EXPECT_EQ(test, s[0], 100U);
	KUNIT_EXPECT_EQ(test, e[0], 400U);
	KUNIT_EXPECT_EQ(test, s[1], 500U);
	KUNIT_EXPECT_EQ(test, e[1], 600U);
	/* Five islands: only four blocks, the oldest one falls off. */
	insert(test, &q, seg(test, 700, 10, false), true);
	insert(test, &q, seg(test, 800, 10, false), true);
	insert(test, &q, seg(test, 900, 10, false), true);
	KUNIT_ASSERT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 4);
	KUNIT_EXPECT_EQ(test, s[0], 900U);
	KUNIT_EXPECT_EQ(test, s[3], 100U);
	/* RCV.NXT reaches 400: the block below it goes. */
	kfree_skb(ktcp_ofo_dequeue(&q, 400));
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 3);
	KUNIT_EXPECT_EQ(test, s[2], 700U);
	ktcp_ofo_purge(&q);
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 0);
}

static void ofo_prune_takes_the_highest_first(struct kunit *test)
{
	struct ktcp_ofo q;
	struct sk_buff *skb;
	u32 s[4], e[4];

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 100, 100, false), true);
	insert(test, &q, seg(test, 300, 100, false), true);
	/* Larger than the room after 300..400: a node of its own. */
	insert(test, &q, seg(test, 400, 1000, false), true);
	KUNIT_ASSERT_EQ(test, ofo_len(&q), 3U);
	skb = ktcp_ofo_unlink_last(&q);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->seq, 400U);
	kfree_skb(skb);
	/* The block 300..1400 now reports 300..400 only. */
	KUNIT_ASSERT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 2);
	KUNIT_EXPECT_EQ(test, s[0], 300U);
	KUNIT_EXPECT_EQ(test, e[0], 400U);
	kfree_skb(ktcp_ofo_unlink_last(&q));
	kfree_skb(ktcp_ofo_unlink_last(&q));
	KUNIT_EXPECT_NULL(test, ktcp_ofo_unlink_last(&q));
	KUNIT_EXPECT_TRUE(test, ktcp_ofo_empty(&q));
	KUNIT_EXPECT_EQ(test, ktcp_ofo_blocks(&q, s, e, 4), 0);
}

static void ofo_wraps_with_overlaps_at_the_wrap(struct kunit *test)
{
	static const u32 start[] = { 0xfffffff0 }, end[] = { 0x20 };
	struct ktcp_ofo q;
	struct sk_buff *skb;

	ktcp_ofo_init(&q);
	insert(test, &q, seg(test, 0x10, 0x10, false), true);
	insert(test, &q, seg(test, 0xfffffff0, 0x18, false), true);
	insert(test, &q, seg(test, 0xfffffff8, 0x18, false), true);
	expect_ranges(test, &q, start, end, ARRAY_SIZE(start));
	skb = ktcp_ofo_dequeue(&q, 0xfffffff0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, skb->data[0], (u8)0xf0);
	kfree_skb(skb);
	ktcp_ofo_purge(&q);
}

/*
 * SegmentSmack (CVE-2018-5390): 10,000 one-byte segments, every other
 * sequence number, in an order that defeats the append fast path.  The
 * tree stays sorted and complete; a hole filled at the start drains it.
 */
static void ofo_takes_10k_small_segments(struct kunit *test)
{
	const u32 n = 10000, base = 0xffff0000;
	struct ktcp_ofo q;
	struct sk_buff *skb;
	u32 i, got = 0, nxt;

	ktcp_ofo_init(&q);
	for (i = 0; i < n; i++) {
		/* Even slots from the top down, then odd ones upwards. */
		u32 k = i < n / 2 ? n - 2 - 2 * i : 2 * (i - n / 2) + 1;

		insert(test, &q, seg(test, base + 2 + 2 * k, 1, false), true);
		/*
		 * Seconds of work under KASAN and emulation: without a
		 * chance to schedule, a starved vCPU reads as a soft lockup.
		 */
		if (!(i % 256))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, ofo_len(&q), n);
	KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(q.last)->seq, base + 2 + 2 * (n - 1));
	/*
	 * Fill the holes with segments that each cover 256 of those queued
	 * (one covering them all freed 10,000 skbs in one call: half a
	 * minute without a chance to schedule under KASAN and emulation,
	 * a soft lockup), then drain.
	 */
	for (i = 0; i < n; i += 256) {
		insert(test, &q, seg(test, base + 2 + 2 * i,
				     2 * min_t(u32, 256, n - i), false), true);
		cond_resched();
	}
	/* Each keeps the one queued at its start, and is trimmed. */
	KUNIT_EXPECT_LE(test, ofo_len(&q), 2 * DIV_ROUND_UP(n, 256));
	nxt = base + 2;
	while ((skb = ktcp_ofo_dequeue(&q, nxt))) {
		nxt += skb->len;
		got += skb->len;
		kfree_skb(skb);
		cond_resched();
	}
	KUNIT_EXPECT_EQ(test, got, 2 * n);
	KUNIT_EXPECT_TRUE(test, ktcp_ofo_empty(&q));
	ktcp_ofo_purge(&q);
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
	KUNIT_CASE(ofo_duplicate_inside_two_segments_is_dropped),
	KUNIT_CASE(ofo_fills_holes_between_many_segments),
	KUNIT_CASE(ofo_coalesces_adjacent_page_fragments),
	KUNIT_CASE(ofo_sack_blocks_newest_first_and_merged),
	KUNIT_CASE(ofo_prune_takes_the_highest_first),
	KUNIT_CASE(ofo_wraps_with_overlaps_at_the_wrap),
	KUNIT_CASE(ofo_takes_10k_small_segments),
	{}
};

static struct kunit_suite reassembly_suite = {
	.name = "ktcp_reassembly",
	.test_cases = reassembly_cases,
};

kunit_test_suite(reassembly_suite);
