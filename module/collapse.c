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

/* A collapsed skb: linear, at most a page (native's SKB_MAX_ORDER(0, 0)). */
#define KTCP_COLLAPSE_MAX	SKB_MAX_ORDER(0, 0)

/* Whether @skb holds less payload per byte of truesize than @ratio / 256. */
static bool ktcp_bloated(const struct sk_buff *skb, u32 ratio)
{
	return ((u64)skb->len << 8) < (u64)skb->truesize * ratio;
}

/* Where the unread bytes of @skb begin, @from being the first unread. */
static u32 ktcp_unread_offset(const struct sk_buff *skb, u32 from)
{
	u32 seq = KTCP_SKB_CB(skb)->seq;

	return ktcp_seq_before(seq, from) ? min(from - seq, skb->len) : 0;
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
			if (WARN_ON_ONCE(skb_copy_bits(skb, off,
						       skb_put(nskb, len), len)))
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
 * that takes fewer skbs (a lone 1448-byte segment would only be copied
 * into the same size again), until memory runs out.
 *
 * Return: the truesize given back (0 if nothing changed).
 */
int ktcp_collapse_queue(struct sk_buff_head *q, u32 from, u32 ratio,
			struct sock *owner)
{
	struct sk_buff *skb = skb_peek(q), *first, *next;
	struct sk_buff_head fresh;
	int freed = 0;

	__skb_queue_head_init(&fresh);
	while (skb) {
		u32 bytes = 0;
		int n = 0;

		if (!ktcp_bloated(skb, ratio)) {
			skb = skb_peek_next(skb, q);
			continue;
		}
		first = skb;
		for (; skb && ktcp_bloated(skb, ratio); skb = skb_peek_next(skb, q)) {
			bytes += skb->len - ktcp_unread_offset(skb, from);
			n++;
		}
		if (DIV_ROUND_UP(bytes, KTCP_COLLAPSE_MAX) >= n)
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
			kfree_skb(first);
			first = next;
		}
	}
	return freed;
}
EXPORT_SYMBOL_NS_GPL(ktcp_collapse_queue, KTCP_KUNIT_NS);
