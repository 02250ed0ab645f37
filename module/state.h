/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RFC 9293 state machine as a pure transition function, so that
 * every arc can be tested without a socket (tests/state_test.c).  States
 * are the kernel's TCP_* numbers, which /proc/net/ktcp prints.  Every
 * change of a socket's state goes through it: ktcp_transition().
 */
#ifndef _KTCP_STATE_H
#define _KTCP_STATE_H

#include <net/tcp_states.h>

enum ktcp_event {
	KTCP_EV_CONNECT,	/* application: active open, SYN sent */
	KTCP_EV_LISTEN,		/* application: passive open */
	KTCP_EV_CLOSE,		/* application: close() or shutdown(WR) */
	KTCP_EV_RCV_SYN,	/* a SYN without ACK arrived */
	KTCP_EV_RCV_SYNACK,	/* a SYN acking our SYN arrived */
	KTCP_EV_RCV_ACK_OF_SYN,	/* our SYN is acknowledged */
	KTCP_EV_RCV_FIN,	/* a FIN arrived, in order */
	KTCP_EV_RCV_ACK_OF_FIN,	/* our FIN is acknowledged */
	KTCP_EV_RCV_RST,	/* an acceptable RST arrived */
	KTCP_EV_TIMEOUT,	/* TIME_WAIT or FIN_WAIT_2 ran out, or gave up */
	KTCP_EV_ABORT,		/* ktcp or the application aborts: see state.c */
	KTCP_EV_MAX,
};

/**
 * ktcp_state_next() - the state after @ev in @state
 * @state: a TCP_* state
 * @ev: what happened
 *
 * Return: the next TCP_* state, or -1 if RFC 9293 has no such arc
 * (ktcp_transition() then refuses the event: a bug in ktcp).
 */
int ktcp_state_next(int state, enum ktcp_event ev);

/* States in which a FIN from us has been sent. */
#define KTCPF_FIN_SENT	(TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | TCPF_CLOSING | \
			 TCPF_LAST_ACK | TCPF_TIME_WAIT)
/* States that have a synchronized connection (RFC 9293 3.10.7.4). */
#define KTCPF_SYNCHRONIZED (TCPF_ESTABLISHED | KTCPF_FIN_SENT | \
			    TCPF_CLOSE_WAIT)

#endif /* _KTCP_STATE_H */
