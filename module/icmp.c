// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP and ICMPv6 errors about ktcp's segments, once a hook (ipv4.c,
 * ipv6.c) has found the connection a quoted segment belongs to: what
 * native's tcp_v4_err() and tcp_v6_err() do, written once.
 *
 * - Only an error quoting a sequence number in flight counts (RFC 5927
 *   4.1, OutOfWindowIcmps): a forged one can neither end nor shrink a
 *   connection whose sequence space it cannot see.
 * - Fragmentation Needed and Packet Too Big (RFC 1191, RFC 8201) lower
 *   the route's path MTU, and with it the send MSS; what no longer fits
 *   goes again at once, with no congestion response (native's
 *   tcp_simple_retransmit()).
 * - Unreachables, Time Exceeded and Parameter Problem end a connect()
 *   in SYN-SENT with their errno (RFC 1122 4.2.3.9 allows it, native
 *   does it), also when the answer beat connect() to releasing the
 *   socket; later they are soft errors that SO_ERROR reports if the
 *   connection times out, or at once with IP_RECVERR.
 */

#include <linux/icmp.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/tcp_states.h>

#include "ktcp.h"
#include "seq.h"

/*
 * tcp_simple_retransmit(): what went out in segments larger than the
 * new MSS is sent again at once, all of it, cut to it (ktcp_xmit_skb()
 * resends an MSS, the walk then meets the rest, up to @end); the
 * network dropped it for its size, not for congestion, so the window
 * stays, and what fitted is not sent twice.
 */
static void ktcp_resend_smaller(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 end = ks->snd_una;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_skb_unsent(ks, skb))
			break;
		if (cb->sacked)
			continue;
		/* Its longest segment, as tcp_skb_seglen(). */
		if (min_t(u32, skb->len, cb->sent_mss) > ks->mss)
			end = cb->end_seq;
		else if (!ktcp_seq_before(cb->seq, end))
			continue;
		if (ktcp_xmit_skb(sk, skb, KTCP_RTX_MTU))
			break;
	}
}

/**
 * ktcp_mtu_reduced() - the route's path MTU came down: follow it
 * @sk: the socket, locked (or in release_sock(), KTCP_DEFER_MTU)
 *
 * As tcp_v4_mtu_reduced(): unless IP_MTU_DISCOVER says not to, the send
 * MSS comes down to what the route's MTU holds, never below the floor
 * of ktcp_snd_mss(), and what was sent larger goes again.
 */
void ktcp_mtu_reduced(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	u16 mss;
	u32 mtu;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE) ||
	    inet->pmtudisc == IP_PMTUDISC_DONT)
		return;
	mtu = ks->af_ops->route_mtu(sock_net(sk), sk, &sk->sk_v6_rcv_saddr,
				    &sk->sk_v6_daddr);
	if (!mtu)
		return;
	/*
	 * An MTU below what the route takes (net.ipv4.route.min_pmtu) is
	 * not followed: say so if the connection times out.
	 */
	if (ks->mtu_info && ks->mtu_info < mtu)
		WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
	mss = ktcp_snd_mss(min_t(u32, ks->peer_mss ?: KTCP_DEFAULT_MSS,
				 ktcp_mss_for_mtu(ks->af_ops, mtu)),
			   ks->advmss, ktcp_sysctl(sock_net(sk), min_snd_mss),
			   ks->tstamp_ok);
	if (mss >= ks->mss)
		return;
	ks->mss = mss;
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_PMTU_REDUCED);
	ktcp_resend_smaller(sk);
}

/*
 * The route's exception, as the ICMP's quoted header (at @quoted) names
 * it: both families' updates read it at skb->data.
 */
static void ktcp_update_route_pmtu(struct sock *sk, struct sk_buff *skb,
				   unsigned int quoted, u32 mtu)
{
	__skb_pull(skb, quoted);
	ktcp_sk(sk)->af_ops->update_pmtu(sk, skb, mtu);
	__skb_push(skb, quoted);
}

/* RFC 5927 4.1: a sequence number in [SND.UNA, SND.MAX). */
static bool ktcp_icmp_seq_ok(const struct ktcp_sock *ks, u32 seq)
{
	return !ktcp_seq_before(seq, ks->snd_una) &&
	       ktcp_seq_before(seq, ks->snd_max);
}

/* An error that ends a connect: SYN-SENT (or SYN-RECEIVED) is over. */
static void ktcp_icmp_abort(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_ATTEMPT_FAILS);
	ktcp_done(sk, KTCP_EV_ABORT);
	sk_error_report(sk);
}

/**
 * ktcp_icmp_deferred_err() - an error came while connect() held @sk
 * @sk: the socket, in release_sock()
 *
 * On a short path the ICMP answer to a SYN comes back in the softirq
 * that sent it, before connect() has let the socket go: native keeps
 * it as a soft error and waits for the SYN's timeout; ktcp ends the
 * connect as it would have a moment later.
 */
void ktcp_icmp_deferred_err(struct sock *sk)
{
	int err = READ_ONCE(sk->sk_err_soft);

	if (err && (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		ktcp_icmp_abort(sk, err);
}

/**
 * ktcp_icmp_err() - an ICMP or ICMPv6 error quoting a segment of @sk
 * @sk: the connection, held: the reference is dropped here
 * @e: what the error says
 * @skb: the ICMP packet, skb->data at its IP header, which it keeps
 * @quoted: the offset of the quoted IP header in @skb
 */
void ktcp_icmp_err(struct sock *sk, const struct ktcp_icmp *e,
		   struct sk_buff *skb, unsigned int quoted)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	bool mtu = false;

	bh_lock_sock(sk);
	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE | TCPF_TIME_WAIT))
		goto out;
	if (!ktcp_icmp_seq_ok(ks, e->seq)) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_OUT_OF_WINDOW_ICMPS);
		goto out;
	}
	if (e->mtu) {
		WRITE_ONCE(ks->mtu_info, e->mtu);
		mtu = true;
		goto out;
	}
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (sock_owned_by_user(sk)) {
			WRITE_ONCE(sk->sk_err_soft, e->err);
			set_bit(KTCP_DEFER_ICMP_ERR, &ks->deferred);
			goto out;
		}
		ktcp_icmp_abort(sk, e->err);
		goto out;
	}
	if (ks->af_ops->recverr(sk) && !sock_owned_by_user(sk)) {
		WRITE_ONCE(sk->sk_err, e->err);
		sk_error_report(sk);
	} else {
		WRITE_ONCE(sk->sk_err_soft, e->err);
	}
out:
	bh_unlock_sock(sk);
	if (mtu) {
		/* ipv4_sk_update_pmtu() takes the socket's lock itself. */
		ktcp_update_route_pmtu(sk, skb, quoted, e->mtu);
		bh_lock_sock(sk);
		if (sock_owned_by_user(sk))
			set_bit(KTCP_DEFER_MTU, &ks->deferred);
		else
			ktcp_mtu_reduced(sk);
		bh_unlock_sock(sk);
	}
	sock_put(sk);
}
