// SPDX-License-Identifier: GPL-2.0
/*
 * The SACK scoreboard lives in the write queue: KTCP_SKB_CB()->sacked
 * marks a segment the peer reported whole in a SACK block.  Blocks are
 * the peer's word, so each is checked against what was sent first.
 */

#include "ktcp.h"
#include "sack.h"
#include "seq.h"

/**
 * ktcp_sack_block_valid() - may a SACK block be believed?
 * @start: first sequence number of the block
 * @end: the sequence number after it
 * @snd_una: the peer's cumulative ACK
 * @snd_max: the highest sequence number sent
 *
 * Return: true if the block is not empty and lies above @snd_una and
 * within what was sent (D-SACK blocks below @snd_una are not used).
 */
bool ktcp_sack_block_valid(u32 start, u32 end, u32 snd_una, u32 snd_max)
{
	return ktcp_seq_before(start, end) && ktcp_seq_after(start, snd_una) &&
	       ktcp_seq_before_eq(end, snd_max);
}
EXPORT_SYMBOL_NS_GPL(ktcp_sack_block_valid, KTCP_KUNIT_NS);

/**
 * ktcp_sack_mark() - mark the segments a SACK block covers
 * @q: the write queue, in sequence order
 * @start: first sequence number of a valid block
 * @end: the sequence number after it
 * @ks: the connection whose RACK state each newly SACKed segment
 *      advances (recovery.c), or NULL (KUnit)
 *
 * Only segments wholly inside the block are marked: a partly covered
 * one still has bytes the peer lacks.
 *
 * Return: the segments marked that were not marked before.
 */
u32 ktcp_sack_mark(struct sk_buff_head *q, u32 start, u32 end,
		   struct ktcp_sock *ks)
{
	struct sk_buff *skb;
	u32 newly = 0;

	skb_queue_walk(q, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_seq_after_eq(cb->seq, end))
			break;
		if (ktcp_seq_after_eq(cb->seq, start) &&
		    ktcp_seq_before_eq(cb->end_seq, end) && !cb->sacked) {
			cb->sacked = 1;
			newly++;
			if (ks)
				ktcp_rack_advance(ks, cb);
		}
	}
	return newly;
}
EXPORT_SYMBOL_NS_GPL(ktcp_sack_mark, KTCP_KUNIT_NS);
