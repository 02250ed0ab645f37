/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RFC 6937 Proportional Rate Reduction, with the slow-start reduction
 * bound as native's tcp_cwnd_reduction() has it: how many segments an
 * ACK in recovery lets go.  Pure; tests/prr_test.c, recovery.c.
 */
#ifndef _KTCP_PRR_H
#define _KTCP_PRR_H

#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/types.h>

/**
 * ktcp_prr_sndcnt() - segments this ACK lets go in recovery
 * @ssthresh: where the window comes down to
 * @pipe: segments in flight now (RFC 6675)
 * @prior_cwnd: cwnd when recovery began (RFC 6937's RecoverFS)
 * @prr_delivered: segments delivered since, this ACK's included
 * @prr_out: segments sent since
 * @delivered: segments this ACK delivered, at least one
 * @progress: it moved SND.UNA and marked nothing newly lost
 *
 * Above ssthresh, in proportion to what was delivered; at or below
 * it, as slow start would, up to ssthresh.  The fast retransmit itself
 * always goes; never less than nothing.
 */
static inline u32 ktcp_prr_sndcnt(u32 ssthresh, u32 pipe, u32 prior_cwnd,
				  u32 prr_delivered, u32 prr_out,
				  u32 delivered, bool progress)
{
	int delta = (int)ssthresh - (int)pipe;
	int sndcnt;

	if (delta < 0) {
		sndcnt = (int)DIV_ROUND_UP_ULL((u64)ssthresh * prr_delivered,
					       max(prior_cwnd, 1U)) -
			 (int)prr_out;
	} else {
		sndcnt = max_t(int, (int)prr_delivered - (int)prr_out,
			       delivered);
		if (progress)
			sndcnt++;
		sndcnt = min(delta, sndcnt);
	}
	return max(sndcnt, prr_out ? 0 : 1);
}

#endif /* _KTCP_PRR_H */
