/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The out-of-order queue (RFC 9293 3.10.7.4, seventh check): segments
 * that arrived ahead of RCV.NXT wait here, sorted and trimmed so that no
 * byte is held twice, until the hole before them fills.
 */
#ifndef _KTCP_REASSEMBLY_H
#define _KTCP_REASSEMBLY_H

#include <linux/skbuff.h>

bool ktcp_ofo_insert(struct sk_buff_head *q, struct sk_buff *skb);
struct sk_buff *ktcp_ofo_dequeue(struct sk_buff_head *q, u32 rcv_nxt);
int ktcp_ofo_blocks(const struct sk_buff_head *q, u32 *start, u32 *end,
		    int max);

#endif /* _KTCP_REASSEMBLY_H */
