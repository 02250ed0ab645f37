/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ephemeral port range arithmetic.  The range lives in one u32 (low in
 * the low half, high in the high half) so readers on any CPU see a
 * consistent pair with a single READ_ONCE(), without a lock.
 * Pure functions, tested by tests/port_range_test.c.
 */
#ifndef _KTCP_PORT_RANGE_H
#define _KTCP_PORT_RANGE_H

#include <linux/types.h>

static inline u32 ktcp_port_range_pack(u16 low, u16 high)
{
	return (u32)high << 16 | low;
}

static inline u16 ktcp_port_range_low(u32 range)
{
	return range & 0xffff;
}

static inline u16 ktcp_port_range_high(u32 range)
{
	return range >> 16;
}

/* The rule of net.ipv4.ip_local_port_range: 1 <= low <= high <= 65535. */
static inline bool ktcp_port_range_valid(int low, int high)
{
	return low >= 1 && high <= 65535 && low <= high;
}

static inline u32 ktcp_port_range_size(u32 range)
{
	return ktcp_port_range_high(range) - ktcp_port_range_low(range) + 1;
}

/*
 * The i-th candidate of a search that starts at a random offset and
 * wraps around, so that every port of the range is tried exactly once
 * for i = 0 .. size - 1.
 */
static inline u16 ktcp_port_range_nth(u32 range, u32 offset, u32 i)
{
	return ktcp_port_range_low(range) +
	       (offset + i) % ktcp_port_range_size(range);
}

#endif /* _KTCP_PORT_RANGE_H */
