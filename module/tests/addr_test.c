// SPDX-License-Identifier: GPL-2.0
/*
 * bind() address validation: each case is what inet_bind() (sockaddr_in)
 * or inet6_bind() (sockaddr_in6) returns for the same input, and which
 * family's rules a ktcp socket applies.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/in6.h>

#include "addr.h"

struct bind_addr_case {
	const char	*name;
	sa_family_t	family;
	__be32		addr;
	int		len;
	int		err;
};

static const struct bind_addr_case bind_addr_cases[] = {
	{ "inet_any_is_ok", AF_INET, 0, sizeof(struct sockaddr_in), 0 },
	{ "inet_loopback_is_ok", AF_INET, htonl(INADDR_LOOPBACK),
	  sizeof(struct sockaddr_in), 0 },
	{ "longer_len_is_ok", AF_INET, 0, sizeof(struct sockaddr_in6), 0 },
	{ "short_len_is_einval", AF_INET, 0, sizeof(struct sockaddr_in) - 1,
	  -EINVAL },
	{ "zero_len_is_einval", AF_INET, 0, 0, -EINVAL },
	{ "negative_len_is_einval", AF_INET, 0, -1, -EINVAL },
	{ "inet6_family_is_eafnosupport", AF_INET6, 0,
	  sizeof(struct sockaddr_in), -EAFNOSUPPORT },
	{ "unspec_any_is_ok", AF_UNSPEC, 0, sizeof(struct sockaddr_in), 0 },
	{ "unspec_loopback_is_eafnosupport", AF_UNSPEC, htonl(INADDR_LOOPBACK),
	  sizeof(struct sockaddr_in), -EAFNOSUPPORT },
	{ "short_len_wins_over_bad_family", AF_INET6, 0, 4, -EINVAL },
};

static void bind_addr_desc(const struct bind_addr_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bind_addr, bind_addr_cases, bind_addr_desc);

static void bind_addr_errno_matches_inet(struct kunit *test)
{
	const struct bind_addr_case *c = test->param_value;
	struct sockaddr_in6 storage = {};	/* room for the long case */
	struct sockaddr_in *sin = (struct sockaddr_in *)&storage;

	sin->sin_family = c->family;
	sin->sin_addr.s_addr = c->addr;
	KUNIT_EXPECT_EQ(test,
			ktcp_check_bind_addr((struct sockaddr *)sin, c->len),
			c->err);
}

/* What inet6_bind() returns for the same input. */
struct bind6_addr_case {
	const char	*name;
	sa_family_t	family;
	int		len;
	int		err;
};

static const struct bind6_addr_case bind6_addr_cases[] = {
	{ "inet6_full_len_is_ok", AF_INET6, sizeof(struct sockaddr_in6), 0 },
	{ "inet6_rfc2133_len_is_ok", AF_INET6, 24, 0 },
	{ "inet6_len_23_is_einval", AF_INET6, 23, -EINVAL },
	{ "inet6_sockaddr_in_len_is_einval", AF_INET6,
	  sizeof(struct sockaddr_in), -EINVAL },
	{ "inet_family_is_eafnosupport", AF_INET, sizeof(struct sockaddr_in6),
	  -EAFNOSUPPORT },
	{ "short_inet_is_einval", AF_INET, sizeof(struct sockaddr_in),
	  -EINVAL },
};

static void bind6_addr_desc(const struct bind6_addr_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bind6_addr, bind6_addr_cases, bind6_addr_desc);

static void bind6_addr_errno_matches_inet6(struct kunit *test)
{
	const struct bind6_addr_case *c = test->param_value;
	struct sockaddr_in6 sin6 = { .sin6_family = c->family };

	KUNIT_EXPECT_EQ(test,
			ktcp_check_bind_addr6((struct sockaddr *)&sin6, c->len),
			c->err);
}

/* The family whose rules an address is held to (addr.h). */
static void addr_family_is_the_sockets_then_the_addresses(struct kunit *test)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *a6 = (struct sockaddr *)&sin6;
	struct sockaddr *a4 = (struct sockaddr *)&sin;

	/* No family yet: the address's, AF_INET for any but AF_INET6. */
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(0, a6, sizeof(sin6)), AF_INET6);
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(0, a6, 2), AF_INET6);
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(0, a6, 1), AF_INET);
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(0, a4, sizeof(sin)), AF_INET);
	sin.sin_family = AF_UNSPEC;
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(0, a4, sizeof(sin)), AF_INET);
	/* Once the socket has one, it keeps it. */
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(AF_INET, a6, sizeof(sin6)),
			AF_INET);
	KUNIT_EXPECT_EQ(test, ktcp_addr_family(AF_INET6, a4, sizeof(sin)),
			AF_INET6);
}

static struct kunit_case addr_test_cases[] = {
	KUNIT_CASE_PARAM(bind_addr_errno_matches_inet, bind_addr_gen_params),
	KUNIT_CASE_PARAM(bind6_addr_errno_matches_inet6,
			 bind6_addr_gen_params),
	KUNIT_CASE(addr_family_is_the_sockets_then_the_addresses),
	{}
};

static struct kunit_suite addr_test_suite = {
	.name = "ktcp_addr",
	.test_cases = addr_test_cases,
};

kunit_test_suite(addr_test_suite);
