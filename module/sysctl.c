// SPDX-License-Identifier: GPL-2.0
/*
 * net.ktcp.* sysctls, one set per network namespace.
 */

#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "ktcp.h"
#include "port_range.h"

static int ktcp_port_min = 1;
static int ktcp_port_max = 65535;
static int ktcp_zero;
static int ktcp_one = 1;
static int ktcp_two = 2;
static int ktcp_max_retries = 127;
static int ktcp_max_seconds = 3600;
static int ktcp_max_backlog = 65535;
static int ktcp_max_rto_ms = 120000;
static int ktcp_max_keepidle = KTCP_MAX_KEEPIDLE;
static int ktcp_min_snd_mss = KTCP_MIN_SND_MSS;
static int ktcp_max_int = INT_MAX;

/*
 * net.ktcp.mem (memory.c) is one array for the whole module, as tcp_mem
 * is for native TCP: every namespace shows it, only the initial one may
 * change it.
 */
static const struct ctl_table ktcp_sysctl_mem_template = {
	.procname	= "mem",
	.data		= ktcp_sysctl_mem,
	.maxlen		= sizeof(ktcp_sysctl_mem),
	.mode		= 0644,
	.proc_handler	= proc_doulongvec_minmax,
};

/* Reads and writes "low high" like net.ipv4.ip_local_port_range. */
static int ktcp_port_range_handler(KTCP_CTL_TABLE_CONST struct ctl_table *table,
				   int write, void *buffer, size_t *lenp,
				   loff_t *ppos)
{
	u32 *packed = table->data;
	u32 range = READ_ONCE(*packed);
	int pair[2] = { ktcp_port_range_low(range),
			ktcp_port_range_high(range) };
	struct ctl_table tmp = {
		.data	= pair,
		.maxlen	= sizeof(pair),
		.mode	= table->mode,
		.extra1	= &ktcp_port_min,
		.extra2	= &ktcp_port_max,
	};
	int err;

	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;
	if (!ktcp_port_range_valid(pair[0], pair[1]))
		return -EINVAL;
	WRITE_ONCE(*packed, ktcp_port_range_pack(pair[0], pair[1]));
	return 0;
}

static const struct ctl_table ktcp_sysctl_template[] = {
	{
		.procname	= "ip_local_port_range",
		.maxlen		= 2 * sizeof(int),
		.mode		= 0644,
		.proc_handler	= ktcp_port_range_handler,
	},
/*
 * @n ints (each within lo..hi).  .data holds the field's offset in
 * struct ktcp_sysctl until init.
 */
#define KTCP_SYSCTL_INTS(field, n, lo, hi) {				\
		.procname	= #field,					\
		.data		= (void *)offsetof(struct ktcp_sysctl, field),	\
		.maxlen		= (n) * sizeof(int),				\
		.mode		= 0644,						\
		.proc_handler	= proc_dointvec_minmax,				\
		.extra1		= lo,						\
		.extra2		= hi,						\
	}
#define KTCP_SYSCTL_INT(field, lo, hi) KTCP_SYSCTL_INTS(field, 1, lo, hi)
	/* Same names and meanings as net.ipv4.tcp_* where one exists. */
	KTCP_SYSCTL_INT(syn_retries, &ktcp_one, &ktcp_max_retries),
	KTCP_SYSCTL_INT(synack_retries, &ktcp_zero, &ktcp_max_retries),
	KTCP_SYSCTL_INT(max_syn_backlog, &ktcp_one, &ktcp_max_backlog),
	KTCP_SYSCTL_INT(abort_on_overflow, &ktcp_zero, &ktcp_one),
	KTCP_SYSCTL_INT(syncookies, &ktcp_zero, &ktcp_two),
	KTCP_SYSCTL_INT(fin_timeout, &ktcp_one, &ktcp_max_seconds),
	KTCP_SYSCTL_INT(tw_timeout, &ktcp_one, &ktcp_max_seconds),
	KTCP_SYSCTL_INT(challenge_ack_limit, &ktcp_zero, &ktcp_max_backlog),
	KTCP_SYSCTL_INT(retries2, &ktcp_one, &ktcp_max_retries),
	KTCP_SYSCTL_INT(orphan_retries, &ktcp_zero, &ktcp_max_retries),
	KTCP_SYSCTL_INT(rto_min_ms, &ktcp_one, &ktcp_max_rto_ms),
	KTCP_SYSCTL_INT(window_scaling, &ktcp_zero, &ktcp_one),
	KTCP_SYSCTL_INT(timestamps, &ktcp_zero, &ktcp_one),
	KTCP_SYSCTL_INT(sack, &ktcp_zero, &ktcp_one),
	/* "min default max", as tcp_rmem and tcp_wmem */
	KTCP_SYSCTL_INTS(rmem, 3, &ktcp_one, &ktcp_max_int),
	KTCP_SYSCTL_INTS(wmem, 3, &ktcp_one, &ktcp_max_int),
	KTCP_SYSCTL_INT(keepalive_time, &ktcp_one, &ktcp_max_keepidle),
	KTCP_SYSCTL_INT(keepalive_intvl, &ktcp_one, &ktcp_max_keepidle),
	KTCP_SYSCTL_INT(keepalive_probes, &ktcp_one, &ktcp_max_retries),
	/* issue 11: MSS floor, RFC 5961 5 */
	KTCP_SYSCTL_INT(min_snd_mss, &ktcp_min_snd_mss, &ktcp_port_max),
	/* The floor of a GSO packet's segments, as tcp_min_tso_segs. */
	KTCP_SYSCTL_INT(min_tso_segs, &ktcp_one, &ktcp_max_retries),
	/* Every u32, as tcp_notsent_lowat: UINT_MAX holds no writer back. */
	{
		.procname	= "notsent_lowat",
		.data		= (void *)offsetof(struct ktcp_sysctl, notsent_lowat),
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec,
	},
	KTCP_SYSCTL_INT(invalid_ratelimit, &ktcp_zero, &ktcp_max_rto_ms),
	/* issue 11: memory.c, what a peer can make ktcp keep */
	KTCP_SYSCTL_INT(max_orphans, &ktcp_zero, &ktcp_max_int),
	KTCP_SYSCTL_INT(max_tw_buckets, &ktcp_zero, &ktcp_max_int),
#undef KTCP_SYSCTL_INT
#undef KTCP_SYSCTL_INTS
	{ },	/* net.ktcp.mem: ktcp_sysctl_mem_template */
	{ }	/* sentinel, for kernels before 6.6 */
};

int ktcp_sysctl_init_net(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	struct ctl_table *table;
	int i;

	table = kmemdup(ktcp_sysctl_template, sizeof(ktcp_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &kn->port_range;
	for (i = 1; i < ARRAY_SIZE(ktcp_sysctl_template) - 2; i++)
		table[i].data = (char *)&kn->sysctl + (uintptr_t)table[i].data;
	table[i] = ktcp_sysctl_mem_template;
	if (!net_eq(net, &init_net))
		table[i].mode = 0444;

	kn->sysctl_header = ktcp_register_net_sysctl(net, "net/ktcp", table,
						     ARRAY_SIZE(ktcp_sysctl_template) - 1);
	if (!kn->sysctl_header) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void ktcp_sysctl_exit_net(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	const struct ctl_table *table = kn->sysctl_header->ctl_table_arg;

	unregister_net_sysctl_table(kn->sysctl_header);
	kfree(table);
}
