// SPDX-License-Identifier: GPL-2.0
/*
 * The lookup tables: which ktcp socket holds which local port (the port
 * table) and which has which 4-tuple (the connection table).  Both are
 * global, as native's bhash and ehash, keyed by namespace too, sized
 * from RAM at module load and hashed with a secret (hash.h).  Writers
 * take a chain's lock; readers (the input path, /proc/net/ktcp) walk a
 * chain under RCU, which is why sockets are SOCK_RCU_FREE.
 *
 * The port table holds the sockets that bind() (or connect()) gave a
 * port, listeners among them: it is walked for every SYN.  An accepted
 * child holds its listener's port, as native's inet_bind_bucket owners
 * do, so that bind() sees the port in use; but it sits in a chain of
 * its own, which only bind() and listen() walk, so that the
 * connections a peer opens never lengthen a listener lookup.
 *
 * ktcp shares the port space with the native stack: a port that a
 * native TCP listener holds is never handed to a ktcp socket.
 */

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/inetdevice.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/netns/hash.h>
#include <net/tcp_states.h>

#include "hash.h"
#include "ktcp.h"
#include "port_range.h"

struct ktcp_table ktcp_ports __read_mostly;
struct ktcp_table ktcp_conns __read_mostly;
siphash_key_t ktcp_table_key __read_mostly;	/* hash.h */
/*
 * Picks a SO_REUSEPORT listener by the peer.  Drawn at load, not with
 * net_get_random_once() at the first lookup: that flips a static key in
 * the receive path while packets run through it, and text patching
 * under QEMU's emulation once left a CPU on the int3 it plants (an
 * Oops in ktcp_listener_lookup(), 2026-12-04).
 */
static u32 ktcp_reuseport_secret __read_mostly;

static int ktcp_table_alloc(struct ktcp_table *t, u32 buckets, bool children)
{
	u32 i, locks = ktcp_hash_locks(buckets);

	t->chains = kvmalloc_array(buckets, sizeof(*t->chains), GFP_KERNEL);
	t->locks = kvmalloc_array(locks, sizeof(*t->locks), GFP_KERNEL);
	if (children)
		t->children = kvmalloc_array(buckets, sizeof(*t->children),
					     GFP_KERNEL);
	if (!t->chains || !t->locks || (children && !t->children)) {
		kvfree(t->chains);
		kvfree(t->locks);
		kvfree(t->children);
		return -ENOMEM;
	}
	for (i = 0; i < buckets; i++) {
		INIT_HLIST_HEAD(&t->chains[i]);
		if (children)
			INIT_HLIST_HEAD(&t->children[i]);
	}
	for (i = 0; i < locks; i++)
		spin_lock_init(&t->locks[i]);
	t->mask = buckets - 1;
	t->lock_mask = locks - 1;
	return 0;
}

static void ktcp_table_free(struct ktcp_table *t)
{
	u32 i;

	for (i = 0; i <= t->mask; i++) {
		WARN_ON_ONCE(!hlist_empty(&t->chains[i]));
		WARN_ON_ONCE(t->children && !hlist_empty(&t->children[i]));
	}
	kvfree(t->chains);
	kvfree(t->locks);
	kvfree(t->children);
}

/**
 * ktcp_tables_init() - allocate the port and connection tables
 *
 * At module load, before any namespace can use them.  Their size
 * follows RAM (ktcp_hash_buckets()), as native's ehash does at boot.
 *
 * Return: 0 or -ENOMEM.
 */
int ktcp_tables_init(void)
{
	u32 buckets = ktcp_hash_buckets((u64)totalram_pages() << PAGE_SHIFT);
	int err;

	get_random_bytes(&ktcp_table_key, sizeof(ktcp_table_key));
	get_random_bytes(&ktcp_reuseport_secret, sizeof(ktcp_reuseport_secret));
	err = ktcp_table_alloc(&ktcp_ports, buckets, true);
	if (err)
		return err;
	err = ktcp_table_alloc(&ktcp_conns, buckets, false);
	if (err) {
		ktcp_table_free(&ktcp_ports);
		return err;
	}
	pr_info("lookup tables: %u chains each\n", buckets);
	return 0;
}

/* At module unload, when every socket is gone. */
void ktcp_tables_exit(void)
{
	ktcp_table_free(&ktcp_conns);
	ktcp_table_free(&ktcp_ports);
}

static spinlock_t *ktcp_chain_lock(const struct ktcp_table *t, u32 bucket)
{
	return &t->locks[bucket & t->lock_mask];
}

/* The bucket of local @port in @net: the same for owners and children. */
static u32 ktcp_port_bucket(const struct net *net, u16 port)
{
	return ktcp_hash_port(&ktcp_table_key, net_hash_mix(net), port) &
	       ktcp_ports.mask;
}

/* The bucket of a 4-tuple of either family (IPv4 v4-mapped). */
static u32 ktcp_conn_bucket(const struct net *net,
			    const struct in6_addr *laddr, __be16 lport,
			    const struct in6_addr *raddr, __be16 rport)
{
	return ktcp_hash_tuple(&ktcp_table_key, net_hash_mix(net), laddr,
			       lport, raddr, rport) & ktcp_conns.mask;
}

static u32 ktcp_sk_conn_bucket(const struct sock *sk)
{
	return ktcp_conn_bucket(sock_net(sk), &sk->sk_v6_rcv_saddr,
				inet_sk(sk)->inet_sport, &sk->sk_v6_daddr,
				inet_sk(sk)->inet_dport);
}

/*
 * Append @node to @head.  New entries go last so that a reader of
 * /proc/net/ktcp that resumes a chain at an offset never sees an entry
 * twice.  Chains are short; the caller holds the chain's lock.
 */
static void ktcp_chain_add_tail(struct hlist_node *node,
				struct hlist_head *head)
{
	struct hlist_node *last = NULL, *pos;

	for (pos = head->first; pos; pos = pos->next)
		last = pos;
	if (last)
		hlist_add_behind_rcu(node, last);
	else
		hlist_add_head_rcu(node, head);
}

/* Do @a and @b have the same 4-tuple (IPv4 v4-mapped in both)? */
static bool ktcp_same_tuple(const struct sock *a, const struct sock *b)
{
	return inet_sk(a)->inet_sport == inet_sk(b)->inet_sport &&
	       inet_sk(a)->inet_dport == inet_sk(b)->inet_dport &&
	       ipv6_addr_equal(&a->sk_v6_rcv_saddr, &b->sk_v6_rcv_saddr) &&
	       ipv6_addr_equal(&a->sk_v6_daddr, &b->sk_v6_daddr);
}

/*
 * Which local addresses of one family a socket takes segments for:
 * none, any, or one (its bound address).  An IPv4 socket takes IPv4
 * only.  An AF_INET6 socket bound to :: takes IPv6, and IPv4 too unless
 * IPV6_V6ONLY; bound to a v4-mapped address it takes only that IPv4
 * address, bound to another IPv6 address only that one (as native).
 */
enum ktcp_scope {
	KTCP_SCOPE_NONE,
	KTCP_SCOPE_ANY,
	KTCP_SCOPE_ONE,
};

static enum ktcp_scope ktcp_scope4(const struct sock *sk)
{
	const struct in6_addr *a = &sk->sk_v6_rcv_saddr;

	if (ktcp_sk(sk)->family == AF_INET6) {
		if (ipv6_addr_any(a))
			return sk->sk_ipv6only ? KTCP_SCOPE_NONE : KTCP_SCOPE_ANY;
		if (!ipv6_addr_v4mapped(a))
			return KTCP_SCOPE_NONE;
	}
	return sk->sk_rcv_saddr ? KTCP_SCOPE_ONE : KTCP_SCOPE_ANY;
}

static enum ktcp_scope ktcp_scope6(const struct sock *sk)
{
	const struct in6_addr *a = &sk->sk_v6_rcv_saddr;

	if (ktcp_sk(sk)->family != AF_INET6 || ipv6_addr_v4mapped(a))
		return KTCP_SCOPE_NONE;
	return ipv6_addr_any(a) ? KTCP_SCOPE_ANY : KTCP_SCOPE_ONE;
}

/*
 * How well @sk takes a segment to @addr (IPv4 v4-mapped): 0 not, 1 as
 * a wildcard, 2 exactly.
 */
static int ktcp_takes(const struct sock *sk, const struct in6_addr *addr)
{
	bool v4 = ipv6_addr_v4mapped(addr);

	switch (v4 ? ktcp_scope4(sk) : ktcp_scope6(sk)) {
	case KTCP_SCOPE_ANY:
		return 1;
	case KTCP_SCOPE_ONE:
		if (v4)
			return sk->sk_rcv_saddr == addr->s6_addr32[3] ? 2 : 0;
		return ipv6_addr_equal(&sk->sk_v6_rcv_saddr, addr) ? 2 : 0;
	default:
		return 0;
	}
}

/* Is there an address, of either family, that both sockets take? */
static bool ktcp_addr_overlap(const struct sock *a, const struct sock *b)
{
	enum ktcp_scope a4 = ktcp_scope4(a), b4 = ktcp_scope4(b);
	enum ktcp_scope a6 = ktcp_scope6(a), b6 = ktcp_scope6(b);

	if (a4 && b4 && (a4 == KTCP_SCOPE_ANY || b4 == KTCP_SCOPE_ANY ||
			 a->sk_rcv_saddr == b->sk_rcv_saddr))
		return true;
	return a6 && b6 && (a6 == KTCP_SCOPE_ANY || b6 == KTCP_SCOPE_ANY ||
			    ipv6_addr_equal(&a->sk_v6_rcv_saddr,
					    &b->sk_v6_rcv_saddr));
}

/*
 * The rules of inet_bind_conflict() that apply to a TCP port: with
 * SO_REUSEADDR on both, only a listener blocks; with SO_REUSEPORT on
 * both, one user may stack any number of sockets, listeners included.
 * @sk's own address is already in place.
 */
static bool ktcp_bind_conflict(const struct sock *sk, const struct sock *other)
{
	if (other == sk || !net_eq(sock_net(other), sock_net(sk)) ||
	    inet_sk(other)->inet_num != inet_sk(sk)->inet_num ||
	    !ktcp_addr_overlap(other, sk))
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

/*
 * Does a native TCP socket of @net hold @port: bound, listening,
 * connected or in TIME_WAIT, over either IP version?  Native's bind
 * hash, where inet_csk_get_port() looks.  Native cannot see ktcp's
 * ports, so ktcp keeps out of native's (README: "Beside native TCP").
 */
static bool ktcp_native_port_held(struct net *net, u16 port)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct inet_bind_hashbucket *head;
	struct inet_bind_bucket *tb;
	bool held = false;

	head = &hinfo->bhash[inet_bhashfn(net, port, hinfo->bhash_size)];
	spin_lock_bh(&head->lock);
	inet_bind_bucket_for_each(tb, &head->chain) {
		if (net_eq(ib_net(tb), net) && tb->port == port) {
			held = true;
			break;
		}
	}
	spin_unlock_bh(&head->lock);
	return held;
}

/* Does any owner or child of @sk's port conflict with @sk?  Chain lock. */
static bool ktcp_port_conflict(const struct sock *sk, u32 bucket)
{
	struct ktcp_sock *other;

	hlist_for_each_entry(other, &ktcp_ports.chains[bucket], bind_node)
		if (ktcp_bind_conflict(sk, &other->inet.sk))
			return true;
	hlist_for_each_entry(other, &ktcp_ports.children[bucket], bind_node)
		if (ktcp_bind_conflict(sk, &other->inet.sk))
			return true;
	return false;
}

static bool ktcp_port_take(struct sock *sk, __be32 addr, u16 port)
{
	u32 bucket = ktcp_port_bucket(sock_net(sk), port);
	spinlock_t *lock = ktcp_chain_lock(&ktcp_ports, bucket);
	struct inet_sock *inet = inet_sk(sk);
	__be32 old_rcv = inet->inet_rcv_saddr;
	bool taken = false;

	inet->inet_rcv_saddr = addr;
	if (ktcp_native_port_held(sock_net(sk), port))
		goto restore;

	spin_lock_bh(lock);
	inet->inet_num = port;
	if (ktcp_port_conflict(sk, bucket)) {
		inet->inet_num = 0;
		goto out;
	}
	inet->inet_saddr = addr;
	inet->inet_sport = htons(port);
	ktcp_chain_add_tail(&ktcp_sk(sk)->bind_node, &ktcp_ports.chains[bucket]);
	ktcp_sk(sk)->bound = true;
	taken = true;
out:
	spin_unlock_bh(lock);
restore:
	if (!taken)
		inet->inet_rcv_saddr = old_rcv;
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
		return ktcp_port_take(sk, addr, port) ? 0 : -EADDRINUSE;

	range = READ_ONCE(kn->port_range);
	size = ktcp_port_range_size(range);
	offset = get_random_u32() % size;
	for (i = 0; i < size; i++) {
		if (ktcp_port_take(sk, addr,
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
 * under the chain lock, so of two racing listen() calls one fails.  An
 * accepted child that was disconnected moves from the children's chain
 * to the owners', where listener lookups look.
 *
 * Return: 0, or -EADDRINUSE.
 */
int ktcp_port_listen(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	u32 bucket = ktcp_port_bucket(sock_net(sk), inet_sk(sk)->inet_num);
	spinlock_t *lock = ktcp_chain_lock(&ktcp_ports, bucket);
	int err = 0;

	spin_lock_bh(lock);
	if (ktcp_port_conflict(sk, bucket)) {
		err = -EADDRINUSE;
		goto out;
	}
	if (ks->child_port) {
		/* No RCU reader walks the children's chain. */
		hlist_del(&ks->bind_node);
		ktcp_chain_add_tail(&ks->bind_node, &ktcp_ports.chains[bucket]);
		ks->child_port = false;
	}
	if (ktcp_transition(sk, KTCP_EV_LISTEN))
		err = -EINVAL;
out:
	spin_unlock_bh(lock);
	return err;
}

void ktcp_port_unbind(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	spinlock_t *lock;	/* of the port's chains */

	if (!ks->bound)
		return;
	lock = ktcp_chain_lock(&ktcp_ports,
			       ktcp_port_bucket(sock_net(sk), inet->inet_num));
	spin_lock_bh(lock);
	hlist_del_init_rcu(&ks->bind_node);
	spin_unlock_bh(lock);
	ks->bound = false;
	ks->child_port = false;
	inet->inet_num = 0;
	inet->inet_sport = 0;
}

/*
 * A child of a listener shares its port and holds it while the
 * connection lives, so that bind() sees the port in use, as a native
 * bind does.  It goes into the children's chain of the port, which
 * lookups do not walk: segments find it in the connection table.
 */
void ktcp_port_inherit(struct sock *child, struct sock *listener)
{
	u16 port = inet_sk(listener)->inet_num;
	u32 bucket = ktcp_port_bucket(sock_net(child), port);
	spinlock_t *lock = ktcp_chain_lock(&ktcp_ports, bucket);

	inet_sk(child)->inet_num = port;
	inet_sk(child)->inet_sport = htons(port);
	spin_lock_bh(lock);
	hlist_add_head(&ktcp_sk(child)->bind_node,
		       &ktcp_ports.children[bucket]);
	spin_unlock_bh(lock);
	ktcp_sk(child)->bound = true;
	ktcp_sk(child)->child_port = true;
}

/* The owners' chain of local @port in @net. */
static struct hlist_head *ktcp_port_chain(const struct net *net, u16 port)
{
	return &ktcp_ports.chains[ktcp_port_bucket(net, port)];
}

/* Is @ks, found in a port chain, of @net and on @port? */
static bool ktcp_port_match(const struct ktcp_sock *ks, const struct net *net,
			    u16 port)
{
	return ks->inet.inet_num == port && net_eq(sock_net(&ks->inet.sk), net);
}

/*
 * Is @port held by any ktcp socket that would accept @addr (IPv4
 * v4-mapped)?  RCU.
 */
bool ktcp_port_owned(struct net *net, const struct in6_addr *addr, u16 port)
{
	struct ktcp_sock *ks;

	hlist_for_each_entry_rcu(ks, ktcp_port_chain(net, port), bind_node) {
		if (ktcp_port_match(ks, net, port) &&
		    ktcp_takes(&ks->inet.sk, addr))
			return true;
	}
	return false;
}

/*
 * SO_BINDTODEVICE: may @sk take a segment that came in on @dif, whose
 * L3 master (a VRF) is @sdif?  As native's lookups, with
 * net.ipv4.tcp_l3mdev_accept.
 */
static bool ktcp_dev_match(struct net *net, const struct sock *sk, int dif,
			   int sdif)
{
	return inet_sk_bound_dev_eq(net, READ_ONCE(sk->sk_bound_dev_if), dif,
				    sdif);
}

/* Where a segment is going, for the listener lookups. */
struct ktcp_dest {
	const struct in6_addr	*daddr;		/* IPv4 v4-mapped */
	u16			dport;
	int			dif, sdif;	/* it came in on */
};

/*
 * How well listener @ks matches a segment: 0 not; an exact address
 * before a wildcard, and within each a listener bound to the device
 * (SO_BINDTODEVICE) before one that is not, as native's lookups rank.
 */
static int ktcp_listener_score(const struct ktcp_sock *ks, struct net *net,
			       const struct ktcp_dest *d)
{
	const struct sock *sk = &ks->inet.sk;
	int addr;

	if (!ktcp_port_match(ks, net, d->dport) ||
	    READ_ONCE(sk->sk_state) != TCP_LISTEN ||
	    !ktcp_dev_match(net, sk, d->dif, d->sdif))
		return 0;
	addr = ktcp_takes(sk, d->daddr);
	return addr ? 2 * addr + !!READ_ONCE(sk->sk_bound_dev_if) : 0;
}

/* Do @a and @b belong to one SO_REUSEPORT group? */
static bool ktcp_reuseport_peers(const struct sock *a, const struct sock *b)
{
	return a->sk_reuseport && b->sk_reuseport &&
	       ktcp_sk(a)->family == ktcp_sk(b)->family &&
	       a->sk_rcv_saddr == b->sk_rcv_saddr &&
	       (ktcp_sk(a)->family != AF_INET6 ||
		ipv6_addr_equal(&a->sk_v6_rcv_saddr, &b->sk_v6_rcv_saddr)) &&
	       uid_eq(a->sk_uid, b->sk_uid);
}

/*
 * The listener for a segment to @d's address (IPv4 v4-mapped) and
 * port, an exact address before a wildcard.
 * A SO_REUSEPORT group shares the connections by @hash, a hash of the
 * 4-tuple, as reuseport_select_sock() does, so every segment of one
 * handshake (a SYN-cookie ACK too) finds the same member.  RCU; returns
 * a held socket or NULL.
 */
static struct sock *__ktcp_listener_lookup(struct net *net,
					   const struct ktcp_dest *d, u32 hash)
{
	struct hlist_head *chain = ktcp_port_chain(net, d->dport);
	struct sock *best = NULL;
	int score, best_score = 0;
	struct ktcp_sock *ks;
	u32 members = 0, pick;

	hlist_for_each_entry_rcu(ks, chain, bind_node) {
		score = ktcp_listener_score(ks, net, d);
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
		pick = reciprocal_scale(hash, members);
		hlist_for_each_entry_rcu(ks, chain, bind_node) {
			if (ktcp_listener_score(ks, net, d) == best_score &&
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

struct sock *ktcp_listener_lookup(struct net *net,
				  const struct in6_addr *saddr, __be16 sport,
				  const struct in6_addr *daddr, u16 dport,
				  int dif, int sdif)
{
	struct ktcp_dest d = {
		.daddr = daddr, .dport = dport, .dif = dif, .sdif = sdif,
	};

	return __ktcp_listener_lookup(net, &d,
				      jhash_3words(ipv6_addr_hash(saddr),
						   ipv6_addr_hash(daddr),
						   (__force u32)sport << 16 |
						   dport,
						   ktcp_reuseport_secret));
}

/*
 * Enter @sk's 4-tuple into the connection table.  Return: 0, or
 * -EADDRNOTAVAIL if another connection has it (inet_hash_connect()'s
 * errno).
 */
int ktcp_conn_hash(struct sock *sk)
{
	u32 bucket = ktcp_sk_conn_bucket(sk);
	spinlock_t *lock = ktcp_chain_lock(&ktcp_conns, bucket);
	struct ktcp_sock *other;
	int err = 0;

	spin_lock_bh(lock);
	hlist_for_each_entry(other, &ktcp_conns.chains[bucket], conn_node) {
		if (net_eq(sock_net(&other->inet.sk), sock_net(sk)) &&
		    ktcp_same_tuple(&other->inet.sk, sk)) {
			err = -EADDRNOTAVAIL;
			goto out;
		}
	}
	ktcp_chain_add_tail(&ktcp_sk(sk)->conn_node,
			    &ktcp_conns.chains[bucket]);
	ktcp_sk(sk)->hashed = true;
out:
	spin_unlock_bh(lock);
	return err;
}

void ktcp_conn_unhash(struct sock *sk)
{
	spinlock_t *lock;	/* of the 4-tuple's chain */

	if (!ktcp_sk(sk)->hashed)
		return;
	lock = ktcp_chain_lock(&ktcp_conns, ktcp_sk_conn_bucket(sk));
	spin_lock_bh(lock);
	hlist_del_init_rcu(&ktcp_sk(sk)->conn_node);
	spin_unlock_bh(lock);
	ktcp_sk(sk)->hashed = false;
}

/*
 * The connection a segment that came in on @dif (@sdif) belongs to, its
 * addresses IPv4 v4-mapped.  RCU; returns a held socket.
 */
struct sock *ktcp_conn_lookup(struct net *net, const struct in6_addr *saddr,
			      __be16 sport, const struct in6_addr *daddr,
			      __be16 dport, int dif, int sdif)
{
	u32 bucket = ktcp_conn_bucket(net, daddr, dport, saddr, sport);
	struct ktcp_sock *ks;

	hlist_for_each_entry_rcu(ks, &ktcp_conns.chains[bucket], conn_node) {
		struct sock *sk = &ks->inet.sk;

		if (ks->inet.inet_sport == dport &&
		    ks->inet.inet_dport == sport &&
		    ipv6_addr_equal(&sk->sk_v6_rcv_saddr, daddr) &&
		    ipv6_addr_equal(&sk->sk_v6_daddr, saddr) &&
		    net_eq(sock_net(sk), net)) {
			if (ktcp_dev_match(net, sk, dif, sdif) &&
			    refcount_inc_not_zero(&sk->sk_refcnt))
				return sk;
			return NULL;
		}
	}
	return NULL;
}
