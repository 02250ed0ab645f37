// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ktcp: every ktcp socket of the namespace, in the columns of
 * /proc/net/tcp so that existing tools and eyes can read it.
 * /proc/net/ktcp6 likewise for the AF_INET6 sockets, in the columns of
 * /proc/net/tcp6 (v4-mapped connections of AF_INET6 sockets included,
 * as there).  A request socket goes to the file of its SYN's family.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "ktcp.h"

/* /proc/net/tcp pads every line to this width. */
#define KTCP_PROC_LINE	150

/*
 * Rows come in three passes: the sockets of the port table that have
 * no 4-tuple (listeners, and sockets only bound, which /proc/net/tcp
 * would not show), the connection table (every state from SYN_SENT to
 * TIME_WAIT), then the request sockets.  Each pass is walked chain by
 * chain under RCU; no lock that softirq takes is held.
 */
enum ktcp_seq_pass {
	KTCP_SEQ_PORTS,
	KTCP_SEQ_CONNS,
	KTCP_SEQ_REQUESTS,
	KTCP_SEQ_DONE,
};

/*
 * Where a read stopped, so that the next read() resumes there instead
 * of counting rows from the start (native's tcp_seek_last_pos()): the
 * row at seq position @last_pos is the @offset'th node (0-based) of
 * chain @bucket of @pass.  Entries join a chain at its tail, so a
 * resumed chain never shows a row twice; one that leaves the chain
 * before that node makes the reader miss a row, as native's can.
 */
struct ktcp_seq_state {
	struct seq_net_private	p;	/* first: seq_file_net() */
	enum ktcp_seq_pass	pass;
	u32			bucket;
	u32			offset;
	loff_t			last_pos;
};

static int ktcp_seq_show6(struct seq_file *seq, void *v);

/* Which of the two files @seq is: true for /proc/net/ktcp6. */
static bool ktcp_seq_v6(struct seq_file *seq)
{
	return seq->op->show == ktcp_seq_show6;
}

static u32 ktcp_seq_chains(enum ktcp_seq_pass pass)
{
	switch (pass) {
	case KTCP_SEQ_PORTS:
		return ktcp_ports.mask + 1;
	case KTCP_SEQ_CONNS:
		return ktcp_conns.mask + 1;
	case KTCP_SEQ_REQUESTS:
		return 1;
	default:
		return 0;
	}
}

static struct hlist_head *ktcp_seq_chain(struct seq_file *seq,
					 enum ktcp_seq_pass pass, u32 bucket)
{
	switch (pass) {
	case KTCP_SEQ_PORTS:
		return &ktcp_ports.chains[bucket];
	case KTCP_SEQ_CONNS:
		return &ktcp_conns.chains[bucket];
	default:
		return &ktcp_net(seq_file_net(seq))->requests;
	}
}

/* The row that @node of a chain of @pass is, or NULL if @seq skips it. */
static void *ktcp_seq_row(struct seq_file *seq, enum ktcp_seq_pass pass,
			  struct hlist_node *node)
{
	bool v6 = ktcp_seq_v6(seq);
	struct ktcp_request_info *req;
	struct ktcp_sock *ks;

	if (pass == KTCP_SEQ_REQUESTS) {
		req = hlist_entry(node, struct ktcp_request_info, all_node);
		return req->ipv6 == v6 ? req : NULL;
	}
	if (pass == KTCP_SEQ_PORTS) {
		ks = hlist_entry(node, struct ktcp_sock, bind_node);
		/* A connected socket is a row of the connection table. */
		if (!hlist_unhashed_lockless(&ks->conn_node))
			return NULL;
	} else {
		ks = hlist_entry(node, struct ktcp_sock, conn_node);
	}
	if (!net_eq(sock_net(&ks->inet.sk), seq_file_net(seq)) ||
	    (READ_ONCE(ks->family) == AF_INET6) != v6)
		return NULL;
	return ks;
}

/* The node of row @v of @pass. */
static struct hlist_node *ktcp_seq_node(enum ktcp_seq_pass pass, void *v)
{
	switch (pass) {
	case KTCP_SEQ_PORTS:
		return &((struct ktcp_sock *)v)->bind_node;
	case KTCP_SEQ_CONNS:
		return &((struct ktcp_sock *)v)->conn_node;
	default:
		return &((struct ktcp_request_info *)v)->all_node;
	}
}

/*
 * The first row at or after @node, the st->offset'th node of its chain,
 * or NULL; st->offset follows.  Offsets count nodes, rows or not, so
 * that a socket changing from hidden to shown does not move the rows
 * after it.  RCU.
 */
static void *ktcp_seq_scan(struct seq_file *seq, struct hlist_node *node)
{
	struct ktcp_seq_state *st = seq->private;
	void *row;

	for (; node; node = rcu_dereference(hlist_next_rcu(node)), st->offset++) {
		row = ktcp_seq_row(seq, st->pass, node);
		if (row)
			return row;
	}
	return NULL;
}

/*
 * The row at the state's place: at or after node st->offset of its
 * chain, else the first of a later chain.  O(chains + rows) for a whole
 * read.
 */
static void *ktcp_seq_find(struct seq_file *seq)
{
	struct ktcp_seq_state *st = seq->private;
	struct hlist_head *head;
	struct hlist_node *node;
	u32 skip;
	void *row;

	for (; st->pass < KTCP_SEQ_DONE; st->pass++, st->bucket = 0) {
		for (; st->bucket < ktcp_seq_chains(st->pass);
		     st->bucket++, st->offset = 0) {
			head = ktcp_seq_chain(seq, st->pass, st->bucket);
			node = rcu_dereference(hlist_first_rcu(head));
			for (skip = st->offset; node && skip; skip--)
				node = rcu_dereference(hlist_next_rcu(node));
			row = ktcp_seq_scan(seq, node);
			if (row)
				return row;
		}
	}
	return NULL;
}

/* The row after @v, which the state points at. */
static void *ktcp_proc_next_row(struct seq_file *seq, void *v)
{
	struct ktcp_seq_state *st = seq->private;
	struct hlist_node *node;
	void *row;

	if (v == SEQ_START_TOKEN) {
		st->pass = KTCP_SEQ_PORTS;
		st->bucket = 0;
		st->offset = 0;
		return ktcp_seq_find(seq);
	}
	node = ktcp_seq_node(st->pass, v);
	st->offset++;
	row = ktcp_seq_scan(seq, rcu_dereference(hlist_next_rcu(node)));
	if (row)
		return row;
	st->bucket++;
	st->offset = 0;
	return ktcp_seq_find(seq);
}

static void *ktcp_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct ktcp_seq_state *st = seq->private;
	void *v = SEQ_START_TOKEN;
	loff_t n;

	rcu_read_lock();
	if (!*pos) {
		st->last_pos = 0;
		return SEQ_START_TOKEN;
	}
	/* The next read() of a sequential reader: resume at its row. */
	if (*pos == st->last_pos)
		return ktcp_seq_find(seq);
	/* A seek: count rows from the start. */
	for (n = 0; v && n < *pos; n++)
		v = ktcp_proc_next_row(seq, v);
	return v;
}

static void *ktcp_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return ktcp_proc_next_row(seq, v);
}

static void ktcp_seq_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	struct ktcp_seq_state *st = seq->private;

	st->last_pos = seq->index;
	rcu_read_unlock();
}

/* A request socket, as /proc/net/tcp shows one: SYN_RECV, no inode. */
static void ktcp_seq_show_request(struct seq_file *seq,
				  const struct ktcp_request_info *req)
{
	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %u %d %pK",
		   seq->index - 1, req->laddr.s6_addr32[3], ntohs(req->lport),
		   req->raddr.s6_addr32[3], ntohs(req->rport), TCP_SYN_RECV, 0, 0, 1,
		   jiffies_delta_to_clock_t(READ_ONCE(req->expires) - jiffies),
		   READ_ONCE(req->retrans),
		   from_kuid_munged(seq_user_ns(seq), req->uid), 0, 0, 0, req);
}

/* An IPv6 address and port as /proc/net/tcp6 prints them: raw words. */
static void ktcp_seq_put_addr6(struct seq_file *seq, const struct in6_addr *a,
			       __be16 port)
{
	seq_printf(seq, " %08X%08X%08X%08X:%04X", a->s6_addr32[0],
		   a->s6_addr32[1], a->s6_addr32[2], a->s6_addr32[3],
		   ntohs(port));
}

static void ktcp_seq_show_request6(struct seq_file *seq,
				   const struct ktcp_request_info *req)
{
	seq_printf(seq, "%4lld:", seq->index - 1);
	ktcp_seq_put_addr6(seq, &req->laddr, req->lport);
	ktcp_seq_put_addr6(seq, &req->raddr, req->rport);
	seq_printf(seq, " %02X %08X:%08X %02X:%08lX %08X %5u %8d %d %d %pK\n",
		   TCP_SYN_RECV, 0, 0, 1,
		   jiffies_delta_to_clock_t(READ_ONCE(req->expires) - jiffies),
		   READ_ONCE(req->retrans),
		   from_kuid_munged(seq_user_ns(seq), req->uid), 0, 0, 0, req);
}

static int __ktcp_seq_show(struct seq_file *seq, void *v, bool v6)
{
	unsigned long expires = 0;
	int state, timer = 0;
	u32 tx_queue, rx_queue;
	struct ktcp_sock *ks;
	struct inet_sock *inet;
	struct sock *sk;

	if (v6) {
		if (v == SEQ_START_TOKEN) {
			seq_puts(seq, "  sl  local_address                         remote_address                        st");
			seq_puts(seq, " tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
			return 0;
		}
	} else {
		seq_setwidth(seq, KTCP_PROC_LINE - 1);
		if (v == SEQ_START_TOKEN) {
			seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
			goto pad;
		}
	}
	if (((struct ktcp_seq_state *)seq->private)->pass ==
	    KTCP_SEQ_REQUESTS) {
		if (v6) {
			ktcp_seq_show_request6(seq, v);
			return 0;
		}
		ktcp_seq_show_request(seq, v);
		goto pad;
	}

	ks = v;
	sk = &ks->inet.sk;
	inet = &ks->inet;
	/* Pairs with smp_store_release() in ktcp_set_state(). */
	state = smp_load_acquire(&sk->sk_state);
	/* As /proc/net/tcp: a listener's rx_queue is its accept queue. */
	if (state == TCP_LISTEN)
		rx_queue = READ_ONCE(sk->sk_ack_backlog);
	else
		/* The peer's FIN takes a sequence number but no byte. */
		rx_queue = max_t(int, READ_ONCE(ks->rcv_nxt) -
				 READ_ONCE(ks->copied_seq) -
				 !!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN), 0);
	tx_queue = READ_ONCE(ks->write_seq) - READ_ONCE(ks->snd_una);
	if (state == TCP_LISTEN || state == TCP_CLOSE)
		tx_queue = 0;
	if (timer_pending(&ks->rtx_timer)) {
		timer = 1;
		expires = ks->rtx_timer.expires;
	} else if (timer_pending(&ks->wait_timer)) {
		timer = state == TCP_TIME_WAIT ? 3 : 2;
		expires = ks->wait_timer.expires;
	}
	if (v6) {
		seq_printf(seq, "%4lld:", seq->index - 1);
		ktcp_seq_put_addr6(seq, &sk->sk_v6_rcv_saddr, inet->inet_sport);
		ktcp_seq_put_addr6(seq, &sk->sk_v6_daddr, inet->inet_dport);
		seq_printf(seq, " %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK\n",
			   state, tx_queue, rx_queue, timer,
			   timer ? jiffies_delta_to_clock_t(expires - jiffies) : 0L,
			   READ_ONCE(ks->retransmits),
			   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
			   0, sock_i_ino(sk), refcount_read(&sk->sk_refcnt), sk);
		return 0;
	}
	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK",
		   seq->index - 1,
		   inet->inet_rcv_saddr, ntohs(inet->inet_sport),
		   inet->inet_daddr, ntohs(inet->inet_dport),
		   state, tx_queue, rx_queue,
		   timer, timer ? jiffies_delta_to_clock_t(expires - jiffies) : 0L,
		   READ_ONCE(ks->retransmits),
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		   0, sock_i_ino(sk), refcount_read(&sk->sk_refcnt), sk);
pad:
	seq_pad(seq, '\n');
	return 0;
}

static int ktcp_seq_show(struct seq_file *seq, void *v)
{
	return __ktcp_seq_show(seq, v, false);
}

static int ktcp_seq_show6(struct seq_file *seq, void *v)
{
	return __ktcp_seq_show(seq, v, true);
}

static const struct seq_operations ktcp_seq_ops = {
	.start	= ktcp_seq_start,
	.next	= ktcp_seq_next,
	.stop	= ktcp_seq_stop,
	.show	= ktcp_seq_show,
};

static const struct seq_operations ktcp6_seq_ops = {
	.start	= ktcp_seq_start,
	.next	= ktcp_seq_next,
	.stop	= ktcp_seq_stop,
	.show	= ktcp_seq_show6,
};

/* The names of the kernel's own Tcp: and TcpExt: counters. */
static const char * const ktcp_mib_names[KTCP_MIB_MAX] = {
	[KTCP_MIB_ACTIVE_OPENS]		= "ActiveOpens",
	[KTCP_MIB_PASSIVE_OPENS]	= "PassiveOpens",
	[KTCP_MIB_ATTEMPT_FAILS]	= "AttemptFails",
	[KTCP_MIB_ESTAB_RESETS]		= "EstabResets",
	[KTCP_MIB_CURR_ESTAB]		= "CurrEstab",
	[KTCP_MIB_IN_SEGS]		= "InSegs",
	[KTCP_MIB_OUT_SEGS]		= "OutSegs",
	[KTCP_MIB_RETRANS_SEGS]		= "RetransSegs",
	[KTCP_MIB_IN_ERRS]		= "InErrs",
	[KTCP_MIB_IN_CSUM_ERRORS]	= "InCsumErrors",
	[KTCP_MIB_OUT_RSTS]		= "OutRsts",
	[KTCP_MIB_LISTEN_OVERFLOWS]	= "ListenOverflows",
	[KTCP_MIB_LISTEN_DROPS]		= "ListenDrops",
	[KTCP_MIB_SYNCOOKIES_SENT]	= "SyncookiesSent",
	[KTCP_MIB_SYNCOOKIES_RECV]	= "SyncookiesRecv",
	[KTCP_MIB_SYNCOOKIES_FAILED]	= "SyncookiesFailed",
	[KTCP_MIB_CHALLENGE_ACKS]	= "TCPChallengeACK",
	[KTCP_MIB_BACKLOG_DROPS]	= "TCPBacklogDrop",
	[KTCP_MIB_BAD_OPTIONS]		= "KtcpBadOptions",
	[KTCP_MIB_TIMEOUTS]		= "TCPTimeouts",
	[KTCP_MIB_ABORT_ON_DATA]	= "TCPAbortOnData",
	[KTCP_MIB_ABORT_ON_LINGER]	= "TCPAbortOnLinger",
	[KTCP_MIB_ABORT_ON_CLOSE]	= "TCPAbortOnClose",
	[KTCP_MIB_PAWS_ESTAB]		= "PAWSEstab",
	[KTCP_MIB_OFO_QUEUE]		= "TCPOFOQueue",
	[KTCP_MIB_FAST_RETRANS]		= "TCPFastRetrans",
	[KTCP_MIB_SACK_RECOVERY]	= "TCPSackRecovery",
	[KTCP_MIB_DELAYED_ACKS]		= "DelayedACKs",
	[KTCP_MIB_KEEPALIVE_PROBES]	= "KtcpKeepaliveProbes",
	[KTCP_MIB_PERSIST_PROBES]	= "KtcpPersistProbes",
	[KTCP_MIB_OFO_PRUNED]		= "OfoPruned",
	[KTCP_MIB_RCV_PRUNED]		= "RcvPruned",
	[KTCP_MIB_RCV_COLLAPSES]	= "KtcpRcvCollapses",
	[KTCP_MIB_LOSS_PROBES]		= "TCPLossProbes",
	[KTCP_MIB_LOSS_PROBE_RECOVERY]	= "TCPLossProbeRecovery",
	[KTCP_MIB_DEFER_ACCEPT_DROPS]	= "TCPDeferAcceptDrop",
	[KTCP_MIB_ABORT_ON_TIMEOUT]	= "TCPAbortOnTimeout",
	[KTCP_MIB_ACK_SKIPPED_CHALLENGE] = "TCPACKSkippedChallenge",
	[KTCP_MIB_OLD_ACKS]		= "KtcpOutOfWindowAcks",
	[KTCP_MIB_MEMORY_PRESSURES]	= "TCPMemoryPressures",
	[KTCP_MIB_OFO_DROP]		= "TCPOFODrop",
	[KTCP_MIB_RCV_QDROP]		= "TCPRcvQDrop",
	[KTCP_MIB_OFO_COALESCE]		= "KtcpOfoCoalesce",
	[KTCP_MIB_ABORT_ON_MEMORY]	= "TCPAbortOnMemory",
	[KTCP_MIB_TW_OVERFLOW]		= "TCPTimeWaitOverflow",
	[KTCP_MIB_LISTEN_CHILD_LATE]	= "KtcpListenChildLate",
	[KTCP_MIB_ACK_SKIPPED_SYN_RECV]	= "TCPACKSkippedSynRecv",
	[KTCP_MIB_RST_NO_SOCKET]	= "RstNoSocket",
	[KTCP_MIB_RST_LISTEN_ACK]	= "RstListenAck",
	[KTCP_MIB_RST_BAD_ACK]		= "RstBadAck",
	[KTCP_MIB_RST_LISTEN_OVERFLOW]	= "RstListenOverflow",
	[KTCP_MIB_RST_ABORT_ON_CLOSE]	= "RstAbortOnClose",
	[KTCP_MIB_RST_ABORT_ON_DATA]	= "RstAbortOnData",
	[KTCP_MIB_RST_ABORT_ON_LINGER]	= "RstAbortOnLinger",
	[KTCP_MIB_RST_DISCONNECT]	= "RstDisconnect",
	[KTCP_MIB_RST_TIMEOUT]		= "RstTimeout",
	[KTCP_MIB_RST_ABORT_ON_MEMORY]	= "RstAbortOnMemory",
	[KTCP_MIB_ACK_SKIPPED_PAWS]	= "TCPACKSkippedPAWS",
	[KTCP_MIB_ACK_SKIPPED_SEQ]	= "TCPACKSkippedSeq",
	[KTCP_MIB_ACK_SKIPPED_TIME_WAIT] = "TCPACKSkippedTimeWait",
	[KTCP_MIB_OUT_OF_WINDOW_ICMPS]	= "OutOfWindowIcmps",
	[KTCP_MIB_PMTU_REDUCED]		= "KtcpPmtuReduced",
};

/* A counter's name, as /proc/net/ktcp_snmp shows it (tracepoints). */
const char *ktcp_mib_name(enum ktcp_mib mib)
{
	return ktcp_mib_names[mib];
}

/* /proc/net/ktcp_snmp: "Name Value", one counter a line. */
static int ktcp_snmp_show(struct seq_file *seq, void *v)
{
	struct ktcp_net *kn = ktcp_net(seq_file_single_net(seq));
	int i;

	for (i = 0; i < KTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %ld\n", ktcp_mib_names[i],
			   atomic_long_read(&kn->mib[i]));
	/*
	 * Gauges (memory.c).  Memory is the whole module's, in pages, as
	 * /proc/net/protocols and tcp_mem count it: not per namespace.
	 */
	seq_printf(seq, "KtcpMemoryPages %ld\n",
		   proto_memory_allocated(&ktcp_prot));
	seq_printf(seq, "KtcpMemoryPressure %d\n",
		   !!READ_ONCE(*ktcp_prot.memory_pressure));
	seq_printf(seq, "KtcpOrphans %d\n", atomic_read(&kn->orphans));
	seq_printf(seq, "KtcpTimeWait %d\n", atomic_read(&kn->tw_count));
	return 0;
}

int ktcp_proc_init_net(struct net *net)
{
	if (!proc_create_net("ktcp", 0444, net->proc_net, &ktcp_seq_ops,
			     sizeof(struct ktcp_seq_state)))
		return -ENOMEM;
	if (!proc_create_net("ktcp6", 0444, net->proc_net, &ktcp6_seq_ops,
			     sizeof(struct ktcp_seq_state)))
		goto err_ktcp;
	if (!proc_create_net_single("ktcp_snmp", 0444, net->proc_net,
				    ktcp_snmp_show, NULL))
		goto err_ktcp6;
	return 0;

err_ktcp6:
	remove_proc_entry("ktcp6", net->proc_net);
err_ktcp:
	remove_proc_entry("ktcp", net->proc_net);
	return -ENOMEM;
}

void ktcp_proc_exit_net(struct net *net)
{
	remove_proc_entry("ktcp_snmp", net->proc_net);
	remove_proc_entry("ktcp6", net->proc_net);
	remove_proc_entry("ktcp", net->proc_net);
}
