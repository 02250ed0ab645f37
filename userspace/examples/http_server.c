// SPDX-License-Identifier: GPL-2.0
/*
 * An HTTP/1.1 keep-alive file and echo server on libktcp.
 *
 *   http_server [--family ktcp|inet|inet6|unix] [--host ADDR] [--port N]
 *               [--root DIR] [--max-requests N] [--idle-ms N]
 *
 * POST and PUT echo the request body.  GET and HEAD serve files below
 * --root through ktcp/file.h (sendfile(), byte ranges, ETag and
 * Last-Modified, conditional requests), or "hello\n" without --root.
 * Prints "listening on PORT" once ready (PORT 0 for unix).
 */
#define _GNU_SOURCE	/* memmem() */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/file.h>
#include <ktcp/server.h>

#include "serve.h"

static const char *root;
static struct ktcp_file_cache *cache;

static void serve_file(struct ktcp_http_req *req,
		       const struct ktcp_http_request *h)
{
	char path[4096];

	if (memmem(h->target, h->target_len, "..", 2) || h->target[0] != '/' ||
	    (size_t)snprintf(path, sizeof(path), "%s%.*s", root,
			     (int)h->target_len, h->target) >= sizeof(path)) {
		ktcp_http_resp_send(req, 400, "bad path\n", 9);
		return;
	}
	/*
	 * Files up to 64 KiB from memory (one stat() a request checks
	 * that they did not change), bigger ones with sendfile().
	 */
	if (ktcp_file_cache_serve(cache, req, path, NULL) < 0)
		ktcp_http_resp_send(req, 404, "not found\n", 10);
}

static void handler(struct ktcp_http_req *req, void *arg)
{
	const struct ktcp_http_request *h = ktcp_http_req_head(req);
	size_t len;
	const void *body = ktcp_http_req_body(req, &len);

	(void)arg;
	if ((h->method_len == 4 && !memcmp(h->method, "POST", 4)) ||
	    (h->method_len == 3 && !memcmp(h->method, "PUT", 3))) {
		ktcp_http_resp_send(req, 200, body, len);
	} else if ((h->method_len == 3 && !memcmp(h->method, "GET", 3)) ||
		   (h->method_len == 4 && !memcmp(h->method, "HEAD", 4))) {
		if (root)
			serve_file(req, h);
		else
			ktcp_http_resp_send(req, 200, "hello\n", 6);
	} else {
		ktcp_http_resp_header(req, "Allow", "GET, HEAD, POST, PUT");
		ktcp_http_resp_send(req, 405, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	struct ktcp_http_server_config cfg = { .handler = handler, .send_date = 1 };
	struct opts o = { 0 };
	unsigned int cache_valid_ms = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (common_opt(&o, argc, argv, &i))
			continue;
		if (i + 1 < argc && !strcmp(argv[i], "--root"))
			root = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--max-requests"))
			cfg.max_requests = (unsigned int)atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--idle-ms"))
			cfg.idle_timeout_ms = (unsigned int)atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--cache-valid-ms"))
			cache_valid_ms = (unsigned int)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--family F] [--host H] [--port N] "
				"[--root DIR] [--max-requests N] [--idle-ms N] "
				"[--cache-valid-ms N]\n", argv[0]);
			return 2;
		}
	}
	if (root && !(cache = ktcp_file_cache_new(0, 0))) {
		perror("ktcp_file_cache_new");
		return 1;
	}
	if (cache)
		ktcp_file_cache_set_valid_ms(cache, cache_valid_ms);
	i = serve(&o, &cfg);
	ktcp_file_cache_free(cache);
	return i;
}
