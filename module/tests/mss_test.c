// SPDX-License-Identifier: GPL-2.0
/*
 * The send MSS: any MSS option a peer sends, 0 to 65535, with or
 * without timestamps, gives a payload of at least 36 bytes that never
 * wraps, as native's tcp_min_snd_mss floor does.
 */

#include <kunit/test.h>

#include "mss.h"

struct mss_case {
	const char	*name;
	u16		peer_mss;
	u16		advmss;
	int		floor;
	bool		tstamp;
	u16		expect;
};

static const struct mss_case mss_cases[] = {
	/* An MSS option of 0 reads as none: RFC 9293's 536. */
	{ "mss_0_is_the_default",		0, 1460, 48, false, 536 },
	{ "mss_0_is_the_default_ts",		0, 1460, 48, true, 524 },
	{ "mss_1_is_the_floor",			1, 1460, 48, false, 48 },
	{ "mss_1_is_the_floor_ts",		1, 1460, 48, true, 36 },
	{ "mss_11_is_the_floor",		11, 1460, 48, false, 48 },
	{ "mss_11_is_the_floor_ts",		11, 1460, 48, true, 36 },
	/* Once 0 (CVE-like divide by zero), with timestamps. */
	{ "mss_12_is_the_floor",		12, 1460, 48, false, 48 },
	{ "mss_12_is_the_floor_ts",		12, 1460, 48, true, 36 },
	{ "mss_13_is_the_floor",		13, 1460, 48, false, 48 },
	{ "mss_13_is_the_floor_ts",		13, 1460, 48, true, 36 },
	{ "mss_47_is_the_floor",		47, 1460, 48, false, 48 },
	{ "mss_47_is_the_floor_ts",		47, 1460, 48, true, 36 },
	{ "mss_48_is_kept",			48, 1460, 48, false, 48 },
	{ "mss_48_is_kept_ts",			48, 1460, 48, true, 36 },
	{ "mss_536_is_kept",			536, 1460, 48, false, 536 },
	{ "mss_536_is_kept_ts",			536, 1460, 48, true, 524 },
	{ "mss_65535_is_ours",			65535, 1460, 48, false, 1460 },
	{ "mss_65535_is_ours_ts",		65535, 1460, 48, true, 1448 },
	{ "mss_65535_on_loopback",		65535, 65495, 48, false, 65495 },
	{ "mss_65535_on_loopback_ts",		65535, 65495, 48, true, 65483 },
	/* The sysctl raises the floor; it wins over ours, as native. */
	{ "floor_1000_raises_small_mss",	100, 1460, 1000, true, 988 },
	{ "floor_65535_beats_advmss_ts",	12, 1460, 65535, true, 65523 },
	/* A floor below 48 (not reachable by the sysctl) is still 48. */
	{ "floor_below_48_is_48",		1, 1460, 0, true, 36 },
};

static void mss_desc(const struct mss_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mss, mss_cases, mss_desc);

static void mss_is_floored_before_the_timestamp_option(struct kunit *test)
{
	const struct mss_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ktcp_snd_mss(c->peer_mss, c->advmss, c->floor,
					   c->tstamp), c->expect);
}

/* Every value a peer can send, both ways: never 0, never above ours. */
static void mss_any_peer_value_is_sane(struct kunit *test)
{
	u32 peer;

	for (peer = 0; peer <= 65535; peer++) {
		u16 plain = ktcp_snd_mss(peer, 1460, 48, false);
		u16 ts = ktcp_snd_mss(peer, 1460, 48, true);

		KUNIT_ASSERT_GE(test, plain, 48);
		KUNIT_ASSERT_LE(test, plain, 1460);
		KUNIT_ASSERT_EQ(test, ts, plain - KTCP_TSTAMP_OPTLEN);
	}
}

static struct kunit_case mss_test_cases[] = {
	KUNIT_CASE_PARAM(mss_is_floored_before_the_timestamp_option,
			 mss_gen_params),
	KUNIT_CASE(mss_any_peer_value_is_sane),
	{}
};

static struct kunit_suite mss_suite = {
	.name = "ktcp_mss",
	.test_cases = mss_test_cases,
};

kunit_test_suite(mss_suite);
