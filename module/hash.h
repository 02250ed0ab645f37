/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hash functions and the size of ktcp's lookup tables (table.c).
 *
 * A peer chooses the addresses and ports of the connections it opens,
 * so an unkeyed hash lets it put all of them in one chain and make
 * every lookup walk that chain.  Every hash here is SipHash under a
 * secret key drawn at module load and mixed with the namespace (as
 * native's inet_ehashfn() mixes net_hash_mix() and a random secret),
 * over the whole address: no XOR fold that a chosen IPv6 address could
 * cancel.  The tables are global, as native's ehash, and sized from RAM
 * when the module loads, so that chains stay short at 100,000
 * connections.
 */
#ifndef _KTCP_HASH_H
#define _KTCP_HASH_H

#include <linux/bits.h>
#include <linux/in6.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/siphash.h>
#include <linux/types.h>
#include <net/ipv6.h>

/* One chain per 16 KiB of RAM: 65536 chains (512 KiB) for 1 GiB. */
#define KTCP_HASH_RAM_SHIFT	14
#define KTCP_HASH_MIN_BUCKETS	1024U
#define KTCP_HASH_MAX_BUCKETS	BIT(20)

/*
 * Locks are shared by buckets (bucket & lock mask): a writer holds one
 * for a few instructions, so more would only cost memory.
 */
#define KTCP_HASH_MAX_LOCKS	4096U

/* How many chains a table gets on a machine with @ram_bytes of RAM. */
static inline u32 ktcp_hash_buckets(u64 ram_bytes)
{
	u64 n = ram_bytes >> KTCP_HASH_RAM_SHIFT;

	n = clamp_t(u64, n, KTCP_HASH_MIN_BUCKETS, KTCP_HASH_MAX_BUCKETS);
	return rounddown_pow_of_two((u32)n);
}

/* How many locks serve @buckets chains: a power of two, no more. */
static inline u32 ktcp_hash_locks(u32 buckets)
{
	return min(buckets, KTCP_HASH_MAX_LOCKS);
}

/* An IPv4 4-tuple; @mix is net_hash_mix() of its namespace. */
static inline u32 ktcp_hash4(const siphash_key_t *key, u32 mix,
			     __be32 laddr, __be16 lport,
			     __be32 raddr, __be16 rport)
{
	return (u32)siphash_4u32((__force u32)laddr, (__force u32)raddr,
				 (__force u32)lport << 16 |
				 (__force u32)rport, mix, key);
}

/* An IPv6 4-tuple, all 32 address bytes. */
static inline u32 ktcp_hash6(const siphash_key_t *key, u32 mix,
			     const struct in6_addr *laddr, __be16 lport,
			     const struct in6_addr *raddr, __be16 rport)
{
	struct {
		struct in6_addr	laddr;
		struct in6_addr	raddr;
		u32		ports;
		u32		mix;
	} __aligned(SIPHASH_ALIGNMENT) in = {
		.laddr	= *laddr,
		.raddr	= *raddr,
		.ports	= (__force u32)lport << 16 | (__force u32)rport,
		.mix	= mix,
	};

	return (u32)siphash(&in, sizeof(in), key);
}

/*
 * A 4-tuple of either family, IPv4 v4-mapped (af_ops.h): an IPv4 one
 * costs the hash of its 12 bytes, not of 36.
 */
static inline u32 ktcp_hash_tuple(const siphash_key_t *key, u32 mix,
				  const struct in6_addr *laddr, __be16 lport,
				  const struct in6_addr *raddr, __be16 rport)
{
	if (ipv6_addr_v4mapped(laddr))
		return ktcp_hash4(key, mix, laddr->s6_addr32[3], lport,
				  raddr->s6_addr32[3], rport);
	return ktcp_hash6(key, mix, laddr, lport, raddr, rport);
}

/*
 * SYN queues (listen.c): per listener, one chain per request that
 * max_syn_backlog allows when listen() runs, a power of two.
 */
#define KTCP_SYNQ_MIN_CHAINS	16U
#define KTCP_SYNQ_MAX_CHAINS	65536U

static inline u32 ktcp_synq_chains(int max_syn_backlog)
{
	u32 n = clamp_t(int, max_syn_backlog, KTCP_SYNQ_MIN_CHAINS,
			KTCP_SYNQ_MAX_CHAINS);

	return roundup_pow_of_two(n);
}

/*
 * A request's 4-tuple (IPv4 v4-mapped) in its listener's SYN queue,
 * under the same secret as the tables: a peer that floods one listener
 * with SYNs cannot choose tuples that share a chain.
 */
static inline u32 ktcp_hash_synq(const siphash_key_t *key, u32 mix,
				 const struct in6_addr *laddr, __be16 lport,
				 const struct in6_addr *raddr, __be16 rport)
{
	return ktcp_hash_tuple(key, mix, laddr, lport, raddr, rport);
}

/* The module's secret (table.c), drawn at load, for every hash here. */
extern siphash_key_t ktcp_table_key;

/* A local port (host order) of one namespace. */
static inline u32 ktcp_hash_port(const siphash_key_t *key, u32 mix, u16 port)
{
	return (u32)siphash_2u32(port, mix, key);
}

#endif /* _KTCP_HASH_H */
