/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: HTTP/1.1 message parsing (RFC 9110, RFC 9112).
 *
 * An incremental, zero-copy parser in the shape of picohttpparser: the
 * caller owns the buffer, the parser allocates nothing and returns
 * pointers and lengths into it.  Call it again, from the start of the
 * message, when more bytes have arrived; -EAGAIN means "incomplete".
 *
 * The parser is strict where leniency lets two parsers disagree about
 * where a message ends (request smuggling): bare LF, obs-fold, white
 * space before the colon, Content-Length together with
 * Transfer-Encoding, differing Content-Length values and malformed
 * chunk sizes are all errors, never guessed at.
 *
 * Errors are negative errno values; ktcp_http_error_status() maps each
 * to the status code a server answers with before it closes:
 *   -EBADMSG    400 Bad Request (malformed, or smuggling attempt)
 *   -EFBIG      413 Content Too Large (body over the limit)
 *   -ENAMETOOLONG 414 URI Too Long (request line over the limit)
 *   -E2BIG      431 Request Header Fields Too Large (header bytes,
 *               header count or one header line over the limit)
 *   -ENOSYS     501 Not Implemented (a transfer coding besides chunked)
 *   -EPROTONOSUPPORT 505 HTTP Version Not Supported
 */
#ifndef KTCP_HTTP_H
#define KTCP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One header field; name and value point into the parsed buffer. */
struct ktcp_http_header {
	const char *name;
	size_t name_len;
	const char *value;	/* without leading and trailing blanks */
	size_t value_len;
};

/*
 * Limits of one message.  A zero field takes the default in
 * parentheses.
 */
struct ktcp_http_limits {
	size_t max_head_bytes;	/* request/status line + headers (16384) */
	size_t max_headers;	/* header fields (64) */
	size_t max_line;	/* one line, request line included (8192) */
	uint64_t max_body;	/* decoded body bytes (8 MiB) */
};

#define KTCP_HTTP_DEFAULT_MAX_HEAD	16384
#define KTCP_HTTP_DEFAULT_MAX_HEADERS	64
#define KTCP_HTTP_DEFAULT_MAX_LINE	8192
#define KTCP_HTTP_DEFAULT_MAX_BODY	(8u << 20)

struct ktcp_http_request {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	int minor_version;	/* 0 or 1: HTTP/1.0 or HTTP/1.1 */
	struct ktcp_http_header *headers;	/* array the caller provides */
	size_t num_headers;	/* in: capacity of headers; out: count */
};

struct ktcp_http_response {
	int minor_version;
	int status;		/* 100..999 */
	const char *reason;
	size_t reason_len;
	struct ktcp_http_header *headers;
	size_t num_headers;	/* in: capacity; out: count */
};

/**
 * ktcp_http_parse_request() - Parse the head of a request.
 * @buf: bytes received so far, starting at the request; empty lines
 *       (CRLF) before the request line are skipped, as RFC 9112 2.2
 *       allows.
 * @len: number of bytes in @buf.
 * @req: filled in on success; @req->headers and @req->num_headers must
 *       be set by the caller.  If the capacity is below the limit's
 *       header count, the capacity is the limit.
 * @lim: limits, or NULL for the defaults.
 *
 * Return: the length of the head (through the empty line) on success;
 * -EAGAIN if @buf holds a valid but incomplete head and no limit has
 * been passed yet; a negative errno listed at the top of this file
 * otherwise.
 */
int ktcp_http_parse_request(const char *buf, size_t len,
			    struct ktcp_http_request *req,
			    const struct ktcp_http_limits *lim);

/*
 * Where ktcp_http_parse_request_resume() stopped in a head that is
 * still incomplete.  Zero it before the first call for each head.
 */
struct ktcp_http_parse_state {
	size_t scanned;		/* private: bytes of the buffer checked */
	size_t start;		/* private: start of the request line */
	size_t line;		/* private: start of the current line */
	size_t mark;		/* private: start of the target, or version */
	size_t fields;		/* private: complete header fields */
	unsigned int phase;	/* private */
};

/**
 * ktcp_http_parse_request_resume() - Parse a head that arrives in pieces.
 * @buf, @len, @req, @lim: as for ktcp_http_parse_request().
 * @state: zeroed before the first call for a head, then passed again
 *         with the same leading bytes (the buffer may move) and more
 *         of them.
 *
 * Returns exactly what ktcp_http_parse_request() would for @buf and
 * @len, but a call that ends in -EAGAIN only looks at the bytes added
 * since the previous call, so that a head arriving a byte at a time
 * costs time linear in its length (as picohttpparser's last_len).
 * @req is filled in only when the head is complete.
 *
 * Return: as ktcp_http_parse_request().
 */
int ktcp_http_parse_request_resume(const char *buf, size_t len,
				   struct ktcp_http_request *req,
				   const struct ktcp_http_limits *lim,
				   struct ktcp_http_parse_state *state);

/**
 * ktcp_http_parse_response() - Parse the head of a response.
 * @buf, @len, @lim: as for ktcp_http_parse_request().
 * @resp: filled in on success; headers and num_headers as for requests.
 *
 * Return: as ktcp_http_parse_request().
 */
int ktcp_http_parse_response(const char *buf, size_t len,
			     struct ktcp_http_response *resp,
			     const struct ktcp_http_limits *lim);

/* How a message body is delimited (RFC 9112 section 6.3). */
enum ktcp_http_body_kind {
	KTCP_HTTP_BODY_NONE,		/* no body */
	KTCP_HTTP_BODY_LENGTH,		/* Content-Length bytes */
	KTCP_HTTP_BODY_CHUNKED,		/* chunked transfer coding */
	KTCP_HTTP_BODY_CLOSE,		/* until the peer closes (responses) */
};

/**
 * ktcp_http_body_framing() - Decide how the body of a message ends.
 * @headers: the message's header fields.
 * @num_headers: their count.
 * @is_request: requests without Content-Length or Transfer-Encoding
 *              have no body; responses then run until close.
 * @lim: the limit on the body, or NULL for the default.
 * @kind: set to how the body is delimited.
 * @length: set to the Content-Length for KTCP_HTTP_BODY_LENGTH, else 0.
 *
 * Rejects, with -EBADMSG: Transfer-Encoding together with
 * Content-Length; Transfer-Encoding whose final coding is not chunked
 * (requests), or that names chunked twice; Content-Length values that
 * are not decimal digits, overflow, or differ between fields or list
 * members.  Returns -ENOSYS for a transfer coding other than chunked,
 * -EFBIG for a Content-Length over the limit.
 *
 * Return: 0 on success, a negative errno as above.
 */
int ktcp_http_body_framing(const struct ktcp_http_header *headers,
			   size_t num_headers, int is_request,
			   const struct ktcp_http_limits *lim,
			   enum ktcp_http_body_kind *kind, uint64_t *length);

/*
 * State of a chunked-body decoder; zero it (or call _init) to start.
 * Besides the body limit, the chunk extensions of a body may not pass
 * max_meta bytes in all (-EFBIG), nor its trailer section max_meta
 * bytes or max_trailers fields (-E2BIG): many short lines of them add
 * up like a body would.
 */
struct ktcp_http_chunked {
	uint64_t remaining;	/* data bytes left in the current chunk */
	uint64_t total;		/* data bytes decoded so far */
	uint64_t max_body;	/* 0: the default */
	unsigned int state;	/* private */
	unsigned int digits;	/* private */
	unsigned int line;	/* private: bytes of the current line */
	size_t max_meta;	/* 0: KTCP_HTTP_DEFAULT_MAX_HEAD */
	size_t max_trailers;	/* 0: KTCP_HTTP_DEFAULT_MAX_HEADERS */
	size_t ext_bytes;	/* private: chunk-extension bytes so far */
	size_t trailer_bytes;	/* private: trailer-section bytes so far */
	size_t trailers;	/* private: trailer fields so far */
};

/**
 * ktcp_http_chunked_init() - Start decoding a chunked body.
 * @dec: decoder state.
 * @lim: limits, or NULL for the defaults: max_body for the data,
 *       max_head_bytes for the extensions and for the trailer section,
 *       max_headers for the trailer fields.
 */
void ktcp_http_chunked_init(struct ktcp_http_chunked *dec,
			    const struct ktcp_http_limits *lim);

/**
 * ktcp_http_chunked_decode() - Decode part of a chunked body, zero-copy.
 * @dec: decoder state.
 * @buf: next bytes of the body.
 * @len: their count.
 * @data: set to the start of body data inside @buf, if any.
 * @data_len: set to the number of body data bytes at @data (may be 0).
 *
 * Consumes bytes up to and including at most one run of body data, so
 * callers loop until all of @buf is consumed or the body is complete.
 * Chunk extensions are skipped; trailer fields are checked and dropped.
 *
 * Return: the number of bytes of @buf consumed (>= 0);
 * -EBADMSG for an invalid chunk size, line end or trailer;
 * -EFBIG when the body or its chunk extensions pass their limit;
 * -E2BIG when the trailer section does.
 */
long ktcp_http_chunked_decode(struct ktcp_http_chunked *dec, const char *buf,
			      size_t len, const char **data, size_t *data_len);

/**
 * ktcp_http_chunked_done() - Whether the whole body has been decoded.
 * @dec: decoder state.
 *
 * Return: nonzero once the last chunk and the trailer section are in.
 */
int ktcp_http_chunked_done(const struct ktcp_http_chunked *dec);

/**
 * ktcp_http_find_header() - Find a header field by name.
 * @headers: the fields.
 * @num_headers: their count.
 * @name: the name, compared case-insensitively.
 * @from: index to start at (0 for the first match; previous match + 1
 *        for the next one).
 *
 * Return: the index of the match, or -ENOENT.
 */
int ktcp_http_find_header(const struct ktcp_http_header *headers,
			  size_t num_headers, const char *name, size_t from);

/**
 * ktcp_http_header_has_token() - Whether a list-valued field holds a token.
 * @headers, @num_headers: the fields.
 * @name: field name (case-insensitive), e.g. "Connection".
 * @token: token (case-insensitive), e.g. "close".
 *
 * Looks through every field named @name, each as a comma-separated
 * list.
 *
 * Return: 1 if found, 0 if not.
 */
int ktcp_http_header_has_token(const struct ktcp_http_header *headers,
			       size_t num_headers, const char *name,
			       const char *token);

/**
 * ktcp_http_request_keep_alive() - Whether a connection may persist.
 * @minor_version: 0 or 1.
 * @headers, @num_headers: the message's fields.
 *
 * HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 only with
 * "Connection: keep-alive".
 *
 * Return: 1 if the connection persists after this message, else 0.
 */
int ktcp_http_keep_alive(int minor_version,
			 const struct ktcp_http_header *headers,
			 size_t num_headers);

/**
 * ktcp_http_error_status() - Status code a server answers an error with.
 * @err: a negative errno from this parser.
 *
 * Return: 400, 413, 414, 431, 501 or 505; 400 for any other value.
 */
int ktcp_http_error_status(int err);

/**
 * ktcp_http_reason() - Standard reason phrase of a status code.
 * @status: the code.
 *
 * Return: a static string, "Unknown" for codes it does not know.
 */
const char *ktcp_http_reason(int status);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_HTTP_H */
