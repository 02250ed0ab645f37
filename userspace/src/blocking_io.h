/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp internal: sends on a socket of the caller's that may be
 * nonblocking, bounded by a timeout (the client, the file responder).
 */
#ifndef KTCP_BLOCKING_IO_H
#define KTCP_BLOCKING_IO_H

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>

/* Waits up to @timeout_ms for @ev on @fd: 0, -ETIMEDOUT or -errno. */
static inline int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/*
 * After a send that failed with errno: 0 to try again (interrupted, or
 * @fd took room within @timeout_ms), else the error to return.
 */
static inline int send_failed_retry(int fd, int timeout_ms)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN)
		return -errno;
	return wait_fd(fd, POLLOUT, timeout_ms);
}

/* All @len bytes of @buf on @fd, send(2) @flags added to MSG_NOSIGNAL. */
static inline int send_all_within(int fd, const void *buf, size_t len,
				  int flags, int timeout_ms)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | flags);

		if (n < 0) {
			int err = send_failed_retry(fd, timeout_ms);

			if (err)
				return err;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#endif /* KTCP_BLOCKING_IO_H */
