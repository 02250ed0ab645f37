// SPDX-License-Identifier: GPL-2.0
/*
 * Parse and build speed of libktcp against the anchors, side by side
 * in one run: HTTP request parsing against picohttpparser (as exported
 * by Debian's libh2o) and http-parser (libhttp-parser), WebSocket
 * frame parsing and building against wslay (libwslay).  The anchors
 * are linked from the system at bench time; nothing of theirs is in
 * this repository except the picohttpparser prototype below, which
 * libh2o exports without installing a header.
 *
 * Prints one line per case: ns per operation for each, and the ratio
 * (anchor time / libktcp time: above 1 means libktcp is faster).
 * Reports only; asserts nothing.
 */
#define _GNU_SOURCE

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wslay/wslay.h>

#include <ktcp/http.h>
#include <ktcp/ws.h>

/* picohttpparser's API, as libh2o.so exports it */
struct phr_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method,
		      size_t *method_len, const char **path, size_t *path_len,
		      int *minor_version, struct phr_header *headers,
		      size_t *num_headers, size_t last_len);

static double secs = 1.0;
static volatile size_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run @fn in batches until @secs passed; return ns per call. */
static double measure(void (*fn)(void), long batch)
{
	double start = now(), t;
	long n = 0, i;

	for (i = 0; i < batch / 10; i++)	/* warm up */
		fn();
	do {
		for (i = 0; i < batch; i++)
			fn();
		n += batch;
		t = now() - start;
	} while (t < secs);
	return t * 1e9 / (double)n;
}

static const char REQ[] =
	"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
	"Host: www.kittyhell.com\r\n"
	"User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) "
	"Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	"Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
	"Accept-Encoding: gzip,deflate\r\n"
	"Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
	"Keep-Alive: 115\r\n"
	"Connection: keep-alive\r\n"
	"Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
	"__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
	"__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
	"\r\n";

static void ours_http(void)
{
	struct ktcp_http_header h[32];
	struct ktcp_http_request r = { .headers = h, .num_headers = 32 };

	sink += (size_t)ktcp_http_parse_request(REQ, sizeof(REQ) - 1, &r, NULL);
}

static void pico_http(void)
{
	struct phr_header h[32];
	const char *m, *p;
	size_t ml, pl, nh = 32;
	int minor;

	sink += (size_t)phr_parse_request(REQ, sizeof(REQ) - 1, &m, &ml, &p, &pl,
					  &minor, h, &nh, 0);
}

static int on_hdr(http_parser *p, const char *at, size_t len)
{
	(void)p;
	(void)at;
	sink += len;
	return 0;
}

static http_parser_settings hp_settings = {
	.on_header_field = on_hdr, .on_header_value = on_hdr, .on_url = on_hdr,
};

static void hp_http(void)
{
	http_parser p;

	http_parser_init(&p, HTTP_REQUEST);
	sink += http_parser_execute(&p, &hp_settings, REQ, sizeof(REQ) - 1);
}

/* ---- WebSocket frames: 64 masked client frames of 125 bytes ---- */

#define NFRAMES 64
#define PAYLOAD 125
static uint8_t frames[NFRAMES * (PAYLOAD + 6)];
static size_t frames_len, rpos;
static uint8_t scratch[PAYLOAD];

static void ours_ws_parse(void)
{
	size_t pos = 0;

	while (pos < frames_len) {
		struct ktcp_ws_frame f;
		int hl = ktcp_ws_frame_parse(frames + pos, frames_len - pos, &f);

		memcpy(scratch, frames + pos + hl, (size_t)f.length);
		ktcp_ws_mask(scratch, (size_t)f.length, f.mask, 0);
		sink += scratch[0];
		pos += (size_t)hl + (size_t)f.length;
	}
}

static ssize_t wslay_recv(uint8_t *buf, size_t len, int flags, void *u)
{
	size_t n = frames_len - rpos;

	(void)flags;
	(void)u;
	if (!n)
		return -1;
	if (n > len)
		n = len;
	memcpy(buf, frames + rpos, n);
	rpos += n;
	return (ssize_t)n;
}

static ssize_t wslay_send(const uint8_t *d, size_t len, int flags, void *u)
{
	(void)flags;
	(void)u;
	sink += d[0];
	return (ssize_t)len;
}

static int wslay_mask(uint8_t *buf, size_t len, void *u)
{
	(void)u;
	memset(buf, 0x5a, len);
	return 0;
}

static wslay_frame_context_ptr wctx;

static void wslay_ws_parse(void)
{
	struct wslay_frame_iocb io;
	int i;

	rpos = 0;
	for (i = 0; i < NFRAMES;) {
		ssize_t r = wslay_frame_recv(wctx, &io);

		if (r == WSLAY_ERR_WANT_READ)
			continue;
		if (r < 0)
			abort();
		sink += io.data_length;
		if (io.data_length + 0 && io.payload_length)
			i++;
	}
}

static const uint8_t payload[PAYLOAD];
static uint8_t out[NFRAMES * (PAYLOAD + 14)];

static void ours_ws_build(void)
{
	size_t pos = 0;
	int i;

	for (i = 0; i < NFRAMES; i++) {
		struct ktcp_ws_frame f = { .fin = 1, .opcode = 2, .masked = 1,
			.mask = { 0x5a, 0x5a, 0x5a, 0x5a }, .length = PAYLOAD };

		pos += ktcp_ws_frame_build(out + pos, &f);
		memcpy(out + pos, payload, PAYLOAD);
		ktcp_ws_mask(out + pos, PAYLOAD, f.mask, 0);
		pos += PAYLOAD;
	}
	sink += out[pos - 1];
}

static void wslay_ws_build(void)
{
	int i;

	for (i = 0; i < NFRAMES; i++) {
		struct wslay_frame_iocb io = { .fin = 1, .opcode = 2, .mask = 1,
			.payload_length = PAYLOAD, .data = payload,
			.data_length = PAYLOAD };

		if (wslay_frame_send(wctx, &io) != PAYLOAD)
			abort();
	}
}

static void report(const char *what, const char *unit, double ours,
		   const char *anchor, double theirs)
{
	printf("%-28s libktcp %8.1f ns/%s   %-15s %8.1f ns/%s   ratio %.2f\n",
	       what, ours, unit, anchor, theirs, unit, theirs / ours);
}

int main(int argc, char **argv)
{
	struct wslay_frame_callbacks cb = { wslay_send, wslay_recv, wslay_mask };
	double o, p, h;
	int i;

	if (argc > 1)
		secs = atof(argv[1]);
	o = measure(ours_http, 10000);
	p = measure(pico_http, 10000);
	h = measure(hp_http, 10000);
	report("http request parse", "req", o, "picohttpparser", p);
	report("http request parse", "req", o, "http-parser", h);

	for (i = 0; i < NFRAMES; i++) {
		struct ktcp_ws_frame f = { .fin = 1, .opcode = 2, .masked = 1,
			.mask = { 1, 2, 3, 4 }, .length = PAYLOAD };

		frames_len += ktcp_ws_frame_build(frames + frames_len, &f);
		frames_len += PAYLOAD;
	}
	wslay_frame_context_init(&wctx, &cb, NULL);
	o = measure(ours_ws_parse, 1000) / NFRAMES;
	p = measure(wslay_ws_parse, 1000) / NFRAMES;
	report("ws frame parse+unmask 125B", "frame", o, "wslay", p);
	o = measure(ours_ws_build, 1000) / NFRAMES;
	p = measure(wslay_ws_build, 1000) / NFRAMES;
	report("ws frame build+mask 125B", "frame", o, "wslay", p);
	wslay_frame_context_free(wctx);
	return 0;
}
