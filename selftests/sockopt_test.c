// SPDX-License-Identifier: GPL-2.0
/*
 * sockopt_test - socket options and ioctls, each run on AF_KTCP and on
 * AF_INET with the same assertions, so the two must agree: the values
 * native TCP returns, its errnos, and what each option does to the
 * connection (TCP_CORK holding data, TCP_DEFER_ACCEPT holding the
 * connection, TCP_USER_TIMEOUT ending it, SO_RCVLOWAT holding POLLIN).
 *
 * Every test runs in a network namespace of its own (unshare), on lo.
 * Needs root, ip and tc.  KTCP_SELFTEST_INET_ONLY=1 skips the ktcp
 * variants.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <linux/tcp.h>	/* struct tcp_info as the kernel has it */
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define PORT	41001

/* tcpi_state values (include/net/tcp_states.h, not in the uapi) */
#define ST_ESTABLISHED	1U
#define ST_FIN_WAIT2	5U
#define ST_CLOSE	7U
#define ST_LISTEN	10U

FIXTURE(opt) {
	int family;
	struct socks socks;
};

KTCP_FAMILY_VARIANTS(opt, inet);

FIXTURE_SETUP(opt)
{
	self->socks.n = 0;
	self->family = AF_INET;
	if (variant->ktcp) {
		if (inet_only())
			SKIP(return, "KTCP_SELFTEST_INET_ONLY set");
		self->family = ktcp_family_or_fail(_metadata);
	}
	enter_private_netns(_metadata);
}

FIXTURE_TEARDOWN(opt)
{
	close_socks(&self->socks);
}

static int new_socket(struct __test_metadata *_metadata,
		      FIXTURE_DATA(opt) *self)
{
	int fd = socket(self->family, SOCK_STREAM, 0);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	self->socks.fd[self->socks.n++] = fd;
	return fd;
}

static int listener(struct __test_metadata *_metadata, FIXTURE_DATA(opt) *self,
		    int backlog)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", PORT);
	int fd = new_socket(_metadata, self);

	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(fd, backlog));
	return fd;
}

static int connect_to(struct __test_metadata *_metadata, int fd)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", PORT);

	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("connect: %s", strerror(errno));
	return fd;
}

static int accept_one(struct __test_metadata *_metadata,
		      FIXTURE_DATA(opt) *self, int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	self->socks.fd[self->socks.n++] = fd;
	return fd;
}

/* A connected pair on lo: *client, *server. */
static void pair(struct __test_metadata *_metadata, FIXTURE_DATA(opt) *self,
		 int *client, int *server)
{
	int lfd = listener(_metadata, self, 4);

	*client = connect_to(_metadata, new_socket(_metadata, self));
	*server = accept_one(_metadata, self, lfd);
}

static int get_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int val;

	if (getsockopt(fd, level, name, &val, &len))
		return -errno;
	return val;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

static int ioctl_int(int fd, unsigned long req)
{
	int val;

	return ioctl(fd, req, &val) ? -errno : val;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Poll @fd's ioctl @req until it reads @want, for a second at most. */
static int ioctl_settles(int fd, unsigned long req, int want)
{
	int i, val = 0;

	for (i = 0; i < 100; i++) {
		val = ioctl_int(fd, req);
		if (val == want)
			break;
		msleep(10);
	}
	return val;
}

static struct tcp_info tcp_info_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0xa5, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		memset(&ti, 0xff, sizeof(ti));
	return ti;
}

TEST_F(opt, unknown_and_malformed)
{
	int fd = new_socket(_metadata, self), val = 1;
	socklen_t len = sizeof(val);

	EXPECT_EQ(-ENOPROTOOPT, set_int(fd, IPPROTO_TCP, 9999, 1));
	EXPECT_EQ(-ENOPROTOOPT, get_int(fd, IPPROTO_TCP, 9999));
	/* An unknown level: ip_setsockopt() and do_ip_getsockopt(). */
	EXPECT_EQ(-ENOPROTOOPT, set_int(fd, 9999, 1, 1));
	EXPECT_EQ(-EOPNOTSUPP, get_int(fd, 9999, 1));
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &val, 2));
	EXPECT_EQ(EINVAL, errno);
	len = (socklen_t)-1;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &val, &len));
	EXPECT_EQ(EINVAL, errno);
	len = (socklen_t)-1;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_INFO, &val, &len));
	EXPECT_EQ(EINVAL, errno);
	/* A short buffer gets the start of the value, and its length. */
	len = 2;
	val = 0;
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0x0102));
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &val, &len));
	EXPECT_EQ(2U, len);
	EXPECT_EQ(0x0102, val);
}

/*
 * The SOL_SOCKET options and generic calls every TCP program touches:
 * native's answers, which the core gives ktcp too except where ktcp
 * must answer itself (SO_REUSEPORT, recv(MSG_OOB), SIOCATMARK).
 */
TEST_F(opt, socket_level_options_and_calls)
{
	int fd = new_socket(_metadata, self), sv[2], client, server, lfd;
	char c;

	EXPECT_EQ(SOCK_STREAM, get_int(fd, SOL_SOCKET, SO_TYPE));
	EXPECT_EQ(IPPROTO_TCP, get_int(fd, SOL_SOCKET, SO_PROTOCOL));
	EXPECT_EQ(self->family, get_int(fd, SOL_SOCKET, SO_DOMAIN));
	EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, set_int(fd, SOL_SOCKET, SO_RCVBUF, 65536));
	EXPECT_EQ(131072, get_int(fd, SOL_SOCKET, SO_RCVBUF));
	EXPECT_EQ(0, set_int(fd, SOL_SOCKET, SO_SNDBUF, 65536));
	EXPECT_EQ(131072, get_int(fd, SOL_SOCKET, SO_SNDBUF));
	EXPECT_EQ(0, set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
	EXPECT_EQ(1, get_int(fd, SOL_SOCKET, SO_KEEPALIVE));
	EXPECT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(1, get_int(fd, SOL_SOCKET, SO_REUSEADDR));
	if (variant->ktcp && !ktcp_has_reuseport()) {
		EXPECT_EQ(-EOPNOTSUPP, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1));
		EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_REUSEPORT));
	} else {
		EXPECT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1));
		EXPECT_EQ(1, get_int(fd, SOL_SOCKET, SO_REUSEPORT));
	}
	EXPECT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 0));
	EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_REUSEPORT));
	EXPECT_EQ(-ENOPROTOOPT, set_int(fd, SOL_SOCKET, 9999, 1));

	EXPECT_EQ(-1, socketpair(self->family, SOCK_STREAM, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);

	lfd = listener(_metadata, self, 4);
	EXPECT_EQ(1, get_int(lfd, SOL_SOCKET, SO_ACCEPTCONN));
	client = connect_to(_metadata, new_socket(_metadata, self));
	server = accept_one(_metadata, self, lfd);
	EXPECT_EQ(0, get_int(server, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, ioctl_int(server, SIOCATMARK));
	/* No urgent data waits: recv(MSG_OOB) is EINVAL. */
	EXPECT_EQ(-EINVAL, recv_ret(server, &c, 1, MSG_OOB | MSG_DONTWAIT));
	EXPECT_EQ(0, ioctl(client, FIONBIO, &(int){ 1 }));
	EXPECT_EQ(-EAGAIN, recv_ret(client, &c, 1, 0));

	/*
	 * Where ktcp differs, and says so: no urgent data to send, and no
	 * mmap() (native's serves TCP_ZEROCOPY_RECEIVE).
	 */
	if (variant->ktcp) {
		EXPECT_EQ(-EOPNOTSUPP, send_ret(client, "u", 1,
						MSG_OOB | MSG_NOSIGNAL));
		EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
					   server, 0));
		EXPECT_EQ(ENODEV, errno);
	}
}

TEST_F(opt, defaults_of_a_new_socket)
{
	int fd = new_socket(_metadata, self);
	struct tcp_info ti = tcp_info_of(fd);

	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_NODELAY));
	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_CORK));
	EXPECT_EQ(536, get_int(fd, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(1, get_int(fd, IPPROTO_TCP, TCP_QUICKACK));
	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	EXPECT_EQ(ST_CLOSE, ti.tcpi_state);
	EXPECT_EQ(1000000U, ti.tcpi_rto);
	EXPECT_EQ(10U, ti.tcpi_snd_cwnd);
	EXPECT_EQ(0U, ti.tcpi_bytes_acked);
	EXPECT_EQ(~0U, ti.tcpi_min_rtt);
	EXPECT_EQ(0, ioctl_int(fd, SIOCINQ));
	EXPECT_EQ(0, ioctl_int(fd, SIOCOUTQ));
}

TEST_F(opt, values_read_back)
{
	int fd = new_socket(_metadata, self);
	char ca[16] = "";
	socklen_t len = sizeof(ca);

	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_NODELAY, 5));
	EXPECT_EQ(1, get_int(fd, IPPROTO_TCP, TCP_NODELAY));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_CORK, 1));
	EXPECT_EQ(1, get_int(fd, IPPROTO_TCP, TCP_CORK));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_QUICKACK, 0));
	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_QUICKACK));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_QUICKACK, 1));
	EXPECT_EQ(1, get_int(fd, IPPROTO_TCP, TCP_QUICKACK));
	EXPECT_EQ(-EINVAL, set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1500));
	EXPECT_EQ(1500, get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
	/* Seconds become SYN-ACK rounds and back: 5 reads as 1 + 2 + 4. */
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5));
	EXPECT_EQ(7, get_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, -1));
	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	EXPECT_EQ(-EINVAL, set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 87));
	EXPECT_EQ(-EINVAL, set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 32768));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 32767));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 1000));
	EXPECT_EQ(1000, get_int(fd, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(-EINVAL, set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0));
	EXPECT_EQ(-EINVAL, set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 128));
	EXPECT_EQ(0, set_int(fd, IPPROTO_IP, IP_TOS, 0x10));
	EXPECT_EQ(0x10, get_int(fd, IPPROTO_IP, IP_TOS));
	EXPECT_EQ(0, set_int(fd, IPPROTO_IP, IP_TTL, 33));
	EXPECT_EQ(33, get_int(fd, IPPROTO_IP, IP_TTL));
	/*
	 * CUBIC by default (Debian's native default too), NewReno is
	 * "reno"; an unknown algorithm is ENOENT.
	 */
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &len));
	EXPECT_STREQ("cubic", ca);
	EXPECT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	len = sizeof(ca);
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &len));
	EXPECT_STREQ("reno", ca);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "nope", 4));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5));
	len = sizeof(ca);
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &len));
	EXPECT_STREQ("cubic", ca);
}

/*
 * TCP_LINGER2 reads back fin_timeout (60 s in a new namespace) until
 * set; below 0 is -1, above 120 s is 120 s (TCP_FIN_TIMEOUT_MAX).
 */
TEST_F(opt, linger2_reads_back_as_native)
{
	int fd = new_socket(_metadata, self), val = 0;
	socklen_t len = sizeof(val);

	EXPECT_EQ(60, get_int(fd, IPPROTO_TCP, TCP_LINGER2));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_LINGER2, 30));
	EXPECT_EQ(30, get_int(fd, IPPROTO_TCP, TCP_LINGER2));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_LINGER2, 1000));
	EXPECT_EQ(120, get_int(fd, IPPROTO_TCP, TCP_LINGER2));
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_LINGER2, -5));
	/* -1 is a value here, not get_int()'s -EPERM. */
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_LINGER2, &val, &len));
	EXPECT_EQ(-1, val);
	EXPECT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_LINGER2, 0));
	EXPECT_EQ(60, get_int(fd, IPPROTO_TCP, TCP_LINGER2));
}

/*
 * TCP_LINGER2 below 0, between two sockets of one stack: close() in
 * FIN_WAIT2 resets the connection at once, and the peer, in CLOSE_WAIT,
 * reads EPIPE (tcp_reset()'s error there), not a late end of file.
 */
TEST_F(opt, linger2_negative_resets_in_fin_wait2)
{
	struct pollfd p;
	char buf[8];
	int c, s, i;

	pair(_metadata, self, &c, &s);
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_LINGER2, -1));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_TRUE(readable(s, 2000));
	ASSERT_EQ(0, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	for (i = 0; i < 200 && tcp_info_of(c).tcpi_state != ST_FIN_WAIT2; i++)
		usleep(10000);
	ASSERT_EQ(ST_FIN_WAIT2, tcp_info_of(c).tcpi_state);
	close_sock(_metadata, &self->socks, c);
	/* No events asked: poll() waits for the hang-up alone. */
	p = (struct pollfd){ .fd = s };
	ASSERT_EQ(1, poll(&p, 1, 2000));
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(EPIPE, get_int(s, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(ST_CLOSE, tcp_info_of(s).tcpi_state);
}

/* The MSS both sides settle on: TCP_MAXSEG less the timestamp option. */
TEST_F(opt, maxseg_limits_the_connection)
{
	int lfd = listener(_metadata, self, 4);
	int c = new_socket(_metadata, self), s;

	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_MAXSEG, 1000));
	connect_to(_metadata, c);
	s = accept_one(_metadata, self, lfd);
	EXPECT_EQ(988, get_int(c, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(988, get_int(s, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(988U, tcp_info_of(s).tcpi_snd_mss);
}

TEST_F(opt, inq_outq_and_cork)
{
	int c, s, lfd;
	char buf[100];

	pair(_metadata, self, &c, &s);
	lfd = self->socks.fd[0];
	EXPECT_EQ(-EINVAL, ioctl_int(lfd, SIOCINQ));
	EXPECT_EQ(-EINVAL, ioctl_int(lfd, SIOCOUTQ));

	/* Corked, a small write stays ours: queued, not sent. */
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_CORK, 1));
	ASSERT_EQ(10, send(c, "0123456789", 10, 0));
	EXPECT_EQ(10, ioctl_int(c, SIOCOUTQ));
	EXPECT_EQ(10, ioctl_int(c, SIOCOUTQNSD));
	EXPECT_FALSE(readable(s, 100));
	EXPECT_EQ(0, ioctl_int(s, SIOCINQ));

	/* Uncorked, it goes, and is counted until read. */
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_CORK, 0));
	EXPECT_TRUE(readable(s, 2000));
	EXPECT_EQ(10, ioctl_settles(s, SIOCINQ, 10));
	EXPECT_EQ(10, ioctl_int(s, FIONREAD));
	EXPECT_EQ(0, ioctl_settles(c, SIOCOUTQ, 0));
	EXPECT_EQ(4, recv(s, buf, 4, 0));
	EXPECT_EQ(6, ioctl_int(s, SIOCINQ));

	/* The peer's FIN is not a byte to read. */
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(6, ioctl_settles(s, SIOCINQ, 6));
	msleep(100);
	EXPECT_EQ(6, ioctl_int(s, SIOCINQ));
	EXPECT_EQ(0, ioctl_settles(c, SIOCOUTQ, 0));
}

/*
 * recv() with @fd's TCP_CM_INQ control message: the bytes read, and
 * in *inq what the message said (-1: none came).
 */
static int recv_inq(int fd, char *buf, size_t len, int *inq)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	int n = recvmsg(fd, &msg, 0);

	*inq = -1;
	for (cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == IPPROTO_TCP && cm->cmsg_type == TCP_CM_INQ)
			memcpy(inq, CMSG_DATA(cm), sizeof(*inq));
	return n;
}

/*
 * TCP_INQ: each read says what is left to read, and after the peer's
 * FIN one more than the bytes (tcp_inq_hint()): read on to the end.
 */
TEST_F(opt, tcp_inq_reports_what_is_left)
{
	char buf[100];
	int c, s, inq;

	pair(_metadata, self, &c, &s);
	EXPECT_EQ(0, get_int(s, IPPROTO_TCP, TCP_INQ));
	EXPECT_EQ(-EINVAL, set_int(s, IPPROTO_TCP, TCP_INQ, 2));
	ASSERT_EQ(0, set_int(s, IPPROTO_TCP, TCP_INQ, 1));
	EXPECT_EQ(1, get_int(s, IPPROTO_TCP, TCP_INQ));

	ASSERT_EQ(10, send(c, "0123456789", 10, 0));
	EXPECT_EQ(10, ioctl_settles(s, SIOCINQ, 10));
	EXPECT_EQ(4, recv_inq(s, buf, 4, &inq));
	EXPECT_EQ(6, inq);
	EXPECT_EQ(6, recv_inq(s, buf, sizeof(buf), &inq));
	EXPECT_EQ(0, inq);

	ASSERT_EQ(3, send(c, "abc", 3, 0));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_TRUE(readable(s, 2000));
	msleep(100);	/* the FIN after the data */
	EXPECT_EQ(3, recv_inq(s, buf, sizeof(buf), &inq));
	EXPECT_EQ(1, inq);
	EXPECT_EQ(0, recv_inq(s, buf, sizeof(buf), &inq));
	EXPECT_EQ(1, inq);

	/* Off again: no message. */
	ASSERT_EQ(0, set_int(s, IPPROTO_TCP, TCP_INQ, 0));
	EXPECT_EQ(0, recv_inq(s, buf, sizeof(buf), &inq));
	EXPECT_EQ(-1, inq);
}

/*
 * Cork holds a partial segment, and for one RTO at most, as native
 * does (its probe timer sends it): not at once, the RTO being 200 ms
 * at least; then within 5 s however slow the machine.
 */
TEST_F(opt, cork_is_bounded)
{
	struct timespec t0, t1;
	long ms;
	int c, s;

	pair(_metadata, self, &c, &s);
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_CORK, 1));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(3, send(c, "abc", 3, 0));
	EXPECT_FALSE(readable(s, 100));
	EXPECT_TRUE(readable(s, 5000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TH_LOG("corked data arrived after %ld ms", ms);
	EXPECT_GE(ms, 150);
}

TEST_F(opt, rcvlowat_holds_pollin)
{
	char buf[64];
	int c, s;

	pair(_metadata, self, &c, &s);
	ASSERT_EQ(0, set_int(s, SOL_SOCKET, SO_RCVLOWAT, 10));
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_NODELAY, 1));
	ASSERT_EQ(5, send(c, "12345", 5, 0));
	EXPECT_EQ(5, ioctl_settles(s, SIOCINQ, 5));
	EXPECT_FALSE(readable(s, 200));
	ASSERT_EQ(5, send(c, "67890", 5, 0));
	EXPECT_TRUE(readable(s, 2000));
	EXPECT_EQ(10, recv(s, buf, sizeof(buf), 0));
}

TEST_F(opt, defer_accept_waits_for_data)
{
	int lfd = listener(_metadata, self, 4), c, s;
	char buf[8];

	ASSERT_EQ(0, set_int(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1));
	c = connect_to(_metadata, new_socket(_metadata, self));
	/* The handshake is done for the client, not yet for accept(). */
	EXPECT_FALSE(readable(lfd, 300));
	ASSERT_EQ(1, send(c, "x", 1, 0));
	ASSERT_TRUE(readable(lfd, 5000));
	s = accept_one(_metadata, self, lfd);
	EXPECT_TRUE(readable(s, 2000));
	EXPECT_EQ(1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('x', buf[0]);
}

TEST_F(opt, user_timeout_ends_a_silent_connection)
{
	struct pollfd p;
	int c, s;

	pair(_metadata, self, &c, &s);
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000));
	/* From now on lo loses everything: the data is never acked. */
	ASSERT_EQ(0, system("tc qdisc add dev lo root netem loss 100%"));
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 20000));
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_EQ(ETIMEDOUT, get_int(c, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(ST_CLOSE, tcp_info_of(c).tcpi_state);
	/*
	 * Let the server's FIN through when the teardown closes it: it
	 * draws a RST from the client's closed port, else the orphan
	 * would retransmit into the void for minutes.
	 */
	EXPECT_EQ(0, system("tc qdisc del dev lo root"));
}

TEST_F(opt, tcp_info_of_a_connection)
{
	char buf[2000];
	struct tcp_info ci, si, li;
	int c, s, lfd;
	socklen_t len;

	pair(_metadata, self, &c, &s);
	lfd = self->socks.fd[0];
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(1000, send(c, buf, 1000, 0));
	ASSERT_TRUE(readable(s, 2000));
	ASSERT_EQ(1000, recv(s, buf, 1000, MSG_WAITALL));
	ASSERT_EQ(0, ioctl_settles(c, SIOCOUTQ, 0));
	ci = tcp_info_of(c);
	si = tcp_info_of(s);
	li = tcp_info_of(lfd);

	EXPECT_EQ(ST_ESTABLISHED, ci.tcpi_state);
	EXPECT_EQ(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE,
		  ci.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
				     TCPI_OPT_WSCALE));
	/* The client's SYN counts as acknowledged, as in native. */
	EXPECT_EQ(1001U, ci.tcpi_bytes_acked);
	EXPECT_EQ(1000U, si.tcpi_bytes_received);
	EXPECT_EQ(0U, ci.tcpi_bytes_received);
	EXPECT_LE(1U, ci.tcpi_data_segs_out);
	EXPECT_LE(1U, si.tcpi_data_segs_in);
	EXPECT_EQ(0U, ci.tcpi_total_retrans);
	EXPECT_EQ(0U, ci.tcpi_unacked);
	EXPECT_EQ(0U, ci.tcpi_notsent_bytes);
	EXPECT_LE(200000U, ci.tcpi_rto);
	/* The ACK of the data was an RTT sample: under a second here. */
	EXPECT_LT(0U, ci.tcpi_rtt);
	EXPECT_GT(1000000U, ci.tcpi_rtt);
	EXPECT_GE(ci.tcpi_rto, ci.tcpi_rtt);
	EXPECT_EQ(0, ci.tcpi_retransmits);
	EXPECT_LE(10U, ci.tcpi_snd_cwnd);
	EXPECT_NE(~0U, ci.tcpi_min_rtt);

	EXPECT_EQ(ST_LISTEN, li.tcpi_state);
	EXPECT_EQ(4U, li.tcpi_sacked);
	EXPECT_EQ(0U, li.tcpi_unacked);

	/* A short buffer gets the head of the structure. */
	len = 1;
	buf[0] = 0;
	EXPECT_EQ(0, getsockopt(c, IPPROTO_TCP, TCP_INFO, buf, &len));
	EXPECT_EQ(1U, len);
	EXPECT_EQ((char)ST_ESTABLISHED, buf[0]);

	/* The peer's FIN counts as a byte received, as in native. */
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_TRUE(readable(s, 2000));
	EXPECT_EQ(0, recv(s, buf, sizeof(buf), 0));
	EXPECT_EQ(1001U, tcp_info_of(s).tcpi_bytes_received);
}

TEST_HARNESS_MAIN
