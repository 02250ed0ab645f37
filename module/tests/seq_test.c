// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence-number arithmetic, around zero and around the 2^31 horizon.
 */

#include <kunit/test.h>

#include "seq.h"

struct seq_order_case {
	const char	*name;
	u32		a;
	u32		b;
	bool		before;		/* ktcp_seq_before(a, b) */
};

static const struct seq_order_case seq_order_cases[] = {
	{ "equal_is_not_before",		100, 100, false },
	{ "smaller_is_before",			100, 101, true },
	{ "larger_is_not_before",		101, 100, false },
	{ "max_is_before_zero_after_wrap",	0xffffffff, 0, true },
	{ "zero_is_not_before_max",		0, 0xffffffff, false },
	{ "wrap_by_1000_is_before",		0xfffffc18, 1000, true },
	{ "just_under_half_space_is_before",	0, 0x7fffffff, true },
	/* Exactly 2^31 apart each reads as before the other: undefined. */
	{ "half_space_apart_reads_as_before",	0, 0x80000000, true },
};

static void seq_order_desc(const struct seq_order_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(seq_order, seq_order_cases, seq_order_desc);

static void seq_before_and_after_agree(struct kunit *test)
{
	const struct seq_order_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ktcp_seq_before(c->a, c->b), c->before);
	KUNIT_EXPECT_EQ(test, ktcp_seq_after(c->b, c->a), c->before);
	KUNIT_EXPECT_EQ(test, ktcp_seq_before_eq(c->a, c->b),
			c->before || c->a == c->b);
	KUNIT_EXPECT_EQ(test, ktcp_seq_after_eq(c->b, c->a),
			c->before || c->a == c->b);
}

static void seq_in_window_includes_start_excludes_end(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, ktcp_seq_in_window(1000, 1000, 2000));
	KUNIT_EXPECT_TRUE(test, ktcp_seq_in_window(1999, 1000, 2000));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_in_window(2000, 1000, 2000));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_in_window(999, 1000, 2000));
}

static void seq_in_window_across_wrap(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, ktcp_seq_in_window(0xfffffff0, 0xffffff00, 0x100));
	KUNIT_EXPECT_TRUE(test, ktcp_seq_in_window(0, 0xffffff00, 0x100));
	KUNIT_EXPECT_TRUE(test, ktcp_seq_in_window(0xff, 0xffffff00, 0x100));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_in_window(0x100, 0xffffff00, 0x100));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_in_window(0xfffffeff, 0xffffff00, 0x100));
}

static void seq_empty_window_holds_nothing(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, ktcp_seq_in_window(5, 5, 5));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_in_window(0, 0, 0));
}

static void seq_acceptable_follows_rfc9293_table(struct kunit *test)
{
	/* Zero-length segment, zero window: only RCV.NXT itself. */
	KUNIT_EXPECT_TRUE(test, ktcp_seq_acceptable(100, 0, 100, 0));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_acceptable(101, 0, 100, 0));
	/* Zero-length segment, open window: anywhere inside. */
	KUNIT_EXPECT_TRUE(test, ktcp_seq_acceptable(150, 0, 100, 100));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_acceptable(200, 0, 100, 100));
	/* Data into a zero window: never. */
	KUNIT_EXPECT_FALSE(test, ktcp_seq_acceptable(100, 10, 100, 0));
	/* Data overlapping the left edge is acceptable (its tail is new). */
	KUNIT_EXPECT_TRUE(test, ktcp_seq_acceptable(95, 10, 100, 100));
	KUNIT_EXPECT_FALSE(test, ktcp_seq_acceptable(80, 10, 100, 100));
	/* Across the wrap. */
	KUNIT_EXPECT_TRUE(test, ktcp_seq_acceptable(0xfffffffe, 4, 0, 100));
}

static void seq_rst_check_follows_rfc5961(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_rst_check(1000, 1000, 500), KTCP_RST_ACCEPT);
	KUNIT_EXPECT_EQ(test, ktcp_rst_check(1001, 1000, 500),
			KTCP_RST_CHALLENGE);
	KUNIT_EXPECT_EQ(test, ktcp_rst_check(1499, 1000, 500),
			KTCP_RST_CHALLENGE);
	KUNIT_EXPECT_EQ(test, ktcp_rst_check(1500, 1000, 500), KTCP_RST_DROP);
	KUNIT_EXPECT_EQ(test, ktcp_rst_check(999, 1000, 500), KTCP_RST_DROP);
}

/* RFC 7323 5.3: old is more than one tick behind, modulo 2^32. */
static void seq_paws_allows_one_tick_and_wraps(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, ktcp_paws_ok(1000, 1000, 0, 0, 1));
	KUNIT_EXPECT_TRUE(test, ktcp_paws_ok(1001, 1000, 0, 0, 1));
	KUNIT_EXPECT_TRUE(test, ktcp_paws_ok(999, 1000, 0, 0, 1));
	KUNIT_EXPECT_FALSE(test, ktcp_paws_ok(998, 1000, 0, 0, 1));
	KUNIT_EXPECT_FALSE(test, ktcp_paws_ok(999, 1000, 0, 0, 0));
	/* Across the wrap: 5 is 6 ticks after 0xffffffff. */
	KUNIT_EXPECT_TRUE(test, ktcp_paws_ok(5, 0xffffffff, 0, 0, 0));
	KUNIT_EXPECT_FALSE(test, ktcp_paws_ok(0xfffffff0, 5, 0, 0, 1));
}

/* RFC 7323 5.5: after 24 days idle, TS.Recent says nothing. */
static void seq_paws_forgets_ts_recent_after_24_days(struct kunit *test)
{
	u32 stamp = 0xfffffff0;	/* the seconds wrap too */

	KUNIT_EXPECT_FALSE(test, ktcp_paws_ok(5, 1000, stamp,
					      stamp + KTCP_PAWS_24DAYS - 1, 1));
	KUNIT_EXPECT_TRUE(test, ktcp_paws_ok(5, 1000, stamp,
					     stamp + KTCP_PAWS_24DAYS, 1));
}

static struct kunit_case seq_test_cases[] = {
	KUNIT_CASE(seq_acceptable_follows_rfc9293_table),
	KUNIT_CASE(seq_rst_check_follows_rfc5961),
	KUNIT_CASE_PARAM(seq_before_and_after_agree, seq_order_gen_params),
	KUNIT_CASE(seq_in_window_includes_start_excludes_end),
	KUNIT_CASE(seq_in_window_across_wrap),
	KUNIT_CASE(seq_empty_window_holds_nothing),
	KUNIT_CASE(seq_paws_allows_one_tick_and_wraps),
	KUNIT_CASE(seq_paws_forgets_ts_recent_after_24_days),
	{}
};

static struct kunit_suite seq_test_suite = {
	.name = "ktcp_seq",
	.test_cases = seq_test_cases,
};

kunit_test_suite(seq_test_suite);
