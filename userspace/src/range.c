// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: the byte-range syntax of RFC 9110 section 14 -- Range,
 * Content-Range, multipart/byteranges -- for the file responder and the
 * client; see include/ktcp/file.h.
 *
 * A request's numbers saturate instead of failing, so that a first-pos
 * too big for 64 bits is simply unsatisfiable and a last-pos too big
 * reaches the end, as the RFC reads them.  A response's numbers must be
 * exact: a client checks them against what it asked for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ktcp/file.h>

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* tchar of RFC 9110 5.6.2. */
static int is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* 1*DIGIT at *@p, saturating at UINT64_MAX; 0 if there is no digit. */
static int read_saturating(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	for (; s < end && is_digit(*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
	}
	if (s == *p)
		return 0;
	*p = s;
	*v = n;
	return 1;
}

/* 1*DIGIT at *@p that fits in 64 bits; 0 if none or too big. */
static int read_exact(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	for (; s < end && is_digit(*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (n > (UINT64_MAX - d) / 10)
			return 0;
		n = n * 10 + d;
	}
	if (s == *p)
		return 0;
	*p = s;
	*v = n;
	return 1;
}

int ktcp_range_parse(const char *value, size_t len,
		     struct ktcp_range_spec *specs, size_t max, size_t *count)
{
	const char *p, *end = value + len;
	const char *eq = memchr(value, '=', len);
	size_t n = 0, i;

	*count = 0;
	if (!eq || eq == value)
		return -EBADMSG;
	for (i = 0; value + i < eq; i++)
		if (!is_tchar(value[i]))
			return -EBADMSG;
	if (eq - value != 5 || strncasecmp(value, "bytes", 5))
		return -ENOTSUP;
	p = eq + 1;
	for (;;) {
		struct ktcp_range_spec s = { 0, KTCP_RANGE_END, 0 };

		/* 1#range-spec: OWS around commas, empty elements skipped */
		while (p < end && (is_ows(*p) || *p == ','))
			p++;
		if (p == end)
			break;
		if (*p == '-') {
			p++;
			s.suffix = 1;
			if (!read_saturating(&p, end, &s.last))
				return -EBADMSG;
		} else {
			if (!read_saturating(&p, end, &s.first) || p == end ||
			    *p != '-')
				return -EBADMSG;
			p++;
			if (p < end && is_digit(*p)) {
				read_saturating(&p, end, &s.last);
				if (s.last < s.first)
					return -EBADMSG;
			}
		}
		while (p < end && is_ows(*p))
			p++;
		if (p < end && *p != ',')
			return -EBADMSG;
		if (n == max)
			return -E2BIG;
		specs[n++] = s;
	}
	if (!n)
		return -EBADMSG;
	*count = n;
	return 0;
}

int ktcp_range_resolve(const struct ktcp_range_spec *spec, uint64_t size,
		       struct ktcp_byte_range *out)
{
	if (spec->suffix) {
		if (!spec->last || !size)
			return 0;
		out->first = spec->last >= size ? 0 : size - spec->last;
		out->last = size - 1;
		return 1;
	}
	if (spec->first >= size)
		return 0;
	out->first = spec->first;
	out->last = spec->last >= size ? size - 1 : spec->last;
	return 1;
}

int ktcp_range_format(char *buf, size_t cap,
		      const struct ktcp_range_spec *specs, size_t n)
{
	size_t i, len;
	int k;

	if (!n)
		return -EINVAL;
	k = snprintf(buf, cap, "bytes=");
	len = (size_t)k;
	for (i = 0; i < n && len < cap; i++) {
		const struct ktcp_range_spec *s = &specs[i];
		const char *sep = i ? "," : "";

		if (s->suffix) {
			if (!s->last || s->last == KTCP_RANGE_END)
				return -EINVAL;
			k = snprintf(buf + len, cap - len, "%s-%" PRIu64, sep,
				     s->last);
		} else if (s->last == KTCP_RANGE_END) {
			k = snprintf(buf + len, cap - len, "%s%" PRIu64 "-", sep,
				     s->first);
		} else {
			if (s->last < s->first)
				return -EINVAL;
			k = snprintf(buf + len, cap - len, "%s%" PRIu64 "-%" PRIu64,
				     sep, s->first, s->last);
		}
		len += (size_t)k;
	}
	if (len >= cap)
		return -ENOSPC;
	return (int)len;
}

int ktcp_content_range_parse(const char *value, size_t len,
			     struct ktcp_byte_range *range,
			     uint64_t *complete)
{
	const char *p = value + 6, *end = value + len;
	struct ktcp_byte_range r;
	uint64_t total = UINT64_MAX;

	if (len < 6 || strncasecmp(value, "bytes ", 6))
		return -EBADMSG;
	if (p < end && *p == '*') {
		/* unsatisfied-range = "*" "/" complete-length */
		p++;
		if (p == end || *p++ != '/' || !read_exact(&p, end, &total) ||
		    p != end)
			return -EBADMSG;
		*complete = total;
		return 1;
	}
	if (!read_exact(&p, end, &r.first) || p == end || *p++ != '-' ||
	    !read_exact(&p, end, &r.last) || p == end || *p++ != '/')
		return -EBADMSG;
	if (p < end && *p == '*')
		p++;
	else if (!read_exact(&p, end, &total))
		return -EBADMSG;
	if (p != end || r.last < r.first ||
	    (total != UINT64_MAX && r.last >= total))
		return -EBADMSG;
	*range = r;
	*complete = total;
	return 0;
}

/* The boundary parameter of a multipart/byteranges media type. */
static int find_boundary(const char *ct, size_t len, const char **b,
			 size_t *blen)
{
	static const char type[] = "multipart/byteranges";
	const char *p = ct + sizeof(type) - 1, *end = ct + len;

	if (len < sizeof(type) - 1 || strncasecmp(ct, type, sizeof(type) - 1))
		return -EBADMSG;
	while (p < end) {
		const char *name, *val;
		size_t nlen, vlen;

		while (p < end && is_ows(*p))
			p++;
		if (p == end || *p++ != ';')
			return -EBADMSG;
		while (p < end && is_ows(*p))
			p++;
		for (name = p; p < end && is_tchar(*p); p++)
			;
		nlen = (size_t)(p - name);
		if (!nlen || p == end || *p++ != '=')
			return -EBADMSG;
		if (p < end && *p == '"') {
			/* a boundary never holds quotes or backslashes */
			val = ++p;
			while (p < end && *p != '"' && *p != '\\')
				p++;
			if (p == end || *p != '"')
				return -EBADMSG;
			vlen = (size_t)(p++ - val);
		} else {
			for (val = p; p < end && is_tchar(*p); p++)
				;
			vlen = (size_t)(p - val);
		}
		if (nlen == 8 && !strncasecmp(name, "boundary", 8)) {
			/* RFC 2046 5.1.1: 1 to 70 characters */
			if (!vlen || vlen > 70)
				return -EBADMSG;
			*b = val;
			*blen = vlen;
			return 0;
		}
	}
	return -EBADMSG;
}

/* The Content-Range of the part head at @p (after its delimiter line). */
static int part_head(const char *p, const char *end, const char **data,
		     struct ktcp_byterange_part *part)
{
	int found = 0;

	for (;;) {
		const char *eol = NULL, *colon, *v, *ve, *q;

		for (q = p; q + 1 < end; q++)
			if (q[0] == '\r' && q[1] == '\n') {
				eol = q;
				break;
			}
		if (!eol)
			return -EBADMSG;
		if (eol == p)
			break;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return -EBADMSG;
		for (v = colon + 1; v < eol && is_ows(*v); v++)
			;
		for (ve = eol; ve > v && is_ows(ve[-1]); ve--)
			;
		if (colon - p == 13 && !strncasecmp(p, "Content-Range", 13)) {
			if (found || ktcp_content_range_parse(v, (size_t)(ve - v),
							      &part->range,
							      &part->complete))
				return -EBADMSG;
			found = 1;
		}
		p = eol + 2;
	}
	if (!found)
		return -EBADMSG;
	*data = p + 2;
	return 0;
}

int ktcp_byteranges_parse(const char *content_type, size_t ct_len,
			  const char *body, size_t len,
			  struct ktcp_byterange_part *parts, size_t max,
			  size_t *count)
{
	const char *b, *p, *end = body + len;
	size_t blen, n = 0;
	int err = find_boundary(content_type, ct_len, &b, &blen);

	*count = 0;
	if (err)
		return err;
	/* the first delimiter: at the start, or after a preamble's CRLF */
	for (p = body; p + 2 + blen <= end; p++)
		if (p[0] == '-' && p[1] == '-' && !memcmp(p + 2, b, blen) &&
		    (p == body || (p - body >= 2 && p[-2] == '\r' && p[-1] == '\n')))
			break;
	if (p + 2 + blen > end)
		return -EBADMSG;
	for (;;) {
		struct ktcp_byterange_part part;
		const char *data;
		uint64_t size;

		p += 2 + blen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;	/* the close delimiter; an epilogue may follow */
		while (p < end && is_ows(*p))	/* transport-padding */
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -EBADMSG;
		err = part_head(p + 2, end, &data, &part);
		if (err)
			return err;
		size = part.range.last - part.range.first;
		/* the data, then CRLF "--" boundary */
		if (size >= (uint64_t)(end - data) ||
		    (uint64_t)(end - data) - size - 1 < 4 + blen)
			return -EBADMSG;
		p = data + size + 1;
		if (p[0] != '\r' || p[1] != '\n' || p[2] != '-' || p[3] != '-' ||
		    memcmp(p + 4, b, blen))
			return -EBADMSG;
		if (n == max)
			return -E2BIG;
		part.data = data;
		parts[n++] = part;
		p += 2;
	}
	if (!n)
		return -EBADMSG;
	*count = n;
	return 0;
}
