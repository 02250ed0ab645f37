// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp-preload.so: unmodified programs on ktcp.
 *
 *	LD_PRELOAD=libktcp-preload.so PROGRAM...
 *
 * turns the program's AF_INET and AF_INET6 stream sockets into AF_KTCP
 * sockets.  KTCP_PRELOAD (spec.h) says which: all of them, from
 * socket() on, or only those that bind() or connect() to listed ports.
 * The second needs a lazy conversion: the socket starts native, and at
 * bind() or connect() a ktcp socket takes over its file descriptor
 * number (dup3()), with the flags and options the program set so far.
 *
 * setsockopt() passes through too, but for SO_REUSEPORT and
 * SO_ZEROCOPY, which the core before 6.2 refuses to AF_KTCP at
 * SOL_SOCKET: ktcp takes them at SOL_KTCP (linux/ktcp.h).
 *
 * Everything else passes through untouched: other families, other
 * socket types, other protocols.  The converted sockets are real file
 * descriptors, so read, write, poll, epoll, sendfile and close need
 * nothing from this library.
 *
 * One ktcp socket serves both IP versions: it answers with struct
 * sockaddr_in or struct sockaddr_in6 once its first bind() or connect()
 * gave it a family, and as an unbound AF_INET socket before that.  The
 * library notes the family each converted socket had in the program's
 * socket() call (fd_note[]) and holds ktcp to it where ktcp cannot know
 * it: SO_DOMAIN reports it instead of ktcp's own family, getsockname()
 * of an unbound AF_INET6 socket says [::]:0, an address of the other
 * family gets the native errno from bind() and connect(), and listen()
 * without bind() makes an AF_INET6 listener on [::].
 *
 * When ktcp is not there (module not loaded), the program runs on
 * native TCP and one line on stderr says so, unless
 * KTCP_PRELOAD_VERBOSE=0.  KTCP_PRELOAD_STRICT=1 makes the sockets
 * fail with EAFNOSUPPORT instead.  KTCP_PRELOAD_VERBOSE=2 also logs
 * every conversion.  KTCP_FAMILY_PATH works as in libktcp.
 *
 * Safe in threads, forks and signal handlers: after the constructor
 * the state is read-only but for atomics, and the wrappers call only
 * system calls (no malloc, no stdio, no locks).  errno is what the
 * native call would leave: the library's own calls never change it.
 */
#define _GNU_SOURCE	/* RTLD_NEXT, dup3(), secure_getenv() */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

#include "spec.h"

#define ENV_SPEC	"KTCP_PRELOAD"
#define ENV_VERBOSE	"KTCP_PRELOAD_VERBOSE"
#define ENV_STRICT	"KTCP_PRELOAD_STRICT"

#define LOG_PREFIX	"libktcp-preload: "

/* SIN6_LEN_RFC2133: the shortest struct sockaddr_in6 AF_INET6 takes. */
#define SIN6_LEN_MIN	24

/* Large enough for every option in copied_opts[]. */
#define OPT_BUF_SIZE	64

static struct {
	int (*socket)(int domain, int type, int protocol);
	int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
	int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
	int (*getsockopt)(int fd, int level, int name, void *val,
			  socklen_t *len);
	int (*setsockopt)(int fd, int level, int name, const void *val,
			  socklen_t len);
	int (*getsockname)(int fd, struct sockaddr *addr, socklen_t *len);
	int (*listen)(int fd, int backlog);
} real;

/* Written once by preload_init(), read-only afterwards. */
static struct preload_spec spec;
static int verbose = 1;
static bool strict;
static char family_path[PATH_MAX];

enum { INIT_NOT_YET, INIT_RUNNING, INIT_DONE };
static int init_state;		/* atomic */
static int family_cache;	/* atomic: the ktcp family once known, else 0 */
static int warned;		/* atomic: the "ktcp not available" line went out */

/* --- messages on stderr, with nothing but write() ------------------ */

struct msg {
	char buf[256];
	size_t len;
};

static void msg_str(struct msg *m, const char *s)
{
	while (*s && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = *s++;
}

static void msg_int(struct msg *m, long v)
{
	char digits[24];
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	int n = 0;

	if (v < 0)
		msg_str(m, "-");
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = digits[--n];
}

static void msg_send(struct msg *m)
{
	int saved = errno;
	size_t off = 0;

	m->buf[m->len++] = '\n';
	while (off < m->len) {
		ssize_t n = write(STDERR_FILENO, m->buf + off, m->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	errno = saved;
}

static void msg_start(struct msg *m)
{
	m->len = 0;
	msg_str(m, LOG_PREFIX);
}

/* Why ktcp could not be used, in words; strerror() is not signal-safe. */
static void msg_reason(struct msg *m, int err)
{
	switch (err) {
	case ENOENT:
		msg_str(m, "the ktcp module is not loaded (no ");
		msg_str(m, family_path);
		msg_str(m, ")");
		break;
	case EINVAL:
		msg_str(m, "no family number in ");
		msg_str(m, family_path);
		break;
	case EAFNOSUPPORT:
		msg_str(m, "the kernel does not support the family in ");
		msg_str(m, family_path);
		break;
	default:
		msg_str(m, "error ");
		msg_int(m, err);
		msg_str(m, " opening a ktcp socket");
		break;
	}
}

/* Once per process: ktcp is missing, so the program runs without it. */
static void warn_unavailable(int err)
{
	struct msg m;

	if (verbose < 1 || __atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		return;
	msg_start(&m);
	msg_reason(&m, err);
	msg_str(&m, strict ? ": failing (KTCP_PRELOAD_STRICT=1)" :
			     ": using native TCP");
	msg_send(&m);
}

/* --- set-up ---------------------------------------------------------- */

static void parse_env(void)
{
	const char *s;

	s = getenv(ENV_VERBOSE);
	if (s && s[0] >= '0' && s[0] <= '2' && !s[1])
		verbose = s[0] - '0';
	s = getenv(ENV_STRICT);
	strict = s && !strcmp(s, "1");

	/* As in ktcp_family(): not from the caller of a set-user-ID program. */
	s = secure_getenv(KTCP_FAMILY_PATH_ENV);
	if (!s || !*s || strlen(s) >= sizeof(family_path))
		s = KTCP_FAMILY_PARAM_PATH;
	strcpy(family_path, s);

	s = getenv(ENV_SPEC);
	if (preload_spec_parse(s, &spec) && verbose >= 1) {
		struct msg m;

		msg_start(&m);
		msg_str(&m, "cannot parse " ENV_SPEC "=");
		msg_str(&m, s);
		msg_str(&m, ", expected all, off or ports=LIST: nothing moves to ktcp");
		msg_send(&m);
	}
}

static void resolve(void)
{
	/* Casts through void *: ISO C has no object-to-function conversion. */
	*(void **)&real.socket = dlsym(RTLD_NEXT, "socket");
	*(void **)&real.bind = dlsym(RTLD_NEXT, "bind");
	*(void **)&real.connect = dlsym(RTLD_NEXT, "connect");
	*(void **)&real.getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	*(void **)&real.setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	*(void **)&real.getsockname = dlsym(RTLD_NEXT, "getsockname");
	*(void **)&real.listen = dlsym(RTLD_NEXT, "listen");
}

/*
 * The constructor normally does this before main(), and before any
 * thread exists.  A socket call from an earlier constructor of another
 * library does it first; should two threads race there, the loser
 * waits for the winner.
 */
static void preload_init(void)
{
	int expected = INIT_NOT_YET;

	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == INIT_DONE)
		return;
	if (!__atomic_compare_exchange_n(&init_state, &expected, INIT_RUNNING,
					 false, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != INIT_DONE)
			sched_yield();
		return;
	}
	resolve();
	parse_env();
	__atomic_store_n(&init_state, INIT_DONE, __ATOMIC_RELEASE);
}

__attribute__((constructor))
static void preload_constructor(void)
{
	preload_init();
}

/* --- ktcp sockets ---------------------------------------------------- */

/* The ktcp family, read once and then remembered; -errno if absent. */
static int ktcp_family_get(void)
{
	int family = __atomic_load_n(&family_cache, __ATOMIC_RELAXED);

	if (family > 0)
		return family;
	family = ktcp_family_from_path(family_path);
	if (family > 0)
		__atomic_store_n(&family_cache, family, __ATOMIC_RELAXED);
	return family;
}

/*
 * A new ktcp stream socket with SOCK_NONBLOCK/SOCK_CLOEXEC @flags, or
 * -errno.  A remembered family that the kernel refuses belongs to an
 * unloaded (or reloaded) module: forget it and read it once more.
 */
static int ktcp_open(int flags, int protocol)
{
	int tries, family, fd;

	for (tries = 0; tries < 2; tries++) {
		family = ktcp_family_get();
		if (family < 0)
			return family;
		fd = real.socket(family, SOCK_STREAM | flags, protocol);
		if (fd >= 0)
			return fd;
		if (errno != EAFNOSUPPORT)
			return -errno;
		__atomic_store_n(&family_cache, 0, __ATOMIC_RELAXED);
	}
	return -EAFNOSUPPORT;
}

/*
 * Out of descriptors or memory: native TCP would fail the same way, so
 * the program hears of it.  Any other failure means ktcp is unusable.
 */
static bool resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
}

static bool inet_stream(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/* --- the family the program asked for ------------------------------- */

/*
 * Sockets converted on descriptors up to this are noted; above it,
 * one of the program's AF_INET6 sockets reads as AF_INET until bound.
 */
#define FD_NOTES	65536

/*
 * fd_note[fd]: the inode of the ktcp socket the library put on @fd,
 * shifted left by one, with bit 0 set if the program's socket() asked
 * for AF_INET6.  The library never sees close(), dup2() or accept(), so
 * a note counts only while @fd still holds that inode: sockfs numbers
 * its inodes from a counter, and a later socket on the same number has
 * another one.
 */
static unsigned long fd_note[FD_NOTES];	/* atomic */

/* The inode of @fd, 0 if none; keeps errno. */
static unsigned long fd_inode(int fd)
{
	int saved = errno;
	struct stat st;

	if (fstat(fd, &st))
		st.st_ino = 0;
	errno = saved;
	return (unsigned long)st.st_ino;
}

/* @fd is now a ktcp socket, of @domain for the program. */
static void note_family(int fd, int domain)
{
	if (fd >= 0 && fd < FD_NOTES)
		__atomic_store_n(&fd_note[fd],
				 fd_inode(fd) << 1 | (domain == AF_INET6),
				 __ATOMIC_RELAXED);
}

/*
 * The family the program gave socket() for the ktcp socket on @fd, or
 * 0 if @fd holds no socket this library converted (or is not noted).
 * Keeps errno.
 */
static int noted_family(int fd)
{
	unsigned long note, ino;

	if (fd < 0 || fd >= FD_NOTES)
		return 0;
	note = __atomic_load_n(&fd_note[fd], __ATOMIC_RELAXED);
	if (note < 2)
		return 0;
	/* Compared as stored: the top bit of the inode is not. */
	ino = fd_inode(fd);
	if (note >> 1 != (ino << 1) >> 1)
		return 0;
	return note & 1 ? AF_INET6 : AF_INET;
}

/*
 * Whether the ktcp socket on @fd has no family yet, by its answer then:
 * 0.0.0.0:0 in a struct sockaddr_in.  (An IPv4 socket whose connect()
 * failed says the same, and holds addresses to AF_INET's rules too.)
 * Keeps errno.
 */
static bool ktcp_unbound(int fd)
{
	struct sockaddr_in6 sin6;	/* sin_port is at the same offset */
	socklen_t len = sizeof(sin6);
	int saved = errno;
	bool unbound;

	unbound = !real.getsockname(fd, (struct sockaddr *)&sin6, &len) &&
		  len == sizeof(struct sockaddr_in) &&
		  sin6.sin6_family == AF_INET && !sin6.sin6_port;
	errno = saved;
	return unbound;
}

/*
 * The family of the ktcp socket on @fd as the program knows it: the
 * noted one, else (an accepted connection, a dup()) what the socket
 * itself says.
 */
static int program_family(int fd)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	int family = noted_family(fd), saved = errno;

	if (family)
		return family;
	if (!real.getsockname(fd, (struct sockaddr *)&sin6, &len) &&
	    sin6.sin6_family == AF_INET6)
		family = AF_INET6;
	errno = saved;
	return family ? family : AF_INET;
}

static void log_converted(int fd, const char *call, unsigned int port)
{
	struct msg m;

	if (verbose < 2)
		return;
	msg_start(&m);
	msg_str(&m, "fd ");
	msg_int(&m, fd);
	msg_str(&m, " is on ktcp (");
	msg_str(&m, call);
	if (port) {
		msg_str(&m, " port ");
		msg_int(&m, port);
	}
	msg_str(&m, ")");
	msg_send(&m);
}

/* --- lazy conversion (KTCP_PRELOAD=ports=...) ------------------------ */

enum opt_kind {
	OPT_PLAIN,	/* set back exactly what getsockopt() returned */
	OPT_BUFSIZE,	/* SO_RCVBUF/SO_SNDBUF: the kernel doubles what is set */
};

struct opt {
	int level;
	int name;
	const char *label;
	enum opt_kind kind;
};

#define OPT(level, name)	{ level, name, #name, OPT_PLAIN }

/*
 * The options a program may have set on a socket before bind() or
 * connect() and that still matter afterwards.
 */
static const struct opt copied_opts[] = {
	OPT(SOL_SOCKET, SO_REUSEADDR),
	OPT(SOL_SOCKET, SO_REUSEPORT),
	OPT(SOL_SOCKET, SO_ZEROCOPY),
	OPT(SOL_SOCKET, SO_KEEPALIVE),
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", OPT_BUFSIZE },
	{ SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", OPT_BUFSIZE },
	OPT(SOL_SOCKET, SO_LINGER),
	OPT(SOL_SOCKET, SO_RCVTIMEO),
	OPT(SOL_SOCKET, SO_SNDTIMEO),
	OPT(SOL_SOCKET, SO_RCVLOWAT),
	OPT(SOL_SOCKET, SO_OOBINLINE),
	OPT(SOL_SOCKET, SO_DONTROUTE),
	OPT(SOL_SOCKET, SO_PRIORITY),
	OPT(SOL_SOCKET, SO_MARK),
	OPT(SOL_SOCKET, SO_BINDTODEVICE),
	OPT(SOL_SOCKET, SO_MAX_PACING_RATE),
	OPT(IPPROTO_IP, IP_TOS),
	OPT(IPPROTO_IP, IP_TTL),
	OPT(IPPROTO_IP, IP_FREEBIND),
	OPT(IPPROTO_IP, IP_TRANSPARENT),
	OPT(IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT),
	OPT(IPPROTO_IPV6, IPV6_V6ONLY),
	OPT(IPPROTO_IPV6, IPV6_TCLASS),
	OPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS),
	OPT(IPPROTO_TCP, TCP_NODELAY),
	OPT(IPPROTO_TCP, TCP_CORK),
	OPT(IPPROTO_TCP, TCP_MAXSEG),
	OPT(IPPROTO_TCP, TCP_KEEPIDLE),
	OPT(IPPROTO_TCP, TCP_KEEPINTVL),
	OPT(IPPROTO_TCP, TCP_KEEPCNT),
	OPT(IPPROTO_TCP, TCP_USER_TIMEOUT),
	OPT(IPPROTO_TCP, TCP_DEFER_ACCEPT),
	OPT(IPPROTO_TCP, TCP_WINDOW_CLAMP),
	OPT(IPPROTO_TCP, TCP_NOTSENT_LOWAT),
	OPT(IPPROTO_TCP, TCP_LINGER2),
	OPT(IPPROTO_TCP, TCP_SYNCNT),
	OPT(IPPROTO_TCP, TCP_FASTOPEN),
	OPT(IPPROTO_TCP, TCP_CONGESTION),
};

static void warn_option(int fd, const struct opt *o, int err)
{
	struct msg m;

	if (verbose < 1)
		return;
	msg_start(&m);
	msg_str(&m, "fd ");
	msg_int(&m, fd);
	msg_str(&m, ": ");
	msg_str(&m, o->label);
	msg_str(&m, " is not carried over to ktcp (errno ");
	msg_int(&m, err);
	msg_str(&m, ")");
	msg_send(&m);
}

/* Families a ktcp module can never have: no need to look it up. */
static bool common_family(int family)
{
	return family == AF_INET || family == AF_INET6 || family == AF_UNIX ||
	       family == AF_NETLINK || family == AF_PACKET;
}

/* Whether @fd is a ktcp socket, by its SO_DOMAIN.  Keeps errno. */
static bool is_ktcp(int fd)
{
	int saved = errno, domain, family;
	socklen_t len = sizeof(domain);
	bool ktcp = false;

	if (!real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
	    !common_family(domain)) {
		family = ktcp_family_get();
		ktcp = family > 0 && domain == family;
	}
	errno = saved;
	return ktcp;
}

/*
 * setsockopt(), but for SO_REUSEPORT and SO_ZEROCOPY on a ktcp socket,
 * which the core before 6.2 refuses at SOL_SOCKET to any family but
 * AF_INET and AF_INET6 (EOPNOTSUPP): ktcp takes them at SOL_KTCP.
 */
static int set_option(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	int saved = errno, ret = real.setsockopt(fd, level, name, val, len);

	if (!ret || errno != EOPNOTSUPP || level != SOL_SOCKET ||
	    (name != SO_REUSEPORT && name != SO_ZEROCOPY) || !is_ktcp(fd))
		return ret;
	ret = real.setsockopt(fd, SOL_KTCP, name, val, len);
	if (!ret)
		errno = saved;	/* as the native call that succeeds */
	else if (errno == ENOPROTOOPT)
		errno = EOPNOTSUPP;	/* a module without SOL_KTCP */
	return ret;
}

/*
 * Give @to the options of @from that differ from those of @fresh, a
 * native socket nobody touched: exactly what the program set, however
 * it set it.  An option ktcp refuses is reported and left behind, as a
 * program on ktcp from the start would have seen its setsockopt() fail.
 */
static void copy_options(int from, int to, int fresh, int fd)
{
	size_t i;

	for (i = 0; i < sizeof(copied_opts) / sizeof(copied_opts[0]); i++) {
		const struct opt *o = &copied_opts[i];
		unsigned char val[OPT_BUF_SIZE], def[OPT_BUF_SIZE];
		socklen_t len = sizeof(val), dlen = sizeof(def);
		int half;

		if (real.getsockopt(from, o->level, o->name, val, &len) ||
		    real.getsockopt(fresh, o->level, o->name, def, &dlen))
			continue;	/* unknown to this kernel: never set */
		if (len == dlen && !memcmp(val, def, len))
			continue;
		if (o->kind == OPT_BUFSIZE && len == sizeof(int)) {
			memcpy(&half, val, sizeof(half));
			half /= 2;
			memcpy(val, &half, sizeof(half));
		}
		if (set_option(to, o->level, o->name, val, len))
			warn_option(fd, o, errno);
	}
}

static int real_int_opt(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int val;

	if (real.getsockopt(fd, level, name, &val, &len) || len != sizeof(int))
		return -1;
	return val;
}

/*
 * Whether @fd is a native TCP socket of @family (AF_INET or AF_INET6)
 * that is not bound yet.
 */
static bool convertible(int fd, int family)
{
	struct sockaddr_in6 sin6;	/* sin_port is at the same offset */
	socklen_t len = sizeof(sin6);

	if (real_int_opt(fd, SOL_SOCKET, SO_DOMAIN) != family ||
	    real_int_opt(fd, SOL_SOCKET, SO_TYPE) != SOCK_STREAM ||
	    real_int_opt(fd, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP)
		return false;
	/*
	 * Bound already (or connected, or listening): its port is taken
	 * on native TCP, and it stays there.
	 */
	if (real.getsockname(fd, (struct sockaddr *)&sin6, &len) ||
	    sin6.sin6_family != family || sin6.sin6_port)
		return false;
	return true;
}

/* A lazy conversion failed for want of descriptors or memory. */
static void warn_not_converted(int fd, int err)
{
	struct msg m;

	if (verbose < 1)
		return;
	msg_start(&m);
	msg_str(&m, "fd ");
	msg_int(&m, fd);
	msg_str(&m, " stays on native TCP: error ");
	msg_int(&m, err);
	msg_str(&m, strict ? " (KTCP_PRELOAD_STRICT=1: failing)" : "");
	msg_send(&m);
}

/*
 * Put a ktcp socket in place of the native socket @fd, if it is of the
 * @family of the address it is bound or connected to.  Returns 0 when
 * the call may go on, on ktcp or, failing that, natively; with
 * KTCP_PRELOAD_STRICT=1 a failure is -errno instead, and the call fails.
 */
static int convert(int fd, int family, const char *call, unsigned int port)
{
	int fl, fdfl, kfd, fresh, err = 0;

	if (!convertible(fd, family))
		return 0;
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return 0;

	/* Close-on-exec until dup3(): another thread may fork and exec. */
	kfd = ktcp_open(SOCK_CLOEXEC | (fl & O_NONBLOCK ? SOCK_NONBLOCK : 0),
			IPPROTO_TCP);
	if (kfd < 0) {
		if (resource_error(-kfd)) {
			warn_not_converted(fd, -kfd);
			return strict ? kfd : 0;
		}
		warn_unavailable(-kfd);
		return strict ? -EAFNOSUPPORT : 0;
	}
	fresh = real.socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fresh < 0) {
		err = -errno;
		goto out;
	}
	copy_options(fd, kfd, fresh, fd);
	close(fresh);

	/* Atomically: the number never points at nothing. */
	if (dup3(kfd, fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
		err = -errno;
	} else {
		note_family(fd, family);
		log_converted(fd, call, port);
	}
out:
	close(kfd);
	if (!err)
		return 0;
	warn_not_converted(fd, -err);
	return strict ? err : 0;
}

/*
 * The family of an address that AF_INET or AF_INET6 would take, a
 * struct sockaddr_in or a struct sockaddr_in6 at least as long as RFC
 * 2133's, with its port in *@port; 0 for anything else.
 */
static int inet_addr_port(const struct sockaddr *addr, socklen_t len,
			  unsigned int *port)
{
	struct sockaddr_in sin;	/* sin6_port is at the same offset */

	if (!addr || len < sizeof(sin))
		return 0;
	memcpy(&sin, addr, sizeof(sin));
	if (sin.sin_family != AF_INET &&
	    (sin.sin_family != AF_INET6 || len < SIN6_LEN_MIN))
		return 0;
	*port = ntohs(sin.sin_port);
	return sin.sin_family;
}

/*
 * What native TCP answers bind() or connect() on a socket of @family
 * with an address not of @family: -EINVAL if it is too short for
 * @family's, else -EAFNOSUPPORT.  0 if it is of @family, or for the
 * kernel to judge.  A ktcp socket with no family yet would take it.
 */
static int wrong_family(int family, const struct sockaddr *addr,
			socklen_t len, bool connecting)
{
	sa_family_t af;

	if (!addr || len < sizeof(af))
		return 0;
	memcpy(&af, addr, sizeof(af));
	if (family == AF_INET6) {
		/* connect(AF_UNSPEC) disconnects, in every family. */
		if (af == AF_INET6 || (connecting && af == AF_UNSPEC))
			return 0;
		return len < SIN6_LEN_MIN ? -EINVAL : -EAFNOSUPPORT;
	}
	if (af != AF_INET6)
		return 0;
	return len < sizeof(struct sockaddr_in) ? -EINVAL : -EAFNOSUPPORT;
}

/*
 * bind() and connect(): refuse an address of the wrong family as native
 * TCP would; convert first if the port is listed.
 */
static int before_call(int fd, const struct sockaddr *addr, socklen_t len,
		       const char *call)
{
	bool connecting = call[0] == 'c';
	unsigned int port = 0;
	int saved = errno, family, err;

	family = noted_family(fd);
	if (family) {
		err = wrong_family(family, addr, len, connecting);
		if (err && ktcp_unbound(fd))
			return err;
		return 0;
	}
	if (spec.mode != PRELOAD_PORTS)
		return 0;
	family = inet_addr_port(addr, len, &port);
	if (!family || !port || !preload_spec_port(&spec, port))
		return 0;
	err = convert(fd, family, call, port);
	errno = saved;
	return err;
}

/* --- the interposed calls -------------------------------------------- */

int socket(int domain, int type, int protocol)
{
	int saved = errno, fd;

	preload_init();
	if (!real.socket) {
		errno = ENOSYS;
		return -1;
	}
	if (spec.mode != PRELOAD_ALL || !inet_stream(domain, type, protocol))
		return real.socket(domain, type, protocol);

	fd = ktcp_open(type & (SOCK_NONBLOCK | SOCK_CLOEXEC), protocol);
	if (fd >= 0) {
		note_family(fd, domain);
		log_converted(fd, "socket", 0);
		errno = saved;
		return fd;
	}
	if (resource_error(-fd)) {
		errno = -fd;
		return -1;
	}
	warn_unavailable(-fd);
	if (strict) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	errno = saved;
	return real.socket(domain, type, protocol);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int err;

	preload_init();
	if (!real.bind) {
		errno = ENOSYS;
		return -1;
	}
	err = before_call(fd, addr, len, "bind");
	if (err) {
		errno = -err;
		return -1;
	}
	return real.bind(fd, addr, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int err;

	preload_init();
	if (!real.connect) {
		errno = ENOSYS;
		return -1;
	}
	err = before_call(fd, addr, len, "connect");
	if (err) {
		errno = -err;
		return -1;
	}
	return real.connect(fd, addr, len);
}


int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	preload_init();
	if (!real.setsockopt) {
		errno = ENOSYS;
		return -1;
	}
	return set_option(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int ret, domain, family;

	preload_init();
	if (!real.getsockopt) {
		errno = ENOSYS;
		return -1;
	}
	ret = real.getsockopt(fd, level, name, val, len);
	if (ret || level != SOL_SOCKET || name != SO_DOMAIN || !val || !len ||
	    *len < sizeof(int))
		return ret;

	/* A ktcp socket is of the program's family to the program. */
	memcpy(&domain, val, sizeof(domain));
	family = __atomic_load_n(&family_cache, __ATOMIC_RELAXED);
	if (family <= 0 && !common_family(domain)) {
		int saved = errno;

		family = ktcp_family_get();
		errno = saved;
	}
	if (family > 0 && domain == family) {
		domain = program_family(fd);
		memcpy(val, &domain, sizeof(domain));
	}
	return ret;
}

static const struct sockaddr_in6 in6_any = { .sin6_family = AF_INET6 };

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	socklen_t room;
	int ret;

	preload_init();
	if (!real.getsockname) {
		errno = ENOSYS;
		return -1;
	}
	if (!len || noted_family(fd) != AF_INET6 || !ktcp_unbound(fd))
		return real.getsockname(fd, addr, len);

	/* Native AF_INET6 says [::]:0 where ktcp says 0.0.0.0:0. */
	room = *len;
	ret = real.getsockname(fd, addr, len);	/* checks addr as native */
	if (ret)
		return ret;
	memcpy(addr, &in6_any, room < sizeof(in6_any) ? room : sizeof(in6_any));
	*len = sizeof(in6_any);
	return 0;
}

int listen(int fd, int backlog)
{
	preload_init();
	if (!real.listen || !real.bind) {
		errno = ENOSYS;
		return -1;
	}
	/*
	 * Native listen() binds an unbound socket to a port of its
	 * family's any address, where ktcp would make it IPv4.  A failure
	 * (no port free: EADDRINUSE) is native listen()'s too.
	 */
	if (noted_family(fd) == AF_INET6 && ktcp_unbound(fd) &&
	    real.bind(fd, (const struct sockaddr *)&in6_any, sizeof(in6_any)))
		return -1;
	return real.listen(fd, backlog);
}
