/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every ktcp kselftest shares: telling the ktcp variant from the
 * inet one, finding the family, and the list of sockets a test opened
 * so that teardown closes what is left.  Include after
 * kselftest_harness.h.
 */
#ifndef _KTCP_SELFTEST_H
#define _KTCP_SELFTEST_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

/* KTCP_SELFTEST_INET_ONLY=1 skips the ktcp variants (host runs). */
#define INET_ONLY_ENV		"KTCP_SELFTEST_INET_ONLY"

#define MAX_SOCKS		16

/* Sockets a test opened; the fixture teardown closes what is left. */
struct socks {
	int fd[MAX_SOCKS];
	int n;
};

static inline bool inet_only(void)
{
	const char *v = getenv(INET_ONLY_ENV);

	return v && !strcmp(v, "1");
}

/* The family of the loaded ktcp module; fails the test without it. */
static inline int ktcp_family_or_fail(struct __test_metadata *_metadata)
{
	const char *path = getenv(KTCP_FAMILY_PATH_ENV);
	int family = ktcp_family();

	if (!path || !*path)
		path = KTCP_FAMILY_PARAM_PATH;
	ASSERT_LT(0, family) {
		TH_LOG("ktcp_family() (%s): %s; is ktcp.ko loaded? Set %s=1 to skip the ktcp tests",
		       path, strerror(-family), INET_ONLY_ENV);
	}
	return family;
}

static inline struct sockaddr_in sin_of(sa_family_t family, const char *ip,
					uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = family;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		abort();
	return sin;
}

static inline void close_sock(struct __test_metadata *_metadata,
			      struct socks *socks, int fd)
{
	int i;

	for (i = 0; i < socks->n; i++) {
		if (socks->fd[i] == fd) {
			socks->fd[i] = -1;
			ASSERT_EQ(0, close(fd));
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("fd %d is not a test socket", fd);
}

static inline void close_socks(struct socks *socks)
{
	int i;

	for (i = 0; i < socks->n; i++)
		if (socks->fd[i] >= 0)
			close(socks->fd[i]);
	socks->n = 0;
}

#endif /* _KTCP_SELFTEST_H */
