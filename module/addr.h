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
#include <linux/socket.h>

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
