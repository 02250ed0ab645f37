// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4 below ktcp.  Input: a netfilter hook at NF_INET_LOCAL_IN, per
 * namespace, takes the TCP segments that belong to a ktcp socket or to
 * a port ktcp holds (NF_STOLEN) and leaves every other packet to the
 * native stack.  Output: route, add the IP header, ip_local_out().
 */

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/tcp.h>
#include <net/icmp.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/route.h>

#include "isn.h"
#include "ktcp.h"

/*
 * An ICMP error that quotes a segment of a ktcp connection: tell it
 * (icmp.c), as icmp_unreach() tells tcp_v4_err().  The packet goes on
 * to the native stack, which finds no socket of its own for it.
 */
static void ktcp_icmp4_in(struct net *net, struct sk_buff *skb,
			  unsigned int off)
{
	const struct icmphdr *icmph;
	struct in6_addr saddr, daddr;
	const struct iphdr *inner;
	const struct tcphdr *th;
	struct ktcp_icmp e = {};
	unsigned int ioff;
	struct sock *sk;

	/*
	 * What icmp_rcv() checks before any protocol hears of it: the sum,
	 * and a destination of this host alone.
	 */
	if (skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST) ||
	    (skb->ip_summed != CHECKSUM_UNNECESSARY &&
	     csum_fold(skb_checksum(skb, off, skb->len - off, 0))))
		return;
	if (!pskb_may_pull(skb, off + sizeof(*icmph) + sizeof(*inner)))
		return;
	icmph = (const struct icmphdr *)(skb->data + off);
	inner = (const struct iphdr *)(icmph + 1);
	ioff = off + sizeof(*icmph) + inner->ihl * 4;
	/* RFC 792: the quoted header and 8 bytes of the segment. */
	if (inner->ihl < 5 || inner->protocol != IPPROTO_TCP ||
	    !pskb_may_pull(skb, ioff + 8))
		return;
	icmph = (const struct icmphdr *)(skb->data + off);
	inner = (const struct iphdr *)(icmph + 1);
	th = (const struct tcphdr *)(skb->data + ioff);
	switch (icmph->type) {
	case ICMP_DEST_UNREACH:
		if (icmph->code > NR_ICMP_UNREACH)
			return;
		if (icmph->code == ICMP_FRAG_NEEDED) {
			e.mtu = ntohs(icmph->un.frag.mtu);
			if (!e.mtu)
				return;
			break;
		}
		e.err = icmp_err_convert[icmph->code].errno;
		break;
	case ICMP_TIME_EXCEEDED:
		e.err = EHOSTUNREACH;
		break;
	case ICMP_PARAMETERPROB:
		e.err = EPROTO;
		break;
	default:
		return;
	}
	e.seq = ntohl(th->seq);
	ipv6_addr_set_v4mapped(inner->saddr, &saddr);
	ipv6_addr_set_v4mapped(inner->daddr, &daddr);
	sk = ktcp_conn_lookup(net, &daddr, th->dest, &saddr, th->source,
			      inet_iif(skb), 0);
	if (sk)
		ktcp_icmp_err(sk, &e, skb, off + sizeof(*icmph));
}

/*
 * Is the segment a native connection's (or request's, or TIME_WAIT's)?
 * Then it is native TCP's, even on a port ktcp holds: a native client
 * may have picked a ktcp listener's port as its own, since native's
 * bind() cannot see ktcp's ports.
 */
static bool ktcp_native_flow(struct net *net, const struct iphdr *iph,
			     const struct tcphdr *th, int dif, int sdif)
{
	struct sock *nsk;

	nsk = __inet_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
					iph->saddr, th->source, iph->daddr,
					ntohs(th->dest), dif, sdif);
	if (!nsk)
		return false;
	sock_gen_put(nsk);
	return true;
}

static unsigned int ktcp_nf_local_in(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct net *net = state->net;
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int thoff = iph->ihl * 4;
	int dif = inet_iif(skb), sdif = inet_sdif(skb);
	struct in6_addr saddr, daddr;
	const struct tcphdr *th;
	struct sock *sk;

	if (iph->protocol == IPPROTO_ICMP) {
		ktcp_icmp4_in(net, skb, thoff);
		return NF_ACCEPT;
	}
	if (iph->protocol != IPPROTO_TCP)
		return NF_ACCEPT;
	/*
	 * Not addressed to this host alone: a frame the link sent to
	 * everyone (tcp_v4_rcv() discards it), or a broadcast or multicast
	 * destination, which native never answers (tcp_v4_conn_request(),
	 * tcp_v4_send_reset()).  A SYN to such an address must not make a
	 * request on a wildcard listener; native drops what is left.
	 */
	if (skb->pkt_type != PACKET_HOST ||
	    skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))
		return NF_ACCEPT;
	if (!pskb_may_pull(skb, thoff + sizeof(*th)))
		return NF_ACCEPT;	/* not a segment: native counts it */
	iph = ip_hdr(skb);
	th = (const struct tcphdr *)(skb->data + thoff);

	ipv6_addr_set_v4mapped(iph->saddr, &saddr);
	ipv6_addr_set_v4mapped(iph->daddr, &daddr);
	sk = ktcp_conn_lookup(net, &saddr, th->source, &daddr, th->dest, dif,
			      sdif);
	if (!sk && ktcp_native_flow(net, iph, th, dif, sdif))
		return NF_ACCEPT;
	if (!sk)
		sk = ktcp_listener_lookup(net, &saddr, th->source, &daddr,
					  ntohs(th->dest), dif, sdif);
	if (!sk && !ktcp_port_owned(net, &daddr, ntohs(th->dest)))
		return NF_ACCEPT;

	/*
	 * From here on the segment is ktcp's, whatever becomes of it.  A
	 * valid IPv4 header sums to zero: a CHECKSUM_COMPLETE sum stays.
	 */
	__skb_pull(skb, thoff);
	return ktcp_segment_in(net, sk, skb, dif, sdif);
}

static const struct nf_hook_ops ktcp_nf_ops = {
	.hook		= ktcp_nf_local_in,
	.pf		= NFPROTO_IPV4,
	.hooknum	= NF_INET_LOCAL_IN,
	.priority	= KTCP_NF_PRI_LOCAL_IN,
};

int ktcp_ipv4_init_net(struct net *net)
{
	return nf_register_net_hook(net, &ktcp_nf_ops);
}

void ktcp_ipv4_exit_net(struct net *net)
{
	nf_unregister_net_hook(net, &ktcp_nf_ops);
}

static struct rtable *ktcp_route(struct net *net, struct sock *sk,
				 struct flowi4 *fl4,
				 const struct in6_addr *saddr,
				 const struct in6_addr *daddr)
{
	return ip_route_output_ports(net, fl4, sk, daddr->s6_addr32[3],
				     saddr->s6_addr32[3], 0, 0, IPPROTO_TCP,
				     0, sk ? sk->sk_bound_dev_if : 0);
}

static u32 ktcp_v4_route_mtu(struct net *net, struct sock *sk,
			     const struct in6_addr *saddr,
			     const struct in6_addr *daddr)
{
	struct flowi4 fl4;
	struct rtable *rt;
	u32 mtu;

	rt = ktcp_route(net, sk, &fl4, saddr, daddr);
	if (IS_ERR(rt))
		return 0;
	mtu = dst_mtu(&rt->dst);
	ip_rt_put(rt);
	return mtu;
}

static int ktcp_v4_send(struct net *net, struct sock *sk, struct sk_buff *skb,
			const struct in6_addr *saddr,
			const struct in6_addr *daddr)
{
	struct flowi4 fl4;
	struct rtable *rt;
	struct iphdr *iph;
	int err;

	rt = ktcp_route_cached(sk) ? (struct rtable *)__sk_dst_check(sk, 0) :
				     NULL;
	if (rt) {
		dst_hold(&rt->dst);
	} else {
		rt = ktcp_route(net, sk, &fl4, saddr, daddr);
		if (IS_ERR(rt)) {
			kfree_skb(skb);
			return PTR_ERR(rt);
		}
		if (ktcp_route_cached(sk))
			sk_dst_set(sk, dst_clone(&rt->dst));
	}
	skb_dst_set(skb, &rt->dst);

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = sk ? inet_sk(sk)->tos : 0;
	iph->frag_off = htons(IP_DF);
	/* IP_TTL, else the route's hop limit (native's ip_select_ttl()). */
	iph->ttl = sk && inet_sk(sk)->uc_ttl >= 0 ? inet_sk(sk)->uc_ttl :
		   ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = saddr->s6_addr32[3];
	iph->daddr = daddr->s6_addr32[3];
	/* A GSO packet's segments each take an ID. */
	ip_select_ident_segs(net, skb, NULL, skb_shinfo(skb)->gso_segs ?: 1);
	skb->protocol = htons(ETH_P_IP);
	if (sk) {
		skb->priority = READ_ONCE(sk->sk_priority);
		skb->mark = READ_ONCE(sk->sk_mark);
	}
	ktcp_add_stats(net, KTCP_MIB_OUT_SEGS, skb_shinfo(skb)->gso_segs ?: 1);
	/*
	 * ip_local_out() fills tot_len and the header checksum; with the
	 * socket, cgroup egress programs see the skb as native's.  A qdisc's
	 * NET_XMIT_CN queued the packet: it went.  net_xmit_eval() is a
	 * macro that names its argument twice: the call goes first.
	 */
	err = ip_local_out(net, sk, skb);
	return net_xmit_eval(err);
}

static bool ktcp_v4_checksum_init(struct sk_buff *skb)
{
	return !skb_checksum_init(skb, IPPROTO_TCP, inet_compute_pseudo);
}

static void ktcp_v4_send_check(struct sk_buff *skb,
			       const struct in6_addr *saddr,
			       const struct in6_addr *daddr)
{
	ktcp_checksum_partial(skb, ~csum_tcpudp_magic(saddr->s6_addr32[3],
						      daddr->s6_addr32[3],
						      skb->len, IPPROTO_TCP,
						      0));
}

static void ktcp_v4_update_pmtu(struct sock *sk, struct sk_buff *skb,
				u32 mtu)
{
	ipv4_sk_update_pmtu(skb, sk, mtu);
}

static u32 ktcp_v4_isn(const siphash_key_t *key, const struct in6_addr *laddr,
		       const struct in6_addr *raddr, __be16 lport,
		       __be16 rport, u64 ns)
{
	return ktcp_isn(key, laddr->s6_addr32[3], raddr->s6_addr32[3], lport,
			rport, ns);
}

static u32 ktcp_v4_cookie_make(const siphash_key_t *key,
			       const struct in6_addr *laddr,
			       const struct in6_addr *raddr, __be16 lport,
			       __be16 rport, u32 peer_isn, u32 minute, u16 mss)
{
	return ktcp_cookie_make(key, laddr->s6_addr32[3], raddr->s6_addr32[3],
				lport, rport, peer_isn, minute, mss);
}

static u16 ktcp_v4_cookie_check(const siphash_key_t *key,
				const struct in6_addr *laddr,
				const struct in6_addr *raddr, __be16 lport,
				__be16 rport, u32 peer_isn, u32 minute,
				u32 cookie)
{
	return ktcp_cookie_check(key, laddr->s6_addr32[3],
				 raddr->s6_addr32[3], lport, rport, peer_isn,
				 minute, cookie);
}

const struct ktcp_af_ops ktcp_ipv4_ops = {
	.family		= AF_INET,
	.net_header_len	= sizeof(struct iphdr),
	.min_mtu	= 576,		/* RFC 9293 3.7.1: MSS 536 */
	.gso_type	= SKB_GSO_TCPV4,
	.checksum_init	= ktcp_v4_checksum_init,
	.send_check	= ktcp_v4_send_check,
	.send		= ktcp_v4_send,
	.route_mtu	= ktcp_v4_route_mtu,
	.update_pmtu	= ktcp_v4_update_pmtu,
	.recverr	= ktcp_inet_recverr,
	.isn		= ktcp_v4_isn,
	.cookie_make	= ktcp_v4_cookie_make,
	.cookie_check	= ktcp_v4_cookie_check,
};

struct sk_buff *ktcp_alloc_skb(unsigned int payload, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(KTCP_HEADROOM + payload, gfp);

	if (skb)
		skb_reserve(skb, KTCP_HEADROOM);
	return skb;
}
