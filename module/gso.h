/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The size of a GSO packet: how many MSS-sized segments one
 * transmission may carry.  Pure; tests/gso_test.c.
 */
#ifndef _KTCP_GSO_H
#define _KTCP_GSO_H

#include <linux/ipv6.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/time64.h>
#include <linux/types.h>

/* The payload of one GSO packet: its IP datagram within 64 KB. */
#define KTCP_GSO_MAX_BYTES	(U16_MAX - 60 - sizeof(struct ipv6hdr))

/**
 * ktcp_gso_segs() - the segments one GSO packet may carry
 * @mss: the send MSS, at least 1
 * @cwnd: the congestion window, segments
 * @ssthresh: the slow start threshold, segments
 * @srtt_us: the smoothed RTT; 0 before the first sample
 * @min_rtt_us: the smallest RTT seen; ~0U before the first sample
 * @min_segs: net.ktcp.min_tso_segs, at least 1
 *
 * As tcp_tso_autosize() sizes a TSO skb: what native's pacing rate
 * sends in about a millisecond (sk_pacing_shift 10), that rate being
 * twice cwnd per SRTT below half of ssthresh and 1.2 times above
 * (tcp_update_pacing_rate()); plus up to all 64 KB on a path whose
 * minimum RTT is below half a millisecond, half as much for each
 * doubling of it (tcp_tso_rtt_log 9); at least @min_segs (native's
 * tcp_min_tso_segs, 2).  Never more than fits in 64 KB: a peer's MSS
 * near 64 KB gives one segment, a GSO packet of none.
 *
 * Return: 1 to KTCP_GSO_MAX_BYTES / @mss.
 */
static inline u32 ktcp_gso_segs(u32 mss, u32 cwnd, u32 ssthresh,
				u32 srtt_us, u32 min_rtt_us, u32 min_segs)
{
	u32 fit = max_t(u32, KTCP_GSO_MAX_BYTES / mss, 1);
	u32 rtt_log = min_rtt_us >> 9;
	/* Any cwnd beyond 64 K segments is beyond 64 KB a millisecond. */
	u64 bytes = (u64)mss * min_t(u32, cwnd, U16_MAX) * (USEC_PER_SEC / 10) *
		    (cwnd < ssthresh / 2 ? 20 : 12);

	if (srtt_us)
		bytes = div_u64(bytes, srtt_us);
	bytes >>= 10;
	if (rtt_log < 32)
		bytes += KTCP_GSO_MAX_BYTES >> rtt_log;
	bytes = min_t(u64, bytes, KTCP_GSO_MAX_BYTES);
	return clamp_t(u32, div_u64(bytes, mss), min(min_segs, fit), fit);
}

#endif /* _KTCP_GSO_H */
