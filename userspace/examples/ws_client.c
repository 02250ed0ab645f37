// SPDX-License-Identifier: GPL-2.0
/*
 * A WebSocket client on libktcp.
 *
 *   ws_client [--family ktcp|inet|inet6|unix] [--host ADDR] [--port N]
 *             [--path /echo] [--protocol P] [--deflate] [--binary]
 *             [--size N] [--close CODE] MESSAGE...
 *
 * Sends each MESSAGE (or, with --size, one message of N bytes of a
 * fixed pattern) and waits for one reply each; prints every reply on
 * its own line ("<N bytes ok>" for --size).  Then closes with CODE
 * (default 1000) and prints "close CODE" with the server's code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ktcp/client.h>

#include "common.h"

struct state {
	int replies, code;
	const unsigned char *expect;
	size_t expect_len;
};

static void on_message(struct ktcp_ws *ws, unsigned int op, const void *d,
		       size_t len, void *arg)
{
	struct state *s = arg;

	(void)ws;
	(void)op;
	s->replies++;
	if (s->expect)
		printf("<%zu bytes %s>\n", len,
		       len == s->expect_len && !memcmp(d, s->expect, len) ?
		       "ok" : "MISMATCH");
	else
		printf("%.*s\n", (int)len, (const char *)d);
	fflush(stdout);
}

static void on_close(struct ktcp_ws *ws, int code, const char *r, size_t rl,
		     int by_peer, void *arg)
{
	struct state *s = arg;

	(void)ws;
	(void)r;
	(void)rl;
	(void)by_peer;
	s->code = code;
}

int main(int argc, char **argv)
{
	struct ktcp_ws_client_config cfg = { .path = "/echo", .max_message = 32u << 20 };
	struct ktcp_ws_callbacks cb = { .on_message = on_message, .on_close = on_close };
	struct state s = { 0 };
	struct opts o = { 0 };
	struct ktcp_ws_client *wc;
	unsigned int op = KTCP_WS_TEXT;
	long size = -1;
	int i, fd, err, code = 1000, want;

	for (i = 1; i < argc; i++) {
		if (common_opt(&o, argc, argv, &i))
			continue;
		if (i + 1 < argc && !strcmp(argv[i], "--path"))
			cfg.path = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--protocol"))
			cfg.protocols = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--size"))
			size = atol(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--close"))
			code = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--deflate"))
			cfg.deflate = 1;
		else if (!strcmp(argv[i], "--binary"))
			op = KTCP_WS_BINARY;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: see the comment in ws_client.c\n");
			return 2;
		} else {
			break;
		}
	}
	common_defaults(&o);
	cfg.host = strcmp(o.family, "unix") ? o.host : "localhost";
	fd = ktcp_addr_connect(o.family, o.host, o.port, SOCK_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "connect: %s\n", sock_error(&o, fd));
		return 1;
	}
	wc = ktcp_ws_client_connect(fd, &cfg, &cb, &s, &err);
	if (!wc) {
		fprintf(stderr, "handshake: %s\n", strerror(-err));
		return 1;
	}
	if (size >= 0) {
		unsigned char *p = malloc((size_t)size + 1);
		long j;

		for (j = 0; j < size; j++)
			p[j] = (unsigned char)(op == KTCP_WS_TEXT ? 'a' + j % 26 : j * 31);
		s.expect = p;
		s.expect_len = (size_t)size;
		err = ktcp_ws_send(ktcp_ws_client_ws(wc), op, p, (size_t)size);
		want = 1;
	} else {
		want = 0;
		for (; i < argc && !err; i++, want++)
			err = ktcp_ws_send(ktcp_ws_client_ws(wc), op, argv[i],
					   strlen(argv[i]));
	}
	while (!err && s.replies < want) {
		int n = ktcp_ws_client_poll(wc, -1);

		if (n <= 0)
			err = n ? n : -ETIMEDOUT;
	}
	if (!err)
		err = ktcp_ws_close(ktcp_ws_client_ws(wc), code, NULL, 0);
	while (!err && ktcp_ws_client_poll(wc, -1) >= 0)
		;
	printf("close %d\n", s.code);
	ktcp_ws_client_free(wc);
	free((void *)s.expect);
	return s.replies == want ? 0 : 1;
}
