// SPDX-License-Identifier: GPL-2.0
/*
 * Open two ktcp sockets, bind one to 127.0.0.1:8080 and one to an
 * ephemeral port, and show what the kernel reports for them: the
 * addresses from getsockname() and their rows in /proc/net/ktcp.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

static void print_proc(void)
{
	char line[256];
	FILE *f = fopen(KTCP_PROC_NET_PATH, "r");

	if (!f) {
		perror(KTCP_PROC_NET_PATH);
		return;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
}

static int bind_and_show(int fd, const char *ip, unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char buf[INET_ADDRSTRLEN];

	sin.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "bind %s:%u: %s\n", ip, port, strerror(errno));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		perror("getsockname");
		return -1;
	}
	printf("fd %d bound to %s:%u\n", fd,
	       inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf)),
	       ntohs(sin.sin_port));
	return 0;
}

int main(void)
{
	int family = ktcp_family();
	int a, b;

	if (family < 0) {
		fprintf(stderr, "ktcp not loaded: %s\n", strerror(-family));
		return 1;
	}
	printf("AF_KTCP is address family %d\n", family);

	a = ktcp_socket(SOCK_CLOEXEC);
	b = ktcp_socket(SOCK_CLOEXEC);
	if (a < 0 || b < 0) {
		fprintf(stderr, "ktcp_socket: %s\n", strerror(-(a < 0 ? a : b)));
		return 1;
	}
	if (bind_and_show(a, "127.0.0.1", 8080) || bind_and_show(b, "0.0.0.0", 0))
		return 1;

	printf("\n%s while both are open:\n", KTCP_PROC_NET_PATH);
	print_proc();
	close(a);
	close(b);
	printf("\n%s after close():\n", KTCP_PROC_NET_PATH);
	print_proc();
	return 0;
}
