/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Received data copied out of bloated skbs into tight ones (native's
 * tcp_collapse()): the room a window promised, made by copying rather
 * than by dropping what the window let in.
 */
#ifndef _KTCP_COLLAPSE_H
#define _KTCP_COLLAPSE_H

#include <linux/skbuff.h>

/* A collapsed skb: linear, at most a page (native's SKB_MAX_ORDER(0, 0)). */
#define KTCP_COLLAPSE_MAX	SKB_MAX_ORDER(0, 0)
/* Its truesize, at most (kmalloc rounds up). */
#define KTCP_COLLAPSE_TRUESIZE	SKB_TRUESIZE(PAGE_SIZE)
/*
 * The payload per 256 bytes of truesize a full collapsed skb holds: the
 * most a window may count on.  Data it let in that arrives in looser
 * skbs is collapsed to this, and so always fits (input.c).
 */
#define KTCP_COLLAPSED_RATIO \
	((KTCP_COLLAPSE_MAX << 8) / KTCP_COLLAPSE_TRUESIZE)

struct sock;

int ktcp_collapse_queue(struct sk_buff_head *q, u32 from, u32 ratio,
			struct sock *owner);

#endif /* _KTCP_COLLAPSE_H */
