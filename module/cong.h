/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Congestion control: how the window grows in congestion avoidance and
 * how far a loss takes it down.  Slow start, recovery and the RTO are
 * the same for all (input.c, recovery.c, timer.c).  CUBIC (RFC 9438)
 * is the default, as native's; NewReno (RFC 5681) on TCP_CONGESTION
 * "reno".
 */
#ifndef _KTCP_CONG_H
#define _KTCP_CONG_H

#include <linux/types.h>

struct ktcp_sock;

#define KTCP_CA_NAME_MAX	16	/* TCP_CA_NAME_MAX */

/* CUBIC's state, in segments and jiffies, as native's struct bictcp. */
struct ktcp_cubic {
	u32	cnt;		/* ACKs per cwnd increment */
	u32	last_max_cwnd;	/* W_max: the window before the last loss */
	u32	last_cwnd;	/* cwnd when cnt was computed */
	u32	last_time;	/* jiffies32 then */
	u32	origin_point;	/* the plateau the curve grows back to */
	u32	k;		/* time to reach it, 2^-10 s */
	u32	epoch_start;	/* jiffies32 the curve began; 0: none */
	u32	ack_cnt;	/* segments acked, for the Reno estimate */
	u32	tcp_cwnd;	/* what NewReno would have by now */
};

struct ktcp_cong_ops {
	const char	*name;
	/* The window past slow start grows by @acked segments' worth. */
	void		(*cong_avoid)(struct ktcp_sock *ks, u32 acked);
	/*
	 * The new ssthresh after a loss, @flight segments out of cwnd
	 * (NewReno halves @flight, RFC 5681; CUBIC takes cwnd, as native).
	 */
	u32		(*ssthresh)(struct ktcp_sock *ks, u32 flight);
	/* A retransmission timeout: start over (may be NULL). */
	void		(*loss)(struct ktcp_sock *ks);
	/* Sending resumes after @idle jiffies with nothing in flight. */
	void		(*tx_start)(struct ktcp_sock *ks, u32 idle);
};

extern const struct ktcp_cong_ops ktcp_reno;
extern const struct ktcp_cong_ops ktcp_cubic;

const struct ktcp_cong_ops *ktcp_cong_find(const char *name);
void ktcp_cong_set(struct ktcp_sock *ks, const struct ktcp_cong_ops *ops);
void ktcp_cong_reset(struct ktcp_sock *ks);
void ktcp_cong_avoid_ai(struct ktcp_sock *ks, u32 w, u32 acked);
u32 ktcp_cubic_root(u64 a);

#endif /* _KTCP_CONG_H */
