/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive-window arithmetic (RFC 9293 3.8.6.2.2, RFC 7323 2): what we
 * offer, in units of our window scale.  Pure; tests/window_test.c.
 */
#ifndef _KTCP_WINDOW_H
#define _KTCP_WINDOW_H

#include <linux/align.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/types.h>

#include "seq.h"

#define KTCP_MAX_WSCALE		14	/* RFC 7323 2.3 */

/* The smallest shift that lets a 16-bit window field offer @rcvbuf. */
static inline u8 ktcp_wscale_for(int rcvbuf)
{
	u8 ws = 0;

	while (ws < KTCP_MAX_WSCALE && (65535U << ws) < (u32)rcvbuf)
		ws++;
	return ws;
}

/**
 * ktcp_window_space() - the buffer that holds @payload bytes of segments
 * @payload: bytes of data
 * @ratio: payload bytes per 256 bytes of buffer the skbs take (truesize)
 *
 * The inverse of what ktcp_window_select() offers for a free buffer:
 * ktcp_window_select(ktcp_window_space(p, r), r, ...) offers p (before
 * rounding to the scale).  A limit said in payload, as native's 4 MSS
 * under memory pressure, is a limit on the buffer through this.
 */
static inline u32 ktcp_window_space(u32 payload, u32 ratio)
{
	return min_t(u64, DIV_ROUND_UP_ULL((u64)payload << 8, max(ratio, 1U)),
		     S32_MAX);
}

/**
 * ktcp_window_select() - the receive window to offer now
 * @free: free receive buffer, bytes (may be negative: over the limit)
 * @ratio: payload bytes per 256 bytes of buffer the skbs take (truesize)
 * @rcv_nxt: the next sequence number expected
 * @right: the right edge offered last (its RCV.NXT + RCV.WND)
 * @wscale: our window scale
 *
 * The payload the free buffer holds, at the payload-to-truesize ratio
 * that arriving skbs show (an order-0 page under a 1448-byte segment
 * holds a third of its truesize in data), rounded up to a multiple of
 * 1 << @wscale so the field says it exactly, and never less than keeps
 * @right where it was: a window shrinks only as data fills it.
 */
static inline u32 ktcp_window_select(int free, u32 ratio, u32 rcv_nxt,
				     u32 right, u8 wscale)
{
	u32 unit = 1U << wscale;
	u32 win = free > 0 ? ((u64)free * ratio) >> 8 : 0;

	/*
	 * Up, as __tcp_select_window(): a unit may be larger than all
	 * there is room for (8 KiB at a scale of 13, against 4 segments
	 * under memory pressure), and rounding down would offer nothing.
	 */
	win = ALIGN(min_t(u32, win, 65535U << wscale), unit);
	if (ktcp_seq_after(right, rcv_nxt + win))
		win = ALIGN(right - rcv_nxt, unit);
	return win;
}

#endif /* _KTCP_WINDOW_H */
