/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SACK scoreboard (RFC 2018, RFC 6675): which queued segments the
 * peer holds beyond its cumulative ACK.  tests/sack_test.c checks it.
 */
#ifndef _KTCP_SACK_H
#define _KTCP_SACK_H

#include <linux/skbuff.h>

struct ktcp_sock;
struct sock;

bool ktcp_sack_block_valid(u32 start, u32 end, u32 snd_una, u32 snd_max);
u32 ktcp_sack_cut(u32 len, u32 lo, u32 hi, u32 mss);
void ktcp_sack_fit(struct sock *sk, u32 start, u32 end);
u32 ktcp_sack_mark(struct sk_buff_head *q, u32 start, u32 end,
		   struct ktcp_sock *ks);

#endif /* _KTCP_SACK_H */
