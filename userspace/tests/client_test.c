// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the blocking HTTP and WebSocket clients against our server.
 */
#include <ktcp/client.h>

#include "testsrv.h"

static int port_, last_fd = -1;

static int dial(void *arg)
{
	last_fd = ktcp_addr_connect((const char *)arg, "127.0.0.1",
				    (unsigned short)port_, SOCK_CLOEXEC);
	return last_fd;
}

static struct ktcp_http_client *client(void)
{
	struct ktcp_http_client_config cfg = {
		.connect = dial, .connect_arg = "inet", .host = "x",
	};
	struct ktcp_http_client *cl = ktcp_http_client_new(&cfg);

	ASSERT_TRUE(cl);
	return cl;
}

TEST(client_reuses_the_connection)
{
	struct ktcp_http_client *cl;
	struct ktcp_http_client_response r;
	int i;

	port_ = testsrv_start("inet", NULL);
	cl = client();
	for (i = 0; i < 5; i++) {
		ASSERT_EQ_INT(ktcp_http_client_request(cl, "POST", "/echo", NULL, 0,
						       "data", 4, &r), 0);
		ASSERT_EQ_INT(r.status, 200);
		ASSERT_EQ_INT(r.reused, i > 0);
		ASSERT_STR(r.body, "data");
	}
	ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/stream", NULL, 0,
					       NULL, 0, &r), 0);
	ASSERT_STR(r.body, "abbccc");
	ASSERT_EQ_INT(ktcp_http_client_request(cl, "HEAD", "/", NULL, 0,
					       NULL, 0, &r), 0);
	ASSERT_EQ_INT(r.body_len, 0);
	ASSERT_EQ_INT(ktcp_http_client_connections(cl), 1);
	ktcp_http_client_free(cl);
}

TEST(client_detects_server_close_and_reconnects)
{
	struct ktcp_http_server_config cfg = { .max_requests = 2 };
	struct ktcp_http_client *cl;
	struct ktcp_http_client_response r;
	int i;

	port_ = testsrv_start("inet", &cfg);
	cl = client();
	for (i = 0; i < 6; i++) {
		ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/", NULL, 0,
						       NULL, 0, &r), 0);
		ASSERT_STR(r.body, "hello");
		ASSERT_EQ_INT(r.keep_alive, i % 2 == 0);
	}
	ASSERT_EQ_INT(ktcp_http_client_connections(cl), 3);
	ktcp_http_client_free(cl);
}

TEST(client_notices_idle_close_before_reuse)
{
	struct ktcp_http_server_config cfg = { .idle_timeout_ms = 50 };
	struct ktcp_http_client *cl;
	struct ktcp_http_client_response r;

	port_ = testsrv_start("inet", &cfg);
	cl = client();
	ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/", NULL, 0, NULL, 0, &r), 0);
	ASSERT_TRUE(r.keep_alive);
	/* wait (without reading) until the server's FIN is in */
	{
		struct pollfd p = { .fd = last_fd, .events = POLLIN };

		ASSERT_EQ_INT(poll(&p, 1, 20000), 1);
	}
	ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/", NULL, 0, NULL, 0, &r), 0);
	ASSERT_STR(r.body, "hello");
	ASSERT_EQ_INT(ktcp_http_client_connections(cl), 2);
	ktcp_http_client_free(cl);
}

struct pieces {
	int left;
};

static long next_piece(void *buf, size_t cap, void *arg)
{
	struct pieces *p = arg;

	ASSERT_GE_INT(cap, 5);
	if (!p->left)
		return 0;
	p->left--;
	memcpy(buf, p->left % 2 ? "ping" : "pong", 4);
	return 4;
}

TEST(client_sends_a_chunked_body)
{
	struct ktcp_http_client *cl;
	struct ktcp_http_client_response r;
	struct pieces p = { 4 };

	port_ = testsrv_start("inet", NULL);
	cl = client();
	ASSERT_EQ_INT(ktcp_http_client_request_chunked(cl, "POST", "/echo", NULL, 0,
						       next_piece, &p, &r), 0);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_STR(r.body, "pingpongpingpong");
	p.left = 0;
	ASSERT_EQ_INT(ktcp_http_client_request_chunked(cl, "POST", "/echo", NULL, 0,
						       next_piece, &p, &r), 0);
	ASSERT_EQ_INT(r.body_len, 0);
	ASSERT_EQ_INT(r.reused, 1);
	ASSERT_EQ_INT(ktcp_http_client_request_chunked(cl, "POST", "/echo", NULL, 0,
						       NULL, &p, &r), -EINVAL);
	ktcp_http_client_free(cl);
}

struct got {
	int n, code;
	unsigned int op;
	size_t len;
	int ok;
	const unsigned char *expect;
};

static void got_msg(struct ktcp_ws *ws, unsigned int op, const void *d,
		    size_t len, void *arg)
{
	struct got *g = arg;

	(void)ws;
	g->n++;
	g->op = op;
	g->len = len;
	g->ok = !g->expect || !len || !memcmp(d, g->expect, len);
}

static void got_close(struct ktcp_ws *ws, int code, const char *r, size_t rl,
		      int by_peer, void *arg)
{
	struct got *g = arg;

	(void)ws;
	(void)r;
	(void)rl;
	(void)by_peer;
	g->code = code;
}

static void ws_echo(const char *family, int deflate)
{
	static const size_t sizes[] = { 0, 125, 126, 65535, 65536, 1 << 20 };
	struct ktcp_ws_client_config cfg = {
		.host = "x", .path = "/ws", .protocols = "echo",
		.deflate = deflate, .max_message = 20u << 20,
	};
	struct ktcp_ws_callbacks cb = { .on_message = got_msg, .on_close = got_close };
	struct got g = { 0 };
	struct ktcp_ws_client *wc;
	unsigned char *data = malloc(1 << 20);
	int port = testsrv_start(family, NULL), err;
	size_t i;

	for (i = 0; i < (1 << 20); i++)
		data[i] = (unsigned char)(i * 7 + (i >> 11));
	wc = ktcp_ws_client_connect(testsrv_connect(family, port), &cfg, &cb,
				    &g, &err);
	ASSERT_EQ_INT(err, 0);
	ASSERT_STR(ktcp_ws_client_protocol(wc), "echo");
	g.expect = data;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int before = g.n;

		ASSERT_EQ_INT(ktcp_ws_send(ktcp_ws_client_ws(wc), KTCP_WS_BINARY,
					   data, sizes[i]), 0);
		while (g.n == before)
			ASSERT_GE_INT(ktcp_ws_client_poll(wc, -1), 0);
		ASSERT_EQ_INT(g.len, sizes[i]);
		ASSERT_EQ_INT(g.op, KTCP_WS_BINARY);
		ASSERT_TRUE(g.ok);
	}
	ASSERT_EQ_INT(ktcp_ws_close(ktcp_ws_client_ws(wc), 4001, "done", 4), 0);
	while (ktcp_ws_client_poll(wc, -1) >= 0)
		;
	ASSERT_EQ_INT(g.code, 4001);
	ASSERT_EQ_INT(ktcp_ws_state(ktcp_ws_client_ws(wc)), KTCP_WS_CLOSED);
	ktcp_ws_client_free(wc);
	free(data);
}

TEST(client_ws_echo_sizes_inet)
{
	ws_echo("inet", 0);
}

TEST(client_ws_echo_sizes_unix_deflate)
{
	ws_echo("unix", 1);
}

struct flood {
	int binary, text, bad;
	char summary[64];
};

static void flood_msg(struct ktcp_ws *ws, unsigned int op, const void *d,
		      size_t len, void *arg)
{
	struct flood *f = arg;
	const unsigned char *p = d;
	size_t i;

	(void)ws;
	if (op == KTCP_WS_TEXT) {
		f->text++;
		snprintf(f->summary, sizeof(f->summary), "%.*s", (int)len, (const char *)d);
		return;
	}
	/* message k is 64 KiB of byte k of the messages that were taken */
	for (i = 0; i < len; i++)
		if (p[i] != p[0])
			f->bad++;
	if (len != 65536)
		f->bad++;
	f->binary++;
}

/* Past out_max, sends are refused whole: the stream stays valid. */
TEST(client_ws_server_refuses_whole_frames_past_out_max)
{
	struct ktcp_http_server_config scfg = { .out_max = 262144,
						.out_high_water = 65536 };
	struct ktcp_ws_client_config cfg = { .host = "x", .path = "/ws" };
	struct ktcp_ws_callbacks cb = { .on_message = flood_msg };
	struct flood f = { 0 };
	struct ktcp_ws_client *wc;
	int port = testsrv_start("inet", &scfg), err, sent, refused;

	struct ktcp_http_client_response r;
	struct ktcp_http_client *cl;
	int i;

	wc = ktcp_ws_client_connect(testsrv_connect("inet", port), &cfg, &cb, &f, &err);
	ASSERT_EQ_INT(err, 0);
	ASSERT_EQ_INT(ktcp_ws_send(ktcp_ws_client_ws(wc), KTCP_WS_TEXT, "flood", 5), 0);
	/*
	 * Read nothing of the WebSocket until the flood is over (asked on
	 * another connection): a client reading as fast as a slow server
	 * (ASan, a loaded host) writes could otherwise take it all.
	 */
	port_ = port;
	cl = client();
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/flooded", NULL, 0,
						       NULL, 0, &r), 0);
		ASSERT_EQ_INT(sscanf(r.body, "%d %d", &sent, &refused), 2);
		if (sent + refused == 400)
			break;
		usleep(10000);
	}
	ktcp_http_client_free(cl);
	ASSERT_EQ_INT(ktcp_ws_send(ktcp_ws_client_ws(wc), KTCP_WS_TEXT, "count", 5), 0);
	while (!f.text)
		ASSERT_GE_INT(ktcp_ws_client_poll(wc, -1), 1);
	ASSERT_EQ_INT(sscanf(f.summary, "%d %d", &sent, &refused), 2);
	ASSERT_EQ_INT(sent + refused, 400);
	/* 25 MiB cannot fit in out_max plus the two sockets' buffers */
	ASSERT_TRUE(refused > 0);
	ASSERT_EQ_INT(f.binary, sent);
	ASSERT_EQ_INT(f.bad, 0);
	ktcp_ws_client_free(wc);
}
