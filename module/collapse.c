// SPDX-License-Identifier: GPL-2.0
/*
 * Received data copied out of bloated skbs into tight ones.
 *
 * A segment arrives in whatever skb its driver built: 1448 bytes under a
 * 2 KiB or 4 KiB buffer, one byte under the same.  The window we offer
 * counts on the payload-to-truesize ratio arriving skbs have shown
 * (rcv_ratio, window.h); a run of skbs worse than that fills SO_RCVBUF
 * before the sender has used the window it was given, and the receiver
 * would drop data it let in (RcvPruned), leaving the sender to resend
 * on its timer what it was right to send.  Native copies such skbs into
 * tight ones (tcp_collapse()) before it drops anything; so does ktcp.
 */

#include <linux/skbuff.h>
#include <net/sock.h>

#include "collapse.h"
#include "ktcp.h"

/* Where the unread bytes of @skb begin, @from being the first unread. */
static u32 ktcp_unread_offset(const struct sk_buff *skb, u32 from)
{
	u32 seq = KTCP_SKB_CB(skb)->seq;

	return ktcp_seq_before(seq, from) ? min(from - seq, skb->len) : 0;
}

/*
 * Whether @skb holds its unread bytes more loosely than @ratio / 256
 * payload per byte of truesize, and than a full collapsed skb would:
 * a collapsed page is never copied again, whatever the ratio.
 */
static bool ktcp_bloated(const struct sk_buff *skb, u32 from, u32 ratio)
{
	u64 unread = skb->len - ktcp_unread_offset(skb, from);

	ratio = min_t(u32, ratio, KTCP_COLLAPSED_RATIO);
	return (unread << 8) < (u64)skb->truesize * ratio;
}

/* Whether @next continues @skb's bytes with no gap or overlap. */
static bool ktcp_contiguous(const struct sk_buff *skb,
			    const struct sk_buff *next)
{
	return KTCP_SKB_CB(skb)->seq + skb->len == KTCP_SKB_CB(next)->seq;
}

/*
 * The unread bytes of the @n skbs of @q from @first on, copied into
 * @fresh: skbs of a page, the last one sized to what is left.
 */
static bool ktcp_collapse_run(struct sk_buff_head *q, struct sk_buff *first,
			      int n, u32 bytes, u32 from,
			      struct sk_buff_head *fresh)
{
	struct sk_buff *skb = first, *nskb = NULL;

	for (; n--; skb = skb->next) {
		u32 off = ktcp_unread_offset(skb, from);

		while (off < skb->len) {
			u32 len;

			if (!nskb || !skb_tailroom(nskb)) {
				nskb = alloc_skb(min_t(u32, bytes,
						       KTCP_COLLAPSE_MAX),
						 GFP_ATOMIC);
				if (!nskb)
					return false;
				memset(nskb->cb, 0, sizeof(nskb->cb));
				KTCP_SKB_CB(nskb)->seq = KTCP_SKB_CB(skb)->seq + off;
				KTCP_SKB_CB(nskb)->end_seq = KTCP_SKB_CB(nskb)->seq;
				__skb_queue_tail(fresh, nskb);
			}
			len = min_t(u32, skb->len - off, skb_tailroom(nskb));
			if (skb_copy_bits(skb, off, skb_put(nskb, len), len))
				return false;
			off += len;
			bytes -= len;
			KTCP_SKB_CB(nskb)->end_seq += len;
		}
	}
	return true;
}

/**
 * ktcp_collapse_queue() - copy a receive queue's bloated skbs into tight ones
 * @q: the receive queue, in sequence order; KTCP_SKB_CB()->seq is each
 *     skb's first byte
 * @from: the first byte not yet read: what comes before it is not copied
 * @ratio: the payload per 256 bytes of truesize the window counted on;
 *         skbs that hold less are "bloated" (as tcp_collapse() says)
 * @owner: the socket the new skbs are charged to, or NULL (KUnit)
 *
 * Each run of bloated skbs in a row is replaced by page-sized copies if
 * they take less truesize even counted as full pages (a lone 1448-byte
 * segment would only be copied into the same size again), until memory
 * runs out.  A run's copies are made before its skbs are freed: at most
 * SO_RCVBUF more for a moment, in the one socket over its limit.
 *
 * Return: the truesize given back (0 if nothing changed).
 */
int ktcp_collapse_queue(struct sk_buff_head *q, u32 from, u32 ratio,
			struct sock *owner)
{
	struct sk_buff *skb = skb_peek(q), *first, *next, *prev;
	struct sk_buff_head fresh;
	int freed = 0;

	__skb_queue_head_init(&fresh);
	while (skb) {
		u64 bytes = 0, truesize = 0;
		int n = 0;

		if (!ktcp_bloated(skb, from, ratio)) {
			skb = skb_peek_next(skb, q);
			continue;
		}
		first = skb;
		prev = NULL;
		while (skb && ktcp_bloated(skb, from, ratio) &&
		       (!prev || ktcp_contiguous(prev, skb))) {
			bytes += skb->len - ktcp_unread_offset(skb, from);
			truesize += skb->truesize;
			n++;
			prev = skb;
			skb = skb_peek_next(skb, q);
		}
		if (truesize <= DIV_ROUND_UP_ULL(bytes, KTCP_COLLAPSE_MAX) *
				KTCP_COLLAPSE_TRUESIZE)
			continue;
		if (!ktcp_collapse_run(q, first, n, bytes, from, &fresh)) {
			__skb_queue_purge(&fresh);
			break;
		}
		/*
		 * Charged before the bloated skbs are freed: the socket's
		 * forward allocation dips for a moment and ends above
		 * where it was.
		 */
		while ((next = __skb_dequeue(&fresh))) {
			freed -= next->truesize;
			if (owner)
				skb_set_owner_r(next, owner);
			__skb_queue_before(q, first, next);
		}
		while (n--) {
			next = first->next;
			__skb_unlink(first, q);
			freed += first->truesize;
			consume_skb(first);
			first = next;
		}
	}
	return freed;
}
EXPORT_SYMBOL_NS_GPL(ktcp_collapse_queue, KTCP_KUNIT_NS);
