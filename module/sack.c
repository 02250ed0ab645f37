// SPDX-License-Identifier: GPL-2.0
/*
 * The SACK scoreboard lives in the write queue: KTCP_SKB_CB()->sacked
 * marks an skb the peer reported whole in a SACK block, an skb in
 * flight being cut at a block's edges first.  Blocks are the peer's
 * word, so each is checked against what was sent first.
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
 * ktcp_sack_cut() - where a SACK block cuts an skb in flight
 * @len: the skb's payload, sent as @mss-sized segments from its start
 * @lo: where the block begins in it, bytes from its start
 * @hi: where the block ends in it, at most @len
 * @mss: the MSS it went with, at least 1
 *
 * In whole segments, as tcp_match_skb_to_sack(): the peer SACKs what
 * it received, whole segments, so an edge inside one is a peer's lie:
 * the block is taken inward (@lo up, @hi down to a segment's edge), and
 * one that holds no whole segment cuts nothing, so that blocks of a few
 * bytes cannot cut an skb per byte.
 *
 * Return: the bytes to cut off the skb's front, 0 for no cut (the block
 * holds no whole segment of it, or all of it).
 */
u32 ktcp_sack_cut(u32 len, u32 lo, u32 hi, u32 mss)
{
	lo = roundup(lo, mss);
	if (hi < len)
		hi = rounddown(hi, mss);
	if (lo >= hi)
		return 0;
	if (lo)
		return lo;
	return hi < len ? hi : 0;
}
EXPORT_SYMBOL_NS_GPL(ktcp_sack_cut, KTCP_KUNIT_NS);

/**
 * ktcp_sack_fit() - cut the skbs a SACK block covers in part
 * @sk: the connection, locked
 * @start: first sequence number of a valid block
 * @end: the sequence number after it
 *
 * An skb in flight went as several segments, of which a block may hold
 * some: cut it at the block's edges (ktcp_sack_cut()), so that
 * ktcp_sack_mark() marks what the peer has and what it lacks is an skb
 * of its own, to be resent.  At most two cuts a block; an skb that
 * cannot be cut (no memory) stays unmarked, as if the block had not
 * come, and the RTO repairs what that misses.
 */
void ktcp_sack_fit(struct sock *sk, u32 start, u32 end)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
		u32 lo, hi, cut;

		if (ktcp_seq_after_eq(cb->seq, end))
			break;
		if (cb->sacked || !ktcp_seq_after(cb->end_seq, start))
			continue;
		lo = ktcp_seq_after(start, cb->seq) ? start - cb->seq : 0;
		hi = ktcp_seq_before(end, cb->end_seq) ?
		     min(end - cb->seq, skb->len) : skb->len;
		cut = ktcp_sack_cut(skb->len, lo, hi, ktcp_skb_mss(ks, skb));
		if (cut && ktcp_split(sk, skb, cut))
			return;
	}
}

/**
 * ktcp_sack_mark() - mark the skbs a SACK block covers
 * @q: the write queue, in sequence order
 * @start: first sequence number of a valid block
 * @end: the sequence number after it
 * @ks: the connection whose RACK state each newly SACKed skb advances
 *      (recovery.c), or NULL (KUnit)
 *
 * Only skbs wholly inside the block are marked: a partly covered one
 * still has bytes the peer lacks (ktcp_sack_fit() cut it first).
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
			/* Only what went is SACKed: as it went. */
			newly += ktcp_pcount(skb->len, cb->sent_mss);
			if (ks)
				ktcp_rack_advance(ks, cb);
		}
	}
	return newly;
}
EXPORT_SYMBOL_NS_GPL(ktcp_sack_mark, KTCP_KUNIT_NS);
