// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_xfer: one side of a byte-exact transfer, for the shell selftests
 * (transfer.sh).  The bytes are a deterministic pseudo-random stream,
 * so the receiver checks every byte as it arrives, whatever the path
 * (netem loss, reordering, duplication, corruption) did to segments.
 *
 *   ktcp_xfer send ktcp|inet ADDR PORT BYTES
 *   ktcp_xfer recv ktcp|inet ADDR PORT BYTES [--read-delay-ms N]
 *                  [--keepalive IDLE,INTVL,CNT [--keepalive-after FILE]]
 *                  [--ready FILE] [--accepted FILE]
 *
 * recv listens on ADDR:PORT, accepts one connection and reads until
 * EOF; it prints "ok BYTES HASH" if exactly BYTES bytes of the stream
 * came, else the first difference.  --keepalive sets SO_KEEPALIVE and
 * TCP_KEEP* on the accepted socket, reads until an error and prints
 * "error ERRNO-NAME"; with --keepalive-after it does so only once FILE
 * exists, so that a test can cut the link first and count every probe
 * that follows.  send connects, writes BYTES, shuts down the write
 * side, waits for the peer's EOF and prints "sent BYTES HASH".
 * --ready FILE is created once the listener listens, --accepted FILE
 * once accept() returned: a test that cuts the link must wait for the
 * latter, as the client's ESTABLISHED does not mean its final ACK
 * reached the listener yet.
 */

#define _GNU_SOURCE	/* strerrorname_np() */
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ktcp/socket.h>

#include "ktcp_selftest.h"

#define CHUNK	(256 * 1024)

/* Any seed does, as long as both ends start the stream from the same one. */
#define XFER_SEED	0x9e3779b97f4a7c15ULL

static void die(const char *what)
{
	printf("error %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_socket(const char *family)
{
	const char *what = NULL;
	int fd = stream_socket_of(family, &what);

	if (fd == -2) {
		fprintf(stderr, "family: ktcp or inet, not %s\n", family);
		exit(2);
	}
	if (fd < 0)
		die(what);
	return fd;
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return sin;
}

static void set_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		die(what);
}

/*
 * Bytes moved so far, for the line a run cut by timeout(1) leaves: a
 * stalled transfer then says where it stalled.
 */
static volatile unsigned long long xfer_progress;
static const char *xfer_phase = "connecting";

static void xfer_report_stop(int sig)
{
	char line[96], digits[24];
	unsigned long long v = xfer_progress;
	size_t n = 0, d = 0;
	const char *p;

	for (p = "stopped by signal while "; *p; p++)
		line[n++] = *p;
	for (p = xfer_phase; *p && n < 60; p++)
		line[n++] = *p;
	line[n++] = ' ';
	do {
		digits[d++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (d)
		line[n++] = digits[--d];
	line[n++] = '\n';
	/* Only async-signal-safe calls here. */
	if (write(STDOUT_FILENO, line, n) < 0)
		_exit(2);
	_exit(1);
	(void)sig;
}

static int do_send(int fd, unsigned long long bytes)
{
	static uint8_t buf[CHUNK];
	unsigned long long done = 0;
	uint64_t hash = FNV64_OFFSET;
	struct stream s;
	char c;

	stream_init(&s, XFER_SEED);
	while (done < bytes) {
		size_t n = bytes - done < CHUNK ? bytes - done : CHUNK, off;

		stream_fill(&s, buf, n);
		hash = fnv64(hash, buf, n);
		for (off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w < 0)
				die("write");
			off += w;
			xfer_progress = done + off;
		}
		done += n;
	}
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	xfer_phase = "waiting for the peer's EOF after";
	if (read(fd, &c, 1) != 0)
		die("waiting for the peer's EOF");
	printf("sent %llu %016llx\n", bytes, (unsigned long long)hash);
	return 0;
}

static int do_recv(int fd, unsigned long long bytes, int delay_ms)
{
	static uint8_t buf[CHUNK], want[CHUNK];
	unsigned long long done = 0;
	uint64_t hash = FNV64_OFFSET;
	struct timespec pause = { delay_ms / 1000,
				  (delay_ms % 1000) * 1000000L };
	struct stream s;

	stream_init(&s, XFER_SEED);
	for (;;) {
		ssize_t n = read(fd, buf, delay_ms ? 65536 : sizeof(buf));
		ssize_t i;

		if (n < 0)
			die("read");
		if (!n)
			break;
		stream_fill(&s, want, n);
		if (memcmp(buf, want, n)) {
			for (i = 0; buf[i] == want[i]; i++)
				;
			printf("mismatch at byte %llu\n", done + i);
			return 1;
		}
		hash = fnv64(hash, buf, n);
		done += n;
		xfer_progress = done;
		if (delay_ms)
			nanosleep(&pause, NULL);
	}
	if (done != bytes) {
		printf("short: %llu of %llu bytes\n", done, bytes);
		return 1;
	}
	printf("ok %llu %016llx\n", done, (unsigned long long)hash);
	return 0;
}

/* Wait for the error keepalive reports on a silent connection. */
static int do_keepalive(int fd, const char *spec, const char *after)
{
	const struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };
	int idle, intvl, cnt;
	char c;

	if (sscanf(spec, "%d,%d,%d", &idle, &intvl, &cnt) != 3) {
		fprintf(stderr, "--keepalive IDLE,INTVL,CNT\n");
		return 2;
	}
	while (after && access(after, F_OK))
		nanosleep(&tick, NULL);
	set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle, "TCP_KEEPIDLE");
	set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl, "TCP_KEEPINTVL");
	set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt, "TCP_KEEPCNT");
	if (read(fd, &c, 1) >= 0) {
		printf("no error: the connection still works\n");
		return 1;
	}
	printf("error %s\n", strerrorname_np(errno));
	return 0;
}

/* Tell the test script a step is done: FILE exists (if one was asked for). */
static void mark(const char *file)
{
	FILE *f;

	if (!file)
		return;
	f = fopen(file, "w");
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	const char *keepalive = NULL, *keepalive_after = NULL, *ready = NULL;
	const char *accepted = NULL;
	unsigned long long bytes;
	struct sockaddr_in sin;
	int delay_ms = 0, fd, i;

	if (argc < 6) {
		fprintf(stderr, "usage: %s send|recv ktcp|inet ADDR PORT BYTES [options]\n",
			argv[0]);
		return 2;
	}
	for (i = 6; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--read-delay-ms"))
			delay_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--keepalive"))
			keepalive = argv[i + 1];
		else if (!strcmp(argv[i], "--keepalive-after"))
			keepalive_after = argv[i + 1];
		else if (!strcmp(argv[i], "--ready"))
			ready = argv[i + 1];
		else if (!strcmp(argv[i], "--accepted"))
			accepted = argv[i + 1];
	}
	bytes = strtoull(argv[5], NULL, 0);
	signal(SIGTERM, xfer_report_stop);
	signal(SIGINT, xfer_report_stop);
	sin = addr_of(argv[3], argv[4]);
	fd = open_socket(argv[2]);

	if (!strcmp(argv[1], "send")) {
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			die("connect");
		xfer_phase = "sending, sent";
		return do_send(fd, bytes);
	}
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 1))
		die("bind/listen");
	mark(ready);
	xfer_phase = "accepting";
	i = accept(fd, NULL, NULL);
	if (i < 0)
		die("accept");
	close(fd);
	mark(accepted);
	if (keepalive)
		return do_keepalive(i, keepalive, keepalive_after);
	xfer_phase = "receiving, received";
	return do_recv(i, bytes, delay_ms);
}
