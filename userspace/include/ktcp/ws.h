/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: WebSocket (RFC 6455), in three layers that own no socket.
 *
 * 1. Frames: ktcp_ws_frame_parse() and ktcp_ws_frame_build() only read
 *    and write frame headers; ktcp_ws_mask() applies a masking key.
 * 2. Handshake: the Sec-WebSocket-Accept computation, the checks of a
 *    client's upgrade request and of a server's 101 answer, and the
 *    text of both.
 * 3. Messages: a struct ktcp_ws is fed the bytes that arrive
 *    (ktcp_ws_recv()) and hands complete messages to a callback; it
 *    answers pings, runs the close handshake, validates UTF-8 across
 *    fragments and enforces every MUST of the RFC that a receiver can
 *    check, failing the connection with the right close code.  Bytes
 *    to send go to a callback, so the caller decides how they reach the
 *    socket (see ktcp/loop.h for one way).
 *
 * Errors are negative errno values.
 */
#ifndef KTCP_WS_H
#define KTCP_WS_H

#include <stddef.h>
#include <stdint.h>

#include <ktcp/http.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opcodes (RFC 6455 5.2). */
#define KTCP_WS_CONT	0x0
#define KTCP_WS_TEXT	0x1
#define KTCP_WS_BINARY	0x2
#define KTCP_WS_CLOSE	0x8
#define KTCP_WS_PING	0x9
#define KTCP_WS_PONG	0xa

/* Close codes (RFC 6455 7.4.1). */
#define KTCP_WS_NORMAL		1000
#define KTCP_WS_GOING_AWAY	1001
#define KTCP_WS_PROTOCOL_ERROR	1002
#define KTCP_WS_UNSUPPORTED	1003
#define KTCP_WS_NO_STATUS	1005	/* never on the wire */
#define KTCP_WS_ABNORMAL	1006	/* never on the wire */
#define KTCP_WS_INVALID_DATA	1007
#define KTCP_WS_POLICY		1008
#define KTCP_WS_TOO_BIG		1009
#define KTCP_WS_EXTENSION	1010
#define KTCP_WS_INTERNAL	1011
#define KTCP_WS_TRY_AGAIN	1013	/* IANA registry: try again later */

/* The largest frame header: 2 + 8 (length) + 4 (mask) bytes. */
#define KTCP_WS_MAX_HEADER	14

/* A parsed frame header. */
struct ktcp_ws_frame {
	unsigned int fin;	/* 1 for the last frame of a message */
	unsigned int rsv;	/* RSV1..3 as bits 2..0 (RSV1 = 4) */
	unsigned int opcode;
	unsigned int masked;
	uint8_t mask[4];	/* valid if masked */
	uint64_t length;	/* payload length */
};

/**
 * ktcp_ws_frame_parse() - Parse a frame header.
 * @buf: bytes at the start of a frame.
 * @len: their count.
 * @f: filled in on success.
 *
 * Checks only what the header alone can break: a 64-bit length with
 * its top bit set, and lengths not in their shortest form.
 *
 * Return: the header length (2..14) on success; -EAGAIN if @buf is
 * shorter than the header; -EBADMSG for the errors above.
 */
int ktcp_ws_frame_parse(const void *buf, size_t len, struct ktcp_ws_frame *f);

/**
 * ktcp_ws_frame_build() - Write a frame header.
 * @out: at least KTCP_WS_MAX_HEADER bytes.
 * @f: the header; the mask is written if @f->masked.
 *
 * Return: the number of bytes written.
 */
size_t ktcp_ws_frame_build(void *out, const struct ktcp_ws_frame *f);

/**
 * ktcp_ws_mask() - Mask or unmask payload bytes in place.
 * @data: the bytes.
 * @len: their count.
 * @mask: the frame's masking key.
 * @offset: position of @data[0] in the frame's payload.
 */
void ktcp_ws_mask(void *data, size_t len, const uint8_t mask[4],
		  uint64_t offset);

/* Incremental UTF-8 validator; zero-initialise it to start. */
struct ktcp_utf8 {
	uint32_t need;		/* private: continuation bytes still due */
	uint32_t lo, hi;	/* private: range of the next byte */
};

/**
 * ktcp_utf8_feed() - Validate the next bytes of a UTF-8 text.
 * @u: validator state.
 * @buf: bytes.
 * @len: their count.
 *
 * Fails as soon as a byte cannot continue any valid text: overlong
 * forms, surrogates and code points above U+10FFFF are invalid.
 *
 * Return: 0 if the bytes so far are valid or a valid prefix; -EILSEQ
 * otherwise.
 */
int ktcp_utf8_feed(struct ktcp_utf8 *u, const void *buf, size_t len);

/**
 * ktcp_utf8_complete() - Whether the text fed so far ends cleanly.
 * @u: validator state.
 *
 * Return: 1 if no multi-byte sequence is left unfinished, else 0.
 */
int ktcp_utf8_complete(const struct ktcp_utf8 *u);

/**
 * ktcp_ws_accept_key() - Compute Sec-WebSocket-Accept.
 * @key: the client's Sec-WebSocket-Key value.
 * @key_len: its length.
 * @out: 29 bytes: 28 characters of base64 and a NUL.
 */
void ktcp_ws_accept_key(const char *key, size_t key_len, char out[29]);

/**
 * ktcp_sha1() - SHA-1 digest (used for the handshake only).
 * @data: input.
 * @len: its length.
 * @out: the 20-byte digest.
 */
void ktcp_sha1(const void *data, size_t len, uint8_t out[20]);

/* What a server accepts in an upgrade request. */
struct ktcp_ws_server_policy {
	/*
	 * Subprotocols the server speaks, in its order of preference, or
	 * NULL.  The first that the client offers is chosen; when the
	 * client offers some and none matches, the handshake still
	 * succeeds without Sec-WebSocket-Protocol (RFC 6455 4.2.2).
	 */
	const char *const *protocols;
	size_t num_protocols;
	/*
	 * Origin policy.  With neither set every Origin (or none) is
	 * accepted.  With either set, a request is rejected with 403
	 * unless its Origin equals one of @origins (case-insensitively)
	 * or @origin_ok returns nonzero for it; a request without Origin
	 * is rejected too.
	 */
	const char *const *origins;
	size_t num_origins;
	int (*origin_ok)(const char *origin, size_t len, void *arg);
	void *origin_arg;
	/* Accept "permessage-deflate" when offered (needs zlib). */
	int deflate;
};

/* Result of a successful server-side check. */
struct ktcp_ws_upgrade {
	const char *key;	/* points into the request */
	size_t key_len;
	const char *protocol;	/* the chosen subprotocol, or NULL */
	int deflate;		/* permessage-deflate agreed */
};

/**
 * ktcp_ws_is_upgrade() - Whether a request asks for a WebSocket.
 * @req: a parsed request.
 *
 * Return: 1 if it carries "Upgrade: websocket", else 0.
 */
int ktcp_ws_is_upgrade(const struct ktcp_http_request *req);

/**
 * ktcp_ws_server_check() - Validate a client's opening handshake.
 * @req: the parsed request.
 * @policy: what the server accepts, or NULL for no subprotocol and no
 *          Origin policy.
 * @up: filled in on success.
 *
 * Requires GET, HTTP/1.1, Host, "Upgrade: websocket", "Connection:
 * upgrade", a Sec-WebSocket-Key of 16 base64-encoded bytes and
 * "Sec-WebSocket-Version: 13".
 *
 * Return: 0 on success, or the HTTP status to refuse with: 400 for a
 * malformed request, 426 (answered with "Sec-WebSocket-Version: 13")
 * for another version, 403 for an Origin the policy refuses.
 */
int ktcp_ws_server_check(const struct ktcp_http_request *req,
			 const struct ktcp_ws_server_policy *policy,
			 struct ktcp_ws_upgrade *up);

/**
 * ktcp_ws_server_response() - Write the 101 answer to an upgrade.
 * @out: buffer.
 * @cap: its size; 256 bytes plus the protocol name always suffice.
 * @up: the result of ktcp_ws_server_check().
 *
 * Return: the length written, or -ENOSPC.
 */
int ktcp_ws_server_response(char *out, size_t cap,
			    const struct ktcp_ws_upgrade *up);

/**
 * ktcp_ws_client_request() - Write a client's opening handshake.
 * @out: buffer.
 * @cap: its size.
 * @host: value of the Host header.
 * @path: request target, e.g. "/chat".
 * @protocols: comma-separated subprotocols to offer, or NULL.
 * @origin: Origin to send, or NULL.
 * @deflate: offer permessage-deflate.
 * @key: set to the new random Sec-WebSocket-Key (24 chars and a NUL);
 *       keep it for ktcp_ws_client_check().
 *
 * Return: the length written, -ENOSPC, or a getrandom() error.
 */
int ktcp_ws_client_request(char *out, size_t cap, const char *host,
			   const char *path, const char *protocols,
			   const char *origin, int deflate, char key[25]);

/**
 * ktcp_ws_client_check() - Validate a server's answer to the handshake.
 * @resp: the parsed response.
 * @key: the key sent in the request.
 * @protocols: what was offered (as in ktcp_ws_client_request()).
 * @protocol: set to the index in @resp->headers of the chosen
 *            Sec-WebSocket-Protocol, or -1 for none.
 * @deflate: in: 1 if permessage-deflate was offered, else 0; out: 1 if
 *           the server agreed to it.
 *
 * Return: 0 if the server accepted; -ECONNREFUSED if it answered with
 * a status other than 101; -EPROTO for a 101 that breaks the RFC (bad
 * Accept, missing Upgrade/Connection, a subprotocol or an extension
 * that was not offered, permessage-deflate parameters we did not offer
 * such as client_max_window_bits).
 */
int ktcp_ws_client_check(const struct ktcp_http_response *resp,
			 const char *key, const char *protocols,
			 int *protocol, int *deflate);

/* A WebSocket endpoint's message layer. */
struct ktcp_ws;

/* The state of a struct ktcp_ws. */
enum ktcp_ws_state {
	KTCP_WS_OPEN,		/* messages flow both ways */
	KTCP_WS_CLOSING,	/* we sent a close frame, waiting for the peer's */
	KTCP_WS_CLOSED,		/* both close frames exchanged, or failed:
				 * close the transport */
};

struct ktcp_ws_callbacks {
	/*
	 * Send one whole frame to the peer: its header and its payload,
	 * @hdr_len + @len bytes.  All of it or nothing, so that a frame
	 * is never cut short on the wire: a queue that cannot take the
	 * whole frame must refuse it (e.g. -ENOBUFS) before taking any
	 * of it.  Returns 0 or a negative errno (which ktcp_ws_send()
	 * and friends pass on).
	 */
	int (*send)(struct ktcp_ws *ws, const void *hdr, size_t hdr_len,
		    const void *payload, size_t len, void *arg);
	/* A complete text or binary message (data is valid until return). */
	void (*on_message)(struct ktcp_ws *ws, unsigned int opcode,
			   const void *data, size_t len, void *arg);
	/* Optional: a ping (already answered) or a pong arrived. */
	void (*on_control)(struct ktcp_ws *ws, unsigned int opcode,
			   const void *data, size_t len, void *arg);
	/*
	 * Optional: the connection reached KTCP_WS_CLOSED.  @code is the
	 * peer's close code (KTCP_WS_NO_STATUS if it sent none), or the
	 * code we failed the connection with (@by_peer = 0).
	 */
	void (*on_close)(struct ktcp_ws *ws, int code, const char *reason,
			 size_t reason_len, int by_peer, void *arg);
};

struct ktcp_ws_config {
	int client;		/* 1: client (masks, expects unmasked) */
	/*
	 * Bytes of one message; 0: 16 MiB.  The receive buffer grows with
	 * the bytes that arrive, never ahead of them to the length a frame
	 * header declares.
	 */
	uint64_t max_message;
	int deflate;		/* permessage-deflate agreed in the handshake */
	/*
	 * Optional: a byte count several endpoints share, such as a
	 * server's memory budget.  The endpoint adds what its receive
	 * buffers hold to *mem_used (and takes it back as they shrink);
	 * a message whose buffer would take *mem_used past mem_max fails
	 * the connection with 1013 (Try Again Later).  NULL: not counted.
	 */
	uint64_t *mem_used;
	uint64_t mem_max;
};

#define KTCP_WS_DEFAULT_MAX_MESSAGE	(16u << 20)

/**
 * ktcp_ws_new() - Create the message layer of one connection.
 * @cfg: configuration (copied).
 * @cb: callbacks (copied); send and on_message are required.
 * @arg: passed to every callback.
 *
 * Return: the new endpoint in state KTCP_WS_OPEN, or NULL (errno set:
 * EINVAL, ENOMEM, or ENOTSUP for deflate without zlib).
 */
struct ktcp_ws *ktcp_ws_new(const struct ktcp_ws_config *cfg,
			    const struct ktcp_ws_callbacks *cb, void *arg);

/**
 * ktcp_ws_free() - Free an endpoint.
 * @ws: the endpoint, or NULL.  It must not be in a callback.
 */
void ktcp_ws_free(struct ktcp_ws *ws);

/**
 * ktcp_ws_recv() - Feed bytes received from the peer.
 * @ws: the endpoint.
 * @buf: the bytes; any split of the stream is fine.
 * @len: their count.
 *
 * Calls on_message for each complete message, answers pings, echoes a
 * close frame.  On a protocol violation it sends a close frame with the
 * code the RFC asks for (1002, 1007 or 1009; 1013 past the shared
 * budget of ktcp_ws_config), calls on_close and fails.
 * Bytes after the peer's close frame are ignored.
 *
 * Return: 0 on success (check ktcp_ws_state() for KTCP_WS_CLOSED);
 * -EPROTO after failing the connection; a send callback's error.
 */
int ktcp_ws_recv(struct ktcp_ws *ws, const void *buf, size_t len);

/**
 * ktcp_ws_send() - Send a whole message in one frame.
 * @ws: the endpoint.
 * @opcode: KTCP_WS_TEXT or KTCP_WS_BINARY.
 * @data: the payload (not modified; copied when it must be masked).
 * @len: its length.
 *
 * Return: 0; -EINVAL for another opcode; -EPIPE once a close frame was
 * sent; a send callback's error.
 */
int ktcp_ws_send(struct ktcp_ws *ws, unsigned int opcode, const void *data,
		 size_t len);

/**
 * ktcp_ws_send_fragment() - Send one frame of a fragmented message.
 * @ws: the endpoint.
 * @opcode: KTCP_WS_TEXT or KTCP_WS_BINARY for the first fragment,
 *          KTCP_WS_CONT for the others.
 * @fin: 1 for the last fragment.
 * @data, @len: this fragment's payload.
 *
 * Control frames may be sent between fragments.
 *
 * Return: as ktcp_ws_send(); -EINVAL if @opcode does not fit whether a
 * message is in progress.
 */
int ktcp_ws_send_fragment(struct ktcp_ws *ws, unsigned int opcode, int fin,
			  const void *data, size_t len);

/**
 * ktcp_ws_ping() - Send a ping (or an unsolicited pong).
 * @ws: the endpoint.
 * @opcode: KTCP_WS_PING or KTCP_WS_PONG.
 * @data, @len: application data, at most 125 bytes.
 *
 * Return: 0; -EINVAL for a bad opcode or length; -EPIPE after close.
 */
int ktcp_ws_ping(struct ktcp_ws *ws, unsigned int opcode, const void *data,
		 size_t len);

/**
 * ktcp_ws_close() - Start the closing handshake.
 * @ws: the endpoint.
 * @code: a close code that may go on the wire (1000..1003, 1007..1014,
 *        3000..4999), or 0 to send no code.
 * @reason: UTF-8 text, or NULL.
 * @len: its length; at most 123 bytes.
 *
 * Return: 0; -EINVAL for a bad code or reason; -EPIPE if a close frame
 * was already sent.
 */
int ktcp_ws_close(struct ktcp_ws *ws, int code, const char *reason,
		  size_t len);

/**
 * ktcp_ws_state() - Where the endpoint is in its life.
 * @ws: the endpoint.
 *
 * Return: an enum ktcp_ws_state.
 */
enum ktcp_ws_state ktcp_ws_state(const struct ktcp_ws *ws);

/**
 * ktcp_ws_close_code_valid() - Whether a close code may be on the wire.
 * @code: the code.
 *
 * Return: 1 for 1000..1003, 1007..1014 and 3000..4999; else 0.
 */
int ktcp_ws_close_code_valid(int code);

/**
 * ktcp_ws_user() - The @arg given to ktcp_ws_new().
 * @ws: the endpoint.
 *
 * Return: the argument.
 */
void *ktcp_ws_user(const struct ktcp_ws *ws);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_WS_H */
