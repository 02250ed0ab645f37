// SPDX-License-Identifier: GPL-2.0
/*
 * connect_test - connections between ktcp and native TCP: handshake,
 * data, close and reset, connect() and friends' errors, the listen
 * backlog, and ktcp's counters.
 *
 * Every fixture with an "inet" variant runs the very same code in all
 * its variants, only the family passed to socket() differs: "inet"
 * uses AF_INET on both ends and documents what native TCP does, the
 * ktcp variants put the side under test on the family of the loaded
 * ktcp module, talking to native TCP on the other end (or to ktcp in
 * "ktcp_both"), and check that ktcp does the same.  Addresses are
 * struct sockaddr_in with sin_family AF_INET for both families.
 * Behaviour only ktcp has (its counters, /proc/net/ktcp) is tested by
 * the "counters" fixture, which has no inet variant.
 *
 * The ktcp tests fail, rather than skip, when ktcp.ko is not loaded.
 * Set KTCP_SELFTEST_INET_ONLY=1 to skip them instead, e.g. to run the
 * inet half on a machine that cannot load the module.
 *
 * All traffic is on 127.0.0.1, listeners use free ports of
 * 30000-39999.  Nothing may hang: every socket has a 5 s SO_RCVTIMEO
 * and SO_SNDTIMEO, waits are poll() with a timeout, and every test has
 * a harness timeout, so a stack that stalls fails the test instead of
 * blocking the run.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

#include "ktcp_harness.h"

/* The "st" column of /proc/net/tcp (include/net/tcp_states.h). */
#define TCP_STATE_ESTABLISHED	0x01U
#define TCP_STATE_LISTEN	0x0AU

/*
 * Listeners and port holders bind the first free port from here, from
 * a per-process starting point on.  The range overlaps native's
 * ephemeral ports (32768-60999), so a port in use is simply skipped.
 */
#define TEST_PORT_LOW		30000
#define TEST_PORT_HIGH		39999
#define PORT_TRIES		100

/* Bounds of every blocking call. */
#define SOCK_TIMEOUT_MS		5000
#define POLL_MS			2000

#define BULK_UP_BYTES		(1024 * 1024)
#define BULK_DOWN_BYTES		(256 * 1024)

/* The backlog test: listen(2) and 6 clients; native queues backlog+1. */
#define BACKLOG			2
#define BACKLOG_CLIENTS		6
#define BACKLOG_QUEUED		(BACKLOG + 1)
#define BACKLOG_WAIT_MS		1500

static struct sockaddr_in loopback(uint16_t port)
{
	return sin_of(AF_INET, "127.0.0.1", port);
}

/* socket(@family, SOCK_STREAM | @type_flags, 0), with the timeouts set. */
static int open_sock(struct __test_metadata *_metadata, struct socks *socks,
		     int family, int type_flags)
{
	return open_tracked_sock(_metadata, socks, family, type_flags,
				 SOCK_TIMEOUT_MS);
}

/* connect() that returns 0 or the errno, for ASSERT_EQ(EXXX, ...). */
static int connect_err(int fd, const struct sockaddr_in *sin, socklen_t len)
{
	return connect(fd, (const struct sockaddr *)sin, len) ? errno : 0;
}

/* connect() to 127.0.0.1:@port; returns 0 or the errno. */
static int connect_port(int fd, uint16_t port)
{
	struct sockaddr_in sin = loopback(port);

	return connect_err(fd, &sin, sizeof(sin));
}

/*
 * Reads exactly @len bytes unless end of file or an error comes first.
 * Returns the bytes read, fewer than @len only at end of file, or minus
 * the errno (-EAGAIN: SO_RCVTIMEO expired), even after a partial read.
 */
static ssize_t read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* poll() of one socket: its revents, 0 on timeout, or minus the errno. */
static int poll_one(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = poll(&pfd, 1, ms);

	if (n < 0)
		return -errno;
	return n ? pfd.revents : 0;
}

static void set_nonblocking(struct __test_metadata *_metadata, int fd)
{
	int flags = fcntl(fd, F_GETFL);

	ASSERT_LE(0, flags);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/*
 * Bind @fd to 127.0.0.1 and the first port of [TEST_PORT_LOW,
 * TEST_PORT_HIGH], from a per-process starting point on, that is not
 * in use (EADDRINUSE).  Any other error fails the test.  Returns the
 * port bound.
 */
static uint16_t bind_free_port(struct __test_metadata *_metadata, int fd)
{
	int span = TEST_PORT_HIGH - TEST_PORT_LOW + 1;
	int start = (getpid() * 7919) % span;
	int i, err = 0;

	for (i = 0; i < PORT_TRIES; i++) {
		uint16_t port = TEST_PORT_LOW + (start + i) % span;
		struct sockaddr_in sin = loopback(port);

		err = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
		if (!err)
			return port;
		ASSERT_EQ(EADDRINUSE, err) {
			TH_LOG("bind(port %u): %s", port, strerror(err));
		}
	}
	ASSERT_EQ(0, err) {
		TH_LOG("no free port among %d tried in %d-%d", i,
		       TEST_PORT_LOW, TEST_PORT_HIGH);
	}
	return 0;
}

/* A socket of @family listening on 127.0.0.1:*@port with @backlog. */
static int listener(struct __test_metadata *_metadata, struct socks *socks,
		    int family, int type_flags, int backlog, uint16_t *port)
{
	int fd = open_sock(_metadata, socks, family, type_flags);

	*port = bind_free_port(_metadata, fd);
	ASSERT_EQ(0, listen(fd, backlog)) {
		TH_LOG("listen(%d): %s", backlog, strerror(errno));
	}
	return fd;
}

/* A blocking socket of @family connected to 127.0.0.1:@port. */
static int connect_to(struct __test_metadata *_metadata, struct socks *socks,
		      int family, uint16_t port)
{
	int fd = open_sock(_metadata, socks, family, 0);
	int err = connect_port(fd, port);

	ASSERT_EQ(0, err) {
		TH_LOG("connect(127.0.0.1:%u): %s", port, strerror(err));
	}
	return fd;
}

/* accept() on @lfd that must succeed; the peer's name goes to @peer. */
static int accept_from(struct __test_metadata *_metadata, struct socks *socks,
		       int lfd, struct sockaddr_in *peer)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0xa5, sizeof(sin));
	fd = accept(lfd, (struct sockaddr *)&sin, &len);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	track_sock(_metadata, socks, fd, SOCK_TIMEOUT_MS);
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	if (peer)
		*peer = sin;
	return fd;
}

static struct sockaddr_in name_of(struct __test_metadata *_metadata, int fd,
				  bool peer)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int ret;

	memset(&sin, 0xa5, sizeof(sin));
	if (peer)
		ret = getpeername(fd, (struct sockaddr *)&sin, &len);
	else
		ret = getsockname(fd, (struct sockaddr *)&sin, &len);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s", peer ? "getpeername" : "getsockname",
		       strerror(errno));
	}
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	return sin;
}

/* @got must be exactly AF_INET @ip:@port. */
static void assert_sin(struct __test_metadata *_metadata,
		       struct sockaddr_in got, const char *ip, uint16_t port)
{
	struct sockaddr_in want = sin_of(AF_INET, ip, port);

	ASSERT_EQ(AF_INET, got.sin_family);
	ASSERT_EQ(want.sin_addr.s_addr, got.sin_addr.s_addr) {
		TH_LOG("address %s, expected %s", inet_ntoa(got.sin_addr), ip);
	}
	ASSERT_EQ(port, ntohs(got.sin_port));
}

static unsigned char pattern_byte(size_t i)
{
	return (i * 7 + 3) & 0xff;
}

static void fill_pattern(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(i);
}

/* Index of the first byte of @buf that is not stream byte @off + i, or -1. */
static ssize_t pattern_mismatch(const unsigned char *buf, size_t len,
				size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern_byte(off + i))
			return i;
	return -1;
}

static void read_port_range(struct __test_metadata *_metadata,
			    const char *path, int *low, int *high)
{
	FILE *f = fopen(path, "r");
	int n;

	ASSERT_NE(NULL, f) TH_LOG("open %s: %s", path, strerror(errno));
	n = fscanf(f, "%d %d", low, high);
	fclose(f);
	ASSERT_EQ(2, n) TH_LOG("%s: unexpected content", path);
}

static ino_t inode_of(struct __test_metadata *_metadata, int fd)
{
	struct stat st;

	ASSERT_EQ(0, fstat(fd, &st));
	return st.st_ino;
}

/* One parsed row of /proc/net/tcp or /proc/net/ktcp. */
struct proc_row {
	unsigned int local_addr;	/* raw __be32, as printed */
	unsigned int local_port;	/* host order */
	unsigned int rem_addr;
	unsigned int rem_port;
	unsigned int state;
	unsigned int tx_queue;
	unsigned int rx_queue;		/* a listener's: its accept queue */
	unsigned int uid;
	unsigned long inode;
};

/* Selects rows in proc_find(). */
enum proc_key {
	PROC_BY_INODE,		/* the socket of inode @key */
	PROC_BY_LISTEN_PORT,	/* state 0A (LISTEN) on local port @key */
};

/*
 * Parses every row of @path (which must all be well formed) and counts
 * those that @how and @key select; the last one is copied to @row.
 */
static int proc_find(struct __test_metadata *_metadata, const char *path,
		     enum proc_key how, unsigned long key,
		     struct proc_row *row)
{
	char line[512];
	int found = 0;
	FILE *f;

	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_NE(NULL, fgets(line, sizeof(line), f)) {
		TH_LOG("%s has no header line", path);
	}
	while (fgets(line, sizeof(line), f)) {
		struct proc_row r;
		bool match;
		int n;

		n = sscanf(line,
			   "%*d: %8X:%4X %8X:%4X %2X %8X:%8X %*X:%*X %*X %u %*d %lu",
			   &r.local_addr, &r.local_port, &r.rem_addr,
			   &r.rem_port, &r.state, &r.tx_queue, &r.rx_queue,
			   &r.uid, &r.inode);
		ASSERT_EQ(9, n) TH_LOG("%s: malformed row: %s", path, line);
		if (how == PROC_BY_INODE)
			match = r.inode == key;
		else
			match = r.local_port == key &&
				r.state == TCP_STATE_LISTEN;
		if (match) {
			*row = r;
			found++;
		}
	}
	fclose(f);
	return found;
}

/* Counter @name of /proc/net/ktcp_snmp ("Name Value" lines). */
static long ktcp_snmp(struct __test_metadata *_metadata, const char *name)
{
	char line[128], key[64];
	bool found = false;
	long value = -1, v;
	FILE *f;

	f = fopen(KTCP_SNMP_PATH, "r");
	ASSERT_NE(NULL, f) TH_LOG("open %s: %s", KTCP_SNMP_PATH, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name)) {
			value = v;
			found = true;
		}
	}
	fclose(f);
	ASSERT_TRUE(found) TH_LOG("%s has no %s", KTCP_SNMP_PATH, name);
	return value;
}

/*
 * Native counter @name of /proc/net/netstat's @prefix ("TcpExt:"):
 * a line of names is followed by a line of values in the same order.
 */
static long netstat_value(struct __test_metadata *_metadata,
			  const char *prefix, const char *name)
{
	char *names = NULL, *values = NULL;
	size_t nsize = 0, vsize = 0;
	size_t plen = strlen(prefix);
	bool found = false;
	long value = -1;
	FILE *f;

	f = fopen(PROC_NET_NETSTAT_PATH, "r");
	ASSERT_NE(NULL, f) {
		TH_LOG("open %s: %s", PROC_NET_NETSTAT_PATH, strerror(errno));
	}
	while (!found && getline(&names, &nsize, f) > 0) {
		char *ns, *vs, *n, *v;

		if (strncmp(names, prefix, plen))
			continue;
		if (getline(&values, &vsize, f) <= 0)
			break;
		n = strtok_r(names + plen, "\n ", &ns);
		v = strtok_r(values + plen, "\n ", &vs);
		while (n && v) {
			if (!strcmp(n, name)) {
				value = strtol(v, NULL, 10);
				found = true;
				break;
			}
			n = strtok_r(NULL, "\n ", &ns);
			v = strtok_r(NULL, "\n ", &vs);
		}
	}
	free(names);
	free(values);
	fclose(f);
	ASSERT_TRUE(found) {
		TH_LOG("%s has no %s %s", PROC_NET_NETSTAT_PATH, prefix, name);
	}
	return value;
}

/*
 * Fixture "conn": one connection per test, the listener of
 * server_family on 127.0.0.1:port (set up), the client of client_family
 * and the accepted end (conn_open()).
 */
FIXTURE(conn) {
	int server_family;
	int client_family;
	struct socks socks;
	uint16_t port;
	int lfd;	/* listener */
	int cfd;	/* client */
	int sfd;	/* accepted, server end */
	pid_t child;	/* the bulk test's reader, until reaped */
};

KTCP_PAIR_VARIANTS(conn, inet);

FIXTURE_SETUP(conn)
{
	self->socks.n = 0;
	self->child = 0;
	self->lfd = self->cfd = self->sfd = -1;
	if ((variant->ktcp_server || variant->ktcp_client) && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->server_family = variant->ktcp_server ?
			      ktcp_family_or_fail(_metadata) : AF_INET;
	self->client_family = variant->ktcp_client ?
			      ktcp_family_or_fail(_metadata) : AF_INET;
	self->lfd = listener(_metadata, &self->socks, self->server_family, 0,
			     8, &self->port);
}

FIXTURE_TEARDOWN(conn)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close_socks(&self->socks);
}

/* Connects a client to the fixture's listener and accepts it. */
static void conn_open(struct __test_metadata *_metadata,
		      FIXTURE_DATA(conn) *self)
{
	self->cfd = connect_to(_metadata, &self->socks, self->client_family,
			       self->port);
	self->sfd = accept_from(_metadata, &self->socks, self->lfd, NULL);
}

/* Nothing more is queued on @fd: a non-blocking recv() is EAGAIN. */
static void assert_no_more_data(struct __test_metadata *_metadata, int fd)
{
	char c;

	ASSERT_EQ(-EAGAIN, recv_ret(fd, &c, 1, MSG_DONTWAIT));
}

/*
 * Native: a blocking connect() to a listener returns 0 once the
 * handshake is done, accept() returns the new connection with the
 * client's name, and the two ends' names mirror each other: the
 * client's name is the server end's peer and the other way round.
 * Data flows both ways byte for byte, and when the client closes the
 * server reads end of file (0).  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(conn, handshake_exchange_and_close_from_client, 30)
{
	struct sockaddr_in from, c_name, c_peer, s_name, s_peer;
	char buf[16];
	int err;

	self->cfd = open_sock(_metadata, &self->socks, self->client_family, 0);
	err = connect_port(self->cfd, self->port);
	ASSERT_EQ(0, err) TH_LOG("connect: %s", strerror(err));
	self->sfd = accept_from(_metadata, &self->socks, self->lfd, &from);

	c_name = name_of(_metadata, self->cfd, false);
	c_peer = name_of(_metadata, self->cfd, true);
	s_name = name_of(_metadata, self->sfd, false);
	s_peer = name_of(_metadata, self->sfd, true);

	assert_sin(_metadata, c_peer, "127.0.0.1", self->port);
	assert_sin(_metadata, s_name, "127.0.0.1", self->port);
	ASSERT_NE(0, c_name.sin_port);
	assert_sin(_metadata, c_name, "127.0.0.1", ntohs(c_name.sin_port));
	assert_sin(_metadata, s_peer, "127.0.0.1", ntohs(c_name.sin_port));
	assert_sin(_metadata, from, "127.0.0.1", ntohs(c_name.sin_port));

	ASSERT_EQ(5, send_ret(self->cfd, "hello", 5, MSG_NOSIGNAL));
	ASSERT_EQ(5, read_exact(self->sfd, buf, 5));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	assert_no_more_data(_metadata, self->sfd);

	ASSERT_EQ(5, send_ret(self->sfd, "world", 5, MSG_NOSIGNAL));
	ASSERT_EQ(5, read_exact(self->cfd, buf, 5));
	ASSERT_EQ(0, memcmp(buf, "world", 5));
	assert_no_more_data(_metadata, self->cfd);

	close_sock(_metadata, &self->socks, self->cfd);
	ASSERT_EQ(0, recv_ret(self->sfd, buf, sizeof(buf), 0));
	close_sock(_metadata, &self->socks, self->sfd);
}

/*
 * Native: when the server end closes first, its FIN reaches the client
 * as end of file: read() returns 0.  ktcp must do the same.
 */
TEST_F_TIMEOUT(conn, close_from_server_gives_client_eof, 30)
{
	char buf[16];

	conn_open(_metadata, self);
	close_sock(_metadata, &self->socks, self->sfd);
	ASSERT_EQ(0, recv_ret(self->cfd, buf, sizeof(buf), 0));
}

/*
 * Native: shutdown(SHUT_WR) sends a FIN but keeps the other direction
 * open: the client can no longer send (EPIPE), the server reads end of
 * file, yet what the server sends afterwards still reaches the client,
 * which reads end of file once the server closes.  ktcp must do the
 * same.
 */
TEST_F_TIMEOUT(conn, half_close_keeps_reverse_direction_open, 30)
{
	char buf[16];

	conn_open(_metadata, self);
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(-EPIPE, send_ret(self->cfd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(0, recv_ret(self->sfd, buf, sizeof(buf), 0));

	ASSERT_EQ(4, send_ret(self->sfd, "late", 4, MSG_NOSIGNAL));
	ASSERT_EQ(4, read_exact(self->cfd, buf, 4));
	ASSERT_EQ(0, memcmp(buf, "late", 4));

	close_sock(_metadata, &self->socks, self->sfd);
	ASSERT_EQ(0, recv_ret(self->cfd, buf, sizeof(buf), 0));
}

static unsigned char bulk_buf[BULK_UP_BYTES];

/*
 * The bulk test's server end, in a child process: reads until end of
 * file checking every byte against the pattern and the total, then
 * sends BULK_DOWN_BYTES of the pattern back and closes.  No ASSERT
 * here: the exit status tells the parent what failed.
 */
static int bulk_server(struct __test_metadata *_metadata, int fd)
{
	size_t total = 0;
	ssize_t bad;
	int err;

	for (;;) {
		ssize_t n = recv(fd, bulk_buf, 65536, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			TH_LOG("server: recv after %zu bytes: %s", total,
			       strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		bad = pattern_mismatch(bulk_buf, n, total);
		if (bad >= 0) {
			TH_LOG("server: byte %zu is %#x, expected %#x",
			       total + bad, bulk_buf[bad],
			       pattern_byte(total + bad));
			return 2;
		}
		total += n;
	}
	if (total != BULK_UP_BYTES) {
		TH_LOG("server: %zu bytes before end of file, expected %d",
		       total, BULK_UP_BYTES);
		return 3;
	}

	fill_pattern(bulk_buf, BULK_DOWN_BYTES);
	err = send_all(fd, bulk_buf, BULK_DOWN_BYTES);
	if (err) {
		TH_LOG("server: send: %s", strerror(err));
		return 4;
	}
	if (close(fd)) {
		TH_LOG("server: close: %s", strerror(errno));
		return 5;
	}
	return 0;
}

/*
 * Native: 1 MiB sent in a loop of send() calls arrives complete and in
 * order, then end of file after the client's shutdown(SHUT_WR); the
 * 256 KiB the server sends back after that arrive the same way.  The
 * server end runs in a child process so both sides make progress.
 * ktcp must do the same.
 */
TEST_F_TIMEOUT(conn, bulk_transfer_1mib_arrives_intact, 60)
{
	ssize_t n, bad;
	int status, err;
	char c;

	conn_open(_metadata, self);

	self->child = fork();
	ASSERT_LE(0, self->child) TH_LOG("fork: %s", strerror(errno));
	if (self->child == 0) {
		/* Only the server end stays open in the child. */
		close(self->cfd);
		close(self->lfd);
		_exit(bulk_server(_metadata, self->sfd));
	}
	/* The child holds the server end now; only its close counts. */
	close_sock(_metadata, &self->socks, self->sfd);

	fill_pattern(bulk_buf, BULK_UP_BYTES);
	err = send_all(self->cfd, bulk_buf, BULK_UP_BYTES);
	ASSERT_EQ(0, err) TH_LOG("client send: %s", strerror(err));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));

	memset(bulk_buf, 0, BULK_DOWN_BYTES);
	n = read_exact(self->cfd, bulk_buf, BULK_DOWN_BYTES);
	ASSERT_EQ(BULK_DOWN_BYTES, n) {
		TH_LOG("client read: %s", n < 0 ? strerror(-n) : "short");
	}
	bad = pattern_mismatch(bulk_buf, BULK_DOWN_BYTES, 0);
	ASSERT_EQ(-1, bad) {
		TH_LOG("client: byte %zd is %#x, expected %#x", bad,
		       bulk_buf[bad], pattern_byte(bad));
	}
	ASSERT_EQ(0, recv_ret(self->cfd, &c, 1, 0));

	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("reader status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/*
 * Native (RFC 2525, 2.17): close() with received data still unread
 * aborts the connection with a RST instead of a FIN.  The peer's
 * poll() reports POLLIN | POLLERR | POLLHUP, its read() fails once with
 * ECONNRESET, and reads 0 after that.  ktcp must do the same.
 */
TEST_F_TIMEOUT(conn, close_with_unread_data_sends_rst, 30)
{
	char buf[16];

	conn_open(_metadata, self);
	ASSERT_EQ(10, send_ret(self->cfd, "0123456789", 10, MSG_NOSIGNAL));
	ASSERT_EQ(POLLIN, poll_one(self->sfd, POLLIN, POLL_MS));
	msleep(200);
	close_sock(_metadata, &self->socks, self->sfd);

	ASSERT_EQ(POLLIN | POLLERR | POLLHUP,
		  poll_one(self->cfd, POLLIN, POLL_MS));
	ASSERT_EQ(-ECONNRESET, recv_ret(self->cfd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, recv_ret(self->cfd, buf, sizeof(buf), 0));
}

/*
 * Native: close() with SO_LINGER {1, 0} aborts with a RST; the peer's
 * poll() reports POLLIN | POLLERR | POLLHUP and its read() fails with
 * ECONNRESET.  ktcp must do the same.
 */
TEST_F_TIMEOUT(conn, so_linger_zero_aborts_with_rst, 30)
{
	char buf[16];

	conn_open(_metadata, self);
	set_linger_zero(_metadata, self->cfd);
	close_sock(_metadata, &self->socks, self->cfd);

	ASSERT_EQ(POLLIN | POLLERR | POLLHUP,
		  poll_one(self->sfd, POLLIN, POLL_MS));
	ASSERT_EQ(-ECONNRESET, recv_ret(self->sfd, buf, sizeof(buf), 0));
}

/*
 * Native: after the peer's RST, the first send() reports the pending
 * ECONNRESET and consumes it; every later send() fails with EPIPE
 * (MSG_NOSIGNAL: no SIGPIPE).  ktcp must do the same.
 */
TEST_F_TIMEOUT(conn, write_after_reset_is_econnreset_then_epipe, 30)
{
	conn_open(_metadata, self);
	set_linger_zero(_metadata, self->sfd);
	close_sock(_metadata, &self->socks, self->sfd);

	ASSERT_EQ(POLLIN | POLLERR | POLLHUP,
		  poll_one(self->cfd, POLLIN | POLLERR, POLL_MS));
	ASSERT_EQ(-ECONNRESET, send_ret(self->cfd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(-EPIPE, send_ret(self->cfd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(-EPIPE, send_ret(self->cfd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(0, so_error(_metadata, self->cfd));
}

/*
 * Fixture "connect_errors": the socket under test is of the variant's
 * family; what it connects to is native AF_INET.
 */
FIXTURE(connect_errors) {
	int family;
	struct socks socks;
};

FIXTURE_VARIANT(connect_errors) {
	bool ktcp;
	const char *port_range_path;
};

FIXTURE_VARIANT_ADD(connect_errors, inet) {
	.ktcp = false,
	.port_range_path = INET_PORT_RANGE_PATH,
};

FIXTURE_VARIANT_ADD(connect_errors, ktcp) {
	.ktcp = true,
	.port_range_path = KTCP_PORT_RANGE_PATH,
};

FIXTURE_SETUP(connect_errors)
{
	self->socks.n = 0;
	if (variant->ktcp && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->family = variant->ktcp ? ktcp_family_or_fail(_metadata) : AF_INET;
}

FIXTURE_TEARDOWN(connect_errors)
{
	close_socks(&self->socks);
}

/*
 * A port nothing listens on: a native socket bound to it (and kept
 * bound so that nothing else takes it) but not listening.
 */
static uint16_t closed_port(struct __test_metadata *_metadata,
			    struct socks *socks)
{
	int fd = open_sock(_metadata, socks, AF_INET, 0);

	return bind_free_port(_metadata, fd);
}

/*
 * Native: the SYN to a port without a listener is answered with a RST,
 * and a blocking connect() fails with ECONNREFUSED; connect() reports
 * the error itself, so SO_ERROR is 0 afterwards.  ktcp must do the same
 * when the RST comes from native TCP.
 */
TEST_F_TIMEOUT(connect_errors, connect_to_closed_port_is_econnrefused, 20)
{
	uint16_t port = closed_port(_metadata, &self->socks);
	int fd = open_sock(_metadata, &self->socks, self->family, 0);

	ASSERT_EQ(ECONNREFUSED, connect_port(fd, port));
	ASSERT_EQ(0, so_error(_metadata, fd));
}

/*
 * Native: a non-blocking connect() returns -1 EINPROGRESS (on loopback
 * the handshake never completes within the call), poll() then reports
 * POLLOUT alone and SO_ERROR is 0.  ktcp must do the same; a connect()
 * that completes at once (0) is accepted too.
 */
TEST_F_TIMEOUT(connect_errors,
	       nonblocking_connect_is_einprogress_then_pollout_and_so_error_zero,
	       20)
{
	uint16_t port;
	int fd, err;

	listener(_metadata, &self->socks, AF_INET, 0, 1, &port);
	fd = open_sock(_metadata, &self->socks, self->family, SOCK_NONBLOCK);
	err = connect_port(fd, port);
	if (err == 0) {
		TH_LOG("non-blocking connect() completed at once");
	} else {
		ASSERT_EQ(EINPROGRESS, err) TH_LOG("connect: %s", strerror(err));
		ASSERT_EQ(POLLOUT, poll_one(fd, POLLOUT, POLL_MS));
	}
	ASSERT_EQ(0, so_error(_metadata, fd));
}

/*
 * Native: a non-blocking connect() to a port without a listener returns
 * EINPROGRESS; the RST then makes poll() report POLLOUT | POLLERR |
 * POLLHUP, and SO_ERROR is ECONNREFUSED, once: reading it clears it.
 * ktcp must do the same.
 */
TEST_F_TIMEOUT(connect_errors,
	       nonblocking_connect_to_closed_port_reports_econnrefused_in_so_error,
	       20)
{
	uint16_t port = closed_port(_metadata, &self->socks);
	int fd = open_sock(_metadata, &self->socks, self->family,
			   SOCK_NONBLOCK);

	ASSERT_EQ(EINPROGRESS, connect_port(fd, port));
	ASSERT_EQ(POLLOUT | POLLERR | POLLHUP,
		  poll_one(fd, POLLOUT, POLL_MS));
	ASSERT_EQ(ECONNREFUSED, so_error(_metadata, fd));
	ASSERT_EQ(0, so_error(_metadata, fd));
}

/*
 * Native: connect() on a connected socket is EISCONN.  ktcp must do
 * the same.
 */
TEST_F_TIMEOUT(connect_errors, second_connect_is_eisconn, 20)
{
	uint16_t port;
	int fd;

	listener(_metadata, &self->socks, AF_INET, 0, 1, &port);
	fd = connect_to(_metadata, &self->socks, self->family, port);
	ASSERT_EQ(EISCONN, connect_port(fd, port));
	ASSERT_EQ(EISCONN, connect_port(fd, port));
}

/*
 * Native: while a non-blocking connect() is still in SYN-SENT, another
 * connect() is EALREADY, poll() reports nothing and SO_ERROR is 0.  To
 * hold the connection in SYN-SENT the native listener's accept queue
 * is full (listen(0) holds one connection, then SYNs are dropped and
 * only retransmitted after the 1 s initial RTO).  ktcp must do the
 * same.
 *
 * (To a listener that answers, the second connect() on loopback is not
 * EALREADY natively: the handshake has completed by the time the first
 * connect() returns EINPROGRESS, and the second returns 0.)
 */
TEST_F_TIMEOUT(connect_errors,
	       nonblocking_second_connect_while_pending_is_ealready, 20)
{
	uint16_t port;
	int fd;

	listener(_metadata, &self->socks, AF_INET, 0, 0, &port);
	connect_to(_metadata, &self->socks, AF_INET, port);

	fd = open_sock(_metadata, &self->socks, self->family, SOCK_NONBLOCK);
	ASSERT_EQ(EINPROGRESS, connect_port(fd, port));
	ASSERT_EQ(EALREADY, connect_port(fd, port));
	ASSERT_EQ(0, poll_one(fd, POLLOUT, 0));
	ASSERT_EQ(EALREADY, connect_port(fd, port));
	ASSERT_EQ(0, so_error(_metadata, fd));
}

/*
 * Native: connect() with an address length below sizeof(struct
 * sockaddr_in) is EINVAL and leaves the socket unbound.  ktcp must do
 * the same.
 */
TEST_F_TIMEOUT(connect_errors, connect_short_addrlen_is_einval, 20)
{
	uint16_t port = closed_port(_metadata, &self->socks);
	int fd = open_sock(_metadata, &self->socks, self->family, 0);
	struct sockaddr_in sin = loopback(port);

	ASSERT_EQ(EINVAL, connect_err(fd, &sin, sizeof(sin) - 1));
	ASSERT_EQ(EINVAL, connect_err(fd, &sin, sizeof(sa_family_t)));
	ASSERT_EQ(EINVAL, connect_err(fd, &sin, 0));
	assert_sin(_metadata, name_of(_metadata, fd, false), "0.0.0.0", 0);
}

/*
 * Native: AF_INET6 in a sockaddr_in-sized buffer is EAFNOSUPPORT to an
 * AF_INET socket and leaves it unbound.  ktcp differs on purpose: its
 * sockets speak both families, and an AF_INET6 address is held to
 * AF_INET6's rules, where 16 bytes are too short: EINVAL, as
 * tcp_v6_connect() says (ipv6_test checks it against AF_INET6).  The
 * socket stays unbound either way.
 */
TEST_F_TIMEOUT(connect_errors, connect_inet6_family_in_sockaddr_in_is_refused,
	       20)
{
	uint16_t port = closed_port(_metadata, &self->socks);
	int fd = open_sock(_metadata, &self->socks, self->family, 0);
	struct sockaddr_in sin = sin_of(AF_INET6, "127.0.0.1", port);

	ASSERT_EQ(variant->ktcp ? EINVAL : EAFNOSUPPORT,
		  connect_err(fd, &sin, sizeof(sin)));
	assert_sin(_metadata, name_of(_metadata, fd, false), "0.0.0.0", 0);
}

/*
 * Native: to an AF_INET socket a whole struct sockaddr_in6 is
 * EAFNOSUPPORT.  ktcp must match once its socket is IPv4, here by a
 * bind() of a struct sockaddr_in.
 */
TEST_F_TIMEOUT(connect_errors, connect_sockaddr_in6_to_ipv4_socket_is_eafnosupport,
	       20)
{
	uint16_t port = closed_port(_metadata, &self->socks);
	int fd = open_sock(_metadata, &self->socks, self->family, 0);
	struct sockaddr_in sin = loopback(0);
	struct sockaddr_in6 sin6;

	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	sin6.sin6_addr = in6addr_loopback;
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	ASSERT_EQ(EAFNOSUPPORT, errno);
}

/*
 * Native: listen() on an unbound socket binds it to 0.0.0.0 and an
 * ephemeral port of net.ipv4.ip_local_port_range.  ktcp must do the
 * same with its own net.ktcp.ip_local_port_range.
 */
TEST_F_TIMEOUT(connect_errors, listen_on_unbound_socket_autobinds, 20)
{
	int fd = open_sock(_metadata, &self->socks, self->family, 0);
	struct sockaddr_in name;
	int low, high;

	read_port_range(_metadata, variant->port_range_path, &low, &high);
	ASSERT_EQ(0, listen(fd, 1)) TH_LOG("listen: %s", strerror(errno));
	name = name_of(_metadata, fd, false);
	ASSERT_NE(0, name.sin_port);
	assert_sin(_metadata, name, "0.0.0.0", ntohs(name.sin_port));
	EXPECT_LE(low, ntohs(name.sin_port));
	EXPECT_GE(high, ntohs(name.sin_port));
}

/* This test's process in a network namespace of its own, lo up. */
static void own_netns_with_lo(struct __test_metadata *_metadata)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET))
		TH_LOG("unshare(CLONE_NEWNET): %s", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_EQ(0, ioctl(fd, SIOCSIFFLAGS, &ifr));
	close(fd);
}

/*
 * Native: a connect() that finds no free port in the ephemeral range
 * fails with EADDRNOTAVAIL (__inet_hash_connect()), where bind() to
 * port 0 and listen() on an unbound socket fail with EADDRINUSE
 * (inet_csk_get_port()).  ktcp must do the same.  In a namespace of
 * its own, the range narrowed to one port that a bound socket holds.
 */
TEST_F_TIMEOUT(connect_errors, no_free_port_is_eaddrnotavail_on_connect, 20)
{
	const uint16_t port = 40007;
	struct sockaddr_in any = loopback(0), one = loopback(port);
	int held, fd;
	FILE *f;

	own_netns_with_lo(_metadata);
	f = fopen(variant->port_range_path, "w");
	ASSERT_NE(NULL, f);
	ASSERT_LT(0, fprintf(f, "%u %u\n", port, port));
	ASSERT_EQ(0, fclose(f)) TH_LOG("%s: %s", variant->port_range_path,
				      strerror(errno));

	held = open_sock(_metadata, &self->socks, self->family, 0);
	ASSERT_EQ(0, bind(held, (struct sockaddr *)&one, sizeof(one)))
		TH_LOG("bind to %u: %s", port, strerror(errno));

	fd = open_sock(_metadata, &self->socks, self->family, 0);
	ASSERT_EQ(EADDRNOTAVAIL, connect_port(fd, 20007))
		TH_LOG("connect with no free port");

	fd = open_sock(_metadata, &self->socks, self->family, 0);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&any, sizeof(any)));
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind to port 0: %s", strerror(errno));

	fd = open_sock(_metadata, &self->socks, self->family, 0);
	ASSERT_EQ(-1, listen(fd, 1));
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("listen unbound: %s", strerror(errno));
}

/*
 * Native: accept() on a non-blocking listener with nothing queued is
 * EAGAIN.  ktcp must do the same.
 */
TEST_F_TIMEOUT(connect_errors, accept_nonblocking_without_pending_is_eagain,
	       20)
{
	uint16_t port;
	int lfd, fd, err;

	lfd = listener(_metadata, &self->socks, self->family, SOCK_NONBLOCK,
		       1, &port);
	fd = accept(lfd, NULL, NULL);
	err = errno;
	if (fd >= 0)
		track_sock(_metadata, &self->socks, fd, SOCK_TIMEOUT_MS);
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(EAGAIN, err);
}

/*
 * Native: recv() on a socket that never connected is ENOTCONN, at once
 * even on a blocking socket.  ktcp must do the same.
 */
TEST_F_TIMEOUT(connect_errors, recv_on_unconnected_socket_is_enotconn, 20)
{
	int fd = open_sock(_metadata, &self->socks, self->family, 0);
	char c;

	ASSERT_EQ(-ENOTCONN, recv_ret(fd, &c, 1, 0));
}

/* Native: so is recv() on a listening socket.  ktcp must do the same. */
TEST_F_TIMEOUT(connect_errors, recv_on_listening_socket_is_enotconn, 20)
{
	uint16_t port;
	int lfd;
	char c;

	lfd = listener(_metadata, &self->socks, self->family, 0, 1, &port);
	ASSERT_EQ(-ENOTCONN, recv_ret(lfd, &c, 1, 0));
}

/*
 * Native: send() on a socket that never connected is EPIPE, not
 * ENOTCONN (tcp_sendmsg() finds it in CLOSE, not SYN-SENT), and with
 * MSG_NOSIGNAL raises no SIGPIPE.  ktcp must do the same.
 */
TEST_F_TIMEOUT(connect_errors, send_on_unconnected_socket_is_epipe, 20)
{
	int fd = open_sock(_metadata, &self->socks, self->family, 0);

	ASSERT_EQ(-EPIPE, send_ret(fd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(0, so_error(_metadata, fd));
}

/*
 * Native: shutdown() of a socket that never connected is ENOTCONN, for
 * every direction.  ktcp must do the same.
 */
TEST_F_TIMEOUT(connect_errors, shutdown_unconnected_is_enotconn, 20)
{
	int fd = open_sock(_metadata, &self->socks, self->family, 0);
	int how[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(how); i++) {
		int ret = shutdown(fd, how[i]);
		int err = errno;

		ASSERT_EQ(-1, ret) TH_LOG("shutdown(%d) succeeded", how[i]);
		ASSERT_EQ(ENOTCONN, err) {
			TH_LOG("shutdown(%d): %s", how[i], strerror(err));
		}
	}
}

/*
 * Fixture "backlog": the listener is of the variant's family, the
 * clients are always native AF_INET.
 */
FIXTURE(backlog) {
	int family;
	struct socks socks;
};

FIXTURE_VARIANT(backlog) {
	bool ktcp;
	const char *proc_path;
};

FIXTURE_VARIANT_ADD(backlog, inet) {
	.ktcp = false,
	.proc_path = PROC_NET_TCP_PATH,
};

FIXTURE_VARIANT_ADD(backlog, ktcp) {
	.ktcp = true,
	.proc_path = KTCP_PROC_NET_PATH,
};

FIXTURE_SETUP(backlog)
{
	self->socks.n = 0;
	if (variant->ktcp && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->family = variant->ktcp ? ktcp_family_or_fail(_metadata) : AF_INET;
}

FIXTURE_TEARDOWN(backlog)
{
	close_socks(&self->socks);
}

/* ListenOverflows: ktcp's own counter, or native's TcpExt one. */
static long listen_overflows(struct __test_metadata *_metadata, bool ktcp)
{
	if (ktcp)
		return ktcp_snmp(_metadata, "ListenOverflows");
	return netstat_value(_metadata, "TcpExt:", "ListenOverflows");
}

/*
 * Native: listen(2) lets backlog + 1 = 3 connections complete and wait
 * in the accept queue; the SYNs of further clients are dropped
 * (counted in ListenOverflows), so those stay in SYN-SENT.  The
 * listener's /proc/net/tcp row shows the queue length in rx_queue.
 * Once the queue is full exactly 3 non-blocking accept()s succeed and
 * the 4th is EAGAIN (the dropped SYNs are retransmitted only at 3 s).
 * ktcp must do the same, in /proc/net/ktcp and its ListenOverflows.
 */
TEST_F_TIMEOUT(backlog, full_accept_queue_holds_backlog_plus_one, 30)
{
	int cfd[BACKLOG_CLIENTS];
	long before, after;
	struct proc_row row;
	int lfd, fd, i, err, connected = 0;
	uint16_t port;

	before = listen_overflows(_metadata, variant->ktcp);
	lfd = listener(_metadata, &self->socks, self->family, 0, BACKLOG,
		       &port);

	for (i = 0; i < BACKLOG_CLIENTS; i++) {
		cfd[i] = open_sock(_metadata, &self->socks, AF_INET,
				   SOCK_NONBLOCK);
		err = connect_port(cfd[i], port);
		ASSERT_EQ(EINPROGRESS, err) {
			TH_LOG("client %d: connect: %s", i, strerror(err));
		}
	}
	msleep(BACKLOG_WAIT_MS);

	for (i = 0; i < BACKLOG_CLIENTS; i++)
		if (poll_one(cfd[i], POLLOUT, 0) & POLLOUT)
			connected++;
	ASSERT_EQ(1, proc_find(_metadata, variant->proc_path,
			       PROC_BY_LISTEN_PORT, port, &row)) {
		TH_LOG("no single listener row for port %u in %s", port,
		       variant->proc_path);
	}
	after = listen_overflows(_metadata, variant->ktcp);
	TH_LOG("listen(%d), %d clients: rx_queue %u, %d clients connected within %d ms, ListenOverflows +%ld",
	       BACKLOG, BACKLOG_CLIENTS, row.rx_queue, connected,
	       BACKLOG_WAIT_MS, after - before);

	EXPECT_EQ((unsigned int)BACKLOG_QUEUED, row.rx_queue);
	EXPECT_EQ(BACKLOG_QUEUED, connected);
	EXPECT_LT(before, after);

	set_nonblocking(_metadata, lfd);
	for (i = 0; i < BACKLOG_QUEUED; i++)
		accept_from(_metadata, &self->socks, lfd, NULL);
	fd = accept(lfd, NULL, NULL);
	err = errno;
	if (fd >= 0)
		track_sock(_metadata, &self->socks, fd, SOCK_TIMEOUT_MS);
	ASSERT_EQ(-1, fd) TH_LOG("a 4th connection was queued");
	ASSERT_EQ(EAGAIN, err);
}

/* Fixture "counters": ktcp alone, its /proc/net/ktcp_snmp and table. */
FIXTURE(counters) {
	int family;
	struct socks socks;
};

FIXTURE_SETUP(counters)
{
	self->socks.n = 0;
	if (inet_only())
		SKIP(return, "%s=1: ktcp test skipped", INET_ONLY_ENV);
	self->family = ktcp_family_or_fail(_metadata);
}

FIXTURE_TEARDOWN(counters)
{
	close_socks(&self->socks);
}

/*
 * Waits up to 2 s, in 50 ms steps, for ktcp counter @name to be @want;
 * returns its last value.
 */
static long wait_ktcp_snmp(struct __test_metadata *_metadata,
			   const char *name, long want)
{
	long v = ktcp_snmp(_metadata, name);
	int waited;

	for (waited = 0; v != want && waited < POLL_MS; waited += 50) {
		msleep(50);
		v = ktcp_snmp(_metadata, name);
	}
	return v;
}

/*
 * As native's Tcp: ActiveOpens, ktcp's counts one per connect() (to a
 * native listener here).
 */
TEST_F_TIMEOUT(counters, active_opens_increments_once_per_connect, 20)
{
	long before;
	uint16_t port;
	int i;

	listener(_metadata, &self->socks, AF_INET, 0, 8, &port);
	for (i = 0; i < 2; i++) {
		before = ktcp_snmp(_metadata, "ActiveOpens");
		connect_to(_metadata, &self->socks, self->family, port);
		EXPECT_EQ(before + 1, ktcp_snmp(_metadata, "ActiveOpens"));
	}
}

/*
 * As native's Tcp: PassiveOpens, ktcp's counts one per connection a
 * listener took (from a native client here).
 */
TEST_F_TIMEOUT(counters, passive_opens_increments_once_per_accepted_connection,
	       20)
{
	long before;
	uint16_t port;
	int lfd, i;

	lfd = listener(_metadata, &self->socks, self->family, 0, 8, &port);
	for (i = 0; i < 2; i++) {
		before = ktcp_snmp(_metadata, "PassiveOpens");
		connect_to(_metadata, &self->socks, AF_INET, port);
		accept_from(_metadata, &self->socks, lfd, NULL);
		EXPECT_EQ(before + 1, ktcp_snmp(_metadata, "PassiveOpens"));
	}
}

/*
 * As native's Tcp: CurrEstab, ktcp's counts its connections in
 * ESTABLISHED (or CLOSE-WAIT): a ktcp-to-ktcp connection adds two, and
 * both are gone again shortly after both ends closed.
 */
TEST_F_TIMEOUT(counters, curr_estab_counts_established_connections, 20)
{
	long before, now;
	uint16_t port;
	int lfd, cfd, sfd;
	char c;

	before = ktcp_snmp(_metadata, "CurrEstab");
	lfd = listener(_metadata, &self->socks, self->family, 0, 8, &port);
	cfd = connect_to(_metadata, &self->socks, self->family, port);
	sfd = accept_from(_metadata, &self->socks, lfd, NULL);
	ASSERT_EQ(before + 2, ktcp_snmp(_metadata, "CurrEstab"));

	close_sock(_metadata, &self->socks, cfd);
	ASSERT_EQ(0, recv_ret(sfd, &c, 1, 0));
	close_sock(_metadata, &self->socks, sfd);
	msleep(200);
	now = wait_ktcp_snmp(_metadata, "CurrEstab", before);
	ASSERT_EQ(before, now);
}

/*
 * As native's Tcp: OutRsts, ktcp's counts the RST that close() with
 * SO_LINGER {1, 0} sends (to a native server here, which sees
 * ECONNRESET).
 */
TEST_F_TIMEOUT(counters, out_rsts_increases_after_so_linger_zero_abort, 20)
{
	long before, after;
	uint16_t port;
	int lfd, cfd, sfd;
	char c;

	lfd = listener(_metadata, &self->socks, AF_INET, 0, 8, &port);
	cfd = connect_to(_metadata, &self->socks, self->family, port);
	sfd = accept_from(_metadata, &self->socks, lfd, NULL);

	before = ktcp_snmp(_metadata, "OutRsts");
	set_linger_zero(_metadata, cfd);
	close_sock(_metadata, &self->socks, cfd);
	ASSERT_NE(0, poll_one(sfd, POLLIN, POLL_MS));
	ASSERT_EQ(-ECONNRESET, recv_ret(sfd, &c, 1, 0));
	after = ktcp_snmp(_metadata, "OutRsts");
	EXPECT_LT(before, after);
}

/*
 * /proc/net/ktcp lists both ends of a ktcp-to-ktcp connection in state
 * 01 (ESTABLISHED), each one's local address:port being the other's
 * remote one.
 */
TEST_F_TIMEOUT(counters, proc_net_ktcp_shows_established_pair, 20)
{
	struct proc_row c, s;
	uint16_t port;
	int lfd, cfd, sfd;

	lfd = listener(_metadata, &self->socks, self->family, 0, 8, &port);
	cfd = connect_to(_metadata, &self->socks, self->family, port);
	sfd = accept_from(_metadata, &self->socks, lfd, NULL);

	ASSERT_EQ(1, proc_find(_metadata, KTCP_PROC_NET_PATH, PROC_BY_INODE,
			       inode_of(_metadata, cfd), &c));
	ASSERT_EQ(1, proc_find(_metadata, KTCP_PROC_NET_PATH, PROC_BY_INODE,
			       inode_of(_metadata, sfd), &s));
	EXPECT_EQ(TCP_STATE_ESTABLISHED, c.state);
	EXPECT_EQ(TCP_STATE_ESTABLISHED, s.state);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), s.local_addr);
	EXPECT_EQ(port, s.local_port);
	EXPECT_EQ(c.local_addr, s.rem_addr);
	EXPECT_EQ(c.local_port, s.rem_port);
	EXPECT_EQ(c.rem_addr, s.local_addr);
	EXPECT_EQ(c.rem_port, s.local_port);
	EXPECT_EQ(ntohs(name_of(_metadata, cfd, false).sin_port),
		  c.local_port);
}

TEST_HARNESS_MAIN
