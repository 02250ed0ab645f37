// SPDX-License-Identifier: GPL-2.0
/*
 * Timers: retransmission of SYN, data and FIN with RFC 6298's RTO and
 * exponential backoff, the persist probe of a zero window, and the
 * waits of FIN_WAIT_2 and TIME_WAIT.  Armed with sk_reset_timer(), so a
 * pending timer holds a socket reference; a timer that fires while a
 * process owns the socket leaves its work to release_sock().
 */

#include <net/tcp_states.h>

#include "ktcp.h"
#include "rtt.h"
#include "seq.h"

#define KTCP_RTO_INIT	HZ

/*
 * Take a timer's deferred work off @sk, and the hold ktcp_timer_run()
 * took for it: true if it was there.
 */
static bool ktcp_take_deferred(struct sock *sk, int bit)
{
	if (!test_and_clear_bit(bit, &ktcp_sk(sk)->deferred))
		return false;
	/* The caller holds @sk (release_sock()'s, ktcp_done()'s). */
	__sock_put(sk);
	return true;
}

void ktcp_rtt_sample(struct sock *sk, u32 rtt)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 rto_min = msecs_to_jiffies(ktcp_sysctl(sock_net(sk), rto_min_ms));

	ks->rto = ktcp_rtt_update(&ks->srtt, &ks->rttvar, rtt, rto_min,
				  KTCP_RTO_MAX);
	ks->counts.min_rtt = min(ks->counts.min_rtt, jiffies_to_usecs(rtt));
}

void ktcp_reset_rtx_timer(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	ks->rtx_timer_kind = KTCP_TIMER_RTO;
	sk_reset_timer(sk, &ks->rtx_timer, jiffies + ks->rto);
}

/* Give up on the connection: the peer is gone. */
static void ktcp_timeout_abort(struct sock *sk)
{
	if (sk->sk_state == TCP_SYN_SENT)
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ATTEMPT_FAILS);
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_TIMEOUT);
	WRITE_ONCE(sk->sk_err, READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT);
	ktcp_done(sk, KTCP_EV_TIMEOUT);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/*
 * RFC 5681 3.1 and RFC 6298 5.4-5.6: a timeout halves the threshold,
 * shrinks the congestion window to one segment and resends from
 * SND.UNA.  SACK marks may be reneged (RFC 2018 8): forget them.
 */
static void ktcp_enter_loss(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 flight = ktcp_mss_segs(ks, ks->snd_nxt - ks->snd_una);

	/*
	 * Once an episode, as tcp_enter_loss(): after the first RTO,
	 * SND.NXT is back at SND.UNA and the flight says nothing.
	 */
	if (ks->retransmits <= 1) {
		ks->ssthresh = ks->cong->ssthresh(ks, flight);
		if (ks->cong->loss)
			ks->cong->loss(ks);
	}
	ks->cwnd = 1;
	ks->cwnd_cnt = 0;
	ks->dupacks = 0;
	ks->dup_segs = 0;
	ks->in_recovery = false;
	ks->tlp_pending = false;
	ks->recover = ks->snd_max;
	ks->highest_sack = ks->snd_una;
	ktcp_clear_scoreboard(sk);
	ks->snd_nxt = ks->snd_una;
	ktcp_write_xmit(sk);
}

/*
 * When the oldest unacknowledged data (or the SYN) first left: what
 * TCP_USER_TIMEOUT counts from, as native's retrans_stamp.
 */
static u32 ktcp_oldest_unacked_stamp(struct sock *sk)
{
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (head && !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
		return KTCP_SKB_CB(head)->sent_jiffies;
	return ktcp_jiffies32() - ktcp_sk(sk)->rto;
}

/**
 * ktcp_schedule_loss_probe() - arm the tail loss probe's timeout
 * @sk: the socket, data in flight
 * @advancing_rto: an ACK moved SND.UNA: the RTO would start over
 *
 * RFC 8985 7.2, as tcp_schedule_loss_probe(): with SACK and no loss
 * being repaired, the retransmission timer first fires at two SRTTs
 * (plus the peer's delayed ACK when one segment is out), never later
 * than the RTO would.  ktcp_send_loss_probe() then sends a segment
 * whose ACK or SACK shows a tail loss, instead of waiting the RTO.
 *
 * Return: true if it was armed (else the caller arms the RTO).
 */
bool ktcp_schedule_loss_probe(struct sock *sk, bool advancing_rto)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	unsigned long timeout;
	s32 rto_left;

	if (!ks->sack_ok || ks->in_recovery || ks->snd_una == ks->snd_max ||
	    ktcp_seq_before(ks->snd_una, ks->recover) ||
	    (ks->rtx_timer_kind == KTCP_TIMER_REORDER &&
	     timer_pending(&ks->rtx_timer)) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING |
				     TCPF_LAST_ACK)))
		return false;
	if (ks->srtt) {
		timeout = ks->srtt >> 2;	/* srtt is << 3: two SRTTs */
		if (ks->snd_max - ks->snd_una <= ks->mss)
			timeout += msecs_to_jiffies(200);	/* TCP_RTO_MIN */
		else
			timeout += 2;			/* TCP_TIMEOUT_MIN */
	} else {
		timeout = KTCP_RTO_INIT;
	}
	rto_left = advancing_rto ? (s32)ks->rto :
		   ktcp_timeout_left(ktcp_jiffies32(),
				     ktcp_oldest_unacked_stamp(sk), ks->rto);
	if (rto_left > 0)
		timeout = min_t(unsigned long, timeout, rto_left);
	ks->rtx_timer_kind = KTCP_TIMER_PROBE;
	sk_reset_timer(sk, &ks->rtx_timer, jiffies + max(timeout, 1UL));
	return true;
}

/**
 * ktcp_schedule_reorder() - arm RACK's reordering timeout
 * @sk: the socket, a segment not yet deemed lost behind a delivered one
 * @timeout_us: when the last of them runs out of its reordering window
 *
 * As tcp_rack_mark_lost(): two ticks more, so that the segment is
 * surely late when the timer looks again (ktcp_rack_reorder_timeout());
 * never later than the RTO.
 */
void ktcp_schedule_reorder(struct sock *sk, u32 timeout_us)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	unsigned long timeout = usecs_to_jiffies(timeout_us) + 2;

	ks->rtx_timer_kind = KTCP_TIMER_REORDER;
	sk_reset_timer(sk, &ks->rtx_timer,
		       jiffies + min_t(unsigned long, timeout, ks->rto));
}

/*
 * The RTO again after a probe or reordering timeout, counted from the
 * oldest segment in flight as tcp_rearm_rto() does, not from now.
 */
void ktcp_rearm_rto(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	s32 left = ktcp_timeout_left(ktcp_jiffies32(),
				     ktcp_oldest_unacked_stamp(sk), ks->rto);

	ks->rtx_timer_kind = KTCP_TIMER_RTO;
	sk_reset_timer(sk, &ks->rtx_timer, jiffies + max(left, 1));
}

/* What is left of TCP_USER_TIMEOUT counted from @stamp (jiffies32). */
static s32 ktcp_user_timeout_left(const struct ktcp_sock *ks, u32 stamp)
{
	return ktcp_timeout_left(ktcp_jiffies32(), stamp,
				 msecs_to_jiffies(ks->user_timeout));
}

static bool ktcp_user_timeout_passed(const struct ktcp_sock *ks, u32 stamp)
{
	return ktcp_user_timeout_left(ks, stamp) <= 0;
}

/*
 * A timeout of @when, but no later than the moment TCP_USER_TIMEOUT,
 * counted from @stamp, runs out; at least one tick.  Native's
 * tcp_clamp_rto_to_user_timeout() and tcp_clamp_probe0_to_user_timeout().
 */
static unsigned long ktcp_clamp_to_user_timeout(const struct ktcp_sock *ks,
						u32 stamp, unsigned long when)
{
	s32 left;

	if (!ks->user_timeout)
		return when;
	left = ktcp_user_timeout_left(ks, stamp);
	if (left <= 0)
		return 1;
	return min_t(unsigned long, when, left);
}

/*
 * Give up after @limit timeouts, or, with TCP_USER_TIMEOUT, once data
 * stayed unacknowledged that long, whatever the count (RFC 5482).  The
 * first timeout never gives up, as in native (retransmits_timed_out()),
 * not even with a @limit of 0: an orphan's once its RTO reached
 * KTCP_RTO_MAX.
 */
static bool ktcp_retries_exhausted(struct sock *sk, int limit)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (!ks->retransmits)
		return false;
	if (!ks->user_timeout)
		return ks->retransmits >= limit;
	return ktcp_user_timeout_passed(ks, ks->rtx_stamp);
}

/*
 * An orphan has nobody to report to: it gives up sooner than a socket
 * that a process holds, after orphan_retries (native's
 * tcp_orphan_retries()).  0 means 8 while the socket's timeout is
 * still below KTCP_RTO_MAX (@alive), and 0 once it reached it: an
 * orphan whose peer keeps it waiting that long is not kept.
 */
static int ktcp_orphan_retries(struct sock *sk, bool alive)
{
	int retries = ktcp_sysctl(sock_net(sk), orphan_retries);

	/* An ICMP error said something is wrong. */
	if (READ_ONCE(sk->sk_err_soft) && !alive)
		retries = 0;
	if (!retries && alive)
		retries = 8;
	return retries;
}

/* The persist timeout: the RTO doubled per probe, as tcp_probe0_when(). */
static unsigned long ktcp_probe_when(const struct ktcp_sock *ks)
{
	return ktcp_backoff(ks->rto, ks->probe_backoff, KTCP_RTO_MAX);
}

/*
 * An orphan in persist when ktcp keeps too many orphans or is out of
 * memory: reset it, as native's tcp_out_of_resources() does on every
 * probe (the window is closed, so the peer is told).  Were it checked
 * at close() only, a closed socket whose peer answers every probe
 * would outlive a limit lowered, or memory used up, after its close().
 */
static bool ktcp_orphan_out_of_resources(struct sock *sk)
{
	if (!ktcp_too_many_orphans(sk))
		return false;
	net_info_ratelimited("too many orphaned sockets\n");
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_MEMORY);
	ktcp_send_rst(sk, KTCP_MIB_RST_ABORT_ON_MEMORY);
	ktcp_done(sk, KTCP_EV_ABORT);
	return true;
}

/*
 * Zero-window probes (native's tcp_probe_timer()).  RFC 1122 4.2.2.17
 * keeps the connection open for as long as the peer answers them, and
 * any segment from it resets probes_out (ktcp_reset_keepalive()).  A
 * peer that went silent behind a zero window is given up on after
 * retries2 unanswered probes (orphan_retries once closed), or with
 * TCP_USER_TIMEOUT once the first probe is that old, answered or not:
 * else it would hold the socket, its buffers and its namespace for ever.
 * An orphan is not kept even by a peer that answers: once its probe
 * interval reached KTCP_RTO_MAX it has orphan_retries such intervals
 * (probe_backoff, which answers do not reset, only an open window),
 * and it goes at once when ktcp is out of orphans or memory.
 */
static void ktcp_probe_timer(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);
	int max_probes = ktcp_sysctl(net, retries2);

	if (!ks->probes_stamp) {
		ks->probes_stamp = ktcp_jiffies32() ?: 1;	/* 0 means none */
	} else if (ks->user_timeout &&
		   ktcp_user_timeout_passed(ks, ks->probes_stamp)) {
		ktcp_timeout_abort(sk);
		return;
	}
	if (sock_flag(sk, SOCK_DEAD)) {
		bool alive = ktcp_probe_when(ks) < KTCP_RTO_MAX;

		max_probes = ktcp_orphan_retries(sk, alive);
		if (!alive && ks->probe_backoff >= max_probes) {
			ktcp_timeout_abort(sk);
			return;
		}
		if (ktcp_orphan_out_of_resources(sk))
			return;
	}
	if (ks->probes_out >= max_probes) {
		ktcp_timeout_abort(sk);
		return;
	}
	ktcp_inc_stats(net, KTCP_MIB_PERSIST_PROBES);
	ktcp_send_probe(sk);
	if (ks->probes_out < U8_MAX)
		ks->probes_out++;
	if (ks->probe_backoff < ktcp_sysctl(net, retries2))
		ks->probe_backoff++;
	ks->rtx_timer_kind = KTCP_TIMER_RTO;
	sk_reset_timer(sk, &ks->rtx_timer, jiffies +
		       ktcp_clamp_to_user_timeout(ks, ks->probes_stamp,
						  ktcp_probe_when(ks)));
}

/**
 * ktcp_persist_reset() - the window opened: persist is over
 * @sk: the socket, locked
 *
 * As native's tcp_ack_probe(): persist's stamp and backoff start
 * afresh (any segment already cleared probes_out), and a pending
 * persist timeout, which may be up to KTCP_RTO_MAX away, goes, so that
 * the data the open window lets out is timed by the RTO
 * (ktcp_write_xmit() arms it) and not by the last probe's backoff.
 * The RTO itself never took the probes' backoff.
 */
void ktcp_persist_reset(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	ks->probes_stamp = 0;
	ks->probe_backoff = 0;
	if (ks->snd_una == ks->snd_max) {
		sk_stop_timer(sk, &ks->rtx_timer);
		/* Nor may a probe left to release_sock() run. */
		ktcp_take_deferred(sk, KTCP_DEFER_RTX);
	}
}

static void ktcp_rtx_work(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);
	int limit = ktcp_sysctl(net, retries2);

	if (sk->sk_state == TCP_LISTEN) {
		ktcp_synack_work(sk);
		return;
	}
	if (sock_flag(sk, SOCK_DEAD))
		limit = min(limit,
			    ktcp_orphan_retries(sk, ks->rto < KTCP_RTO_MAX));
	if (sk->sk_state == TCP_SYN_SENT)
		limit = ktcp_sysctl(net, syn_retries);
	else if (sk->sk_state == TCP_SYN_RECV)
		limit = ktcp_sysctl(net, synack_retries);
	else if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
					  TCPF_FIN_WAIT1 | TCPF_CLOSING |
					  TCPF_LAST_ACK)))
		return;

	if (ks->rtx_timer_kind != KTCP_TIMER_RTO) {
		u8 kind = ks->rtx_timer_kind;

		ks->rtx_timer_kind = KTCP_TIMER_RTO;
		if (ks->snd_una != ks->snd_max) {
			if (kind == KTCP_TIMER_PROBE)
				ktcp_send_loss_probe(sk);
			else
				ktcp_rack_reorder_timeout(sk);
			return;
		}
	}
	if (ks->snd_una == ks->snd_max &&
	    !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))) {
		if (skb_queue_empty(&sk->sk_write_queue))
			return;
		if (ktcp_push_held(sk))
			return;
		/* Persist: the window is zero, probe it until it opens. */
		ktcp_probe_timer(sk);
		return;
	}

	/* Data in flight: the window opened. */
	ks->probes_stamp = 0;
	ks->probe_backoff = 0;
	if (!ks->retransmits)
		ks->rtx_stamp = ktcp_oldest_unacked_stamp(sk);
	if (ktcp_retries_exhausted(sk, limit)) {
		ktcp_timeout_abort(sk);
		return;
	}
	ktcp_inc_stats(net, KTCP_MIB_TIMEOUTS);
	ks->retransmits++;
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		ktcp_retransmit_syn(sk);
	else
		ktcp_enter_loss(sk);
	ks->rto = ktcp_backoff(ks->rto, 1, KTCP_RTO_MAX);
	/* TCP_USER_TIMEOUT: no later than the moment it runs out. */
	ks->rtx_timer_kind = KTCP_TIMER_RTO;
	sk_reset_timer(sk, &ks->rtx_timer, jiffies +
		       ktcp_clamp_to_user_timeout(ks, ks->rtx_stamp, ks->rto));
}

static void ktcp_wait_work(struct sock *sk)
{
	if ((1 << sk->sk_state) & (TCPF_TIME_WAIT | TCPF_FIN_WAIT2))
		ktcp_done(sk, KTCP_EV_TIMEOUT);
}

static void ktcp_delack_work(struct sock *sk)
{
	if (ktcp_sk(sk)->ack_pending &&
	    (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				   TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT)) {
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_DELAYED_ACKS);
		ktcp_send_ack(sk);
	}
}

static int ktcp_keepalive_time(const struct ktcp_sock *ks)
{
	return ks->keepalive_time ?:
	       ktcp_sysctl(sock_net(&ks->inet.sk), keepalive_time);
}

/*
 * RFC 1122 4.2.3.6: after keepalive_time idle seconds, probe every
 * keepalive_intvl; keepalive_probes unanswered probes kill the
 * connection with ETIMEDOUT and a RST, as native does.  Data in flight
 * is the retransmission timer's business, not ours.
 */
static void ktcp_keepalive_work(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);
	u32 idle_limit = ktcp_keepalive_time(ks) * HZ;
	u32 intvl = (ks->keepalive_intvl ?:
		     ktcp_sysctl(net, keepalive_intvl)) * HZ;
	int probes = ks->keepalive_probes ?: ktcp_sysctl(net, keepalive_probes);
	u32 idle = jiffies - ks->rcv_tstamp;
	u32 next;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT2)))
		return;
	if (ks->snd_max != ks->snd_una ||
	    !skb_queue_empty(&sk->sk_write_queue)) {
		next = idle_limit;
	} else if (idle >= idle_limit) {
		/* TCP_USER_TIMEOUT, if set, replaces the probe count. */
		if (ks->user_timeout ?
		    ks->probes_out &&
		    idle >= msecs_to_jiffies(ks->user_timeout) :
		    ks->probes_out >= probes) {
			ktcp_send_rst(sk, KTCP_MIB_RST_TIMEOUT);
			ktcp_timeout_abort(sk);
			return;
		}
		ktcp_inc_stats(net, KTCP_MIB_KEEPALIVE_PROBES);
		ktcp_send_probe(sk);
		ks->probes_out++;
		next = intvl;
	} else {
		next = idle_limit - idle;
	}
	sk_reset_timer(sk, &ks->keepalive_timer, jiffies + next);
}

/*
 * Run @work now, or leave it to release_sock() if a process owns @sk.
 * Left, it holds the socket until then, as native's tcp_write_timer()
 * does: sk_reset_timer() takes its reference after mod_timer(), so a
 * timer armed by the owner for a jiffy can fire before that hold, and
 * this callback's put would otherwise free a socket the process is
 * still using (a use-after-free KASAN caught under netem, 2026-12-04).
 */
static void ktcp_timer_run(struct ktcp_sock *ks, int defer_bit,
			   void (*work)(struct sock *sk))
{
	struct sock *sk = &ks->inet.sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		work(sk);
	else if (!test_and_set_bit(defer_bit, &ks->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);	/* the reference sk_reset_timer() took */
}

static void ktcp_rtx_timer_fn(struct timer_list *t)
{
	struct ktcp_sock *ks = from_timer(ks, t, rtx_timer);

	ktcp_timer_run(ks, KTCP_DEFER_RTX, ktcp_rtx_work);
}

static void ktcp_wait_timer_fn(struct timer_list *t)
{
	struct ktcp_sock *ks = from_timer(ks, t, wait_timer);

	ktcp_timer_run(ks, KTCP_DEFER_WAIT, ktcp_wait_work);
}

static void ktcp_delack_timer_fn(struct timer_list *t)
{
	struct ktcp_sock *ks = from_timer(ks, t, delack_timer);

	ktcp_timer_run(ks, KTCP_DEFER_DELACK, ktcp_delack_work);
}

static void ktcp_keepalive_timer_fn(struct timer_list *t)
{
	struct ktcp_sock *ks = from_timer(ks, t, keepalive_timer);

	ktcp_timer_run(ks, KTCP_DEFER_KEEPALIVE, ktcp_keepalive_work);
}

void ktcp_schedule_delack(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	ks->ack_pending = true;
	if (!timer_pending(&ks->delack_timer))
		sk_reset_timer(sk, &ks->delack_timer, jiffies + KTCP_DELACK);
}

/* Restart the idle count: called when a segment arrives. */
void ktcp_reset_keepalive(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	ks->rcv_tstamp = jiffies;
	ks->probes_out = 0;
}

/* proto.keepalive: SO_KEEPALIVE, and TCP_KEEPIDLE while it is on. */
void ktcp_set_keepalive(struct sock *sk, int on)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (!on) {
		sk_stop_timer(sk, &ks->keepalive_timer);
		return;
	}
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	sk_reset_timer(sk, &ks->keepalive_timer,
		       jiffies + ktcp_keepalive_time(ks) * HZ);
}

/* proto.release_cb: the timer work that found the socket owned. */
void ktcp_run_deferred(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	/*
	 * An expiry that found the socket owned is moot if what ran since
	 * (the backlog's ACKs) armed the timer again, as native's
	 * tcp_write_timer_handler() finds icsk_timeout ahead.
	 */
	if (ktcp_take_deferred(sk, KTCP_DEFER_RTX) &&
	    !timer_pending(&ks->rtx_timer))
		ktcp_rtx_work(sk);
	if (ktcp_take_deferred(sk, KTCP_DEFER_WAIT))
		ktcp_wait_work(sk);
	if (ktcp_take_deferred(sk, KTCP_DEFER_DELACK))
		ktcp_delack_work(sk);
	if (ktcp_take_deferred(sk, KTCP_DEFER_KEEPALIVE))
		ktcp_keepalive_work(sk);
	if (test_and_clear_bit(KTCP_DEFER_MTU, &ks->deferred))
		ktcp_mtu_reduced(sk);
	if (test_and_clear_bit(KTCP_DEFER_ICMP_ERR, &ks->deferred))
		ktcp_icmp_deferred_err(sk);
}

void ktcp_init_timers(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	timer_setup(&ks->rtx_timer, ktcp_rtx_timer_fn, 0);
	timer_setup(&ks->wait_timer, ktcp_wait_timer_fn, 0);
	timer_setup(&ks->delack_timer, ktcp_delack_timer_fn, 0);
	timer_setup(&ks->keepalive_timer, ktcp_keepalive_timer_fn, 0);
	ks->rto = KTCP_RTO_INIT;
}

void ktcp_clear_timers(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	int bit;

	sk_stop_timer(sk, &ks->rtx_timer);
	sk_stop_timer(sk, &ks->wait_timer);
	sk_stop_timer(sk, &ks->delack_timer);
	sk_stop_timer(sk, &ks->keepalive_timer);
	for (bit = 0; bit <= KTCP_DEFER_TIMER_LAST; bit++)
		ktcp_take_deferred(sk, bit);
	for (; bit <= KTCP_DEFER_LAST; bit++)
		clear_bit(bit, &ks->deferred);
}

/* How long an orphan waits in FIN_WAIT2: TCP_LINGER2, or fin_timeout. */
unsigned int ktcp_fin_time(const struct sock *sk)
{
	int linger2 = READ_ONCE(ktcp_sk(sk)->linger2);

	return linger2 > 0 ? linger2 : ktcp_sysctl(sock_net(sk), fin_timeout);
}

/*
 * Wait in TIME_WAIT or an orphan's FIN_WAIT_2, the state @sk is in, for
 * @timeout_s seconds from now (a FIN again in TIME_WAIT restarts 2MSL).
 */
void ktcp_wait(struct sock *sk, unsigned int timeout_s)
{
	sk_stop_timer(sk, &ktcp_sk(sk)->rtx_timer);
	sk_reset_timer(sk, &ktcp_sk(sk)->wait_timer,
		       jiffies + max_t(unsigned int, timeout_s, 1) * HZ);
}

/*
 * @ev (FIN_WAIT_2 + FIN, CLOSING + the ACK of our FIN) takes @sk to
 * TIME_WAIT for tw_timeout; or, if net.ktcp.max_tw_buckets sockets are
 * in TIME_WAIT already, closes it at once, as native does when it has
 * no timewait socket to give.
 */
void ktcp_enter_time_wait(struct sock *sk, enum ktcp_event ev)
{
	if (!ktcp_tw_allowed(sk)) {
		ktcp_done(sk, KTCP_EV_ABORT);
		return;
	}
	if (!ktcp_transition(sk, ev))
		ktcp_wait(sk, ktcp_sysctl(sock_net(sk), tw_timeout));
}
