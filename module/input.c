// SPDX-License-Identifier: GPL-2.0
/*
 * The receive side of the state machine: RFC 9293 3.10.7 "SEGMENT
 * ARRIVES" for every state but LISTEN (listen.c), with RFC 5961's
 * defences against blind RST, SYN and data injection.  Runs with the
 * socket locked: from the netfilter hook (bh lock) or from
 * release_sock() (backlog).
 */

#include <linux/math.h>
#include <linux/random.h>
#include <linux/tcp.h>
#include <net/tcp_states.h>

#include "ktcp.h"
#include "ktcp_trace.h"
#include "collapse.h"
#include "reassembly.h"
#include "sack.h"
#include "seq.h"
#include "state.h"

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

/*
 * RFC 5961 7: the namespace's budget of challenge ACKs for this second.
 * A fixed budget shared by every connection is a side channel
 * (CVE-2016-5696): an off-path attacker who spends it and counts the
 * ACKs he gets back learns whether his guess drew one on a connection
 * he cannot see.  So, as native does, the budget is drawn at random
 * each second, between half of challenge_ack_limit and one and a half
 * times it.
 */
bool ktcp_challenge_ack_allowed(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	int limit = ktcp_sysctl(net, challenge_ack_limit);
	unsigned long now = jiffies / HZ;
	bool ok;

	spin_lock_bh(&kn->challenge_lock);
	if (now != kn->challenge_stamp) {
		kn->challenge_stamp = now;
		kn->challenge_left = (limit + 1) / 2 +
				     reciprocal_scale(get_random_u32(), limit);
	}
	ok = kn->challenge_left > 0;
	if (ok)
		kn->challenge_left--;
	spin_unlock_bh(&kn->challenge_lock);
	return ok;
}

/*
 * Native's __tcp_oow_rate_limited(): at most one ACK per
 * invalid_ratelimit ms and connection answers invalid segments, so that
 * a flood of them neither draws an ACK each nor, for challenge ACKs,
 * spends the namespace's budget of the other connections.  All u32
 * jiffies, as native's tcp_jiffies32: 0 means "never".
 */
static bool __ktcp_oow_rate_limited(struct sock *sk, enum ktcp_mib mib)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);
	u32 gap = msecs_to_jiffies(ktcp_sysctl(net, invalid_ratelimit));
	u32 now = jiffies;

	if (ks->last_oow_ack && (s32)(now - ks->last_oow_ack) >= 0 &&
	    now - ks->last_oow_ack < gap) {
		ktcp_inc_stats(net, mib);
		return true;
	}
	ks->last_oow_ack = now ?: 1;
	return false;
}

/*
 * The ACK that answers a segment outside the window, one PAWS refused,
 * or one in TIME_WAIT (native's tcp_oow_rate_limited()).  Two ends that
 * disagree about the window would answer each other's ACKs for ever,
 * and a spoofer would draw one ACK per segment: such ACKs are limited.
 * Data without a SYN is no part of such a loop, and its sender's loss
 * recovery waits for that duplicate ACK: never held, as in native.
 */
static bool ktcp_oow_rate_limited(struct sock *sk, const struct sk_buff *skb,
				  enum ktcp_mib mib)
{
	const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

	if (cb->end_seq != cb->seq && !(cb->flags & KTCP_SYN))
		return false;
	return __ktcp_oow_rate_limited(sk, mib);
}

/*
 * A challenge ACK (RFC 5961): the connection's limit first, then the
 * namespace's budget, as native's tcp_send_challenge_ack().
 */
static void ktcp_challenge_ack(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (__ktcp_oow_rate_limited(sk, KTCP_MIB_ACK_SKIPPED_CHALLENGE))
		return;
	if (!ktcp_challenge_ack_allowed(net))
		return;
	ktcp_inc_stats(net, KTCP_MIB_CHALLENGE_ACKS);
	ktcp_send_ack(sk);
}

/*
 * RFC 5961 5.2: an acceptable ACK lies in [SND.UNA - MAX.SND.WND,
 * SND.NXT].  SND.NXT is the highest sequence sent (snd_max: after an
 * RTO snd_nxt steps back).  MAX.SND.WND is the largest window the peer
 * offered, but never more than it acknowledged so far, as native
 * bounds it: a blind injector's ACK must fall near what was sent.
 */
static bool ktcp_ack_in_window(const struct ktcp_sock *ks, u32 ack)
{
	u32 max_wnd = min_t(u64, ks->max_window, ks->counts.bytes_acked);

	return !ktcp_seq_after(ack, ks->snd_max) &&
	       !ktcp_seq_before(ack, ks->snd_una - max_wnd);
}

/*
 * The connection is reset, by the peer's RST (KTCP_EV_RCV_RST) or by
 * ours (KTCP_EV_ABORT): the errno native TCP reports.
 */
static void ktcp_reset(struct sock *sk, enum ktcp_event ev)
{
	if (ev == KTCP_EV_RCV_RST)
		trace_ktcp_receive_reset(sk);
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
	ktcp_done(sk, ev);
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

/*
 * SYN_SENT + SYN-ACK (@ev KTCP_EV_RCV_SYNACK), SYN_RECV + the ACK of
 * our SYN (KTCP_EV_RCV_ACK_OF_SYN).  Returns 0, or an error if the
 * table refused @ev (a ktcp bug).
 */
static int ktcp_established(struct sock *sk, enum ktcp_event ev)
{
	int err = ktcp_transition(sk, ev);

	if (err)
		return err;
	ktcp_reset_keepalive(sk);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		ktcp_set_keepalive(sk, 1);
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	return 0;
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
	/*
	 * Our SYN's window field offered at most 64 KB, unscaled (RFC 7323
	 * 2.2): that is the right edge from here, not the larger window
	 * ktcp_rcv_window() chose for it, which a peer without window
	 * scaling would otherwise see cut to the field's low 16 bits.
	 */
	ks->rcv_wnd = min(ks->rcv_wnd, 65535U);
	/* What we offered in our SYN holds if the peer offered it too. */
	ks->wscale_ok = ks->wscale_ok && opts->wscale_ok;
	ks->snd_wscale = ks->wscale_ok ? opts->wscale : 0;
	if (!ks->wscale_ok)
		ks->rcv_wscale = 0;
	ks->tstamp_ok = ks->tstamp_ok && opts->tstamp_ok;
	ktcp_store_ts_recent(ks, opts->tsval);
	ks->sack_ok = ks->sack_ok && opts->sack_ok;
	ktcp_set_mss(ks, opts->mss);
	ks->snd_wnd = cb->window;	/* never scaled in a SYN */
	ks->max_window = ks->snd_wnd;
	ks->snd_wl1 = cb->seq;
	ks->snd_wl2 = cb->ack_seq;
}

/* The RTT an ACK measured: from its timestamp echo, else Karn's rule. */
static void ktcp_ack_rtt(struct sock *sk, const struct ktcp_syn_options *opts,
			 long karn_rtt)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (ks->tstamp_ok && opts->tstamp_ok && opts->tsecr) {
		u32 ms = ktcp_ts_now() + ks->ts_offset - opts->tsecr;

		if (ms < 120 * MSEC_PER_SEC)
			ktcp_rtt_sample(sk, msecs_to_jiffies(ms));
		return;
	}
	if (karn_rtt >= 0)
		ktcp_rtt_sample(sk, karn_rtt);
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
			ktcp_send_reset_reply(sock_net(sk), skb,
					      KTCP_MIB_RST_BAD_ACK);
		goto drop;
	}
	if (cb->flags & KTCP_RST) {
		if (ack) {
			ktcp_inc_stats(sock_net(sk), KTCP_MIB_ATTEMPT_FAILS);
			ktcp_reset(sk, KTCP_EV_RCV_RST);
		}
		goto drop;
	}
	if (!(cb->flags & KTCP_SYN))
		goto drop;

	ktcp_take_syn(sk, skb, opts);
	if (ack) {
		ks->snd_una = cb->ack_seq;
		ks->counts.bytes_acked++;	/* our SYN: native counts it */
		ktcp_syn_acked(ks);
		/*
		 * The handshake's RTT is the first sample, as native takes
		 * it from the SYN it frees: without it the first RTO after
		 * the handshake is the initial 1 s, not srtt + 200 ms.
		 * Karn: a resent SYN's time tells nothing, its echo does.
		 */
		ktcp_ack_rtt(sk, opts, ks->retransmits ? -1 :
			     (long)(ktcp_jiffies32() - ks->rtx_stamp));
		ks->retransmits = 0;
		sk_stop_timer(sk, &ks->rtx_timer);
		if (ktcp_established(sk, KTCP_EV_RCV_SYNACK))
			goto drop;
		ktcp_send_ack(sk);
		ktcp_write_xmit(sk);
	} else {
		/* Simultaneous open: both sides sent a SYN. */
		if (ktcp_transition(sk, KTCP_EV_RCV_SYN))
			goto drop;
		ktcp_send_syn(sk);
	}
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * RFC 6582 3.2: in fast recovery, an ACK up to "recover" ends it; the
 * window is ssthresh then (tcp_end_cwnd_reduction()).  Without SACK a
 * partial ACK means the next hole was lost too: resend it at once;
 * with SACK, PRR decides what goes (recovery.c).
 */
static void ktcp_recovery_ack(struct sock *sk, u32 ack, u32 acked_segs)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (ktcp_seq_after_eq(ack, ks->recover)) {
		ks->in_recovery = false;
		ks->cwnd = ks->ssthresh;
		ks->cwnd_cnt = 0;
		return;
	}
	if (ks->sack_ok)
		return;
	ks->rexmit_next = ack;
	ktcp_retransmit_hole(sk);
	ks->cwnd = max_t(u32, ks->cwnd - min(ks->cwnd, acked_segs) + 1, 1);
}

/*
 * Did the window limit what this round sent (ktcp_sent_to())?  Only
 * then does an ACK grow it, as native's tcp_is_cwnd_limited(): in slow
 * start up to twice the most that was out.  A flow that the application
 * or the peer's window held back keeps its window (RFC 7661), which it
 * could otherwise grow without bound and later send as one burst.
 */
static bool ktcp_cwnd_limited(const struct ktcp_sock *ks)
{
	if (ks->cwnd_was_limited)
		return true;
	return ks->cwnd < ks->ssthresh && ks->cwnd < 2 * ks->max_flight;
}

/*
 * RFC 5681 3.1: slow start by every segment an ACK covers, up to
 * ssthresh, as native's tcp_slow_start() (RFC 3465's L = 2 would leave
 * ktcp's window, and the GSO packets sized by it, behind native's
 * after a stretch ACK); what is left over grows the window as the
 * socket's algorithm has it (cong.c).
 */
static void ktcp_cwnd_grow(struct ktcp_sock *ks, u32 acked_segs)
{
	if (ks->cwnd < ks->ssthresh) {
		u32 cwnd = min3(ks->cwnd + acked_segs, ks->ssthresh,
				(u32)KTCP_CWND_MAX);

		acked_segs -= cwnd - ks->cwnd;
		ks->cwnd = cwnd;
		if (!acked_segs)
			return;
	}
	ks->cong->cong_avoid(ks, acked_segs);
}

/*
 * tcp_check_space(): wake writers only if one of them found the send
 * buffer full (sendmsg() or poll() set SOCK_NOSPACE).  Waking on every
 * ACK would hand an edge-triggered epoll an EPOLLOUT per ACK, where
 * native TCP gives one after EAGAIN and none while there was room.
 */
static void ktcp_check_space(struct sock *sk)
{
	/* Pairs with the barrier in ktcp_poll() after it sets the bit. */
	smp_mb();
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		sk->sk_write_space(sk);
}

/*
 * Free what @ack acknowledges; RTT from the oldest never-resent one.
 * Returns the segments it delivered that no SACK had reported.
 */
static u32 ktcp_clean_acked(struct sock *sk, u32 ack,
			    const struct ktcp_syn_options *opts)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 acked = ack - ks->snd_una, acked_segs = 0, delivered = 0;
	struct sk_buff *skb, *tmp;
	long rtt = -1;

	skb_queue_walk_safe(&sk->sk_write_queue, skb, tmp) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
		bool partly = ktcp_seq_after(cb->end_seq, ack);
		u32 segs = ktcp_skb_segs(ks, skb);

		if (!ktcp_seq_after(ack, cb->seq))
			break;
		if (!cb->retransmitted && rtt < 0)
			rtt = jiffies - cb->sent_jiffies;
		if (!cb->sacked)
			ktcp_rack_advance(ks, cb);
		/*
		 * Partly acknowledged, an skb that went as several segments:
		 * keep the rest only, so that a resend starts at SND.UNA
		 * (tcp_trim_head()); what it no longer holds was delivered.
		 */
		if (partly) {
			ktcp_trim_head(sk, skb, ack - cb->seq);
			segs -= ktcp_skb_segs(ks, skb);
		}
		acked_segs += segs;
		if (!cb->sacked)
			delivered += segs;
		if (partly)
			break;
		__skb_unlink(skb, &sk->sk_write_queue);
		ktcp_wmem_free_skb(sk, skb);
	}
	ks->counts.bytes_acked += acked;
	ks->counts.delivered += acked_segs;
	ks->snd_una = ack;
	/*
	 * RFC 6582's "recover" must not fall 2^31 behind SND.UNA, where it
	 * would read as ahead and bar fast recovery for the next 2 GiB.
	 */
	if (!ks->in_recovery && ktcp_seq_after(ack, ks->recover))
		ks->recover = ack;
	if (ktcp_seq_after(ack, ks->snd_nxt))	/* resending after an RTO */
		ks->snd_nxt = ack;
	if (ktcp_seq_after(ack, ks->highest_sack))
		ks->highest_sack = ack;
	if (ktcp_seq_before(ks->rexmit_next, ack))
		ks->rexmit_next = ack;
	ks->retransmits = 0;
	ks->probes_stamp = 0;	/* the window opened: no probe is pending */
	ks->probe_backoff = 0;
	ktcp_ack_rtt(sk, opts, rtt);
	/*
	 * The window grows by the segments acknowledged whole, as native's
	 * tcp_tso_acked() counts them: a peer that acknowledges a byte at a
	 * time (ACK division) grows it no faster than one that does not.
	 */
	if (ks->in_recovery)
		ktcp_recovery_ack(sk, ack, ktcp_mss_segs(ks, acked));
	else if (acked_segs && ktcp_cwnd_limited(ks))
		/*
		 * The duplicate ACKs before this one told of segments that
		 * left: they grow the window once, not twice (native's
		 * tcp_remove_reno_sacks()).
		 */
		ktcp_cwnd_grow(ks, acked_segs > ks->dup_segs ?
				   acked_segs - ks->dup_segs : 1);
	ks->dupacks = 0;
	ks->dup_segs = 0;
	if (ks->snd_una == ks->snd_max)
		sk_stop_timer(sk, &ks->rtx_timer);
	else if (!ktcp_schedule_loss_probe(sk, true))
		ktcp_reset_rtx_timer(sk);
	return delivered;
}

/* Take in the SACK blocks of an ACK (RFC 2018): segments newly SACKed. */
static u32 ktcp_rcv_sacks(struct sock *sk, const struct ktcp_syn_options *opts)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 newly = 0;
	int i;

	for (i = 0; i < opts->nr_sacks; i++) {
		u32 start = opts->sack_start[i], end = opts->sack_end[i];

		if (!ktcp_sack_block_valid(start, end, ks->snd_una,
					   ks->snd_max))
			continue;
		ktcp_sack_fit(sk, start, end);
		newly += ktcp_sack_mark(&sk->sk_write_queue, start, end, ks);
		if (ktcp_seq_after(end, ks->highest_sack))
			ks->highest_sack = end;
	}
	return newly;
}

/* Fast retransmit, then fast recovery (RFC 5681 3.2, RFC 6582). */
void ktcp_enter_recovery(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 flight;

	/* RFC 6582 4.1: not again for losses of the same window. */
	if (ktcp_seq_before(ks->snd_una, ks->recover))
		return;
	/* RFC 5681 3.2: FlightSize without what Limited Transmit sent. */
	flight = min(ktcp_mss_segs(ks, ks->snd_nxt - ks->snd_una), ks->cwnd);
	ks->ssthresh = ks->cong->ssthresh(ks, flight);
	ks->recover = ks->snd_max;
	ks->in_recovery = true;
	ks->tlp_pending = false;	/* tcp_init_cwnd_reduction() */
	if (ks->rtx_timer_kind == KTCP_TIMER_PROBE)	/* none in recovery */
		ktcp_reset_rtx_timer(sk);
	ks->rexmit_next = ks->snd_una;
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_FAST_RETRANS);
	if (ks->sack_ok) {
		/* The ACK's PRR step sends (ktcp_rcv_ack()). */
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_SACK_RECOVERY);
		ktcp_prr_start(sk);
		return;
	}
	ktcp_retransmit_hole(sk);
	ks->cwnd = ks->ssthresh + 3;
}

/*
 * A duplicate ACK (RFC 5681 2): the third starts fast retransmit and
 * fast recovery; each later one means a segment left the network.
 * Before that, the segments it shows delivered (@newly_sacked with
 * SACK, else one) let as many new ones go (Limited Transmit).  With
 * SACK, a duplicate ACK that reports nothing new (RFC 6675 2's
 * definition) shows none: a receiver that dropped a segment for want
 * of memory sends those, and new data would only meet the same fate.
 */
static void ktcp_dupack(struct sock *sk, u32 newly_sacked)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (ks->dupacks < U8_MAX)
		ks->dupacks++;
	ks->dup_segs += ks->sack_ok ? newly_sacked : 1;
	if (ks->in_recovery) {
		/* NewReno inflates; with SACK, PRR counts (recovery.c). */
		if (!ks->sack_ok)
			ks->cwnd++;
		return;
	}
	if (ks->dupacks >= KTCP_DUPTHRESH)
		ktcp_enter_recovery(sk);
}

/*
 * RFC 6675 5 (b), as native's tcp_time_to_recover() counts SACKed
 * segments as duplicate ACKs: DupThresh segments SACKed above SND.UNA
 * mean the first hole is lost, however few ACKs said so (one ACK whose
 * blocks cover several segments, the ACKs between lost too).  Without
 * it that hole waited for the RTO.
 */
static void ktcp_sack_loss_check(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;
	u32 sacked = 0;

	if (ks->in_recovery || ktcp_seq_before(ks->snd_una, ks->recover))
		return;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_skb_unsent(ks, skb))
			break;
		if (cb->sacked)
			sacked += ktcp_skb_segs(ks, skb);
		/*
		 * Or a segment RACK marked lost in the last recovery and
		 * not resent (tcp_time_to_recover(): lost_out).
		 */
		if (sacked >= KTCP_DUPTHRESH ||
		    (cb->lost && !cb->rexmit_out && !cb->sacked)) {
			ktcp_enter_recovery(sk);
			return;
		}
	}
	/* Fewer SACKed: RACK, with its reordering window. */
	if (ks->rack_advanced && ktcp_rack_detect_loss(sk, sacked))
		ktcp_enter_recovery(sk);
}

static bool ktcp_is_dupack(struct sock *sk, const struct sk_buff *skb,
			   u32 window)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

	return cb->ack_seq == ks->snd_una && ks->snd_una != ks->snd_max &&
	       cb->end_seq == cb->seq && window == ks->snd_wnd;
}

/* Our FIN is acknowledged when everything, FIN included, is. */
static bool ktcp_fin_acked(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	return ks->fin_queued && ks->snd_una == ks->write_seq;
}

/*
 * RFC 7323 4.3: TS.Recent takes the TSval of the segment that starts
 * at the left edge of our window, and only of a segment known to be
 * acceptable: its sequence, and its ACK too (native calls
 * tcp_replace_ts_recent() inside tcp_ack(), after the ACK checks).  A
 * segment dropped or challenged must not move it: a blind injector's
 * TSval far ahead would make PAWS drop every segment of the real peer.
 */
static void ktcp_replace_ts_recent(struct ktcp_sock *ks, u32 seq,
				   const struct ktcp_syn_options *opts)
{
	if (ks->tstamp_ok && opts->tstamp_ok &&
	    ktcp_seq_before_eq(seq, ks->rcv_wup) &&
	    ktcp_paws_ok(opts->tsval, ks->ts_recent, ks->ts_recent_stamp,
			 (u32)ktime_get_seconds(), 0))
		ktcp_store_ts_recent(ks, opts->tsval);
}

/* RFC 9293 3.10.7.4, fifth check: the ACK field. Returns false to drop. */
static bool ktcp_rcv_ack(struct sock *sk, struct sk_buff *skb,
			 const struct ktcp_syn_options *opts)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 window = (u32)cb->window << ks->snd_wscale;
	u32 ack = cb->ack_seq;
	u32 newly_sacked = 0, newly_acked = 0;
	bool una_advanced = false;

	if (!(cb->flags & KTCP_ACK))
		return false;

	if (sk->sk_state == TCP_SYN_RECV) {
		if (ktcp_seq_before_eq(ack, ks->snd_una) ||
		    ktcp_seq_after(ack, ks->snd_nxt)) {
			ktcp_send_reset_reply(sock_net(sk), skb,
					      KTCP_MIB_RST_BAD_ACK);
			return false;
		}
		ks->snd_una = ack;
		ktcp_syn_acked(ks);
		ks->retransmits = 0;
		sk_stop_timer(sk, &ks->rtx_timer);
		if (ktcp_established(sk, KTCP_EV_RCV_ACK_OF_SYN))
			return false;
	}

	if (!ktcp_ack_in_window(ks, ack)) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_OLD_ACKS);
		ktcp_challenge_ack(sk);
		return false;
	}
	ktcp_replace_ts_recent(ks, cb->seq, opts);
	if (ks->sack_ok && opts->nr_sacks)
		newly_sacked = ktcp_rcv_sacks(sk, opts);
	if (ktcp_seq_after(ack, ks->snd_una)) {
		newly_acked = ktcp_clean_acked(sk, ack, opts);
		una_advanced = true;
	} else if (ktcp_is_dupack(sk, skb, window)) {
		ktcp_dupack(sk, newly_sacked);
	}
	if (ks->sack_ok && opts->nr_sacks)
		ktcp_sack_loss_check(sk);
	if (ks->in_recovery && ks->sack_ok)
		ktcp_prr_ack(sk, newly_acked + newly_sacked, una_advanced);
	ktcp_tlp_ack(sk, ack, una_advanced, newly_sacked);

	/* RFC 9293 3.10.7.4: take the window from the newest segment. */
	if (ktcp_seq_before(ks->snd_wl1, cb->seq) ||
	    (ks->snd_wl1 == cb->seq && ktcp_seq_before_eq(ks->snd_wl2, ack))) {
		/* A zero window opens: persist ends (tcp_ack_probe()). */
		if (!ks->snd_wnd && window)
			ktcp_persist_reset(sk);
		ks->snd_wnd = window;
		ks->max_window = max(ks->max_window, ks->snd_wnd);
		ks->snd_wl1 = cb->seq;
		ks->snd_wl2 = ack;
	}

	if (!ktcp_fin_acked(sk))
		return true;
	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		if (ktcp_transition(sk, KTCP_EV_RCV_ACK_OF_FIN))
			return false;
		sk->sk_state_change(sk);
		if (!sock_flag(sk, SOCK_DEAD))
			break;
		/*
		 * An orphan does not wait for the peer's FIN for ever;
		 * with TCP_LINGER2 below 0 not at all: it is done, no
		 * RST, as tcp_rcv_state_process() ends one.
		 */
		if (READ_ONCE(ktcp_sk(sk)->linger2) < 0) {
			ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_DATA);
			ktcp_done(sk, KTCP_EV_ABORT);
			return false;
		}
		ktcp_wait(sk, ktcp_fin_time(sk));
		break;
	case TCP_CLOSING:
		ktcp_enter_time_wait(sk, KTCP_EV_RCV_ACK_OF_FIN);
		return false;
	case TCP_LAST_ACK:
		ktcp_done(sk, KTCP_EV_RCV_ACK_OF_FIN);
		return false;
	}
	return true;
}

enum ktcp_data_verdict {
	KTCP_DATA_NONE,		/* nothing kept: the caller frees the skb */
	KTCP_DATA_IN_ORDER,	/* kept in the receive queue */
	KTCP_DATA_OUT_OF_ORDER,	/* kept in the out-of-order queue */
};

/* Move what the out-of-order queue holds from RCV.NXT on: FIN reached? */
static bool ktcp_ofo_drain(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;
	bool fin = false;

	while ((skb = ktcp_ofo_dequeue(&ks->ofo_queue, ks->rcv_nxt))) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		ks->rcv_nxt += skb->len;
		fin = cb->flags & KTCP_FIN;
		if (skb->len)
			__skb_queue_tail(&sk->sk_receive_queue, skb);
		else
			kfree_skb(skb);
		if (fin)
			break;
	}
	return fin;
}

/*
 * Keep @skb (payload only, its range in the cb) in the out-of-order
 * queue.  Memory is reserved (ktcp_rmem_schedule()); the socket owns
 * the skb once queued, or the bytes it added to the segment before it.
 */
static void ktcp_ofo_queue(struct sock *sk, struct sk_buff *skb)
{
	bool stolen;
	int delta;

	switch (ktcp_ofo_insert(&ktcp_sk(sk)->ofo_queue, skb, &stolen,
				&delta)) {
	case KTCP_OFO_QUEUED:
		skb_set_owner_r(skb, sk);
		break;
	case KTCP_OFO_MERGED:
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_OFO_COALESCE);
		atomic_add(delta, &sk->sk_rmem_alloc);
		sk_mem_charge(sk, delta);
		kfree_skb_partial(skb, stolen);
		break;
	case KTCP_OFO_DUP:
		kfree_skb(skb);
		break;
	}
}

/*
 * The receive buffer is full.  First the unread data is copied out of
 * skbs that hold it more loosely than the window counted on
 * (collapse.c): that is the room the window promised.  Then
 * out-of-order data waits for room; the next in-order segment must
 * not, or a full out-of-order queue would wait for ever for the hole
 * before it: drop that queue (the sender still has it) and, if the
 * reader has nothing to read, take the segment even over the limit.
 *
 * An in-order segment that ends inside the window we offered is taken
 * up to twice SO_RCVBUF: skbs looser than the window's ratio that
 * collapsing cannot tighten (one 1448-byte segment in 2 KB, alone
 * between GSO packets) would otherwise have it drop what it let in,
 * for the sender to resend on its timer.  The window offered next is
 * zero until the reader makes room.
 */
static bool ktcp_make_room(struct sock *sk, bool ahead, u32 end_seq)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);

	if (ktcp_collapse_queue(&sk->sk_receive_queue, ks->copied_seq,
				ks->rcv_ratio, sk) > 0) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_RCV_COLLAPSES);
		sk_mem_reclaim(sk);
		if (atomic_read(&sk->sk_rmem_alloc) <= rcvbuf)
			return true;
	}
	if (ahead)
		return false;
	if (ktcp_seq_before_eq(end_seq, ks->rcv_wup + ks->rcv_wnd) &&
	    atomic_read(&sk->sk_rmem_alloc) <= 2 * rcvbuf)
		return true;
	if (ktcp_prune_ofo(sk) &&
	    atomic_read(&sk->sk_rmem_alloc) <= rcvbuf)
		return true;
	return skb_queue_empty(&sk->sk_receive_queue);
}

/*
 * The seventh check: in-order data goes to the receive queue, data
 * ahead of RCV.NXT (and a FIN there) to the out-of-order queue.
 * *@ofo_fin: a FIN that waited in the out-of-order queue is now next.
 */
static enum ktcp_data_verdict ktcp_rcv_data(struct sock *sk,
					    struct sk_buff *skb,
					    bool *ofo_fin)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 hdr = tcp_hdr(skb)->doff * 4;
	u32 len = skb->len - hdr;
	u32 seq = cb->seq + !!(cb->flags & KTCP_SYN);
	bool ahead = ktcp_seq_after(seq, ks->rcv_nxt);
	u32 ratio;

	if (!len && !(ahead && (cb->flags & KTCP_FIN)))
		return KTCP_DATA_NONE;
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		return KTCP_DATA_NONE;
	/*
	 * New data after our close() (FIN_WAIT1/2, receive side shut):
	 * nobody will read it, so RFC 1122 4.2.2.13 says reset.  As
	 * native's tcp_rcv_state_process(): the RST answers the segment
	 * (tcp_v4_send_reset(): SEG.ACK as its sequence number, no ACK).
	 */
	if (len && (sk->sk_shutdown & RCV_SHUTDOWN) &&
	    ktcp_seq_after(seq + len, ks->rcv_nxt) &&
	    (1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_DATA);
		ktcp_send_reset_reply(sock_net(sk), skb,
				      KTCP_MIB_RST_ABORT_ON_DATA);
		ktcp_reset(sk, KTCP_EV_ABORT);
		return KTCP_DATA_NONE;
	}
	if (!ahead && ktcp_seq_before_eq(seq + len, ks->rcv_nxt)) {
		ktcp_send_ack(sk);	/* all old: a retransmission */
		return KTCP_DATA_NONE;
	}
	if (atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf) &&
	    !ktcp_make_room(sk, ahead, seq + len)) {
		/* Native's names: out of order, or the receive queue's. */
		ktcp_inc_stats(sock_net(sk), ahead ? KTCP_MIB_OFO_DROP :
						     KTCP_MIB_RCV_PRUNED);
		ktcp_send_ack(sk);
		return KTCP_DATA_NONE;
	}
	/* Global memory, net.ktcp.mem (memory.c). */
	if (!ktcp_rmem_schedule(sk, skb, ahead)) {
		ktcp_send_ack(sk);
		return KTCP_DATA_NONE;
	}
	/* Keep only the new bytes, without the header. */
	if (!pskb_pull(skb, hdr + (ahead ? 0 : ks->rcv_nxt - seq)))
		return KTCP_DATA_NONE;
	skb_dst_drop(skb);
	if (ahead) {
		cb->seq = seq;
		cb->end_seq = seq + skb->len + !!(cb->flags & KTCP_FIN);
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_OFO_QUEUE);
		ktcp_ofo_queue(sk, skb);
		/* RFC 5681 4.2: a duplicate ACK at once, with SACK blocks. */
		ktcp_send_ack(sk);
		return KTCP_DATA_OUT_OF_ORDER;
	}
	skb_set_owner_r(skb, sk);
	/*
	 * Never above what collapsing achieves: a window that counted on
	 * tighter skbs than that could let in more than SO_RCVBUF holds
	 * (GSO skbs at 95 % against a collapsed page's 85 %), and what
	 * it let in would be dropped (RcvPruned).
	 */
	ratio = clamp_t(u32, ((u64)skb->len << 8) / skb->truesize, 16,
			KTCP_COLLAPSED_RATIO);
	ks->rcv_ratio = (3 * ks->rcv_ratio + ratio) / 4;
	cb->seq = ks->rcv_nxt;
	ks->rcv_nxt += skb->len;
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	*ofo_fin = !ktcp_ofo_empty(&ks->ofo_queue) && ktcp_ofo_drain(sk);
	return KTCP_DATA_IN_ORDER;
}

static void ktcp_rcv_fin(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	ks->rcv_nxt++;
	ks->counts.bytes_received++;	/* the FIN: native counts it */
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
		/*
		 * CLOSE_WAIT, CLOSING.  Refused only by a ktcp bug (warned):
		 * the FIN is counted in RCV.NXT, acknowledge it all the same.
		 */
		ktcp_transition(sk, KTCP_EV_RCV_FIN);
		break;
	case TCP_FIN_WAIT2:
		ktcp_send_ack(sk);
		ktcp_enter_time_wait(sk, KTCP_EV_RCV_FIN);
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
 * it and restart 2MSL.  A RST is ignored (RFC 1337); a SYN above
 * RCV.NXT starts a new incarnation of the 4-tuple.  A bare segment at
 * RCV.NXT (the peer's ACK of our FIN again) needs no answer; anything
 * else gets our last ACK again, at most one per invalid_ratelimit ms
 * unless it carries data, as native's tcp_timewait_state_process().
 */
static int ktcp_rcv_time_wait(struct sock *sk, struct sk_buff *skb)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 rcv_nxt = ktcp_sk(sk)->rcv_nxt;

	if (cb->flags & KTCP_RST)
		goto drop;
	if (cb->flags & KTCP_SYN && !(cb->flags & KTCP_ACK) &&
	    ktcp_seq_after(cb->seq, rcv_nxt)) {
		ktcp_done(sk, KTCP_EV_RCV_SYN);
		return -EAGAIN;
	}
	if (cb->seq == rcv_nxt && cb->end_seq == cb->seq)
		goto drop;
	if (!ktcp_oow_rate_limited(sk, skb, KTCP_MIB_ACK_SKIPPED_TIME_WAIT))
		ktcp_send_ack(sk);
	if (cb->flags & KTCP_FIN)
		ktcp_wait(sk, ktcp_sysctl(sock_net(sk), tw_timeout));
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
	enum ktcp_data_verdict verdict;
	struct ktcp_syn_options opts;
	bool ofo_fin = false;
	u32 rcv_nxt;

	ktcp_fill_cb(skb);
	if (!ktcp_segment_options(sk, skb, &opts))
		return ktcp_drop_skb(sk, skb, KTCP_DROP_OPTIONS);
	ks->counts.segs_in++;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		ktcp_send_reset_reply(sock_net(sk), skb, KTCP_MIB_RST_NO_SOCKET);
		return ktcp_drop_skb(sk, skb, KTCP_DROP_NO_SOCKET);
	case TCP_SYN_SENT:
		return ktcp_rcv_syn_sent(sk, skb, &opts);
	case TCP_TIME_WAIT:
		return ktcp_rcv_time_wait(sk, skb);
	}

	/*
	 * RFC 7323 5.3: PAWS, an old timestamp marks an old duplicate.  A
	 * pure ACK passed by a later one on the way is no danger and still
	 * carries a window and SACK blocks: take it, as native does.  One
	 * tick back is not old either (native's TCP_PAWS_WINDOW): native
	 * peers do send that, a new segment one millisecond below the last
	 * one taken (stress.sh caught them), and native takes it.
	 */
	if (ks->tstamp_ok && opts.tstamp_ok &&
	    !(cb->flags & KTCP_RST) && cb->end_seq != cb->seq &&
	    !ktcp_paws_ok(opts.tsval, ks->ts_recent, ks->ts_recent_stamp,
			  (u32)ktime_get_seconds(), KTCP_PAWS_WINDOW)) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_PAWS_ESTAB);
		if (!ktcp_oow_rate_limited(sk, skb, KTCP_MIB_ACK_SKIPPED_PAWS))
			ktcp_send_ack(sk);
		return ktcp_drop_skb(sk, skb, KTCP_DROP_PAWS);
	}
	/*
	 * First check: sequence number.  A SYN outside the window draws a
	 * challenge ACK, as one inside it does (RFC 5961 4.2, native).
	 */
	if (!ktcp_seq_acceptable(cb->seq, cb->end_seq - cb->seq, ks->rcv_nxt,
				 ks->rcv_wnd)) {
		if (cb->flags & KTCP_RST)
			return ktcp_drop_skb(sk, skb, KTCP_DROP_SEQUENCE);
		if (cb->flags & KTCP_SYN)
			ktcp_challenge_ack(sk);
		else if (!ktcp_oow_rate_limited(sk, skb,
						KTCP_MIB_ACK_SKIPPED_SEQ))
			ktcp_send_ack(sk);
		return ktcp_drop_skb(sk, skb, KTCP_DROP_SEQUENCE);
	}
	ktcp_reset_keepalive(sk);
	/* Second: RST, RFC 5961 3.2. */
	if (cb->flags & KTCP_RST) {
		switch (ktcp_rst_check(cb->seq, ks->rcv_nxt, ks->rcv_wnd)) {
		case KTCP_RST_ACCEPT:
			ktcp_reset(sk, KTCP_EV_RCV_RST);
			break;
		case KTCP_RST_CHALLENGE:
			ktcp_challenge_ack(sk);
			return ktcp_drop_skb(sk, skb, KTCP_DROP_RST);
		case KTCP_RST_DROP:
			return ktcp_drop_skb(sk, skb, KTCP_DROP_RST);
		}
		goto drop;
	}
	/* Fourth: a SYN in a synchronized state, RFC 5961 4.2. */
	if (cb->flags & KTCP_SYN && sk->sk_state != TCP_SYN_RECV) {
		ktcp_challenge_ack(sk);
		return ktcp_drop_skb(sk, skb, KTCP_DROP_SYN);
	}
	if (!ktcp_rcv_ack(sk, skb, &opts))
		return ktcp_drop_skb(sk, skb, KTCP_DROP_ACK);
	trace_ktcp_probe(sk, skb);

	rcv_nxt = ks->rcv_nxt;
	verdict = ktcp_rcv_data(sk, skb, &ofo_fin);
	if (verdict != KTCP_DATA_NONE) {
		ks->counts.data_segs_in++;
		ks->counts.last_data_recv = jiffies;
		ks->counts.bytes_received += ks->rcv_nxt - rcv_nxt;
	}
	if (ofo_fin ||
	    (verdict != KTCP_DATA_OUT_OF_ORDER && cb->flags & KTCP_FIN &&
	     cb->end_seq - 1 == ks->rcv_nxt &&
	     (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				    TCPF_FIN_WAIT2)))
		ktcp_rcv_fin(sk);
	else if (verdict == KTCP_DATA_IN_ORDER)
		ktcp_send_ack_now_or_later(sk);
	if (verdict == KTCP_DATA_IN_ORDER && !sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	ktcp_write_xmit(sk);
	/*
	 * After sending, as tcp_check_space() follows tcp_data_snd_check():
	 * what went is no longer unsent (TCP_NOTSENT_LOWAT).
	 */
	ktcp_check_space(sk);
	if (verdict != KTCP_DATA_NONE)
		return 0;
drop:
	kfree_skb(skb);
	return 0;
}
