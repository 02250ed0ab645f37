/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between IPv4 and IPv6 below ktcp's TCP, as native's
 * inet_connection_sock_af_ops: one table a family (ipv4.c, ipv6.c),
 * reached from a connection (ktcp_sock.af_ops), a request
 * (ktcp_request.af_ops) or a received segment (ktcp_skb_af_ops()).
 * Addresses are struct in6_addr for both, IPv4 ones v4-mapped (as
 * sk_v6_rcv_saddr and sk_v6_daddr hold them), so that sending, routes,
 * path MTU, ICMP, sequence numbers, cookies and lookups are written
 * once above it.
 */
#ifndef _KTCP_AF_OPS_H
#define _KTCP_AF_OPS_H

#include <linux/if_ether.h>
#include <linux/in6.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <net/sock.h>

struct ktcp_af_ops {
	sa_family_t family;		/* AF_INET, AF_INET6 */
	u16	net_header_len;		/* the IP header ktcp sends */
	u16	min_mtu;		/* the least MTU a path has */
	unsigned int gso_type;		/* SKB_GSO_TCPV4, SKB_GSO_TCPV6 */

	/*
	 * Start a received segment's checksum check with the
	 * pseudo-header (skb_checksum_init()): false if it is wrong.
	 */
	bool	(*checksum_init)(struct sk_buff *skb);
	/*
	 * Leave the sum of an outgoing segment to the device or the
	 * core (CHECKSUM_PARTIAL, as tcp_v4_send_check()): the
	 * pseudo-header's sum in th->check.
	 */
	void	(*send_check)(struct sk_buff *skb, const struct in6_addr *saddr,
			      const struct in6_addr *daddr);
	/*
	 * Route a segment (checksum filled, transport header set), add
	 * the IP header and hand it to IP; @sk may be NULL (a reset with
	 * no socket).  Consumes @skb; returns 0 or a negative errno.
	 */
	int	(*send)(struct net *net, struct sock *sk, struct sk_buff *skb,
			const struct in6_addr *saddr,
			const struct in6_addr *daddr);
	/* The route's MTU from @saddr to @daddr, 0 without a route. */
	u32	(*route_mtu)(struct net *net, struct sock *sk,
			     const struct in6_addr *saddr,
			     const struct in6_addr *daddr);
	/*
	 * The route exception an ICMP error asks for; the error's quoted
	 * IP header is at skb->data.
	 */
	void	(*update_pmtu)(struct sock *sk, struct sk_buff *skb, u32 mtu);
	/* Does the socket take ICMP errors as hard ones (IP_RECVERR)? */
	bool	(*recverr)(const struct sock *sk);
	/* RFC 6528 (isn.c) over the family's addresses. */
	u32	(*isn)(const siphash_key_t *key, const struct in6_addr *laddr,
		       const struct in6_addr *raddr, __be16 lport,
		       __be16 rport, u64 ns);
	u32	(*cookie_make)(const siphash_key_t *key,
			       const struct in6_addr *laddr,
			       const struct in6_addr *raddr, __be16 lport,
			       __be16 rport, u32 peer_isn, u32 minute,
			       u16 mss);
	u16	(*cookie_check)(const siphash_key_t *key,
				const struct in6_addr *laddr,
				const struct in6_addr *raddr, __be16 lport,
				__be16 rport, u32 peer_isn, u32 minute,
				u32 cookie);
};

extern const struct ktcp_af_ops ktcp_ipv4_ops;
extern const struct ktcp_af_ops ktcp_ipv6_ops;

/*
 * CHECKSUM_PARTIAL: @pseudo, the pseudo-header's sum, in th->check;
 * the device or skb_checksum_help() sums the segment into it.
 */
static inline void ktcp_checksum_partial(struct sk_buff *skb, __sum16 pseudo)
{
	tcp_hdr(skb)->check = pseudo;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
}

/*
 * May a send of @sk use, and fill, the socket's cached route
 * (sk_dst_cache, as ip_queue_xmit() does)?  A connection's segments
 * all go to its one peer; a listener's SYN-ACKs go to many, and a
 * reset without a socket has none.
 */
static inline bool ktcp_route_cached(const struct sock *sk)
{
	return sk && sk->sk_state != TCP_LISTEN;
}

/* The family a received segment came over. */
static inline const struct ktcp_af_ops *
ktcp_skb_af_ops(const struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IPV6) ? &ktcp_ipv6_ops :
						    &ktcp_ipv4_ops;
}

/*
 * A received segment's addresses, IPv4 ones v4-mapped; returns its
 * family's table.
 */
static inline const struct ktcp_af_ops *
ktcp_skb_addrs(const struct sk_buff *skb, struct in6_addr *saddr,
	       struct in6_addr *daddr)
{
	const struct ktcp_af_ops *ops = ktcp_skb_af_ops(skb);

	if (ops->family == AF_INET6) {
		*saddr = ipv6_hdr(skb)->saddr;
		*daddr = ipv6_hdr(skb)->daddr;
	} else {
		ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, saddr);
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, daddr);
	}
	return ops;
}

/* The MSS a path of @mtu allows: less the IP and TCP headers. */
static inline u16 ktcp_mss_for_mtu(const struct ktcp_af_ops *ops, u32 mtu)
{
	return clamp_t(u32, mtu, ops->min_mtu, 65535) - ops->net_header_len -
	       sizeof(struct tcphdr);
}

/* The MSS to announce: the route's, or the family's least. */
static inline u16 ktcp_route_mss(const struct ktcp_af_ops *ops,
				 struct net *net, struct sock *sk,
				 const struct in6_addr *saddr,
				 const struct in6_addr *daddr)
{
	return ktcp_mss_for_mtu(ops, ops->route_mtu(net, sk, saddr, daddr));
}

#endif /* _KTCP_AF_OPS_H */
