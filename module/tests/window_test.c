// SPDX-License-Identifier: GPL-2.0
/*
 * Receive-window arithmetic: the scale a buffer needs, half the free
 * space in whole scale units, and a right edge that never moves left.
 */

#include <kunit/test.h>

#include "window.h"

static void window_scale_fits_the_buffer(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_wscale_for(65535), 0);
	KUNIT_EXPECT_EQ(test, ktcp_wscale_for(65536), 1);
	KUNIT_EXPECT_EQ(test, ktcp_wscale_for(4 << 20), 7);
	KUNIT_EXPECT_EQ(test, ktcp_wscale_for(0x7fffffff), 14);
}

static void window_is_the_payload_the_free_buffer_holds(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_window_select(20000, 128, 1000, 1000, 0),
			10000U);
	/* 1448-byte segments in 4 KB pages: a third of it. */
	KUNIT_EXPECT_EQ(test, ktcp_window_select(30000, 85, 1000, 1000, 0),
			9960U);
}

static void window_is_a_whole_number_of_units(struct kunit *test)
{
	/* 10000 >> 7 would say 78 units: offer 79 * 128, as native. */
	KUNIT_EXPECT_EQ(test, ktcp_window_select(20000, 128, 1000, 1000, 7),
			79U * 128);
	/* A unit larger than the room: one unit, never a zero window. */
	KUNIT_EXPECT_EQ(test, ktcp_window_select(2 * 5840, 128, 0, 0, 13),
			1U << 13);
}

static void window_is_capped_by_the_field(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_window_select(1 << 20, 128, 0, 0, 0), 65535U);
	KUNIT_EXPECT_EQ(test, ktcp_window_select(1 << 30, 128, 0, 0, 2),
			65535U << 2);
}

static void window_over_the_limit_is_zero(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktcp_window_select(-4096, 128, 5000, 5000, 0), 0U);
}

static void window_never_moves_the_right_edge_left(struct kunit *test)
{
	/* 8000 offered from 1000; 3000 came; the buffer is full now. */
	KUNIT_EXPECT_EQ(test, ktcp_window_select(0, 128, 4000, 9000, 0), 5000U);
	/* Rounded up to a unit, across the sequence wrap. */
	KUNIT_EXPECT_EQ(test, ktcp_window_select(0, 128, 0xfffffff0, 0x100, 4),
			0x110U);
}

/*
 * Under memory pressure ktcp offers 4 segments, as native does: the
 * buffer for them at any payload ratio, and no less than 3 once rounded
 * to a scale unit.  4 * 1448 bytes of buffer offered 1.3 segments at a
 * 1448-in-4 KB ratio, and less than one segment with a scale of 10.
 */
static void window_space_holds_the_payload_it_is_for(struct kunit *test)
{
	static const u32 ratios[] = { 16, 76, 85, 128, 200, 255 };
	int i;

	for (i = 0; i < ARRAY_SIZE(ratios); i++) {
		u32 r = ratios[i];
		int space = ktcp_window_space(4 * 1448, r);

		KUNIT_EXPECT_EQ(test, ktcp_window_select(space, r, 0, 0, 0),
				4U * 1448);
		KUNIT_EXPECT_GE(test, ktcp_window_select(space, r, 0, 0, 10),
				3U * 1448);
	}
	KUNIT_EXPECT_EQ(test, ktcp_window_space(0, 85), 0U);
	KUNIT_EXPECT_EQ(test, ktcp_window_space(U32_MAX, 16), (u32)S32_MAX);
}

static struct kunit_case window_cases[] = {
	KUNIT_CASE(window_scale_fits_the_buffer),
	KUNIT_CASE(window_is_the_payload_the_free_buffer_holds),
	KUNIT_CASE(window_is_a_whole_number_of_units),
	KUNIT_CASE(window_is_capped_by_the_field),
	KUNIT_CASE(window_over_the_limit_is_zero),
	KUNIT_CASE(window_never_moves_the_right_edge_left),
	KUNIT_CASE(window_space_holds_the_payload_it_is_for),
	{}
};

static struct kunit_suite window_suite = {
	.name = "ktcp_window",
	.test_cases = window_cases,
};

kunit_test_suite(window_suite);
