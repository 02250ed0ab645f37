// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls of AF_KTCP (proto_ops).  Every errno here is the one
 * AF_INET's TCP returns for the same call; the selftests compare them.
 */

#include <linux/capability.h>
#include <linux/errqueue.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <net/xfrm.h>
#include <linux/tcp.h>
#include <linux/sockptr.h>

#include "addr.h"
#include "isn.h"
#include "ktcp.h"
#include "ktcp_trace.h"
#include "seq.h"
#include "state.h"

/*
 * What inet_sock_destruct() frees for native sockets, which this
 * destructor replaces: the IP_OPTIONS block and the error queue
 * (IP_RECVERR); and the IPsec policies of IP_XFRM_POLICY, which
 * inet_csk_destroy_sock() frees for native TCP.  The socket is
 * SOCK_RCU_FREE, so this runs after a grace period and no reader can
 * still see inet_opt.
 */
static void ktcp_sock_destruct(struct sock *sk)
{
	WARN_ON_ONCE(ktcp_sk(sk)->bound);
	WARN_ON_ONCE(ktcp_sk(sk)->hashed);
	sk_dst_reset(sk);
	__skb_queue_purge(&sk->sk_error_queue);
	xfrm_sk_free_policy(sk);
	kfree(rcu_dereference_protected(inet_sk(sk)->inet_opt, 1));
	RCU_INIT_POINTER(inet_sk(sk)->inet_opt, NULL);
	ktcp_memory_sock_exit(sk);
}

/*
 * Every change of sk_state: only ktcp_transition() calls it, and
 * ktcp_transition_close() when the table refused (a bug).  A new
 * socket's first state is set where it is made (ktcp_sock_init(),
 * ktcp_create_child()): that is no change.
 */
static void ktcp_set_state(struct sock *sk, int state)
{
	int old = sk->sk_state;

	if (state == TCP_ESTABLISHED && old != TCP_ESTABLISHED)
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_CURR_ESTAB);
	else if (old == TCP_ESTABLISHED && state != TCP_ESTABLISHED)
		ktcp_dec_stats(sock_net(sk), KTCP_MIB_CURR_ESTAB);
	ktcp_tw_count(sk, old, state);
	trace_ktcp_set_state(sk, old, state);
	/* Lockless readers (poll, proc) pair with this. */
	smp_store_release(&sk->sk_state, state);
}

/**
 * ktcp_transition() - move @sk along the arc of @ev in state.c's table
 * @sk: the socket, locked
 * @ev: what happened
 *
 * Every change of protocol state goes through here, so that the table
 * KUnit checks is the state machine the sockets run.
 *
 * Return: 0, or -EINVAL if the table has no arc for @ev from @sk's
 * state: a bug in ktcp, warned once.  The state is then left alone.
 */
int ktcp_transition(struct sock *sk, enum ktcp_event ev)
{
	int next = ktcp_state_next(sk->sk_state, ev);

	if (WARN_ONCE(next < 0, "ktcp: no arc from state %d on event %d\n",
		      sk->sk_state, ev))
		return -EINVAL;
	ktcp_set_state(sk, next);
	return 0;
}

/**
 * ktcp_transition_close() - the connection ends by @ev: to TCP_CLOSE
 * @sk: the socket, locked, not in TCP_CLOSE
 * @ev: the event that ends it, whose arc leads to TCP_CLOSE
 *
 * For the paths that tear the socket down (timers, queues, tables)
 * right after: if ktcp_transition() refuses @ev (a ktcp bug, warned),
 * the socket is closed all the same, since one left open without its
 * tables and timers would never end.
 */
void ktcp_transition_close(struct sock *sk, enum ktcp_event ev)
{
	if (ktcp_transition(sk, ev) || WARN_ON_ONCE(sk->sk_state != TCP_CLOSE))
		ktcp_set_state(sk, TCP_CLOSE);
}

/*
 * What the write queue holds can never be sent once the connection is
 * over: free it then, as tcp_write_queue_purge() does on a reset or a
 * timeout, so that MSG_ZEROCOPY completions reach a socket still open
 * and pinned pages are not kept until close().
 */
static void ktcp_write_queue_purge(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		ktcp_wmem_free_skb(sk, skb);
}

static void ktcp_purge_queues(struct sock *sk)
{
	__skb_queue_purge(&sk->sk_receive_queue);
	ktcp_write_queue_purge(sk);
	ktcp_ofo_purge(&ktcp_sk(sk)->ofo_queue);
	sk_mem_reclaim_final(sk);
}

/**
 * ktcp_destroy_sock() - the end of a socket's protocol life
 * @sk: a socket in TCP_CLOSE, locked
 *
 * Drops the reference that the socket's user (or, once orphaned, its
 * connection) held.  Called once: by close() if the connection is over
 * already, else by ktcp_done() when an orphan reaches TCP_CLOSE.
 */
void ktcp_destroy_sock(struct sock *sk)
{
	ktcp_clear_timers(sk);
	ktcp_conn_unhash(sk);
	ktcp_port_unbind(sk);
	ktcp_purge_queues(sk);
	ktcp_orphan_done(sk);
	ktcp_memory_sock_unuse(sk);
	sock_put(sk);
}

/**
 * ktcp_done() - the connection is over (tcp_done()'s role)
 * @sk: the socket, locked, not in TCP_CLOSE
 * @ev: what ended it: an arc to TCP_CLOSE from @sk's state
 */
void ktcp_done(struct sock *sk, enum ktcp_event ev)
{
	ktcp_transition_close(sk, ev);
	ktcp_clear_timers(sk);
	ktcp_write_queue_purge(sk);
	ktcp_conn_unhash(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		ktcp_port_unbind(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sock_flag(sk, SOCK_DEAD))
		ktcp_destroy_sock(sk);
	else
		sk->sk_state_change(sk);
}

static int ktcp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_state == TCP_LISTEN) {
		/*
		 * The ACK that completes a handshake locks the child with
		 * bh_lock_sock(), which the hook does in softirq: with
		 * softirqs on here, one for the child on this CPU would
		 * spin on it forever (lockdep saw it, 2026-11-27).
		 */
		local_bh_disable();
		ktcp_listen_rcv(sk, skb);
		local_bh_enable();
		return 0;
	}
	if (ktcp_rcv(sk, skb) == -EAGAIN)
		kfree_skb(skb);
	return 0;
}

/*
 * No .owner: a socket does not hold the module, or an orphan in
 * TIME_WAIT would keep rmmod waiting for minutes.  A process's socket
 * holds it through ktcp_stream_ops; the namespaces' exits end the
 * orphans, and unload waits for the last socket to be freed
 * (ktcp_wait_sockets_freed()).
 */
struct proto ktcp_prot = {
	.name		= "KTCP",
	.obj_size	= sizeof(struct ktcp_sock),
	.backlog_rcv	= ktcp_backlog_rcv,
	.release_cb	= ktcp_run_deferred,
	.keepalive	= ktcp_set_keepalive,
	.stream_memory_free = ktcp_stream_memory_free,
};

/*
 * sk_write_space: wake writers once ACKs have freed enough of the send
 * buffer (sk_stream_write_space() is not exported to modules).
 */
static void ktcp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	/* wake 1: TCP_NOTSENT_LOWAT wakes at half the mark, as native. */
	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/* Initial state shared by sockets from socket() and from accept(). */
static void ktcp_sock_init(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	sk->sk_type = SOCK_STREAM;
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_state = TCP_CLOSE;
	/* IPv4 until a connect() or an accepted SYN says otherwise. */
	ks->af_ops = &ktcp_ipv4_ops;
	sk->sk_destruct = ktcp_sock_destruct;
	sk->sk_write_space = ktcp_write_space;
	/* __release_sock() runs the backlog through this, not the proto. */
	sk->sk_backlog_rcv = ktcp_backlog_rcv;
	/* Table readers walk under RCU: free the socket after a grace. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	inet_sk(sk)->uc_ttl = -1;
	/* What inet_create() gives a native socket, as IP_* reads it. */
	inet_sk(sk)->pmtudisc =
		READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_no_pmtu_disc) ?
		IP_PMTUDISC_DONT : IP_PMTUDISC_WANT;
	inet_sk(sk)->mc_ttl = 1;
	ktcp_inet_set_mc_loop(sk, true);
	ktcp_inet_set_mc_all(sk, true);
	INIT_HLIST_NODE(&ks->bind_node);
	INIT_HLIST_NODE(&ks->conn_node);
	INIT_LIST_HEAD(&ks->accept_node);
	INIT_LIST_HEAD(&ks->orphan_node);
	ktcp_ofo_init(&ks->ofo_queue);
	ktcp_memory_sock_init(sk);
	ktcp_init_timers(sk);
	/* No autotuning: a new socket starts with the sysctl's buffers. */
	WRITE_ONCE(sk->sk_rcvbuf, max_t(int, SOCK_MIN_RCVBUF,
					ktcp_sysctl(sock_net(sk), rmem[1])));
	WRITE_ONCE(sk->sk_sndbuf, max_t(int, SOCK_MIN_SNDBUF,
					ktcp_sysctl(sock_net(sk), wmem[1])));
	ks->cong = &ktcp_cubic;
	ktcp_cong_reset(ks);
	ks->mss = 536;
	ks->advmss = 536;
	ks->rcv_ratio = 128;	/* half, until segments arrive */
	ks->counts.min_rtt = ~0U;	/* no sample yet, as native reports */
}

struct sock *ktcp_sk_alloc(struct net *net, gfp_t gfp)
{
	struct sock *sk = sk_alloc(net, ktcp_family(), gfp, &ktcp_prot, 0);

	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	ktcp_sock_init(sk);
	return sk;
}

/*
 * Our FIN: SYN_RECV, ESTABLISHED -> FIN_WAIT1, CLOSE_WAIT -> LAST_ACK.
 * In the other states a FIN is out already (KTCPF_FIN_SENT), or close()
 * and shutdown() end the socket without one.
 */
static void ktcp_close_send(struct sock *sk)
{
	if (!((1 << sk->sk_state) &
	      (TCPF_SYN_RECV | TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return;
	if (ktcp_transition(sk, KTCP_EV_CLOSE))
		return;
	ktcp_queue_fin(sk);
}

/* connect(AF_UNSPEC) and shutdown of a listener: back to CLOSE. */
static int ktcp_disconnect(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int old = sk->sk_state;

	if (old == TCP_LISTEN)
		ktcp_listen_stop(sk);
	else if ((1 << old) & (KTCPF_SYNCHRONIZED | TCPF_SYN_RECV))
		ktcp_send_rst(sk, KTCP_MIB_RST_DISCONNECT);
	if (old != TCP_CLOSE && old != TCP_LISTEN && old != TCP_SYN_SENT)
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	if (old != TCP_CLOSE)
		ktcp_transition_close(sk, KTCP_EV_ABORT);
	ktcp_clear_timers(sk);
	ktcp_conn_unhash(sk);
	ktcp_purge_queues(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		ktcp_port_unbind(sk);
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	sk->sk_v6_daddr = in6addr_any;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
		sk->sk_v6_rcv_saddr = in6addr_any;
	}
	ks->af_ops = &ktcp_ipv4_ops;
	sk_dst_reset(sk);
	ks->fin_queued = false;
	ks->retransmits = 0;
	ktcp_cong_reset(ks);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sk_error_report(sk);
	return 0;
}

/*
 * close() left @sk in FIN_WAIT2: it waits for the peer's FIN for
 * TCP_LINGER2 or fin_timeout, or, with TCP_LINGER2 below 0, is reset
 * at once, as tcp_close() does.
 */
static void ktcp_orphan_fin_wait2(struct sock *sk)
{
	if (READ_ONCE(ktcp_sk(sk)->linger2) >= 0) {
		ktcp_wait(sk, ktcp_fin_time(sk));
		return;
	}
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_LINGER);
	ktcp_send_rst(sk, KTCP_MIB_RST_ABORT_ON_LINGER);
	ktcp_done(sk, KTCP_EV_ABORT);
}

static int ktcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	bool unread;
	long timeout;

	if (!sk)
		return 0;

	/* As inet_release(): groups joined with MCAST_JOIN_GROUP & co. */
	ktcp_mc_drop(sk);
	timeout = sock_flag(sk, SOCK_LINGER) ? sk->sk_lingertime : 0;
	sock_hold(sk);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sk->sk_state == TCP_LISTEN) {
		ktcp_listen_stop(sk);
		ktcp_transition_close(sk, KTCP_EV_CLOSE);
	}
	unread = !skb_queue_empty(&sk->sk_receive_queue);
	__skb_queue_purge(&sk->sk_receive_queue);

	if (sk->sk_state == TCP_CLOSE) {
		/* nothing on the wire */
	} else if (unread) {
		/* RFC 2525 2.17: unread data is lost, say so with a RST. */
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_CLOSE);
		ktcp_send_rst(sk, KTCP_MIB_RST_ABORT_ON_CLOSE);
		ktcp_done(sk, KTCP_EV_ABORT);
	} else if (sock_flag(sk, SOCK_LINGER) && !timeout) {
		/* SO_LINGER {1, 0}: abort. */
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_DATA);
		if (sk->sk_state != TCP_SYN_SENT)
			ktcp_send_rst(sk, KTCP_MIB_RST_ABORT_ON_LINGER);
		ktcp_done(sk, KTCP_EV_ABORT);
	} else if (sk->sk_state == TCP_SYN_SENT) {
		ktcp_done(sk, KTCP_EV_CLOSE);
	} else {
		ktcp_close_send(sk);
	}

	/* SO_LINGER {1, t}: wait until our FIN is acknowledged, or t. */
	if (timeout && sk->sk_state != TCP_CLOSE)
		sk_stream_wait_close(sk, timeout);

	sock_orphan(sk);
	if (sk->sk_state == TCP_CLOSE)
		ktcp_destroy_sock(sk);
	else if (ktcp_orphan_check(sk) && sk->sk_state == TCP_FIN_WAIT2)
		ktcp_orphan_fin_wait2(sk);
	release_sock(sk);
	sock_put(sk);
	sock->sk = NULL;
	return 0;
}

/* Ports below ip_unprivileged_port_start need CAP_NET_BIND_SERVICE. */
static bool ktcp_may_bind_port(struct net *net, u16 port)
{
	return !port || !inet_port_requires_bind_service(net, port) ||
	       ns_capable(net->user_ns, CAP_NET_BIND_SERVICE);
}

/*
 * A well-formed address gives a socket without a family its family,
 * as socket() gives a native socket its, whether or not the call then
 * succeeds: after a failed bind() or connect() to an IPv6 address the
 * socket is AF_INET6, as a native one would be.
 */
static void ktcp_take_family(struct sock *sk, int family)
{
	sock_owned_by_me(sk);
	if (ktcp_sk(sk)->family)
		return;
	WRITE_ONCE(ktcp_sk(sk)->family, family);
	/* inet6_create() leaves IP_MULTICAST_ALL off, inet_create() on. */
	if (family == AF_INET6)
		ktcp_inet_set_mc_all(sk, false);
}

static int ktcp_bind4(struct socket *sock, struct sockaddr *uaddr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	int addr_type, err;
	u16 port;

	addr_type = inet_addr_type(net, sin->sin_addr.s_addr);
	if (!inet_addr_valid_or_nonlocal(net, inet_sk(sk), sin->sin_addr.s_addr,
					 addr_type))
		return -EADDRNOTAVAIL;

	port = ntohs(sin->sin_port);
	if (!ktcp_may_bind_port(net, port))
		return -EACCES;

	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE || ktcp_sk(sk)->bound) {
		err = -EINVAL;
		goto out;
	}
	err = ktcp_port_bind(sk, sin->sin_addr.s_addr, port);
	if (err)
		goto out;
	/* Like inet_bind(): we may receive on these, never send from them. */
	if (addr_type == RTN_MULTICAST || addr_type == RTN_BROADCAST)
		inet_sk(sk)->inet_saddr = 0;
	if (sin->sin_addr.s_addr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	return err;
}

/*
 * The address checks of __inet6_bind() for @addr; @v4addr is what an
 * IPv4 segment must be sent to: the v4-mapped address, INADDR_ANY for
 * ::, unused (0) for another IPv6 address.  Socket locked.
 */
static int ktcp_bind6_addr(struct sock *sk, const struct sockaddr_in6 *sin6,
			   int addr_len, __be32 *v4addr)
{
	const struct in6_addr *addr = &sin6->sin6_addr;
	struct net *net = sock_net(sk);
	int addr_type = ipv6_addr_type(addr);
	struct net_device *dev = NULL;
	int err = 0;

	*v4addr = 0;
	if (addr_type == IPV6_ADDR_MAPPED) {
		int chk;

		if (sk->sk_ipv6only)
			return -EINVAL;
		*v4addr = addr->s6_addr32[3];
		chk = inet_addr_type(net, *v4addr);
		if (!inet_addr_valid_or_nonlocal(net, inet_sk(sk), *v4addr, chk))
			return -EADDRNOTAVAIL;
		return 0;
	}
	if (addr_type == IPV6_ADDR_ANY)
		return 0;

	rcu_read_lock();
	if (__ipv6_addr_needs_scope_id(addr_type)) {
		if (addr_len >= (int)sizeof(struct sockaddr_in6) &&
		    sin6->sin6_scope_id)
			sk->sk_bound_dev_if = sin6->sin6_scope_id;
		if (!sk->sk_bound_dev_if) {
			err = -EINVAL;
			goto out;
		}
	}
	if (sk->sk_bound_dev_if) {
		dev = dev_get_by_index_rcu(net, sk->sk_bound_dev_if);
		if (!dev) {
			err = -ENODEV;
			goto out;
		}
	}
	if (!ipv6_can_nonlocal_bind(net, inet_sk(sk)) &&
	    !ipv6_chk_addr(net, addr, dev, 0))
		err = -EADDRNOTAVAIL;
out:
	rcu_read_unlock();
	return err;
}

/* inet6_bind(): the socket becomes AF_INET6. */
static int ktcp_bind6(struct socket *sock, struct sockaddr *uaddr,
		      int addr_len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	int old_dev, err;
	__be32 v4addr;
	u16 port;

	if (ipv6_addr_is_multicast(&sin6->sin6_addr))
		return -EINVAL;

	port = ntohs(sin6->sin6_port);
	if (!ktcp_may_bind_port(net, port))
		return -EACCES;

	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE || ktcp_sk(sk)->bound) {
		err = -EINVAL;
		goto out;
	}
	old_dev = sk->sk_bound_dev_if;
	err = ktcp_bind6_addr(sk, sin6, addr_len, &v4addr);
	if (err)
		goto fail;
	sk->sk_v6_rcv_saddr = sin6->sin6_addr;
	err = ktcp_port_bind(sk, v4addr, port);
	if (err)
		goto fail;
	if (!ipv6_addr_any(&sin6->sin6_addr)) {
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
		/* As inet6_bind(): one IPv6 address takes no IPv4. */
		if (!ipv6_addr_v4mapped(&sin6->sin6_addr))
			sk->sk_ipv6only = 1;
	}
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	goto out;
fail:
	sk->sk_v6_rcv_saddr = in6addr_any;
	sk->sk_bound_dev_if = old_dev;
out:
	release_sock(sk);
	return err;
}

/*
 * bind(): a struct sockaddr_in or a struct sockaddr_in6.  The first
 * well-formed one gives the socket its family (addr.h); ktcp_bind4()
 * and ktcp_bind6() see only well-formed addresses.
 */
static int ktcp_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;
	int family = ktcp_addr_family(READ_ONCE(ktcp_sk(sk)->family),
				      uaddr, addr_len);
	int err;

	err = family == AF_INET6 ? ktcp_check_bind_addr6(uaddr, addr_len) :
				   ktcp_check_bind_addr(uaddr, addr_len);
	if (err)
		return err;
	lock_sock(sk);
	ktcp_take_family(sk, family);
	release_sock(sk);

	if (family == AF_INET6)
		return ktcp_bind6(sock, uaddr, addr_len);
	return ktcp_bind4(sock, uaddr);
}

static int ktcp_getname6(struct sock *sk, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_in6 *, sin6, uaddr);
	struct inet_sock *inet = inet_sk(sk);

	sin6->sin6_family = AF_INET6;
	sin6->sin6_flowinfo = 0;
	if (peer) {
		if (!inet->inet_dport ||
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)))
			return -ENOTCONN;
		sin6->sin6_port = inet->inet_dport;
		sin6->sin6_addr = sk->sk_v6_daddr;
	} else {
		sin6->sin6_port = inet->inet_sport;
		sin6->sin6_addr = sk->sk_v6_rcv_saddr;
	}
	sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr,
						  sk->sk_bound_dev_if);
	return sizeof(*sin6);
}

/*
 * getsockname()/getpeername(): a struct sockaddr_in6 for an AF_INET6
 * socket, else a struct sockaddr_in (also before any bind or connect:
 * 0.0.0.0:0, as a fresh AF_INET socket reports).
 */
static int ktcp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_in *, sin, uaddr);
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	int err = sizeof(*sin);

	lock_sock(sk);
	if (ktcp_sk(sk)->family == AF_INET6) {
		err = ktcp_getname6(sk, uaddr, peer);
		goto out;
	}
	sin->sin_family = AF_INET;
	if (peer) {
		if (!inet->inet_dport ||
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT))) {
			err = -ENOTCONN;
			goto out;
		}
		sin->sin_port = inet->inet_dport;
		sin->sin_addr.s_addr = inet->inet_daddr;
	} else {
		sin->sin_port = inet->inet_sport;
		sin->sin_addr.s_addr = inet->inet_rcv_saddr ?: inet->inet_saddr;
	}
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
out:
	release_sock(sk);
	return err;
}

/* tcp_poll()'s answers, state by state. */
static __poll_t ktcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	int state;
	u8 shutdown;

	sock_poll_wait(file, sock, wait);
	/* Pairs with smp_store_release() in ktcp_set_state(). */
	state = smp_load_acquire(&sk->sk_state);
	if (state == TCP_LISTEN)
		return READ_ONCE(sk->sk_ack_backlog) ? EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		/* SO_RCVLOWAT holds POLLIN back, as tcp_stream_is_readable(). */
		if (ktcp_inq(sk) >= max_t(int, READ_ONCE(sk->sk_rcvlowat), 1))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (shutdown & SEND_SHUTDOWN) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else if (__sk_stream_is_writeable(sk, 1)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* Race with the ACK that frees space: look again. */
			smp_mb__after_atomic();
			if (__sk_stream_is_writeable(sk, 1))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	/* sk_err is set before the state changes: read it after. */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/*
 * The addresses are in place: take a port if bind() gave none, enter
 * the 4-tuple, pick the ISN (RFC 6528) and send the SYN.
 */
static int ktcp_connect_start(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	int err;

	/* A route cached for an earlier connect() is not this one's. */
	sk_dst_reset(sk);
	if (!ks->bound) {
		err = ktcp_port_bind(sk, inet->inet_saddr, 0);
		/*
		 * No free port: connect() says EADDRNOTAVAIL, as native's
		 * __inet_hash_connect(), where bind() says EADDRINUSE.
		 */
		if (err)
			return err == -EADDRINUSE ? -EADDRNOTAVAIL : err;
	}
	err = ktcp_conn_hash(sk);
	if (err)
		return err;

	ks->iss = ks->af_ops->isn(&ktcp_net(net)->isn_key, &sk->sk_v6_rcv_saddr,
				  &sk->sk_v6_daddr, inet->inet_sport,
				  inet->inet_dport, ktime_get_real_ns());
	ks->snd_una = ks->iss;
	ks->snd_nxt = ks->iss + 1;
	ks->write_seq = ks->iss + 1;
	ks->pushed_seq = ks->write_seq;
	ks->snd_max = ks->snd_nxt;
	ks->rcv_wnd = 0;
	ks->retransmits = 0;
	ks->fin_queued = false;
	/* What our SYN offers; ktcp_take_syn() keeps what the peer takes. */
	ks->wscale_ok = ktcp_sysctl(net, window_scaling);
	ks->rcv_wscale = ks->wscale_ok ? ktcp_rcv_wscale_for(sk) : 0;
	ks->snd_wscale = 0;
	ks->tstamp_ok = ktcp_sysctl(net, timestamps);
	ks->ts_offset = get_random_u32();
	ks->ts_recent = 0;
	ks->sack_ok = ktcp_sysctl(net, sack);
	err = ktcp_transition(sk, KTCP_EV_CONNECT);
	if (err) {
		ktcp_conn_unhash(sk);
		return err;
	}
	ktcp_inc_stats(net, KTCP_MIB_ACTIVE_OPENS);
	ktcp_send_syn(sk);
	ks->rtx_stamp = ktcp_jiffies32();	/* the SYN's, for its RTT */
	ktcp_reset_rtx_timer(sk);
	return 0;
}

/*
 * tcp_v4_connect(): route, source address, port, ISN, SYN.  Also the
 * v4-mapped connect() of an AF_INET6 socket, whose addresses then show
 * v4-mapped in sk_v6_rcv_saddr and sk_v6_daddr.
 */
static int ktcp_v4_connect(struct sock *sk, struct sockaddr *uaddr,
			   int addr_len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct flowi4 fl4;
	struct rtable *rt;
	int err;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	ktcp_take_family(sk, AF_INET);

	rt = ip_route_output_ports(net, &fl4, sk, usin->sin_addr.s_addr,
				   inet->inet_saddr, usin->sin_port,
				   inet->inet_sport, IPPROTO_TCP, 0,
				   sk->sk_bound_dev_if);
	if (IS_ERR(rt))
		return PTR_ERR(rt) == -ENETUNREACH ? -ENETUNREACH : PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	ks->af_ops = &ktcp_ipv4_ops;
	ks->advmss = ktcp_clamp_user_mss(ks, ktcp_mss_for_mtu(ks->af_ops,
							      dst_mtu(&rt->dst)));
	ip_rt_put(rt);

	if (!inet->inet_saddr)
		inet->inet_saddr = fl4.saddr;
	inet->inet_rcv_saddr = inet->inet_saddr;
	inet->inet_daddr = usin->sin_addr.s_addr;
	inet->inet_dport = usin->sin_port;
	ipv6_addr_set_v4mapped(inet->inet_saddr, &sk->sk_v6_rcv_saddr);
	ipv6_addr_set_v4mapped(inet->inet_daddr, &sk->sk_v6_daddr);

	err = ktcp_connect_start(sk);
	if (err)
		goto fail;
	return 0;

fail:
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	sk->sk_v6_daddr = in6addr_any;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
		sk->sk_v6_rcv_saddr = in6addr_any;
	}
	return err;
}

/* A v4-mapped connect() of an AF_INET6 socket goes out over IPv4. */
static int ktcp_v6_connect_mapped(struct sock *sk,
				  const struct sockaddr_in6 *usin)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = usin->sin6_port,
		.sin_addr.s_addr = usin->sin6_addr.s6_addr32[3],
	};

	if (sk->sk_ipv6only)
		return -ENETUNREACH;
	/* Bound to an IPv6 address: no IPv4 source to send from. */
	if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr) &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
		return -ENETUNREACH;
	return ktcp_v4_connect(sk, (struct sockaddr *)&sin, sizeof(sin));
}

/* tcp_v6_connect(): the same over IPv6; the socket becomes AF_INET6. */
static int ktcp_v6_connect(struct sock *sk, struct sockaddr *uaddr,
			   int addr_len)
{
	struct sockaddr_in6 *usin = (struct sockaddr_in6 *)uaddr;
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct in6_addr daddr;
	struct dst_entry *dst;
	struct flowi6 fl6;
	int addr_type, err;

	if (addr_len < KTCP_SIN6_LEN_MIN)
		return -EINVAL;
	if (usin->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	ktcp_take_family(sk, AF_INET6);

	daddr = usin->sin6_addr;
	/* connect() to :: means the loopback, as in tcp_v6_connect(). */
	if (ipv6_addr_any(&daddr)) {
		if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK), &daddr);
		else
			daddr = in6addr_loopback;
	}
	addr_type = ipv6_addr_type(&daddr);
	if (addr_type & IPV6_ADDR_MULTICAST)
		return -ENETUNREACH;
	if (addr_type & IPV6_ADDR_MAPPED) {
		struct sockaddr_in6 mapped = *usin;

		mapped.sin6_addr = daddr;
		return ktcp_v6_connect_mapped(sk, &mapped);
	}
	if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
		return -ENETUNREACH;
	if (addr_type & IPV6_ADDR_LINKLOCAL) {
		if (addr_len >= (int)sizeof(struct sockaddr_in6) &&
		    usin->sin6_scope_id) {
			if (sk->sk_bound_dev_if &&
			    sk->sk_bound_dev_if != usin->sin6_scope_id)
				return -EINVAL;
			sk->sk_bound_dev_if = usin->sin6_scope_id;
		}
		if (!sk->sk_bound_dev_if)
			return -EINVAL;
	}

	memset(&fl6, 0, sizeof(fl6));
	fl6.flowi6_proto = IPPROTO_TCP;
	fl6.daddr = daddr;
	fl6.saddr = sk->sk_v6_rcv_saddr;
	fl6.flowi6_oif = sk->sk_bound_dev_if;
	fl6.flowi6_mark = READ_ONCE(sk->sk_mark);
	fl6.flowi6_uid = sk->sk_uid;
	fl6.fl6_dport = usin->sin6_port;
	fl6.fl6_sport = inet->inet_sport;
	/* No socket to the routing code: a ktcp socket has no ipv6_pinfo. */
	dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	ks->af_ops = &ktcp_ipv6_ops;
	ks->advmss = ktcp_clamp_user_mss(ks, ktcp_mss_for_mtu(ks->af_ops,
							      dst_mtu(dst)));
	dst_release(dst);

	if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		sk->sk_v6_rcv_saddr = fl6.saddr;
	sk->sk_v6_daddr = daddr;
	inet->inet_dport = usin->sin6_port;
	/* Never an IPv4 address: no IPv4 lookup matches this socket. */
	inet->inet_saddr = 0;
	inet->inet_rcv_saddr = 0;
	inet->inet_daddr = 0;

	err = ktcp_connect_start(sk);
	if (err)
		goto fail;
	return 0;

fail:
	ks->af_ops = &ktcp_ipv4_ops;
	inet->inet_dport = 0;
	sk->sk_v6_daddr = in6addr_any;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		sk->sk_v6_rcv_saddr = in6addr_any;
	return err;
}

static long ktcp_wait_for_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		if (signal_pending(current) || !timeo)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
}

/* inet_stream_connect(): the same errnos in the same states. */
static int ktcp_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;

	lock_sock(sk);
	if (uaddr->sa_family == AF_UNSPEC) {
		err = ktcp_disconnect(sk);
		sock->state = SS_UNCONNECTED;
		goto out;
	}

	switch (sock->state) {
	default:
		err = -EINVAL;
		goto out;
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		if (ktcp_addr_family(ktcp_sk(sk)->family, uaddr,
				     addr_len) == AF_INET6)
			err = ktcp_v6_connect(sk, uaddr, addr_len);
		else
			err = ktcp_v4_connect(sk, uaddr, addr_len);
		if (err < 0)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (!timeo)
			goto out;
		timeo = ktcp_wait_for_connect(sk, timeo);
		if (!timeo && ((1 << sk->sk_state) &
			       (TCPF_SYN_SENT | TCPF_SYN_RECV)))
			goto out;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
	}
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk) ?: -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

static int ktcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int somaxconn = READ_ONCE(sock_net(sk)->core.sysctl_somaxconn);
	int err = -EINVAL;

	if ((unsigned int)backlog > somaxconn)
		backlog = somaxconn;
	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED)
		goto out;
	if (sk->sk_state == TCP_LISTEN) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		err = 0;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE)
		goto out;
	if (!ktcp_sk(sk)->bound) {
		/* No bind() said which family: 0.0.0.0, an IPv4 socket. */
		if (!ktcp_sk(sk)->family)
			ktcp_sk(sk)->family = AF_INET;
		err = ktcp_port_bind(sk, 0, 0);
		if (err)
			goto out;
	}
	err = ktcp_listen_start(sk, backlog);
out:
	release_sock(sk);
	return err;
}

static int ktcp_accept_common(struct socket *sock, struct socket *newsock,
			      int flags)
{
	struct sock *sk = sock->sk, *child;
	DEFINE_WAIT(wait);
	long timeo;
	int err;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	for (;;) {
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			goto out;
		child = ktcp_accept_dequeue(sk);
		if (child)
			break;
		err = -EAGAIN;
		if (!timeo)
			goto out;
		prepare_to_wait_exclusive(sk_sleep(sk), &wait,
					  TASK_INTERRUPTIBLE);
		release_sock(sk);
		if (!READ_ONCE(sk->sk_ack_backlog))
			timeo = schedule_timeout(timeo);
		lock_sock(sk);
		finish_wait(sk_sleep(sk), &wait);
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
	}
	release_sock(sk);

	lock_sock(child);
	sock_graft(child, newsock);
	ktcp_own_sol_socket(newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
out:
	release_sock(sk);
	return err;
}

#ifdef KTCP_HAVE_PROTO_ACCEPT_ARG
static int ktcp_accept(struct socket *sock, struct socket *newsock,
		       struct proto_accept_arg *arg)
{
	return ktcp_accept_common(sock, newsock, arg->flags);
}
#else
static int ktcp_accept(struct socket *sock, struct socket *newsock,
		       int flags, bool kern)
{
	return ktcp_accept_common(sock, newsock, flags);
}
#endif

/*
 * Copy up to @len bytes of @msg into @skb's frags, from the socket's
 * page fragment (sk_page_frag()) as tcp_sendmsg_locked() does: a
 * queued segment then holds SO_SNDBUF's bytes and one skb, not a page
 * of its own.  A page per segment cost a 1,000-byte segment 4.7 KB of
 * the send buffer, nine of them filled 42,000 bytes, and the writer
 * slept with less queued than the peer's window and ktcp's congestion
 * window would send.  The caller scheduled the memory.
 *
 * Return: the bytes copied, or -ENOMEM (no page: wait as for memory)
 * or -EFAULT if there were none.
 */
static int ktcp_copy_to_frags(struct sock *sk, struct sk_buff *skb,
			      struct msghdr *msg, int len)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	int done = 0, err = 0;

	while (done < len) {
		int i = skb_shinfo(skb)->nr_frags;
		bool merge;
		int copy;

		if (!sk_page_frag_refill(sk, pfrag)) {
			err = -ENOMEM;
			break;
		}
		merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
		if (!merge && i >= MAX_SKB_FRAGS)
			break;
		copy = min_t(int, len - done, pfrag->size - pfrag->offset);
		if (!copy_from_iter_full(page_address(pfrag->page) +
					 pfrag->offset, copy, &msg->msg_iter)) {
			err = -EFAULT;
			break;
		}
		if (merge) {
			skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
		} else {
			skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset,
					   copy);
			get_page(pfrag->page);
		}
		pfrag->offset += copy;
		skb->len += copy;
		skb->data_len += copy;
		skb->truesize += copy;
		done += copy;
	}
	return done ? done : err;
}

/*
 * MSG_ZEROCOPY: @len bytes of @msg into @skb's frags as the user's own
 * pages, pinned until the segment is acknowledged, when @uarg's
 * completion reaches the error queue (tcp_sendmsg_locked()).  The core
 * charges what it pins (__zerocopy_sg_from_iter()).
 *
 * Return: the bytes taken, 0 if @skb can take none (its frags are full,
 * or it holds another send's completion), or -EFAULT.
 */
static int ktcp_zerocopy_to_frags(struct sock *sk, struct sk_buff *skb,
				  struct msghdr *msg, int len,
				  struct ubuf_info *uarg)
{
	int err = skb_zerocopy_iter_stream(sk, skb, msg, len, uarg);

	return err == -EMSGSIZE || err == -EEXIST ? 0 : err;
}

/*
 * The completion of a MSG_ZEROCOPY send (SO_ZEROCOPY), extending the
 * one the tail skb holds when it follows it, as native's.  ktcp copies
 * every transmission into a segment of its own (output.c), so the
 * user's pages never reach a device: the completion says
 * SO_EE_CODE_ZEROCOPY_COPIED, as native's does on a route without
 * scatter-gather, and tells the application that copying is cheaper.
 */
static struct ubuf_info *ktcp_zerocopy_start(struct sock *sk, size_t size)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);
	struct ubuf_info *uarg;

	uarg = msg_zerocopy_realloc(sk, size, tail ? skb_zcopy(tail) : NULL);
	if (uarg)
		uarg_to_msgzc(uarg)->zerocopy = 0;
	return uarg;
}

/*
 * PSH (tcp_mark_push()) goes on the segment that ends what a send
 * queued, as native's tcp_push() puts it: the last one of the call,
 * or the last before the writer waits for room, and never on the
 * segments before them.  A long write also pushes once more than half
 * of the largest window the peer offered went without (forced_push()).
 * MSG_MORE says more is coming: no PSH at its end, unless that push is
 * due.
 */
static bool ktcp_forced_push(const struct ktcp_sock *ks)
{
	return ktcp_seq_after(ks->write_seq,
			      ks->pushed_seq + (ks->max_window >> 1));
}

/*
 * What one skb of the write queue holds: the segments of half the
 * largest window the peer offered, at most 64 KB (tcp_xmit_size_goal(),
 * tcp_bound_to_half_wnd()).  It goes as one GSO packet, and stays one
 * skb in flight (output.c).
 */
static u32 ktcp_size_goal(const struct ktcp_sock *ks)
{
	u32 goal = ks->max_window > TCP_MSS_DEFAULT ? ks->max_window >> 1 :
		   ks->max_window;

	if (!goal || goal > SZ_64K)
		goal = SZ_64K;
	return max_t(u32, rounddown(goal, ks->mss), ks->mss);
}

/*
 * May sendmsg() add to @skb, the tail of the write queue?  Only if none
 * of it was ever sent (what went is the peer's to acknowledge as it
 * went), it carries data and no FIN, no send with MSG_EOR
 * ended at it, and it is below @goal.
 */
static bool ktcp_can_append(const struct ktcp_sock *ks,
			    const struct sk_buff *skb, u32 goal)
{
	const struct ktcp_skb_cb *cb;

	if (!skb || !skb->len || skb->len >= goal)
		return false;
	cb = KTCP_SKB_CB(skb);
	return !(cb->flags & KTCP_FIN) && !cb->eor && ktcp_skb_unsent(ks, skb);
}

static void ktcp_mark_push(struct ktcp_sock *ks, struct sk_buff *skb)
{
	KTCP_SKB_CB(skb)->flags |= KTCP_PSH;
	ks->pushed_seq = ks->write_seq;
}

/* tcp_push(): mark the last segment queued if it is not sent yet. */
static void ktcp_push(struct sock *sk, int flags)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (skb && skb->len && ktcp_skb_unsent(ks, skb) &&
	    (!(flags & MSG_MORE) || ktcp_forced_push(ks)))
		ktcp_mark_push(ks, skb);
	if (flags & MSG_MORE)
		ktcp_write_xmit_corked(sk);
	else
		ktcp_write_xmit(sk);
}

/*
 * As tcp_sendmsg_locked(): a blocking send returns only when all of
 * @msg is queued, unless a signal, SO_SNDTIMEO or an error ends the
 * wait after some of it was (then the bytes queued so far).  Whatever
 * keeps a segment from being queued (the send buffer full, memory
 * refused, no skb or page to be had) is waited out.
 */
static int ktcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ubuf_info *uarg = NULL;
	int flags = msg->msg_flags;
	size_t copied = 0;
	bool tail_full = false;
	long timeo;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto do_error;
	}
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto do_error;
	if ((flags & MSG_ZEROCOPY) && size && sock_flag(sk, SOCK_ZEROCOPY)) {
		uarg = ktcp_zerocopy_start(sk, size);
		err = -ENOBUFS;
		if (!uarg)
			goto do_error;
	}

	while (msg_data_left(msg)) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
		u32 goal = ktcp_size_goal(ks);
		bool fresh = false;
		int chunk;

		if (tail_full || !ktcp_can_append(ks, skb, goal)) {
			if (!sk_stream_memory_free(sk))
				goto wait_for_space;
			skb = alloc_skb(0, sk->sk_allocation);
			if (!skb)
				goto wait_for_space;
			KTCP_SKB_CB(skb)->seq = ks->write_seq;
			KTCP_SKB_CB(skb)->end_seq = ks->write_seq;
			fresh = true;
			tail_full = false;
		}
		chunk = min_t(size_t, msg_data_left(msg), goal - skb->len);
		/* net.ktcp.mem: wait as for a full send buffer. */
		if (!ktcp_wmem_schedule(sk, (fresh ? skb->truesize : 0) + chunk)) {
			if (fresh)
				kfree_skb(skb);
			goto wait_for_space;
		}
		/*
		 * Charged before it is filled: the core charges the pages
		 * MSG_ZEROCOPY pins as it pins them, even when a later
		 * page faults, and ktcp_wmem_free_skb() gives back all.
		 */
		if (fresh)
			ktcp_wmem_charge(sk, skb->truesize);
		if (uarg) {
			chunk = ktcp_zerocopy_to_frags(sk, skb, msg, chunk,
						       uarg);
		} else {
			chunk = ktcp_copy_to_frags(sk, skb, msg, chunk);
			if (chunk > 0)
				ktcp_wmem_charge(sk, chunk);
		}
		if (chunk <= 0) {
			if (fresh)
				ktcp_wmem_free_skb(sk, skb);
			err = chunk;
			if (err == -EFAULT)
				goto do_error;
			/*
			 * No frag slot left in the tail: a new skb, and PSH
			 * on the full one (tcp_sendmsg_locked()).
			 */
			if (!err && !fresh) {
				ktcp_mark_push(ks, skb);
				tail_full = true;
				continue;
			}
			goto wait_for_space;
		}
		KTCP_SKB_CB(skb)->end_seq += chunk;
		WRITE_ONCE(ks->write_seq, ks->write_seq + chunk);
		if (fresh)
			__skb_queue_tail(&sk->sk_write_queue, skb);
		copied += chunk;
		/* The last one is pushed, and sent, below. */
		if (!msg_data_left(msg))
			break;
		/*
		 * As tcp_sendmsg_locked(): send when an skb is full, and
		 * push if half the largest window went without (so a long
		 * write still has its PSHs).
		 */
		if (skb->len < goal)
			continue;
		if (ktcp_forced_push(ks))
			ktcp_mark_push(ks, skb);
		ktcp_write_xmit(sk);
		continue;

wait_for_space:
		if (copied)
			ktcp_push(sk, flags & ~MSG_MORE);
		else
			ktcp_write_xmit(sk);
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		err = sk_stream_wait_memory(sk, &timeo);
		if (err)
			goto do_error;
	}
	/* A send of nothing pushes nothing (tcp_sendmsg_locked()). */
	if (copied) {
		/* MSG_EOR: the next send starts a new skb. */
		if (flags & MSG_EOR)
			KTCP_SKB_CB(skb_peek_tail(&sk->sk_write_queue))->eor = 1;
		ktcp_push(sk, flags);
	}
	net_zcopy_put(uarg);
	release_sock(sk);
	return copied;

do_error:
	if (copied) {
		ktcp_push(sk, flags);
		net_zcopy_put(uarg);
		release_sock(sk);
		return copied;
	}
	/* Nothing went: no completion, and its number is the next one's. */
	net_zcopy_put_abort(uarg, true);
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/* After reading: tell the peer if the window opened a lot. */
static void ktcp_window_update(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 left = ks->rcv_wup + ks->rcv_wnd - ks->rcv_nxt;
	/* What ktcp_rcv_window() would offer: nothing to say otherwise. */
	u32 win = ktcp_window_select(ktcp_rcv_space(sk), ks->rcv_ratio,
				     ks->rcv_nxt, ks->rcv_nxt, ks->rcv_wscale);

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		return;
	/* Receiver SWS avoidance (RFC 9293 3.8.6.2.2): a full segment more. */
	if (win >= 2 * left + ks->mss || (!left && win >= ks->mss))
		ktcp_send_ack(sk);
}

static int ktcp_recvmsg_wait(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int rc;

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	rc = sk_wait_event(sk, timeo,
			   !skb_queue_empty(&sk->sk_receive_queue) ||
			   READ_ONCE(sk->sk_err) ||
			   (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
			   sk->sk_state == TCP_CLOSE, &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	return rc;
}

/*
 * TCP_INQ: what is left to read after this call, as tcp_inq_hint(); a
 * received FIN counts (its sequence number), so that a reader knows to
 * read on to the end of the stream.
 */
static void ktcp_put_inq_cmsg(struct sock *sk, struct msghdr *msg)
{
	const struct ktcp_sock *ks = ktcp_sk(sk);
	int inq = ks->rcv_nxt - ks->copied_seq;

	if (!inq && sk->sk_shutdown & RCV_SHUTDOWN)
		inq = 1;
	put_cmsg(msg, SOL_TCP, TCP_CM_INQ, sizeof(inq), &inq);
}

/*
 * MSG_ERRQUEUE, as inet_recv_error() answers it: the extended error
 * followed by the offender's address (SO_EE_OFFENDER), all zero for a
 * MSG_ZEROCOPY completion, at SOL_IPV6 on an AF_INET6 socket.
 * sock_recv_errqueue() leaves the address out, and a reader that checks
 * cmsg_len against native's (packetdrill does) sees a short message.
 */
static int ktcp_recv_error(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct {
		struct sock_extended_err ee;
		union {
			struct sockaddr_in sin;
			struct sockaddr_in6 sin6;
		} offender;
	} errhdr = {};
	bool ipv6 = READ_ONCE(ktcp_sk(sk)->family) == AF_INET6;
	struct sk_buff *skb;
	int copied, err;

	skb = sock_dequeue_err_skb(sk);
	if (!skb)
		return -EAGAIN;
	copied = skb->len;
	if (copied > len) {
		msg->msg_flags |= MSG_TRUNC;
		copied = len;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	sock_recv_timestamp(msg, sk, skb);
	errhdr.ee = SKB_EXT_ERR(skb)->ee;
	if (ipv6)
		put_cmsg(msg, SOL_IPV6, IPV6_RECVERR, sizeof(errhdr.ee) +
			 sizeof(errhdr.offender.sin6), &errhdr);
	else
		put_cmsg(msg, SOL_IP, IP_RECVERR, sizeof(errhdr.ee) +
			 sizeof(errhdr.offender.sin), &errhdr);
	msg->msg_flags |= MSG_ERRQUEUE;
	consume_skb(skb);
	return copied;
}

static int ktcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 peek_seq, *seq;
	int copied = 0, target;
	long timeo;

	/* tcp_recvmsg(): the error queue before anything else. */
	if (flags & MSG_ERRQUEUE)
		return ktcp_recv_error(sk, msg, len);
	if (flags & MSG_OOB)
		return -EINVAL;

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		copied = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	peek_seq = ks->copied_seq;
	seq = (flags & MSG_PEEK) ? &peek_seq : &ks->copied_seq;

	while (copied < len) {
		struct sk_buff *skb, *found = NULL;
		u32 offset = 0, chunk;
		int err;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - KTCP_SKB_CB(skb)->seq;
			if (offset < skb->len) {
				found = skb;
				break;
			}
		}
		if (found) {
			chunk = min_t(u32, found->len - offset, len - copied);
			err = skb_copy_datagram_msg(found, offset, msg, chunk);
			if (err) {
				if (!copied)
					copied = -EFAULT;
				break;
			}
			*seq += chunk;
			copied += chunk;
			if (!(flags & MSG_PEEK) && offset + chunk == found->len) {
				__skb_unlink(found, &sk->sk_receive_queue);
				kfree_skb(found);
			}
			continue;
		}
		if (copied >= target)
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		/* As tcp_cleanup_rbuf(): only a read opens the window. */
		if (copied)
			ktcp_window_update(sk);
		ktcp_recvmsg_wait(sk, &timeo);
	}
	if (copied > 0 && !(flags & MSG_PEEK))
		ktcp_window_update(sk);
	if (copied >= 0 && ks->recvmsg_inq)
		ktcp_put_inq_cmsg(sk, msg);
out:
	release_sock(sk);
	return copied;
}

static int ktcp_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	/* SHUT_RD (0) -> RCV_SHUTDOWN (1), SHUT_WR -> SEND_SHUTDOWN, ... */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		/* Wake pollers anyway, as inet_shutdown() does. */
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		fallthrough;
	case TCP_SYN_SENT:
		err = ktcp_disconnect(sk);
		sock->state = SS_UNCONNECTED;
		break;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (how & SEND_SHUTDOWN)
			ktcp_close_send(sk);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/* The family is a module parameter: ktcp_stream_ops_init() copies this. */
static const struct proto_ops ktcp_stream_ops_template = {
	.owner		= THIS_MODULE,
	.release	= ktcp_release,
	.bind		= ktcp_bind,
	.connect	= ktcp_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= ktcp_accept,
	.getname	= ktcp_getname,
	.poll		= ktcp_poll,
	.ioctl		= ktcp_ioctl,
	.listen		= ktcp_listen,
	.shutdown	= ktcp_shutdown,
	.setsockopt	= ktcp_setsockopt,
	.getsockopt	= ktcp_getsockopt,
	.sendmsg	= ktcp_sendmsg,
	.recvmsg	= ktcp_recvmsg,
	.mmap		= sock_no_mmap,
};

static const struct proto_ops *ktcp_stream_ops;

int ktcp_stream_ops_init(int family)
{
	struct proto_ops *ops;

	ops = kmemdup(&ktcp_stream_ops_template,
		      sizeof(ktcp_stream_ops_template), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	ops->family = family;
	ktcp_stream_ops = ops;
	return 0;
}

void ktcp_stream_ops_exit(void)
{
	kfree(ktcp_stream_ops);
}

/*
 * socket(AF_KTCP, type, protocol): the checks and errnos of
 * inet_create() for a family that only has SOCK_STREAM.
 */
int ktcp_create(struct net *net, struct socket *sock, int protocol, int kern)
{
	struct sock *sk;

	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != IPPROTO_IP && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, ktcp_family(), GFP_KERNEL, &ktcp_prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = ktcp_stream_ops;
	ktcp_own_sol_socket(sock);
	sock_init_data(sock, sk);
	ktcp_sock_init(sk);
	return 0;
}
