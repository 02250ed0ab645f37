/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit-test harness for libktcp's host tests.
 *
 *	TEST(parses_newline)
 *	{
 *		ASSERT_EQ_INT(parse("25\n"), 25);
 *	}
 *
 * Each test runs in a child process of its own, with a fresh empty
 * directory, harness_tmpdir(), that the runner deletes afterwards.  So
 * a test may change the environment, leak a file or crash without
 * affecting the others, and a failed assertion can simply end the
 * process: the ASSERT macros work in helper functions too.
 *
 * Results go to stdout, one "ok N name" or "not ok N name" line per
 * test, then "P passed, F failed".  Diagnostics go to stderr.  Passing
 * test names as arguments runs only those tests.
 */
#ifndef KTCP_TESTS_HARNESS_H
#define KTCP_TESTS_HARNESS_H

#include <string.h>	/* strcmp() in ASSERT_STR */

struct harness_test {
	const char *name;
	void (*fn)(void);
	struct harness_test *next;
};

void harness_register(struct harness_test *test);

/* Ends the running test as failed. */
__attribute__((noreturn, format(printf, 3, 4)))
void harness_fail(const char *file, int line, const char *fmt, ...);

/* Scratch directory of the running test, removed when it ends. */
const char *harness_tmpdir(void);

/*
 * A constructor adds each test to the runner's list before main(), so
 * defining a test is all it takes to run it.
 */
#define TEST(id)							\
	static void test_##id(void);					\
	static struct harness_test harness_test_##id = {		\
		.name = #id,						\
		.fn = test_##id,					\
	};								\
	__attribute__((constructor))					\
	static void harness_register_##id(void)				\
	{								\
		harness_register(&harness_test_##id);			\
	}								\
	static void test_##id(void)

#define FAIL(...)	harness_fail(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT_TRUE(cond)						\
	do {								\
		if (!(cond))						\
			FAIL("ASSERT_TRUE(%s)", #cond);			\
	} while (0)

/* Each operand is evaluated once; the message shows both values. */
#define ASSERT_CMP_INT(a, op, b)					\
	do {								\
		long long a_ = (a), b_ = (b);				\
									\
		if (!(a_ op b_))					\
			FAIL("%s %s %s: %lld vs %lld",			\
			     #a, #op, #b, a_, b_);			\
	} while (0)

#define ASSERT_EQ_INT(a, b)	ASSERT_CMP_INT(a, ==, b)
#define ASSERT_NE_INT(a, b)	ASSERT_CMP_INT(a, !=, b)
#define ASSERT_GE_INT(a, b)	ASSERT_CMP_INT(a, >=, b)

/* NULL compares equal only to NULL. */
#define ASSERT_STR(a, b)						\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
									\
		if (a_ != b_ && (!a_ || !b_ || strcmp(a_, b_)))		\
			FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b,	\
			     a_ ? a_ : "(null)", b_ ? b_ : "(null)");	\
	} while (0)

#endif /* KTCP_TESTS_HARNESS_H */
