// SPDX-License-Identifier: GPL-2.0
/*
 * Port table: which ktcp socket holds which local port, per network
 * namespace.  Writers take the bucket lock; readers (the input path)
 * walk a bucket under RCU, which is why sockets are SOCK_RCU_FREE.
 *
 * ktcp shares the port space with the native stack: a port that a
 * native TCP listener holds is never handed to a ktcp socket.
 */

#include <linux/hash.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <net/inet_hashtables.h>
#include <net/tcp_states.h>

#include "ktcp.h"
#include "port_range.h"

void ktcp_table_init(struct ktcp_net *kn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kn->ports); i++) {
		spin_lock_init(&kn->ports[i].lock);
		INIT_HLIST_HEAD(&kn->ports[i].chain);
	}
}

void ktcp_table_exit(struct ktcp_net *kn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kn->ports); i++)
		WARN_ON_ONCE(!hlist_empty(&kn->ports[i].chain));
}

static struct ktcp_port_bucket *ktcp_port_bucket(struct ktcp_net *kn,
						 u16 port)
{
	return &kn->ports[hash_32(port, KTCP_PORT_HASH_BITS)];
}

static bool ktcp_addr_overlap(__be32 a, __be32 b)
{
	return !a || !b || a == b;
}

/* The rules of inet_bind_conflict() that apply to a TCP port. */
static bool ktcp_bind_conflict(const struct sock *sk, const struct sock *other,
			       __be32 addr)
{
	if (!ktcp_addr_overlap(other->sk_rcv_saddr, addr))
		return false;
	if (sk->sk_bound_dev_if && other->sk_bound_dev_if &&
	    sk->sk_bound_dev_if != other->sk_bound_dev_if)
		return false;
	if (sk->sk_reuse && other->sk_reuse && other->sk_state != TCP_LISTEN)
		return false;
	return true;
}

static bool ktcp_native_listener_at(struct net *net, __be32 addr, u16 port)
{
	return __inet_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo,
				      NULL, 0, 0, 0, addr, port,
				      0, 0) != NULL;
}

/*
 * A native listener on a specific address is only found by looking that
 * address up, so a wildcard bind asks for every local address.
 */
static bool ktcp_native_listener_on(struct net *net, __be32 addr, u16 port)
{
	struct net_device *dev;
	struct in_device *in_dev;
	const struct in_ifaddr *ifa;
	bool found;

	rcu_read_lock();
	found = ktcp_native_listener_at(net, addr, port);
	if (!found && !addr) {
		for_each_netdev_rcu(net, dev) {
			in_dev = __in_dev_get_rcu(dev);
			if (!in_dev)
				continue;
			in_dev_for_each_ifa_rcu(ifa, in_dev) {
				found = ktcp_native_listener_at(net,
								ifa->ifa_local,
								port);
				if (found)
					goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	return found;
}

static bool ktcp_port_take(struct ktcp_net *kn, struct sock *sk, __be32 addr,
			   u16 port)
{
	struct ktcp_port_bucket *b = ktcp_port_bucket(kn, port);
	struct inet_sock *inet = inet_sk(sk);
	struct ktcp_sock *other;
	bool taken = false;

	if (ktcp_native_listener_on(sock_net(sk), addr, port))
		return false;

	spin_lock_bh(&b->lock);
	hlist_for_each_entry(other, &b->chain, bind_node) {
		if (other->inet.inet_num == port &&
		    ktcp_bind_conflict(sk, &other->inet.sk, addr))
			goto out;
	}
	inet->inet_rcv_saddr = addr;
	inet->inet_saddr = addr;
	inet->inet_num = port;
	inet->inet_sport = htons(port);
	hlist_add_head_rcu(&ktcp_sk(sk)->bind_node, &b->chain);
	ktcp_sk(sk)->bound = true;
	taken = true;
out:
	spin_unlock_bh(&b->lock);
	return taken;
}

/**
 * ktcp_port_bind() - give @sk a local port
 * @sk: an unbound socket, owned by the caller (lock_sock)
 * @addr: local address, network order, INADDR_ANY for all
 * @port: host order; 0 picks one from net.ktcp.ip_local_port_range
 *
 * Return: 0, or -EADDRINUSE if the port (or every port of the range)
 * is held by a conflicting ktcp socket or a native listener.
 */
int ktcp_port_bind(struct sock *sk, __be32 addr, u16 port)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));
	u32 range, offset, size, i;

	if (port)
		return ktcp_port_take(kn, sk, addr, port) ? 0 : -EADDRINUSE;

	range = READ_ONCE(kn->port_range);
	size = ktcp_port_range_size(range);
	offset = get_random_u32() % size;
	for (i = 0; i < size; i++) {
		if (ktcp_port_take(kn, sk, addr,
				   ktcp_port_range_nth(range, offset, i)))
			return 0;
		cond_resched();
	}
	return -EADDRINUSE;
}

void ktcp_port_unbind(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct ktcp_port_bucket *b;

	if (!ks->bound)
		return;
	b = ktcp_port_bucket(ktcp_net(sock_net(sk)), inet->inet_num);
	spin_lock_bh(&b->lock);
	hlist_del_init_rcu(&ks->bind_node);
	spin_unlock_bh(&b->lock);
	ks->bound = false;
	inet->inet_num = 0;
	inet->inet_sport = 0;
}

void ktcp_sock_list_add(struct sock *sk)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));

	spin_lock_bh(&kn->sockets_lock);
	hlist_add_head(&ktcp_sk(sk)->all_node, &kn->sockets);
	spin_unlock_bh(&kn->sockets_lock);
}

void ktcp_sock_list_del(struct sock *sk)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));

	spin_lock_bh(&kn->sockets_lock);
	hlist_del_init(&ktcp_sk(sk)->all_node);
	spin_unlock_bh(&kn->sockets_lock);
}
