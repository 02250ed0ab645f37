// SPDX-License-Identifier: GPL-2.0
/*
 * Lookup table hashing and sizing (hash.h): sizes follow RAM within
 * bounds and are powers of two; a peer that picks its ports and
 * addresses spreads over every chain; without the key it cannot pick
 * collisions (IPv6 addresses that an XOR fold made collide do not);
 * the namespace and the key change every bucket.
 */

#include <kunit/test.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "hash.h"

#define MIB(x)		((u64)(x) << 20)
#define GIB(x)		((u64)(x) << 30)

static const siphash_key_t hash_test_key = {
	{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
};

static const siphash_key_t hash_other_key = {
	{ 0x1716151413121110ULL, 0x1f1e1d1c1b1a1918ULL }
};

static void hash_buckets_follow_ram(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_hash_buckets(MIB(1)), KTCP_HASH_MIN_BUCKETS);
	KUNIT_EXPECT_EQ(test, ktcp_hash_buckets(MIB(256)), 16384U);
	KUNIT_EXPECT_EQ(test, ktcp_hash_buckets(GIB(1)), 65536U);
	/* Not a power of two: rounded down. */
	KUNIT_EXPECT_EQ(test, ktcp_hash_buckets(GIB(1) + GIB(1) / 2), 65536U);
	KUNIT_EXPECT_EQ(test, ktcp_hash_buckets(GIB(4096)),
			(u32)KTCP_HASH_MAX_BUCKETS);
	KUNIT_EXPECT_EQ(test, ktcp_hash_buckets(0), KTCP_HASH_MIN_BUCKETS);
}

static void hash_buckets_are_powers_of_two(struct kunit *test)
{
	u64 ram;

	for (ram = MIB(1); ram <= GIB(8192); ram = ram * 3 / 2) {
		u32 n = ktcp_hash_buckets(ram);

		KUNIT_EXPECT_TRUE(test, is_power_of_2(n));
		KUNIT_EXPECT_GE(test, n, KTCP_HASH_MIN_BUCKETS);
		KUNIT_EXPECT_LE(test, n, (u32)KTCP_HASH_MAX_BUCKETS);
		KUNIT_EXPECT_TRUE(test, is_power_of_2(ktcp_hash_locks(n)));
		KUNIT_EXPECT_LE(test, ktcp_hash_locks(n), n);
	}
}

#define SPREAD_BUCKETS	65536U
#define SPREAD_CONNS	100000U

/* The longest chain of @n hashes in @buckets chains. */
static u32 longest_chain(struct kunit *test, const u32 *h, u32 n, u32 buckets)
{
	u16 *len = kunit_kcalloc(test, buckets, sizeof(*len), GFP_KERNEL);
	u32 i, worst = 0;

	KUNIT_ASSERT_NOT_NULL(test, len);
	for (i = 0; i < n; i++) {
		u16 l = ++len[h[i] & (buckets - 1)];

		worst = max_t(u32, worst, l);
	}
	return worst;
}

/*
 * 100,000 connections of one peer to one listener, the peer picking
 * only its port and address: chains stay short (a balls-into-bins
 * bound: an expected maximum near 8 for 1.5 connections a chain).
 */
static void hash4_spreads_a_peers_connections(struct kunit *test)
{
	u32 *h = kunit_kcalloc(test, SPREAD_CONNS, sizeof(*h), GFP_KERNEL);
	__be32 laddr = htonl(0x0a000001);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, h);
	for (i = 0; i < SPREAD_CONNS; i++)
		h[i] = ktcp_hash4(&hash_test_key, 0, laddr, htons(80),
				  htonl(0xc0a80000 + (i >> 16)),
				  htons(i & 0xffff));
	KUNIT_EXPECT_LE(test, longest_chain(test, h, SPREAD_CONNS,
					    SPREAD_BUCKETS), 16U);
}

/*
 * IPv6 sources whose 32-bit words XOR to the same value: the unkeyed
 * ipv6_addr_hash() fold that ktcp used put all of them in one chain.
 */
static void hash6_has_no_xor_collisions(struct kunit *test)
{
	u32 *h = kunit_kcalloc(test, SPREAD_CONNS, sizeof(*h), GFP_KERNEL);
	struct in6_addr laddr = IN6ADDR_LOOPBACK_INIT, raddr;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, h);
	for (i = 0; i < SPREAD_CONNS; i++) {
		raddr.s6_addr32[0] = htonl(0x20010db8);
		raddr.s6_addr32[1] = htonl(i);
		raddr.s6_addr32[2] = htonl(i);
		raddr.s6_addr32[3] = htonl(1);
		KUNIT_ASSERT_EQ(test, ipv6_addr_hash(&raddr),
				(__force u32)htonl(0x20010db8 ^ 1));
		h[i] = ktcp_hash6(&hash_test_key, 0, &laddr, htons(80), &raddr,
				  htons(4242));
	}
	KUNIT_EXPECT_LE(test, longest_chain(test, h, SPREAD_CONNS,
					    SPREAD_BUCKETS), 16U);
}

/* How many of @n tuples land in another chain under @key2 / @mix2. */
static u32 moved(const siphash_key_t *key2, u32 mix2, u32 n)
{
	struct in6_addr l6 = IN6ADDR_LOOPBACK_INIT, r6 = IN6ADDR_ANY_INIT;
	u32 i, diff = 0, mask = SPREAD_BUCKETS - 1;

	for (i = 0; i < n; i++) {
		__be32 r = htonl(0xc0a80001 + i);

		diff += (ktcp_hash4(&hash_test_key, 1, htonl(1), htons(80), r,
				    htons(i)) & mask) !=
			(ktcp_hash4(key2, mix2, htonl(1), htons(80), r,
				    htons(i)) & mask);
		r6.s6_addr32[3] = r;
		diff += (ktcp_hash6(&hash_test_key, 1, &l6, htons(80), &r6,
				    htons(i)) & mask) !=
			(ktcp_hash6(key2, mix2, &l6, htons(80), &r6,
				    htons(i)) & mask);
		diff += (ktcp_hash_port(&hash_test_key, 1, i) & mask) !=
			(ktcp_hash_port(key2, mix2, i) & mask);
	}
	return diff;
}

/*
 * Another key (another boot) or another namespace puts nearly every
 * tuple and port elsewhere: collisions found under one do not carry
 * over.
 */
static void hash_depends_on_key_and_namespace(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, moved(&hash_test_key, 1, 1000), 0U);
	KUNIT_EXPECT_GE(test, moved(&hash_other_key, 1, 1000), 2900U);
	KUNIT_EXPECT_GE(test, moved(&hash_test_key, 2, 1000), 2900U);
}

/* The direction matters: a->b and b->a are different connections. */
static void hash4_is_not_symmetric(struct kunit *test)
{
	u32 i, same = 0;

	for (i = 0; i < 1000; i++)
		same += ktcp_hash4(&hash_test_key, 0, htonl(1), htons(i),
				   htonl(2), htons(80)) ==
			ktcp_hash4(&hash_test_key, 0, htonl(2), htons(80),
				   htonl(1), htons(i));
	KUNIT_EXPECT_LE(test, same, 1U);
}

/* SYN queues: a chain per request max_syn_backlog allows, bounded. */
static void synq_chains_follow_max_syn_backlog(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_synq_chains(1), KTCP_SYNQ_MIN_CHAINS);
	KUNIT_EXPECT_EQ(test, ktcp_synq_chains(256), 256U);
	KUNIT_EXPECT_EQ(test, ktcp_synq_chains(257), 512U);
	KUNIT_EXPECT_EQ(test, ktcp_synq_chains(65535), KTCP_SYNQ_MAX_CHAINS);
	KUNIT_EXPECT_EQ(test, ktcp_synq_chains(INT_MAX), KTCP_SYNQ_MAX_CHAINS);
	KUNIT_EXPECT_EQ(test, ktcp_synq_chains(-1), KTCP_SYNQ_MIN_CHAINS);
}

#define SYNQ_REQS	256U

/*
 * A full SYN queue of the default max_syn_backlog (256 requests in 256
 * chains), from IPv6 sources chosen to collide under the XOR fold the
 * SYN queue used (jhash of ipv6_addr_hash(), 64 chains: all in one),
 * and from one IPv4 peer's ports: no chain holds more than a few.
 */
static void synq_hash_spreads_chosen_sources(struct kunit *test)
{
	struct in6_addr laddr = IN6ADDR_LOOPBACK_INIT, raddr;
	u32 h[SYNQ_REQS], i;

	for (i = 0; i < SYNQ_REQS; i++) {
		raddr.s6_addr32[0] = htonl(0x20010db8);
		raddr.s6_addr32[1] = htonl(i);
		raddr.s6_addr32[2] = htonl(i);
		raddr.s6_addr32[3] = htonl(1);
		h[i] = ktcp_hash_synq(&hash_test_key, 0, &laddr, htons(80),
				      &raddr, htons(4242));
	}
	KUNIT_EXPECT_LE(test, longest_chain(test, h, SYNQ_REQS,
					    ktcp_synq_chains(SYNQ_REQS)), 8U);

	ipv6_addr_set_v4mapped(htonl(0x0a000001), &laddr);
	ipv6_addr_set_v4mapped(htonl(0xc0a80001), &raddr);
	for (i = 0; i < SYNQ_REQS; i++)
		h[i] = ktcp_hash_synq(&hash_test_key, 0, &laddr, htons(80),
				      &raddr, htons(1024 + i * 64));
	KUNIT_EXPECT_LE(test, longest_chain(test, h, SYNQ_REQS,
					    ktcp_synq_chains(SYNQ_REQS)), 8U);
}

static struct kunit_case hash_test_cases[] = {
	KUNIT_CASE(hash_buckets_follow_ram),
	KUNIT_CASE(hash_buckets_are_powers_of_two),
	KUNIT_CASE(hash4_spreads_a_peers_connections),
	KUNIT_CASE(hash6_has_no_xor_collisions),
	KUNIT_CASE(hash_depends_on_key_and_namespace),
	KUNIT_CASE(hash4_is_not_symmetric),
	KUNIT_CASE(synq_chains_follow_max_syn_backlog),
	KUNIT_CASE(synq_hash_spreads_chosen_sources),
	{}
};

static struct kunit_suite hash_test_suite = {
	.name = "ktcp_hash",
	.test_cases = hash_test_cases,
};

kunit_test_suite(hash_test_suite);
