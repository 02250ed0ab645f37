// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_bind_hold - bind ktcp sockets and keep them open, for the shell
 * selftests (netns.sh, module_cycle.sh).
 *
 *   ktcp_bind_hold [-f FAMILY] [-a ADDR] PORT...
 *
 * Opens one SOCK_STREAM socket of FAMILY (default: the loaded ktcp
 * module's, from ktcp_family()) per PORT and binds it to ADDR:PORT
 * (ADDR defaults to 127.0.0.1; PORT 0 asks for an ephemeral port).
 * Prints on stdout, one line each:
 *
 *   family FAMILY
 *   bound ADDR PORT INODE        per socket, PORT being the bound one
 *   ready                        all sockets bound
 *
 * and then holds the sockets until stdin reaches end of file or a
 * signal ends the process.  Run it with </dev/null for a bind that is
 * released at once.  On failure it prints
 *
 *   error STEP ERRNAME           e.g. "error bind EADDRINUSE"
 *
 * with STEP one of family, socket, bind, getsockname, and exits 1;
 * a usage error exits 2.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ktcp/socket.h>

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-f FAMILY] [-a ADDR] PORT...\n", prog);
	exit(2);
}

static void fail(const char *step, int err)
{
	const char *name = strerrorname_np(err);

	if (name)
		printf("error %s %s\n", step, name);
	else
		printf("error %s %d\n", step, err);
	fprintf(stderr, "ktcp_bind_hold: %s: %s\n", step, strerror(err));
	exit(1);
}

static int parse_num(const char *s, long max, const char *prog)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		usage(prog);
	return v;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	struct in_addr in;
	char buf[256];
	int family = -1;
	int opt, i;

	setvbuf(stdout, NULL, _IOLBF, 0);

	while ((opt = getopt(argc, argv, "f:a:")) != -1) {
		switch (opt) {
		case 'f':
			family = parse_num(optarg, 255, argv[0]);
			break;
		case 'a':
			addr = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind >= argc || inet_pton(AF_INET, addr, &in) != 1)
		usage(argv[0]);

	if (family < 0) {
		family = ktcp_family();
		if (family < 0)
			fail("family", -family);
	}
	printf("family %d\n", family);

	for (i = optind; i < argc; i++) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_addr = in,
			.sin_port = htons(parse_num(argv[i], 65535, argv[0])),
		};
		socklen_t len = sizeof(sin);
		struct stat st;
		int fd;

		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			fail("socket", errno);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
			fail("bind", errno);
		if (getsockname(fd, (struct sockaddr *)&sin, &len))
			fail("getsockname", errno);
		if (fstat(fd, &st))
			fail("fstat", errno);
		printf("bound %s %u %lu\n", addr, ntohs(sin.sin_port),
		       (unsigned long)st.st_ino);
	}
	printf("ready\n");

	/* Hold the sockets until stdin is closed. */
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	return 0;
}
