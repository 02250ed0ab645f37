// SPDX-License-Identifier: GPL-2.0
/*
 * An HTTP/1.1 client on libktcp that reuses its connection.
 *
 *   http_client [--family ktcp|inet|inet6|unix] [--host ADDR] [--port N]
 *               [--method M] [--data BODY [--chunked]] [--vhost NAME] PATH...
 *
 * With --chunked the body is sent with the chunked transfer coding, in
 * pieces of at most 3 bytes.
 * Requests each PATH in turn, writes each body to stdout, and to
 * stderr one "STATUS BODY-LENGTH reused|new" line per request and
 * finally "connections: N".  Exits 1 if a request failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ktcp/client.h>

#include "common.h"

struct piece {
	const char *p;
	size_t left;
};

static long next_piece(void *buf, size_t cap, void *arg)
{
	struct piece *pc = arg;
	size_t n = pc->left < 3 ? pc->left : 3;

	if (n > cap)
		n = cap;
	memcpy(buf, pc->p, n);
	pc->p += n;
	pc->left -= n;
	return (long)n;
}

static int dial(void *arg)
{
	const struct opts *o = arg;

	return ktcp_addr_connect(o->family, o->host, o->port, SOCK_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct ktcp_http_client_config cfg = { .connect = dial };
	struct ktcp_http_client_response r;
	struct ktcp_http_client *cl;
	const char *method = "GET", *data = NULL, *vhost = NULL;
	struct opts o = { 0 };
	int i, first = 0, ret = 0, chunked = 0;

	for (i = 1; i < argc; i++) {
		if (common_opt(&o, argc, argv, &i))
			continue;
		if (i + 1 < argc && !strcmp(argv[i], "--method"))
			method = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--data"))
			data = argv[++i];
		else if (!strcmp(argv[i], "--chunked"))
			chunked = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--vhost"))
			vhost = argv[++i];
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [--family F] [--host H] [--port N] "
				"[--method M] [--data BODY] [--vhost NAME] PATH...\n",
				argv[0]);
			return 2;
		} else {
			if (!first)
				first = i;
			break;
		}
	}
	if (!first) {
		fprintf(stderr, "no PATH given\n");
		return 2;
	}
	common_defaults(&o);
	cfg.connect_arg = &o;
	cfg.host = vhost ? vhost : o.host;
	if (!strcmp(o.family, "unix") && !vhost)
		cfg.host = "localhost";
	cl = ktcp_http_client_new(&cfg);
	for (i = first; i < argc; i++) {
		struct piece pc = { data, data ? strlen(data) : 0 };
		int err = chunked ?
			ktcp_http_client_request_chunked(cl, method, argv[i], NULL, 0,
							 next_piece, &pc, &r) :
			ktcp_http_client_request(cl, method, argv[i], NULL, 0,
						 data, data ? strlen(data) : 0, &r);

		if (err) {
			fprintf(stderr, "%s: %s\n", argv[i], sock_error(&o, err));
			ret = 1;
			continue;
		}
		fwrite(r.body, 1, r.body_len, stdout);
		fprintf(stderr, "%d %zu %s\n", r.status, r.body_len,
			r.reused ? "reused" : "new");
	}
	fflush(stdout);
	fprintf(stderr, "connections: %u\n", ktcp_http_client_connections(cl));
	ktcp_http_client_free(cl);
	return ret;
}
