// SPDX-License-Identifier: GPL-2.0
/*
 * table_test - ktcp's lookup tables and /proc/net/ktcp at scale,
 * against native TCP and /proc/net/tcp.
 *
 * One process opens 20,000 connections over loopback (1,000 with
 * KTCP_DEBUG_KERNEL=1), one after the other to one listener, accepting
 * each: every connect() and accept() must work, a byte must go both
 * ways on each of a thousand of them at the end as at the start, and a
 * single read of the proc file must list every socket the test holds
 * exactly once.  Then a thread opens and closes connections without
 * pause while the proc file is read again and again: each read must
 * end, and none may list a socket of the stable set twice.
 *
 * ktcp used to walk every accepted child of a listener, in one of 256
 * chains, for each SYN to it, and built its proc file from a list that
 * new sockets joined at the head, counting rows from the start for
 * each read(): a socket created between two read() calls made the row
 * at the boundary come twice.  The time per connection at the first
 * and at the last thousand is printed, not asserted: nothing here
 * asserts on timing.
 *
 * The native variant ("inet") is the reference; it reads /proc/net/tcp
 * and, as native's own reader can show a row twice when a connection
 * joins its chain between two reads, only reports duplicates under
 * churn.  Every test runs in a network namespace of its own, as root.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ktcp_harness.h"

#define KTCP_PROC_PATH		"/proc/net/ktcp"
#define KTCP_RANGE_PATH		"/proc/sys/net/ktcp/ip_local_port_range"
#define KTCP_TW_PATH		"/proc/sys/net/ktcp/tw_timeout"
#define INET_RANGE_PATH		"/proc/sys/net/ipv4/ip_local_port_range"

#define CONNS			20000
#define CONNS_DEBUG		1000
#define BATCH			1000	/* connections per timed batch */
#define LISTEN_PORT		10000	/* below the ephemeral range */
#define EPHEMERAL_RANGE		"20000 65000"
#define BACKLOG			4096
#define PROC_READS		20
#define PROC_READS_DEBUG	4
#define READ_CHUNK		4096	/* what stdio asks for */
#define TEST_TIMEOUT		3000

FIXTURE(table) {
	int family;
	bool ktcp;
	int lfd;
	unsigned int n;
	int *cfd;		/* client ends */
	int *sfd;		/* accepted ends */
};

KTCP_FAMILY_VARIANTS(table, inet);

static unsigned int conns(void)
{
	return debug_kernel() ? CONNS_DEBUG : CONNS;
}

static unsigned int proc_reads(void)
{
	return debug_kernel() ? PROC_READS_DEBUG : PROC_READS;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static unsigned long inode_of_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* The inodes of one read of @path, in READ_CHUNK reads, sorted. */
struct proc_read {
	unsigned long *ino;
	size_t n;
	size_t cap;
};

static int proc_read_all(const char *path, struct proc_read *r)
{
	char *buf = NULL, *line, *end;
	size_t len = 0, cap = 0;
	unsigned long ino;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < READ_CHUNK + 1) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = read(fd, buf + len, READ_CHUNK);
		if (got < 0) {
			got = -errno;
			close(fd);
			free(buf);
			return got;
		}
		if (!got)
			break;
		len += got;
	}
	close(fd);
	buf[len] = '\0';

	r->n = 0;
	line = strchr(buf, '\n');	/* the header */
	while (line && *++line) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu",
			   &ino) == 1) {
			if (r->n == r->cap) {
				r->cap = r->cap ? r->cap * 2 : 4096;
				r->ino = realloc(r->ino, r->cap * sizeof(*r->ino));
				if (!r->ino)
					abort();
			}
			r->ino[r->n++] = ino;
		}
		line = end;
	}
	free(buf);
	qsort(r->ino, r->n, sizeof(*r->ino), cmp_ulong);
	return 0;
}

/* How often @ino occurs in the sorted read @r. */
static size_t proc_count(const struct proc_read *r, unsigned long ino)
{
	size_t lo = 0, hi = r->n, n = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->ino[mid] < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < r->n && r->ino[lo + n] == ino)
		n++;
	return n;
}

/* The stable set: listener, client and accepted ends, sorted. */
static unsigned long *stable_inodes(FIXTURE_DATA(table) *self, size_t *n)
{
	unsigned long *ino = calloc(2 * self->n + 1, sizeof(*ino));
	unsigned int i;

	if (!ino)
		abort();
	ino[0] = inode_of_fd(self->lfd);
	for (i = 0; i < self->n; i++) {
		ino[1 + 2 * i] = inode_of_fd(self->cfd[i]);
		ino[2 + 2 * i] = inode_of_fd(self->sfd[i]);
	}
	*n = 2 * self->n + 1;
	qsort(ino, *n, sizeof(*ino), cmp_ulong);
	return ino;
}

static const char *proc_path(FIXTURE_DATA(table) *self)
{
	return self->ktcp ? KTCP_PROC_PATH : PROC_NET_TCP_PATH;
}

static int connect_one(FIXTURE_DATA(table) *self, int *cfd, int *sfd)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", LISTEN_PORT);
	int c, s;

	c = socket(self->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin))) {
		int err = -errno;

		close(c);
		return err;
	}
	s = accept4(self->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0) {
		int err = -errno;

		close(c);
		return err;
	}
	*cfd = c;
	*sfd = s;
	return 0;
}

/* One byte each way on connections [from, to): us per round trip. */
static double echo_us(struct __test_metadata *_metadata,
		      FIXTURE_DATA(table) *self, unsigned int from,
		      unsigned int to)
{
	double t0 = now_us();
	unsigned int i;
	char c;

	for (i = from; i < to; i++) {
		c = (char)i;
		EXPECT_EQ(1, send(self->cfd[i], &c, 1, 0));
		EXPECT_EQ(1, recv(self->sfd[i], &c, 1, 0));
		EXPECT_EQ((char)i, c);
		EXPECT_EQ(1, send(self->sfd[i], &c, 1, 0));
		EXPECT_EQ(1, recv(self->cfd[i], &c, 1, 0));
	}
	return (now_us() - t0) / (to - from);
}

FIXTURE_SETUP(table)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", LISTEN_PORT);
	int one = 1;

	self->lfd = -1;
	self->n = 0;
	self->cfd = NULL;
	self->sfd = NULL;
	self->family = AF_INET;
	self->ktcp = variant->ktcp;
	if (variant->ktcp) {
		if (inet_only())
			SKIP(return, "KTCP_SELFTEST_INET_ONLY set");
		self->family = ktcp_family_or_fail(_metadata);
	}
	enter_private_netns(_metadata);
	if (variant->ktcp) {
		ASSERT_EQ(0, write_file(KTCP_RANGE_PATH, EPHEMERAL_RANGE));
		ASSERT_EQ(0, write_file(KTCP_TW_PATH, "1"));
	} else {
		ASSERT_EQ(0, write_file(INET_RANGE_PATH, EPHEMERAL_RANGE));
	}
	raise_nofile(_metadata, 2 * conns() + 256);
	self->cfd = calloc(conns(), sizeof(int));
	self->sfd = calloc(conns(), sizeof(int));
	ASSERT_TRUE(self->cfd && self->sfd);

	self->lfd = socket(self->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, setsockopt(self->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(self->lfd, BACKLOG));
}

FIXTURE_TEARDOWN(table)
{
	unsigned int i;

	for (i = 0; i < self->n; i++) {
		close(self->cfd[i]);
		close(self->sfd[i]);
	}
	if (self->lfd >= 0)
		close(self->lfd);
	free(self->cfd);
	free(self->sfd);
}

/* Connections [self->n, to): us per connect() and accept(). */
static double open_batch(struct __test_metadata *_metadata,
			 FIXTURE_DATA(table) *self, unsigned int to)
{
	unsigned int from = self->n;
	double t0 = now_us();
	int err;

	while (self->n < to) {
		err = connect_one(self, &self->cfd[self->n],
				  &self->sfd[self->n]);
		ASSERT_EQ(0, err) {
			TH_LOG("connection %u: %s", self->n, strerror(-err));
		}
		self->n++;
	}
	return (now_us() - t0) / (to - from);
}

/*
 * Every socket the test holds is listed exactly once, and the file has
 * no other row of an open socket: the namespace holds nothing else
 * (orphans, in TIME_WAIT say, have inode 0).
 */
static void check_proc_exact(struct __test_metadata *_metadata,
			     FIXTURE_DATA(table) *self)
{
	struct proc_read r = { 0 };
	unsigned long *ino;
	size_t n, i, wrong = 0, open_rows;
	double t0 = now_us();

	ASSERT_EQ(0, proc_read_all(proc_path(self), &r));
	TH_LOG("%s: %zu rows read in %.0f us", proc_path(self), r.n,
	       now_us() - t0);
	ino = stable_inodes(self, &n);
	for (i = 0; i < n; i++) {
		size_t c = proc_count(&r, ino[i]);

		if (c != 1 && wrong++ < 5)
			TH_LOG("inode %lu listed %zu times", ino[i], c);
	}
	EXPECT_EQ(0U, wrong);
	open_rows = r.n - proc_count(&r, 0);
	EXPECT_EQ(n, open_rows);
	free(ino);
	free(r.ino);
}

struct churn {
	FIXTURE_DATA(table) *self;
	atomic_bool stop;
	atomic_ulong opened;
	atomic_int err;
};

/* Opens and closes connections to the listener until told to stop. */
static void *churn_main(void *arg)
{
	struct churn *ch = arg;
	int c, s, err;

	while (!atomic_load(&ch->stop)) {
		err = connect_one(ch->self, &c, &s);
		if (err) {
			atomic_store(&ch->err, err);
			break;
		}
		close(c);
		close(s);
		atomic_fetch_add(&ch->opened, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(table, many_connections_lookups_and_proc, TEST_TIMEOUT)
{
	unsigned int total = conns(), reads = proc_reads(), i;
	double conn_first, conn_last, echo_first, echo_last;
	struct churn ch = { .self = self };
	struct proc_read r = { 0 };
	size_t n, j, dups = 0, missing = 0;
	unsigned long *ino;
	pthread_t thread;
	double t0, worst = 0;

	conn_first = open_batch(_metadata, self, BATCH);
	echo_first = echo_us(_metadata, self, 0, BATCH);
	conn_last = conn_first;
	while (self->n < total) {
		unsigned int to = self->n + BATCH < total ?
				  self->n + BATCH : total;

		conn_last = open_batch(_metadata, self, to);
	}
	echo_last = echo_us(_metadata, self, total - BATCH, total);
	TH_LOG("connect+accept: %.0f us each for the first %u, %.0f us for the last %u of %u",
	       conn_first, BATCH, conn_last, BATCH, total);
	TH_LOG("one byte each way: %.0f us each at %u connections, %.0f us at %u",
	       echo_first, BATCH, echo_last, total);

	check_proc_exact(_metadata, self);

	/* Reads while other connections come and go. */
	ino = stable_inodes(self, &n);
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_main, &ch));
	for (i = 0; i < reads; i++) {
		t0 = now_us();
		ASSERT_EQ(0, proc_read_all(proc_path(self), &r));
		if (now_us() - t0 > worst)
			worst = now_us() - t0;
		for (j = 0; j < n; j++) {
			size_t c = proc_count(&r, ino[j]);

			if (c > 1 && dups++ < 5)
				TH_LOG("read %u: inode %lu listed %zu times",
				       i, ino[j], c);
			missing += !c;
		}
	}
	atomic_store(&ch.stop, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, atomic_load(&ch.err))
		TH_LOG("churn: %s", strerror(-atomic_load(&ch.err)));
	TH_LOG("%u reads under churn (%lu connections opened and closed): slowest %.0f us, %zu duplicate and %zu missing rows of the stable set",
	       reads, atomic_load(&ch.opened), worst, dups, missing);
	if (self->ktcp)
		EXPECT_EQ(0U, dups);
	EXPECT_LT(0UL, atomic_load(&ch.opened));
	free(ino);
	free(r.ino);

	/* The stable set is still listed once each. */
	check_proc_exact(_metadata, self);
}

TEST_HARNESS_MAIN
