// SPDX-License-Identifier: GPL-2.0
/*
 * An HTTP/1.1 client on libktcp that reuses its connection.
 *
 *   http_client [--family ktcp|inet|inet6|unix] [--host ADDR] [--port N]
 *               [--method M] [--data BODY [--chunked]] [--vhost NAME]
 *               [--header 'NAME: VALUE']... [--range SPEC] PATH...
 *
 * With --chunked the body is sent with the chunked transfer coding, in
 * pieces of at most 3 bytes.  With --range (a Range value without
 * "bytes=", e.g. "100-", "0-9,20-29", "-50") each PATH is a ranged GET
 * checked against what it asked for, and the bytes of the ranges
 * received are what goes to stdout.
 * Requests each PATH in turn, writes each body to stdout, and to
 * stderr one "STATUS BODY-LENGTH reused|new" line per request (then,
 * for a 206, one "range FIRST-LAST/LEN" line per part) and finally
 * "connections: N".  Exits 1 if a request failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <inttypes.h>

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

/* "NAME: VALUE" as a header field pointing into @arg. */
static int parse_header(const char *arg, struct ktcp_http_header *h)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg)
		return -1;
	h->name = arg;
	h->name_len = (size_t)(colon - arg);
	for (h->value = colon + 1; *h->value == ' '; h->value++)
		;
	h->value_len = strlen(h->value);
	return 0;
}

static int get_ranges(struct ktcp_http_client *cl, const char *path,
		      const struct ktcp_http_header *h, size_t nh,
		      const struct ktcp_range_spec *specs, size_t nspecs,
		      struct ktcp_http_client_response *r)
{
	struct ktcp_http_client_ranges got;
	size_t i;
	int err = ktcp_http_client_get_ranges(cl, path, h, nh, specs, nspecs,
					      r, &got);

	if (err)
		return err;
	if (r->status != 206) {
		fwrite(r->body, 1, r->body_len, stdout);
		return 0;
	}
	for (i = 0; i < got.num_parts; i++) {
		const struct ktcp_byte_range *br = &got.parts[i].range;

		fwrite(got.parts[i].data, 1, br->last - br->first + 1, stdout);
	}
	fprintf(stderr, "%d %zu %s\n", r->status, r->body_len,
		r->reused ? "reused" : "new");
	for (i = 0; i < got.num_parts; i++) {
		const struct ktcp_byte_range *br = &got.parts[i].range;

		if (got.complete_length == UINT64_MAX)
			fprintf(stderr, "range %" PRIu64 "-%" PRIu64 "/*\n",
				br->first, br->last);
		else
			fprintf(stderr, "range %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\n",
				br->first, br->last, got.complete_length);
	}
	return 1;	/* reported */
}

int main(int argc, char **argv)
{
	struct ktcp_http_client_config cfg = { .connect = dial };
	struct ktcp_http_client_response r;
	struct ktcp_http_client *cl;
	const char *method = "GET", *data = NULL, *vhost = NULL;
	struct ktcp_range_spec specs[KTCP_FILE_MAX_RANGES];
	struct ktcp_http_header hdrs[16];
	size_t nspecs = 0, nh = 0;
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
		else if (i + 1 < argc && !strcmp(argv[i], "--header") && nh < 16 &&
			 !parse_header(argv[i + 1], &hdrs[nh]))
			nh++, i++;
		else if (i + 1 < argc && !strcmp(argv[i], "--range")) {
			char value[1024];

			snprintf(value, sizeof(value), "bytes=%s", argv[++i]);
			if (ktcp_range_parse(value, strlen(value), specs,
					     KTCP_FILE_MAX_RANGES, &nspecs)) {
				fprintf(stderr, "--range: e.g. 100-, 0-9,20-29 or -50\n");
				return 2;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [--family F] [--host H] [--port N] "
				"[--method M] [--data BODY] [--vhost NAME] "
				"[--header 'NAME: VALUE']... [--range SPEC] PATH...\n",
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
		int err = nspecs ?
			get_ranges(cl, argv[i], hdrs, nh, specs, nspecs, &r) :
			chunked ?
			ktcp_http_client_request_chunked(cl, method, argv[i], hdrs, nh,
							 next_piece, &pc, &r) :
			ktcp_http_client_request(cl, method, argv[i], hdrs, nh,
						 data, data ? strlen(data) : 0, &r);

		if (err == -EPROTO && nspecs) {
			fprintf(stderr, "%s: the 206 does not answer the range asked for\n",
				argv[i]);
			ret = 1;
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], sock_error(&o, err));
			ret = 1;
			continue;
		}
		if (err)
			continue;	/* a 206, written and reported */
		if (!nspecs)
			fwrite(r.body, 1, r.body_len, stdout);
		fprintf(stderr, "%d %zu %s\n", r.status, r.body_len,
			r.reused ? "reused" : "new");
	}
	fflush(stdout);
	fprintf(stderr, "connections: %u\n", ktcp_http_client_connections(cl));
	ktcp_http_client_free(cl);
	return ret;
}
