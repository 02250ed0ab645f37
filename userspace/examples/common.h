/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line handling shared by the libktcp examples:
 *   --family ktcp|inet|inet6|unix   (default inet)
 *   --host ADDR                     numeric address, or the socket
 *                                   path for unix (default 127.0.0.1)
 *   --port N                        (servers: 0 picks a free port)
 */
#ifndef KTCP_EXAMPLES_COMMON_H
#define KTCP_EXAMPLES_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ktcp/addr.h>

struct opts {
	const char *family;
	const char *host;
	unsigned short port;
};

/*
 * Take the common options out of argv; returns 1 if argv[*i] (and maybe
 * its value) was one, 0 if not, exits on a bad value.
 */
static inline int common_opt(struct opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "--family") && strcmp(a, "--host") && strcmp(a, "--port"))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s needs a value\n", a);
		exit(2);
	}
	if (!strcmp(a, "--family")) {
		o->family = argv[++*i];
		if (ktcp_addr_family(o->family)) {
			fprintf(stderr, "--family: ktcp, inet, inet6 or unix\n");
			exit(2);
		}
	} else if (!strcmp(a, "--host")) {
		o->host = argv[++*i];
	} else {
		o->port = (unsigned short)strtoul(argv[++*i], NULL, 10);
	}
	return 1;
}

/* strerror(-err), saying what -ENOENT means for --family ktcp. */
static inline const char *sock_error(const struct opts *o, int err)
{
	if (o->family && !strcmp(o->family, "ktcp") && err == -ENOENT)
		return "the ktcp module is not loaded (no family file)";
	return strerror(-err);
}

static inline void common_defaults(struct opts *o)
{
	if (!o->family)
		o->family = "inet";
	if (!o->host)
		o->host = !strcmp(o->family, "inet6") ? "::1" :
			  !strcmp(o->family, "unix") ? "/tmp/ktcp-example.sock" :
			  "127.0.0.1";
}

#endif /* KTCP_EXAMPLES_COMMON_H */
