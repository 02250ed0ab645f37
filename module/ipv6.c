// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 below ktcp, the counterpart of ipv4.c.  Input: a netfilter hook
 * at NF_INET_LOCAL_IN for NFPROTO_IPV6, per namespace, takes the TCP
 * segments that belong to a ktcp socket or to a port ktcp holds
 * (NF_STOLEN) and leaves every other packet to the native stack.
 * Output: route, add the IPv6 header, ip6_local_out().
 */

#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <net/inet6_hashtables.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>

#include "isn.h"
#include "ktcp.h"

/*
 * An ICMPv6 error that quotes a segment of a ktcp connection: tell it
 * (icmp.c), as icmpv6_notify() tells tcp_v6_err().  The packet goes on
 * to the native stack.
 */
static void ktcp_icmp6_in(struct net *net, struct sk_buff *skb, int off)
{
	const struct icmp6hdr *icmph;
	const struct ipv6hdr *inner;
	const struct tcphdr *th;
	struct ktcp_icmp e = {};
	__be16 frag_off;
	struct sock *sk;
	u8 nexthdr;
	int ioff;

	/* What icmpv6_rcv() checks first: the sum, pseudo-header included. */
	if (skb->ip_summed != CHECKSUM_UNNECESSARY &&
	    csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr,
			    skb->len - off, IPPROTO_ICMPV6,
			    skb_checksum(skb, off, skb->len - off, 0)))
		return;
	if (!pskb_may_pull(skb, off + sizeof(*icmph) + sizeof(*inner)))
		return;
	icmph = (const struct icmp6hdr *)(skb->data + off);
	switch (icmph->icmp6_type) {
	case ICMPV6_PKT_TOOBIG:
		e.mtu = ntohl(icmph->icmp6_mtu);
		/* RFC 8201 4: never below IPv6's minimum (tcp_v6_err()). */
		if (e.mtu < IPV6_MIN_MTU)
			return;
		break;
	case ICMPV6_DEST_UNREACH:
	case ICMPV6_TIME_EXCEED:
	case ICMPV6_PARAMPROB:
		icmpv6_err_convert(icmph->icmp6_type, icmph->icmp6_code,
				   &e.err);
		break;
	default:
		return;
	}
	nexthdr = ((const struct ipv6hdr *)(icmph + 1))->nexthdr;
	ioff = ipv6_skip_exthdr(skb, off + sizeof(*icmph) + sizeof(*inner),
				&nexthdr, &frag_off);
	/* The quoted segment's ports and sequence number: 8 bytes. */
	if (ioff < 0 || nexthdr != IPPROTO_TCP || frag_off ||
	    !pskb_may_pull(skb, ioff + 8))
		return;
	inner = (const struct ipv6hdr *)(skb->data + off + sizeof(*icmph));
	/* v4-mapped addresses name IPv4 connections in ktcp's tables. */
	if (ipv6_addr_v4mapped(&inner->saddr) ||
	    ipv6_addr_v4mapped(&inner->daddr))
		return;
	th = (const struct tcphdr *)(skb->data + ioff);
	e.seq = ntohl(th->seq);
	sk = ktcp_conn_lookup(net, &inner->daddr, th->dest, &inner->saddr,
			      th->source, skb->dev->ifindex, inet6_sdif(skb));
	if (sk)
		ktcp_icmp_err(sk, &e, skb, off + sizeof(*icmph));
}

/* A native connection's segment is native TCP's (ipv4.c). */
static bool ktcp_native_flow6(struct net *net, const struct ipv6hdr *ip6h,
			      const struct tcphdr *th, int dif, int sdif)
{
	struct sock *nsk;

	nsk = __inet6_lookup_established(net,
					 net->ipv4.tcp_death_row.hashinfo,
					 &ip6h->saddr, th->source,
					 &ip6h->daddr, ntohs(th->dest), dif, sdif);
	if (!nsk)
		return false;
	sock_gen_put(nsk);
	return true;
}

static unsigned int ktcp_nf6_local_in(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	int dif = inet6_iif(skb), sdif = inet6_sdif(skb);
	struct net *net = state->net;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct tcphdr *th;
	u8 nexthdr = ip6h->nexthdr;
	__be16 frag_off;
	struct sock *sk;
	int thoff;

	thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				 &nexthdr, &frag_off);
	/* Fragments: the native stack reassembles them, after this hook. */
	if (thoff < 0 || frag_off)
		return NF_ACCEPT;
	if (nexthdr == IPPROTO_ICMPV6) {
		ktcp_icmp6_in(net, skb, thoff);
		return NF_ACCEPT;
	}
	if (nexthdr != IPPROTO_TCP)
		return NF_ACCEPT;
	if (!pskb_may_pull(skb, thoff + sizeof(*th)))
		return NF_ACCEPT;	/* not a segment: native counts it */
	ip6h = ipv6_hdr(skb);
	/*
	 * tcp_v6_rcv() drops these, and native answers no multicast or
	 * anycast destination (tcp_v6_conn_request(), tcp_v6_send_reset():
	 * ipv6_unicast_destination()); so does the native stack for us.
	 * As in ipv4.c: no request from a SYN not addressed to us alone.
	 */
	if (skb->pkt_type != PACKET_HOST ||
	    ipv6_addr_v4mapped(&ip6h->saddr) ||
	    ipv6_addr_is_multicast(&ip6h->daddr) ||
	    !ipv6_unicast_destination(skb))
		return NF_ACCEPT;
	th = (const struct tcphdr *)(skb->data + thoff);

	sk = ktcp_conn_lookup(net, &ip6h->saddr, th->source, &ip6h->daddr,
			      th->dest, dif, sdif);
	if (!sk && ktcp_native_flow6(net, ip6h, th, dif, sdif))
		return NF_ACCEPT;
	if (!sk)
		sk = ktcp_listener_lookup(net, &ip6h->saddr, th->source,
					  &ip6h->daddr, ntohs(th->dest), dif,
					  sdif);
	if (!sk && !ktcp_port_owned(net, &ip6h->daddr, ntohs(th->dest)))
		return NF_ACCEPT;

	/*
	 * From here on the segment is ktcp's, whatever becomes of it; a
	 * CHECKSUM_COMPLETE sum then covers the segment alone.
	 */
	skb_pull_rcsum(skb, thoff);
	return ktcp_segment_in(net, sk, skb, dif, sdif);
}

static const struct nf_hook_ops ktcp_nf6_ops = {
	.hook		= ktcp_nf6_local_in,
	.pf		= NFPROTO_IPV6,
	.hooknum	= NF_INET_LOCAL_IN,
	.priority	= KTCP_NF_PRI_LOCAL_IN,
};

int ktcp_ipv6_init_net(struct net *net)
{
	return nf_register_net_hook(net, &ktcp_nf6_ops);
}

void ktcp_ipv6_exit_net(struct net *net)
{
	nf_unregister_net_hook(net, &ktcp_nf6_ops);
}

/*
 * The route from @saddr to @daddr.  No socket goes to the routing code:
 * a ktcp socket has no ipv6_pinfo, which it would read.
 */
static struct dst_entry *ktcp_route6(struct net *net, struct sock *sk,
				     struct flowi6 *fl6,
				     const struct in6_addr *saddr,
				     const struct in6_addr *daddr)
{
	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = IPPROTO_TCP;
	fl6->daddr = *daddr;
	fl6->saddr = *saddr;
	if (sk) {
		fl6->flowi6_oif = sk->sk_bound_dev_if;
		fl6->flowi6_mark = READ_ONCE(sk->sk_mark);
		fl6->flowi6_uid = sk->sk_uid;
	}
	return ip6_dst_lookup_flow(net, NULL, fl6, NULL);
}

static u32 ktcp_v6_route_mtu(struct net *net, struct sock *sk,
			     const struct in6_addr *saddr,
			     const struct in6_addr *daddr)
{
	struct dst_entry *dst;
	struct flowi6 fl6;
	u32 mtu;

	dst = ktcp_route6(net, sk, &fl6, saddr, daddr);
	if (IS_ERR(dst))
		return 0;
	mtu = dst_mtu(dst);
	dst_release(dst);
	return mtu;
}

static int ktcp_v6_send(struct net *net, struct sock *sk, struct sk_buff *skb,
			const struct in6_addr *saddr,
			const struct in6_addr *daddr)
{
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct flowi6 fl6;
	int err;

	dst = ktcp_route_cached(sk) ?
	      __sk_dst_check(sk, ktcp_sk(sk)->dst_cookie) : NULL;
	if (dst) {
		dst_hold(dst);
	} else {
		dst = ktcp_route6(net, sk, &fl6, saddr, daddr);
		if (IS_ERR(dst)) {
			kfree_skb(skb);
			return PTR_ERR(dst);
		}
		if (ktcp_route_cached(sk)) {
			/* What ip6_dst_check() compares: ip6_dst_store(). */
			ktcp_sk(sk)->dst_cookie = rt6_get_cookie(dst_rt6_info(dst));
			sk_dst_set(sk, dst_clone(dst));
		}
	}
	skb_dst_set(skb, dst);

	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6h, 0, 0);	/* no IPV6_TCLASS, no flow label */
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	skb->protocol = htons(ETH_P_IPV6);
	if (sk) {
		skb->priority = READ_ONCE(sk->sk_priority);
		skb->mark = READ_ONCE(sk->sk_mark);
	}
	ktcp_add_stats(net, KTCP_MIB_OUT_SEGS, skb_shinfo(skb)->gso_segs ?: 1);
	/* NET_XMIT_CN: queued, it went (net_xmit_eval() names it twice). */
	err = ip6_local_out(net, sk, skb);
	return net_xmit_eval(err);
}

static bool ktcp_v6_checksum_init(struct sk_buff *skb)
{
	return !skb_checksum_init(skb, IPPROTO_TCP, ip6_compute_pseudo);
}

static void ktcp_v6_send_check(struct sk_buff *skb,
			       const struct in6_addr *saddr,
			       const struct in6_addr *daddr)
{
	ktcp_checksum_partial(skb, ~csum_ipv6_magic(saddr, daddr, skb->len,
						    IPPROTO_TCP, 0));
}

static void ktcp_v6_update_pmtu(struct sock *sk, struct sk_buff *skb,
				u32 mtu)
{
	ip6_update_pmtu(skb, sock_net(sk), htonl(mtu), sk->sk_bound_dev_if,
			READ_ONCE(sk->sk_mark), sk->sk_uid);
}

/* IPV6_RECVERR needs an ipv6_pinfo, which a ktcp socket has not. */
static bool ktcp_v6_recverr(const struct sock *sk)
{
	return false;
}

const struct ktcp_af_ops ktcp_ipv6_ops = {
	.family		= AF_INET6,
	.net_header_len	= sizeof(struct ipv6hdr),
	.min_mtu	= IPV6_MIN_MTU,
	.gso_type	= SKB_GSO_TCPV6,
	.checksum_init	= ktcp_v6_checksum_init,
	.send_check	= ktcp_v6_send_check,
	.send		= ktcp_v6_send,
	.route_mtu	= ktcp_v6_route_mtu,
	.update_pmtu	= ktcp_v6_update_pmtu,
	.recverr	= ktcp_v6_recverr,
	.isn		= ktcp_isn6,
	.cookie_make	= ktcp_cookie_make6,
	.cookie_check	= ktcp_cookie_check6,
};
