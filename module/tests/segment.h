/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Segments for the queue tests: each payload byte is the low byte of
 * its own sequence number, so a byte trimmed or copied to the wrong
 * place shows.
 */
#ifndef _KTCP_TEST_SEGMENT_H
#define _KTCP_TEST_SEGMENT_H

#include <kunit/test.h>
#include <linux/skbuff.h>

#include "ktcp.h"

/* @len payload bytes at @p, for sequence numbers from @seq on. */
static inline void ktcp_test_fill(u8 *p, u32 seq, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seq + i);
}

/* [@seq, @seq + @len) in a kmalloc()ed head of @room bytes. */
static inline struct sk_buff *ktcp_test_seg(struct kunit *test, u32 seq,
					    u32 len, u32 room)
{
	struct sk_buff *skb = alloc_skb(room, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	ktcp_test_fill(skb_put(skb, len), seq, len);
	memset(skb->cb, 0, sizeof(skb->cb));
	KTCP_SKB_CB(skb)->seq = seq;
	KTCP_SKB_CB(skb)->end_seq = seq + len;
	return skb;
}

#endif /* _KTCP_TEST_SEGMENT_H */
