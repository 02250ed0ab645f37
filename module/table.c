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
#include <linux/jhash.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
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
	for (i = 0; i < ARRAY_SIZE(kn->conns); i++) {
		spin_lock_init(&kn->conns[i].lock);
		INIT_HLIST_HEAD(&kn->conns[i].chain);
	}
}

void ktcp_table_exit(struct ktcp_net *kn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kn->ports); i++)
		WARN_ON_ONCE(!hlist_empty(&kn->ports[i].chain));
	for (i = 0; i < ARRAY_SIZE(kn->conns); i++)
		WARN_ON_ONCE(!hlist_empty(&kn->conns[i].chain));
}

static struct ktcp_bucket *ktcp_port_bucket(struct ktcp_net *kn, u16 port)
{
	return &kn->ports[hash_32(port, KTCP_PORT_HASH_BITS)];
}

static struct ktcp_bucket *ktcp_conn_bucket(struct ktcp_net *kn,
					    __be32 laddr, __be16 lport,
					    __be32 raddr, __be16 rport)
{
	u32 h = jhash_3words((__force u32)laddr, (__force u32)raddr,
			     (__force u32)lport << 16 | (__force u32)rport, 0);

	return &kn->conns[hash_32(h, KTCP_CONN_HASH_BITS)];
}

static bool ktcp_addr_overlap(__be32 a, __be32 b)
{
	return !a || !b || a == b;
}

/*
 * The rules of inet_bind_conflict() that apply to a TCP port: with
 * SO_REUSEADDR on both, only a listener blocks; with SO_REUSEPORT on
 * both, one user may stack any number of sockets, listeners included.
 */
static bool ktcp_bind_conflict(const struct sock *sk, const struct sock *other,
			       __be32 addr)
{
	if (other == sk || !ktcp_addr_overlap(other->sk_rcv_saddr, addr))
		return false;
	if (sk->sk_bound_dev_if && other->sk_bound_dev_if &&
	    sk->sk_bound_dev_if != other->sk_bound_dev_if)
		return false;
	if (sk->sk_reuse && other->sk_reuse && other->sk_state != TCP_LISTEN)
		return false;
	if (sk->sk_reuseport && other->sk_reuseport &&
	    (other->sk_state == TCP_TIME_WAIT ||
	     uid_eq(sk->sk_uid, other->sk_uid)))
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
	struct ktcp_bucket *b = ktcp_port_bucket(kn, port);
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

/**
 * ktcp_port_listen() - make @sk, bound, the listener of its port
 * @sk: owned by the caller (lock_sock)
 *
 * listen() checks the port again, as inet_csk_get_port() does: since
 * bind(), SO_REUSEADDR may have let other sockets onto it, and only one
 * of them may listen unless SO_REUSEPORT groups them.  The state changes
 * under the bucket lock, so of two racing listen() calls one fails.
 *
 * Return: 0, or -EADDRINUSE.
 */
int ktcp_port_listen(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct ktcp_bucket *b;
	struct ktcp_sock *other;
	int err = 0;

	b = ktcp_port_bucket(ktcp_net(sock_net(sk)), inet->inet_num);
	spin_lock_bh(&b->lock);
	hlist_for_each_entry(other, &b->chain, bind_node) {
		if (other->inet.inet_num == inet->inet_num &&
		    ktcp_bind_conflict(sk, &other->inet.sk,
				       inet->inet_rcv_saddr)) {
			err = -EADDRINUSE;
			goto out;
		}
	}
	ktcp_set_state(sk, TCP_LISTEN);
out:
	spin_unlock_bh(&b->lock);
	return err;
}

void ktcp_port_unbind(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct ktcp_bucket *b;

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

/*
 * A child of a listener shares its port: it goes into the port table so
 * that bind() sees the port in use while the connection lives, as a
 * native bind does.
 */
void ktcp_port_inherit(struct sock *child, struct sock *listener)
{
	struct ktcp_bucket *b;
	u16 port = inet_sk(listener)->inet_num;

	b = ktcp_port_bucket(ktcp_net(sock_net(child)), port);
	inet_sk(child)->inet_num = port;
	inet_sk(child)->inet_sport = htons(port);
	spin_lock_bh(&b->lock);
	hlist_add_head_rcu(&ktcp_sk(child)->bind_node, &b->chain);
	spin_unlock_bh(&b->lock);
	ktcp_sk(child)->bound = true;
}

/* Is @port held by any ktcp socket that would accept @addr?  RCU. */
bool ktcp_port_owned(struct net *net, __be32 addr, u16 port)
{
	struct ktcp_bucket *b = ktcp_port_bucket(ktcp_net(net), port);
	struct ktcp_sock *ks;

	hlist_for_each_entry_rcu(ks, &b->chain, bind_node) {
		if (ks->inet.inet_num == port &&
		    ktcp_addr_overlap(ks->inet.inet_rcv_saddr, addr))
			return true;
	}
	return false;
}

/* How well listener @sk matches @daddr:@dport: 0 not, 1 wildcard, 2 exact. */
static int ktcp_listener_score(const struct ktcp_sock *ks, __be32 daddr,
			       u16 dport)
{
	const struct sock *sk = &ks->inet.sk;

	if (ks->inet.inet_num != dport || READ_ONCE(sk->sk_state) != TCP_LISTEN)
		return 0;
	if (sk->sk_rcv_saddr == daddr)
		return 2;
	return sk->sk_rcv_saddr ? 0 : 1;
}

/* Do @a and @b belong to one SO_REUSEPORT group? */
static bool ktcp_reuseport_peers(const struct sock *a, const struct sock *b)
{
	return a->sk_reuseport && b->sk_reuseport &&
	       a->sk_rcv_saddr == b->sk_rcv_saddr &&
	       uid_eq(a->sk_uid, b->sk_uid);
}

/*
 * The listener for a segment from @saddr:@sport to @daddr:@dport, an
 * exact address before a wildcard.  A SO_REUSEPORT group shares the
 * connections by a hash of the 4-tuple, as reuseport_select_sock()
 * does, so every segment of one handshake (a SYN-cookie ACK too) finds
 * the same member.  RCU; returns a held socket or NULL.
 */
struct sock *ktcp_listener_lookup(struct net *net, __be32 saddr, __be16 sport,
				  __be32 daddr, u16 dport)
{
	struct ktcp_bucket *b = ktcp_port_bucket(ktcp_net(net), dport);
	static u32 ktcp_reuseport_secret __read_mostly;
	struct sock *best = NULL;
	int score, best_score = 0;
	struct ktcp_sock *ks;
	u32 members = 0, pick;

	hlist_for_each_entry_rcu(ks, &b->chain, bind_node) {
		score = ktcp_listener_score(ks, daddr, dport);
		if (score > best_score) {
			best = &ks->inet.sk;
			best_score = score;
			members = 1;
		} else if (score && score == best_score &&
			   ktcp_reuseport_peers(best, &ks->inet.sk)) {
			members++;
		}
	}
	if (members > 1) {
		net_get_random_once(&ktcp_reuseport_secret,
				    sizeof(ktcp_reuseport_secret));
		pick = reciprocal_scale(jhash_3words((__force u32)saddr,
						     (__force u32)daddr,
						     (__force u32)sport << 16 |
						     dport,
						     ktcp_reuseport_secret),
					members);
		hlist_for_each_entry_rcu(ks, &b->chain, bind_node) {
			if (ktcp_listener_score(ks, daddr, dport) == best_score &&
			    ktcp_reuseport_peers(best, &ks->inet.sk) &&
			    !pick--) {
				best = &ks->inet.sk;
				break;
			}
		}
	}
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	return best;
}

/*
 * Enter @sk's 4-tuple into the connection table.  Return: 0, or
 * -EADDRNOTAVAIL if another connection has it (inet_hash_connect()'s
 * errno).
 */
int ktcp_conn_hash(struct sock *sk)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	struct ktcp_bucket *b;
	struct ktcp_sock *other;
	int err = 0;

	b = ktcp_conn_bucket(kn, inet->inet_rcv_saddr, inet->inet_sport,
			     inet->inet_daddr, inet->inet_dport);
	spin_lock_bh(&b->lock);
	hlist_for_each_entry(other, &b->chain, conn_node) {
		struct inet_sock *o = &other->inet;

		if (o->inet_rcv_saddr == inet->inet_rcv_saddr &&
		    o->inet_sport == inet->inet_sport &&
		    o->inet_daddr == inet->inet_daddr &&
		    o->inet_dport == inet->inet_dport) {
			err = -EADDRNOTAVAIL;
			goto out;
		}
	}
	hlist_add_head_rcu(&ktcp_sk(sk)->conn_node, &b->chain);
	ktcp_sk(sk)->hashed = true;
out:
	spin_unlock_bh(&b->lock);
	return err;
}

void ktcp_conn_unhash(struct sock *sk)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	struct ktcp_bucket *b;

	if (!ktcp_sk(sk)->hashed)
		return;
	b = ktcp_conn_bucket(kn, inet->inet_rcv_saddr, inet->inet_sport,
			     inet->inet_daddr, inet->inet_dport);
	spin_lock_bh(&b->lock);
	hlist_del_init_rcu(&ktcp_sk(sk)->conn_node);
	spin_unlock_bh(&b->lock);
	ktcp_sk(sk)->hashed = false;
}

/* The connection a segment belongs to.  RCU; returns a held socket. */
struct sock *ktcp_conn_lookup(struct net *net, __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport)
{
	struct ktcp_bucket *b;
	struct ktcp_sock *ks;

	b = ktcp_conn_bucket(ktcp_net(net), daddr, dport, saddr, sport);
	hlist_for_each_entry_rcu(ks, &b->chain, conn_node) {
		struct inet_sock *inet = &ks->inet;

		if (inet->inet_rcv_saddr == daddr &&
		    inet->inet_sport == dport &&
		    inet->inet_daddr == saddr &&
		    inet->inet_dport == sport) {
			if (refcount_inc_not_zero(&inet->sk.sk_refcnt))
				return &inet->sk;
			return NULL;
		}
	}
	return NULL;
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
