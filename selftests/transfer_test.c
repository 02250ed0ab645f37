// SPDX-License-Identifier: GPL-2.0
/*
 * transfer_test - moving data over one connection: bulk transfer both
 * ways verified byte for byte, the recv()/send() flags and timeouts,
 * EPIPE, SIGPIPE and ECONNRESET, sendfile() and splice().
 *
 * The "transfer" fixture runs the very same code in every variant; only
 * the families passed to socket() differ.  "inet" is native AF_INET on
 * both ends and documents what native TCP does; the other variants put
 * ktcp on the server end, the client end or both (ktcp_server,
 * ktcp_client, ktcp_both) and check that ktcp does the same.
 * Checks of one end's behaviour run on the client end and then on the
 * server end, so that ktcp is checked in both roles.
 *
 * The ktcp variants fail, rather than skip, when ktcp.ko is not loaded.
 * Set KTCP_SELFTEST_INET_ONLY=1 to skip them instead, e.g. to run the
 * inet half on a machine that cannot load the module.
 *
 * KTCP_TRANSFER_MIB sets the size of each bulk transfer in MiB (default
 * 100).  Everything runs on 127.0.0.1, on a port the kernel picks for
 * the listener.  Nothing may hang: sockets have a 10 s SO_RCVTIMEO and
 * SO_SNDTIMEO, waits are poll() with a timeout, and every test has a
 * harness timeout.  Nothing asserts on timing.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define TRANSFER_MIB_ENV	"KTCP_TRANSFER_MIB"
#define TRANSFER_MIB_DEFAULT	100ULL
/* Far beyond any sensible run; only catches typos such as "1e9". */
#define TRANSFER_MIB_MAX	(1024ULL * 1024)
#define MIB			(1024ULL * 1024)

/* Bounds of every blocking call. */
#define SOCK_TIMEOUT_MS		10000
#define POLL_MS			2000

/* The SO_RCVTIMEO and SO_SNDTIMEO under test. */
#define SHORT_TIMEOUT_MS	200

/* Largest single send() or recv() of the bulk tests. */
#define IO_MAX			(1024 * 1024)

#define FILE_BYTES		(4 * MIB)

/*
 * The SO_SNDTIMEO test sends this much per call and fails if the peer,
 * which never reads, has taken more than SNDBUF_FILL_LIMIT: natively
 * the two ends buffer at most tcp_wmem[2] + tcp_rmem[2] (4 + 6 MiB by
 * default, a few MiB in practice).
 */
#define SNDBUF_FILL_CHUNK	(1024 * 1024)
#define SNDBUF_FILL_LIMIT	(128 * MIB)

/* The MSG_WAITALL test: the pieces the peer sends, with pauses between. */
#define WAITALL_PAUSE_MS	50

/* Seeds of the byte streams, one per test that moves a stream. */
#define SEED_CLIENT_TO_SERVER	0x6b7463702d633273ULL
#define SEED_SERVER_TO_CLIENT	0x6b7463702d733263ULL
#define SEED_SENDFILE		0x6b7463702d736466ULL
#define SEED_SPLICE		0x6b7463702d73706cULL

/*
 * Sizes of consecutive writes and reads of the bulk tests, cycled.  The
 * read sizes are odd on purpose: they never line up with the writes,
 * so reads end in the middle of segments and of writes.
 */
static const size_t write_sizes[] = { 1, 1000, 65536, IO_MAX };
static const size_t read_sizes[] = { 1, 999, 65537, IO_MAX };

/* The chunks the splice test writes into its pipe, cycled. */
#define SPLICE_PIPE_SIZE	65536
static const size_t splice_sizes[] = { 1, 1000, SPLICE_PIPE_SIZE };

static unsigned char io_buf[IO_MAX];
static unsigned char expect_buf[IO_MAX];

/* SIGPIPEs since count_sigpipes(); lock-free, so the handler may count. */
static atomic_int sigpipe_count;

static void count_sigpipe(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigpipe_count, 1);
}

static int sigpipes(void)
{
	return atomic_load(&sigpipe_count);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* KTCP_TRANSFER_MIB in bytes; a value that is not a size fails the test. */
static uint64_t transfer_bytes(struct __test_metadata *_metadata)
{
	const char *v = getenv(TRANSFER_MIB_ENV);
	unsigned long long mib;
	char *end;

	if (!v || !*v)
		return TRANSFER_MIB_DEFAULT * MIB;
	errno = 0;
	mib = strtoull(v, &end, 10);
	ASSERT_TRUE(!errno && !*end && *v != '-' && mib &&
		    mib <= TRANSFER_MIB_MAX) {
		TH_LOG("%s=%s: not a size in MiB, 1 to %llu", TRANSFER_MIB_ENV,
		       v, TRANSFER_MIB_MAX);
	}
	return mib * MIB;
}

static int open_sock(struct __test_metadata *_metadata, struct socks *socks,
		     int family)
{
	return open_tracked_sock(_metadata, socks, family, 0, SOCK_TIMEOUT_MS);
}

/*
 * poll()s @fd for POLLIN until its revents hold all of @want or @ms
 * pass: how a test waits for a state change, e.g. a RST's POLLERR,
 * without guessing how long it takes.  Returns the last revents, or
 * minus the errno.
 */
static int wait_events(int fd, short want, int ms)
{
	double deadline = now_sec() + ms / 1000.0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	for (;;) {
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if ((pfd.revents & want) == want || now_sec() >= deadline)
			return pfd.revents;
		/* POLLIN came before the rest of @want: look again soon. */
		msleep(20);
	}
}

/* Counts SIGPIPE in sigpipe_count instead of dying of it. */
static void count_sigpipes(struct __test_metadata *_metadata)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_sigpipe;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, NULL)) {
		TH_LOG("sigaction(SIGPIPE): %s", strerror(errno));
	}
	atomic_store(&sigpipe_count, 0);
}

/* What the sending child process reports to the test through a pipe. */
struct sender_report {
	uint64_t bytes;		/* handed to the socket */
	uint64_t hash;		/* FNV-1a of those bytes */
	int err;		/* errno of the call that failed, or 0 */
	char call[16];		/* that call */
};

enum send_method {
	BY_SEND,	/* send() in write_sizes pieces */
	BY_SENDFILE,	/* sendfile() of a file holding the stream */
	BY_SPLICE,	/* write() into a pipe, splice() into the socket */
};

FIXTURE(transfer) {
	int client_family;
	int server_family;
	struct socks socks;
	uint16_t port;
	int lfd;		/* listener */
	int cfd;		/* client end */
	int sfd;		/* server end, accepted */
	pid_t child;		/* a peer process, until reaped */
	int report_fd;		/* the read end of its report pipe */
	int file_fd;		/* the sendfile test's file */
};

KTCP_PAIR_VARIANTS(transfer, inet);

/* One more connection to the fixture's listener, both of its ends. */
static void open_conn(struct __test_metadata *_metadata,
		      FIXTURE_DATA(transfer) *self, int *cfd, int *sfd)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", self->port);
	int fd;

	*cfd = open_sock(_metadata, &self->socks, self->client_family);
	ASSERT_EQ(0, connect(*cfd, (struct sockaddr *)&sin, sizeof(sin))) {
		TH_LOG("connect(127.0.0.1:%u): %s", self->port,
		       strerror(errno));
	}
	fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	*sfd = track_sock(_metadata, &self->socks, fd, SOCK_TIMEOUT_MS);
}

/*
 * A listener of the server family on 127.0.0.1 and a port the kernel
 * picks, and one connection to it from the client family.
 */
FIXTURE_SETUP(transfer)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", 0);
	socklen_t len = sizeof(sin);

	self->socks.n = 0;
	self->lfd = -1;
	self->cfd = -1;
	self->sfd = -1;
	self->child = 0;
	self->report_fd = -1;
	self->file_fd = -1;
	if ((variant->ktcp_client || variant->ktcp_server) && inet_only())
		SKIP(return, "%s=1: ktcp variant skipped", INET_ONLY_ENV);
	self->client_family = variant->ktcp_client ?
			      ktcp_family_or_fail(_metadata) : AF_INET;
	self->server_family = variant->ktcp_server ?
			      ktcp_family_or_fail(_metadata) : AF_INET;

	self->lfd = open_sock(_metadata, &self->socks, self->server_family);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin))) {
		TH_LOG("bind(127.0.0.1:0): %s", strerror(errno));
	}
	ASSERT_EQ(0, listen(self->lfd, 8)) {
		TH_LOG("listen: %s", strerror(errno));
	}
	ASSERT_EQ(0, getsockname(self->lfd, (struct sockaddr *)&sin, &len)) {
		TH_LOG("getsockname: %s", strerror(errno));
	}
	self->port = ntohs(sin.sin_port);
	ASSERT_NE(0, self->port);
	open_conn(_metadata, self, &self->cfd, &self->sfd);
}

FIXTURE_TEARDOWN(transfer)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->report_fd >= 0)
		close(self->report_fd);
	if (self->file_fd >= 0)
		close(self->file_fd);
	close_socks(&self->socks);
}

/* One end of the connection as the subject of a check, its peer the other. */
struct end {
	const char *name;
	int fd;
	int peer;
};

static void ends_of(FIXTURE_DATA(transfer) *self, struct end ends[2])
{
	ends[0] = (struct end){ "client", self->cfd, self->sfd };
	ends[1] = (struct end){ "server", self->sfd, self->cfd };
}

/* Records in @r that @call failed with @err. */
static void report_failure(struct sender_report *r, const char *call, int err)
{
	r->err = err;
	snprintf(r->call, sizeof(r->call), "%s", call);
}

/* send() in write_sizes pieces. */
static void send_in_pieces(int fd, struct stream *s, uint64_t bytes,
			   struct sender_report *r)
{
	unsigned int i = 0;
	size_t len;
	int err;

	while (r->bytes < bytes) {
		len = write_sizes[i++ % ARRAY_SIZE(write_sizes)];
		if (len > bytes - r->bytes)
			len = bytes - r->bytes;
		stream_fill(s, io_buf, len);
		err = send_all(fd, io_buf, len);
		if (err) {
			report_failure(r, "send", err);
			return;
		}
		r->hash = fnv64(r->hash, io_buf, len);
		r->bytes += len;
	}
}

/* sendfile() of @file_fd, which holds the stream @s is at the start of. */
static void send_by_sendfile(int fd, int file_fd, struct stream *s,
			     uint64_t bytes, struct sender_report *r)
{
	off_t off = 0;
	size_t len;
	ssize_t n;

	while ((uint64_t)off < bytes) {
		n = sendfile(fd, file_fd, &off, bytes - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			report_failure(r, "sendfile", n ? errno : ENODATA);
			break;
		}
	}
	/* Hash the part of the stream that went out. */
	while (r->bytes < (uint64_t)off) {
		len = IO_MAX;
		if (len > (uint64_t)off - r->bytes)
			len = (uint64_t)off - r->bytes;
		stream_fill(s, io_buf, len);
		r->hash = fnv64(r->hash, io_buf, len);
		r->bytes += len;
	}
}

/* Moves all @len bytes queued in pipe @pipe_rd into the socket. */
static int splice_all(int pipe_rd, int fd, size_t len, bool more)
{
	ssize_t n;

	while (len) {
		n = splice(pipe_rd, NULL, fd, NULL, len,
			   more ? SPLICE_F_MORE : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? errno : ENODATA;
		len -= n;
	}
	return 0;
}

/* write() into a pipe in splice_sizes pieces, splice() each into @fd. */
static void send_by_splice(int fd, struct stream *s, uint64_t bytes,
			   struct sender_report *r)
{
	unsigned int i = 0;
	int pipefd[2], err;
	size_t len;
	ssize_t n;

	if (pipe(pipefd)) {
		report_failure(r, "pipe", errno);
		return;
	}
	/* Every piece then fits the drained pipe: write() never waits. */
	if (fcntl(pipefd[1], F_SETPIPE_SZ, SPLICE_PIPE_SIZE) < SPLICE_PIPE_SIZE)
		report_failure(r, "F_SETPIPE_SZ", errno);
	while (!r->err && r->bytes < bytes) {
		len = splice_sizes[i++ % ARRAY_SIZE(splice_sizes)];
		if (len > bytes - r->bytes)
			len = bytes - r->bytes;
		stream_fill(s, io_buf, len);
		n = write(pipefd[1], io_buf, len);
		if (n != (ssize_t)len) {
			report_failure(r, "write", n < 0 ? errno : EIO);
			break;
		}
		err = splice_all(pipefd[0], fd, len, r->bytes + len < bytes);
		if (err) {
			report_failure(r, "splice", err);
			break;
		}
		r->hash = fnv64(r->hash, io_buf, len);
		r->bytes += len;
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

/* The sending child's work; fills @r, never asserts. */
static void send_stream(int fd, enum send_method method, uint64_t seed,
			uint64_t bytes, int file_fd, struct sender_report *r)
{
	struct stream s;

	stream_init(&s, seed);
	r->hash = FNV64_OFFSET;
	switch (method) {
	case BY_SEND:
		send_in_pieces(fd, &s, bytes, r);
		break;
	case BY_SENDFILE:
		send_by_sendfile(fd, file_fd, &s, bytes, r);
		break;
	case BY_SPLICE:
		send_by_splice(fd, &s, bytes, r);
		break;
	}
}

/*
 * Forks the sender: a child process that sends @bytes of the stream of
 * @seed on @fd by @method, then shutdown(SHUT_WR)s it (the socket is
 * shared with the test, so only that ends the stream) and reports.
 */
static void start_sender(struct __test_metadata *_metadata,
			 FIXTURE_DATA(transfer) *self, int fd,
			 enum send_method method, uint64_t seed,
			 uint64_t bytes)
{
	struct sender_report r;
	int pipefd[2];

	ASSERT_EQ(0, pipe(pipefd)) TH_LOG("pipe: %s", strerror(errno));
	self->child = fork();
	ASSERT_LE(0, self->child) TH_LOG("fork: %s", strerror(errno));
	if (self->child == 0) {
		close(pipefd[0]);
		memset(&r, 0, sizeof(r));
		send_stream(fd, method, seed, bytes, self->file_fd, &r);
		if (!r.err && shutdown(fd, SHUT_WR))
			report_failure(&r, "shutdown", errno);
		_exit(write(pipefd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(pipefd[1]);
	self->report_fd = pipefd[0];
}

/* Collects the sender's report and its exit status. */
static struct sender_report finish_sender(struct __test_metadata *_metadata,
					  FIXTURE_DATA(transfer) *self)
{
	struct sender_report r;
	int status;

	memset(&r, 0, sizeof(r));
	ASSERT_EQ((ssize_t)sizeof(r), read(self->report_fd, &r, sizeof(r))) {
		TH_LOG("no report from the sender");
	}
	close(self->report_fd);
	self->report_fd = -1;
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("sender status %#x", status);
	}
	ASSERT_EQ(0, r.err) {
		TH_LOG("sender: %s after %" PRIu64 " bytes: %s", r.call,
		       r.bytes, strerror(r.err));
	}
	return r;
}

/*
 * Reads @fd to end of file in read_sizes pieces, checking every byte
 * against the stream of @seed as it arrives and the total against
 * @bytes; end of file must then stay.  Returns the FNV-1a of it all.
 */
static uint64_t receive_stream(struct __test_metadata *_metadata, int fd,
			       uint64_t seed, uint64_t bytes)
{
	uint64_t total = 0, hash = FNV64_OFFSET;
	struct stream expect;
	unsigned int i = 0;
	size_t bad;
	ssize_t n;

	stream_init(&expect, seed);
	for (;;) {
		n = recv(fd, io_buf, read_sizes[i++ % ARRAY_SIZE(read_sizes)],
			 0);
		if (n < 0 && errno == EINTR)
			continue;
		ASSERT_LE(0, n) {
			TH_LOG("recv after %" PRIu64 " bytes: %s", total,
			       strerror(errno));
		}
		if (!n)
			break;
		ASSERT_GE(bytes - total, (uint64_t)n) {
			TH_LOG("%" PRIu64 " bytes arrived, %" PRIu64
			       " were sent", total + n, bytes);
		}
		stream_fill(&expect, expect_buf, n);
		if (memcmp(io_buf, expect_buf, n)) {
			for (bad = 0; io_buf[bad] == expect_buf[bad]; bad++)
				;
			ASSERT_EQ(expect_buf[bad], io_buf[bad]) {
				TH_LOG("first wrong byte at offset %" PRIu64
				       " (recv() of %zd at %" PRIu64 ")",
				       total + bad, n, total);
			}
		}
		hash = fnv64(hash, io_buf, n);
		total += n;
	}
	ASSERT_EQ(bytes, total) TH_LOG("end of file too early");
	ASSERT_EQ(0, recv_ret(fd, io_buf, 1, 0)) {
		TH_LOG("end of file went away");
	}
	return hash;
}

/*
 * Moves @bytes of the stream of @seed from @from to @to, sent by a
 * child process by @method, received and checked here; both ends'
 * counts and hashes must agree.
 */
static void move_stream(struct __test_metadata *_metadata,
			FIXTURE_DATA(transfer) *self, int from, int to,
			enum send_method method, uint64_t seed, uint64_t bytes)
{
	const char *sender = from == self->cfd ? "client" : "server";
	const char *receiver = to == self->cfd ? "client" : "server";
	struct sender_report sent;
	double start, secs;
	uint64_t hash;

	start = now_sec();
	start_sender(_metadata, self, from, method, seed, bytes);
	hash = receive_stream(_metadata, to, seed, bytes);
	secs = now_sec() - start;
	sent = finish_sender(_metadata, self);

	TH_LOG("%s sent %" PRIu64 " bytes, hash %016" PRIx64,
	       sender, sent.bytes, sent.hash);
	TH_LOG("%s received %" PRIu64 " bytes, hash %016" PRIx64 " (%.2f s)",
	       receiver, bytes, hash, secs);
	ASSERT_EQ(bytes, sent.bytes);
	ASSERT_EQ(sent.hash, hash);
}

/*
 * Native: KTCP_TRANSFER_MIB MiB of pseudo-random data sent in writes
 * of 1 B to 1 MiB arrive complete, in order and intact, read in
 * pieces of other sizes, and then end of file after the sender's
 * shutdown(SHUT_WR).  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, bulk_client_to_server, 600)
{
	move_stream(_metadata, self, self->cfd, self->sfd, BY_SEND,
		    SEED_CLIENT_TO_SERVER, transfer_bytes(_metadata));
}

/* Native: and the same the other way.  ktcp must do the same. */
TEST_F_TIMEOUT(transfer, bulk_server_to_client, 600)
{
	move_stream(_metadata, self, self->sfd, self->cfd, BY_SEND,
		    SEED_SERVER_TO_CLIENT, transfer_bytes(_metadata));
}

/*
 * Waits until a MSG_PEEK of @fd sees @len bytes; returns what the last
 * peek returned (bytes or minus the errno).
 */
static ssize_t wait_queued(int fd, char *buf, size_t len)
{
	double deadline = now_sec() + POLL_MS / 1000.0;
	ssize_t n;

	for (;;) {
		n = recv_ret(fd, buf, len + 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == (ssize_t)len || (n < 0 && n != -EAGAIN) ||
		    now_sec() >= deadline)
			return n;
		msleep(20);
	}
}

/*
 * Native: MSG_PEEK returns the queued bytes, across the two sends they
 * came in, without consuming them: a second peek sees the same, a
 * recv() then reads them, and a peek after a partial read sees the
 * rest.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, msg_peek_does_not_consume, 30)
{
	struct end ends[2];
	char buf[16];
	int i;

	ends_of(self, ends);
	for (i = 0; i < 2; i++) {
		struct end *e = &ends[i];

		ASSERT_EQ(5, send_ret(e->peer, "01234", 5, MSG_NOSIGNAL));
		ASSERT_EQ(5, send_ret(e->peer, "56789", 5, MSG_NOSIGNAL));
		ASSERT_EQ(10, wait_queued(e->fd, buf, 10)) {
			TH_LOG("%s end: not all 10 bytes arrived", e->name);
		}

		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(10, recv_ret(e->fd, buf, sizeof(buf), MSG_PEEK));
		ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(10, recv_ret(e->fd, buf, sizeof(buf), MSG_PEEK));
		ASSERT_EQ(0, memcmp(buf, "0123456789", 10));

		ASSERT_EQ(4, recv_ret(e->fd, buf, 4, 0));
		ASSERT_EQ(0, memcmp(buf, "0123", 4));
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(6, recv_ret(e->fd, buf, sizeof(buf), MSG_PEEK));
		ASSERT_EQ(0, memcmp(buf, "456789", 6));
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(6, recv_ret(e->fd, buf, sizeof(buf), 0));
		ASSERT_EQ(0, memcmp(buf, "456789", 6));
		ASSERT_EQ(-EAGAIN, recv_ret(e->fd, buf, 1, MSG_DONTWAIT)) {
			TH_LOG("%s end: bytes left after reading all",
			       e->name);
		}
	}
}

/*
 * Native: recv(MSG_WAITALL) of N bytes returns all N even though the
 * peer sends them in four pieces with pauses between, each of which
 * would end a plain recv().  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, msg_waitall_collects_pieces, 30)
{
	static const size_t pieces[] = { 1, 1000, 2999, 4096 };
	size_t total = 0, i;
	struct end ends[2];
	int status, e;

	for (i = 0; i < ARRAY_SIZE(pieces); i++)
		total += pieces[i];
	ends_of(self, ends);
	for (e = 0; e < 2; e++) {
		struct stream s;

		self->child = fork();
		ASSERT_LE(0, self->child) TH_LOG("fork: %s", strerror(errno));
		if (self->child == 0) {
			stream_init(&s, e + 1);
			for (i = 0; i < ARRAY_SIZE(pieces); i++) {
				msleep(WAITALL_PAUSE_MS);
				stream_fill(&s, io_buf, pieces[i]);
				if (send_all(ends[e].peer, io_buf, pieces[i]))
					_exit(1);
			}
			_exit(0);
		}

		ASSERT_EQ((ssize_t)total,
			  recv_ret(ends[e].fd, io_buf, total, MSG_WAITALL)) {
			TH_LOG("%s end", ends[e].name);
		}
		stream_init(&s, e + 1);
		stream_fill(&s, expect_buf, total);
		ASSERT_EQ(0, memcmp(io_buf, expect_buf, total));

		ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
		self->child = 0;
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
}

/*
 * Native: recv(MSG_DONTWAIT) with nothing queued is EAGAIN at once,
 * even on a blocking socket.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, msg_dontwait_on_empty_socket_is_eagain, 30)
{
	struct end ends[2];
	char c;
	int i;

	ends_of(self, ends);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(-EAGAIN, recv_ret(ends[i].fd, &c, 1, MSG_DONTWAIT)) {
			TH_LOG("%s end", ends[i].name);
		}
	}
}

/*
 * Native: a blocking recv() with nothing queued fails with EAGAIN once
 * SO_RCVTIMEO (200 ms) has expired, and the connection is still fine
 * afterwards.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, so_rcvtimeo_expires_with_eagain, 30)
{
	struct end ends[2];
	char c;
	int i;

	ends_of(self, ends);
	for (i = 0; i < 2; i++) {
		set_sock_timeout(_metadata, ends[i].fd, SO_RCVTIMEO,
				 SHORT_TIMEOUT_MS);
		ASSERT_EQ(-EAGAIN, recv_ret(ends[i].fd, &c, 1, 0)) {
			TH_LOG("%s end", ends[i].name);
		}
		ASSERT_EQ(1, send_ret(ends[i].peer, "x", 1, MSG_NOSIGNAL));
		ASSERT_EQ(1, recv_ret(ends[i].fd, &c, 1, 0));
		ASSERT_EQ('x', c);
	}
}

/*
 * Native: with a peer that never reads, send()s of 1 MiB fill both
 * ends' buffers; then, with SO_SNDTIMEO of 200 ms, a send() returns
 * what it could still queue (a partial count) or, if nothing, fails
 * with EAGAIN.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, so_sndtimeo_with_full_buffers_is_partial_or_eagain,
	       60)
{
	struct end ends[2];
	uint64_t queued;
	ssize_t n;
	int i;

	memset(io_buf, 'z', SNDBUF_FILL_CHUNK);
	ends_of(self, ends);
	for (i = 0; i < 2; i++) {
		set_sock_timeout(_metadata, ends[i].fd, SO_SNDTIMEO,
				 SHORT_TIMEOUT_MS);
		for (queued = 0;; queued += n) {
			n = send_ret(ends[i].fd, io_buf, SNDBUF_FILL_CHUNK,
				     MSG_NOSIGNAL);
			if (n != SNDBUF_FILL_CHUNK)
				break;
			ASSERT_GT(SNDBUF_FILL_LIMIT, queued) {
				TH_LOG("%s end: the buffers never fill",
				       ends[i].name);
			}
		}
		ASSERT_TRUE(n == -EAGAIN || (n > 0 && n < SNDBUF_FILL_CHUNK)) {
			TH_LOG("%s end: send() after %" PRIu64 " bytes: %zd",
			       ends[i].name, queued, n);
		}
		TH_LOG("%s end: %" PRIu64 " bytes queued in full sends, then send() returned %zd",
		       ends[i].name, queued, n);
	}
}

/*
 * The blocking sends below: far more than a 64 KiB send buffer and the
 * peer's receive buffer (ktcp's rmem[1] is 4 MiB) hold.
 */
#define BIG_SEND		(6 * MIB)
#define SMALL_SNDBUF		(64 * 1024)
/* The slow reader's pieces and its pause after each. */
#define SLOW_READ_PIECE		(64 * 1024)
#define SLOW_READ_PAUSE_MS	2
/* When the signal comes to the blocked send(). */
#define SIGNAL_AFTER_MS		300

static unsigned char big_buf[BIG_SEND];

static void set_sndbuf(struct __test_metadata *_metadata, int fd, int val)
{
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val))) {
		TH_LOG("SO_SNDBUF %d: %s", val, strerror(errno));
	}
}

/*
 * Native: one blocking send() of 6 MiB through a 64 KiB send buffer to
 * a peer that reads 64 KiB at a time, pausing after each, returns
 * 6 MiB: tcp_sendmsg_locked() waits for room (sk_stream_wait_memory())
 * as often as it takes and never returns a short count unless a
 * signal, SO_SNDTIMEO or an error ends a wait.  The bytes arrive
 * intact.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, blocking_send_to_slow_reader_returns_all, 60)
{
	struct end ends[2];
	struct stream s;
	int status, e;

	ends_of(self, ends);
	for (e = 0; e < 2; e++) {
		set_sndbuf(_metadata, ends[e].fd, SMALL_SNDBUF);
		self->child = fork();
		ASSERT_LE(0, self->child) TH_LOG("fork: %s", strerror(errno));
		if (self->child == 0) {
			size_t got = 0;
			ssize_t n;

			stream_init(&s, e + 1);
			while (got < BIG_SEND) {
				n = recv(ends[e].peer, io_buf,
					 SLOW_READ_PIECE, 0);
				if (n <= 0)
					_exit(1);
				stream_fill(&s, expect_buf, n);
				if (memcmp(io_buf, expect_buf, n))
					_exit(2);
				got += n;
				msleep(SLOW_READ_PAUSE_MS);
			}
			_exit(0);
		}

		stream_init(&s, e + 1);
		stream_fill(&s, big_buf, BIG_SEND);
		ASSERT_EQ((ssize_t)BIG_SEND,
			  send_ret(ends[e].fd, big_buf, BIG_SEND,
				   MSG_NOSIGNAL)) {
			TH_LOG("%s end", ends[e].name);
		}
		ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
		self->child = 0;
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("%s end: the reader's status %#x", ends[e].name,
			       status);
		}
	}
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * Native: a blocking send() of 6 MiB through a 64 KiB send buffer to a
 * peer that never reads queues what the buffers take and waits; a
 * signal (its handler without SA_RESTART) then ends the call, which
 * returns the bytes it queued: more than none, less than asked
 * (tcp_sendmsg_locked(): an error after some data returns the count).
 * ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, signal_during_blocking_send_returns_partial_count,
	       30)
{
	struct sigaction sa;
	struct end ends[2];
	int status, e;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL)) {
		TH_LOG("sigaction(SIGUSR1): %s", strerror(errno));
	}
	memset(big_buf, 's', BIG_SEND);
	ends_of(self, ends);
	for (e = 0; e < 2; e++) {
		pid_t parent = getpid();

		set_sndbuf(_metadata, ends[e].fd, SMALL_SNDBUF);
		self->child = fork();
		ASSERT_LE(0, self->child) TH_LOG("fork: %s", strerror(errno));
		if (self->child == 0) {
			msleep(SIGNAL_AFTER_MS);
			_exit(kill(parent, SIGUSR1) ? 1 : 0);
		}

		n = send_ret(ends[e].fd, big_buf, BIG_SEND, MSG_NOSIGNAL);
		ASSERT_TRUE(n > 0 && n < (ssize_t)BIG_SEND) {
			TH_LOG("%s end: send() of %llu bytes interrupted: %zd",
			       ends[e].name, BIG_SEND, n);
		}
		TH_LOG("%s end: the interrupted send() returned %zd",
		       ends[e].name, n);
		ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
		self->child = 0;
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
}

/*
 * Native: after shutdown(SHUT_WR) of our end, send() fails with EPIPE
 * and raises SIGPIPE, one per call, while the peer reads end of file.
 * ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, send_after_shut_wr_is_epipe_and_raises_sigpipe, 30)
{
	struct end ends[2];
	char c;
	int i;

	count_sigpipes(_metadata);
	ends_of(self, ends);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, shutdown(ends[i].fd, SHUT_WR));
		ASSERT_EQ(0, recv_ret(ends[i].peer, &c, 1, 0));
		atomic_store(&sigpipe_count, 0);
		ASSERT_EQ(-EPIPE, send_ret(ends[i].fd, "x", 1, 0)) {
			TH_LOG("%s end", ends[i].name);
		}
		ASSERT_EQ(1, sigpipes()) TH_LOG("%s end", ends[i].name);
		ASSERT_EQ(-EPIPE, send_ret(ends[i].fd, "x", 1, 0));
		ASSERT_EQ(2, sigpipes());
		ASSERT_EQ(0, so_error(_metadata, ends[i].fd));
	}
}

/*
 * Native: so does send(MSG_NOSIGNAL), without SIGPIPE.  ktcp must do
 * the same, as either end.
 */
TEST_F_TIMEOUT(transfer,
	       send_msg_nosignal_after_shut_wr_is_epipe_without_sigpipe, 30)
{
	struct end ends[2];
	char c;
	int i;

	count_sigpipes(_metadata);
	ends_of(self, ends);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, shutdown(ends[i].fd, SHUT_WR));
		ASSERT_EQ(0, recv_ret(ends[i].peer, &c, 1, 0));
		ASSERT_EQ(-EPIPE, send_ret(ends[i].fd, "x", 1, MSG_NOSIGNAL)) {
			TH_LOG("%s end", ends[i].name);
		}
		ASSERT_EQ(-EPIPE, send_ret(ends[i].fd, "x", 1, MSG_NOSIGNAL));
		ASSERT_EQ(0, sigpipes()) TH_LOG("%s end", ends[i].name);
	}
}

/*
 * Opens a connection whose other end then aborts it with a RST
 * (SO_LINGER {1, 0}, close()) and returns its client end if
 * @client_end, else its server end, once poll() on that reports
 * POLLIN | POLLERR | POLLHUP.
 */
static int reset_by_peer(struct __test_metadata *_metadata,
			 FIXTURE_DATA(transfer) *self, bool client_end)
{
	int cfd, sfd, fd, peer;

	open_conn(_metadata, self, &cfd, &sfd);
	fd = client_end ? cfd : sfd;
	peer = client_end ? sfd : cfd;
	set_linger_zero(_metadata, peer);
	close_sock(_metadata, &self->socks, peer);
	ASSERT_EQ(POLLIN | POLLERR | POLLHUP,
		  wait_events(fd, POLLERR | POLLHUP, POLL_MS)) {
		TH_LOG("%s end: the RST did not show in poll()",
		       client_end ? "client" : "server");
	}
	return fd;
}

/*
 * Native: after the peer's RST, the first send() fails with ECONNRESET
 * (consuming SO_ERROR) and raises no SIGPIPE; every later send() fails
 * with EPIPE and raises SIGPIPE unless MSG_NOSIGNAL; recv() then reads
 * end of file.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, send_after_peer_reset_is_econnreset_then_epipe, 30)
{
	char c;
	int i, fd;

	count_sigpipes(_metadata);
	for (i = 0; i < 2; i++) {
		const char *name = i ? "server" : "client";

		fd = reset_by_peer(_metadata, self, !i);
		atomic_store(&sigpipe_count, 0);
		ASSERT_EQ(-ECONNRESET, send_ret(fd, "x", 1, 0)) {
			TH_LOG("%s end", name);
		}
		ASSERT_EQ(0, sigpipes()) TH_LOG("%s end", name);
		ASSERT_EQ(0, so_error(_metadata, fd));
		ASSERT_EQ(-EPIPE, send_ret(fd, "x", 1, 0)) {
			TH_LOG("%s end", name);
		}
		ASSERT_EQ(1, sigpipes()) TH_LOG("%s end", name);
		ASSERT_EQ(-EPIPE, send_ret(fd, "x", 1, MSG_NOSIGNAL));
		ASSERT_EQ(1, sigpipes());
		ASSERT_EQ(0, recv_ret(fd, &c, 1, 0)) TH_LOG("%s end", name);
	}
}

/*
 * Native: after the peer's RST, the first recv() fails with ECONNRESET
 * (consuming SO_ERROR), later ones read end of file, and send() fails
 * with EPIPE.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, recv_after_peer_reset_is_econnreset_then_eof, 30)
{
	char c;
	int i, fd;

	count_sigpipes(_metadata);
	for (i = 0; i < 2; i++) {
		const char *name = i ? "server" : "client";

		fd = reset_by_peer(_metadata, self, !i);
		ASSERT_EQ(-ECONNRESET, recv_ret(fd, &c, 1, 0)) {
			TH_LOG("%s end", name);
		}
		ASSERT_EQ(0, so_error(_metadata, fd));
		ASSERT_EQ(0, recv_ret(fd, &c, 1, 0)) TH_LOG("%s end", name);
		ASSERT_EQ(0, recv_ret(fd, &c, 1, 0));
		atomic_store(&sigpipe_count, 0);
		ASSERT_EQ(-EPIPE, send_ret(fd, "x", 1, MSG_NOSIGNAL)) {
			TH_LOG("%s end", name);
		}
		ASSERT_EQ(0, sigpipes());
	}
}

/* An unlinked temporary file holding FILE_BYTES of the stream of @seed. */
static int stream_file(struct __test_metadata *_metadata, uint64_t seed)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	struct stream s;
	uint64_t done;
	int fd;

	snprintf(path, sizeof(path), "%s/transfer_test.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	ASSERT_LE(0, fd) TH_LOG("mkstemp(%s): %s", path, strerror(errno));
	unlink(path);

	stream_init(&s, seed);
	for (done = 0; done < FILE_BYTES; done += IO_MAX) {
		stream_fill(&s, io_buf, IO_MAX);
		ASSERT_EQ(IO_MAX, write(fd, io_buf, IO_MAX)) {
			TH_LOG("write(%s): %s", path, strerror(errno));
		}
	}
	return fd;
}

/*
 * Native: sendfile() of a 4 MiB file into the client socket delivers
 * the file byte for byte.  ktcp must do the same, as either end.
 */
TEST_F_TIMEOUT(transfer, sendfile_4mib_arrives_intact, 60)
{
	self->file_fd = stream_file(_metadata, SEED_SENDFILE);
	move_stream(_metadata, self, self->cfd, self->sfd, BY_SENDFILE,
		    SEED_SENDFILE, FILE_BYTES);
}

/*
 * Native: splice() from a pipe into the client socket, in pieces of
 * 1 B to 64 KiB, delivers 4 MiB byte for byte.  ktcp must do the same,
 * as either end.
 */
TEST_F_TIMEOUT(transfer, splice_from_pipe_arrives_intact, 60)
{
	move_stream(_metadata, self, self->cfd, self->sfd, BY_SPLICE,
		    SEED_SPLICE, FILE_BYTES);
}

TEST_HARNESS_MAIN
