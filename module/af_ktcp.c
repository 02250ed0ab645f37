// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp: a second, independent TCP for Linux, reached through its own
 * address family.  This file registers the family, the proto and the
 * per-network-namespace state.
 */

#include <linux/module.h>
#include <linux/random.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/net_namespace.h>
#include <uapi/linux/ktcp.h>

#include "ktcp.h"
#include "port_range.h"

static int family = KTCP_FAMILY_DEFAULT;
module_param(family, int, 0444);
MODULE_PARM_DESC(family, "address family number AF_KTCP registers, a slot below AF_MAX that no other family holds (default "
		 __stringify(KTCP_FAMILY_DEFAULT) "); the one in use: "
		 KTCP_FAMILY_PARAM_PATH);

unsigned int ktcp_net_id __read_mostly;

int ktcp_family(void)
{
	return family;
}

static int __net_init ktcp_net_init(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	int err;

	kn->port_range = ktcp_port_range_pack(KTCP_EPHEMERAL_PORT_LOW,
					      KTCP_EPHEMERAL_PORT_HIGH);
	/* The defaults of the native net.ipv4.tcp_* counterparts. */
	kn->sysctl = (struct ktcp_sysctl) {
		.syn_retries		= 6,
		.synack_retries		= 5,
		.max_syn_backlog	= 256,
		.abort_on_overflow	= 0,
		.syncookies		= 1,
		.fin_timeout		= 60,
		.tw_timeout		= 60,
		.challenge_ack_limit	= 1000,
		.retries2		= 15,
		.orphan_retries		= 0,
		.rto_min_ms		= 200,
		.window_scaling		= 1,
		.timestamps		= 1,
		.sack			= 1,
		/*
		 * No buffer autotuning yet: a socket starts where native's
		 * autotuning typically ends up on a fast path.  [0]: see
		 * ktcp_memory_floors(); rmem's [2] is native's default.
		 */
		.rmem			= { 65536, 4 << 20, 6 << 20 },
		.wmem			= { 65536, 4 << 20, 4 << 20 },
		.keepalive_time		= 7200,
		.keepalive_intvl	= 75,
		.keepalive_probes	= 9,
		.min_snd_mss		= KTCP_MIN_SND_MSS,
		.min_tso_segs		= 2,
		.notsent_lowat		= UINT_MAX,
		.invalid_ratelimit	= 500,
		.max_orphans		= ktcp_max_sockets_default(),
		.max_tw_buckets		= ktcp_max_sockets_default(),
	};
	spin_lock_init(&kn->challenge_lock);
	spin_lock_init(&kn->requests_lock);
	INIT_HLIST_HEAD(&kn->requests);
	spin_lock_init(&kn->orphans_lock);
	INIT_LIST_HEAD(&kn->orphan_list);
	get_random_bytes(&kn->isn_key, sizeof(kn->isn_key));
	get_random_bytes(&kn->cookie_key, sizeof(kn->cookie_key));

	err = ktcp_sysctl_init_net(net);
	if (err)
		return err;
	err = ktcp_proc_init_net(net);
	if (err)
		goto err_sysctl;
	/* Last: from here on segments reach ktcp. */
	err = ktcp_ipv4_init_net(net);
	if (err)
		goto err_proc;
	err = ktcp_ipv6_init_net(net);
	if (err)
		goto err_ipv4;
	return 0;

err_ipv4:
	ktcp_ipv4_exit_net(net);
	/* The core frees our data at once: let running hooks finish. */
	synchronize_net();
err_proc:
	ktcp_proc_exit_net(net);
err_sysctl:
	ktcp_sysctl_exit_net(net);
	return err;
}

/*
 * Segments stop reaching ktcp first.  nf_unregister_net_hook() does not
 * wait for a hook that another CPU is running: it only frees the old
 * hook array after a grace period.  The core calls synchronize_rcu()
 * between every .pre_exit and every .exit, of a dying namespace and of
 * unregister_pernet_subsys() alike, and the hooks run under
 * rcu_read_lock() (nf_hook()), so by the time ktcp_net_exit() frees
 * the tables no hook can be reading them.
 */
static void __net_exit ktcp_net_pre_exit(struct net *net)
{
	ktcp_ipv6_exit_net(net);
	ktcp_ipv4_exit_net(net);
}

static void __net_exit ktcp_net_exit(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);

	ktcp_purge_orphans(net);
	ktcp_proc_exit_net(net);
	ktcp_sysctl_exit_net(net);
	/* Every other socket holds a reference on its namespace. */
	WARN_ON_ONCE(!hlist_empty(&kn->requests));
	WARN_ON_ONCE(atomic_read(&kn->orphans) || atomic_read(&kn->tw_count));
}

static struct pernet_operations ktcp_net_ops = {
	.init		= ktcp_net_init,
	.pre_exit	= ktcp_net_pre_exit,
	.exit		= ktcp_net_exit,
	.id		= &ktcp_net_id,
	.size		= sizeof(struct ktcp_net),
};

static struct net_proto_family ktcp_family_ops = {
	.create	= ktcp_create,
	.owner	= THIS_MODULE,
};

static int __init ktcp_init(void)
{
	int err;

	if (family <= AF_UNSPEC || family >= NPROTO) {
		pr_err("family=%d is outside 1..%d\n", family, NPROTO - 1);
		return -EINVAL;
	}

	err = ktcp_tables_init();
	if (err)
		return err;
	err = ktcp_memory_init();
	if (err)
		goto err_tables;
	err = proto_register(&ktcp_prot, 1);
	if (err)
		goto err_memory;
	err = register_pernet_subsys(&ktcp_net_ops);
	if (err)
		goto err_proto;
	ktcp_memory_floors(ktcp_net(&init_net));

	err = ktcp_stream_ops_init(family);
	if (err)
		goto err_pernet;
	ktcp_family_ops.family = family;
	err = sock_register(&ktcp_family_ops);
	if (err) {
		if (err == -EEXIST)
			pr_err("address family %d is already registered by another protocol; load with family=<free slot>\n",
			       family);
		goto err_ops;
	}
	pr_info("AF_KTCP registered as address family %d\n", family);
	return 0;

err_ops:
	ktcp_stream_ops_exit();
err_pernet:
	unregister_pernet_subsys(&ktcp_net_ops);
err_proto:
	proto_unregister(&ktcp_prot);
err_memory:
	ktcp_memory_exit();
err_tables:
	ktcp_tables_exit();
	return err;
}

static void __exit ktcp_exit(void)
{
	sock_unregister(family);
	ktcp_stream_ops_exit();
	unregister_pernet_subsys(&ktcp_net_ops);
	/* Sockets are SOCK_RCU_FREE, and skbs in flight may hold some. */
	ktcp_wait_sockets_freed();
	proto_unregister(&ktcp_prot);
	ktcp_memory_exit();
	ktcp_tables_exit();
}

module_init(ktcp_init);
module_exit(ktcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ktcp: an independent TCP behind its own address family");
MODULE_AUTHOR("The ktcp developers");
MODULE_VERSION(KTCP_VERSION);
