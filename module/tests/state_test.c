// SPDX-License-Identifier: GPL-2.0
/*
 * The state machine, arc by arc, against RFC 9293 figure 5 and the arcs
 * state.c adds to it with their reasons; every pair that is not an arc
 * must be refused (ktcp_transition() then warns and keeps the state).
 */

#include <kunit/test.h>

#include "state.h"

struct state_arc {
	const char	*name;
	int		from;
	enum ktcp_event	ev;
	int		to;
};

static const struct state_arc state_arcs[] = {
	{ "closed_connect_sends_syn", TCP_CLOSE, KTCP_EV_CONNECT, TCP_SYN_SENT },
	{ "closed_listen_listens", TCP_CLOSE, KTCP_EV_LISTEN, TCP_LISTEN },
	{ "listen_close_closes", TCP_LISTEN, KTCP_EV_CLOSE, TCP_CLOSE },
	{ "listen_syn_makes_syn_recv", TCP_LISTEN, KTCP_EV_RCV_SYN, TCP_SYN_RECV },
	{ "syn_sent_close_closes", TCP_SYN_SENT, KTCP_EV_CLOSE, TCP_CLOSE },
	{ "syn_sent_synack_establishes", TCP_SYN_SENT, KTCP_EV_RCV_SYNACK,
	  TCP_ESTABLISHED },
	{ "syn_sent_syn_is_simultaneous_open", TCP_SYN_SENT, KTCP_EV_RCV_SYN,
	  TCP_SYN_RECV },
	{ "syn_sent_rst_closes", TCP_SYN_SENT, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "syn_sent_gives_up", TCP_SYN_SENT, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "syn_recv_ack_establishes", TCP_SYN_RECV, KTCP_EV_RCV_ACK_OF_SYN,
	  TCP_ESTABLISHED },
	{ "syn_recv_close_sends_fin", TCP_SYN_RECV, KTCP_EV_CLOSE, TCP_FIN_WAIT1 },
	{ "syn_recv_rst_closes", TCP_SYN_RECV, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "syn_recv_gives_up", TCP_SYN_RECV, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "established_close_sends_fin", TCP_ESTABLISHED, KTCP_EV_CLOSE,
	  TCP_FIN_WAIT1 },
	{ "established_fin_is_close_wait", TCP_ESTABLISHED, KTCP_EV_RCV_FIN,
	  TCP_CLOSE_WAIT },
	{ "established_rst_closes", TCP_ESTABLISHED, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "established_gives_up", TCP_ESTABLISHED, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "fin_wait1_ack_is_fin_wait2", TCP_FIN_WAIT1, KTCP_EV_RCV_ACK_OF_FIN,
	  TCP_FIN_WAIT2 },
	{ "fin_wait1_fin_is_simultaneous_close", TCP_FIN_WAIT1, KTCP_EV_RCV_FIN,
	  TCP_CLOSING },
	{ "fin_wait1_rst_closes", TCP_FIN_WAIT1, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "fin_wait1_gives_up", TCP_FIN_WAIT1, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "fin_wait2_fin_is_time_wait", TCP_FIN_WAIT2, KTCP_EV_RCV_FIN,
	  TCP_TIME_WAIT },
	{ "fin_wait2_rst_closes", TCP_FIN_WAIT2, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "fin_wait2_timeout_closes", TCP_FIN_WAIT2, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "close_wait_close_is_last_ack", TCP_CLOSE_WAIT, KTCP_EV_CLOSE,
	  TCP_LAST_ACK },
	{ "close_wait_rst_closes", TCP_CLOSE_WAIT, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "close_wait_gives_up", TCP_CLOSE_WAIT, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "closing_ack_is_time_wait", TCP_CLOSING, KTCP_EV_RCV_ACK_OF_FIN,
	  TCP_TIME_WAIT },
	{ "closing_rst_closes", TCP_CLOSING, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "closing_gives_up", TCP_CLOSING, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "last_ack_ack_closes", TCP_LAST_ACK, KTCP_EV_RCV_ACK_OF_FIN, TCP_CLOSE },
	{ "last_ack_rst_closes", TCP_LAST_ACK, KTCP_EV_RCV_RST, TCP_CLOSE },
	{ "last_ack_gives_up", TCP_LAST_ACK, KTCP_EV_TIMEOUT, TCP_CLOSE },
	{ "time_wait_2msl_closes", TCP_TIME_WAIT, KTCP_EV_TIMEOUT, TCP_CLOSE },
	/* RFC 9293 3.6.1 MAY-2: a SYN above RCV.NXT ends TIME_WAIT. */
	{ "time_wait_new_syn_closes", TCP_TIME_WAIT, KTCP_EV_RCV_SYN,
	  TCP_CLOSE },
	/* RFC 9293 3.10.5 ABORT, and ktcp's resets of its own. */
	{ "listen_abort_closes", TCP_LISTEN, KTCP_EV_ABORT, TCP_CLOSE },
	{ "syn_sent_abort_closes", TCP_SYN_SENT, KTCP_EV_ABORT, TCP_CLOSE },
	{ "syn_recv_abort_closes", TCP_SYN_RECV, KTCP_EV_ABORT, TCP_CLOSE },
	{ "established_abort_closes", TCP_ESTABLISHED, KTCP_EV_ABORT,
	  TCP_CLOSE },
	{ "fin_wait1_abort_closes", TCP_FIN_WAIT1, KTCP_EV_ABORT, TCP_CLOSE },
	{ "fin_wait2_abort_closes", TCP_FIN_WAIT2, KTCP_EV_ABORT, TCP_CLOSE },
	{ "close_wait_abort_closes", TCP_CLOSE_WAIT, KTCP_EV_ABORT, TCP_CLOSE },
	{ "closing_abort_closes", TCP_CLOSING, KTCP_EV_ABORT, TCP_CLOSE },
	{ "last_ack_abort_closes", TCP_LAST_ACK, KTCP_EV_ABORT, TCP_CLOSE },
	{ "time_wait_abort_closes", TCP_TIME_WAIT, KTCP_EV_ABORT, TCP_CLOSE },
};

/*
 * Pairs the code must never send through ktcp_transition(), each one a
 * case the callers rule out before: a table that grew one of these arcs
 * would hide a bug instead of warning about it.
 */
static const struct state_arc state_refusals[] = {
	/* Nothing to abort: disconnect() of a closed socket skips it. */
	{ "closed_abort_is_refused", TCP_CLOSE, KTCP_EV_ABORT, -1 },
	/* A listener ignores RSTs; only its requests see them. */
	{ "listen_rst_is_refused", TCP_LISTEN, KTCP_EV_RCV_RST, -1 },
	/* RFC 1337 (TIME-WAIT assassination). */
	{ "time_wait_rst_is_refused", TCP_TIME_WAIT, KTCP_EV_RCV_RST, -1 },
	/* Our FIN is out: close() and shutdown() send no second one. */
	{ "fin_wait1_close_is_refused", TCP_FIN_WAIT1, KTCP_EV_CLOSE, -1 },
	{ "last_ack_close_is_refused", TCP_LAST_ACK, KTCP_EV_CLOSE, -1 },
	{ "time_wait_close_is_refused", TCP_TIME_WAIT, KTCP_EV_CLOSE, -1 },
	/* A second FIN is a retransmission, not an event. */
	{ "close_wait_fin_is_refused", TCP_CLOSE_WAIT, KTCP_EV_RCV_FIN, -1 },
	{ "time_wait_fin_is_refused", TCP_TIME_WAIT, KTCP_EV_RCV_FIN, -1 },
	/* A synchronized state answers a SYN with a challenge ACK. */
	{ "established_syn_is_refused", TCP_ESTABLISHED, KTCP_EV_RCV_SYN, -1 },
	/* Only a closed socket connects or listens. */
	{ "established_connect_is_refused", TCP_ESTABLISHED, KTCP_EV_CONNECT,
	  -1 },
	{ "syn_sent_listen_is_refused", TCP_SYN_SENT, KTCP_EV_LISTEN, -1 },
	/* A closed socket has no connection to time out or to reset. */
	{ "closed_timeout_is_refused", TCP_CLOSE, KTCP_EV_TIMEOUT, -1 },
	{ "closed_rst_is_refused", TCP_CLOSE, KTCP_EV_RCV_RST, -1 },
};

static void state_arc_desc(const struct state_arc *a, char *desc)
{
	strscpy(desc, a->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(state_arc, state_arcs, state_arc_desc);
KUNIT_ARRAY_PARAM(state_refusal, state_refusals, state_arc_desc);

static void state_arc_follows_rfc9293(struct kunit *test)
{
	const struct state_arc *a = test->param_value;

	KUNIT_EXPECT_EQ(test, ktcp_state_next(a->from, a->ev), a->to);
}

static void state_missing_arc_is_refused(struct kunit *test)
{
	const struct state_arc *a = test->param_value;

	KUNIT_EXPECT_EQ(test, ktcp_state_next(a->from, a->ev), -1);
}

static bool state_is_arc(int from, enum ktcp_event ev)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(state_arcs); i++)
		if (state_arcs[i].from == from && state_arcs[i].ev == ev)
			return true;
	return false;
}

static void state_every_other_pair_is_refused(struct kunit *test)
{
	int s, ev;

	for (s = TCP_ESTABLISHED; s < TCP_MAX_STATES; s++) {
		for (ev = 0; ev < KTCP_EV_MAX; ev++) {
			if (state_is_arc(s, ev))
				continue;
			KUNIT_EXPECT_EQ_MSG(test, ktcp_state_next(s, ev), -1,
					    "state %d event %d", s, ev);
		}
	}
}

/* An abort ends every state that has something to end, and only in CLOSE. */
static void state_abort_closes_every_open_state(struct kunit *test)
{
	static const int open_states[] = {
		TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED,
		TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_CLOSING,
		TCP_LAST_ACK, TCP_TIME_WAIT,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(open_states); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    ktcp_state_next(open_states[i],
						    KTCP_EV_ABORT),
				    TCP_CLOSE, "state %d", open_states[i]);
}

/* RFC 1337: TIME-WAIT assassination hazards. */
static void state_time_wait_ignores_rst(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_state_next(TCP_TIME_WAIT, KTCP_EV_RCV_RST), -1);
}

static void state_out_of_range_is_refused(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_state_next(0, KTCP_EV_CONNECT), -1);
	KUNIT_EXPECT_EQ(test, ktcp_state_next(TCP_MAX_STATES, KTCP_EV_CLOSE), -1);
	KUNIT_EXPECT_EQ(test, ktcp_state_next(-1, KTCP_EV_CLOSE), -1);
	KUNIT_EXPECT_EQ(test, ktcp_state_next(TCP_CLOSE, KTCP_EV_MAX), -1);
}

static struct kunit_case state_test_cases[] = {
	KUNIT_CASE_PARAM(state_arc_follows_rfc9293, state_arc_gen_params),
	KUNIT_CASE_PARAM(state_missing_arc_is_refused,
			 state_refusal_gen_params),
	KUNIT_CASE(state_every_other_pair_is_refused),
	KUNIT_CASE(state_abort_closes_every_open_state),
	KUNIT_CASE(state_time_wait_ignores_rst),
	KUNIT_CASE(state_out_of_range_is_refused),
	{}
};

static struct kunit_suite state_test_suite = {
	.name = "ktcp_state",
	.test_cases = state_test_cases,
};

kunit_test_suite(state_test_suite);
