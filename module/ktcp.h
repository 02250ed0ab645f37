/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktcp internal types and the few functions that files share.
 * Locking rules: LOCKING.md.
 */
#ifndef _KTCP_H
#define _KTCP_H

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/list.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/sockptr.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "af_ops.h"
#include "cong.h"
#include "mib.h"
#include "mss.h"
#include "reassembly.h"
#include "state.h"
#include "window.h"

/* TCP options (RFC 9293 3.2, RFC 7323, RFC 2018): kind and length. */
#define KTCP_OPT_EOL		0
#define KTCP_OPT_NOP		1
#define KTCP_OPT_MSS		2
#define KTCP_OPTLEN_MSS		4
#define KTCP_OPT_WSCALE		3
#define KTCP_OPTLEN_WSCALE	3
#define KTCP_OPT_SACK_PERM	4
#define KTCP_OPTLEN_SACK_PERM	2
#define KTCP_OPT_TIMESTAMP	8
#define KTCP_OPTLEN_TIMESTAMP	10
#define KTCP_OPT_SACK		5
#define KTCP_MAX_SACK_BLOCKS	4	/* 40 option bytes hold 4 */

/* Native's limits of TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT. */
#define KTCP_MAX_KEEPIDLE	32767
#define KTCP_MAX_KEEPINTVL	32767
#define KTCP_MAX_KEEPCNT	127
/* Native's TCP_FIN_TIMEOUT_MAX, the most TCP_LINGER2 keeps, seconds. */
#define KTCP_MAX_LINGER2	120

/* The byte of the TCP header that holds the flags. */
#define KTCP_FLAG_BYTE(th)	(((u8 *)(th))[13])

/* TCP header flags, in that byte. */
#define KTCP_FIN	0x01
#define KTCP_SYN	0x02
#define KTCP_RST	0x04
#define KTCP_PSH	0x08
#define KTCP_ACK	0x10
#define KTCP_URG	0x20

/* Per segment, in skb->cb, while ktcp owns the skb. */
struct ktcp_skb_cb {
	u32	seq;		/* first sequence number */
	u32	end_seq;	/* seq + SYN + data + FIN */
	u32	ack_seq;	/* received segments only */
	u32	sent_jiffies;	/* last transmission, for RTT */
	u16	window;		/* received segments, unscaled */
	u8	flags;		/* KTCP_* */
	u8	retransmitted;	/* Karn: no RTT sample from it */
	u8	sacked;		/* the peer SACKed all of it */
	u8	eor;		/* MSG_EOR: nothing is added after it */
	u8	lost;		/* recovery.c: RACK says lost */
	u8	rexmit_out;	/* ... and its retransmission is in flight */
	u16	sent_mss;	/* the MSS it went as segments of; 0: unsent */
	u32	xmit_no;	/* transmission order (RACK), ks->xmit_count */
	u32	xmit_us;	/* when it last went, ktcp_clock_us() */
	/* Received: the device it came in on, and its L3 master (VRF). */
	int	dif;
	int	sdif;
};

/* Duplicate ACKs, or SACKed segments, that say a segment was lost. */
#define KTCP_DUPTHRESH	3

/* What rtx_timer is armed for, as native's icsk_pending. */
enum ktcp_rtx_timer_kind {
	KTCP_TIMER_RTO,		/* retransmission, SYN, persist */
	KTCP_TIMER_PROBE,	/* tail loss probe (RFC 8985 7) */
	KTCP_TIMER_REORDER,	/* RACK's reordering window (RFC 8985 6.3) */
};

/* The largest congestion window, segments (native's snd_cwnd_clamp). */
#define KTCP_CWND_MAX	65535

#define KTCP_SKB_CB(skb) ((struct ktcp_skb_cb *)&((skb)->cb[0]))

/* What the options of a segment said (parsed by ktcp_parse_options()). */
struct ktcp_syn_options {
	u16	mss;		/* 0: absent */
	u8	wscale;		/* valid if wscale_ok */
	bool	wscale_ok;
	bool	sack_ok;	/* SACK-permitted */
	bool	tstamp_ok;
	u32	tsval;
	u32	tsecr;
	u8	nr_sacks;	/* SACK blocks, RFC 2018 */
	u32	sack_start[KTCP_MAX_SACK_BLOCKS];
	u32	sack_end[KTCP_MAX_SACK_BLOCKS];
};

/* What a segment we build carries in its options. */
struct ktcp_out_options {
	u16	mss;		/* SYNs only; 0: none */
	s8	wscale;		/* SYNs only; -1: none */
	bool	sack_perm;	/* SYNs only */
	bool	tstamp;
	u32	tsval;
	u32	tsecr;
	u8	nr_sacks;
	u32	sack_start[KTCP_MAX_SACK_BLOCKS];
	u32	sack_end[KTCP_MAX_SACK_BLOCKS];
};

struct ktcp_listen;

/* What /proc/net/ktcp shows of a request socket (listen.c owns it). */
struct ktcp_request_info {
	struct hlist_node	all_node;	/* ktcp_net.requests, RCU */
	struct rcu_head		rcu;
	struct in6_addr		laddr;		/* IPv4: v4-mapped */
	struct in6_addr		raddr;
	bool			ipv6;		/* the SYN came over IPv6 */
	__be16			lport;
	__be16			rport;
	kuid_t			uid;		/* the listener's */
	u8			retrans;
	unsigned long		expires;
};

/* What TCP_INFO reports beyond the protocol state; socket lock. */
struct ktcp_info_counts {
	u64			bytes_acked;
	u64			bytes_received;	/* in order, to the queue */
	u64			bytes_sent;	/* retransmissions included */
	u64			bytes_retrans;
	u32			segs_in;
	u32			segs_out;
	u32			data_segs_in;
	u32			data_segs_out;
	u32			total_retrans;
	u32			delivered;	/* segments acknowledged */
	u32			min_rtt;	/* us; ~0U: no sample yet */
	u32			last_data_sent;	/* jiffies */
	u32			last_data_recv;
};

struct ktcp_sock {
	struct inet_sock	inet;		/* must stay first */
	struct hlist_node	bind_node;	/* port table, chain lock + RCU */
	struct hlist_node	conn_node;	/* 4-tuple table, chain lock + RCU */
	bool			bound;		/* sk_lock; in the port table */
	bool			child_port;	/* sk_lock; among its children */
	bool			hashed;		/* sk_lock; in the 4-tuple table */
	/*
	 * The address family the user sees (getsockname, accept): 0 until
	 * the first bind() or connect() says AF_INET or AF_INET6, and
	 * read as AF_INET then.  Set under sk_lock before the socket
	 * enters a table, fixed while it is in one.
	 */
	u8			family;
	/*
	 * The IP version the connection runs over (af_ops.h): IPv6's, or
	 * IPv4's, v4-mapped ones of an AF_INET6 socket included.  Both
	 * keep the addresses in sk_v6_rcv_saddr and sk_v6_daddr (IPv4's
	 * v4-mapped, and in inet_rcv_saddr and inet_daddr too).  Like
	 * family.
	 */
	const struct ktcp_af_ops *af_ops;
	/* IPv6: what validates sk_dst_cache (np->dst_cookie); sk_lock. */
	u32			dst_cookie;

	/* All below: protected by the socket lock (sk_lock or bh lock). */
	u32			iss;
	u32			snd_una;
	u32			snd_nxt;
	u32			write_seq;	/* next byte sendmsg queues */
	u32			pushed_seq;	/* write_seq at the last PSH */
	u32			snd_wnd;
	u32			max_window;	/* largest snd_wnd seen */
	u32			snd_wl1;
	u32			snd_wl2;
	u32			irs;
	u32			rcv_nxt;
	u32			copied_seq;	/* next byte recvmsg returns */
	u32			rcv_wnd;	/* last advertised */
	u32			rcv_wup;	/* rcv_nxt when it was */
	u16			rcv_ratio;	/* payload per 256 B of truesize */
	u32			snd_max;	/* highest snd_nxt: after an RTO
						 * snd_nxt goes back to snd_una
						 */
	u16			mss;		/* peer's MSS, clamped */
	u16			peer_mss;	/* its MSS option, 0: none */
	u32			mtu_info;	/* an ICMP's MTU (icmp.c) */
	u16			advmss;		/* what we announced */
	bool			fin_queued;	/* our FIN is on the write queue */
	bool			orphan;		/* on ktcp_net.orphan_list */
	bool			inuse_counted;	/* in its namespace's inuse */
	struct list_head	orphan_node;	/* on ktcp_net.orphan_list */

	/* SOL_TCP options (sockopt.c) */
	bool			nodelay;	/* TCP_NODELAY */
	bool			cork;		/* TCP_CORK */
	bool			recvmsg_inq;	/* TCP_INQ */
	bool			pingpong;	/* TCP_QUICKACK 0 */
	u8			quick_acks;	/* TCP_QUICKACK 1: ACKs to send at once */
	u8			defer_accept;	/* TCP_DEFER_ACCEPT, SYN-ACK rounds */
	u16			user_mss;	/* TCP_MAXSEG; 0: the route's */
	u32			user_timeout;	/* TCP_USER_TIMEOUT, ms; 0: retries2 */
	u32			notsent_lowat;	/* TCP_NOTSENT_LOWAT; 0: the sysctl's */
	u32			rtx_stamp;	/* jiffies: oldest unacked data left */

	/* What both SYNs agreed (RFC 7323, RFC 2018). */
	bool			wscale_ok;
	bool			tstamp_ok;
	bool			sack_ok;
	u8			snd_wscale;	/* the peer's shift */
	u8			rcv_wscale;	/* ours */
	u32			ts_offset;	/* added to our clock, per conn */
	u32			ts_recent;	/* the peer's TSval to echo */
	u32			ts_recent_stamp; /* s, ktime_get_seconds() */
	struct ktcp_ofo		ofo_queue;	/* reassembly.c */

	/*
	 * Loss recovery: RFC 5681 fast retransmit; with SACK RACK marks,
	 * RFC 6675's pipe and RFC 6937 PRR (recovery.c), else RFC 6582
	 * NewReno.
	 */
	u8			dupacks;
	u32			dup_segs;	/* delivered, as dupacks showed */
	bool			in_recovery;
	u32			recover;	/* snd_max when recovery began */
	u32			rexmit_next;	/* NewReno: holes below it resent */
	u32			highest_sack;	/* end of the highest SACK block */
	u32			xmit_count;	/* transmissions, for xmit_no */
	u32			rack_xmit_no;	/* latest sent of the delivered */
	u32			rack_end_seq;	/* ... its end: one GSO packet's
						 * pieces share an xmit_no
						 */
	bool			rack_valid;
	bool			rack_advanced;	/* since the last detection */
	u32			rack_rtt_us;	/* its RTT */
	u32			rack_min_rtt_us; /* 0: no sample yet */
	u32			pipe;		/* segments in flight, recovery */
	u32			prior_cwnd;	/* cwnd when recovery began */
	u32			prr_delivered;	/* segments delivered since */
	u32			prr_out;	/* segments sent since */
	/* RFC 8985 7 tail loss probe (recovery.c, timer.c). */
	u8			rtx_timer_kind;	/* enum ktcp_rtx_timer_kind */
	bool			tlp_pending;	/* a probe is out ... */
	bool			tlp_retrans;	/* ... a retransmission */
	u32			tlp_high_seq;	/* SND.NXT when it went */

	/* Delayed ACK (RFC 1122 4.2.3.2) */
	bool			ack_pending;
	u32			rcv_tstamp;	/* jiffies of the last segment */

	/* Keepalive (RFC 1122 4.2.3.6); 0: the sysctl's value. */
	int			keepalive_time;	/* seconds */
	int			keepalive_intvl;
	int			keepalive_probes;
	/* TCP_LINGER2: an orphan's FIN_WAIT2, seconds; 0: fin_timeout;
	 * below 0: no FIN_WAIT2 for an orphan (reset, as native).
	 */
	int			linger2;
	u8			probes_out;	/* keepalive or persist, unanswered */
	u32			probes_stamp;	/* jiffies: first persist probe
						 * of this zero window; 0: none
						 */
	u8			probe_backoff;	/* persist: doublings of the RTO
						 * between probes; answers keep
						 * it, an open window ends it
						 */
	u32			last_oow_ack;	/* jiffies: last ACK to a bad segment */

	/* Retransmission (RFC 6298), all in jiffies. */
	u32			srtt;		/* << 3 */
	u32			rttvar;		/* << 2 */
	u32			rto;
	u8			retransmits;
	u32			cwnd;		/* segments */
	u32			cwnd_cnt;	/* ACKs towards cwnd + 1 */
	u32			ssthresh;
	const struct ktcp_cong_ops *cong;	/* cong.c */
	struct ktcp_cubic	cubic;
	u32			lsndtime;	/* jiffies32: data last sent */
	/* The window's use, as native's tcp_cwnd_validate() keeps it. */
	u32			max_flight;	/* most segments out this round */
	u32			cwnd_usage_seq;	/* SND.MAX when the round began */
	bool			cwnd_was_limited; /* it held a send back */

	struct timer_list	rtx_timer;	/* SYN, data, FIN, persist */
	struct timer_list	wait_timer;	/* TIME_WAIT, FIN_WAIT_2 */
	struct timer_list	delack_timer;
	struct timer_list	keepalive_timer;
	unsigned long		deferred;	/* timers run by release_sock */

	struct ktcp_info_counts	counts;		/* TCP_INFO */

	struct ktcp_listen	*listen;	/* LISTEN only */
	struct list_head	accept_node;	/* listener's accept queue */
};

#define KTCP_DEFER_RTX	0
#define KTCP_DEFER_WAIT	1
#define KTCP_DEFER_DELACK	2
#define KTCP_DEFER_KEEPALIVE	3
/* The timers' bits hold the socket (ktcp_timer_run()); icmp.c's not. */
#define KTCP_DEFER_TIMER_LAST	KTCP_DEFER_KEEPALIVE
#define KTCP_DEFER_MTU		4	/* icmp.c: the path MTU came down */
#define KTCP_DEFER_ICMP_ERR	5	/* icmp.c: an error ends a connect */
#define KTCP_DEFER_LAST		KTCP_DEFER_ICMP_ERR

static inline struct ktcp_sock *ktcp_sk(const struct sock *sk)
{
	return (struct ktcp_sock *)sk;
}

/*
 * A lookup table (table.c), global: entries of every namespace, keyed
 * by it too.  Writers take the lock of a chain (bucket & lock_mask),
 * _bh; readers walk chains under RCU.
 */
struct ktcp_table {
	struct hlist_head	*chains;
	spinlock_t		*locks;		/* chain & lock_mask */
	/* Port table only: accepted children, never walked under RCU. */
	struct hlist_head	*children;
	u32			mask;		/* chains - 1 */
	u32			lock_mask;
};

extern struct ktcp_table ktcp_ports;
extern struct ktcp_table ktcp_conns;

/* net.ktcp.* sysctls, per namespace; read with READ_ONCE(). */
struct ktcp_sysctl {
	int	syn_retries;
	int	synack_retries;
	int	max_syn_backlog;
	int	abort_on_overflow;
	int	syncookies;
	int	fin_timeout;		/* seconds */
	int	tw_timeout;		/* seconds, 2MSL */
	int	challenge_ack_limit;	/* per second */
	int	retries2;
	int	orphan_retries;		/* 0: 8, as native */
	int	rto_min_ms;
	int	window_scaling;
	int	timestamps;
	int	sack;
	/*
	 * Bytes, as tcp_rmem and tcp_wmem: [0] what a socket is always
	 * granted under memory pressure (the initial namespace's, see
	 * ktcp_memory_floors()), [1] a new socket's buffer, [2] rmem: the
	 * largest receive buffer, which sets the window scale; wmem: the
	 * largest send buffer (no autotuning yet, so unused).
	 */
	int	rmem[3];
	int	wmem[3];
	int	keepalive_time;		/* seconds */
	int	keepalive_intvl;	/* seconds */
	int	keepalive_probes;
	/* issue 11: MSS floor, RFC 5961 5 */
	int	min_snd_mss;		/* bytes, before options */
	int	min_tso_segs;		/* segments a GSO packet may hold */
	unsigned int notsent_lowat;	/* bytes never sent a writer waits for */
	int	invalid_ratelimit;	/* ms between challenge ACKs, per socket */
	/* memory.c: what a peer can make ktcp keep */
	int	max_orphans;		/* closed, still sending */
	int	max_tw_buckets;		/* sockets in TIME_WAIT */
};

/* Everything ktcp owns in one network namespace. */
struct ktcp_net {
	u32			port_range;	/* READ_ONCE, port_range.h */
	struct ktcp_sysctl	sysctl;
	spinlock_t		requests_lock;	/* _bh, a leaf; readers RCU */
	struct hlist_head	requests;	/* every request socket, for proc */
	struct ctl_table_header	*sysctl_header;
	siphash_key_t		isn_key;	/* RFC 6528 secret */
	siphash_key_t		cookie_key;
	atomic_long_t		mib[KTCP_MIB_MAX];
	/*
	 * Challenge ACKs left in the current second: a random number
	 * around challenge_ack_limit, drawn anew each second.
	 */
	spinlock_t		challenge_lock;
	unsigned long		challenge_stamp;	/* jiffies / HZ */
	int			challenge_left;
	/* memory.c: gauges the limits of ktcp_sysctl compare with */
	atomic_t		orphans;	/* not in TIME_WAIT */
	atomic_t		tw_count;
	/* Orphans hold no reference on the namespace: its exit ends them. */
	spinlock_t		orphans_lock;	/* _bh */
	struct list_head	orphan_list;
};

extern unsigned int ktcp_net_id;

static inline struct ktcp_net *ktcp_net(const struct net *net)
{
	return net_generic(net, ktcp_net_id);
}

static inline void ktcp_inc_stats(const struct net *net, enum ktcp_mib mib)
{
	atomic_long_inc(&ktcp_net(net)->mib[mib]);
}

static inline void ktcp_add_stats(const struct net *net, enum ktcp_mib mib,
				  long n)
{
	atomic_long_add(n, &ktcp_net(net)->mib[mib]);
}

static inline void ktcp_dec_stats(const struct net *net, enum ktcp_mib mib)
{
	atomic_long_dec(&ktcp_net(net)->mib[mib]);
}

/*
 * No byte of @skb, a segment of the write queue, ever left: its
 * sequence numbers are not the peer's yet (sendmsg() may add to it, and
 * Nagle, cork and SWS avoidance may hold it).
 */
static inline bool ktcp_skb_unsent(const struct ktcp_sock *ks,
				   const struct sk_buff *skb)
{
	return !ktcp_seq_before(KTCP_SKB_CB(skb)->seq, ks->snd_max);
}

#define ktcp_sysctl(net, name) READ_ONCE(ktcp_net(net)->sysctl.name)

/*
 * The window scale a SYN or SYN-ACK of @sk offers, as
 * tcp_select_initial_window() chooses it: room for the largest buffer
 * the socket may have, net.ktcp.rmem[2] or net.core.rmem_max; if
 * SO_RCVBUF fixed its size, room for the window that buffer offers
 * before any segment arrived (half of it: tcp_full_space()).
 */
static inline u8 ktcp_rcv_wscale_for(const struct sock *sk)
{
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return ktcp_wscale_for(READ_ONCE(sk->sk_rcvbuf) / 2);
	return ktcp_wscale_for(max3(READ_ONCE(sk->sk_rcvbuf),
				    ktcp_sysctl(sock_net(sk), rmem[2]),
				    (int)READ_ONCE(sysctl_rmem_max)));
}

/* af_ktcp.c */
int ktcp_family(void);

/* socket.c */
extern struct proto ktcp_prot;
int ktcp_create(struct net *net, struct socket *sock, int protocol, int kern);
int ktcp_stream_ops_init(int family);
void ktcp_stream_ops_exit(void);
struct sock *ktcp_sk_alloc(struct net *net, gfp_t gfp);
int ktcp_transition(struct sock *sk, enum ktcp_event ev);
void ktcp_transition_close(struct sock *sk, enum ktcp_event ev);
void ktcp_done(struct sock *sk, enum ktcp_event ev);
void ktcp_destroy_sock(struct sock *sk);

/* table.c */
int ktcp_tables_init(void);
void ktcp_tables_exit(void);
int ktcp_port_bind(struct sock *sk, __be32 addr, u16 port);
int ktcp_port_listen(struct sock *sk);
void ktcp_port_inherit(struct sock *child, struct sock *listener);
void ktcp_port_unbind(struct sock *sk);
bool ktcp_port_owned(struct net *net, const struct in6_addr *addr, u16 port);
int ktcp_conn_hash(struct sock *sk);
void ktcp_conn_unhash(struct sock *sk);
struct sock *ktcp_conn_lookup(struct net *net, const struct in6_addr *saddr,
			      __be16 sport, const struct in6_addr *daddr,
			      __be16 dport, int dif, int sdif);
struct sock *ktcp_listener_lookup(struct net *net,
				  const struct in6_addr *saddr, __be16 sport,
				  const struct in6_addr *daddr, u16 dport,
				  int dif, int sdif);

/* ipv4.c */
int ktcp_ipv4_init_net(struct net *net);
void ktcp_ipv4_exit_net(struct net *net);
struct sk_buff *ktcp_alloc_skb(unsigned int payload, gfp_t gfp);

/* Why a segment went again (ktcp_xmit_skb()). */
enum ktcp_rtx_reason {
	KTCP_RTX_NEW,		/* never sent: not a retransmission */
	KTCP_RTX_RTO,		/* the retransmission timer */
	KTCP_RTX_FAST,		/* fast retransmit (duplicate ACKs, RFC 5681) */
	KTCP_RTX_SACK_HOLE,	/* a hole RACK or SACK marked lost */
	KTCP_RTX_PROBE,		/* a tail loss probe (RFC 8985 7) */
	KTCP_RTX_MTU,		/* too large for a smaller path MTU */
};

/* Why ktcp dropped a segment it took (ktcp_trace.h: ktcp_drop). */
enum ktcp_drop_reason {
	KTCP_DROP_HEADER,	/* a TCP header shorter than its offset says */
	KTCP_DROP_CSUM,
	KTCP_DROP_XFRM,		/* the IPsec input policy */
	KTCP_DROP_CONNTRACK,	/* conntrack could not confirm the flow */
	KTCP_DROP_NO_SOCKET,	/* a port ktcp holds, no connection: RST */
	KTCP_DROP_OPTIONS,	/* malformed TCP options */
	KTCP_DROP_PAWS,		/* RFC 7323 5.3: an old timestamp */
	KTCP_DROP_SEQUENCE,	/* outside the receive window */
	KTCP_DROP_RST,		/* a reset not exactly at RCV.NXT */
	KTCP_DROP_SYN,		/* a SYN in a synchronized state */
	KTCP_DROP_ACK,		/* an unacceptable ACK */
	KTCP_DROP_BACKLOG,	/* the socket's backlog is full */
};

/* deliver.c */
/*
 * Where ktcp's LOCAL_IN hooks run: after every hook a native segment
 * passes on its way to tcp_v4_rcv() or tcp_v6_rcv() (mangle, filter,
 * security, SNAT, SELinux, conntrack's helpers), before conntrack's
 * confirmation (NF_IP_PRI_CONNTRACK_CONFIRM, NF_IP6_PRI_LAST: INT_MAX),
 * which ktcp_segment_in() makes itself: a hook of equal priority would
 * run before or after it as the two were registered.
 */
#define KTCP_NF_PRI_LOCAL_IN	(INT_MAX - 1)

unsigned int ktcp_segment_in(struct net *net, struct sock *sk,
			     struct sk_buff *skb, int dif, int sdif);
int ktcp_drop_skb(struct sock *sk, struct sk_buff *skb,
		  enum ktcp_drop_reason reason);

/* ipv6.c */
int ktcp_ipv6_init_net(struct net *net);
void ktcp_ipv6_exit_net(struct net *net);

/* The send MSS once both SYNs are in: ktcp_snd_mss() (mss.h). */
static inline void ktcp_set_mss(struct ktcp_sock *ks, u16 peer_mss)
{
	ks->peer_mss = peer_mss;
	ks->mss = ktcp_snd_mss(peer_mss, ks->advmss,
			       ktcp_sysctl(sock_net(&ks->inet.sk), min_snd_mss),
			       ks->tstamp_ok);
}

/*
 * Segments in @bytes.  ktcp_snd_mss() never returns 0; a divide in
 * softirq must not trust that alone.
 */
static inline u32 ktcp_mss_segs(const struct ktcp_sock *ks, u32 bytes)
{
	return DIV_ROUND_UP(bytes, max_t(u32, ks->mss, 1));
}

/*
 * The segments @len bytes of the write queue go as, at least one (a
 * FIN alone), as native's tcp_skb_pcount(): an skb in flight is one GSO
 * packet, and recovery counts what it holds, not the skb.
 */
static inline u32 ktcp_pcount(u32 len, u32 mss)
{
	return max_t(u32, DIV_ROUND_UP(len, max_t(u32, mss, 1)), 1);
}

/*
 * Those of an skb of the write queue: as it went (an MSS since lowered
 * by the path does not recount what is in flight), else as it will go.
 */
static inline u32 ktcp_skb_mss(const struct ktcp_sock *ks,
			       const struct sk_buff *skb)
{
	return KTCP_SKB_CB(skb)->sent_mss ?: ks->mss;
}

static inline u32 ktcp_skb_segs(const struct ktcp_sock *ks,
				const struct sk_buff *skb)
{
	return ktcp_pcount(skb->len, ktcp_skb_mss(ks, skb));
}

/*
 * The congestion window in bytes.  Before fast retransmit, each segment
 * the duplicate ACKs showed delivered lets one new segment more go, up
 * to DupThresh - 1 (RFC 3042 Limited Transmit), as native takes what
 * they report (tcp_add_reno_sack(), SACKed segments) out of what is in
 * flight.
 */
static inline u32 ktcp_cwnd_bytes(const struct ktcp_sock *ks)
{
	u32 segs = ks->cwnd;

	/*
	 * SACK recovery counts what is in flight as RFC 6675's pipe, not
	 * as SND.NXT - SND.UNA: new data may go past SND.NXT while the
	 * window is larger than the pipe (recovery.c).
	 */
	if (ks->in_recovery && ks->sack_ok)
		return ks->snd_nxt - ks->snd_una +
		       (ks->cwnd > ks->pipe ? ks->cwnd - ks->pipe : 0) * ks->mss;
	if (!ks->in_recovery)
		segs += min_t(u32, ks->dup_segs, KTCP_DUPTHRESH - 1);
	return segs * ks->mss;
}

/* TS.Recent, and when it was taken (RFC 7323 5.5's 24 days). */
static inline void ktcp_store_ts_recent(struct ktcp_sock *ks, u32 tsval)
{
	ks->ts_recent = tsval;
	ks->ts_recent_stamp = (u32)ktime_get_seconds();
}

/*
 * Our SYN is acknowledged: nothing is in flight, and the marks of loss
 * recovery (RFC 6582's "recover", the SACK high mark) start at SND.UNA.
 */
static inline void ktcp_syn_acked(struct ktcp_sock *ks)
{
	ks->snd_max = ks->snd_una;
	ks->highest_sack = ks->snd_una;
	ks->recover = ks->snd_una;
}

#define KTCP_DELACK	(HZ / 25)	/* native's TCP_DELACK_MIN */
#define KTCP_RTO_MAX	(120 * HZ)	/* native's TCP_RTO_MAX: every backoff */

/* Room for link, IP and TCP headers in front of what we send. */
#define KTCP_HEADROOM	(MAX_HEADER + sizeof(struct ipv6hdr) + 60)

/* output.c */
void ktcp_send_syn(struct sock *sk);
void ktcp_send_ack(struct sock *sk);
void ktcp_send_ack_now_or_later(struct sock *sk);
void ktcp_send_probe(struct sock *sk);
void ktcp_send_rst(struct sock *sk, enum ktcp_mib why);
void ktcp_send_reset_reply(struct net *net, struct sk_buff *skb,
			   enum ktcp_mib why);
int ktcp_send_synack(struct sock *listener, const struct ktcp_af_ops *ops,
		     const struct in6_addr *saddr,
		     const struct in6_addr *daddr, __be16 sport, __be16 dport,
		     u32 iss, u32 rcv_nxt, const struct ktcp_out_options *opts,
		     u16 window);
void ktcp_write_xmit(struct sock *sk);
int ktcp_split(struct sock *sk, struct sk_buff *skb, u32 len);
void ktcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len);
void ktcp_write_xmit_corked(struct sock *sk);
void ktcp_write_xmit_push(struct sock *sk);
bool ktcp_push_held(struct sock *sk);
void ktcp_retransmit_syn(struct sock *sk);
bool ktcp_retransmit_hole(struct sock *sk);
int ktcp_xmit_skb(struct sock *sk, struct sk_buff *skb,
		  enum ktcp_rtx_reason why);

/* recovery.c */
u32 ktcp_clock_us(void);
void ktcp_rack_advance(struct ktcp_sock *ks, const struct ktcp_skb_cb *cb);
void ktcp_prr_start(struct sock *sk);
void ktcp_prr_sent(struct ktcp_sock *ks, u32 segs);
void ktcp_prr_ack(struct sock *sk, u32 delivered, bool una_advanced);
bool ktcp_rack_detect_loss(struct sock *sk, u32 sacked);
void ktcp_rack_reorder_timeout(struct sock *sk);
void ktcp_clear_scoreboard(struct sock *sk);
void ktcp_send_loss_probe(struct sock *sk);
void ktcp_tlp_ack(struct sock *sk, u32 ack, bool una_advanced, bool sacked);
bool ktcp_schedule_loss_probe(struct sock *sk, bool advancing_rto);
void ktcp_write_xmit_probe(struct sock *sk);
void ktcp_queue_fin(struct sock *sk);
struct sk_buff *ktcp_alloc_payload(unsigned int headroom, unsigned int len,
				   gfp_t gfp);
int ktcp_rcv_space(struct sock *sk);
u32 ktcp_rcv_window(struct sock *sk);

/*
 * The low 32 bits of jiffies, native's tcp_jiffies32: what every u32
 * stamp of a socket (rtx_stamp, probes_stamp, rcv_tstamp) holds.  On
 * 64-bit, jiffies starts at 2^32 - 300 s (INITIAL_JIFFIES), so five
 * minutes after boot a u32 stamp subtracted from the full jiffies is
 * 2^32 too old: compare stamps in 32 bits only, as (s32) differences.
 */
static inline u32 ktcp_jiffies32(void)
{
	return (u32)jiffies;
}

u32 ktcp_ts_now(void);

/* sockopt.c */
void ktcp_mc_drop(struct sock *sk);
int ktcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int ktcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen);
int ktcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
u32 ktcp_inq(const struct sock *sk);
bool ktcp_stream_memory_free(const struct sock *sk, int wake);

/*
 * The MSS we announce: the route's, or less if TCP_MAXSEG asked for less
 * (a larger TCP_MAXSEG never raises it, as in native).
 */
static inline u16 ktcp_clamp_user_mss(const struct ktcp_sock *ks, u16 mss)
{
	return ks->user_mss && ks->user_mss < mss ? ks->user_mss : mss;
}

/* options.c */
int ktcp_parse_options(const u8 *opt, int len, struct ktcp_syn_options *o);
int ktcp_options_size(const struct ktcp_out_options *o);
void ktcp_build_options(u8 *p, const struct ktcp_out_options *o);

/* icmp.c: what an ICMP or ICMPv6 error says of a segment it quotes. */
struct ktcp_icmp {
	int	err;	/* the errno it stands for (icmp_err_convert[]) */
	u32	mtu;	/* Fragmentation Needed, Packet Too Big: the MTU */
	u32	seq;	/* the quoted segment's sequence number */
};

void ktcp_icmp_err(struct sock *sk, const struct ktcp_icmp *e,
		   struct sk_buff *skb, unsigned int quoted);
void ktcp_mtu_reduced(struct sock *sk);
void ktcp_icmp_deferred_err(struct sock *sk);

/* input.c */
int ktcp_rcv(struct sock *sk, struct sk_buff *skb);
bool ktcp_segment_options(struct sock *sk, const struct sk_buff *skb,
			  struct ktcp_syn_options *opts);
bool ktcp_challenge_ack_allowed(struct net *net);
void ktcp_enter_recovery(struct sock *sk);

/* listen.c */
int ktcp_listen_start(struct sock *sk, int backlog);
void ktcp_listen_stop(struct sock *sk);
int ktcp_listen_rcv(struct sock *sk, struct sk_buff *skb);
struct sock *ktcp_accept_dequeue(struct sock *sk);
void ktcp_synack_work(struct sock *sk);

/* timer.c */
void ktcp_init_timers(struct sock *sk);
void ktcp_clear_timers(struct sock *sk);
void ktcp_reset_rtx_timer(struct sock *sk);
void ktcp_rearm_rto(struct sock *sk);
void ktcp_schedule_reorder(struct sock *sk, u32 timeout_us);
void ktcp_schedule_delack(struct sock *sk);
void ktcp_reset_keepalive(struct sock *sk);
void ktcp_set_keepalive(struct sock *sk, int on);
void ktcp_wait(struct sock *sk, unsigned int timeout_s);
unsigned int ktcp_fin_time(const struct sock *sk);
void ktcp_enter_time_wait(struct sock *sk, enum ktcp_event ev);
void ktcp_persist_reset(struct sock *sk);
void ktcp_rtt_sample(struct sock *sk, u32 rtt);
void ktcp_run_deferred(struct sock *sk);

/* proc.c */
int ktcp_proc_init_net(struct net *net);
void ktcp_proc_exit_net(struct net *net);
const char *ktcp_mib_name(enum ktcp_mib mib);

/* memory.c */
extern long ktcp_sysctl_mem[3];
int ktcp_memory_init(void);
void ktcp_memory_exit(void);
int ktcp_max_sockets_default(void);
void ktcp_memory_floors(struct ktcp_net *init);
void ktcp_memory_sock_init(struct sock *sk);
void ktcp_memory_sock_exit(struct sock *sk);
void ktcp_memory_sock_unuse(struct sock *sk);
bool ktcp_rmem_schedule(struct sock *sk, struct sk_buff *skb, bool ahead);
bool ktcp_prune_ofo(struct sock *sk);
bool ktcp_wmem_schedule(struct sock *sk, int size);
void ktcp_wmem_charge(struct sock *sk, int size);
void ktcp_wmem_charge_forced(struct sock *sk, int size);
void ktcp_wmem_uncharge(struct sock *sk, int size);
void ktcp_wmem_free_skb(struct sock *sk, struct sk_buff *skb);
bool ktcp_too_many_orphans(struct sock *sk);
void ktcp_purge_orphans(struct net *net);
void ktcp_wait_sockets_freed(void);
bool ktcp_orphan_check(struct sock *sk);
void ktcp_orphan_done(struct sock *sk);
bool ktcp_tw_allowed(struct sock *sk);
void ktcp_tw_count(struct sock *sk, int old, int state);

/* sysctl.c */
int ktcp_sysctl_init_net(struct net *net);
void ktcp_sysctl_exit_net(struct net *net);

#endif /* _KTCP_H */
