// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_bench - ktcp against native TCP over 127.0.0.1, side by side in
 * one run: bulk throughput, request/response rate, connection rate and
 * kernel memory per idle connection.  Prints a Markdown table.
 *
 * A benchmark, not a test: it asserts nothing.  Meant to run as root in
 * a VM with ktcp.ko loaded; without ktcp its column says n/a.  Both
 * ends of every connection are of the stack measured (ktcp to ktcp,
 * native to native).  Progress and errors go to stderr, the table to
 * stdout.  The exit status is 0 unless the options are wrong or native
 * TCP itself cannot be measured.
 *
 *   ktcp_bench [--bulk-mib N] [--seconds S] [--conns K] [--only ktcp|inet]
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
#include <time.h>
#include <unistd.h>

#include <ktcp/socket.h>

#define MIB			(1024ULL * 1024)

#define BULK_MIB_DEFAULT	1024
#define SECONDS_DEFAULT		5
#define CONNS_DEFAULT		10000

/* Size of each send() and recv() of the bulk stream. */
#define BULK_IO_SIZE		(256 * 1024)

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

/* Lets freed sockets reach the slab allocator before Slab is read. */
#define SLAB_SETTLE_MS		500

/* File descriptors besides the connections' (stdio, listener, ...). */
#define FD_SLACK		64

#define SLAB_SYSFS_DIR		"/sys/kernel/slab"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct options {
	unsigned long bulk_mib;
	unsigned int seconds;
	unsigned int conns;
	bool run_ktcp;
	bool run_inet;
};

/* A stack under test: ktcp or native TCP, and why it cannot be run. */
struct stack {
	const char *name;
	int family;
	char unavailable[160];
};

struct metric {
	const char *label;
	const char *unit;
	const char *format;	/* of one value, in the unit */
	double (*measure)(int family, const struct options *opts);
};

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

/* A listener of @family on 127.0.0.1 and a port the kernel picks. */
static int listen_loopback(int family, int backlog, uint16_t *port)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 0);
	socklen_t len = sizeof(sin);
	int fd = open_socket(family);

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

static int connect_loopback(int fd, uint16_t port)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, port);

	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* Both ends of one connection of @family over 127.0.0.1. */
static int open_pair(int family, int *cfd, int *sfd)
{
	uint16_t port;
	int lfd;

	*cfd = *sfd = -1;
	lfd = listen_loopback(family, 1, &port);
	if (lfd < 0)
		return -1;
	*cfd = open_socket(family);
	if (*cfd < 0 || connect_loopback(*cfd, port))
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

struct bulk_reader {
	int fd;
	uint64_t bytes;
	int err;
};

/* Reads and drops the stream until end of file. */
static void *bulk_read(void *arg)
{
	static char buf[BULK_IO_SIZE];
	struct bulk_reader *r = arg;
	ssize_t n;

	for (;;) {
		n = recv(r->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->bytes += n;
	}
	r->err = n < 0 ? errno : 0;
	return NULL;
}

/* One stream of --bulk-mib MiB, client to server; Gbit/s. */
static double bench_bulk(int family, const struct options *opts)
{
	static char buf[BULK_IO_SIZE];
	uint64_t total = opts->bulk_mib * MIB, sent = 0;
	struct bulk_reader reader = { 0 };
	double start, secs;
	pthread_t thread;
	int cfd, sfd, err;
	ssize_t n;

	if (open_pair(family, &cfd, &sfd))
		return failed("bulk: connection");
	memset(buf, 'b', sizeof(buf));
	reader.fd = sfd;
	err = pthread_create(&thread, NULL, bulk_read, &reader);
	if (err) {
		errno = err;
		close(cfd);
		close(sfd);
		return failed("bulk: pthread_create");
	}

	start = now_sec();
	while (sent < total) {
		n = send(cfd, buf, total - sent < sizeof(buf) ?
			 total - sent : sizeof(buf), MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		sent += n;
	}
	err = sent < total ? errno : 0;
	shutdown(cfd, SHUT_WR);
	pthread_join(thread, NULL);
	secs = now_sec() - start;
	close(cfd);
	close(sfd);

	if (err) {
		errno = err;
		return failed("bulk: send");
	}
	if (reader.err || reader.bytes != total) {
		errno = reader.err ? reader.err : EPROTO;
		fprintf(stderr, "ktcp_bench: bulk: %llu of %llu bytes arrived\n",
			(unsigned long long)reader.bytes,
			(unsigned long long)total);
		return failed("bulk: recv");
	}
	return total * 8 / secs / 1e9;
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
static double bench_rr(int family, const struct options *opts)
{
	double start, deadline, secs;
	unsigned long trips = 0;
	pthread_t thread;
	int cfd, sfd, err;
	bool ok = true;

	if (open_pair(family, &cfd, &sfd))
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
 * closes.  Closing first puts TIME-WAIT on this side, so the client's
 * ephemeral ports are free again at once.
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
static double bench_crr(int family, const struct options *opts)
{
	struct crr_server srv = { .what = NULL };
	double start, deadline, secs;
	unsigned long conns = 0;
	const char *what = NULL;
	pthread_t thread;
	uint16_t port;
	int fd, err;

	srv.lfd = listen_loopback(family, 128, &port);
	if (srv.lfd < 0)
		return failed("connection rate: listener");
	atomic_init(&srv.stop, false);
	err = pthread_create(&thread, NULL, crr_serve, &srv);
	if (err) {
		errno = err;
		close(srv.lfd);
		return failed("connection rate: pthread_create");
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
		if (connect_loopback(fd, port))
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

/* Slab of /proc/meminfo, in KiB, or -1. */
static long slab_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Gives the slab caches' empty slabs back (SLUB's sysfs "shrink"), so
 * that objects freed by an earlier measurement do not make room for the
 * next one without Slab growing.  Best effort: without root or SLUB
 * sysfs it does nothing.
 */
static void settle_slab(void)
{
	char path[512];
	struct dirent *de;
	DIR *dir;
	int fd;

	msleep(SLAB_SETTLE_MS);
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
 * Slab growth for --conns idle established connections, divided by
 * their number: bytes per connection, both endpoints (the client and
 * the accepted socket, with their files and inodes).
 */
static double bench_mem(int family, const struct options *opts)
{
	struct linger abort_on_close = { .l_onoff = 1, .l_linger = 0 };
	unsigned int k = opts->conns, n, pair = 0;
	long before, after = -1, time_wait;
	const char *what = NULL;
	int *client, *server;
	int lfd, err = 0;
	uint16_t port;

	client = malloc(k * sizeof(*client));
	server = malloc(k * sizeof(*server));
	if (!client || !server) {
		free(client);
		free(server);
		return failed("memory: malloc");
	}
	for (n = 0; n < k; n++) {
		client[n] = -1;
		server[n] = -1;
	}
	lfd = listen_loopback(family, 128, &port);
	if (lfd < 0) {
		free(client);
		free(server);
		return failed("memory: listener");
	}

	time_wait = native_time_wait();
	if (time_wait > 0)
		fprintf(stderr, "ktcp_bench: memory: %ld native TIME-WAIT sockets expire meanwhile: may read low\n",
			time_wait);
	settle_slab();
	before = slab_kib();
	for (n = 0; n < k && !what; n++) {
		client[n] = open_socket(family);
		if (client[n] < 0) {
			what = "socket";
		} else if (bind_next_pair(client[n], &pair)) {
			what = "bind";
		} else if (connect_loopback(client[n], port)) {
			what = "connect";
		} else {
			server[n] = accept(lfd, NULL, NULL);
			if (server[n] < 0)
				what = "accept";
		}
	}
	err = errno;
	if (what) {
		fprintf(stderr, "ktcp_bench: memory: %s failed at connection %u of %u\n",
			what, n, k);
	} else {
		msleep(SLAB_SETTLE_MS);
		after = slab_kib();
	}

	/*
	 * Abort rather than close: no connection lingers in TIME-WAIT to
	 * hold a pair against the next run or the other stack.
	 */
	for (n = 0; n < k; n++) {
		if (client[n] >= 0) {
			setsockopt(client[n], SOL_SOCKET, SO_LINGER,
				   &abort_on_close, sizeof(abort_on_close));
			close(client[n]);
		}
		if (server[n] >= 0)
			close(server[n]);
	}
	close(lfd);
	free(client);
	free(server);

	if (what) {
		errno = err;
		return failed("memory");
	}
	if (before < 0 || after < 0) {
		errno = ENOENT;
		return failed("memory: Slab in /proc/meminfo");
	}
	return (after - before) * 1024.0 / k;
}

/* Room for both ends of --conns connections. */
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

static void print_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--bulk-mib N] [--seconds S] [--conns K] [--only ktcp|inet]\n"
		"  --bulk-mib N  bulk transfer size in MiB (default %d)\n"
		"  --seconds S   duration of each rate measurement (default %d)\n"
		"  --conns K     idle connections for the memory measurement (default %d, at most %d)\n"
		"  --only STACK  measure only ktcp or only native TCP (inet)\n",
		prog, BULK_MIB_DEFAULT, SECONDS_DEFAULT, CONNS_DEFAULT,
		MEM_PAIRS);
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

static int parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "bulk-mib", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, idx = 0;

	*opts = (struct options){
		.bulk_mib = BULK_MIB_DEFAULT,
		.seconds = SECONDS_DEFAULT,
		.conns = CONNS_DEFAULT,
		.run_ktcp = true,
		.run_inet = true,
	};
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
		case 'c':
			opts->conns = parse_count(optarg, MEM_PAIRS);
			if (!opts->conns)
				goto bad;
			break;
		case 'o':
			opts->run_ktcp = !strcmp(optarg, "ktcp");
			opts->run_inet = !strcmp(optarg, "inet");
			if (!opts->run_ktcp && !opts->run_inet)
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
static void probe_ktcp(struct stack *s, bool wanted)
{
	int family, fd;

	if (!wanted) {
		snprintf(s->unavailable, sizeof(s->unavailable),
			 "not run (--only inet)");
		return;
	}
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

static void print_value(const struct metric *m, double v)
{
	if (isnan(v)) {
		printf(" n/a |");
		return;
	}
	printf(" ");
	printf(m->format, v);
	printf(" %s |", m->unit);
}

int main(int argc, char **argv)
{
	/*
	 * Memory goes first: the TIME-WAIT sockets the connection rate
	 * leaves behind expire for a minute, and their freeing would
	 * offset the Slab growth being measured.
	 */
	static const struct metric metrics[] = {
		{ "kernel memory (Slab) per idle established connection, both endpoints",
		  "bytes", "%.0f", bench_mem },
		{ "bulk throughput, 1 stream", "Gbit/s", "%.2f",
		  bench_bulk },
		{ "request/response, 1 byte each way, 1 connection, TCP_NODELAY",
		  "round trips/s", "%.0f", bench_rr },
		{ "connection rate: connect, 1-byte request, 1-byte response, close",
		  "connections/s", "%.0f", bench_crr },
	};
	enum { KTCP, NATIVE, NR_STACKS };
	struct stack stacks[NR_STACKS] = {
		[KTCP] = { .name = "ktcp", .family = -1 },
		[NATIVE] = { .name = "native", .family = AF_INET },
	};
	double value[ARRAY_SIZE(metrics)][NR_STACKS];
	struct options opts;
	struct utsname uts;
	const char *release = "?";
	char date[64];
	time_t t = time(NULL);
	bool native_failed = false;
	size_t m;
	int s;

	if (parse_options(argc, argv, &opts))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	probe_ktcp(&stacks[KTCP], opts.run_ktcp);
	if (!opts.run_inet)
		snprintf(stacks[NATIVE].unavailable,
			 sizeof(stacks[NATIVE].unavailable),
			 "not run (--only ktcp)");
	if (raise_nofile(opts.conns))
		fprintf(stderr, "ktcp_bench: RLIMIT_NOFILE for %u connections: %s\n",
			opts.conns, strerror(errno));

	for (m = 0; m < ARRAY_SIZE(metrics); m++) {
		for (s = 0; s < NR_STACKS; s++) {
			value[m][s] = NAN;
			if (stacks[s].unavailable[0])
				continue;
			fprintf(stderr, "ktcp_bench: %s: %s...\n",
				stacks[s].name, metrics[m].label);
			value[m][s] = metrics[m].measure(stacks[s].family,
							 &opts);
			if (s == NATIVE && isnan(value[m][s]))
				native_failed = true;
		}
	}

	if (!uname(&uts))
		release = uts.release;
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	printf("ktcp_bench: Linux %s, %s\n\n", release, date);
	printf("Over 127.0.0.1, both ends of the stack measured. ");
	printf("Memory over %u connections, bulk %lu MiB, rates over %u s.\n\n",
	       opts.conns, opts.bulk_mib, opts.seconds);
	printf("| metric | ktcp | native | ktcp/native |\n");
	printf("|---|---:|---:|---:|\n");
	for (m = 0; m < ARRAY_SIZE(metrics); m++) {
		printf("| %s |", metrics[m].label);
		print_value(&metrics[m], value[m][KTCP]);
		print_value(&metrics[m], value[m][NATIVE]);
		if (isnan(value[m][KTCP]) || isnan(value[m][NATIVE]) ||
		    !value[m][NATIVE])
			printf(" n/a |\n");
		else
			printf(" %.2f |\n", value[m][KTCP] / value[m][NATIVE]);
	}
	for (s = 0; s < NR_STACKS; s++)
		if (stacks[s].unavailable[0])
			printf("\n%s: n/a: %s\n", stacks[s].name,
			       stacks[s].unavailable);
	return native_failed ? 1 : 0;
}
