// SPDX-License-Identifier: GPL-2.0
/*
 * WebSocket echo load: one connection keeps WINDOW messages of SIZE
 * bytes in flight against an echo server for SECS seconds and prints
 * "msgs/s N".  The same client measures every server, so the ratio of
 * two runs compares the servers.
 *
 *   ws_load PORT [SECS] [SIZE] [WINDOW]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ktcp/addr.h>
#include <ktcp/client.h>

static long got;

static void on_msg(struct ktcp_ws *ws, unsigned int op, const void *d,
		   size_t len, void *arg)
{
	(void)ws;
	(void)op;
	(void)d;
	(void)len;
	(void)arg;
	got++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct ktcp_ws_client_config cfg = { .host = "127.0.0.1", .path = "/" };
	struct ktcp_ws_callbacks cb = { .on_message = on_msg };
	int port = argc > 1 ? atoi(argv[1]) : 0, err, fd;
	double secs = argc > 2 ? atof(argv[2]) : 3;
	size_t size = argc > 3 ? strtoul(argv[3], NULL, 10) : 64;
	long window = argc > 4 ? atol(argv[4]) : 32, sent = 0;
	struct ktcp_ws_client *wc;
	char *msg = malloc(size + 1);
	double start, t;

	memset(msg, 'm', size);
	fd = ktcp_addr_connect("inet", "127.0.0.1", (unsigned short)port, 0);
	if (fd < 0) {
		fprintf(stderr, "connect: %s\n", strerror(-fd));
		return 1;
	}
	wc = ktcp_ws_client_connect(fd, &cfg, &cb, NULL, &err);
	if (!wc) {
		fprintf(stderr, "handshake: %s\n", strerror(-err));
		return 1;
	}
	start = now();
	do {
		while (sent - got < window) {
			if (ktcp_ws_send(ktcp_ws_client_ws(wc), KTCP_WS_TEXT, msg, size))
				return 1;
			sent++;
		}
		if (ktcp_ws_client_poll(wc, 5000) <= 0)
			return 1;
		t = now() - start;
	} while (t < secs);
	printf("msgs/s %.0f\n", (double)got / t);
	ktcp_ws_close(ktcp_ws_client_ws(wc), 1000, NULL, 0);
	ktcp_ws_client_free(wc);
	free(msg);
	return 0;
}
