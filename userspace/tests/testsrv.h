/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A test server for the server and client tests: forks a child that
 * runs a struct ktcp_http_server on a fresh listening socket, killed
 * when the test ends.  Also raw-socket helpers to assert exact bytes.
 *
 *   /echo       200 with the request body; X-Seq: request number
 *   /stream     chunked: "a", "bb", "ccc"
 *   /big/N      N bytes of 'x'
 *   /maxq       the largest send queue seen so far, in decimal
 *   /streamed   a streamed body, echoed once complete, with X-Body-Status
 *   /streamed-started  the same, behind a chunked response begun at once
 *   /bodyerr    the last error a streamed body failed with, in decimal
 *   /ws         WebSocket echo (max message 20 MiB)
 *   /cpu        the server's CPU time so far (getrusage), in microseconds
 *   /mem        bytes the server's malloc holds (mallinfo2)
 *   /conns      the server's open connections
 *   /flooded    "SENT REFUSED" of the WebSocket "flood" so far
 *   other       200 "hello"
 */
#ifndef KTCP_TESTS_TESTSRV_H
#define KTCP_TESTS_TESTSRV_H

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ktcp/addr.h>
#include <ktcp/server.h>

#include "harness.h"

static size_t testsrv_maxq;
static int testsrv_flood_sent, testsrv_flood_refused;
static int testsrv_body_error;
static pid_t testsrv_pid;
static struct ktcp_http_server *testsrv_srv;
static char testsrv_path[256];

static void testsrv_note_queue(struct ktcp_http_req *req)
{
	if (ktcp_http_resp_queued(req) > testsrv_maxq)
		testsrv_maxq = ktcp_http_resp_queued(req);
}

struct testsrv_acc {
	char *buf;
	size_t len;
	int calls, status;
	int started;	/* the response began before the body */
};

/* Streamed bodies: collect, and echo the body back once complete. */
static void testsrv_on_body(struct ktcp_http_req *req, const void *d,
			    size_t len, int status, void *arg)
{
	struct testsrv_acc *a = arg;
	char buf[32];

	a->buf = realloc(a->buf, a->len + len + 1);
	if (len)
		memcpy(a->buf + a->len, d, len);
	a->len += len;
	a->calls++;
	if (status == 0)
		return;
	if (status < 0)
		testsrv_body_error = status;
	if (a->started) {
		ktcp_http_resp_write(req, a->buf, a->len);
		ktcp_http_resp_end(req);
		free(a->buf);
		free(a);
		return;
	}
	snprintf(buf, sizeof(buf), "%d", status);
	ktcp_http_resp_header(req, "X-Body-Status", buf);
	ktcp_http_resp_send(req, status == 1 ? 200 : 400, a->buf, a->len);
	free(a->buf);
	free(a);
}

static void testsrv_handler(struct ktcp_http_req *req, void *arg)
{
	const struct ktcp_http_request *h = ktcp_http_req_head(req);
	char buf[64];
	size_t len;
	const void *body = ktcp_http_req_body(req, &len);

	(void)arg;
	if (h->target_len == 5 && !memcmp(h->target, "/echo", 5)) {
		snprintf(buf, sizeof(buf), "%u", ktcp_http_req_seq(req));
		ktcp_http_resp_header(req, "X-Seq", buf);
		ktcp_http_resp_send(req, 200, body, len);
	} else if (h->target_len == 7 && !memcmp(h->target, "/stream", 7)) {
		ktcp_http_resp_start(req, 200, -1);
		ktcp_http_resp_write(req, "a", 1);
		ktcp_http_resp_write(req, "bb", 2);
		ktcp_http_resp_write(req, "ccc", 3);
		ktcp_http_resp_end(req);
	} else if (h->target_len > 5 && !memcmp(h->target, "/big/", 5)) {
		size_t n = strtoul(h->target + 5, NULL, 10);
		char *p = malloc(n + 1);

		memset(p, 'x', n);
		ktcp_http_resp_start(req, 200, (int64_t)n);
		ktcp_http_resp_write(req, p, n);
		testsrv_note_queue(req);
		ktcp_http_resp_end(req);
		free(p);
	} else if (h->target_len == 9 && !memcmp(h->target, "/streamed", 9)) {
		ktcp_http_req_on_body(req, testsrv_on_body,
				      calloc(1, sizeof(struct testsrv_acc)));
	} else if (h->target_len == 17 &&
		   !memcmp(h->target, "/streamed-started", 17)) {
		struct testsrv_acc *a = calloc(1, sizeof(*a));

		a->started = 1;
		ktcp_http_resp_start(req, 200, -1);
		ktcp_http_resp_write(req, "x", 1);
		ktcp_http_req_on_body(req, testsrv_on_body, a);
	} else if (h->target_len == 8 && !memcmp(h->target, "/bodyerr", 8)) {
		snprintf(buf, sizeof(buf), "%d", testsrv_body_error);
		ktcp_http_resp_send(req, 200, buf, strlen(buf));
	} else if (h->target_len == 6 && !memcmp(h->target, "/early", 6)) {
		ktcp_http_resp_send(req, 200, "early", 5);
	} else if (h->target_len == 4 && !memcmp(h->target, "/cpu", 4)) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
			 ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		ktcp_http_resp_send(req, 200, buf, strlen(buf));
	} else if (h->target_len == 4 && !memcmp(h->target, "/mem", 4)) {
		struct mallinfo2 mi = mallinfo2();

		snprintf(buf, sizeof(buf), "%zu", mi.uordblks + mi.hblkhd);
		ktcp_http_resp_send(req, 200, buf, strlen(buf));
	} else if (h->target_len == 6 && !memcmp(h->target, "/conns", 6)) {
		snprintf(buf, sizeof(buf), "%zu",
			 ktcp_http_server_connections(testsrv_srv));
		ktcp_http_resp_send(req, 200, buf, strlen(buf));
	} else if (h->target_len == 8 && !memcmp(h->target, "/flooded", 8)) {
		snprintf(buf, sizeof(buf), "%d %d", testsrv_flood_sent,
			 testsrv_flood_refused);
		ktcp_http_resp_send(req, 200, buf, strlen(buf));
	} else if (h->target_len == 5 && !memcmp(h->target, "/maxq", 5)) {
		snprintf(buf, sizeof(buf), "%zu", testsrv_maxq);
		ktcp_http_resp_send(req, 200, buf, strlen(buf));
	} else if (h->target_len == 3 && !memcmp(h->target, "/ws", 3) &&
		   ktcp_ws_is_upgrade(h)) {
		ktcp_http_ws_accept(req, NULL);
	} else {
		ktcp_http_resp_send(req, 200, "hello", 5);
	}
}

static void testsrv_ws_message(struct ktcp_ws *ws, unsigned int op,
			       const void *d, size_t len, void *arg)
{
	int i;

	(void)arg;
	/* "flood": 400 messages of 64 KiB at once; "count": how it went */
	if (op == KTCP_WS_TEXT && len == 5 && !memcmp(d, "flood", 5)) {
		char *big = malloc(65536);

		for (i = 0; i < 400; i++) {
			memset(big, i, 65536);
			if (ktcp_ws_send(ws, KTCP_WS_BINARY, big, 65536))
				testsrv_flood_refused++;
			else
				testsrv_flood_sent++;
		}
		free(big);
		return;
	}
	if (op == KTCP_WS_TEXT && len == 5 && !memcmp(d, "count", 5)) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%d %d", testsrv_flood_sent,
			 testsrv_flood_refused);
		ktcp_ws_send(ws, KTCP_WS_TEXT, buf, strlen(buf));
		return;
	}
	ktcp_ws_send(ws, op, d, len);
	if (ktcp_http_ws_queued(ws) > testsrv_maxq)
		testsrv_maxq = ktcp_http_ws_queued(ws);
}

static void testsrv_kill(void)
{
	if (testsrv_pid > 0) {
		kill(testsrv_pid, SIGKILL);
		waitpid(testsrv_pid, NULL, 0);
		testsrv_pid = 0;
	}
}

/*
 * Start a server for @family ("inet", "inet6", "unix") with @cfg's
 * limits and timeouts (handler and WebSocket callbacks are set here).
 * Returns the port (0 for unix; then testsrv_path is the socket).
 */
static int testsrv_start(const char *family,
			 const struct ktcp_http_server_config *cfg)
{
	static const char *const protos[] = { "echo" };
	static const struct ktcp_ws_server_policy pol = {
		.protocols = protos, .num_protocols = 1,
	};
	struct ktcp_http_server_config c = { 0 };
	const char *host = !strcmp(family, "inet6") ? "::1" : "127.0.0.1";
	int lfd, port = 0;
	pid_t parent;

	if (cfg)
		c = *cfg;
	c.handler = testsrv_handler;
	c.ws_message = testsrv_ws_message;
	c.ws_policy = &pol;
	if (!c.ws_max_message)
		c.ws_max_message = 20u << 20;
	if (!strcmp(family, "unix")) {
		snprintf(testsrv_path, sizeof(testsrv_path), "%s/sock",
			 harness_tmpdir());
		host = testsrv_path;
	}
	lfd = ktcp_addr_listen(family, host, 0, 64, SOCK_CLOEXEC);
	ASSERT_GE_INT(lfd, 0);
	if (strcmp(family, "unix"))
		port = ktcp_addr_port(lfd);
	fflush(stdout);
	fflush(stderr);
	parent = getpid();
	testsrv_pid = fork();
	ASSERT_GE_INT(testsrv_pid, 0);
	if (testsrv_pid == 0) {
		struct ktcp_loop *loop = ktcp_loop_new();
		struct ktcp_http_server *srv;

		/* die with the test, even if it died before this line */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		srv = ktcp_http_server_new(loop, lfd, &c);

		if (!srv)
			_exit(3);
		testsrv_srv = srv;
		ktcp_loop_run(loop);
		_exit(0);
	}
	close(lfd);
	atexit(testsrv_kill);
	return port;
}

static int testsrv_connect(const char *family, int port)
{
	const char *host = !strcmp(family, "unix") ? testsrv_path :
			   !strcmp(family, "inet6") ? "::1" : "127.0.0.1";
	int fd = ktcp_addr_connect(family, host, (unsigned short)port,
				   SOCK_CLOEXEC);

	ASSERT_GE_INT(fd, 0);
	return fd;
}

__attribute__((unused)) static void send_str(int fd, const char *s)
{
	size_t n = strlen(s);

	ASSERT_EQ_INT(send(fd, s, n, MSG_NOSIGNAL), n);
}

/* Read exactly strlen(@expect) bytes and compare. */
__attribute__((unused)) static void expect_bytes(int fd, const char *expect)
{
	size_t n = strlen(expect), got = 0;
	char *buf = malloc(n + 1);

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);

		if (r <= 0) {
			buf[got] = 0;
			FAIL("short read (%zd) after \"%s\", expected \"%s\"", r,
			     buf, expect);
		}
		got += (size_t)r;
	}
	buf[n] = 0;
	if (memcmp(buf, expect, n))
		FAIL("got \"%s\", expected \"%s\"", buf, expect);
	free(buf);
}

/* The peer closes: the next read returns 0. */
__attribute__((unused)) static void expect_eof(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, 0);

	if (r != 0)
		FAIL("expected EOF, got %zd (%c)", r, r > 0 ? c : '?');
}

#endif /* KTCP_TESTS_TESTSRV_H */
