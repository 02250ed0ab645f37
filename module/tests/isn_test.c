// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 6528 ISNs and SYN cookies, over IPv4 and IPv6.
 */

#include <kunit/test.h>

#include "isn.h"

static const siphash_key_t isn_test_key = { { 0x0123456789abcdefULL,
					      0xfedcba9876543210ULL } };
static const siphash_key_t isn_other_key = { { 1, 2 } };

#define A1	htonl(0x7f000001)
#define A2	htonl(0x0a000002)
#define P1	htons(40000)
#define P2	htons(80)
#define P3	htons(40001)

static void isn_advances_with_the_clock(struct kunit *test)
{
	u32 a = ktcp_isn(&isn_test_key, A1, A2, P1, P2, 0);
	u32 b = ktcp_isn(&isn_test_key, A1, A2, P1, P2, 64 * 1000);

	/* M ticks every 64 ns: 1000 ticks later, same F. */
	KUNIT_EXPECT_EQ(test, b - a, 1000U);
}

static void isn_differs_per_tuple_and_key(struct kunit *test)
{
	u32 base = ktcp_isn(&isn_test_key, A1, A2, P1, P2, 0);

	KUNIT_EXPECT_NE(test, base, ktcp_isn(&isn_test_key, A1, A2, P3, P2, 0));
	KUNIT_EXPECT_NE(test, base, ktcp_isn(&isn_test_key, A2, A1, P1, P2, 0));
	KUNIT_EXPECT_NE(test, base, ktcp_isn(&isn_other_key, A1, A2, P1, P2, 0));
}

static void cookie_round_trips_with_mss(struct kunit *test)
{
	static const u16 mss[] = { 536, 1460, 1500, 65483 };
	static const u16 want[] = { 536, 1460, 1460, 16384 };
	int i;

	for (i = 0; i < ARRAY_SIZE(mss); i++) {
		u32 c = ktcp_cookie_make(&isn_test_key, A1, A2, P1, P2, 1000,
					 7, mss[i]);

		KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_test_key, A1, A2,
							P1, P2, 1000, 7, c),
				want[i]);
	}
}

static void cookie_survives_two_minutes_not_three(struct kunit *test)
{
	u32 c = ktcp_cookie_make(&isn_test_key, A1, A2, P1, P2, 5, 31, 1460);

	KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_test_key, A1, A2, P1, P2,
						5, 33, c), 1460);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_test_key, A1, A2, P1, P2,
						5, 34, c), 0);
}

static void cookie_rejects_forgery(struct kunit *test)
{
	u32 c = ktcp_cookie_make(&isn_test_key, A1, A2, P1, P2, 5, 3, 1460);

	KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_test_key, A1, A2, P1, P2,
						5, 3, c ^ 0x100), 0);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_test_key, A1, A2, P1, P2,
						6, 3, c), 0);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_test_key, A1, A2, P2, P1,
						5, 3, c), 0);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check(&isn_other_key, A1, A2, P1, P2,
						5, 3, c), 0);
}

static const struct in6_addr isn_b1 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
static const struct in6_addr isn_b2 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } };
/* isn_b1 with one bit of its first word flipped: all 128 bits count. */
static const struct in6_addr isn_b3 = { { { 0x20, 0x01, 0x0d, 0xb9, [15] = 1 } } };

static void isn6_advances_with_the_clock(struct kunit *test)
{
	u32 a = ktcp_isn6(&isn_test_key, &isn_b1, &isn_b2, P1, P2, 0);
	u32 b = ktcp_isn6(&isn_test_key, &isn_b1, &isn_b2, P1, P2, 64 * 1000);

	KUNIT_EXPECT_EQ(test, b - a, 1000U);
}

static void isn6_differs_per_tuple_and_key(struct kunit *test)
{
	u32 base = ktcp_isn6(&isn_test_key, &isn_b1, &isn_b2, P1, P2, 0);

	KUNIT_EXPECT_NE(test, base,
			ktcp_isn6(&isn_test_key, &isn_b1, &isn_b2, P3, P2, 0));
	KUNIT_EXPECT_NE(test, base,
			ktcp_isn6(&isn_test_key, &isn_b2, &isn_b1, P1, P2, 0));
	KUNIT_EXPECT_NE(test, base,
			ktcp_isn6(&isn_test_key, &isn_b3, &isn_b2, P1, P2, 0));
	KUNIT_EXPECT_NE(test, base,
			ktcp_isn6(&isn_other_key, &isn_b1, &isn_b2, P1, P2, 0));
}

static void cookie6_round_trips_and_rejects_forgery(struct kunit *test)
{
	u32 c = ktcp_cookie_make6(&isn_test_key, &isn_b1, &isn_b2, P1, P2, 5,
				  31, 1440);

	KUNIT_EXPECT_EQ(test, ktcp_cookie_check6(&isn_test_key, &isn_b1,
						 &isn_b2, P1, P2, 5, 33, c),
			1440);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check6(&isn_test_key, &isn_b1,
						 &isn_b2, P1, P2, 5, 34, c), 0);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check6(&isn_test_key, &isn_b3,
						 &isn_b2, P1, P2, 5, 31, c), 0);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check6(&isn_test_key, &isn_b1,
						 &isn_b2, P1, P2, 6, 31, c), 0);
	KUNIT_EXPECT_EQ(test, ktcp_cookie_check6(&isn_test_key, &isn_b1,
						 &isn_b2, P1, P2, 5, 31,
						 c ^ 0x100), 0);
}

static struct kunit_case isn_test_cases[] = {
	KUNIT_CASE(isn6_advances_with_the_clock),
	KUNIT_CASE(isn6_differs_per_tuple_and_key),
	KUNIT_CASE(cookie6_round_trips_and_rejects_forgery),
	KUNIT_CASE(isn_advances_with_the_clock),
	KUNIT_CASE(isn_differs_per_tuple_and_key),
	KUNIT_CASE(cookie_round_trips_with_mss),
	KUNIT_CASE(cookie_survives_two_minutes_not_three),
	KUNIT_CASE(cookie_rejects_forgery),
	{}
};

static struct kunit_suite isn_test_suite = {
	.name = "ktcp_isn",
	.test_cases = isn_test_cases,
};

kunit_test_suite(isn_test_suite);
