// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: HTTP/1.1 and WebSocket server; see include/ktcp/server.h.
 *
 * A connection is a small state machine:
 *
 *   HEAD -> BODY -> HANDLER -> HEAD ...     (keep-alive, pipelining)
 *                           -> WS           (after an upgrade)
 *   any  -> LINGER -> closed                (after the last response:
 *                                            shut down writing, drain)
 *
 * A connection is freed only when no callback of it is running (busy)
 * and no response is in progress, so that a handler's struct
 * ktcp_http_req stays valid until it ends the response, even if the
 * peer went away meanwhile.
 */
#define _GNU_SOURCE	/* accept4() */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/server.h>

#define LINGER_MS	2000
#define WS_CLOSE_MS	5000
#define READ_CHUNK	65536
#define FLUSH_NOW	65536	/* queued bytes that are sent right away */
#define OUT_BASE	16384	/* a send queue's first buffer */
/* buffers bigger than this are given back once they are empty */
#define KEEP_MAX	65536
/*
 * After accept4() failed for want of descriptors or memory: long enough
 * that a persisting shortage costs no CPU, short enough that waiting
 * clients are shed or served soon.
 */
#define ACCEPT_RETRY_MS	100
/* file pieces waiting at once; each holds a descriptor */
#define MAX_FILE_PIECES	64

/*
 * C_STREAM: the handler runs while the request body still arrives
 * (stream_bodies); it becomes C_HANDLER once the body is complete.
 */
enum conn_state { C_HEAD, C_BODY, C_STREAM, C_HANDLER, C_WS, C_LINGER };

struct conn;

/*
 * A piece of a file that ktcp_http_resp_sendfile() queued: it goes out
 * with sendfile() once the queue's bytes before @at are sent, and the
 * bytes queued after it wait for it, so that order is kept without
 * copying the file into memory.
 */
struct out_file {
	size_t at;		/* offset in conn.out it comes before */
	int fd;			/* our duplicate, closed once sent */
	off_t off;
	uint64_t left;
};

struct ktcp_http_req {
	struct conn *c;
	struct ktcp_http_request head;
	const char *body;
	size_t body_len;
	unsigned int seq;
	int active;		/* handler called, response not ended */
	int started;		/* head sent */
	int answered;		/* the server answered for the handler */
	int no_body;		/* HEAD request, or 1xx/204/304 */
	int chunked;
	int64_t cl_left;	/* bytes the Content-Length still allows, -1: none */
	char *hdrs;		/* extra header lines */
	size_t hdrs_len, hdrs_cap;
	void (*drain)(struct ktcp_http_req *req, void *arg);
	void *drain_arg;
	ktcp_http_body_fn on_body;
	void *body_arg;
};

struct conn {
	struct ktcp_http_server *srv;
	struct conn *prev, *next;
	int fd;
	enum conn_state state;
	int dead;		/* fd closed; free when possible */
	int failed;		/* a write failed: close soon */
	int busy;
	int close_after_flush;
	int shut;		/* SHUT_WR done */
	int peer_eof;		/* the peer shut down its side */
	int busy_flushing;
	int more;		/* pipelined work left: come back (EPOLLOUT) */
	uint32_t events;

	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	struct out_file *files;	/* in queue order */
	size_t nfiles;

	struct ktcp_http_header *hdrs;
	struct ktcp_http_parse_state parse;	/* of the head being read */
	size_t head_len, raw_pos;
	enum ktcp_http_body_kind kind;
	uint64_t cl;
	uint64_t body_left;	/* C_STREAM with Content-Length */
	struct ktcp_http_chunked dec;
	char *body;
	size_t body_len, body_cap;
	int keep_alive;
	unsigned int nreq;

	/*
	 * One timer for every deadline (see conn_deadline()), in ms of
	 * CLOCK_MONOTONIC; 0 where unset.  A deadline that moves later
	 * does not re-arm the timer: it is found when the timer fires.
	 */
	struct ktcp_timer *timer;
	uint64_t timer_due;	/* when the timer is armed for */
	uint64_t idle_since;	/* last read, or since a request was awaited */
	uint64_t head_since;	/* first byte of the head being read */
	uint64_t body_since;	/* the request body began */
	uint64_t body_got;	/* body bytes read since */
	uint64_t stall_since;	/* output waiting, none sent since */
	uint64_t linger_until;	/* end of a lingering close or WS close */
	struct ktcp_http_req req;
	struct ktcp_ws *ws;
	void *ws_data;
};

struct ktcp_http_server {
	struct ktcp_loop *loop;
	int lfd;
	struct ktcp_http_server_config cfg;
	struct ktcp_http_limits lim;	/* with defaults filled in */
	size_t in_max;
	struct conn *conns;
	size_t nconns;
	int accept_paused;
	struct ktcp_timer *accept_timer;	/* retry after EMFILE and co */
	int spare_fd;		/* given up to shed a client; -1: none */
	uint64_t mem_used;	/* counted against cfg.memory_max */
	time_t date_time;	/* second that date_line was made for */
	char date_line[48];	/* "Date: ...\r\n" */
};

static void conn_kick(struct conn *c);
static void conn_close(struct conn *c);
static void conn_schedule(struct conn *c);
static void accept_resume(struct ktcp_http_server *srv);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A buffer goes from @old_cap to @new_cap bytes.  Growth past the
 * server's budget is refused, except up to @base bytes: a connection
 * can always read a head and send an error answer.
 */
static int mem_resize(struct ktcp_http_server *srv, size_t old_cap,
		      size_t new_cap, size_t base)
{
	if (new_cap > old_cap && new_cap > base &&
	    srv->mem_used + (new_cap - old_cap) > srv->cfg.memory_max)
		return -ENOBUFS;
	srv->mem_used += new_cap;
	srv->mem_used -= old_cap;
	return 0;
}

/* ---- lifetime ---- */

static void drop_files(struct conn *c)
{
	while (c->nfiles)
		close(c->files[--c->nfiles].fd);
	free(c->files);
	c->files = NULL;
}

static void conn_free(struct conn *c)
{
	struct ktcp_http_server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	mem_resize(srv, c->in_cap + c->out_cap + c->body_cap, 0, 0);
	ktcp_timer_free(c->timer);
	ktcp_ws_free(c->ws);
	free(c->req.hdrs);
	free(c->hdrs);
	free(c->in);
	free(c->out);
	drop_files(c);
	free(c->body);
	free(c);
	accept_resume(srv);
}

static void conn_enter(struct conn *c)
{
	c->busy++;
}

/* Returns 1 if @c was freed. */
static int conn_leave(struct conn *c)
{
	if (--c->busy || !c->dead || c->req.active)
		return 0;
	conn_free(c);
	return 1;
}

static void conn_close(struct conn *c)
{
	struct ktcp_http_server *srv = c->srv;

	if (c->dead)
		return;
	c->dead = 1;
	ktcp_timer_stop(c->timer);
	c->timer_due = 0;
	ktcp_loop_del(srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	drop_files(c);
	/* a descriptor is free again (the count drops in conn_free()) */
	accept_resume(srv);
	if (c->ws && srv->cfg.ws_gone)
		srv->cfg.ws_gone(c->ws, srv->cfg.arg);
	if (c->req.active && c->state == C_STREAM && c->req.on_body) {
		ktcp_http_body_fn fn = c->req.on_body;

		c->req.on_body = NULL;
		fn(&c->req, NULL, 0, -ECONNRESET, c->req.body_arg);
	}
	if (c->req.active && c->req.drain) {
		void (*fn)(struct ktcp_http_req *, void *) = c->req.drain;

		c->req.drain = NULL;
		fn(&c->req, c->req.drain_arg);
	}
}

/* ---- output ---- */

static size_t queued(const struct conn *c)
{
	return c->out_len - c->out_off;
}

/* Anything, bytes or file pieces, still to be sent. */
static int backlog(const struct conn *c)
{
	return queued(c) || c->nfiles;
}

static int reading_allowed(const struct conn *c)
{
	if (c->dead || c->failed || c->peer_eof)
		return 0;
	if (c->state == C_LINGER)
		return 1;
	if (c->state == C_HANDLER || c->nfiles)
		return 0;
	return queued(c) < c->srv->cfg.out_high_water;
}

/*
 * Tell epoll what @c waits for now.  Level-triggered: EPOLLIN stays
 * armed from one request to the next, and EPOLLOUT is armed only while
 * output waits that a send() could not take.
 */
static void update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (c->dead)
		return;
	if (reading_allowed(c))
		ev |= EPOLLIN | EPOLLRDHUP;
	if (backlog(c) || c->failed || c->more)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		ktcp_loop_mod(c->srv->loop, c->fd, ev);
		c->events = ev;
	}
}

/*
 * What @c waits for may have changed.  Inside one of its callbacks
 * (conn_io(), conn_kick(), conn_timer()) that is settled once, when the
 * callback ends: a request answered at once would otherwise switch
 * EPOLLIN off and on again, and EPOLLOUT on and off, two epoll_ctl()
 * calls each for nothing.
 */
static void events_changed(struct conn *c)
{
	if (!c->busy)
		update_events(c);
}

/* Give back what a big body or a burst of pipelined requests grew. */
static void shrink_buffers(struct conn *c)
{
	if (c->in_cap > READ_CHUNK && c->in_len <= READ_CHUNK / 2) {
		char *p = realloc(c->in, READ_CHUNK);

		if (p) {
			mem_resize(c->srv, c->in_cap, READ_CHUNK, 0);
			c->in = p;
			c->in_cap = READ_CHUNK;
		}
	}
	if (c->body_cap > KEEP_MAX) {
		mem_resize(c->srv, c->body_cap, 0, 0);
		free(c->body);
		c->body = NULL;
		c->body_cap = 0;
	}
}

/* Close once everything queued is out (and the peer had time to read). */
static void close_after_flush(struct conn *c)
{
	c->close_after_flush = 1;
	c->state = C_LINGER;
	c->in_len = 0;
	/* the request is dead: its buffers count against others' budget */
	if (!c->req.active)
		shrink_buffers(c);
	/* until shut down, the send timeout watches the queue go out */
}

static void start_linger(struct conn *c)
{
	c->state = C_LINGER;
	c->in_len = 0;
	if (!c->shut) {
		shutdown(c->fd, SHUT_WR);
		c->shut = 1;
	}
	c->linger_until = now_ms() + LINGER_MS;
	conn_schedule(c);
}

/* Send some of the first file piece; as send() returns. */
static ssize_t send_file_piece(struct conn *c)
{
	struct out_file *f = &c->files[0];
	ssize_t n = sendfile(c->fd, f->fd, &f->off,
			     f->left < (1u << 30) ? (size_t)f->left : 1u << 30);

	if (n == 0) {
		/* the file shrank: the promised length cannot be kept */
		errno = EPIPE;
		return -1;
	}
	if (n < 0)
		return n;
	f->left -= (uint64_t)n;
	if (!f->left) {
		close(f->fd);
		memmove(c->files, c->files + 1, --c->nfiles * sizeof(*f));
	}
	/* a long download is progress, not idleness: see note_sending() */
	return n;
}

/*
 * After a flush: output left over starts (or, with progress, restarts)
 * the send timeout; the peer's clocks (idle, head) stand still while
 * our answer is on its way, and start again once it is out.
 */
static void note_sending(struct conn *c, int progressed)
{
	uint64_t now;

	if (backlog(c)) {
		if (progressed || !c->stall_since) {
			c->stall_since = now_ms();
			conn_schedule(c);
		}
		return;
	}
	if (!c->stall_since)
		return;
	now = now_ms();
	c->stall_since = 0;
	c->idle_since = now;
	if (c->head_since)
		c->head_since = now;
	conn_schedule(c);
}

static void flush(struct conn *c)
{
	int progressed = 0;

	while (backlog(c) && !c->failed && !c->dead) {
		size_t end = c->nfiles ? c->files[0].at : c->out_len;
		ssize_t n;

		if (c->out_off < end)
			/* a file piece next: let the head share its segment */
			n = send(c->fd, c->out + c->out_off, end - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT |
				 (c->nfiles ? MSG_MORE : 0));
		else
			n = send_file_piece(c);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			c->failed = 1;
			break;
		}
		progressed |= n > 0;
		if (c->out_off < end)
			c->out_off += (size_t)n;
	}
	if (!backlog(c)) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > KEEP_MAX) {
			mem_resize(c->srv, c->out_cap, 0, 0);
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	if (c->failed || c->dead)
		return;
	note_sending(c, progressed);
	if (!backlog(c) && c->close_after_flush && !c->shut)
		start_linger(c);
	/* not from inside conn_send(): the writer is still on the stack */
	if (c->req.active && c->req.drain && !c->busy_flushing &&
	    !c->nfiles && queued(c) < c->srv->cfg.out_high_water / 2) {
		void (*fn)(struct ktcp_http_req *, void *) = c->req.drain;

		c->req.drain = NULL;
		fn(&c->req, c->req.drain_arg);
	}
}

/*
 * Queue @len bytes.  They go out when the connection's callback (or
 * the API call that queued them) ends, in as few segments as possible,
 * or from the next loop iteration (EPOLLOUT) when queued from outside;
 * big queues are flushed at once.
 */
static int conn_queue(struct conn *c, const void *data, size_t len)
{
	/* after the server's error answer, the handler's goes nowhere */
	if (c->dead || c->failed || (c->req.active && c->req.answered))
		return -EPIPE;
	if (queued(c) >= FLUSH_NOW && !c->busy_flushing) {
		c->busy_flushing = 1;
		flush(c);
		c->busy_flushing = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : OUT_BASE;
		char *p;

		if (c->out_off) {
			size_t i;

			memmove(c->out, c->out + c->out_off, queued(c));
			for (i = 0; i < c->nfiles; i++)
				c->files[i].at -= c->out_off;
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + len)
			cap *= 2;
		if (cap != c->out_cap) {
			if (mem_resize(c->srv, c->out_cap, cap, OUT_BASE))
				return -ENOBUFS;
			p = realloc(c->out, cap);
			if (!p) {
				mem_resize(c->srv, cap, c->out_cap, 0);
				return -ENOMEM;
			}
			c->out = p;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	events_changed(c);
	return 0;
}

/* As conn_queue(), but never past out_max. */
static int conn_send(struct conn *c, const void *data, size_t len)
{
	if (c->dead || c->failed)
		return -EPIPE;
	if (queued(c) + len > c->srv->cfg.out_max)
		return -ENOBUFS;
	return conn_queue(c, data, len);
}

/* Answer an error and close, with the status @status. */
static void send_error(struct conn *c, int status, const char *extra)
{
	char buf[512];
	const char *reason = ktcp_http_reason(status);
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s\n",
			 status, reason, strlen(reason) + 1, extra ? extra : "",
			 reason);

	c->keep_alive = 0;
	conn_send(c, buf, (size_t)n);
	close_after_flush(c);
	flush(c);
}

/* ---- requests ---- */

static void reset_req(struct conn *c)
{
	struct ktcp_http_req *r = &c->req;
	char *h = r->hdrs;
	size_t cap = r->hdrs_cap;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->hdrs = h;
	r->hdrs_cap = cap;
	r->cl_left = -1;
}

/*
 * Call the handler.  @parsed is the head as just parsed, or NULL if
 * the input buffer may have moved since (a body was read): then the
 * head is parsed again, cheaply, for pointers into the buffer as it is.
 */
static void dispatch(struct conn *c, size_t consumed,
		     const struct ktcp_http_request *parsed,
		     enum conn_state state)
{
	struct ktcp_http_server *srv = c->srv;
	struct ktcp_http_req *r = &c->req;

	c->state = state;
	c->raw_pos = consumed;	/* bytes of @in the request takes */
	c->nreq++;
	if (srv->cfg.max_requests && c->nreq >= srv->cfg.max_requests)
		c->keep_alive = 0;
	reset_req(c);
	r->head.method = NULL;
	r->seq = c->nreq;
	r->active = 1;
	if (parsed) {
		r->head = *parsed;
	} else {
		r->head.headers = c->hdrs;
		r->head.num_headers = srv->lim.max_headers;
		ktcp_http_parse_request(c->in, c->head_len, &r->head, &srv->lim);
	}
	if (state == C_STREAM) {
		/* the body is yet to come, through ktcp_http_req_on_body() */
	} else if (c->kind == KTCP_HTTP_BODY_LENGTH) {
		r->body = c->cl ? c->in + c->head_len : NULL;
		r->body_len = (size_t)c->cl;
	} else if (c->kind == KTCP_HTTP_BODY_CHUNKED) {
		r->body = c->body_len ? c->body : NULL;
		r->body_len = c->body_len;
	}
	events_changed(c);
	srv->cfg.handler(r, srv->cfg.arg);
}

/* The response to the current request has ended. */
static void finish_request(struct conn *c)
{
	size_t used = c->raw_pos;

	c->req.active = 0;
	c->req.drain = NULL;
	c->req.on_body = NULL;
	c->body_len = 0;
	if (c->dead)
		return;
	/* answered before the body was in: the rest is not worth reading */
	if (c->state == C_STREAM)
		c->keep_alive = 0;
	if (used > c->in_len)
		used = c->in_len;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	memset(&c->parse, 0, sizeof(c->parse));
	shrink_buffers(c);
	if (!c->keep_alive || c->failed) {
		close_after_flush(c);
		flush(c);
		return;
	}
	c->state = C_HEAD;
	c->idle_since = now_ms();
	/* pipelined bytes: the next head's clock starts now */
	c->head_since = c->in_len ? c->idle_since : 0;
	conn_schedule(c);
}

static int expect_continue(struct conn *c, const struct ktcp_http_request *h)
{
	int i = ktcp_http_find_header(h->headers, h->num_headers, "Expect", 0);

	if (i < 0)
		return 0;
	if (h->headers[i].value_len != 12 ||
	    strncasecmp(h->headers[i].value, "100-continue", 12)) {
		send_error(c, 417, NULL);
		return -1;
	}
	/* only if the body has not started arriving yet */
	if (h->minor_version >= 1 && c->kind != KTCP_HTTP_BODY_NONE &&
	    c->in_len == c->head_len)
		conn_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	return 0;
}

static void body_piece(struct conn *c, const char *d, size_t n, int status)
{
	if (c->req.on_body)
		c->req.on_body(&c->req, d, n, status, c->req.body_arg);
}

/*
 * A streamed body cannot complete (@err for the body callback): no
 * more of it is read.  The server answers @status for the handler,
 * as for a whole body, unless the handler's response has started;
 * then only the close says it.
 */
static void stream_fail(struct conn *c, int err, int status)
{
	c->keep_alive = 0;
	c->state = C_HANDLER;
	if (!c->req.started) {
		send_error(c, status, NULL);
		c->req.answered = 1;
	}
	body_piece(c, NULL, 0, err);
}

/*
 * Hand the body bytes the input holds to the handler's body callback,
 * then drop them, keeping the head (the handler's pointers) in place.
 */
static void stream_body(struct conn *c)
{
	int done = 0;

	if (c->kind == KTCP_HTTP_BODY_LENGTH) {
		size_t off = c->raw_pos, n = c->in_len - off;

		if (n > c->body_left)
			n = (size_t)c->body_left;
		if (!n)
			return;
		c->body_left -= n;
		done = !c->body_left;
		if (done) {
			/*
			 * Before the callback, which may end the response:
			 * then finish_request() drops head and body.
			 */
			c->state = C_HANDLER;
			c->raw_pos = off + n;
		}
		body_piece(c, c->in + off, n, done);
		/* ended (or failed) inside: the buffer is finish_request()'s */
		if (c->dead || !c->req.active)
			return;
		/* drop the piece, keep the head the handler points into */
		memmove(c->in + off, c->in + off + n, c->in_len - off - n);
		c->in_len -= n;
		c->raw_pos = off;
		return;
	}
	while (c->raw_pos < c->in_len && !ktcp_http_chunked_done(&c->dec) &&
	       !c->dead && c->req.active && c->state == C_STREAM) {
		const char *d;
		size_t dl;
		long n = ktcp_http_chunked_decode(&c->dec, c->in + c->raw_pos,
						  c->in_len - c->raw_pos, &d, &dl);

		if (n < 0) {
			stream_fail(c, (int)n, ktcp_http_error_status((int)n));
			return;
		}
		c->raw_pos += (size_t)n;
		if (dl)
			body_piece(c, d, dl, 0);
	}
	if (c->dead || !c->req.active)
		return;
	memmove(c->in + c->head_len, c->in + c->raw_pos, c->in_len - c->raw_pos);
	c->in_len -= c->raw_pos - c->head_len;
	c->raw_pos = c->head_len;
	if (ktcp_http_chunked_done(&c->dec) && c->state == C_STREAM) {
		c->state = C_HANDLER;
		body_piece(c, NULL, 0, 1);
	}
}

/* RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in 1.0. */
static int host_ok(const struct ktcp_http_request *h)
{
	int i = ktcp_http_find_header(h->headers, h->num_headers, "Host", 0);

	if (i < 0)
		return h->minor_version == 0;
	return ktcp_http_find_header(h->headers, h->num_headers, "Host",
				     (size_t)i + 1) < 0;
}

/* Parse as much as the input allows; returns when waiting. */
static void process(struct conn *c)
{
	struct ktcp_http_server *srv = c->srv;

	while (!c->dead && !c->failed) {
		switch (c->state) {
		case C_HEAD: {
			struct ktcp_http_request h = {
				.headers = c->hdrs,
				.num_headers = srv->lim.max_headers,
			};
			int ret, err;

			/* a file still going out holds the next response back */
			if (!c->in_len || queued(c) >= srv->cfg.out_high_water ||
			    c->nfiles)
				return;
			ret = ktcp_http_parse_request_resume(c->in, c->in_len,
							     &h, &srv->lim,
							     &c->parse);
			if (ret == -EAGAIN)
				return;
			if (ret < 0) {
				send_error(c, ktcp_http_error_status(ret), NULL);
				return;
			}
			c->head_len = (size_t)ret;
			/*
			 * RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means
			 * faulty framing; refuse rather than guess.
			 */
			if (!host_ok(&h) ||
			    (h.minor_version == 0 &&
			     ktcp_http_find_header(h.headers, h.num_headers,
						   "Transfer-Encoding", 0) >= 0)) {
				send_error(c, 400, NULL);
				return;
			}
			err = ktcp_http_body_framing(h.headers, h.num_headers, 1,
						     &srv->lim, &c->kind, &c->cl);
			if (err) {
				send_error(c, ktcp_http_error_status(err), NULL);
				return;
			}
			c->keep_alive = ktcp_http_keep_alive(h.minor_version,
							     h.headers,
							     h.num_headers);
			if (expect_continue(c, &h))
				return;
			if (c->kind == KTCP_HTTP_BODY_NONE ||
			    (c->kind == KTCP_HTTP_BODY_LENGTH && !c->cl)) {
				c->kind = KTCP_HTTP_BODY_NONE;
				dispatch(c, c->head_len, &h, C_HANDLER);
				break;
			}
			c->raw_pos = c->head_len;
			c->body_len = 0;
			c->body_left = c->cl;
			c->body_since = now_ms();
			c->body_got = c->in_len - c->head_len;
			if (c->kind == KTCP_HTTP_BODY_CHUNKED)
				ktcp_http_chunked_init(&c->dec, &srv->lim);
			if (srv->cfg.stream_bodies) {
				dispatch(c, c->head_len, &h, C_STREAM);
				break;
			}
			c->state = C_BODY;
			break;
		}
		case C_BODY:
			if (c->kind == KTCP_HTTP_BODY_LENGTH) {
				if (c->in_len - c->head_len < c->cl)
					return;
				dispatch(c, c->head_len + (size_t)c->cl, NULL,
					 C_HANDLER);
				break;
			}
			while (c->raw_pos < c->in_len &&
			       !ktcp_http_chunked_done(&c->dec)) {
				const char *d;
				size_t dl;
				long n = ktcp_http_chunked_decode(&c->dec,
						c->in + c->raw_pos,
						c->in_len - c->raw_pos, &d, &dl);

				if (n < 0) {
					send_error(c, ktcp_http_error_status((int)n),
						   NULL);
					return;
				}
				if (dl && c->body_len + dl > c->body_cap) {
					size_t cap = c->body_cap ? c->body_cap : 4096;
					char *p;

					while (cap < c->body_len + dl)
						cap *= 2;
					if (mem_resize(srv, c->body_cap, cap, 0)) {
						send_error(c, 503, NULL);
						return;
					}
					p = realloc(c->body, cap);
					if (!p) {
						mem_resize(srv, cap, c->body_cap, 0);
						send_error(c, 500, NULL);
						return;
					}
					c->body = p;
					c->body_cap = cap;
				}
				if (dl)
					memcpy(c->body + c->body_len, d, dl);
				c->body_len += dl;
				c->raw_pos += (size_t)n;
			}
			/* drop the raw chunks; the head stays in place */
			memmove(c->in + c->head_len, c->in + c->raw_pos,
				c->in_len - c->raw_pos);
			c->in_len -= c->raw_pos - c->head_len;
			c->raw_pos = c->head_len;
			if (!ktcp_http_chunked_done(&c->dec))
				return;
			dispatch(c, c->head_len, NULL, C_HANDLER);
			break;
		case C_STREAM:
			stream_body(c);
			if (c->state == C_STREAM)
				return;
			break;
		case C_WS: {
			int err = 0;

			if (c->in_len)
				err = ktcp_ws_recv(c->ws, c->in, c->in_len);
			c->in_len = 0;
			if (err || ktcp_ws_state(c->ws) == KTCP_WS_CLOSED) {
				/* the server closes the TCP connection first */
				close_after_flush(c);
				flush(c);
			}
			return;
		}
		case C_LINGER:
			c->in_len = 0;
			return;
		case C_HANDLER:
			return;
		}
	}
}

/*
 * Answer what the input holds, sending as we go: a response over the
 * high-water mark stops parsing until it is out (backpressure), and
 * sending it may let parsing go on.  Bounded, so that one pipelining
 * client cannot starve the others; c->more asks to be called again.
 */
static void pump(struct conn *c)
{
	int i;

	c->more = 0;
	for (i = 0; i < 64 && !c->dead && !c->failed; i++) {
		unsigned int before = c->nreq;
		enum conn_state st = c->state;

		process(c);
		flush(c);
		if (c->nreq == before && c->state == st)
			return;
		if (queued(c) >= c->srv->cfg.out_high_water || c->nfiles)
			return;
	}
	if (!c->dead && !c->failed && i == 64)
		c->more = 1;
}

/* The server's memory budget cannot take what this connection needs. */
static void over_budget(struct conn *c)
{
	if (c->state == C_STREAM)
		stream_fail(c, -ENOBUFS, 503);
	else if (c->state == C_HEAD || c->state == C_BODY)
		send_error(c, 503, NULL);
	else
		conn_close(c);
}

static void do_read(struct conn *c)
{
	struct ktcp_http_server *srv = c->srv;
	int rounds;

	for (rounds = 0; rounds < 4 && reading_allowed(c); rounds++) {
		size_t max = c->state == C_WS || c->state == C_LINGER ?
			     READ_CHUNK : srv->in_max;
		size_t room;
		ssize_t n;

		if (c->state == C_LINGER || c->state == C_WS)
			c->in_len = 0;
		if (c->in_cap - c->in_len < READ_CHUNK / 4 && c->in_cap < max) {
			size_t cap = c->in_cap ? 2 * c->in_cap : READ_CHUNK;
			char *p;

			if (cap > max)
				cap = max;
			if (mem_resize(srv, c->in_cap, cap, READ_CHUNK)) {
				/* over the budget: read into what room is left */
				if (c->in_len == c->in_cap) {
					over_budget(c);
					return;
				}
			} else {
				p = realloc(c->in, cap);
				if (!p) {
					mem_resize(srv, cap, c->in_cap, 0);
					conn_close(c);
					return;
				}
				c->in = p;
				c->in_cap = cap;
			}
		}
		if (c->in_len == c->in_cap)
			return;	/* full: parse first */
		room = c->in_cap - c->in_len;
		n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n == 0 && c->state != C_WS) {
			/* answer what is complete, then close */
			c->peer_eof = 1;
			pump(c);
			return;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (c->ws && ktcp_ws_state(c->ws) != KTCP_WS_CLOSED &&
			    srv->cfg.ws_close) {
				/* abnormal closure: no close frame */
				srv->cfg.ws_close(c->ws, KTCP_WS_ABNORMAL, NULL, 0,
						  1, srv->cfg.arg);
			}
			conn_close(c);
			return;
		}
		if (n < 0)
			return;
		c->in_len += (size_t)n;
		c->idle_since = now_ms();
		if (c->state == C_HEAD && !c->head_since)
			c->head_since = c->idle_since;
		else if (c->state == C_BODY || c->state == C_STREAM)
			c->body_got += (size_t)n;
		pump(c);
		/* after parsing: a head or body done by now needs no timer */
		conn_schedule(c);
		/*
		 * Less than there was room for: the socket had no more.
		 * Another recv() would only say EAGAIN; epoll (level-
		 * triggered) tells us when more comes.
		 */
		if ((size_t)n < room)
			return;
	}
}

static void eof_check(struct conn *c)
{
	if (c->peer_eof && !c->dead && c->state != C_HANDLER &&
	    c->state != C_STREAM && !backlog(c))
		conn_close(c);
}

static void conn_io(struct ktcp_loop *loop, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	(void)fd;
	conn_enter(c);
	if (events & (EPOLLOUT | EPOLLERR))
		flush(c);
	if (!c->dead && !c->failed &&
	    (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
		do_read(c);
	if (c->failed)
		conn_close(c);
	if (!c->dead) {
		/* draining may have unblocked pipelined requests */
		pump(c);
		if (c->failed)
			conn_close(c);
		eof_check(c);
		update_events(c);
	}
	conn_leave(c);
}

/* Continue a connection after an event outside its own callbacks. */
static void conn_kick(struct conn *c)
{
	conn_enter(c);
	if (!c->dead) {
		flush(c);
		if (c->failed)
			conn_close(c);
	}
	if (!c->dead && c->busy == 1) {
		pump(c);
		/* bytes may be waiting in the socket already */
		if (!c->dead && reading_allowed(c))
			do_read(c);
	}
	if (!c->dead)
		flush(c);
	if (!c->dead && c->failed)
		conn_close(c);
	eof_check(c);
	update_events(c);
	conn_leave(c);
}

enum deadline { D_NONE, D_IDLE, D_HEAD, D_BODY, D_SEND, D_LINGER };

static void earlier(uint64_t *due, enum deadline *why, uint64_t when,
		    enum deadline what)
{
	if (when < *due) {
		*due = when;
		*why = what;
	}
}

/* The connection's next deadline, and what it is for. */
static uint64_t conn_deadline(const struct conn *c, enum deadline *why)
{
	const struct ktcp_http_server_config *cfg = &c->srv->cfg;
	uint64_t due = UINT64_MAX;

	*why = D_NONE;
	switch (c->state) {
	case C_HEAD:
		/* while our answer goes out, the send timeout watches */
		if (c->stall_since)
			break;
		earlier(&due, why, c->idle_since + cfg->idle_timeout_ms, D_IDLE);
		if (c->head_since)
			earlier(&due, why, c->head_since + cfg->head_timeout_ms,
				D_HEAD);
		break;
	case C_BODY:
	case C_STREAM:
		earlier(&due, why, c->idle_since + cfg->idle_timeout_ms, D_IDLE);
		earlier(&due, why, c->body_since + cfg->body_timeout_ms +
			c->body_got * 1000 / cfg->body_min_rate, D_BODY);
		break;
	case C_WS:
	case C_LINGER:
		if (c->linger_until)
			earlier(&due, why, c->linger_until, D_LINGER);
		break;
	case C_HANDLER:
		break;
	}
	if (c->stall_since)
		earlier(&due, why, c->stall_since + cfg->send_timeout_ms, D_SEND);
	return due;
}

/* Arm the timer if the next deadline comes before it. */
static void conn_schedule(struct conn *c)
{
	enum deadline why;
	uint64_t due, now;

	if (c->dead)
		return;
	due = conn_deadline(c, &why);
	if (why == D_NONE || (c->timer_due && c->timer_due <= due))
		return;
	now = now_ms();
	ktcp_timer_set(c->timer, due <= now ? 0 :
			       due - now > UINT_MAX ? UINT_MAX :
			       (unsigned int)(due - now));
	c->timer_due = due;
}

/*
 * Cut off a peer that takes none of what we send: a reset, so that
 * the kernel drops the queued bytes too instead of retrying them.
 */
static void conn_abort(struct conn *c)
{
	struct ktcp_http_server *srv = c->srv;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->ws && ktcp_ws_state(c->ws) != KTCP_WS_CLOSED && srv->cfg.ws_close)
		srv->cfg.ws_close(c->ws, KTCP_WS_ABNORMAL, NULL, 0, 0,
				  srv->cfg.arg);
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_close(c);
}

static void conn_timer(struct ktcp_timer *t, void *arg)
{
	struct conn *c = arg;
	enum deadline why;
	uint64_t due;

	(void)t;
	c->timer_due = 0;
	conn_enter(c);
	due = conn_deadline(c, &why);
	if (why == D_NONE || due > now_ms()) {
		/* moved on, or later, since the timer was armed */
	} else if (why == D_SEND) {
		conn_abort(c);
	} else if (why == D_LINGER) {
		/* a lingering close, or a close handshake that never ended */
		conn_close(c);
	} else if (c->state == C_STREAM) {
		stream_fail(c, -ETIMEDOUT, 408);
	} else if (c->state == C_HEAD && !c->in_len) {
		conn_close(c);	/* idle between requests */
	} else if (!backlog(c)) {
		/* a request started but never finished: say so, then close */
		send_error(c, 408, NULL);
	} else {
		conn_close(c);
	}
	if (!c->dead) {
		update_events(c);
		conn_schedule(c);
	}
	conn_leave(c);
}

static int open_spare(void)
{
	return open("/", O_RDONLY | O_CLOEXEC);
}

/* Stop accepting; with @retry, try again in a while. */
static void accept_pause(struct ktcp_http_server *srv, int retry)
{
	if (!srv->accept_paused) {
		ktcp_loop_mod(srv->loop, srv->lfd, 0);
		srv->accept_paused = 1;
	}
	if (retry)
		ktcp_timer_set(srv->accept_timer, ACCEPT_RETRY_MS);
}

/* Accept again, unless the connection cap still holds. */
static void accept_resume(struct ktcp_http_server *srv)
{
	if (!srv->accept_paused || srv->nconns >= srv->cfg.max_connections)
		return;
	srv->accept_paused = 0;
	ktcp_timer_stop(srv->accept_timer);
	ktcp_loop_mod(srv->loop, srv->lfd, EPOLLIN);
}

static void accept_retry(struct ktcp_timer *t, void *arg)
{
	struct ktcp_http_server *srv = arg;

	(void)t;
	if (srv->spare_fd < 0)
		srv->spare_fd = open_spare();
	accept_resume(srv);
}

/*
 * Out of descriptors: give the spare one back for a moment to answer
 * the longest-waiting client with 503 and close it, rather than leave
 * it in the backlog for as long as the shortage lasts (libuv's EMFILE
 * trick, with an answer).
 */
static void shed_one(struct ktcp_http_server *srv)
{
	const char *reason = ktcp_http_reason(503);
	char buf[256];
	int n, fd;

	if (srv->spare_fd < 0)
		return;
	close(srv->spare_fd);
	fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 503 %s\r\nContent-Type: text/plain\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
			     reason, strlen(reason) + 1, reason);
		send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
	}
	srv->spare_fd = open_spare();
}

static void on_accept(struct ktcp_loop *loop, int fd, uint32_t events,
		      void *arg)
{
	struct ktcp_http_server *srv = arg;
	int i, one = 1;

	(void)events;
	for (i = 0; i < 64; i++) {
		struct conn *c;
		int cfd;

		if (srv->nconns >= srv->cfg.max_connections) {
			/* the rest wait in the backlog until one closes */
			accept_pause(srv, 0);
			return;
		}
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			switch (errno) {
			case EAGAIN:
				return;
			/* that connection's trouble, not ours */
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
			case ENETDOWN:
			case ENETUNREACH:
			case EHOSTDOWN:
			case EHOSTUNREACH:
			case ENONET:
				continue;
			case EMFILE:
			case ENFILE:
				shed_one(srv);
				/* fall through */
			default:
				/*
				 * The listener stays readable: retrying at
				 * once would spin as long as the shortage.
				 */
				accept_pause(srv, 1);
				return;
			}
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->hdrs = calloc(srv->lim.max_headers, sizeof(*c->hdrs));
		if (c)
			c->timer = ktcp_timer_new(loop, conn_timer, c);
		if (!c || !c->hdrs || !c->timer ||
		    ktcp_loop_add(loop, cfd, EPOLLIN | EPOLLRDHUP, conn_io, c)) {
			if (c) {
				ktcp_timer_free(c->timer);
				free(c->hdrs);
			}
			free(c);
			close(cfd);
			continue;
		}
		/* responses go out whole (see conn_send); no Nagle delay */
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->srv = srv;
		c->fd = cfd;
		c->events = EPOLLIN | EPOLLRDHUP;
		c->state = C_HEAD;
		c->req.c = c;
		c->next = srv->conns;
		if (c->next)
			c->next->prev = c;
		srv->conns = c;
		srv->nconns++;
		c->idle_since = now_ms();
		conn_schedule(c);
	}
}

struct ktcp_http_server *ktcp_http_server_new(struct ktcp_loop *loop,
					      int listen_fd,
					      const struct ktcp_http_server_config *cfg)
{
	struct ktcp_http_server *srv;
	int err;

	if (!loop || listen_fd < 0 || !cfg || !cfg->handler) {
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->loop = loop;
	srv->lfd = listen_fd;
	srv->cfg = *cfg;
	srv->lim = cfg->limits;
	if (!srv->lim.max_head_bytes)
		srv->lim.max_head_bytes = KTCP_HTTP_DEFAULT_MAX_HEAD;
	if (!srv->lim.max_headers)
		srv->lim.max_headers = KTCP_HTTP_DEFAULT_MAX_HEADERS;
	if (!srv->lim.max_line)
		srv->lim.max_line = KTCP_HTTP_DEFAULT_MAX_LINE;
	if (!srv->lim.max_body)
		srv->lim.max_body = KTCP_HTTP_DEFAULT_MAX_BODY;
	if (!srv->cfg.idle_timeout_ms)
		srv->cfg.idle_timeout_ms = 30000;
	if (!srv->cfg.out_high_water)
		srv->cfg.out_high_water = 1u << 20;
	if (!srv->cfg.ws_max_message)
		srv->cfg.ws_max_message = KTCP_WS_DEFAULT_MAX_MESSAGE;
	if (!srv->cfg.out_max)
		srv->cfg.out_max = (1u << 20) + 2 * srv->cfg.ws_max_message;
	/*
	 * A head of 16 KiB takes 2.3 s at 56 kbit/s; 10 s leaves room for
	 * a lossy mobile link.  nginx's 60 s is for the whole internet.
	 */
	if (!srv->cfg.head_timeout_ms)
		srv->cfg.head_timeout_ms = 10000;
	/* mod_reqtimeout's MinRate=500: 4 kbit/s, below any real link */
	if (!srv->cfg.body_timeout_ms)
		srv->cfg.body_timeout_ms = 10000;
	if (!srv->cfg.body_min_rate)
		srv->cfg.body_min_rate = 500;
	if (!srv->cfg.send_timeout_ms)
		srv->cfg.send_timeout_ms = 30000;
	/* h2o's default; within a default RLIMIT_NOFILE of 1024 too */
	if (!srv->cfg.max_connections)
		srv->cfg.max_connections = 1024;
	if (!srv->cfg.memory_max)
		srv->cfg.memory_max = 1ull << 30;
	srv->in_max = srv->lim.max_head_bytes + srv->lim.max_body + READ_CHUNK;
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	srv->accept_timer = ktcp_timer_new(loop, accept_retry, srv);
	if (!srv->accept_timer) {
		free(srv);
		return NULL;
	}
	err = ktcp_loop_add(loop, listen_fd, EPOLLIN, on_accept, srv);
	if (err) {
		ktcp_timer_free(srv->accept_timer);
		free(srv);
		errno = -err;
		return NULL;
	}
	srv->spare_fd = open_spare();
	return srv;
}

void ktcp_http_server_free(struct ktcp_http_server *srv)
{
	if (!srv)
		return;
	ktcp_loop_del(srv->loop, srv->lfd);
	ktcp_timer_free(srv->accept_timer);
	srv->accept_timer = NULL;
	srv->accept_paused = 0;		/* nothing to resume any more */
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	while (srv->conns) {
		struct conn *c = srv->conns;

		/* held, so that a drain callback ending its response in
		 * conn_close() does not free it under us */
		conn_enter(c);
		conn_close(c);
		conn_free(c);
	}
	free(srv);
}

size_t ktcp_http_server_connections(const struct ktcp_http_server *srv)
{
	return srv->nconns;
}

/* ---- the handler's side ---- */

const struct ktcp_http_request *ktcp_http_req_head(const struct ktcp_http_req *req)
{
	return &req->head;
}

const void *ktcp_http_req_body(const struct ktcp_http_req *req, size_t *len)
{
	*len = req->body_len;
	return req->body;
}

void ktcp_http_req_on_body(struct ktcp_http_req *req, ktcp_http_body_fn fn,
			   void *arg)
{
	req->on_body = fn;
	req->body_arg = arg;
	/* bytes that came with the head are handed over right away */
	if (req->active && req->c->state == C_STREAM && !req->c->busy)
		conn_kick(req->c);
}

unsigned int ktcp_http_req_seq(const struct ktcp_http_req *req)
{
	return req->seq;
}

static int valid_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s))
			return 0;
	return 1;
}

int ktcp_http_resp_header(struct ktcp_http_req *req, const char *name,
			  const char *value)
{
	size_t need;
	const char *v;

	if (!req->active || req->started || !valid_token(name) || !value ||
	    !strcasecmp(name, "Content-Length") ||
	    !strcasecmp(name, "Transfer-Encoding") ||
	    !strcasecmp(name, "Connection"))
		return -EINVAL;
	for (v = value; *v; v++)
		if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
			return -EINVAL;
	need = req->hdrs_len + strlen(name) + strlen(value) + 4;
	if (need > req->hdrs_cap) {
		size_t cap = req->hdrs_cap ? req->hdrs_cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(req->hdrs, cap);
		if (!p)
			return -ENOMEM;
		req->hdrs = p;
		req->hdrs_cap = cap;
	}
	req->hdrs_len += (size_t)sprintf(req->hdrs + req->hdrs_len, "%s: %s\r\n",
					 name, value);
	return 0;
}

/* The Date header line, formatted once per second (IMF-fixdate). */
static const char *date_line(struct ktcp_http_server *srv)
{
	time_t now = time(NULL);

	if (now != srv->date_time) {
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(srv->date_line, sizeof(srv->date_line),
			 "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		srv->date_time = now;
	}
	return srv->date_line;
}

static int send_head(struct ktcp_http_req *req, int status, int64_t cl)
{
	struct conn *c = req->c;
	char line[160];
	int n, err;

	if (!req->active || req->started || status < 200 || status > 999)
		return -EINVAL;
	req->started = 1;
	req->no_body = (req->head.method_len == 4 &&
			!memcmp(req->head.method, "HEAD", 4)) ||
		       status == 204 || status == 304;
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
		     ktcp_http_reason(status));
	err = conn_send(c, line, (size_t)n);
	if (!err && c->srv->cfg.send_date) {
		const char *d = date_line(c->srv);

		err = conn_send(c, d, strlen(d));
	}
	if (!err && req->hdrs_len)
		err = conn_send(c, req->hdrs, req->hdrs_len);
	n = 0;
	if (cl >= 0 && status != 204 && status != 304) {
		n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n",
			     (long long)cl);
	} else if (cl < 0 && !req->no_body) {
		if (req->head.minor_version >= 1) {
			req->chunked = 1;
			n = snprintf(line, sizeof(line),
				     "Transfer-Encoding: chunked\r\n");
		} else {
			c->keep_alive = 0;	/* ends with the connection */
		}
	}
	if (!c->keep_alive)
		n += snprintf(line + n, sizeof(line) - (size_t)n,
			      "Connection: close\r\n");
	else if (req->head.minor_version == 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n,
			      "Connection: keep-alive\r\n");
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\r\n");
	if (!err)
		err = conn_send(c, line, (size_t)n);
	req->cl_left = cl;
	return err;
}

/* End the response; @c may be freed on return. */
static void end_req(struct ktcp_http_req *req)
{
	struct conn *c = req->c;

	conn_enter(c);
	finish_request(c);
	if (conn_leave(c))
		return;
	if (!c->busy)
		conn_kick(c);
}

int ktcp_http_resp_send(struct ktcp_http_req *req, int status,
			const void *body, size_t len)
{
	struct conn *c = req->c;
	int err;

	if (!req->active || req->started)
		return -EINVAL;
	/* the body being streamed will not be read: say so */
	if (c->state == C_STREAM)
		c->keep_alive = 0;
	err = send_head(req, status, (int64_t)len);
	if (!err && len && !req->no_body)
		err = conn_send(c, body, len);
	if (err && err != -EPIPE)
		c->failed = 1;
	end_req(req);
	return err;
}

int ktcp_http_resp_start(struct ktcp_http_req *req, int status,
			 int64_t content_length)
{
	int err;

	if (!req->active || req->started)
		return -EINVAL;
	err = send_head(req, status, content_length);
	if (err && err != -EPIPE)
		req->c->failed = 1;
	return err;
}

int ktcp_http_resp_write(struct ktcp_http_req *req, const void *data,
			 size_t len)
{
	struct conn *c = req->c;
	char line[24];
	int err;

	if (!req->active || !req->started)
		return -EINVAL;
	if (!len || req->no_body)
		return 0;
	if (req->cl_left >= 0) {
		if ((uint64_t)req->cl_left < len)
			return -EINVAL;
		req->cl_left -= (int64_t)len;
	}
	if (c->dead || c->failed)
		return -EPIPE;
	if (queued(c) + len + 32 > c->srv->cfg.out_max)
		return -ENOBUFS;
	if (req->chunked) {
		int n = snprintf(line, sizeof(line), "%zx\r\n", len);

		err = conn_send(c, line, (size_t)n);
		if (!err)
			err = conn_send(c, data, len);
		if (!err)
			err = conn_send(c, "\r\n", 2);
	} else {
		err = conn_send(c, data, len);
	}
	if (err && err != -EPIPE)
		c->failed = 1;
	return err;
}

int ktcp_http_resp_end(struct ktcp_http_req *req)
{
	struct conn *c = req->c;
	int err = 0;

	if (!req->active || !req->started)
		return -EINVAL;
	if (req->chunked)
		err = conn_send(c, "0\r\n\r\n", 5);
	if (req->cl_left > 0 && !req->no_body) {
		/* the client would wait for the rest forever */
		c->failed = 1;
		err = -EINVAL;
	}
	end_req(req);
	return err;
}

size_t ktcp_http_resp_queued(const struct ktcp_http_req *req)
{
	return queued(req->c);
}

int ktcp_http_resp_sendfile(struct ktcp_http_req *req, int fd, int64_t offset,
			    uint64_t len)
{
	struct conn *c = req->c;
	struct out_file *f, *files;
	char line[24];
	int err, dup_fd;

	if (!req->active || !req->started || fd < 0 || offset < 0)
		return -EINVAL;
	if (!len || req->no_body)
		return 0;
	if (req->cl_left >= 0 && (uint64_t)req->cl_left < len)
		return -EINVAL;
	if (c->dead || c->failed)
		return -EPIPE;
	if (c->nfiles == MAX_FILE_PIECES)
		return -ENOBUFS;
	files = realloc(c->files, (c->nfiles + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	c->files = files;
	if (req->chunked) {
		int n = snprintf(line, sizeof(line), "%llx\r\n",
				 (unsigned long long)len);

		err = conn_send(c, line, (size_t)n);
		if (err)
			return err;
	}
	/* ours, so that the caller may close its own at once */
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0) {
		c->failed = 1;	/* a chunk size line may be out already */
		return -errno;
	}
	if (req->cl_left >= 0)
		req->cl_left -= (int64_t)len;
	f = &c->files[c->nfiles++];
	f->at = c->out_len;
	f->fd = dup_fd;
	f->off = (off_t)offset;
	f->left = len;
	err = req->chunked ? conn_send(c, "\r\n", 2) : 0;
	if (err && err != -EPIPE)
		c->failed = 1;
	events_changed(c);
	return err;
}

void ktcp_http_resp_on_drain(struct ktcp_http_req *req,
			     void (*fn)(struct ktcp_http_req *req, void *arg),
			     void *arg)
{
	req->drain = fn;
	req->drain_arg = arg;
}

/* ---- WebSocket ---- */

static int ws_send_cb(struct ktcp_ws *ws, const void *hdr, size_t hdr_len,
		      const void *payload, size_t len, void *arg)
{
	struct conn *c = arg;
	int err;

	/*
	 * A whole frame or nothing; control frames (opcode bit 3, at most
	 * 127 bytes) may pass out_max, so that a close or a pong can still
	 * reach a slow reader.
	 */
	if (c->dead || c->failed)
		err = -EPIPE;
	else if (!(((const uint8_t *)hdr)[0] & 0x08) &&
		 queued(c) + hdr_len + len > c->srv->cfg.out_max)
		err = -ENOBUFS;
	else
		err = conn_queue(c, hdr, hdr_len);
	if (!err && len)
		err = conn_queue(c, payload, len);

	if (!c->dead && ktcp_ws_state(ws) == KTCP_WS_CLOSING &&
	    !c->linger_until) {
		c->linger_until = now_ms() + WS_CLOSE_MS;
		conn_schedule(c);
	}
	return err;
}

static void ws_message_cb(struct ktcp_ws *ws, unsigned int op,
			  const void *data, size_t len, void *arg)
{
	struct conn *c = arg;

	if (c->srv->cfg.ws_message)
		c->srv->cfg.ws_message(ws, op, data, len, c->srv->cfg.arg);
}

static void ws_close_cb(struct ktcp_ws *ws, int code, const char *reason,
			size_t rlen, int by_peer, void *arg)
{
	struct conn *c = arg;

	if (c->srv->cfg.ws_close)
		c->srv->cfg.ws_close(ws, code, reason, rlen, by_peer,
				     c->srv->cfg.arg);
}

struct ktcp_ws *ktcp_http_ws_accept(struct ktcp_http_req *req, void *data)
{
	static const struct ktcp_ws_callbacks cb = {
		.send = ws_send_cb,
		.on_message = ws_message_cb,
		.on_close = ws_close_cb,
	};
	struct conn *c = req->c;
	struct ktcp_http_server *srv = c->srv;
	struct ktcp_ws_config wcfg = { .client = 0 };
	struct ktcp_ws_upgrade up;
	char buf[512];
	int status, n;

	if (!req->active || req->started) {
		errno = EINVAL;
		return NULL;
	}
	status = ktcp_ws_server_check(&req->head, srv->cfg.ws_policy, &up);
	if (status) {
		if (status == 426)
			ktcp_http_resp_header(req, "Sec-WebSocket-Version", "13");
		ktcp_http_resp_send(req, status, ktcp_http_reason(status),
				    strlen(ktcp_http_reason(status)));
		errno = EPROTO;
		return NULL;
	}
	n = ktcp_ws_server_response(buf, sizeof(buf), &up);
	wcfg.max_message = srv->cfg.ws_max_message;
	wcfg.deflate = up.deflate;
	wcfg.mem_used = &srv->mem_used;
	wcfg.mem_max = srv->cfg.memory_max;
	c->ws = n < 0 ? NULL : ktcp_ws_new(&wcfg, &cb, c);
	if (!c->ws) {
		ktcp_http_resp_send(req, 500, NULL, 0);
		errno = ENOMEM;
		return NULL;
	}
	c->ws_data = data;
	req->started = 1;
	conn_send(c, buf, (size_t)n);
	conn_enter(c);
	/* like finish_request(), but into WebSocket mode */
	req->active = 0;
	memmove(c->in, c->in + c->raw_pos, c->in_len - c->raw_pos);
	c->in_len -= c->raw_pos;
	c->state = C_WS;
	if (srv->cfg.ws_open)
		srv->cfg.ws_open(c->ws, srv->cfg.arg);
	if (conn_leave(c))
		return NULL;
	if (!c->busy)
		conn_kick(c);
	return c->ws;
}

void *ktcp_http_ws_data(const struct ktcp_ws *ws)
{
	return ((struct conn *)ktcp_ws_user(ws))->ws_data;
}

size_t ktcp_http_ws_queued(const struct ktcp_ws *ws)
{
	return queued((struct conn *)ktcp_ws_user(ws));
}
