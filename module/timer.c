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
#include "seq.h"

#define KTCP_RTO_MIN	(HZ / 5)
#define KTCP_RTO_MAX	(120 * HZ)
#define KTCP_RTO_INIT	HZ
#define KTCP_RETRIES	15	/* like net.ipv4.tcp_retries2 */

/* RFC 6298 2.2 and 2.3; srtt is kept << 3, rttvar << 2. */
void ktcp_rtt_sample(struct sock *sk, u32 rtt)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	rtt = max_t(u32, rtt, 1);
	if (!ks->srtt) {
		ks->srtt = rtt << 3;
		ks->rttvar = rtt << 1;
	} else {
		long delta = (long)rtt - (ks->srtt >> 3);

		ks->rttvar += abs(delta) - (ks->rttvar >> 2);
		ks->srtt += delta;
	}
	ks->rto = clamp_t(u32, (ks->srtt >> 3) + ks->rttvar,
			  KTCP_RTO_MIN, KTCP_RTO_MAX);
}

void ktcp_reset_rtx_timer(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	sk_reset_timer(sk, &ks->rtx_timer, jiffies + ks->rto);
}

/* Give up on the connection: the peer is gone. */
static void ktcp_timeout_abort(struct sock *sk)
{
	if (sk->sk_state == TCP_SYN_SENT)
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ATTEMPT_FAILS);
	WRITE_ONCE(sk->sk_err, READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT);
	ktcp_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

static void ktcp_rtx_work(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);
	int limit = KTCP_RETRIES;

	if (sk->sk_state == TCP_LISTEN) {
		ktcp_synack_work(sk);
		return;
	}
	if (sk->sk_state == TCP_SYN_SENT)
		limit = ktcp_sysctl(net, syn_retries);
	else if (sk->sk_state == TCP_SYN_RECV)
		limit = ktcp_sysctl(net, synack_retries);
	else if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
					  TCPF_FIN_WAIT1 | TCPF_CLOSING |
					  TCPF_LAST_ACK)))
		return;

	if (ks->snd_una == ks->snd_nxt &&
	    !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))) {
		if (skb_queue_empty(&sk->sk_write_queue))
			return;
		/* Zero window: a probe below the window draws an ACK. */
		ktcp_sk(sk)->snd_nxt--;
		ktcp_send_ack(sk);
		ktcp_sk(sk)->snd_nxt++;
		goto backoff;
	}

	if (ks->retransmits >= limit) {
		ktcp_timeout_abort(sk);
		return;
	}
	ktcp_inc_stats(net, KTCP_MIB_TIMEOUTS);
	/* RFC 5681 3.1: a timeout halves the threshold, one segment again. */
	ks->ssthresh = max_t(u32, ks->cwnd / 2, 2);
	ks->cwnd = 1;
	ks->retransmits++;
	ktcp_retransmit_head(sk);
backoff:
	ks->rto = min_t(u32, ks->rto << 1, KTCP_RTO_MAX);
	ktcp_reset_rtx_timer(sk);
}

static void ktcp_wait_work(struct sock *sk)
{
	if ((1 << sk->sk_state) & (TCPF_TIME_WAIT | TCPF_FIN_WAIT2))
		ktcp_done(sk);
}

/* Run @work now, or leave it to release_sock() if a process owns @sk. */
static void ktcp_timer_run(struct ktcp_sock *ks, int defer_bit,
			   void (*work)(struct sock *sk))
{
	struct sock *sk = &ks->inet.sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		set_bit(defer_bit, &ks->deferred);
	else
		work(sk);
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

/* proto.release_cb: the timer work that found the socket owned. */
void ktcp_run_deferred(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (test_and_clear_bit(KTCP_DEFER_RTX, &ks->deferred))
		ktcp_rtx_work(sk);
	if (test_and_clear_bit(KTCP_DEFER_WAIT, &ks->deferred))
		ktcp_wait_work(sk);
}

void ktcp_init_timers(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	timer_setup(&ks->rtx_timer, ktcp_rtx_timer_fn, 0);
	timer_setup(&ks->wait_timer, ktcp_wait_timer_fn, 0);
	ks->rto = KTCP_RTO_INIT;
}

void ktcp_clear_timers(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	sk_stop_timer(sk, &ks->rtx_timer);
	sk_stop_timer(sk, &ks->wait_timer);
	clear_bit(KTCP_DEFER_RTX, &ks->deferred);
	clear_bit(KTCP_DEFER_WAIT, &ks->deferred);
}

/* Enter TIME_WAIT or an orphan's FIN_WAIT_2, for @timeout_s seconds. */
void ktcp_enter_wait(struct sock *sk, int state, unsigned int timeout_s)
{
	ktcp_set_state(sk, state);
	sk_stop_timer(sk, &ktcp_sk(sk)->rtx_timer);
	sk_reset_timer(sk, &ktcp_sk(sk)->wait_timer,
		       jiffies + max_t(unsigned int, timeout_s, 1) * HZ);
}
