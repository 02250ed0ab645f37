// SPDX-License-Identifier: GPL-2.0
/*
 * A WebSocket echo and broadcast server on libktcp.
 *
 *   ws_server [--family ktcp|inet|inet6|unix] [--host ADDR] [--port N]
 *             [--max-message BYTES] [--deflate]
 *
 * Paths: /echo (or /) echoes every message back; /broadcast sends every
 * message to all /broadcast clients.  A client too slow to take its
 * share (its queue would pass the server's limit) is closed with 1008.
 * Offers the subprotocol "echo".  Prints "listening on PORT".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/server.h>

#include "serve.h"

struct client {
	struct ktcp_ws *ws;
	int broadcast;
	struct client *next;
};

static struct client *clients;

static void handler(struct ktcp_http_req *req, void *arg)
{
	const struct ktcp_http_request *h = ktcp_http_req_head(req);
	struct client *c;

	(void)arg;
	if (!ktcp_ws_is_upgrade(h)) {
		ktcp_http_resp_send(req, 200, "WebSocket server: /echo, /broadcast\n", 36);
		return;
	}
	c = calloc(1, sizeof(*c));
	c->broadcast = h->target_len == 10 && !memcmp(h->target, "/broadcast", 10);
	c->ws = ktcp_http_ws_accept(req, c);
	if (!c->ws) {
		free(c);
		return;
	}
	c->next = clients;
	clients = c;
}

static void on_message(struct ktcp_ws *ws, unsigned int op, const void *d,
		       size_t len, void *arg)
{
	struct client *me = ktcp_http_ws_data(ws), *c;

	(void)arg;
	if (!me->broadcast) {
		if (ktcp_ws_send(ws, op, d, len) == -ENOBUFS)
			ktcp_ws_close(ws, KTCP_WS_POLICY, "too slow", 8);
		return;
	}
	for (c = clients; c; c = c->next)
		if (c->broadcast && ktcp_ws_state(c->ws) == KTCP_WS_OPEN &&
		    ktcp_ws_send(c->ws, op, d, len) == -ENOBUFS)
			ktcp_ws_close(c->ws, KTCP_WS_POLICY, "too slow", 8);
}

static void on_gone(struct ktcp_ws *ws, void *arg)
{
	struct client *me = ktcp_http_ws_data(ws), **p;

	(void)arg;
	for (p = &clients; *p; p = &(*p)->next)
		if (*p == me) {
			*p = me->next;
			break;
		}
	free(me);
}

int main(int argc, char **argv)
{
	static const char *const protos[] = { "echo" };
	struct ktcp_ws_server_policy pol = { .protocols = protos, .num_protocols = 1 };
	struct ktcp_http_server_config cfg = {
		.handler = handler, .ws_policy = &pol, .ws_message = on_message,
		.ws_gone = on_gone, .ws_max_message = 32u << 20,
	};
	struct opts o = { 0 };
	int i;

	for (i = 1; i < argc; i++) {
		if (common_opt(&o, argc, argv, &i))
			continue;
		if (i + 1 < argc && !strcmp(argv[i], "--max-message"))
			cfg.ws_max_message = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--deflate"))
			pol.deflate = 1;
		else {
			fprintf(stderr, "usage: %s [--family F] [--host H] [--port N] "
				"[--max-message BYTES] [--deflate]\n", argv[0]);
			return 2;
		}
	}
	return serve(&o, &cfg);
}
