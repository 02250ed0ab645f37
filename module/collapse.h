/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Received data copied out of bloated skbs into tight ones (native's
 * tcp_collapse()): the room a window promised, made by copying rather
 * than by dropping what the window let in.
 */
#ifndef _KTCP_COLLAPSE_H
#define _KTCP_COLLAPSE_H

#include <linux/skbuff.h>

struct sock;

int ktcp_collapse_queue(struct sk_buff_head *q, u32 from, u32 ratio,
			struct sock *owner);

#endif /* _KTCP_COLLAPSE_H */
