// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: WebSocket frames, handshake and message layer; see
 * include/ktcp/ws.h.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <ktcp/ws.h>

#include "ws_deflate.h"

/* ---- frames ---- */

int ktcp_ws_frame_parse(const void *buf, size_t len, struct ktcp_ws_frame *f)
{
	const uint8_t *p = buf;
	size_t need = 2;
	uint64_t n;
	int i;

	if (len < 2)
		return -EAGAIN;
	f->fin = p[0] >> 7;
	f->rsv = (p[0] >> 4) & 7;
	f->opcode = p[0] & 0x0f;
	f->masked = p[1] >> 7;
	n = p[1] & 0x7f;
	if (n == 126)
		need += 2;
	else if (n == 127)
		need += 8;
	if (f->masked)
		need += 4;
	if (len < need)
		return -EAGAIN;
	if (n == 126) {
		n = (uint64_t)p[2] << 8 | p[3];
		if (n < 126)
			return -EBADMSG;
	} else if (n == 127) {
		n = 0;
		for (i = 0; i < 8; i++)
			n = n << 8 | p[2 + i];
		if (n >> 63 || n <= 0xffff)
			return -EBADMSG;
	}
	f->length = n;
	if (f->masked)
		memcpy(f->mask, p + need - 4, 4);
	return (int)need;
}

size_t ktcp_ws_frame_build(void *out, const struct ktcp_ws_frame *f)
{
	uint8_t *p = out;
	size_t n = 2;
	int i;

	p[0] = (uint8_t)((f->fin ? 0x80 : 0) | (f->rsv & 7) << 4 |
			 (f->opcode & 0x0f));
	p[1] = f->masked ? 0x80 : 0;
	if (f->length < 126) {
		p[1] |= (uint8_t)f->length;
	} else if (f->length <= 0xffff) {
		p[1] |= 126;
		p[2] = (uint8_t)(f->length >> 8);
		p[3] = (uint8_t)f->length;
		n = 4;
	} else {
		p[1] |= 127;
		for (i = 0; i < 8; i++)
			p[2 + i] = (uint8_t)(f->length >> (56 - 8 * i));
		n = 10;
	}
	if (f->masked) {
		memcpy(p + n, f->mask, 4);
		n += 4;
	}
	return n;
}

void ktcp_ws_mask(void *data, size_t len, const uint8_t mask[4],
		  uint64_t offset)
{
	uint8_t *p = data;
	size_t i = 0;

	/* byte-wise up to a key boundary, then 8 bytes at a time */
	while (i < len && (offset + i) & 3) {
		p[i] ^= mask[(offset + i) & 3];
		i++;
	}
	if (len - i >= 8) {
		uint64_t m;
		uint8_t m8[8];

		memcpy(m8, mask, 4);
		memcpy(m8 + 4, mask, 4);
		memcpy(&m, m8, 8);
		for (; len - i >= 8; i += 8) {
			uint64_t v;

			memcpy(&v, p + i, 8);
			v ^= m;
			memcpy(p + i, &v, 8);
		}
	}
	for (; i < len; i++)
		p[i] ^= mask[(offset + i) & 3];
}

/* ---- UTF-8 ---- */

#define HIGH_BITS	0x8080808080808080ull

/*
 * The first byte >= 0x80 from @i on, or @len: ASCII is skipped 16 and
 * then 8 bytes at a time, and only the word that holds such a byte,
 * or the last few bytes, is looked at byte by byte.
 */
static size_t skip_ascii(const uint8_t *p, size_t i, size_t len)
{
	uint64_t a, b;

	for (; len - i >= 16; i += 16) {
		memcpy(&a, p + i, 8);
		memcpy(&b, p + i + 8, 8);
		if ((a | b) & HIGH_BITS)
			goto found;
	}
	if (len - i >= 8) {
		memcpy(&a, p + i, 8);
		if (a & HIGH_BITS)
			goto found;
		i += 8;
	}
	while (i < len && p[i] < 0x80)
		i++;
	return i;
found:
	while (p[i] < 0x80)
		i++;
	return i;
}

int ktcp_utf8_feed(struct ktcp_utf8 *u, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c;

		/* between characters, ASCII goes by words (issue 15) */
		if (!u->need && p[i] < 0x80) {
			i = skip_ascii(p, i, len);
			if (i == len)
				break;
		}
		c = p[i];
		if (u->need) {
			if (c < u->lo || c > u->hi)
				return -EILSEQ;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			continue;
		}
		if (c < 0x80)
			continue;
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			u->need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			u->need = 2;
			if (c == 0xe0)
				u->lo = 0xa0;
			else if (c == 0xed)
				u->hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			u->need = 3;
			if (c == 0xf0)
				u->lo = 0x90;
			else if (c == 0xf4)
				u->hi = 0x8f;
		} else {
			return -EILSEQ;
		}
	}
	return 0;
}

int ktcp_utf8_complete(const struct ktcp_utf8 *u)
{
	return u->need == 0;
}

/* ---- SHA-1 (FIPS 180-4) and base64, for the handshake ---- */

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1_block(uint32_t h[5], const uint8_t *b)
{
	uint32_t w[80], a, bb, c, d, e, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	bb = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		uint32_t f, k;

		if (i < 20) {
			f = (bb & c) | (~bb & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = bb ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (bb & c) | (bb & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = bb ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(bb, 30);
		bb = a;
		a = t;
	}
	h[0] += a;
	h[1] += bb;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void ktcp_sha1(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
			  0xc3d2e1f0 };
	const uint8_t *p = data;
	uint8_t last[128];
	size_t rest = len % 64, n = 64;
	uint64_t bits = (uint64_t)len * 8;
	int i;

	for (; len >= 64; len -= 64, p += 64)
		sha1_block(h, p);
	memset(last, 0, sizeof(last));
	memcpy(last, p, rest);
	last[rest] = 0x80;
	if (rest >= 56)
		n = 128;
	for (i = 0; i < 8; i++)
		last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, last);
	if (n == 128)
		sha1_block(h, last + 64);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const uint8_t *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = b64[v & 63];
	}
	if (len - i == 1) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[(in[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		*out++ = b64[v >> 10];
		*out++ = b64[(v >> 4) & 63];
		*out++ = b64[(v << 2) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void ktcp_ws_accept_key(const char *key, size_t key_len, char out[29])
{
	char buf[128 + sizeof(WS_GUID)];
	uint8_t d[20];

	if (key_len > 128)
		key_len = 128;
	memcpy(buf, key, key_len);
	memcpy(buf + key_len, WS_GUID, sizeof(WS_GUID) - 1);
	ktcp_sha1(buf, key_len + sizeof(WS_GUID) - 1, d);
	base64(d, 20, out);
}

/* ---- handshake ---- */

static int ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* The only field of that name, or -1 if none or several. */
static int only_header(const struct ktcp_http_header *h, size_t n,
		       const char *name)
{
	int i = ktcp_http_find_header(h, n, name, 0);

	if (i < 0 || ktcp_http_find_header(h, n, name, (size_t)i + 1) >= 0)
		return -1;
	return i;
}

int ktcp_ws_is_upgrade(const struct ktcp_http_request *req)
{
	return ktcp_http_header_has_token(req->headers, req->num_headers,
					  "Upgrade", "websocket");
}

static int key_valid(const char *k, size_t n)
{
	size_t i;

	if (n != 24 || k[22] != '=' || k[23] != '=' ||
	    !strchr("AQgw", k[21]))
		return 0;
	for (i = 0; i < 22; i++)
		if (!k[i] || !strchr(b64, k[i]))
			return 0;
	return 1;
}

/* Iterate over the comma-separated members of every field @name. */
struct list_iter {
	const struct ktcp_http_header *h;
	size_t n;
	const char *name;
	int idx;
	const char *p, *end;
};

static int list_next(struct list_iter *it, const char **m, size_t *mlen)
{
	for (;;) {
		const char *s, *e;

		if (!it->p || it->p > it->end) {
			it->idx = ktcp_http_find_header(it->h, it->n, it->name,
							(size_t)(it->idx + 1));
			if (it->idx < 0)
				return 0;
			it->p = it->h[it->idx].value;
			it->end = it->p + it->h[it->idx].value_len;
		}
		s = it->p;
		e = memchr(s, ',', (size_t)(it->end - s));
		if (!e)
			e = it->end;
		it->p = e + 1;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			*m = s;
			*mlen = (size_t)(e - s);
			return 1;
		}
	}
}

static void list_init(struct list_iter *it, const struct ktcp_http_header *h,
		      size_t n, const char *name)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	it->n = n;
	it->name = name;
	it->idx = -1;
}

/*
 * Whether we can take one permessage-deflate offer (RFC 7692 7.1) as
 * we answer it (@response 0): no context takeover either way, both
 * windows 2^15.  An offer that limits our window (server_max_window_bits
 * below 15) or has parameters we do not know is declined.  With
 * @response 1, whether a server's answer to our offer (no parameters)
 * is one we can live with: it may not limit our window, as we did not
 * offer client_max_window_bits.
 */
static int deflate_params_ok(const char *m, size_t mlen, int response)
{
	const char *p = m, *end = m + mlen;

	if (mlen < 18 || !ieq(m, 18, "permessage-deflate", 18))
		return 0;
	p += 18;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end) {
		const char *q, *e, *eq;
		size_t n;

		if (*p != ';')
			return 0;
		p++;
		q = memchr(p, ';', (size_t)(end - p));
		e = q ? q : end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(e - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		eq = memchr(p, '=', n);
		if (ieq(p, n, "server_no_context_takeover", 26) ||
		    ieq(p, n, "client_no_context_takeover", 26)) {
			/* we never take our context over anyway */
		} else if (ieq(p, n, "client_max_window_bits", 22) ||
			   (eq && ieq(p, (size_t)(eq - p), "client_max_window_bits", 22))) {
			/* offers: we inflate with the largest window, fine */
			if (response)
				return 0;
		} else if (response && eq &&
			   ieq(p, (size_t)(eq - p), "server_max_window_bits", 22)) {
			/* the server's window is within our 2^15 */
		} else if (eq && ieq(p, (size_t)(eq - p), "server_max_window_bits", 22)) {
			const char *v = eq + 1;
			size_t vl = (size_t)(p + n - v);

			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v++;
				vl -= 2;
			}
			if (!ieq(v, vl, "15", 2))
				return 0;
		} else {
			return 0;
		}
		p = e;
	}
	return 1;
}

int ktcp_ws_server_check(const struct ktcp_http_request *req,
			 const struct ktcp_ws_server_policy *pol,
			 struct ktcp_ws_upgrade *up)
{
	const struct ktcp_http_header *h = req->headers;
	size_t n = req->num_headers, i;
	int k, v, o;

	memset(up, 0, sizeof(*up));
	if (req->method_len != 3 || memcmp(req->method, "GET", 3) ||
	    req->minor_version != 1 || only_header(h, n, "Host") < 0 ||
	    !ktcp_ws_is_upgrade(req) ||
	    !ktcp_http_header_has_token(h, n, "Connection", "upgrade"))
		return 400;
	v = only_header(h, n, "Sec-WebSocket-Version");
	if (v < 0)
		return ktcp_http_find_header(h, n, "Sec-WebSocket-Version", 0) < 0 ?
		       400 : 426;
	if (!ieq(h[v].value, h[v].value_len, "13", 2))
		return 426;
	k = only_header(h, n, "Sec-WebSocket-Key");
	if (k < 0 || !key_valid(h[k].value, h[k].value_len))
		return 400;
	up->key = h[k].value;
	up->key_len = h[k].value_len;
	if (!pol)
		return 0;

	if (pol->origins || pol->origin_ok) {
		int ok = 0;

		o = only_header(h, n, "Origin");
		if (o < 0)
			return 403;
		for (i = 0; i < pol->num_origins && !ok; i++)
			ok = ieq(h[o].value, h[o].value_len, pol->origins[i],
				 strlen(pol->origins[i]));
		if (!ok && pol->origin_ok)
			ok = pol->origin_ok(h[o].value, h[o].value_len,
					    pol->origin_arg);
		if (!ok)
			return 403;
	}
	for (i = 0; i < pol->num_protocols && !up->protocol; i++) {
		struct list_iter it;
		const char *m;
		size_t mlen;

		list_init(&it, h, n, "Sec-WebSocket-Protocol");
		while (list_next(&it, &m, &mlen))
			if (mlen == strlen(pol->protocols[i]) &&
			    !memcmp(m, pol->protocols[i], mlen)) {
				up->protocol = pol->protocols[i];
				break;
			}
	}
	if (pol->deflate && ws_deflate_available()) {
		struct list_iter it;
		const char *m;
		size_t mlen;

		list_init(&it, h, n, "Sec-WebSocket-Extensions");
		while (list_next(&it, &m, &mlen))
			if (deflate_params_ok(m, mlen, 0)) {
				up->deflate = 1;
				break;
			}
	}
	return 0;
}

int ktcp_ws_server_response(char *out, size_t cap,
			    const struct ktcp_ws_upgrade *up)
{
	char accept[29];
	int n;

	ktcp_ws_accept_key(up->key, up->key_len, accept);
	n = snprintf(out, cap,
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n"
		     "%s%s%s%s\r\n",
		     accept,
		     up->protocol ? "Sec-WebSocket-Protocol: " : "",
		     up->protocol ? up->protocol : "",
		     up->protocol ? "\r\n" : "",
		     up->deflate ? "Sec-WebSocket-Extensions: permessage-deflate;"
				   " server_no_context_takeover;"
				   " client_no_context_takeover\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int ktcp_ws_client_request(char *out, size_t cap, const char *host,
			   const char *path, const char *protocols,
			   const char *origin, int deflate, char key[25])
{
	uint8_t rnd[16];
	int n;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -errno;
	base64(rnd, 16, key);
	n = snprintf(out, cap,
		     "GET %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n"
		     "%s%s%s%s%s%s%s\r\n",
		     path, host, key,
		     protocols ? "Sec-WebSocket-Protocol: " : "",
		     protocols ? protocols : "", protocols ? "\r\n" : "",
		     origin ? "Origin: " : "", origin ? origin : "",
		     origin ? "\r\n" : "",
		     deflate ? "Sec-WebSocket-Extensions: permessage-deflate;"
			       " client_no_context_takeover;"
			       " server_no_context_takeover\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int ktcp_ws_client_check(const struct ktcp_http_response *resp,
			 const char *key, const char *protocols,
			 int *protocol, int *deflate)
{
	const struct ktcp_http_header *h = resp->headers;
	size_t n = resp->num_headers;
	char accept[29];
	int a, p, e, offered_deflate;

	*protocol = -1;
	offered_deflate = *deflate;
	*deflate = 0;
	if (resp->status != 101)
		return -ECONNREFUSED;
	if (!ktcp_http_header_has_token(h, n, "Upgrade", "websocket") ||
	    !ktcp_http_header_has_token(h, n, "Connection", "upgrade"))
		return -EPROTO;
	a = only_header(h, n, "Sec-WebSocket-Accept");
	ktcp_ws_accept_key(key, strlen(key), accept);
	if (a < 0 || h[a].value_len != 28 || memcmp(h[a].value, accept, 28))
		return -EPROTO;
	p = ktcp_http_find_header(h, n, "Sec-WebSocket-Protocol", 0);
	if (p >= 0) {
		struct ktcp_http_header off = {
			.name = "p", .name_len = 1, .value = protocols,
			.value_len = protocols ? strlen(protocols) : 0,
		};
		struct list_iter it;
		const char *m;
		size_t mlen;
		int found = 0;

		if (only_header(h, n, "Sec-WebSocket-Protocol") < 0 ||
		    !protocols || memchr(h[p].value, ',', h[p].value_len))
			return -EPROTO;
		list_init(&it, &off, 1, "p");
		while (list_next(&it, &m, &mlen))
			if (mlen == h[p].value_len &&
			    !memcmp(m, h[p].value, mlen))
				found = 1;
		if (!found)
			return -EPROTO;
		*protocol = p;
	}
	e = ktcp_http_find_header(h, n, "Sec-WebSocket-Extensions", 0);
	if (e >= 0) {
		const char *v = h[e].value;

		/* only what we offered, and only if we did */
		if (!offered_deflate ||
		    only_header(h, n, "Sec-WebSocket-Extensions") < 0 ||
		    memchr(v, ',', h[e].value_len) ||
		    !deflate_params_ok(v, h[e].value_len, 1))
			return -EPROTO;
		*deflate = 1;
	}
	return 0;
}

/* ---- message layer ---- */

struct ktcp_ws {
	struct ktcp_ws_config cfg;
	struct ktcp_ws_callbacks cb;
	void *arg;
	enum ktcp_ws_state state;
	int close_sent;

	/* the frame being received */
	uint8_t hdr[KTCP_WS_MAX_HEADER];
	size_t hdr_len;
	int in_payload;
	struct ktcp_ws_frame f;
	uint64_t got;

	/* the data message being received (opcode 0: none) */
	unsigned int msg_opcode;
	int msg_compressed;
	uint8_t *msg;
	size_t msg_len, msg_cap;
	struct ktcp_utf8 utf8;
	uint8_t ctl[125];

	/* sending */
	int send_in_msg;
	uint8_t rnd[256];
	size_t rnd_pos;

	struct ws_deflate *z;
	uint8_t *zout;
	size_t zout_cap;
};

static void msg_release(struct ktcp_ws *ws);
static void zout_release(struct ktcp_ws *ws);

struct ktcp_ws *ktcp_ws_new(const struct ktcp_ws_config *cfg,
			    const struct ktcp_ws_callbacks *cb, void *arg)
{
	struct ktcp_ws *ws;

	if (!cfg || !cb || !cb->send || !cb->on_message) {
		errno = EINVAL;
		return NULL;
	}
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->cfg = *cfg;
	if (!ws->cfg.max_message)
		ws->cfg.max_message = KTCP_WS_DEFAULT_MAX_MESSAGE;
	ws->cb = *cb;
	ws->arg = arg;
	ws->rnd_pos = sizeof(ws->rnd);
	if (cfg->deflate) {
		ws->z = ws_deflate_new();
		if (!ws->z) {
			free(ws);
			errno = ENOMEM;
			return NULL;
		}
	}
	return ws;
}

void ktcp_ws_free(struct ktcp_ws *ws)
{
	if (!ws)
		return;
	ws_deflate_free(ws->z);
	zout_release(ws);
	msg_release(ws);
	free(ws);
}

enum ktcp_ws_state ktcp_ws_state(const struct ktcp_ws *ws)
{
	return ws->state;
}

void *ktcp_ws_user(const struct ktcp_ws *ws)
{
	return ws->arg;
}

int ktcp_ws_close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) ||
	       (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int next_mask(struct ktcp_ws *ws, uint8_t mask[4])
{
	if (ws->rnd_pos + 4 > sizeof(ws->rnd)) {
		if (getrandom(ws->rnd, sizeof(ws->rnd), 0) !=
		    (ssize_t)sizeof(ws->rnd))
			return -errno;
		ws->rnd_pos = 0;
	}
	memcpy(mask, ws->rnd + ws->rnd_pos, 4);
	ws->rnd_pos += 4;
	return 0;
}

static int send_frame(struct ktcp_ws *ws, unsigned int opcode, int fin,
		      unsigned int rsv, const void *data, size_t len)
{
	struct ktcp_ws_frame f = {
		.fin = !!fin, .rsv = rsv, .opcode = opcode,
		.masked = !!ws->cfg.client, .length = len,
	};
	uint8_t hdr[KTCP_WS_MAX_HEADER], small[4096], *masked;
	size_t hl;
	int err;

	if (!f.masked) {
		hl = ktcp_ws_frame_build(hdr, &f);
		return ws->cb.send(ws, hdr, hl, data, len, ws->arg);
	}
	err = next_mask(ws, f.mask);
	if (err)
		return err;
	hl = ktcp_ws_frame_build(hdr, &f);
	/* masking needs a copy anyway: make it in one piece */
	masked = len <= sizeof(small) ? small : malloc(len);
	if (!masked)
		return -ENOMEM;
	if (len)
		memcpy(masked, data, len);
	ktcp_ws_mask(masked, len, f.mask, 0);
	err = ws->cb.send(ws, hdr, hl, masked, len, ws->arg);
	if (masked != small)
		free(masked);
	return err;
}

static int send_close(struct ktcp_ws *ws, int code, const char *reason,
		      size_t len)
{
	uint8_t p[125];
	size_t n = 0;

	if (code) {
		p[0] = (uint8_t)(code >> 8);
		p[1] = (uint8_t)code;
		n = 2;
		if (len) {
			memcpy(p + 2, reason, len);
			n += len;
		}
	}
	ws->close_sent = 1;
	return send_frame(ws, KTCP_WS_CLOSE, 1, 0, p, n);
}

/* Fail the connection (RFC 6455 7.1.7) with @code. */
static int fail(struct ktcp_ws *ws, int code)
{
	if (!ws->close_sent)
		send_close(ws, code, NULL, 0);
	ws->state = KTCP_WS_CLOSED;
	if (ws->cb.on_close)
		ws->cb.on_close(ws, code, NULL, 0, 0, ws->arg);
	return -EPROTO;
}

static int is_control(unsigned int op)
{
	return op & 8;
}

/* Checks of a frame header that need the connection's state. */
static int frame_start(struct ktcp_ws *ws)
{
	struct ktcp_ws_frame *f = &ws->f;
	unsigned int allowed = ws->z ? 4 : 0;

	if (f->rsv & ~allowed)
		return fail(ws, KTCP_WS_PROTOCOL_ERROR);
	switch (f->opcode) {
	case KTCP_WS_CONT:
		if (!ws->msg_opcode || f->rsv)
			return fail(ws, KTCP_WS_PROTOCOL_ERROR);
		break;
	case KTCP_WS_TEXT:
	case KTCP_WS_BINARY:
		if (ws->msg_opcode)
			return fail(ws, KTCP_WS_PROTOCOL_ERROR);
		break;
	case KTCP_WS_CLOSE:
	case KTCP_WS_PING:
	case KTCP_WS_PONG:
		if (!f->fin || f->length > 125 || f->rsv)
			return fail(ws, KTCP_WS_PROTOCOL_ERROR);
		break;
	default:
		return fail(ws, KTCP_WS_PROTOCOL_ERROR);
	}
	/* a server needs masked frames, a client unmasked ones */
	if (f->masked == (unsigned int)!!ws->cfg.client)
		return fail(ws, KTCP_WS_PROTOCOL_ERROR);
	if (is_control(f->opcode))
		return 0;
	if (f->opcode != KTCP_WS_CONT) {
		ws->msg_opcode = f->opcode;
		ws->msg_compressed = !!(f->rsv & 4);
		ws->msg_len = 0;
		memset(&ws->utf8, 0, sizeof(ws->utf8));
	}
	/* the buffer grows in payload(), as the bytes arrive */
	if (f->length > ws->cfg.max_message - ws->msg_len)
		return fail(ws, KTCP_WS_TOO_BIG);
	return 0;
}

/*
 * A buffer of the endpoint goes from @old_cap to @new_cap bytes: move
 * the shared count along, or refuse growth past the budget.
 */
static int budget_take(struct ktcp_ws *ws, size_t old_cap, size_t new_cap)
{
	if (!ws->cfg.mem_used)
		return 0;
	if (new_cap > old_cap &&
	    *ws->cfg.mem_used + (new_cap - old_cap) > ws->cfg.mem_max)
		return -ENOBUFS;
	*ws->cfg.mem_used += new_cap;
	*ws->cfg.mem_used -= old_cap;
	return 0;
}

/*
 * Room for @n more bytes of the message, as they arrive.  Not the
 * frame's declared length at once: a 14-byte header would cost us
 * that much memory for nothing.  Doubling keeps the copying linear.
 */
static int msg_reserve(struct ktcp_ws *ws, size_t n)
{
	size_t need = ws->msg_len + n, cap;
	uint8_t *p;

	if (need <= ws->msg_cap)
		return 0;
	cap = ws->msg_cap ? ws->msg_cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > ws->cfg.max_message)
		cap = (size_t)ws->cfg.max_message;	/* frame_start: >= need */
	if (budget_take(ws, ws->msg_cap, cap))
		return fail(ws, KTCP_WS_TRY_AGAIN);
	p = realloc(ws->msg, cap);
	if (!p) {
		budget_take(ws, cap, ws->msg_cap);
		return fail(ws, KTCP_WS_INTERNAL);
	}
	ws->msg = p;
	ws->msg_cap = cap;
	return 0;
}

static void msg_release(struct ktcp_ws *ws)
{
	budget_take(ws, ws->msg_cap, 0);
	free(ws->msg);
	ws->msg = NULL;
	ws->msg_cap = 0;
}

static void zout_release(struct ktcp_ws *ws)
{
	budget_take(ws, ws->zout_cap, 0);
	free(ws->zout);
	ws->zout = NULL;
	ws->zout_cap = 0;
}

static int handle_close(struct ktcp_ws *ws, const uint8_t *p, size_t n)
{
	int code = KTCP_WS_NO_STATUS, err = 0;
	struct ktcp_utf8 u = { 0 };

	if (n == 1)
		return fail(ws, KTCP_WS_PROTOCOL_ERROR);
	if (n >= 2) {
		code = p[0] << 8 | p[1];
		if (!ktcp_ws_close_code_valid(code))
			return fail(ws, KTCP_WS_PROTOCOL_ERROR);
		if (ktcp_utf8_feed(&u, p + 2, n - 2) || !ktcp_utf8_complete(&u))
			return fail(ws, KTCP_WS_INVALID_DATA);
	}
	if (!ws->close_sent)
		err = send_close(ws, code == KTCP_WS_NO_STATUS ? 0 : code,
				 NULL, 0);
	ws->state = KTCP_WS_CLOSED;
	if (ws->cb.on_close)
		ws->cb.on_close(ws, code, n > 2 ? (const char *)p + 2 : NULL,
				n > 2 ? n - 2 : 0, 1, ws->arg);
	return err;
}

static int message_done(struct ktcp_ws *ws)
{
	/* never NULL, even for an empty message nothing was allocated for */
	const uint8_t *data = ws->msg ? ws->msg : (const uint8_t *)"";
	size_t len = ws->msg_len;
	unsigned int op = ws->msg_opcode;

	ws->msg_opcode = 0;
	if (ws->msg_compressed) {
		uint64_t max = ws->cfg.max_message;
		size_t old_cap = ws->zout_cap;
		int by_budget = 0, err;

		/* inflated bytes come out of the shared budget too */
		if (ws->cfg.mem_used) {
			uint64_t room = ws->cfg.mem_max > *ws->cfg.mem_used ?
					ws->cfg.mem_max - *ws->cfg.mem_used : 0;

			if (room + old_cap < max) {
				max = room + old_cap;
				by_budget = 1;
			}
		}
		err = ws_inflate_msg(ws->z, ws->msg, ws->msg_len, max,
				     &ws->zout, &len, &ws->zout_cap);
		budget_take(ws, old_cap, 0);
		/* after the fact: inflate grows it by at most 64 KiB more */
		if (ws->cfg.mem_used)
			*ws->cfg.mem_used += ws->zout_cap;
		if (err == -EFBIG)
			return fail(ws, by_budget ? KTCP_WS_TRY_AGAIN :
					KTCP_WS_TOO_BIG);
		if (err)
			return fail(ws, KTCP_WS_INVALID_DATA);
		data = ws->zout;
		if (op == KTCP_WS_TEXT) {
			struct ktcp_utf8 u = { 0 };

			if (ktcp_utf8_feed(&u, data, len) ||
			    !ktcp_utf8_complete(&u))
				return fail(ws, KTCP_WS_INVALID_DATA);
		}
	} else if (op == KTCP_WS_TEXT && !ktcp_utf8_complete(&ws->utf8)) {
		return fail(ws, KTCP_WS_INVALID_DATA);
	}
	ws->cb.on_message(ws, op, data, len, ws->arg);
	/* do not keep a huge buffer around after a huge message */
	if (ws->msg_cap > (1u << 20))
		msg_release(ws);
	if (ws->zout_cap > (1u << 20))
		zout_release(ws);
	return 0;
}

static int frame_done(struct ktcp_ws *ws)
{
	struct ktcp_ws_frame *f = &ws->f;
	size_t n = (size_t)f->length;
	int err = 0;

	ws->in_payload = 0;
	switch (f->opcode) {
	case KTCP_WS_CLOSE:
		return handle_close(ws, ws->ctl, n);
	case KTCP_WS_PING:
		if (!ws->close_sent)
			err = send_frame(ws, KTCP_WS_PONG, 1, 0, ws->ctl, n);
		if (!err && ws->cb.on_control)
			ws->cb.on_control(ws, f->opcode, ws->ctl, n, ws->arg);
		return err;
	case KTCP_WS_PONG:
		if (ws->cb.on_control)
			ws->cb.on_control(ws, f->opcode, ws->ctl, n, ws->arg);
		return 0;
	default:
		return f->fin ? message_done(ws) : 0;
	}
}

static int payload(struct ktcp_ws *ws, const uint8_t *p, size_t n)
{
	struct ktcp_ws_frame *f = &ws->f;
	uint8_t *dst;

	if (is_control(f->opcode)) {
		dst = ws->ctl + ws->got;
	} else {
		int err = msg_reserve(ws, n);

		if (err)
			return err;
		dst = ws->msg + ws->msg_len;
		ws->msg_len += n;
	}
	memcpy(dst, p, n);
	if (f->masked)
		ktcp_ws_mask(dst, n, f->mask, ws->got);
	ws->got += n;
	/* fail fast on invalid text, as soon as the bad byte is in */
	if (!is_control(f->opcode) && ws->msg_opcode == KTCP_WS_TEXT &&
	    !ws->msg_compressed && ktcp_utf8_feed(&ws->utf8, dst, n))
		return fail(ws, KTCP_WS_INVALID_DATA);
	return 0;
}

int ktcp_ws_recv(struct ktcp_ws *ws, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i = 0;
	int err;

	while (i < len && ws->state != KTCP_WS_CLOSED) {
		if (!ws->in_payload) {
			size_t old = ws->hdr_len, take = len - i;
			int hl;

			if (take > sizeof(ws->hdr) - old)
				take = sizeof(ws->hdr) - old;
			memcpy(ws->hdr + old, p + i, take);
			ws->hdr_len += take;
			hl = ktcp_ws_frame_parse(ws->hdr, ws->hdr_len, &ws->f);
			if (hl == -EAGAIN) {
				i += take;
				continue;
			}
			if (hl < 0)
				return fail(ws, KTCP_WS_PROTOCOL_ERROR);
			i += (size_t)hl - old;
			ws->hdr_len = 0;
			err = frame_start(ws);
			if (err)
				return err;
			ws->in_payload = 1;
			ws->got = 0;
		} else {
			size_t n = len - i;

			if (n > ws->f.length - ws->got)
				n = (size_t)(ws->f.length - ws->got);
			err = payload(ws, p + i, n);
			if (err)
				return err;
			i += n;
		}
		if (ws->in_payload && ws->got == ws->f.length) {
			err = frame_done(ws);
			if (err)
				return err;
		}
	}
	return 0;
}

int ktcp_ws_send_fragment(struct ktcp_ws *ws, unsigned int opcode, int fin,
			  const void *data, size_t len)
{
	if (ws->close_sent || ws->state == KTCP_WS_CLOSED)
		return -EPIPE;
	if (opcode == KTCP_WS_CONT ? !ws->send_in_msg :
	    (ws->send_in_msg ||
	     (opcode != KTCP_WS_TEXT && opcode != KTCP_WS_BINARY)))
		return -EINVAL;
	ws->send_in_msg = !fin;
	return send_frame(ws, opcode, fin, 0, data, len);
}

int ktcp_ws_send(struct ktcp_ws *ws, unsigned int opcode, const void *data,
		 size_t len)
{
	uint8_t *z;
	size_t zlen;
	int err;

	if (opcode != KTCP_WS_TEXT && opcode != KTCP_WS_BINARY)
		return -EINVAL;
	if (ws->close_sent || ws->state == KTCP_WS_CLOSED)
		return -EPIPE;
	if (ws->send_in_msg)
		return -EINVAL;
	if (!ws->z)
		return send_frame(ws, opcode, 1, 0, data, len);
	err = ws_deflate_msg(ws->z, data, len, &z, &zlen);
	if (err)
		return err;
	err = send_frame(ws, opcode, 1, 4, z, zlen);
	free(z);
	return err;
}

int ktcp_ws_ping(struct ktcp_ws *ws, unsigned int opcode, const void *data,
		 size_t len)
{
	if ((opcode != KTCP_WS_PING && opcode != KTCP_WS_PONG) || len > 125)
		return -EINVAL;
	if (ws->close_sent || ws->state == KTCP_WS_CLOSED)
		return -EPIPE;
	return send_frame(ws, opcode, 1, 0, data, len);
}

int ktcp_ws_close(struct ktcp_ws *ws, int code, const char *reason,
		  size_t len)
{
	struct ktcp_utf8 u = { 0 };

	if ((code && !ktcp_ws_close_code_valid(code)) || len > 123 ||
	    (len && !code) || ktcp_utf8_feed(&u, reason, len) ||
	    !ktcp_utf8_complete(&u))
		return -EINVAL;
	if (ws->close_sent || ws->state == KTCP_WS_CLOSED)
		return -EPIPE;
	ws->state = KTCP_WS_CLOSING;
	return send_close(ws, code, reason, len);
}
