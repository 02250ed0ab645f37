// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-order queue.  Its skbs hold payload only (the header is
 * pulled) and KTCP_SKB_CB() gives their range: seq to end_seq, a FIN
 * counting one.  The queue is sorted by seq and its ranges never
 * overlap, so draining it in order delivers every byte exactly once.
 * The caller holds the socket lock; tests/reassembly_test.c checks it.
 */

#include "ktcp.h"
#include "reassembly.h"
#include "seq.h"

/* Drop the first @n sequence numbers of @skb's payload. */
static bool ktcp_ofo_trim_head(struct sk_buff *skb, u32 n)
{
	if (n && !pskb_pull(skb, n))
		return false;
	KTCP_SKB_CB(skb)->seq += n;
	return true;
}

/* Keep @skb's first @n sequence numbers; what was cut held its FIN. */
static bool ktcp_ofo_trim_tail(struct sk_buff *skb, u32 n)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

	if (n < skb->len && pskb_trim(skb, n))
		return false;
	cb->flags &= ~KTCP_FIN;
	cb->end_seq = cb->seq + n;
	return true;
}

/**
 * ktcp_ofo_insert() - keep a segment that arrived ahead of RCV.NXT
 * @q: the out-of-order queue
 * @skb: the segment, payload only, its range in KTCP_SKB_CB()
 *
 * Bytes the queue already holds are cut from @skb; queued segments that
 * @skb covers entirely are freed.
 *
 * Return: true if @skb was queued; false if it brought nothing new (or
 * could not be trimmed), and the caller frees it.
 */
bool ktcp_ofo_insert(struct sk_buff_head *q, struct sk_buff *skb)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	struct sk_buff *cur, *tmp;

	/* The common case, a stream of losses behind one hole: append. */
	cur = skb_peek_tail(q);
	if (!cur || ktcp_seq_before_eq(KTCP_SKB_CB(cur)->end_seq, cb->seq)) {
		__skb_queue_tail(q, skb);
		return true;
	}
	skb_queue_walk_safe(q, cur, tmp) {
		struct ktcp_skb_cb *c = KTCP_SKB_CB(cur);

		if (ktcp_seq_before_eq(c->end_seq, cb->seq))
			continue;
		if (ktcp_seq_before_eq(c->seq, cb->seq)) {
			if (ktcp_seq_after_eq(c->end_seq, cb->end_seq))
				return false;	/* a duplicate */
			if (!ktcp_ofo_trim_head(skb, c->end_seq - cb->seq))
				return false;
			continue;
		}
		if (ktcp_seq_after_eq(c->seq, cb->end_seq)) {
			__skb_queue_before(q, cur, skb);
			return true;
		}
		if (ktcp_seq_before_eq(c->end_seq, cb->end_seq)) {
			__skb_unlink(cur, q);	/* @skb holds all of it */
			kfree_skb(cur);
			continue;
		}
		if (!ktcp_ofo_trim_tail(skb, c->seq - cb->seq))
			return false;
		__skb_queue_before(q, cur, skb);
		return true;
	}
	__skb_queue_tail(q, skb);
	return true;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_insert, KTCP_KUNIT_NS);

/**
 * ktcp_ofo_dequeue() - the next segment that RCV.NXT has reached
 * @q: the out-of-order queue
 * @rcv_nxt: the next sequence number expected
 *
 * Segments that lie wholly below @rcv_nxt are freed on the way; the
 * one returned starts exactly at @rcv_nxt.
 *
 * Return: the segment, unlinked; or NULL if a hole still comes first.
 */
struct sk_buff *ktcp_ofo_dequeue(struct sk_buff_head *q, u32 rcv_nxt)
{
	struct sk_buff *skb;

	while ((skb = skb_peek(q))) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_seq_after(cb->seq, rcv_nxt))
			return NULL;
		__skb_unlink(skb, q);
		if (ktcp_seq_after(cb->end_seq, rcv_nxt) &&
		    ktcp_ofo_trim_head(skb, rcv_nxt - cb->seq))
			return skb;
		kfree_skb(skb);
	}
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_dequeue, KTCP_KUNIT_NS);

/**
 * ktcp_ofo_blocks() - the contiguous ranges the queue holds
 * @q: the out-of-order queue
 * @start: filled with the first sequence number of each range
 * @end: filled with the sequence number after each range
 * @max: room in @start and @end
 *
 * Return: the number of ranges filled, lowest first; these are the
 * blocks a SACK option (RFC 2018) reports.
 */
int ktcp_ofo_blocks(const struct sk_buff_head *q, u32 *start, u32 *end,
		    int max)
{
	const struct sk_buff *skb;
	int n = 0;

	skb_queue_walk(q, skb) {
		const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (n && end[n - 1] == cb->seq) {
			end[n - 1] = cb->end_seq;
			continue;
		}
		if (n == max)
			break;
		start[n] = cb->seq;
		end[n] = cb->end_seq;
		n++;
	}
	return n;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_blocks, KTCP_KUNIT_NS);
