// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery with SACK: which segments are lost, how many are in
 * the network, and how many may go on each ACK, as native recovers.
 *
 * - Lost (RFC 8985 RACK): a segment neither SACKed nor acknowledged
 *   that went out before one that was delivered, and longer ago than
 *   that one's RTT plus a reordering window.  As native's RACK when no
 *   reordering was seen, the window is a quarter of the minimum RTT
 *   before recovery while fewer than DupThresh segments are SACKed, a
 *   timer looking again when it runs out, and none otherwise.  A
 *   retransmission the peer confirms sooner than the minimum RTT was
 *   not what it received (RFC 8985 6.2 step 2): it moves nothing.  A
 *   retransmission sent before a delivered one is lost again, and
 *   goes again.
 * - In flight (RFC 6675 "pipe", native's tcp_packets_in_flight()):
 *   the segments sent and neither SACKed nor lost, and the lost ones
 *   retransmitted since.
 * - Sent per ACK (RFC 6937 PRR, with native's slow-start reduction
 *   bound): the window comes down to ssthresh in proportion to what
 *   is delivered, and, below it, grows back as slow start would; lost
 *   segments go first, then new data.
 *
 * Without SACK, NewReno (RFC 6582) recovers in input.c.  An skb in
 * flight went as ktcp_skb_segs() segments, and counts as that many; a
 * SACK block cuts it at its edges (sack.c), a resend takes one MSS of
 * it (ktcp_xmit_skb()).
 */

#include <linux/ktime.h>
#include <linux/math64.h>

#include "ktcp.h"
#include "prr.h"
#include "seq.h"

/* The microsecond clock of RACK's RTTs, as native's tcp_clock_us(). */
u32 ktcp_clock_us(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/*
 * Did @a go out after @b?  The transmission order is xmit_no, and within
 * one transmission, a GSO packet cut since, the sequence order, as
 * native's tcp_rack_sent_after() breaks a tie of timestamps.
 */
static bool ktcp_rack_sent_after(u32 a_xmit_no, u32 a_end_seq,
				 u32 b_xmit_no, u32 b_end_seq)
{
	return (s32)(a_xmit_no - b_xmit_no) > 0 ||
	       (a_xmit_no == b_xmit_no && ktcp_seq_after(a_end_seq, b_end_seq));
}

/*
 * tcp_rack_advance(): @cb was delivered (SACKed or acknowledged); what
 * went out before it is lost.
 */
void ktcp_rack_advance(struct ktcp_sock *ks, const struct ktcp_skb_cb *cb)
{
	u32 rtt = ktcp_clock_us() - cb->xmit_us;

	/*
	 * The minimum RTT in microseconds, from segments sent once: the
	 * jiffies of TCP_INFO's would call a retransmission acknowledged
	 * within a tick spurious on any path shorter than one.
	 */
	if (!cb->retransmitted) {
		if (!ks->rack_min_rtt_us || rtt < ks->rack_min_rtt_us)
			ks->rack_min_rtt_us = max(rtt, 1U);
	} else if (rtt < ks->rack_min_rtt_us) {
		return;
	}
	if (!ks->rack_valid ||
	    ktcp_rack_sent_after(cb->xmit_no, cb->end_seq, ks->rack_xmit_no,
				 ks->rack_end_seq)) {
		ks->rack_xmit_no = cb->xmit_no;
		ks->rack_end_seq = cb->end_seq;
		ks->rack_rtt_us = rtt;
		ks->rack_valid = true;
		ks->rack_advanced = true;
	}
}

/*
 * tcp_rack_reo_wnd() without reordering seen: none in recovery or once
 * DupThresh segments are SACKed, else a quarter of the minimum RTT, at
 * most the smoothed RTT.
 */
static u32 ktcp_rack_reo_wnd(const struct ktcp_sock *ks, u32 sacked)
{
	if (ks->in_recovery || sacked >= KTCP_DUPTHRESH)
		return 0;
	return min(ks->rack_min_rtt_us / 4, jiffies_to_usecs(ks->srtt >> 3));
}

/*
 * Mark what RACK says is lost, with a reordering window of @reo_wnd
 * microseconds, and count what is in flight (ks->pipe).  *@wait_us
 * gets the longest a segment sent before the delivered one has left
 * of its window.  Returns the segments newly marked lost.
 */
static u32 ktcp_mark_lost(struct sock *sk, u32 reo_wnd, u32 *wait_us)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 newly = 0, now = ktcp_clock_us();
	struct sk_buff *skb;

	*wait_us = 0;
	ks->pipe = 0;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ktcp_skb_unsent(ks, skb))
			break;
		if (cb->sacked)
			continue;
		if (ks->rack_valid &&
		    ktcp_rack_sent_after(ks->rack_xmit_no, ks->rack_end_seq,
					 cb->xmit_no, cb->end_seq) &&
		    (!cb->lost || cb->rexmit_out)) {
			s32 left = ks->rack_rtt_us + reo_wnd - (now - cb->xmit_us);

			if (left <= 0) {
				cb->lost = 1;
				cb->rexmit_out = 0;
				newly += ktcp_skb_segs(ks, skb);
			} else {
				*wait_us = max_t(u32, *wait_us, left);
			}
		}
		if (!cb->lost || cb->rexmit_out)
			ks->pipe += ktcp_skb_segs(ks, skb);
	}
	return newly;
}

/* The segments SACKed above SND.UNA (ktcp_rack_detect_loss()'s @sacked). */
static u32 ktcp_sacked_segs(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;
	u32 sacked = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (ktcp_skb_unsent(ks, skb))
			break;
		if (KTCP_SKB_CB(skb)->sacked)
			sacked += ktcp_skb_segs(ks, skb);
	}
	return sacked;
}

/**
 * ktcp_rack_detect_loss() - RACK before recovery
 * @sk: the socket, not in recovery
 * @sacked: the segments SACKed above SND.UNA
 *
 * tcp_rack_mark_lost(): what went before the delivered segment and is
 * past its reordering window is lost; what is not yet gets the
 * reordering timer, so that a hole with one SACK above it is resent a
 * quarter of an RTT later, not after the RTO.
 *
 * Return: whether a segment is newly lost (recovery is to begin).
 */
bool ktcp_rack_detect_loss(struct sock *sk, u32 sacked)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 wait_us;

	ks->rack_advanced = false;
	if (ktcp_mark_lost(sk, ktcp_rack_reo_wnd(ks, sacked), &wait_us))
		return true;
	if (wait_us)
		ktcp_schedule_reorder(sk, wait_us);
	return false;
}

/**
 * ktcp_rack_reorder_timeout() - RACK's reordering window ran out
 * @sk: the socket, data in flight
 *
 * tcp_rack_reo_timeout(): mark what is lost now; if anything is,
 * recovery begins and PRR sends as for one segment delivered, as
 * native's tcp_cwnd_reduction(sk, 1, ...) does.  Then the RTO, from the
 * oldest segment out.
 */
void ktcp_rack_reorder_timeout(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (!ks->in_recovery && ks->sack_ok &&
	    ktcp_rack_detect_loss(sk, ktcp_sacked_segs(sk))) {
		ktcp_enter_recovery(sk);
		if (ks->in_recovery)
			ktcp_prr_ack(sk, 1, false);
		ktcp_write_xmit(sk);
	}
	if (ks->rtx_timer_kind != KTCP_TIMER_REORDER)
		ktcp_rearm_rto(sk);
}

/*
 * Fast retransmit begins: PRR counts from here (RFC 6937 3).  The
 * segment at SND.UNA, its first MSS cut off, is lost whatever RACK
 * says (tcp_mark_head_lost()):
 * duplicate ACKs that SACK nothing new, from a peer short of memory or
 * behind a box that strips options, still make a fast retransmit.
 */
void ktcp_prr_start(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	ks->prior_cwnd = max(ks->cwnd, 1U);
	ks->prr_delivered = 0;
	ks->prr_out = 0;
	if (head && !ktcp_skb_unsent(ks, head) && !KTCP_SKB_CB(head)->sacked &&
	    (head->len <= ks->mss || !ktcp_split(sk, head, ks->mss))) {
		KTCP_SKB_CB(head)->lost = 1;
		KTCP_SKB_CB(head)->rexmit_out = 0;
	}
}

/* Segments sent in recovery: in flight, and out of PRR's allowance. */
void ktcp_prr_sent(struct ktcp_sock *ks, u32 segs)
{
	ks->pipe += segs;
	ks->prr_out += segs;
}

/*
 * Resend the lost segments the window has room for, oldest first, one
 * MSS each (ktcp_xmit_skb() cuts the rest off, lost too, for the next
 * turn of the walk).
 */
static void ktcp_retransmit_lost(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (ks->pipe >= ks->cwnd || ktcp_skb_unsent(ks, skb))
			break;
		if (cb->sacked || !cb->lost || cb->rexmit_out)
			continue;
		if (ktcp_xmit_skb(sk, skb, KTCP_RTX_SACK_HOLE))
			break;
		cb->rexmit_out = 1;
		ktcp_prr_sent(ks, 1);
	}
}

/**
 * ktcp_prr_ack() - an ACK in SACK recovery
 * @sk: the socket, in recovery with SACK
 * @delivered: segments this ACK newly acknowledged or SACKed
 * @una_advanced: whether it moved SND.UNA
 *
 * tcp_cwnd_reduction(): cwnd becomes what is in flight plus what may go
 * now; the lost segments that fit go at once, new data after them
 * (the caller's ktcp_write_xmit(), by ktcp_cwnd_bytes()).
 */
void ktcp_prr_ack(struct sock *sk, u32 delivered, bool una_advanced)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 newly_lost = 0, wait_us;

	/*
	 * Only a delivery moves RACK's marks, and ktcp_prr_sent() counts
	 * what goes: an ACK that tells nothing new (a flood of them) costs
	 * no walk of the queue, bar the one that begins recovery.  No
	 * reordering window in recovery.
	 */
	if (delivered || !ks->prr_out)
		newly_lost = ktcp_mark_lost(sk, 0, &wait_us);
	if (delivered) {
		ks->prr_delivered += delivered;
		ks->cwnd = ks->pipe +
			   ktcp_prr_sndcnt(ks->ssthresh, ks->pipe,
					   ks->prior_cwnd, ks->prr_delivered,
					   ks->prr_out, delivered,
					   una_advanced && !newly_lost);
	}
	ktcp_retransmit_lost(sk);
}

/*
 * A retransmission timeout: the scoreboard starts over.  SACK marks may
 * be reneged (RFC 2018 8), and everything is resent from SND.UNA.
 */
void ktcp_clear_scoreboard(struct sock *sk)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		KTCP_SKB_CB(skb)->sacked = 0;
		KTCP_SKB_CB(skb)->lost = 0;
		KTCP_SKB_CB(skb)->rexmit_out = 0;
	}
}

/* The last segment sent: what a tail loss probe resends. */
static struct sk_buff *ktcp_last_sent(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb, *last = NULL;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (ktcp_skb_unsent(ks, skb))
			break;
		last = skb;
	}
	return last;
}

/**
 * ktcp_send_loss_probe() - the probe timeout fired (RFC 8985 7.3)
 * @sk: the socket, data in flight
 *
 * As tcp_send_loss_probe(): one new segment if the peer's window takes
 * it, else the last segment sent again (the last MSS of the last skb,
 * cut off); one probe until its episode ends (ktcp_tlp_ack()).  The
 * RTO follows from now.
 */
void ktcp_send_loss_probe(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 nxt = ks->snd_nxt;
	struct sk_buff *skb;

	if (ks->tlp_pending || ks->in_recovery)
		goto rearm;
	ktcp_write_xmit_probe(sk);
	if (ks->snd_nxt != nxt) {
		ks->tlp_retrans = false;
		goto sent;
	}
	skb = ktcp_last_sent(sk);
	if (!skb || KTCP_SKB_CB(skb)->sacked)
		goto rearm;
	if (skb->len > ks->mss) {
		if (ktcp_split(sk, skb,
			       (ktcp_skb_segs(ks, skb) - 1) * ks->mss))
			goto rearm;
		skb = skb_queue_next(&sk->sk_write_queue, skb);
	}
	if (ktcp_xmit_skb(sk, skb, KTCP_RTX_PROBE))
		goto rearm;
	ks->tlp_retrans = true;
sent:
	ks->tlp_pending = true;
	ks->tlp_high_seq = ks->snd_nxt;
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_LOSS_PROBES);
rearm:
	ktcp_reset_rtx_timer(sk);
}

/**
 * ktcp_tlp_ack() - what an ACK says of the loss probe out
 * @sk: the socket
 * @ack: its cumulative ACK
 * @una_advanced: whether it moved SND.UNA
 * @sacked: whether it SACKed anything new
 *
 * tcp_process_tlp_ack(): an ACK past the probe of a retransmission
 * means the probe repaired a loss: the window comes down as after a
 * loss (RFC 8985 7.4.2); a probe of new data, or a pure duplicate ACK
 * (both copies arrived), ends the episode without that.
 */
void ktcp_tlp_ack(struct sock *sk, u32 ack, bool una_advanced, bool sacked)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (!ks->tlp_pending || ktcp_seq_before(ack, ks->tlp_high_seq))
		return;
	if (!ks->tlp_retrans) {
		ks->tlp_pending = false;
	} else if (ktcp_seq_after(ack, ks->tlp_high_seq)) {
		ks->tlp_pending = false;
		ks->ssthresh = ks->cong->ssthresh(ks, ks->cwnd);
		ks->cwnd = ks->ssthresh;
		ks->cwnd_cnt = 0;
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_LOSS_PROBE_RECOVERY);
	} else if (!una_advanced && !sacked) {
		ks->tlp_pending = false;
	}
}
