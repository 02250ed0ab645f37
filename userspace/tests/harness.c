// SPDX-License-Identifier: GPL-2.0
/*
 * Runner for the tests defined with TEST(); see harness.h.
 */
#define _GNU_SOURCE	/* nftw(), strsignal() */

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A test stuck in a blocking call fails rather than stalling the run. */
#define TEST_TIMEOUT_SEC	60

/* Kept in definition order, so results come out in the order of the source. */
static struct harness_test *tests;
static struct harness_test **tests_tail = &tests;

static char tmpdir[PATH_MAX];

void harness_register(struct harness_test *test)
{
	*tests_tail = test;
	tests_tail = &test->next;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* exit(), not _exit(): atexit() cleanups of the test still run. */
	exit(EXIT_FAILURE);
}

const char *harness_tmpdir(void)
{
	return tmpdir;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path))
		fprintf(stderr, "# cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

static bool make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (!base || !*base)
		base = "/tmp";
	n = snprintf(tmpdir, sizeof(tmpdir), "%s/ktcp-test.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(tmpdir)) {
		fprintf(stderr, "# TMPDIR too long: %s\n", base);
		return false;
	}
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "# mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return false;
	}
	return true;
}

static bool run_test(const struct harness_test *test)
{
	pid_t pid;
	int status;

	if (!make_tmpdir())
		return false;

	/* Unflushed output would otherwise be written by both processes. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		alarm(TEST_TIMEOUT_SEC);
		test->fn();
		exit(EXIT_SUCCESS);
	}

	if (pid < 0) {
		fprintf(stderr, "# fork: %s\n", strerror(errno));
		status = -1;
	} else {
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "# waitpid: %s\n", strerror(errno));
				status = -1;
				break;
			}
		}
	}

	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	if (status != -1 && WIFSIGNALED(status))
		fprintf(stderr, "# %s: killed by signal %d (%s)\n", test->name,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	return status != -1 && WIFEXITED(status) &&
	       WEXITSTATUS(status) == EXIT_SUCCESS;
}

static bool selected(const struct harness_test *test, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(test->name, argv[i]))
			return true;
	return false;
}

static const struct harness_test *find_test(const char *name)
{
	const struct harness_test *test;

	for (test = tests; test; test = test->next)
		if (!strcmp(test->name, name))
			return test;
	return NULL;
}

int main(int argc, char **argv)
{
	const struct harness_test *test;
	int passed = 0, failed = 0;
	int i;

	/* A mistyped name must not look like a clean run of nothing. */
	for (i = 1; i < argc; i++) {
		if (!find_test(argv[i])) {
			fprintf(stderr, "%s: no test named %s\n", argv[0], argv[i]);
			return 2;
		}
	}

	for (test = tests; test; test = test->next) {
		bool ok;

		if (!selected(test, argc, argv))
			continue;
		ok = run_test(test);
		if (ok)
			passed++;
		else
			failed++;
		printf("%s %d %s\n", ok ? "ok" : "not ok", passed + failed,
		       test->name);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
