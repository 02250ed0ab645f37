// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: blocking HTTP/1.1 and WebSocket clients; see
 * include/ktcp/client.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/client.h>

#include "blocking_io.h"

struct ktcp_http_client {
	struct ktcp_http_client_config cfg;
	int fd;
	unsigned int nconn, used;
	char *buf;
	size_t len, cap, consumed;
	struct ktcp_http_header *hdrs;
	size_t max_headers;
	char *body;
	size_t body_len, body_cap;
};

static int write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	return send_all_within(fd, buf, len, 0, timeout_ms);
}

/* Read more into @buf (growing it up to @max); 0 at EOF, <0 error. */
static long read_more(int fd, char **buf, size_t *len, size_t *cap,
		      size_t max, int timeout_ms)
{
	ssize_t n;
	int err;

	if (*cap - *len < 4096) {
		size_t c = *cap ? *cap * 2 : 16384;
		char *p;

		if (c > max)
			c = max;
		if (c <= *len)
			return -E2BIG;
		p = realloc(*buf, c);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = c;
	}
	err = wait_fd(fd, POLLIN, timeout_ms);
	if (err)
		return err;
	do {
		n = recv(fd, *buf + *len, *cap - *len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*len += (size_t)n;
	return n;
}

struct ktcp_http_client *ktcp_http_client_new(const struct ktcp_http_client_config *cfg)
{
	struct ktcp_http_client *cl;

	if (!cfg || !cfg->connect || !cfg->host) {
		errno = EINVAL;
		return NULL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	cl->cfg = *cfg;
	if (!cl->cfg.timeout_ms)
		cl->cfg.timeout_ms = 30000;
	if (!cl->cfg.limits.max_headers)
		cl->cfg.limits.max_headers = KTCP_HTTP_DEFAULT_MAX_HEADERS;
	if (!cl->cfg.limits.max_body)
		cl->cfg.limits.max_body = 1ull << 30;
	cl->max_headers = cl->cfg.limits.max_headers;
	cl->hdrs = calloc(cl->max_headers, sizeof(*cl->hdrs));
	if (!cl->hdrs) {
		free(cl);
		return NULL;
	}
	cl->fd = -1;
	return cl;
}

static void drop(struct ktcp_http_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->len = cl->consumed = 0;
}

void ktcp_http_client_free(struct ktcp_http_client *cl)
{
	if (!cl)
		return;
	drop(cl);
	free(cl->buf);
	free(cl->hdrs);
	free(cl->body);
	free(cl);
}

unsigned int ktcp_http_client_connections(const struct ktcp_http_client *cl)
{
	return cl->nconn;
}

/* Whether the server closed (or broke) an idle connection. */
static int stale(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	/* readable while idle: EOF, an error, or bytes nobody asked for */
	(void)recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return 1;
}

static int idempotent(const char *m)
{
	static const char *const ok[] = { "GET", "HEAD", "PUT", "DELETE",
					  "OPTIONS", "TRACE" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(m, ok[i]))
			return 1;
	return 0;
}

static int body_append(struct ktcp_http_client *cl, const char *d, size_t n)
{
	if (cl->body_len + n + 1 > cl->body_cap) {
		size_t cap = cl->body_cap ? cl->body_cap : 4096;
		char *p;

		while (cap < cl->body_len + n + 1)
			cap *= 2;
		p = realloc(cl->body, cap);
		if (!p)
			return -ENOMEM;
		cl->body = p;
		cl->body_cap = cap;
	}
	memcpy(cl->body + cl->body_len, d, n);
	cl->body_len += n;
	cl->body[cl->body_len] = '\0';
	return 0;
}

static int read_response(struct ktcp_http_client *cl, int head_req,
			 struct ktcp_http_client_response *resp)
{
	struct ktcp_http_response r;
	size_t start = 0, max = cl->cfg.limits.max_head_bytes ?
		cl->cfg.limits.max_head_bytes : KTCP_HTTP_DEFAULT_MAX_HEAD;
	enum ktcp_http_body_kind kind;
	const char *head_buf;
	size_t head_at;
	uint64_t clen;
	int ret;
	long n;

	max += cl->cfg.limits.max_body + 65536;
	for (;;) {
		r.headers = cl->hdrs;
		r.num_headers = cl->max_headers;
		ret = cl->len == start ? -EAGAIN :
		      ktcp_http_parse_response(cl->buf + start, cl->len - start,
					       &r, &cl->cfg.limits);
		if (ret == -EAGAIN) {
			n = read_more(cl->fd, &cl->buf, &cl->len, &cl->cap, max,
				      cl->cfg.timeout_ms);
			if (n == 0)
				return cl->len == start ? -ECONNRESET : -EBADMSG;
			if (n < 0)
				return (int)n;
			continue;
		}
		if (ret < 0)
			return ret;
		if (r.status >= 100 && r.status < 200 && r.status != 101) {
			start += (size_t)ret;
			continue;
		}
		break;
	}
	head_at = start;
	head_buf = cl->buf;
	start += (size_t)ret;
	cl->body_len = 0;
	if (body_append(cl, "", 0))
		return -ENOMEM;
	kind = KTCP_HTTP_BODY_NONE;
	clen = 0;
	if (!head_req && r.status != 204 && r.status != 304 && r.status != 101) {
		ret = ktcp_http_body_framing(r.headers, r.num_headers, 0,
					     &cl->cfg.limits, &kind, &clen);
		if (ret)
			return ret;
	}
	if (kind == KTCP_HTTP_BODY_LENGTH) {
		while (cl->len - start < clen) {
			n = read_more(cl->fd, &cl->buf, &cl->len, &cl->cap, max,
				      cl->cfg.timeout_ms);
			if (n <= 0)
				return n ? (int)n : -EBADMSG;
		}
		if (body_append(cl, cl->buf + start, (size_t)clen))
			return -ENOMEM;
		cl->consumed = start + (size_t)clen;
	} else if (kind == KTCP_HTTP_BODY_CHUNKED) {
		struct ktcp_http_chunked dec;
		size_t pos = start;

		ktcp_http_chunked_init(&dec, &cl->cfg.limits);
		while (!ktcp_http_chunked_done(&dec)) {
			const char *d;
			size_t dl;
			long used;

			if (pos == cl->len) {
				n = read_more(cl->fd, &cl->buf, &cl->len,
					      &cl->cap, max, cl->cfg.timeout_ms);
				if (n <= 0)
					return n ? (int)n : -EBADMSG;
				continue;
			}
			used = ktcp_http_chunked_decode(&dec, cl->buf + pos,
							cl->len - pos, &d, &dl);
			if (used < 0)
				return (int)used;
			if (dl && body_append(cl, d, dl))
				return -ENOMEM;
			pos += (size_t)used;
			/* drop raw chunks to bound the buffer; the head stays */
			memmove(cl->buf + start, cl->buf + pos, cl->len - pos);
			cl->len -= pos - start;
			pos = start;
		}
		cl->consumed = pos;
	} else if (kind == KTCP_HTTP_BODY_CLOSE) {
		for (;;) {
			n = read_more(cl->fd, &cl->buf, &cl->len, &cl->cap, max,
				      cl->cfg.timeout_ms);
			if (n < 0)
				return (int)n;
			if (n == 0)
				break;
		}
		if (body_append(cl, cl->buf + start, cl->len - start))
			return -ENOMEM;
		cl->consumed = cl->len;
	} else {
		cl->consumed = start;
	}
	if (cl->buf != head_buf) {
		/*
		 * Reading the body moved the buffer, and the head's pointers
		 * with it: parse the head again where it is now.
		 */
		r.headers = cl->hdrs;
		r.num_headers = cl->max_headers;
		ktcp_http_parse_response(cl->buf + head_at, cl->len - head_at, &r,
					 &cl->cfg.limits);
	}
	resp->status = r.status;
	resp->minor_version = r.minor_version;
	resp->headers = r.headers;
	resp->num_headers = r.num_headers;
	resp->body = cl->body;
	resp->body_len = cl->body_len;
	resp->keep_alive = kind != KTCP_HTTP_BODY_CLOSE &&
			   ktcp_http_keep_alive(r.minor_version, r.headers,
						r.num_headers);
	return 0;
}

/* Send a chunked body from @fn; the last-chunk too. */
static int send_chunked(struct ktcp_http_client *cl, ktcp_body_fn fn,
			void *arg)
{
	char buf[16384 + 32];
	int err;

	for (;;) {
		long n = fn(buf + 20, 16384, arg);
		int hl;

		if (n < 0)
			return (int)n;
		if (n == 0)
			return write_all(cl->fd, "0\r\n\r\n", 5, cl->cfg.timeout_ms);
		if (n > 16384)
			return -EINVAL;
		/* the size line goes right before the data, in one write */
		hl = snprintf(buf, 20, "%lx\r\n", n);
		memmove(buf + 20 - hl, buf, (size_t)hl);
		memcpy(buf + 20 + n, "\r\n", 2);
		err = write_all(cl->fd, buf + 20 - hl, (size_t)hl + (size_t)n + 2,
				cl->cfg.timeout_ms);
		if (err)
			return err;
	}
}

static int request(struct ktcp_http_client *cl, const char *method,
		   const char *target, const struct ktcp_http_header *headers,
		   size_t num_headers, const void *body, size_t body_len,
		   ktcp_body_fn body_fn, void *body_arg,
		   struct ktcp_http_client_response *resp)
{
	int attempt, err = 0;
	char *head;
	size_t hl, i, cap;

	cap = strlen(method) + strlen(target) + strlen(cl->cfg.host) + 128;
	for (i = 0; i < num_headers; i++)
		cap += headers[i].name_len + headers[i].value_len + 4;
	head = malloc(cap);
	if (!head)
		return -ENOMEM;
	hl = (size_t)sprintf(head, "%s %s HTTP/1.1\r\nHost: %s\r\n", method,
			     target, cl->cfg.host);
	for (i = 0; i < num_headers; i++)
		hl += (size_t)sprintf(head + hl, "%.*s: %.*s\r\n",
				      (int)headers[i].name_len, headers[i].name,
				      (int)headers[i].value_len, headers[i].value);
	if (body_fn)
		hl += (size_t)sprintf(head + hl, "Transfer-Encoding: chunked\r\n");
	else if (body || !strcmp(method, "POST") || !strcmp(method, "PUT"))
		hl += (size_t)sprintf(head + hl, "Content-Length: %zu\r\n",
				      body_len);
	hl += (size_t)sprintf(head + hl, "\r\n");

	memset(resp, 0, sizeof(*resp));
	for (attempt = 0; attempt < 2; attempt++) {
		/* forget the previous response */
		if (cl->consumed)
			memmove(cl->buf, cl->buf + cl->consumed,
				cl->len - cl->consumed);
		cl->len -= cl->consumed;
		cl->consumed = 0;
		if (cl->fd >= 0 && (cl->len || stale(cl->fd)))
			drop(cl);
		if (cl->fd < 0) {
			cl->fd = cl->cfg.connect(cl->cfg.connect_arg);
			if (cl->fd < 0) {
				err = cl->fd;
				cl->fd = -1;
				break;
			}
			cl->nconn++;
			cl->used = 0;
		}
		resp->reused = cl->used > 0;
		cl->used++;
		err = write_all(cl->fd, head, hl, cl->cfg.timeout_ms);
		if (!err && body_len)
			err = write_all(cl->fd, body, body_len,
					cl->cfg.timeout_ms);
		if (!err && body_fn)
			err = send_chunked(cl, body_fn, body_arg);
		if (!err)
			err = read_response(cl, !strcmp(method, "HEAD"), resp);
		/* a streamed body cannot be sent twice */
		if (err && resp->reused && idempotent(method) && !body_fn &&
		    (err == -ECONNRESET || err == -EPIPE)) {
			drop(cl);
			continue;
		}
		break;
	}
	free(head);
	if (err) {
		drop(cl);
		return err;
	}
	if (!resp->keep_alive) {
		/* keep the buffer: the response points into it */
		close(cl->fd);
		cl->fd = -1;
	}
	return 0;
}

int ktcp_http_client_request(struct ktcp_http_client *cl, const char *method,
			     const char *target,
			     const struct ktcp_http_header *headers,
			     size_t num_headers, const void *body,
			     size_t body_len,
			     struct ktcp_http_client_response *resp)
{
	return request(cl, method, target, headers, num_headers, body,
		       body_len, NULL, NULL, resp);
}

/* ---- ranged GET ---- */

static const struct ktcp_http_header *
response_field(const struct ktcp_http_client_response *resp, const char *name,
	       int *count)
{
	int i = ktcp_http_find_header(resp->headers, resp->num_headers, name, 0);

	*count = i >= 0;
	if (i >= 0 && ktcp_http_find_header(resp->headers, resp->num_headers,
					    name, (size_t)i + 1) >= 0)
		*count = 2;
	return i >= 0 ? &resp->headers[i] : NULL;
}

/*
 * Whether @part could answer @specs: it begins where one of them begins
 * and ends where one ends, as resolved against @complete; an end that
 * cannot be resolved (the length is "*") matches anything.
 */
static int part_asked(const struct ktcp_byte_range *part,
		      const struct ktcp_range_spec *specs, size_t n,
		      uint64_t complete)
{
	int first_ok = 0, last_ok = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct ktcp_byte_range br;

		if (complete != UINT64_MAX) {
			if (!ktcp_range_resolve(&specs[i], complete, &br))
				continue;
			first_ok |= br.first == part->first;
			last_ok |= br.last == part->last;
		} else if (specs[i].suffix) {
			first_ok = last_ok = 1;
		} else {
			first_ok |= specs[i].first == part->first;
			last_ok |= specs[i].last == KTCP_RANGE_END ||
				   specs[i].last == part->last;
		}
	}
	return first_ok && last_ok;
}

/* Every satisfiable range asked for lies within a part. */
static int specs_covered(const struct ktcp_http_client_ranges *got,
			 const struct ktcp_range_spec *specs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct ktcp_byte_range br;

		if (got->complete_length == UINT64_MAX) {
			if (specs[i].suffix)
				continue;
			br.first = specs[i].first;
			br.last = specs[i].last == KTCP_RANGE_END ?
				  specs[i].first : specs[i].last;
		} else if (!ktcp_range_resolve(&specs[i], got->complete_length,
					       &br)) {
			continue;
		}
		for (j = 0; j < got->num_parts; j++)
			if (got->parts[j].range.first <= br.first &&
			    br.last <= got->parts[j].range.last)
				break;
		if (j == got->num_parts)
			return 0;
	}
	return 1;
}

static int check_partial(const struct ktcp_http_client_response *resp,
			 const struct ktcp_range_spec *specs, size_t n,
			 struct ktcp_http_client_ranges *got)
{
	static const char multipart[] = "multipart/byteranges";
	const struct ktcp_http_header *ct, *cr;
	int nct, ncr;
	size_t i;

	ct = response_field(resp, "Content-Type", &nct);
	cr = response_field(resp, "Content-Range", &ncr);
	if (nct == 1 && ct->value_len >= sizeof(multipart) - 1 &&
	    !strncasecmp(ct->value, multipart, sizeof(multipart) - 1)) {
		if (ncr || ktcp_byteranges_parse(ct->value, ct->value_len,
						 resp->body, resp->body_len,
						 got->parts, n, &got->num_parts))
			return -EPROTO;
	} else {
		struct ktcp_byterange_part *p = &got->parts[0];

		if (ncr != 1 || ktcp_content_range_parse(cr->value, cr->value_len,
							 &p->range, &p->complete) ||
		    p->range.last - p->range.first != resp->body_len - 1)
			return -EPROTO;
		p->data = resp->body;
		got->num_parts = 1;
	}
	got->complete_length = got->parts[0].complete;
	for (i = 0; i < got->num_parts; i++)
		if (got->parts[i].complete != got->complete_length ||
		    !part_asked(&got->parts[i].range, specs, n,
				got->complete_length))
			return -EPROTO;
	return specs_covered(got, specs, n) ? 0 : -EPROTO;
}

int ktcp_http_client_get_ranges(struct ktcp_http_client *cl, const char *target,
				const struct ktcp_http_header *headers,
				size_t num_headers,
				const struct ktcp_range_spec *specs,
				size_t num_specs,
				struct ktcp_http_client_response *resp,
				struct ktcp_http_client_ranges *got)
{
	char range[KTCP_FILE_MAX_RANGES * 42 + 8];
	struct ktcp_http_header *h;
	const struct ktcp_http_header *cr;
	int len, err, ncr;

	memset(got, 0, sizeof(*got));
	got->complete_length = UINT64_MAX;
	if (!num_specs || num_specs > KTCP_FILE_MAX_RANGES)
		return -EINVAL;
	len = ktcp_range_format(range, sizeof(range), specs, num_specs);
	if (len < 0)
		return len;
	h = malloc((num_headers + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (num_headers)
		memcpy(h, headers, num_headers * sizeof(*h));
	h[num_headers] = (struct ktcp_http_header){
		.name = "Range", .name_len = 5,
		.value = range, .value_len = (size_t)len,
	};
	err = request(cl, "GET", target, h, num_headers + 1, NULL, 0, NULL,
		      NULL, resp);
	free(h);
	if (err)
		return err;
	switch (resp->status) {
	case 200:
		got->complete_length = resp->body_len;
		return 0;
	case 206:
		err = check_partial(resp, specs, num_specs, got);
		if (err)
			got->num_parts = 0;
		return err;
	case 416:
		cr = response_field(resp, "Content-Range", &ncr);
		if (ncr == 1)
			ktcp_content_range_parse(cr->value, cr->value_len,
						 &(struct ktcp_byte_range){ 0 },
						 &got->complete_length);
		return 0;
	}
	return 0;
}

int ktcp_http_client_request_chunked(struct ktcp_http_client *cl,
				     const char *method, const char *target,
				     const struct ktcp_http_header *headers,
				     size_t num_headers, ktcp_body_fn body,
				     void *arg,
				     struct ktcp_http_client_response *resp)
{
	if (!body)
		return -EINVAL;
	return request(cl, method, target, headers, num_headers, NULL, 0,
		       body, arg, resp);
}

/* ---- WebSocket client ---- */

struct ktcp_ws_client {
	int fd;
	int timeout_ms;
	int done;
	struct ktcp_ws *ws;
	struct ktcp_ws_callbacks cb;
	void *arg;
	char *protocol;
};

static int wc_send(struct ktcp_ws *ws, const void *hdr, size_t hdr_len,
		   const void *payload, size_t len, void *arg)
{
	struct ktcp_ws_client *wc = arg;
	char buf[KTCP_WS_MAX_HEADER + 1024];
	int err;

	(void)ws;
	/* small frames in one write, larger ones in two */
	if (len <= 1024) {
		memcpy(buf, hdr, hdr_len);
		if (len)
			memcpy(buf + hdr_len, payload, len);
		return write_all(wc->fd, buf, hdr_len + len, wc->timeout_ms);
	}
	err = write_all(wc->fd, hdr, hdr_len, wc->timeout_ms);
	return err ? err : write_all(wc->fd, payload, len, wc->timeout_ms);
}

static void wc_message(struct ktcp_ws *ws, unsigned int op, const void *d,
		       size_t len, void *arg)
{
	struct ktcp_ws_client *wc = arg;

	wc->cb.on_message(ws, op, d, len, wc->arg);
}

static void wc_control(struct ktcp_ws *ws, unsigned int op, const void *d,
		       size_t len, void *arg)
{
	struct ktcp_ws_client *wc = arg;

	if (wc->cb.on_control)
		wc->cb.on_control(ws, op, d, len, wc->arg);
}

static void wc_close(struct ktcp_ws *ws, int code, const char *r, size_t rl,
		     int by_peer, void *arg)
{
	struct ktcp_ws_client *wc = arg;

	wc->done = 1;
	if (wc->cb.on_close)
		wc->cb.on_close(ws, code, r, rl, by_peer, wc->arg);
}

struct ktcp_ws_client *ktcp_ws_client_connect(int fd,
					      const struct ktcp_ws_client_config *cfg,
					      const struct ktcp_ws_callbacks *cb,
					      void *arg, int *err)
{
	static const struct ktcp_ws_callbacks wcb = {
		.send = wc_send, .on_message = wc_message,
		.on_control = wc_control, .on_close = wc_close,
	};
	struct ktcp_http_header hdrs[32];
	struct ktcp_http_response r;
	struct ktcp_ws_config wcfg = { .client = 1 };
	struct ktcp_ws_client *wc = NULL;
	char req[2048], key[25], *buf = NULL;
	size_t len = 0, cap = 0;
	int n, ret, proto, deflate;

	*err = -EINVAL;
	if (!cfg || !cb || !cb->on_message || !cfg->host || !cfg->path)
		goto fail;
	wc = calloc(1, sizeof(*wc));
	if (!wc) {
		*err = -ENOMEM;
		goto fail;
	}
	wc->fd = fd;
	wc->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	wc->cb = *cb;
	wc->arg = arg;
	n = ktcp_ws_client_request(req, sizeof(req), cfg->host, cfg->path,
				   cfg->protocols, cfg->origin, cfg->deflate,
				   key);
	if (n < 0) {
		*err = n;
		goto fail;
	}
	*err = write_all(fd, req, (size_t)n, wc->timeout_ms);
	if (*err)
		goto fail;
	for (;;) {
		long m;

		r.headers = hdrs;
		r.num_headers = 32;
		ret = ktcp_http_parse_response(buf ? buf : "", len, &r, NULL);
		if (ret != -EAGAIN)
			break;
		m = read_more(fd, &buf, &len, &cap, 65536, wc->timeout_ms);
		if (m <= 0) {
			*err = m ? (int)m : -ECONNRESET;
			goto fail;
		}
	}
	if (ret < 0) {
		*err = ret;
		goto fail;
	}
	deflate = !!cfg->deflate;
	*err = ktcp_ws_client_check(&r, key, cfg->protocols, &proto, &deflate);
	if (*err)
		goto fail;
	if (proto >= 0) {
		wc->protocol = strndup(hdrs[proto].value, hdrs[proto].value_len);
		if (!wc->protocol) {
			*err = -ENOMEM;
			goto fail;
		}
	}
	wcfg.max_message = cfg->max_message;
	wcfg.deflate = deflate;
	wc->ws = ktcp_ws_new(&wcfg, &wcb, wc);
	if (!wc->ws) {
		*err = -errno;
		goto fail;
	}
	/* frames that came with the 101 */
	if (len > (size_t)ret && ktcp_ws_recv(wc->ws, buf + ret, len - (size_t)ret)) {
		*err = -EPROTO;
		goto fail;
	}
	free(buf);
	*err = 0;
	return wc;
fail:
	free(buf);
	if (wc) {
		ktcp_ws_free(wc->ws);
		free(wc->protocol);
		free(wc);
	}
	close(fd);
	return NULL;
}

struct ktcp_ws *ktcp_ws_client_ws(struct ktcp_ws_client *wc)
{
	return wc->ws;
}

const char *ktcp_ws_client_protocol(const struct ktcp_ws_client *wc)
{
	return wc->protocol;
}

int ktcp_ws_client_poll(struct ktcp_ws_client *wc, int timeout_ms)
{
	char buf[65536];
	ssize_t n;
	int err;

	if (wc->done)
		return -EPIPE;
	err = wait_fd(wc->fd, POLLIN, timeout_ms < 0 ? wc->timeout_ms : timeout_ms);
	if (err == -ETIMEDOUT)
		return 0;
	if (err)
		return err;
	do {
		n = recv(wc->fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0) {
		wc->done = 1;
		if (wc->cb.on_close)
			wc->cb.on_close(wc->ws, KTCP_WS_ABNORMAL, NULL, 0, 1,
					wc->arg);
		return -EPIPE;
	}
	err = ktcp_ws_recv(wc->ws, buf, (size_t)n);
	if (err)
		return err;
	return 1;
}

void ktcp_ws_client_free(struct ktcp_ws_client *wc)
{
	if (!wc)
		return;
	close(wc->fd);
	ktcp_ws_free(wc->ws);
	free(wc->protocol);
	free(wc);
}
