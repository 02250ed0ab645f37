// SPDX-License-Identifier: GPL-2.0
/*
 * TCP option parsing: what a SYN says, and malformed options refused.
 */

#include <kunit/test.h>

#include "ktcp.h"

static void options_parse_linux_syn(struct kunit *test)
{
	/* What Linux puts in a SYN: MSS, SACK_PERM, TS, NOP, WSCALE 7. */
	static const u8 opt[] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10,
				  0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct ktcp_syn_options o;

	KUNIT_ASSERT_EQ(test, ktcp_parse_options(opt, sizeof(opt), &o), 0);
	KUNIT_EXPECT_EQ(test, o.mss, 65495);
	KUNIT_EXPECT_TRUE(test, o.sack_ok);
	KUNIT_EXPECT_TRUE(test, o.tstamp_ok);
	KUNIT_EXPECT_EQ(test, o.tsval, 1U);
	KUNIT_EXPECT_TRUE(test, o.wscale_ok);
	KUNIT_EXPECT_EQ(test, o.wscale, 7);
}

static void options_wscale_is_capped_at_14(struct kunit *test)
{
	static const u8 opt[] = { 3, 3, 200, 0 };
	struct ktcp_syn_options o;

	KUNIT_ASSERT_EQ(test, ktcp_parse_options(opt, sizeof(opt), &o), 0);
	KUNIT_EXPECT_EQ(test, o.wscale, 14);
}

static void options_eol_stops_parsing(struct kunit *test)
{
	static const u8 opt[] = { 0, 2, 4, 0x05, 0xb4 };
	struct ktcp_syn_options o;

	KUNIT_ASSERT_EQ(test, ktcp_parse_options(opt, sizeof(opt), &o), 0);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
}

static void options_unknown_kind_is_skipped(struct kunit *test)
{
	static const u8 opt[] = { 30, 4, 0, 0, 2, 4, 0x05, 0xb4 };
	struct ktcp_syn_options o;

	KUNIT_ASSERT_EQ(test, ktcp_parse_options(opt, sizeof(opt), &o), 0);
	KUNIT_EXPECT_EQ(test, o.mss, 1460);
}

struct bad_option_case {
	const char	*name;
	u8		opt[8];
	int		len;
};

static const struct bad_option_case bad_option_cases[] = {
	{ "length_zero", { 2, 0, 5, 180 }, 4 },
	{ "length_one", { 30, 1, 0, 0 }, 4 },
	{ "length_past_the_end", { 2, 4, 5 }, 3 },
	{ "kind_without_length", { 1, 1, 1, 2 }, 4 },
	{ "mss_of_wrong_length", { 2, 3, 5, 1 }, 4 },
	{ "wscale_of_wrong_length", { 3, 4, 7, 0 }, 4 },
	{ "sack_perm_of_wrong_length", { 4, 3, 0, 1 }, 4 },
	{ "timestamp_of_wrong_length", { 8, 6, 0, 0, 0, 0, 1, 1 }, 8 },
};

static void bad_option_desc(const struct bad_option_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_option, bad_option_cases, bad_option_desc);

static void options_malformed_are_refused(struct kunit *test)
{
	const struct bad_option_case *c = test->param_value;
	struct ktcp_syn_options o;

	KUNIT_EXPECT_EQ(test, ktcp_parse_options(c->opt, c->len, &o), -EINVAL);
}

static struct kunit_case options_test_cases[] = {
	KUNIT_CASE(options_parse_linux_syn),
	KUNIT_CASE(options_wscale_is_capped_at_14),
	KUNIT_CASE(options_eol_stops_parsing),
	KUNIT_CASE(options_unknown_kind_is_skipped),
	KUNIT_CASE_PARAM(options_malformed_are_refused, bad_option_gen_params),
	{}
};

static struct kunit_suite options_test_suite = {
	.name = "ktcp_options",
	.test_cases = options_test_cases,
};

kunit_test_suite(options_test_suite);
