// SPDX-License-Identifier: GPL-2.0
/*
 * ipv6_test - ktcp over IPv6, held against native TCP on AF_INET6.
 *
 * A ktcp socket has one family for both IP versions: it becomes IPv6
 * with its first bind() or connect() of a struct sockaddr_in6, and
 * from then on behaves as a native AF_INET6 socket.  Every fixture
 * with an "inet6" variant runs the very same code in all its variants:
 * "inet6" opens AF_INET6 sockets and documents what native TCP does,
 * the ktcp variants put the side under test on the family of the
 * loaded ktcp module (against native TCP on the other end, or ktcp on
 * both ends) and check that ktcp does the same.  Where a test needs an
 * IPv4-only socket (a 127.0.0.1 client of a dual-stack listener), the
 * inet6 variant opens AF_INET and the ktcp ones a ktcp socket that
 * binds or connects a struct sockaddr_in.
 *
 * The ktcp tests fail, rather than skip, when ktcp.ko is not loaded;
 * KTCP_SELFTEST_INET_ONLY=1 skips them instead.  All traffic is on ::1
 * and 127.0.0.1; listeners use free ports of 40000-44999.  Every
 * socket has a 5 s SO_RCVTIMEO and SO_SNDTIMEO, so nothing hangs.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define TEST_PORT_LOW		40000
#define TEST_PORT_HIGH		44999
#define PORT_TRIES		100
#define SOCK_TIMEOUT_MS		5000
#define POLL_MS			3000

#define PROC_NET_KTCP6_PATH	"/proc/net/ktcp6"
#define PROC_NET_KTCP_PATH	"/proc/net/ktcp"
#define TCP_STATE_LISTEN	0x0AU

/* A documentation address (RFC 3849): never local. */
#define FOREIGN6		"2001:db8::1"

static struct sockaddr_in6 sin6_of(const char *ip, uint16_t port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	if (inet_pton(AF_INET6, ip, &sin6.sin6_addr) != 1)
		abort();
	return sin6;
}

static int open_sock(struct __test_metadata *_metadata, struct socks *socks,
		     int family)
{
	return open_tracked_sock(_metadata, socks, family, 0, SOCK_TIMEOUT_MS);
}

/* bind() and connect() that return 0 or the errno. */
static int bind_err(int fd, const void *addr, socklen_t len)
{
	return bind(fd, (const struct sockaddr *)addr, len) ? errno : 0;
}

static int connect_err(int fd, const void *addr, socklen_t len)
{
	return connect(fd, (const struct sockaddr *)addr, len) ? errno : 0;
}

static int set_v6only(int fd, int on)
{
	return setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ?
	       errno : 0;
}

/*
 * Binds @fd to @sin6's address and a free port of the test range and
 * returns the port; EADDRINUSE moves on to the next port, any other
 * error fails the test.
 */
static uint16_t bind6_free_port(struct __test_metadata *_metadata, int fd,
				struct sockaddr_in6 sin6)
{
	int span = TEST_PORT_HIGH - TEST_PORT_LOW + 1;
	int start = (getpid() * 7919) % span;
	int i, err = 0;

	for (i = 0; i < PORT_TRIES; i++) {
		uint16_t port = TEST_PORT_LOW + (start + i) % span;

		sin6.sin6_port = htons(port);
		err = bind_err(fd, &sin6, sizeof(sin6));
		if (!err)
			return port;
		ASSERT_EQ(EADDRINUSE, err) {
			TH_LOG("bind(port %u): %s", port, strerror(err));
		}
	}
	ASSERT_EQ(0, err) TH_LOG("no free port among %d tried", i);
	return 0;
}

/* getsockname() or getpeername(): must be a struct sockaddr_in6. */
static struct sockaddr_in6 name6(struct __test_metadata *_metadata, int fd,
				 bool peer)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	int ret;

	memset(&sin6, 0xa5, sizeof(sin6));
	ret = peer ? getpeername(fd, (struct sockaddr *)&sin6, &len) :
		     getsockname(fd, (struct sockaddr *)&sin6, &len);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s", peer ? "getpeername" : "getsockname",
		       strerror(errno));
	}
	ASSERT_EQ(sizeof(struct sockaddr_in6), len);
	ASSERT_EQ(AF_INET6, sin6.sin6_family);
	return sin6;
}

/* @sin6 must be exactly @ip:@port (port 0: any port but 0). */
static void assert_addr6(struct __test_metadata *_metadata,
			 const struct sockaddr_in6 *sin6, const char *ip,
			 uint16_t port)
{
	struct in6_addr want;
	char got[INET6_ADDRSTRLEN];

	ASSERT_EQ(1, inet_pton(AF_INET6, ip, &want));
	inet_ntop(AF_INET6, &sin6->sin6_addr, got, sizeof(got));
	ASSERT_EQ(0, memcmp(&want, &sin6->sin6_addr, sizeof(want))) {
		TH_LOG("address %s, expected %s", got, ip);
	}
	if (port) {
		ASSERT_EQ(port, ntohs(sin6->sin6_port));
	} else {
		ASSERT_NE(0, ntohs(sin6->sin6_port));
	}
	ASSERT_EQ(0U, sin6->sin6_flowinfo);
	ASSERT_EQ(0U, sin6->sin6_scope_id);
}

static int v6only_of(struct __test_metadata *_metadata, int fd)
{
	socklen_t len = sizeof(int);
	int val = -1;

	ASSERT_EQ(0, getsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &val, &len)) {
		TH_LOG("getsockopt(IPV6_V6ONLY): %s", strerror(errno));
	}
	ASSERT_EQ(sizeof(int), len);
	return val;
}

/* Accepts within POLL_MS; returns the fd, tracked, or fails. */
static int accept_one(struct __test_metadata *_metadata, struct socks *socks,
		      int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	ASSERT_EQ(1, poll(&pfd, 1, POLL_MS)) TH_LOG("no connection to accept");
	fd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	return track_sock(_metadata, socks, fd, SOCK_TIMEOUT_MS);
}

/* @len bytes from @from arrive, the same, at @to. */
static void exchange(struct __test_metadata *_metadata, int from, int to,
		     const char *msg)
{
	size_t len = strlen(msg);
	char buf[64];

	ASSERT_GE(sizeof(buf), len);
	ASSERT_EQ((ssize_t)len, send_ret(from, msg, len, MSG_NOSIGNAL));
	/* Exactly @len: more would wait out SO_RCVTIMEO for bytes never sent. */
	ASSERT_EQ((ssize_t)len, recv_ret(to, buf, len, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, msg, len));
}

/* ---- bind, names, options: one socket ---------------------------- */

FIXTURE(bind6) {
	int family;
	struct socks socks;
};

KTCP_FAMILY_VARIANTS(bind6, inet6);

FIXTURE_SETUP(bind6)
{
	self->socks.n = 0;
	if (variant->ktcp && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->family = variant->ktcp ? ktcp_family_or_fail(_metadata) :
		       AF_INET6;
}

FIXTURE_TEARDOWN(bind6)
{
	close_socks(&self->socks);
}

/* Native: shorter than RFC 2133's sockaddr_in6 (24 bytes) is EINVAL. */
TEST_F(bind6, bind_short_sockaddr_in6_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 0);

	EXPECT_EQ(EINVAL, bind_err(fd, &sin6, 23));
	EXPECT_EQ(EINVAL, bind_err(fd, &sin6, sizeof(struct sockaddr_in)));
}

/* Native: RFC 2133's 24 bytes, without sin6_scope_id, are enough. */
TEST_F(bind6, bind_rfc2133_length_is_ok)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 0), got;

	ASSERT_EQ(0, bind_err(fd, &sin6, 24));
	got = name6(_metadata, fd, false);
	assert_addr6(_metadata, &got, "::1", 0);
}

/* Native: bind to [::1]:0 picks a port; getsockname says ::1 and it. */
TEST_F(bind6, bind_loopback_reports_sockaddr_in6)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 0), got;

	ASSERT_EQ(0, bind_err(fd, &sin6, sizeof(sin6)));
	got = name6(_metadata, fd, false);
	assert_addr6(_metadata, &got, "::1", 0);
	/* One IPv6 address takes no IPv4: IPV6_V6ONLY now reads 1. */
	EXPECT_EQ(1, v6only_of(_metadata, fd));
}

/* Native: [::]:port reads back as :: and the port. */
TEST_F(bind6, bind_any_reports_any)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port = bind6_free_port(_metadata, fd, sin6_of("::", 0));
	struct sockaddr_in6 got = name6(_metadata, fd, false);

	assert_addr6(_metadata, &got, "::", port);
}

/*
 * Native: an address no interface has is EADDRNOTAVAIL, and the socket
 * stays AF_INET6, unbound: its name is [::]:0.
 */
TEST_F(bind6, bind_foreign_address_is_eaddrnotavail)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of(FOREIGN6, 0), got;

	EXPECT_EQ(EADDRNOTAVAIL, bind_err(fd, &sin6, sizeof(sin6)));
	got = name6(_metadata, fd, false);
	EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&got.sin6_addr));
	EXPECT_EQ(0, got.sin6_port);
}

/* Native: a multicast address is EINVAL for a stream socket; AF_INET6 stays. */
TEST_F(bind6, bind_multicast_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("ff02::1", 0);

	EXPECT_EQ(EINVAL, bind_err(fd, &sin6, sizeof(sin6)));
	name6(_metadata, fd, false);
}

/* Native: a second bind() is EINVAL. */
TEST_F(bind6, bind_twice_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 0);

	ASSERT_EQ(0, bind_err(fd, &sin6, sizeof(sin6)));
	EXPECT_EQ(EINVAL, bind_err(fd, &sin6, sizeof(sin6)));
}

/* Native: two sockets on one [::1]:port is EADDRINUSE. */
TEST_F(bind6, bind_port_in_use_is_eaddrinuse)
{
	int a = open_sock(_metadata, &self->socks, self->family);
	int b = open_sock(_metadata, &self->socks, self->family);
	uint16_t port = bind6_free_port(_metadata, a, sin6_of("::1", 0));
	struct sockaddr_in6 sin6 = sin6_of("::1", port);

	EXPECT_EQ(EADDRINUSE, bind_err(b, &sin6, sizeof(sin6)));
}

/*
 * Native: [::]:port without IPV6_V6ONLY holds the IPv4 port too, so an
 * IPv4 bind to 0.0.0.0:port is EADDRINUSE; with IPV6_V6ONLY it is not.
 */
TEST_F(bind6, dual_stack_bind_holds_the_ipv4_port)
{
	int v4family = self->family == AF_INET6 ? AF_INET : self->family;
	int a = open_sock(_metadata, &self->socks, self->family);
	int b = open_sock(_metadata, &self->socks, v4family);
	int c = open_sock(_metadata, &self->socks, self->family);
	int d = open_sock(_metadata, &self->socks, v4family);
	uint16_t port = bind6_free_port(_metadata, a, sin6_of("::", 0));
	struct sockaddr_in sin = sin_of(AF_INET, "0.0.0.0", port);

	EXPECT_EQ(EADDRINUSE, bind_err(b, &sin, sizeof(sin)));

	ASSERT_EQ(0, set_v6only(c, 1));
	port = bind6_free_port(_metadata, c, sin6_of("::", 0));
	sin = sin_of(AF_INET, "0.0.0.0", port);
	EXPECT_EQ(0, bind_err(d, &sin, sizeof(sin)));
}

/* Native: IPV6_V6ONLY is 0 by default (bindv6only), and reads back. */
TEST_F(bind6, v6only_reads_back)
{
	int fd = open_sock(_metadata, &self->socks, self->family);

	EXPECT_EQ(0, v6only_of(_metadata, fd));
	ASSERT_EQ(0, set_v6only(fd, 1));
	EXPECT_EQ(1, v6only_of(_metadata, fd));
	ASSERT_EQ(0, set_v6only(fd, 0));
	EXPECT_EQ(0, v6only_of(_metadata, fd));
}

/* Native: IPV6_V6ONLY once the socket has a port is EINVAL. */
TEST_F(bind6, v6only_after_bind_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::", 0);
	int one = 1;

	ASSERT_EQ(0, bind_err(fd, &sin6, sizeof(sin6)));
	EXPECT_EQ(EINVAL, set_v6only(fd, 1));
	EXPECT_EQ(0, v6only_of(_metadata, fd));
	/* A short option is EINVAL too. */
	EXPECT_EQ(-1, setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, 2));
}

/* Native: a v4-mapped address on an IPV6_V6ONLY socket is EINVAL. */
TEST_F(bind6, bind_mapped_with_v6only_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::ffff:127.0.0.1", 0);

	ASSERT_EQ(0, set_v6only(fd, 1));
	EXPECT_EQ(EINVAL, bind_err(fd, &sin6, sizeof(sin6)));
}

/* Native: a v4-mapped bind reads back v4-mapped. */
TEST_F(bind6, bind_mapped_reports_mapped)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port = bind6_free_port(_metadata, fd,
					sin6_of("::ffff:127.0.0.1", 0));
	struct sockaddr_in6 got = name6(_metadata, fd, false);

	assert_addr6(_metadata, &got, "::ffff:127.0.0.1", port);
}

/* Native: getpeername() of a bound, unconnected socket is ENOTCONN. */
TEST_F(bind6, getpeername_unconnected_is_enotconn)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 0);
	socklen_t len = sizeof(sin6);

	ASSERT_EQ(0, bind_err(fd, &sin6, sizeof(sin6)));
	EXPECT_EQ(-1, getpeername(fd, (struct sockaddr *)&sin6, &len));
	EXPECT_EQ(ENOTCONN, errno);
}

/* Native: connect() with a short sockaddr_in6 is EINVAL. */
TEST_F(bind6, connect_short_sockaddr_in6_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 9);

	EXPECT_EQ(EINVAL, connect_err(fd, &sin6, 23));
}

/*
 * Native: an AF_INET6 socket takes no struct sockaddr_in: bound to
 * IPv6, connect() with one is EINVAL (too short for a sockaddr_in6),
 * and AF_INET in a sockaddr_in6-sized buffer EAFNOSUPPORT.
 */
TEST_F(bind6, connect_sockaddr_in_after_ipv6_bind_is_refused)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("::1", 0);
	struct sockaddr_in6 big;
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", 9);

	ASSERT_EQ(0, bind_err(fd, &sin6, sizeof(sin6)));
	EXPECT_EQ(EINVAL, connect_err(fd, &sin, sizeof(sin)));
	memset(&big, 0, sizeof(big));
	memcpy(&big, &sin, sizeof(sin));
	EXPECT_EQ(EAFNOSUPPORT, connect_err(fd, &big, sizeof(big)));
}

/* Native: connect() to a closed port of ::1 is ECONNREFUSED. */
TEST_F_TIMEOUT(bind6, connect_closed_port_is_econnrefused, 20)
{
	int holder = open_sock(_metadata, &self->socks, AF_INET6);
	int fd = open_sock(_metadata, &self->socks, self->family);
	/* A port no one listens on: held, unlistened, by a native socket. */
	uint16_t port = bind6_free_port(_metadata, holder, sin6_of("::1", 0));
	struct sockaddr_in6 sin6 = sin6_of("::1", port);

	EXPECT_EQ(ECONNREFUSED, connect_err(fd, &sin6, sizeof(sin6)));
	/* The socket stays AF_INET6: its name is a struct sockaddr_in6. */
	name6(_metadata, fd, false);
}

/*
 * Native: a multicast destination is ENETUNREACH.  The socket stays
 * AF_INET6, so a struct sockaddr_in is then too short (EINVAL).
 */
TEST_F(bind6, connect_multicast_is_enetunreach)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in6 sin6 = sin6_of("ff02::1", 9);
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", 9);

	EXPECT_EQ(ENETUNREACH, connect_err(fd, &sin6, sizeof(sin6)));
	name6(_metadata, fd, false);
	EXPECT_EQ(EINVAL, connect_err(fd, &sin, sizeof(sin)));
}

/* ---- connections over ::1, and dual stack ------------------------ */

FIXTURE(conn6) {
	int server_family;
	int client_family;
	struct socks socks;
};

KTCP_PAIR_VARIANTS(conn6, inet6);

FIXTURE_SETUP(conn6)
{
	self->socks.n = 0;
	if ((variant->ktcp_server || variant->ktcp_client) && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->server_family = variant->ktcp_server ?
			      ktcp_family_or_fail(_metadata) : AF_INET6;
	self->client_family = variant->ktcp_client ?
			      ktcp_family_or_fail(_metadata) : AF_INET6;
}

FIXTURE_TEARDOWN(conn6)
{
	close_socks(&self->socks);
}

/* The IPv4 socket of a family: AF_INET for native, ktcp stays ktcp. */
static int v4_family(int family)
{
	return family == AF_INET6 ? AF_INET : family;
}

/* A listener on @ip of the test range; returns its fd, *@port set. */
static int listener6(struct __test_metadata *_metadata, struct socks *socks,
		     int family, const char *ip, bool v6only, uint16_t *port)
{
	int fd = open_sock(_metadata, socks, family);

	if (v6only) {
		ASSERT_EQ(0, set_v6only(fd, 1));
	}
	*port = bind6_free_port(_metadata, fd, sin6_of(ip, 0));
	ASSERT_EQ(0, listen(fd, 8)) TH_LOG("listen: %s", strerror(errno));
	return fd;
}

/*
 * Native: a connection over ::1.  Both ends name themselves and each
 * other in struct sockaddr_in6, and bytes go both ways.
 */
TEST_F_TIMEOUT(conn6, loopback_exchange, 30)
{
	uint16_t port;
	int lfd = listener6(_metadata, &self->socks, self->server_family,
			    "::1", false, &port);
	int cfd = open_sock(_metadata, &self->socks, self->client_family);
	struct sockaddr_in6 dst = sin6_of("::1", port), cname, sname, speer;
	int sfd;
	char c;

	ASSERT_EQ(0, connect_err(cfd, &dst, sizeof(dst)));
	sfd = accept_one(_metadata, &self->socks, lfd);

	cname = name6(_metadata, cfd, false);
	assert_addr6(_metadata, &cname, "::1", 0);
	speer = name6(_metadata, sfd, true);
	assert_addr6(_metadata, &speer, "::1", ntohs(cname.sin6_port));
	sname = name6(_metadata, sfd, false);
	assert_addr6(_metadata, &sname, "::1", port);
	cname = name6(_metadata, cfd, true);
	assert_addr6(_metadata, &cname, "::1", port);

	exchange(_metadata, cfd, sfd, "hello over ipv6");
	exchange(_metadata, sfd, cfd, "and back");

	/* An orderly close reaches the other end as end of file. */
	ASSERT_EQ(0, shutdown(cfd, SHUT_WR));
	EXPECT_EQ(0, recv_ret(sfd, &c, 1, 0));
}

/* Native: bulk data over ::1 arrives whole (several full segments). */
TEST_F_TIMEOUT(conn6, loopback_bulk, 60)
{
	enum { LEN = 256 * 1024 };
	uint16_t port;
	int lfd = listener6(_metadata, &self->socks, self->server_family,
			    "::", false, &port);
	int cfd = open_sock(_metadata, &self->socks, self->client_family);
	struct sockaddr_in6 dst = sin6_of("::1", port);
	unsigned char *out = malloc(LEN), *in = malloc(LEN);
	struct stream st;
	int sfd;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	stream_init(&st, 6);
	stream_fill(&st, out, LEN);
	ASSERT_EQ(0, connect_err(cfd, &dst, sizeof(dst)));
	sfd = accept_one(_metadata, &self->socks, lfd);
	/* 256 KiB fits the socket buffers of both ends: no reader needed. */
	ASSERT_EQ(0, send_all(cfd, out, LEN));
	ASSERT_EQ(LEN, recv_ret(sfd, in, LEN, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(in, out, LEN));
	free(out);
	free(in);
}

/*
 * Native: a listener on :: without IPV6_V6ONLY accepts a 127.0.0.1
 * client, which it names ::ffff:127.0.0.1.
 */
TEST_F_TIMEOUT(conn6, dual_stack_accepts_ipv4_as_mapped, 30)
{
	uint16_t port;
	int lfd = listener6(_metadata, &self->socks, self->server_family,
			    "::", false, &port);
	int cfd = open_sock(_metadata, &self->socks,
			    v4_family(self->client_family));
	struct sockaddr_in dst = sin_of(AF_INET, "127.0.0.1", port), cname;
	struct sockaddr_in6 peer, sname, apeer;
	socklen_t len = sizeof(apeer);
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int sfd;

	ASSERT_EQ(0, connect_err(cfd, &dst, sizeof(dst)));
	ASSERT_EQ(1, poll(&pfd, 1, POLL_MS));
	sfd = accept(lfd, (struct sockaddr *)&apeer, &len);
	ASSERT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	track_sock(_metadata, &self->socks, sfd, SOCK_TIMEOUT_MS);
	ASSERT_EQ(sizeof(struct sockaddr_in6), len);
	ASSERT_EQ(AF_INET6, apeer.sin6_family);

	len = sizeof(cname);
	ASSERT_EQ(0, getsockname(cfd, (struct sockaddr *)&cname, &len));
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	ASSERT_EQ(AF_INET, cname.sin_family);

	assert_addr6(_metadata, &apeer, "::ffff:127.0.0.1",
		     ntohs(cname.sin_port));
	peer = name6(_metadata, sfd, true);
	assert_addr6(_metadata, &peer, "::ffff:127.0.0.1",
		     ntohs(cname.sin_port));
	sname = name6(_metadata, sfd, false);
	assert_addr6(_metadata, &sname, "::ffff:127.0.0.1", port);

	exchange(_metadata, cfd, sfd, "v4 into a v6 listener");
	exchange(_metadata, sfd, cfd, "and back");
}

/* Native: with IPV6_V6ONLY the same 127.0.0.1 client is refused. */
TEST_F_TIMEOUT(conn6, v6only_listener_refuses_ipv4, 30)
{
	uint16_t port;
	int lfd = listener6(_metadata, &self->socks, self->server_family,
			    "::", true, &port);
	int cfd = open_sock(_metadata, &self->socks,
			    v4_family(self->client_family));
	int c6 = open_sock(_metadata, &self->socks, self->client_family);
	struct sockaddr_in dst = sin_of(AF_INET, "127.0.0.1", port);
	struct sockaddr_in6 dst6 = sin6_of("::1", port);

	EXPECT_EQ(ECONNREFUSED, connect_err(cfd, &dst, sizeof(dst)));
	/* IPv6 clients still get in. */
	ASSERT_EQ(0, connect_err(c6, &dst6, sizeof(dst6)));
	accept_one(_metadata, &self->socks, lfd);
}

/*
 * Native: an AF_INET6 socket's connect() to ::ffff:127.0.0.1 goes out
 * over IPv4: an IPv4-only listener takes it, and both ends of the
 * AF_INET6 socket show v4-mapped.
 */
TEST_F_TIMEOUT(conn6, mapped_connect_goes_over_ipv4, 30)
{
	int lfd = open_sock(_metadata, &self->socks,
			    v4_family(self->server_family));
	int cfd = open_sock(_metadata, &self->socks, self->client_family);
	struct sockaddr_in lsin = sin_of(AF_INET, "127.0.0.1", 0), apeer;
	struct sockaddr_in6 dst, cname, cpeer;
	socklen_t len = sizeof(lsin);
	uint16_t port;
	int sfd;

	ASSERT_EQ(0, bind_err(lfd, &lsin, sizeof(lsin)));
	ASSERT_EQ(0, getsockname(lfd, (struct sockaddr *)&lsin, &len));
	port = ntohs(lsin.sin_port);
	ASSERT_EQ(0, listen(lfd, 8));

	dst = sin6_of("::ffff:127.0.0.1", port);
	ASSERT_EQ(0, connect_err(cfd, &dst, sizeof(dst)));
	sfd = accept_one(_metadata, &self->socks, lfd);

	cname = name6(_metadata, cfd, false);
	assert_addr6(_metadata, &cname, "::ffff:127.0.0.1", 0);
	cpeer = name6(_metadata, cfd, true);
	assert_addr6(_metadata, &cpeer, "::ffff:127.0.0.1", port);
	len = sizeof(apeer);
	ASSERT_EQ(0, getpeername(sfd, (struct sockaddr *)&apeer, &len));
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	ASSERT_EQ(AF_INET, apeer.sin_family);
	ASSERT_EQ(ntohs(cname.sin6_port), ntohs(apeer.sin_port));

	exchange(_metadata, cfd, sfd, "mapped");
	exchange(_metadata, sfd, cfd, "over ipv4");
}

/* Native: IPV6_V6ONLY refuses a v4-mapped connect() (ENETUNREACH). */
TEST_F(conn6, v6only_mapped_connect_is_enetunreach)
{
	int cfd = open_sock(_metadata, &self->socks, self->client_family);
	struct sockaddr_in6 dst = sin6_of("::ffff:127.0.0.1", 9);

	ASSERT_EQ(0, set_v6only(cfd, 1));
	EXPECT_EQ(ENETUNREACH, connect_err(cfd, &dst, sizeof(dst)));
}

/* ---- what only ktcp has ------------------------------------------ */

FIXTURE(ktcp6) {
	int family;
	struct socks socks;
};

FIXTURE_SETUP(ktcp6)
{
	self->socks.n = 0;
	if (inet_only())
		SKIP(return, "%s=1: ktcp test skipped", INET_ONLY_ENV);
	self->family = ktcp_family_or_fail(_metadata);
}

FIXTURE_TEARDOWN(ktcp6)
{
	close_socks(&self->socks);
}

/* Is there a line in @path with @local as local address and state @st? */
static bool proc_has(const char *path, const char *local, unsigned int st)
{
	char line[512], laddr[64], raddr[64];
	unsigned int state;
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %63s %63s %x", laddr, raddr,
			   &state) == 3 && !strcmp(laddr, local) &&
		    state == st)
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * /proc/net/ktcp6 lists an AF_INET6 listener in /proc/net/tcp6's
 * format (each address four raw 32-bit words), and /proc/net/ktcp
 * does not.
 */
TEST_F(ktcp6, proc_net_ktcp6_lists_ipv6_listener)
{
	uint16_t port;
	int fd = listener6(_metadata, &self->socks, self->family, "::1", false,
			   &port);
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;
	uint32_t w[4];
	char want[64];

	(void)fd;
	memcpy(w, &lo, sizeof(w));
	snprintf(want, sizeof(want), "%08X%08X%08X%08X:%04X", w[0], w[1],
		 w[2], w[3], port);
	EXPECT_TRUE(proc_has(PROC_NET_KTCP6_PATH, want, TCP_STATE_LISTEN)) {
		TH_LOG("no LISTEN line for %s in %s", want,
		       PROC_NET_KTCP6_PATH);
	}
	snprintf(want, sizeof(want), "00000000:%04X", port);
	EXPECT_FALSE(proc_has(PROC_NET_KTCP_PATH, want, TCP_STATE_LISTEN));
}

/*
 * A ktcp socket is IPv4 until an AF_INET6 address comes: before bind
 * its name is a struct sockaddr_in 0.0.0.0:0, and once bound with a
 * struct sockaddr_in, struct sockaddr_in6 addresses are EAFNOSUPPORT
 * to it, as to a native AF_INET socket.
 */
TEST_F(ktcp6, family_is_ipv4_until_an_ipv6_address)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", 0);
	struct sockaddr_in6 sin6 = sin6_of("::1", 9), name;
	socklen_t len = sizeof(name);

	memset(&name, 0xa5, sizeof(name));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&name, &len));
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	ASSERT_EQ(AF_INET, ((struct sockaddr_in *)&name)->sin_family);

	ASSERT_EQ(0, bind_err(fd, &sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, connect_err(fd, &sin6, sizeof(sin6)));
	/* IPV6_V6ONLY belongs to AF_INET6 sockets only. */
	EXPECT_EQ(ENOPROTOOPT, set_v6only(fd, 1));
}

TEST_HARNESS_MAIN
