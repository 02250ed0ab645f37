// SPDX-License-Identifier: GPL-2.0
/*
 * Parse and build speed of libktcp against the anchors, side by side
 * in one run: HTTP request parsing against picohttpparser (built from
 * its source by bench/run.sh with the flags libktcp gets and
 * -msse4.2) and http-parser (libhttp-parser), WebSocket frame parsing
 * and building against wslay (libwslay), and UTF-8 validation of
 * WebSocket text (no anchor: wslay does not validate).  Nothing of
 * the anchors is in this repository.
 *
 * Fair by construction: the cases run interleaved, one after the
 * other in each of ROUNDS rounds (KTCP_BENCH_ROUNDS, default 5), and
 * each case reports the median of its rounds with their min and max;
 * every parse's return value is checked (a wrong one aborts).  A
 * round's figure is its fastest batch (see measure()).  The
 * ratio is the speed of libktcp over the anchor's, from the medians
 * (above 1: libktcp is faster).  Reports only; asserts nothing.
 *
 *   parse_bench [SECS]     SECS per case and round (default 0.2)
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

#include "picohttpparser.h"
#include "../src/http_scan.h"

static double secs = 0.2;
static volatile size_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run @fn in batches of @batch calls until @secs passed; return the
 * ns per call of the fastest batch.  The host is shared: a batch that
 * was preempted or shared its core says nothing about the code, and
 * the fastest says the most.
 */
static double measure(void (*fn)(void), long batch)
{
	double start, t0, t, best = 1e30;
	long i;

	for (i = 0; i < batch / 10 + 1; i++)	/* warm up */
		fn();
	start = now();
	do {
		t0 = now();
		for (i = 0; i < batch; i++)
			fn();
		t = now();
		if ((t - t0) * 1e9 / (double)batch < best)
			best = (t - t0) * 1e9 / (double)batch;
	} while (t - start < secs);
	return best;
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

#define REQ_HEADERS	9

static void ours_http(void)
{
	struct ktcp_http_header h[32];
	struct ktcp_http_request r = { .headers = h, .num_headers = 32 };

	if (ktcp_http_parse_request(REQ, sizeof(REQ) - 1, &r, NULL) !=
	    (int)sizeof(REQ) - 1 || r.num_headers != REQ_HEADERS)
		abort();
	sink += h[REQ_HEADERS - 1].value_len;
}

static void ours_http_portable(void)
{
	ours_http();	/* with the portable scan selected around it */
}

static void pico_http(void)
{
	struct phr_header h[32];
	const char *m, *p;
	size_t ml, pl, nh = 32;
	int minor;

	if (phr_parse_request(REQ, sizeof(REQ) - 1, &m, &ml, &p, &pl, &minor,
			      h, &nh, 0) != (int)sizeof(REQ) - 1 ||
	    nh != REQ_HEADERS)
		abort();
	sink += h[REQ_HEADERS - 1].value_len;
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
	if (http_parser_execute(&p, &hp_settings, REQ, sizeof(REQ) - 1) !=
	    sizeof(REQ) - 1 || p.http_errno)
		abort();
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

		if (hl != 6 || f.length != PAYLOAD)
			abort();
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
	size_t got = 0, cur = 0;
	int i;

	rpos = 0;
	for (i = 0; i < NFRAMES;) {
		ssize_t r = wslay_frame_recv(wctx, &io);

		if (r == WSLAY_ERR_WANT_READ)
			continue;
		if (r < 0)
			abort();
		/* a payload may come in pieces: a frame ends with its last */
		got += io.data_length;
		cur += io.data_length;
		if (cur == io.payload_length) {
			cur = 0;
			i++;
		}
	}
	/* every frame's payload, whole */
	if (got != NFRAMES * PAYLOAD)
		abort();
	sink += got;
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

		int hl = ktcp_ws_frame_build(out + pos, &f);

		if (hl != 6)
			abort();
		pos += (size_t)hl;
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

/* ---- UTF-8 validation of WebSocket text: 64 KiB of ASCII ---- */

static char text[65536];

static void ours_utf8(void)
{
	struct ktcp_utf8 u = { 0 };

	if (ktcp_utf8_feed(&u, text, sizeof(text)) || !ktcp_utf8_complete(&u))
		abort();
}

/* ---- interleaved rounds ---- */

#define MAX_ROUNDS	41

struct bcase {
	const char *what, *unit;
	void (*fn)(void);
	long batch;
	double per;		/* operations per call */
	int portable;		/* libktcp's portable scan */
	double ns[MAX_ROUNDS];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct bcase *c, int rounds, double *min,
		     double *max)
{
	double v[MAX_ROUNDS];

	memcpy(v, c->ns, sizeof(double) * (size_t)rounds);
	qsort(v, (size_t)rounds, sizeof(double), cmp_double);
	*min = v[0];
	*max = v[rounds - 1];
	return rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
}

static void report(const char *what, const char *unit, const struct bcase *o,
		   const char *anchor, const struct bcase *a, int rounds)
{
	double om, omin, omax, am, amin, amax;

	om = median(o, rounds, &omin, &omax);
	am = median(a, rounds, &amin, &amax);
	printf("%-28s libktcp %7.1f [%.1f-%.1f] ns/%s   %-20s %7.1f [%.1f-%.1f] ns/%s   libktcp/anchor %.2f\n",
	       what, om, omin, omax, unit, anchor, am, amin, amax, unit, am / om);
}

int main(int argc, char **argv)
{
	struct wslay_frame_callbacks cb = { wslay_send, wslay_recv, wslay_mask };
	struct bcase cases[] = {
		{ "ktcp", "req", ours_http, 1000, 1, 0, { 0 } },
		{ "ktcp-portable", "req", ours_http_portable, 1000, 1, 1, { 0 } },
		{ "pico", "req", pico_http, 1000, 1, 0, { 0 } },
		{ "http-parser", "req", hp_http, 1000, 1, 0, { 0 } },
		{ "ktcp-ws-parse", "frame", ours_ws_parse, 20, NFRAMES, 0, { 0 } },
		{ "wslay-ws-parse", "frame", wslay_ws_parse, 20, NFRAMES, 0, { 0 } },
		{ "ktcp-ws-build", "frame", ours_ws_build, 20, NFRAMES, 0, { 0 } },
		{ "wslay-ws-build", "frame", wslay_ws_build, 20, NFRAMES, 0, { 0 } },
		{ "ktcp-utf8", "64KiB", ours_utf8, 20, 1, 0, { 0 } },
	};
	const char *env = getenv("KTCP_BENCH_ROUNDS");
	int rounds = env ? atoi(env) : 5, r;
	size_t i, ncases = sizeof(cases) / sizeof(cases[0]);
	double m, lo, hi;

	if (argc > 1)
		secs = atof(argv[1]);
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
	for (i = 0; i < NFRAMES; i++) {
		struct ktcp_ws_frame f = { .fin = 1, .opcode = 2, .masked = 1,
			.mask = { 1, 2, 3, 4 }, .length = PAYLOAD };

		frames_len += ktcp_ws_frame_build(frames + frames_len, &f);
		frames_len += PAYLOAD;
	}
	memset(text, 'a', sizeof(text));
	wslay_frame_context_init(&wctx, &cb, NULL);
	printf("libktcp's scan: %s; %d rounds of %.2f s per case, interleaved; median [min-max]\n",
	       libktcp_http_scan_select(LIBKTCP_SCAN_BEST) == LIBKTCP_SCAN_AVX2 ?
	       "AVX2" : "portable", rounds, secs);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < ncases; i++) {
			struct bcase *c = &cases[(i + (size_t)r) % ncases];

			if (c->portable)
				libktcp_http_scan_select(LIBKTCP_SCAN_PORTABLE);
			c->ns[r] = measure(c->fn, c->batch) / c->per;
			if (c->portable)
				libktcp_http_scan_select(LIBKTCP_SCAN_BEST);
		}
	}
	report("http request parse", "req", &cases[0], "picohttpparser-sse4.2",
	       &cases[2], rounds);
	report("http request parse", "req", &cases[0], "http-parser", &cases[3],
	       rounds);
	report("  (libktcp portable scan)", "req", &cases[1],
	       "picohttpparser-sse4.2", &cases[2], rounds);
	report("ws frame parse+unmask 125B", "frame", &cases[4], "wslay", &cases[5],
	       rounds);
	report("ws frame build+mask 125B", "frame", &cases[6], "wslay", &cases[7],
	       rounds);
	m = median(&cases[8], rounds, &lo, &hi);
	printf("%-28s libktcp %7.2f [%.2f-%.2f] GB/s (64 KiB of ASCII; no anchor)\n",
	       "ws utf-8 validation", 65536 / m, 65536 / hi, 65536 / lo);
	wslay_frame_context_free(wctx);
	return 0;
}
