/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RTT estimator of RFC 6298 2.2-2.4, in jiffies; srtt is kept << 3
 * and rttvar << 2, as Jacobson's integer form has it.  Pure; tested by
 * tests/rtt_test.c.
 */
#ifndef _KTCP_RTT_H
#define _KTCP_RTT_H

#include <linux/bits.h>
#include <linux/minmax.h>
#include <linux/types.h>

/**
 * ktcp_rtt_update() - take one RTT sample, return the new RTO
 * @srtt: smoothed RTT << 3; 0 before the first sample
 * @rttvar: RTT variation << 2
 * @rtt: the sample (0 is taken as 1: a clock tick happened somewhere)
 * @rto_min: floor of the margin the RTO keeps above SRTT
 * @rto_max: ceiling of the result
 */
static inline u32 ktcp_rtt_update(u32 *srtt, u32 *rttvar, u32 rtt,
				  u32 rto_min, u32 rto_max)
{
	rtt = max_t(u32, rtt, 1);
	if (!*srtt) {
		*srtt = rtt << 3;	/* SRTT = R */
		*rttvar = rtt << 1;	/* RTTVAR = R / 2 */
	} else {
		long delta = (long)rtt - (*srtt >> 3);

		/* RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R */
		*rttvar += abs(delta) - (*rttvar >> 2);
		*srtt += delta;
	}
	/*
	 * RTO = SRTT + max(G, 4 * RTTVAR), rttvar << 2 being 4 * RTTVAR,
	 * with rto_min as G, as native's tcp_set_rto() has it: the floor
	 * bounds the margin above SRTT, not the RTO.  An RTO clamped to
	 * rto_min once SRTT neared it fired on every delay a bit above
	 * the average (a busy host, a delayed ACK): a spurious timeout.
	 */
	return min_t(u32, (*srtt >> 3) + max(*rttvar, rto_min), rto_max);
}

/**
 * ktcp_backoff() - @base doubled @shift times, but never above @max
 * @base: the first timeout, jiffies
 * @shift: how many times it was doubled
 * @max: the ceiling (KTCP_RTO_MAX, 120 s as native's TCP_RTO_MAX)
 *
 * Safe for any @shift: a retry count from a sysctl (up to 127) or
 * TCP_DEFER_ACCEPT (up to 255) shifts past the width of a long.
 */
static inline unsigned long ktcp_backoff(unsigned long base,
					 unsigned int shift,
					 unsigned long max)
{
	if (!base || base >= max)
		return min(base, max);
	if (shift >= BITS_PER_LONG || (max >> shift) < base)
		return max;
	return min(base << shift, max);
}

/**
 * ktcp_timeout_left() - what is left of a timeout that began at @stamp
 * @now: the low 32 bits of jiffies now
 * @stamp: the low 32 bits of jiffies when the timeout began
 * @limit: the timeout, in jiffies, below 2^31
 *
 * Stamps are u32 and compared as an (s32) difference, so a stamp taken
 * before a wrap of the low 32 bits and read after it is as old as it
 * is (on 64-bit, jiffies passes 2^32 five minutes after boot); a stamp
 * ahead of @now counts as @now.  Return: the jiffies left, 0 or less
 * once the timeout has passed.
 */
static inline s32 ktcp_timeout_left(u32 now, u32 stamp, u32 limit)
{
	s32 elapsed = (s32)(now - stamp);

	return (s32)limit - max_t(s32, elapsed, 0);
}

#endif /* _KTCP_RTT_H */
