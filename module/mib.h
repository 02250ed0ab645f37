/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters of /proc/net/ktcp_snmp, per network namespace.  Their names
 * (proc.c) and meanings follow the kernel's Tcp: and TcpExt: counters.
 */
#ifndef _KTCP_MIB_H
#define _KTCP_MIB_H

enum ktcp_mib {
	KTCP_MIB_ACTIVE_OPENS,		/* SYN sent by connect() */
	KTCP_MIB_PASSIVE_OPENS,		/* connection made from a SYN */
	KTCP_MIB_ATTEMPT_FAILS,		/* SYN_SENT/SYN_RECV -> CLOSE */
	KTCP_MIB_ESTAB_RESETS,		/* ESTABLISHED/CLOSE_WAIT reset */
	KTCP_MIB_CURR_ESTAB,		/* gauge: connections ESTABLISHED */
	KTCP_MIB_IN_SEGS,		/* segments taken by ktcp */
	KTCP_MIB_OUT_SEGS,		/* segments sent */
	KTCP_MIB_RETRANS_SEGS,		/* segments sent again */
	KTCP_MIB_IN_ERRS,		/* segments dropped as malformed */
	KTCP_MIB_IN_CSUM_ERRORS,	/* ... of which for a bad checksum */
	KTCP_MIB_OUT_RSTS,		/* RSTs sent */
	KTCP_MIB_LISTEN_OVERFLOWS,	/* accept queue full */
	KTCP_MIB_LISTEN_DROPS,		/* SYN or ACK dropped by a listener */
	KTCP_MIB_SYNCOOKIES_SENT,
	KTCP_MIB_SYNCOOKIES_RECV,	/* valid cookie came back */
	KTCP_MIB_SYNCOOKIES_FAILED,	/* invalid cookie came back */
	KTCP_MIB_CHALLENGE_ACKS,	/* RFC 5961 challenge ACKs sent */
	KTCP_MIB_BACKLOG_DROPS,		/* socket backlog full */
	KTCP_MIB_BAD_OPTIONS,		/* malformed TCP options */
	KTCP_MIB_TIMEOUTS,		/* retransmission timeouts */
	KTCP_MIB_ABORT_ON_DATA,		/* RST: data after close, linger 0;
					 * an orphan's FIN_WAIT2, TCP_LINGER2 < 0
					 */
	KTCP_MIB_ABORT_ON_LINGER,	/* RST: close() in FIN_WAIT2,
					 * TCP_LINGER2 < 0
					 */
	KTCP_MIB_ABORT_ON_CLOSE,	/* RST: close() with unread data */
	KTCP_MIB_PAWS_ESTAB,		/* dropped by PAWS (RFC 7323) */
	KTCP_MIB_OFO_QUEUE,		/* segments kept out of order */
	KTCP_MIB_FAST_RETRANS,		/* fast retransmits (3 dupacks) */
	KTCP_MIB_SACK_RECOVERY,		/* ... of which with SACK */
	KTCP_MIB_DELAYED_ACKS,		/* ACKs the delack timer sent */
	KTCP_MIB_KEEPALIVE_PROBES,	/* keepalive probes sent */
	KTCP_MIB_PERSIST_PROBES,	/* zero-window probes sent */
	KTCP_MIB_OFO_PRUNED,		/* out-of-order queue dropped */
	KTCP_MIB_RCV_PRUNED,		/* data dropped: receive buffer full */
	KTCP_MIB_RCV_COLLAPSES,		/* receive queue copied tight (collapse.c) */
	KTCP_MIB_LOSS_PROBES,		/* tail loss probes sent (RFC 8985 7) */
	KTCP_MIB_LOSS_PROBE_RECOVERY,	/* ... that repaired a loss */
	KTCP_MIB_DEFER_ACCEPT_DROPS,	/* bare ACK held by TCP_DEFER_ACCEPT */
	/* issue 11: MSS floor, timers that give up, RFC 5961 5 */
	KTCP_MIB_ABORT_ON_TIMEOUT,	/* retries, probes or user timeout ran out */
	KTCP_MIB_ACK_SKIPPED_CHALLENGE,	/* challenge ACK held: per socket limit */
	KTCP_MIB_OLD_ACKS,		/* ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] */
	/* memory.c: global memory, orphans, TIME_WAIT (issue 11) */
	KTCP_MIB_MEMORY_PRESSURES,	/* net.ktcp.mem pressure entered */
	KTCP_MIB_OFO_DROP,		/* out-of-order segment dropped: memory */
	KTCP_MIB_RCV_QDROP,		/* in-order segment dropped: memory */
	KTCP_MIB_OFO_COALESCE,		/* out-of-order segment merged */
	KTCP_MIB_ABORT_ON_MEMORY,	/* orphan reset: too many, or memory */
	KTCP_MIB_TW_OVERFLOW,		/* closed instead of TIME_WAIT */
	KTCP_MIB_LISTEN_CHILD_LATE,	/* listener's segment was its child's */
	/* listen.c: a repeated SYN's SYN-ACK held back (invalid_ratelimit) */
	KTCP_MIB_ACK_SKIPPED_SYN_RECV,
	/*
	 * Why a RST went out: every RST sent counts OutRsts and exactly one
	 * of these (ktcp_send_rst() and ktcp_send_reset_reply() take it).
	 */
	KTCP_MIB_RST_NO_SOCKET,		/* segment for no connection */
	KTCP_MIB_RST_LISTEN_ACK,	/* ACK in LISTEN: no request, no child */
	KTCP_MIB_RST_BAD_ACK,		/* ACK of nothing we sent in a handshake */
	KTCP_MIB_RST_LISTEN_OVERFLOW,	/* accept queue full, abort_on_overflow */
	KTCP_MIB_RST_ABORT_ON_CLOSE,	/* close(): unread data, unaccepted */
	KTCP_MIB_RST_ABORT_ON_DATA,	/* data after close() */
	KTCP_MIB_RST_ABORT_ON_LINGER,	/* close() with SO_LINGER {1, 0}, or in
					 * FIN_WAIT2 with TCP_LINGER2 < 0
					 */
	KTCP_MIB_RST_DISCONNECT,	/* connect(AF_UNSPEC) of a connection */
	KTCP_MIB_RST_TIMEOUT,		/* keepalive gave up */
	KTCP_MIB_RST_ABORT_ON_MEMORY,	/* orphan over max_orphans or memory */
	/* input.c: ACKs to invalid segments held by invalid_ratelimit */
	KTCP_MIB_ACK_SKIPPED_PAWS,	/* ... to a segment PAWS refused */
	KTCP_MIB_ACK_SKIPPED_SEQ,	/* ... to one outside the window */
	KTCP_MIB_ACK_SKIPPED_TIME_WAIT,	/* ... to one in TIME_WAIT */
	/* icmp.c (issue 13) */
	KTCP_MIB_OUT_OF_WINDOW_ICMPS,	/* quoting no sequence in flight */
	KTCP_MIB_PMTU_REDUCED,		/* the send MSS came down to a path MTU */
	KTCP_MIB_MAX
};

#endif /* _KTCP_MIB_H */
