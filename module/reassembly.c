// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-order queue.  Its skbs hold payload only (the header is
 * pulled) and KTCP_SKB_CB() gives their range: seq to end_seq, a FIN
 * counting one.  The tree is sorted by seq and its ranges never
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

static void ktcp_ofo_sack_del(struct ktcp_ofo *q, int i)
{
	for (q->nr_blocks--; i < q->nr_blocks; i++) {
		q->blk_start[i] = q->blk_start[i + 1];
		q->blk_end[i] = q->blk_end[i + 1];
	}
}

/*
 * [@seq, @end) is held now: it becomes the first block, merged with
 * every block it touches (native's tcp_sack_new_ofo_skb()); the oldest
 * block falls off when all are taken.
 */
static void ktcp_ofo_sack_add(struct ktcp_ofo *q, u32 seq, u32 end)
{
	int i = 0;

	while (i < q->nr_blocks) {
		if (ktcp_seq_after(q->blk_start[i], end) ||
		    ktcp_seq_after(seq, q->blk_end[i])) {
			i++;
			continue;
		}
		if (ktcp_seq_before(q->blk_start[i], seq))
			seq = q->blk_start[i];
		if (ktcp_seq_after(q->blk_end[i], end))
			end = q->blk_end[i];
		ktcp_ofo_sack_del(q, i);
		i = 0;	/* grown: it may touch one passed over */
	}
	if (q->nr_blocks == KTCP_OFO_SACKS)
		q->nr_blocks--;
	for (i = q->nr_blocks; i > 0; i--) {
		q->blk_start[i] = q->blk_start[i - 1];
		q->blk_end[i] = q->blk_end[i - 1];
	}
	q->blk_start[0] = seq;
	q->blk_end[0] = end;
	q->nr_blocks++;
}

/* Only what lies in [@lo, @hi) is still held out of order. */
static void ktcp_ofo_sack_clip(struct ktcp_ofo *q, u32 lo, u32 hi)
{
	int i = 0;

	while (i < q->nr_blocks) {
		if (ktcp_seq_before_eq(q->blk_end[i], lo) ||
		    ktcp_seq_after_eq(q->blk_start[i], hi)) {
			ktcp_ofo_sack_del(q, i);
			continue;
		}
		if (ktcp_seq_before(q->blk_start[i], lo))
			q->blk_start[i] = lo;
		if (ktcp_seq_after(q->blk_end[i], hi))
			q->blk_end[i] = hi;
		i++;
	}
}

/* The segment with the highest seq not above @seq, or NULL. */
static struct sk_buff *ktcp_ofo_floor(struct ktcp_ofo *q, u32 seq)
{
	struct rb_node *node = q->root.rb_node;
	struct sk_buff *floor = NULL;

	if (q->last && ktcp_seq_after_eq(seq, KTCP_SKB_CB(q->last)->seq))
		return q->last;		/* the common case, an append */
	while (node) {
		struct sk_buff *skb = rb_to_skb(node);

		if (ktcp_seq_before(seq, KTCP_SKB_CB(skb)->seq)) {
			node = node->rb_left;
		} else {
			floor = skb;
			node = node->rb_right;
		}
	}
	return floor;
}

static void ktcp_ofo_link(struct ktcp_ofo *q, struct sk_buff *skb)
{
	struct rb_node **p = &q->root.rb_node, *parent = NULL;
	u32 seq = KTCP_SKB_CB(skb)->seq;

	while (*p) {
		parent = *p;
		if (ktcp_seq_before(seq, KTCP_SKB_CB(rb_to_skb(parent))->seq))
			p = &parent->rb_left;
		else
			p = &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &q->root);
}

/**
 * ktcp_ofo_insert() - keep a segment that arrived ahead of RCV.NXT
 * @q: the out-of-order queue
 * @skb: the segment, payload only, its range in KTCP_SKB_CB()
 * @stolen: for KTCP_OFO_MERGED: pass to kfree_skb_partial()
 * @delta: for KTCP_OFO_MERGED: truesize the segment before it grew by
 *
 * Bytes the queue already holds are cut from @skb; queued segments that
 * @skb covers entirely are freed.  What remains is added to the segment
 * that ends where it starts if skb_try_coalesce() can, so a run of
 * small adjacent segments costs few nodes; else it gets its own node.
 * O(log n) in the number of segments queued.
 *
 * Return: what became of @skb.
 */
enum ktcp_ofo_result ktcp_ofo_insert(struct ktcp_ofo *q, struct sk_buff *skb,
				     bool *stolen, int *delta)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 seq = cb->seq, end = cb->end_seq;
	struct sk_buff *prev, *first, *next;

	prev = ktcp_ofo_floor(q, cb->seq);
	if (prev && ktcp_seq_after(KTCP_SKB_CB(prev)->end_seq, cb->seq)) {
		if (ktcp_seq_after_eq(KTCP_SKB_CB(prev)->end_seq, cb->end_seq))
			return KTCP_OFO_DUP;
		if (!ktcp_ofo_trim_head(skb,
					KTCP_SKB_CB(prev)->end_seq - cb->seq))
			return KTCP_OFO_DUP;
	}
	/* Trim before freeing anything, so a failure changes nothing. */
	first = prev ? skb_rb_next(prev) : skb_rb_first(&q->root);
	for (next = first; next; next = skb_rb_next(next)) {
		if (ktcp_seq_after_eq(KTCP_SKB_CB(next)->seq, cb->end_seq))
			break;
		if (ktcp_seq_after(KTCP_SKB_CB(next)->end_seq, cb->end_seq)) {
			u32 keep = KTCP_SKB_CB(next)->seq - cb->seq;

			if (!keep || !ktcp_ofo_trim_tail(skb, keep))
				return KTCP_OFO_DUP;
			break;
		}
	}
	/* What lies between @first and @next, @skb holds all of. */
	while (first != next) {
		struct sk_buff *covered = first;

		first = skb_rb_next(first);
		rb_erase(&covered->rbnode, &q->root);
		if (q->last == covered)
			q->last = NULL;
		kfree_skb(covered);
	}
	ktcp_ofo_sack_add(q, seq, end);

	if (prev && KTCP_SKB_CB(prev)->end_seq == cb->seq &&
	    !(KTCP_SKB_CB(prev)->flags & KTCP_FIN) &&
	    skb_try_coalesce(prev, skb, stolen, delta)) {
		KTCP_SKB_CB(prev)->end_seq = cb->end_seq;
		KTCP_SKB_CB(prev)->flags |= cb->flags & KTCP_FIN;
		if (!q->last)
			q->last = skb_rb_last(&q->root);
		return KTCP_OFO_MERGED;
	}
	ktcp_ofo_link(q, skb);
	if (!q->last || ktcp_seq_after(cb->seq, KTCP_SKB_CB(q->last)->seq))
		q->last = skb;
	return KTCP_OFO_QUEUED;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_insert, KTCP_KUNIT_NS);

static void ktcp_ofo_erase(struct ktcp_ofo *q, struct sk_buff *skb)
{
	rb_erase(&skb->rbnode, &q->root);
	if (q->last == skb)
		q->last = skb_rb_last(&q->root);
}

/**
 * ktcp_ofo_dequeue() - the next segment that RCV.NXT has reached
 * @q: the out-of-order queue
 * @rcv_nxt: the next sequence number expected
 *
 * Segments that lie wholly below @rcv_nxt are freed on the way; the
 * one returned starts exactly at @rcv_nxt.  SACK blocks below
 * @rcv_nxt go.
 *
 * Return: the segment, unlinked; or NULL if a hole still comes first.
 */
struct sk_buff *ktcp_ofo_dequeue(struct ktcp_ofo *q, u32 rcv_nxt)
{
	struct sk_buff *skb;

	ktcp_ofo_sack_clip(q, rcv_nxt, q->last ?
			   KTCP_SKB_CB(q->last)->end_seq : rcv_nxt);
	while ((skb = skb_rb_first(&q->root))) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_seq_after(cb->seq, rcv_nxt))
			return NULL;
		ktcp_ofo_erase(q, skb);
		if (ktcp_seq_after(cb->end_seq, rcv_nxt) &&
		    ktcp_ofo_trim_head(skb, rcv_nxt - cb->seq))
			return skb;
		kfree_skb(skb);
	}
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_dequeue, KTCP_KUNIT_NS);

/**
 * ktcp_ofo_unlink_last() - give up the highest segment (memory pressure)
 * @q: the out-of-order queue
 *
 * The data furthest ahead is the last the reader will need, so it is
 * the first to go (native's tcp_prune_ofo_queue()); the SACK blocks
 * stop reporting it.
 *
 * Return: the segment, unlinked, for the caller to free; or NULL.
 */
struct sk_buff *ktcp_ofo_unlink_last(struct ktcp_ofo *q)
{
	struct sk_buff *skb = q->last;

	if (!skb)
		return NULL;
	ktcp_ofo_erase(q, skb);
	if (q->last)
		ktcp_ofo_sack_clip(q, KTCP_SKB_CB(skb_rb_first(&q->root))->seq,
				   KTCP_SKB_CB(q->last)->end_seq);
	else
		q->nr_blocks = 0;
	return skb;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_unlink_last, KTCP_KUNIT_NS);

/**
 * ktcp_ofo_purge() - free every segment of the queue
 * @q: the out-of-order queue
 */
void ktcp_ofo_purge(struct ktcp_ofo *q)
{
	struct sk_buff *skb;

	/* skb_rbtree_purge() is not exported to modules. */
	while ((skb = skb_rb_first(&q->root))) {
		rb_erase(&skb->rbnode, &q->root);
		kfree_skb(skb);
	}
	q->last = NULL;
	q->nr_blocks = 0;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_purge, KTCP_KUNIT_NS);

/**
 * ktcp_ofo_blocks() - the SACK blocks to send (RFC 2018)
 * @q: the out-of-order queue
 * @start: filled with the first sequence number of each block
 * @end: filled with the sequence number after each block
 * @max: room in @start and @end
 *
 * Kept up to date by insert, dequeue and pruning: O(1), the queue is
 * not walked.
 *
 * Return: the number of blocks filled, the newest data's first.
 */
int ktcp_ofo_blocks(const struct ktcp_ofo *q, u32 *start, u32 *end, int max)
{
	int i, n = min_t(int, q->nr_blocks, max);

	for (i = 0; i < n; i++) {
		start[i] = q->blk_start[i];
		end[i] = q->blk_end[i];
	}
	return n;
}
EXPORT_SYMBOL_NS_GPL(ktcp_ofo_blocks, KTCP_KUNIT_NS);
