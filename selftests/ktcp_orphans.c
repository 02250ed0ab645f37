// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_orphans - ktcp connections left in the states unload and
 * namespace exit must end, for module_cycle.sh.
 *
 *   ktcp_orphans states PORT
 *   ktcp_orphans fill ADDR PORT N
 *
 * states: on 127.0.0.1, closes ktcp connections so that one is left in
 * each of TIME_WAIT (ktcp closed first, then its ktcp peer), FIN_WAIT_2
 * (ktcp closed; its native peer acknowledged and stays open) and
 * LAST_ACK (the native peer closed first, then ktcp; an nft rule drops
 * the peer's ACK of ktcp's FIN), on PORT, PORT + 1 and PORT + 2.  The
 * native ends are AF_INET sockets, which do not hold ktcp.  Prints
 * "ready" once /proc/net/ktcp shows the three states, then holds the
 * native ends until stdin reaches end of file.
 *
 * fill: N ktcp connections to ADDR:PORT (a receiver that never reads,
 * "ktcp_hold sink"), each written to until its send buffer is full;
 * prints "ready", then waits until stdin reaches end of file or a
 * signal ends it.  Killed, it leaves N orphans in FIN_WAIT_1 with data
 * queued behind a zero window, which the peer's answers to the probes
 * keep for minutes: memory the proto counts.
 *
 * Errors: "error STEP: MESSAGE" and exit 1; usage errors exit 2.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_selftest.h"

#define TCP_FIN_WAIT2	0x05
#define TCP_TIME_WAIT	0x06
#define TCP_LAST_ACK	0x09

static void die(const char *step)
{
	printf("error %s: %s\n", step, strerror(errno));
	exit(1);
}

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return sin;
}

static int listener(int family, unsigned short port)
{
	struct sockaddr_in sin = loopback(port);
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	if (listen(fd, 16))
		die("listen");
	return fd;
}

static int connected(int family, unsigned short port)
{
	struct sockaddr_in sin = loopback(port);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	return fd;
}

static int accepted(int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	return fd;
}

/* Is there a ktcp socket in @state with local or remote port @port? */
static bool has_state(unsigned short port, unsigned int state)
{
	unsigned int lport, rport, st;
	FILE *f = fopen("/proc/net/ktcp", "r");
	char line[512];
	bool found = false;

	if (!f)
		die("/proc/net/ktcp");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x", &lport, &rport,
			   &st) == 3 &&
		    (lport == port || rport == port) && st == state)
			found = true;
	fclose(f);
	return found;
}

static void wait_eof(void)
{
	char c;

	while (read(0, &c, 1) > 0)
		;
}

static int states(int ktcp, unsigned short port)
{
	int lfd, cfd, sfd, nfd, peer, i;
	char cmd[512], c;

	/* TIME_WAIT: a ktcp pair, the client closes first. */
	lfd = listener(ktcp, port);
	cfd = connected(ktcp, port);
	sfd = accepted(lfd);
	close(cfd);
	msleep(200);
	close(sfd);
	close(lfd);

	/* FIN_WAIT_2: a ktcp client of a native server that stays open. */
	nfd = listener(AF_INET, port + 1);
	cfd = connected(ktcp, port + 1);
	peer = accepted(nfd);
	close(cfd);

	/*
	 * LAST_ACK: a ktcp server whose native client closed first; then
	 * the client's ACK of ktcp's FIN is dropped.
	 */
	lfd = listener(ktcp, port + 2);
	cfd = connected(AF_INET, port + 2);
	sfd = accepted(lfd);
	close(lfd);
	shutdown(cfd, SHUT_WR);
	if (read(sfd, &c, 1) != 0)
		die("the native client's FIN");
	snprintf(cmd, sizeof(cmd),
		 "nft 'add table inet ktcp_orphans; "
		 "add chain inet ktcp_orphans in { type filter hook input priority 0; }; "
		 "add rule inet ktcp_orphans in tcp dport %u tcp flags == ack drop'",
		 port + 2);
	if (system(cmd))
		die("nft");
	close(sfd);

	for (i = 0; i < 300; i++) {
		if (has_state(port, TCP_TIME_WAIT) &&
		    has_state(port + 1, TCP_FIN_WAIT2) &&
		    has_state(port + 2, TCP_LAST_ACK))
			break;
		msleep(100);
	}
	if (i == 300) {
		errno = ETIMEDOUT;
		die("TIME_WAIT, FIN_WAIT_2 and LAST_ACK in /proc/net/ktcp");
	}
	printf("ready\n");
	fflush(stdout);
	wait_eof();
	if (system("nft delete table inet ktcp_orphans"))
		die("nft delete");
	close(peer);
	close(nfd);
	close(cfd);
	return 0;
}

static int fill(int ktcp, const char *addr, unsigned short port, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	static char data[64 << 10];
	int i, fd;

	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		die("address");
	}
	for (i = 0; i < n; i++) {
		fd = socket(ktcp, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
		    errno != EINPROGRESS)
			die("connect");
		if (poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1,
			 30000) != 1) {
			errno = ETIMEDOUT;
			die("connect");
		}
		/* Until the peer's window and our buffer are full. */
		for (int idle = 0; idle < 50; ) {
			if (send(fd, data, sizeof(data), 0) > 0) {
				idle = 0;
				continue;
			}
			if (errno != EAGAIN && errno != ENOTCONN)
				die("send");
			idle++;
			msleep(20);
		}
	}
	printf("ready\n");
	fflush(stdout);
	wait_eof();
	return 0;
}

int main(int argc, char **argv)
{
	int ktcp = ktcp_family();

	if (ktcp < 0) {
		errno = -ktcp;
		die("ktcp_family");
	}
	if (argc == 3 && !strcmp(argv[1], "states"))
		return states(ktcp, atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "fill"))
		return fill(ktcp, argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: ktcp_orphans states PORT | fill ADDR PORT N\n");
	return 2;
}
