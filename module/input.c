// SPDX-License-Identifier: GPL-2.0
/*
 * The receive side of the state machine: RFC 9293 3.10.7 "SEGMENT
 * ARRIVES" for every state but LISTEN (listen.c), with RFC 5961's
 * defences against blind RST, SYN and data injection.  Runs with the
 * socket locked: from the netfilter hook (bh lock) or from
 * release_sock() (backlog).
 */

#include <linux/tcp.h>
#include <net/tcp_states.h>

#include "ktcp.h"
#include "seq.h"
#include "state.h"

/**
 * ktcp_parse_options() - parse the options of a segment
 * @opt: first option byte
 * @len: bytes of options (data offset less 20)
 * @o: filled with what was found; absent options stay zero
 *
 * Return: 0, or -EINVAL if an option's length is impossible; the
 * segment is then dropped and counted, never trusted.
 */
int ktcp_parse_options(const u8 *opt, int len, struct ktcp_syn_options *o)
{
	memset(o, 0, sizeof(*o));
	while (len > 0) {
		u8 kind = opt[0], size;

		if (kind == KTCP_OPT_EOL)
			break;
		if (kind == KTCP_OPT_NOP) {
			opt++;
			len--;
			continue;
		}
		if (len < 2)
			return -EINVAL;
		size = opt[1];
		if (size < 2 || size > len)
			return -EINVAL;
		switch (kind) {
		case KTCP_OPT_MSS:
			if (size != KTCP_OPTLEN_MSS)
				return -EINVAL;
			o->mss = get_unaligned_be16(opt + 2);
			break;
		case KTCP_OPT_WSCALE:
			if (size != KTCP_OPTLEN_WSCALE)
				return -EINVAL;
			o->wscale_ok = true;
			o->wscale = min_t(u8, opt[2], KTCP_MAX_WSCALE);
			break;
		case KTCP_OPT_SACK_PERM:
			if (size != KTCP_OPTLEN_SACK_PERM)
				return -EINVAL;
			o->sack_ok = true;
			break;
		case KTCP_OPT_TIMESTAMP:
			if (size != KTCP_OPTLEN_TIMESTAMP)
				return -EINVAL;
			o->tstamp_ok = true;
			o->tsval = get_unaligned_be32(opt + 2);
			o->tsecr = get_unaligned_be32(opt + 6);
			break;
		default:	/* unknown options are skipped (RFC 9293 3.1) */
			break;
		}
		opt += size;
		len -= size;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ktcp_parse_options, KTCP_KUNIT_NS);

/**
 * ktcp_segment_options() - the options of a segment for @sk, or refuse it
 * @sk: the receiving socket
 * @skb: the segment, skb->data at the TCP header
 * @opts: filled with what the options say
 *
 * Return: true if the options are well formed; else the segment is
 * counted (KtcpBadOptions, InErrs) and the caller drops it.
 */
bool ktcp_segment_options(struct sock *sk, const struct sk_buff *skb,
			  struct ktcp_syn_options *opts)
{
	const struct tcphdr *th = tcp_hdr(skb);

	if (!ktcp_parse_options((const u8 *)(th + 1),
				th->doff * 4 - sizeof(*th), opts))
		return true;
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_BAD_OPTIONS);
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_IN_ERRS);
	return false;
}

/* RFC 5961 10: at most challenge_ack_limit challenge ACKs a second. */
bool ktcp_challenge_ack_allowed(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	bool ok;

	spin_lock_bh(&kn->challenge_lock);
	if (time_after(jiffies, kn->challenge_stamp + HZ)) {
		kn->challenge_stamp = jiffies;
		kn->challenge_count = 0;
	}
	ok = kn->challenge_count++ < ktcp_sysctl(net, challenge_ack_limit);
	spin_unlock_bh(&kn->challenge_lock);
	return ok;
}

static void ktcp_challenge_ack(struct sock *sk)
{
	if (!ktcp_challenge_ack_allowed(sock_net(sk)))
		return;
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_CHALLENGE_ACKS);
	ktcp_send_ack(sk);
}

/* The peer reset the connection: the errno native TCP reports. */
static void ktcp_reset(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		WRITE_ONCE(sk->sk_err, ECONNREFUSED);
		break;
	case TCP_CLOSE_WAIT:
		WRITE_ONCE(sk->sk_err, EPIPE);
		break;
	case TCP_CLOSE:
		return;
	default:
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ESTAB_RESETS);
	ktcp_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

static void ktcp_fill_cb(struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 len = skb->len - th->doff * 4;

	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + len;
	cb->ack_seq = ntohl(th->ack_seq);
	cb->window = ntohs(th->window);
	cb->flags = KTCP_FLAG_BYTE(th);
}

static void ktcp_established(struct sock *sk)
{
	ktcp_set_state(sk, TCP_ESTABLISHED);
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
}

/* Take in what the peer's SYN said about itself. */
static void ktcp_take_syn(struct sock *sk, struct sk_buff *skb,
			  const struct ktcp_syn_options *opts)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

	ks->irs = cb->seq;
	ks->rcv_nxt = cb->seq + 1;
	ks->copied_seq = ks->rcv_nxt;
	ks->rcv_wup = ks->rcv_nxt;
	ks->peer = *opts;
	ks->mss = min_t(u16, opts->mss ?: 536, ks->advmss);
	ks->snd_wnd = cb->window;	/* never scaled in a SYN */
	ks->max_window = ks->snd_wnd;
	ks->snd_wl1 = cb->seq;
	ks->snd_wl2 = cb->ack_seq;
}

/* RFC 9293 3.10.7.3 */
static int ktcp_rcv_syn_sent(struct sock *sk, struct sk_buff *skb,
			     const struct ktcp_syn_options *opts)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	bool ack = cb->flags & KTCP_ACK;

	if (ack && (ktcp_seq_before_eq(cb->ack_seq, ks->iss) ||
		    ktcp_seq_after(cb->ack_seq, ks->snd_nxt))) {
		if (!(cb->flags & KTCP_RST))
			ktcp_send_reset_reply(sock_net(sk), skb);
		goto drop;
	}
	if (cb->flags & KTCP_RST) {
		if (ack) {
			ktcp_inc_stats(sock_net(sk), KTCP_MIB_ATTEMPT_FAILS);
			ktcp_reset(sk);
		}
		goto drop;
	}
	if (!(cb->flags & KTCP_SYN))
		goto drop;

	ktcp_take_syn(sk, skb, opts);
	if (ack) {
		ks->snd_una = cb->ack_seq;
		ktcp_sk(sk)->retransmits = 0;
		sk_stop_timer(sk, &ks->rtx_timer);
		ktcp_established(sk);
		ktcp_send_ack(sk);
		ktcp_write_xmit(sk);
	} else {
		/* Simultaneous open: both sides sent a SYN. */
		ktcp_set_state(sk, TCP_SYN_RECV);
		ktcp_send_syn(sk);
	}
drop:
	kfree_skb(skb);
	return 0;
}

/* Free what @ack acknowledges; RTT from the oldest never-resent one. */
static void ktcp_clean_acked(struct sock *sk, u32 ack)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb, *tmp;
	long rtt = -1;
	u32 acked = 0;

	skb_queue_walk_safe(&sk->sk_write_queue, skb, tmp) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_seq_after(cb->end_seq, ack))
			break;
		if (!cb->retransmitted && rtt < 0)
			rtt = jiffies - cb->sent_jiffies;
		acked += skb->len;
		__skb_unlink(skb, &sk->sk_write_queue);
		sk_wmem_queued_add(sk, -skb->truesize);
		kfree_skb(skb);
	}
	ks->snd_una = ack;
	ks->retransmits = 0;
	if (rtt >= 0)
		ktcp_rtt_sample(sk, rtt);
	/* NewReno growth: slow start below ssthresh, then +1 per window. */
	if (acked) {
		if (ks->cwnd < ks->ssthresh)
			ks->cwnd++;
		else if (++ks->cwnd_cnt >= ks->cwnd && ks->cwnd < 65535)
			ks->cwnd++, ks->cwnd_cnt = 0;
	}
	if (ks->snd_una == ks->snd_nxt)
		sk_stop_timer(sk, &ks->rtx_timer);
	else
		ktcp_reset_rtx_timer(sk);
	if (acked && sk->sk_socket)
		sk->sk_write_space(sk);
}

/* Our FIN is acknowledged when everything, FIN included, is. */
static bool ktcp_fin_acked(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	return ks->fin_queued && ks->snd_una == ks->write_seq;
}

static void ktcp_time_wait(struct sock *sk)
{
	ktcp_enter_wait(sk, TCP_TIME_WAIT,
			ktcp_sysctl(sock_net(sk), tw_timeout));
}

/* RFC 9293 3.10.7.4, fifth check: the ACK field. Returns false to drop. */
static bool ktcp_rcv_ack(struct sock *sk, struct sk_buff *skb)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 ack = cb->ack_seq;

	if (!(cb->flags & KTCP_ACK))
		return false;

	if (sk->sk_state == TCP_SYN_RECV) {
		if (ktcp_seq_before_eq(ack, ks->snd_una) ||
		    ktcp_seq_after(ack, ks->snd_nxt)) {
			ktcp_send_reset_reply(sock_net(sk), skb);
			return false;
		}
		ks->snd_una = ack;
		ks->retransmits = 0;
		sk_stop_timer(sk, &ks->rtx_timer);
		ktcp_established(sk);
	}

	if (ktcp_seq_after(ack, ks->snd_nxt)) {
		ktcp_send_ack(sk);
		return false;
	}
	if (ktcp_seq_after(ack, ks->snd_una))
		ktcp_clean_acked(sk, ack);

	/* RFC 9293 3.10.7.4: take the window from the newest segment. */
	if (ktcp_seq_before(ks->snd_wl1, cb->seq) ||
	    (ks->snd_wl1 == cb->seq && ktcp_seq_before_eq(ks->snd_wl2, ack))) {
		ks->snd_wnd = cb->window;
		ks->max_window = max(ks->max_window, ks->snd_wnd);
		ks->snd_wl1 = cb->seq;
		ks->snd_wl2 = ack;
	}

	if (!ktcp_fin_acked(sk))
		return true;
	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		ktcp_set_state(sk, TCP_FIN_WAIT2);
		sk->sk_state_change(sk);
		/* An orphan does not wait for the peer's FIN for ever. */
		if (sock_flag(sk, SOCK_DEAD))
			ktcp_enter_wait(sk, TCP_FIN_WAIT2,
					ktcp_sysctl(sock_net(sk), fin_timeout));
		break;
	case TCP_CLOSING:
		ktcp_time_wait(sk);
		return false;
	case TCP_LAST_ACK:
		ktcp_done(sk);
		return false;
	}
	return true;
}

/* The seventh check: in-order data goes to the receive queue. */
static bool ktcp_rcv_data(struct sock *sk, struct sk_buff *skb)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 hdr = tcp_hdr(skb)->doff * 4;
	u32 len = skb->len - hdr;
	u32 seq = cb->seq + !!(cb->flags & KTCP_SYN);

	if (!len)
		return false;
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		return false;
	/*
	 * Data after our close() (FIN_WAIT1/2, receive side shut): nobody
	 * will read it, so RFC 1122 4.2.2.13 says reset, as native does.
	 */
	if ((sk->sk_shutdown & RCV_SHUTDOWN) &&
	    (1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_DATA);
		ktcp_send_rst(sk);
		ktcp_reset(sk);
		return false;
	}
	if (ktcp_seq_after(seq, ks->rcv_nxt)) {
		/* Out of order: not kept yet; the duplicate ACK asks again. */
		ktcp_send_ack(sk);
		return false;
	}
	if (ktcp_seq_before_eq(seq + len, ks->rcv_nxt)) {
		ktcp_send_ack(sk);	/* all old: a retransmission */
		return false;
	}
	if (atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf)) {
		ktcp_send_ack(sk);
		return false;
	}
	/* Keep only the new bytes, without the header. */
	if (!pskb_pull(skb, hdr + (ks->rcv_nxt - seq)))
		return false;
	cb->seq = ks->rcv_nxt;
	ks->rcv_nxt += skb->len;
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	return true;
}

static void ktcp_rcv_fin(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	ks->rcv_nxt++;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		ktcp_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		ktcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		ktcp_send_ack(sk);
		ktcp_time_wait(sk);
		goto wake;
	}
	ktcp_send_ack(sk);
wake:
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
}

/*
 * TIME_WAIT (RFC 9293 3.10.7.4): the only thing that should arrive is a
 * retransmission of the peer's FIN (sequence RCV.NXT - 1): acknowledge
 * it and restart 2MSL.  Anything else but a RST is answered with an ACK
 * too; a RST is ignored (RFC 1337); a SYN above RCV.NXT starts a new
 * incarnation of the 4-tuple.
 */
static int ktcp_rcv_time_wait(struct sock *sk, struct sk_buff *skb)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

	if (cb->flags & KTCP_RST)
		goto drop;
	if (cb->flags & KTCP_SYN && !(cb->flags & KTCP_ACK) &&
	    ktcp_seq_after(cb->seq, ktcp_sk(sk)->rcv_nxt)) {
		ktcp_done(sk);
		return -EAGAIN;
	}
	ktcp_send_ack(sk);
	if (cb->flags & KTCP_FIN)
		ktcp_time_wait(sk);
drop:
	kfree_skb(skb);
	return 0;
}

/**
 * ktcp_rcv() - process one segment for a socket that is not listening
 * @sk: the socket, locked
 * @skb: the segment; skb->data at the TCP header.  Consumed.
 *
 * Return: 0, or -EAGAIN when a SYN ended a TIME_WAIT and the segment
 * must be handed to the listener instead (it is then not consumed).
 */
int ktcp_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	struct ktcp_syn_options opts;
	bool queued = false;

	ktcp_fill_cb(skb);
	if (!ktcp_segment_options(sk, skb, &opts))
		goto drop;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		ktcp_send_reset_reply(sock_net(sk), skb);
		goto drop;
	case TCP_SYN_SENT:
		return ktcp_rcv_syn_sent(sk, skb, &opts);
	case TCP_TIME_WAIT:
		return ktcp_rcv_time_wait(sk, skb);
	}

	/* First check: sequence number. */
	if (!ktcp_seq_acceptable(cb->seq, cb->end_seq - cb->seq, ks->rcv_nxt,
				 ks->rcv_wnd)) {
		if (!(cb->flags & KTCP_RST))
			ktcp_send_ack(sk);
		goto drop;
	}
	/* Second: RST, RFC 5961 3.2. */
	if (cb->flags & KTCP_RST) {
		switch (ktcp_rst_check(cb->seq, ks->rcv_nxt, ks->rcv_wnd)) {
		case KTCP_RST_ACCEPT:
			ktcp_reset(sk);
			break;
		case KTCP_RST_CHALLENGE:
			ktcp_challenge_ack(sk);
			break;
		case KTCP_RST_DROP:
			break;
		}
		goto drop;
	}
	/* Fourth: a SYN in a synchronized state, RFC 5961 4.2. */
	if (cb->flags & KTCP_SYN && sk->sk_state != TCP_SYN_RECV) {
		ktcp_challenge_ack(sk);
		goto drop;
	}
	if (!ktcp_rcv_ack(sk, skb))
		goto drop;

	queued = ktcp_rcv_data(sk, skb);
	if (cb->flags & KTCP_FIN &&
	    cb->end_seq - 1 == ks->rcv_nxt &&
	    (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				   TCPF_FIN_WAIT2))
		ktcp_rcv_fin(sk);
	else if (queued)
		ktcp_send_ack(sk);
	if (queued && !sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	ktcp_write_xmit(sk);
	if (queued)
		return 0;
drop:
	kfree_skb(skb);
	return 0;
}
