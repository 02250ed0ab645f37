// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the HTTP/1.1 parser: heads, limits, framing, smuggling
 * cases and the chunked decoder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ktcp/http.h>

#include "harness.h"
#include "../src/http_scan.h"

static struct ktcp_http_header hdrs[100];

/*
 * KTCP_TEST_HTTP_SCAN=portable runs these tests on the portable scans
 * where the CPU would have the vector ones (tests/run-all.sh does, as
 * its suite unit-portable-scan).
 */
__attribute__((constructor))
static void pick_scan(void)
{
	const char *v = getenv("KTCP_TEST_HTTP_SCAN");

	if (v && !strcmp(v, "portable"))
		libktcp_http_scan_select(LIBKTCP_SCAN_PORTABLE);
}

static int parse_req(const char *s, struct ktcp_http_request *req,
		     const struct ktcp_http_limits *lim)
{
	memset(req, 0, sizeof(*req));
	req->headers = hdrs;
	req->num_headers = 100;
	return ktcp_http_parse_request(s, strlen(s), req, lim);
}

static int req_status(const char *s)
{
	struct ktcp_http_request req;
	enum ktcp_http_body_kind kind;
	uint64_t len;
	int ret = parse_req(s, &req, NULL);

	if (ret < 0)
		return ret == -EAGAIN ? 0 : ktcp_http_error_status(ret);
	ret = ktcp_http_body_framing(req.headers, req.num_headers, 1, NULL,
				     &kind, &len);
	return ret ? ktcp_http_error_status(ret) : 200;
}

#define ASSERT_MEM(p, n, s)						\
	do {								\
		ASSERT_EQ_INT(n, strlen(s));				\
		ASSERT_TRUE(!memcmp(p, s, n));				\
	} while (0)

TEST(http_parses_simple_get)
{
	const char *s = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\n"
			"X-Empty:\r\nAccept:  */*  \r\n\r\nrest";
	struct ktcp_http_request req;

	ASSERT_EQ_INT(parse_req(s, &req, NULL), strlen(s) - 4);
	ASSERT_MEM(req.method, req.method_len, "GET");
	ASSERT_MEM(req.target, req.target_len, "/a/b?c=d");
	ASSERT_EQ_INT(req.minor_version, 1);
	ASSERT_EQ_INT(req.num_headers, 3);
	ASSERT_MEM(hdrs[0].name, hdrs[0].name_len, "Host");
	ASSERT_MEM(hdrs[0].value, hdrs[0].value_len, "example.com");
	ASSERT_EQ_INT(hdrs[1].value_len, 0);
	ASSERT_MEM(hdrs[2].value, hdrs[2].value_len, "*/*");
}

TEST(http_incomplete_at_every_split_point)
{
	const char *s = "POST /x HTTP/1.0\r\nContent-Length: 3\r\n\r\n";
	struct ktcp_http_request req;
	size_t n;

	for (n = 0; n < strlen(s); n++) {
		memset(&req, 0, sizeof(req));
		req.headers = hdrs;
		req.num_headers = 100;
		ASSERT_EQ_INT(ktcp_http_parse_request(s, n, &req, NULL), -EAGAIN);
	}
	ASSERT_EQ_INT(parse_req(s, &req, NULL), strlen(s));
	ASSERT_EQ_INT(req.minor_version, 0);
}

TEST(http_skips_leading_empty_lines)
{
	struct ktcp_http_request req;

	ASSERT_EQ_INT(parse_req("\r\n\r\nGET / HTTP/1.1\r\n\r\n", &req, NULL), 22);
	ASSERT_MEM(req.method, req.method_len, "GET");
}

TEST(http_bare_lf_is_400)
{
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400);
}

TEST(http_obs_fold_is_400)
{
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
}

TEST(http_space_before_colon_is_400)
{
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nContent-Length\t: 1\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\n: a\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nnocolon\r\n\r\n"), 400);
}

TEST(http_control_chars_are_400)
{
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1\r\nX: a\001b\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET /a\001 HTTP/1.1\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("G(T / HTTP/1.1\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET  / HTTP/1.1\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.1 \r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET /\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("GET / FOO/1.1\r\n\r\n"), 400);
}

TEST(http_unsupported_version_is_505)
{
	ASSERT_EQ_INT(req_status("GET / HTTP/2.0\r\n\r\n"), 505);
	ASSERT_EQ_INT(req_status("GET / HTTP/1.2\r\n\r\n"), 505);
}

TEST(http_cl_with_te_is_400)
{
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				 "Content-Length: 0\r\n\r\n"), 400);
}

TEST(http_differing_content_lengths_are_400)
{
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				 "Content-Length: 4\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n"), 400);
	/* identical duplicates are allowed (RFC 9112 6.3 item 5) */
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				 "Content-Length: 3\r\n\r\n"), 200);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 3,3\r\n\r\n"), 200);
}

TEST(http_malformed_content_length_is_400)
{
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 0x3\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: 3 3\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nContent-Length: "
				 "99999999999999999999999\r\n\r\n"), 400);
}

TEST(http_transfer_encoding_checks)
{
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n"), 400);
	ASSERT_EQ_INT(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), 200);
}

TEST(http_framing_kinds)
{
	struct ktcp_http_request req;
	enum ktcp_http_body_kind kind;
	uint64_t len;

	ASSERT_GE_INT(parse_req("GET / HTTP/1.1\r\n\r\n", &req, NULL), 0);
	ASSERT_EQ_INT(ktcp_http_body_framing(hdrs, req.num_headers, 1, NULL, &kind, &len), 0);
	ASSERT_EQ_INT(kind, KTCP_HTTP_BODY_NONE);
	ASSERT_EQ_INT(ktcp_http_body_framing(hdrs, req.num_headers, 0, NULL, &kind, &len), 0);
	ASSERT_EQ_INT(kind, KTCP_HTTP_BODY_CLOSE);
	ASSERT_GE_INT(parse_req("PUT / HTTP/1.1\r\ncontent-length: 12345\r\n\r\n", &req, NULL), 0);
	ASSERT_EQ_INT(ktcp_http_body_framing(hdrs, req.num_headers, 1, NULL, &kind, &len), 0);
	ASSERT_EQ_INT(kind, KTCP_HTTP_BODY_LENGTH);
	ASSERT_EQ_INT(len, 12345);
	ASSERT_GE_INT(parse_req("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &req, NULL), 0);
	ASSERT_EQ_INT(ktcp_http_body_framing(hdrs, req.num_headers, 1, NULL, &kind, &len), 0);
	ASSERT_EQ_INT(kind, KTCP_HTTP_BODY_CHUNKED);
}

TEST(http_body_over_limit_is_413)
{
	struct ktcp_http_limits lim = { .max_body = 10 };
	struct ktcp_http_request req;
	enum ktcp_http_body_kind kind;
	uint64_t len;

	ASSERT_GE_INT(parse_req("PUT / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", &req, &lim), 0);
	ASSERT_EQ_INT(ktcp_http_body_framing(hdrs, req.num_headers, 1, &lim, &kind, &len), -EFBIG);
	ASSERT_EQ_INT(ktcp_http_error_status(-EFBIG), 413);
	ASSERT_GE_INT(parse_req("PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", &req, &lim), 0);
	ASSERT_EQ_INT(ktcp_http_body_framing(hdrs, req.num_headers, 1, &lim, &kind, &len), 0);
}

TEST(http_header_limits_are_431)
{
	struct ktcp_http_limits lim = { .max_headers = 2, .max_line = 40,
					.max_head_bytes = 100 };
	struct ktcp_http_request req;
	char big[300];

	ASSERT_GE_INT(parse_req("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", &req, &lim), 0);
	ASSERT_EQ_INT(parse_req("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &req, &lim), -E2BIG);
	/* one header line too long, even before its end has arrived */
	ASSERT_EQ_INT(parse_req("GET / HTTP/1.1\r\nA: 0123456789012345678901234567890123456789", &req, &lim), -E2BIG);
	/* the whole head too long, even before its end has arrived */
	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\n");
	while (strlen(big) < 150)
		strcat(big, "A: 0123456789\r\n");
	ASSERT_EQ_INT(parse_req(big, &req, &lim), -E2BIG);
	ASSERT_EQ_INT(ktcp_http_error_status(-E2BIG), 431);
}

TEST(http_request_line_limit_is_414)
{
	struct ktcp_http_limits lim = { .max_line = 20 };
	struct ktcp_http_request req;

	ASSERT_EQ_INT(parse_req("GET /0123456789012345678901234", &req, &lim), -ENAMETOOLONG);
	ASSERT_EQ_INT(ktcp_http_error_status(-ENAMETOOLONG), 414);
}

TEST(http_caller_capacity_is_a_limit)
{
	struct ktcp_http_header two[2];
	struct ktcp_http_request req = { .headers = two, .num_headers = 2 };
	const char *s = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";

	ASSERT_EQ_INT(ktcp_http_parse_request(s, strlen(s), &req, NULL), -E2BIG);
}

TEST(http_parses_response)
{
	const char *s = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	struct ktcp_http_response resp = { .headers = hdrs, .num_headers = 100 };

	ASSERT_EQ_INT(ktcp_http_parse_response(s, strlen(s), &resp, NULL), strlen(s));
	ASSERT_EQ_INT(resp.status, 404);
	ASSERT_MEM(resp.reason, resp.reason_len, "Not Found");
	ASSERT_EQ_INT(resp.num_headers, 1);
	s = "HTTP/1.0 200\r\n\r\n";
	resp.num_headers = 100;
	ASSERT_EQ_INT(ktcp_http_parse_response(s, strlen(s), &resp, NULL), strlen(s));
	ASSERT_EQ_INT(resp.reason_len, 0);
	s = "HTTP/1.1 20x OK\r\n\r\n";
	ASSERT_EQ_INT(ktcp_http_parse_response(s, strlen(s), &resp, NULL), -EBADMSG);
	s = "HTTP/1.1 200 OK\r\nA: b\n\r\n";
	ASSERT_EQ_INT(ktcp_http_parse_response(s, strlen(s), &resp, NULL), -EBADMSG);
}

TEST(http_keep_alive_rules)
{
	struct ktcp_http_request req;

	parse_req("GET / HTTP/1.1\r\n\r\n", &req, NULL);
	ASSERT_EQ_INT(ktcp_http_keep_alive(1, hdrs, req.num_headers), 1);
	parse_req("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", &req, NULL);
	ASSERT_EQ_INT(ktcp_http_keep_alive(1, hdrs, req.num_headers), 0);
	parse_req("GET / HTTP/1.0\r\n\r\n", &req, NULL);
	ASSERT_EQ_INT(ktcp_http_keep_alive(0, hdrs, req.num_headers), 0);
	parse_req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req, NULL);
	ASSERT_EQ_INT(ktcp_http_keep_alive(0, hdrs, req.num_headers), 1);
}

/* Decode all of @in fed @step bytes at a time into @out. */
static long dechunk(const char *in, size_t step, char *out, size_t *out_len,
		    const struct ktcp_http_limits *lim, size_t *consumed)
{
	struct ktcp_http_chunked dec;
	size_t len = strlen(in), pos = 0;

	ktcp_http_chunked_init(&dec, lim);
	*out_len = 0;
	while (pos < len && !ktcp_http_chunked_done(&dec)) {
		size_t n = len - pos < step ? len - pos : step;

		while (n && !ktcp_http_chunked_done(&dec)) {
			const char *d;
			size_t dl;
			long r = ktcp_http_chunked_decode(&dec, in + pos, n, &d, &dl);

			if (r < 0)
				return r;
			if (dl)
				memcpy(out + *out_len, d, dl);
			*out_len += dl;
			pos += (size_t)r;
			n -= (size_t)r;
		}
	}
	*consumed = pos;
	return ktcp_http_chunked_done(&dec) ? 0 : -EAGAIN;
}

TEST(http_chunked_decodes_at_every_step_size)
{
	const char *in = "5\r\nhello\r\n1;ext=\"x y\"\r\n \r\nA\r\n0123456789\r\n"
			 "0\r\nTrailer: x\r\n\r\nGET";
	char out[64];
	size_t out_len, used, step;

	for (step = 1; step <= strlen(in); step++) {
		ASSERT_EQ_INT(dechunk(in, step, out, &out_len, NULL, &used), 0);
		ASSERT_EQ_INT(used, strlen(in) - 3);
		ASSERT_MEM(out, out_len, "hello 0123456789");
	}
}

TEST(http_invalid_chunk_sizes_are_400)
{
	static const char *const bad[] = {
		"x\r\n", "\r\n", " 5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n",
		"-5\r\n", "0x5\r\n", "5\nhello\r\n0\r\n\r\n", "5\r\nhelloX\r\n",
		"5\r\nhello\n0\r\n\r\n", "11111111111111111\r\n",
		"0\r\n\n", "0\r\n Trailer: x\r\n\r\n", "5;a\001\r\nhello\r\n",
	};
	char out[64];
	size_t out_len, used, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long r = dechunk(bad[i], 100, out, &out_len, NULL, &used);

		if (r != -EBADMSG)
			FAIL("case %zu (%s): %ld", i, bad[i], r);
	}
}

TEST(http_chunked_body_over_limit_is_413)
{
	struct ktcp_http_limits lim = { .max_body = 8 };
	char out[64];
	size_t out_len, used;

	ASSERT_EQ_INT(dechunk("5\r\nhello\r\n4\r\n", 100, out, &out_len, &lim, &used), -EFBIG);
	ASSERT_EQ_INT(dechunk("ffffffffffffffff\r\n", 100, out, &out_len, &lim, &used), -EFBIG);
	ASSERT_EQ_INT(dechunk("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", 100, out, &out_len, &lim, &used), 0);
}

TEST(http_reason_and_status_map)
{
	ASSERT_STR(ktcp_http_reason(200), "OK");
	ASSERT_STR(ktcp_http_reason(431), "Request Header Fields Too Large");
	ASSERT_EQ_INT(ktcp_http_error_status(-EBADMSG), 400);
	ASSERT_EQ_INT(ktcp_http_error_status(-ENOSYS), 501);
}

TEST(http_chunk_extensions_and_trailers_are_limited_in_total)
{
	struct ktcp_http_limits lim = { .max_head_bytes = 100, .max_headers = 3 };
	char in[512], out[64], ext[61];
	size_t out_len, used;

	memset(ext, 'e', 60);
	ext[60] = 0;
	/* each line short, two together past 100 bytes */
	snprintf(in, sizeof(in), "1;%s\r\nx\r\n1;%s\r\ny\r\n0\r\n\r\n", ext, ext);
	ASSERT_EQ_INT(dechunk(in, 7, out, &out_len, &lim, &used), -EFBIG);
	snprintf(in, sizeof(in), "1\r\nx\r\n0\r\nA: %s\r\nB: %s\r\n\r\n", ext, ext);
	ASSERT_EQ_INT(dechunk(in, 7, out, &out_len, &lim, &used), -E2BIG);
	ASSERT_EQ_INT(dechunk("0\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", 7, out,
			      &out_len, &lim, &used), -E2BIG);
	ASSERT_EQ_INT(ktcp_http_error_status(-E2BIG), 431);
	/* within the limits */
	snprintf(in, sizeof(in), "1;%s\r\nx\r\n0\r\nA: 1\r\nB: 1\r\nC: 1\r\n\r\n", ext);
	ASSERT_EQ_INT(dechunk(in, 7, out, &out_len, &lim, &used), 0);
	ASSERT_MEM(out, out_len, "x");
}

/* A head of 15.5 KiB: 60 fields of 250 bytes. */
static size_t big_head(char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "GET /x HTTP/1.1\r\nHost: x\r\n");
	int i;

	for (i = 0; i < 60; i++) {
		n += (size_t)snprintf(buf + n, cap - n, "X-Field-%02d: ", i);
		memset(buf + n, 'a' + i % 26, 250);
		n += 250;
		n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	}
	n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	return n;
}

/*
 * A head arriving a byte at a time: each call may look only at the
 * newest bytes.  Older ones are poisoned with a byte that would make
 * the parser refuse the head if it looked at them again (a few bytes
 * of look-back are allowed, for a CR waiting for its LF or the
 * version), and restored for the last call, which parses it all.
 */
TEST(http_resumed_parse_looks_at_each_byte_once)
{
	static char real[16384], seen[16384];
	struct ktcp_http_parse_state st = { 0 };
	struct ktcp_http_request req;
	size_t len = big_head(real, sizeof(real)), n;
	int ret = 0;

	ASSERT_TRUE(len > 15 * 1024 && len < KTCP_HTTP_DEFAULT_MAX_HEAD);
	memset(seen, '\001', sizeof(seen));
	for (n = 1; n <= len; n++) {
		memset(&req, 0, sizeof(req));
		req.headers = hdrs;
		req.num_headers = 100;
		memcpy(seen + (n > 16 ? n - 16 : 0), real + (n > 16 ? n - 16 : 0),
		       n > 16 ? 16 : n);
		if (n > 16)
			seen[n - 17] = '\001';
		if (n == len)
			memcpy(seen, real, len);
		ret = ktcp_http_parse_request_resume(seen, n, &req, NULL, &st);
		if (n < len && ret != -EAGAIN)
			FAIL("%d after %zu of %zu bytes", ret, n, len);
	}
	ASSERT_EQ_INT(ret, len);
	ASSERT_EQ_INT(req.num_headers, 61);
	ASSERT_MEM(hdrs[60].name, hdrs[60].name_len, "X-Field-59");
	ASSERT_EQ_INT(hdrs[60].value_len, 250);
}

/* At every step, the same answer as the whole-head parser. */
TEST(http_resumed_parse_agrees_with_the_whole_head_parse)
{
	static const char *const heads[] = {
		"GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY: \t z \r\n\r\nGET",
		"\r\n\r\nGET / HTTP/1.0\r\n\r\n",
		"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET",
		"\r\rGET / HTTP/1.1\r\n\r\n",
		"G@T / HTTP/1.1\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET /\001 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.2\r\n\r\n",
		"GET / XTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\n: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\177\r\n\r\n",
		"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
		"GET / HTTP/1.1\r\nA: 1\r\n\rX",
		"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n",
		"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nLong: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
		"GET / HTTP/1.1\r\nA: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nB: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n",
	};
	struct ktcp_http_limits lim = { .max_line = 56, .max_head_bytes = 96,
					.max_headers = 3 };
	static struct ktcp_http_header h1[8], h2[8];
	size_t i, step, n;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		const char *s = heads[i];

		for (step = 1; step <= 7; step++) {
			struct ktcp_http_parse_state st = { 0 };

			for (n = step < strlen(s) ? step : strlen(s);;
			     n = n + step < strlen(s) ? n + step : strlen(s)) {
				struct ktcp_http_request a = { .headers = h1, .num_headers = 8 };
				struct ktcp_http_request b = { .headers = h2, .num_headers = 8 };
				int whole = ktcp_http_parse_request(s, n, &a, &lim);
				int part = ktcp_http_parse_request_resume(s, n, &b, &lim, &st);

				if (whole != part)
					FAIL("head %zu, step %zu, %zu bytes: %d, resumed %d",
					     i, step, n, whole, part);
				if (whole > 0) {
					ASSERT_EQ_INT(a.num_headers, b.num_headers);
					ASSERT_TRUE(a.target == b.target &&
						    a.minor_version == b.minor_version);
				}
				if (whole != -EAGAIN || n == strlen(s))
					break;
			}
		}
	}
}

/* ---- the vector scans against the portable ones ---- */

static int scan_calls, scan_compared;

/*
 * Parse @n bytes of @s (copied to a buffer of exactly @n bytes, so
 * that the sanitizers see a vector load past its end) with the
 * portable scans and with AVX2, and require the same answer, to every
 * pointer and length.
 */
static void parse_both(const char *s, size_t n)
{
	struct ktcp_http_header h1[40], h2[40];
	struct ktcp_http_request r1 = { .headers = h1, .num_headers = 40 };
	struct ktcp_http_request r2 = { .headers = h2, .num_headers = 40 };
	char *b = malloc(n ? n : 1);
	int a, v;
	size_t k;

	ASSERT_TRUE(b);
	memcpy(b, s, n);
	scan_calls++;
	libktcp_http_scan_select(LIBKTCP_SCAN_PORTABLE);
	a = ktcp_http_parse_request(b, n, &r1, NULL);
	if (libktcp_http_scan_select(LIBKTCP_SCAN_AVX2) < 0) {
		free(b);	/* no AVX2 here: nothing to compare with */
		return;
	}
	v = ktcp_http_parse_request(b, n, &r2, NULL);
	scan_compared++;
	if (a != v)
		FAIL("portable %d, avx2 %d on %zu bytes: %.*s", a, v, n, (int)n, s);
	if (a >= 0) {
		ASSERT_TRUE(r1.method == r2.method && r1.method_len == r2.method_len);
		ASSERT_TRUE(r1.target == r2.target && r1.target_len == r2.target_len);
		ASSERT_EQ_INT(r1.minor_version, r2.minor_version);
		ASSERT_EQ_INT(r1.num_headers, r2.num_headers);
		for (k = 0; k < r1.num_headers; k++) {
			ASSERT_TRUE(h1[k].name == h2[k].name);
			ASSERT_EQ_INT(h1[k].name_len, h2[k].name_len);
			ASSERT_TRUE(h1[k].value == h2[k].value);
			ASSERT_EQ_INT(h1[k].value_len, h2[k].value_len);
		}
	}
	free(b);
}

/* The head, and its prefixes around @at (where a byte was put). */
static void parse_both_cuts(const char *s, size_t n, size_t at)
{
	size_t cut;

	parse_both(s, n);
	for (cut = at > 2 ? at - 2 : 0; cut <= at + 2 && cut < n; cut++)
		parse_both(s, cut);
	parse_both(s, n - 1);
}

/*
 * Every byte value at every offset of a method, a target, a header
 * name and a header value, in lines shorter and longer than the 16
 * and 32 bytes the vector scans take at once, and with the buffer
 * ending at or around that byte: the AVX2 scans must answer exactly
 * as the portable ones.
 */
TEST(http_vector_scans_agree_with_the_portable_ones)
{
	static const size_t lens[] = { 1, 5, 15, 16, 17, 31, 32, 33, 47, 64, 70 };
	char buf[512];
	size_t li, off;
	int c;

	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		size_t L = lens[li];

		for (off = 0; off < L; off++) {
			for (c = 0; c < 256; c++) {
				char name[80], val[80];
				int n;

				memset(name, 'n', L);
				name[L] = '\0';
				memset(val, 'v', L);
				val[L] = '\0';
				/* the byte in the name */
				name[off] = (char)c;
				n = snprintf(buf, sizeof(buf),
					     "GET /a HTTP/1.1\r\nHost: h\r\n%.*s: x\r\n"
					     "Accept: */*\r\n\r\n", (int)L, name);
				parse_both_cuts(buf, (size_t)n, 27 + off);
				name[off] = 'n';
				/* the byte in the value */
				val[off] = (char)c;
				n = snprintf(buf, sizeof(buf),
					     "GET /a HTTP/1.1\r\nX-A: %.*s\r\nY: z\r\n\r\n",
					     (int)L, val);
				parse_both_cuts(buf, (size_t)n, 22 + off);
				/* the byte in the target, then in the method */
				memset(val, 't', L);
				val[off] = (char)c;
				n = snprintf(buf, sizeof(buf),
					     "GET /%.*s HTTP/1.1\r\nHost: h\r\n\r\n",
					     (int)L, val);
				parse_both_cuts(buf, (size_t)n, 5 + off);
				memset(val, 'M', L);
				val[off] = (char)c;
				n = snprintf(buf, sizeof(buf),
					     "%.*s / HTTP/1.1\r\nHost: h\r\n\r\n",
					     (int)L, val);
				parse_both_cuts(buf, (size_t)n, off);
			}
		}
	}
	/* tabs and spaces around values, empty values, long lines */
	strcpy(buf, "GET / HTTP/1.1\r\nA:\t \tb\tc \t\r\nB:\r\nC: \r\n\r\n");
	for (c = 0; c <= (int)strlen(buf); c++)
		parse_both(buf, (size_t)c);
	memset(buf, 'q', 300);
	memcpy(buf, "GET / HTTP/1.1\r\nLong: ", 22);
	memcpy(buf + 296, "\r\n\r\n", 4);
	for (c = 0; c <= 300; c++)
		parse_both(buf, (size_t)c);
	ASSERT_TRUE(scan_calls > 100000);
	fprintf(stderr, "# %d parses compared with AVX2 (0: no AVX2 here)\n",
		scan_compared);
}

/* The scan in use can be chosen, and the portable one always can. */
TEST(http_scan_can_be_forced_portable)
{
	ASSERT_EQ_INT(libktcp_http_scan_select(LIBKTCP_SCAN_PORTABLE),
		      LIBKTCP_SCAN_PORTABLE);
	ASSERT_EQ_INT(parse_req("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &(struct ktcp_http_request){ 0 }, NULL), 27);
	ASSERT_TRUE(libktcp_http_scan_select(LIBKTCP_SCAN_BEST) > 0);
}
