// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP/1.1 parser: request and response
 * heads, body framing and the chunked decoder fed in pieces.  Checks
 * the parser's promises, not just that it does not crash: results
 * point inside the buffer, a complete head parses the same at any
 * longer length, a head fed in pieces to the resumable parser gets the
 * whole-head parser's answer at every step, and the decoder never
 * returns more than it was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ktcp/http.h>
#include <ktcp/ws.h>

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_in(const char *buf, size_t len, const char *p, size_t n)
{
	if (!n)
		return;
	CHECK(p >= buf && p + n <= buf + len);
}

/* The WebSocket handshake checks on whatever parsed as a request. */
static void fuzz_upgrade(const struct ktcp_http_request *req)
{
	static const char *const protos[] = { "chat", "echo" };
	static const char *const origins[] = { "https://a.example" };
	struct ktcp_ws_server_policy pol = {
		.protocols = protos, .num_protocols = 2,
		.origins = origins, .num_origins = 1, .deflate = 1,
	};
	struct ktcp_ws_upgrade up;
	char out[512];
	int st = ktcp_ws_server_check(req, &pol, &up);

	CHECK(st == 0 || st == 400 || st == 403 || st == 426);
	if (!st) {
		CHECK(up.key_len == 24);
		CHECK(ktcp_ws_server_response(out, sizeof(out), &up) > 0);
	}
	st = ktcp_ws_server_check(req, NULL, &up);
	CHECK(st == 0 || st == 400 || st == 426);
}

/* The input in pieces of 1..16 bytes (chosen by its bytes). */
static void fuzz_resume(const char *buf, size_t size,
			const struct ktcp_http_limits *lim)
{
	struct ktcp_http_header h1[16], h2[16];
	struct ktcp_http_parse_state st = { 0 };
	size_t n = 0;

	while (n < size) {
		struct ktcp_http_request a = { .headers = h1, .num_headers = 16 };
		struct ktcp_http_request b = { .headers = h2, .num_headers = 16 };
		int whole, part;

		n += (size_t)(unsigned char)buf[n] % 16 + 1;
		if (n > size)
			n = size;
		whole = ktcp_http_parse_request(buf, n, &a, lim);
		part = ktcp_http_parse_request_resume(buf, n, &b, lim, &st);
		CHECK(whole == part);
		if (whole != -EAGAIN)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktcp_http_limits lim = { .max_head_bytes = 4096, .max_headers = 16,
					.max_line = 1024, .max_body = 100000 };
	struct ktcp_http_header h[16];
	struct ktcp_http_request req = { .headers = h, .num_headers = 16 };
	struct ktcp_http_response resp = { .headers = h, .num_headers = 16 };
	const char *buf = (const char *)data;
	struct ktcp_http_chunked dec;
	enum ktcp_http_body_kind kind;
	uint64_t cl;
	size_t i, pos, step;
	int r;

	r = ktcp_http_parse_request(buf, size, &req, &lim);
	if (r > 0) {
		CHECK((size_t)r <= size);
		check_in(buf, size, req.method, req.method_len);
		check_in(buf, size, req.target, req.target_len);
		for (i = 0; i < req.num_headers; i++) {
			check_in(buf, size, h[i].name, h[i].name_len);
			check_in(buf, size, h[i].value, h[i].value_len);
		}
		/* every shorter prefix is incomplete or already an error */
		for (i = 0; i < (size_t)r; i += 7) {
			struct ktcp_http_request q = { .headers = h, .num_headers = 16 };
			int s = ktcp_http_parse_request(buf, i, &q, &lim);

			CHECK(s < 0);
		}
		req.num_headers = 16;
		CHECK(ktcp_http_parse_request(buf, size, &req, &lim) == r);
		if (!ktcp_http_body_framing(h, req.num_headers, 1, &lim, &kind, &cl))
			CHECK(kind != KTCP_HTTP_BODY_LENGTH || cl <= lim.max_body);
		ktcp_http_keep_alive(req.minor_version, h, req.num_headers);
		fuzz_upgrade(&req);
	} else {
		CHECK(r == -EAGAIN || r == -EBADMSG || r == -E2BIG ||
		      r == -ENAMETOOLONG || r == -EPROTONOSUPPORT);
	}
	fuzz_resume(buf, size, &lim);
	r = ktcp_http_parse_response(buf, size, &resp, &lim);
	if (r > 0) {
		int proto, defl = size & 1;

		CHECK((size_t)r <= size);
		CHECK(resp.status >= 100 && resp.status <= 999);
		if (!ktcp_ws_client_check(&resp, "dGhlIHNhbXBsZSBub25jZQ==",
					  "chat, echo", &proto, &defl))
			CHECK(proto < (int)resp.num_headers);
		ktcp_http_body_framing(h, resp.num_headers, 0, &lim, &kind, &cl);
	}

	/* the whole input as a chunked body, in pieces of varying size */
	ktcp_http_chunked_init(&dec, &lim);
	step = size ? (size_t)data[0] % 17 + 1 : 1;
	pos = 0;
	while (pos < size && !ktcp_http_chunked_done(&dec)) {
		size_t n = size - pos < step ? size - pos : step;
		const char *d;
		size_t dl;
		long used = ktcp_http_chunked_decode(&dec, buf + pos, n, &d, &dl);

		if (used < 0) {
			CHECK(used == -EBADMSG || used == -EFBIG ||
			      used == -E2BIG);
			break;
		}
		CHECK((size_t)used <= n);
		check_in(buf + pos, n, d, dl);
		CHECK(dl <= (size_t)used);
		CHECK(dec.total <= lim.max_body);
		pos += (size_t)used;
	}
	return 0;
}
