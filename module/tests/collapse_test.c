// SPDX-License-Identifier: GPL-2.0
/*
 * Collapsing the receive queue: every unread byte kept once, in order,
 * in fewer skbs; tight skbs left as they are; nothing copied where it
 * would not take fewer skbs.  Each segment's payload is its own
 * sequence numbers (low byte), so a byte copied to the wrong place
 * shows.
 */

#include <kunit/test.h>

#include "collapse.h"
#include "ktcp.h"
#include "segment.h"

/* 256 * payload / truesize the tests say the window counted on. */
#define RATIO	128

/* @len bytes from @seq on, in a head of @room bytes, queued on @q. */
static struct sk_buff *seg(struct kunit *test, struct sk_buff_head *q,
			   u32 seq, u32 len, u32 room)
{
	struct sk_buff *skb = ktcp_test_seg(test, seq, len, room);

	__skb_queue_tail(q, skb);
	return skb;
}

/* The queue holds exactly [from, end), in order, each byte its seq. */
static void expect_bytes(struct kunit *test, struct sk_buff_head *q,
			 u32 from, u32 end)
{
	struct sk_buff *skb;
	u32 seq = from;

	skb_queue_walk(q, skb) {
		u8 *p = skb->data;
		u32 i;

		KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->seq, seq);
		KUNIT_EXPECT_EQ(test, KTCP_SKB_CB(skb)->end_seq, seq + skb->len);
		KUNIT_ASSERT_FALSE(test, skb_is_nonlinear(skb));
		for (i = 0; i < skb->len; i++)
			if (p[i] != (u8)(seq + i)) {
				KUNIT_FAIL(test, "byte %u is %u", seq + i, p[i]);
				return;
			}
		seq += skb->len;
	}
	KUNIT_EXPECT_EQ(test, seq, end);
}

/*
 * Collapsing @q from @from gives memory back and leaves one skb that
 * holds exactly [@from, @end); @q is emptied after.
 */
static void expect_collapsed_into_one(struct kunit *test,
				      struct sk_buff_head *q, u32 from,
				      u32 end)
{
	KUNIT_EXPECT_GT(test, ktcp_collapse_queue(q, from, RATIO, NULL), 0);
	KUNIT_EXPECT_EQ(test, skb_queue_len(q), 1U);
	expect_bytes(test, q, from, end);
	__skb_queue_purge(q);
}

static int queue_truesize(struct sk_buff_head *q)
{
	struct sk_buff *skb;
	int sum = 0;

	skb_queue_walk(q, skb)
		sum += skb->truesize;
	return sum;
}

static void collapse_packs_small_segments_into_pages(struct kunit *test)
{
	struct sk_buff_head q;
	int before, freed, i;

	__skb_queue_head_init(&q);
	for (i = 0; i < 60; i++)
		seg(test, &q, 1000 + 100 * i, 100, 2000);
	before = queue_truesize(&q);
	freed = ktcp_collapse_queue(&q, 1000, RATIO, NULL);
	KUNIT_EXPECT_GT(test, freed, 0);
	KUNIT_EXPECT_EQ(test, queue_truesize(&q), before - freed);
	/* 6000 bytes: two pages. */
	KUNIT_EXPECT_EQ(test, skb_queue_len(&q), 2U);
	expect_bytes(test, &q, 1000, 7000);
	__skb_queue_purge(&q);
}

static void collapse_drops_what_was_read(struct kunit *test)
{
	struct sk_buff_head q;
	int i;

	__skb_queue_head_init(&q);
	for (i = 0; i < 10; i++)
		seg(test, &q, 100 * i, 100, 2000);
	expect_collapsed_into_one(test, &q, 42, 1000);
}

static void collapse_keeps_tight_skbs_in_place(struct kunit *test)
{
	struct sk_buff *tight1, *tight2, *skb;
	struct sk_buff_head q;
	u32 seq = 0;
	int i;

	__skb_queue_head_init(&q);
	tight1 = seg(test, &q, seq, 1500, 1500);
	seq += 1500;
	for (i = 0; i < 5; i++, seq += 10)
		seg(test, &q, seq, 10, 3000);
	tight2 = seg(test, &q, seq, 1500, 1500);
	seq += 1500;
	for (i = 0; i < 5; i++, seq += 10)
		seg(test, &q, seq, 10, 3000);
	KUNIT_EXPECT_GT(test, ktcp_collapse_queue(&q, 0, RATIO, NULL), 0);
	KUNIT_ASSERT_EQ(test, skb_queue_len(&q), 4U);
	skb = skb_peek(&q);
	KUNIT_EXPECT_PTR_EQ(test, skb, tight1);
	KUNIT_EXPECT_PTR_EQ(test, skb->next->next, tight2);
	expect_bytes(test, &q, 0, seq);
	__skb_queue_purge(&q);
}

static void collapse_leaves_a_lone_bloated_skb(struct kunit *test)
{
	struct sk_buff *tight, *lone;
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	tight = seg(test, &q, 0, 1500, 1500);
	/* Copied, it would take a page: more than it takes now. */
	lone = seg(test, &q, 1500, 1448, 2000);
	seg(test, &q, 2948, 1500, 1500);
	KUNIT_EXPECT_EQ(test, ktcp_collapse_queue(&q, 0, RATIO, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, skb_peek(&q), tight);
	KUNIT_EXPECT_PTR_EQ(test, tight->next, lone);
	expect_bytes(test, &q, 0, 4448);
	__skb_queue_purge(&q);
}

/* What collapsing made is not copied again, even at the highest ratio. */
static void collapse_leaves_collapsed_pages(struct kunit *test)
{
	struct sk_buff *first, *second;
	struct sk_buff_head q;
	u32 seq = 0;
	int i;

	__skb_queue_head_init(&q);
	for (i = 0; i < 80; i++, seq += 100)
		seg(test, &q, seq, 100, 2000);
	KUNIT_EXPECT_GT(test, ktcp_collapse_queue(&q, 0, RATIO, NULL), 0);
	first = skb_peek(&q);
	second = first->next;
	for (i = 0; i < 2; i++, seq += 100)
		seg(test, &q, seq, 100, 2000);
	KUNIT_EXPECT_GT(test, ktcp_collapse_queue(&q, 0, 255, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, skb_peek(&q), first);
	KUNIT_EXPECT_PTR_EQ(test, first->next, second);
	expect_bytes(test, &q, 0, seq);
	__skb_queue_purge(&q);
}

/* A large skb with little left unread is copied down to what is left. */
static void collapse_shrinks_a_mostly_read_head(struct kunit *test)
{
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	seg(test, &q, 0, 30000, 30000);
	expect_collapsed_into_one(test, &q, 29000, 30000);
}

/* Copied bytes come from page fragments as well as from the head. */
static void collapse_copies_from_fragments(struct kunit *test)
{
	struct sk_buff_head q;
	u32 seq = 0;
	int i;

	__skb_queue_head_init(&q);
	for (i = 0; i < 10; i++, seq += 200) {
		struct sk_buff *skb = seg(test, &q, seq, 50, 64);
		struct page *page = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, page);
		ktcp_test_fill(page_address(page), seq + 50, 150);
		skb_add_rx_frag(skb, 0, page, 0, 150, PAGE_SIZE);
		KTCP_SKB_CB(skb)->end_seq = seq + 200;
	}
	expect_collapsed_into_one(test, &q, 0, seq);
}

static void collapse_works_across_sequence_wrap(struct kunit *test)
{
	struct sk_buff_head q;
	u32 start = 0xffffff00;
	int i;

	__skb_queue_head_init(&q);
	for (i = 0; i < 20; i++)
		seg(test, &q, start + 50 * i, 50, 2000);
	expect_collapsed_into_one(test, &q, start + 7, start + 1000);
}

static struct kunit_case collapse_cases[] = {
	KUNIT_CASE(collapse_packs_small_segments_into_pages),
	KUNIT_CASE(collapse_drops_what_was_read),
	KUNIT_CASE(collapse_keeps_tight_skbs_in_place),
	KUNIT_CASE(collapse_leaves_a_lone_bloated_skb),
	KUNIT_CASE(collapse_leaves_collapsed_pages),
	KUNIT_CASE(collapse_shrinks_a_mostly_read_head),
	KUNIT_CASE(collapse_copies_from_fragments),
	KUNIT_CASE(collapse_works_across_sequence_wrap),
	{}
};

static struct kunit_suite collapse_suite = {
	.name = "ktcp_collapse",
	.test_cases = collapse_cases,
};

kunit_test_suite(collapse_suite);
