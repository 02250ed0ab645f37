// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: answering GET and HEAD from a file or a buffer; see
 * include/ktcp/file.h.  The byte-range syntax is in range.c.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/file.h>
#include <ktcp/server.h>

#include "blocking_io.h"

#define DEFAULT_TYPE	"application/octet-stream"

/* ---- validators ---- */

static void make_etag(struct ktcp_file *f)
{
	/* nginx's "%xT-%xO": the same file gets the same tag from both */
	snprintf(f->etag, sizeof(f->etag), "\"%" PRIx64 "-%" PRIx64 "\"",
		 (uint64_t)f->mtime, f->size);
}

int ktcp_file_from_fd(struct ktcp_file *f, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	f->mtime = st.st_mtime;
	make_etag(f);
	return 0;
}

void ktcp_file_from_buffer(struct ktcp_file *f, const void *data, size_t len,
			   int64_t mtime)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->data = data;
	f->size = len;
	f->mtime = mtime < 0 ? -1 : mtime;
	if (mtime >= 0)
		make_etag(f);
}

/* ---- HTTP-date ---- */

static const char wkday[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const weekday[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};
static const char month_name[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/*
 * Not strftime(): the names must not follow the locale.  Years are
 * clamped to 1970..9999, the four digits the format has room for.
 */
void ktcp_http_date_format(int64_t t, char buf[KTCP_HTTP_DATE_SIZE])
{
	time_t tt = t < 0 ? 0 : t > 253402300799 ? 253402300799 : (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(buf, KTCP_HTTP_DATE_SIZE, "%s, %02u %s %04u %02u:%02u:%02u GMT",
		 wkday[tm.tm_wday % 7], (unsigned int)tm.tm_mday % 100,
		 month_name[tm.tm_mon % 12],
		 (unsigned int)(tm.tm_year + 1900) % 10000,
		 (unsigned int)tm.tm_hour % 100, (unsigned int)tm.tm_min % 100,
		 (unsigned int)tm.tm_sec % 100);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int month_of(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (!memcmp(s, month_name[i], 3))
			return i + 1;
	return 0;
}

static int is_wkday(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (!memcmp(s, wkday[i], 3))
			return 1;
	return 0;
}

/* "HH:MM:SS" */
static int time_of_day(const char *s, int *h, int *m, int *sec)
{
	return s[2] != ':' || s[5] != ':' || digits(s, 2, h) ||
	       digits(s + 3, 2, m) || digits(s + 6, 2, sec) ||
	       *h > 23 || *m > 59 || *sec > 60 ? -1 : 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * RFC 9110 5.6.7: a two-digit year more than 50 years ahead is the
 * latest such year in the past; so every year falls within 50 years
 * either way of now.
 */
static int full_year(int yy)
{
	time_t now = time(NULL);
	struct tm tm;
	int cur, y;

	gmtime_r(&now, &tm);
	cur = tm.tm_year + 1900;
	y = cur - cur % 100 + yy;
	if (y > cur + 50)
		return y - 100;
	return y + 100 <= cur + 50 ? y + 100 : y;
}

/* HTTP-date is case-sensitive (RFC 9110 5.6.7), so no strncasecmp. */
int ktcp_http_date_parse(const char *s, size_t len, int64_t *t)
{
	int y, mon, d, h, mi, sec;
	size_t i;

	if (len == 29 && s[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (!is_wkday(s) || s[4] != ' ' || digits(s + 5, 2, &d) ||
		    s[7] != ' ' || !(mon = month_of(s + 8)) || s[11] != ' ' ||
		    digits(s + 12, 4, &y) || s[16] != ' ' ||
		    time_of_day(s + 17, &h, &mi, &sec) ||
		    memcmp(s + 25, " GMT", 4))
			return -EINVAL;
	} else if (len == 24 && s[3] == ' ') {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		if (!is_wkday(s) || !(mon = month_of(s + 4)) || s[7] != ' ' ||
		    (s[8] == ' ' ? digits(s + 9, 1, &d) : digits(s + 8, 2, &d)) ||
		    s[10] != ' ' || time_of_day(s + 11, &h, &mi, &sec) ||
		    s[19] != ' ' || digits(s + 20, 4, &y))
			return -EINVAL;
	} else {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
		const char *p = memchr(s, ',', len < 10 ? len : 10);

		if (!p)
			return -EINVAL;
		for (i = 0; i < 7; i++)
			if ((size_t)(p - s) == strlen(weekday[i]) &&
			    !memcmp(s, weekday[i], (size_t)(p - s)))
				break;
		if (i == 7 || len - (size_t)(p - s) != 24)
			return -EINVAL;
		p++;
		if (p[0] != ' ' || digits(p + 1, 2, &d) || p[3] != '-' ||
		    !(mon = month_of(p + 4)) || p[7] != '-' ||
		    digits(p + 8, 2, &y) || p[10] != ' ' ||
		    time_of_day(p + 11, &h, &mi, &sec) ||
		    memcmp(p + 19, " GMT", 4))
			return -EINVAL;
		y = full_year(y);
	}
	if (d < 1 || d > days_in_month(y, mon))
		return -EINVAL;
	*t = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

/* ---- conditional requests (RFC 9110 13) ---- */

static int is_method(const struct ktcp_http_request *req, const char *m)
{
	return req->method_len == strlen(m) &&
	       !memcmp(req->method, m, req->method_len);
}

/* The value of the only field named @name; 0 if none, -1 if several. */
static int single_field(const struct ktcp_http_request *req, const char *name,
			const struct ktcp_http_header **h)
{
	int i = ktcp_http_find_header(req->headers, req->num_headers, name, 0);

	if (i < 0)
		return 0;
	if (ktcp_http_find_header(req->headers, req->num_headers, name,
				  (size_t)i + 1) >= 0)
		return -1;
	*h = &req->headers[i];
	return 1;
}

struct etag {
	const char *opaque;	/* with its quotes */
	size_t len;
	int weak;
};

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, at *@p; 0 if malformed. */
static int read_etag(const char **p, const char *end, struct etag *e)
{
	const char *s = *p, *q;

	e->weak = end - s >= 2 && s[0] == 'W' && s[1] == '/';
	if (e->weak)
		s += 2;
	if (s == end || *s != '"')
		return 0;
	for (q = s + 1; q < end && *q != '"'; q++)
		if ((unsigned char)*q < 0x21 || *q == 0x7f)
			return 0;
	if (q == end)
		return 0;
	e->opaque = s;
	e->len = (size_t)(q + 1 - s);
	*p = q + 1;
	return 1;
}

static int etag_equal(const struct etag *a, const struct etag *b, int strong)
{
	if (strong && (a->weak || b->weak))
		return 0;
	return a->len == b->len && !memcmp(a->opaque, b->opaque, a->len);
}

/*
 * Whether any field named @name (If-Match, If-None-Match) lists our tag
 * or "*".  Returns -1 if there is no such field.  A malformed member
 * ends its field: what follows cannot be read reliably.
 */
static int etag_listed(const struct ktcp_http_request *req, const char *name,
		       const struct ktcp_file *f, int strong)
{
	const char *ours_p = f->etag, *ours_end = f->etag + strlen(f->etag);
	struct etag ours;
	int have_ours = read_etag(&ours_p, ours_end, &ours);
	int i = -1, present = 0;

	while ((i = ktcp_http_find_header(req->headers, req->num_headers,
					  name, (size_t)(i + 1))) >= 0) {
		const char *p = req->headers[i].value;
		const char *end = p + req->headers[i].value_len;

		present = 1;
		for (;;) {
			struct etag e;

			while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			if (p == end)
				break;
			if (*p == '*')
				return 1;	/* the file exists */
			if (!read_etag(&p, end, &e))
				break;
			if (have_ours && etag_equal(&e, &ours, strong))
				return 1;
		}
	}
	return present ? 0 : -1;
}

/* The date of the only field @name; 0 if absent, invalid or repeated. */
static int field_date(const struct ktcp_http_request *req, const char *name,
		      int64_t *t)
{
	const struct ktcp_http_header *h;

	return single_field(req, name, &h) == 1 &&
	       !ktcp_http_date_parse(h->value, h->value_len, t);
}

/*
 * If-Range (RFC 9110 13.1.5): a strong ETag match, or the exact
 * Last-Modified date when that is a strong validator, i.e. at least a
 * second old (8.8.2.2): a file changed twice within one second keeps
 * its date.
 */
static int if_range_holds(const struct ktcp_http_request *req,
			  const struct ktcp_file *f)
{
	const struct ktcp_http_header *h;
	int64_t t;
	int n = single_field(req, "If-Range", &h);

	if (n == 0)
		return 1;
	if (n < 0)
		return 0;
	/* not just 'W': "Wed, ..." is a date */
	if (h->value_len >= 2 && (h->value[0] == '"' ||
				  (h->value[0] == 'W' && h->value[1] == '/'))) {
		const char *p = h->value, *ours_p = f->etag;
		struct etag e, ours;

		return read_etag(&p, h->value + h->value_len, &e) &&
		       p == h->value + h->value_len &&
		       read_etag(&ours_p, f->etag + strlen(f->etag), &ours) &&
		       etag_equal(&e, &ours, 1);
	}
	return f->mtime >= 0 && !ktcp_http_date_parse(h->value, h->value_len, &t) &&
	       t == f->mtime && time(NULL) > f->mtime;
}

/* RFC 9110 13.2.2, steps 1 to 4: 412, 304, or 0 to go on. */
static int preconditions(const struct ktcp_http_request *req,
			 const struct ktcp_file *f)
{
	int64_t t;
	int m = etag_listed(req, "If-Match", f, 1);

	if (m == 0)
		return 412;
	if (m < 0 && f->mtime >= 0 && field_date(req, "If-Unmodified-Since", &t) &&
	    f->mtime > t)
		return 412;
	m = etag_listed(req, "If-None-Match", f, 0);
	if (m == 1)
		return 304;
	if (m < 0 && f->mtime >= 0 && field_date(req, "If-Modified-Since", &t) &&
	    f->mtime <= t)
		return 304;
	return 0;
}

/* ---- ranges ---- */

static int touch(const struct ktcp_byte_range *a, const struct ktcp_byte_range *b)
{
	return b->first <= a->last + 1 && a->first <= b->last + 1;
}

/*
 * Merge overlapping and adjacent ranges into the first of them, keeping
 * the order of first appearance (RFC 9110 14.3).  Once a range has
 * taken in all that touches it, nothing later can touch it: a union of
 * two touching ranges touches only what one of them touches.
 */
static size_t coalesce(struct ktcp_byte_range *r, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n;) {
			if (!touch(&r[i], &r[j])) {
				j++;
				continue;
			}
			if (r[j].first < r[i].first)
				r[i].first = r[j].first;
			if (r[j].last > r[i].last)
				r[i].last = r[j].last;
			memmove(&r[j], &r[j + 1], (n - j - 1) * sizeof(*r));
			n--;
			j = i + 1;
		}
	}
	return n;
}

static void new_boundary(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	static uint64_t counter;
	uint64_t v;
	int i;

	/* unpredictable, so that a body cannot be made to contain it */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^
		    (uint64_t)(uintptr_t)&v ^ ++counter;
	for (i = 0; i < 16; i++)
		out[i] = hex[(v >> (60 - 4 * i)) & 15];
	out[16] = '\0';
}

static const char *type_of(const struct ktcp_file *f)
{
	return f->content_type ? f->content_type : DEFAULT_TYPE;
}

/* As snprintf(): the length part @i's head needs, whatever @cap is. */
static int format_part_head(const struct ktcp_file_reply *r,
			    const struct ktcp_file *f, size_t i, char *buf,
			    size_t cap)
{
	if (i == r->num_ranges)
		return snprintf(buf, cap, "\r\n--%s--\r\n", r->boundary);
	return snprintf(buf, cap, "\r\n--%s\r\nContent-Type: %s\r\n"
			"Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64
			"\r\n\r\n", r->boundary, type_of(f),
			r->ranges[i].first, r->ranges[i].last, f->size);
}

int ktcp_file_part_head(const struct ktcp_file_reply *r,
			const struct ktcp_file *f, size_t i, char *buf,
			size_t cap)
{
	int n;

	if (r->status != 206 || r->num_ranges < 2 || i > r->num_ranges)
		return -EINVAL;
	n = format_part_head(r, f, i, buf, cap);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/*
 * The ranges of a GET, or 0 to send the whole body: no Range, a false
 * If-Range, a malformed or unknown Range, or one that asks too much.
 */
static int select_ranges(const struct ktcp_http_request *req,
			 const struct ktcp_file *f, struct ktcp_file_reply *r)
{
	struct ktcp_range_spec specs[KTCP_FILE_MAX_RANGES];
	const struct ktcp_http_header *h;
	uint64_t total = 0;
	size_t n, i, k = 0;
	int empty_suffix = 0;

	if (single_field(req, "Range", &h) != 1 || !if_range_holds(req, f) ||
	    ktcp_range_parse(h->value, h->value_len, specs,
			     KTCP_FILE_MAX_RANGES, &n))
		return 0;
	for (i = 0; i < n; i++) {
		struct ktcp_byte_range br;

		if (!ktcp_range_resolve(&specs[i], f->size, &br)) {
			empty_suffix |= specs[i].suffix && specs[i].last;
			continue;
		}
		/* nginx's guard: more than the whole is never worth it */
		if (br.last - br.first + 1 > f->size - total)
			return 0;
		total += br.last - br.first + 1;
		r->ranges[k++] = br;
	}
	if (!k)
		/* "-N" of an empty body is satisfiable but has no bytes */
		return empty_suffix ? 0 : 416;
	r->num_ranges = coalesce(r->ranges, k);
	return 206;
}

int ktcp_file_reply(const struct ktcp_http_request *req,
		    const struct ktcp_file *f, struct ktcp_file_reply *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->head = is_method(req, "HEAD");
	if (!r->head && !is_method(req, "GET"))
		return r->status = 405;
	r->status = preconditions(req, f);
	if (r->status)
		return r->status;
	/* RFC 9110 14.2: range handling is defined for GET only */
	r->status = r->head ? 0 : select_ranges(req, f, r);
	if (r->status == 416)
		return r->status;
	if (!r->status) {
		r->status = 200;
		r->num_ranges = 0;
		r->content_length = f->size;
		return r->status;
	}
	if (r->num_ranges == 1) {
		r->content_length = r->ranges[0].last - r->ranges[0].first + 1;
		return r->status;
	}
	new_boundary(r->boundary);
	for (i = 0; i <= r->num_ranges; i++) {
		r->content_length += (uint64_t)format_part_head(r, f, i, NULL, 0);
		if (i < r->num_ranges)
			r->content_length += r->ranges[i].last -
					     r->ranges[i].first + 1;
	}
	return r->status;
}

int ktcp_file_reply_fields(const struct ktcp_file_reply *r,
			   const struct ktcp_file *f, ktcp_file_field_fn field,
			   void *arg)
{
	char buf[128];
	int err = 0, validators = 0;

	switch (r->status) {
	case 200:
		err = field(arg, "Content-Type", type_of(f));
		if (!err)
			err = field(arg, "Accept-Ranges", "bytes");
		validators = 1;
		break;
	case 206:
		if (r->num_ranges == 1) {
			err = field(arg, "Content-Type", type_of(f));
			snprintf(buf, sizeof(buf), "bytes %" PRIu64 "-%" PRIu64
				 "/%" PRIu64, r->ranges[0].first,
				 r->ranges[0].last, f->size);
		} else {
			snprintf(buf, sizeof(buf),
				 "multipart/byteranges; boundary=%s", r->boundary);
		}
		if (!err)
			err = field(arg, r->num_ranges == 1 ? "Content-Range" :
				    "Content-Type", buf);
		validators = 1;
		break;
	case 304:
		validators = 1;
		break;
	case 405:
		err = field(arg, "Allow", "GET, HEAD");
		break;
	case 416:
		snprintf(buf, sizeof(buf), "bytes */%" PRIu64, f->size);
		err = field(arg, "Content-Range", buf);
		break;
	}
	if (!err && validators && f->mtime >= 0) {
		ktcp_http_date_format(f->mtime, buf);
		err = field(arg, "Last-Modified", buf);
	}
	if (!err && validators && f->etag[0])
		err = field(arg, "ETag", f->etag);
	return err;
}

/* ---- through the server ---- */

static int add_field(void *arg, const char *name, const char *value)
{
	return ktcp_http_resp_header(arg, name, value);
}

static int serve_piece(struct ktcp_http_req *req, const struct ktcp_file *f,
		       uint64_t first, uint64_t len)
{
	if (f->fd >= 0)
		return ktcp_http_resp_sendfile(req, f->fd, (int64_t)first, len);
	return ktcp_http_resp_write(req, (const char *)f->data + first,
				    (size_t)len);
}

int ktcp_http_serve_file(struct ktcp_http_req *req, const struct ktcp_file *f)
{
	size_t i, part_cap = 112 + strlen(type_of(f));
	struct ktcp_file_reply r;
	char *part = NULL;
	int err, end_err;

	ktcp_file_reply(ktcp_http_req_head(req), f, &r);
	err = ktcp_file_reply_fields(&r, f, add_field, req);
	if (err) {
		ktcp_http_resp_send(req, 500, NULL, 0);
		return err;
	}
	if (r.status != 200 && r.status != 206) {
		err = ktcp_http_resp_send(req, r.status, NULL, 0);
		return err ? err : r.status;
	}
	err = ktcp_http_resp_start(req, r.status, (int64_t)r.content_length);
	if (!err && !r.head) {
		if (r.num_ranges == 0)
			err = serve_piece(req, f, 0, f->size);
		else if (r.num_ranges == 1)
			err = serve_piece(req, f, r.ranges[0].first,
					  r.content_length);
		else if (!(part = malloc(part_cap)))
			err = -ENOMEM;
		for (i = 0; !err && r.num_ranges > 1 && i <= r.num_ranges; i++) {
			int n = ktcp_file_part_head(&r, f, i, part, part_cap);

			err = n < 0 ? n : ktcp_http_resp_write(req, part, (size_t)n);
			if (!err && i < r.num_ranges)
				err = serve_piece(req, f, r.ranges[i].first,
						  r.ranges[i].last -
						  r.ranges[i].first + 1);
		}
	}
	free(part);
	/* short of the Content-Length, this closes the connection */
	end_err = ktcp_http_resp_end(req);
	if (err)
		return err;
	return end_err ? end_err : r.status;
}

/* ---- on a socket of the caller's ---- */

static int send_all(int fd, const char *p, size_t len, int more,
		    int timeout_ms)
{
	return send_all_within(fd, p, len, more ? MSG_MORE : 0, timeout_ms);
}

static int sendfile_all(int sock, int fd, uint64_t first, uint64_t len,
			int timeout_ms)
{
	off_t off = (off_t)first;

	while (len) {
		ssize_t n = sendfile(sock, fd, &off,
				     len < (1u << 30) ? (size_t)len : 1u << 30);

		if (n < 0) {
			int err = send_failed_retry(sock, timeout_ms);

			if (err)
				return err;
			continue;
		}
		if (n == 0)
			return -EPIPE;	/* the file shrank under us */
		len -= (uint64_t)n;
	}
	return 0;
}

/* Send bytes of the body; @more: other bytes follow at once. */
static int send_piece(int sock, const struct ktcp_file *f, uint64_t first,
		      uint64_t len, int more, int timeout_ms)
{
	if (f->fd >= 0)
		return sendfile_all(sock, f->fd, first, len, timeout_ms);
	return send_all(sock, (const char *)f->data + first, (size_t)len, more,
			timeout_ms);
}

struct head_buf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static int append(struct head_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		return -ENOSPC;
	b->len += (size_t)n;
	return 0;
}

static int append_field(void *arg, const char *name, const char *value)
{
	return append(arg, "%s: %s\r\n", name, value);
}

int ktcp_file_send(int sock, const struct ktcp_http_request *req,
		   const struct ktcp_file *f, const char *extra, int timeout_ms)
{
	struct ktcp_file_reply r;
	struct head_buf b;
	size_t part_cap = 112 + strlen(type_of(f)), i;
	int err, ka = ktcp_http_keep_alive(req->minor_version, req->headers,
					   req->num_headers);
	int n;

	if (!timeout_ms)
		timeout_ms = 30000;
	ktcp_file_reply(req, f, &r);
	b.cap = 512 + 2 * part_cap + (extra ? strlen(extra) : 0);
	b.p = malloc(b.cap);
	if (!b.p)
		return -ENOMEM;
	b.len = (size_t)snprintf(b.p, b.cap, "HTTP/1.1 %d %s\r\n", r.status,
				 ktcp_http_reason(r.status));
	err = ktcp_file_reply_fields(&r, f, append_field, &b);
	if (!err && extra)
		err = append(&b, "%s", extra);
	if (!err && r.status != 304)
		err = append(&b, "Content-Length: %" PRIu64 "\r\n",
			     r.status == 200 || r.status == 206 ?
			     r.content_length : 0);
	if (!err && (!ka || req->minor_version == 0))
		err = append_field(&b, "Connection", ka ? "keep-alive" : "close");
	if (!err)
		err = append(&b, "\r\n");
	if (err) {
		free(b.p);
		return err;
	}
	if (r.head || (r.status != 200 && r.status != 206)) {
		err = send_all(sock, b.p, b.len, 0, timeout_ms);
	} else if (r.num_ranges <= 1) {
		uint64_t first = r.num_ranges ? r.ranges[0].first : 0;

		err = send_all(sock, b.p, b.len, r.content_length != 0,
			       timeout_ms);
		if (!err)
			err = send_piece(sock, f, first, r.content_length, 0,
					 timeout_ms);
	} else {
		/* the head and each part's head ride with the data after them */
		err = send_all(sock, b.p, b.len, 1, timeout_ms);
		for (i = 0; !err && i <= r.num_ranges; i++) {
			n = ktcp_file_part_head(&r, f, i, b.p, b.cap);
			err = n < 0 ? n : send_all(sock, b.p, (size_t)n,
						   i < r.num_ranges, timeout_ms);
			if (!err && i < r.num_ranges)
				err = send_piece(sock, f, r.ranges[i].first,
						 r.ranges[i].last -
						 r.ranges[i].first + 1, 1,
						 timeout_ms);
		}
	}
	free(b.p);
	return err ? err : r.status;
}
