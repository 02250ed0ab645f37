// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for src/socket.c.  No ktcp module is needed: family files
 * are faked in the test directory and reached through KTCP_FAMILY_PATH,
 * with AF_INET standing in for a family the host kernel implements.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ktcp.h>
#include <ktcp/socket.h>

#include "harness.h"

struct content_case {
	const char *content;
	size_t len;
	int want;
};

/* sizeof, not strlen, so that cases can hold NUL bytes. */
#define CASE(literal, result)	{ literal, sizeof(literal) - 1, result }

static const struct content_case valid_cases[] = {
	CASE("25\n", 25),
	CASE("25", 25),
	CASE("1\n", 1),
	CASE("2", 2),
	CASE("255\n", 255),
};

static const struct content_case malformed_cases[] = {
	CASE("", -EINVAL),
	CASE("\n", -EINVAL),
	CASE("0", -EINVAL),
	CASE("0\n", -EINVAL),
	CASE("256", -EINVAL),
	CASE("256\n", -EINVAL),
	CASE("-3", -EINVAL),
	CASE("+25", -EINVAL),
	CASE("25x", -EINVAL),
	CASE("0x19", -EINVAL),
	CASE("025", -EINVAL),
	CASE("  25", -EINVAL),
	CASE("\t25\n", -EINVAL),
	CASE("25 ", -EINVAL),
	CASE("25 \n", -EINVAL),
	CASE("25\r\n", -EINVAL),
	CASE("25\n\n", -EINVAL),
	CASE("\n25", -EINVAL),
	CASE("2\n5", -EINVAL),
	CASE("25\0", -EINVAL),
	CASE("\0" "25", -EINVAL),
	/* Would wrap to 25 in 32 bits. */
	CASE("4294967321", -EINVAL),
	CASE("99999999999999999999", -EINVAL),
	/* Valid start, but longer than any family file can be. */
	CASE("25\n             ", -EINVAL),
	CASE("25\n                                       ", -EINVAL),
};

/* @s as the body of a C string literal, for failure messages. */
static const char *escape(const char *s, size_t len)
{
	static char out[256];
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* Creates a file in the test directory; its name is left in @path. */
static void make_file(char path[PATH_MAX], const void *content, size_t len)
{
	int fd;

	ASSERT_TRUE(snprintf(path, PATH_MAX, "%s/familyXXXXXX",
			     harness_tmpdir()) < PATH_MAX);
	fd = mkstemp(path);
	ASSERT_GE_INT(fd, 0);
	ASSERT_EQ_INT(write(fd, content, len), len);
	ASSERT_EQ_INT(close(fd), 0);
}

/* Makes ktcp_family(), and so ktcp_socket(), read @content. */
static void fake_family_file(const char *content)
{
	char path[PATH_MAX];

	make_file(path, content, strlen(content));
	ASSERT_EQ_INT(setenv(KTCP_FAMILY_PATH_ENV, path, 1), 0);
}

/* A path in the test directory that does not exist. */
static void missing_path(char path[PATH_MAX], const char *name)
{
	ASSERT_TRUE(snprintf(path, PATH_MAX, "%s/%s", harness_tmpdir(),
			     name) < PATH_MAX);
}

static void check_cases(const struct content_case *cases, size_t n)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		int got;

		make_file(path, cases[i].content, cases[i].len);
		got = ktcp_family_from_path(path);
		if (got != cases[i].want)
			FAIL("content \"%s\": got %d, want %d",
			     escape(cases[i].content, cases[i].len), got,
			     cases[i].want);
	}
}

TEST(family_from_path_accepts_kernel_format)
{
	check_cases(valid_cases, sizeof(valid_cases) / sizeof(valid_cases[0]));
}

TEST(family_from_path_rejects_malformed)
{
	check_cases(malformed_cases,
		    sizeof(malformed_cases) / sizeof(malformed_cases[0]));
}

TEST(family_from_path_missing_is_enoent)
{
	char path[PATH_MAX];

	missing_path(path, "family");
	ASSERT_EQ_INT(ktcp_family_from_path(path), -ENOENT);
	/* What an unloaded module looks like: /sys/module/ktcp is absent. */
	missing_path(path, "ktcp/parameters/family");
	ASSERT_EQ_INT(ktcp_family_from_path(path), -ENOENT);
}

TEST(family_from_path_directory_is_eisdir)
{
	ASSERT_EQ_INT(ktcp_family_from_path(harness_tmpdir()), -EISDIR);
}

TEST(family_from_path_passes_open_errno)
{
	char file[PATH_MAX], path[PATH_MAX + 8];

	make_file(file, "25\n", 3);
	snprintf(path, sizeof(path), "%s/x", file);
	ASSERT_EQ_INT(ktcp_family_from_path(path), -ENOTDIR);
}

TEST(family_from_path_null_is_einval)
{
	ASSERT_EQ_INT(ktcp_family_from_path(NULL), -EINVAL);
}

/* The lowest free descriptor moves if anything leaks one. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_GE_INT(fd, 0);
	ASSERT_EQ_INT(close(fd), 0);
	return fd;
}

TEST(family_from_path_closes_fd_on_every_path)
{
	char good[PATH_MAX], bad[PATH_MAX], missing[PATH_MAX];
	int before = lowest_free_fd();

	make_file(good, "25\n", 3);
	make_file(bad, "25x", 3);
	missing_path(missing, "family");

	ASSERT_EQ_INT(ktcp_family_from_path(good), 25);
	ASSERT_EQ_INT(ktcp_family_from_path(bad), -EINVAL);
	ASSERT_EQ_INT(ktcp_family_from_path(harness_tmpdir()), -EISDIR);
	ASSERT_EQ_INT(ktcp_family_from_path(missing), -ENOENT);
	ASSERT_EQ_INT(lowest_free_fd(), before);
}

TEST(family_honours_env_override)
{
	/* Neither the default family nor anything the host has loaded. */
	fake_family_file("42\n");
	ASSERT_EQ_INT(ktcp_family(), 42);
}

TEST(family_env_override_missing_is_enoent)
{
	char path[PATH_MAX];

	missing_path(path, "family");
	ASSERT_EQ_INT(setenv(KTCP_FAMILY_PATH_ENV, path, 1), 0);
	ASSERT_EQ_INT(ktcp_family(), -ENOENT);
}

/*
 * Without ktcp on the host both sides are -ENOENT; with it loaded this
 * reads the real sysfs parameter.
 */
TEST(family_defaults_to_sysfs)
{
	int want = ktcp_family_from_path(KTCP_FAMILY_PARAM_PATH);

	ASSERT_EQ_INT(unsetenv(KTCP_FAMILY_PATH_ENV), 0);
	ASSERT_EQ_INT(ktcp_family(), want);
	ASSERT_EQ_INT(setenv(KTCP_FAMILY_PATH_ENV, "", 1), 0);
	ASSERT_EQ_INT(ktcp_family(), want);
}

TEST(socket_rejects_type_and_unknown_flags)
{
	static const int bad[] = {
		SOCK_DGRAM, SOCK_STREAM, SOCK_RAW, SOCK_SEQPACKET,
		SOCK_STREAM | SOCK_CLOEXEC, SOCK_DGRAM | SOCK_NONBLOCK,
		O_APPEND, -1,
	};
	char path[PATH_MAX];
	size_t i;

	/*
	 * With no family to be found, -EINVAL can only come from the
	 * flag check.
	 */
	missing_path(path, "family");
	ASSERT_EQ_INT(setenv(KTCP_FAMILY_PATH_ENV, path, 1), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int got = ktcp_socket(bad[i]);

		if (got != -EINVAL)
			FAIL("ktcp_socket(%#x): got %d, want %d", bad[i], got,
			     -EINVAL);
	}
}

TEST(socket_without_module_is_enoent)
{
	char path[PATH_MAX];

	missing_path(path, "family");
	ASSERT_EQ_INT(setenv(KTCP_FAMILY_PATH_ENV, path, 1), 0);
	ASSERT_EQ_INT(ktcp_socket(0), -ENOENT);
	ASSERT_EQ_INT(ktcp_socket(SOCK_NONBLOCK | SOCK_CLOEXEC), -ENOENT);
}

TEST(socket_malformed_family_is_einval)
{
	fake_family_file("25x\n");
	ASSERT_EQ_INT(ktcp_socket(0), -EINVAL);
}

TEST(socket_passes_socket_errno)
{
	char content[8];
	int probe, err, fd;

	snprintf(content, sizeof(content), "%d\n", KTCP_FAMILY_DEFAULT);
	fake_family_file(content);

	/*
	 * Whatever socket() says about the family, ktcp_socket() must say
	 * too: -EAFNOSUPPORT on a host without ktcp, a socket on one that
	 * has it loaded with the default family.
	 */
	probe = socket(KTCP_FAMILY_DEFAULT, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	if (probe >= 0) {
		close(probe);
		fd = ktcp_socket(SOCK_CLOEXEC);
		ASSERT_GE_INT(fd, 0);
		close(fd);
		return;
	}
	ASSERT_EQ_INT(ktcp_socket(SOCK_CLOEXEC), -err);
	ASSERT_EQ_INT(ktcp_socket(0), -err);
}

/*
 * Opens a socket through a family file that names AF_INET, then checks
 * that it is a TCP socket and that @flags, and only they, took effect.
 */
static void check_inet_stream(int flags)
{
	int fd, val, fd_flags, fl_flags;
	socklen_t len;

	fake_family_file("2\n");
	fd = ktcp_socket(flags);
	ASSERT_GE_INT(fd, 0);

	len = sizeof(val);
	ASSERT_EQ_INT(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &val, &len), 0);
	ASSERT_EQ_INT(val, AF_INET);
	len = sizeof(val);
	ASSERT_EQ_INT(getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &len), 0);
	ASSERT_EQ_INT(val, SOCK_STREAM);
	len = sizeof(val);
	ASSERT_EQ_INT(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &val, &len), 0);
	ASSERT_EQ_INT(val, IPPROTO_TCP);

	fd_flags = fcntl(fd, F_GETFD);
	ASSERT_GE_INT(fd_flags, 0);
	ASSERT_EQ_INT(!!(fd_flags & FD_CLOEXEC), !!(flags & SOCK_CLOEXEC));
	fl_flags = fcntl(fd, F_GETFL);
	ASSERT_GE_INT(fl_flags, 0);
	ASSERT_EQ_INT(!!(fl_flags & O_NONBLOCK), !!(flags & SOCK_NONBLOCK));

	ASSERT_EQ_INT(close(fd), 0);
}

TEST(socket_cloexec)
{
	check_inet_stream(SOCK_CLOEXEC);
}

TEST(socket_nonblock)
{
	check_inet_stream(SOCK_NONBLOCK);
}

TEST(socket_nonblock_cloexec)
{
	check_inet_stream(SOCK_NONBLOCK | SOCK_CLOEXEC);
}

TEST(socket_no_flags)
{
	check_inet_stream(0);
}
