/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: an HTTP/1.1 keep-alive and WebSocket server on a ktcp_loop.
 *
 * The server accepts connections on any listening stream socket
 * (AF_KTCP, AF_INET, AF_INET6, AF_UNIX), parses requests with
 * ktcp/http.h and calls the handler once per request, in order, also
 * for pipelined requests.  The handler answers through the
 * struct ktcp_http_req it gets, either at once or later from another
 * callback of the same loop (streaming).  The next request on a
 * connection is not parsed before the previous response ended.
 *
 * What the server does on its own:
 *   - persistent connections: HTTP/1.1 unless "Connection: close",
 *     HTTP/1.0 with "Connection: keep-alive"; idle timeout; a maximum
 *     number of requests per connection.
 *   - slow or absent peers: a deadline for each request head and a
 *     minimum rate for its body (408 and a close), a send timeout for
 *     peers that stop reading (cut off).
 *   - a cap on connections, and running out of descriptors: accepting
 *     pauses (connections wait in the listen backlog) and resumes when
 *     a connection closes or after a short while; while descriptors
 *     are out, one spare descriptor lets the server answer a waiting
 *     client with 503 and close it rather than leave it hanging.
 *   - a memory budget for the whole server besides each connection's
 *     limits: what its buffers hold beyond it is refused (503, -ENOBUFS
 *     for writes, WebSocket close 1013).
 *   - Content-Length and chunked request bodies, read completely
 *     before the handler runs (up to the body limit);
 *     "Expect: 100-continue" (417 for other expectations).
 *   - malformed or smuggling requests and passed limits get 400, 413,
 *     414, 431, 501 or 505 with "Connection: close", and the
 *     connection closes.
 *   - backpressure: the server stops reading from a connection while
 *     more than out_high_water bytes wait to be sent to it, and no
 *     connection ever queues more than out_max bytes (writes past that
 *     fail with -ENOBUFS).
 *   - WebSocket: ktcp_http_ws_accept() upgrades a request; from then on
 *     the struct ktcp_ws of ktcp/ws.h runs the connection and the
 *     ws_* callbacks of the configuration see its messages.
 */
#ifndef KTCP_SERVER_H
#define KTCP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <ktcp/http.h>
#include <ktcp/loop.h>
#include <ktcp/ws.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ktcp_http_server;
/* One request and its response, valid until the response has ended. */
struct ktcp_http_req;

struct ktcp_http_server_config {
	/* Called for each request; must eventually end the response. */
	void (*handler)(struct ktcp_http_req *req, void *arg);
	void *arg;			/* for every callback */
	struct ktcp_http_limits limits;	/* zeroes: defaults */
	/* waiting for the next request, or no byte read for this long */
	unsigned int idle_timeout_ms;	/* 0: 30000 */
	/* a request head must be complete this long after its first byte */
	unsigned int head_timeout_ms;	/* 0: 10000 */
	/*
	 * A request body may take body_timeout_ms plus one second for
	 * each body_min_rate bytes (mod_reqtimeout's "body=10,MinRate=500"):
	 * a body dribbled slower than that gets 408.
	 */
	unsigned int body_timeout_ms;	/* 0: 10000 */
	unsigned int body_min_rate;	/* bytes per second; 0: 500 */
	/* bytes queued and none of them taken by the peer for this long */
	unsigned int send_timeout_ms;	/* 0: 30000 */
	unsigned int max_connections;	/* 0: 1024 */
	/*
	 * Bytes all connections' buffers may hold together (read, send,
	 * request body, WebSocket message buffers); 0: 1 GiB.
	 */
	uint64_t memory_max;
	unsigned int max_requests;	/* per connection; 0: unlimited */
	size_t out_high_water;		/* 0: 1 MiB */
	size_t out_max;			/* 0: 1 MiB + 2 * ws_max_message */
	int send_date;			/* add a Date header (RFC 9110 6.6.1) */
	/*
	 * Call the handler as soon as a head is in, and hand the body to
	 * the callback set with ktcp_http_req_on_body() as it arrives,
	 * instead of reading it whole first.  The body limit still
	 * applies: 413 for a Content-Length over it, a failed body for
	 * a chunked one that grows past it.
	 */
	int stream_bodies;

	/* WebSocket (used by ktcp_http_ws_accept()) */
	const struct ktcp_ws_server_policy *ws_policy;	/* NULL: none */
	uint64_t ws_max_message;	/* 0: KTCP_WS_DEFAULT_MAX_MESSAGE */
	void (*ws_open)(struct ktcp_ws *ws, void *arg);
	void (*ws_message)(struct ktcp_ws *ws, unsigned int opcode,
			   const void *data, size_t len, void *arg);
	void (*ws_close)(struct ktcp_ws *ws, int code, const char *reason,
			 size_t reason_len, int by_peer, void *arg);
	/*
	 * Called right before a struct ktcp_ws goes away (its connection
	 * closed, whatever the reason); the last moment to use it.
	 */
	void (*ws_gone)(struct ktcp_ws *ws, void *arg);
};

/**
 * ktcp_http_server_new() - Serve HTTP on a listening socket.
 * @loop: the event loop to run on.
 * @listen_fd: a listening stream socket; made non-blocking; the server
 *             does not close it.
 * @cfg: configuration (copied); handler is required.
 *
 * Return: the server, or NULL with errno set (EINVAL, ENOMEM, or an
 * epoll error).
 */
struct ktcp_http_server *ktcp_http_server_new(struct ktcp_loop *loop,
					      int listen_fd,
					      const struct ktcp_http_server_config *cfg);

/**
 * ktcp_http_server_free() - Close every connection and free the server.
 * @srv: the server, or NULL.
 */
void ktcp_http_server_free(struct ktcp_http_server *srv);

/**
 * ktcp_http_server_connections() - Number of open connections.
 * @srv: the server.
 *
 * Return: the count.
 */
size_t ktcp_http_server_connections(const struct ktcp_http_server *srv);

/**
 * ktcp_http_req_head() - The parsed request head.
 * @req: the request.
 *
 * Return: method, target, version and headers; valid until the
 * response has ended.
 */
const struct ktcp_http_request *ktcp_http_req_head(const struct ktcp_http_req *req);

/**
 * ktcp_http_req_body() - The request body (complete, decoded).
 * @req: the request.
 * @len: set to its length.
 *
 * Return: a pointer to the body (not NUL-terminated; NULL if empty).
 */
const void *ktcp_http_req_body(const struct ktcp_http_req *req, size_t *len);

/*
 * Receives a streamed request body: @len bytes at @data (valid until
 * return) with @status 0 while more is to come; a last call with
 * @status 1 at the end of the body (with the last bytes for
 * Content-Length bodies, with none for chunked ones); or one call with
 * a negative errno when the body cannot complete (-ECONNRESET: the
 * connection went away; -EBADMSG, -EFBIG, -E2BIG: a bad chunk, or
 * chunks, extensions or trailers past the limits, after which no more
 * of the body is read and the connection closes once the response is
 * out; if the handler had not started its response, the server has
 * answered 400, 413 or 431 for it and what the handler writes goes
 * nowhere; -ETIMEDOUT: the body came slower than body_min_rate
 * allows, answered with 408 in the same way; -ENOBUFS: the server's
 * memory budget ran out, answered with 503).  Either way, the handler
 * still ends the response (writes may fail with -EPIPE).
 */
typedef void (*ktcp_http_body_fn)(struct ktcp_http_req *req,
				  const void *data, size_t len, int status,
				  void *arg);

/**
 * ktcp_http_req_on_body() - Receive the request body as it arrives.
 * @req: a request of a server with stream_bodies set, whose body has
 *       not ended yet (ktcp_http_req_body() returns NULL for it).
 * @fn: the body callback, see ktcp_http_body_fn.
 * @arg: passed to @fn.
 *
 * Call it from the handler.  Without it the body is read and dropped.
 * Ending the response before the body is complete closes the
 * connection afterwards, as the rest of the body is not read.
 */
void ktcp_http_req_on_body(struct ktcp_http_req *req, ktcp_http_body_fn fn,
			   void *arg);

/**
 * ktcp_http_req_seq() - Position of the request on its connection.
 * @req: the request.
 *
 * Return: 1 for the first request of a connection, 2 for the next...
 */
unsigned int ktcp_http_req_seq(const struct ktcp_http_req *req);

/**
 * ktcp_http_resp_header() - Add a response header field.
 * @req: the request.
 * @name: field name (a token).
 * @value: field value (no CR or LF).
 *
 * Must come before ktcp_http_resp_send() or ktcp_http_resp_start().
 * Content-Length, Transfer-Encoding and Connection are set by the
 * server and refused here.
 *
 * Return: 0; -EINVAL for a bad name or value, or after the head went
 * out; -ENOMEM.
 */
int ktcp_http_resp_header(struct ktcp_http_req *req, const char *name,
			  const char *value);

/**
 * ktcp_http_resp_send() - Send a whole response and end it.
 * @req: the request.
 * @status: 200..999 (1xx and 101 are not allowed here).
 * @body: the body, or NULL.
 * @len: its length; sent as Content-Length (the body is left out for
 *       HEAD requests and 204/304).
 *
 * Return: 0; -EINVAL if a response was already started; -ENOBUFS if
 * the connection's queue would pass out_max or the server's
 * memory_max (the connection closes); -ENOMEM.  @req is no longer
 * valid afterwards in every case.
 */
int ktcp_http_resp_send(struct ktcp_http_req *req, int status,
			const void *body, size_t len);

/**
 * ktcp_http_resp_start() - Send the head of a streamed response.
 * @req: the request.
 * @status: as for ktcp_http_resp_send().
 * @content_length: the body length if known, or -1: then the body is
 *                  chunked for HTTP/1.1 clients and delimited by the
 *                  close of the connection for HTTP/1.0 clients.
 *
 * Return: 0, -EINVAL if already started, -ENOBUFS, -ENOMEM.
 */
int ktcp_http_resp_start(struct ktcp_http_req *req, int status,
			 int64_t content_length);

/**
 * ktcp_http_resp_write() - Send part of a streamed body.
 * @req: the request, after ktcp_http_resp_start().
 * @data: the bytes.
 * @len: their count (0 does nothing).
 *
 * Queues the bytes and sends what the socket takes.  Check
 * ktcp_http_resp_queued() against your own limit, or wait for the
 * drain callback, before writing more.
 *
 * Return: 0; -EINVAL if not started or past the Content-Length;
 * -ENOBUFS past out_max or the server's memory_max; -EPIPE if the
 * connection failed (then end the response to release it).
 */
int ktcp_http_resp_write(struct ktcp_http_req *req, const void *data,
			 size_t len);

/**
 * ktcp_http_resp_sendfile() - Send part of a streamed body from a file.
 * @req: the request, after ktcp_http_resp_start().
 * @fd: a file that sendfile() can read (a regular file); the server
 *      sends from a duplicate of it, so @fd may be closed right away.
 * @offset: where in the file the bytes start.
 * @len: their count (0 does nothing).
 *
 * The bytes go out with sendfile() on the connection's socket, after
 * what was queued before and before what is queued after, without
 * passing through memory; they count against the Content-Length but
 * not against out_max.  At most 64 pieces wait at a time; the drain
 * callback runs once all of them are out.  Until then the connection's
 * next request is not read.  A file that turns out shorter than
 * promised closes the connection.
 *
 * Return: 0; -EINVAL if not started, past the Content-Length, or for a
 * negative @offset; -EBADF; -ENOBUFS with 64 pieces waiting; -EPIPE if
 * the connection failed; -EMFILE or -ENOMEM.
 */
int ktcp_http_resp_sendfile(struct ktcp_http_req *req, int fd, int64_t offset,
			    uint64_t len);

/**
 * ktcp_http_resp_end() - End a streamed response.
 * @req: the request; not valid afterwards.
 *
 * Return: 0; -EINVAL if fewer bytes than the Content-Length were
 * written (the connection then closes).
 */
int ktcp_http_resp_end(struct ktcp_http_req *req);

/**
 * ktcp_http_resp_queued() - Bytes waiting to be sent on the connection.
 * @req: the request.
 *
 * Return: the count.
 */
size_t ktcp_http_resp_queued(const struct ktcp_http_req *req);

/**
 * ktcp_http_resp_on_drain() - Be told when the send queue has drained.
 * @req: the request, after ktcp_http_resp_start().
 * @fn: called once, when fewer than out_high_water / 2 bytes are
 *      queued, or when the connection failed (then writes return
 *      -EPIPE); NULL cancels.
 * @arg: passed to @fn.
 */
void ktcp_http_resp_on_drain(struct ktcp_http_req *req,
			     void (*fn)(struct ktcp_http_req *req, void *arg),
			     void *arg);

/**
 * ktcp_http_ws_accept() - Upgrade the request to a WebSocket.
 * @req: a request for which ktcp_ws_is_upgrade() is true.
 * @data: stored in the new endpoint, see ktcp_http_ws_data().
 *
 * Checks the handshake against the server's ws_policy.  On failure it
 * answers with the status ktcp_ws_server_check() chose (426 with
 * "Sec-WebSocket-Version: 13") and ends the response.  On success it
 * answers 101, calls ws_open and the connection carries WebSocket
 * frames from then on.  @req is not valid afterwards in either case.
 *
 * Return: the endpoint (owned by the server; it lives until ws_gone),
 * or NULL with errno set to EPROTO (handshake refused) or ENOMEM.
 */
struct ktcp_ws *ktcp_http_ws_accept(struct ktcp_http_req *req, void *data);

/**
 * ktcp_http_ws_data() - The data given to ktcp_http_ws_accept().
 * @ws: an endpoint of this server.
 *
 * Return: the pointer.
 */
void *ktcp_http_ws_data(const struct ktcp_ws *ws);

/**
 * ktcp_http_ws_queued() - Bytes waiting to be sent on a WebSocket.
 * @ws: an endpoint of this server.
 *
 * Return: the count.  ktcp_ws_send() fails with -ENOBUFS rather than
 * letting it pass out_max.
 */
size_t ktcp_http_ws_queued(const struct ktcp_ws *ws);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_SERVER_H */
