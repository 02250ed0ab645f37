/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktcp's tracepoints (ktcp:*), in the form of native's tcp:* and
 * sock:inet_sock_set_state (include/trace/events/tcp.h): the same
 * event layouts and field names, so that a script written for native
 * needs only the event's name changed.  Defined in trace.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ktcp

#ifndef _KTCP_TRACE_HELPERS
#define _KTCP_TRACE_HELPERS

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>

#include "ktcp.h"

/*
 * Two ends as a sockaddr_in or sockaddr_in6, for %pISpc (as
 * TP_STORE_ADDR_PORTS(), which reads sk_family and an ipv6_pinfo a
 * ktcp socket has not): IPv4 ones from their v4-mapped form.
 */
static inline void ktcp_trace_addrs(u8 *saddr, u8 *daddr, sa_family_t family,
				    const struct in6_addr *s6, __be16 sport,
				    const struct in6_addr *d6, __be16 dport)
{
	memset(saddr, 0, sizeof(struct sockaddr_in6));
	memset(daddr, 0, sizeof(struct sockaddr_in6));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s = (void *)saddr, *d = (void *)daddr;

		s->sin6_family = AF_INET6;
		s->sin6_port = sport;
		s->sin6_addr = *s6;
		d->sin6_family = AF_INET6;
		d->sin6_port = dport;
		d->sin6_addr = *d6;
	} else {
		struct sockaddr_in *s = (void *)saddr, *d = (void *)daddr;

		s->sin_family = AF_INET;
		s->sin_port = sport;
		s->sin_addr.s_addr = s6->s6_addr32[3];
		d->sin_family = AF_INET;
		d->sin_port = dport;
		d->sin_addr.s_addr = d6->s6_addr32[3];
	}
}

/* A connection's ends. */
static inline void ktcp_trace_sk_addrs(u8 *saddr, u8 *daddr,
				       const struct sock *sk)
{
	ktcp_trace_addrs(saddr, daddr, ktcp_sk(sk)->af_ops->family,
			 &sk->sk_v6_rcv_saddr, inet_sk(sk)->inet_sport,
			 &sk->sk_v6_daddr, inet_sk(sk)->inet_dport);
}

/* A received segment's ends, its own direction. */
static inline void ktcp_trace_skb_addrs(u8 *saddr, u8 *daddr,
					const struct sk_buff *skb)
{
	const struct ktcp_af_ops *ops;
	struct in6_addr s6, d6;

	ops = ktcp_skb_addrs(skb, &s6, &d6);
	ktcp_trace_addrs(saddr, daddr, ops->family, &s6, tcp_hdr(skb)->source,
			 &d6, tcp_hdr(skb)->dest);
}

#endif /* _KTCP_TRACE_HELPERS */

#if !defined(_KTCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KTCP_TRACE_H

#include <linux/tracepoint.h>

#define KTCP_TRACE_STATES			\
	EM(TCP_ESTABLISHED)			\
	EM(TCP_SYN_SENT)			\
	EM(TCP_SYN_RECV)			\
	EM(TCP_FIN_WAIT1)			\
	EM(TCP_FIN_WAIT2)			\
	EM(TCP_TIME_WAIT)			\
	EM(TCP_CLOSE)				\
	EM(TCP_CLOSE_WAIT)			\
	EM(TCP_LAST_ACK)			\
	EM(TCP_LISTEN)				\
	EMe(TCP_CLOSING)

#define KTCP_TRACE_RTX				\
	EM(KTCP_RTX_NEW)			\
	EM(KTCP_RTX_RTO)			\
	EM(KTCP_RTX_FAST)			\
	EM(KTCP_RTX_SACK_HOLE)			\
	EM(KTCP_RTX_PROBE)			\
	EMe(KTCP_RTX_MTU)

#define KTCP_TRACE_DROPS			\
	EM(KTCP_DROP_HEADER)			\
	EM(KTCP_DROP_CSUM)			\
	EM(KTCP_DROP_XFRM)			\
	EM(KTCP_DROP_CONNTRACK)			\
	EM(KTCP_DROP_NO_SOCKET)			\
	EM(KTCP_DROP_OPTIONS)			\
	EM(KTCP_DROP_PAWS)			\
	EM(KTCP_DROP_SEQUENCE)			\
	EM(KTCP_DROP_RST)			\
	EM(KTCP_DROP_SYN)			\
	EM(KTCP_DROP_ACK)			\
	EMe(KTCP_DROP_BACKLOG)

/* The enums' values, for tools that parse the events' formats. */
#undef EM
#undef EMe
#define EM(a)	TRACE_DEFINE_ENUM(a);
#define EMe(a)	TRACE_DEFINE_ENUM(a);

KTCP_TRACE_STATES
KTCP_TRACE_RTX
KTCP_TRACE_DROPS

#undef EM
#undef EMe
#define EM(a)	{ a, #a },
#define EMe(a)	{ a, #a }

#define ktcp_show_state(s)	__print_symbolic(s, KTCP_TRACE_STATES)
#define ktcp_show_family(f)	__print_symbolic(f, { AF_INET, "AF_INET" }, \
						    { AF_INET6, "AF_INET6" })

/* sock:inet_sock_set_state's layout. */
TRACE_EVENT(ktcp_set_state,

	TP_PROTO(const struct sock *sk, const int oldstate, const int newstate),

	TP_ARGS(sk, oldstate, newstate),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(int, oldstate)
		__field(int, newstate)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__field(__u16, protocol)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__array(__u8, saddr_v6, 16)
		__array(__u8, daddr_v6, 16)
	),

	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
		__entry->family = ktcp_sk(sk)->af_ops->family;
		__entry->protocol = sk->sk_protocol;
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		memcpy(__entry->saddr, &inet->inet_saddr, 4);
		memcpy(__entry->daddr, &inet->inet_daddr, 4);
		memcpy(__entry->saddr_v6, &sk->sk_v6_rcv_saddr, 16);
		memcpy(__entry->daddr_v6, &sk->sk_v6_daddr, 16);
	),

	TP_printk("family=%s protocol=IPPROTO_TCP sport=%hu dport=%hu saddr=%pI4 daddr=%pI4 saddrv6=%pI6c daddrv6=%pI6c oldstate=%s newstate=%s",
		  ktcp_show_family(__entry->family),
		  __entry->sport, __entry->dport,
		  __entry->saddr, __entry->daddr,
		  __entry->saddr_v6, __entry->daddr_v6,
		  ktcp_show_state(__entry->oldstate),
		  ktcp_show_state(__entry->newstate))
);

/* tcp:tcp_retransmit_skb's layout, and why. */
TRACE_EVENT(ktcp_retransmit_skb,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb,
		 enum ktcp_rtx_reason reason),

	TP_ARGS(sk, skb, reason),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
		__field(int, state)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__array(__u8, saddr_v6, 16)
		__array(__u8, daddr_v6, 16)
		__field(__u32, seq)
		__field(__u32, len)
		__field(int, reason)
	),

	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skbaddr = skb;
		__entry->skaddr = sk;
		__entry->state = sk->sk_state;
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->family = ktcp_sk(sk)->af_ops->family;
		memcpy(__entry->saddr, &inet->inet_saddr, 4);
		memcpy(__entry->daddr, &inet->inet_daddr, 4);
		memcpy(__entry->saddr_v6, &sk->sk_v6_rcv_saddr, 16);
		memcpy(__entry->daddr_v6, &sk->sk_v6_daddr, 16);
		__entry->seq = KTCP_SKB_CB(skb)->seq;
		__entry->len = skb->len;
		__entry->reason = reason;
	),

	TP_printk("skbaddr=%p skaddr=%p family=%s sport=%hu dport=%hu saddr=%pI4 daddr=%pI4 saddrv6=%pI6c daddrv6=%pI6c state=%s seq=%u len=%u reason=%s",
		  __entry->skbaddr, __entry->skaddr,
		  ktcp_show_family(__entry->family),
		  __entry->sport, __entry->dport, __entry->saddr,
		  __entry->daddr, __entry->saddr_v6, __entry->daddr_v6,
		  ktcp_show_state(__entry->state), __entry->seq,
		  __entry->len,
		  __print_symbolic(__entry->reason, KTCP_TRACE_RTX))
);

/*
 * tcp:tcp_send_reset's layout: @sk the connection that resets (NULL
 * for a reply to a segment with no connection), @skb the segment that
 * drew it (NULL for an abort), @reason the RST's counter's name
 * (/proc/net/ktcp_snmp: RstNoSocket, RstAbortOnClose...).
 */
TRACE_EVENT(ktcp_send_reset,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb,
		 const char *reason),

	TP_ARGS(sk, skb, reason),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
		__field(int, state)
		/* A fixed field: __assign_str() changed in 6.10. */
		__array(char, reason, 32)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		__entry->skbaddr = skb;
		__entry->skaddr = sk;
		__entry->state = sk ? sk->sk_state : 0;
		strscpy(__entry->reason, reason, sizeof(__entry->reason));
		if (sk)
			ktcp_trace_sk_addrs(__entry->saddr, __entry->daddr, sk);
		else	/* the reply's direction: the segment's reversed */
			ktcp_trace_skb_addrs(__entry->daddr, __entry->saddr,
					     skb);
	),

	TP_printk("skbaddr=%p skaddr=%p src=%pISpc dest=%pISpc state=%s reason=%s",
		  __entry->skbaddr, __entry->skaddr,
		  __entry->saddr, __entry->daddr,
		  __entry->state ? ktcp_show_state(__entry->state) : "UNKNOWN",
		  __entry->reason)
);

/* tcp:tcp_receive_reset's layout: a reset that ended @sk. */
TRACE_EVENT(ktcp_receive_reset,

	TP_PROTO(const struct sock *sk),

	TP_ARGS(sk),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(int, state)
		__field(__u16, family)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->state = sk->sk_state;
		__entry->family = ktcp_sk(sk)->af_ops->family;
		ktcp_trace_sk_addrs(__entry->saddr, __entry->daddr, sk);
	),

	TP_printk("family=%s src=%pISpc dest=%pISpc state=%s",
		  ktcp_show_family(__entry->family),
		  __entry->saddr, __entry->daddr,
		  ktcp_show_state(__entry->state))
);

/*
 * A SYN cookie: sent to the SYN @skb by @sk, a listener, or checked in
 * the ACK @skb (@mss: what the cookie held, 0 if it was not valid).
 */
DECLARE_EVENT_CLASS(ktcp_syncookie,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, u32 cookie,
		 u16 mss),

	TP_ARGS(sk, skb, cookie, mss),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
		__field(__u32, cookie)
		__field(__u16, mss)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		__entry->skbaddr = skb;
		__entry->skaddr = sk;
		__entry->cookie = cookie;
		__entry->mss = mss;
		ktcp_trace_skb_addrs(__entry->saddr, __entry->daddr, skb);
	),

	TP_printk("skbaddr=%p skaddr=%p src=%pISpc dest=%pISpc cookie=%#x mss=%hu",
		  __entry->skbaddr, __entry->skaddr, __entry->saddr,
		  __entry->daddr, __entry->cookie, __entry->mss)
);

DEFINE_EVENT(ktcp_syncookie, ktcp_syncookie_sent,
	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, u32 cookie,
		 u16 mss),
	TP_ARGS(sk, skb, cookie, mss)
);

DEFINE_EVENT(ktcp_syncookie, ktcp_syncookie_check,
	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, u32 cookie,
		 u16 mss),
	TP_ARGS(sk, skb, cookie, mss)
);

/*
 * tcp:tcp_probe's layout, per ACK taken: the sender's state after it.
 * snd_cwnd and ssthresh in segments, srtt in microseconds, as native.
 */
TRACE_EVENT(ktcp_probe,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb),

	TP_ARGS(sk, skb),

	TP_STRUCT__entry(
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__field(__u32, mark)
		__field(__u16, data_len)
		__field(__u32, snd_nxt)
		__field(__u32, snd_una)
		__field(__u32, snd_cwnd)
		__field(__u32, ssthresh)
		__field(__u32, snd_wnd)
		__field(__u32, srtt)
		__field(__u32, rcv_wnd)
		__field(__u64, sock_cookie)
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
	),

	TP_fast_assign(
		const struct ktcp_sock *ks = ktcp_sk(sk);
		const struct inet_sock *inet = inet_sk(sk);

		ktcp_trace_sk_addrs(__entry->saddr, __entry->daddr, sk);
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->family = ks->af_ops->family;
		__entry->mark = skb->mark;
		__entry->data_len = skb->len - tcp_hdrlen(skb);
		__entry->snd_nxt = ks->snd_nxt;
		__entry->snd_una = ks->snd_una;
		__entry->snd_cwnd = ks->cwnd;
		__entry->ssthresh = ks->ssthresh;
		__entry->snd_wnd = ks->snd_wnd;
		__entry->srtt = jiffies_to_usecs(ks->srtt >> 3);
		__entry->rcv_wnd = ks->rcv_wnd;
		/*
		 * Read, not made: 6.1 does not export __sock_gen_cookie().
		 * 0 until sock_diag or BPF gave the socket its cookie.
		 */
		__entry->sock_cookie = atomic64_read(&sk->sk_cookie);
		__entry->skbaddr = skb;
		__entry->skaddr = sk;
	),

	TP_printk("family=%s src=%pISpc dest=%pISpc mark=%#x data_len=%d snd_nxt=%#x snd_una=%#x snd_cwnd=%u ssthresh=%u snd_wnd=%u srtt=%u rcv_wnd=%u sock_cookie=%llx skbaddr=%p skaddr=%p",
		  ktcp_show_family(__entry->family),
		  __entry->saddr, __entry->daddr, __entry->mark,
		  __entry->data_len, __entry->snd_nxt, __entry->snd_una,
		  __entry->snd_cwnd, __entry->ssthresh, __entry->snd_wnd,
		  __entry->srtt, __entry->rcv_wnd, __entry->sock_cookie,
		  __entry->skbaddr, __entry->skaddr)
);

/*
 * A segment ktcp took and dropped (as skb:kfree_skb with its reason):
 * @sk its socket, or NULL.
 */
TRACE_EVENT(ktcp_drop,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb,
		 enum ktcp_drop_reason reason),

	TP_ARGS(sk, skb, reason),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
		__field(int, reason)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		__entry->skbaddr = skb;
		__entry->skaddr = sk;
		__entry->reason = reason;
		ktcp_trace_skb_addrs(__entry->saddr, __entry->daddr, skb);
	),

	TP_printk("skbaddr=%p skaddr=%p src=%pISpc dest=%pISpc reason=%s",
		  __entry->skbaddr, __entry->skaddr, __entry->saddr,
		  __entry->daddr,
		  __print_symbolic(__entry->reason, KTCP_TRACE_DROPS))
);

#endif /* _KTCP_TRACE_H */

/* Out of the kernel tree: define_trace.h finds this file by its path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ktcp_trace
#include <trace/define_trace.h>
