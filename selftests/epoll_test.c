// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_test - epoll(7) on AF_KTCP against AF_INET: an edge-triggered
 * echo server with 1000 concurrent connections, level- against
 * edge-triggered reporting of data, EPOLLRDHUP, EPOLLHUP and EPOLLERR
 * with their SO_ERROR, EPOLLOUT once the send buffer drains, and
 * EPOLLEXCLUSIVE on a listener.
 *
 * The "epoll" fixture runs the very same code in its two variants; only
 * the family passed to socket() differs.  The event masks, event counts
 * and errnos the tests expect are what native TCP does: the "inet"
 * variant holds them to native TCP, the "ktcp" variant holds ktcp to
 * them.  Addresses are struct sockaddr_in with sin_family AF_INET for
 * both families.
 *
 * Every test runs in a network namespace of its own (unshare), on lo,
 * so needs root.  The ktcp variant fails, rather than skips, when
 * ktcp.ko is not loaded; KTCP_SELFTEST_INET_ONLY=1 skips it instead.
 * KTCP_DEBUG_KERNEL=1 (set by guest-tests.sh on the emulated KASAN
 * kernel) lowers the echo test's 1000 connections to 200.
 *
 * Nothing asserts on timing.  An event that must come is waited for 60
 * s at most (STALL_MS), so a stack that loses a wakeup fails the test
 * instead of hanging the run; that no event comes is checked by
 * waiting QUIET_MS, during which a correct stack has nothing to report.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <ktcp/socket.h>

#include "ktcp_harness.h"

/* An event that must come: fail after this long without it. */
#define STALL_MS		60000
/* An event that must not come: look for it this long. */
#define QUIET_MS		300
/* How often the bounded waits look again. */
#define POLL_STEP_MS		10

/* Harness timeouts (s): STALL_MS bounds each wait inside. */
#define CASE_TIMEOUT		300
#define ECHO_TIMEOUT		1200

/* The echo test: connections, and the sizes of their messages. */
#define ECHO_CONNS		1000
#define ECHO_CONNS_DEBUG	200
#define ECHO_BACKLOG		1024
#define MSG_MIN			2048
#define MSG_SPREAD		4096
#define MSG_MAX			(MSG_MIN + MSG_SPREAD)
#define SEED_ECHO		0x6b7463702d65706fULL
#define MAX_EVENTS		256

/* EPOLLEXCLUSIVE: epoll instances, one thread each, on one listener. */
#define EXCL_WAITERS		4

/* SO_SNDBUF and SO_RCVBUF of the EPOLLOUT test, so that it fills fast. */
#define SMALL_BUF		65536
#define FILL_CHUNK		16384
#define FILL_MAX		(64 << 20)

/* No one listens there in a new namespace. */
#define CLOSED_PORT		42199

#define ALL_IO			(EPOLLIN | EPOLLOUT | EPOLLRDHUP)

FIXTURE(epoll) {
	int family;
	struct socks socks;
};

KTCP_FAMILY_VARIANTS(epoll, inet);

FIXTURE_SETUP(epoll)
{
	self->socks.n = 0;
	self->family = AF_INET;
	if (variant->ktcp) {
		if (inet_only())
			SKIP(return, "KTCP_SELFTEST_INET_ONLY set");
		self->family = ktcp_family_or_fail(_metadata);
	}
	enter_private_netns(_metadata);
	/* The echo test leaves its clients in TIME_WAIT: not for a minute. */
	if (variant->ktcp)
		ASSERT_EQ(0, write_file("/proc/sys/net/ktcp/tw_timeout", "1"));
}

FIXTURE_TEARDOWN(epoll)
{
	close_socks(&self->socks);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* EPOLLIN|EPOLLOUT as "IN|OUT", for the logs. */
static const char *events_str(uint32_t events, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLRDNORM, "RDNORM" }, { EPOLLRDBAND, "RDBAND" },
		{ EPOLLWRNORM, "WRNORM" }, { EPOLLWRBAND, "WRBAND" },
		{ EPOLLMSG, "MSG" }, { EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" },
		{ EPOLLRDHUP, "RDHUP" },
	};
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(events & names[i].bit))
			continue;
		used += snprintf(buf + used, len - used, "%s%s",
				 used ? "|" : "", names[i].name);
		events &= ~names[i].bit;
		if (used >= len)
			return buf;
	}
	if (events)
		snprintf(buf + used, len - used, "%s0x%x", used ? "|" : "",
			 events);
	else if (!used)
		snprintf(buf, len, "none");
	return buf;
}

/*
 * One epoll_wait() on @ep for one event, bounded by @ms: the number of
 * events (0 or 1) or minus the errno, and the event's mask in @events.
 */
static int wait_event(int ep, int ms, uint32_t *events)
{
	struct epoll_event ev = { 0 };
	int n;

	do
		n = epoll_wait(ep, &ev, 1, ms);
	while (n < 0 && errno == EINTR);
	*events = n == 1 ? ev.events : 0;
	return n < 0 ? -errno : n;
}

/* One epoll_wait() on @ep within @ms reports exactly the mask @want. */
#define EXPECT_EVENT(ep, ms, want, what) do {				\
	char _b1[128], _b2[128];					\
	uint32_t _ev;							\
	int _n = wait_event(ep, ms, &_ev);				\
									\
	EXPECT_EQ(1, _n) TH_LOG("%s: epoll_wait returned %d, want 1 event %s", \
				what, _n, events_str(want, _b1, sizeof(_b1))); \
	EXPECT_EQ((uint32_t)(want), _ev)				\
		TH_LOG("%s: events %s, native gives %s", what,		\
		       events_str(_ev, _b2, sizeof(_b2)),		\
		       events_str(want, _b1, sizeof(_b1)));		\
} while (0)

/* An epoll_wait() on @ep of @ms reports nothing. */
#define EXPECT_NO_EVENT(ep, ms, what) do {				\
	char _b[128];							\
	uint32_t _ev;							\
	int _n = wait_event(ep, ms, &_ev);				\
									\
	EXPECT_EQ(0, _n) TH_LOG("%s: %d event(s) %s, native gives none", \
				what, _n, events_str(_ev, _b, sizeof(_b))); \
} while (0)

static int track(struct __test_metadata *_metadata, FIXTURE_DATA(epoll) *self,
		 int fd)
{
	ASSERT_LE(0, fd) TH_LOG("socket/accept/epoll_create: %s", strerror(errno));
	ASSERT_GT(MAX_SOCKS, self->socks.n) {
		close(fd);
	}
	self->socks.fd[self->socks.n++] = fd;
	return fd;
}

/* A new epoll instance watching @fd for @events. */
static int epoll_on(struct __test_metadata *_metadata,
		    FIXTURE_DATA(epoll) *self, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = track(_metadata, self, epoll_create1(EPOLL_CLOEXEC));

	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		TH_LOG("EPOLL_CTL_ADD: %s", strerror(errno));
	return ep;
}

static void set_nonblocking(struct __test_metadata *_metadata, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

static void set_buf(struct __test_metadata *_metadata, int fd, int opt, int len)
{
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, opt, &len, sizeof(len)))
		TH_LOG("SO_SNDBUF/SO_RCVBUF %d: %s", len, strerror(errno));
}

/* A listener on 127.0.0.1 at a port the stack picks, written to @addr. */
static int listener(struct __test_metadata *_metadata, int family, int flags,
		    int backlog, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd;

	*addr = sin_of(AF_INET, "127.0.0.1", 0);
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)addr, sizeof(*addr)))
		TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, backlog)) TH_LOG("listen: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)addr, &len));
	return fd;
}

/* A connection on lo, both ends non-blocking. */
struct pair {
	int lfd, c, s;
};

/*
 * Connects @p's client to its listener and accepts it.  @buf, unless 0,
 * is the client's SO_SNDBUF and the listener's (so the server's)
 * SO_RCVBUF, set before the handshake.
 */
static void open_pair(struct __test_metadata *_metadata,
		      FIXTURE_DATA(epoll) *self, struct pair *p, int buf)
{
	struct sockaddr_in addr;

	p->lfd = track(_metadata, self,
		       listener(_metadata, self->family, 0, 8, &addr));
	if (buf)
		set_buf(_metadata, p->lfd, SO_RCVBUF, buf);
	p->c = track(_metadata, self,
		     socket(self->family, SOCK_STREAM | SOCK_CLOEXEC, 0));
	set_sock_timeout(_metadata, p->c, SO_SNDTIMEO, STALL_MS);
	set_sock_timeout(_metadata, p->lfd, SO_RCVTIMEO, STALL_MS);
	if (buf)
		set_buf(_metadata, p->c, SO_SNDBUF, buf);
	ASSERT_EQ(0, connect(p->c, (struct sockaddr *)&addr, sizeof(addr)))
		TH_LOG("connect: %s", strerror(errno));
	p->s = track(_metadata, self, accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC));
	set_nonblocking(_metadata, p->c);
	set_nonblocking(_metadata, p->s);
}

static short poll_mask(int fd)
{
	struct pollfd p = {
		.fd = fd,
		.events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP,
	};

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* Waits, STALL_MS at most, until poll() on @fd reports all of @bits. */
static bool wait_mask(int fd, short bits)
{
	double end = now_ms() + STALL_MS;

	while ((poll_mask(fd) & bits) != bits) {
		if (now_ms() > end)
			return false;
		msleep(POLL_STEP_MS);
	}
	return true;
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	return ti.tcpi_state;
}

/* Waits, STALL_MS at most, until TCP_INFO says @fd is in @state. */
static bool wait_state(int fd, int state)
{
	double end = now_ms() + STALL_MS;

	while (tcp_state(fd) != state) {
		if (now_ms() > end)
			return false;
		msleep(POLL_STEP_MS);
	}
	return true;
}

/* Waits, STALL_MS at most, until the peer acknowledged all @fd sent. */
static bool wait_acked(int fd)
{
	double end = now_ms() + STALL_MS;
	int outq = -1;

	while (ioctl(fd, SIOCOUTQ, &outq) || outq) {
		if (now_ms() > end)
			return false;
		msleep(POLL_STEP_MS);
	}
	return true;
}

/* Receives exactly @len bytes from non-blocking @fd, STALL_MS at most. */
static ssize_t recv_exact(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&p, 1, STALL_MS) != 1)
			return -ETIMEDOUT;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n == 0)
			return got;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0)
			got += n;
	}
	return got;
}

/* Level-triggered: data not yet read is reported on every epoll_wait(). */
TEST_F_TIMEOUT(epoll, level_triggered_reports_pending_data_on_every_wait,
	       CASE_TIMEOUT)
{
	struct pair p;
	char buf[16];
	int ep;

	open_pair(_metadata, self, &p, 0);
	ep = epoll_on(_metadata, self, p.s, EPOLLIN | EPOLLRDHUP);
	EXPECT_NO_EVENT(ep, 0, "no data yet");

	ASSERT_EQ(10, send(p.c, "0123456789", 10, 0));
	EXPECT_EVENT(ep, STALL_MS, EPOLLIN, "data arrived");
	EXPECT_EVENT(ep, 0, EPOLLIN, "data still unread, second wait");
	EXPECT_EVENT(ep, 0, EPOLLIN, "data still unread, third wait");
	ASSERT_EQ(4, recv(p.s, buf, 4, 0));
	EXPECT_EVENT(ep, 0, EPOLLIN, "part of the data read");
	ASSERT_EQ(6, recv(p.s, buf, sizeof(buf), 0));
	EXPECT_EQ(-EAGAIN, recv_ret(p.s, buf, sizeof(buf), 0));
	EXPECT_NO_EVENT(ep, 0, "all data read");
}

/*
 * Edge-triggered: data is reported once when it arrives, not again
 * while it stays unread, and again only when more arrives.
 */
TEST_F_TIMEOUT(epoll, edge_triggered_reports_new_data_once, CASE_TIMEOUT)
{
	struct pair p;
	char buf[16];
	int ep;

	open_pair(_metadata, self, &p, 0);
	ep = epoll_on(_metadata, self, p.s, EPOLLIN | EPOLLRDHUP | EPOLLET);
	EXPECT_NO_EVENT(ep, 0, "no data yet");

	ASSERT_EQ(10, send(p.c, "0123456789", 10, 0));
	EXPECT_EVENT(ep, STALL_MS, EPOLLIN, "data arrived");
	EXPECT_NO_EVENT(ep, QUIET_MS, "the same data, unread");
	ASSERT_EQ(4, recv(p.s, buf, 4, 0));
	EXPECT_NO_EVENT(ep, QUIET_MS, "part of the data read");

	ASSERT_EQ(5, send(p.c, "abcde", 5, 0));
	EXPECT_EVENT(ep, STALL_MS, EPOLLIN, "more data arrived");
	EXPECT_NO_EVENT(ep, QUIET_MS, "the new data, unread");
	ASSERT_EQ(11, recv_exact(p.s, buf, 11));
	EXPECT_EQ(0, memcmp(buf, "456789abcde", 11));
	EXPECT_EQ(-EAGAIN, recv_ret(p.s, buf, sizeof(buf), 0));
	EXPECT_NO_EVENT(ep, 0, "all data read");
}

/*
 * A non-blocking connect() completes with one EPOLLOUT: native gives
 * EINPROGRESS even on lo, then EPOLLOUT alone and SO_ERROR 0.
 */
TEST_F_TIMEOUT(epoll, nonblocking_connect_reports_epollout_once, CASE_TIMEOUT)
{
	struct sockaddr_in addr;
	int c, ep;

	track(_metadata, self, listener(_metadata, self->family, 0, 8, &addr));
	c = track(_metadata, self, socket(self->family, SOCK_STREAM |
					  SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	ASSERT_EQ(-1, connect(c, (struct sockaddr *)&addr, sizeof(addr)));
	ASSERT_EQ(EINPROGRESS, errno) TH_LOG("connect: %s", strerror(errno));
	ep = epoll_on(_metadata, self, c, ALL_IO | EPOLLET);
	EXPECT_EVENT(ep, STALL_MS, EPOLLOUT, "the handshake completed");
	EXPECT_EQ(0, so_error(_metadata, c));
	EXPECT_NO_EVENT(ep, QUIET_MS, "connected, nothing new");
}

/*
 * EPOLLRDHUP when the peer shuts down its sending side: once under
 * edge-triggering, on every wait under level-triggering, still there
 * after reading to EOF; EPOLLHUP joins once both directions are shut.
 */
TEST_F_TIMEOUT(epoll, rdhup_on_peer_shutdown_wr, CASE_TIMEOUT)
{
	const uint32_t rdhup = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	const uint32_t hup = rdhup | EPOLLHUP;
	int et, lt, cet;
	struct pair p;
	char buf[16];

	open_pair(_metadata, self, &p, 0);
	et = epoll_on(_metadata, self, p.s, ALL_IO | EPOLLET);
	lt = epoll_on(_metadata, self, p.s, ALL_IO);
	EXPECT_EVENT(et, 0, EPOLLOUT, "the server end, connected");
	EXPECT_NO_EVENT(et, 0, "the server end, nothing new");
	EXPECT_EVENT(lt, 0, EPOLLOUT, "the server end, connected (LT)");

	ASSERT_EQ(3, send(p.c, "abc", 3, 0));
	ASSERT_EQ(0, shutdown(p.c, SHUT_WR));
	ASSERT_TRUE(wait_mask(p.s, POLLRDHUP)) TH_LOG("the FIN never arrived");
	EXPECT_EVENT(et, 0, rdhup, "data and the peer's FIN");
	EXPECT_NO_EVENT(et, QUIET_MS, "data and the peer's FIN, seen");
	EXPECT_EVENT(lt, 0, rdhup, "data and the peer's FIN (LT)");
	EXPECT_EVENT(lt, 0, rdhup, "data and the peer's FIN (LT), again");

	EXPECT_EQ(3, recv_ret(p.s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv_ret(p.s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv_ret(p.s, buf, sizeof(buf), 0));
	EXPECT_NO_EVENT(et, QUIET_MS, "read to EOF");
	EXPECT_EVENT(lt, 0, rdhup, "read to EOF (LT)");

	cet = epoll_on(_metadata, self, p.c, ALL_IO | EPOLLET);
	EXPECT_EVENT(cet, 0, EPOLLOUT, "the client end after its SHUT_WR");
	EXPECT_NO_EVENT(cet, 0, "the client end, nothing new");

	ASSERT_EQ(0, shutdown(p.s, SHUT_WR));
	ASSERT_TRUE(wait_state(p.s, TCP_CLOSE))
		TH_LOG("the server end in state %d, not CLOSE", tcp_state(p.s));
	ASSERT_TRUE(wait_mask(p.c, POLLHUP)) TH_LOG("the FIN never arrived");
	EXPECT_EVENT(et, 0, hup, "the server end, both directions shut");
	EXPECT_EVENT(lt, 0, hup, "the server end, both directions shut (LT)");
	EXPECT_EVENT(cet, 0, hup, "the client end, both directions shut");
	EXPECT_EQ(0, so_error(_metadata, p.s));
	EXPECT_EQ(0, so_error(_metadata, p.c));
}

/*
 * A RST from the peer: EPOLLHUP and EPOLLERR, SO_ERROR ECONNRESET once,
 * then EOF on recv() and EPIPE on send().
 */
TEST_F_TIMEOUT(epoll, reset_by_peer_reports_hup_and_err, CASE_TIMEOUT)
{
	const uint32_t reset = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP;
	struct pair p;
	char buf[16];
	int et, lt;

	open_pair(_metadata, self, &p, 0);
	et = epoll_on(_metadata, self, p.c, ALL_IO | EPOLLET);
	lt = epoll_on(_metadata, self, p.c, ALL_IO);
	EXPECT_EVENT(et, 0, EPOLLOUT, "connected");

	set_linger_zero(_metadata, p.s);
	close_sock(_metadata, &self->socks, p.s);
	EXPECT_EVENT(et, STALL_MS, reset | EPOLLERR, "reset by the peer");
	EXPECT_EVENT(lt, 0, reset | EPOLLERR, "reset by the peer (LT)");
	EXPECT_EQ(ECONNRESET, so_error(_metadata, p.c));
	EXPECT_EQ(0, so_error(_metadata, p.c));
	EXPECT_EVENT(lt, 0, reset, "SO_ERROR read (LT)");
	EXPECT_EQ(0, recv_ret(p.c, buf, sizeof(buf), 0));
	EXPECT_EQ(-EPIPE, send_ret(p.c, "x", 1, MSG_NOSIGNAL));
}

/*
 * A non-blocking connect() to a port with no listener: EPOLLHUP and
 * EPOLLERR, and SO_ERROR ECONNREFUSED once.
 */
TEST_F_TIMEOUT(epoll, refused_connect_reports_hup_and_err, CASE_TIMEOUT)
{
	struct sockaddr_in addr = sin_of(AF_INET, "127.0.0.1", CLOSED_PORT);
	int c, et, lt;

	c = track(_metadata, self, socket(self->family, SOCK_STREAM |
					  SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	ASSERT_EQ(-1, connect(c, (struct sockaddr *)&addr, sizeof(addr)));
	ASSERT_EQ(EINPROGRESS, errno) TH_LOG("connect: %s", strerror(errno));
	et = epoll_on(_metadata, self, c, ALL_IO | EPOLLET);
	EXPECT_EVENT(et, STALL_MS, ALL_IO | EPOLLHUP | EPOLLERR, "refused");
	lt = epoll_on(_metadata, self, c, ALL_IO);
	EXPECT_EVENT(lt, 0, ALL_IO | EPOLLHUP | EPOLLERR, "refused (LT)");
	EXPECT_EQ(ECONNREFUSED, so_error(_metadata, c));
	EXPECT_EQ(0, so_error(_metadata, c));
	EXPECT_EVENT(lt, 0, ALL_IO | EPOLLHUP, "SO_ERROR read (LT)");
}

/*
 * Sends until the send buffer is full: until send() says EAGAIN and
 * no ACK in flight makes room any more (an edge-triggered EPOLLOUT on
 * @ep says it did).  The bytes sent, or minus the errno.
 */
static long fill_send_buffer(int fd, int ep)
{
	static char chunk[FILL_CHUNK];
	uint32_t events;
	long total = 0;
	ssize_t n;

	do {
		while (total < FILL_MAX) {
			n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0)
				return -errno;
			total += n;
		}
		if (total >= FILL_MAX)
			return -EFBIG;
	} while (wait_event(ep, QUIET_MS, &events) == 1);
	return total;
}

/*
 * EPOLLOUT, edge-triggered: no event for an ACK while the buffer has
 * room, none while it is full, one once the peer reads and ACKs make
 * room again, and no more after that.
 */
TEST_F_TIMEOUT(epoll, epollout_once_the_send_buffer_drains, CASE_TIMEOUT)
{
	static char buf[1 << 20];
	double end;
	uint32_t events = 0;
	long sent, drained = 0;
	struct pair p;
	ssize_t n;
	int ep, got = 0;

	open_pair(_metadata, self, &p, SMALL_BUF);
	ep = epoll_on(_metadata, self, p.c, EPOLLOUT | EPOLLET);
	EXPECT_EVENT(ep, 0, EPOLLOUT, "connected");
	EXPECT_NO_EVENT(ep, 0, "connected, nothing new");

	ASSERT_EQ(1000, send(p.c, buf, 1000, 0));
	ASSERT_EQ(1000, recv_exact(p.s, buf, 1000));
	ASSERT_TRUE(wait_acked(p.c)) TH_LOG("1000 bytes never acknowledged");
	EXPECT_NO_EVENT(ep, QUIET_MS, "an ACK while the buffer had room");

	sent = fill_send_buffer(p.c, ep);
	ASSERT_LT(0, sent) TH_LOG("filling the send buffer: %s", strerror(-sent));
	EXPECT_EQ(0, poll_mask(p.c) & POLLOUT)
		TH_LOG("POLLOUT with a full send buffer (%ld bytes sent)", sent);

	/* Read what arrived until the room the ACKs free wakes the sender. */
	end = now_ms() + STALL_MS;
	while (now_ms() < end) {
		while ((n = recv(p.s, buf, sizeof(buf), 0)) > 0)
			drained += n;
		ASSERT_TRUE(n < 0 && errno == EAGAIN)
			TH_LOG("recv: %zd, %s", n, strerror(errno));
		got = wait_event(ep, 2 * POLL_STEP_MS, &events);
		if (got)
			break;
	}
	TH_LOG("sent %ld bytes into a full buffer, read %ld before EPOLLOUT",
	       sent, drained);
	EXPECT_EQ(1, got) TH_LOG("no EPOLLOUT after the peer read %ld bytes",
				 drained);
	EXPECT_EQ((uint32_t)EPOLLOUT, events);
	EXPECT_NO_EVENT(ep, QUIET_MS, "EPOLLOUT already reported");
	EXPECT_EQ(1, send_ret(p.c, buf, 1, MSG_NOSIGNAL));
}

/* One epoll instance and its thread, waiting once on a shared listener. */
struct excl_waiter {
	pthread_t thread;
	int ep, lfd;
	pid_t tid;
	atomic_int stage;	/* 0 starting, 1 about to wait, 2 returned */
	int nev;		/* what epoll_wait() returned */
	bool listener;		/* it reported the listener */
};

static void *excl_wait(void *arg)
{
	struct excl_waiter *w = arg;
	struct epoll_event ev[2];
	int i, n;

	w->tid = gettid();
	atomic_store(&w->stage, 1);
	/* Nothing may sleep between the stage and the wait (see below). */
	do
		n = epoll_wait(w->ep, ev, 2, STALL_MS);
	while (n < 0 && errno == EINTR);
	w->nev = n < 0 ? -errno : n;
	for (i = 0; i < n; i++)
		if (ev[i].data.fd == w->lfd)
			w->listener = true;
	atomic_store(&w->stage, 2);
	return NULL;
}

/* Whether thread @tid of this process sleeps ('S' in its stat). */
static bool thread_sleeps(pid_t tid)
{
	char path[64], line[512], *p;
	bool sleeps = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		p = strrchr(line, ')');
		sleeps = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(f);
	return sleeps;
}

/*
 * EPOLLEXCLUSIVE: EXCL_WAITERS epoll instances, each with its own
 * thread asleep in epoll_wait(), watch one listener with EPOLLEXCLUSIVE.
 * One connection must wake at least one of them and not all; native
 * TCP wakes exactly one (the listener calls sk_data_ready() once).
 *
 * Counting: a thread is known to be asleep in epoll_wait() once
 * /proc says it sleeps after it announced the wait.  After the first
 * thread returns, the others are released through an eventfd every
 * instance also watches; an instance the listener's wakeup reached has
 * the listener on its ready list and reports it next to the eventfd.
 */
TEST_F_TIMEOUT(epoll, epollexclusive_listener_wakes_one_waiter, CASE_TIMEOUT)
{
	struct excl_waiter w[EXCL_WAITERS];
	struct sockaddr_in addr;
	int lfd, efd, c, i, woken = 0, returned;
	struct epoll_event ev;
	double end;

	lfd = track(_metadata, self,
		    listener(_metadata, self->family, 0, 8, &addr));
	efd = track(_metadata, self, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	for (i = 0; i < EXCL_WAITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].lfd = lfd;
		w[i].ep = track(_metadata, self, epoll_create1(EPOLL_CLOEXEC));
		ev = (struct epoll_event){
			.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = lfd,
		};
		ASSERT_EQ(0, epoll_ctl(w[i].ep, EPOLL_CTL_ADD, lfd, &ev))
			TH_LOG("EPOLLEXCLUSIVE: %s", strerror(errno));
		ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = efd };
		ASSERT_EQ(0, epoll_ctl(w[i].ep, EPOLL_CTL_ADD, efd, &ev));
	}
	for (i = 0; i < EXCL_WAITERS; i++)
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, excl_wait, &w[i]));
	for (i = 0; i < EXCL_WAITERS; i++) {
		end = now_ms() + STALL_MS;
		while (atomic_load(&w[i].stage) != 1 || !thread_sleeps(w[i].tid)) {
			ASSERT_GT(end, now_ms()) TH_LOG("waiter %d never slept", i);
			msleep(POLL_STEP_MS);
		}
	}

	c = track(_metadata, self,
		  socket(self->family, SOCK_STREAM | SOCK_CLOEXEC, 0));
	set_sock_timeout(_metadata, c, SO_SNDTIMEO, STALL_MS);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&addr, sizeof(addr)))
		TH_LOG("connect: %s", strerror(errno));
	end = now_ms() + STALL_MS;
	do {
		returned = 0;
		for (i = 0; i < EXCL_WAITERS; i++)
			returned += atomic_load(&w[i].stage) == 2;
		if (!returned)
			msleep(POLL_STEP_MS);
	} while (!returned && now_ms() < end);
	/* Wakeups of one connection come at once; give a wrong one time. */
	msleep(QUIET_MS);
	ASSERT_EQ(0, eventfd_write(efd, 1));
	for (i = 0; i < EXCL_WAITERS; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT_LT(0, w[i].nev) TH_LOG("waiter %d: epoll_wait %d", i, w[i].nev);
		woken += w[i].listener;
	}
	TH_LOG("%d of %d EPOLLEXCLUSIVE waiters woken by one connection",
	       woken, EXCL_WAITERS);
	EXPECT_LE(1, returned);
	EXPECT_LE(1, woken);
	EXPECT_GT(EXCL_WAITERS, woken);
	EXPECT_EQ(1, woken) TH_LOG("native wakes exactly one");
	track(_metadata, self, accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
}

/*
 * The echo test.  The server is this thread: one edge-triggered epoll
 * instance, a non-blocking listener drained by accept4() until EAGAIN,
 * connections read until EAGAIN and echoed.  The client is another
 * thread with its own epoll instance: it opens every connection with a
 * non-blocking connect(), sends each a message of its own, checks the
 * echo byte for byte, and closes them only once every echo is back, so
 * all connections are open at once.  The server closes a connection at
 * its EOF.  The client thread never asserts: it reports in err.
 */
struct echo_client {
	int family;
	struct sockaddr_in addr;
	unsigned int n;
	atomic_bool stop;		/* set by the server: give up */
	atomic_bool done;		/* set by the client when it ends */
	unsigned int connected;		/* written by the client only */
	unsigned int verified;		/* written by the client only */
	char err[256];			/* the client's first failure */
};

struct client_conn {
	int fd;
	bool connected;
	size_t len, sent, got;
	unsigned char msg[MSG_MAX];
};

struct server_conn {
	int fd;
	size_t rd, wr;			/* bytes read, bytes echoed */
	unsigned char buf[MSG_MAX];
};

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

#define CLIENT_FAIL(cl, ...) fail((cl)->err, sizeof((cl)->err), __VA_ARGS__)

/* Connection @i's message: its own length and bytes. */
static void make_message(struct client_conn *cc, unsigned int i)
{
	struct stream s;

	cc->len = MSG_MIN + (i * 2731u) % MSG_SPREAD;
	stream_init(&s, SEED_ECHO + i);
	stream_fill(&s, cc->msg, cc->len);
}

/* One event of client connection @i: finish connecting, send, check. */
static int client_event(struct echo_client *cl, struct client_conn *cc,
			unsigned int i, uint32_t events)
{
	unsigned char buf[MSG_MAX];
	char eb[128];
	ssize_t n;

	if (!cc->connected) {
		socklen_t len = sizeof(int);
		int err = 0;

		if (getsockopt(cc->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			return CLIENT_FAIL(cl, "SO_ERROR: %s", strerror(errno));
		if (err)
			return CLIENT_FAIL(cl, "connection %u: connect: %s",
					   i, strerror(err));
		if (!(events & EPOLLOUT))
			return CLIENT_FAIL(cl, "connection %u: events %s while connecting",
					   i, events_str(events, eb, sizeof(eb)));
		cc->connected = true;
		cl->connected++;
	}
	while (cc->sent < cc->len) {
		n = send(cc->fd, cc->msg + cc->sent, cc->len - cc->sent,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return CLIENT_FAIL(cl, "connection %u: send: %s", i,
					   strerror(errno));
		cc->sent += n;
	}
	for (;;) {
		n = recv(cc->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return CLIENT_FAIL(cl, "connection %u: recv: %s", i,
					   strerror(errno));
		if (n == 0)
			return CLIENT_FAIL(cl, "connection %u: EOF after %zu of %zu bytes",
					   i, cc->got, cc->len);
		if (cc->got + n > cc->len)
			return CLIENT_FAIL(cl, "connection %u: %zu bytes back, %zu sent",
					   i, cc->got + n, cc->len);
		if (memcmp(buf, cc->msg + cc->got, n))
			return CLIENT_FAIL(cl, "connection %u: the echo of bytes %zu-%zu differs",
					   i, cc->got, cc->got + n - 1);
		cc->got += n;
		if (cc->got == cc->len)
			cl->verified++;
	}
	if (cc->got < cc->len && events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		return CLIENT_FAIL(cl, "connection %u: events %s with %zu of %zu bytes back",
				   i, events_str(events, eb, sizeof(eb)),
				   cc->got, cc->len);
	return 0;
}

static void *echo_client_run(void *arg)
{
	struct echo_client *cl = arg;
	struct epoll_event evs[MAX_EVENTS];
	struct client_conn *cc;
	double last = now_ms();
	unsigned int i;
	int ep, nev, k;

	cc = calloc(cl->n, sizeof(*cc));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cc || ep < 0) {
		CLIENT_FAIL(cl, "client setup: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < cl->n; i++)
		cc[i].fd = -1;
	for (i = 0; i < cl->n; i++) {
		struct epoll_event ev = {
			.events = ALL_IO | EPOLLET,
			.data.u32 = i,
		};

		make_message(&cc[i], i);
		cc[i].fd = socket(cl->family, SOCK_STREAM | SOCK_NONBLOCK |
				  SOCK_CLOEXEC, 0);
		if (cc[i].fd < 0) {
			CLIENT_FAIL(cl, "socket %u: %s", i, strerror(errno));
			goto out;
		}
		if (!connect(cc[i].fd, (struct sockaddr *)&cl->addr,
			     sizeof(cl->addr))) {
			CLIENT_FAIL(cl, "connect %u: 0, native gives EINPROGRESS", i);
			goto out;
		}
		if (errno != EINPROGRESS) {
			CLIENT_FAIL(cl, "connect %u: %s", i, strerror(errno));
			goto out;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cc[i].fd, &ev)) {
			CLIENT_FAIL(cl, "EPOLL_CTL_ADD %u: %s", i, strerror(errno));
			goto out;
		}
	}
	while (cl->verified < cl->n && !atomic_load(&cl->stop)) {
		nev = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		if (nev < 0 && errno == EINTR)
			continue;
		if (nev < 0) {
			CLIENT_FAIL(cl, "client epoll_wait: %s", strerror(errno));
			goto out;
		}
		if (!nev) {
			if (now_ms() - last > STALL_MS) {
				CLIENT_FAIL(cl, "client: no event for %d s: %u of %u connected, %u echoed",
					    STALL_MS / 1000, cl->connected,
					    cl->n, cl->verified);
				goto out;
			}
			continue;
		}
		last = now_ms();
		for (k = 0; k < nev; k++) {
			i = evs[k].data.u32;
			if (client_event(cl, &cc[i], i, evs[k].events))
				goto out;
		}
	}
out:
	if (cc)
		for (i = 0; i < cl->n; i++)
			if (cc[i].fd >= 0)
				close(cc[i].fd);
	if (ep >= 0)
		close(ep);
	free(cc);
	atomic_store(&cl->done, true);
	return NULL;
}

/*
 * One event of a server connection: read until EAGAIN, echo what was
 * read, close at EOF.  1 once closed, 0 to go on, -1 on failure.
 */
static int serve(struct server_conn *sc, uint32_t events, char *err,
		 size_t errlen)
{
	bool eof = false;
	char eb[128];
	ssize_t n;

	for (;;) {
		if (sc->rd == MSG_MAX)
			return fail(err, errlen, "fd %d: more than %d bytes",
				    sc->fd, MSG_MAX);
		n = recv(sc->fd, sc->buf + sc->rd, MSG_MAX - sc->rd, 0);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return fail(err, errlen, "fd %d: recv: %s", sc->fd,
				    strerror(errno));
		if (!n) {
			eof = true;
			break;
		}
		sc->rd += n;
	}
	while (sc->wr < sc->rd) {
		n = send(sc->fd, sc->buf + sc->wr, sc->rd - sc->wr,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return fail(err, errlen, "fd %d: send: %s", sc->fd,
				    strerror(errno));
		sc->wr += n;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !eof)
		return fail(err, errlen, "fd %d: events %s before EOF", sc->fd,
			    events_str(events, eb, sizeof(eb)));
	if (!eof)
		return 0;
	if (sc->wr < sc->rd)
		return fail(err, errlen, "fd %d: EOF with %zu bytes not echoed",
			    sc->fd, sc->rd - sc->wr);
	close(sc->fd);
	sc->fd = -1;
	return 1;
}

static unsigned int echo_conns(void)
{
	return debug_kernel() ? ECHO_CONNS_DEBUG : ECHO_CONNS;
}

/*
 * PassiveOpens of this namespace's stack: ktcp's counter, or the Tcp
 * row of /proc/net/snmp (a line of names, then a line of values).
 */
static long passive_opens(bool ktcp)
{
	static const char sep[] = " \n";
	char names[2048], values[2048], *sn, *sv, *n, *v;
	long val = -1;
	FILE *f;

	f = fopen(ktcp ? "/proc/net/ktcp_snmp" : "/proc/net/snmp", "r");
	if (!f)
		return -errno;
	while (fgets(names, sizeof(names), f)) {
		if (ktcp) {
			if (sscanf(names, "PassiveOpens %ld", &val) == 1)
				break;
			continue;
		}
		if (strncmp(names, "Tcp:", 4) || !fgets(values, sizeof(values), f))
			continue;
		n = strtok_r(names, sep, &sn);
		v = strtok_r(values, sep, &sv);
		while (n && v && strcmp(n, "PassiveOpens")) {
			n = strtok_r(NULL, sep, &sn);
			v = strtok_r(NULL, sep, &sv);
		}
		if (n && v)
			val = strtol(v, NULL, 10);
		break;
	}
	fclose(f);
	return val;
}

TEST_F_TIMEOUT(epoll, echo_1000_connections_edge_triggered, ECHO_TIMEOUT)
{
	unsigned int n = echo_conns(), accepted = 0, closed = 0, open = 0;
	unsigned int max_open = 0;
	struct epoll_event evs[MAX_EVENTS], ev;
	struct server_conn *conns, *sc;
	struct echo_client cl;
	char err[256] = "";
	pthread_t client;
	double last, t0;
	int lfd, ep, nev, k, fd, rc;

	raise_nofile(_metadata, 2 * n + 64);
	memset(&cl, 0, sizeof(cl));
	cl.family = self->family;
	cl.n = n;
	lfd = track(_metadata, self,
		    listener(_metadata, self->family, SOCK_NONBLOCK,
			     ECHO_BACKLOG, &cl.addr));
	ep = track(_metadata, self, epoll_create1(EPOLL_CLOEXEC));
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.ptr = NULL };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
	conns = calloc(n, sizeof(*conns));
	ASSERT_NE(NULL, conns);

	t0 = now_ms();
	last = t0;
	ASSERT_EQ(0, pthread_create(&client, NULL, echo_client_run, &cl));
	while (closed < n && !err[0]) {
		nev = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		if (nev < 0 && errno == EINTR)
			continue;
		if (nev < 0) {
			fail(err, sizeof(err), "epoll_wait: %s", strerror(errno));
			break;
		}
		if (atomic_load(&cl.done) && cl.err[0])
			break;
		if (!nev && now_ms() - last > STALL_MS) {
			fail(err, sizeof(err), "no event for %d s: %u accepted, %u closed",
			     STALL_MS / 1000, accepted, closed);
			break;
		}
		if (nev)
			last = now_ms();
		for (k = 0; k < nev && !err[0]; k++) {
			sc = evs[k].data.ptr;
			if (sc) {
				rc = serve(sc, evs[k].events, err, sizeof(err));
				if (rc == 1) {
					closed++;
					open--;
				}
				continue;
			}
			/* The listener: accept until EAGAIN. */
			while ((fd = accept4(lfd, NULL, NULL,
					     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (accepted == n) {
					close(fd);
					fail(err, sizeof(err), "connection %u accepted, %u made",
					     accepted + 1, n);
					break;
				}
				sc = &conns[accepted++];
				sc->fd = fd;
				ev = (struct epoll_event){
					.events = ALL_IO | EPOLLET, .data.ptr = sc,
				};
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
					fail(err, sizeof(err), "EPOLL_CTL_ADD: %s",
					     strerror(errno));
					break;
				}
				if (++open > max_open)
					max_open = open;
			}
			if (fd < 0 && errno != EAGAIN)
				fail(err, sizeof(err), "accept4: %s", strerror(errno));
		}
	}
	atomic_store(&cl.stop, true);
	pthread_join(client, NULL);
	TH_LOG("%u connections: %u connected, %u echoed, %u accepted, %u at once, %u closed, %.1f s",
	       n, cl.connected, cl.verified, accepted, max_open, closed,
	       (now_ms() - t0) / 1e3);
	for (k = 0; k < (int)accepted; k++)
		if (conns[k].fd >= 0)
			close(conns[k].fd);
	free(conns);
	EXPECT_STREQ("", cl.err);
	EXPECT_STREQ("", err);
	EXPECT_EQ(n, cl.connected);
	EXPECT_EQ(n, cl.verified);
	EXPECT_EQ(n, accepted);
	EXPECT_EQ(n, max_open);
	EXPECT_EQ(n, closed);
	EXPECT_EQ(-1, accept4(lfd, NULL, NULL, SOCK_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ((long)n, passive_opens(variant->ktcp));
}

TEST_HARNESS_MAIN
