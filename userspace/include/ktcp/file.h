/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: answering GET and HEAD from a file or a buffer, with
 * validators, conditional requests and byte ranges (RFC 9110 sections
 * 8.8, 13, 14 and 15.3.7).
 *
 * Three steps, each usable alone:
 *   1. struct ktcp_file describes what is served: an open regular file
 *      or a buffer, its length, its validators (ETag made as nginx makes
 *      it, "mtime-size" in hex, and Last-Modified) and its type.
 *   2. ktcp_file_reply() decides, without I/O, what a request gets:
 *      200, 206 (one range, with Content-Range), 206 multipart/byteranges
 *      (several ranges), 304, 412, 416 (with a Content-Range of
 *      "bytes *\/LEN"), or 405 for methods other than GET and HEAD.
 *   3. ktcp_http_serve_file() sends that answer through the server of
 *      ktcp/server.h, ktcp_file_send() on a socket of the caller's;
 *      file bodies go out with sendfile(), buffers with send().
 *
 * The order of evaluation is RFC 9110 13.2.2's: If-Match, then
 * If-Unmodified-Since (412); If-None-Match, then If-Modified-Since
 * (304); If-Range; Range.  Range is only honoured for GET (HEAD
 * answers as a GET without Range would, RFC 9110 14.2), and ignored
 * (200 with the whole body) when it is malformed, of another unit than
 * bytes, or when If-Range does not match.
 *
 * Against the overlapping-ranges denial of service ("bytes=0-,0-,..."):
 * more than KTCP_FILE_MAX_RANGES range-specs, or ranges whose lengths
 * add up to more than the whole body, are ignored and the whole body is
 * sent with 200, as nginx does: a client gets a correct answer that
 * costs no more than a plain GET, where a 416 would fail clients that
 * were merely clumsy.  Overlapping and adjacent ranges are coalesced.
 *
 * The byte-range syntax (Range, Content-Range, multipart/byteranges)
 * is here for clients too; ktcp/client.h has the ranged GET.
 *
 * Errors are negative errno values.
 */
#ifndef KTCP_FILE_H
#define KTCP_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <ktcp/http.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ktcp_http_req;

/* The most range-specs a Range header may hold before it is ignored. */
#define KTCP_FILE_MAX_RANGES	16
/* Room for an entity-tag, quotes and NUL included. */
#define KTCP_FILE_ETAG_SIZE	48
/* Room for an IMF-fixdate and its NUL. */
#define KTCP_HTTP_DATE_SIZE	30

/* A "last" of a range-spec that has none ("first-"). */
#define KTCP_RANGE_END		UINT64_MAX

/* A byte range, both ends included, as in Content-Range. */
struct ktcp_byte_range {
	uint64_t first;
	uint64_t last;
};

/*
 * One range-spec as asked for: "first-last", "first-" (last is
 * KTCP_RANGE_END), or with suffix set "-last", the last @last bytes.
 * Numbers too big for 64 bits are read as UINT64_MAX.
 */
struct ktcp_range_spec {
	uint64_t first;
	uint64_t last;
	int suffix;
};

/* What is served. */
struct ktcp_file {
	int fd;				/* a regular file open for reading, or -1 */
	const void *data;		/* the body when fd is -1 */
	uint64_t size;			/* its length */
	int64_t mtime;			/* seconds since the epoch; -1: unknown */
	char etag[KTCP_FILE_ETAG_SIZE];	/* with its quotes; "": none */
	const char *content_type;	/* NULL: application/octet-stream */
};

/* What a request gets; see ktcp_file_reply(). */
struct ktcp_file_reply {
	int status;		/* 200, 206, 304, 405, 412 or 416 */
	int head;		/* a HEAD request: no body is sent */
	uint64_t content_length; /* of the body a GET gets (0 for 304) */
	size_t num_ranges;	/* 206: 1, or the parts of a multipart body */
	struct ktcp_byte_range ranges[KTCP_FILE_MAX_RANGES];
	char boundary[17];	/* multipart: random hex digits */
};

/**
 * ktcp_file_from_fd() - Describe an open regular file.
 * @f: filled in: size and mtime from fstat(), the ETag from them as
 *     nginx makes it ("mtime-size", both in hex), no content type.
 * @fd: the file; it must stay open until the response is sent (the
 *      server keeps a duplicate of its own, see
 *      ktcp_http_resp_sendfile()).
 *
 * Return: 0; -EINVAL if @fd is not a regular file; fstat()'s error.
 */
int ktcp_file_from_fd(struct ktcp_file *f, int fd);

/**
 * ktcp_file_from_buffer() - Describe a buffer.
 * @f: filled in.
 * @data: the body; it must stay valid until the response is sent.
 * @len: its length.
 * @mtime: when it last changed (seconds since the epoch), for
 *         Last-Modified and an ETag made as for files; -1: neither.
 */
void ktcp_file_from_buffer(struct ktcp_file *f, const void *data, size_t len,
			   int64_t mtime);

/**
 * ktcp_file_reply() - Decide the answer to a request for @f.
 * @req: the parsed request (method and header fields are used).
 * @f: what is served.
 * @r: filled in; for multipart answers with a fresh boundary.
 *
 * Return: @r->status.
 */
int ktcp_file_reply(const struct ktcp_http_request *req,
		    const struct ktcp_file *f, struct ktcp_file_reply *r);

/*
 * Receives one header field of an answer; nonzero stops the walk and
 * is returned by it.
 */
typedef int (*ktcp_file_field_fn)(void *arg, const char *name,
				  const char *value);

/**
 * ktcp_file_reply_fields() - The header fields of an answer.
 * @r: the decision of ktcp_file_reply().
 * @f: what is served.
 * @field: called for each field (Content-Type, Content-Range,
 *         Accept-Ranges, ETag, Last-Modified, Allow, as the status
 *         calls for), but never Content-Length, which framing sets.
 * @arg: passed to @field.
 *
 * Return: 0, or what @field returned to stop.
 */
int ktcp_file_reply_fields(const struct ktcp_file_reply *r,
			   const struct ktcp_file *f, ktcp_file_field_fn field,
			   void *arg);

/**
 * ktcp_file_part_head() - The bytes before part @i of a multipart body.
 * @r: a multipart 206 decision.
 * @f: what is served.
 * @i: the part, 0 to @r->num_ranges; @r->num_ranges gives the closing
 *     delimiter, which follows the last part.
 * @buf: where to write them; 112 bytes and the length of the content
 *       type are enough.
 * @cap: its size.
 *
 * Return: their length; -ENOSPC if @cap is too small; -EINVAL for a
 * bad @i.
 */
int ktcp_file_part_head(const struct ktcp_file_reply *r,
			const struct ktcp_file *f, size_t i, char *buf,
			size_t cap);

/**
 * ktcp_http_serve_file() - Answer a request of the server with @f.
 * @req: a request of ktcp/server.h whose response has not started.
 * @f: what is served; for a file, @f->fd may be closed on return.
 *
 * Adds the header fields and sends the answer ktcp_file_reply()
 * decides; file bodies with ktcp_http_resp_sendfile(), buffers copied
 * into the send queue (so a buffer body over the server's out_max
 * fails with -ENOBUFS: serve big bodies from a file).  Ends the
 * response; @req is not valid afterwards.
 *
 * Return: the status sent, or a negative errno from the server (the
 * response is ended all the same, and the connection closes if its
 * body fell short).
 */
int ktcp_http_serve_file(struct ktcp_http_req *req, const struct ktcp_file *f);

/**
 * ktcp_file_send() - Answer a request with @f on a socket.
 * @sock: a connected stream socket (AF_KTCP, TCP, AF_UNIX); blocking,
 *        or non-blocking and then waited for with poll().
 * @req: the parsed request.
 * @f: what is served.
 * @extra: more header lines, each ending in CRLF (e.g. Date, Server),
 *         or NULL.
 * @timeout_ms: the longest wait for the socket to take more; 0: 30000.
 *
 * Writes "HTTP/1.1", the fields, Content-Length (not for 304) and
 * "Connection: close" or "Connection: keep-alive" as
 * ktcp_http_keep_alive() says of @req, then the body: sendfile() for a
 * file, send() for a buffer.  The caller closes the connection if the
 * request does not keep it alive.
 *
 * Return: the status sent; -ETIMEDOUT; -EPIPE if the file was shorter
 * than @f->size; a send() or sendfile() error.
 */
int ktcp_file_send(int sock, const struct ktcp_http_request *req,
		   const struct ktcp_file *f, const char *extra, int timeout_ms);

/* ---- a cache of small files, for servers ---- */

struct ktcp_file_cache;

/* What a cache holds and how it did; see ktcp_file_cache_stats(). */
struct ktcp_file_cache_stats {
	size_t files;		/* entries held */
	size_t bytes;		/* their cost: contents, paths and bookkeeping */
	uint64_t hits;		/* answers from memory */
	uint64_t misses;	/* answers that opened the file */
};

/**
 * ktcp_file_cache_new() - A cache of small files' contents.
 * @max_bytes: the most it holds, contents, paths and bookkeeping
 *             together; 0: 8 MiB.  Least recently used files go first.
 * @max_file: the largest file it keeps; 0: 64 KiB.  Bigger files are
 *            served with sendfile() each time.
 *
 * For one thread (one server loop): nothing in it is locked.
 *
 * Return: the cache, or NULL without memory.
 */
struct ktcp_file_cache *ktcp_file_cache_new(size_t max_bytes, size_t max_file);

/**
 * ktcp_file_cache_set_valid_ms() - Trust a checked file for a while.
 * @cache: the cache.
 * @ms: how long after a stat() found a file unchanged it is answered
 *      from memory without another; 0 (the default): a stat() on every
 *      request.  As nginx's open_file_cache_valid: a file changed or
 *      removed within the window is answered as it was, at most @ms.
 */
void ktcp_file_cache_set_valid_ms(struct ktcp_file_cache *cache,
				  unsigned int ms);

/**
 * ktcp_file_cache_free() - Free a cache and everything it holds.
 * @cache: the cache, or NULL.
 */
void ktcp_file_cache_free(struct ktcp_file_cache *cache);

/**
 * ktcp_file_cache_serve() - Answer a request with a file, from memory
 * when it can.
 * @cache: the cache.
 * @req: the request, as for ktcp_http_serve_file().
 * @path: the file.
 * @content_type: its Content-Type; NULL: application/octet-stream.
 *
 * One stat() of @path per request (fewer with
 * ktcp_file_cache_set_valid_ms()): a file is answered from memory
 * while its device, inode, size and modification time (to the
 * nanosecond) are those it was read with, and read again (whole, with
 * pread(): its size is known) otherwise.  A file that changed while it
 * was read is served from its descriptor and not kept.  Answers are
 * those of ktcp_http_serve_file() for the same file, validators and
 * ranges included.
 *
 * Return: the status sent, as ktcp_http_serve_file(), or 0 if the
 * server failed to send it (the response is ended all the same);
 * negative with nothing answered (the caller answers, e.g. 404):
 * stat()'s or open()'s error, -EINVAL if @path is not a regular file.
 */
int ktcp_file_cache_serve(struct ktcp_file_cache *cache,
			  struct ktcp_http_req *req, const char *path,
			  const char *content_type);

/**
 * ktcp_file_cache_stats() - What @cache holds and its hits and misses.
 * @cache: the cache.
 * @st: filled in.
 */
void ktcp_file_cache_stats(const struct ktcp_file_cache *cache,
			   struct ktcp_file_cache_stats *st);

/* ---- byte-range syntax, for servers and clients ---- */

/**
 * ktcp_range_parse() - Parse a Range field value.
 * @value: the value, e.g. "bytes=0-99, 200-, -50".
 * @len: its length.
 * @specs: where the range-specs go, in the order given.
 * @max: room in @specs.
 * @count: set to the number of range-specs.
 *
 * Follows RFC 9110 14.1.1 and 5.6.1: the unit is case-insensitive,
 * white space is allowed around commas only, empty list elements are
 * skipped, and a "first-last" with last before first is invalid.
 *
 * Return: 0; -ENOTSUP for a unit other than bytes; -EBADMSG for a
 * malformed value; -E2BIG for more than @max range-specs.
 */
int ktcp_range_parse(const char *value, size_t len,
		     struct ktcp_range_spec *specs, size_t max, size_t *count);

/**
 * ktcp_range_resolve() - Which bytes a range-spec selects of @size.
 * @spec: the range-spec.
 * @size: the length of the whole.
 * @out: set to the bytes, if any.
 *
 * Return: 1 if the range-spec selects at least one byte; 0 if it is
 * unsatisfiable (or a suffix range of an empty whole).
 */
int ktcp_range_resolve(const struct ktcp_range_spec *spec, uint64_t size,
		       struct ktcp_byte_range *out);

/**
 * ktcp_range_format() - Write a Range field value.
 * @buf: where; NUL-terminated.
 * @cap: its size.
 * @specs: the range-specs; a suffix of 0 bytes or a first after last
 *         is refused.
 * @n: their count, 1 or more.
 *
 * Return: the length written, -ENOSPC, or -EINVAL.
 */
int ktcp_range_format(char *buf, size_t cap,
		      const struct ktcp_range_spec *specs, size_t n);

/**
 * ktcp_content_range_parse() - Parse a Content-Range field value.
 * @value: "bytes FIRST-LAST/LEN" (LEN may be "*": unknown), or
 *         "bytes *\/LEN" for a 416.
 * @len: its length.
 * @range: set to FIRST and LAST.
 * @complete: set to LEN, or UINT64_MAX for "*".
 *
 * Return: 0 for a range; 1 for "bytes *\/LEN" (@range untouched);
 * -EBADMSG if malformed, LAST before FIRST or not below LEN.
 */
int ktcp_content_range_parse(const char *value, size_t len,
			     struct ktcp_byte_range *range,
			     uint64_t *complete);

/* One part of a multipart/byteranges body. */
struct ktcp_byterange_part {
	struct ktcp_byte_range range;	/* from the part's Content-Range */
	uint64_t complete;		/* its LEN, UINT64_MAX for "*" */
	const char *data;		/* range.last - range.first + 1 bytes */
};

/**
 * ktcp_byteranges_parse() - Split a multipart/byteranges body.
 * @content_type: the response's Content-Type value, which names the
 *                boundary.
 * @ct_len: its length.
 * @body: the body.
 * @len: its length.
 * @parts: filled in, pointing into @body.
 * @max: room in @parts.
 * @count: set to the number of parts.
 *
 * Each part must carry a Content-Range and exactly that many bytes,
 * followed by the next delimiter; the body must end with the closing
 * one.
 *
 * Return: 0; -EBADMSG if malformed or not multipart/byteranges;
 * -E2BIG for more than @max parts.
 */
int ktcp_byteranges_parse(const char *content_type, size_t ct_len,
			  const char *body, size_t len,
			  struct ktcp_byterange_part *parts, size_t max,
			  size_t *count);

/* ---- HTTP-date (RFC 9110 5.6.7) ---- */

/**
 * ktcp_http_date_format() - Write an IMF-fixdate.
 * @t: seconds since the epoch.
 * @buf: KTCP_HTTP_DATE_SIZE bytes; e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
 */
void ktcp_http_date_format(int64_t t, char buf[KTCP_HTTP_DATE_SIZE]);

/**
 * ktcp_http_date_parse() - Read an HTTP-date in any of its three forms.
 * @s: IMF-fixdate, rfc850-date (a two-digit year more than 50 years
 *     ahead is taken from the century before) or asctime-date.
 * @len: its length.
 * @t: set to seconds since the epoch.
 *
 * Return: 0, or -EINVAL if @s is not an HTTP-date.
 */
int ktcp_http_date_parse(const char *s, size_t len, int64_t *t);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_FILE_H */
