// SPDX-License-Identifier: GPL-2.0
/*
 * A ktcp echo server and client, the smallest real use of AF_KTCP.
 *
 *   echo server PORT [COUNT]   accept COUNT connections (default 1) on
 *                              0.0.0.0:PORT, echo what each sends, back
 *                              with "echo: " in front, until it closes
 *   echo client IP PORT TEXT   connect, send TEXT, half-close, print
 *                              everything that comes back
 *
 * Both sides only differ from AF_INET code in the socket() call.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ktcp/socket.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(err));
	return 1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

static int serve_one(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write_all(fd, "echo: ", 6) || write_all(fd, buf, n))
			return -errno;
	}
	return n < 0 ? -errno : 0;
}

static int server(unsigned short port, int count)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = ktcp_socket(SOCK_CLOEXEC), one = 1;

	if (fd < 0)
		return fail("ktcp_socket", -fd);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return fail("bind", errno);
	if (listen(fd, 16) < 0)
		return fail("listen", errno);
	printf("ktcp echo server listening on 0.0.0.0:%u\n", port);
	fflush(stdout);

	while (count--) {
		socklen_t len = sizeof(sin);
		char peer[INET_ADDRSTRLEN];
		int c = accept(fd, (struct sockaddr *)&sin, &len);
		int err;

		if (c < 0)
			return fail("accept", errno);
		printf("server: connection from %s:%u\n",
		       inet_ntop(AF_INET, &sin.sin_addr, peer, sizeof(peer)),
		       ntohs(sin.sin_port));
		fflush(stdout);
		err = serve_one(c);
		close(c);
		if (err)
			return fail("echo", -err);
		printf("server: connection closed by peer\n");
		fflush(stdout);
	}
	close(fd);
	return 0;
}

static int client(const char *ip, unsigned short port, const char *text)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = ktcp_socket(SOCK_CLOEXEC);
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return fail("ktcp_socket", -fd);
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return fail(ip, EINVAL);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return fail("connect", errno);
	if (write_all(fd, text, strlen(text)))
		return fail("write", errno);
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	if (n < 0)
		return fail("read", errno);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 1);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: %s server PORT [COUNT] | client IP PORT TEXT\n",
		argv[0]);
	return 2;
}
