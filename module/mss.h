/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The send MSS: the payload of a full segment, from the peer's MSS
 * option, ours, a floor and the timestamp option.  Pure;
 * tests/mss_test.c.
 */
#ifndef _KTCP_MSS_H
#define _KTCP_MSS_H

#include <linux/minmax.h>
#include <linux/types.h>

#define KTCP_DEFAULT_MSS	536	/* RFC 9293 3.7.1: no MSS option */
#define KTCP_MIN_SND_MSS	48	/* native's TCP_MIN_SND_MSS */
#define KTCP_TSTAMP_OPTLEN	12	/* two NOPs and the option */

/**
 * ktcp_snd_mss() - the payload of a full segment we send
 * @peer_mss: the MSS option of the peer's SYN; 0 if absent (a zero
 *	option reads as absent, as in native)
 * @advmss: the MSS we announced
 * @min_snd_mss: net.ktcp.min_snd_mss; never below KTCP_MIN_SND_MSS
 * @tstamp: every segment carries the timestamp option
 *
 * The smaller MSS of the two sides, raised to the floor before the
 * timestamp option is taken off (RFC 7323 2.1 leaves options out of the
 * MSS; native's __tcp_mtu_to_mss()): a peer that announces 0 to 12
 * bytes cannot make it zero, nor wrap it.  The floor beats @advmss as
 * in native: it is the administrator's word.
 *
 * Return: at least KTCP_MIN_SND_MSS - KTCP_TSTAMP_OPTLEN (36).
 */
static inline u16 ktcp_snd_mss(u16 peer_mss, u16 advmss, int min_snd_mss,
			       bool tstamp)
{
	u32 floor = clamp_t(int, min_snd_mss, KTCP_MIN_SND_MSS, 65535);
	u32 mss = min_t(u32, peer_mss ?: KTCP_DEFAULT_MSS, advmss);

	mss = max(mss, floor);
	if (tstamp)
		mss -= KTCP_TSTAMP_OPTLEN;
	return mss;
}

#endif /* _KTCP_MSS_H */
