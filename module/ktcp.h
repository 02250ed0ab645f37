/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktcp internal types and the few functions that files share.
 * Locking rules: LOCKING.md.
 */
#ifndef _KTCP_H
#define _KTCP_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

struct ktcp_sock {
	struct inet_sock	inet;		/* must stay first */
	struct hlist_node	bind_node;	/* port table, bucket lock + RCU */
	struct hlist_node	all_node;	/* ktcp_net.sockets, sockets_lock */
	bool			bound;		/* sk_lock; in the port table */
};

static inline struct ktcp_sock *ktcp_sk(const struct sock *sk)
{
	return (struct ktcp_sock *)sk;
}

#define KTCP_PORT_HASH_BITS	8

struct ktcp_port_bucket {
	spinlock_t		lock;		/* writers; readers use RCU */
	struct hlist_head	chain;		/* ktcp_sock.bind_node */
};

/* Everything ktcp owns in one network namespace. */
struct ktcp_net {
	struct ktcp_port_bucket	ports[1 << KTCP_PORT_HASH_BITS];
	u32			port_range;	/* READ_ONCE, port_range.h */
	spinlock_t		sockets_lock;	/* bh: later taken in softirq */
	struct hlist_head	sockets;	/* every ktcp socket, for proc */
	struct ctl_table_header	*sysctl;
};

extern unsigned int ktcp_net_id;

static inline struct ktcp_net *ktcp_net(const struct net *net)
{
	return net_generic(net, ktcp_net_id);
}

/* af_ktcp.c */
int ktcp_family(void);

/* socket.c */
extern struct proto ktcp_prot;
int ktcp_create(struct net *net, struct socket *sock, int protocol, int kern);
int ktcp_stream_ops_init(int family);
void ktcp_stream_ops_exit(void);

/* table.c */
void ktcp_table_init(struct ktcp_net *kn);
void ktcp_table_exit(struct ktcp_net *kn);
int ktcp_port_bind(struct sock *sk, __be32 addr, u16 port);
void ktcp_port_unbind(struct sock *sk);
void ktcp_sock_list_add(struct sock *sk);
void ktcp_sock_list_del(struct sock *sk);

/* proc.c */
int ktcp_proc_init_net(struct net *net);
void ktcp_proc_exit_net(struct net *net);

/* sysctl.c */
int ktcp_sysctl_init_net(struct net *net);
void ktcp_sysctl_exit_net(struct net *net);

#endif /* _KTCP_H */
