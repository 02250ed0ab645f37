// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls of AF_KTCP (proto_ops).  Every errno here is the one
 * AF_INET's TCP returns for the same call; the selftests compare them.
 */

#include <linux/capability.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "addr.h"
#include "ktcp.h"

struct proto ktcp_prot = {
	.name		= "KTCP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct ktcp_sock),
};

static int ktcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	lock_sock(sk);
	ktcp_port_unbind(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	sock_orphan(sk);
	release_sock(sk);

	ktcp_sock_list_del(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static int ktcp_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	int addr_type, err;
	u16 port;

	err = ktcp_check_bind_addr(uaddr, addr_len);
	if (err)
		return err;

	addr_type = inet_addr_type(net, sin->sin_addr.s_addr);
	if (!inet_addr_valid_or_nonlocal(net, inet_sk(sk), sin->sin_addr.s_addr,
					 addr_type))
		return -EADDRNOTAVAIL;

	port = ntohs(sin->sin_port);
	if (port && inet_port_requires_bind_service(net, port) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE || ktcp_sk(sk)->bound) {
		err = -EINVAL;
		goto out;
	}
	err = ktcp_port_bind(sk, sin->sin_addr.s_addr, port);
	if (err)
		goto out;
	/* Like inet_bind(): we may receive on these, never send from them. */
	if (addr_type == RTN_MULTICAST || addr_type == RTN_BROADCAST)
		inet_sk(sk)->inet_saddr = 0;
	if (sin->sin_addr.s_addr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	return err;
}

static int ktcp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_in *, sin, uaddr);
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	int err = sizeof(*sin);

	lock_sock(sk);
	sin->sin_family = AF_INET;
	if (peer) {
		if (!inet->inet_dport ||
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT))) {
			err = -ENOTCONN;
			goto out;
		}
		sin->sin_port = inet->inet_dport;
		sin->sin_addr.s_addr = inet->inet_daddr;
	} else {
		sin->sin_port = inet->inet_sport;
		sin->sin_addr.s_addr = inet->inet_rcv_saddr ?: inet->inet_saddr;
	}
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
out:
	release_sock(sk);
	return err;
}

/*
 * A socket that is neither connected nor connecting: native TCP reports
 * it writable and hung up, and so do we.
 */
static __poll_t ktcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	if (sk->sk_state == TCP_CLOSE)
		mask |= EPOLLHUP | EPOLLOUT | EPOLLWRNORM;
	if (sk->sk_err)
		mask |= EPOLLERR;
	return mask;
}

static int ktcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	return -ENOIOCTLCMD;
}

/* The family is a module parameter: ktcp_stream_ops_init() copies this. */
static const struct proto_ops ktcp_stream_ops_template = {
	.owner		= THIS_MODULE,
	.release	= ktcp_release,
	.bind		= ktcp_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= ktcp_getname,
	.poll		= ktcp_poll,
	.ioctl		= ktcp_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
};

static const struct proto_ops *ktcp_stream_ops;

int ktcp_stream_ops_init(int family)
{
	struct proto_ops *ops;

	ops = kmemdup(&ktcp_stream_ops_template,
		      sizeof(ktcp_stream_ops_template), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	ops->family = family;
	ktcp_stream_ops = ops;
	return 0;
}

void ktcp_stream_ops_exit(void)
{
	kfree(ktcp_stream_ops);
}

static void ktcp_sock_destruct(struct sock *sk)
{
	WARN_ON_ONCE(ktcp_sk(sk)->bound);
	WARN_ON_ONCE(!hlist_unhashed(&ktcp_sk(sk)->all_node));
}

/*
 * socket(AF_KTCP, type, protocol): the checks and errnos of
 * inet_create() for a family that only has SOCK_STREAM.
 */
int ktcp_create(struct net *net, struct socket *sock, int protocol, int kern)
{
	struct inet_sock *inet;
	struct sock *sk;

	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != IPPROTO_IP && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, ktcp_family(), GFP_KERNEL, &ktcp_prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = ktcp_stream_ops;
	sock_init_data(sock, sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_state = TCP_CLOSE;
	sk->sk_destruct = ktcp_sock_destruct;
	/* Table readers walk under RCU: free the socket after a grace. */
	sock_set_flag(sk, SOCK_RCU_FREE);

	inet = inet_sk(sk);
	inet->uc_ttl = -1;
	INIT_HLIST_NODE(&ktcp_sk(sk)->bind_node);
	ktcp_sock_list_add(sk);
	return 0;
}
