// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the file responder (ktcp/file.h): the byte-range syntax,
 * HTTP-dates, every status ktcp_file_reply() decides, the bytes
 * ktcp_file_send() and ktcp_http_serve_file() put on a socket (through
 * sendfile()), and the client's ranged GET, also against a server that
 * answers the wrong range.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/addr.h>
#include <ktcp/client.h>
#include <ktcp/file.h>
#include <ktcp/server.h>

#include "harness.h"

/* 2023-11-14 22:13:20 UTC: a fixed date, so that validators are too */
#define MTIME		1700000000
#define MTIME_DATE	"Tue, 14 Nov 2023 22:13:20 GMT"
#define SIZE		1000
#define ETAG		"\"6553f100-3e8\""

/* Byte @i of the test file: printable, so that exact bytes read well. */
static char pattern(size_t i)
{
	return (char)('A' + (i * 7 + i / 26) % 26);
}

/* A file of @size pattern bytes in the test's directory, mtime MTIME. */
static int make_file(const char *name, size_t size, char *path, size_t cap)
{
	struct timespec ts[2] = { { MTIME, 0 }, { MTIME, 0 } };
	char *buf = malloc(size + 1);
	size_t i;
	int fd;

	snprintf(path, cap, "%s/%s", harness_tmpdir(), name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_GE_INT(fd, 0);
	for (i = 0; i < size; i++)
		buf[i] = pattern(i);
	ASSERT_EQ_INT(write(fd, buf, size), size);
	ASSERT_EQ_INT(futimens(fd, ts), 0);
	free(buf);
	return fd;
}

/* A request parsed from "METHOD /f HTTP/1.1", Host and @fields. */
struct parsed {
	char buf[4096];
	struct ktcp_http_header h[32];
	struct ktcp_http_request req;
};

static const struct ktcp_http_request *request_of(struct parsed *p,
						  const char *method,
						  const char *fields)
{
	size_t n = (size_t)snprintf(p->buf, sizeof(p->buf),
				    "%s /f HTTP/1.1\r\nHost: x\r\n%s\r\n",
				    method, fields);

	p->req.headers = p->h;
	p->req.num_headers = 32;
	ASSERT_EQ_INT(ktcp_http_parse_request(p->buf, n, &p->req, NULL), n);
	return &p->req;
}

static struct ktcp_file file_of_size(uint64_t size)
{
	static char data[65536];
	struct ktcp_file f;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	ktcp_file_from_buffer(&f, data, (size_t)size, MTIME);
	return f;
}

static int reply(const char *method, const char *fields, uint64_t size,
		 struct ktcp_file_reply *r)
{
	struct ktcp_file f = file_of_size(size);
	struct parsed p;

	return ktcp_file_reply(request_of(&p, method, fields), &f, r);
}

static int get(const char *fields, struct ktcp_file_reply *r)
{
	return reply("GET", fields, SIZE, r);
}

static void assert_single(const struct ktcp_file_reply *r, uint64_t first,
			  uint64_t last)
{
	ASSERT_EQ_INT(r->status, 206);
	ASSERT_EQ_INT(r->num_ranges, 1);
	ASSERT_EQ_INT(r->ranges[0].first, first);
	ASSERT_EQ_INT(r->ranges[0].last, last);
	ASSERT_EQ_INT(r->content_length, last - first + 1);
}

/* The header fields of an answer, as "Name: value\n" lines. */
static int collect(void *arg, const char *name, const char *value)
{
	char *s = arg;

	snprintf(s + strlen(s), 1024 - strlen(s), "%s: %s\n", name, value);
	return 0;
}

static const char *fields_of(const struct ktcp_file_reply *r, uint64_t size)
{
	static char s[1024];
	struct ktcp_file f = file_of_size(size);

	s[0] = '\0';
	ASSERT_EQ_INT(ktcp_file_reply_fields(r, &f, collect, s), 0);
	return s;
}

/* ---- Range syntax ---- */

static int parse_range(const char *v, struct ktcp_range_spec *s, size_t *n)
{
	return ktcp_range_parse(v, strlen(v), s, KTCP_FILE_MAX_RANGES, n);
}

TEST(range_parse_forms)
{
	struct ktcp_range_spec s[KTCP_FILE_MAX_RANGES];
	size_t n;

	ASSERT_EQ_INT(parse_range("bytes=0-9", s, &n), 0);
	ASSERT_EQ_INT(n, 1);
	ASSERT_TRUE(!s[0].suffix && s[0].first == 0 && s[0].last == 9);
	ASSERT_EQ_INT(parse_range("bytes=-5", s, &n), 0);
	ASSERT_TRUE(s[0].suffix && s[0].last == 5);
	ASSERT_EQ_INT(parse_range("bytes=7-", s, &n), 0);
	ASSERT_TRUE(!s[0].suffix && s[0].first == 7 && s[0].last == KTCP_RANGE_END);
	/* the unit is case-insensitive; OWS around commas; empty elements */
	ASSERT_EQ_INT(parse_range("BYTES=0-0 , 2-3,,\t-1,", s, &n), 0);
	ASSERT_EQ_INT(n, 3);
	ASSERT_TRUE(s[1].first == 2 && s[1].last == 3 && s[2].suffix && s[2].last == 1);
	/* numbers past 64 bits saturate: unsatisfiable first, last to the end */
	ASSERT_EQ_INT(parse_range("bytes=99999999999999999999-", s, &n), 0);
	ASSERT_TRUE(s[0].first == UINT64_MAX);
	ASSERT_EQ_INT(parse_range("bytes=0-99999999999999999999", s, &n), 0);
	ASSERT_TRUE(s[0].first == 0 && s[0].last == UINT64_MAX);
	ASSERT_EQ_INT(parse_range("bytes=-99999999999999999999", s, &n), 0);
	ASSERT_TRUE(s[0].suffix && s[0].last == UINT64_MAX);
	ASSERT_EQ_INT(parse_range("bytes=18446744073709551615-18446744073709551615", s, &n), 0);
	ASSERT_TRUE(s[0].first == UINT64_MAX && s[0].last == UINT64_MAX);
}

TEST(range_parse_refuses_malformed_values)
{
	static const char *const bad[] = {
		"bytes=5-3", "bytes=abc", "bytes=", "bytes=,", "bytes= ,\t",
		"bytes=1", "bytes=1-2-3", "bytes=-", "bytes=--5", "bytes=0-1;",
		"bytes0-1", "bytes 0-1", "=0-1", "bytes=0 -1", "bytes=0- 1",
		"bytes=- 1", "bytes=+1-2", "bytes=0x10-", "bytes=1-2 3-4",
		"by tes=0-1", "bytes\t=0-1", "bytes=0-1,abc",
	};
	struct ktcp_range_spec s[KTCP_FILE_MAX_RANGES];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_range(bad[i], s, &n) != -EBADMSG)
			FAIL("\"%s\" was not refused with -EBADMSG", bad[i]);
	ASSERT_EQ_INT(parse_range("items=0-1", s, &n), -ENOTSUP);
	ASSERT_EQ_INT(parse_range("none=", s, &n), -ENOTSUP);
	ASSERT_EQ_INT(parse_range("bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,"
				  "9-9,10-10,11-11,12-12,13-13,14-14,15-15", s, &n), 0);
	ASSERT_EQ_INT(n, 16);
	ASSERT_EQ_INT(parse_range("bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,"
				  "9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-", s, &n),
		      -E2BIG);
}

TEST(range_resolve_and_format)
{
	struct ktcp_range_spec s[3] = {
		{ 5, KTCP_RANGE_END, 0 }, { 0, 9, 0 }, { 0, 20, 1 },
	};
	struct ktcp_range_spec sfx0 = { 0, 0, 1 }, rev = { 5, 3, 0 };
	struct ktcp_byte_range br;
	char buf[64];

	ASSERT_EQ_INT(ktcp_range_resolve(&s[0], 10, &br), 1);
	ASSERT_TRUE(br.first == 5 && br.last == 9);
	ASSERT_EQ_INT(ktcp_range_resolve(&s[0], 5, &br), 0);
	ASSERT_EQ_INT(ktcp_range_resolve(&s[1], 4, &br), 1);
	ASSERT_TRUE(br.first == 0 && br.last == 3);
	ASSERT_EQ_INT(ktcp_range_resolve(&s[2], 10, &br), 1);
	ASSERT_TRUE(br.first == 0 && br.last == 9);
	ASSERT_EQ_INT(ktcp_range_resolve(&s[2], 100, &br), 1);
	ASSERT_TRUE(br.first == 80 && br.last == 99);
	ASSERT_EQ_INT(ktcp_range_resolve(&s[2], 0, &br), 0);
	ASSERT_EQ_INT(ktcp_range_resolve(&sfx0, 10, &br), 0);

	ASSERT_EQ_INT(ktcp_range_format(buf, sizeof(buf), s, 3), 16);
	ASSERT_STR(buf, "bytes=5-,0-9,-20");
	ASSERT_EQ_INT(ktcp_range_format(buf, 10, s, 3), -ENOSPC);
	ASSERT_EQ_INT(ktcp_range_format(buf, sizeof(buf), &sfx0, 1), -EINVAL);
	ASSERT_EQ_INT(ktcp_range_format(buf, sizeof(buf), &rev, 1), -EINVAL);
	ASSERT_EQ_INT(ktcp_range_format(buf, sizeof(buf), s, 0), -EINVAL);
}

TEST(content_range_parse)
{
	static const char *const bad[] = {
		"bytes 5-3/10", "bytes 0-10/10", "bytes 0-1/", "bytes 0-1",
		"0-1/10", "bytes */*", "bytes *", "bytes 0-1/10 ", "bytes  0-1/10",
		"bytes -1-2/10", "bytes 0-99999999999999999999/*", "items 0-1/10",
		"bytes 1-2/1x",
	};
	struct ktcp_byte_range r;
	uint64_t len;
	size_t i;

	ASSERT_EQ_INT(ktcp_content_range_parse("bytes 0-9/1000", 14, &r, &len), 0);
	ASSERT_TRUE(r.first == 0 && r.last == 9 && len == 1000);
	ASSERT_EQ_INT(ktcp_content_range_parse("BYTES 5-5/*", 11, &r, &len), 0);
	ASSERT_TRUE(r.first == 5 && r.last == 5 && len == UINT64_MAX);
	ASSERT_EQ_INT(ktcp_content_range_parse("bytes */0", 9, &r, &len), 1);
	ASSERT_EQ_INT(len, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ktcp_content_range_parse(bad[i], strlen(bad[i]), &r, &len) !=
		    -EBADMSG)
			FAIL("\"%s\" was not refused", bad[i]);
}

/* ---- HTTP-date ---- */

TEST(http_date_three_forms)
{
	int64_t t;
	char buf[KTCP_HTTP_DATE_SIZE];

	/* RFC 9110 5.6.7's example, in each form */
	ASSERT_EQ_INT(ktcp_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t), 0);
	ASSERT_EQ_INT(t, 784111777);
	ASSERT_EQ_INT(ktcp_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t), 0);
	ASSERT_EQ_INT(t, 784111777);
	ASSERT_EQ_INT(ktcp_http_date_parse("Sun Nov  6 08:49:37 1994", 24, &t), 0);
	ASSERT_EQ_INT(t, 784111777);
	ktcp_http_date_format(784111777, buf);
	ASSERT_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	ktcp_http_date_format(MTIME, buf);
	ASSERT_STR(buf, MTIME_DATE);
	ASSERT_EQ_INT(ktcp_http_date_parse("Thu, 29 Feb 2024 23:59:60 GMT", 29, &t), 0);
	ASSERT_EQ_INT(t, 1709251200);
	ktcp_http_date_format(0, buf);
	ASSERT_STR(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(http_date_refuses_other_forms)
{
	static const char *const bad[] = {
		"Sun, 06 Nov 1994 08:49:37 gmt", "sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT ",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
		"Sun, 29 Feb 2023 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sundy, 06-Nov-94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
		"Xyz, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z", "", "x",
		"Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:60:37 GMT",
	};
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ktcp_http_date_parse(bad[i], strlen(bad[i]), &t) != -EINVAL)
			FAIL("\"%s\" was taken for a date", bad[i]);
}

TEST(http_date_two_digit_years_stay_within_50_years)
{
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;
	int64_t t;
	int yy;

	int cur;

	gmtime_r(&now, &tm);
	cur = tm.tm_year + 1900;
	/* 51 years ahead is taken from the century before, 50 is not */
	yy = (cur + 51) % 100;
	snprintf(buf, sizeof(buf), "Monday, 01-Jan-%02d 00:00:00 GMT", yy);
	ASSERT_EQ_INT(ktcp_http_date_parse(buf, strlen(buf), &t), 0);
	gmtime_r(&(time_t){ (time_t)t }, &tm);
	ASSERT_EQ_INT(tm.tm_year + 1900, cur - 49);
	yy = (cur + 50) % 100;
	snprintf(buf, sizeof(buf), "Monday, 01-Jan-%02d 00:00:00 GMT", yy);
	ASSERT_EQ_INT(ktcp_http_date_parse(buf, strlen(buf), &t), 0);
	gmtime_r(&(time_t){ (time_t)t }, &tm);
	ASSERT_EQ_INT(tm.tm_year + 1900, cur + 50);
}

/* ---- what ktcp_file_reply() decides ---- */

TEST(reply_200_with_validators_and_accept_ranges)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(get("", &r), 200);
	ASSERT_EQ_INT(r.content_length, SIZE);
	ASSERT_EQ_INT(r.num_ranges, 0);
	ASSERT_STR(fields_of(&r, SIZE),
		   "Content-Type: application/octet-stream\n"
		   "Accept-Ranges: bytes\n"
		   "Last-Modified: " MTIME_DATE "\n"
		   "ETag: " ETAG "\n");
}

TEST(reply_etag_is_nginx_s_from_fd)
{
	char path[512];
	struct ktcp_file f;
	int fd = make_file("data", SIZE, path, sizeof(path));

	ASSERT_EQ_INT(ktcp_file_from_fd(&f, fd), 0);
	ASSERT_STR(f.etag, ETAG);
	ASSERT_EQ_INT(f.size, SIZE);
	ASSERT_EQ_INT(f.mtime, MTIME);
	ASSERT_EQ_INT(ktcp_file_from_fd(&f, open(harness_tmpdir(), O_RDONLY)), -EINVAL);
	ASSERT_EQ_INT(ktcp_file_from_fd(&f, -1), -EBADF);
	close(fd);
}

TEST(reply_206_single_ranges)
{
	struct ktcp_file_reply r;

	get("Range: bytes=0-9\r\n", &r);
	assert_single(&r, 0, 9);
	ASSERT_STR(fields_of(&r, SIZE),
		   "Content-Type: application/octet-stream\n"
		   "Content-Range: bytes 0-9/1000\n"
		   "Last-Modified: " MTIME_DATE "\n"
		   "ETag: " ETAG "\n");
	get("Range: bytes=-5\r\n", &r);
	assert_single(&r, 995, 999);
	get("Range: bytes=-2000\r\n", &r);	/* longer than the file: all of it */
	assert_single(&r, 0, 999);
	get("Range: bytes=990-\r\n", &r);
	assert_single(&r, 990, 999);
	get("Range: bytes=995-2000\r\n", &r);	/* clamped at the end */
	assert_single(&r, 995, 999);
	get("Range: bytes=999-99999999999999999999\r\n", &r);
	assert_single(&r, 999, 999);
	get("Range: bytes=0-\r\n", &r);
	assert_single(&r, 0, 999);
	/* unsatisfiable ones beside a satisfiable one are dropped */
	get("Range: bytes=5000-6000, 3-4, 1000-\r\n", &r);
	assert_single(&r, 3, 4);
}

TEST(reply_416_when_nothing_is_satisfiable)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(get("Range: bytes=1000-\r\n", &r), 416);
	ASSERT_STR(fields_of(&r, SIZE), "Content-Range: bytes */1000\n");
	ASSERT_EQ_INT(get("Range: bytes=99999999999999999999-\r\n", &r), 416);
	ASSERT_EQ_INT(get("Range: bytes=-0\r\n", &r), 416);
	ASSERT_EQ_INT(get("Range: bytes=1000-1001,2000-\r\n", &r), 416);
}

TEST(reply_ignores_malformed_or_foreign_ranges)
{
	static const char *const ignored[] = {
		"Range: bytes=5-3\r\n", "Range: bytes=abc\r\n",
		"Range: items=0-1\r\n", "Range: bytes0-1\r\n",
		"Range: bytes=\r\n", "Range: =0-1\r\n",
		"Range: bytes=0-1\r\nRange: bytes=2-3\r\n",
	};
	struct ktcp_file_reply r;
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		if (get(ignored[i], &r) != 200 || r.content_length != SIZE)
			FAIL("%s got %d", ignored[i], r.status);
		ASSERT_TRUE(strstr(fields_of(&r, SIZE), "Accept-Ranges: bytes\n"));
	}
}

TEST(reply_refuses_abusive_ranges_with_the_whole_body)
{
	struct ktcp_file_reply r;
	char fields[512];
	int i, n;

	/* 16 ranges are served, a 17th makes the header too much */
	n = snprintf(fields, sizeof(fields), "Range: bytes=0-0");
	for (i = 1; i < 16; i++)
		n += snprintf(fields + n, sizeof(fields) - (size_t)n, ",%d-%d",
			      i * 10, i * 10);
	snprintf(fields + n, sizeof(fields) - (size_t)n, "\r\n");
	ASSERT_EQ_INT(get(fields, &r), 206);
	ASSERT_EQ_INT(r.num_ranges, 16);
	snprintf(fields + n, sizeof(fields) - (size_t)n, ",500-500\r\n");
	ASSERT_EQ_INT(get(fields, &r), 200);
	ASSERT_EQ_INT(r.content_length, SIZE);
	/* the overlapping-ranges DoS: more bytes than the file asked for */
	ASSERT_EQ_INT(get("Range: bytes=0-,0-\r\n", &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=0-600,400-999\r\n", &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=-1000,0-0\r\n", &r), 200);
	/* as much as the file, no more, is still answered */
	ASSERT_EQ_INT(get("Range: bytes=0-499,500-\r\n", &r), 206);
	ASSERT_EQ_INT(r.num_ranges, 1);
}

TEST(reply_coalesces_overlapping_and_adjacent_ranges)
{
	struct ktcp_file_reply r;

	get("Range: bytes=0-1,1-2\r\n", &r);
	assert_single(&r, 0, 2);
	get("Range: bytes=0-1,2-3\r\n", &r);
	assert_single(&r, 0, 3);
	get("Range: bytes=10-19,0-4,3-12\r\n", &r);
	assert_single(&r, 0, 19);
	/* parts stay in the order asked for */
	ASSERT_EQ_INT(get("Range: bytes=50-59,0-9,5-14,100-100\r\n", &r), 206);
	ASSERT_EQ_INT(r.num_ranges, 3);
	ASSERT_TRUE(r.ranges[0].first == 50 && r.ranges[0].last == 59);
	ASSERT_TRUE(r.ranges[1].first == 0 && r.ranges[1].last == 14);
	ASSERT_TRUE(r.ranges[2].first == 100 && r.ranges[2].last == 100);
}

TEST(reply_multipart_fields_and_length)
{
	struct ktcp_file_reply r;
	struct ktcp_file f = file_of_size(SIZE);
	char expect[256], part[256];
	uint64_t len = 0;
	size_t i;

	ASSERT_EQ_INT(get("Range: bytes=0-1,5-6\r\n", &r), 206);
	ASSERT_EQ_INT(strlen(r.boundary), 16);
	snprintf(expect, sizeof(expect),
		 "Content-Type: multipart/byteranges; boundary=%s\n"
		 "Last-Modified: " MTIME_DATE "\nETag: " ETAG "\n", r.boundary);
	ASSERT_STR(fields_of(&r, SIZE), expect);
	for (i = 0; i <= r.num_ranges; i++) {
		int n = ktcp_file_part_head(&r, &f, i, part, sizeof(part));

		ASSERT_GE_INT(n, 0);
		len += (uint64_t)n + (i < r.num_ranges ? 2 : 0);
	}
	ASSERT_EQ_INT(r.content_length, len);
	ASSERT_EQ_INT(ktcp_file_part_head(&r, &f, 0, part, 20), -ENOSPC);
	ASSERT_EQ_INT(ktcp_file_part_head(&r, &f, 3, part, sizeof(part)), -EINVAL);
	snprintf(expect, sizeof(expect), "\r\n--%s\r\nContent-Type: "
		 "application/octet-stream\r\nContent-Range: bytes 5-6/1000\r\n\r\n",
		 r.boundary);
	ktcp_file_part_head(&r, &f, 1, part, sizeof(part));
	ASSERT_STR(part, expect);
	/* a fresh boundary each time */
	get("Range: bytes=0-1,5-6\r\n", &r);
	ASSERT_TRUE(strncmp(expect + 4, r.boundary, 16));
}

TEST(reply_zero_length_file)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(reply("GET", "", 0, &r), 200);
	ASSERT_EQ_INT(r.content_length, 0);
	/* RFC 9110 14.1.2: only a suffix range is satisfiable, with no bytes */
	ASSERT_EQ_INT(reply("GET", "Range: bytes=-5\r\n", 0, &r), 200);
	ASSERT_EQ_INT(r.content_length, 0);
	ASSERT_EQ_INT(reply("GET", "Range: bytes=0-\r\n", 0, &r), 416);
	ASSERT_STR(fields_of(&r, 0), "Content-Range: bytes */0\n");
	ASSERT_EQ_INT(reply("GET", "Range: bytes=0-0,-1\r\n", 0, &r), 200);
}

TEST(reply_head_ignores_range)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(reply("HEAD", "Range: bytes=0-9\r\n", SIZE, &r), 200);
	ASSERT_TRUE(r.head);
	ASSERT_EQ_INT(r.content_length, SIZE);
	ASSERT_EQ_INT(reply("HEAD", "If-None-Match: " ETAG "\r\n", SIZE, &r), 304);
	ASSERT_EQ_INT(reply("POST", "", SIZE, &r), 405);
	ASSERT_STR(fields_of(&r, SIZE), "Allow: GET, HEAD\n");
	ASSERT_EQ_INT(reply("get", "", SIZE, &r), 405);
}

TEST(reply_304_if_none_match_weak_comparison)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(get("If-None-Match: " ETAG "\r\n", &r), 304);
	ASSERT_STR(fields_of(&r, SIZE), "Last-Modified: " MTIME_DATE "\nETag: " ETAG "\n");
	ASSERT_EQ_INT(get("If-None-Match: W/" ETAG "\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-None-Match: \"a\", W/\"b\" ," ETAG "\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-None-Match: \"a\"\r\nIf-None-Match: " ETAG "\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-None-Match: *\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-None-Match: \"6553f100-3e9\"\r\n", &r), 200);
	ASSERT_EQ_INT(get("If-None-Match: 6553f100-3e8\r\n", &r), 200);
	/* a malformed member ends the list */
	ASSERT_EQ_INT(get("If-None-Match: \"a, " ETAG "\r\n", &r), 200);
	/* 304 wins over Range */
	ASSERT_EQ_INT(get("If-None-Match: " ETAG "\r\nRange: bytes=0-1\r\n", &r), 304);
}

TEST(reply_304_if_modified_since_unless_if_none_match)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(get("If-Modified-Since: " MTIME_DATE "\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-Modified-Since: Tue Nov 14 22:13:20 2023\r\n", &r), 304);
	ASSERT_EQ_INT(get("If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n", &r), 200);
	ASSERT_EQ_INT(get("If-Modified-Since: yesterday\r\n", &r), 200);
	ASSERT_EQ_INT(get("If-Modified-Since: " MTIME_DATE "\r\n"
			  "If-Modified-Since: " MTIME_DATE "\r\n", &r), 200);
	/* If-None-Match takes precedence, even when it does not match */
	ASSERT_EQ_INT(get("If-None-Match: \"other\"\r\n"
			  "If-Modified-Since: " MTIME_DATE "\r\n", &r), 200);
	/* no Last-Modified, no date comparison */
	{
		struct ktcp_file f = file_of_size(SIZE);
		struct parsed p;
		char fields[1024] = "";

		f.mtime = -1;
		ASSERT_EQ_INT(ktcp_file_reply(request_of(&p, "GET",
			"If-Modified-Since: " MTIME_DATE "\r\n"), &f, &r), 200);
		ktcp_file_reply_fields(&r, &f, collect, fields);
		ASSERT_TRUE(!strstr(fields, "Last-Modified"));
	}
}

TEST(reply_412_if_match_and_if_unmodified_since)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(get("If-Match: " ETAG "\r\n", &r), 200);
	ASSERT_EQ_INT(get("If-Match: *\r\n", &r), 200);
	ASSERT_EQ_INT(get("If-Match: \"nope\"\r\n", &r), 412);
	ASSERT_STR(fields_of(&r, SIZE), "");
	/* strong comparison: a weak tag never matches */
	ASSERT_EQ_INT(get("If-Match: W/" ETAG "\r\n", &r), 412);
	ASSERT_EQ_INT(get("If-Unmodified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n", &r), 412);
	ASSERT_EQ_INT(get("If-Unmodified-Since: " MTIME_DATE "\r\n", &r), 200);
	/* If-Match decides alone when present */
	ASSERT_EQ_INT(get("If-Match: " ETAG "\r\nIf-Unmodified-Since: "
			  "Tue, 14 Nov 2023 22:13:19 GMT\r\n", &r), 200);
	/* 412 comes before 304 */
	ASSERT_EQ_INT(get("If-Match: \"nope\"\r\nIf-None-Match: *\r\n", &r), 412);
}

TEST(reply_if_range_etag_strong_or_exact_date)
{
	struct ktcp_file_reply r;

	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: " ETAG "\r\n", &r), 206);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: W/" ETAG "\r\n", &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: \"other\"\r\n", &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: " ETAG " x\r\n", &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: " MTIME_DATE "\r\n", &r), 206);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: Wed, 15 Nov 2023 00:00:00 GMT\r\n",
			  &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: garbage\r\n", &r), 200);
	ASSERT_EQ_INT(get("Range: bytes=0-1\r\nIf-Range: " ETAG "\r\n"
			  "If-Range: " ETAG "\r\n", &r), 200);
	/* without Range, If-Range means nothing */
	ASSERT_EQ_INT(get("If-Range: \"other\"\r\n", &r), 200);
	/* an If-Range that fails also turns an unsatisfiable Range into 200 */
	ASSERT_EQ_INT(get("Range: bytes=5000-\r\nIf-Range: \"other\"\r\n", &r), 200);
}

TEST(reply_if_range_date_of_a_file_changed_this_second_is_weak)
{
	struct ktcp_file f = file_of_size(SIZE);
	struct ktcp_file_reply r;
	char fields[128], date[KTCP_HTTP_DATE_SIZE];
	struct parsed p;

	f.mtime = time(NULL) + 5;	/* not yet a second old */
	ktcp_http_date_format(f.mtime, date);
	snprintf(fields, sizeof(fields), "Range: bytes=0-1\r\nIf-Range: %s\r\n", date);
	ASSERT_EQ_INT(ktcp_file_reply(request_of(&p, "GET", fields), &f, &r), 200);
	/* a date on a Wednesday is no weak entity-tag */
	f.mtime = 1700006400;
	ASSERT_EQ_INT(ktcp_file_reply(request_of(&p, "GET", "Range: bytes=0-1\r\n"
		"If-Range: Wed, 15 Nov 2023 00:00:00 GMT\r\n"), &f, &r), 206);
}

/*
 * Against a model: a bitmap of the bytes the satisfiable ranges select
 * must be exactly what the answer's disjoint, non-adjacent ranges cover.
 */
TEST(reply_ranges_match_a_bitmap_model)
{
	unsigned int seed = 1;
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		struct ktcp_range_spec specs[24];
		struct ktcp_file_reply r;
		char fields[1024], bits[64] = { 0 }, got[64] = { 0 };
		uint64_t size = (uint64_t)(rand_r(&seed) % 40), total = 0;
		size_t n = 1 + (size_t)(rand_r(&seed) % 20), i, j, k = 0;
		int len, expect, empty_suffix = 0, sat = 0;

		len = snprintf(fields, sizeof(fields), "Range: bytes=");
		for (i = 0; i < n; i++) {
			uint64_t a = (uint64_t)(rand_r(&seed) % 50);
			uint64_t b = a + (uint64_t)(rand_r(&seed) % 20);

			switch (rand_r(&seed) % 3) {
			case 0:
				specs[i] = (struct ktcp_range_spec){ a, b, 0 };
				len += snprintf(fields + len, sizeof(fields) - (size_t)len,
						"%s%" PRIu64 "-%" PRIu64, i ? "," : "", a, b);
				break;
			case 1:
				specs[i] = (struct ktcp_range_spec){ a, KTCP_RANGE_END, 0 };
				len += snprintf(fields + len, sizeof(fields) - (size_t)len,
						"%s%" PRIu64 "-", i ? "," : "", a);
				break;
			default:
				specs[i] = (struct ktcp_range_spec){ 0, a, 1 };
				len += snprintf(fields + len, sizeof(fields) - (size_t)len,
						"%s-%" PRIu64, i ? "," : "", a);
			}
		}
		snprintf(fields + len, sizeof(fields) - (size_t)len, "\r\n");
		for (i = 0; i < n; i++) {
			struct ktcp_byte_range br;

			if (!ktcp_range_resolve(&specs[i], size, &br)) {
				empty_suffix |= specs[i].suffix && specs[i].last;
				continue;
			}
			sat++;
			total += br.last - br.first + 1;
			for (j = br.first; j <= br.last; j++)
				bits[j] = 1;
		}
		expect = n > 16 ? 200 : !sat ? (empty_suffix ? 200 : 416) :
			 total > size ? 200 : 206;
		if (reply("GET", fields, size, &r) != expect)
			FAIL("%s of %" PRIu64 ": %d, not %d", fields, size, r.status,
			     expect);
		if (expect != 206)
			continue;
		ASSERT_TRUE(r.num_ranges >= 1 && r.num_ranges <= (size_t)sat);
		for (i = 0; i < r.num_ranges; i++) {
			ASSERT_TRUE(r.ranges[i].first <= r.ranges[i].last);
			ASSERT_TRUE(r.ranges[i].last < size);
			for (j = 0; j < r.num_ranges; j++)
				if (i != j && r.ranges[j].first <= r.ranges[i].last + 1 &&
				    r.ranges[i].first <= r.ranges[j].last + 1)
					FAIL("%s: parts %zu and %zu touch", fields, i, j);
			for (j = r.ranges[i].first; j <= r.ranges[i].last; j++)
				got[j] = 1, k++;
		}
		if (memcmp(bits, got, sizeof(bits)))
			FAIL("%s of %" PRIu64 ": other bytes than asked for", fields, size);
		if (r.num_ranges == 1)
			ASSERT_EQ_INT(r.content_length, k);
	}
}

/* ---- on the wire ---- */

/* Read one response whole: head and Content-Length body. */
struct wire {
	char buf[1 << 16];
	size_t len;
	struct ktcp_http_header h[32];
	struct ktcp_http_response resp;
	const char *body;
	size_t body_len;
};

static const char *wire_field(const struct wire *w, const char *name)
{
	static char v[512];
	int i = ktcp_http_find_header(w->resp.headers, w->resp.num_headers, name, 0);

	if (i < 0)
		return NULL;
	snprintf(v, sizeof(v), "%.*s", (int)w->resp.headers[i].value_len,
		 w->resp.headers[i].value);
	return v;
}

static void read_response(int fd, struct wire *w, int head_req)
{
	int n;

	w->len = 0;
	for (;;) {
		ssize_t got;

		w->resp.headers = w->h;
		w->resp.num_headers = 32;
		n = w->len ? ktcp_http_parse_response(w->buf, w->len, &w->resp, NULL) :
			     -EAGAIN;
		if (n >= 0) {
			const char *cl = wire_field(w, "Content-Length");
			size_t want = cl && !head_req ? strtoul(cl, NULL, 10) : 0;

			if (w->resp.status == 304)
				want = 0;
			if (w->len >= (size_t)n + want) {
				w->body = w->buf + n;
				w->body_len = want;
				/* what follows belongs to the next response */
				w->len = (size_t)n + want;
				return;
			}
		} else if (n != -EAGAIN) {
			FAIL("bad response head (%d)", n);
		}
		ASSERT_TRUE(w->len < sizeof(w->buf));
		got = recv(fd, w->buf + w->len, sizeof(w->buf) - w->len, 0);
		if (got <= 0)
			FAIL("connection ended after %zu bytes", w->len);
		w->len += (size_t)got;
	}
}

static void assert_pattern(const char *data, uint64_t first, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (data[i] != pattern(first + i))
			FAIL("byte %" PRIu64 " is '%c', not '%c'", first + i, data[i],
			     pattern(first + i));
}

/* ktcp_file_send() of @fields on a socketpair; *@w gets the answer. */
static int file_send(const struct ktcp_file *f, const char *method,
		     const char *fields, const char *extra, struct wire *w)
{
	struct parsed p;
	int sv[2], ret;

	ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ret = ktcp_file_send(sv[0], request_of(&p, method, fields), f, extra, 0);
	close(sv[0]);
	read_response(sv[1], w, !strcmp(method, "HEAD"));
	close(sv[1]);
	return ret;
}

TEST(send_exact_bytes_of_a_206_from_a_file)
{
	static struct wire w;
	char path[512], expect[512];
	struct ktcp_file f;
	int fd = make_file("data", SIZE, path, sizeof(path));
	int sv[2];
	struct parsed p;
	ssize_t n;

	ASSERT_EQ_INT(ktcp_file_from_fd(&f, fd), 0);
	ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ASSERT_EQ_INT(ktcp_file_send(sv[0], request_of(&p, "GET", "Range: bytes=3-7\r\n"),
				     &f, "Server: t\r\n", 0), 206);
	close(sv[0]);
	snprintf(expect, sizeof(expect),
		 "HTTP/1.1 206 Partial Content\r\n"
		 "Content-Type: application/octet-stream\r\n"
		 "Content-Range: bytes 3-7/1000\r\n"
		 "Last-Modified: " MTIME_DATE "\r\n"
		 "ETag: " ETAG "\r\n"
		 "Server: t\r\n"
		 "Content-Length: 5\r\n\r\n%c%c%c%c%c", pattern(3), pattern(4),
		 pattern(5), pattern(6), pattern(7));
	n = recv(sv[1], w.buf, sizeof(w.buf), MSG_WAITALL);
	ASSERT_EQ_INT(n, strlen(expect));
	w.buf[n] = '\0';
	ASSERT_STR(w.buf, expect);
	close(sv[1]);
	close(fd);
}

TEST(send_every_status_from_a_file_and_a_buffer)
{
	static struct wire w;
	char path[512];
	struct ktcp_file file, buf;
	int fd = make_file("data", SIZE, path, sizeof(path)), i;

	ASSERT_EQ_INT(ktcp_file_from_fd(&file, fd), 0);
	buf = file_of_size(SIZE);
	for (i = 0; i < 2; i++) {
		const struct ktcp_file *f = i ? &buf : &file;

		ASSERT_EQ_INT(file_send(f, "GET", "", NULL, &w), 200);
		ASSERT_EQ_INT(w.body_len, SIZE);
		assert_pattern(w.body, 0, SIZE);
		ASSERT_STR(wire_field(&w, "Accept-Ranges"), "bytes");
		ASSERT_EQ_INT(file_send(f, "GET", "Range: bytes=-10\r\n", NULL, &w), 206);
		ASSERT_STR(wire_field(&w, "Content-Range"), "bytes 990-999/1000");
		assert_pattern(w.body, 990, 10);
		ASSERT_EQ_INT(file_send(f, "HEAD", "Range: bytes=-10\r\n", NULL, &w), 200);
		ASSERT_STR(wire_field(&w, "Content-Length"), "1000");
		ASSERT_EQ_INT(file_send(f, "GET", "If-None-Match: " ETAG "\r\n", NULL, &w), 304);
		ASSERT_TRUE(!wire_field(&w, "Content-Length"));
		ASSERT_STR(wire_field(&w, "ETag"), ETAG);
		ASSERT_EQ_INT(file_send(f, "GET", "If-Match: \"x\"\r\n", NULL, &w), 412);
		ASSERT_STR(wire_field(&w, "Content-Length"), "0");
		ASSERT_EQ_INT(file_send(f, "GET", "Range: bytes=1000-\r\n", NULL, &w), 416);
		ASSERT_STR(wire_field(&w, "Content-Range"), "bytes */1000");
		ASSERT_STR(wire_field(&w, "Content-Length"), "0");
		ASSERT_EQ_INT(file_send(f, "PUT", "", NULL, &w), 405);
		ASSERT_STR(wire_field(&w, "Allow"), "GET, HEAD");
		ASSERT_EQ_INT(file_send(f, "GET", "Connection: close\r\n", NULL, &w), 200);
		ASSERT_STR(wire_field(&w, "Connection"), "close");
	}
	close(fd);
}

TEST(send_multipart_parses_back)
{
	static struct wire w;
	struct ktcp_byterange_part parts[KTCP_FILE_MAX_RANGES];
	static const uint64_t want[][2] = { { 900, 949 }, { 0, 0 }, { 10, 29 } };
	char path[512];
	struct ktcp_file f;
	int fd = make_file("data", SIZE, path, sizeof(path)), i;
	const char *ct;
	size_t n, k;

	ASSERT_EQ_INT(ktcp_file_from_fd(&f, fd), 0);
	for (i = 0; i < 2; i++) {
		if (i) {
			f = file_of_size(SIZE);
			f.content_type = "text/plain; charset=utf-8";
		}
		ASSERT_EQ_INT(file_send(&f, "GET", "Range: bytes=900-949,0-0,10-19,15-29\r\n",
					NULL, &w), 206);
		ct = wire_field(&w, "Content-Type");
		ASSERT_TRUE(!strncmp(ct, "multipart/byteranges; boundary=", 31));
		ASSERT_TRUE(!wire_field(&w, "Content-Range"));
		ASSERT_EQ_INT(ktcp_byteranges_parse(ct, strlen(ct), w.body, w.body_len,
						    parts, KTCP_FILE_MAX_RANGES, &n), 0);
		ASSERT_EQ_INT(n, 3);
		for (k = 0; k < n; k++) {
			ASSERT_EQ_INT(parts[k].range.first, want[k][0]);
			ASSERT_EQ_INT(parts[k].range.last, want[k][1]);
			ASSERT_EQ_INT(parts[k].complete, SIZE);
			assert_pattern(parts[k].data, want[k][0], want[k][1] - want[k][0] + 1);
		}
		/* each part names the type of the whole */
		ASSERT_TRUE(strstr(w.body, i ? "Content-Type: text/plain; charset=utf-8\r\n" :
				   "Content-Type: application/octet-stream\r\n"));
		/* the body ends with the close delimiter */
		ASSERT_TRUE(!memcmp(w.body + w.body_len - 24, "\r\n--", 4));
		ASSERT_TRUE(!memcmp(w.body + w.body_len - 4, "--\r\n", 4));
	}
	close(fd);
}

TEST(byteranges_parse_refuses_broken_bodies)
{
	static const char ct[] = "multipart/byteranges; boundary=B";
	static const char ok[] = "\r\n--B\r\nContent-Range: bytes 0-1/5\r\n\r\nab"
				 "\r\n--B\r\ncontent-range:bytes 3-3/5 \r\n\r\nd\r\n--B--\r\n";
	static const char *const bad[] = {
		/* one byte short, one too many */
		"\r\n--B\r\nContent-Range: bytes 0-1/5\r\n\r\na\r\n--B--\r\n",
		"\r\n--B\r\nContent-Range: bytes 0-1/5\r\n\r\nabc\r\n--B--\r\n",
		/* no Content-Range, two of them, a malformed one */
		"\r\n--B\r\nContent-Type: x\r\n\r\nab\r\n--B--\r\n",
		"\r\n--B\r\nContent-Range: bytes 0-1/5\r\nContent-Range: bytes 0-1/5\r\n\r\nab\r\n--B--\r\n",
		"\r\n--B\r\nContent-Range: bytes 1-0/5\r\n\r\nab\r\n--B--\r\n",
		/* no close delimiter, no part at all, another boundary */
		"\r\n--B\r\nContent-Range: bytes 0-1/5\r\n\r\nab\r\n--B",
		"\r\n--B\r\nContent-Range: bytes 0-1/5\r\n\r\nab",
		"\r\n--B--\r\n", "\r\n--C\r\nContent-Range: bytes 0-1/5\r\n\r\nab\r\n--C--\r\n",
		"", "garbage",
	};
	struct ktcp_byterange_part parts[4];
	size_t i, n;

	ASSERT_EQ_INT(ktcp_byteranges_parse(ct, strlen(ct), ok, strlen(ok), parts, 4, &n), 0);
	ASSERT_EQ_INT(n, 2);
	ASSERT_TRUE(parts[1].range.first == 3 && parts[1].data[0] == 'd');
	ASSERT_EQ_INT(ktcp_byteranges_parse(ct, strlen(ct), ok, strlen(ok), parts, 1, &n),
		      -E2BIG);
	ASSERT_EQ_INT(ktcp_byteranges_parse("multipart/byteranges; boundary=\"B\"", 34,
					    ok, strlen(ok), parts, 4, &n), 0);
	ASSERT_EQ_INT(ktcp_byteranges_parse("multipart/mixed; boundary=B", 27, ok,
					    strlen(ok), parts, 4, &n), -EBADMSG);
	ASSERT_EQ_INT(ktcp_byteranges_parse("multipart/byteranges", 20, ok,
					    strlen(ok), parts, 4, &n), -EBADMSG);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ktcp_byteranges_parse(ct, strlen(ct), bad[i], strlen(bad[i]), parts,
					  4, &n) != -EBADMSG)
			FAIL("body %zu was taken", i);
}

/* A non-blocking socket and a reader slower than the file: poll() waits. */
TEST(send_big_file_to_a_non_blocking_socket)
{
	const size_t size = 2u << 20;
	char path[512], *got, *expect;
	struct ktcp_file f;
	struct parsed p;
	int fd = make_file("big", size, path, sizeof(path)), sv[2], status;
	size_t len = 0, i;
	const char *body;
	pid_t pid;

	ASSERT_EQ_INT(ktcp_file_from_fd(&f, fd), 0);
	ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	request_of(&p, "GET", "Range: bytes=1-\r\n");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_GE_INT(pid, 0);
	if (pid == 0) {
		close(sv[1]);
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		_exit(ktcp_file_send(sv[0], &p.req, &f, NULL, 50000) == 206 ? 0 : 1);
	}
	close(sv[0]);
	/* after fork(): valgrind would count them lost in the child */
	got = malloc(size + 4096);
	expect = malloc(size);
	for (;;) {
		/* small reads: the sender finds the socket full again and again */
		ssize_t n = recv(sv[1], got + len, size + 4096 - len < 4096 ?
				 size + 4096 - len : 4096, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	body = memmem(got, len, "\r\n\r\n", 4);
	ASSERT_TRUE(body);
	body += 4;
	ASSERT_EQ_INT(len - (size_t)(body - got), size - 1);
	for (i = 0; i < size - 1; i++)
		expect[i] = pattern(i + 1);
	ASSERT_TRUE(!memcmp(body, expect, size - 1));
	free(got);
	free(expect);
	close(fd);
}

/* ---- through the server ---- */

static char served_path[512];
static pid_t server_pid;

static void kill_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
}

/*
 *   /file      the test file, through ktcp_http_serve_file()
 *   /buf       the same bytes from a buffer
 *   /chunked   "<", file bytes 0-9, "|", bytes 10-19, ">" as a chunked
 *              body of ktcp_http_resp_sendfile() and writes
 */
/* the server's cache: files up to 2000 bytes, CACHE_MAX bytes in all */
#define CACHE_MAX	2600
static struct ktcp_file_cache *cache;
/* the same, trusting a checked file for a minute */
static struct ktcp_file_cache *trusting_cache;

/*
 *   /cached/NAME   the file NAME of the test's directory, through cache
 *   /trusted/NAME  the same through trusting_cache
 *   /cache-stats   "files bytes hits misses" of cache
 */
static int cache_handler(struct ktcp_http_req *req,
			 const struct ktcp_http_request *h)
{
	struct ktcp_file_cache_stats st;
	struct ktcp_file_cache *c = NULL;
	size_t skip = 0;
	char buf[256];
	int n;

	if (h->target_len > 8 && !memcmp(h->target, "/cached/", 8))
		c = cache, skip = 8;
	else if (h->target_len > 9 && !memcmp(h->target, "/trusted/", 9))
		c = trusting_cache, skip = 9;
	if (c) {
		snprintf(buf, sizeof(buf), "%s/%.*s", harness_tmpdir(),
			 (int)(h->target_len - skip), h->target + skip);
		if (ktcp_file_cache_serve(c, req, buf, "text/plain") < 0)
			ktcp_http_resp_send(req, 404, NULL, 0);
		return 1;
	}
	if (h->target_len == 12 && !memcmp(h->target, "/cache-stats", 12)) {
		ktcp_file_cache_stats(cache, &st);
		n = snprintf(buf, sizeof(buf), "%zu %zu %" PRIu64 " %" PRIu64,
			     st.files, st.bytes, st.hits, st.misses);
		ktcp_http_resp_send(req, 200, buf, (size_t)n);
		return 1;
	}
	return 0;
}

static void file_handler(struct ktcp_http_req *req, void *arg)
{
	const struct ktcp_http_request *h = ktcp_http_req_head(req);
	struct ktcp_file f;
	int fd;

	(void)arg;
	if (cache_handler(req, h))
		return;
	if (h->target_len == 4 && !memcmp(h->target, "/buf", 4)) {
		f = file_of_size(SIZE);
		ktcp_http_serve_file(req, &f);
		return;
	}
	fd = open(served_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ktcp_file_from_fd(&f, fd)) {
		ktcp_http_resp_send(req, 500, NULL, 0);
		return;
	}
	if (h->target_len == 8 && !memcmp(h->target, "/chunked", 8)) {
		ktcp_http_resp_start(req, 200, -1);
		ktcp_http_resp_write(req, "<", 1);
		ktcp_http_resp_sendfile(req, fd, 0, 10);
		ktcp_http_resp_write(req, "|", 1);
		ktcp_http_resp_sendfile(req, fd, 10, 10);
		ktcp_http_resp_write(req, ">", 1);
		ktcp_http_resp_end(req);
	} else {
		ktcp_http_serve_file(req, &f);
	}
	/* the server has its own duplicate */
	close(fd);
}

static int start_server(size_t size)
{
	struct ktcp_http_server_config cfg = { .handler = file_handler };
	int lfd, port, fd;

	fd = make_file("served", size, served_path, sizeof(served_path));
	close(fd);
	lfd = ktcp_addr_listen("inet", "127.0.0.1", 0, 16, SOCK_CLOEXEC);
	ASSERT_GE_INT(lfd, 0);
	port = ktcp_addr_port(lfd);
	fflush(stdout);
	fflush(stderr);
	server_pid = fork();
	ASSERT_GE_INT(server_pid, 0);
	if (server_pid == 0) {
		struct ktcp_loop *loop = ktcp_loop_new();

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_IGN);
		cache = ktcp_file_cache_new(CACHE_MAX, 2000);
		trusting_cache = ktcp_file_cache_new(CACHE_MAX, 2000);
		if (!cache || !trusting_cache ||
		    !ktcp_http_server_new(loop, lfd, &cfg))
			_exit(3);
		ktcp_file_cache_set_valid_ms(trusting_cache, 60000);
		ktcp_loop_run(loop);
		_exit(0);
	}
	close(lfd);
	atexit(kill_server);
	return port;
}

static int dial_port;

static int dial(void *arg)
{
	(void)arg;
	return ktcp_addr_connect("inet", "127.0.0.1", (unsigned short)dial_port,
				 SOCK_CLOEXEC);
}

static void send_text(int fd, const char *s)
{
	ASSERT_EQ_INT(send(fd, s, strlen(s), MSG_NOSIGNAL), strlen(s));
}

TEST(server_serves_206_bytes_exactly)
{
	static struct wire w;
	int port = start_server(SIZE);
	int fd = ktcp_addr_connect("inet", "127.0.0.1", (unsigned short)port,
				   SOCK_CLOEXEC);
	char expect[512];
	ssize_t n;

	ASSERT_GE_INT(fd, 0);
	send_text(fd, "GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=3-7\r\n\r\n");
	snprintf(expect, sizeof(expect),
		 "HTTP/1.1 206 Partial Content\r\n"
		 "Content-Type: application/octet-stream\r\n"
		 "Content-Range: bytes 3-7/1000\r\n"
		 "Last-Modified: " MTIME_DATE "\r\n"
		 "ETag: " ETAG "\r\n"
		 "Content-Length: 5\r\n\r\n%c%c%c%c%c", pattern(3), pattern(4),
		 pattern(5), pattern(6), pattern(7));
	n = recv(fd, w.buf, strlen(expect), MSG_WAITALL);
	ASSERT_EQ_INT(n, strlen(expect));
	w.buf[n] = '\0';
	ASSERT_STR(w.buf, expect);
	close(fd);
}

/*
 * Pipelined requests whose answers mix file pieces with queued bytes:
 * each answer must come whole and in order.
 */
TEST(server_pipelined_file_answers_in_order)
{
	static struct wire w;
	struct ktcp_byterange_part parts[KTCP_FILE_MAX_RANGES];
	int port = start_server(SIZE);
	int fd = ktcp_addr_connect("inet", "127.0.0.1", (unsigned short)port,
				   SOCK_CLOEXEC), i;
	const char *ct;
	size_t n, used;
	char rest[sizeof(w.buf)];
	size_t rest_len = 0;

	ASSERT_GE_INT(fd, 0);
	send_text(fd, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n"
		      "GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,500-509,-3\r\n\r\n"
		      "HEAD /file HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n"
		      "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n"
		      "GET /file HTTP/1.1\r\nHost: x\r\nIf-None-Match: " ETAG "\r\n\r\n"
		      "GET /buf HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n"
		      "GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=5000-\r\n\r\n"
		      "GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=998-\r\n"
		      "Connection: close\r\n\r\n");
	for (i = 0; i < 8; i++) {
		/* carry over what the last read took of the next answer */
		ssize_t got;

		memcpy(w.buf, rest, rest_len);
		w.len = rest_len;
		for (;;) {
			int hl;

			w.resp.headers = w.h;
			w.resp.num_headers = 32;
			hl = w.len ? ktcp_http_parse_response(w.buf, w.len, &w.resp, NULL) :
				     -EAGAIN;
			if (hl >= 0) {
				const char *te = wire_field(&w, "Transfer-Encoding");
				const char *cl = wire_field(&w, "Content-Length");
				size_t want = cl && i != 2 && w.resp.status != 304 ?
					      strtoul(cl, NULL, 10) : 0;

				if (te) {
					char *end = memmem(w.buf + hl, w.len - (size_t)hl,
							   "0\r\n\r\n", 5);

					if (end) {
						want = (size_t)(end + 5 - (w.buf + hl));
					} else {
						want = SIZE_MAX;
					}
				}
				if (want != SIZE_MAX && w.len >= (size_t)hl + want) {
					w.body = w.buf + hl;
					w.body_len = want;
					used = (size_t)hl + want;
					break;
				}
			}
			got = recv(fd, w.buf + w.len, sizeof(w.buf) - w.len, 0);
			if (got <= 0)
				FAIL("answer %d: connection ended", i);
			w.len += (size_t)got;
		}
		rest_len = w.len - used;
		memcpy(rest, w.buf + used, rest_len);
		switch (i) {
		case 0:
			ASSERT_EQ_INT(w.resp.status, 200);
			ASSERT_EQ_INT(w.body_len, SIZE);
			assert_pattern(w.body, 0, SIZE);
			break;
		case 1:
			ASSERT_EQ_INT(w.resp.status, 206);
			ct = wire_field(&w, "Content-Type");
			ASSERT_EQ_INT(ktcp_byteranges_parse(ct, strlen(ct), w.body,
							    w.body_len, parts, 16, &n), 0);
			ASSERT_EQ_INT(n, 3);
			assert_pattern(parts[0].data, 0, 2);
			assert_pattern(parts[1].data, 500, 10);
			assert_pattern(parts[2].data, 997, 3);
			break;
		case 2:
			ASSERT_EQ_INT(w.resp.status, 200);
			ASSERT_STR(wire_field(&w, "Content-Length"), "1000");
			break;
		case 3: {
			char expect[128], a[11], b[11];
			size_t k;

			for (k = 0; k < 10; k++) {
				a[k] = pattern(k);
				b[k] = pattern(10 + k);
			}
			a[10] = b[10] = '\0';
			snprintf(expect, sizeof(expect), "1\r\n<\r\na\r\n%s\r\n"
				 "1\r\n|\r\na\r\n%s\r\n1\r\n>\r\n0\r\n\r\n", a, b);
			ASSERT_EQ_INT(w.resp.status, 200);
			ASSERT_EQ_INT(w.body_len, strlen(expect));
			ASSERT_TRUE(!memcmp(w.body, expect, w.body_len));
			break;
		}
		case 4:
			ASSERT_EQ_INT(w.resp.status, 304);
			break;
		case 5:
			ASSERT_EQ_INT(w.resp.status, 206);
			ASSERT_STR(wire_field(&w, "Content-Range"), "bytes 10-19/1000");
			assert_pattern(w.body, 10, 10);
			break;
		case 6:
			ASSERT_EQ_INT(w.resp.status, 416);
			break;
		case 7:
			ASSERT_EQ_INT(w.resp.status, 206);
			assert_pattern(w.body, 998, 2);
			break;
		}
	}
	ASSERT_EQ_INT(rest_len, 0);
	ASSERT_EQ_INT(recv(fd, w.buf, 1, 0), 0);
	close(fd);
}

/* A download bigger than the send queue goes out by sendfile() alone. */
TEST(server_sends_a_big_file_and_keeps_the_connection)
{
	struct ktcp_http_client_config cfg = { .connect = dial, .host = "x" };
	struct ktcp_http_client_response r;
	struct ktcp_http_client *cl;
	const size_t size = 24u << 20;

	dial_port = start_server(size);
	cl = ktcp_http_client_new(&cfg);
	ASSERT_TRUE(cl);
	ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/file", NULL, 0, NULL, 0,
					       &r), 0);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(r.body_len, size);
	assert_pattern(r.body, 0, size);
	ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", "/buf", NULL, 0, NULL, 0,
					       &r), 0);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(r.body_len, SIZE);
	ASSERT_EQ_INT(ktcp_http_client_connections(cl), 1);
	ktcp_http_client_free(cl);
}

/* ---- the file cache ---- */

static struct ktcp_http_client *cache_client(void)
{
	static struct ktcp_http_client_config cfg = { .connect = dial, .host = "x" };
	struct ktcp_http_client *cl;

	dial_port = start_server(SIZE);
	cl = ktcp_http_client_new(&cfg);
	ASSERT_TRUE(cl);
	return cl;
}

/* GET @target with one header field or none; the status. */
static int cache_get(struct ktcp_http_client *cl, const char *target,
		     const char *name, const char *value,
		     struct ktcp_http_client_response *r)
{
	struct ktcp_http_header h = {
		.name = name, .name_len = name ? strlen(name) : 0,
		.value = value, .value_len = value ? strlen(value) : 0,
	};

	ASSERT_EQ_INT(ktcp_http_client_request(cl, "GET", target,
					       name ? &h : NULL, name ? 1 : 0,
					       NULL, 0, r), 0);
	return r->status;
}

static const char *resp_field(const struct ktcp_http_client_response *r,
			      const char *name)
{
	static char v[256];
	int i = ktcp_http_find_header(r->headers, r->num_headers, name, 0);

	if (i < 0)
		return NULL;
	snprintf(v, sizeof(v), "%.*s", (int)r->headers[i].value_len,
		 r->headers[i].value);
	return v;
}

/* files, bytes, hits and misses of the server's cache */
static void cache_stats(struct ktcp_http_client *cl, unsigned long long v[4])
{
	struct ktcp_http_client_response r;

	ASSERT_EQ_INT(cache_get(cl, "/cache-stats", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(sscanf(r.body, "%llu %llu %llu %llu", &v[0], &v[1],
			     &v[2], &v[3]), 4);
}

static void fill_file(const char *path, char c, size_t size, time_t mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_GE_INT(fd, 0);
	ASSERT_TRUE(size <= sizeof(buf));
	memset(buf, c, size);
	ASSERT_EQ_INT(write(fd, buf, size), size);
	ASSERT_EQ_INT(futimens(fd, ts), 0);
	close(fd);
}

static void assert_all(const struct ktcp_http_client_response *r, char c,
		       size_t len)
{
	size_t i;

	ASSERT_EQ_INT(r->body_len, len);
	for (i = 0; i < len; i++)
		if (r->body[i] != c)
			FAIL("byte %zu is '%c', not '%c'", i, r->body[i], c);
}

/*
 * The same file is answered from memory while stat() says it is the
 * same: contents rewritten behind the cache's back with the same size
 * and mtime still come from memory (which is how the test sees the
 * cache at work), and a new mtime, size or inode each read it again.
 */
TEST(file_cache_answers_from_memory_until_the_file_changes)
{
	struct ktcp_http_client *cl = cache_client();
	struct ktcp_http_client_response r;
	unsigned long long st[4];
	char path[512], tmp[512];
	int fd = make_file("c", SIZE, path, sizeof(path));

	close(fd);
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_pattern(r.body, 0, SIZE);
	/* the validators of ktcp_file_from_fd(): nginx's */
	ASSERT_STR(resp_field(&r, "ETag"), ETAG);
	ASSERT_STR(resp_field(&r, "Last-Modified"), MTIME_DATE);
	ASSERT_STR(resp_field(&r, "Content-Type"), "text/plain");
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_pattern(r.body, 0, SIZE);
	cache_stats(cl, st);
	ASSERT_EQ_INT(st[0], 1);
	ASSERT_EQ_INT(st[2], 1);
	ASSERT_EQ_INT(st[3], 1);

	/* ranges and conditionals are answered from memory too */
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", "Range", "bytes=3-7", &r), 206);
	ASSERT_EQ_INT(r.body_len, 5);
	assert_pattern(r.body, 3, 5);
	ASSERT_STR(resp_field(&r, "Content-Range"), "bytes 3-7/1000");
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", "If-None-Match", ETAG, &r), 304);

	fill_file(path, 'Z', SIZE, MTIME);	/* same size, same mtime */
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_pattern(r.body, 0, SIZE);
	cache_stats(cl, st);
	ASSERT_EQ_INT(st[3], 1);

	fill_file(path, 'Z', SIZE, MTIME + 1);	/* a new mtime */
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_all(&r, 'Z', SIZE);
	ASSERT_STR(resp_field(&r, "ETag"), "\"6553f101-3e8\"");

	fill_file(path, 'Y', 10, MTIME + 1);	/* a new size */
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_all(&r, 'Y', 10);

	/* a new inode, of the same size and mtime */
	snprintf(tmp, sizeof(tmp), "%s/new", harness_tmpdir());
	fill_file(tmp, 'X', 10, MTIME + 1);
	ASSERT_EQ_INT(rename(tmp, path), 0);
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_all(&r, 'X', 10);
	cache_stats(cl, st);
	ASSERT_EQ_INT(st[0], 1);
	ASSERT_EQ_INT(st[3], 4);

	/* gone: nothing answered, the handler's 404 */
	ASSERT_EQ_INT(unlink(path), 0);
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 404);
	ASSERT_EQ_INT(cache_get(cl, "/cached/.", NULL, NULL, &r), 404);	/* a directory */
	ASSERT_EQ_INT(ktcp_http_client_connections(cl), 1);
	ktcp_http_client_free(cl);
}

/*
 * With a validity window (a minute here) a file checked within it is
 * answered from memory without a stat(): changed, then removed, it is
 * still answered as it was read, where the cache without a window
 * (the same server's /cached/) sees each change at once.
 */
TEST(file_cache_trusts_a_checked_file_within_its_window)
{
	struct ktcp_http_client *cl = cache_client();
	struct ktcp_http_client_response r;
	char path[512];
	int fd = make_file("t", SIZE, path, sizeof(path));

	close(fd);
	ASSERT_EQ_INT(cache_get(cl, "/trusted/t", NULL, NULL, &r), 200);
	assert_pattern(r.body, 0, SIZE);

	fill_file(path, 'Z', 10, MTIME + 1);	/* a new size and mtime */
	ASSERT_EQ_INT(cache_get(cl, "/trusted/t", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(r.body_len, SIZE);
	assert_pattern(r.body, 0, SIZE);
	ASSERT_EQ_INT(cache_get(cl, "/cached/t", NULL, NULL, &r), 200);
	assert_all(&r, 'Z', 10);

	ASSERT_EQ_INT(unlink(path), 0);
	ASSERT_EQ_INT(cache_get(cl, "/trusted/t", NULL, NULL, &r), 200);
	assert_pattern(r.body, 0, SIZE);
	ASSERT_EQ_INT(cache_get(cl, "/cached/t", NULL, NULL, &r), 404);
	/* never read, so never trusted: a stat() says it is not there */
	ASSERT_EQ_INT(cache_get(cl, "/trusted/none", NULL, NULL, &r), 404);
	ktcp_http_client_free(cl);
}

/*
 * At most CACHE_MAX bytes: of three 1000-byte files only the two most
 * recently used stay; a file over the size limit is never kept, and
 * goes out whole with sendfile().
 */
TEST(file_cache_is_bounded_and_drops_the_least_recently_used)
{
	struct ktcp_http_client *cl = cache_client();
	struct ktcp_http_client_response r;
	unsigned long long st[4];
	char path[512];

	fill_file((snprintf(path, sizeof(path), "%s/a", harness_tmpdir()), path),
		  'a', SIZE, MTIME);
	fill_file((snprintf(path, sizeof(path), "%s/b", harness_tmpdir()), path),
		  'b', SIZE, MTIME);
	fill_file((snprintf(path, sizeof(path), "%s/c", harness_tmpdir()), path),
		  'c', SIZE, MTIME);
	close(make_file("big", 3000, path, sizeof(path)));
	ASSERT_EQ_INT(cache_get(cl, "/cached/a", NULL, NULL, &r), 200);
	assert_all(&r, 'a', SIZE);
	ASSERT_EQ_INT(cache_get(cl, "/cached/b", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(cache_get(cl, "/cached/a", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	assert_all(&r, 'c', SIZE);
	cache_stats(cl, st);
	ASSERT_EQ_INT(st[0], 2);
	ASSERT_TRUE(st[1] <= CACHE_MAX);
	ASSERT_EQ_INT(st[2], 1);
	ASSERT_EQ_INT(st[3], 3);
	/* a and c stayed, b went */
	ASSERT_EQ_INT(cache_get(cl, "/cached/a", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(cache_get(cl, "/cached/c", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(cache_get(cl, "/cached/b", NULL, NULL, &r), 200);
	assert_all(&r, 'b', SIZE);
	cache_stats(cl, st);
	ASSERT_EQ_INT(st[2], 3);
	ASSERT_EQ_INT(st[3], 4);

	ASSERT_EQ_INT(cache_get(cl, "/cached/big", NULL, NULL, &r), 200);
	ASSERT_EQ_INT(r.body_len, 3000);
	assert_pattern(r.body, 0, 3000);
	ASSERT_EQ_INT(cache_get(cl, "/cached/big", "Range", "bytes=2990-", &r),
		      206);
	assert_pattern(r.body, 2990, 10);
	cache_stats(cl, st);
	ASSERT_EQ_INT(st[0], 2);
	ASSERT_EQ_INT(st[3], 6);
	ktcp_http_client_free(cl);
}

/* ---- the client's ranged GET ---- */

static struct ktcp_http_client *range_client(int port)
{
	struct ktcp_http_client_config cfg = { .connect = dial, .host = "x" };
	struct ktcp_http_client *cl;

	dial_port = port;
	cl = ktcp_http_client_new(&cfg);
	ASSERT_TRUE(cl);
	return cl;
}

TEST(client_resumes_a_download)
{
	struct ktcp_http_client *cl = range_client(start_server(SIZE));
	struct ktcp_range_spec from = { 600, KTCP_RANGE_END, 0 };
	struct ktcp_http_header if_range = {
		"If-Range", 8, ETAG, strlen(ETAG),
	};
	struct ktcp_http_client_response r;
	struct ktcp_http_client_ranges got;

	ASSERT_EQ_INT(ktcp_http_client_get_ranges(cl, "/file", &if_range, 1, &from, 1,
						  &r, &got), 0);
	ASSERT_EQ_INT(r.status, 206);
	ASSERT_EQ_INT(got.num_parts, 1);
	ASSERT_EQ_INT(got.complete_length, SIZE);
	ASSERT_TRUE(got.parts[0].range.first == 600 && got.parts[0].range.last == 999);
	ASSERT_TRUE(got.parts[0].data == r.body);
	assert_pattern(got.parts[0].data, 600, 400);
	/* the file changed: If-Range fails and the whole comes with 200 */
	if_range.value = "\"changed\"";
	if_range.value_len = 9;
	ASSERT_EQ_INT(ktcp_http_client_get_ranges(cl, "/file", &if_range, 1, &from, 1,
						  &r, &got), 0);
	ASSERT_EQ_INT(r.status, 200);
	ASSERT_EQ_INT(got.num_parts, 0);
	ASSERT_EQ_INT(got.complete_length, SIZE);
	/* already complete: 416 says how long the whole is */
	from.first = SIZE;
	ASSERT_EQ_INT(ktcp_http_client_get_ranges(cl, "/file", NULL, 0, &from, 1,
						  &r, &got), 0);
	ASSERT_EQ_INT(r.status, 416);
	ASSERT_EQ_INT(got.complete_length, SIZE);
	ASSERT_EQ_INT(ktcp_http_client_connections(cl), 1);
	ktcp_http_client_free(cl);
}

TEST(client_gets_several_ranges)
{
	struct ktcp_http_client *cl = range_client(start_server(SIZE));
	struct ktcp_range_spec specs[4] = {
		{ 0, 9, 0 }, { 0, 20, 1 }, { 100, 199, 0 }, { 150, 250, 0 },
	};
	struct ktcp_http_client_response r;
	struct ktcp_http_client_ranges got;

	ASSERT_EQ_INT(ktcp_http_client_get_ranges(cl, "/buf", NULL, 0, specs, 4, &r,
						  &got), 0);
	ASSERT_EQ_INT(r.status, 206);
	/* the server coalesced the last two */
	ASSERT_EQ_INT(got.num_parts, 3);
	ASSERT_TRUE(got.parts[2].range.first == 100 && got.parts[2].range.last == 250);
	assert_pattern(got.parts[0].data, 0, 10);
	assert_pattern(got.parts[1].data, 980, 20);
	assert_pattern(got.parts[2].data, 100, 151);
	ASSERT_EQ_INT(ktcp_http_client_get_ranges(cl, "/buf", NULL, 0, specs, 0, &r,
						  &got), -EINVAL);
	ktcp_http_client_free(cl);
}

/* A server that answers every request on its connections with @canned. */
static int canned_server(const char *canned)
{
	int lfd = ktcp_addr_listen("inet", "127.0.0.1", 0, 16, SOCK_CLOEXEC);
	int port = ktcp_addr_port(lfd);

	fflush(stdout);
	fflush(stderr);
	server_pid = fork();
	ASSERT_GE_INT(server_pid, 0);
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			int fd = accept(lfd, NULL, NULL);
			char buf[4096];
			size_t len = 0;

			while (fd >= 0) {
				ssize_t n = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
				char *end;

				if (n <= 0)
					break;
				len += (size_t)n;
				buf[len] = '\0';
				while ((end = strstr(buf, "\r\n\r\n"))) {
					if (send(fd, canned, strlen(canned), MSG_NOSIGNAL) < 0)
						break;
					len -= (size_t)(end + 4 - buf);
					memmove(buf, end + 4, len + 1);
				}
			}
			if (fd >= 0)
				close(fd);
		}
	}
	close(lfd);
	atexit(kill_server);
	return port;
}

/* A ranged GET answered by a 206 with @fields and @body. */
static int canned_get(const char *fields, const char *body,
		      const struct ktcp_range_spec *specs, size_t n,
		      struct ktcp_http_client_ranges *got)
{
	static char canned[4096];
	/* kept until the next call: @got points into its response */
	static struct ktcp_http_client *cl;
	struct ktcp_http_client_response r;
	int err;

	ktcp_http_client_free(cl);
	snprintf(canned, sizeof(canned), "HTTP/1.1 206 Partial Content\r\n%s"
		 "Content-Length: %zu\r\n\r\n%s", fields, strlen(body), body);
	cl = range_client(canned_server(canned));
	err = ktcp_http_client_get_ranges(cl, "/", NULL, 0, specs, n, &r, got);

	kill_server();
	return err;
}

TEST(client_refuses_a_206_that_does_not_answer_the_range)
{
	static const char mp[] = "Content-Type: multipart/byteranges; boundary=X\r\n";
	struct ktcp_range_spec from5 = { 5, KTCP_RANGE_END, 0 };
	struct ktcp_range_spec two[2] = { { 0, 1, 0 }, { 4, 5, 0 } };
	struct ktcp_range_spec last3 = { 0, 3, 1 };
	struct ktcp_http_client_ranges got;

	/* right: the rest from 5 of 10 bytes */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 5-9/10\r\n", "56789",
				 &from5, 1, &got), 0);
	ASSERT_TRUE(got.num_parts == 1 && !memcmp(got.parts[0].data, "56789", 5));
	ASSERT_EQ_INT(got.complete_length, 10);
	/* starts elsewhere */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 0-4/10\r\n", "01234",
				 &from5, 1, &got), -EPROTO);
	ASSERT_EQ_INT(got.num_parts, 0);
	/* stops short of the end */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 5-8/10\r\n", "5678",
				 &from5, 1, &got), -EPROTO);
	/* a body of another length than its Content-Range */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 5-9/10\r\n", "5678",
				 &from5, 1, &got), -EPROTO);
	/* no Content-Range, a malformed one, two of them */
	ASSERT_EQ_INT(canned_get("", "56789", &from5, 1, &got), -EPROTO);
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 5-9\r\n", "56789",
				 &from5, 1, &got), -EPROTO);
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 5-9/10\r\n"
				 "Content-Range: bytes 5-9/10\r\n", "56789",
				 &from5, 1, &got), -EPROTO);
	/* a suffix resolved against the length the server gives */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 7-9/10\r\n", "789",
				 &last3, 1, &got), 0);
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 6-9/10\r\n", "6789",
				 &last3, 1, &got), -EPROTO);
	/* an unknown length: an open range may end anywhere */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 5-6/*\r\n", "56",
				 &from5, 1, &got), 0);
	ASSERT_EQ_INT(got.complete_length, UINT64_MAX);
	/* coalesced with the gap between: allowed */
	ASSERT_EQ_INT(canned_get("Content-Range: bytes 0-5/10\r\n", "012345",
				 two, 2, &got), 0);
	/* multipart: both parts; one missing; one not asked for; lengths */
	ASSERT_EQ_INT(canned_get(mp, "--X\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n"
				 "--X\r\nContent-Range: bytes 4-5/10\r\n\r\n45\r\n--X--",
				 two, 2, &got), 0);
	ASSERT_EQ_INT(got.num_parts, 2);
	ASSERT_TRUE(!memcmp(got.parts[1].data, "45", 2));
	ASSERT_EQ_INT(canned_get(mp, "--X\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n--X--",
				 two, 2, &got), -EPROTO);
	ASSERT_EQ_INT(canned_get(mp, "--X\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n"
				 "--X\r\nContent-Range: bytes 7-8/10\r\n\r\n78\r\n--X--",
				 two, 2, &got), -EPROTO);
	ASSERT_EQ_INT(canned_get(mp, "--X\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n"
				 "--X\r\nContent-Range: bytes 4-5/11\r\n\r\n45\r\n--X--",
				 two, 2, &got), -EPROTO);
	/* a multipart body that does not parse */
	ASSERT_EQ_INT(canned_get(mp, "--X\r\nContent-Range: bytes 0-1/10\r\n\r\n01",
				 two, 2, &got), -EPROTO);
}
