// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ktcp: every ktcp socket of the namespace, in the columns of
 * /proc/net/tcp so that existing tools and eyes can read it.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "ktcp.h"

/* /proc/net/tcp pads every line to this width. */
#define KTCP_PROC_LINE	150

static void *ktcp_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&kn->sockets_lock)
{
	struct ktcp_net *kn = ktcp_net(seq_file_net(seq));

	spin_lock_bh(&kn->sockets_lock);
	return seq_hlist_start_head(&kn->sockets, *pos);
}

static void *ktcp_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct ktcp_net *kn = ktcp_net(seq_file_net(seq));

	return seq_hlist_next(v, &kn->sockets, pos);
}

static void ktcp_seq_stop(struct seq_file *seq, void *v)
	__releases(&kn->sockets_lock)
{
	struct ktcp_net *kn = ktcp_net(seq_file_net(seq));

	spin_unlock_bh(&kn->sockets_lock);
}

static int ktcp_seq_show(struct seq_file *seq, void *v)
{
	struct ktcp_sock *ks;
	struct inet_sock *inet;
	struct sock *sk;

	seq_setwidth(seq, KTCP_PROC_LINE - 1);
	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
		goto pad;
	}

	ks = hlist_entry(v, struct ktcp_sock, all_node);
	sk = &ks->inet.sk;
	inet = &ks->inet;
	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK",
		   seq->index - 1,
		   inet->inet_rcv_saddr, ntohs(inet->inet_sport),
		   inet->inet_daddr, ntohs(inet->inet_dport),
		   sk->sk_state,
		   sk_wmem_alloc_get(sk), sk_rmem_alloc_get(sk),
		   0, 0UL, 0,
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		   0, sock_i_ino(sk), refcount_read(&sk->sk_refcnt), sk);
pad:
	seq_pad(seq, '\n');
	return 0;
}

static const struct seq_operations ktcp_seq_ops = {
	.start	= ktcp_seq_start,
	.next	= ktcp_seq_next,
	.stop	= ktcp_seq_stop,
	.show	= ktcp_seq_show,
};

int ktcp_proc_init_net(struct net *net)
{
	if (!proc_create_net("ktcp", 0444, net->proc_net, &ktcp_seq_ops,
			     sizeof(struct seq_net_private)))
		return -ENOMEM;
	return 0;
}

void ktcp_proc_exit_net(struct net *net)
{
	remove_proc_entry("ktcp", net->proc_net);
}
