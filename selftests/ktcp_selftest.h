/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ktcp selftests share: telling the ktcp variant from the
 * inet one, finding the family, the list of sockets a test opened so
 * that teardown closes what is left, the socket calls the tests wrap,
 * and the byte stream whose hash both ends of a transfer compare.
 *
 * The helpers that assert need kselftest_harness.h, included first
 * (ktcp_harness.h does both); without it (ktcp_xfer) only the rest is
 * defined.
 */
#ifndef _KTCP_SELFTEST_H
#define _KTCP_SELFTEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

#define INET_PORT_RANGE_PATH	"/proc/sys/net/ipv4/ip_local_port_range"
#define KTCP_PORT_RANGE_PATH	"/proc/sys/net/ktcp/ip_local_port_range"
#define PROC_NET_TCP_PATH	"/proc/net/tcp"
#define PROC_NET_NETSTAT_PATH	"/proc/net/netstat"
#define KTCP_SNMP_PATH		"/proc/net/ktcp_snmp"

/* KTCP_SELFTEST_INET_ONLY=1 skips the ktcp variants (host runs). */
#define INET_ONLY_ENV		"KTCP_SELFTEST_INET_ONLY"
/*
 * KTCP_DEBUG_KERNEL=1: guest-tests.sh on the emulated KASAN, lockdep and
 * kmemleak kernel, 20 to 30 times slower than the stock one; its
 * checkers see every path at any volume, so the volumes shrink there.
 */
#define DEBUG_KERNEL_ENV	"KTCP_DEBUG_KERNEL"

#define MAX_SOCKS		16

/* 64-bit FNV-1a: a hash each end computes over the bytes it moved. */
#define FNV64_OFFSET		0xcbf29ce484222325ULL
#define FNV64_PRIME		0x100000001b3ULL

/* Sockets a test opened; the fixture teardown closes what is left. */
struct socks {
	int fd[MAX_SOCKS];
	int n;
};

static inline bool inet_only(void)
{
	const char *v = getenv(INET_ONLY_ENV);

	return v && !strcmp(v, "1");
}

static inline bool debug_kernel(void)
{
	const char *v = getenv(DEBUG_KERNEL_ENV);

	return v && !strcmp(v, "1");
}

static inline struct sockaddr_in sin_of(sa_family_t family, const char *ip,
					uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = family;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		abort();
	return sin;
}

static inline void close_socks(struct socks *socks)
{
	int i;

	for (i = 0; i < socks->n; i++)
		if (socks->fd[i] >= 0)
			close(socks->fd[i]);
	socks->n = 0;
}

/* A signal the harness or a test handles must not cut a pause short. */
static inline void msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* recv() as one value, for ASSERT_EQ(n, ...) and ASSERT_EQ(-EXXX, ...). */
static inline ssize_t recv_ret(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recv(fd, buf, len, flags);

	return n < 0 ? -errno : n;
}

/*
 * send() as one value, the byte count or minus the errno.  @flags are
 * the caller's so that the SIGPIPE tests can leave out MSG_NOSIGNAL.
 */
static inline ssize_t send_ret(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n = send(fd, buf, len, flags);

	return n < 0 ? -errno : n;
}

/*
 * Sends all of @buf in as many send() calls as it takes; 0 or the
 * errno.  MSG_NOSIGNAL: a peer's reset must fail the test, not kill it.
 */
static inline int send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		done += n;
	}
	return 0;
}

/*
 * A deterministic pseudo-random byte stream: xorshift64 words handed
 * out low byte first.  The byte at an offset depends only on the seed
 * and the offset, never on how the stream was cut into pieces, so the
 * receiver regenerates exactly what the sender sent.
 */
struct stream {
	uint64_t state;
	uint64_t word;		/* the bytes of the current word not yet out */
	unsigned int left;	/* how many of them */
};

static inline void stream_init(struct stream *s, uint64_t seed)
{
	s->state = seed ? seed : 1;	/* xorshift never leaves 0 */
	s->word = 0;
	s->left = 0;
}

static inline uint64_t stream_next_word(struct stream *s)
{
	uint64_t x = s->state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->state = x;
	return x;
}

static inline void stream_fill(struct stream *s, unsigned char *buf,
			       size_t len)
{
	unsigned int i;
	uint64_t w;

	for (; len && s->left; len--, s->left--) {
		*buf++ = s->word & 0xff;
		s->word >>= 8;
	}
	for (; len >= 8; len -= 8, buf += 8) {
		w = stream_next_word(s);
		for (i = 0; i < 8; i++)
			buf[i] = w >> (8 * i);
	}
	if (!len)
		return;
	s->word = stream_next_word(s);
	s->left = 8;
	for (; len; len--, s->left--) {
		*buf++ = s->word & 0xff;
		s->word >>= 8;
	}
}

static inline uint64_t fnv64(uint64_t hash, const unsigned char *buf,
			     size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		hash = (hash ^ buf[i]) * FNV64_PRIME;
	return hash;
}

/*
 * SO_REUSEPORT on ktcp needs 6.2: stable kernels refuse it in
 * sock_setsockopt() to families other than AF_INET and AF_INET6, and
 * only from 6.2 on may a family take SOL_SOCKET itself
 * (SOCK_CUSTOM_SOCKOPT).  Debian 12's 6.1 is such a kernel.
 */
/*
 * The command-line tools' stream socket: FAMILY "ktcp" or "inet".
 * Return: the socket; -1 with errno and *what naming the failed call;
 * -2 for any other FAMILY.
 */
static inline int stream_socket_of(const char *family, const char **what)
{
	int fam = AF_INET, fd;

	if (!strcmp(family, "ktcp")) {
		fam = ktcp_family();
		if (fam < 0) {
			errno = -fam;
			*what = "ktcp_family";
			return -1;
		}
	} else if (strcmp(family, "inet")) {
		return -2;
	}
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		*what = "socket";
	return fd;
}

static inline bool ktcp_has_reuseport(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor >= 2);
}

/* A shell command built from @fmt: its exit status, -1 if it had none. */
static inline __attribute__((format(printf, 1, 2)))
int run_cmd(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Writes @val to @path (a sysctl, say); 0 or minus the errno. */
static inline int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

#ifdef __KSELFTEST_HARNESS_H

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

/*
 * Moves the test into a network namespace of its own with loopback
 * up: the sysctls and qdiscs it changes there touch nothing else.
 */
static inline void enter_private_netns(struct __test_metadata *_metadata)
{
	struct ifreq ifr;
	int fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %s", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ASSERT_EQ(0, ioctl(fd, SIOCGIFFLAGS, &ifr))
		TH_LOG("SIOCGIFFLAGS lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_EQ(0, ioctl(fd, SIOCSIFFLAGS, &ifr))
		TH_LOG("SIOCSIFFLAGS lo: %s", strerror(errno));
	close(fd);
}

/* The family of the loaded ktcp module; fails the test without it. */
static inline int ktcp_family_or_fail(struct __test_metadata *_metadata)
{
	const char *path = getenv(KTCP_FAMILY_PATH_ENV);
	int family = ktcp_family();

	if (!path || !*path)
		path = KTCP_FAMILY_PARAM_PATH;
	ASSERT_LT(0, family) {
		TH_LOG("ktcp_family() (%s): %s; is ktcp.ko loaded? Set %s=1 to skip the ktcp tests",
		       path, strerror(-family), INET_ONLY_ENV);
	}
	return family;
}

static inline void close_sock(struct __test_metadata *_metadata,
			      struct socks *socks, int fd)
{
	int i;

	for (i = 0; i < socks->n; i++) {
		if (socks->fd[i] == fd) {
			socks->fd[i] = -1;
			ASSERT_EQ(0, close(fd));
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("fd %d is not a test socket", fd);
}

/* One timeout alone, as the tests of SO_RCVTIMEO and SO_SNDTIMEO want. */
static inline void set_sock_timeout(struct __test_metadata *_metadata, int fd,
				    int optname, unsigned int ms)
{
	struct timeval tv = {
		.tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000,
	};

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, optname, &tv, sizeof(tv))) {
		TH_LOG("%s %u ms: %s", optname == SO_RCVTIMEO ?
		       "SO_RCVTIMEO" : "SO_SNDTIMEO", ms, strerror(errno));
	}
}

/*
 * A test's stream socket: SO_RCVTIMEO and SO_SNDTIMEO of @ms, so that
 * nothing hangs, and SO_REUSEADDR.
 */
static inline void set_test_sock_opts(struct __test_metadata *_metadata,
				      int fd, unsigned int ms)
{
	int one = 1;

	set_sock_timeout(_metadata, fd, SO_RCVTIMEO, ms);
	set_sock_timeout(_metadata, fd, SO_SNDTIMEO, ms);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
}

/*
 * Takes @fd (e.g. from accept()) into @socks and bounds its blocking
 * calls by @timeout_ms both ways, so that a stack that stalls fails
 * the test instead of hanging the run.
 */
static inline int track_sock(struct __test_metadata *_metadata,
			     struct socks *socks, int fd,
			     unsigned int timeout_ms)
{
	ASSERT_GT(MAX_SOCKS, socks->n) {
		close(fd);
	}
	socks->fd[socks->n++] = fd;
	set_sock_timeout(_metadata, fd, SO_RCVTIMEO, timeout_ms);
	set_sock_timeout(_metadata, fd, SO_SNDTIMEO, timeout_ms);
	return fd;
}

/*
 * socket(@family, SOCK_STREAM | @type_flags, 0) taken into @socks, its
 * blocking calls bounded by @timeout_ms (0: left as the kernel made
 * them, for tests of the socket's defaults).
 */
static inline int open_tracked_sock(struct __test_metadata *_metadata,
				    struct socks *socks, int family,
				    int type_flags, unsigned int timeout_ms)
{
	int fd;

	ASSERT_GT(MAX_SOCKS, socks->n);
	fd = socket(family, SOCK_STREAM | type_flags, 0);
	ASSERT_LE(0, fd) {
		TH_LOG("socket(%d, SOCK_STREAM | %#x, 0): %s", family,
		       type_flags, strerror(errno));
	}
	if (!timeout_ms) {
		socks->fd[socks->n++] = fd;
		return fd;
	}
	return track_sock(_metadata, socks, fd, timeout_ms);
}

static inline int so_error(struct __test_metadata *_metadata, int fd)
{
	socklen_t len = sizeof(int);
	int err = -1;

	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)) {
		TH_LOG("SO_ERROR: %s", strerror(errno));
	}
	ASSERT_EQ(sizeof(int), len);
	return err;
}

/* Closing the socket then aborts the connection with a RST. */
static inline void set_linger_zero(struct __test_metadata *_metadata, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) {
		TH_LOG("SO_LINGER {1, 0}: %s", strerror(errno));
	}
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* _KTCP_SELFTEST_H */
