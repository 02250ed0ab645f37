/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Initial sequence numbers (RFC 6528) and SYN cookies: pure functions of
 * a secret key, the 4-tuple and a clock, tested by tests/isn_test.c.
 */
#ifndef _KTCP_ISN_H
#define _KTCP_ISN_H

#include <linux/in6.h>
#include <linux/siphash.h>
#include <linux/types.h>

u32 ktcp_isn(const siphash_key_t *key, __be32 saddr, __be32 daddr,
	     __be16 sport, __be16 dport, u64 now_ns);

/* A cookie is valid for this many minutes after it was made. */
#define KTCP_COOKIE_MAX_AGE	2

u32 ktcp_cookie_make(const siphash_key_t *key, __be32 saddr, __be32 daddr,
		     __be16 sport, __be16 dport, u32 peer_isn, u32 minute,
		     u16 mss);
u16 ktcp_cookie_check(const siphash_key_t *key, __be32 saddr, __be32 daddr,
		      __be16 sport, __be16 dport, u32 peer_isn, u32 minute,
		      u32 cookie);

/* The same over IPv6: the 4-tuple with its IPv6 addresses. */
u32 ktcp_isn6(const siphash_key_t *key, const struct in6_addr *saddr,
	      const struct in6_addr *daddr, __be16 sport, __be16 dport,
	      u64 now_ns);
u32 ktcp_cookie_make6(const siphash_key_t *key, const struct in6_addr *saddr,
		      const struct in6_addr *daddr, __be16 sport,
		      __be16 dport, u32 peer_isn, u32 minute, u16 mss);
u16 ktcp_cookie_check6(const siphash_key_t *key, const struct in6_addr *saddr,
		       const struct in6_addr *daddr, __be16 sport,
		       __be16 dport, u32 peer_isn, u32 minute, u32 cookie);

#endif /* _KTCP_ISN_H */
