/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: blocking HTTP/1.1 and WebSocket clients on any stream socket.
 *
 * The HTTP client keeps one connection open between requests and
 * reuses it (keep-alive).  Before reusing it, it checks whether the
 * server has closed it meanwhile; if the server closes a reused
 * connection before answering, an idempotent request (GET, HEAD, PUT,
 * DELETE, OPTIONS, TRACE) is sent once more on a new connection.  New
 * connections come from a callback, so the client runs over AF_KTCP,
 * TCP or AF_UNIX alike.
 *
 * Errors are negative errno values.
 */
#ifndef KTCP_CLIENT_H
#define KTCP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <ktcp/file.h>
#include <ktcp/http.h>
#include <ktcp/ws.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens a new connected blocking stream socket; returns it or -errno. */
typedef int (*ktcp_connect_fn)(void *arg);

struct ktcp_http_client;

struct ktcp_http_client_config {
	ktcp_connect_fn connect;	/* required */
	void *connect_arg;
	const char *host;		/* Host header; required */
	struct ktcp_http_limits limits;	/* zeroes: defaults */
	int timeout_ms;			/* per read or write; 0: 30000 */
};

/* A response; valid until the next request or ktcp_http_client_free(). */
struct ktcp_http_client_response {
	int status;
	int minor_version;
	const struct ktcp_http_header *headers;
	size_t num_headers;
	const char *body;		/* decoded; NUL-terminated for convenience */
	size_t body_len;
	int reused;			/* sent on a connection used before */
	int keep_alive;			/* the connection stays open */
};

/**
 * ktcp_http_client_new() - Create a client.
 * @cfg: configuration (copied; the strings must outlive the client).
 *
 * No connection is made before the first request.
 *
 * Return: the client or NULL with errno set.
 */
struct ktcp_http_client *ktcp_http_client_new(const struct ktcp_http_client_config *cfg);

/**
 * ktcp_http_client_free() - Close the connection and free the client.
 * @cl: the client, or NULL.
 */
void ktcp_http_client_free(struct ktcp_http_client *cl);

/**
 * ktcp_http_client_request() - Send a request and read its response.
 * @cl: the client.
 * @method: e.g. "GET".
 * @target: e.g. "/index.html".
 * @headers: extra header fields (not Host, Content-Length, Connection),
 *           or NULL.
 * @num_headers: their count.
 * @body: request body or NULL; sent with Content-Length.
 * @body_len: its length.
 * @resp: filled in with the response.
 *
 * Informational (1xx) responses are skipped.  A response that ends
 * with the connection is read to the end.
 *
 * Return: 0; -ETIMEDOUT; -ECONNRESET if the server closed before
 * answering; -EBADMSG (or another parser error) for a malformed
 * response, after which the connection is dropped; the connect
 * callback's error.
 */
int ktcp_http_client_request(struct ktcp_http_client *cl, const char *method,
			     const char *target,
			     const struct ktcp_http_header *headers,
			     size_t num_headers, const void *body,
			     size_t body_len,
			     struct ktcp_http_client_response *resp);

/*
 * Supplies the next piece of a streamed request body: writes up to @cap
 * bytes to @buf and returns how many, 0 at the end of the body, or a
 * negative errno to abort the request.
 */
typedef long (*ktcp_body_fn)(void *buf, size_t cap, void *arg);

/**
 * ktcp_http_client_request_chunked() - Send a request with a streamed body.
 * @cl, @method, @target, @headers, @num_headers, @resp: as for
 *       ktcp_http_client_request().
 * @body: called for each piece of the body, sent with the chunked
 *        transfer coding, until it returns 0.
 * @arg: passed to @body.
 *
 * Unlike ktcp_http_client_request(), the request is never sent twice:
 * a reused connection that the server closed before answering fails
 * with -ECONNRESET.
 *
 * Return: as ktcp_http_client_request(); -EINVAL if @body is NULL or
 * returns more than it was asked for; @body's error.
 */
int ktcp_http_client_request_chunked(struct ktcp_http_client *cl,
				     const char *method, const char *target,
				     const struct ktcp_http_header *headers,
				     size_t num_headers, ktcp_body_fn body,
				     void *arg,
				     struct ktcp_http_client_response *resp);

/* The byte ranges a ranged GET got. */
struct ktcp_http_client_ranges {
	uint64_t complete_length;	/* of the whole; UINT64_MAX: unknown */
	size_t num_parts;		/* 206: the ranges sent, else 0 */
	struct ktcp_byterange_part parts[KTCP_FILE_MAX_RANGES];
};

/**
 * ktcp_http_client_get_ranges() - GET some byte ranges of a resource.
 * @cl, @target, @resp: as for ktcp_http_client_request().
 * @headers: extra header fields, e.g. If-Range with the ETag of what
 *           is being resumed (not Range), or NULL.
 * @num_headers: their count.
 * @specs: the ranges to ask for, e.g. { 1000, KTCP_RANGE_END } to
 *         resume a download after its first 1000 bytes.
 * @num_specs: 1 to KTCP_FILE_MAX_RANGES.
 * @got: filled in.  For a 206, each part's range and bytes (pointing
 *       into @resp->body), whether the body was one range with
 *       Content-Range or multipart/byteranges; for a 200 (the server
 *       ignored Range, or If-Range did not match) the whole is the body
 *       and complete_length its length; for a 416 complete_length is
 *       what its Content-Range says.
 *
 * A 206 must answer what was asked: every part begins where a range
 * asked for begins and ends where one ends (a server may coalesce
 * ranges, RFC 9110 15.3.7.2), every satisfiable range asked for lies
 * within a part, and all parts agree on the complete length.
 *
 * Return: 0 (look at @resp->status); -EPROTO if a 206 does not match
 * what was asked or its Content-Range or multipart body is malformed
 * (the connection stays usable); -EINVAL for bad @specs; the errors of
 * ktcp_http_client_request().
 */
int ktcp_http_client_get_ranges(struct ktcp_http_client *cl, const char *target,
				const struct ktcp_http_header *headers,
				size_t num_headers,
				const struct ktcp_range_spec *specs,
				size_t num_specs,
				struct ktcp_http_client_response *resp,
				struct ktcp_http_client_ranges *got);

/**
 * ktcp_http_client_connections() - Connections opened so far.
 * @cl: the client.
 *
 * Return: the count (1 after any number of requests on one reused
 * connection).
 */
unsigned int ktcp_http_client_connections(const struct ktcp_http_client *cl);

/* A blocking WebSocket client over one socket. */
struct ktcp_ws_client;

struct ktcp_ws_client_config {
	const char *host;		/* Host header */
	const char *path;		/* request target */
	const char *protocols;		/* offered subprotocols, or NULL */
	const char *origin;		/* or NULL */
	int deflate;			/* offer permessage-deflate */
	uint64_t max_message;		/* 0: KTCP_WS_DEFAULT_MAX_MESSAGE */
	int timeout_ms;			/* handshake and each read; 0: 30000 */
};

/**
 * ktcp_ws_client_connect() - Run the opening handshake on a socket.
 * @fd: a connected blocking stream socket; the client owns it from
 *      now on, also on failure.
 * @cfg: configuration.
 * @cb: callbacks for the message layer (send is ignored: the client
 *      writes to @fd itself).
 * @arg: passed to the callbacks.
 * @err: set to a negative errno on failure (-ECONNREFUSED: the server
 *       answered with another status; -EPROTO: a bad 101).
 *
 * Return: the client, or NULL.
 */
struct ktcp_ws_client *ktcp_ws_client_connect(int fd,
					      const struct ktcp_ws_client_config *cfg,
					      const struct ktcp_ws_callbacks *cb,
					      void *arg, int *err);

/**
 * ktcp_ws_client_ws() - The message layer, to send with ktcp_ws_send().
 * @wc: the client.
 *
 * Return: the endpoint.
 */
struct ktcp_ws *ktcp_ws_client_ws(struct ktcp_ws_client *wc);

/**
 * ktcp_ws_client_protocol() - The subprotocol the server chose.
 * @wc: the client.
 *
 * Return: its name, or NULL.
 */
const char *ktcp_ws_client_protocol(const struct ktcp_ws_client *wc);

/**
 * ktcp_ws_client_poll() - Read once and run the callbacks.
 * @wc: the client.
 * @timeout_ms: how long to wait for data; -1: the configured timeout.
 *
 * Return: 1 if bytes were processed, 0 if the timeout passed; -EPIPE
 * once the connection is closed (cleanly or not: see on_close);
 * -EPROTO after a protocol error (the close frame was sent).
 */
int ktcp_ws_client_poll(struct ktcp_ws_client *wc, int timeout_ms);

/**
 * ktcp_ws_client_free() - Close the socket and free the client.
 * @wc: the client, or NULL.
 */
void ktcp_ws_client_free(struct ktcp_ws_client *wc);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_CLIENT_H */
