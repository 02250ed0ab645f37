/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The out-of-order queue (RFC 9293 3.10.7.4, seventh check): segments
 * that arrived ahead of RCV.NXT wait here, sorted and trimmed so that no
 * byte is held twice, until the hole before them fills.
 */
#ifndef _KTCP_REASSEMBLY_H
#define _KTCP_REASSEMBLY_H

#include <linux/rbtree.h>
#include <linux/skbuff.h>

#define KTCP_OFO_SACKS	4	/* blocks kept: all a SACK option holds */

/*
 * An rb-tree keyed by sequence number, so that a peer sending many
 * small segments in any order costs O(log n) per segment, not a walk
 * of the queue (SegmentSmack, CVE-2018-5390).  The SACK blocks we send
 * are kept up to date on every insert, so building an ACK never walks
 * the queue either.  Protected by the socket lock.
 */
struct ktcp_ofo {
	struct rb_root	root;
	struct sk_buff	*last;		/* highest segment: appends go after it */
	u8		nr_blocks;
	/* RFC 2018 4: the block of the newest segment first. */
	u32		blk_start[KTCP_OFO_SACKS];
	u32		blk_end[KTCP_OFO_SACKS];
};

enum ktcp_ofo_result {
	KTCP_OFO_DUP,		/* nothing new: the caller frees the skb */
	KTCP_OFO_QUEUED,	/* the skb is in the tree now */
	KTCP_OFO_MERGED,	/* its bytes were added to the segment before it;
				 * the caller frees it with kfree_skb_partial()
				 */
};

static inline void ktcp_ofo_init(struct ktcp_ofo *q)
{
	q->root = RB_ROOT;
	q->last = NULL;
	q->nr_blocks = 0;
}

static inline bool ktcp_ofo_empty(const struct ktcp_ofo *q)
{
	return RB_EMPTY_ROOT(&q->root);
}

enum ktcp_ofo_result ktcp_ofo_insert(struct ktcp_ofo *q, struct sk_buff *skb,
				     bool *stolen, int *delta);
struct sk_buff *ktcp_ofo_dequeue(struct ktcp_ofo *q, u32 rcv_nxt);
struct sk_buff *ktcp_ofo_unlink_last(struct ktcp_ofo *q);
void ktcp_ofo_purge(struct ktcp_ofo *q);
int ktcp_ofo_blocks(const struct ktcp_ofo *q, u32 *start, u32 *end, int max);

#endif /* _KTCP_REASSEMBLY_H */
