// SPDX-License-Identifier: GPL-2.0
/*
 * Ephemeral port range: packing, validation, and a wrap-around search
 * that tries every port exactly once.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>

#include "port_range.h"

static void port_range_pack_round_trips(struct kunit *test)
{
	u32 r = ktcp_port_range_pack(61000, 65535);

	KUNIT_EXPECT_EQ(test, ktcp_port_range_low(r), 61000);
	KUNIT_EXPECT_EQ(test, ktcp_port_range_high(r), 65535);
	KUNIT_EXPECT_EQ(test, ktcp_port_range_size(r), 4536);

	r = ktcp_port_range_pack(1, 1);
	KUNIT_EXPECT_EQ(test, ktcp_port_range_size(r), 1);
	r = ktcp_port_range_pack(1, 65535);
	KUNIT_EXPECT_EQ(test, ktcp_port_range_size(r), 65535);
}

struct port_range_valid_case {
	const char	*name;
	int		low;
	int		high;
	bool		valid;
};

static const struct port_range_valid_case port_range_valid_cases[] = {
	{ "default_range_is_valid",	61000, 65535, true },
	{ "single_port_is_valid",	5000, 5000, true },
	{ "full_range_is_valid",	1, 65535, true },
	{ "low_above_high_is_invalid",	5, 4, false },
	{ "port_zero_is_invalid",	0, 100, false },
	{ "above_65535_is_invalid",	1000, 65536, false },
	{ "negative_is_invalid",	-1, 100, false },
};

static void port_range_valid_desc(const struct port_range_valid_case *c,
				  char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(port_range_valid, port_range_valid_cases,
		  port_range_valid_desc);

static void port_range_valid_follows_native_rule(struct kunit *test)
{
	const struct port_range_valid_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ktcp_port_range_valid(c->low, c->high), c->valid);
}

static void port_range_nth_visits_every_port_once(struct kunit *test)
{
	static const u32 offsets[] = { 0, 1, 7, 9, 1000 };
	u32 r = ktcp_port_range_pack(100, 109);
	DECLARE_BITMAP(seen, 10);
	u32 i, j;

	for (j = 0; j < ARRAY_SIZE(offsets); j++) {
		bitmap_zero(seen, 10);
		for (i = 0; i < ktcp_port_range_size(r); i++) {
			u16 port = ktcp_port_range_nth(r, offsets[j], i);

			KUNIT_ASSERT_GE(test, port, 100);
			KUNIT_ASSERT_LE(test, port, 109);
			KUNIT_EXPECT_FALSE(test, test_bit(port - 100, seen));
			__set_bit(port - 100, seen);
		}
		KUNIT_EXPECT_TRUE(test, bitmap_full(seen, 10));
	}
}

static void port_range_nth_starts_at_offset(struct kunit *test)
{
	u32 r = ktcp_port_range_pack(61000, 65535);

	KUNIT_EXPECT_EQ(test, ktcp_port_range_nth(r, 5, 0), 61005);
	KUNIT_EXPECT_EQ(test, ktcp_port_range_nth(r, 4535, 0), 65535);
	KUNIT_EXPECT_EQ(test, ktcp_port_range_nth(r, 4535, 1), 61000);
}

static struct kunit_case port_range_test_cases[] = {
	KUNIT_CASE(port_range_pack_round_trips),
	KUNIT_CASE_PARAM(port_range_valid_follows_native_rule,
			 port_range_valid_gen_params),
	KUNIT_CASE(port_range_nth_visits_every_port_once),
	KUNIT_CASE(port_range_nth_starts_at_offset),
	{}
};

static struct kunit_suite port_range_test_suite = {
	.name = "ktcp_port_range",
	.test_cases = port_range_test_cases,
};

kunit_test_suite(port_range_test_suite);
