// SPDX-License-Identifier: GPL-2.0
/*
 * The WebSocket anchor of bench/run.sh: an echo server on wslay's
 * event API (libwslay, Debian's libwslay-dev), the C library a server
 * author would otherwise pick.  One thread, poll(), non-blocking
 * sockets, every message sent back as it came (text or binary); as
 * the example ws_server of libktcp does for the same load.
 *
 *   wslay_echo PORT      listens on 127.0.0.1:PORT (0: any), prints
 *                        "listening on PORT"
 *
 * Only the opening handshake uses libktcp (its parser and
 * ktcp_ws_accept_key()): it happens once per connection and is not
 * what the bench measures.  wslay checks neither UTF-8 nor the Origin:
 * it does less per message than libktcp's server.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include <ktcp/addr.h>
#include <ktcp/http.h>
#include <ktcp/ws.h>

#define MAX_CONNS	64

struct conn {
	int fd;
	wslay_event_context_ptr ctx;	/* NULL: handshake not done */
	char head[4096];
	size_t head_len;
};

static struct conn conns[MAX_CONNS];

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
		       int flags, void *arg)
{
	struct conn *c = arg;
	ssize_t n = recv(c->fd, buf, len, 0);

	(void)flags;
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data,
		       size_t len, int flags, void *arg)
{
	struct conn *c = arg;
	ssize_t n = send(c->fd, data, len,
			 MSG_NOSIGNAL | (flags & WSLAY_MSG_MORE ? MSG_MORE : 0));

	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static void on_msg(wslay_event_context_ptr ctx,
		   const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct wslay_event_msg echo = { m->opcode, m->msg, m->msg_length };

	(void)arg;
	if (!wslay_is_ctrl_frame(m->opcode))
		wslay_event_queue_msg(ctx, &echo);
}

static const struct wslay_event_callbacks callbacks = {
	.recv_callback = on_recv,
	.send_callback = on_send,
	.on_msg_recv_callback = on_msg,
};

static void drop(struct conn *c)
{
	if (c->ctx)
		wslay_event_context_free(c->ctx);
	close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Read the upgrade request and answer 101; 0 while it is incomplete. */
static int handshake(struct conn *c)
{
	struct ktcp_http_header h[32];
	struct ktcp_http_request req = { .headers = h, .num_headers = 32 };
	char resp[256], accept[29];
	ssize_t n = recv(c->fd, c->head + c->head_len,
			 sizeof(c->head) - c->head_len, 0);
	int ret, k, len;

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	c->head_len += (size_t)n;
	ret = ktcp_http_parse_request(c->head, c->head_len, &req, NULL);
	if (ret == -EAGAIN)
		return 0;
	k = ret < 0 ? -1 : ktcp_http_find_header(h, req.num_headers,
						 "Sec-WebSocket-Key", 0);
	if (k < 0 || (size_t)ret != c->head_len)
		return -1;
	ktcp_ws_accept_key(h[k].value, h[k].value_len, accept);
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		       accept);
	if (send(c->fd, resp, (size_t)len, MSG_NOSIGNAL) != len)
		return -1;
	if (wslay_event_context_server_init(&c->ctx, &callbacks, c))
		return -1;
	return 1;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CONNS + 1];
	int lfd, i;

	signal(SIGPIPE, SIG_IGN);
	lfd = ktcp_addr_listen("inet", "127.0.0.1",
			       (unsigned short)(argc > 1 ? atoi(argv[1]) : 0), 128,
			       SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (lfd < 0) {
		fprintf(stderr, "listen: %s\n", strerror(-lfd));
		return 1;
	}
	printf("listening on %d\n", ktcp_addr_port(lfd));
	fflush(stdout);
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			pfd[i + 1].fd = c->fd;
			pfd[i + 1].events = !c->ctx ? POLLIN :
				(wslay_event_want_read(c->ctx) ? POLLIN : 0) |
				(wslay_event_want_write(c->ctx) ? POLLOUT : 0);
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, MAX_CONNS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			for (i = 0; fd >= 0 && i < MAX_CONNS && conns[i].fd >= 0; i++)
				;
			if (fd >= 0 && i == MAX_CONNS)
				close(fd);
			else if (fd >= 0)
				conns[i].fd = fd;
		}
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			short ev = pfd[i + 1].revents;

			if (c->fd < 0 || pfd[i + 1].fd != c->fd || !ev)
				continue;
			if (!c->ctx) {
				if (handshake(c) < 0)
					drop(c);
				continue;
			}
			if (((ev & (POLLIN | POLLHUP | POLLERR)) &&
			     wslay_event_recv(c->ctx)) ||
			    wslay_event_send(c->ctx) ||
			    (!wslay_event_want_read(c->ctx) &&
			     !wslay_event_want_write(c->ctx)))
				drop(c);
		}
	}
}
