// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options and ioctls of AF_KTCP.  SOL_SOCKET is the core's
 * (sock_setsockopt()); SOL_IP goes to the IPv4 code, which only touches
 * the inet_sock every ktcp socket starts with.  SOL_IPV6 has
 * IPV6_V6ONLY alone (ktcp sockets have no ipv6_pinfo).  SOL_TCP is ours: each
 * option takes the values, and fails with the errno, that
 * do_tcp_setsockopt() and do_tcp_getsockopt() give.
 */

#include <linux/igmp.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/termios.h>
#include <linux/tcp.h>
#include <linux/uaccess.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <uapi/linux/ktcp.h>

#include "ktcp.h"

#define KTCP_MIN_MSS		88	/* native's TCP_MIN_MSS */
#define KTCP_MAX_WINDOW		32767	/* native's MAX_TCP_WINDOW */
#define KTCP_MAX_QUICKACKS	16	/* native's TCP_MAX_QUICKACKS */

/*
 * TCP_DEFER_ACCEPT is kept as a number of SYN-ACK rounds: the smallest
 * count whose backed-off timeouts (1 s doubling, at most 120 s) add up
 * to @seconds.  Reading it back gives that sum, as native's
 * secs_to_retrans() and retrans_to_secs() do: 5 reads back as 7.
 */
static u8 ktcp_defer_rounds(int seconds)
{
	int timeout = 1, period = 1;
	u8 rounds = 1;

	if (seconds <= 0)
		return 0;
	while (seconds > period && rounds < 255) {
		rounds++;
		timeout = min(timeout * 2, 120);
		period += timeout;
	}
	return rounds;
}

static int ktcp_defer_seconds(u8 rounds)
{
	int timeout = 1, period;

	if (!rounds)
		return 0;
	period = timeout;
	while (--rounds) {
		timeout = min(timeout * 2, 120);
		period += timeout;
	}
	return period;
}

/* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, within native's limits. */
static int ktcp_set_keepalive_opt(struct sock *sk, int optname, int val)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	switch (optname) {
	case TCP_KEEPIDLE:
		if (val < 1 || val > KTCP_MAX_KEEPIDLE)
			return -EINVAL;
		ks->keepalive_time = val;
		/* A running keepalive restarts its idle count with it. */
		if (sock_flag(sk, SOCK_KEEPOPEN))
			ktcp_set_keepalive(sk, 1);
		return 0;
	case TCP_KEEPINTVL:
		if (val < 1 || val > KTCP_MAX_KEEPINTVL)
			return -EINVAL;
		ks->keepalive_intvl = val;
		return 0;
	default:	/* TCP_KEEPCNT */
		if (val < 1 || val > KTCP_MAX_KEEPCNT)
			return -EINVAL;
		ks->keepalive_probes = val;
		return 0;
	}
}

/*
 * TCP_QUICKACK 1 acknowledges what waits and the next segments at
 * once; 0 goes back to delaying.  Neither sticks beyond that, as in
 * native, so reading it says only whether we are in delaying mode.
 */
static void ktcp_set_quickack(struct sock *sk, int val)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (!val) {
		ks->pingpong = true;
		ks->quick_acks = 0;
		return;
	}
	ks->pingpong = false;
	ks->quick_acks = KTCP_MAX_QUICKACKS;
	if (ks->ack_pending &&
	    (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				   TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2))
		ktcp_send_ack(sk);
}

static int ktcp_set_tcp_opt(struct sock *sk, int optname, int val)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	switch (optname) {
	case TCP_NODELAY:
		ks->nodelay = !!val;
		if (val)
			ktcp_write_xmit_push(sk);
		return 0;
	case TCP_CORK:
		ks->cork = !!val;
		if (val)
			return 0;
		if (ks->nodelay)
			ktcp_write_xmit_push(sk);
		else
			ktcp_write_xmit(sk);
		return 0;
	case TCP_MAXSEG:
		if (val && (val < KTCP_MIN_MSS || val > KTCP_MAX_WINDOW))
			return -EINVAL;
		ks->user_mss = val;
		return 0;
	case TCP_QUICKACK:
		ktcp_set_quickack(sk, val);
		return 0;
	case TCP_INQ:
		if (val < 0 || val > 1)
			return -EINVAL;
		ks->recvmsg_inq = val;
		return 0;
	case TCP_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		ks->user_timeout = val;
		return 0;
	case TCP_DEFER_ACCEPT:
		ks->defer_accept = ktcp_defer_rounds(val);
		return 0;
	case TCP_NOTSENT_LOWAT:
		/* As native: any int, read as a u32; a lower mark may wake. */
		WRITE_ONCE(ks->notsent_lowat, val);
		sk->sk_write_space(sk);
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
		return ktcp_set_keepalive_opt(sk, optname, val);
	case TCP_LINGER2:
		/* As native: below 0 is -1, above 120 s is 120 s. */
		WRITE_ONCE(ks->linger2, val < 0 ? -1 :
			   min(val, KTCP_MAX_LINGER2));
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/* "cubic" (the default) or "reno" (cong.c); other names are ENOENT. */
static int ktcp_set_congestion(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	const struct ktcp_cong_ops *ops;
	char name[KTCP_CA_NAME_MAX];

	if (optlen < 1)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(name) - 1);
	if (copy_from_sockptr(name, optval, optlen))
		return -EFAULT;
	name[optlen] = 0;
	ops = ktcp_cong_find(name);
	if (!ops)
		return -ENOENT;
	lock_sock(sk);
	if (ktcp_sk(sk)->cong != ops)
		ktcp_cong_set(ktcp_sk(sk), ops);
	release_sock(sk);
	return 0;
}

/*
 * SOL_SOCKET reaches here only where ktcp_own_sol_socket() asked for it:
 * SO_REUSEPORT and SO_ZEROCOPY as sock_setsockopt() takes them for
 * AF_INET's TCP (it refuses SO_ZEROCOPY to other families), the rest to
 * the core.
 */
static int ktcp_set_sol_socket(struct socket *sock, int optname,
			       sockptr_t optval, unsigned int optlen)
{
	int val;

	if (optname != SO_REUSEPORT && optname != SO_ZEROCOPY)
		return sock_setsockopt(sock, SOL_SOCKET, optname, optval,
				       optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (optname == SO_ZEROCOPY && (val < 0 || val > 1))
		return -EINVAL;
	lock_sock(sock->sk);
	if (optname == SO_ZEROCOPY)
		sock_valbool_flag(sock->sk, SOCK_ZEROCOPY, val);
	else
		sock->sk->sk_reuseport = !!val;
	release_sock(sock->sk);
	return 0;
}

/*
 * IPV6_V6ONLY as do_ipv6_setsockopt() takes it: an int, EINVAL once the
 * socket has a port.  An AF_INET socket has no SOL_IPV6 (ENOPROTOOPT,
 * as ip_setsockopt() answers); one with no family yet takes the option
 * for the AF_INET6 bind() or connect() to come.
 */
static int ktcp_set_ipv6_opt(struct sock *sk, int optname, sockptr_t optval,
			     unsigned int optlen)
{
	int val, err = 0;

	/* ip_setsockopt() looks at the level before anything else. */
	if (READ_ONCE(ktcp_sk(sk)->family) == AF_INET)
		return -ENOPROTOOPT;
	/* A stream socket joins no group: do_ipv6_setsockopt()'s answer. */
	if (optname == IPV6_ADD_MEMBERSHIP || optname == IPV6_DROP_MEMBERSHIP)
		return optlen < sizeof(struct ipv6_mreq) ? -EINVAL : -EPROTO;
	if (optname != IPV6_V6ONLY)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	if (ktcp_sk(sk)->family == AF_INET)
		err = -ENOPROTOOPT;
	else if (inet_sk(sk)->inet_num)
		err = -EINVAL;
	else
		sk->sk_ipv6only = !!val;
	release_sock(sk);
	return err;
}

static int ktcp_get_ipv6_opt(struct sock *sk, int optname,
			     char __user *optval, int __user *optlen)
{
	int len, val;

	/* ip_getsockopt() answers EOPNOTSUPP for any level but SOL_IP. */
	if (READ_ONCE(ktcp_sk(sk)->family) == AF_INET)
		return -EOPNOTSUPP;
	if (optname != IPV6_V6ONLY)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(int));
	val = sk->sk_ipv6only;
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/**
 * ktcp_mc_drop() - leave the groups a socket joined, as inet_release()
 * @sk: a socket being closed, not locked
 *
 * IP_ADD_MEMBERSHIP is refused on a stream socket (EPROTO, as
 * do_ip_setsockopt() answers a socket with IS_ICSK), but native TCP
 * takes MCAST_JOIN_GROUP, IP_ADD_SOURCE_MEMBERSHIP and friends, and
 * inet_release() drops them with ip_mc_drop_socket().  That one is not
 * exported: leave each group with ip_mc_leave_group(), which frees the
 * entry and its source filter and puts the device's group.  Each entry
 * keeps the ifindex it was joined on, so it is found again even if the
 * device has gone.
 */
void ktcp_mc_drop(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct ip_mc_socklist *iml;

	if (!rcu_access_pointer(inet->mc_list))
		return;
	rtnl_lock();
	while ((iml = rtnl_dereference(inet->mc_list))) {
		struct ip_mreqn imr = iml->multi;

		if (WARN_ON_ONCE(ip_mc_leave_group(sk, &imr)))
			break;
	}
	rtnl_unlock();
}

int ktcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	int val, err;

	if (level == SOL_SOCKET)
		return ktcp_set_sol_socket(sock, optname, optval, optlen);
	if (level == SOL_KTCP)
		return optname == SO_REUSEPORT || optname == SO_ZEROCOPY ?
		       ktcp_set_sol_socket(sock, optname, optval, optlen) :
		       -ENOPROTOOPT;
	/*
	 * The IPv4 code tests IS_ICSK, which a ktcp socket cannot set: it
	 * would take the socket for an inet_connection_sock.  Give its
	 * answer for a stream socket here.
	 */
	if (level == SOL_IP && (optname == IP_ADD_MEMBERSHIP ||
				optname == IP_DROP_MEMBERSHIP))
		return -EPROTO;
	if (level == SOL_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (level == SOL_IPV6)
		return ktcp_set_ipv6_opt(sk, optname, optval, optlen);
	if (level != SOL_TCP)
		return -ENOPROTOOPT;
	if (optname == TCP_CONGESTION)
		return ktcp_set_congestion(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	err = ktcp_set_tcp_opt(sk, optname, val);
	release_sock(sk);
	return err;
}

static u8 ktcp_ca_state(const struct ktcp_sock *ks)
{
	if (ks->in_recovery)
		return TCP_CA_Recovery;
	if (ks->retransmits)
		return TCP_CA_Loss;
	return TCP_CA_Open;
}

static u32 ktcp_jiffies_ago_ms(u32 stamp)
{
	return jiffies_to_msecs(jiffies - stamp);
}

/* What tcp_get_info() reports, from what ktcp keeps; socket locked. */
static void ktcp_get_info(struct sock *sk, struct tcp_info *info)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	const struct ktcp_info_counts *c = &ks->counts;
	struct sk_buff *skb;
	u32 sacked = 0;

	memset(info, 0, sizeof(*info));
	info->tcpi_state = sk->sk_state;
	info->tcpi_pacing_rate = ~0ULL;
	info->tcpi_max_pacing_rate = ~0ULL;
	info->tcpi_reordering = 3;
	info->tcpi_snd_cwnd = ks->cwnd;
	if (sk->sk_state == TCP_LISTEN) {
		/* As native: the accept queue, and nothing else. */
		info->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		info->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	info->tcpi_ca_state = ktcp_ca_state(ks);
	info->tcpi_retransmits = ks->retransmits;
	info->tcpi_probes = ks->probes_out;
	info->tcpi_backoff = ks->retransmits;
	if (ks->tstamp_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (ks->sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (ks->wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = ks->snd_wscale;
		info->tcpi_rcv_wscale = ks->rcv_wscale;
	}
	info->tcpi_rto = jiffies_to_usecs(ks->rto);
	info->tcpi_ato = jiffies_to_usecs(KTCP_DELACK);
	info->tcpi_snd_mss = ks->mss;
	info->tcpi_rcv_mss = ks->advmss;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (!ktcp_seq_before(KTCP_SKB_CB(skb)->seq, ks->snd_nxt))
			break;
		info->tcpi_unacked += ktcp_skb_segs(ks, skb);
		if (KTCP_SKB_CB(skb)->sacked)
			sacked += ktcp_skb_segs(ks, skb);
	}
	info->tcpi_sacked = sacked;
	info->tcpi_last_data_sent = ktcp_jiffies_ago_ms(c->last_data_sent);
	info->tcpi_last_data_recv = ktcp_jiffies_ago_ms(c->last_data_recv);
	info->tcpi_last_ack_recv = ktcp_jiffies_ago_ms(ks->rcv_tstamp);
	info->tcpi_pmtu = ks->advmss + 40;
	info->tcpi_rcv_ssthresh = ks->rcv_wnd;
	info->tcpi_rtt = jiffies_to_usecs(ks->srtt >> 3);
	info->tcpi_rttvar = jiffies_to_usecs(ks->rttvar >> 2);
	info->tcpi_snd_ssthresh = ks->ssthresh;
	info->tcpi_advmss = ks->advmss;
	info->tcpi_rcv_space = ks->rcv_wnd;
	info->tcpi_total_retrans = c->total_retrans;
	info->tcpi_bytes_acked = c->bytes_acked;
	info->tcpi_bytes_received = c->bytes_received;
	info->tcpi_segs_out = c->segs_out;
	info->tcpi_segs_in = c->segs_in;
	info->tcpi_notsent_bytes = ks->write_seq - ks->snd_nxt;
	info->tcpi_min_rtt = c->min_rtt;
	info->tcpi_data_segs_in = c->data_segs_in;
	info->tcpi_data_segs_out = c->data_segs_out;
	info->tcpi_delivered = c->delivered;
	info->tcpi_bytes_sent = c->bytes_sent;
	info->tcpi_bytes_retrans = c->bytes_retrans;
	info->tcpi_snd_wnd = ks->snd_wnd;
}

static int ktcp_get_info_opt(struct sock *sk, char __user *optval,
			     int __user *optlen)
{
	struct tcp_info info;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	lock_sock(sk);
	ktcp_get_info(sk, &info);
	release_sock(sk);
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

static int ktcp_get_tcp_opt(struct sock *sk, int optname, int *val)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);

	switch (optname) {
	case TCP_NODELAY:
		*val = ks->nodelay;
		return 0;
	case TCP_CORK:
		*val = ks->cork;
		return 0;
	case TCP_MAXSEG:
		/* Before a connection: what the user asked for, if anything. */
		if (ks->user_mss && (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
			*val = ks->user_mss;
		else
			*val = ks->mss;
		return 0;
	case TCP_QUICKACK:
		*val = !ks->pingpong;
		return 0;
	case TCP_INQ:
		*val = ks->recvmsg_inq;
		return 0;
	case TCP_USER_TIMEOUT:
		*val = ks->user_timeout;
		return 0;
	case TCP_DEFER_ACCEPT:
		*val = ktcp_defer_seconds(ks->defer_accept);
		return 0;
	case TCP_NOTSENT_LOWAT:
		*val = READ_ONCE(ks->notsent_lowat);
		return 0;
	case TCP_KEEPIDLE:
		*val = ks->keepalive_time ?: ktcp_sysctl(net, keepalive_time);
		return 0;
	case TCP_KEEPINTVL:
		*val = ks->keepalive_intvl ?: ktcp_sysctl(net, keepalive_intvl);
		return 0;
	case TCP_KEEPCNT:
		*val = ks->keepalive_probes ?: ktcp_sysctl(net, keepalive_probes);
		return 0;
	case TCP_LINGER2:
		*val = READ_ONCE(ks->linger2);
		if (*val >= 0)
			*val = ktcp_fin_time(sk);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * IP_MTU: native reads the route cached in the socket, which a
 * connection has from connect() or from its request, and answers
 * ENOTCONN without one.  ktcp caches no route: ask for the
 * connection's.  Lengths as do_ip_getsockopt() treats an int.
 */
static int ktcp_get_ip_mtu(struct sock *sk, char __user *optval,
			   int __user *optlen)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct net *net = sock_net(sk);
	int len, val = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	lock_sock(sk);
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		val = ks->af_ops->route_mtu(net, sk, &sk->sk_v6_rcv_saddr,
					    &sk->sk_v6_daddr);
	release_sock(sk);
	if (!val)
		return -ENOTCONN;
	if (len < sizeof(int) && len > 0 && val <= 255) {
		unsigned char ucval = val;

		if (put_user(1, optlen) || put_user(ucval, optval))
			return -EFAULT;
		return 0;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

int ktcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	int len, val, err;

	if (level == SOL_IP && optname == IP_MTU)
		return ktcp_get_ip_mtu(sk, optval, optlen);
	if (level == SOL_IP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (level == SOL_IPV6)
		return ktcp_get_ipv6_opt(sk, optname, optval, optlen);
	/* An unknown level: do_ip_getsockopt()'s answer, or IPv6's. */
	if (level != SOL_TCP)
		return READ_ONCE(ktcp_sk(sk)->family) == AF_INET6 ?
		       -ENOPROTOOPT : -EOPNOTSUPP;
	if (optname == TCP_INFO)
		return ktcp_get_info_opt(sk, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (optname == TCP_CONGESTION) {
		char name[KTCP_CA_NAME_MAX] = {};

		strscpy(name, READ_ONCE(ktcp_sk(sk)->cong)->name, sizeof(name));
		len = min_t(unsigned int, len, KTCP_CA_NAME_MAX);
		if (put_user(len, optlen) || copy_to_user(optval, name, len))
			return -EFAULT;
		return 0;
	}
	len = min_t(unsigned int, len, sizeof(int));
	lock_sock(sk);
	err = ktcp_get_tcp_opt(sk, optname, &val);
	release_sock(sk);
	if (err)
		return err;
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* Unread bytes: a received FIN takes a sequence number, not a byte. */
u32 ktcp_inq(const struct sock *sk)
{
	const struct ktcp_sock *ks = ktcp_sk(sk);
	u32 avail = READ_ONCE(ks->rcv_nxt) - READ_ONCE(ks->copied_seq);

	if (avail && READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		avail--;
	return avail;
}

/*
 * proto->stream_memory_free, as tcp_stream_memory_free(): with
 * TCP_NOTSENT_LOWAT (or its sysctl) a writer waits while that much is
 * queued and never sent, whatever the send buffer holds; poll() and
 * wake-ups (@wake 1) wait until half of it is left, so that a writer
 * woken has room for a useful write.
 */
bool ktcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct ktcp_sock *ks = ktcp_sk(sk);
	u32 lowat = READ_ONCE(ks->notsent_lowat) ?:
		    ktcp_sysctl(sock_net(sk), notsent_lowat);
	/* SND.MAX: an RTO takes SND.NXT back over data that was sent. */
	u32 notsent = READ_ONCE(ks->write_seq) - READ_ONCE(ks->snd_max);

	return (notsent << wake) < lowat;
}

/* SIOCINQ, SIOCOUTQ, SIOCOUTQNSD and SIOCATMARK, as tcp_ioctl(). */
int ktcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct ktcp_sock *ks = ktcp_sk(sk);
	bool unsynced;
	int answ;

	switch (cmd) {
	case SIOCINQ:
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		break;
	case SIOCATMARK:
		/* ktcp takes no urgent data: never at the mark. */
		return put_user(0, (int __user *)arg);
	default:
		return -ENOIOCTLCMD;
	}
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		release_sock(sk);
		return -EINVAL;
	}
	unsynced = (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV);
	if (unsynced)
		answ = 0;
	else if (cmd == SIOCINQ)
		answ = ktcp_inq(sk);
	else if (cmd == SIOCOUTQ)
		answ = ks->write_seq - ks->snd_una;
	else
		answ = ks->write_seq - ks->snd_max;	/* never sent */
	release_sock(sk);
	return put_user(answ, (int __user *)arg);
}
