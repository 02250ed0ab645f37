/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows kernel versions.  Force-included by Kbuild,
 * so logic never tests LINUX_VERSION_CODE itself.  Supported: Debian 12's
 * 6.1 and the 6.12 LTS test kernel.
 */
#ifndef _KTCP_COMPAT_H
#define _KTCP_COMPAT_H

/* Force-included before any printk.h: every message says "ktcp: ". */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/net.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>

/*
 * Kbuild finds net_passive_inc() in the headers (KTCP_HAVE_NET_PASSIVE):
 * stable kernels took it at different points.  From 6.14 on it is
 * there for sure; a probe that missed it would free namespaces early.
 */
#if KERNEL_VERSION(6, 14, 0) <= LINUX_VERSION_CODE && \
	!defined(KTCP_HAVE_NET_PASSIVE)
#error "Kbuild's net_passive_inc() probe failed on a kernel that has it"
#endif

/* Kbuild found skb_frag_unref() and its kin in a header of their own. */
#ifdef KTCP_HAVE_SKBUFF_REF
#include <linux/skbuff_ref.h>
#endif

/* 6.11 made the table argument of proc handlers const. */
#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
#define KTCP_CTL_TABLE_CONST const
#else
#define KTCP_CTL_TABLE_CONST
#endif

/*
 * 6.6 replaced sentinel-terminated sysctl tables by an explicit size;
 * register_net_sysctl() only works on arrays there, not on a kmemdup()ed
 * per-namespace copy.
 */
static inline struct ctl_table_header *
ktcp_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t count)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	return register_net_sysctl_sz(net, path, table, count);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* 6.10 passed accept()'s flags and kern in a struct proto_accept_arg. */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#define KTCP_HAVE_PROTO_ACCEPT_ARG
#endif

/*
 * 6.10 moved the socket memory helpers (proto_memory_allocated(),
 * sk_under_memory_pressure()) out of net/sock.h.
 */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#include <net/proto_memory.h>
#endif

/* 6.12 moved asm/unaligned.h to linux/unaligned.h. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * Pure helpers are exported to ktcp_kunit.ko only, in their own symbol
 * namespace.  6.13 made the namespace argument a string.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define KTCP_KUNIT_NS "KTCP_KUNIT"
#else
#define KTCP_KUNIT_NS KTCP_KUNIT
#endif

/*
 * sock_setsockopt() refuses SO_REUSEPORT to families other than AF_INET
 * and AF_INET6 (stable kernels too: Debian's 6.1 does).  Where a family
 * may take SOL_SOCKET itself, as MPTCP does, with SOCK_CUSTOM_SOCKOPT
 * (6.12 can, 6.1 cannot), ktcp does; elsewhere it has no SO_REUSEPORT.
 */
static inline void ktcp_own_sol_socket(struct socket *sock)
{
#ifdef SOCK_CUSTOM_SOCKOPT
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
#endif
}

/* 6.6 moved inet_sock's one-bit fields to atomic inet_flags bits. */
static inline void ktcp_inet_set_mc_loop(struct sock *sk, bool on)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	inet_assign_bit(MC_LOOP, sk, on);
#else
	inet_sk(sk)->mc_loop = on;
#endif
}

/* IP_RECVERR: an ICMP error is reported at once, not on a timeout. */
static inline bool ktcp_inet_recverr(const struct sock *sk)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	return inet_test_bit(RECVERR, sk);
#else
	return inet_sk(sk)->recverr;
#endif
}

static inline void ktcp_inet_set_mc_all(struct sock *sk, bool on)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	inet_assign_bit(MC_ALL, sk, on);
#else
	inet_sk(sk)->mc_all = on;
#endif
}

#endif /* _KTCP_COMPAT_H */
