// SPDX-License-Identifier: GPL-2.0
/*
 * poll_test - poll(2) and epoll(7) on AF_KTCP against AF_INET.  Each
 * case drives a ktcp connection and a native one into the same state
 * and compares the two poll masks bit for bit, so the test needs no
 * opinion of its own on what POLLHUP or POLLRDHUP should be: native TCP
 * says.  Edge-triggered epoll and EPOLLEXCLUSIVE on a listener are
 * checked by counting events and woken waiters, again on both.
 *
 * Runs in a network namespace of its own, on lo.  Needs root and a
 * loaded ktcp.ko.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define PORT_INET	42001
#define PORT_KTCP	42002
#define ALL_EVENTS	(POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLERR | \
			 POLLHUP | POLLRDNORM | POLLWRNORM | POLLRDBAND | \
			 POLLWRBAND)

/* One stack's sockets for a case: listener, client, accepted server. */
struct side {
	int family;
	unsigned short port;
	int lfd, c, s;
};

FIXTURE(poll) {
	struct side inet, ktcp;
	struct socks socks;
};

FIXTURE_SETUP(poll)
{
	self->socks.n = 0;
	self->inet = (struct side){ AF_INET, PORT_INET, -1, -1, -1 };
	self->ktcp = (struct side){ 0, PORT_KTCP, -1, -1, -1 };
	if (inet_only())
		SKIP(return, "KTCP_SELFTEST_INET_ONLY set: nothing to compare");
	self->ktcp.family = ktcp_family_or_fail(_metadata);
	enter_private_netns(_metadata);
}

FIXTURE_TEARDOWN(poll)
{
	close_socks(&self->socks);
}

static int track(struct __test_metadata *_metadata, FIXTURE_DATA(poll) *self,
		 int fd)
{
	ASSERT_LE(0, fd) TH_LOG("socket/accept: %s", strerror(errno));
	self->socks.fd[self->socks.n++] = fd;
	return fd;
}

static int open_socket(struct __test_metadata *_metadata,
		       FIXTURE_DATA(poll) *self, struct side *side)
{
	return track(_metadata, self, socket(side->family, SOCK_STREAM, 0));
}

static void listen_on(struct __test_metadata *_metadata,
		      FIXTURE_DATA(poll) *self, struct side *side)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", side->port);

	side->lfd = open_socket(_metadata, self, side);
	ASSERT_EQ(0, bind(side->lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(side->lfd, 8));
}

static void connect_side(struct __test_metadata *_metadata,
			 FIXTURE_DATA(poll) *self, struct side *side)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", side->port);

	side->c = open_socket(_metadata, self, side);
	ASSERT_EQ(0, connect(side->c, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("connect: %s", strerror(errno));
}

/* A connected pair of each stack. */
static void pairs(struct __test_metadata *_metadata, FIXTURE_DATA(poll) *self)
{
	struct side *sides[] = { &self->inet, &self->ktcp };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		listen_on(_metadata, self, sides[i]);
		connect_side(_metadata, self, sides[i]);
		sides[i]->s = track(_metadata, self,
				    accept(sides[i]->lfd, NULL, NULL));
	}
}

static short mask_of(int fd)
{
	struct pollfd p = { .fd = fd, .events = ALL_EVENTS };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/*
 * The masks of @fd_inet and @fd_ktcp once both have settled: what
 * crosses lo takes a moment, so wait until they agree, for a second at
 * most, and report the last two seen.
 */
static bool masks_agree(int fd_inet, int fd_ktcp, short *mi, short *mk)
{
	int i;

	for (i = 0; i < 100; i++) {
		*mi = mask_of(fd_inet);
		*mk = mask_of(fd_ktcp);
		if (*mi == *mk)
			return true;
		msleep(10);
	}
	return false;
}

#define EXPECT_SAME_MASK(fd_inet, fd_ktcp, what) do {			\
	short _mi, _mk;							\
	EXPECT_TRUE(masks_agree(fd_inet, fd_ktcp, &_mi, &_mk))		\
		TH_LOG("%s: inet 0x%x, ktcp 0x%x", what, _mi, _mk);	\
} while (0)

TEST_F(poll, unconnected_and_listening)
{
	struct sockaddr_in sin;
	int fi = open_socket(_metadata, self, &self->inet);
	int fk = open_socket(_metadata, self, &self->ktcp);

	EXPECT_SAME_MASK(fi, fk, "a new socket");
	sin = sin_of(AF_INET, "127.0.0.1", 42100);
	ASSERT_EQ(0, bind(fi, (struct sockaddr *)&sin, sizeof(sin)));
	sin = sin_of(AF_INET, "127.0.0.1", 42101);
	ASSERT_EQ(0, bind(fk, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_SAME_MASK(fi, fk, "a bound socket");

	listen_on(_metadata, self, &self->inet);
	listen_on(_metadata, self, &self->ktcp);
	EXPECT_SAME_MASK(self->inet.lfd, self->ktcp.lfd, "an idle listener");
	connect_side(_metadata, self, &self->inet);
	connect_side(_metadata, self, &self->ktcp);
	EXPECT_SAME_MASK(self->inet.lfd, self->ktcp.lfd,
			 "a listener with a connection to accept");
}

TEST_F(poll, data_and_half_close)
{
	char buf[16];

	pairs(_metadata, self);
	EXPECT_SAME_MASK(self->inet.c, self->ktcp.c, "an idle client");
	EXPECT_SAME_MASK(self->inet.s, self->ktcp.s, "an idle server");

	ASSERT_EQ(3, send(self->inet.c, "abc", 3, 0));
	ASSERT_EQ(3, send(self->ktcp.c, "abc", 3, 0));
	EXPECT_SAME_MASK(self->inet.s, self->ktcp.s, "data to read");

	ASSERT_EQ(0, shutdown(self->inet.c, SHUT_WR));
	ASSERT_EQ(0, shutdown(self->ktcp.c, SHUT_WR));
	EXPECT_SAME_MASK(self->inet.s, self->ktcp.s, "data and the peer's FIN");
	EXPECT_SAME_MASK(self->inet.c, self->ktcp.c, "after our SHUT_WR");
	ASSERT_EQ(3, recv(self->inet.s, buf, sizeof(buf), 0));
	ASSERT_EQ(3, recv(self->ktcp.s, buf, sizeof(buf), 0));
	EXPECT_SAME_MASK(self->inet.s, self->ktcp.s, "only the peer's FIN");

	ASSERT_EQ(0, shutdown(self->inet.s, SHUT_WR));
	ASSERT_EQ(0, shutdown(self->ktcp.s, SHUT_WR));
	EXPECT_SAME_MASK(self->inet.s, self->ktcp.s, "both directions shut");
	EXPECT_SAME_MASK(self->inet.c, self->ktcp.c, "the client, both shut");
}

TEST_F(poll, reset_by_peer)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	pairs(_metadata, self);
	ASSERT_EQ(0, setsockopt(self->inet.s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, setsockopt(self->ktcp.s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close_sock(_metadata, &self->socks, self->inet.s);
	close_sock(_metadata, &self->socks, self->ktcp.s);
	EXPECT_SAME_MASK(self->inet.c, self->ktcp.c, "reset by the peer");
}

TEST_F(poll, refused_nonblocking_connect)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", 42199);
	int fi = track(_metadata, self, socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	int fk = track(_metadata, self,
		       socket(self->ktcp.family, SOCK_STREAM | SOCK_NONBLOCK, 0));

	connect(fi, (struct sockaddr *)&sin, sizeof(sin));
	connect(fk, (struct sockaddr *)&sin, sizeof(sin));
	EXPECT_SAME_MASK(fi, fk, "a refused connect");
}

/* Edge-triggered: one event per arrival, none for data already seen. */
static void edge_triggered(struct __test_metadata *_metadata, struct side *side,
			   int events[3])
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(0);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, side->s, &ev));
	ASSERT_EQ(1, send(side->c, "a", 1, 0));
	events[0] = epoll_wait(ep, &ev, 1, 2000);
	events[1] = epoll_wait(ep, &ev, 1, 100);
	ASSERT_EQ(1, send(side->c, "b", 1, 0));
	events[2] = epoll_wait(ep, &ev, 1, 2000);
	close(ep);
}

TEST_F(poll, epoll_edge_triggered)
{
	int ei[3], ek[3], i;

	pairs(_metadata, self);
	edge_triggered(_metadata, &self->inet, ei);
	edge_triggered(_metadata, &self->ktcp, ek);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(ei[i], ek[i]) TH_LOG("epoll_wait %d", i);
	EXPECT_EQ(1, ek[0]);
	EXPECT_EQ(0, ek[1]);
	EXPECT_EQ(1, ek[2]);
}

struct waiter {
	int ep;
	int woken;
};

static void *wait_once(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev;

	w->woken = epoll_wait(w->ep, &ev, 1, 1500) > 0;
	return NULL;
}

/* How many of four EPOLLEXCLUSIVE waiters one connection wakes. */
static int exclusive_wakeups(struct __test_metadata *_metadata,
			     FIXTURE_DATA(poll) *self, struct side *side)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct waiter w[4];
	pthread_t t[4];
	int i, woken = 0;

	for (i = 0; i < 4; i++) {
		w[i].ep = epoll_create1(0);
		ASSERT_LE(0, w[i].ep);
		ASSERT_EQ(0, epoll_ctl(w[i].ep, EPOLL_CTL_ADD, side->lfd, &ev));
		ASSERT_EQ(0, pthread_create(&t[i], NULL, wait_once, &w[i]));
	}
	msleep(200);	/* all four asleep in epoll_wait */
	connect_side(_metadata, self, side);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		woken += w[i].woken;
		close(w[i].ep);
	}
	return woken;
}

TEST_F(poll, epollexclusive_listener)
{
	int wi, wk;

	listen_on(_metadata, self, &self->inet);
	listen_on(_metadata, self, &self->ktcp);
	wi = exclusive_wakeups(_metadata, self, &self->inet);
	wk = exclusive_wakeups(_metadata, self, &self->ktcp);
	TH_LOG("waiters woken by one connection: inet %d, ktcp %d", wi, wk);
	/* "One or more" (epoll(7)): some, never all four. */
	EXPECT_LE(1, wk);
	EXPECT_GT(4, wk);
}

TEST_HARNESS_MAIN
