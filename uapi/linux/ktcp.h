/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ktcp: a second, independent TCP for Linux, reached through its own
 * address family.  This header is everything userspace needs to know.
 *
 * Addresses are the ordinary struct sockaddr_in (sin_family = AF_INET):
 * only the socket() call differs from AF_INET code.
 */
#ifndef _UAPI_LINUX_KTCP_H
#define _UAPI_LINUX_KTCP_H

/*
 * Modules cannot raise AF_MAX, so ktcp borrows a family slot that no
 * mainline kernel implements.  25 (AF_WANPIPE) was reserved for an
 * out-of-tree driver and never had a socket family in mainline.  The
 * module parameter "family" can move it; the number the loaded module
 * really uses is always readable from KTCP_FAMILY_PARAM_PATH.
 */
#define KTCP_FAMILY_DEFAULT		25

/* Decimal family number of the loaded module, one line. */
#define KTCP_FAMILY_PARAM_PATH		"/sys/module/ktcp/parameters/family"

/* Per network namespace socket table, in the columns of /proc/net/tcp. */
#define KTCP_PROC_NET_PATH		"/proc/net/ktcp"

/*
 * Default ephemeral port range (inclusive), sysctl
 * net.ktcp.ip_local_port_range.  It starts above the native default
 * net.ipv4.ip_local_port_range (32768 60999) so that the two stacks
 * do not pick the same ephemeral ports.
 */
#define KTCP_EPHEMERAL_PORT_LOW		61000
#define KTCP_EPHEMERAL_PORT_HIGH	65535

/*
 * setsockopt() level for the SOL_SOCKET options the core keeps from
 * families other than AF_INET and AF_INET6 before 6.2, where no family
 * may take SOL_SOCKET itself: SO_REUSEPORT and SO_ZEROCOPY, with the
 * same values and errors as at SOL_SOCKET (which works on 6.2 and
 * later too).  getsockopt() reads them back at SOL_SOCKET.
 */
#define SOL_KTCP			0x4b54

#endif /* _UAPI_LINUX_KTCP_H */
