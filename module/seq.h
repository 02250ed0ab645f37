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

#endif /* _KTCP_SEQ_H */
