/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp-preload.so: what the KTCP_PRELOAD environment variable says
 * to move onto ktcp.  Pure functions, no I/O: the unit tests call them
 * directly.
 *
 *	(unset), "" or "all"	every AF_INET and AF_INET6 stream socket,
 *				from socket() on
 *	"off"			nothing (the library only passes calls on)
 *	"ports=LIST"		only AF_INET and AF_INET6 stream sockets that
 *				bind() or connect() to a port of LIST, a
 *				comma-separated list of ports (1-65535) and
 *				ranges LOW-HIGH, e.g. "ports=80,8080,9000-9009"
 */
#ifndef KTCP_PRELOAD_SPEC_H
#define KTCP_PRELOAD_SPEC_H

#include <stdbool.h>
#include <stdint.h>

enum preload_mode {
	PRELOAD_OFF,
	PRELOAD_ALL,
	PRELOAD_PORTS,
};

#define PRELOAD_PORT_WORDS	(65536 / 64)

struct preload_spec {
	enum preload_mode mode;
	uint64_t ports[PRELOAD_PORT_WORDS];	/* bit n: port n, PRELOAD_PORTS only */
};

/**
 * preload_spec_parse() - Parse the value of KTCP_PRELOAD.
 * @s:    the value, or NULL when the variable is unset.
 * @spec: filled in; on failure it says PRELOAD_OFF, so that a typo
 *        never moves more sockets than the user asked for.
 *
 * Nothing is accepted that the grammar above does not allow: no blanks,
 * no empty items, no port 0, no leading zeros, no LOW above HIGH.
 *
 * Return: 0, or -EINVAL if @s is malformed.
 */
int preload_spec_parse(const char *s, struct preload_spec *spec);

/**
 * preload_spec_port() - Whether a bind() or connect() to @port converts.
 * @spec: as filled by preload_spec_parse().
 * @port: in host byte order.
 *
 * Return: true only in PRELOAD_PORTS mode for a listed port.
 */
bool preload_spec_port(const struct preload_spec *spec, unsigned int port);

#endif /* KTCP_PRELOAD_SPEC_H */
