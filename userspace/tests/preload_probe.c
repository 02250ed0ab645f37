// SPDX-License-Identifier: GPL-2.0
/*
 * The program preload_test.c runs under LD_PRELOAD=libktcp-preload.so:
 * an ordinary socket user that prints what it sees, one fact per line,
 * for the test to judge.  It knows nothing of the library.
 *
 *	preload-probe sockets
 *		one line per socket() call: "NAME real=F domain=D type=T
 *		proto=P nonblock=0|1 cloexec=0|1 errno=kept|changed", or
 *		"NAME error=E".  real is the family getsockname() answers,
 *		domain what SO_DOMAIN says.
 *	preload-probe lazy PORT PORT2 OTHER
 *		sockets that bind() or connect() to PORT, PORT2 (to be
 *		listed in KTCP_PRELOAD) and OTHER (not listed); one line
 *		"NAME converted=0|1 ..." each, where converted means that
 *		the descriptor now names another socket (another inode).
 *	preload-probe lazy6 PORT OTHER
 *		the same for AF_INET6 sockets, on ::1.
 *	preload-probe families
 *		what a program sees of an unbound AF_INET6 socket, and what
 *		bind() and connect() with an address of the wrong family
 *		say, for AF_INET and AF_INET6 sockets: "NAME ..." lines
 *		that must not differ from those of native TCP.
 *	preload-probe threads
 *		eight threads and a forked child open sockets at once;
 *		"threads real=F domain=D" once all agree, else an error line.
 */
#define _GNU_SOURCE	/* accept4() */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERRNO_SENTINEL	4242

static void die(const char *what)
{
	printf("die %s errno=%d\n", what, errno);
	exit(1);
}

static int int_opt(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int val;

	if (getsockopt(fd, level, name, &val, &len))
		return -errno;
	return val;
}

static int real_family(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	return ss.ss_family;
}

static ino_t inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	return st.st_ino;
}

static void describe(const char *name, int fd, int kept)
{
	printf("%s real=%d domain=%d type=%d proto=%d nonblock=%d cloexec=%d errno=%s\n",
	       name, real_family(fd), int_opt(fd, SOL_SOCKET, SO_DOMAIN),
	       int_opt(fd, SOL_SOCKET, SO_TYPE),
	       int_opt(fd, SOL_SOCKET, SO_PROTOCOL),
	       !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(fd, F_GETFD) & FD_CLOEXEC), kept ? "kept" : "changed");
}

static void try_socket(const char *name, int domain, int type, int proto)
{
	int fd, kept;

	errno = ERRNO_SENTINEL;
	fd = socket(domain, type, proto);
	if (fd < 0) {
		printf("%s error=%d\n", name, errno);
		return;
	}
	kept = errno == ERRNO_SENTINEL;
	describe(name, fd, kept);
	/* Left open: later sockets get other numbers, as in a real program. */
}

static int cmd_sockets(void)
{
	try_socket("inet_stream", AF_INET, SOCK_STREAM, 0);
	try_socket("inet_tcp", AF_INET, SOCK_STREAM, IPPROTO_TCP);
	try_socket("inet_flags", AF_INET,
		   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	try_socket("inet_udp", AF_INET, SOCK_DGRAM, 0);
	try_socket("inet6_stream", AF_INET6, SOCK_STREAM, 0);
	try_socket("unix_stream", AF_UNIX, SOCK_STREAM, 0);
	/* Natively refused: the error must come through as it is. */
	try_socket("inet_stream_udp_proto", AF_INET, SOCK_STREAM, IPPROTO_UDP);
	try_socket("inet_bad_type", AF_INET, SOCK_STREAM | 0x40000000, 0);
	return 0;
}

static struct sockaddr_in inet_addr_of(int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((unsigned short)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return sin;
}

static int do_bind(int fd, int port)
{
	struct sockaddr_in sin = inet_addr_of(port);

	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static int do_connect(int fd, int port)
{
	struct sockaddr_in sin = inet_addr_of(port);

	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* "NAME converted=C ret=R errno=E|kept" around @op on @fd. */
static int around(const char *name, int fd, int (*op)(int, int), int port,
		  int *converted)
{
	ino_t before = inode(fd);
	int ret, err;

	errno = ERRNO_SENTINEL;
	ret = op(fd, port);
	err = errno;
	*converted = inode(fd) != before;
	if (ret == 0 && err == ERRNO_SENTINEL)
		printf("%s converted=%d ret=0 errno=kept", name, *converted);
	else
		printf("%s converted=%d ret=%d errno=%d", name, *converted, ret, err);
	return ret;
}

static void print_opts(int fd)
{
	struct linger lg = { 0 };
	struct timeval tv = { 0 };
	socklen_t len = sizeof(lg);

	getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
	len = sizeof(tv);
	getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	printf(" nonblock=%d cloexec=%d reuseaddr=%d nodelay=%d keepalive=%d keepidle=%d rcvbuf=%d linger=%d/%d rcvtimeo=%ld domain=%d\n",
	       !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(fd, F_GETFD) & FD_CLOEXEC),
	       int_opt(fd, SOL_SOCKET, SO_REUSEADDR),
	       int_opt(fd, IPPROTO_TCP, TCP_NODELAY),
	       int_opt(fd, SOL_SOCKET, SO_KEEPALIVE),
	       int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	       int_opt(fd, SOL_SOCKET, SO_RCVBUF), lg.l_onoff, lg.l_linger,
	       (long)tv.tv_sec, int_opt(fd, SOL_SOCKET, SO_DOMAIN));
}

static void set_int(int fd, int level, int name, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		die("setsockopt");
}

static int cmd_lazy(int port, int port2, int other)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 5 };
	struct timeval tv = { .tv_sec = 3 };
	int l, c, a, fd, conv, ret, pipefd[2];
	char buf[8];

	/* A listener with flags and options set the ways programs do. */
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		die("socket");
	if (fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK))
		die("fcntl");
	set_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int(l, IPPROTO_TCP, TCP_NODELAY, 1);
	set_int(l, SOL_SOCKET, SO_KEEPALIVE, 1);
	set_int(l, IPPROTO_TCP, TCP_KEEPIDLE, 77);
	set_int(l, SOL_SOCKET, SO_RCVBUF, 50000);
	if (setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ||
	    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("setsockopt");
	printf("listener_before");
	print_opts(l);
	around("listener", l, do_bind, port, &conv);
	print_opts(l);
	if (listen(l, 8))
		die("listen");

	/* A blocking client to the listed port: converted at connect(). */
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		die("socket");
	around("client", c, do_connect, port, &conv);
	print_opts(c);
	a = accept4(l, NULL, NULL, 0);
	if (a < 0)
		die("accept");
	if (write(c, "ping", 4) != 4 || read(a, buf, 4) != 4 ||
	    memcmp(buf, "ping", 4))
		die("data");
	printf("data ok\n");
	close(a);

	/* Nothing set: nothing may appear after the conversion either. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	around("plain", fd, do_bind, port2, &conv);
	print_opts(fd);
	close(fd);

	/* A port not listed. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	around("other", fd, do_bind, other, &conv);
	printf("\n");
	close(fd);

	/* Bound first to an unlisted port: it keeps its native port. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (do_bind(fd, 0))
		die("bind 0");
	around("prebound", fd, do_connect, port, &conv);
	printf("\n");
	close(fd);

	/* Non-blocking connect: EINPROGRESS comes from the new socket. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	around("nonblocking", fd, do_connect, port, &conv);
	print_opts(fd);
	close(fd);

	/* Other types stay. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	around("udp", fd, do_bind, port, &conv);
	printf(" type=%d\n", int_opt(fd, SOL_SOCKET, SO_TYPE));
	close(fd);

	/* Errors of the native call, unchanged. */
	errno = ERRNO_SENTINEL;
	ret = do_bind(1000, port);
	printf("badfd ret=%d errno=%d\n", ret, errno);
	if (pipe(pipefd))
		die("pipe");
	errno = ERRNO_SENTINEL;
	ret = do_connect(pipefd[0], port);
	printf("pipe ret=%d errno=%d\n", ret, errno);
	close(c);
	close(l);
	return 0;
}

static struct sockaddr_in6 inet6_addr_of(int port)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons((unsigned short)port),
		.sin6_addr = IN6ADDR_LOOPBACK_INIT,
	};

	return sin6;
}

static int do_bind6(int fd, int port)
{
	struct sockaddr_in6 sin6 = inet6_addr_of(port);

	return bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
}

static int do_connect6(int fd, int port)
{
	struct sockaddr_in6 sin6 = inet6_addr_of(port);

	return connect(fd, (struct sockaddr *)&sin6, sizeof(sin6));
}

/* " family=F port=P" of getsockname(), or " name_errno=E". */
static void print_name(int fd)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);

	if (getsockname(fd, (struct sockaddr *)&sin6, &len))
		printf(" name_errno=%d\n", errno);
	else
		printf(" family=%d port=%d v6only=%d domain=%d\n",
		       sin6.sin6_family, ntohs(sin6.sin6_port),
		       int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY),
		       int_opt(fd, SOL_SOCKET, SO_DOMAIN));
}

static int cmd_lazy6(int port, int other)
{
	int l, c, a, fd, conv;
	char buf[8];

	/* IPV6_V6ONLY and O_NONBLOCK, set before bind(), stay. */
	l = socket(AF_INET6, SOCK_STREAM, 0);
	if (l < 0)
		die("socket");
	if (fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK))
		die("fcntl");
	set_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int(l, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	around("listener6", l, do_bind6, port, &conv);
	print_name(l);
	if (listen(l, 8))
		die("listen");

	c = socket(AF_INET6, SOCK_STREAM, 0);
	if (c < 0)
		die("socket");
	around("client6", c, do_connect6, port, &conv);
	print_name(c);
	a = accept4(l, NULL, NULL, 0);
	if (a < 0)
		die("accept");
	if (write(c, "ping", 4) != 4 || read(a, buf, 4) != 4 ||
	    memcmp(buf, "ping", 4))
		die("data");
	printf("data6 ok\n");
	close(a);
	close(c);

	/* A port not listed. */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	around("other6", fd, do_bind6, other, &conv);
	printf("\n");
	close(fd);

	/* A struct sockaddr_in to a listed port: native EINVAL. */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	around("inet_addr6", fd, do_bind, port, &conv);
	printf("\n");
	close(fd);

	/* And the other way round: native EAFNOSUPPORT. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	around("inet6_addr", fd, do_connect6, port, &conv);
	printf("\n");
	close(fd);
	close(l);
	return 0;
}

/* "NAME ret=R errno=E" of @call on @fd with @len bytes of @addr. */
static void try_addr(const char *name, int fd,
		     int (*call)(int, const struct sockaddr *, socklen_t),
		     const void *addr, socklen_t len)
{
	int ret;

	errno = ERRNO_SENTINEL;
	ret = call(fd, addr, len);
	printf("%s ret=%d errno=%d\n", name, ret, ret ? errno : 0);
}

static int cmd_families(void)
{
	/* Room for a struct sockaddr_in6, whatever the family said. */
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
		unsigned char bytes[sizeof(struct sockaddr_in6)];
	} any4 = { .sin = { .sin_family = AF_INET } },
	  unspec = { .sin = { .sin_family = AF_UNSPEC } },
	  any6 = { .sin6 = { .sin6_family = AF_INET6 } }, got;
	int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
	int fd4 = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t len;
	size_t i;
	int ret;

	if (fd6 < 0 || fd4 < 0)
		die("socket");

	/* An unbound AF_INET6 socket's name, in whole and cut short. */
	memset(&got, 0xa5, sizeof(got));
	len = sizeof(got);
	if (getsockname(fd6, (struct sockaddr *)&got, &len))
		die("getsockname");
	printf("name6 len=%u bytes=", len);
	for (i = 0; i < sizeof(got); i++)
		printf("%02x", got.bytes[i]);
	printf(" domain=%d\n", int_opt(fd6, SOL_SOCKET, SO_DOMAIN));
	memset(&got, 0xa5, sizeof(got));
	len = 6;
	if (getsockname(fd6, (struct sockaddr *)&got, &len))
		die("getsockname");
	printf("name6_short len=%u bytes=", len);
	for (i = 0; i < 8; i++)
		printf("%02x", got.bytes[i]);
	printf("\n");
	errno = ERRNO_SENTINEL;
	len = sizeof(got);
	ret = getsockname(fd6, (struct sockaddr *)8, &len);
	printf("name6_badaddr ret=%d errno=%d\n", ret, errno);
	errno = ERRNO_SENTINEL;
	ret = getsockname(fd6, (struct sockaddr *)&got, NULL);
	printf("name6_nulllen ret=%d errno=%d\n", ret, errno);

	/* Addresses of the other family, long and short. */
	try_addr("bind6_sin", fd6, bind, &any4, sizeof(struct sockaddr_in));
	try_addr("bind6_sin_long", fd6, bind, &any4, sizeof(any4));
	try_addr("bind6_unspec", fd6, bind, &unspec, sizeof(struct sockaddr_in));
	try_addr("bind6_unspec_long", fd6, bind, &unspec, sizeof(unspec));
	try_addr("connect6_sin", fd6, connect, &any4, sizeof(struct sockaddr_in));
	try_addr("connect6_sin_long", fd6, connect, &any4, sizeof(any4));
	try_addr("connect6_unspec", fd6, connect, &unspec, sizeof(struct sockaddr_in));
	try_addr("bind4_sin6", fd4, bind, &any6, sizeof(any6));
	try_addr("bind4_sin6_short", fd4, bind, &any6, 8);
	try_addr("connect4_sin6", fd4, connect, &any6, sizeof(any6));
	try_addr("connect4_sin6_short", fd4, connect, &any6, 8);

	/* All refused: both are as unbound as before. */
	len = sizeof(got);
	if (getsockname(fd6, (struct sockaddr *)&got, &len))
		die("getsockname");
	printf("after6 len=%u family=%d port=%d\n", len, got.sin6.sin6_family,
	       ntohs(got.sin6.sin6_port));
	len = sizeof(got);
	if (getsockname(fd4, (struct sockaddr *)&got, &len))
		die("getsockname");
	printf("after4 len=%u family=%d port=%d domain=%d\n", len,
	       got.sin.sin_family, ntohs(got.sin.sin_port),
	       int_opt(fd4, SOL_SOCKET, SO_DOMAIN));
	return 0;
}

#define THREADS		8
#define PER_THREAD	50

static void *thread_fn(void *arg)
{
	int *result = arg, i;

	for (i = 0; i < PER_THREAD; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			*result = -errno;
			return NULL;
		}
		if (i == 0)
			*result = real_family(fd) * 100 +
				  int_opt(fd, SOL_SOCKET, SO_DOMAIN);
		else if (*result != real_family(fd) * 100 +
			 int_opt(fd, SOL_SOCKET, SO_DOMAIN))
			*result = -1;
		close(fd);
	}
	return NULL;
}

/* The threads' common result, or -1 if they disagree or failed. */
static int run_threads(void)
{
	pthread_t t[THREADS];
	int result[THREADS], i;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, thread_fn, &result[i]))
			die("pthread_create");
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < THREADS; i++)
		if (result[i] < 0 || result[i] != result[0])
			return -1;
	return result[0];
}

static int cmd_threads(void)
{
	int status, mine, child_ok;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork");
	mine = run_threads();
	if (pid == 0)
		_exit(mine > 0 && mine == run_threads() ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (mine < 0)
		printf("threads disagree\n");
	else
		printf("threads real=%d domain=%d child=%s\n", mine / 100,
		       mine % 100, child_ok ? "ok" : "failed");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "sockets"))
		return cmd_sockets();
	if (argc == 5 && !strcmp(argv[1], "lazy"))
		return cmd_lazy(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "lazy6"))
		return cmd_lazy6(atoi(argv[2]), atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "families"))
		return cmd_families();
	if (argc == 2 && !strcmp(argv[1], "threads"))
		return cmd_threads();
	fprintf(stderr, "usage: %s sockets | lazy PORT PORT2 OTHER | lazy6 PORT OTHER | families | threads\n",
		argv[0]);
	return 2;
}
