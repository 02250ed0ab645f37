// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_hold - many connections held open, for memory.sh.
 *
 *   ktcp_hold sink ktcp|inet ADDR PORT N [--read]
 *   ktcp_hold close ktcp|inet ADDR PORT N
 *
 * sink listens on ADDR:PORT (backlog 4096), prints "ready", accepts
 * connections and holds them without reading (a receiver that never
 * reads) until stdin reaches end of file; it prints "accepted N" once N
 * came.  Then it closes them all and prints "closed K".  With --read
 * it reads every accepted connection to its end instead and checks the
 * bytes against the pattern ofo_flood.py sends (byte i is i % 251):
 * "read BYTES ok" or "read BYTES bad OFFSET".
 *
 * close connects N times to ADDR:PORT, prints "connected N", then
 * closes them all in order and prints "closed N": orphans for
 * net.ktcp.max_orphans, TIME_WAIT for net.ktcp.max_tw_buckets.
 *
 * Errors: "error STEP: MESSAGE" and exit 1; usage errors exit 2.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_selftest.h"

static void die(const char *what)
{
	printf("error %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: ktcp_hold sink|close ktcp|inet ADDR PORT N [--read]\n");
	exit(2);
}

static int open_socket(const char *family)
{
	const char *what = NULL;
	int fd = stream_socket_of(family, &what);

	if (fd == -2) {
		usage();
	}
	if (fd < 0)
		die(what);
	return fd;
}

/* Room for N descriptors and a few more. */
static void raise_nofile(long n)
{
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };
	struct rlimit old;

	if (getrlimit(RLIMIT_NOFILE, &old))
		die("getrlimit");
	if (old.rlim_cur >= rl.rlim_cur)
		return;
	if (old.rlim_max > rl.rlim_max)
		rl.rlim_max = old.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
}

/* Read @fd to its end; check the pattern.  Returns bytes read. */
static long read_all(int fd, long *bad)
{
	static unsigned char buf[65536];
	long done = 0;
	ssize_t n, i;

	*bad = -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (*bad < 0 && buf[i] != (done + i) % 251)
				*bad = done + i;
		done += n;
	}
	if (n < 0)
		die("read");
	return done;
}

static int do_sink(int lfd, long n, int do_read)
{
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	long got = 0, closed = 0, i;

	if (!fds)
		die("calloc");
	if (listen(lfd, 4096))
		die("listen");
	printf("ready\n");
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = lfd, .events = POLLIN },
		};

		if (poll(p, got < n ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				die("accept");
			if (do_read) {
				long bad, len = read_all(fd, &bad);

				if (bad < 0)
					printf("read %ld ok\n", len);
				else
					printf("read %ld bad %ld\n", len, bad);
			}
			fds[got++] = fd;
			if (got == n)
				printf("accepted %ld\n", got);
		}
	}
	for (i = 0; i < got; i++)
		closed += !close(fds[i]);
	printf("closed %ld\n", closed);
	free(fds);
	return 0;
}

static int do_close(const char *family, const struct sockaddr_in *sin,
		    long n)
{
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	long i, closed = 0;

	if (!fds)
		die("calloc");
	for (i = 0; i < n; i++) {
		fds[i] = open_socket(family);
		if (connect(fds[i], (const struct sockaddr *)sin, sizeof(*sin)))
			die("connect");
	}
	printf("connected %ld\n", n);
	for (i = 0; i < n; i++)
		closed += !close(fds[i]);
	printf("closed %ld\n", closed);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int do_read = 0, one = 1, fd;
	char *end;
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 6 || argc > 7)
		usage();
	if (argc == 7) {
		if (strcmp(argv[6], "--read"))
			usage();
		do_read = 1;
	}
	if (inet_pton(AF_INET, argv[3], &sin.sin_addr) != 1)
		usage();
	sin.sin_port = htons(atoi(argv[4]));
	n = strtol(argv[5], &end, 10);
	if (*end || n < 0 || n > 1000000)
		usage();
	raise_nofile(n);

	if (!strcmp(argv[1], "close"))
		return do_close(argv[2], &sin, n);
	if (strcmp(argv[1], "sink"))
		usage();
	fd = open_socket(argv[2]);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	return do_sink(fd, n, do_read);
}
