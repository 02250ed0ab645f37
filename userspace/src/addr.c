// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: sockets by family name; see include/ktcp/addr.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ktcp/addr.h>
#include <ktcp/socket.h>

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
};

int ktcp_addr_family(const char *name)
{
	if (name && (!strcmp(name, "ktcp") || !strcmp(name, "inet") ||
		     !strcmp(name, "inet6") || !strcmp(name, "unix")))
		return 0;
	return -EINVAL;
}

/* Fill @a; returns its length, or -EINVAL. */
static int make_addr(const char *family, const char *host,
		     unsigned short port, union addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!strcmp(family, "unix")) {
		if (!host || strlen(host) >= sizeof(a->un.sun_path))
			return -EINVAL;
		a->un.sun_family = AF_UNIX;
		strcpy(a->un.sun_path, host);
		return (int)sizeof(a->un);
	}
	if (!strcmp(family, "inet6")) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		if (host && inet_pton(AF_INET6, host, &a->in6.sin6_addr) != 1)
			return -EINVAL;
		return (int)sizeof(a->in6);
	}
	if (strcmp(family, "inet") && strcmp(family, "ktcp"))
		return -EINVAL;
	a->in.sin_family = AF_INET;
	a->in.sin_port = htons(port);
	if (host && inet_pton(AF_INET, host, &a->in.sin_addr) != 1)
		return -EINVAL;
	return (int)sizeof(a->in);
}

static int open_socket(const char *family, int flags)
{
	int fd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (!strcmp(family, "ktcp"))
		return ktcp_socket(flags);
	fd = socket(!strcmp(family, "unix") ? AF_UNIX :
		    !strcmp(family, "inet6") ? AF_INET6 : AF_INET,
		    SOCK_STREAM | flags, 0);
	return fd < 0 ? -errno : fd;
}

int ktcp_addr_listen(const char *family, const char *host,
		     unsigned short port, int backlog, int flags)
{
	union addr a;
	int len, fd, one = 1, err;

	if (ktcp_addr_family(family))
		return -EINVAL;
	len = make_addr(family, host, port, &a);
	if (len < 0)
		return len;
	fd = open_socket(family, flags);
	if (fd < 0)
		return fd;
	if (a.sa.sa_family == AF_UNIX) {
		struct stat st;

		if (!lstat(host, &st) && S_ISSOCK(st.st_mode))
			unlink(host);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (bind(fd, &a.sa, (socklen_t)len) < 0 || listen(fd, backlog) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ktcp_addr_connect(const char *family, const char *host,
		      unsigned short port, int flags)
{
	union addr a;
	int len, fd, one = 1, err;

	if (ktcp_addr_family(family) || !host)
		return -EINVAL;
	len = make_addr(family, host, port, &a);
	if (len < 0)
		return len;
	fd = open_socket(family, flags & SOCK_CLOEXEC);
	if (fd < 0)
		return fd;
	if (connect(fd, &a.sa, (socklen_t)len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (a.sa.sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (flags & SOCK_NONBLOCK)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int ktcp_addr_port(int fd)
{
	union addr a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, &a.sa, &len) < 0)
		return -errno;
	if (a.sa.sa_family == AF_INET6)
		return ntohs(a.in6.sin6_port);
	if (a.sa.sa_family == AF_UNIX)
		return -EAFNOSUPPORT;
	return ntohs(a.in.sin_port);
}
