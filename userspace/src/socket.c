// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: finding the ktcp address family and opening sockets on it.
 */
#define _GNU_SOURCE	/* secure_getenv() */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ktcp.h>

#include <ktcp/socket.h>

/*
 * AF_MAX is below 50 today; 255 leaves room for families added by
 * future kernels while still rejecting numbers no kernel could use.
 */
#define FAMILY_MIN	1
#define FAMILY_MAX	255

/*
 * The longest valid content is "255\n".  A full buffer can never parse
 * as a family, so the rest of an overlong file need not be read.
 */
#define FAMILY_BUF_SIZE	16

static int parse_family(const char *buf, size_t len)
{
	size_t i;
	int val = 0;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	/*
	 * Leading zeros are refused: the kernel never prints them, and
	 * "010" would mean 8 to anything that parses it as C would.
	 */
	if (len == 0 || (len > 1 && buf[0] == '0'))
		return -EINVAL;

	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		val = val * 10 + (buf[i] - '0');
		/* Checked per digit, so val cannot overflow. */
		if (val > FAMILY_MAX)
			return -EINVAL;
	}
	return val >= FAMILY_MIN ? val : -EINVAL;
}

int ktcp_family_from_path(const char *path)
{
	char buf[FAMILY_BUF_SIZE];
	size_t len = 0;
	int fd, err = 0;

	if (!path)
		return -EINVAL;

	/* The path may come from the environment: it could name a tty. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	/* sysfs answers in one read, but a regular file may not. */
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);

	if (err)
		return err;
	return parse_family(buf, len);
}

int ktcp_family(void)
{
	/*
	 * secure_getenv(): a set-user-ID program must not let its caller
	 * redirect it to another family.
	 */
	const char *path = secure_getenv(KTCP_FAMILY_PATH_ENV);

	if (!path || !*path)
		path = KTCP_FAMILY_PARAM_PATH;
	return ktcp_family_from_path(path);
}

int ktcp_socket(int type_flags)
{
	int family, fd;

	/* Checked first, so a bad call fails the same with or without ktcp. */
	if (type_flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;

	family = ktcp_family();
	if (family < 0)
		return family;

	fd = socket(family, SOCK_STREAM | type_flags, 0);
	if (fd < 0)
		return -errno;
	return fd;
}
