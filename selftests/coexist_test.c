// SPDX-License-Identifier: GPL-2.0
/*
 * coexist_test - ktcp never takes a native flow.
 *
 * Native's bind() cannot see ktcp's ports, so a native client may pick
 * a ktcp listener's port as its own source port.  The segments of that
 * native connection come to the port ktcp listens on, and they must go
 * to native TCP: ktcp takes a segment only if no native connection,
 * request or TIME_WAIT has its 4-tuple.  Here native's ephemeral range
 * is narrowed to 100 ports around ktcp listeners (IPv4 and IPv6), and
 * native clients make a thousand connections to a native server, each
 * moving bytes both ways; every one must complete byte-exact, some of
 * them from the ktcp listeners' ports (getsockname() says which), and
 * the ktcp listeners still serve ktcp clients afterwards.
 *
 * Runs in a network namespace of its own (unshare), on lo.  Needs root.
 * KTCP_SELFTEST_INET_ONLY=1 skips it.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define RANGE_LOW	40000
#define RANGE_HIGH	40099
#define KTCP_PORT	40050	/* inside native's range: even, as it prefers */
#define NATIVE_PORT	5001
#define CONNECTIONS	1000
#define CONNECTIONS_DEBUG	200	/* still each of the 100 ports twice */
#define MSG		256

FIXTURE(coexist) {
	int family;
	int ktcp4, ktcp6;	/* the ktcp listeners */
	int native4, native6;	/* the native server's */
};

static int listen_on(struct __test_metadata *_metadata, int family,
		     const char *ip, unsigned short port)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (strchr(ip, ':')) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		len = sizeof(*sin);
	}
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&ss, len))
		TH_LOG("bind %s port %u: %s", ip, port, strerror(errno));
	ASSERT_EQ(0, listen(fd, 64));
	return fd;
}

FIXTURE_SETUP(coexist)
{
	char range[32];

	if (inet_only())
		SKIP(return, "KTCP_SELFTEST_INET_ONLY set");
	self->family = ktcp_family_or_fail(_metadata);
	enter_private_netns(_metadata);
	snprintf(range, sizeof(range), "%d %d", RANGE_LOW, RANGE_HIGH);
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_local_port_range",
				range));
	self->ktcp4 = listen_on(_metadata, self->family, "127.0.0.1",
				KTCP_PORT);
	self->ktcp6 = listen_on(_metadata, self->family, "::1", KTCP_PORT);
	self->native4 = listen_on(_metadata, AF_INET, "127.0.0.1",
				  NATIVE_PORT);
	self->native6 = listen_on(_metadata, AF_INET6, "::1", NATIVE_PORT);
}

FIXTURE_TEARDOWN(coexist)
{
}

/*
 * One connection from a new @family client to @server_ip's native
 * server (@listener): MSG bytes there and back, the server closing
 * first.  Returns the client's source port, or 0 with *@why set.
 */
static unsigned short one_connection(int family, const char *server_ip,
				     int listener, unsigned int n,
				     const char **why)
{
	unsigned char out[MSG], in[MSG];
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct timeval tv = { .tv_sec = 5 };
	unsigned short port = 0;
	socklen_t len;
	int c, s = -1;
	size_t got;
	ssize_t r;

	memset(out, n & 0xff, sizeof(out));
	out[0] = n >> 8;
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(NATIVE_PORT);
		inet_pton(AF_INET6, server_ip, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(NATIVE_PORT);
		inet_pton(AF_INET, server_ip, &sin->sin_addr);
		len = sizeof(*sin);
	}
	c = socket(family, SOCK_STREAM, 0);
	if (c < 0) {
		*why = "socket";
		return 0;
	}
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c, (struct sockaddr *)&ss, len)) {
		*why = "connect";
		goto out;
	}
	len = sizeof(ss);
	getsockname(c, (struct sockaddr *)&ss, &len);
	s = accept(listener, NULL, NULL);
	if (s < 0) {
		*why = "accept";
		goto out;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send_all(c, out, sizeof(out))) {
		*why = "client send";
		goto out;
	}
	for (got = 0; got < sizeof(in); got += r) {
		r = recv(s, in + got, sizeof(in) - got, 0);
		if (r <= 0) {
			*why = "server recv";
			goto out;
		}
	}
	if (send_all(s, in, sizeof(in))) {
		*why = "server send";
		goto out;
	}
	close(s);
	s = -1;
	for (got = 0; got < sizeof(in); got += r) {
		r = recv(c, in + got, sizeof(in) - got, 0);
		if (r <= 0) {
			*why = "client recv";
			goto out;
		}
	}
	if (memcmp(in, out, sizeof(in))) {
		*why = "bytes differ";
		goto out;
	}
	if (recv(c, in, 1, 0) != 0) {
		*why = "no EOF";
		goto out;
	}
	port = ntohs(family == AF_INET6 ? sin6->sin6_port : sin->sin_port);
out:
	if (s >= 0)
		close(s);
	close(c);
	return port;
}

/* A ktcp client of the ktcp listener @listener at @ip: one exchange. */
static void ktcp_still_serves(struct __test_metadata *_metadata,
			      FIXTURE_DATA(coexist) *self, int listener,
			      const char *ip)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	char buf[4] = "ktcp", got[4];
	int c, s;

	if (strchr(ip, ':')) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(KTCP_PORT);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(KTCP_PORT);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		len = sizeof(*sin);
	}
	c = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&ss, len))
		TH_LOG("ktcp connect to %s: %s", ip, strerror(errno));
	s = accept(listener, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, send_all(c, buf, sizeof(buf)));
	ASSERT_EQ((ssize_t)sizeof(got), recv(s, got, sizeof(got), MSG_WAITALL));
	EXPECT_EQ(0, memcmp(buf, got, sizeof(got)));
	close(s);
	close(c);
}

/*
 * A thousand native connections (200 on the debug kernel), IPv4 and
 * IPv6, from the 100 ports around the ktcp listeners' port: all
 * complete, byte-exact.
 */
TEST_F_TIMEOUT(coexist, native_clients_on_a_ktcp_listeners_port, 600)
{
	unsigned int n, on_ktcp_port = 0;
	unsigned int conns = debug_kernel() ? CONNECTIONS_DEBUG : CONNECTIONS;
	const char *why = NULL;
	unsigned short port;

	for (n = 0; n < conns; n++) {
		bool v6 = n % 2;

		port = one_connection(v6 ? AF_INET6 : AF_INET,
				      v6 ? "::1" : "127.0.0.1",
				      v6 ? self->native6 : self->native4, n,
				      &why);
		ASSERT_NE(0, port)
			TH_LOG("native connection %u (IPv%d): %s: %s", n,
			       v6 ? 6 : 4, why, strerror(errno));
		on_ktcp_port += port == KTCP_PORT;
	}
	TH_LOG("%u of %u native connections came from ktcp's port %u",
	       on_ktcp_port, conns, KTCP_PORT);
	EXPECT_LE(1U, on_ktcp_port);
	ktcp_still_serves(_metadata, self, self->ktcp4, "127.0.0.1");
	ktcp_still_serves(_metadata, self, self->ktcp6, "::1");
}

TEST_HARNESS_MAIN
