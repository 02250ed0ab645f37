// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 9293 section 3.3.2, figure 5, as a table; simultaneous open
 * (SYN_SENT + SYN -> SYN_RECV) and simultaneous close (FIN_WAIT1 + FIN
 * -> CLOSING) included.  A FIN that arrives together with the ACK of
 * ours is two events, ACK first: FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT.
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
		/* The request socket, not the listener, moves on. */
		[KTCP_EV_RCV_SYN]		= TCP_SYN_RECV,
	},
	[TCP_SYN_SENT] = {
		[KTCP_EV_CLOSE]			= TCP_CLOSE,
		[KTCP_EV_RCV_SYN]		= TCP_SYN_RECV,
		[KTCP_EV_RCV_SYNACK]		= TCP_ESTABLISHED,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_SYN_RECV] = {
		[KTCP_EV_CLOSE]			= TCP_FIN_WAIT1,
		[KTCP_EV_RCV_ACK_OF_SYN]	= TCP_ESTABLISHED,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_ESTABLISHED] = {
		[KTCP_EV_CLOSE]			= TCP_FIN_WAIT1,
		[KTCP_EV_RCV_FIN]		= TCP_CLOSE_WAIT,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_FIN_WAIT1] = {
		[KTCP_EV_RCV_FIN]		= TCP_CLOSING,
		[KTCP_EV_RCV_ACK_OF_FIN]	= TCP_FIN_WAIT2,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_FIN_WAIT2] = {
		[KTCP_EV_RCV_FIN]		= TCP_TIME_WAIT,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_CLOSE_WAIT] = {
		[KTCP_EV_CLOSE]			= TCP_LAST_ACK,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_CLOSING] = {
		[KTCP_EV_RCV_ACK_OF_FIN]	= TCP_TIME_WAIT,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	[TCP_LAST_ACK] = {
		[KTCP_EV_RCV_ACK_OF_FIN]	= TCP_CLOSE,
		[KTCP_EV_RCV_RST]		= TCP_CLOSE,
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
	/* RFC 1337: a RST does not cut TIME_WAIT short. */
	[TCP_TIME_WAIT] = {
		[KTCP_EV_TIMEOUT]		= TCP_CLOSE,
	},
};

int ktcp_state_next(int state, enum ktcp_event ev)
{
	if (state <= 0 || state >= TCP_MAX_STATES || ev >= KTCP_EV_MAX)
		return -1;
	return ktcp_transitions[state][ev] ?: -1;
}
EXPORT_SYMBOL_NS_GPL(ktcp_state_next, KTCP_KUNIT_NS);
