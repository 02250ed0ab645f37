// SPDX-License-Identifier: GPL-2.0
/*
 * Passive open.  A SYN makes a small request socket in the listener's
 * SYN queue (never a full socket); the ACK that completes the handshake
 * turns it into a connection on the accept queue.  listen()'s backlog
 * caps the accept queue as in native TCP: when it is full, SYNs and
 * completing ACKs are dropped and counted (or reset, with
 * net.ktcp.abort_on_overflow).  When the SYN queue is full, SYN cookies
 * (net.ktcp.syncookies) carry the request in the SYN-ACK instead.
 */

#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/tcp_states.h>

#include "hash.h"
#include "isn.h"
#include "ktcp.h"
#include "ktcp_trace.h"
#include "rtt.h"
#include "seq.h"

#define KTCP_SYNACK_TIMEOUT	HZ

/*
 * A request's SYN-ACK timeout depends on its round alone: 1 s doubled,
 * at most KTCP_RTO_MAX (120 s) from round 7 on.  The requests of one
 * round, kept in the order they were (re)sent, are therefore in the
 * order they expire: the timer looks at the head of each list only.
 */
#define KTCP_SYNQ_ROUNDS	(ilog2(KTCP_RTO_MAX / KTCP_SYNACK_TIMEOUT) + 2)

/*
 * Cookies are checked only this long after a SYN-ACK carried one, as
 * native's tcp_synq_no_recent_overflow() (TCP_SYNCOOKIE_VALID): a cookie
 * is good for two minutes, and without a recent one an ACK that no
 * request expects is not worth the guess of a 24-bit MAC.
 */
#define KTCP_SYNCOOKIE_VALID	(2 * 60 * HZ)

struct ktcp_request {
	struct ktcp_request_info info;		/* must stay first */
	struct hlist_node	node;
	struct list_head	round_node;	/* ktcp_listen.rounds[] */
	struct in6_addr		laddr;		/* IPv4: v4-mapped */
	struct in6_addr		raddr;
	const struct ktcp_af_ops *af_ops;	/* the SYN's IP version */
	__be16			lport;
	__be16			rport;
	u32			iss;
	u32			irs;
	u16			mss;
	struct ktcp_syn_options	opts;		/* the peer's SYN */
	/* What our SYN-ACK agreed to; cookies agree to none of it. */
	bool			wscale_ok;
	bool			tstamp_ok;
	bool			sack_ok;
	u8			rcv_wscale;
	u32			ts_offset;
	u8			retrans;
	bool			acked;		/* bare ACK held back: TCP_DEFER_ACCEPT */
	bool			resent;		/* a SYN-ACK went twice: Karn */
	u32			last_oow_ack;	/* jiffies: last SYN-ACK to a
						 * repeated SYN; 0: none
						 */
	unsigned long		expires;
};

/* All fields: protected by the listener's socket lock. */
struct ktcp_listen {
	int			synq_len;
	struct list_head	acceptq;	/* ktcp_sock.accept_node */
	/* Requests by round, each list in the order they expire. */
	struct list_head	rounds[KTCP_SYNQ_ROUNDS];
	bool			cookie_sent;
	unsigned long		cookie_stamp;	/* jiffies: the last one sent */
	u32			synq_mask;	/* chains - 1 */
	struct hlist_head	synq[];		/* keyed hash of the 4-tuple */
};

/*
 * The chain of a 4-tuple: SipHash under the module's secret key
 * (hash.h), so that no peer can choose addresses and ports that share
 * one chain, which every SYN, ACK and RST to the listener walks.
 */
static struct hlist_head *ktcp_synq_bucket(struct sock *sk,
					   const struct in6_addr *laddr,
					   __be16 lport,
					   const struct in6_addr *raddr,
					   __be16 rport)
{
	struct ktcp_listen *l = ktcp_sk(sk)->listen;

	return &l->synq[ktcp_hash_synq(&ktcp_table_key,
				       net_hash_mix(sock_net(sk)), laddr,
				       lport, raddr, rport) & l->synq_mask];
}

static struct list_head *ktcp_synq_round(struct ktcp_listen *l, u8 retrans)
{
	return &l->rounds[min_t(int, retrans, KTCP_SYNQ_ROUNDS - 1)];
}

/* The request of @skb's 4-tuple, IPv4 or IPv6 (mapped never clash). */
static struct ktcp_request *ktcp_synq_find(struct sock *sk,
					   const struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct in6_addr raddr, laddr;
	struct ktcp_request *req;

	ktcp_skb_addrs(skb, &raddr, &laddr);
	hlist_for_each_entry(req, ktcp_synq_bucket(sk, &laddr, th->dest,
						   &raddr, th->source), node)
		if (req->rport == th->source && req->lport == th->dest &&
		    ipv6_addr_equal(&req->raddr, &raddr) &&
		    ipv6_addr_equal(&req->laddr, &laddr))
			return req;
	return NULL;
}

static void ktcp_synq_add(struct sock *sk, struct ktcp_request *req)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));
	struct ktcp_listen *l = ktcp_sk(sk)->listen;
	struct ktcp_request_info *info = &req->info;

	hlist_add_head(&req->node, ktcp_synq_bucket(sk, &req->laddr, req->lport,
						    &req->raddr, req->rport));
	list_add_tail(&req->round_node, ktcp_synq_round(l, 0));
	l->synq_len++;
	info->laddr = req->laddr;
	info->raddr = req->raddr;
	info->ipv6 = req->af_ops->family == AF_INET6;
	info->lport = req->lport;
	info->rport = req->rport;
	info->uid = sock_i_uid(sk);
	info->expires = req->expires;
	spin_lock_bh(&kn->requests_lock);
	hlist_add_head_rcu(&info->all_node, &kn->requests);
	spin_unlock_bh(&kn->requests_lock);
}

static void ktcp_synq_drop(struct sock *sk, struct ktcp_request *req)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));

	hlist_del(&req->node);
	list_del(&req->round_node);
	ktcp_sk(sk)->listen->synq_len--;
	spin_lock_bh(&kn->requests_lock);
	hlist_del_rcu(&req->info.all_node);
	spin_unlock_bh(&kn->requests_lock);
	/* /proc/net/ktcp may be reading it. */
	kfree_rcu(&req->info, rcu);
}

static int ktcp_req_send_synack(struct sock *sk, struct ktcp_request *req)
{
	struct ktcp_out_options o = {
		.mss		= req->mss,
		.wscale		= req->wscale_ok ? req->rcv_wscale : -1,
		.sack_perm	= req->sack_ok,
		.tstamp		= req->tstamp_ok,
		.tsval		= ktcp_ts_now() + req->ts_offset,
		.tsecr		= req->opts.tsval,
	};

	return ktcp_send_synack(sk, req->af_ops, &req->laddr,
				&req->raddr, req->lport, req->rport, req->iss, req->irs + 1,
				&o, min(ktcp_rcv_window(sk), 65535U));
}

/*
 * SYN-ACK retransmission with backoff; give up after synack_retries.
 * Runs from the listener's rtx_timer (timer.c), socket locked, and
 * looks only at the requests that are due, and at the head of each
 * round's list (KTCP_SYNQ_ROUNDS): a full SYN queue costs nothing
 * per tick.
 */
void ktcp_synack_work(struct sock *sk)
{
	struct ktcp_listen *l = ktcp_sk(sk)->listen;
	int retries = ktcp_sysctl(sock_net(sk), synack_retries);
	u8 defer = ktcp_sk(sk)->defer_accept;
	struct ktcp_request *req, *tmp;
	unsigned long next = 0;
	int i;

	if (!l)
		return;
	for (i = 0; i < KTCP_SYNQ_ROUNDS; i++) {
		list_for_each_entry_safe(req, tmp, &l->rounds[i], round_node) {
			if (time_before(jiffies, req->expires))
				break;
			/*
			 * As native's syn_ack_recalc(): a request expires
			 * after synack_retries rounds, and one whose bare
			 * ACK TCP_DEFER_ACCEPT held back lives on until its
			 * rounds are over too.  Only the last SYN-ACK of those
			 * asks the peer for one more ACK, which then makes
			 * the connection.  A request never ACKed is a SYN
			 * nobody may have sent: TCP_DEFER_ACCEPT must not
			 * keep its slot and its SYN-ACKs going.
			 */
			if (req->retrans >= retries &&
			    (!req->acked || req->retrans >= defer)) {
				ktcp_synq_drop(sk, req);
				continue;
			}
			req->retrans++;
			if (!req->acked || req->retrans >= defer) {
				ktcp_inc_stats(sock_net(sk), KTCP_MIB_RETRANS_SEGS);
				ktcp_req_send_synack(sk, req);
			}
			req->expires = jiffies +
				       ktcp_backoff(KTCP_SYNACK_TIMEOUT,
						    req->retrans, KTCP_RTO_MAX);
			WRITE_ONCE(req->info.retrans, req->retrans);
			WRITE_ONCE(req->info.expires, req->expires);
			list_move_tail(&req->round_node,
				       ktcp_synq_round(l, req->retrans));
		}
	}
	for (i = 0; i < KTCP_SYNQ_ROUNDS; i++) {
		req = list_first_entry_or_null(&l->rounds[i],
					       struct ktcp_request, round_node);
		if (req && (!next || time_before(req->expires, next)))
			next = req->expires;
	}
	if (next)
		sk_reset_timer(sk, &ktcp_sk(sk)->rtx_timer, next);
}

int ktcp_listen_start(struct sock *sk, int backlog)
{
	/* A chain per request: one on average, however full the queue. */
	u32 chains = ktcp_synq_chains(ktcp_sysctl(sock_net(sk),
						  max_syn_backlog));
	struct ktcp_listen *l;
	int err, i;

	l = kvzalloc(struct_size(l, synq, chains), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->synq_mask = chains - 1;
	INIT_LIST_HEAD(&l->acceptq);
	for (i = 0; i < KTCP_SYNQ_ROUNDS; i++)
		INIT_LIST_HEAD(&l->rounds[i]);
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	ktcp_sk(sk)->listen = l;
	err = ktcp_port_listen(sk);
	if (err) {
		ktcp_sk(sk)->listen = NULL;
		kvfree(l);
	}
	return err;
}

/*
 * An unaccepted child dies with its listener: reset, as native TCP
 * resets the connections of a closed listener.
 */
static void ktcp_abort_child(struct sock *child)
{
	sock_hold(child);
	lock_sock_nested(child, SINGLE_DEPTH_NESTING);
	sock_orphan(child);
	if (child->sk_state != TCP_CLOSE) {
		ktcp_inc_stats(sock_net(child), KTCP_MIB_ABORT_ON_CLOSE);
		ktcp_send_rst(child, KTCP_MIB_RST_ABORT_ON_CLOSE);
		ktcp_done(child, KTCP_EV_ABORT);
	} else {
		ktcp_destroy_sock(child);
	}
	release_sock(child);
	sock_put(child);
}

/* close() of a listener, or shutdown(): forget every pending connection. */
void ktcp_listen_stop(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_listen *l = ks->listen;
	struct ktcp_request *req, *tmp;
	int i;

	if (!l)
		return;
	ktcp_clear_timers(sk);
	for (i = 0; i < KTCP_SYNQ_ROUNDS; i++)
		list_for_each_entry_safe(req, tmp, &l->rounds[i], round_node)
			ktcp_synq_drop(sk, req);
	while (!list_empty(&l->acceptq)) {
		struct ktcp_sock *child = list_first_entry(&l->acceptq,
							   struct ktcp_sock,
							   accept_node);

		list_del_init(&child->accept_node);
		sk_acceptq_removed(sk);
		ktcp_abort_child(&child->inet.sk);
	}
	ks->listen = NULL;
	kvfree(l);
}

struct sock *ktcp_accept_dequeue(struct sock *sk)
{
	struct ktcp_listen *l = ktcp_sk(sk)->listen;
	struct ktcp_sock *child;

	if (!l || list_empty(&l->acceptq))
		return NULL;
	child = list_first_entry(&l->acceptq, struct ktcp_sock, accept_node);
	list_del_init(&child->accept_node);
	sk_acceptq_removed(sk);
	return &child->inet.sk;
}

/* The completed handshake becomes a full socket, not yet in any table. */
static struct sock *ktcp_create_child(struct sock *sk,
				      const struct ktcp_request *req,
				      struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	struct inet_sock *inet;
	struct ktcp_sock *ks;
	struct sock *child;

	child = ktcp_sk_alloc(net, GFP_ATOMIC);
	if (!child)
		return NULL;
	/*
	 * The request grown up: the child starts in the state LISTEN + SYN
	 * gave the request, as native's inet_csk_clone_lock() starts it in
	 * SYN_RECV; the ACK that made it then establishes it.  Its first
	 * state, not a change of state: no table shows it yet.
	 */
	child->sk_state = TCP_SYN_RECV;
	child->sk_rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(sk->sk_sndbuf);
	child->sk_reuse = sk->sk_reuse;
	child->sk_reuseport = sk->sk_reuseport;
	child->sk_bound_dev_if = sk->sk_bound_dev_if;
	child->sk_mark = READ_ONCE(sk->sk_mark);
	child->sk_priority = READ_ONCE(sk->sk_priority);
	child->sk_uid = sk->sk_uid;
	/* As sk_clone_lock() copies sk_flags: SO_ZEROCOPY set before listen(). */
	sock_valbool_flag(child, SOCK_ZEROCOPY, sock_flag(sk, SOCK_ZEROCOPY));

	inet = inet_sk(child);
	child->sk_v6_rcv_saddr = req->laddr;
	child->sk_v6_daddr = req->raddr;
	if (req->af_ops == &ktcp_ipv4_ops) {
		inet->inet_rcv_saddr = req->laddr.s6_addr32[3];
		inet->inet_saddr = req->laddr.s6_addr32[3];
		inet->inet_daddr = req->raddr.s6_addr32[3];
	}
	inet->inet_dport = req->rport;

	ks = ktcp_sk(child);
	/* An AF_INET6 listener's children are AF_INET6, v4-mapped or not. */
	ks->family = ktcp_sk(sk)->family;
	ks->af_ops = req->af_ops;
	child->sk_ipv6only = sk->sk_ipv6only;
	ks->nodelay = ktcp_sk(sk)->nodelay;
	ks->cork = ktcp_sk(sk)->cork;
	ks->user_mss = ktcp_sk(sk)->user_mss;
	ks->user_timeout = ktcp_sk(sk)->user_timeout;
	ks->notsent_lowat = ktcp_sk(sk)->notsent_lowat;
	/* TCP_CONGESTION, as native inherits it; the listener may change it. */
	ks->cong = READ_ONCE(ktcp_sk(sk)->cong);
	ks->iss = req->iss;
	ks->snd_una = req->iss + 1;
	ks->snd_nxt = ks->snd_una;
	ks->write_seq = ks->snd_una;
	ks->pushed_seq = ks->write_seq;
	ks->irs = req->irs;
	ks->rcv_nxt = req->irs + 1;
	ks->copied_seq = ks->rcv_nxt;
	ks->rcv_wup = ks->rcv_nxt;
	ks->rcv_wnd = 65535;
	ks->advmss = req->mss;
	ks->wscale_ok = req->wscale_ok;
	ks->snd_wscale = req->wscale_ok ? req->opts.wscale : 0;
	ks->rcv_wscale = req->wscale_ok ? req->rcv_wscale : 0;
	ks->tstamp_ok = req->tstamp_ok;
	ks->ts_offset = req->ts_offset;
	ktcp_store_ts_recent(ks, req->opts.tsval);
	ks->sack_ok = req->sack_ok;
	ktcp_set_mss(ks, req->opts.mss);
	ktcp_syn_acked(ks);
	ks->snd_wnd = (u32)ntohs(tcp_hdr(skb)->window) << ks->snd_wscale;
	ks->max_window = ks->snd_wnd;
	ktcp_reset_keepalive(child);
	ks->keepalive_time = ktcp_sk(sk)->keepalive_time;
	ks->keepalive_intvl = ktcp_sk(sk)->keepalive_intvl;
	ks->keepalive_probes = ktcp_sk(sk)->keepalive_probes;
	ks->linger2 = ktcp_sk(sk)->linger2;
	ks->snd_wl1 = ntohl(tcp_hdr(skb)->seq);
	ks->snd_wl2 = ntohl(tcp_hdr(skb)->ack_seq);

	ktcp_port_inherit(child, sk);
	return child;
}

/*
 * The new @child, bh-locked, enters the connection table and the accept
 * queue of @sk, ESTABLISHED.  Fails if its 4-tuple is taken (or the
 * table refused the ACK of our SYN, a ktcp bug); the caller then frees
 * it.
 */
static int ktcp_child_publish(struct sock *sk, struct sock *child)
{
	struct ktcp_listen *l = ktcp_sk(sk)->listen;
	int err;

	err = ktcp_conn_hash(child);
	if (err)
		return err;
	err = ktcp_transition(child, KTCP_EV_RCV_ACK_OF_SYN);
	if (err)
		return err;
	if (sock_flag(sk, SOCK_KEEPOPEN)) {
		sock_set_flag(child, SOCK_KEEPOPEN);
		ktcp_set_keepalive(child, 1);
	}
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_PASSIVE_OPENS);
	list_add_tail(&ktcp_sk(child)->accept_node, &l->acceptq);
	sk_acceptq_added(sk);
	return 0;
}

static u32 ktcp_cookie_minute(void)
{
	return (u32)(jiffies / (60 * HZ));
}

static void ktcp_listen_drop(struct sock *sk)
{
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_LISTEN_DROPS);
}

/*
 * A SYN again for a request: the peer lost our SYN-ACK, or someone
 * replays the SYN.  One SYN-ACK per invalid_ratelimit ms and request,
 * as native's tcp_check_req() answers a retransmitted SYN through
 * tcp_oow_rate_limited(): a flood of copies draws no flood of SYN-ACKs.
 */
static bool ktcp_req_ratelimited(struct net *net, struct ktcp_request *req)
{
	u32 gap = msecs_to_jiffies(ktcp_sysctl(net, invalid_ratelimit));
	u32 now = (u32)jiffies;

	if (req->last_oow_ack && (s32)(now - req->last_oow_ack) >= 0 &&
	    now - req->last_oow_ack < gap) {
		ktcp_inc_stats(net, KTCP_MIB_ACK_SKIPPED_SYN_RECV);
		return true;
	}
	req->last_oow_ack = now ?: 1;	/* 0 means never */
	return false;
}

/* A SYN: a request socket, or a cookie when the SYN queue is full. */
static void ktcp_listen_syn(struct sock *sk, struct sk_buff *skb,
			    const struct ktcp_syn_options *opts)
{
	struct ktcp_listen *l = ktcp_sk(sk)->listen;
	const struct tcphdr *th = tcp_hdr(skb);
	struct net *net = sock_net(sk);
	struct ktcp_net *kn = ktcp_net(net);
	int cookies = ktcp_sysctl(net, syncookies);
	const struct ktcp_af_ops *ops;
	struct in6_addr raddr, laddr;
	struct ktcp_request *req;
	u16 mss;

	ops = ktcp_skb_addrs(skb, &raddr, &laddr);
	req = ktcp_synq_find(sk, skb);
	if (req) {	/* the peer lost our SYN-ACK */
		if (!ktcp_req_ratelimited(net, req)) {
			req->resent = true;
			ktcp_inc_stats(net, KTCP_MIB_RETRANS_SEGS);
			ktcp_req_send_synack(sk, req);
		}
		return;
	}
	if (sk_acceptq_is_full(sk)) {
		ktcp_inc_stats(net, KTCP_MIB_LISTEN_OVERFLOWS);
		ktcp_listen_drop(sk);
		return;
	}
	mss = ktcp_clamp_user_mss(ktcp_sk(sk),
				  ktcp_route_mss(ops, net, NULL, &laddr,
						 &raddr));
	if (cookies == 2 ||
	    l->synq_len >= ktcp_sysctl(net, max_syn_backlog)) {
		u32 cookie;

		/*
		 * The cookie has no room for window scale, SACK or
		 * timestamps: offer the MSS alone, as native does without
		 * timestamps.
		 */
		struct ktcp_out_options o = { .mss = mss, .wscale = -1 };
		u16 cookie_mss = min_t(u16, opts->mss ?: 536, mss);

		if (!cookies) {
			ktcp_listen_drop(sk);
			return;
		}
		cookie = ops->cookie_make(&kn->cookie_key, &laddr, &raddr,
					  th->dest, th->source, ntohl(th->seq),
					  ktcp_cookie_minute(), cookie_mss);
		ktcp_inc_stats(net, KTCP_MIB_SYNCOOKIES_SENT);
		trace_ktcp_syncookie_sent(sk, skb, cookie, cookie_mss);
		l->cookie_sent = true;
		l->cookie_stamp = jiffies;
		ktcp_send_synack(sk, ops, &laddr, &raddr, th->dest,
				 th->source, cookie, ntohl(th->seq) + 1, &o,
				 min(ktcp_rcv_window(sk), 65535U));
		return;
	}

	req = kzalloc(sizeof(*req), GFP_ATOMIC);
	if (!req) {
		ktcp_listen_drop(sk);
		return;
	}
	req->laddr = laddr;
	req->raddr = raddr;
	req->af_ops = ops;
	req->lport = th->dest;
	req->rport = th->source;
	req->irs = ntohl(th->seq);
	req->iss = ops->isn(&kn->isn_key, &laddr, &raddr, th->dest, th->source,
			    ktime_get_real_ns());
	req->mss = mss;
	req->opts = *opts;
	req->wscale_ok = opts->wscale_ok && ktcp_sysctl(net, window_scaling);
	req->rcv_wscale = ktcp_rcv_wscale_for(sk);
	req->tstamp_ok = opts->tstamp_ok && ktcp_sysctl(net, timestamps);
	req->ts_offset = get_random_u32();
	req->sack_ok = opts->sack_ok && ktcp_sysctl(net, sack);
	req->expires = jiffies + KTCP_SYNACK_TIMEOUT;
	ktcp_synq_add(sk, req);
	ktcp_req_send_synack(sk, req);
	/* The timer may wait for an older request of a later round. */
	if (!timer_pending(&ktcp_sk(sk)->rtx_timer) ||
	    time_before(req->expires, ktcp_sk(sk)->rtx_timer.expires))
		sk_reset_timer(sk, &ktcp_sk(sk)->rtx_timer, req->expires);
}

/*
 * An ACK with no request socket: is it the answer to a cookie?  Only
 * if this listener sent one lately (KTCP_SYNCOOKIE_VALID); otherwise
 * the ACK is what it looks like, one no SYN-ACK asked for, and draws a
 * RST, as native's cookie_v4_check() leaves it.
 */
static bool ktcp_cookie_request(struct sock *sk, struct sk_buff *skb,
				struct ktcp_request *req)
{
	struct ktcp_listen *l = ktcp_sk(sk)->listen;
	const struct tcphdr *th = tcp_hdr(skb);
	struct net *net = sock_net(sk);
	struct ktcp_net *kn = ktcp_net(net);
	u32 irs = ntohl(th->seq) - 1;
	u32 cookie = ntohl(th->ack_seq) - 1;
	const struct ktcp_af_ops *ops;
	struct in6_addr raddr, laddr;
	u16 mss;

	if (!ktcp_sysctl(net, syncookies) || !l->cookie_sent ||
	    !time_in_range(jiffies, l->cookie_stamp,
			   l->cookie_stamp + KTCP_SYNCOOKIE_VALID))
		return false;
	ops = ktcp_skb_addrs(skb, &raddr, &laddr);
	mss = ops->cookie_check(&kn->cookie_key, &laddr, &raddr, th->dest,
				th->source, irs, ktcp_cookie_minute(), cookie);
	trace_ktcp_syncookie_check(sk, skb, cookie, mss);
	if (!mss) {
		ktcp_inc_stats(net, KTCP_MIB_SYNCOOKIES_FAILED);
		return false;
	}
	ktcp_inc_stats(net, KTCP_MIB_SYNCOOKIES_RECV);
	memset(req, 0, sizeof(*req));
	req->laddr = laddr;
	req->raddr = raddr;
	req->af_ops = ops;
	req->lport = th->dest;
	req->rport = th->source;
	req->irs = irs;
	req->iss = cookie;
	req->mss = mss;
	req->opts.mss = mss;
	return true;
}

/*
 * A segment for @child, bh-locked under its locked listener: the child
 * takes it, or its backlog does if accept() has already handed it to a
 * process that holds it.  Consumes @skb.
 */
static void ktcp_child_rcv(struct sock *child, struct sk_buff *skb)
{
	if (!sock_owned_by_user(child)) {
		/* -EAGAIN (a SYN on a TIME_WAIT) cannot come: no SYN here */
		if (ktcp_rcv(child, skb) == -EAGAIN)
			kfree_skb(skb);
	} else if (sk_add_backlog(child, skb, READ_ONCE(child->sk_rcvbuf) +
				  READ_ONCE(child->sk_sndbuf))) {
		ktcp_inc_stats(sock_net(child), KTCP_MIB_BACKLOG_DROPS);
		kfree_skb(skb);
	}
}

/*
 * The connection a segment for the listener belongs to after all, held,
 * or NULL.  The hook looked up the 4-tuple before it took the listener's
 * lock, and the listener's backlog holds segments that were looked up
 * before release_sock() ran the ACK before them: in both cases the ACK
 * that completed the handshake may have made the child since, and the
 * segment, data sent right behind that ACK, is the child's.  A reset
 * here would kill a connection the peer has every right to use (as
 * native's lookup again when tcp_check_req() finds its request stolen).
 */
static struct sock *ktcp_listen_child_lookup(struct net *net,
					     const struct sk_buff *skb)
{
	const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct in6_addr raddr, laddr;
	struct sock *child;

	ktcp_skb_addrs(skb, &raddr, &laddr);
	rcu_read_lock();
	child = ktcp_conn_lookup(net, &raddr, th->source, &laddr, th->dest,
				 cb->dif, cb->sdif);
	rcu_read_unlock();
	return child;
}

/* The ACK of our SYN-ACK: a connection, if the accept queue has room. */
static void ktcp_listen_ack(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct net *net = sock_net(sk);
	struct ktcp_request *req, cookie_req;
	bool rtt_ok = false;
	struct sock *child;
	u32 rtt = 0;

	req = ktcp_synq_find(sk, skb);
	if (!req) {
		/* Before the cookie: its ACK may have made the child too. */
		child = ktcp_listen_child_lookup(net, skb);
		if (child) {
			ktcp_inc_stats(net, KTCP_MIB_LISTEN_CHILD_LATE);
			bh_lock_sock(child);
			ktcp_child_rcv(child, skb);
			bh_unlock_sock(child);
			sock_put(child);
			return;
		}
		if (!ktcp_cookie_request(sk, skb, &cookie_req)) {
			ktcp_send_reset_reply(net, skb, KTCP_MIB_RST_LISTEN_ACK);
			goto drop;
		}
	} else if (ntohl(th->ack_seq) != req->iss + 1) {
		ktcp_send_reset_reply(net, skb, KTCP_MIB_RST_BAD_ACK);
		goto drop;
	} else if (req->retrans < ktcp_sk(sk)->defer_accept &&
		   skb->len == th->doff * 4 && !th->fin) {
		/* TCP_DEFER_ACCEPT: no connection until data comes. */
		req->acked = true;
		ktcp_inc_stats(net, KTCP_MIB_DEFER_ACCEPT_DROPS);
		goto drop;
	}
	if (sk_acceptq_is_full(sk)) {
		ktcp_inc_stats(net, KTCP_MIB_LISTEN_OVERFLOWS);
		ktcp_listen_drop(sk);
		if (ktcp_sysctl(net, abort_on_overflow)) {
			ktcp_send_reset_reply(net, skb,
					      KTCP_MIB_RST_LISTEN_OVERFLOW);
			if (req)
				ktcp_synq_drop(sk, req);
		}
		goto drop;
	}
	/*
	 * The SYN-ACK's RTT is the child's first sample, as native's
	 * tcp_synack_rtt_meas(): never after a retransmission (Karn) nor
	 * across a TCP_DEFER_ACCEPT wait.  Without it the first ACKs of
	 * data alone set an RTO a slow handshake path would not keep.
	 */
	if (req && !req->retrans && !req->acked && !req->resent) {
		rtt = jiffies - (req->expires - KTCP_SYNACK_TIMEOUT);
		rtt_ok = true;
	}
	child = ktcp_create_child(sk, req ?: &cookie_req, skb);
	if (req)
		ktcp_synq_drop(sk, req);
	if (!child) {
		ktcp_listen_drop(sk);
		goto drop;
	}
	/*
	 * Locked before the connection table can show it, as native's
	 * sk_clone_lock(): a segment of the same peer on another CPU, data
	 * right behind this ACK, finds it there and must wait until it is
	 * ESTABLISHED and has taken the ACK; in CLOSE it would draw a RST.
	 * Listener (nested, from the hook) -> child (subclass 0), as native.
	 */
	bh_lock_sock(child);
	if (ktcp_child_publish(sk, child)) {
		ktcp_transition_close(child, KTCP_EV_ABORT);
		bh_unlock_sock(child);
		ktcp_port_unbind(child);
		ktcp_destroy_sock(child);
		ktcp_listen_drop(sk);
		goto drop;
	}
	if (rtt_ok)
		ktcp_rtt_sample(child, rtt);
	sk->sk_data_ready(sk);
	/* The ACK may carry data already. */
	ktcp_child_rcv(child, skb);
	bh_unlock_sock(child);
	return;
drop:
	kfree_skb(skb);
}

/**
 * ktcp_listen_rcv() - a segment for a listening socket
 * @sk: the listener, locked
 * @skb: the segment, skb->data at the TCP header; consumed
 *
 * Return: 0.
 */
int ktcp_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct ktcp_syn_options opts;
	struct ktcp_request *req;

	if (!ktcp_sk(sk)->listen)
		goto drop;
	if (!ktcp_segment_options(sk, skb, &opts))
		goto drop;
	if (th->rst) {
		req = ktcp_synq_find(sk, skb);
		if (req && ntohl(th->seq) == req->irs + 1)
			ktcp_synq_drop(sk, req);
		goto drop;
	}
	if (th->ack && !th->syn) {
		ktcp_listen_ack(sk, skb);
		return 0;
	}
	if (th->ack) {	/* RFC 9293: any ACK in LISTEN draws a reset */
		ktcp_send_reset_reply(sock_net(sk), skb,
				      KTCP_MIB_RST_LISTEN_ACK);
		goto drop;
	}
	if (th->syn && !th->fin)
		ktcp_listen_syn(sk, skb, &opts);
drop:
	kfree_skb(skb);
	return 0;
}
