/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP sequence-number arithmetic (RFC 9293, 3.4): comparisons are
 * modulo 2^32, valid while the two numbers are less than 2^31 apart.
 * Pure functions, tested by tests/seq_test.c.
 */
#ifndef _KTCP_SEQ_H
#define _KTCP_SEQ_H

#include <linux/types.h>

static inline bool ktcp_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool ktcp_seq_after(u32 a, u32 b)
{
	return ktcp_seq_before(b, a);
}

static inline bool ktcp_seq_before_eq(u32 a, u32 b)
{
	return (s32)(a - b) <= 0;
}

static inline bool ktcp_seq_after_eq(u32 a, u32 b)
{
	return ktcp_seq_before_eq(b, a);
}

/* start <= seq < end, the test for "inside a window" of RFC 9293. */
static inline bool ktcp_seq_in_window(u32 seq, u32 start, u32 end)
{
	return seq - start < end - start;
}

/*
 * RFC 9293 3.10.7.4, first check: is a segment of @len sequence numbers
 * (SYN and FIN count) starting at @seq acceptable in the receive window
 * [@rcv_nxt, @rcv_nxt + @wnd)?
 */
static inline bool ktcp_seq_acceptable(u32 seq, u32 len, u32 rcv_nxt, u32 wnd)
{
	if (!len)
		return wnd ? ktcp_seq_in_window(seq, rcv_nxt, rcv_nxt + wnd) :
			     seq == rcv_nxt;
	if (!wnd)
		return false;
	return ktcp_seq_in_window(seq, rcv_nxt, rcv_nxt + wnd) ||
	       ktcp_seq_in_window(seq + len - 1, rcv_nxt, rcv_nxt + wnd);
}

enum ktcp_rst_action {
	KTCP_RST_DROP,		/* outside the window: ignore */
	KTCP_RST_CHALLENGE,	/* in the window, not exact: challenge ACK */
	KTCP_RST_ACCEPT,	/* exactly RCV.NXT: reset the connection */
};

/* RFC 5961 3.2: what a RST with sequence number @seq does. */
static inline enum ktcp_rst_action ktcp_rst_check(u32 seq, u32 rcv_nxt,
						  u32 wnd)
{
	if (seq == rcv_nxt)
		return KTCP_RST_ACCEPT;
	if (ktcp_seq_in_window(seq, rcv_nxt, rcv_nxt + (wnd ?: 1)))
		return KTCP_RST_CHALLENGE;
	return KTCP_RST_DROP;
}

/* RFC 7323 5.3: how far a TSval may lag TS.Recent, native's TCP_PAWS_WINDOW. */
#define KTCP_PAWS_WINDOW	1
/* RFC 7323 5.5: after 24 days idle TS.Recent says nothing (seconds). */
#define KTCP_PAWS_24DAYS	(60 * 60 * 24 * 24)

/**
 * ktcp_paws_ok() - does a TSval pass PAWS (RFC 7323 5.3, 5.5)?
 * @tsval: the segment's TSval
 * @ts_recent: TS.Recent
 * @ts_recent_stamp: when TS.Recent was taken, in seconds
 * @now: the time now, in seconds, on the clock of @ts_recent_stamp
 * @win: how many ticks @tsval may lag @ts_recent
 *
 * Timestamps compare modulo 2^32, as sequence numbers.  A TS.Recent
 * older than 24 days is stale: the peer's clock may have run half its
 * range past it since, so any TSval passes, as in native.
 */
static inline bool ktcp_paws_ok(u32 tsval, u32 ts_recent, u32 ts_recent_stamp,
				u32 now, u32 win)
{
	if ((s32)(ts_recent - tsval) <= (s32)win)
		return true;
	return (s32)(now - ts_recent_stamp) >= KTCP_PAWS_24DAYS;
}

#endif /* _KTCP_SEQ_H */
