/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Validation of user-supplied addresses, before anything touches a
 * socket.  Pure functions, tested by tests/addr_test.c; the errnos are
 * the ones AF_INET returns for the same input.
 */
#ifndef _KTCP_ADDR_H
#define _KTCP_ADDR_H

#include <linux/errno.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>

/*
 * The length of the sockaddr_in6 of RFC 2133, without sin6_scope_id:
 * the shortest that AF_INET6 takes (SIN6_LEN_RFC2133 in net/ipv6.h).
 */
#define KTCP_SIN6_LEN_MIN	24

/**
 * ktcp_addr_family() - which family's rules an address is held to
 * @sock_family: the socket's family so far: 0 (none yet), AF_INET or
 *	AF_INET6
 * @uaddr: the address passed to bind() or connect()
 * @addr_len: its length
 *
 * A ktcp socket takes the family of the first bind() or connect()
 * address of the right length and sa_family, even if the call then
 * fails, and keeps it, as a native socket keeps the family of
 * socket().  Until then an address says which rules
 * apply by its sa_family: AF_INET6 those of inet6_bind() and
 * tcp_v6_connect(), anything else (AF_UNSPEC included) those of
 * AF_INET.  Too short to hold sa_family counts as AF_INET, whose
 * length check then refuses it.
 *
 * Return: AF_INET or AF_INET6.
 */
static inline int ktcp_addr_family(int sock_family,
				   const struct sockaddr *uaddr, int addr_len)
{
	if (sock_family == AF_INET || sock_family == AF_INET6)
		return sock_family;
	if (addr_len >= (int)sizeof(uaddr->sa_family) &&
	    uaddr->sa_family == AF_INET6)
		return AF_INET6;
	return AF_INET;
}

/**
 * ktcp_check_bind_addr6() - check the shape of an AF_INET6 bind() address
 * @uaddr: the address as passed by the user
 * @addr_len: its length
 *
 * Return: 0 if @uaddr is a usable struct sockaddr_in6, -EINVAL if it is
 * shorter than RFC 2133's, -EAFNOSUPPORT for another family, as
 * inet6_bind().
 */
static inline int ktcp_check_bind_addr6(const struct sockaddr *uaddr,
					int addr_len)
{
	if (addr_len < KTCP_SIN6_LEN_MIN)
		return -EINVAL;
	if (uaddr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	return 0;
}

/**
 * ktcp_check_bind_addr() - check the shape of a bind() address
 * @uaddr: the address as passed by the user
 * @addr_len: its length
 *
 * Return: 0 if @uaddr is a usable struct sockaddr_in, -EINVAL if it is
 * too short, -EAFNOSUPPORT for another family.  AF_UNSPEC with
 * INADDR_ANY is accepted, as inet_bind() accepts it for old programs.
 */
static inline int ktcp_check_bind_addr(const struct sockaddr *uaddr,
				       int addr_len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)uaddr;

	if (addr_len < (int)sizeof(*sin))
		return -EINVAL;
	if (sin->sin_family == AF_INET)
		return 0;
	if (sin->sin_family == AF_UNSPEC &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY))
		return 0;
	return -EAFNOSUPPORT;
}

#endif /* _KTCP_ADDR_H */
