// SPDX-License-Identifier: GPL-2.0
/*
 * From either netfilter hook (ipv4.c, ipv6.c) to the socket: what is
 * the same for both families once a hook has found the segment to be
 * ktcp's.  The header and checksum are checked and counted, a segment
 * for a port ktcp holds without a socket is answered with a RST, and
 * the rest goes to its socket under the socket lock or onto its
 * backlog.
 */

#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/xfrm.h>

#include "ktcp.h"
#include "ktcp_trace.h"

static bool ktcp_checksum_ok(struct sk_buff *skb)
{
	const struct ktcp_af_ops *ops = ktcp_skb_af_ops(skb);

	if (!ops->checksum_init(skb))
		return false;
	return skb_csum_unnecessary(skb) || !__skb_checksum_complete(skb);
}

/* The listener a SYN that ended a TIME_WAIT is for, held, or NULL. */
static struct sock *ktcp_listener_of(struct net *net, struct sk_buff *skb)
{
	const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct in6_addr saddr, daddr;

	ktcp_skb_addrs(skb, &saddr, &daddr);
	return ktcp_listener_lookup(net, &saddr, th->source, &daddr,
				    ntohs(th->dest), cb->dif, cb->sdif);
}

/*
 * Straight into the state machine if no process owns the socket, else
 * onto its backlog for release_sock().  True if a SYN ended a TIME_WAIT
 * and @skb, not consumed, is for a listener now.
 *
 * The backlog's limit counts the receive queue too (sk_add_backlog()):
 * a reader copying out of a full buffer holds the socket while the
 * window it offered is still arriving.  Native's tcp_add_backlog()
 * gives 64 KB of headroom for that, one GSO packet; without it a
 * slow reader's peer lost in-window segments to the backlog.
 */
static bool ktcp_deliver(struct sock *sk, struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	bool again = false;

	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
			ktcp_listen_rcv(sk, skb);
		else
			again = ktcp_rcv(sk, skb) == -EAGAIN;
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf) + 64 * 1024)) {
		ktcp_inc_stats(net, KTCP_MIB_BACKLOG_DROPS);
		kfree_skb(skb);
	}
	bh_unlock_sock(sk);
	return again;
}

/*
 * Conntrack confirms a connection's first packet in the last LOCAL_IN
 * hook, after ktcp's: do it here, as that hook would have on native's
 * way, so that "ct state" rules, NAT of the replies and conntrack's TCP
 * tracking know ktcp's connections.  Through nf_ct_hook, built in, so
 * that ktcp does not pull in nf_conntrack.ko.  False: drop the segment
 * (a clash that conntrack refused).
 */
static bool ktcp_ct_confirm(struct sk_buff *skb)
{
	const struct nf_ct_hook *ct_hook;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	if (!ct || nf_ct_is_confirmed(ct))
		return true;
	ct_hook = rcu_dereference(nf_ct_hook);
	return !ct_hook || !ct_hook->confirm ||
	       ct_hook->confirm(skb) == NF_ACCEPT;
}

/**
 * ktcp_segment_in() - take a segment the hook found to be ktcp's
 * @net: the namespace it arrived in
 * @sk: its socket, held (the reference is dropped here), or NULL for a
 *	port ktcp holds with no socket for the segment
 * @skb: the segment, skb->data at the TCP header; consumed
 * @dif: the device it came in on
 * @sdif: that device's L3 master (a VRF), or 0
 *
 * Return: NF_STOLEN, whatever became of @skb.
 */
unsigned int ktcp_segment_in(struct net *net, struct sock *sk,
			     struct sk_buff *skb, int dif, int sdif)
{
	enum ktcp_drop_reason reason;
	const struct tcphdr *th;

	ktcp_inc_stats(net, KTCP_MIB_IN_SEGS);
	skb_reset_transport_header(skb);
	th = tcp_hdr(skb);
	if (th->doff < sizeof(*th) / 4 || !pskb_may_pull(skb, th->doff * 4)) {
		ktcp_inc_stats(net, KTCP_MIB_IN_ERRS);
		reason = KTCP_DROP_HEADER;
		goto drop;
	}
	if (!ktcp_checksum_ok(skb)) {
		ktcp_inc_stats(net, KTCP_MIB_IN_CSUM_ERRORS);
		ktcp_inc_stats(net, KTCP_MIB_IN_ERRS);
		reason = KTCP_DROP_CSUM;
		goto drop;
	}
	/* IPsec input policy, as tcp_v4_rcv() and tcp_v6_rcv() check it. */
	reason = KTCP_DROP_XFRM;
	if (!xfrm_policy_check(sk, XFRM_POLICY_IN, skb,
			       ktcp_skb_af_ops(skb)->family))
		goto drop;
	reason = KTCP_DROP_CONNTRACK;
	if (!ktcp_ct_confirm(skb))
		goto drop;
	/* From here skb->cb is ktcp's: IPCB and IP6CB are read no more. */
	KTCP_SKB_CB(skb)->dif = dif;
	KTCP_SKB_CB(skb)->sdif = sdif;
	/* The skb outlives the hook's RCU section and the conntrack entry. */
	skb_dst_drop(skb);
	nf_reset_ct(skb);

	reason = KTCP_DROP_NO_SOCKET;
	if (!sk) {
		ktcp_send_reset_reply(net, skb, KTCP_MIB_RST_NO_SOCKET);
		goto drop;
	}
	if (ktcp_deliver(sk, skb)) {
		sock_put(sk);
		sk = ktcp_listener_of(net, skb);
		if (!sk) {
			ktcp_send_reset_reply(net, skb, KTCP_MIB_RST_NO_SOCKET);
			goto drop;
		}
		ktcp_deliver(sk, skb);
	}
	sock_put(sk);
	return NF_STOLEN;

drop:
	ktcp_drop_skb(sk, skb, reason);
	if (sk)
		sock_put(sk);
	return NF_STOLEN;
}

/**
 * ktcp_drop_skb() - drop a segment ktcp took, for @reason
 * @sk: its socket, or NULL
 * @skb: the segment, consumed
 * @reason: why (the tracepoint ktcp:ktcp_drop says)
 *
 * Return: 0, what a receive path returns for a segment it consumed.
 */
int ktcp_drop_skb(struct sock *sk, struct sk_buff *skb,
		  enum ktcp_drop_reason reason)
{
	trace_ktcp_drop(sk, skb, reason);
	kfree_skb(skb);
	return 0;
}
