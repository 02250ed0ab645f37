// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * M a clock ticking every 64 ns, F a keyed hash (SipHash).  A new
 * incarnation of a 4-tuple therefore starts above the old one.
 *
 * SYN cookies: the ISN of our SYN-ACK carries, authenticated, what we
 * would have kept in a request socket (the MSS), so a full SYN queue
 * drops no legitimate connection.  Layout of a cookie:
 *   bits 31..27  minute counter, mod 32
 *   bits 26..3   24 bits of SipHash(4-tuple, peer ISN, minute)
 *   bits  2..0   index into ktcp_cookie_mss[]
 */

#include <linux/export.h>
#include <linux/kernel.h>

#include "isn.h"

u32 ktcp_isn(const siphash_key_t *key, __be32 saddr, __be32 daddr,
	     __be16 sport, __be16 dport, u64 now_ns)
{
	u32 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				(__force u32)sport << 16 | (__force u32)dport,
				key);

	return hash + (u32)(now_ns >> 6);
}
EXPORT_SYMBOL_NS_GPL(ktcp_isn, KTCP_KUNIT_NS);

/* The MSS values a cookie can say, the ones Linux's cookies use. */
static const u16 ktcp_cookie_mss[] = {
	536, 1300, 1440, 1460, 4312, 8960, 16384, 65495,
};

static u32 ktcp_cookie_hash(const siphash_key_t *key, __be32 saddr,
			    __be32 daddr, __be16 sport, __be16 dport,
			    u32 peer_isn, u32 minute)
{
	u64 ports = (u64)(__force u16)sport << 16 | (__force u16)dport;

	return (u32)siphash_4u32((__force u32)saddr, (__force u32)daddr,
				 (u32)ports, peer_isn ^ minute, key);
}

u32 ktcp_cookie_make(const siphash_key_t *key, __be32 saddr, __be32 daddr,
		     __be16 sport, __be16 dport, u32 peer_isn, u32 minute,
		     u16 mss)
{
	u32 idx = ARRAY_SIZE(ktcp_cookie_mss) - 1;
	u32 hash;

	/* The largest table value that does not exceed the peer's MSS. */
	while (idx > 0 && ktcp_cookie_mss[idx] > mss)
		idx--;
	hash = ktcp_cookie_hash(key, saddr, daddr, sport, dport, peer_isn,
				minute & 0x1f);
	return (minute & 0x1f) << 27 | (hash & 0xffffff) << 3 | idx;
}
EXPORT_SYMBOL_NS_GPL(ktcp_cookie_make, KTCP_KUNIT_NS);

/**
 * ktcp_cookie_check() - validate the cookie an ACK returns
 * @key: the namespace's cookie key
 * @saddr: our address
 * @daddr: the peer's address
 * @sport: our port
 * @dport: the peer's port
 * @peer_isn: the peer's ISN (the ACK's sequence number minus one)
 * @minute: the current minute counter
 * @cookie: the ACK's acknowledgment number minus one
 *
 * Return: the MSS the cookie carries, or 0 if it is forged or too old.
 */
u16 ktcp_cookie_check(const siphash_key_t *key, __be32 saddr, __be32 daddr,
		      __be16 sport, __be16 dport, u32 peer_isn, u32 minute,
		      u32 cookie)
{
	u32 made = cookie >> 27;
	u32 age = (minute - made) & 0x1f;
	u32 hash;

	if (age > KTCP_COOKIE_MAX_AGE)
		return 0;
	hash = ktcp_cookie_hash(key, saddr, daddr, sport, dport, peer_isn,
				made);
	if (((cookie >> 3) & 0xffffff) != (hash & 0xffffff))
		return 0;
	return ktcp_cookie_mss[cookie & 7];
}
EXPORT_SYMBOL_NS_GPL(ktcp_cookie_check, KTCP_KUNIT_NS);
