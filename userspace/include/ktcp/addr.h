/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: listening and connecting by family name, so that programs
 * take "--family ktcp|inet|inet6|unix" and nothing else changes.
 *
 *   ktcp   AF_KTCP (see ktcp/socket.h) with IPv4 addresses
 *   inet   AF_INET
 *   inet6  AF_INET6
 *   unix   AF_UNIX; the "host" is a file system path, the port unused
 *
 * Errors are negative errno values.
 */
#ifndef KTCP_ADDR_H
#define KTCP_ADDR_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ktcp_addr_family() - Check a family name.
 * @name: "ktcp", "inet", "inet6" or "unix".
 *
 * Return: 0 for a known name, -EINVAL otherwise.
 */
int ktcp_addr_family(const char *name);

/**
 * ktcp_addr_listen() - Create a listening socket.
 * @family: a family name as above.
 * @host: numeric address to bind ("127.0.0.1", "::1"; NULL for any), or
 *        the socket path for "unix" (an existing socket file there is
 *        replaced).
 * @port: port in host order; 0 picks a free one (see ktcp_addr_port()).
 * @backlog: as for listen(2).
 * @flags: SOCK_NONBLOCK and/or SOCK_CLOEXEC, or 0.
 *
 * SO_REUSEADDR is set on IP sockets.
 *
 * Return: the listening descriptor; -EINVAL for a bad family or
 * address; the negative errno of socket(), bind() or listen().
 */
int ktcp_addr_listen(const char *family, const char *host,
		     unsigned short port, int backlog, int flags);

/**
 * ktcp_addr_connect() - Connect a stream socket (blocking connect).
 * @family, @host, @port: as for ktcp_addr_listen(); @host is required.
 * @flags: SOCK_NONBLOCK and/or SOCK_CLOEXEC for the returned socket.
 *
 * TCP_NODELAY is set on IP sockets (ignored where unsupported).
 *
 * Return: the connected descriptor or a negative errno.
 */
int ktcp_addr_connect(const char *family, const char *host,
		      unsigned short port, int flags);

/**
 * ktcp_addr_port() - Local port of a bound IP socket.
 * @fd: the socket.
 *
 * Return: the port in host order, or a negative errno (-EAFNOSUPPORT
 * for AF_UNIX).
 */
int ktcp_addr_port(int fd);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_ADDR_H */
