// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_bench - ktcp against native TCP, side by side in one run, over
 * two paths.  Prints a Markdown table.
 *
 * Metrics, over both paths unless said otherwise:
 *  - bulk throughput, 1 stream and 4 streams (Gbit/s), and the CPU time
 *    each costs per GB moved: system-wide busy time from /proc/stat
 *    (user, nice, system, irq and softirq: softirq work done in
 *    ksoftirqd or on the other CPU counts) and the bench process's own
 *    user and system time from getrusage(RUSAGE_SELF).  A throughput
 *    bought with more CPU shows there;
 *  - request/response, 1 byte each way over one connection, TCP_NODELAY
 *    (round trips/s);
 *  - connection rate: connect, 1-byte request, 1-byte response, close,
 *    one connection after the other (connections/s);
 *  - kernel memory (Slab of /proc/meminfo) per idle established
 *    connection, both endpoints, at each count of --conns-list, over
 *    loopback only: an idle connection holds no packet, so the path
 *    would change only how long the run takes.  The clients bind to
 *    127.0.1.1-254, ports 20000-20999, so no stack's ephemeral range
 *    limits the count, and RLIMIT_NOFILE is raised for both ends.  A
 *    count that cannot be reached (file descriptors, memory: the run
 *    stops while MemAvailable is still above 128 MiB) is reported as
 *    such, with the number reached and the value read there.
 *
 * Paths:
 *  - loopback: 127.0.0.1 in the bench's own network namespace;
 *  - veth: a veth pair with MTU 1500 between two network namespaces
 *    the bench creates (unshare(2), set up once with ip(8)) and that
 *    vanish when it exits, the server in one, the client in the other:
 *    segments are no larger than on Ethernet, so GSO matters.
 *
 * Fairness: both ends of every connection are of the stack measured;
 * the bench changes no sysctl, so both stacks run with their defaults,
 * and they get the same socket options.  In the connection rate the
 * server closes first on both stacks, so TIME-WAIT is the server's and
 * never holds a client port.  Every measurement runs --repeat times,
 * ktcp and native interleaved (ktcp, native, ktcp, ...), so that a
 * drift of the machine hits both alike.  A cell is the median
 * [min-max] of the runs that succeeded; the ratio is of the medians.
 *
 * A benchmark, not a test: it asserts nothing.  Meant to run as root
 * (namespaces, RLIMIT_NOFILE, SLUB's shrink) in a VM with ktcp.ko
 * loaded; without ktcp its column says n/a, and so does a path that
 * cannot be set up.  Progress and errors go to stderr, the table to
 * stdout.  The exit status is 0 unless the options are wrong (2) or
 * native TCP could not be measured at all for some row (1).
 *
 *   ktcp_bench [--bulk-mib N] [--seconds S] [--repeat R]
 *              [--conns-list K1,K2,...] [--conns K]
 *              [--paths lo,veth] [--only ktcp|inet]
 *              [--metrics memory,bulk,rr,rate]
 *
 *   --bulk-mib N       MiB per bulk run, shared out among its streams
 *                      (default 256)
 *   --seconds S        duration of each request/response and connection
 *                      rate run (default 2)
 *   --repeat R         runs of every measurement per stack (default 5)
 *   --conns-list K,..  connection counts at which memory is read, all
 *                      in one run that grows to the largest
 *                      (default 10000,100000)
 *   --conns K          the same as --conns-list K
 *   --paths P,..       lo, veth or both (default lo,veth)
 *   --only STACK       measure only ktcp or only native TCP (inet)
 *   --metrics M,..     only these: memory, bulk, rr (request/response),
 *                      rate (connection rate); default all
 *
 * The defaults are meant to keep scripts/bench.sh, a 2-vCPU guest under
 * software emulation, within about 15 minutes; the memory runs to
 * 100,000 connections take the most.  Each run's duration is on stderr.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/socket.h>

#define MIB			(1024ULL * 1024)

#define BULK_MIB_DEFAULT	256
#define SECONDS_DEFAULT		2
#define REPEAT_DEFAULT		5
#define REPEAT_MAX		100
#define CONNS_LIST_DEFAULT	"10000,100000"
#define CONNS_LIST_MAX		8

/* Size of each send() and recv() of the bulk streams. */
#define BULK_IO_SIZE		(256 * 1024)
#define BULK_MULTI_STREAMS	4

/* No measurement may hang on a stalled stack: bound every blocking call. */
#define SOCK_TIMEOUT_SEC	10
#define ACCEPT_POLL_MS		100

/*
 * The memory measurement binds each client to its own source address
 * and port, MEM_PORTS_PER_ADDR ports from MEM_PORT_BASE on each of
 * 127.0.1.1, 127.0.1.2, ...: neither stack's ephemeral ports run out,
 * however many connections are asked for.
 */
#define MEM_ADDR_FIRST		0x7f000101	/* 127.0.1.1 */
#define MEM_ADDRS		254
#define MEM_PORT_BASE		20000
#define MEM_PORTS_PER_ADDR	1000
#define MEM_PAIRS		(MEM_ADDRS * MEM_PORTS_PER_ADDR)

/*
 * Sockets are freed after an RCU grace period, and 100,000 of them take
 * a while under emulation: Slab is read only once it has stopped
 * moving, so that the previous run's frees do not offset this one's
 * growth.
 */
#define SLAB_SETTLE_STEP_MS	250
#define SLAB_SETTLE_STEPS_MAX	40
#define SLAB_STABLE_KIB		256

/*
 * Unlike page cache, socket memory cannot be reclaimed: the memory
 * measurement stops short of the OOM killer, which would take the whole
 * table with it.
 */
#define MEM_AVAILABLE_FLOOR_KIB	(128 * 1024)
#define MEM_AVAILABLE_CHECK_EVERY 1000

/* File descriptors besides the connections' (stdio, listener, ...). */
#define FD_SLACK		64

#define SLAB_SYSFS_DIR		"/sys/kernel/slab"

/* RFC 5737 documentation addresses: they cannot clash with a real route. */
#define VETH_SERVER_ADDR	0xc0000201	/* 192.0.2.1 */
#define VETH_CLIENT_ADDR	0xc0000202	/* 192.0.2.2 */
#define VETH_MTU		1500

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

enum { KTCP, NATIVE, NR_STACKS };
enum { PATH_LOOPBACK, PATH_VETH, NR_PATHS };

enum measurement_kind { MEASURE_MEMORY, MEASURE_BULK, MEASURE_RR, MEASURE_CRR };
#define NR_MEASURES	(MEASURE_CRR + 1)

/* --metrics' names, in measurement_kind's order. */
static const char *const measure_names[NR_MEASURES] = {
	"memory", "bulk", "rr", "rate",
};

struct options {
	unsigned long bulk_mib;
	unsigned int seconds;
	unsigned int repeat;
	unsigned int conns_list[CONNS_LIST_MAX];
	unsigned int nr_conns;
	bool run_stack[NR_STACKS];
	bool run_path[NR_PATHS];
	bool run_kind[NR_MEASURES];
};

/* A stack under test: ktcp or native TCP, and why it cannot be run. */
struct stack {
	const char *name;
	int family;
	char unavailable[160];
};

/*
 * Where the server's and the client's sockets live (a network
 * namespace, or -1 for the bench's own) and the server's address.
 */
struct bench_path {
	const char *name;
	int server_netns;
	int client_netns;
	uint32_t server_addr;
	char unavailable[200];
};


/* One measurement fills rows first_row .. first_row + nr_rows - 1. */
struct measurement {
	enum measurement_kind kind;
	int path;
	unsigned int streams;	/* bulk only */
	size_t first_row;
	size_t nr_rows;
};

#define BULK_ROWS		3	/* Gbit/s, system CPU, process CPU */
#define ROWS_MAX		(CONNS_LIST_MAX + NR_PATHS * (2 * BULK_ROWS + 2))

struct row {
	char label[160];
	int path;
	const char *unit;
	const char *format;	/* of one value, in the unit */
	unsigned int conns_wanted;	/* memory rows only */
	unsigned int conns_reached[NR_STACKS];	/* fewest of a run that succeeded */
	double runs[NR_STACKS][REPEAT_MAX];	/* NAN: the run failed */
};

/* The network namespace the bench started in, to come back to. */
static int home_netns = -1;

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Reports the failed call with errno (0: end of file came instead of
 * data); returns NAN for the caller to return.
 */
static double failed(const char *what)
{
	fprintf(stderr, "ktcp_bench: %s: %s\n", what,
		errno ? strerror(errno) : "unexpected end of file");
	return NAN;
}

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	return sin;
}

/*
 * A socket belongs for life to the namespace of the thread that created
 * it: entering the client's or the server's namespace is needed only
 * around socket().
 */
static int enter_netns(int netns)
{
	if (netns < 0)
		return 0;
	return setns(netns, CLONE_NEWNET);
}

static void return_home_netns(void)
{
	/*
	 * Staying in the other namespace would put later sockets on the
	 * wrong path and measure something else without a word.
	 */
	if (setns(home_netns, CLONE_NEWNET)) {
		perror("ktcp_bench: setns back to the initial namespace");
		exit(1);
	}
}

static void leave_netns(int netns)
{
	if (netns >= 0)
		return_home_netns();
}

/* A stream socket of @family whose blocking calls give up after a while. */
static int open_socket(int family)
{
	struct timeval tv = { .tv_sec = SOCK_TIMEOUT_SEC };
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A listener of @family on @path's server address, a port the kernel picks. */
static int listen_on(const struct bench_path *path, int family, int backlog,
		     uint16_t *port)
{
	struct sockaddr_in sin = sin_of(path->server_addr, 0);
	socklen_t len = sizeof(sin);
	int fd;

	if (enter_netns(path->server_netns))
		return -1;
	fd = open_socket(family);
	leave_netns(path->server_netns);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static int connect_to(const struct bench_path *path, int fd, uint16_t port)
{
	struct sockaddr_in sin = sin_of(path->server_addr, port);

	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* A client socket of @family in @path's client namespace, connected. */
static int open_client(const struct bench_path *path, int family,
		       uint16_t port)
{
	int fd;

	if (enter_netns(path->client_netns))
		return -1;
	fd = open_socket(family);
	leave_netns(path->client_netns);
	if (fd < 0)
		return -1;
	if (connect_to(path, fd, port)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Both ends of one connection of @family over @path. */
static int open_pair(const struct bench_path *path, int family, int *cfd,
		     int *sfd)
{
	uint16_t port;
	int lfd;

	*cfd = *sfd = -1;
	lfd = listen_on(path, family, 1, &port);
	if (lfd < 0)
		return -1;
	*cfd = open_client(path, family, port);
	if (*cfd < 0)
		goto fail;
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		goto fail;
	close(lfd);
	return 0;
fail:
	if (*cfd >= 0)
		close(*cfd);
	close(lfd);
	return -1;
}

/* Where the stack has no TCP_NODELAY, it has no Nagle to turn off either. */
static void set_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* recv() of exactly one byte; false, with errno 0 at end of file, if not. */
static bool recv_byte(int fd)
{
	char c;

	errno = 0;
	return recv(fd, &c, 1, 0) == 1;
}

/* Whether recv() reads end of file; errno EPROTO if data came instead. */
static bool recv_eof(int fd)
{
	ssize_t n;
	char c;

	n = recv(fd, &c, 1, 0);
	if (n > 0)
		errno = EPROTO;
	return !n;
}

static bool send_byte(int fd)
{
	return send(fd, "x", 1, MSG_NOSIGNAL) == 1;
}

/* CPU time so far: all CPUs busy (/proc/stat) and this process's own. */
struct cpu_times {
	double system_busy_sec;
	double process_sec;
};

static int read_cpu_times(struct cpu_times *t)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	long ticks_per_sec = sysconf(_SC_CLK_TCK);
	struct rusage ru;
	FILE *f;
	int n;

	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
		   &sys, &idle, &iowait, &irq, &softirq);
	fclose(f);
	if (n != 7 || ticks_per_sec <= 0 || getrusage(RUSAGE_SELF, &ru)) {
		errno = n != 7 ? EPROTO : errno;
		return -1;
	}
	/* Steal is the host's time, and guest time is already in user. */
	t->system_busy_sec = (double)(user + nice + sys + irq + softirq) /
			     ticks_per_sec;
	t->process_sec = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			 ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return 0;
}

/*
 * Holds the bulk threads until every stream is connected and the CPU
 * counters are read, so that setup costs no CPU in the measurement.
 */
enum gate_state { GATE_CLOSED, GATE_OPEN, GATE_CANCELLED };

struct start_gate {
	pthread_mutex_t lock;
	pthread_cond_t opened;
	enum gate_state state;
};

static bool wait_gate(struct start_gate *gate)
{
	enum gate_state state;

	pthread_mutex_lock(&gate->lock);
	while (gate->state == GATE_CLOSED)
		pthread_cond_wait(&gate->opened, &gate->lock);
	state = gate->state;
	pthread_mutex_unlock(&gate->lock);
	return state == GATE_OPEN;
}

static void set_gate(struct start_gate *gate, enum gate_state state)
{
	pthread_mutex_lock(&gate->lock);
	gate->state = state;
	pthread_cond_broadcast(&gate->opened);
	pthread_mutex_unlock(&gate->lock);
}

struct bulk_stream {
	int cfd;
	int sfd;
	uint64_t to_send;
	uint64_t sent;
	uint64_t received;
	int send_err;
	int recv_err;
	struct start_gate *gate;
};

static void *bulk_send(void *arg)
{
	struct bulk_stream *st = arg;
	char *buf = malloc(BULK_IO_SIZE);
	uint64_t left;
	ssize_t n;

	if (buf)
		memset(buf, 'b', BULK_IO_SIZE);
	if (!wait_gate(st->gate))
		goto out;
	if (!buf) {
		st->send_err = ENOMEM;
		goto out;
	}
	while (st->sent < st->to_send) {
		left = st->to_send - st->sent;
		n = send(st->cfd, buf, left < BULK_IO_SIZE ? left : BULK_IO_SIZE,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st->send_err = errno;
			break;
		}
		st->sent += n;
	}
	/* The reader's end of file, also after a failure: it must not wait. */
	shutdown(st->cfd, SHUT_WR);
out:
	free(buf);
	return NULL;
}

/* Reads and drops the stream until end of file. */
static void *bulk_recv(void *arg)
{
	struct bulk_stream *st = arg;
	char *buf = malloc(BULK_IO_SIZE);
	ssize_t n;

	if (!wait_gate(st->gate))
		goto out;
	if (!buf) {
		st->recv_err = ENOMEM;
		goto out;
	}
	for (;;) {
		n = recv(st->sfd, buf, BULK_IO_SIZE, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		st->received += n;
	}
	st->recv_err = n < 0 ? errno : 0;
out:
	free(buf);
	return NULL;
}

/*
 * --bulk-mib MiB shared out among @streams concurrent streams, client to
 * server: out[0] Gbit/s, out[1] system-wide CPU seconds per GB,
 * out[2] this process's CPU seconds per GB.
 */
static void bench_bulk(const struct bench_path *path, int family,
		       unsigned int streams, const struct options *opts,
		       double *out)
{
	struct start_gate gate = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.opened = PTHREAD_COND_INITIALIZER,
		.state = GATE_CLOSED,
	};
	struct bulk_stream st[BULK_MULTI_STREAMS];
	pthread_t senders[BULK_MULTI_STREAMS], receivers[BULK_MULTI_STREAMS];
	uint64_t total = opts->bulk_mib * MIB, received = 0;
	unsigned int i, nr_senders = 0, nr_receivers = 0;
	struct cpu_times before, after;
	const char *what = NULL;
	double start, secs, gb;
	int lfd, err = 0;
	uint16_t port;

	out[0] = out[1] = out[2] = NAN;
	lfd = listen_on(path, family, streams, &port);
	if (lfd < 0) {
		failed("bulk: listener");
		return;
	}
	for (i = 0; i < streams; i++) {
		st[i] = (struct bulk_stream){
			.cfd = -1,
			.sfd = -1,
			.to_send = total / streams +
				   (i < total % streams),
			.gate = &gate,
		};
	}
	for (i = 0; i < streams && !what; i++) {
		st[i].cfd = open_client(path, family, port);
		if (st[i].cfd < 0)
			what = "bulk: connect";
		else if ((st[i].sfd = accept(lfd, NULL, NULL)) < 0)
			what = "bulk: accept";
		err = errno;
	}
	close(lfd);
	for (i = 0; i < streams && !what; i++) {
		err = pthread_create(&receivers[i], NULL, bulk_recv, &st[i]);
		if (!err) {
			nr_receivers++;
			err = pthread_create(&senders[i], NULL, bulk_send, &st[i]);
		}
		if (err)
			what = "bulk: pthread_create";
		else
			nr_senders++;
	}
	if (!what && read_cpu_times(&before)) {
		what = "bulk: CPU times";
		err = errno;
	}

	set_gate(&gate, what ? GATE_CANCELLED : GATE_OPEN);
	start = now_sec();
	for (i = 0; i < nr_senders; i++)
		pthread_join(senders[i], NULL);
	for (i = 0; i < nr_receivers; i++)
		pthread_join(receivers[i], NULL);
	secs = now_sec() - start;
	if (!what && read_cpu_times(&after)) {
		what = "bulk: CPU times";
		err = errno;
	}
	for (i = 0; i < streams; i++) {
		if (st[i].cfd >= 0)
			close(st[i].cfd);
		if (st[i].sfd >= 0)
			close(st[i].sfd);
	}
	if (what) {
		errno = err;
		failed(what);
		return;
	}

	for (i = 0; i < streams; i++) {
		if (st[i].send_err) {
			errno = st[i].send_err;
			failed("bulk: send");
			return;
		}
		if (st[i].recv_err || st[i].received != st[i].to_send) {
			fprintf(stderr, "ktcp_bench: bulk: %llu of %llu bytes arrived\n",
				(unsigned long long)st[i].received,
				(unsigned long long)st[i].to_send);
			errno = st[i].recv_err ? st[i].recv_err : EPROTO;
			failed("bulk: recv");
			return;
		}
		received += st[i].received;
	}
	gb = received / 1e9;
	out[0] = gb * 8 / secs;
	out[1] = (after.system_busy_sec - before.system_busy_sec) / gb;
	out[2] = (after.process_sec - before.process_sec) / gb;
}

/* Answers each byte with a byte until end of file. */
static void *echo_bytes(void *arg)
{
	int fd = *(int *)arg;

	while (recv_byte(fd) && send_byte(fd))
		;
	return NULL;
}

/* 1-byte ping-pong over one connection for --seconds; round trips/s. */
static double bench_rr(const struct bench_path *path, int family,
		       const struct options *opts)
{
	double start, deadline, secs;
	unsigned long trips = 0;
	pthread_t thread;
	int cfd, sfd, err;
	bool ok = true;

	if (open_pair(path, family, &cfd, &sfd))
		return failed("request/response: connection");
	set_nodelay(cfd);
	set_nodelay(sfd);
	err = pthread_create(&thread, NULL, echo_bytes, &sfd);
	if (err) {
		errno = err;
		close(cfd);
		close(sfd);
		return failed("request/response: pthread_create");
	}

	start = now_sec();
	deadline = start + opts->seconds;
	do {
		ok = send_byte(cfd) && recv_byte(cfd);
		trips += ok;
	} while (ok && now_sec() < deadline);
	err = errno;
	secs = now_sec() - start;
	shutdown(cfd, SHUT_WR);
	pthread_join(thread, NULL);
	close(cfd);
	close(sfd);

	if (!ok) {
		errno = err;
		return failed("request/response: send or recv");
	}
	return trips / secs;
}

struct crr_server {
	int lfd;
	atomic_bool stop;
	const char *what;	/* the call that failed, or NULL */
	int err;		/* its errno */
};

/*
 * Serves one connection at a time: reads the request byte, answers,
 * closes.  Closing first leaves TIME-WAIT on this side, on both stacks
 * alike: the client's port is free again at once, and a SYN that reuses
 * it ends the server's TIME-WAIT (RFC 6191), so neither stack runs out
 * of ephemeral ports with TIME-WAIT at its default length.
 */
static void *crr_serve(void *arg)
{
	struct crr_server *srv = arg;
	struct pollfd pfd = { .fd = srv->lfd, .events = POLLIN };
	int fd;

	while (!atomic_load(&srv->stop)) {
		if (poll(&pfd, 1, ACCEPT_POLL_MS) <= 0)
			continue;
		fd = accept(srv->lfd, NULL, NULL);
		if (fd < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (fd < 0)
			srv->what = "accept";
		else if (!recv_byte(fd))
			srv->what = "recv";
		else if (!send_byte(fd))
			srv->what = "send";
		srv->err = errno;
		if (fd >= 0)
			close(fd);
		if (srv->what)
			break;
	}
	return NULL;
}

/*
 * For --seconds: connect, 1-byte request, 1-byte response, end of file,
 * close, one connection after the other; connections/s.
 */
static double bench_crr(const struct bench_path *path, int family,
			const struct options *opts)
{
	struct crr_server srv = { .what = NULL };
	double start, deadline, secs;
	unsigned long conns = 0;
	const char *what = NULL;
	pthread_t thread;
	uint16_t port;
	int fd, err;

	srv.lfd = listen_on(path, family, 128, &port);
	if (srv.lfd < 0)
		return failed("connection rate: listener");
	atomic_init(&srv.stop, false);
	err = pthread_create(&thread, NULL, crr_serve, &srv);
	if (err) {
		errno = err;
		close(srv.lfd);
		return failed("connection rate: pthread_create");
	}

	/* Once for the whole run: a setns() per connection would be timed. */
	if (enter_netns(path->client_netns)) {
		what = "setns";
		err = errno;
		secs = 0;
		goto stop;
	}
	start = now_sec();
	deadline = start + opts->seconds;
	do {
		fd = open_socket(family);
		if (fd < 0) {
			what = "socket";
			err = errno;
			break;
		}
		set_nodelay(fd);
		if (connect_to(path, fd, port))
			what = "connect";
		else if (!send_byte(fd))
			what = "send";
		else if (!recv_byte(fd))
			what = "recv";
		else if (!recv_eof(fd))
			what = "recv of end of file";
		err = errno;
		close(fd);
		conns += !what;
	} while (!what && now_sec() < deadline);
	secs = now_sec() - start;
	leave_netns(path->client_netns);
stop:
	atomic_store(&srv.stop, true);
	pthread_join(thread, NULL);
	close(srv.lfd);

	if (what) {
		fprintf(stderr, "ktcp_bench: connection rate: %s failed after %lu connections\n",
			what, conns);
		errno = err;
		return failed("connection rate");
	}
	if (srv.what) {
		fprintf(stderr, "ktcp_bench: connection rate: server: %s failed\n",
			srv.what);
		errno = srv.err;
		return failed("connection rate: server");
	}
	return conns / secs;
}

/* A field of /proc/meminfo, in KiB, or -1. */
static long meminfo_kib(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	size_t len = strlen(field);
	char line[128];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			sscanf(line + len + 1, "%ld", &kib);
			break;
		}
	}
	fclose(f);
	return kib;
}

/*
 * Gives the slab caches' empty slabs back (SLUB's sysfs "shrink"), so
 * that objects freed by an earlier measurement do not make room for the
 * next one without Slab growing.  Best effort: without root or SLUB
 * sysfs it does nothing.
 */
static void shrink_slabs(void)
{
	char path[512];
	struct dirent *de;
	DIR *dir;
	int fd;

	dir = opendir(SLAB_SYSFS_DIR);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/shrink", SLAB_SYSFS_DIR,
			 de->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		(void)!write(fd, "1", 1);
		close(fd);
	}
	closedir(dir);
}

/* Slab in KiB once it has stopped moving (or after a while), or -1. */
static long settled_slab_kib(void)
{
	long prev = -1, cur = -1;
	int step;

	for (step = 0; step < SLAB_SETTLE_STEPS_MAX; step++) {
		msleep(SLAB_SETTLE_STEP_MS);
		shrink_slabs();
		cur = meminfo_kib("Slab");
		if (cur < 0 || (prev >= 0 && labs(cur - prev) < SLAB_STABLE_KIB))
			break;
		prev = cur;
	}
	return cur;
}

/* Native TCP's sockets in TIME-WAIT, from /proc/net/sockstat, or -1. */
static long native_time_wait(void)
{
	FILE *f = fopen("/proc/net/sockstat", "r");
	char line[256];
	long tw = -1;
	char *p;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, " tw ");
		if (!strncmp(line, "TCP:", 4) && p)
			tw = strtol(p + 4, NULL, 10);
	}
	fclose(f);
	return tw;
}

/*
 * Binds @fd to the next free (127.0.1.x, port) pair from *@next on;
 * pairs some other socket holds are skipped.
 */
static int bind_next_pair(int fd, unsigned int *next)
{
	struct sockaddr_in sin;

	for (; *next < MEM_PAIRS; (*next)++) {
		sin = sin_of(MEM_ADDR_FIRST + *next / MEM_PORTS_PER_ADDR,
			     MEM_PORT_BASE + *next % MEM_PORTS_PER_ADDR);
		if (!bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			(*next)++;
			return 0;
		}
		if (errno != EADDRINUSE)
			return -1;
	}
	errno = EADDRNOTAVAIL;
	return -1;
}

/*
 * Opens idle established connections up to the largest count of
 * --conns-list and reads Slab at each count: out[i] is the growth
 * divided by the connections open, bytes per connection with both
 * endpoints (the client and the accepted socket, with their files and
 * inodes); reached[i] how many were open.  If the connections stop
 * short of a count, out[i] is read at the number reached.
 */
static void bench_mem(const struct bench_path *path, int family,
		      const struct options *opts, double *out,
		      unsigned int *reached)
{
	struct linger abort_on_close = { .l_onoff = 1, .l_linger = 0 };
	unsigned int k = opts->conns_list[opts->nr_conns - 1];
	unsigned int n = 0, pair = 0, next = 0, i;
	long before, slab, time_wait, available;
	const char *what = NULL;
	int *client, *server;
	int lfd, cfd, sfd = -1, err = 0;
	uint16_t port;

	for (i = 0; i < opts->nr_conns; i++) {
		out[i] = NAN;
		reached[i] = 0;
	}
	client = malloc(k * sizeof(*client));
	server = malloc(k * sizeof(*server));
	if (!client || !server) {
		free(client);
		free(server);
		failed("memory: malloc");
		return;
	}
	lfd = listen_on(path, family, 128, &port);
	if (lfd < 0) {
		free(client);
		free(server);
		failed("memory: listener");
		return;
	}

	time_wait = native_time_wait();
	if (time_wait > 0)
		fprintf(stderr, "ktcp_bench: memory: %ld native TIME-WAIT sockets expire meanwhile: may read low\n",
			time_wait);
	before = settled_slab_kib();
	if (before < 0) {
		err = ENOENT;
		what = "Slab in /proc/meminfo";
	}
	while (n < k && !what) {
		if (n % MEM_AVAILABLE_CHECK_EVERY == 0) {
			available = meminfo_kib("MemAvailable");
			if (available >= 0 && available < MEM_AVAILABLE_FLOOR_KIB) {
				err = ENOMEM;
				what = "MemAvailable below the floor";
				break;
			}
		}
		cfd = open_socket(family);
		if (cfd < 0) {
			err = errno;
			what = "socket";
			break;
		}
		if (bind_next_pair(cfd, &pair))
			what = "bind";
		else if (connect_to(path, cfd, port))
			what = "connect";
		else if ((sfd = accept(lfd, NULL, NULL)) < 0)
			what = "accept";
		if (what) {
			err = errno;
			setsockopt(cfd, SOL_SOCKET, SO_LINGER, &abort_on_close,
				   sizeof(abort_on_close));
			close(cfd);
			break;
		}
		client[n] = cfd;
		server[n++] = sfd;
		if (n == opts->conns_list[next]) {
			slab = settled_slab_kib();
			out[next] = (slab - before) * 1024.0 / n;
			reached[next++] = n;
		}
	}
	if (what && n > 0 && before >= 0) {
		fprintf(stderr, "ktcp_bench: memory: %s failed (%s) with %u of %u connections open: read there\n",
			what, strerror(err), n, k);
		slab = settled_slab_kib();
		for (; next < opts->nr_conns; next++) {
			out[next] = (slab - before) * 1024.0 / n;
			reached[next] = n;
		}
	} else if (what) {
		errno = err;
		failed(what);
	}

	/*
	 * Abort rather than close: no connection lingers in TIME-WAIT to
	 * hold a pair against the next run or the other stack.
	 */
	for (i = 0; i < n; i++) {
		setsockopt(client[i], SOL_SOCKET, SO_LINGER, &abort_on_close,
			   sizeof(abort_on_close));
		close(client[i]);
		close(server[i]);
	}
	close(lfd);
	free(client);
	free(server);
}

/* Room for both ends of @conns connections. */
static int raise_nofile(unsigned int conns)
{
	rlim_t want = 2 * (rlim_t)conns + FD_SLACK;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* root only */
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * A new network namespace, held by the returned descriptor only: it
 * goes away with the bench however the bench ends, and needs no name
 * under /run/netns.  Not close-on-exec: ip(8) names it by
 * /proc/self/fd/N.
 */
static int new_netns(void)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = open("/proc/thread-self/ns/net", O_RDONLY);
	return_home_netns();
	return fd;
}

/* Runs @cmd with sh -c inside @netns; 0 if it exited with status 0. */
static int run_in_netns(int netns, const char *cmd, char *why, size_t why_size)
{
	int status;

	if (enter_netns(netns)) {
		snprintf(why, why_size, "setns: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	status = system(cmd);
	leave_netns(netns);
	if (status == 0)
		return 0;
	snprintf(why, why_size, "\"%s\" failed (status %d)", cmd,
		 WIFEXITED(status) ? WEXITSTATUS(status) : status);
	return -1;
}

/* The veth path: two new namespaces joined by a veth pair. */
static void setup_veth(struct bench_path *path)
{
	char cmd[512], server_addr[INET_ADDRSTRLEN], client_addr[INET_ADDRSTRLEN];
	struct in_addr in;

	in.s_addr = htonl(VETH_SERVER_ADDR);
	inet_ntop(AF_INET, &in, server_addr, sizeof(server_addr));
	in.s_addr = htonl(VETH_CLIENT_ADDR);
	inet_ntop(AF_INET, &in, client_addr, sizeof(client_addr));

	path->server_netns = new_netns();
	if (path->server_netns < 0)
		goto fail_errno;
	path->client_netns = new_netns();
	if (path->client_netns < 0)
		goto fail_errno;
	snprintf(cmd, sizeof(cmd),
		 "ip link add veth0 mtu %d type veth peer name veth0 mtu %d netns /proc/self/fd/%d && "
		 "ip addr add %s/24 dev veth0 && ip link set lo up && ip link set veth0 up",
		 VETH_MTU, VETH_MTU, path->client_netns, server_addr);
	if (run_in_netns(path->server_netns, cmd, path->unavailable,
			 sizeof(path->unavailable)))
		goto fail;
	snprintf(cmd, sizeof(cmd),
		 "ip addr add %s/24 dev veth0 && ip link set lo up && ip link set veth0 up",
		 client_addr);
	if (run_in_netns(path->client_netns, cmd, path->unavailable,
			 sizeof(path->unavailable)))
		goto fail;
	return;

fail_errno:
	snprintf(path->unavailable, sizeof(path->unavailable),
		 "a new network namespace: %s", strerror(errno));
fail:
	if (path->server_netns >= 0)
		close(path->server_netns);
	if (path->client_netns >= 0)
		close(path->client_netns);
	path->server_netns = path->client_netns = -1;
}

static void print_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--bulk-mib N] [--seconds S] [--repeat R] [--conns-list K1,K2,...]\n"
		"       [--conns K] [--paths lo,veth] [--only ktcp|inet]\n"
		"       [--metrics memory,bulk,rr,rate]\n"
		"  --bulk-mib N       MiB per bulk run, shared out among its streams (default %d)\n"
		"  --seconds S        duration of each rate run (default %d)\n"
		"  --repeat R         runs of every measurement per stack (default %d, at most %d)\n"
		"  --conns-list K,..  connection counts at which memory is read, one run\n"
		"                     growing to the largest (default %s, each at most %d)\n"
		"  --conns K          the same as --conns-list K\n"
		"  --paths P,..       lo, veth or both (default lo,veth)\n"
		"  --only STACK       measure only ktcp or only native TCP (inet)\n"
		"  --metrics M,..     memory, bulk, rr (request/response), rate\n"
		"                     (connection rate); default all\n",
		prog, BULK_MIB_DEFAULT, SECONDS_DEFAULT, REPEAT_DEFAULT,
		REPEAT_MAX, CONNS_LIST_DEFAULT, MEM_PAIRS);
}

/* A positive decimal number no larger than @max, or 0. */
static unsigned long parse_count(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return 0;
	return v;
}

static int compare_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* Comma-separated counts, sorted; repeated ones are refused. */
static int parse_conns_list(const char *s, struct options *opts)
{
	char buf[256], *tok, *save;
	unsigned int i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	opts->nr_conns = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (opts->nr_conns == CONNS_LIST_MAX)
			return -1;
		opts->conns_list[opts->nr_conns] = parse_count(tok, MEM_PAIRS);
		if (!opts->conns_list[opts->nr_conns++])
			return -1;
	}
	if (!opts->nr_conns)
		return -1;
	qsort(opts->conns_list, opts->nr_conns, sizeof(opts->conns_list[0]),
	      compare_uint);
	for (i = 1; i < opts->nr_conns; i++)
		if (opts->conns_list[i] == opts->conns_list[i - 1])
			return -1;
	return 0;
}

static int parse_paths(const char *s, struct options *opts)
{
	char buf[64], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	opts->run_path[PATH_LOOPBACK] = opts->run_path[PATH_VETH] = false;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "lo") || !strcmp(tok, "loopback"))
			opts->run_path[PATH_LOOPBACK] = true;
		else if (!strcmp(tok, "veth"))
			opts->run_path[PATH_VETH] = true;
		else
			return -1;
	}
	return opts->run_path[PATH_LOOPBACK] || opts->run_path[PATH_VETH] ?
	       0 : -1;
}

static int parse_metrics(const char *s, struct options *opts)
{
	char buf[64], *tok, *save;
	bool any = false;
	int k;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	memset(opts->run_kind, 0, sizeof(opts->run_kind));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < NR_MEASURES; k++)
			if (!strcmp(tok, measure_names[k]))
				break;
		if (k == NR_MEASURES)
			return -1;
		opts->run_kind[k] = any = true;
	}
	return any ? 0 : -1;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "bulk-mib", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "conns-list", required_argument, NULL, 'l' },
		{ "conns", required_argument, NULL, 'c' },
		{ "paths", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'o' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, idx = 0;

	*opts = (struct options){
		.bulk_mib = BULK_MIB_DEFAULT,
		.seconds = SECONDS_DEFAULT,
		.repeat = REPEAT_DEFAULT,
		.run_stack = { true, true },
		.run_path = { true, true },
		.run_kind = { true, true, true, true },
	};
	if (parse_conns_list(CONNS_LIST_DEFAULT, opts))
		abort();
	while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		switch (opt) {
		case 'b':
			opts->bulk_mib = parse_count(optarg, 1024 * 1024);
			if (!opts->bulk_mib)
				goto bad;
			break;
		case 's':
			opts->seconds = parse_count(optarg, 3600);
			if (!opts->seconds)
				goto bad;
			break;
		case 'r':
			opts->repeat = parse_count(optarg, REPEAT_MAX);
			if (!opts->repeat)
				goto bad;
			break;
		case 'l':
		case 'c':
			if (opt == 'c' && strchr(optarg, ','))
				goto bad;
			if (parse_conns_list(optarg, opts))
				goto bad;
			break;
		case 'p':
			if (parse_paths(optarg, opts))
				goto bad;
			break;
		case 'o':
			opts->run_stack[KTCP] = !strcmp(optarg, "ktcp");
			opts->run_stack[NATIVE] = !strcmp(optarg, "inet");
			if (!opts->run_stack[KTCP] && !opts->run_stack[NATIVE])
				goto bad;
			break;
		case 'm':
			if (parse_metrics(optarg, opts))
				goto bad;
			break;
		case 'h':
			print_usage(stdout, argv[0]);
			exit(0);
		default:
			goto usage;
		}
	}
	if (optind == argc)
		return 0;
	goto usage;
bad:
	fprintf(stderr, "%s: bad value for --%s: '%s'\n", argv[0],
		longopts[idx].name, optarg);
usage:
	print_usage(stderr, argv[0]);
	return -1;
}

/* Fills in why @s cannot be measured, if it cannot. */
static void probe_ktcp(struct stack *s)
{
	int family, fd;

	family = ktcp_family();
	if (family < 0) {
		snprintf(s->unavailable, sizeof(s->unavailable),
			 "ktcp_family(): %s; is ktcp.ko loaded?",
			 strerror(-family));
		return;
	}
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0) {
		snprintf(s->unavailable, sizeof(s->unavailable),
			 "socket(%d, SOCK_STREAM, 0): %s", family,
			 strerror(errno));
		return;
	}
	close(fd);
	s->family = family;
}

static struct row *add_row(struct row *rows, size_t *nr_rows, int path,
			   const char *unit, const char *format,
			   const char *label_fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct row *add_row(struct row *rows, size_t *nr_rows, int path,
			   const char *unit, const char *format,
			   const char *label_fmt, ...)
{
	struct row *r = &rows[(*nr_rows)++];
	va_list ap;
	int s, i;

	va_start(ap, label_fmt);
	vsnprintf(r->label, sizeof(r->label), label_fmt, ap);
	va_end(ap);
	r->path = path;
	r->unit = unit;
	r->format = format;
	for (s = 0; s < NR_STACKS; s++) {
		r->conns_reached[s] = UINT_MAX;
		for (i = 0; i < REPEAT_MAX; i++)
			r->runs[s][i] = NAN;
	}
	return r;
}

/*
 * The measurements in the order they run.  Memory goes first: the
 * TIME-WAIT sockets the others leave behind (the connection rate's by
 * thousands) last a minute, and their freeing would offset the Slab
 * growth being measured.  The connection rate goes last for the same
 * reason towards the bulk runs' CPU time.
 */
static size_t plan(const struct options *opts, struct measurement *ms,
		   struct row *rows, size_t *nr_rows)
{
	static const unsigned int stream_counts[] = { 1, BULK_MULTI_STREAMS };
	size_t nr = 0, c;
	unsigned int i;
	struct row *r;
	int p;

	if (opts->run_kind[MEASURE_MEMORY])
		ms[nr++] = (struct measurement){ .kind = MEASURE_MEMORY,
			.path = PATH_LOOPBACK, .first_row = *nr_rows,
			.nr_rows = opts->nr_conns };
	for (c = 0; opts->run_kind[MEASURE_MEMORY] && c < opts->nr_conns;
	     c++) {
		r = add_row(rows, nr_rows, PATH_LOOPBACK, "bytes", "%.0f",
			    "kernel memory (Slab) per idle established connection, both endpoints, at %u connections",
			    opts->conns_list[c]);
		r->conns_wanted = opts->conns_list[c];
	}
	for (i = 0; i < ARRAY_SIZE(stream_counts); i++) {
		for (p = 0; p < NR_PATHS; p++) {
			if (!opts->run_path[p] || !opts->run_kind[MEASURE_BULK])
				continue;
			ms[nr++] = (struct measurement){ .kind = MEASURE_BULK,
				.path = p, .streams = stream_counts[i],
				.first_row = *nr_rows, .nr_rows = BULK_ROWS };
			add_row(rows, nr_rows, p, "Gbit/s", "%.2f",
				"bulk throughput, %u stream%s",
				stream_counts[i], stream_counts[i] > 1 ? "s" : "");
			add_row(rows, nr_rows, p, "CPU s/GB", "%.2f",
				"bulk, %u stream%s: CPU per GB, all CPUs busy (/proc/stat, softirq included)",
				stream_counts[i], stream_counts[i] > 1 ? "s" : "");
			add_row(rows, nr_rows, p, "CPU s/GB", "%.2f",
				"bulk, %u stream%s: CPU per GB, the bench process (getrusage)",
				stream_counts[i], stream_counts[i] > 1 ? "s" : "");
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!opts->run_path[p] || !opts->run_kind[MEASURE_RR])
			continue;
		ms[nr++] = (struct measurement){ .kind = MEASURE_RR, .path = p,
			.first_row = *nr_rows, .nr_rows = 1 };
		add_row(rows, nr_rows, p, "round trips/s", "%.0f",
			"request/response, 1 byte each way, 1 connection, TCP_NODELAY");
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!opts->run_path[p] || !opts->run_kind[MEASURE_CRR])
			continue;
		ms[nr++] = (struct measurement){ .kind = MEASURE_CRR, .path = p,
			.first_row = *nr_rows, .nr_rows = 1 };
		add_row(rows, nr_rows, p, "connections/s", "%.0f",
			"connection rate: connect, 1-byte request, 1-byte response, close");
	}
	return nr;
}

static void run_measurement(const struct measurement *m,
			    const struct bench_path *path, int family,
			    const struct options *opts, double *out,
			    unsigned int *reached)
{
	switch (m->kind) {
	case MEASURE_MEMORY:
		bench_mem(path, family, opts, out, reached);
		break;
	case MEASURE_BULK:
		bench_bulk(path, family, m->streams, opts, out);
		break;
	case MEASURE_RR:
		out[0] = bench_rr(path, family, opts);
		break;
	case MEASURE_CRR:
		out[0] = bench_crr(path, family, opts);
		break;
	}
}

static const char *measurement_name(const struct measurement *m)
{
	static char bulk[32];

	switch (m->kind) {
	case MEASURE_MEMORY:
		return "memory";
	case MEASURE_BULK:
		snprintf(bulk, sizeof(bulk), "bulk, %u stream%s", m->streams,
			 m->streams > 1 ? "s" : "");
		return bulk;
	case MEASURE_RR:
		return "request/response";
	case MEASURE_CRR:
		return "connection rate";
	}
	return "?";
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of the runs that succeeded; how many did. */
static unsigned int summarize(const double *runs, unsigned int nr_runs,
			      double *median, double *min, double *max)
{
	double ok[REPEAT_MAX];
	unsigned int n = 0, i;

	for (i = 0; i < nr_runs; i++)
		if (!isnan(runs[i]))
			ok[n++] = runs[i];
	*median = *min = *max = NAN;
	if (!n)
		return 0;
	qsort(ok, n, sizeof(ok[0]), compare_double);
	*min = ok[0];
	*max = ok[n - 1];
	*median = n % 2 ? ok[n / 2] : (ok[n / 2 - 1] + ok[n / 2]) / 2;
	return n;
}

static void print_cell(const struct row *r, int stack,
		       const struct options *opts, double *median)
{
	double min, max;
	unsigned int n;

	n = summarize(r->runs[stack], opts->repeat, median, &min, &max);
	if (!n) {
		printf(" n/a |");
		return;
	}
	printf(" ");
	printf(r->format, *median);
	printf(" [");
	printf(r->format, min);
	printf("-");
	printf(r->format, max);
	printf("] %s", r->unit);
	if (n < opts->repeat)
		printf(" (%u of %u runs)", n, opts->repeat);
	if (r->conns_wanted && r->conns_reached[stack] < r->conns_wanted)
		printf(" (only %u of %u connections reached: per connection at %u)",
		       r->conns_reached[stack], r->conns_wanted,
		       r->conns_reached[stack]);
	printf(" |");
}

int main(int argc, char **argv)
{
	struct stack stacks[NR_STACKS] = {
		[KTCP] = { .name = "ktcp", .family = -1 },
		[NATIVE] = { .name = "native", .family = AF_INET },
	};
	struct bench_path paths[NR_PATHS] = {
		[PATH_LOOPBACK] = { .name = "loopback", .server_netns = -1,
			.client_netns = -1, .server_addr = INADDR_LOOPBACK },
		[PATH_VETH] = { .name = "veth", .server_netns = -1,
			.client_netns = -1, .server_addr = VETH_SERVER_ADDR },
	};
	static struct row rows[ROWS_MAX];
	struct measurement ms[ROWS_MAX];
	double out[CONNS_LIST_MAX > BULK_ROWS ? CONNS_LIST_MAX : BULK_ROWS];
	unsigned int reached[CONNS_LIST_MAX];
	size_t nr_rows = 0, nr_ms, m, i;
	double ktcp_median, native_median, started;
	bool native_failed = false;
	const char *release = "?";
	struct options opts;
	struct utsname uts;
	time_t t = time(NULL);
	char date[64];
	unsigned int run;
	struct row *r;
	int s, p;

	if (parse_options(argc, argv, &opts))
		return 2;
	signal(SIGPIPE, SIG_IGN);

	if (opts.run_stack[KTCP])
		probe_ktcp(&stacks[KTCP]);
	else
		snprintf(stacks[KTCP].unavailable,
			 sizeof(stacks[KTCP].unavailable), "not run (--only inet)");
	if (!opts.run_stack[NATIVE])
		snprintf(stacks[NATIVE].unavailable,
			 sizeof(stacks[NATIVE].unavailable), "not run (--only ktcp)");
	if (raise_nofile(opts.conns_list[opts.nr_conns - 1]))
		fprintf(stderr, "ktcp_bench: RLIMIT_NOFILE for %u connections: %s\n",
			opts.conns_list[opts.nr_conns - 1], strerror(errno));

	home_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (opts.run_path[PATH_VETH]) {
		if (home_netns < 0)
			snprintf(paths[PATH_VETH].unavailable,
				 sizeof(paths[PATH_VETH].unavailable),
				 "/proc/thread-self/ns/net: %s", strerror(errno));
		else
			setup_veth(&paths[PATH_VETH]);
	}

	nr_ms = plan(&opts, ms, rows, &nr_rows);
	for (m = 0; m < nr_ms; m++) {
		const struct bench_path *path = &paths[ms[m].path];

		if (path->unavailable[0])
			continue;
		for (run = 0; run < opts.repeat; run++) {
			for (s = 0; s < NR_STACKS; s++) {
				if (stacks[s].unavailable[0])
					continue;
				fprintf(stderr, "ktcp_bench: [%u/%u] %s, %s: %s...\n",
					run + 1, opts.repeat, stacks[s].name,
					path->name, measurement_name(&ms[m]));
				started = now_sec();
				run_measurement(&ms[m], path, stacks[s].family,
						&opts, out, reached);
				fprintf(stderr, "ktcp_bench: [%u/%u] %s, %s: %s, %.1f s:",
					run + 1, opts.repeat, stacks[s].name,
					path->name, measurement_name(&ms[m]),
					now_sec() - started);
				for (i = 0; i < ms[m].nr_rows; i++) {
					r = &rows[ms[m].first_row + i];
					r->runs[s][run] = out[i];
					if (isnan(out[i])) {
						fprintf(stderr, " failed");
						continue;
					}
					fprintf(stderr, " ");
					fprintf(stderr, r->format, out[i]);
					fprintf(stderr, " %s", r->unit);
					if (!r->conns_wanted)
						continue;
					fprintf(stderr, " (%u connections)", reached[i]);
					if (reached[i] < r->conns_reached[s])
						r->conns_reached[s] = reached[i];
				}
				fprintf(stderr, "\n");
			}
		}
	}

	if (!uname(&uts))
		release = uts.release;
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	printf("ktcp_bench: Linux %s, %s, %ld vCPUs\n\n", release, date,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("Both ends of every connection on the stack measured; no sysctl changed. ");
	printf("Each cell: median [min-max] of %u runs, ktcp and native interleaved; ",
	       opts.repeat);
	printf("bulk %lu MiB per run (shared out among the streams), rates over %u s each. ",
	       opts.bulk_mib, opts.seconds);
	printf("Paths: loopback = 127.0.0.1; veth = two network namespaces joined by a veth pair, MTU %d. ",
	       VETH_MTU);
	printf("Lower is better for memory and CPU, higher for the rest.\n\n");
	printf("| metric | path | ktcp | native | ktcp/native |\n");
	printf("|---|---|---:|---:|---:|\n");
	for (i = 0; i < nr_rows; i++) {
		r = &rows[i];
		printf("| %s | %s |", r->label, paths[r->path].name);
		print_cell(r, KTCP, &opts, &ktcp_median);
		print_cell(r, NATIVE, &opts, &native_median);
		if (isnan(ktcp_median) || isnan(native_median) || !native_median)
			printf(" n/a |\n");
		else
			printf(" %.2f |\n", ktcp_median / native_median);
		if (opts.run_stack[NATIVE] && isnan(native_median))
			native_failed = true;
	}
	for (s = 0; s < NR_STACKS; s++)
		if (stacks[s].unavailable[0])
			printf("\n%s: n/a: %s\n", stacks[s].name,
			       stacks[s].unavailable);
	for (p = 0; p < NR_PATHS; p++)
		if (paths[p].unavailable[0])
			printf("\n%s path: n/a: %s\n", paths[p].name,
			       paths[p].unavailable);
	return native_failed ? 1 : 0;
}
