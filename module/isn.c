// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * M a clock ticking every 64 ns, F a keyed hash (SipHash).  A new
 * incarnation of a 4-tuple therefore starts above the old one.
 *
 * Over IPv6, F takes the two 128-bit addresses (RFC 6528 names the
 * addresses, of any family); cookies likewise.
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
#include <linux/string.h>

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

/*
 * The input of F over IPv6: both addresses, both ports, and @extra (0
 * for the ISN, the peer's ISN and the minute for a cookie), as words.
 */
static u64 ktcp_hash6(const siphash_key_t *key, const struct in6_addr *saddr,
		      const struct in6_addr *daddr, __be16 sport,
		      __be16 dport, u32 extra)
{
	u32 w[10];

	memcpy(&w[0], saddr, sizeof(*saddr));
	memcpy(&w[4], daddr, sizeof(*daddr));
	w[8] = (u32)(__force u16)sport << 16 | (__force u16)dport;
	w[9] = extra;
	return siphash(w, sizeof(w), key);
}

u32 ktcp_isn6(const siphash_key_t *key, const struct in6_addr *saddr,
	      const struct in6_addr *daddr, __be16 sport, __be16 dport,
	      u64 now_ns)
{
	return (u32)ktcp_hash6(key, saddr, daddr, sport, dport, 0) +
	       (u32)(now_ns >> 6);
}
EXPORT_SYMBOL_NS_GPL(ktcp_isn6, KTCP_KUNIT_NS);

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

/* The cookie of @minute, its @hash, and the MSS index for @mss. */
static u32 ktcp_cookie_pack(u32 minute, u32 hash, u16 mss)
{
	u32 idx = ARRAY_SIZE(ktcp_cookie_mss) - 1;

	/* The largest table value that does not exceed the peer's MSS. */
	while (idx > 0 && ktcp_cookie_mss[idx] > mss)
		idx--;
	return (minute & 0x1f) << 27 | (hash & 0xffffff) << 3 | idx;
}

/* The MSS of @cookie if @hash is its hash; 0 if it is not. */
static u16 ktcp_cookie_mss_of(u32 cookie, u32 hash)
{
	if (((cookie >> 3) & 0xffffff) != (hash & 0xffffff))
		return 0;
	return ktcp_cookie_mss[cookie & 7];
}

/* The minute @cookie was made, or -1 if it is too old now. */
static int ktcp_cookie_made(u32 cookie, u32 minute)
{
	u32 made = cookie >> 27;

	return ((minute - made) & 0x1f) > KTCP_COOKIE_MAX_AGE ? -1 : made;
}

u32 ktcp_cookie_make(const siphash_key_t *key, __be32 saddr, __be32 daddr,
		     __be16 sport, __be16 dport, u32 peer_isn, u32 minute,
		     u16 mss)
{
	return ktcp_cookie_pack(minute,
				ktcp_cookie_hash(key, saddr, daddr, sport,
						 dport, peer_isn,
						 minute & 0x1f), mss);
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
	int made = ktcp_cookie_made(cookie, minute);

	if (made < 0)
		return 0;
	return ktcp_cookie_mss_of(cookie,
				  ktcp_cookie_hash(key, saddr, daddr, sport,
						   dport, peer_isn, made));
}
EXPORT_SYMBOL_NS_GPL(ktcp_cookie_check, KTCP_KUNIT_NS);

u32 ktcp_cookie_make6(const siphash_key_t *key, const struct in6_addr *saddr,
		      const struct in6_addr *daddr, __be16 sport,
		      __be16 dport, u32 peer_isn, u32 minute, u16 mss)
{
	return ktcp_cookie_pack(minute,
				(u32)ktcp_hash6(key, saddr, daddr, sport, dport,
						peer_isn ^ (minute & 0x1f)),
				mss);
}
EXPORT_SYMBOL_NS_GPL(ktcp_cookie_make6, KTCP_KUNIT_NS);

/* ktcp_cookie_check() for a cookie made by ktcp_cookie_make6(). */
u16 ktcp_cookie_check6(const siphash_key_t *key, const struct in6_addr *saddr,
		       const struct in6_addr *daddr, __be16 sport,
		       __be16 dport, u32 peer_isn, u32 minute, u32 cookie)
{
	int made = ktcp_cookie_made(cookie, minute);

	if (made < 0)
		return 0;
	return ktcp_cookie_mss_of(cookie,
				  (u32)ktcp_hash6(key, saddr, daddr, sport,
						  dport, peer_isn ^ made));
}
EXPORT_SYMBOL_NS_GPL(ktcp_cookie_check6, KTCP_KUNIT_NS);
