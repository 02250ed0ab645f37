// SPDX-License-Identifier: GPL-2.0
/*
 * bind_test - socket(), bind(), getsockname() and close() on ktcp,
 * held against native TCP.
 *
 * The "bind" fixture has two variants that run the very same code:
 * "inet" opens the sockets with AF_INET and documents what native TCP
 * does, "ktcp" opens them with the family of the loaded ktcp module
 * and checks that ktcp does the same.  Behaviour only ktcp has (its
 * /proc/net/ktcp table, its sysctl, refusing SOCK_DGRAM, yielding to
 * native listeners) is tested by fixtures without an inet variant.
 *
 * The ktcp tests fail, rather than skip, when ktcp.ko is not loaded.
 * Set KTCP_SELFTEST_INET_ONLY=1 to skip them instead, e.g. to run the
 * inet half on a machine that cannot load the module.
 *
 * Needs root for the privileged port test and for the sysctl tests.
 * The sysctl tests change net.ktcp.ip_local_port_range of the current
 * network namespace and restore it from a parent process, so that the
 * value comes back even when a test crashes.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

#include "ktcp_harness.h"

/* TCP_CLOSE in the "st" column of /proc/net/tcp (include/net/tcp_states.h). */
#define TCP_STATE_CLOSE		7U

/*
 * Explicit ports are taken from here: below both ephemeral ranges
 * (native 32768-60999, ktcp 61000-65535 by default), so that no
 * ephemeral bind of this or another program lands on them by chance.
 */
#define TEST_PORT_LOW		20000
#define TEST_PORT_HIGH		29999
#define PRIV_PORT_LOW		600
#define PRIV_PORT_HIGH		1023
#define PORT_TRIES		100

/* The sysctl tests narrow the ktcp ephemeral range to these two ports. */
#define NARROW_PORT_LOW		62000
#define NARROW_PORT_HIGH	62001

static struct sockaddr_in inet_addr_port(const char *ip, uint16_t port)
{
	return sin_of(AF_INET, ip, port);
}

/* bind() that returns 0 or the errno, for ASSERT_EQ(EXXX, ...). */
static int bind_err(int fd, const struct sockaddr_in *sin, socklen_t len)
{
	return bind(fd, (const struct sockaddr *)sin, len) ? errno : 0;
}

static int bind_sin(int fd, const struct sockaddr_in *sin)
{
	return bind_err(fd, sin, sizeof(*sin));
}

/* Nothing here blocks: no timeouts to set. */
static int open_sock(struct __test_metadata *_metadata, struct socks *socks,
		     int family)
{
	return open_tracked_sock(_metadata, socks, family, 0, 0);
}

/*
 * Bind @fd to @sin's address and the first port of [@low, @high], from
 * a per-process starting point on, that is not in use (EADDRINUSE).
 * Any other error fails the test.  Returns the port bound.
 */
static uint16_t bind_free_port(struct __test_metadata *_metadata, int fd,
			       struct sockaddr_in sin, int low, int high)
{
	int span = high - low + 1;
	int start = (getpid() * 7919) % span;
	int i, err = 0;

	for (i = 0; i < PORT_TRIES && i < span; i++) {
		uint16_t port = low + (start + i) % span;

		sin.sin_port = htons(port);
		err = bind_sin(fd, &sin);
		if (!err)
			return port;
		ASSERT_EQ(EADDRINUSE, err) {
			TH_LOG("bind(port %u): %s", port, strerror(err));
		}
	}
	ASSERT_EQ(0, err) {
		TH_LOG("no free port among %d tried in %d-%d", i, low, high);
	}
	return 0;
}

static struct sockaddr_in getsockname_or_fail(struct __test_metadata *_metadata,
					      int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0xa5, sizeof(sin));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sin, &len)) {
		TH_LOG("getsockname: %s", strerror(errno));
	}
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	return sin;
}

/* getsockname() must report exactly AF_INET @ip:@port. */
static void assert_sockname(struct __test_metadata *_metadata, int fd,
			    const char *ip, uint16_t port)
{
	struct sockaddr_in want = inet_addr_port(ip, port);
	struct sockaddr_in got = getsockname_or_fail(_metadata, fd);

	ASSERT_EQ(AF_INET, got.sin_family);
	ASSERT_EQ(want.sin_addr.s_addr, got.sin_addr.s_addr) {
		TH_LOG("getsockname address %s, expected %s",
		       inet_ntoa(got.sin_addr), ip);
	}
	ASSERT_EQ(port, ntohs(got.sin_port));
}

static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

static void read_port_range(struct __test_metadata *_metadata,
			    const char *path, int *low, int *high)
{
	char buf[64];
	int err = read_text(path, buf, sizeof(buf));

	ASSERT_EQ(0, err) TH_LOG("read %s: %s", path, strerror(-err));
	ASSERT_EQ(2, sscanf(buf, "%d %d", low, high)) {
		TH_LOG("%s: unexpected content \"%s\"", path, buf);
	}
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
	unsigned int uid;
	unsigned long inode;
};

static void strip_trailing_space(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* The header line of @path, without its padding and newline. */
static void proc_header(struct __test_metadata *_metadata, const char *path,
			char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	ASSERT_NE(NULL, f) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_NE(NULL, fgets(buf, size, f)) TH_LOG("%s is empty", path);
	fclose(f);
	strip_trailing_space(buf);
}

/*
 * Parses every row of @path (which must all be well formed) and counts
 * those of socket inode @inode; the last one found is copied to @row.
 */
static int proc_rows_of_inode(struct __test_metadata *_metadata,
			      const char *path, unsigned long inode,
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
		int n;

		n = sscanf(line,
			   "%*d: %8X:%4X %8X:%4X %2X %*X:%*X %*X:%*X %*X %u %*d %lu",
			   &r.local_addr, &r.local_port, &r.rem_addr,
			   &r.rem_port, &r.state, &r.uid, &r.inode);
		ASSERT_EQ(7, n) TH_LOG("%s: malformed row: %s", path, line);
		if (r.inode == inode) {
			*row = r;
			found++;
		}
	}
	fclose(f);
	return found;
}

FIXTURE(bind) {
	int family;
	struct socks socks;
};

FIXTURE_VARIANT(bind) {
	bool ktcp;
	const char *port_range_path;
};

FIXTURE_VARIANT_ADD(bind, inet) {
	.ktcp = false,
	.port_range_path = INET_PORT_RANGE_PATH,
};

FIXTURE_VARIANT_ADD(bind, ktcp) {
	.ktcp = true,
	.port_range_path = KTCP_PORT_RANGE_PATH,
};

FIXTURE_SETUP(bind)
{
	self->socks.n = 0;
	if (variant->ktcp && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->family = variant->ktcp ? ktcp_family_or_fail(_metadata) : AF_INET;
}

FIXTURE_TEARDOWN(bind)
{
	close_socks(&self->socks);
}

/* Native: socket(AF_INET, SOCK_STREAM, 0) is TCP.  ktcp must match. */
TEST_F(bind, socket_stream_with_protocol_zero_succeeds)
{
	int fd = socket(self->family, SOCK_STREAM, 0);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	EXPECT_EQ(0, close(fd));
}

/* Native: naming IPPROTO_TCP explicitly is the same.  ktcp must match. */
TEST_F(bind, socket_stream_with_ipproto_tcp_succeeds)
{
	int fd = socket(self->family, SOCK_STREAM, IPPROTO_TCP);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	EXPECT_EQ(0, close(fd));
}

/*
 * Native: no stream protocol of AF_INET is UDP, so
 * socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) is EPROTONOSUPPORT.
 * ktcp must match.
 */
TEST_F(bind, socket_stream_with_ipproto_udp_is_eprotonosupport)
{
	int fd = socket(self->family, SOCK_STREAM, IPPROTO_UDP);

	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	if (fd >= 0)
		close(fd);
}

/*
 * Native: AF_INET has no SOCK_SEQPACKET protocol (unless SCTP is
 * loaded), so the type is ESOCKTNOSUPPORT.  ktcp must match.
 */
TEST_F(bind, socket_seqpacket_is_esocktnosupport)
{
	int fd = socket(self->family, SOCK_SEQPACKET, 0);

	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
	if (fd >= 0)
		close(fd);
}

/*
 * Native: an unbound TCP socket's name is AF_INET 0.0.0.0:0 and
 * getsockname() sets the length to sizeof(struct sockaddr_in).
 * ktcp must match.
 */
TEST_F(bind, getsockname_before_bind_is_any_addr_port_zero)
{
	int fd = open_sock(_metadata, &self->socks, self->family);

	assert_sockname(_metadata, fd, "0.0.0.0", 0);
}

/*
 * Native: bind() with an address length below sizeof(struct
 * sockaddr_in) is EINVAL and leaves the socket unbound.  ktcp must match.
 */
TEST_F(bind, bind_short_addrlen_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", 0);

	EXPECT_EQ(EINVAL, bind_err(fd, &sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, bind_err(fd, &sin, sizeof(sa_family_t)));
	EXPECT_EQ(EINVAL, bind_err(fd, &sin, 0));
	assert_sockname(_metadata, fd, "0.0.0.0", 0);
}

/*
 * Native: AF_INET6 in a sockaddr_in-sized buffer is EAFNOSUPPORT to an
 * AF_INET socket.  Here ktcp differs on purpose: its sockets speak
 * both families, and an AF_INET6 address is held to AF_INET6's rules,
 * where 16 bytes are too short for a sockaddr_in6: EINVAL, as
 * inet6_bind() says (ipv6_test checks it against AF_INET6).  Either
 * way the socket stays unbound, with no family yet: getsockname()
 * still says 0.0.0.0:0.
 */
TEST_F(bind, bind_inet6_family_in_sockaddr_in_is_refused)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = sin_of(AF_INET6, "127.0.0.1", 0);

	EXPECT_EQ(variant->ktcp ? EINVAL : EAFNOSUPPORT, bind_sin(fd, &sin));
	assert_sockname(_metadata, fd, "0.0.0.0", 0);
}

/*
 * Native: for compatibility with old programs AF_INET accepts
 * sin_family AF_UNSPEC when the address is INADDR_ANY, and binds as if
 * it were AF_INET.  ktcp must match.
 */
TEST_F(bind, bind_unspec_family_with_any_addr_is_accepted)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port;

	port = bind_free_port(_metadata, fd, sin_of(AF_UNSPEC, "0.0.0.0", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	assert_sockname(_metadata, fd, "0.0.0.0", port);
}

/*
 * Native: AF_UNSPEC with any other address than INADDR_ANY is
 * EAFNOSUPPORT.  ktcp must match.
 */
TEST_F(bind, bind_unspec_family_with_loopback_is_eafnosupport)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = sin_of(AF_UNSPEC, "127.0.0.1", 0);

	EXPECT_EQ(EAFNOSUPPORT, bind_sin(fd, &sin));
	assert_sockname(_metadata, fd, "0.0.0.0", 0);
}

/*
 * Native: an address no local interface has (192.0.2.1, TEST-NET-1) is
 * EADDRNOTAVAIL, unless net.ipv4.ip_nonlocal_bind allows it.  Only
 * bind() is called: nothing is ever sent there.  ktcp must match.
 */
TEST_F(bind, bind_nonlocal_addr_is_eaddrnotavail)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("192.0.2.1", 0);
	char buf[16];

	if (!read_text("/proc/sys/net/ipv4/ip_nonlocal_bind", buf, sizeof(buf)) &&
	    atoi(buf) != 0)
		SKIP(return, "net.ipv4.ip_nonlocal_bind is set");

	EXPECT_EQ(EADDRNOTAVAIL, bind_sin(fd, &sin));
	assert_sockname(_metadata, fd, "0.0.0.0", 0);
}

/*
 * Native: after bind(127.0.0.1:P), getsockname() returns exactly
 * AF_INET 127.0.0.1:P.  ktcp must match.
 */
TEST_F(bind, bind_loopback_is_reported_by_getsockname)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port;

	port = bind_free_port(_metadata, fd, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	assert_sockname(_metadata, fd, "127.0.0.1", port);
}

/*
 * Native: after bind(0.0.0.0:P), getsockname() returns AF_INET
 * 0.0.0.0:P.  ktcp must match.
 */
TEST_F(bind, bind_any_addr_is_reported_by_getsockname)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port;

	port = bind_free_port(_metadata, fd, inet_addr_port("0.0.0.0", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	assert_sockname(_metadata, fd, "0.0.0.0", port);
}

/*
 * Native: a bound socket cannot be bound again, neither to another
 * port nor to port 0 (EINVAL), and keeps its first address.
 * ktcp must match.
 */
TEST_F(bind, bind_already_bound_socket_is_einval)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in other;
	uint16_t port;

	port = bind_free_port(_metadata, fd, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	other = inet_addr_port("127.0.0.1", port == TEST_PORT_HIGH ?
					    port - 1 : port + 1);
	EXPECT_EQ(EINVAL, bind_sin(fd, &other));
	other = inet_addr_port("127.0.0.1", 0);
	EXPECT_EQ(EINVAL, bind_sin(fd, &other));
	assert_sockname(_metadata, fd, "127.0.0.1", port);
}

/*
 * Native: without SO_REUSEADDR a second socket cannot bind the port of
 * the first (EADDRINUSE), neither on the same address nor on
 * INADDR_ANY.  ktcp must match.
 */
TEST_F(bind, bind_same_port_twice_is_eaddrinuse)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	uint16_t port;

	port = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	sin = inet_addr_port("127.0.0.1", port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd2, &sin));
	sin = inet_addr_port("0.0.0.0", port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd2, &sin));
}

/*
 * Native: a bind() that failed with EADDRINUSE leaves the socket
 * unbound: its name is still 0.0.0.0:0 and it can bind another port.
 * ktcp must match.
 */
TEST_F(bind, bind_eaddrinuse_leaves_socket_unbound)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	uint16_t port1, port2;

	port1 = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			       TEST_PORT_LOW, TEST_PORT_HIGH);
	sin = inet_addr_port("127.0.0.1", port1);
	ASSERT_EQ(EADDRINUSE, bind_sin(fd2, &sin));
	assert_sockname(_metadata, fd2, "0.0.0.0", 0);

	port2 = bind_free_port(_metadata, fd2, inet_addr_port("127.0.0.1", 0),
			       TEST_PORT_LOW, TEST_PORT_HIGH);
	EXPECT_NE(port1, port2);
	assert_sockname(_metadata, fd2, "127.0.0.1", port2);
}

/*
 * Native: when both sockets set SO_REUSEADDR and neither listens, both
 * may bind the same address and port.  ktcp must match.
 */
TEST_F(bind, bind_same_port_with_reuseaddr_not_listening_succeeds)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	int one = 1;
	uint16_t port;

	ASSERT_EQ(0, setsockopt(fd1, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, setsockopt(fd2, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	port = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	sin = inet_addr_port("127.0.0.1", port);
	EXPECT_EQ(0, bind_sin(fd2, &sin));
	assert_sockname(_metadata, fd1, "127.0.0.1", port);
	assert_sockname(_metadata, fd2, "127.0.0.1", port);
}

static void set_flag(struct __test_metadata *_metadata, int fd, int optname)
{
	int one = 1;

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, optname, &one, sizeof(one))) {
		TH_LOG("setsockopt(SOL_SOCKET, %d, 1): %s", optname,
		       strerror(errno));
	}
}

/*
 * Sets SO_REUSEPORT on @fd; false where ktcp cannot have it (see
 * ktcp_has_reuseport()): the refusal is checked, the test skipped, and
 * the caller returns.
 */
static bool set_reuseport(struct __test_metadata *_metadata, bool ktcp, int fd)
{
	if (ktcp && !ktcp_has_reuseport()) {
		EXPECT_EQ(-1, setsockopt(fd, SOL_SOCKET, SO_REUSEPORT,
					 &(int){ 1 }, sizeof(int)));
		EXPECT_EQ(EOPNOTSUPP, errno);
		SKIP(return false,
		     "this kernel refuses SO_REUSEPORT to ktcp (before 6.2)");
	}
	set_flag(_metadata, fd, SO_REUSEPORT);
	return true;
}

/* Binds every socket of @fd to one free loopback port; returns it. */
static uint16_t bind_all_to_one_port(struct __test_metadata *_metadata,
				     const int *fd, int n)
{
	uint16_t port;
	struct sockaddr_in sin;
	int i;

	port = bind_free_port(_metadata, fd[0], inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	sin = inet_addr_port("127.0.0.1", port);
	for (i = 1; i < n; i++)
		ASSERT_EQ(0, bind_sin(fd[i], &sin));
	return port;
}

/*
 * Native: SO_REUSEADDR lets two sockets bind one port, but only one of
 * them may listen there: the second listen() is EADDRINUSE.
 */
TEST_F(bind, second_listen_on_reuseaddr_port_is_eaddrinuse)
{
	int fd[2];

	fd[0] = open_sock(_metadata, &self->socks, self->family);
	fd[1] = open_sock(_metadata, &self->socks, self->family);
	set_flag(_metadata, fd[0], SO_REUSEADDR);
	set_flag(_metadata, fd[1], SO_REUSEADDR);
	bind_all_to_one_port(_metadata, fd, 2);
	ASSERT_EQ(0, listen(fd[0], 8));
	ASSERT_EQ(-1, listen(fd[1], 8));
	EXPECT_EQ(EADDRINUSE, errno);
}

/* Native: a listener blocks the port even to SO_REUSEADDR binds. */
TEST_F(bind, reuseaddr_bind_onto_listener_is_eaddrinuse)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	uint16_t port;

	set_flag(_metadata, fd1, SO_REUSEADDR);
	set_flag(_metadata, fd2, SO_REUSEADDR);
	port = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	ASSERT_EQ(0, listen(fd1, 8));
	sin = inet_addr_port("127.0.0.1", port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd2, &sin));
}

/* Native: SO_REUSEPORT reads back 0, then 1 once set. */
TEST_F(bind, reuseport_reads_back_what_was_set)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	socklen_t len = sizeof(int);
	int val = -1;

	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &val, &len));
	EXPECT_EQ(0, val);
	if (!set_reuseport(_metadata, variant->ktcp, fd))
		return;
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &val, &len));
	EXPECT_EQ(1, val);
}

/* Native: with SO_REUSEPORT on all, one user may run many listeners. */
TEST_F(bind, reuseport_listeners_share_a_port)
{
	int fd[3], i;

	for (i = 0; i < 3; i++) {
		fd[i] = open_sock(_metadata, &self->socks, self->family);
		if (!set_reuseport(_metadata, variant->ktcp, fd[i]))
			return;
	}
	bind_all_to_one_port(_metadata, fd, 3);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, listen(fd[i], 8)) TH_LOG("listen %d: %s", i,
						     strerror(errno));
}

/* Native: SO_REUSEPORT on one side only is no reuse at all. */
TEST_F(bind, reuseport_on_one_side_only_is_eaddrinuse)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	uint16_t port;

	if (!set_reuseport(_metadata, variant->ktcp, fd1))
		return;
	port = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	ASSERT_EQ(0, listen(fd1, 8));
	sin = inet_addr_port("127.0.0.1", port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd2, &sin));
}

/*
 * Native: a SO_REUSEPORT group belongs to one user; another user's
 * socket, SO_REUSEPORT too, cannot join it (EADDRINUSE).
 */
TEST_F(bind, reuseport_of_another_user_is_eaddrinuse)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	int status, fd2, err;
	struct sockaddr_in sin;
	uint16_t port;
	pid_t pid;

	if (!set_reuseport(_metadata, variant->ktcp, fd))
		return;
	port = bind_free_port(_metadata, fd, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	ASSERT_EQ(0, listen(fd, 8));
	sin = inet_addr_port("127.0.0.1", port);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		fd2 = socket(self->family, SOCK_STREAM, 0);
		if (fd2 < 0)
			_exit(101);
		if (setsockopt(fd2, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 },
			       sizeof(int)))
			_exit(102);
		err = bind_sin(fd2, &sin);
		_exit(err > 99 ? 99 : err);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EADDRINUSE, WEXITSTATUS(status)) {
		TH_LOG("the other user's bind: %s (exit %d)",
		       strerror(WEXITSTATUS(status)), WEXITSTATUS(status));
	}
}

#define SPREAD_LISTENERS	4
#define SPREAD_CONNECTIONS	64

/*
 * Accepts from whichever of @lfd is ready until @want connections came
 * in; counts them per listener.  Fails after 60 s without one.
 */
static void accept_spread(struct __test_metadata *_metadata, const int *lfd,
			  int n, int want, int *count)
{
	struct pollfd pfd[SPREAD_LISTENERS];
	int i, got = 0, fd;

	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = lfd[i], .events = POLLIN };
	while (got < want) {
		ASSERT_LT(0, poll(pfd, n, 60000)) {
			TH_LOG("%d of %d connections accepted", got, want);
		}
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = accept4(lfd[i], NULL, NULL, SOCK_NONBLOCK);
			if (fd < 0) {
				ASSERT_EQ(EAGAIN, errno);
				continue;
			}
			close(fd);
			count[i]++;
			got++;
		}
	}
}

/*
 * Native: a SO_REUSEPORT group shares incoming connections by a hash
 * of their addresses and ports: with 64 connections from as many
 * client ports, every one of 4 listeners gets some (all but one of
 * them empty-handed has odds below 1e-7), and each connection
 * reaches exactly one listener.
 */
TEST_F(bind, reuseport_group_spreads_connections)
{
	int lfd[SPREAD_LISTENERS], count[SPREAD_LISTENERS] = { 0 };
	int cfd[SPREAD_CONNECTIONS], i, total = 0;
	struct sockaddr_in sin;
	uint16_t port;

	for (i = 0; i < SPREAD_LISTENERS; i++) {
		lfd[i] = open_sock(_metadata, &self->socks, self->family);
		if (!set_reuseport(_metadata, variant->ktcp, lfd[i]))
			return;
	}
	port = bind_all_to_one_port(_metadata, lfd, SPREAD_LISTENERS);
	for (i = 0; i < SPREAD_LISTENERS; i++)
		ASSERT_EQ(0, listen(lfd[i], SPREAD_CONNECTIONS));

	sin = inet_addr_port("127.0.0.1", port);
	for (i = 0; i < SPREAD_CONNECTIONS; i++) {
		cfd[i] = socket(self->family, SOCK_STREAM, 0);
		ASSERT_LE(0, cfd[i]);
		ASSERT_EQ(0, connect(cfd[i], (struct sockaddr *)&sin,
				     sizeof(sin))) {
			TH_LOG("connect %d: %s", i, strerror(errno));
		}
	}
	accept_spread(_metadata, lfd, SPREAD_LISTENERS, SPREAD_CONNECTIONS,
		      count);
	for (i = 0; i < SPREAD_LISTENERS; i++) {
		TH_LOG("listener %d accepted %d", i, count[i]);
		EXPECT_LT(0, count[i]);
		total += count[i];
	}
	EXPECT_EQ(SPREAD_CONNECTIONS, total);
	for (i = 0; i < SPREAD_CONNECTIONS; i++)
		close(cfd[i]);
}

/*
 * Native: a listener that leaves its SO_REUSEPORT group takes no more
 * connections; the members left take them all.
 */
TEST_F(bind, reuseport_closed_listener_leaves_the_group)
{
	int lfd[2], count[2] = { 0 }, cfd[8], i;
	struct sockaddr_in sin;
	uint16_t port;

	for (i = 0; i < 2; i++) {
		lfd[i] = open_sock(_metadata, &self->socks, self->family);
		if (!set_reuseport(_metadata, variant->ktcp, lfd[i]))
			return;
	}
	port = bind_all_to_one_port(_metadata, lfd, 2);
	ASSERT_EQ(0, listen(lfd[0], 8));
	ASSERT_EQ(0, listen(lfd[1], 8));
	close_sock(_metadata, &self->socks, lfd[1]);

	sin = inet_addr_port("127.0.0.1", port);
	for (i = 0; i < 8; i++) {
		cfd[i] = socket(self->family, SOCK_STREAM, 0);
		ASSERT_LE(0, cfd[i]);
		ASSERT_EQ(0, connect(cfd[i], (struct sockaddr *)&sin,
				     sizeof(sin)));
	}
	accept_spread(_metadata, lfd, 1, 8, count);
	EXPECT_EQ(8, count[0]);
	for (i = 0; i < 8; i++)
		close(cfd[i]);
}

/*
 * Native: bind() to port 0 picks a free port from
 * net.ipv4.ip_local_port_range.  ktcp must pick from its own
 * net.ktcp.ip_local_port_range (default 61000-65535) the same way.
 */
TEST_F(bind, bind_port_zero_picks_port_in_local_range)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", 0);
	struct sockaddr_in name1, name2;
	int low, high;

	read_port_range(_metadata, variant->port_range_path, &low, &high);

	ASSERT_EQ(0, bind_sin(fd1, &sin));
	ASSERT_EQ(0, bind_sin(fd2, &sin));
	name1 = getsockname_or_fail(_metadata, fd1);
	name2 = getsockname_or_fail(_metadata, fd2);

	EXPECT_EQ(AF_INET, name1.sin_family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), name1.sin_addr.s_addr);
	EXPECT_LE(low, ntohs(name1.sin_port));
	EXPECT_GE(high, ntohs(name1.sin_port));
	EXPECT_LE(low, ntohs(name2.sin_port));
	EXPECT_GE(high, ntohs(name2.sin_port));
	/* Neither socket has SO_REUSEADDR: they cannot share the port. */
	EXPECT_NE(name1.sin_port, name2.sin_port);
}

/*
 * Native: closing a socket that never listened releases its port at
 * once; a new socket can bind it right away, no SO_REUSEADDR needed.
 * ktcp must match.
 */
TEST_F(bind, close_frees_port_for_immediate_rebind)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	uint16_t port;

	port = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	close_sock(_metadata, &self->socks, fd1);

	sin = inet_addr_port("127.0.0.1", port);
	ASSERT_EQ(0, bind_sin(fd2, &sin));
	assert_sockname(_metadata, fd2, "127.0.0.1", port);
}

/*
 * Native: root (CAP_NET_BIND_SERVICE) may bind ports below 1024.
 * ktcp must match.
 */
TEST_F(bind, bind_privileged_port_as_root_succeeds)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port;

	if (geteuid() != 0)
		SKIP(return, "needs root");

	port = bind_free_port(_metadata, fd, inet_addr_port("127.0.0.1", 0),
			      PRIV_PORT_LOW, PRIV_PORT_HIGH);
	assert_sockname(_metadata, fd, "127.0.0.1", port);
}

/* ktcp alone: what has no AF_INET counterpart. */
FIXTURE(ktcp) {
	int family;
	struct socks socks;
};

FIXTURE_SETUP(ktcp)
{
	self->socks.n = 0;
	if (inet_only())
		SKIP(return, "%s=1: ktcp test skipped", INET_ONLY_ENV);
	self->family = ktcp_family_or_fail(_metadata);
}

FIXTURE_TEARDOWN(ktcp)
{
	close_socks(&self->socks);
}

/*
 * Documented difference: AF_INET's SOCK_DGRAM is UDP, but ktcp is TCP
 * only, so it refuses the socket type with ESOCKTNOSUPPORT, with the
 * default protocol as with IPPROTO_UDP.
 */
TEST_F(ktcp, socket_dgram_is_esocktnosupport)
{
	int fd;

	fd = socket(self->family, SOCK_DGRAM, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
	if (fd >= 0)
		close(fd);

	fd = socket(self->family, SOCK_DGRAM, IPPROTO_UDP);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
	if (fd >= 0)
		close(fd);
}

/*
 * /proc/net/ktcp uses the columns of /proc/net/tcp, so its header line
 * is the same (trailing padding aside).
 */
TEST_F(ktcp, proc_net_ktcp_header_matches_proc_net_tcp)
{
	static const char want[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
	char tcp[256], ktcp[256];

	proc_header(_metadata, PROC_NET_TCP_PATH, tcp, sizeof(tcp));
	proc_header(_metadata, KTCP_PROC_NET_PATH, ktcp, sizeof(ktcp));
	EXPECT_STREQ(want, ktcp);
	EXPECT_STREQ(tcp, ktcp);
}

/*
 * Unlike /proc/net/tcp, which shows only listening and connected
 * sockets, /proc/net/ktcp lists a socket as soon as it is bound: local
 * address as the raw network order word in %08X, port in host order
 * %04X, no remote end, state 07 (TCP_CLOSE), the owner's uid and the
 * socket's inode.
 */
TEST_F(ktcp, bound_socket_is_listed_in_proc_net_ktcp)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	uint16_t port1, port2;
	struct proc_row row;

	port1 = bind_free_port(_metadata, fd1, inet_addr_port("127.0.0.1", 0),
			       TEST_PORT_LOW, TEST_PORT_HIGH);
	port2 = bind_free_port(_metadata, fd2, inet_addr_port("0.0.0.0", 0),
			       TEST_PORT_LOW, TEST_PORT_HIGH);

	ASSERT_EQ(1, proc_rows_of_inode(_metadata, KTCP_PROC_NET_PATH,
					inode_of(_metadata, fd1), &row));
	EXPECT_EQ(htonl(INADDR_LOOPBACK), row.local_addr);
	EXPECT_EQ(port1, row.local_port);
	EXPECT_EQ(0U, row.rem_addr);
	EXPECT_EQ(0U, row.rem_port);
	EXPECT_EQ(TCP_STATE_CLOSE, row.state);
	EXPECT_EQ(geteuid(), row.uid);

	ASSERT_EQ(1, proc_rows_of_inode(_metadata, KTCP_PROC_NET_PATH,
					inode_of(_metadata, fd2), &row));
	EXPECT_EQ(htonl(INADDR_ANY), row.local_addr);
	EXPECT_EQ(port2, row.local_port);
	EXPECT_EQ(TCP_STATE_CLOSE, row.state);
}

/* A ktcp socket leaves /proc/net/ktcp when it is closed. */
TEST_F(ktcp, closed_socket_is_gone_from_proc_net_ktcp)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct proc_row row;
	ino_t ino;

	bind_free_port(_metadata, fd, inet_addr_port("127.0.0.1", 0),
		       TEST_PORT_LOW, TEST_PORT_HIGH);
	ino = inode_of(_metadata, fd);
	ASSERT_EQ(1, proc_rows_of_inode(_metadata, KTCP_PROC_NET_PATH, ino,
					&row));

	close_sock(_metadata, &self->socks, fd);
	EXPECT_EQ(0, proc_rows_of_inode(_metadata, KTCP_PROC_NET_PATH, ino,
					&row));
}

/*
 * ktcp shares the port space of the host with native TCP where it
 * matters: it must not bind a port that a native AF_INET socket holds
 * (listening, bound or connected), whatever address either side uses.
 */
FIXTURE(ktcp_vs_native) {
	int family;
	struct socks socks;
	uint16_t port;		/* the native listener's */
	int listener;
};

FIXTURE_VARIANT(ktcp_vs_native) {
	const char *listen_addr;
};

FIXTURE_VARIANT_ADD(ktcp_vs_native, listener_on_any) {
	.listen_addr = "0.0.0.0",
};

FIXTURE_VARIANT_ADD(ktcp_vs_native, listener_on_loopback) {
	.listen_addr = "127.0.0.1",
};

FIXTURE_SETUP(ktcp_vs_native)
{
	self->socks.n = 0;
	if (inet_only())
		SKIP(return, "%s=1: ktcp test skipped", INET_ONLY_ENV);
	self->family = ktcp_family_or_fail(_metadata);

	self->listener = open_sock(_metadata, &self->socks, AF_INET);
	self->port = bind_free_port(_metadata, self->listener,
				    inet_addr_port(variant->listen_addr, 0),
				    TEST_PORT_LOW, TEST_PORT_HIGH);
	ASSERT_EQ(0, listen(self->listener, 1));
}

FIXTURE_TEARDOWN(ktcp_vs_native)
{
	close_socks(&self->socks);
}

/* ktcp bind, on 127.0.0.1 and on 0.0.0.0, to a native listener's port. */
TEST_F(ktcp_vs_native, bind_to_port_of_native_listener_is_eaddrinuse)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;

	sin = inet_addr_port("127.0.0.1", self->port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd, &sin));
	sin = inet_addr_port("0.0.0.0", self->port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd, &sin));
	assert_sockname(_metadata, fd, "0.0.0.0", 0);
}

/* Nor the port of a native socket that is only bound, on any address. */
TEST_F(ktcp_vs_native, bind_to_port_of_native_bound_socket_is_eaddrinuse)
{
	int native = open_sock(_metadata, &self->socks, AF_INET);
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin;
	uint16_t port;

	port = bind_free_port(_metadata, native,
			      inet_addr_port("127.0.0.2", 0), TEST_PORT_LOW,
			      TEST_PORT_HIGH);
	sin = inet_addr_port("127.0.0.1", port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd, &sin));
	sin = inet_addr_port("0.0.0.0", port);
	EXPECT_EQ(EADDRINUSE, bind_sin(fd, &sin));
}

/*
 * Nor a native connection's local port (an accepted one shares the
 * listener's): the segments to that port are the connection's.
 */
TEST_F(ktcp_vs_native, bind_to_port_of_native_connection_is_eaddrinuse)
{
	int client = open_sock(_metadata, &self->socks, AF_INET);
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", self->port);
	socklen_t len = sizeof(sin);

	ASSERT_EQ(0, connect(client, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(client, (struct sockaddr *)&sin, &len));
	sin = inet_addr_port("0.0.0.0", ntohs(sin.sin_port));
	EXPECT_EQ(EADDRINUSE, bind_sin(fd, &sin));
}

/* Once the native listener is closed, its port is ktcp's to take. */
TEST_F(ktcp_vs_native, bind_after_native_listener_closed_succeeds)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", self->port);

	close_sock(_metadata, &self->socks, self->listener);
	EXPECT_EQ(0, bind_sin(fd, &sin));
}

/*
 * net.ktcp.ip_local_port_range of the current network namespace.  The
 * teardown runs in the parent process, after the test process and with
 * it all its sockets are gone, and writes the saved value back.
 */
FIXTURE(ktcp_sysctl) {
	int family;
	struct socks socks;
	bool saved;
	char saved_range[64];
};

FIXTURE_SETUP(ktcp_sysctl)
{
	int err;

	self->socks.n = 0;
	self->saved = false;
	if (inet_only())
		SKIP(return, "%s=1: ktcp test skipped", INET_ONLY_ENV);
	self->family = ktcp_family_or_fail(_metadata);

	err = read_text(KTCP_PORT_RANGE_PATH, self->saved_range,
			sizeof(self->saved_range));
	ASSERT_EQ(0, err) {
		TH_LOG("read %s: %s", KTCP_PORT_RANGE_PATH, strerror(-err));
	}
	self->saved = true;
}

FIXTURE_TEARDOWN_PARENT(ktcp_sysctl)
{
	/* The sockets were the test process's: they closed with it. */
	if (self->saved) {
		int err = -write_file(KTCP_PORT_RANGE_PATH, self->saved_range);

		/*
		 * No EXPECT_EQ() { handler }: after a failed ASSERT the
		 * harness leaves its trigger set and would run the
		 * handler even for a success.
		 */
		if (err)
			TH_LOG("cannot restore %s to \"%s\": %s",
			       KTCP_PORT_RANGE_PATH, self->saved_range,
			       strerror(err));
		EXPECT_EQ(0, err);
	}
}

static void set_narrow_range(struct __test_metadata *_metadata)
{
	char text[32];
	int low, high, err;

	snprintf(text, sizeof(text), "%d %d\n", NARROW_PORT_LOW,
		 NARROW_PORT_HIGH);
	err = -write_file(KTCP_PORT_RANGE_PATH, text);
	ASSERT_EQ(0, err) {
		TH_LOG("write \"%d %d\" to %s: %s", NARROW_PORT_LOW,
		       NARROW_PORT_HIGH, KTCP_PORT_RANGE_PATH, strerror(err));
	}
	read_port_range(_metadata, KTCP_PORT_RANGE_PATH, &low, &high);
	ASSERT_EQ(NARROW_PORT_LOW, low);
	ASSERT_EQ(NARROW_PORT_HIGH, high);
}

/*
 * The default range sits above native TCP's default 32768-60999, as
 * uapi/linux/ktcp.h says.  Fails if something left it changed.
 */
TEST_F(ktcp_sysctl, default_port_range_is_61000_65535)
{
	int low, high;

	read_port_range(_metadata, KTCP_PORT_RANGE_PATH, &low, &high);
	EXPECT_EQ(KTCP_EPHEMERAL_PORT_LOW, low);
	EXPECT_EQ(KTCP_EPHEMERAL_PORT_HIGH, high);
}

/*
 * Native: ephemeral ports come only from net.ipv4.ip_local_port_range,
 * whatever it is set to.  ktcp must do the same with its own sysctl.
 */
TEST_F(ktcp_sysctl, narrowed_port_range_limits_ephemeral_ports)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", 0);
	uint16_t port1, port2;

	set_narrow_range(_metadata);

	ASSERT_EQ(0, bind_sin(fd1, &sin));
	ASSERT_EQ(0, bind_sin(fd2, &sin));
	port1 = ntohs(getsockname_or_fail(_metadata, fd1).sin_port);
	port2 = ntohs(getsockname_or_fail(_metadata, fd2).sin_port);
	EXPECT_LE(NARROW_PORT_LOW, port1);
	EXPECT_GE(NARROW_PORT_HIGH, port1);
	EXPECT_LE(NARROW_PORT_LOW, port2);
	EXPECT_GE(NARROW_PORT_HIGH, port2);
	EXPECT_NE(port1, port2);
}

/*
 * Native: once every port of the range is bound (no SO_REUSEADDR), a
 * further bind() to port 0 on the same address is EADDRINUSE and leaves
 * the socket unbound.  ktcp must match.
 */
TEST_F(ktcp_sysctl, exhausted_port_range_makes_bind_port_zero_eaddrinuse)
{
	int fd1 = open_sock(_metadata, &self->socks, self->family);
	int fd2 = open_sock(_metadata, &self->socks, self->family);
	int fd3 = open_sock(_metadata, &self->socks, self->family);
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", 0);

	set_narrow_range(_metadata);

	ASSERT_EQ(0, bind_sin(fd1, &sin));
	ASSERT_EQ(0, bind_sin(fd2, &sin));
	EXPECT_EQ(EADDRINUSE, bind_sin(fd3, &sin));
	assert_sockname(_metadata, fd3, "0.0.0.0", 0);
}

/*
 * Native: the range only governs port 0; an explicit port outside it
 * can still be bound.  ktcp must match.
 */
TEST_F(ktcp_sysctl, narrowed_port_range_allows_explicit_ports)
{
	int fd = open_sock(_metadata, &self->socks, self->family);
	uint16_t port;

	set_narrow_range(_metadata);

	port = bind_free_port(_metadata, fd, inet_addr_port("127.0.0.1", 0),
			      TEST_PORT_LOW, TEST_PORT_HIGH);
	assert_sockname(_metadata, fd, "127.0.0.1", port);
}

/*
 * Native: writing a range whose low end is above its high end to
 * net.ipv4.ip_local_port_range fails with EINVAL and changes nothing.
 * ktcp must match.
 */
TEST_F(ktcp_sysctl, inverted_port_range_write_is_einval)
{
	int before_low, before_high, low, high;

	read_port_range(_metadata, KTCP_PORT_RANGE_PATH, &before_low,
			&before_high);
	EXPECT_EQ(-EINVAL, write_file(KTCP_PORT_RANGE_PATH, "5 4\n"));
	read_port_range(_metadata, KTCP_PORT_RANGE_PATH, &low, &high);
	EXPECT_EQ(before_low, low);
	EXPECT_EQ(before_high, high);
}

TEST_HARNESS_MAIN
