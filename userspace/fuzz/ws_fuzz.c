// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the WebSocket frame parser and message layer:
 * the input is fed, in pieces, to a server and to a client endpoint
 * (with permessage-deflate when the first byte says so).  Checks that
 * every close frame we send carries a code that may go on the wire,
 * that delivered text is valid UTF-8 and that messages respect the
 * size limit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ktcp/ws.h>

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_MSG 65536

static int sent_close;

static int on_send(struct ktcp_ws *ws, const void *hdr, size_t hdr_len,
		   const void *payload, size_t len, void *arg)
{
	struct ktcp_ws_frame f;
	const uint8_t *p = payload;
	int hl = ktcp_ws_frame_parse(hdr, hdr_len, &f);

	(void)ws;
	(void)arg;
	/* one whole frame per call */
	CHECK(hl > 0 && (size_t)hl == hdr_len && f.length == len);
	if (f.opcode == KTCP_WS_CLOSE && len >= 2) {
		uint8_t code[2];

		memcpy(code, p, 2);
		if (f.masked)
			ktcp_ws_mask(code, 2, f.mask, 0);
		CHECK(ktcp_ws_close_code_valid(code[0] << 8 | code[1]));
		sent_close++;
	}
	return 0;
}

static void on_message(struct ktcp_ws *ws, unsigned int op, const void *d,
		       size_t len, void *arg)
{
	struct ktcp_utf8 u = { 0 };

	(void)ws;
	(void)arg;
	CHECK(len <= MAX_MSG);
	CHECK(op == KTCP_WS_TEXT || op == KTCP_WS_BINARY);
	if (op == KTCP_WS_TEXT)
		CHECK(!ktcp_utf8_feed(&u, d, len) && ktcp_utf8_complete(&u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ktcp_ws_callbacks cb = {
		.send = on_send, .on_message = on_message,
	};
	struct ktcp_ws_frame f;
	int side;

	if (ktcp_ws_frame_parse(data, size, &f) > 0) {
		uint8_t out[KTCP_WS_MAX_HEADER];
		struct ktcp_ws_frame g;
		size_t n = ktcp_ws_frame_build(out, &f);

		/* what parses rebuilds to the same header */
		CHECK(ktcp_ws_frame_parse(out, n, &g) == (int)n);
		CHECK(g.length == f.length && g.opcode == f.opcode &&
		      g.fin == f.fin && g.rsv == f.rsv && g.masked == f.masked);
	}
	for (side = 0; side < 2; side++) {
		struct ktcp_ws_config cfg = {
			.client = side, .max_message = MAX_MSG,
			.deflate = size && (data[0] & 1),
		};
		struct ktcp_ws *ws = ktcp_ws_new(&cfg, &cb, NULL);
		size_t pos = 1, step = size > 1 ? data[1] % 31 + 1 : 1;
		int err = 0;

		CHECK(ws);
		while (pos < size && !err && ktcp_ws_state(ws) != KTCP_WS_CLOSED) {
			size_t n = size - pos < step ? size - pos : step;

			err = ktcp_ws_recv(ws, data + pos, n);
			pos += n;
		}
		CHECK(!err || err == -EPROTO);
		if (err)
			CHECK(ktcp_ws_state(ws) == KTCP_WS_CLOSED);
		ktcp_ws_free(ws);
	}
	return 0;
}
