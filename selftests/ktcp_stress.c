// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_stress - many short connections at once, every byte checked.
 *
 *   ktcp_stress server ktcp|inet ADDR PORT THREADS
 *   ktcp_stress client ktcp|inet ADDR PORT CLIENTS SECONDS
 *
 * The server accepts from THREADS threads, each with its own epoll set
 * that also holds the listener, so that accept() calls contend for the
 * listener while handshakes complete, and one more thread keeps calling
 * getsockopt() on the listener, as a monitoring tool would: while a
 * call holds the listener, ktcp queues its segments on the socket's
 * backlog (native TCP never locks a listener for them).  It runs until
 * its stdin closes, then prints one line of counts.
 *
 * The client runs CLIENTS threads, each a loop for SECONDS: connect,
 * one to three request/response exchanges, close.  A request is a
 * header (magic, request length, response length, seed, flags) and a
 * request body; the response is a body.  Both bodies are generated
 * from the seed, so each end checks every byte it receives.  Half of
 * the connections are closed by the server first, half by the client,
 * and sizes range from 0 to 64 KiB (mostly small, as in a key-value
 * store's traffic) so that handshakes, data and teardown overlap in
 * every order.
 *
 * Output, one line each, for the runner (stress.sh) to compare:
 *   server conns N requests N bytes_in N bytes_out N errors N resets N
 *   client conns N requests N bytes_in N bytes_out N errors N resets N
 * then "error ..." lines for the first errors seen.  Exit status 0
 * when no error was seen, 1 otherwise, 2 on bad usage or setup.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/socket.h>

#define STRESS_MAGIC		0x6b746370u	/* "ktcp" */
#define STRESS_MAX_BODY		(64 * 1024)
#define STRESS_CLOSE_SERVER	1u		/* server closes first */
#define STRESS_IO_TIMEOUT	60		/* s, per call of the client */
#define STRESS_MAX_REPORTS	10

struct stress_hdr {
	uint32_t magic;
	uint32_t req_len;
	uint32_t resp_len;
	uint32_t seed;
	uint32_t flags;
};

static atomic_ulong n_conns, n_requests, n_bytes_in, n_bytes_out;
static atomic_ulong n_errors, n_resets, n_reports;
static int family;

static void report(const char *what, int err)
{
	if (err == ECONNRESET)
		atomic_fetch_add(&n_resets, 1);
	atomic_fetch_add(&n_errors, 1);
	if (atomic_fetch_add(&n_reports, 1) < STRESS_MAX_REPORTS)
		printf("error %s: %s\n", what, err ? strerror(err) : "bad data");
}

/* xorshift32: the byte stream of a body, from its seed. */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s ?: 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void fill_body(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)next_rand(&seed);
}

/* Bytes [off, off + len) of the body of @seed equal @buf? */
struct body_check {
	uint32_t state;
	bool ok;
};

static void check_body(struct body_check *c, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != (uint8_t)next_rand(&c->state))
			c->ok = false;
}

static int stress_socket(void)
{
	if (family == AF_INET)
		return socket(AF_INET, SOCK_STREAM, 0);
	return socket(ktcp_family(), SOCK_STREAM, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- server ----------------------------------------------------------- */

enum conn_phase { READ_HDR, READ_BODY, WRITE_RESP };

struct conn {
	int fd;
	enum conn_phase phase;
	struct stress_hdr hdr;
	size_t done;			/* bytes of the current phase */
	struct body_check check;
	uint8_t *resp;
};

struct server {
	int lfd;
	int stop_fd;			/* stdin: readable at end of file */
	atomic_bool stop;
};

static void conn_free(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->resp);
	free(c);
}

/* Advance one connection as far as it goes; false once it is gone. */
static bool conn_run(int ep, struct conn *c)
{
	uint8_t buf[16384];
	ssize_t n;

	for (;;) {
		switch (c->phase) {
		case READ_HDR:
			n = read(c->fd, (uint8_t *)&c->hdr + c->done,
				 sizeof(c->hdr) - c->done);
			if (n == 0 && c->done == 0) {
				/* the client closed after its last response */
				conn_free(ep, c);
				return false;
			}
			if (n <= 0)
				goto io;
			c->done += n;
			if (c->done < sizeof(c->hdr))
				continue;
			if (c->hdr.magic != STRESS_MAGIC ||
			    c->hdr.req_len > STRESS_MAX_BODY ||
			    c->hdr.resp_len > STRESS_MAX_BODY) {
				report("server: header", 0);
				conn_free(ep, c);
				return false;
			}
			c->check.state = c->hdr.seed;
			c->check.ok = true;
			c->done = 0;
			c->phase = READ_BODY;
			continue;
		case READ_BODY:
			if (c->done < c->hdr.req_len) {
				size_t want = c->hdr.req_len - c->done;

				n = read(c->fd, buf,
					 want < sizeof(buf) ? want : sizeof(buf));
				if (n <= 0)
					goto io;
				check_body(&c->check, buf, n);
				c->done += n;
				atomic_fetch_add(&n_bytes_in, n);
				continue;
			}
			if (!c->check.ok) {
				report("server: request body", 0);
				conn_free(ep, c);
				return false;
			}
			free(c->resp);
			c->resp = malloc(c->hdr.resp_len + 1);
			if (!c->resp) {
				report("server: malloc", ENOMEM);
				conn_free(ep, c);
				return false;
			}
			fill_body(c->resp, c->hdr.resp_len, ~c->hdr.seed);
			c->done = 0;
			c->phase = WRITE_RESP;
			continue;
		case WRITE_RESP:
			if (c->done < c->hdr.resp_len) {
				n = write(c->fd, c->resp + c->done,
					  c->hdr.resp_len - c->done);
				if (n <= 0)
					goto io;
				c->done += n;
				atomic_fetch_add(&n_bytes_out, n);
				continue;
			}
			atomic_fetch_add(&n_requests, 1);
			c->done = 0;
			if (c->hdr.flags & STRESS_CLOSE_SERVER) {
				conn_free(ep, c);
				return false;
			}
			c->phase = READ_HDR;
			continue;
		}
	}
io:
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	report(n < 0 ? "server: read/write" : "server: early end of file",
	       n < 0 ? errno : 0);
	conn_free(ep, c);
	return false;
}

static void *server_thread(void *arg)
{
	struct server *s = arg;
	struct epoll_event ev, evs[64];
	int ep, i, n;

	ep = epoll_create1(0);
	if (ep < 0) {
		report("server: epoll_create1", errno);
		return NULL;
	}
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->lfd, &ev)) {
		/* EPOLLEXCLUSIVE needs a wait queue: fall back without it */
		ev.events = EPOLLIN;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->lfd, &ev)) {
			report("server: epoll_ctl listener", errno);
			close(ep);
			return NULL;
		}
	}
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->stop_fd, &ev);

	for (;;) {
		n = epoll_wait(ep, evs, 64, 1000);
		if (n < 0 && errno != EINTR) {
			report("server: epoll_wait", errno);
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == (void *)s)
				goto out;
			if (c) {
				conn_run(ep, c);
				continue;
			}
			for (;;) {
				int fd = accept4(s->lfd, NULL, NULL,
						 SOCK_NONBLOCK);

				if (fd < 0) {
					if (errno != EAGAIN && errno != EINTR)
						report("server: accept", errno);
					break;
				}
				c = calloc(1, sizeof(*c));
				if (!c) {
					close(fd);
					report("server: calloc", ENOMEM);
					break;
				}
				c->fd = fd;
				atomic_fetch_add(&n_conns, 1);
				ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
					report("server: epoll_ctl", errno);
					close(fd);
					free(c);
					continue;
				}
				conn_run(ep, c);
			}
		}
	}
out:
	/* Connections still open at the end are left to exit(). */
	close(ep);
	return NULL;
}

/*
 * Hold the listener's socket lock often: calls for 1 ms, then a 3 ms
 * rest, so that the pokers of three servers do not starve the rest.
 */
static void *poke_thread(void *arg)
{
	struct timespec rest = { .tv_nsec = 3000000 };
	struct server *s = arg;
	socklen_t len;
	double until;
	int val;

	while (!atomic_load(&s->stop)) {
		until = now() + 0.001;
		while (now() < until) {
			len = sizeof(val);
			if (getsockopt(s->lfd, IPPROTO_TCP, TCP_NODELAY, &val,
				       &len)) {
				report("server: getsockopt", errno);
				return NULL;
			}
		}
		nanosleep(&rest, NULL);
	}
	return NULL;
}

static int run_server(const struct sockaddr_in *sin, int nthreads)
{
	struct server s = { .stop_fd = STDIN_FILENO };
	pthread_t *th, poker;
	int one = 1, i;

	s.lfd = stress_socket();
	if (s.lfd < 0) {
		perror("socket");
		return 2;
	}
	setsockopt(s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s.lfd, (const struct sockaddr *)sin, sizeof(*sin)) ||
	    listen(s.lfd, 4096)) {
		perror("bind/listen");
		return 2;
	}
	if (fcntl(s.lfd, F_SETFL, O_NONBLOCK)) {
		perror("fcntl");
		return 2;
	}
	th = calloc(nthreads, sizeof(*th));
	if (!th)
		return 2;
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, server_thread, &s);
	/* Native TCP never locks a listener for its segments: no use. */
	if (family != AF_INET)
		pthread_create(&poker, NULL, poke_thread, &s);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	atomic_store(&s.stop, true);
	if (family != AF_INET)
		pthread_join(poker, NULL);
	printf("server conns %lu requests %lu bytes_in %lu bytes_out %lu errors %lu resets %lu\n",
	       atomic_load(&n_conns), atomic_load(&n_requests),
	       atomic_load(&n_bytes_in), atomic_load(&n_bytes_out),
	       atomic_load(&n_errors), atomic_load(&n_resets));
	return atomic_load(&n_errors) ? 1 : 0;
}

/* --- client ----------------------------------------------------------- */

struct client {
	struct sockaddr_in sin;
	double end;
	uint32_t seed;
};

static bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			report("client: write", n < 0 ? errno : EIO);
			return false;
		}
		p += n;
		len -= n;
	}
	return true;
}

/* Read @len bytes of the body of @seed, checking each. */
static bool read_body(int fd, size_t len, uint32_t seed)
{
	struct body_check c = { .state = seed, .ok = true };
	uint8_t buf[16384];

	while (len) {
		ssize_t n = read(fd, buf, len < sizeof(buf) ? len : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			report(n ? "client: read" : "client: early end of file",
			       n < 0 ? errno : 0);
			return false;
		}
		check_body(&c, buf, n);
		len -= n;
		atomic_fetch_add(&n_bytes_in, n);
	}
	if (!c.ok)
		report("client: response body", 0);
	return c.ok;
}

static uint32_t body_len(uint32_t *rnd)
{
	uint32_t r = next_rand(rnd);

	switch (r % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
		return r % 64;			/* tiny, often empty */
	case 4:
	case 5:
		return r % 1500;		/* about one segment */
	case 6:
		return r % 16384;
	default:
		return r % (STRESS_MAX_BODY + 1);
	}
}

/* One connection: 1-3 exchanges; false on any error. */
static bool client_conn(struct client *cl, uint8_t *buf)
{
	struct timeval tv = { .tv_sec = STRESS_IO_TIMEOUT };
	int fd, i, rounds = 1 + next_rand(&cl->seed) % 3;
	bool server_closes = next_rand(&cl->seed) & 1;
	bool ok = false;
	char c;

	fd = stress_socket();
	if (fd < 0) {
		report("client: socket", errno);
		return false;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&cl->sin, sizeof(cl->sin))) {
		report("client: connect", errno);
		goto out;
	}
	atomic_fetch_add(&n_conns, 1);
	for (i = 0; i < rounds; i++) {
		struct stress_hdr h = {
			.magic = STRESS_MAGIC,
			.req_len = body_len(&cl->seed),
			.resp_len = body_len(&cl->seed),
			.seed = next_rand(&cl->seed),
			.flags = server_closes && i == rounds - 1 ?
				 STRESS_CLOSE_SERVER : 0,
		};

		fill_body(buf, h.req_len, h.seed);
		if (!write_all(fd, &h, sizeof(h)) ||
		    !write_all(fd, buf, h.req_len))
			goto out;
		atomic_fetch_add(&n_bytes_out, h.req_len);
		if (!read_body(fd, h.resp_len, ~h.seed))
			goto out;
		atomic_fetch_add(&n_requests, 1);
	}
	if (server_closes) {
		ssize_t n = read(fd, &c, 1);

		if (n != 0) {
			report(n < 0 ? "client: read at end" :
			       "client: data after the last response",
			       n < 0 ? errno : 0);
			goto out;
		}
	}
	ok = true;
out:
	if (close(fd))
		report("client: close", errno);
	return ok;
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	uint8_t *buf = malloc(STRESS_MAX_BODY);

	if (!buf) {
		report("client: malloc", ENOMEM);
		return NULL;
	}
	while (now() < cl->end)
		client_conn(cl, buf);
	free(buf);
	return NULL;
}

static int run_client(const struct sockaddr_in *sin, int nclients,
		      double seconds)
{
	struct client *cl = calloc(nclients, sizeof(*cl));
	pthread_t *th = calloc(nclients, sizeof(*th));
	double end = now() + seconds;
	pthread_attr_t attr;
	uint32_t seed;
	int i;

	if (!cl || !th)
		return 2;
	seed = getenv("KTCP_STRESS_SEED") ?
	       (uint32_t)strtoul(getenv("KTCP_STRESS_SEED"), NULL, 0) :
	       (uint32_t)time(NULL) ^ (uint32_t)getpid();
	printf("seed %u\n", seed);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nclients; i++) {
		cl[i].sin = *sin;
		cl[i].end = end;
		cl[i].seed = seed + 0x9e3779b9u * (i + 1);
		if (pthread_create(&th[i], &attr, client_thread, &cl[i])) {
			report("client: pthread_create", errno);
			nclients = i;
			break;
		}
	}
	for (i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	printf("client conns %lu requests %lu bytes_in %lu bytes_out %lu errors %lu resets %lu\n",
	       atomic_load(&n_conns), atomic_load(&n_requests),
	       atomic_load(&n_bytes_in), atomic_load(&n_bytes_out),
	       atomic_load(&n_errors), atomic_load(&n_resets));
	return atomic_load(&n_errors) ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: ktcp_stress server ktcp|inet ADDR PORT THREADS\n"
		"       ktcp_stress client ktcp|inet ADDR PORT CLIENTS SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	bool server;

	if (argc < 6)
		return usage();
	server = !strcmp(argv[1], "server");
	if (!server && (strcmp(argv[1], "client") || argc < 7))
		return usage();
	if (!strcmp(argv[2], "inet"))
		family = AF_INET;
	else if (!strcmp(argv[2], "ktcp"))
		family = ktcp_family();
	else
		return usage();
	if (family < 0) {
		fprintf(stderr, "ktcp_stress: no ktcp family (module loaded?)\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[3], &sin.sin_addr) != 1)
		return usage();
	sin.sin_port = htons(atoi(argv[4]));
	/* A peer's reset must show as ECONNRESET/EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (server)
		return run_server(&sin, atoi(argv[5]));
	return run_client(&sin, atoi(argv[5]), atof(argv[6]));
}
