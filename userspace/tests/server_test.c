// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the HTTP/1.1 and WebSocket server over real sockets
 * (TCP over IPv4 and IPv6, and AF_UNIX), asserting exact bytes.
 */
#include <time.h>

#include "testsrv.h"

#define OK_HELLO "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

static void keep_alive_on(const char *family)
{
	int port = testsrv_start(family, NULL);
	int fd = testsrv_connect(family, port), i;

	for (i = 0; i < 3; i++) {
		send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
		expect_bytes(fd, OK_HELLO);
	}
	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nhello");
	expect_eof(fd);
	close(fd);
}

TEST(server_keep_alive_inet)
{
	keep_alive_on("inet");
}

TEST(server_keep_alive_inet6)
{
	keep_alive_on("inet6");
}

TEST(server_keep_alive_unix)
{
	keep_alive_on("unix");
}

TEST(server_pipelined_requests_answered_in_order)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
		     "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "3\r\ntwo\r\n0\r\n\r\n"
		     "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
		     "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nX-Seq: 1\r\nContent-Length: 3\r\n\r\none"
		     "HTTP/1.1 200 OK\r\nX-Seq: 2\r\nContent-Length: 3\r\n\r\ntwo"
		     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n0\r\n\r\n"
		     "HTTP/1.1 200 OK\r\nX-Seq: 4\r\nContent-Length: 5\r\n\r\nthree");
	close(fd);
}

TEST(server_answers_requests_sent_before_a_half_close)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
	shutdown(fd, SHUT_WR);
	expect_bytes(fd, OK_HELLO OK_HELLO);
	expect_eof(fd);
	close(fd);
}

TEST(server_http10_closes_unless_keep_alive)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		     "Connection: keep-alive\r\n\r\nhello");
	send_str(fd, "GET / HTTP/1.0\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nhello");
	expect_eof(fd);
	close(fd);
}

TEST(server_http10_stream_is_close_delimited)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabbccc");
	expect_eof(fd);
	close(fd);
}

TEST(server_head_has_no_body)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" OK_HELLO);
	close(fd);
}

static void expect_refused(const char *req, int status, const char *reason,
			   const struct ktcp_http_server_config *cfg)
{
	int port = testsrv_start("inet", cfg);
	int fd = testsrv_connect("inet", port);
	char expect[512];

	send_str(fd, req);
	snprintf(expect, sizeof(expect),
		 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		 status, reason, strlen(reason) + 1, reason);
	expect_bytes(fd, expect);
	expect_eof(fd);
	close(fd);
	testsrv_kill();
}

TEST(server_smuggling_cl_and_te_is_400_and_close)
{
	expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		       400, "Bad Request", NULL);
}

TEST(server_smuggling_duplicate_cl_is_400_and_close)
{
	expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		       "Content-Length: 6\r\n\r\nhello!", 400, "Bad Request", NULL);
}

TEST(server_smuggling_bare_lf_is_400_and_close)
{
	expect_refused("GET / HTTP/1.1\nHost: x\n\n", 400, "Bad Request", NULL);
}

TEST(server_smuggling_obs_fold_is_400_and_close)
{
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400, "Bad Request", NULL);
}

TEST(server_invalid_chunk_size_is_400_and_close)
{
	expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "0x5\r\nhello\r\n0\r\n\r\n", 400, "Bad Request", NULL);
}

TEST(server_limits_give_413_414_431)
{
	struct ktcp_http_server_config cfg = {
		.limits = { .max_body = 10, .max_headers = 3, .max_line = 100 },
	};
	char big[400];

	expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n",
		       413, "Content Too Large", &cfg);
	expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "b\r\n", 413, "Content Too Large", &cfg);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
		       431, "Request Header Fields Too Large", &cfg);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = 0;
	expect_refused(big, 414, "URI Too Long", &cfg);
}

TEST(server_unsupported_coding_is_501_and_version_505)
{
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		       501, "Not Implemented", NULL);
	expect_refused("GET / HTTP/1.2\r\n\r\n", 505, "HTTP Version Not Supported", NULL);
}

TEST(server_expect_100_continue)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
		     "Expect: 100-continue\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 100 Continue\r\n\r\n");
	send_str(fd, "body");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nX-Seq: 1\r\nContent-Length: 4\r\n\r\nbody");
	close(fd);
	testsrv_kill();
	expect_refused("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
		       "Expect: something\r\n\r\n", 417, "Expectation Failed", NULL);
}

TEST(server_max_requests_per_connection)
{
	struct ktcp_http_server_config cfg = { .max_requests = 2 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, OK_HELLO);
	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nhello");
	expect_eof(fd);
	close(fd);
}

TEST(server_idle_timeout_closes)
{
	struct ktcp_http_server_config cfg = { .idle_timeout_ms = 100 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, OK_HELLO);
	expect_eof(fd);	/* blocks until the server gives up on us */
	close(fd);
	fd = testsrv_connect("inet", port);
	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n");	/* a request that never ends */
	expect_bytes(fd, "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\n"
		     "Content-Length: 16\r\nConnection: close\r\n\r\nRequest Timeout\n");
	expect_eof(fd);
	close(fd);
}

TEST(server_slow_reader_bounds_the_send_queue)
{
	struct ktcp_http_server_config cfg = { .out_high_water = 65536 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port), i;
	char req[64], *buf;
	size_t total, got = 0, maxq;
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	/* 200 requests for 100 KB each, and read nothing for now */
	snprintf(req, sizeof(req), "GET /big/100000 HTTP/1.1\r\nHost: x\r\n\r\n");
	for (i = 0; i < 200; i++) {
		ASSERT_EQ_INT(poll(&p, 1, 10000), 1);
		send_str(fd, req);
	}
	total = 200 * (100000 + strlen("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
	buf = malloc(1 << 16);
	while (got < total) {
		ssize_t n = recv(fd, buf, 1 << 16, 0);

		if (n <= 0)
			FAIL("recv %zd (%s) after %zu of %zu bytes", n,
			     strerror(errno), got, total);
		got += (size_t)n;
	}
	send_str(fd, "GET /maxq HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: ");
	ASSERT_TRUE(recv(fd, buf, 100, 0) > 0);
	maxq = strtoul(strstr(buf, "\r\n\r\n") + 4, NULL, 10);
	/* at most the high water mark plus one response ever waited */
	ASSERT_TRUE(maxq <= 65536 + 100000 + 100);
	free(buf);
	close(fd);
}

/* ---- WebSocket on the server ---- */

#define WS_REQ "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"	\
	       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"	\
	       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define WS_101 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" \
	       "Connection: Upgrade\r\n"					\
	       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"

static void send_frame(int fd, unsigned int op, int fin, const char *d, size_t n)
{
	struct ktcp_ws_frame f = { .fin = (unsigned int)fin, .opcode = op,
		.masked = 1, .mask = { 1, 2, 3, 4 }, .length = n };
	char buf[256];
	size_t hl = ktcp_ws_frame_build(buf, &f);

	memcpy(buf + hl, d, n);
	ktcp_ws_mask(buf + hl, n, f.mask, 0);
	ASSERT_EQ_INT(send(fd, buf, hl + n, MSG_NOSIGNAL), hl + n);
}

TEST(server_ws_echo_ping_and_close)
{
	int port = testsrv_start("unix", NULL);
	int fd = testsrv_connect("unix", port);

	send_str(fd, WS_REQ "Sec-WebSocket-Protocol: x, echo\r\n\r\n");
	expect_bytes(fd, WS_101 "Sec-WebSocket-Protocol: echo\r\n\r\n");
	send_frame(fd, KTCP_WS_TEXT, 0, "Hel", 3);
	send_frame(fd, KTCP_WS_PING, 1, "pi", 2);
	send_frame(fd, KTCP_WS_CONT, 1, "lo", 2);
	expect_bytes(fd, "\x8a\x02pi\x81\x05Hello");
	send_frame(fd, KTCP_WS_CLOSE, 1, "\x0f\xa0" "bye", 5);
	expect_bytes(fd, "\x88\x02\x0f\xa0");
	expect_eof(fd);
	close(fd);
}

TEST(server_ws_protocol_error_closes_1002)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);
	static const char unmasked[] = "\x81\x01x";

	send_str(fd, WS_REQ "\r\n");
	expect_bytes(fd, WS_101 "\r\n");
	ASSERT_EQ_INT(send(fd, unmasked, 3, 0), 3);
	expect_bytes(fd, "\x88\x02\x03\xea");
	expect_eof(fd);
	close(fd);
}

TEST(server_ws_bad_version_is_426)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
		     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 426 Upgrade Required\r\n"
		     "Sec-WebSocket-Version: 13\r\nContent-Length: 16\r\n\r\n"
		     "Upgrade Required");
	close(fd);
}

TEST(server_many_pipelined_requests_in_one_segment)
{
	int port = testsrv_start("inet", NULL);
	int fd = testsrv_connect("inet", port), i;
	char *req = malloc(300 * 27 + 1), *resp = malloc(300 * 43 + 1);

	req[0] = resp[0] = 0;
	for (i = 0; i < 300; i++) {
		strcat(req, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
		strcat(resp, OK_HELLO);
	}
	send_str(fd, req);
	expect_bytes(fd, resp);
	free(req);
	free(resp);
	close(fd);
}

TEST(server_missing_or_duplicate_host_is_400)
{
	expect_refused("GET / HTTP/1.1\r\n\r\n", 400, "Bad Request", NULL);
	expect_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
		       "Bad Request", NULL);
	expect_refused("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400,
		       "Bad Request", NULL);
}

TEST(server_transfer_encoding_in_http10_is_400)
{
	expect_refused("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "0\r\n\r\n", 400, "Bad Request", NULL);
}

/* A WebSocket client that reads slowly never makes the echo queue grow. */
TEST(server_ws_slow_reader_bounds_the_send_queue)
{
	struct ktcp_http_server_config cfg = { .out_high_water = 65536 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port), n = 64, i;
	size_t msg = 256 * 1024, total = 0, want, maxq;
	char *buf = malloc(65536 + 1);
	pid_t writer;

	send_str(fd, WS_REQ "\r\n");
	expect_bytes(fd, WS_101 "\r\n");
	fflush(stdout);
	writer = fork();
	ASSERT_GE_INT(writer, 0);
	if (writer == 0) {
		struct ktcp_ws_frame f = { .fin = 1, .opcode = KTCP_WS_BINARY,
			.masked = 1, .length = msg };
		char *frame = calloc(1, msg + KTCP_WS_MAX_HEADER);
		size_t hl = ktcp_ws_frame_build(frame, &f);

		for (i = 0; i < n; i++)
			if (send(fd, frame, hl + msg, MSG_NOSIGNAL) != (ssize_t)(hl + msg))
				break;
		/* freed, so that valgrind's exit status stays ours */
		free(frame);
		free(buf);
		_exit(i == n ? 0 : 1);
	}
	/* each echo is a 10-byte header and the payload */
	want = (size_t)n * (msg + 10);
	for (i = 0; total < want; i++) {
		ssize_t r = recv(fd, buf, 4096, 0);

		if (r <= 0)
			FAIL("recv %zd after %zu of %zu bytes", r, total, want);
		total += (size_t)r;
		if (i % 64 == 0)
			usleep(1000);	/* a slow reader */
	}
	ASSERT_EQ_INT(total, want);
	ASSERT_EQ_INT(waitpid(writer, &i, 0), writer);
	ASSERT_TRUE(WIFEXITED(i) && WEXITSTATUS(i) == 0);
	close(fd);
	fd = testsrv_connect("inet", port);
	send_str(fd, "GET /maxq HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: ");
	ASSERT_TRUE(recv(fd, buf, 100, 0) > 0);
	maxq = strtoul(strstr(buf, "\r\n\r\n") + 4, NULL, 10);
	/* the high-water mark plus one echo, never more */
	if (maxq > 65536 + msg + 10)
		FAIL("send queue reached %zu bytes", maxq);
	ASSERT_TRUE(maxq >= msg);
	free(buf);
	close(fd);
}

TEST(server_date_header_when_asked)
{
	struct ktcp_http_server_config cfg = { .send_date = 1 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);
	char buf[256] = { 0 }, day[4], mon[4], tz[4];
	int d, y, h, m, sec;
	size_t got = 0;

	send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nDate: ");
	while (!strstr(buf, "hello")) {
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		ASSERT_TRUE(r > 0);
		got += (size_t)r;
	}
	/* IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" */
	ASSERT_EQ_INT(sscanf(buf, "%3s, %2d %3s %4d %2d:%2d:%2d %3s", day, &d, mon,
			     &y, &h, &m, &sec, tz), 8);
	ASSERT_STR(tz, "GMT");
	ASSERT_TRUE(buf[3] == ',' && buf[29] == '\r');
	ASSERT_TRUE(strstr(buf, "\r\nContent-Length: 5\r\n\r\nhello"));
	close(fd);
}

TEST(server_streams_request_bodies_to_the_handler)
{
	struct ktcp_http_server_config cfg = { .stream_bodies = 1 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "POST /streamed HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhel");
	send_str(fd, "lo ");
	send_str(fd, "world");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nX-Body-Status: 1\r\nContent-Length: 11\r\n\r\n"
		     "hello world");
	send_str(fd, "POST /streamed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "3\r\nabc\r\n");
	send_str(fd, "2\r\nde\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nX-Body-Status: 1\r\nContent-Length: 5\r\n\r\n"
		     "abcde" OK_HELLO);
	/* a body-less request takes the ordinary path */
	send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nX-Seq: 4\r\nContent-Length: 0\r\n\r\n");
	close(fd);
}

TEST(server_streamed_body_answered_early_closes)
{
	struct ktcp_http_server_config cfg = { .stream_bodies = 1 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nearly");
	expect_eof(fd);
	close(fd);
}

TEST(server_streamed_bad_chunk_gets_400_and_close)
{
	struct ktcp_http_server_config cfg = { .stream_bodies = 1 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "POST /streamed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "3\r\nabc\r\nzz\r\n");
	/* the server's 400, not the handler's echo: it answered later */
	expect_bytes(fd, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
		     "Content-Length: 12\r\nConnection: close\r\n\r\nBad Request\n");
	expect_eof(fd);
	close(fd);
	/* and the handler heard why */
	fd = testsrv_connect("inet", port);
	send_str(fd, "GET /bodyerr HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n-74");
	close(fd);
}

TEST(server_streamed_bad_chunk_after_the_response_began_closes)
{
	struct ktcp_http_server_config cfg = { .stream_bodies = 1 };
	int port = testsrv_start("inet", &cfg);
	int fd = testsrv_connect("inet", port);

	send_str(fd, "POST /streamed-started HTTP/1.1\r\nHost: x\r\n"
		     "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
	/* no 400 inside a response: it ends, and the close says the rest */
	expect_bytes(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "1\r\nx\r\n3\r\nabc\r\n0\r\n\r\n");
	expect_eof(fd);
	close(fd);
}

/* ---- abuse: each abuser is answered and cut off, others are served ---- */

static uint64_t test_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* GET @path on the keep-alive connection @fd; its body as a number. */
static long long get_number(int fd, const char *path)
{
	char req[128], buf[4096];
	size_t got = 0;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	send_str(fd, req);
	for (;;) {
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		const char *end, *cl;

		if (r <= 0)
			FAIL("GET %s: recv %zd after \"%.*s\"", path, r, (int)got, buf);
		got += (size_t)r;
		buf[got] = 0;
		end = strstr(buf, "\r\n\r\n");
		cl = strstr(buf, "Content-Length: ");
		if (end && cl && got >= (size_t)(end + 4 - buf) +
					 strtoul(cl + 16, NULL, 10))
			break;
	}
	if (strncmp(buf, "HTTP/1.1 200 ", 13))
		FAIL("GET %s: %s", path, buf);
	return strtoll(strstr(buf, "\r\n\r\n") + 4, NULL, 10);
}

static void expect_error(int fd, int status, const char *reason)
{
	char expect[512];

	snprintf(expect, sizeof(expect),
		 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		 status, reason, strlen(reason) + 1, reason);
	expect_bytes(fd, expect);
}

#define TIMEOUT_408(fd) do {						\
		expect_error(fd, 408, "Request Timeout");		\
		expect_eof(fd);						\
	} while (0)

/*
 * Send @piece to @fd every 50 ms until it has something to read; the
 * good connection makes a request each time meanwhile.  Fails after
 * 1.5 s: the deadlines under test are 300 ms.
 */
static void dribble_until_answered(int fd, const char *piece, int good)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t start = test_ms();

	while (poll(&p, 1, 50) == 0) {
		if (test_ms() - start > 1500)
			FAIL("still no answer after dribbling for 1.5 s");
		send(fd, piece, strlen(piece), MSG_NOSIGNAL);
		send_str(good, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
		expect_bytes(good, OK_HELLO);
	}
}

/* Slowloris: a head dribbled in, each piece well within the idle timeout. */
TEST(server_head_deadline_answers_a_dribbled_head_408)
{
	struct ktcp_http_server_config cfg = { .head_timeout_ms = 300,
					       .idle_timeout_ms = 10000 };
	int port = testsrv_start("inet", &cfg);
	int slow = testsrv_connect("inet", port);
	int good = testsrv_connect("inet", port);

	send_str(slow, "GET / HTTP/1.1\r\nHost: x\r\n");
	dribble_until_answered(slow, "X-A: b\r\n", good);
	TIMEOUT_408(slow);
	close(slow);
	/* a head in pieces that comes in time is served */
	send_str(good, "GET / HTTP/1.1\r\n");
	usleep(20000);
	send_str(good, "Host: x\r\n");
	usleep(20000);
	send_str(good, "\r\n");
	expect_bytes(good, OK_HELLO);
	close(good);
}

TEST(server_body_rate_answers_a_dribbled_body_408)
{
	struct ktcp_http_server_config cfg = { .body_timeout_ms = 300,
					       .body_min_rate = 1000,
					       .idle_timeout_ms = 10000 };
	int port = testsrv_start("inet", &cfg);
	int slow = testsrv_connect("inet", port);
	int good = testsrv_connect("inet", port);

	/* 20 bytes a second against 1000 required */
	send_str(slow, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
	dribble_until_answered(slow, "b", good);
	TIMEOUT_408(slow);
	close(slow);
	slow = testsrv_connect("inet", port);
	send_str(slow, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	dribble_until_answered(slow, "1\r\nb\r\n", good);
	TIMEOUT_408(slow);
	close(slow);
	/* a body that comes in time is served */
	send_str(good, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbo");
	usleep(50000);
	send_str(good, "dy");
	expect_bytes(good, "HTTP/1.1 200 OK\r\nX-Seq: ");
	close(good);
}

TEST(server_body_rate_fails_a_dribbled_streamed_body)
{
	struct ktcp_http_server_config cfg = { .body_timeout_ms = 300,
					       .body_min_rate = 1000,
					       .idle_timeout_ms = 10000,
					       .stream_bodies = 1 };
	int port = testsrv_start("inet", &cfg);
	int slow = testsrv_connect("inet", port);
	int good = testsrv_connect("inet", port);

	send_str(slow, "POST /streamed HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
	dribble_until_answered(slow, "b", good);
	TIMEOUT_408(slow);
	close(slow);
	/* the handler heard why */
	ASSERT_EQ_INT(get_number(good, "/bodyerr"), -ETIMEDOUT);
	close(good);
}

static long long cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/*
 * Spin for @ms of wall time; returns the CPU time that got us, which
 * is what a spinning server would get on this machine now, however
 * loaded it is.
 */
static long long spin_for(unsigned int ms)
{
	long long cpu = cpu_us();
	uint64_t start = test_ms();

	while (test_ms() - start < ms)
		;
	return cpu_us() - cpu;
}

/*
 * Out of descriptors (RLIMIT_NOFILE lowered for the server), the
 * listener stays readable: the server must neither spin on EMFILE nor
 * leave the clients it cannot take hanging, and must serve again once
 * descriptors are free.
 */
TEST(server_out_of_descriptors_neither_spins_nor_leaves_clients_hanging)
{
	struct ktcp_http_server_config cfg = { .idle_timeout_ms = 10000 };
	struct pollfd p = { .events = POLLIN };
	struct rlimit old, low;
	int hogs[24], good, port, i, shed = 0;
	long long cpu0, cpu1, spinner;
	uint64_t t0;
	char buf[64];

	ASSERT_EQ_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 16;
	ASSERT_EQ_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
	port = testsrv_start("inet", &cfg);	/* inherits the low limit */
	ASSERT_EQ_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
	good = testsrv_connect("inet", port);
	ASSERT_EQ_INT(get_number(good, "/conns"), 1);
	for (i = 0; i < 24; i++)
		hogs[i] = testsrv_connect("inet", port);
	usleep(100000);
	/*
	 * The server holds what it can take and must be idle meanwhile:
	 * a quarter of a spinner's CPU at most (and 5 ms, for noise).
	 */
	cpu0 = get_number(good, "/cpu");
	spinner = spin_for(500);
	cpu1 = get_number(good, "/cpu");
	if (cpu1 - cpu0 > 5000 && (cpu1 - cpu0) * 4 > spinner)
		FAIL("the server used %lld us of CPU while a spinner got %lld",
		     cpu1 - cpu0, spinner);
	/* those it could not take were told so */
	for (i = 0; i < 24; i++) {
		p.fd = hogs[i];
		if (poll(&p, 1, 0) == 1 && recv(hogs[i], buf, 12, 0) == 12 &&
		    !memcmp(buf, "HTTP/1.1 503", 12))
			shed++;
	}
	ASSERT_GE_INT(shed, 1);
	for (i = 0; i < 24; i++)
		close(hogs[i]);
	/*
	 * Descriptors back: served again.  The closed clients still queued
	 * ahead take descriptors until their ends are seen, so a 503 may
	 * come first; a client tries again then.
	 */
	t0 = test_ms();
	for (;;) {
		int fd = testsrv_connect("inet", port);

		p.fd = fd;
		send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
		ASSERT_EQ_INT(poll(&p, 1, 2000), 1);
		ASSERT_EQ_INT(recv(fd, buf, 12, MSG_PEEK), 12);
		if (memcmp(buf, "HTTP/1.1 503", 12)) {
			expect_bytes(fd, OK_HELLO);
			send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
			expect_bytes(fd, OK_HELLO);
			close(fd);
			break;
		}
		close(fd);
		if (test_ms() - t0 > 2000)
			FAIL("still 503 2 s after descriptors were freed");
		usleep(20000);
	}
	close(good);
}

TEST(server_connection_cap_pauses_and_resumes_accepting)
{
	struct ktcp_http_server_config cfg = { .max_connections = 2 };
	int port = testsrv_start("inet", &cfg);
	int a = testsrv_connect("inet", port), b = testsrv_connect("inet", port);
	int c = testsrv_connect("inet", port);
	struct pollfd p = { .fd = c, .events = POLLIN };

	ASSERT_EQ_INT(get_number(a, "/conns"), 2);
	send_str(b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(b, OK_HELLO);
	/* the third waits in the backlog */
	send_str(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	ASSERT_EQ_INT(poll(&p, 1, 300), 0);
	ASSERT_EQ_INT(get_number(a, "/conns"), 2);
	/* until one closes */
	close(b);
	ASSERT_EQ_INT(poll(&p, 1, 2000), 1);
	expect_bytes(c, OK_HELLO);
	ASSERT_EQ_INT(get_number(a, "/conns"), 2);
	close(a);
	close(c);
}

static void ws_open(int fd)
{
	send_str(fd, WS_REQ "\r\n");
	expect_bytes(fd, WS_101 "\r\n");
}

/* A frame header is 14 bytes; what it declares must not be allocated. */
TEST(server_huge_declared_ws_frames_cost_no_memory)
{
	int port = testsrv_start("inet", NULL);
	int http = testsrv_connect("inet", port);
	int good = testsrv_connect("inet", port), bad[8], fd, i;
	char frame[KTCP_WS_MAX_HEADER + 1000];
	struct ktcp_ws_frame f = { .fin = 1, .opcode = KTCP_WS_BINARY,
				   .masked = 1, .length = 16u << 20 };
	size_t hl = ktcp_ws_frame_build(frame, &f);
	long long mem0, mem1;

	ws_open(good);
	send_frame(good, KTCP_WS_TEXT, 1, "hi", 2);
	expect_bytes(good, "\x81\x02hi");
	mem0 = get_number(http, "/mem");
	memset(frame + hl, 'z', 1000);
	for (i = 0; i < 8; i++) {
		bad[i] = testsrv_connect("inet", port);
		ws_open(bad[i]);
		ASSERT_EQ_INT(send(bad[i], frame, hl + 1000, 0), hl + 1000);
	}
	/* the loop iteration that answers the first has read them all */
	get_number(http, "/mem");
	mem1 = get_number(http, "/mem");
	if (mem1 - mem0 > 8 << 20)
		FAIL("8 frames declaring 16 MiB took %lld bytes", mem1 - mem0);
	/* past the message limit: 1009 at once */
	fd = testsrv_connect("inet", port);
	ws_open(fd);
	f.length = 1ull << 40;
	hl = ktcp_ws_frame_build(frame, &f);
	ASSERT_EQ_INT(send(fd, frame, hl, 0), hl);
	expect_bytes(fd, "\x88\x02\x03\xf1");
	expect_eof(fd);
	close(fd);
	send_frame(good, KTCP_WS_TEXT, 1, "ok", 2);
	expect_bytes(good, "\x81\x02ok");
	for (i = 0; i < 8; i++)
		close(bad[i]);
	close(good);
	close(http);
}

#define CHUNKED_POST "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

/* Each line within its limit, but together past the head's 16 KiB. */
TEST(server_chunk_extensions_and_trailers_count_in_total)
{
	int port = testsrv_start("inet", NULL);
	int good = testsrv_connect("inet", port), fd, i;
	char *req = malloc(64 * 1024), line[1100];

	send_str(good, CHUNKED_POST "3;a=b\r\nabc\r\n0\r\nX-T: 1\r\n\r\n");
	expect_bytes(good, "HTTP/1.1 200 OK\r\nX-Seq: 1\r\nContent-Length: 3\r\n\r\nabc");

	/* 20 extensions of 1000 bytes */
	strcpy(req, CHUNKED_POST);
	memset(line, 'e', 1000);
	line[1000] = 0;
	for (i = 0; i < 20; i++)
		sprintf(req + strlen(req), "1;e=%s\r\nx\r\n", line);
	strcat(req, "0\r\n\r\n");
	fd = testsrv_connect("inet", port);
	send_str(fd, req);
	expect_error(fd, 413, "Content Too Large");
	expect_eof(fd);
	close(fd);

	/* a trailer section of 20 fields of 1000 bytes */
	strcpy(req, CHUNKED_POST "1\r\nx\r\n0\r\n");
	for (i = 0; i < 20; i++)
		sprintf(req + strlen(req), "X-T: %s\r\n", line);
	strcat(req, "\r\n");
	fd = testsrv_connect("inet", port);
	send_str(fd, req);
	expect_error(fd, 431, "Request Header Fields Too Large");
	expect_eof(fd);
	close(fd);

	/* more trailer fields than a head may have */
	strcpy(req, CHUNKED_POST "1\r\nx\r\n0\r\n");
	for (i = 0; i < 100; i++)
		strcat(req, "X-N: 1\r\n");
	strcat(req, "\r\n");
	fd = testsrv_connect("inet", port);
	send_str(fd, req);
	expect_error(fd, 431, "Request Header Fields Too Large");
	expect_eof(fd);
	close(fd);

	send_str(good, CHUNKED_POST "2;q\r\nde\r\n0\r\n\r\n");
	expect_bytes(good, "HTTP/1.1 200 OK\r\nX-Seq: 2\r\nContent-Length: 2\r\n\r\nde");
	free(req);
	close(good);
}

/*
 * Send @data again and again, pieces cut anywhere, and never read,
 * until the server cuts us off (3 s at most: it should after 300 ms
 * of taking nothing).  Writing on keeps its queue from running dry.
 */
static void stuff_until_cut_off(int fd, const char *data, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	uint64_t start = test_ms();
	size_t off = 0;

	for (;;) {
		ssize_t n = send(fd, data + off, len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			off = (off + (size_t)n) % len;
			continue;
		}
		if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
			return;
		if (n < 0 && errno != EAGAIN)
			FAIL("send: %s", strerror(errno));
		if (test_ms() - start > 3000)
			FAIL("not cut off after 3 s of never reading");
		poll(&p, 1, 100);
	}
}

/* Wait (2 s at most) for the server to have @n connections. */
static void expect_connections(int fd, long long n)
{
	uint64_t start = test_ms();
	long long now;

	while ((now = get_number(fd, "/conns")) != n) {
		if (test_ms() - start > 2000)
			FAIL("%lld connections after 2 s, expected %lld", now, n);
		usleep(50000);
	}
}

TEST(server_cuts_off_a_ws_client_that_never_reads)
{
	struct ktcp_http_server_config cfg = { .send_timeout_ms = 300,
					       .out_high_water = 65536 };
	int port = testsrv_start("inet", &cfg);
	int good = testsrv_connect("inet", port), bad, small = 4096;
	struct ktcp_ws_frame f = { .fin = 1, .opcode = KTCP_WS_BINARY,
				   .masked = 1, .length = 65536 };
	char *frame = calloc(1, 65536 + KTCP_WS_MAX_HEADER);
	size_t hl = ktcp_ws_frame_build(frame, &f);

	bad = testsrv_connect("inet", port);
	setsockopt(bad, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	ws_open(bad);
	/* echoes pile up until the server stops reading us */
	stuff_until_cut_off(bad, frame, hl + 65536);
	expect_connections(good, 1);
	free(frame);
	close(bad);
	close(good);
}

TEST(server_cuts_off_an_http_client_that_never_reads)
{
	struct ktcp_http_server_config cfg = { .send_timeout_ms = 300,
					       .idle_timeout_ms = 10000,
					       .out_high_water = 65536 };
	static const char req[] = "GET /big/100000 HTTP/1.1\r\nHost: x\r\n\r\n";
	int port = testsrv_start("inet", &cfg);
	int good = testsrv_connect("inet", port);
	int bad = testsrv_connect("inet", port), small = 4096;

	setsockopt(bad, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	stuff_until_cut_off(bad, req, strlen(req));
	expect_connections(good, 1);
	close(bad);
	close(good);
}

/* The server's budget is shared: one client cannot take all of it. */
TEST(server_memory_budget_answers_503)
{
	struct ktcp_http_server_config cfg = { .memory_max = 1u << 20 };
	int port = testsrv_start("inet", &cfg);
	int good = testsrv_connect("inet", port);
	int bad = testsrv_connect("inet", port), status;
	size_t big = 4u << 20, mid = 200000;
	char *body = malloc(big);
	pid_t writer;

	memset(body, 'b', big);
	send_str(good, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_bytes(good, OK_HELLO);
	fflush(stdout);
	writer = fork();
	ASSERT_GE_INT(writer, 0);
	if (writer == 0) {
		send_str(bad, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n");
		send(bad, body, big, MSG_NOSIGNAL);
		free(body);
		_exit(0);
	}
	expect_error(bad, 503, "Service Unavailable");
	expect_eof(bad);
	kill(writer, SIGKILL);
	ASSERT_EQ_INT(waitpid(writer, &status, 0), writer);
	close(bad);
	/* what it held is back: a body within the budget is fine */
	send_str(good, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n");
	ASSERT_EQ_INT(send(good, body, mid, MSG_NOSIGNAL), mid);
	expect_bytes(good, "HTTP/1.1 200 OK\r\nX-Seq: 2\r\nContent-Length: 200000\r\n\r\n");
	free(body);
	close(good);
}
