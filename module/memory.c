// SPDX-License-Identifier: GPL-2.0
/*
 * What a peer can make ktcp keep, and its limits: memory accounted as
 * native TCP accounts tcp_mem (struct proto's memory_allocated, the
 * pressure state and net.ktcp.mem), orphans (net.ktcp.max_orphans) and
 * TIME_WAIT sockets (net.ktcp.max_tw_buckets).
 *
 * Memory is one pool for the whole module, as tcp_mem is for native
 * TCP: struct proto has one counter, and the kernel's socket memory
 * code (sk_rmem_schedule(), sk_mem_charge(), /proc/net/protocols)
 * reads it.  net.ktcp.mem shows the one array in every namespace; only
 * the initial namespace may write it.
 */

#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/percpu_counter.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "ktcp.h"
#include "reassembly.h"

/* Pages: below [0] no pressure, above [1] pressure, above [2] refuse. */
long ktcp_sysctl_mem[3] __read_mostly;

static atomic_long_t ktcp_memory_allocated;	/* pages */
static DEFINE_PER_CPU(int, ktcp_memory_per_cpu_fw_alloc);
static struct percpu_counter ktcp_sockets_allocated;
static unsigned long ktcp_memory_pressure;	/* jiffies it began; 0: none */

/* The kernel calls this when ktcp's memory passes net.ktcp.mem[1]. */
static void ktcp_enter_memory_pressure(struct sock *sk)
{
	unsigned long val;

	if (READ_ONCE(ktcp_memory_pressure))
		return;
	val = jiffies ?: 1;
	if (!cmpxchg(&ktcp_memory_pressure, 0, val))
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_MEMORY_PRESSURES);
}

/* ... and this when it is back below net.ktcp.mem[0]. */
static void ktcp_leave_memory_pressure(struct sock *sk)
{
	if (READ_ONCE(ktcp_memory_pressure))
		WRITE_ONCE(ktcp_memory_pressure, 0);
}

/**
 * ktcp_memory_init() - size net.ktcp.mem from RAM and arm ktcp_prot
 *
 * The defaults are native's tcp_init_mem(): 1/16 of the buffer pages
 * is the pressure mark, 3/4 of it the low mark, twice that the limit.
 * Called before proto_register().
 *
 * Return: 0 or -ENOMEM.
 */
int ktcp_memory_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);
	int err;

	ktcp_sysctl_mem[0] = limit / 4 * 3;
	ktcp_sysctl_mem[1] = limit;
	ktcp_sysctl_mem[2] = ktcp_sysctl_mem[0] * 2;

	err = percpu_counter_init(&ktcp_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	ktcp_prot.enter_memory_pressure = ktcp_enter_memory_pressure;
	ktcp_prot.leave_memory_pressure = ktcp_leave_memory_pressure;
	ktcp_prot.memory_allocated = &ktcp_memory_allocated;
	ktcp_prot.per_cpu_fw_alloc = &ktcp_memory_per_cpu_fw_alloc;
	ktcp_prot.sockets_allocated = &ktcp_sockets_allocated;
	ktcp_prot.memory_pressure = &ktcp_memory_pressure;
	ktcp_prot.sysctl_mem = ktcp_sysctl_mem;
	return 0;
}

/**
 * ktcp_memory_floors() - what a socket is granted under pressure
 * @init: the initial namespace's ktcp, registered
 *
 * net.ktcp.rmem[0] and wmem[0], as tcp_rmem[0] and tcp_wmem[0], are
 * what a socket may always hold under pressure, below net.ktcp.mem[2]
 * (sk_get_rmem0(), sk_get_wmem0()).  The kernel reads a protocol's
 * per-namespace floor at an offset into struct net, where a module's
 * sysctls are not: the initial namespace's floors apply to all, as
 * native's did before they became per namespace.  Called before
 * sock_register(), when no ktcp socket can exist yet.
 *
 * Native's 4096 admits one skb, and a native skb carries up to 64 KiB
 * (GSO on send, GRO and coalescing on receive).  ktcp queues one skb
 * per segment: 4096 admitted one segment per flight, every other
 * segment of the 4-MSS window offered under pressure was dropped and
 * waited for an RTO, and a connection beside a flood of out-of-order
 * data crawled.  The default, 64 KiB, holds what native's one skb holds.
 */
void ktcp_memory_floors(struct ktcp_net *init)
{
	ktcp_prot.sysctl_rmem = init->sysctl.rmem;
	ktcp_prot.sysctl_wmem = init->sysctl.wmem;
}

/*
 * The default of net.ktcp.max_orphans and max_tw_buckets: native's,
 * half its established hash, which has one bucket per 128 KiB of RAM.
 */
int ktcp_max_sockets_default(void)
{
	return clamp_t(unsigned long, totalram_pages() >> (18 - PAGE_SHIFT),
		       128, 1 << 20);
}

/* After proto_unregister(): no socket is left. */
void ktcp_memory_exit(void)
{
	long pages = atomic_long_read(&ktcp_memory_allocated);
	int cpu;

	for_each_possible_cpu(cpu)
		pages += per_cpu(ktcp_memory_per_cpu_fw_alloc, cpu);
	WARN_ON_ONCE(pages || percpu_counter_sum(&ktcp_sockets_allocated));
	percpu_counter_destroy(&ktcp_sockets_allocated);
}

/* A new socket: counted, as tcp_init_sock() counts one. */
void ktcp_memory_sock_init(struct sock *sk)
{
	/* Sent skbs are owned (skb_set_owner_w()); ACKs wake writers. */
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	sk_sockets_allocated_inc(sk);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	ktcp_sk(sk)->inuse_counted = true;
}

/*
 * The socket leaves its namespace's count of sockets in use: when its
 * protocol life ends (ktcp_destroy_sock()), while the namespace is
 * still there.  Its destructor may run after the namespace went, if it
 * was an orphan (ktcp_orphan_release_net()): it must not touch it.
 */
void ktcp_memory_sock_unuse(struct sock *sk)
{
	if (!ktcp_sk(sk)->inuse_counted)
		return;
	ktcp_sk(sk)->inuse_counted = false;
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
}

/*
 * The socket is being freed: its queues are empty.  What is still
 * charged to it here would stay in ktcp's memory for good: say which
 * socket and what, as inet_sock_destruct() warns for native sockets.
 */
void ktcp_memory_sock_exit(struct sock *sk)
{
	sk_mem_reclaim_final(sk);
	if (WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc) ||
			 sk->sk_wmem_queued || sk->sk_forward_alloc))
		pr_warn("ktcp: socket freed in state %d with rmem %d, wmem_queued %d, forward_alloc %d\n",
			sk->sk_state, atomic_read(&sk->sk_rmem_alloc),
			sk->sk_wmem_queued, sk->sk_forward_alloc);
	sk_sockets_allocated_dec(sk);
	/* A socket that never reached ktcp_destroy_sock() holds its net. */
	ktcp_memory_sock_unuse(sk);
}

/**
 * ktcp_prune_ofo() - give up out-of-order data for memory
 * @sk: the socket, locked
 *
 * From the highest sequence down (native's tcp_prune_ofo_queue(): that
 * data is needed last), until the socket is within its receive buffer
 * and ktcp's memory is out of pressure, or the queue is empty.  The
 * sender still has all of it.
 *
 * Return: true if anything was freed (counted once, OfoPruned).
 */
bool ktcp_prune_ofo(struct sock *sk)
{
	struct ktcp_ofo *q = &ktcp_sk(sk)->ofo_queue;
	struct sk_buff *skb;
	bool pruned = false;

	while ((skb = ktcp_ofo_unlink_last(q))) {
		kfree_skb(skb);
		pruned = true;
		sk_mem_reclaim(sk);
		if (atomic_read(&sk->sk_rmem_alloc) <= READ_ONCE(sk->sk_rcvbuf) &&
		    !sk_under_memory_pressure(sk))
			break;
	}
	if (pruned)
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_OFO_PRUNED);
	return pruned;
}

/*
 * Reserve @size bytes for @sk even over net.ktcp.mem[2], as native's
 * sk_forced_mem_schedule() does for an in-order segment into an empty
 * receive queue (tcp_data_queue()) and for the first skb of an empty
 * write queue (tcp_stream_alloc_skb()).  Out-of-order queues of other
 * connections (a flood that is never read) may hold ktcp's memory at
 * its limit for as long as they live; without this a connection beside
 * them would get or send nothing more, and one skb per connection is
 * all it can add.  A memory cgroup's charge is not open to modules:
 * its sockets are not forced.
 */
static bool ktcp_mem_force(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc;
	int pages;

	if (mem_cgroup_sockets_enabled && sk->sk_memcg)
		return false;
	if (delta <= 0)
		return true;
	pages = sk_mem_pages(delta);
	WRITE_ONCE(sk->sk_forward_alloc,
		   sk->sk_forward_alloc + (pages << PAGE_SHIFT));
	atomic_long_add(pages, &ktcp_memory_allocated);
	return true;
}

/**
 * ktcp_rmem_schedule() - may @sk keep a received segment?
 * @sk: the socket, locked
 * @skb: the segment
 * @ahead: it is out of order
 *
 * Out-of-order data is the first to give up: under pressure it is not
 * taken, and what the queue holds goes too, so that in-order data of
 * every connection still finds room below net.ktcp.mem[2].  In-order
 * data makes room by pruning the out-of-order queue (tcp_prune_queue()),
 * and into an empty receive queue it is always taken (ktcp_mem_force()).
 * On success the memory is reserved: skb_set_owner_r() charges it.
 *
 * Return: true to keep @skb; false: the caller drops it (counted).
 */
bool ktcp_rmem_schedule(struct sock *sk, struct sk_buff *skb, bool ahead)
{
	if (ahead) {
		if (!sk_under_memory_pressure(sk) &&
		    sk_rmem_schedule(sk, skb, skb->truesize))
			return true;
		ktcp_prune_ofo(sk);
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_OFO_DROP);
		return false;
	}
	if (sk_rmem_schedule(sk, skb, skb->truesize))
		return true;
	if (ktcp_prune_ofo(sk) && sk_rmem_schedule(sk, skb, skb->truesize))
		return true;
	if (skb_queue_empty(&sk->sk_receive_queue) &&
	    ktcp_mem_force(sk, skb->truesize))
		return true;
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_RCV_QDROP);
	return false;
}

/**
 * ktcp_wmem_schedule() - reserve memory for a segment sendmsg() queues
 * @sk: the socket, locked
 * @size: the truesize the segment will have, its payload included
 *
 * The first skb of an empty write queue is always taken
 * (ktcp_mem_force()).  On failure the writer waits
 * (sk_stream_wait_memory()) as for a full send buffer.  Note that
 * sk_wmem_schedule() itself cuts SO_SNDBUF down to what is queued when
 * it refuses (sk_stream_moderate_sndbuf(), for every SOCK_STREAM), and
 * ktcp has no autotuning to grow it back.
 *
 * Return: true if ktcp_wmem_charge() may charge it.
 */
bool ktcp_wmem_schedule(struct sock *sk, int size)
{
	if (sk_wmem_schedule(sk, size))
		return true;
	/* No ACK of ours would ever free memory for a writer. */
	return skb_queue_empty(&sk->sk_write_queue) &&
	       ktcp_mem_force(sk, size);
}

/* @size more bytes of truesize in the write queue: SO_SNDBUF, memory. */
void ktcp_wmem_charge(struct sock *sk, int size)
{
	sk_wmem_queued_add(sk, size);
	sk_mem_charge(sk, size);
}

/*
 * @size more bytes of truesize that must not be refused, as native's
 * sk_forced_mem_schedule(): a FIN, and the overhead of an skb that
 * splitting a queued segment adds (tcp_fragment(), tso_fragment()).
 */
void ktcp_wmem_charge_forced(struct sock *sk, int size)
{
	if (!ktcp_mem_force(sk, size))
		sk_wmem_schedule(sk, size);	/* a memory cgroup's socket */
	ktcp_wmem_charge(sk, size);
}

/* @size bytes of truesize leave the write queue. */
void ktcp_wmem_uncharge(struct sock *sk, int size)
{
	sk_wmem_queued_add(sk, -size);
	sk_mem_uncharge(sk, size);
}

/* @skb leaves the write queue (acknowledged, or the socket is gone). */
void ktcp_wmem_free_skb(struct sock *sk, struct sk_buff *skb)
{
	ktcp_wmem_uncharge(sk, skb->truesize);
	kfree_skb(skb);
}

/**
 * ktcp_too_many_orphans() - is @sk, an orphan, not worth keeping?
 * @sk: the socket, locked
 *
 * Native's too_many_orphans() and tcp_out_of_memory(): an orphan beyond
 * net.ktcp.max_orphans, or one with data queued while ktcp's memory is
 * over its limit, is not worth keeping.  Asked at close() and by every
 * persist probe of an orphan (timer.c).
 */
bool ktcp_too_many_orphans(struct sock *sk)
{
	struct net *net = sock_net(sk);

	return atomic_read(&ktcp_net(net)->orphans) >
	       ktcp_sysctl(net, max_orphans) ||
	       (sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
		sk_memory_allocated(sk) > sk_prot_mem_limits(sk, 2));
}

/**
 * ktcp_orphan_check() - close() left @sk to finish on its own: may it?
 * @sk: the socket, locked, orphaned, not in TCP_CLOSE
 *
 * Counts it as an orphan.  Over the limits it is reset at once, as
 * tcp_close() resets one when tcp_check_oom() says so.
 *
 * Return: false if it was reset (and is now in TCP_CLOSE).
 */
/*
 * An orphan no longer keeps its namespace alive, as native's TIME_WAIT
 * sockets do not: the namespace's exit ends it (ktcp_purge_orphans()),
 * so that a namespace whose programs are gone is freed at once, not
 * when their connections have run their course.  The inverse of
 * sk_net_refcnt_upgrade(); where __sk_destruct() drops a passive
 * reference for such a socket, it gets one.
 */
static void ktcp_orphan_release_net(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (!sk->sk_net_refcnt)
		return;
	sock_inuse_add(net, -1);
	sk->sk_net_refcnt = 0;
#ifdef KTCP_HAVE_NET_PASSIVE
	net_passive_inc(net);
	put_net_track(net, &sk->ns_tracker);
	__netns_tracker_alloc(net, &sk->ns_tracker, false, GFP_ATOMIC);
#else
	put_net_track(net, &sk->ns_tracker);
#endif
}

bool ktcp_orphan_check(struct sock *sk)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));

	ktcp_sk(sk)->orphan = true;
	if (sk->sk_state != TCP_TIME_WAIT)
		atomic_inc(&kn->orphans);
	spin_lock_bh(&kn->orphans_lock);
	list_add_tail(&ktcp_sk(sk)->orphan_node, &kn->orphan_list);
	spin_unlock_bh(&kn->orphans_lock);
	ktcp_orphan_release_net(sk);
	if (!ktcp_too_many_orphans(sk))
		return true;
	net_info_ratelimited("too many orphaned sockets\n");
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_ABORT_ON_MEMORY);
	ktcp_send_rst(sk, KTCP_MIB_RST_ABORT_ON_MEMORY);
	ktcp_done(sk, KTCP_EV_ABORT);
	return false;
}

/* The end of an orphan (ktcp_destroy_sock()). */
void ktcp_orphan_done(struct sock *sk)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));

	if (!ktcp_sk(sk)->orphan)
		return;
	ktcp_sk(sk)->orphan = false;
	if (sk->sk_state != TCP_TIME_WAIT)
		atomic_dec(&kn->orphans);
	spin_lock_bh(&kn->orphans_lock);
	list_del_init(&ktcp_sk(sk)->orphan_node);
	spin_unlock_bh(&kn->orphans_lock);
}

/**
 * ktcp_purge_orphans() - end every orphan of a namespace that goes
 * @net: the namespace, its hooks gone (ktcp_net_pre_exit())
 *
 * As inet_twsk_purge() ends native's TIME_WAIT sockets: whatever state
 * they are in (TIME_WAIT, FIN_WAIT, LAST_ACK, CLOSING), silently, their
 * memory and timers freed.  Every other socket of @net held a reference
 * on it: none is left.
 */
void ktcp_purge_orphans(struct net *net)
{
	struct ktcp_net *kn = ktcp_net(net);
	struct ktcp_sock *ks;
	struct sock *sk;

	for (;;) {
		spin_lock_bh(&kn->orphans_lock);
		ks = list_first_entry_or_null(&kn->orphan_list,
					      struct ktcp_sock, orphan_node);
		if (ks)
			sock_hold(&ks->inet.sk);
		spin_unlock_bh(&kn->orphans_lock);
		if (!ks)
			break;
		sk = &ks->inet.sk;
		lock_sock(sk);
		if (ks->orphan) {
			if (sk->sk_state == TCP_CLOSE)
				ktcp_destroy_sock(sk);
			else
				ktcp_done(sk, KTCP_EV_ABORT);
		}
		release_sock(sk);
		sock_put(sk);
	}
}

/*
 * Module unload: the orphans are gone (every namespace's exit purged
 * them), but a socket lives until its last skb leaves a device queue
 * and a grace period passes.  Its destructor is ktcp's: wait for all.
 */
void ktcp_wait_sockets_freed(void)
{
	unsigned long start = jiffies;
	bool said = false;

	while (percpu_counter_sum(&ktcp_sockets_allocated)) {
		if (!said && time_after(jiffies, start + 10 * HZ)) {
			pr_info("unload waits for %lld sockets still referenced\n",
				percpu_counter_sum(&ktcp_sockets_allocated));
			said = true;
		}
		msleep(20);
		rcu_barrier();
	}
	rcu_barrier();
}

/*
 * May @sk enter TIME_WAIT?  Not beyond net.ktcp.max_tw_buckets: then it
 * closes at once, as native does ("TCP: time wait bucket table
 * overflow", TCPTimeWaitOverflow).
 */
bool ktcp_tw_allowed(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (atomic_read(&ktcp_net(net)->tw_count) <
	    ktcp_sysctl(net, max_tw_buckets))
		return true;
	ktcp_inc_stats(net, KTCP_MIB_TW_OVERFLOW);
	return false;
}

/*
 * ktcp_set_state(): keep the count of sockets in TIME_WAIT, and of the
 * orphans that are not.  An orphan in TIME_WAIT is native's timewait
 * socket, which max_tw_buckets bounds, not max_orphans: counted as an
 * orphan too, 2MSL of a busy server's closes (the bench's connection
 * rate, 8000 of them) took the place of the orphans still sending, and
 * every close() beyond was reset as "too many orphaned sockets".
 */
void ktcp_tw_count(struct sock *sk, int old, int state)
{
	struct ktcp_net *kn = ktcp_net(sock_net(sk));
	int orphan = ktcp_sk(sk)->orphan;

	if (state == TCP_TIME_WAIT && old != TCP_TIME_WAIT) {
		atomic_inc(&kn->tw_count);
		atomic_sub(orphan, &kn->orphans);
	} else if (old == TCP_TIME_WAIT && state != TCP_TIME_WAIT) {
		atomic_dec(&kn->tw_count);
		atomic_add(orphan, &kn->orphans);
	}
}
