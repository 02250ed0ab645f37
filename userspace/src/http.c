// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: HTTP/1.1 message parsing; see include/ktcp/http.h.
 *
 * ktcp_http_parse_request() parses each head from its first byte.
 * ktcp_http_parse_request_resume() keeps, in the caller's state, how
 * far the bytes have been checked, and checks only new bytes until
 * the head is complete or certainly wrong; then the whole-head parser
 * runs once and its answer is the one returned.  So both always agree,
 * and a head dribbled a byte at a time costs linear time.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <ktcp/http.h>

#include "http_scan.h"

/*
 * On x86-64, the scans of the request line and header fields have an
 * AVX2 version, 32 bytes at a time, chosen at run time; the library
 * itself is built for baseline x86-64 (and any other architecture,
 * where only the portable scans exist).
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2_SCAN 1
#include <immintrin.h>
#else
#define HAVE_AVX2_SCAN 0
#endif

#define ALWAYS_INLINE	inline __attribute__((always_inline))

/* tchar of RFC 9110 5.6.2. */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int is_tchar(unsigned char c)
{
	return tchar[c];
}

/* field-vchar, SP or HTAB (RFC 9110 5.5); obs-text allowed. */
static int is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

struct limits {
	size_t head, headers, line;
	uint64_t body;
};

static void get_limits(struct limits *l, const struct ktcp_http_limits *lim)
{
	l->head = lim && lim->max_head_bytes ? lim->max_head_bytes :
					       KTCP_HTTP_DEFAULT_MAX_HEAD;
	l->headers = lim && lim->max_headers ? lim->max_headers :
					       KTCP_HTTP_DEFAULT_MAX_HEADERS;
	l->line = lim && lim->max_line ? lim->max_line :
					 KTCP_HTTP_DEFAULT_MAX_LINE;
	l->body = lim && lim->max_body ? lim->max_body :
					 KTCP_HTTP_DEFAULT_MAX_BODY;
}

/*
 * Find the end of the line starting at @start.  Sets *@end to the CR
 * and returns the offset after the LF; -EAGAIN if the line is not
 * complete yet (@too_long if that line already passed @max);
 * -EBADMSG for a bare LF or a CR not followed by LF.
 */
static long next_line(const char *buf, size_t len, size_t start, size_t max,
		      int too_long, size_t *end)
{
	const char *p = buf + start;
	size_t n = len - start, i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n')
			return -EBADMSG;
		if (p[i] == '\r')
			break;
	}
	if (i > max)
		return too_long;
	if (i == n || i + 1 == n)
		return -EAGAIN;
	if (p[i + 1] != '\n')
		return -EBADMSG;
	*end = start + i;
	return (long)(start + i + 2);
}

/* Parse "HTTP/1.x"; sets *minor. */
static int parse_version(const char *p, size_t n, int *minor)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -EBADMSG;
	if (p[5] != '1' || p[7] > '1')
		return -EPROTONOSUPPORT;
	*minor = p[7] - '0';
	return 0;
}

#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull

/*
 * Offset of the first byte in [i, n) below @lim or equal to 0x7f; n if
 * none.  Eight bytes at a time: "v has a byte below lim" is
 * (v - lim * ONES) & ~v & HIGHS (exact for lim <= 0x80), "v has a
 * 0x7f byte" the same test for zero on v ^ (0x7f * ONES).
 */
static size_t scan_ctl(const char *p, size_t i, size_t n, unsigned int lim)
{
	while (n - i >= 8) {
		uint64_t v, x;

		memcpy(&v, p + i, 8);
		x = v ^ (0x7f * ONES);
		if (((v - lim * ONES) & ~v & HIGHS) | ((x - ONES) & ~x & HIGHS))
			break;
		i += 8;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < lim || c == 0x7f)
			return i;
	}
	return n;
}

/* Offset of the first byte in [i, n) that is not a tchar; n if none. */
static size_t scan_tchar(const char *p, size_t i, size_t n)
{
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	return i;
}

#if HAVE_AVX2_SCAN
/*
 * tchar as two nibble tables: each high nibble 2..7 has a bit of its
 * own in tchar_hi, and tchar_lo[low nibble] has the bits of the high
 * nibbles that make a tchar with it; so c is a tchar exactly when
 * tchar_lo[c & 15] & tchar_hi[c >> 4] is not 0 (tests/http_test.c
 * checks all 256 bytes against is_tchar()).
 */
static const uint8_t tchar_lo[16] = {
	0x3a, 0x3f, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
	0x3e, 0x3e, 0x3d, 0x15, 0x34, 0x15, 0x3d, 0x1c,
};
static const uint8_t tchar_hi[16] = {
	0x00, 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20,
};

/*
 * The bytes of @v that are not tchars, a bit each: a pshufb lookup of
 * each nibble, 32 (@wide) or 16 bytes.
 */
__attribute__((target("avx2")))
static ALWAYS_INLINE uint32_t non_tchar_bits(__m256i v, int wide)
{
	const __m128i lo = _mm_loadu_si128((const __m128i *)tchar_lo);
	const __m128i hi = _mm_loadu_si128((const __m128i *)tchar_hi);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i t = _mm256_and_si256(
		_mm256_shuffle_epi8(_mm256_broadcastsi128_si256(lo),
				    _mm256_and_si256(v, nib)),
		_mm256_shuffle_epi8(_mm256_broadcastsi128_si256(hi),
				    _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)));
	uint32_t m = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(t, _mm256_setzero_si256()));

	return wide ? m : m & 0xffff;
}

/*
 * The bytes of @v below @lim or 0x7f, a bit each (c < lim as
 * max(c, lim) != c, unsigned), 32 (@wide) or 16 bytes.
 */
__attribute__((target("avx2")))
static ALWAYS_INLINE uint32_t ctl_bits(__m256i v, unsigned int lim, int wide)
{
	uint32_t ok = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		_mm256_max_epu8(v, _mm256_set1_epi8((char)lim)), v));
	uint32_t del = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7f)));
	uint32_t m = ~ok | del;

	return wide ? m : m & 0xffff;
}

/* 16 bytes at @p in the low lane of a 256-bit vector. */
__attribute__((target("avx2")))
static ALWAYS_INLINE __m256i load16(const char *p)
{
	return _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p));
}

/* scan_tchar(), 32 and then 16 bytes at a time. */
__attribute__((target("avx2")))
static inline size_t scan_tchar_avx2(const char *p, size_t i, size_t n)
{
	uint32_t m;

	for (; n - i >= 32; i += 32) {
		m = non_tchar_bits(_mm256_loadu_si256((const __m256i *)(p + i)), 1);
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
	if (n - i >= 16) {
		m = non_tchar_bits(load16(p + i), 0);
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
	return scan_tchar(p, i, n);
}

/* scan_ctl(), 32 and then 16 bytes at a time. */
__attribute__((target("avx2")))
static inline size_t scan_ctl_avx2(const char *p, size_t i, size_t n, unsigned int lim)
{
	uint32_t m;

	for (; n - i >= 32; i += 32) {
		m = ctl_bits(_mm256_loadu_si256((const __m256i *)(p + i)), lim, 1);
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
	if (n - i >= 16) {
		m = ctl_bits(load16(p + i), lim, 0);
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
	return scan_ctl(p, i, n, lim);
}

/*
 * The start of a header line, "name: value\r\n": one 32-byte load
 * gives both the end of the name (the first non-tchar) and the first
 * control byte after it, so that finding the line's end does not wait
 * for the name's.  Returns the end of the name, as scan_tchar(); if
 * that is within the block, sets *@ctl to the first byte below 0x20 or
 * 0x7f after it, as scan_ctl(p, end + 1, n, 0x20) would (NO_CTL: none
 * in the block, and *@from to where the block ends).
 */
#define NO_CTL	((size_t)-1)

__attribute__((target("avx2")))
static inline size_t scan_line_avx2(const char *p, size_t pos, size_t n,
				    size_t *ctl, size_t *from)
{
	uint32_t ntc, after;
	unsigned int ne;
	__m256i v;

	*ctl = NO_CTL;
	*from = 0;
	if (n - pos < 32)
		return scan_tchar_avx2(p, pos, n);
	v = _mm256_loadu_si256((const __m256i *)(p + pos));
	ntc = non_tchar_bits(v, 1);
	if (!ntc)
		return scan_tchar_avx2(p, pos + 32, n);
	ne = (unsigned int)__builtin_ctz(ntc);
	after = ne == 31 ? 0 : ctl_bits(v, 0x20, 1) & ~((2u << ne) - 1);
	if (after)
		*ctl = pos + (size_t)__builtin_ctz(after);
	else
		*from = pos + 32;
	return pos + ne;
}

/* Chosen once, before main(); libktcp_http_scan_select() for tests. */
static int use_avx2;

__attribute__((constructor))
static void choose_scan(void)
{
	__builtin_cpu_init();
	use_avx2 = __builtin_cpu_supports("avx2");
}

int libktcp_http_scan_select(int which)
{
	if (which == LIBKTCP_SCAN_BEST) {
		choose_scan();
	} else if (which == LIBKTCP_SCAN_AVX2) {
		__builtin_cpu_init();
		if (!__builtin_cpu_supports("avx2"))
			return -ENOTSUP;
		use_avx2 = 1;
	} else {
		use_avx2 = 0;
	}
	return use_avx2 ? LIBKTCP_SCAN_AVX2 : LIBKTCP_SCAN_PORTABLE;
}
#else
#define use_avx2 0
#define NO_CTL	((size_t)-1)
static size_t scan_tchar_avx2(const char *p, size_t i, size_t n)
{
	return scan_tchar(p, i, n);
}

static size_t scan_line_avx2(const char *p, size_t pos, size_t n,
			     size_t *ctl, size_t *from)
{
	*ctl = NO_CTL;
	*from = 0;
	return scan_tchar(p, pos, n);
}

static size_t scan_ctl_avx2(const char *p, size_t i, size_t n, unsigned int lim)
{
	return scan_ctl(p, i, n, lim);
}

int libktcp_http_scan_select(int which)
{
	return which == LIBKTCP_SCAN_AVX2 ? -ENOTSUP : LIBKTCP_SCAN_PORTABLE;
}
#endif

/*
 * The parser's bodies below are written once and instantiated twice,
 * with @avx2 a constant: into the portable functions, and into
 * target("avx2") ones where the AVX2 scans inline.
 */
#define SCAN_CTL(avx2, p, i, n, lim) \
	((avx2) ? scan_ctl_avx2(p, i, n, lim) : scan_ctl(p, i, n, lim))
#define SCAN_TCHAR(avx2, p, i, n) \
	((avx2) ? scan_tchar_avx2(p, i, n) : scan_tchar(p, i, n))

/*
 * Parse header fields from @pos to the empty line.  Returns the offset
 * after the empty line, or a negative errno.  Each line is scanned
 * once: the name as tchars, the value for control characters, of
 * which only HTAB and the final CRLF are allowed.
 */
static ALWAYS_INLINE long
parse_headers_impl(const char *buf, size_t len, size_t pos, size_t head_start,
		   const struct limits *l, struct ktcp_http_header *hdrs,
		   size_t *num, int avx2)
{
	size_t cap = *num < l->headers ? *num : l->headers, n = 0;
	size_t max_end = head_start + l->head;

	for (;;) {
		size_t i = pos, ne, vs, ve, v_ctl = NO_CTL, v_from = 0;

		if (i >= len) {
			goto more;
		}
		if (buf[i] == '\r') {
			if (i + 1 >= len) {
				goto more;
			}
			if (buf[i + 1] != '\n')
				return -EBADMSG;
			if (i + 2 > max_end)
				return -E2BIG;
			*num = n;
			return (long)(i + 2);
		}
		/* obs-fold, or white space before the first field name */
		if (buf[i] == ' ' || buf[i] == '\t')
			return -EBADMSG;
		if (avx2)
			i = scan_line_avx2(buf, i, len, &v_ctl, &v_from);
		else
			i = scan_tchar(buf, i, len);
		if (i == len) {
			goto more;
		}
		/* no white space between name and colon (RFC 9112 5.1) */
		if (i == pos || buf[i] != ':')
			return -EBADMSG;
		ne = i++;
		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		vs = i;
		for (;;) {
			/* where scan_line_avx2() already looked, or on from i */
			if (v_ctl != NO_CTL && v_ctl >= i)
				i = v_ctl;
			else
				i = SCAN_CTL(avx2, buf, v_from > i ? v_from : i,
					     len, 0x20);
			v_ctl = NO_CTL;
			v_from = 0;
			if (i == len) {
				goto more;
			}
			if (buf[i] == '\t') {
				i++;
				continue;
			}
			if (buf[i] != '\r')
				return -EBADMSG;	/* bare LF, NUL, other CTL */
			if (i + 1 == len) {
				goto more;
			}
			if (buf[i + 1] != '\n')
				return -EBADMSG;
			break;
		}
		if (i - pos > l->line || i + 2 > max_end)
			return -E2BIG;
		ve = i;
		while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		if (n == cap)
			return -E2BIG;
		hdrs[n].name = buf + pos;
		hdrs[n].name_len = ne - pos;
		hdrs[n].value = buf + vs;
		hdrs[n].value_len = ve - vs;
		n++;
		pos = i + 2;
		continue;
more:
		if (len - pos > l->line || len > max_end)
			return -E2BIG;
		return -EAGAIN;
	}
}

static size_t skip_empty_lines(const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos + 1 < len && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;
	return pos;
}

static long parse_headers(const char *buf, size_t len, size_t pos,
			  size_t head_start, const struct limits *l,
			  struct ktcp_http_header *hdrs, size_t *num)
{
	return parse_headers_impl(buf, len, pos, head_start, l, hdrs, num, 0);
}

static ALWAYS_INLINE int
parse_request_impl(const char *buf, size_t len, struct ktcp_http_request *req,
		   const struct ktcp_http_limits *lim, int avx2)
{
	size_t start, i, m_end, t_start, t_end;
	struct limits l;
	int err;

	get_limits(&l, lim);
	start = skip_empty_lines(buf, len);
	/* A request that never stops sending empty lines is no request. */
	if (start > l.line)
		return -EBADMSG;
	if (start == len || (buf[start] == '\r' && start + 1 == len))
		goto more;

	i = SCAN_TCHAR(avx2, buf, start, len);
	if (i == len)
		goto more;
	if (i == start || buf[i] != ' ')
		return -EBADMSG;
	m_end = i++;
	t_start = i;
	i = SCAN_CTL(avx2, buf, i, len, 0x21);	/* up to SP, CTL or DEL */
	if (i == len)
		goto more;
	if (i == t_start || buf[i] != ' ')
		return -EBADMSG;
	t_end = i++;
	if (len - i < 10)
		goto more;
	err = parse_version(buf + i, 8, &req->minor_version);
	if (err)
		return err;
	if (buf[i + 8] != '\r' || buf[i + 9] != '\n')
		return -EBADMSG;
	if (i + 8 - start > l.line)
		return -ENAMETOOLONG;

	req->method = buf + start;
	req->method_len = m_end - start;
	req->target = buf + t_start;
	req->target_len = t_end - t_start;
	return (int)parse_headers_impl(buf, len, i + 10, start, &l,
				       req->headers, &req->num_headers, avx2);
more:
	if (len - start > l.line)
		return -ENAMETOOLONG;
	return -EAGAIN;
}

static int parse_request_portable(const char *buf, size_t len,
				  struct ktcp_http_request *req,
				  const struct ktcp_http_limits *lim)
{
	return parse_request_impl(buf, len, req, lim, 0);
}

#if HAVE_AVX2_SCAN
__attribute__((target("avx2")))
static int parse_request_avx2(const char *buf, size_t len,
			      struct ktcp_http_request *req,
			      const struct ktcp_http_limits *lim)
{
	return parse_request_impl(buf, len, req, lim, 1);
}
#else
#define parse_request_avx2 parse_request_portable
#endif

int ktcp_http_parse_request(const char *buf, size_t len,
			    struct ktcp_http_request *req,
			    const struct ktcp_http_limits *lim)
{
	if (use_avx2)
		return parse_request_avx2(buf, len, req, lim);
	return parse_request_portable(buf, len, req, lim);
}

/*
 * The resumable scan mirrors ktcp_http_parse_request() step by step:
 * each phase stops ("settled") exactly where that parser would stop
 * answering -EAGAIN, so that the whole-head parse runs only once.
 */
enum {
	P_EMPTY,	/* empty lines before the request line */
	P_METHOD,
	P_TARGET,
	P_VERSION,	/* the 10 bytes "HTTP/1.x\r\n" */
	P_LINE,		/* start of a header line, or the final CRLF */
	P_NAME,
	P_VALUE,	/* optional white space, value, CRLF */
	P_SETTLED,	/* parse the whole head on every call */
};

/* Returns 1 when the whole-head parser would answer, 0 for -EAGAIN. */
static int resume_scan(const char *buf, size_t len,
		       struct ktcp_http_parse_state *st, const struct limits *l,
		       size_t cap)
{
	size_t i = st->scanned;

	switch (st->phase) {
	case P_EMPTY:
		while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
			i += 2;
		st->scanned = i;
		if (i > l->line)
			return 1;
		if (i == len || (buf[i] == '\r' && i + 1 == len))
			return 0;
		st->start = i;
		st->phase = P_METHOD;
		/* fall through */
	case P_METHOD:
		while (i < len && is_tchar((unsigned char)buf[i]))
			i++;
		if (i == len)
			goto request_line_more;
		if (i == st->start || buf[i] != ' ')
			return 1;
		st->mark = ++i;
		st->phase = P_TARGET;
		/* fall through */
	case P_TARGET:
		i = scan_ctl(buf, i, len, 0x21);
		if (i == len)
			goto request_line_more;
		if (i == st->mark || buf[i] != ' ')
			return 1;
		st->mark = ++i;
		st->phase = P_VERSION;
		/* fall through */
	case P_VERSION: {
		int minor;

		if (len - st->mark < 10)
			goto request_line_more;
		i = st->mark;
		if (parse_version(buf + i, 8, &minor) || buf[i + 8] != '\r' ||
		    buf[i + 9] != '\n' || i + 8 - st->start > l->line)
			return 1;
		i += 10;
		st->line = i;
		st->phase = P_LINE;
	}
		/* fall through */
	case P_LINE:
line:
		if (i >= len)
			goto header_more;
		if (buf[i] == '\r') {
			if (i + 1 == len)
				goto header_more;
			return 1;	/* the end, or an error */
		}
		if (buf[i] == ' ' || buf[i] == '\t')
			return 1;
		st->phase = P_NAME;
		/* fall through */
	case P_NAME:
		while (i < len && is_tchar((unsigned char)buf[i]))
			i++;
		if (i == len)
			goto header_more;
		if (i == st->line || buf[i] != ':')
			return 1;
		i++;
		st->phase = P_VALUE;
		/* fall through */
	case P_VALUE:
		for (;;) {
			i = scan_ctl(buf, i, len, 0x20);
			if (i == len)
				goto header_more;
			if (buf[i] == '\t') {
				i++;
				continue;
			}
			if (buf[i] != '\r')
				return 1;
			if (i + 1 == len)
				goto header_more;	/* CR checked again */
			if (buf[i + 1] != '\n' || i - st->line > l->line ||
			    i + 2 > st->start + l->head || st->fields == cap)
				return 1;
			break;
		}
		st->fields++;
		i += 2;
		st->line = i;
		st->phase = P_LINE;
		goto line;
	default:
		return 1;
	}
request_line_more:
	st->scanned = i;
	return len - st->start > l->line;
header_more:
	st->scanned = i;
	return len - st->line > l->line || len > st->start + l->head;
}

int ktcp_http_parse_request_resume(const char *buf, size_t len,
				   struct ktcp_http_request *req,
				   const struct ktcp_http_limits *lim,
				   struct ktcp_http_parse_state *state)
{
	struct limits l;
	size_t cap;
	int ret;

	/* fewer bytes than last time: not the same head, start over */
	if (len < state->scanned)
		memset(state, 0, sizeof(*state));
	/*
	 * A head's first call goes to the whole-head parser at once: a
	 * head that came whole, as a keep-alive request's usually does,
	 * is then parsed once rather than scanned and then parsed.  Only
	 * an incomplete one is scanned, for the state of the next call.
	 */
	if (!state->scanned && state->phase == P_EMPTY) {
		ret = ktcp_http_parse_request(buf, len, req, lim);
		if (ret != -EAGAIN)
			return ret;
	}
	get_limits(&l, lim);
	cap = req->num_headers < l.headers ? req->num_headers : l.headers;
	if (state->phase != P_SETTLED && !resume_scan(buf, len, state, &l, cap))
		return -EAGAIN;
	ret = ktcp_http_parse_request(buf, len, req, lim);
	/*
	 * The scan stops where the parser answers; should they ever
	 * disagree, the parser's answer stands from then on.
	 */
	if (ret == -EAGAIN)
		state->phase = P_SETTLED;
	return ret;
}

int ktcp_http_parse_response(const char *buf, size_t len,
			     struct ktcp_http_response *resp,
			     const struct ktcp_http_limits *lim)
{
	size_t end, i;
	struct limits l;
	long next;
	int err;

	get_limits(&l, lim);
	next = next_line(buf, len, 0, l.line, -E2BIG, &end);
	if (next < 0)
		return (int)next;
	if (end < 12 || buf[8] != ' ')
		return -EBADMSG;
	err = parse_version(buf, 8, &resp->minor_version);
	if (err)
		return err;
	resp->status = 0;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EBADMSG;
		resp->status = resp->status * 10 + buf[i] - '0';
	}
	if (resp->status < 100)
		return -EBADMSG;
	/* "HTTP/1.1 200" without a space and reason is seen in the wild */
	if (end > 12 && buf[12] != ' ')
		return -EBADMSG;
	for (i = 13; i < end; i++)
		if (!is_field_char(buf[i]))
			return -EBADMSG;
	resp->reason = buf + (end > 12 ? 13 : 12);
	resp->reason_len = end > 12 ? end - 13 : 0;
	return (int)parse_headers(buf, len, (size_t)next, 0, &l, resp->headers,
				  &resp->num_headers);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

static int name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return b[alen] == '\0';
}

int ktcp_http_find_header(const struct ktcp_http_header *headers,
			  size_t num_headers, const char *name, size_t from)
{
	size_t i;

	for (i = from; i < num_headers; i++)
		if (name_eq(headers[i].name, headers[i].name_len, name))
			return (int)i;
	return -ENOENT;
}

/*
 * Next member of a comma-separated list in [*p, end), trimmed of
 * blanks; empty members are returned too (as length 0).  Returns 0 at
 * the end of the list.
 */
static int next_member(const char **p, const char *end, const char **m,
		       size_t *mlen)
{
	const char *s = *p, *e;

	if (s > end)
		return 0;
	e = memchr(s, ',', (size_t)(end - s));
	if (!e)
		e = end;
	*p = e + 1;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*m = s;
	*mlen = (size_t)(e - s);
	return 1;
}

int ktcp_http_header_has_token(const struct ktcp_http_header *headers,
			       size_t num_headers, const char *name,
			       const char *token)
{
	int i = -1;

	while ((i = ktcp_http_find_header(headers, num_headers, name,
					  (size_t)(i + 1))) >= 0) {
		const char *p = headers[i].value, *m;
		const char *end = p + headers[i].value_len;
		size_t mlen;

		while (next_member(&p, end, &m, &mlen))
			if (mlen && name_eq(m, mlen, token))
				return 1;
	}
	return 0;
}

int ktcp_http_keep_alive(int minor_version,
			 const struct ktcp_http_header *headers,
			 size_t num_headers)
{
	if (ktcp_http_header_has_token(headers, num_headers, "Connection",
				       "close"))
		return 0;
	if (minor_version >= 1)
		return 1;
	return ktcp_http_header_has_token(headers, num_headers, "Connection",
					  "keep-alive");
}

static int parse_length(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
		if (v > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

int ktcp_http_body_framing(const struct ktcp_http_header *headers,
			   size_t num_headers, int is_request,
			   const struct ktcp_http_limits *lim,
			   enum ktcp_http_body_kind *kind, uint64_t *length)
{
	int have_cl = 0, have_te = 0, chunked = 0, last_chunked = 0;
	int other = 0;
	uint64_t cl = 0;
	struct limits l;
	size_t i;

	get_limits(&l, lim);
	*kind = KTCP_HTTP_BODY_NONE;
	*length = 0;
	for (i = 0; i < num_headers; i++) {
		const struct ktcp_http_header *h = &headers[i];
		const char *p = h->value, *end = p + h->value_len, *m;
		size_t mlen;

		if (name_eq(h->name, h->name_len, "content-length")) {
			while (next_member(&p, end, &m, &mlen)) {
				uint64_t v;

				if (parse_length(m, mlen, &v))
					return -EBADMSG;
				if (have_cl && v != cl)
					return -EBADMSG;
				have_cl = 1;
				cl = v;
			}
		} else if (name_eq(h->name, h->name_len, "transfer-encoding")) {
			have_te = 1;
			while (next_member(&p, end, &m, &mlen)) {
				if (!mlen)
					continue;
				if (name_eq(m, mlen, "chunked")) {
					if (chunked)
						return -EBADMSG;
					chunked = 1;
					last_chunked = 1;
				} else {
					other = 1;
					last_chunked = 0;
				}
			}
		}
	}
	if (have_te && have_cl)
		return -EBADMSG;
	if (have_te) {
		if (!chunked && !other)
			return -EBADMSG;
		if (is_request && !last_chunked)
			return -EBADMSG;
		if (other)
			return -ENOSYS;
		*kind = KTCP_HTTP_BODY_CHUNKED;
		return 0;
	}
	if (have_cl) {
		if (cl > l.body)
			return -EFBIG;
		*kind = KTCP_HTTP_BODY_LENGTH;
		*length = cl;
		return 0;
	}
	*kind = is_request ? KTCP_HTTP_BODY_NONE : KTCP_HTTP_BODY_CLOSE;
	return 0;
}

enum {
	CH_SIZE,	/* chunk-size digits */
	CH_EXT,		/* chunk extension, up to CR */
	CH_SIZE_LF,	/* LF after the size line */
	CH_DATA,
	CH_DATA_CR,	/* CR after chunk data */
	CH_DATA_LF,
	CH_TRAILER,	/* start of a trailer line, or the final CRLF */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_END_LF,
	CH_DONE,
};

void ktcp_http_chunked_init(struct ktcp_http_chunked *dec,
			    const struct ktcp_http_limits *lim)
{
	struct limits l;

	get_limits(&l, lim);
	memset(dec, 0, sizeof(*dec));
	dec->max_body = l.body;
	dec->max_meta = l.head;
	dec->max_trailers = l.headers;
	/* line length is kept in the private field until the first line */
	dec->line = 0;
	dec->state = CH_SIZE;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long ktcp_http_chunked_decode(struct ktcp_http_chunked *dec, const char *buf,
			      size_t len, const char **data, size_t *data_len)
{
	uint64_t max_body = dec->max_body ? dec->max_body :
					    KTCP_HTTP_DEFAULT_MAX_BODY;
	size_t max_meta = dec->max_meta ? dec->max_meta :
					  KTCP_HTTP_DEFAULT_MAX_HEAD;
	size_t max_trailers = dec->max_trailers ? dec->max_trailers :
						  KTCP_HTTP_DEFAULT_MAX_HEADERS;
	size_t i = 0;

	*data = NULL;
	*data_len = 0;
	while (i < len && dec->state != CH_DONE) {
		unsigned char c = (unsigned char)buf[i];
		int v;

		if (dec->state != CH_DATA &&
		    ++dec->line > KTCP_HTTP_DEFAULT_MAX_LINE)
			return -EBADMSG;
		if (dec->state >= CH_TRAILER && dec->state <= CH_END_LF &&
		    ++dec->trailer_bytes > max_meta)
			return -E2BIG;
		switch (dec->state) {
		case CH_SIZE:
			v = hexval(c);
			if (v >= 0) {
				if (dec->digits >= 16)
					return -EBADMSG;
				dec->remaining = dec->remaining << 4 | (uint64_t)v;
				dec->digits++;
				break;
			}
			if (!dec->digits || (c != ';' && c != '\r'))
				return -EBADMSG;
			if (dec->remaining > max_body - dec->total)
				return -EFBIG;
			dec->state = c == ';' ? CH_EXT : CH_SIZE_LF;
			break;
		case CH_EXT:
			if (++dec->ext_bytes > max_meta)
				return -EFBIG;
			if (c == '\r')
				dec->state = CH_SIZE_LF;
			else if (!is_field_char(c))
				return -EBADMSG;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return -EBADMSG;
			dec->line = 0;
			dec->digits = 0;
			dec->state = dec->remaining ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA: {
			size_t n = len - i;

			if (n > dec->remaining)
				n = (size_t)dec->remaining;
			*data = buf + i;
			*data_len = n;
			dec->remaining -= n;
			dec->total += n;
			if (!dec->remaining)
				dec->state = CH_DATA_CR;
			return (long)(i + n);
		}
		case CH_DATA_CR:
			if (c != '\r')
				return -EBADMSG;
			dec->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return -EBADMSG;
			dec->line = 0;
			dec->state = CH_SIZE;
			break;
		case CH_TRAILER:
			if (c == '\r') {
				dec->state = CH_END_LF;
				break;
			}
			/* a trailer field starts with its name */
			if (!is_tchar(c))
				return -EBADMSG;
			if (++dec->trailers > max_trailers)
				return -E2BIG;
			dec->state = CH_TRAILER_LINE;
			break;
		case CH_TRAILER_LINE:
			if (c == '\r')
				dec->state = CH_TRAILER_LF;
			else if (!is_field_char(c))
				return -EBADMSG;
			break;
		case CH_TRAILER_LF:
			if (c != '\n')
				return -EBADMSG;
			dec->line = 0;
			dec->state = CH_TRAILER;
			break;
		case CH_END_LF:
			if (c != '\n')
				return -EBADMSG;
			dec->state = CH_DONE;
			break;
		}
		i++;
	}
	return (long)i;
}

int ktcp_http_chunked_done(const struct ktcp_http_chunked *dec)
{
	return dec->state == CH_DONE;
}

int ktcp_http_error_status(int err)
{
	switch (err) {
	case -EFBIG:
		return 413;
	case -ENAMETOOLONG:
		return 414;
	case -E2BIG:
		return 431;
	case -ENOSYS:
		return 501;
	case -EPROTONOSUPPORT:
		return 505;
	default:
		return 400;
	}
}

const char *ktcp_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
