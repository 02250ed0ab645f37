// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the WebSocket layers: frame headers, UTF-8, SHA-1 and the
 * handshake, and conformance cases in the spirit of the Autobahn
 * test suite's sections 1-7, each asserting the exact close code.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ktcp/ws.h>

#include "harness.h"

/* ---- a peer that records what our endpoint sends and delivers ---- */

struct peer {
	uint8_t *out;		/* bytes our endpoint sent */
	size_t out_len;
	int nmsg;
	unsigned int last_op;
	uint8_t *last;		/* copy of the last message */
	size_t last_len;
	int closed, close_code, by_peer;
	int pongs, pings;
};

static int cb_send(struct ktcp_ws *ws, const void *hdr, size_t hdr_len,
		   const void *payload, size_t len, void *arg)
{
	struct peer *p = arg;

	(void)ws;
	p->out = realloc(p->out, p->out_len + hdr_len + len + 1);
	memcpy(p->out + p->out_len, hdr, hdr_len);
	if (len)
		memcpy(p->out + p->out_len + hdr_len, payload, len);
	p->out_len += hdr_len + len;
	return 0;
}

static void cb_msg(struct ktcp_ws *ws, unsigned int op, const void *d,
		   size_t len, void *arg)
{
	struct peer *p = arg;

	(void)ws;
	p->nmsg++;
	p->last_op = op;
	free(p->last);
	p->last = malloc(len + 1);
	if (len)
		memcpy(p->last, d, len);
	p->last_len = len;
}

static void cb_ctl(struct ktcp_ws *ws, unsigned int op, const void *d,
		   size_t len, void *arg)
{
	struct peer *p = arg;

	(void)ws;
	(void)d;
	(void)len;
	if (op == KTCP_WS_PING)
		p->pings++;
	else
		p->pongs++;
}

static void cb_close(struct ktcp_ws *ws, int code, const char *r, size_t rl,
		     int by_peer, void *arg)
{
	struct peer *p = arg;

	(void)ws;
	(void)r;
	(void)rl;
	p->closed++;
	p->close_code = code;
	p->by_peer = by_peer;
}

static const struct ktcp_ws_callbacks cbs = {
	.send = cb_send, .on_message = cb_msg, .on_control = cb_ctl,
	.on_close = cb_close,
};

static struct ktcp_ws *server(struct peer *p, uint64_t max)
{
	struct ktcp_ws_config cfg = { .client = 0, .max_message = max };
	struct ktcp_ws *ws;

	memset(p, 0, sizeof(*p));
	ws = ktcp_ws_new(&cfg, &cbs, p);
	ASSERT_TRUE(ws);
	return ws;
}

/* A frame as a client sends it (masked unless @unmasked). */
static size_t frame(uint8_t *out, int fin, unsigned int rsv, unsigned int op,
		    const void *data, size_t len, int unmasked)
{
	struct ktcp_ws_frame f = {
		.fin = (unsigned int)fin, .rsv = rsv, .opcode = op,
		.masked = !unmasked, .mask = { 0x37, 0xfa, 0x21, 0x3d },
		.length = len,
	};
	size_t hl = ktcp_ws_frame_build(out, &f);

	if (len)
		memcpy(out + hl, data, len);
	if (!unmasked)
		ktcp_ws_mask(out + hl, len, f.mask, 0);
	return hl + len;
}

/* Close code in the close frame our endpoint sent last (-1: none). */
static int sent_close_code(const struct peer *p)
{
	size_t pos = 0;
	int code = -1;

	while (pos < p->out_len) {
		struct ktcp_ws_frame f;
		int hl = ktcp_ws_frame_parse(p->out + pos, p->out_len - pos, &f);

		ASSERT_GE_INT(hl, 2);
		if (f.opcode == KTCP_WS_CLOSE)
			code = f.length >= 2 ? p->out[pos + hl] << 8 |
					       p->out[pos + hl + 1] : 0;
		pos += (size_t)hl + f.length;
	}
	ASSERT_EQ_INT(pos, p->out_len);
	return code;
}

/* Feed @buf to a fresh server endpoint, one byte at a time if @bytewise. */
static int run(const uint8_t *buf, size_t len, struct peer *p, int bytewise)
{
	struct ktcp_ws *ws = server(p, 0);
	int ret = 0;
	size_t i;

	if (bytewise) {
		for (i = 0; i < len && !ret; i++)
			ret = ktcp_ws_recv(ws, buf + i, 1);
	} else {
		ret = ktcp_ws_recv(ws, buf, len);
	}
	ktcp_ws_free(ws);
	return ret;
}

/* Expect the server to fail with @code, fed whole and byte by byte. */
static void expect_fail(const uint8_t *buf, size_t len, int code)
{
	struct peer p;
	int bw;

	for (bw = 0; bw < 2; bw++) {
		ASSERT_EQ_INT(run(buf, len, &p, bw), -EPROTO);
		ASSERT_EQ_INT(sent_close_code(&p), code);
		ASSERT_EQ_INT(p.closed, 1);
		ASSERT_EQ_INT(p.close_code, code);
		ASSERT_EQ_INT(p.by_peer, 0);
		free(p.out);
		free(p.last);
	}
}

static const void *buf_126(void)
{
	static uint8_t b[126];

	return b;
}

/* ---- frame layer ---- */

TEST(ws_frame_lengths_round_trip)
{
	static const uint64_t lens[] = { 0, 125, 126, 65535, 65536, 1ull << 40 };
	uint8_t b[KTCP_WS_MAX_HEADER];
	size_t i;

	for (i = 0; i < 6; i++) {
		struct ktcp_ws_frame f = { .fin = 1, .opcode = 2, .masked = 1,
			.mask = { 1, 2, 3, 4 }, .length = lens[i] }, g;
		size_t n = ktcp_ws_frame_build(b, &f);

		ASSERT_EQ_INT(n, (lens[i] < 126 ? 2 : lens[i] < 65536 ? 4 : 10) + 4);
		ASSERT_EQ_INT(ktcp_ws_frame_parse(b, n, &g), n);
		ASSERT_EQ_INT(g.length, lens[i]);
		ASSERT_EQ_INT(g.fin, 1);
		ASSERT_EQ_INT(g.opcode, 2);
		ASSERT_TRUE(!memcmp(g.mask, f.mask, 4));
		ASSERT_EQ_INT(ktcp_ws_frame_parse(b, n - 1, &g), -EAGAIN);
	}
}

TEST(ws_frame_rejects_non_minimal_and_huge_lengths)
{
	static const uint8_t a[] = { 0x82, 126, 0, 125 };
	static const uint8_t b[] = { 0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t c[] = { 0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	struct ktcp_ws_frame f;

	ASSERT_EQ_INT(ktcp_ws_frame_parse(a, sizeof(a), &f), -EBADMSG);
	ASSERT_EQ_INT(ktcp_ws_frame_parse(b, sizeof(b), &f), -EBADMSG);
	ASSERT_EQ_INT(ktcp_ws_frame_parse(c, sizeof(c), &f), -EBADMSG);
}

TEST(ws_mask_at_any_offset)
{
	uint8_t a[100], b[100];
	const uint8_t m[4] = { 0xde, 0xad, 0xbe, 0xef };
	size_t i, split;

	for (i = 0; i < 100; i++)
		a[i] = (uint8_t)i;
	for (split = 0; split < 100; split += 7) {
		memcpy(b, a, 100);
		ktcp_ws_mask(b, split, m, 0);
		ktcp_ws_mask(b + split, 100 - split, m, split);
		for (i = 0; i < 100; i++)
			ASSERT_EQ_INT(b[i], a[i] ^ m[i & 3]);
	}
}

/* ---- UTF-8 ---- */

static int utf8_ok(const char *s, size_t n)
{
	struct ktcp_utf8 u = { 0 };

	return !ktcp_utf8_feed(&u, s, n) && ktcp_utf8_complete(&u);
}

TEST(ws_utf8_validation)
{
	ASSERT_TRUE(utf8_ok("hello", 5));
	ASSERT_TRUE(utf8_ok("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11));
	ASSERT_TRUE(utf8_ok("\xf4\x8f\xbf\xbf", 4));	/* U+10FFFF */
	ASSERT_TRUE(utf8_ok("\xef\xbf\xbf", 3));	/* U+FFFF */
	ASSERT_TRUE(!utf8_ok("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	ASSERT_TRUE(!utf8_ok("\xed\xa0\x80", 3));	/* surrogate */
	ASSERT_TRUE(!utf8_ok("\xc0\xaf", 2));		/* overlong */
	ASSERT_TRUE(!utf8_ok("\xe0\x80\xaf", 3));	/* overlong */
	ASSERT_TRUE(!utf8_ok("\xf0\x80\x80\xaf", 4));	/* overlong */
	ASSERT_TRUE(!utf8_ok("\xff", 1));
	ASSERT_TRUE(!utf8_ok("\xce", 1));		/* truncated */
	ASSERT_TRUE(!utf8_ok("\x80", 1));		/* lone continuation */
}

TEST(ws_utf8_fails_at_the_first_bad_byte)
{
	struct ktcp_utf8 u = { 0 };

	ASSERT_EQ_INT(ktcp_utf8_feed(&u, "\xce", 1), 0);
	ASSERT_EQ_INT(ktcp_utf8_complete(&u), 0);
	ASSERT_EQ_INT(ktcp_utf8_feed(&u, "\xba", 1), 0);
	ASSERT_EQ_INT(ktcp_utf8_complete(&u), 1);
	ASSERT_EQ_INT(ktcp_utf8_feed(&u, "\xf4\x90", 2), -EILSEQ);
}

/* ---- SHA-1 and handshake ---- */

TEST(ws_sha1_known_answers)
{
	uint8_t d[20];
	char big[1000];

	ktcp_sha1("abc", 3, d);
	ASSERT_TRUE(!memcmp(d, "\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e"
			       "\x25\x71\x78\x50\xc2\x6c\x9c\xd0\xd8\x9d", 20));
	ktcp_sha1("", 0, d);
	ASSERT_TRUE(!memcmp(d, "\xda\x39\xa3\xee\x5e\x6b\x4b\x0d\x32\x55"
			       "\xbf\xef\x95\x60\x18\x90\xaf\xd8\x07\x09", 20));
	memset(big, 'a', sizeof(big));
	ktcp_sha1(big, sizeof(big), d);	/* sha1sum of 1000 'a's */
	ASSERT_TRUE(!memcmp(d, "\x29\x1e\x9a\x6c\x66\x99\x49\x49\xb5\x7b"
			       "\xa5\xe6\x50\x36\x1e\x98\xfc\x36\xb1\xba", 20));
}

TEST(ws_accept_key_rfc_example)
{
	char out[29];

	ktcp_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
	ASSERT_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static struct ktcp_http_header hh[32];

static int check_req(const char *s, const struct ktcp_ws_server_policy *pol,
		     struct ktcp_ws_upgrade *up)
{
	struct ktcp_http_request req = { .headers = hh, .num_headers = 32 };

	ASSERT_GE_INT(ktcp_http_parse_request(s, strlen(s), &req, NULL), 1);
	return ktcp_ws_server_check(&req, pol, up);
}

#define UPG "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" \
	    "Connection: keep-alive, Upgrade\r\n"			\
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
TEST(ws_server_handshake_checks)
{
	struct ktcp_ws_upgrade up;
	char out[512];

	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n\r\n", NULL, &up), 0);
	ASSERT_EQ_INT(ktcp_ws_server_response(out, sizeof(out), &up), strlen(out));
	ASSERT_STR(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		   "Connection: Upgrade\r\n"
		   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 8\r\n\r\n", NULL, &up), 426);
	ASSERT_EQ_INT(check_req(UPG "\r\n", NULL, &up), 400);
	ASSERT_EQ_INT(check_req("POST /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
				NULL, &up), 400);
	ASSERT_EQ_INT(check_req("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
				"Sec-WebSocket-Key: short==\r\n\r\n", NULL, &up), 400);
}

static int origin_cb(const char *o, size_t n, void *arg)
{
	(void)arg;
	return n == 17 && !memcmp(o, "https://trust.me", 16);
}

TEST(ws_origin_policy_rejects_by_default)
{
	static const char *const origins[] = { "https://a.example" };
	struct ktcp_ws_server_policy pol = { .origins = origins, .num_origins = 1 };
	struct ktcp_ws_upgrade up;

	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n"
				"Origin: https://A.example\r\n\r\n", &pol, &up), 0);
	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n"
				"Origin: https://evil.example\r\n\r\n", &pol, &up), 403);
	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n\r\n", &pol, &up), 403);
	pol.origin_ok = origin_cb;
	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n"
				"Origin: https://trust.me/\r\n\r\n", &pol, &up), 0);
	/* no policy: anything goes */
	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n"
				"Origin: https://evil.example\r\n\r\n", NULL, &up), 0);
}

TEST(ws_subprotocol_choice_follows_server_preference)
{
	static const char *const protos[] = { "v2.chat", "chat" };
	struct ktcp_ws_server_policy pol = { .protocols = protos, .num_protocols = 2 };
	struct ktcp_ws_upgrade up;
	char out[512];

	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n"
				"Sec-WebSocket-Protocol: chat, v2.chat\r\n\r\n", &pol, &up), 0);
	ASSERT_STR(up.protocol, "v2.chat");
	ASSERT_GE_INT(ktcp_ws_server_response(out, sizeof(out), &up), 1);
	ASSERT_TRUE(strstr(out, "\r\nSec-WebSocket-Protocol: v2.chat\r\n"));
	ASSERT_EQ_INT(check_req(UPG "Sec-WebSocket-Version: 13\r\n"
				"Sec-WebSocket-Protocol: other\r\n\r\n", &pol, &up), 0);
	ASSERT_TRUE(up.protocol == NULL);
}

TEST(ws_client_handshake_round_trip)
{
	static const char *const protos[] = { "chat" };
	struct ktcp_ws_server_policy pol = { .protocols = protos, .num_protocols = 1 };
	struct ktcp_http_response resp = { .headers = hh + 16, .num_headers = 16 };
	struct ktcp_ws_upgrade up;
	char req[512], ans[512], key[25], bad[600];
	int proto, defl = 0;

	ASSERT_GE_INT(ktcp_ws_client_request(req, sizeof(req), "h:1", "/p",
					     "x, chat", NULL, 0, key), 1);
	ASSERT_EQ_INT(check_req(req, &pol, &up), 0);
	ASSERT_GE_INT(ktcp_ws_server_response(ans, sizeof(ans), &up), 1);
	ASSERT_EQ_INT(ktcp_http_parse_response(ans, strlen(ans), &resp, NULL), strlen(ans));
	ASSERT_EQ_INT(ktcp_ws_client_check(&resp, key, "x, chat", &proto, &defl), 0);
	ASSERT_GE_INT(proto, 0);
	/* a subprotocol that was not offered */
	resp.num_headers = 16;
	ktcp_http_parse_response(ans, strlen(ans), &resp, NULL);
	ASSERT_EQ_INT(ktcp_ws_client_check(&resp, key, "x", &proto, &defl), -EPROTO);
	/* a wrong accept key */
	key[0] = key[0] == 'A' ? 'B' : 'A';
	ASSERT_EQ_INT(ktcp_ws_client_check(&resp, key, "x, chat", &proto, &defl), -EPROTO);
	snprintf(bad, sizeof(bad), "HTTP/1.1 403 Forbidden\r\n\r\n");
	resp.num_headers = 16;
	ktcp_http_parse_response(bad, strlen(bad), &resp, NULL);
	ASSERT_EQ_INT(ktcp_ws_client_check(&resp, key, NULL, &proto, &defl), -ECONNREFUSED);
}

/* ---- Autobahn-style conformance, section by section ---- */

/* 1: framing: text and binary of several sizes, whole and bytewise. */
TEST(ws_ab1_echo_sizes)
{
	static const size_t sizes[] = { 0, 125, 126, 127, 65535, 65536 };
	size_t i, bw;

	for (i = 0; i < 6; i++) {
		for (bw = 0; bw < 2; bw++) {
			size_t n = sizes[i];
			uint8_t *data = malloc(n + 1), *buf = malloc(n + 20);
			struct peer p;
			size_t j, fl;

			for (j = 0; j < n; j++)
				data[j] = (uint8_t)('a' + j % 26);
			fl = frame(buf, 1, 0, bw ? KTCP_WS_BINARY : KTCP_WS_TEXT,
				   data, n, 0);
			ASSERT_EQ_INT(run(buf, fl, &p, bw && n < 200), 0);
			ASSERT_EQ_INT(p.nmsg, 1);
			ASSERT_EQ_INT(p.last_len, n);
			ASSERT_TRUE(!memcmp(p.last, data, n));
			ASSERT_EQ_INT(p.last_op, bw ? KTCP_WS_BINARY : KTCP_WS_TEXT);
			ASSERT_EQ_INT(p.out_len, 0);
			free(p.out);
			free(p.last);
			free(data);
			free(buf);
		}
	}
}

/* 2: pings and pongs. */
TEST(ws_ab2_ping_is_answered_with_same_payload)
{
	uint8_t buf[200], pong[200];
	struct peer p;
	size_t n = frame(buf, 1, 0, KTCP_WS_PING, "Hello, world!", 13, 0);
	size_t pn;

	ASSERT_EQ_INT(run(buf, n, &p, 1), 0);
	pn = frame(pong, 1, 0, KTCP_WS_PONG, "Hello, world!", 13, 1);
	ASSERT_EQ_INT(p.out_len, pn);
	ASSERT_TRUE(!memcmp(p.out, pong, pn));
	ASSERT_EQ_INT(p.pings, 1);
	free(p.out);
}

TEST(ws_ab2_ping_125_ok_126_fails_1002)
{
	uint8_t buf[300], data[126];
	struct peer p;

	memset(data, 0xfe, sizeof(data));
	ASSERT_EQ_INT(run(buf, frame(buf, 1, 0, KTCP_WS_PING, data, 125, 0), &p, 0), 0);
	ASSERT_EQ_INT(p.out_len, 2 + 125);
	free(p.out);
	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_PING, data, 126, 0), 1002);
}

TEST(ws_ab2_unsolicited_pong_is_ignored)
{
	uint8_t buf[300];
	struct peer p;

	ASSERT_EQ_INT(run(buf, frame(buf, 1, 0, KTCP_WS_PONG, "x", 1, 0), &p, 0), 0);
	ASSERT_EQ_INT(p.out_len, 0);
	ASSERT_EQ_INT(p.pongs, 1);
}

/* 3: reserved bits. */
TEST(ws_ab3_reserved_bits_fail_1002)
{
	uint8_t buf[300];
	unsigned int rsv;

	for (rsv = 1; rsv < 8; rsv++) {
		expect_fail(buf, frame(buf, 1, rsv, KTCP_WS_TEXT, "a", 1, 0), 1002);
		expect_fail(buf, frame(buf, 1, rsv, KTCP_WS_PING, "", 0, 0), 1002);
	}
}

TEST(ws_ab3_reserved_bits_after_valid_message)
{
	uint8_t buf[300];
	size_t n = frame(buf, 1, 0, KTCP_WS_TEXT, "hi", 2, 0);
	struct peer p;
	struct ktcp_ws *ws;

	n += frame(buf + n, 1, 2, KTCP_WS_TEXT, "x", 1, 0);
	ws = server(&p, 0);
	ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, n), -EPROTO);
	ASSERT_EQ_INT(p.nmsg, 1);
	ASSERT_EQ_INT(sent_close_code(&p), 1002);
	ktcp_ws_free(ws);
	free(p.out);
	free(p.last);
}

/* 4: opcodes. */
TEST(ws_ab4_reserved_opcodes_fail_1002)
{
	static const unsigned int ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };
	uint8_t buf[300];
	size_t i;

	for (i = 0; i < 10; i++)
		expect_fail(buf, frame(buf, 1, 0, ops[i], "", 0, 0), 1002);
}

/* 5: fragmentation. */
TEST(ws_ab5_fragmented_text_with_interleaved_ping)
{
	uint8_t buf[300];
	size_t n = 0;
	struct peer p;
	int bw;

	n += frame(buf + n, 0, 0, KTCP_WS_TEXT, "frag", 4, 0);
	n += frame(buf + n, 1, 0, KTCP_WS_PING, "p", 1, 0);
	n += frame(buf + n, 0, 0, KTCP_WS_CONT, "men", 3, 0);
	n += frame(buf + n, 1, 0, KTCP_WS_CONT, "ted", 3, 0);
	for (bw = 0; bw < 2; bw++) {
		ASSERT_EQ_INT(run(buf, n, &p, bw), 0);
		ASSERT_EQ_INT(p.nmsg, 1);
		ASSERT_EQ_INT(p.last_op, KTCP_WS_TEXT);
		ASSERT_EQ_INT(p.last_len, 10);
		ASSERT_TRUE(!memcmp(p.last, "fragmented", 10));
		ASSERT_EQ_INT(p.pings, 1);
		free(p.out);
		free(p.last);
	}
}

TEST(ws_ab5_fragmented_control_fails_1002)
{
	uint8_t buf[300];

	expect_fail(buf, frame(buf, 0, 0, KTCP_WS_PING, "a", 1, 0), 1002);
	expect_fail(buf, frame(buf, 0, 0, KTCP_WS_PONG, "a", 1, 0), 1002);
	expect_fail(buf, frame(buf, 0, 0, KTCP_WS_CLOSE, "", 0, 0), 1002);
}

TEST(ws_ab5_continuation_without_start_fails_1002)
{
	uint8_t buf[300];

	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_CONT, "a", 1, 0), 1002);
	expect_fail(buf, frame(buf, 0, 0, KTCP_WS_CONT, "a", 1, 0), 1002);
}

TEST(ws_ab5_new_message_inside_fragmented_fails_1002)
{
	uint8_t buf[300];
	size_t n = frame(buf, 0, 0, KTCP_WS_TEXT, "a", 1, 0);

	n += frame(buf + n, 1, 0, KTCP_WS_TEXT, "b", 1, 0);
	expect_fail(buf, n, 1002);
}

/* 6: UTF-8 handling. */
TEST(ws_ab6_valid_utf8_split_across_fragments)
{
	/* "κόσμε" split inside a multi-byte sequence */
	const char *s = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
	uint8_t buf[300];
	size_t n = frame(buf, 0, 0, KTCP_WS_TEXT, s, 4, 0);
	struct peer p;

	n += frame(buf + n, 1, 0, KTCP_WS_CONT, s + 4, 7, 0);
	ASSERT_EQ_INT(run(buf, n, &p, 1), 0);
	ASSERT_EQ_INT(p.nmsg, 1);
	ASSERT_EQ_INT(p.last_len, 11);
	free(p.last);
}

TEST(ws_ab6_invalid_utf8_fails_1007)
{
	uint8_t buf[300];

	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_TEXT, "\xed\xa0\x80", 3, 0), 1007);
	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_TEXT, "ab\xce", 3, 0), 1007);
	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_TEXT, "\xf4\x90\x80\x80", 4, 0), 1007);
}

TEST(ws_ab6_invalid_utf8_fails_fast_before_fin)
{
	uint8_t buf[300];
	struct peer p;
	struct ktcp_ws *ws = server(&p, 0);
	size_t n = frame(buf, 0, 0, KTCP_WS_TEXT, "ok\xc0", 3, 0);

	/* the message never ends, yet the bad byte fails it at once */
	ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, n), -EPROTO);
	ASSERT_EQ_INT(sent_close_code(&p), 1007);
	ktcp_ws_free(ws);
	free(p.out);
}

TEST(ws_ab6_binary_is_not_utf8_checked)
{
	uint8_t buf[300];
	struct peer p;

	ASSERT_EQ_INT(run(buf, frame(buf, 1, 0, KTCP_WS_BINARY, "\xff\xfe", 2, 0), &p, 0), 0);
	ASSERT_EQ_INT(p.nmsg, 1);
	free(p.last);
}

/* 7: close handling. */
static void expect_clean_close(const uint8_t *payload, size_t len, int echoed,
			       int reported)
{
	uint8_t buf[300];
	struct peer p;

	ASSERT_EQ_INT(run(buf, frame(buf, 1, 0, KTCP_WS_CLOSE, payload, len, 0), &p, 0), 0);
	ASSERT_EQ_INT(sent_close_code(&p), echoed);
	ASSERT_EQ_INT(p.closed, 1);
	ASSERT_EQ_INT(p.by_peer, 1);
	ASSERT_EQ_INT(p.close_code, reported);
	free(p.out);
}

TEST(ws_ab7_close_codes_echoed)
{
	static const int ok[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
				  1010, 1011, 3000, 3999, 4000, 4999 };
	size_t i;

	expect_clean_close(NULL, 0, 0, 1005);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint8_t b[2] = { (uint8_t)(ok[i] >> 8), (uint8_t)ok[i] };

		expect_clean_close(b, 2, ok[i], ok[i]);
	}
	expect_clean_close((const uint8_t *)"\x03\xe8hello", 7, 1000, 1000);
}

TEST(ws_ab7_invalid_close_codes_fail_1002)
{
	static const int bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 1100,
				   2000, 2999, 5000, 65535 };
	uint8_t buf[300];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[2] = { (uint8_t)(bad[i] >> 8), (uint8_t)bad[i] };

		expect_fail(buf, frame(buf, 1, 0, KTCP_WS_CLOSE, b, 2, 0), 1002);
	}
}

TEST(ws_ab7_close_payload_of_one_byte_fails_1002)
{
	uint8_t buf[300];

	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_CLOSE, "\x03", 1, 0), 1002);
}

TEST(ws_ab7_close_reason_invalid_utf8_fails_1007)
{
	uint8_t buf[300];

	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_CLOSE, "\x03\xe8\xce", 3, 0), 1007);
}

TEST(ws_ab7_nothing_after_close)
{
	uint8_t buf[300];
	size_t n = frame(buf, 1, 0, KTCP_WS_CLOSE, "\x03\xe8", 2, 0);
	struct peer p;

	n += frame(buf + n, 1, 0, KTCP_WS_PING, "x", 1, 0);
	n += frame(buf + n, 1, 0, KTCP_WS_TEXT, "x", 1, 0);
	ASSERT_EQ_INT(run(buf, n, &p, 0), 0);
	ASSERT_EQ_INT(p.nmsg, 0);
	/* only the echoed close went out, no pong */
	ASSERT_EQ_INT(p.out_len, 4);
	free(p.out);
}

TEST(ws_we_initiate_close)
{
	uint8_t buf[300];
	struct peer p;
	struct ktcp_ws *ws = server(&p, 0);

	ASSERT_EQ_INT(ktcp_ws_close(ws, 4000, "bye", 3), 0);
	ASSERT_EQ_INT(ktcp_ws_state(ws), KTCP_WS_CLOSING);
	ASSERT_EQ_INT(ktcp_ws_send(ws, KTCP_WS_TEXT, "x", 1), -EPIPE);
	ASSERT_EQ_INT(ktcp_ws_close(ws, 1000, NULL, 0), -EPIPE);
	ASSERT_EQ_INT(sent_close_code(&p), 4000);
	ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, frame(buf, 1, 0, KTCP_WS_CLOSE, "\x0f\xa0", 2, 0)), 0);
	ASSERT_EQ_INT(ktcp_ws_state(ws), KTCP_WS_CLOSED);
	ASSERT_EQ_INT(p.out_len, 2 + 5);	/* no second close frame */
	ASSERT_EQ_INT(p.close_code, 4000);
	ASSERT_EQ_INT(ktcp_ws_close(ws, 1005, NULL, 0), -EINVAL);
	ktcp_ws_free(ws);
	free(p.out);
}

/* masking rules */
TEST(ws_server_rejects_unmasked_frames_1002)
{
	uint8_t buf[300];

	expect_fail(buf, frame(buf, 1, 0, KTCP_WS_TEXT, "a", 1, 1), 1002);
}

TEST(ws_client_masks_and_rejects_masked_frames)
{
	struct ktcp_ws_config cfg = { .client = 1 };
	struct peer p = { 0 };
	struct ktcp_ws *ws = ktcp_ws_new(&cfg, &cbs, &p);
	struct ktcp_ws_frame f;
	uint8_t buf[300];
	int hl;

	ASSERT_EQ_INT(ktcp_ws_send(ws, KTCP_WS_TEXT, "hello", 5), 0);
	hl = ktcp_ws_frame_parse(p.out, p.out_len, &f);
	ASSERT_EQ_INT(hl, 6);
	ASSERT_EQ_INT(f.masked, 1);
	ktcp_ws_mask(p.out + hl, 5, f.mask, 0);
	ASSERT_TRUE(!memcmp(p.out + hl, "hello", 5));
	ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, frame(buf, 1, 0, KTCP_WS_TEXT, "x", 1, 1)), 0);
	ASSERT_EQ_INT(p.nmsg, 1);
	ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, frame(buf, 1, 0, KTCP_WS_TEXT, "x", 1, 0)), -EPROTO);
	ktcp_ws_free(ws);
	free(p.out);
	free(p.last);
}

/* message size limit */
TEST(ws_message_over_limit_fails_1009)
{
	uint8_t buf[300];
	struct peer p;
	struct ktcp_ws *ws = server(&p, 10);
	size_t n = frame(buf, 0, 0, KTCP_WS_BINARY, "123456", 6, 0);

	n += frame(buf + n, 1, 0, KTCP_WS_CONT, "12345", 5, 0);
	ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, n), -EPROTO);
	ASSERT_EQ_INT(sent_close_code(&p), 1009);
	ASSERT_EQ_INT(p.nmsg, 0);
	ktcp_ws_free(ws);
	free(p.out);
}

TEST(ws_send_fragment_rules)
{
	struct peer p;
	struct ktcp_ws *ws = server(&p, 0);

	ASSERT_EQ_INT(ktcp_ws_send_fragment(ws, KTCP_WS_CONT, 1, "a", 1), -EINVAL);
	ASSERT_EQ_INT(ktcp_ws_send_fragment(ws, KTCP_WS_TEXT, 0, "a", 1), 0);
	ASSERT_EQ_INT(ktcp_ws_send(ws, KTCP_WS_TEXT, "a", 1), -EINVAL);
	ASSERT_EQ_INT(ktcp_ws_ping(ws, KTCP_WS_PING, "p", 1), 0);
	ASSERT_EQ_INT(ktcp_ws_send_fragment(ws, KTCP_WS_CONT, 1, "b", 1), 0);
	ASSERT_EQ_INT(ktcp_ws_ping(ws, KTCP_WS_PING, buf_126(), 126), -EINVAL);
	ASSERT_EQ_INT(p.out_len, 3 + 3 + 3);
	ktcp_ws_free(ws);
	free(p.out);
}

TEST(ws_deflate_round_trip)
{
	struct ktcp_ws_config sc = { .client = 0, .deflate = 1 };
	struct ktcp_ws_config cc = { .client = 1, .deflate = 1 };
	struct peer ps = { 0 }, pc = { 0 };
	struct ktcp_ws *s = ktcp_ws_new(&sc, &cbs, &ps);
	struct ktcp_ws *c = ktcp_ws_new(&cc, &cbs, &pc);
	char text[5000];
	int i;

	ASSERT_TRUE(s && c);
	for (i = 0; i < 5000; i++)
		text[i] = (char)('a' + i % 7);
	for (i = 0; i < 3; i++) {
		size_t len = i == 0 ? 0 : i == 1 ? 5 : sizeof(text);

		pc.out_len = 0;
		ASSERT_EQ_INT(ktcp_ws_send(c, KTCP_WS_TEXT, text, len), 0);
		ASSERT_TRUE(len < 100 || pc.out_len < len / 4);
		ASSERT_EQ_INT(ktcp_ws_recv(s, pc.out, pc.out_len), 0);
		ASSERT_EQ_INT(ps.nmsg, i + 1);
		ASSERT_EQ_INT(ps.last_len, len);
		ASSERT_TRUE(!memcmp(ps.last, text, len));
		ps.out_len = 0;
		ASSERT_EQ_INT(ktcp_ws_send(s, KTCP_WS_BINARY, text, len), 0);
		ASSERT_EQ_INT(ktcp_ws_recv(c, ps.out, ps.out_len), 0);
		ASSERT_EQ_INT(pc.last_len, len);
		ASSERT_TRUE(!memcmp(pc.last, text, len));
	}
	ktcp_ws_free(s);
	ktcp_ws_free(c);
	free(ps.out);
	free(pc.out);
	free(ps.last);
	free(pc.last);
}

/*
 * A second UTF-8 validator written differently (decode, then check the
 * code point's range), to compare the real one against exhaustively.
 */
static int ref_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len, k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

TEST(ws_utf8_matches_reference_on_all_short_sequences)
{
	uint8_t b[4];
	uint32_t v;

	for (v = 0; v < (1u << 24); v++) {
		size_t n = v < (1u << 8) ? 1 : v < (1u << 16) ? 2 : 3, k;

		for (k = 0; k < n; k++)
			b[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
		if (utf8_ok((const char *)b, n) != ref_utf8(b, n))
			FAIL("%02x %02x %02x (%zu bytes)", b[0], b[1], b[2], n);
	}
	/* every 4-byte sequence with a 0xf0..0xf4 or bad lead */
	for (v = 0; v < (1u << 24); v++) {
		static const uint8_t leads[] = { 0xf0, 0xf4, 0xf5, 0xf8 };
		size_t l;

		for (l = 0; l < 4; l++) {
			b[0] = leads[l];
			b[1] = (uint8_t)(v >> 16);
			b[2] = (uint8_t)(v >> 8);
			b[3] = (uint8_t)v;
			if (utf8_ok((const char *)b, 4) != ref_utf8(b, 4))
				FAIL("%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
		}
	}
}

/*
 * The ASCII fast path (16 and 8 bytes at a time) against the reference:
 * a sequence, valid or not, at every offset of ASCII text long enough
 * to take every path (words of 16 and 8, the byte-wise tail), and fed
 * whole or split in two at every point, as fragments split a text.
 */
TEST(ws_utf8_ascii_fast_path_at_every_offset_and_split)
{
	static const char *const seqs[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xf4\x8f\xbf\xbf", "\xef\xbf\xbf",
		"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf",
		"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf",	/* overlong */
		"\xed\xa0\x80", "\xed\xbf\xbf",		/* surrogates */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80",	/* > U+10FFFF */
		"\x80", "\xbf", "\xff", "\xfe",		/* never a lead */
		"\xc3", "\xe2\x82", "\xf0\x9f\x98",		/* truncated */
		"\xc3\x41", "\xe2\x41\xac",			/* lead, then ASCII */
	};
	uint8_t b[48];
	size_t s, len, off, cut;

	for (s = 0; s < sizeof(seqs) / sizeof(seqs[0]); s++) {
		size_t sl = strlen(seqs[s]);

		for (len = sl; len <= sizeof(b); len++) {
			for (off = 0; off + sl <= len; off++) {
				int want;

				memset(b, 'a' + (int)(off % 26), len);
				memcpy(b + off, seqs[s], sl);
				want = ref_utf8(b, len);
				if (utf8_ok((const char *)b, len) != want)
					FAIL("seq %zu at %zu of %zu", s, off, len);
				for (cut = 0; cut <= len; cut++) {
					struct ktcp_utf8 u = { 0 };
					int got = !ktcp_utf8_feed(&u, b, cut) &&
						  !ktcp_utf8_feed(&u, b + cut,
								  len - cut) &&
						  ktcp_utf8_complete(&u);

					if (got != want)
						FAIL("seq %zu at %zu of %zu, cut at %zu",
						     s, off, len, cut);
				}
			}
		}
	}
}

/* A bad byte after long ASCII still fails at once, not at the end. */
TEST(ws_utf8_bad_byte_after_ascii_fails_the_feed_it_is_in)
{
	char buf[100];
	struct ktcp_utf8 u = { 0 };

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ_INT(ktcp_utf8_feed(&u, buf, sizeof(buf)), 0);
	buf[77] = (char)0xc3;	/* a lead byte, its continuation due next */
	ASSERT_EQ_INT(ktcp_utf8_feed(&u, buf, 78), 0);
	ASSERT_EQ_INT(ktcp_utf8_complete(&u), 0);
	/* ASCII where a continuation is due */
	ASSERT_EQ_INT(ktcp_utf8_feed(&u, buf, 20), -EILSEQ);
}

TEST(ws_deflate_offers_accepted_or_declined)
{
	static const struct {
		const char *offer;
		int accepted;
	} cases[] = {
		{ "permessage-deflate", 1 },
		{ "permessage-deflate; client_max_window_bits", 1 },
		{ "permessage-deflate; client_max_window_bits=10; server_no_context_takeover", 1 },
		{ "permessage-deflate; server_max_window_bits=15", 1 },
		{ "permessage-deflate; server_max_window_bits=\"15\"", 1 },
		{ "permessage-deflate; server_max_window_bits=10", 0 },
		{ "permessage-deflate; server_max_window_bits=10, permessage-deflate", 1 },
		{ "permessage-deflate; unknown_param", 0 },
		{ "permessage-deflatex", 0 },
		{ "x-webkit-deflate-frame", 0 },
	};
	struct ktcp_ws_server_policy pol = { .deflate = 1 };
	struct ktcp_ws_upgrade up;
	char req[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), UPG "Sec-WebSocket-Version: 13\r\n"
			 "Sec-WebSocket-Extensions: %s\r\n\r\n", cases[i].offer);
		ASSERT_EQ_INT(check_req(req, &pol, &up), 0);
		if (up.deflate != cases[i].accepted)
			FAIL("offer \"%s\": deflate %d", cases[i].offer, up.deflate);
	}
}

TEST(ws_client_checks_deflate_answer)
{
	struct ktcp_http_response resp = { .headers = hh, .num_headers = 16 };
	char key[25], req[512], ans[512], accept[29];
	static const char *const answers[] = {
		"permessage-deflate",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; server_max_window_bits=10",
		"permessage-deflate; client_max_window_bits=10",
		"permessage-deflate; foo",
	};
	static const int want[] = { 0, 0, 0, -EPROTO, -EPROTO };
	int proto, defl;
	size_t i;

	ASSERT_GE_INT(ktcp_ws_client_request(req, sizeof(req), "h", "/", NULL,
					     NULL, 1, key), 1);
	ASSERT_TRUE(strstr(req, "Sec-WebSocket-Extensions: permessage-deflate"));
	ktcp_ws_accept_key(key, 24, accept);
	for (i = 0; i < 5; i++) {
		snprintf(ans, sizeof(ans), "HTTP/1.1 101 Switching Protocols\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: %s\r\n"
			 "Sec-WebSocket-Extensions: %s\r\n\r\n", accept, answers[i]);
		resp.num_headers = 16;
		ASSERT_GE_INT(ktcp_http_parse_response(ans, strlen(ans), &resp, NULL), 1);
		defl = 1;
		ASSERT_EQ_INT(ktcp_ws_client_check(&resp, key, NULL, &proto, &defl), want[i]);
		if (!want[i])
			ASSERT_EQ_INT(defl, 1);
		/* not offered: any extension in the answer is an error */
		defl = 0;
		ASSERT_EQ_INT(ktcp_ws_client_check(&resp, key, NULL, &proto, &defl), -EPROTO);
	}
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * A 14-byte header may declare 16 MiB: the buffer grows with what
 * arrives, not with what is announced.
 */
TEST(ws_declared_frame_length_is_not_allocated_ahead)
{
	size_t len = 16u << 20, piece = 1u << 20, off, before, after;
	struct ktcp_ws_frame f = { .fin = 1, .opcode = KTCP_WS_BINARY, .masked = 1,
				   .mask = { 1, 2, 3, 4 }, .length = len };
	uint8_t hdr[KTCP_WS_MAX_HEADER + 100] = { 0 }, *buf;
	size_t hl = ktcp_ws_frame_build(hdr, &f);
	struct peer p;
	struct ktcp_ws *ws = server(&p, 32u << 20);

	before = heap_bytes();
	ktcp_ws_mask(hdr + hl, 100, f.mask, 0);
	ASSERT_EQ_INT(ktcp_ws_recv(ws, hdr, hl + 100), 0);
	after = heap_bytes();
	if (after > before + (1u << 20))
		FAIL("a header declaring %zu bytes took %zu", len, after - before);
	/* and the message still arrives whole */
	buf = calloc(1, piece);
	for (off = 100; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;

		memset(buf, 0, n);
		ktcp_ws_mask(buf, n, f.mask, off);
		ASSERT_EQ_INT(ktcp_ws_recv(ws, buf, n), 0);
	}
	ASSERT_EQ_INT(p.nmsg, 1);
	ASSERT_EQ_INT(p.last_len, len);
	ASSERT_TRUE(p.last[0] == 0 && p.last[len - 1] == 0);
	free(buf);
	free(p.out);
	free(p.last);
	ktcp_ws_free(ws);
}

/* Endpoints sharing a budget: a message past it closes with 1013. */
TEST(ws_shared_budget_fails_with_1013)
{
	uint64_t used = 0;
	struct ktcp_ws_config cfg = { .max_message = 1u << 20, .mem_used = &used,
				      .mem_max = 100000 };
	static uint8_t msg[200000], buf[200000 + KTCP_WS_MAX_HEADER];
	struct peer p = { 0 }, q = { 0 };
	struct ktcp_ws *a = ktcp_ws_new(&cfg, &cbs, &p);
	struct ktcp_ws *b = ktcp_ws_new(&cfg, &cbs, &q);
	size_t n;

	ASSERT_TRUE(a && b);
	n = frame(buf, 1, 0, KTCP_WS_BINARY, msg, 60000, 0);
	ASSERT_EQ_INT(ktcp_ws_recv(a, buf, n), 0);
	ASSERT_EQ_INT(p.nmsg, 1);
	ASSERT_TRUE(used > 0 && used <= 100000);
	/* a's buffer still counts: b cannot have what is left */
	n = frame(buf, 1, 0, KTCP_WS_BINARY, msg, 60000, 0);
	ASSERT_EQ_INT(ktcp_ws_recv(b, buf, n), -EPROTO);
	ASSERT_EQ_INT(sent_close_code(&q), KTCP_WS_TRY_AGAIN);
	ktcp_ws_free(a);
	ktcp_ws_free(b);
	ASSERT_EQ_INT(used, 0);
	free(p.out);
	free(p.last);
	free(q.out);
	free(q.last);
}
