// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of listening and connecting by family name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/addr.h>

#include "harness.h"

static void round_trip(const char *family, const char *host)
{
	int l = ktcp_addr_listen(family, host, 0, 4, SOCK_CLOEXEC), port, c, a;
	char buf[4];

	ASSERT_GE_INT(l, 0);
	port = host[0] == '/' ? 0 : ktcp_addr_port(l);
	if (host[0] != '/')
		ASSERT_TRUE(port > 0);
	c = ktcp_addr_connect(family, host, (unsigned short)port, 0);
	ASSERT_GE_INT(c, 0);
	a = accept(l, NULL, NULL);
	ASSERT_GE_INT(a, 0);
	ASSERT_EQ_INT(write(c, "abc", 3), 3);
	ASSERT_EQ_INT(read(a, buf, 3), 3);
	close(a);
	close(c);
	close(l);
}

TEST(addr_inet_inet6_unix_round_trip)
{
	char path[512];

	round_trip("inet", "127.0.0.1");
	round_trip("inet6", "::1");
	snprintf(path, sizeof(path), "%s/s", harness_tmpdir());
	round_trip("unix", path);
	round_trip("unix", path);	/* a stale socket file is replaced */
}

TEST(addr_bad_family_and_address)
{
	ASSERT_EQ_INT(ktcp_addr_family("tcp"), -EINVAL);
	ASSERT_EQ_INT(ktcp_addr_family("ktcp"), 0);
	ASSERT_EQ_INT(ktcp_addr_listen("tcp", NULL, 0, 1, 0), -EINVAL);
	ASSERT_EQ_INT(ktcp_addr_listen("inet", "::1", 0, 1, 0), -EINVAL);
	ASSERT_EQ_INT(ktcp_addr_connect("inet", NULL, 80, 0), -EINVAL);
}

TEST(addr_ktcp_without_module_is_enoent)
{
	setenv("KTCP_FAMILY_PATH", "/nonexistent/ktcp/family", 1);
	ASSERT_EQ_INT(ktcp_addr_listen("ktcp", "127.0.0.1", 0, 1, 0), -ENOENT);
}
