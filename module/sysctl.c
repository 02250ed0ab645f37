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
	{ }	/* sentinel, for kernels before 6.6 */
};

int ktcp_sysctl_init_net(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	struct ctl_table *table;

	table = kmemdup(ktcp_sysctl_template, sizeof(ktcp_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &kn->port_range;

	kn->sysctl = ktcp_register_net_sysctl(net, "net/ktcp", table,
					      ARRAY_SIZE(ktcp_sysctl_template) - 1);
	if (!kn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void ktcp_sysctl_exit_net(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	const struct ctl_table *table = kn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(kn->sysctl);
	kfree(table);
}
