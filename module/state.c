// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 9293 section 3.3.2, figure 5, as a table; simultaneous open
 * (SYN_SENT + SYN -> SYN_RECV) and simultaneous close (FIN_WAIT1 + FIN
 * -> CLOSING) included.  A FIN that arrives together with the ACK of
 * ours is two events, ACK first: FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT.
 *
 * Beyond figure 5, each with its reason:
 * - An acceptable RST closes a connection, once its SYN is out, in any
 *   state but TIME_WAIT (RFC 9293 3.10.7.3, 3.10.7.4; RFC 1337).  So
 *   does giving up (KTCP_EV_TIMEOUT: retries, keepalive and
 *   TCP_USER_TIMEOUT, RFC 9293 3.8.3 R2; an orphan's fin_timeout in
 *   FIN_WAIT_2, as native).
 * - KTCP_EV_ABORT closes every state but CLOSE: the ABORT call of RFC
 *   9293 3.10.5 (close() with unread data, RFC 1122 4.2.2.13;
 *   SO_LINGER {1, 0}; connect(AF_UNSPEC); shutdown() of a listener or
 *   of a SYN_SENT socket), the reset of data that arrives after close()
 *   (RFC 9293 3.10.7.4, RFC 1122 4.2.2.13), and ktcp's own resource
 *   limits (orphans and memory, as native's tcp_out_of_resources();
 *   max_tw_buckets instead of TIME_WAIT; an accepted child whose
 *   4-tuple is taken or whose listener closes).  The caller sends the
 *   RST where one is due.
 * - A SYN in TIME_WAIT above RCV.NXT ends the old incarnation so that
 *   the listener may open the new one (RFC 9293 3.6.1, MAY-2; RFC
 *   6191).
 */

#include <linux/export.h>
#include <linux/kernel.h>

#include "state.h"

/* 0 means "no arc": TCP state numbers start at 1. */
static const u8 ktcp_transitions[TCP_MAX_STATES][KTCP_EV_MAX] = {
	[TCP_CLOSE] = {
		[KTCP_EV_CONNECT]		= TCP_SYN_SENT,
		[KTCP_EV_LISTEN]		= TCP_LISTEN,
	},
	[TCP_LISTEN] = {
		[KTCP_EV_CLOSE]			= TCP_CLOSE,
		/*
		 * The request socket, not the listener, moves on: the child
		 * that the ACK makes of it starts in SYN_RECV (listen.c).
		 */
		[KTCP_EV_RCV_SYN]		= TCP_SYN_RECV,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_SYN_SENT] = {
		[KTCP_EV_CLOSE]			= TCP_CLOSE,
		[KTCP_EV_RCV_SYN]		= TCP_SYN_RECV,
		[KTCP_EV_RCV_SYNACK]		= TCP_ESTABLISHED,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_SYN_RECV] = {
		[KTCP_EV_CLOSE]			= TCP_FIN_WAIT1,
		[KTCP_EV_RCV_ACK_OF_SYN]	= TCP_ESTABLISHED,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_ESTABLISHED] = {
		[KTCP_EV_CLOSE]			= TCP_FIN_WAIT1,
		[KTCP_EV_RCV_FIN]		= TCP_CLOSE_WAIT,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_FIN_WAIT1] = {
		[KTCP_EV_RCV_FIN]		= TCP_CLOSING,
		[KTCP_EV_RCV_ACK_OF_FIN]	= TCP_FIN_WAIT2,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_FIN_WAIT2] = {
		[KTCP_EV_RCV_FIN]		= TCP_TIME_WAIT,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_CLOSE_WAIT] = {
		[KTCP_EV_CLOSE]			= TCP_LAST_ACK,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_CLOSING] = {
		[KTCP_EV_RCV_ACK_OF_FIN]	= TCP_TIME_WAIT,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	[TCP_LAST_ACK] = {
		[KTCP_EV_RCV_ACK_OF_FIN]	= TCP_CLOSE,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
	/* RFC 1337: a RST does not cut TIME_WAIT short. */
	[TCP_TIME_WAIT] = {
		/* A new incarnation (RFC 9293 3.6.1 MAY-2, RFC 6191). */
		[KTCP_EV_RCV_SYN]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
		[KTCP_EV_ABORT]			= TCP_CLOSE,
	},
};

int ktcp_state_next(int state, enum ktcp_event ev)
{
	if (state <= 0 || state >= TCP_MAX_STATES || ev >= KTCP_EV_MAX)
		return -1;
	return ktcp_transitions[state][ev] ?: -1;
}
EXPORT_SYMBOL_NS_GPL(ktcp_state_next, KTCP_KUNIT_NS);
