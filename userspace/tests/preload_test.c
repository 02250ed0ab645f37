// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libktcp-preload.so.  KTCP_PRELOAD's parser is called
 * directly; everything else runs build/tests/preload-probe, a plain
 * socket program, under LD_PRELOAD and judges what it prints.
 *
 * No ktcp module is needed.  As in socket_test.c, KTCP_FAMILY_PATH
 * names a family the host has in place of ktcp's: AF_INET6 makes a
 * conversion visible (an AF_INET socket that getsockname() shows to
 * be AF_INET6, while SO_DOMAIN, rewritten, still says AF_INET);
 * AF_INET keeps converted sockets working, and a conversion then shows
 * as a new inode behind the same descriptor, or as the library's own
 * KTCP_PRELOAD_VERBOSE=2 log line.  AF_INET also stands in for a ktcp
 * socket that no bind() or connect() gave a family yet: it answers as
 * an unbound AF_INET socket, and the library must make an AF_INET6
 * socket of the program's look native all the same.  A family file that is missing,
 * malformed or names a family no kernel has plays the unloaded module.
 */
#define _GNU_SOURCE	/* dlopen() flags */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../preload/spec.h"

/* --- KTCP_PRELOAD ---------------------------------------------------- */

TEST(spec_unset_empty_and_all_mean_every_socket)
{
	struct preload_spec spec;

	ASSERT_EQ_INT(preload_spec_parse(NULL, &spec), 0);
	ASSERT_EQ_INT(spec.mode, PRELOAD_ALL);
	ASSERT_EQ_INT(preload_spec_parse("", &spec), 0);
	ASSERT_EQ_INT(spec.mode, PRELOAD_ALL);
	ASSERT_EQ_INT(preload_spec_parse("all", &spec), 0);
	ASSERT_EQ_INT(spec.mode, PRELOAD_ALL);
	/* Ports matter only in ports mode. */
	ASSERT_TRUE(!preload_spec_port(&spec, 80));
	ASSERT_EQ_INT(preload_spec_parse("off", &spec), 0);
	ASSERT_EQ_INT(spec.mode, PRELOAD_OFF);
	ASSERT_TRUE(!preload_spec_port(&spec, 80));
}

TEST(spec_ports_lists_exactly_the_ports_and_ranges_given)
{
	struct preload_spec spec;
	unsigned int p, n = 0;

	ASSERT_EQ_INT(preload_spec_parse("ports=80,8080,9000-9003,1,65535", &spec), 0);
	ASSERT_EQ_INT(spec.mode, PRELOAD_PORTS);
	for (p = 0; p <= 65536; p++) {
		bool want = p == 80 || p == 8080 || (p >= 9000 && p <= 9003) ||
			    p == 1 || p == 65535;

		if (preload_spec_port(&spec, p) != want)
			FAIL("port %u: %d", p, !want);
		n += want;
	}
	ASSERT_EQ_INT(n, 8);

	ASSERT_EQ_INT(preload_spec_parse("ports=443", &spec), 0);
	ASSERT_TRUE(preload_spec_port(&spec, 443));
	ASSERT_TRUE(!preload_spec_port(&spec, 80));
	ASSERT_EQ_INT(preload_spec_parse("ports=7-7,7", &spec), 0);
	ASSERT_TRUE(preload_spec_port(&spec, 7));
	ASSERT_TRUE(!preload_spec_port(&spec, 8));
	ASSERT_EQ_INT(preload_spec_parse("ports=1-65535", &spec), 0);
	ASSERT_TRUE(preload_spec_port(&spec, 1) && preload_spec_port(&spec, 65535));
	ASSERT_TRUE(!preload_spec_port(&spec, 0));
}

TEST(spec_malformed_is_einval_and_converts_nothing)
{
	static const char *const bad[] = {
		"ports=", "ports=,", "ports=80,", "ports=,80", "ports=80,,81",
		"ports=0", "ports=65536", "ports=99999999999999999999",
		"ports=080", "ports=80-70", "ports=80-", "ports=-80",
		"ports=80-90-100", "ports=abc", "ports=80 ", "ports= 80",
		"ports=80;81", "ports=+80", "port=80", "ports", "PORTS=80",
		"ALL", "all ", " all", "on", "1", "none", "off,ports=80",
	};
	struct preload_spec spec;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (preload_spec_parse(bad[i], &spec) != -EINVAL)
			FAIL("\"%s\" was accepted", bad[i]);
		if (spec.mode != PRELOAD_OFF)
			FAIL("\"%s\": mode %d", bad[i], spec.mode);
	}
	/* A failed parse leaves no ports behind from a good prefix. */
	ASSERT_EQ_INT(preload_spec_parse("ports=80,x", &spec), -EINVAL);
	ASSERT_TRUE(!preload_spec_port(&spec, 80));
}

/* --- the library under LD_PRELOAD ----------------------------------- */

struct probe {
	int status;	/* exit status, or -1 if it did not exit */
	char out[16384];
	char err[16384];
};

/* build/tests/<name> or build/<name>, next to this test binary. */
static void build_path(char *buf, size_t size, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ASSERT_TRUE(n > 0);
	exe[n] = 0;
	/* exe is .../build/tests/preload-tests */
	ASSERT_TRUE((size_t)snprintf(buf, size, "%s/%s", dirname(exe), rel) < size);
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	ASSERT_TRUE(f != NULL);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

/*
 * Run "preload-probe ARGS..." under the library, in an environment
 * holding none of its variables but those in @env (NAME=VALUE, NULL
 * ended).
 */
static void run_probe(struct probe *p, const char *const *env,
		      const char *const *args)
{
	static const char *const clear[] = {
		"KTCP_PRELOAD", "KTCP_PRELOAD_VERBOSE", "KTCP_PRELOAD_STRICT",
		"KTCP_FAMILY_PATH", "LD_PRELOAD",
	};
	char so[PATH_MAX], probe[PATH_MAX], outp[PATH_MAX], errp[PATH_MAX];
	char *argv[16];
	int status, i;
	pid_t pid;

	build_path(so, sizeof(so), "../libktcp-preload.so");
	build_path(probe, sizeof(probe), "preload-probe");
	ASSERT_TRUE(access(so, R_OK) == 0);
	ASSERT_TRUE(access(probe, X_OK) == 0);
	snprintf(outp, sizeof(outp), "%s/probe.out", harness_tmpdir());
	snprintf(errp, sizeof(errp), "%s/probe.err", harness_tmpdir());

	argv[0] = probe;
	for (i = 0; args[i]; i++) {
		ASSERT_TRUE(i < 14);
		argv[i + 1] = (char *)args[i];
	}
	argv[i + 1] = NULL;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		size_t c;

		for (c = 0; c < sizeof(clear) / sizeof(clear[0]); c++)
			unsetenv(clear[c]);
		for (; *env; env++)
			putenv((char *)*env);
		setenv("LD_PRELOAD", so, 1);
		if (!freopen(outp, "w", stdout) || !freopen(errp, "w", stderr))
			_exit(126);
		execv(probe, argv);
		_exit(127);
	}
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	p->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	read_file(outp, p->out, sizeof(p->out));
	read_file(errp, p->err, sizeof(p->err));
	if (p->status != 0)
		FAIL("probe exit %d\n%s%s", p->status, p->out, p->err);
}

/* The line of @text that starts with the word @name. */
static const char *line_of(const char *text, const char *name)
{
	static char line[1024];
	size_t nlen = strlen(name);
	const char *s = text;

	while (*s) {
		const char *end = strchrnul(s, '\n');

		if ((size_t)(end - s) > nlen && !strncmp(s, name, nlen) &&
		    s[nlen] == ' ') {
			ASSERT_TRUE((size_t)(end - s) < sizeof(line));
			memcpy(line, s, (size_t)(end - s));
			line[end - s] = 0;
			return line;
		}
		s = *end ? end + 1 : end;
	}
	FAIL("no line \"%s ...\" in:\n%s", name, text);
}

/* Whether the space-separated words of @line include @word. */
static bool has_word(const char *line, const char *word)
{
	size_t len = strlen(word);
	const char *s = line;

	while ((s = strstr(s, word))) {
		if ((s == line || s[-1] == ' ') && (!s[len] || s[len] == ' '))
			return true;
		s++;
	}
	return false;
}

/* ASSERT that line NAME of @text holds every word of @words. */
#define ASSERT_LINE(text, name, ...)					\
	do {								\
		const char *const w_[] = { __VA_ARGS__ };		\
		const char *l_ = line_of(text, name);			\
		size_t i_;						\
									\
		for (i_ = 0; i_ < sizeof(w_) / sizeof(w_[0]); i_++)	\
			if (!has_word(l_, w_[i_]))			\
				FAIL("\"%s\" lacks %s", l_, w_[i_]);	\
	} while (0)

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static int count_str(const char *text, const char *s)
{
	int n = 0;

	while ((text = strstr(text, s))) {
		n++;
		text += strlen(s);
	}
	return n;
}

/* "KTCP_FAMILY_PATH=<tmp>/family", the file holding @content. */
static const char *family_env(const char *content)
{
	static char env[PATH_MAX + 32];
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/family", harness_tmpdir());
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs(content, f);
	fclose(f);
	snprintf(env, sizeof(env), "KTCP_FAMILY_PATH=%s", path);
	return env;
}

#define NO_MODULE	"KTCP_FAMILY_PATH=/nonexistent/ktcp/family"
#define SFX(x)		#x
#define S(x)		SFX(x)

/* glibc makes these enums, which the preprocessor cannot spell. */
#define STR_SOCK_STREAM		"1"
#define STR_SOCK_DGRAM		"2"
#define STR_IPPROTO_TCP		"6"
#define STR_IPPROTO_UDP		"17"
_Static_assert(SOCK_STREAM == 1 && SOCK_DGRAM == 2 && IPPROTO_TCP == 6 &&
	       IPPROTO_UDP == 17, "the numbers of the strings above");

static void probe_sockets(struct probe *p, const char *const *env)
{
	static const char *const args[] = { "sockets", NULL };

	run_probe(p, env, args);
}

TEST(all_moves_inet_stream_sockets_with_their_flags)
{
	const char *env[] = { family_env(S(AF_INET6) "\n"), NULL };
	struct probe p;

	probe_sockets(&p, env);
	/* Really AF_INET6 ("ktcp"), yet SO_DOMAIN says AF_INET. */
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET6), "domain=" S(AF_INET),
		    "type=" STR_SOCK_STREAM, "proto=" STR_IPPROTO_TCP,
		    "nonblock=0", "cloexec=0", "errno=kept");
	ASSERT_LINE(p.out, "inet_tcp", "real=" S(AF_INET6), "domain=" S(AF_INET),
		    "errno=kept");
	ASSERT_LINE(p.out, "inet_flags", "real=" S(AF_INET6), "domain=" S(AF_INET),
		    "nonblock=1", "cloexec=1", "errno=kept");
	/* No warning: ktcp was there. */
	ASSERT_STR(p.err, "");
}

TEST(all_passes_udp_unix_and_bad_calls_through)
{
	const char *env[] = { family_env(S(AF_INET6) "\n"), NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_udp", "real=" S(AF_INET), "type=" STR_SOCK_DGRAM,
		    "proto=" STR_IPPROTO_UDP, "errno=kept");
	ASSERT_LINE(p.out, "unix_stream", "real=" S(AF_UNIX), "domain=" S(AF_UNIX),
		    "type=" STR_SOCK_STREAM, "errno=kept");
	/* The native errors, not ktcp's (which would differ for these). */
	ASSERT_LINE(p.out, "inet_stream_udp_proto", "error=" S(EPROTONOSUPPORT));
	ASSERT_LINE(p.out, "inet_bad_type", "error=" S(EINVAL));
}

TEST(all_moves_inet6_stream_sockets_that_stay_inet6_to_the_program)
{
	/* ktcp as AF_INET: a ktcp socket with no family yet. */
	const char *env[] = { family_env(S(AF_INET)), "KTCP_PRELOAD=all",
			      "KTCP_PRELOAD_VERBOSE=2", NULL };
	struct probe p;

	probe_sockets(&p, env);
	/* getsockname() and SO_DOMAIN say AF_INET6, as they would natively. */
	ASSERT_LINE(p.out, "inet6_stream", "real=" S(AF_INET6),
		    "domain=" S(AF_INET6), "type=" STR_SOCK_STREAM,
		    "proto=" STR_IPPROTO_TCP, "errno=kept");
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "domain=" S(AF_INET));
	/* The library's own word: the three AF_INET and the AF_INET6 stream. */
	ASSERT_EQ_INT(count_str(p.err, "is on ktcp (socket)"), 4);
	ASSERT_EQ_INT(count_lines(p.err), 4);
}

static void probe_families(struct probe *p, const char *const *env)
{
	static const char *const args[] = { "families", NULL };

	run_probe(p, env, args);
}

TEST(unbound_inet6_and_wrong_family_addresses_answer_as_native)
{
	const char *native[] = { "KTCP_PRELOAD=off", NULL };
	const char *ktcp[] = { family_env(S(AF_INET)), "KTCP_PRELOAD_VERBOSE=2",
			       NULL };
	struct probe n, k;

	probe_families(&n, native);
	ASSERT_STR(n.err, "");
	/* What native TCP says, spelled out once. */
	ASSERT_LINE(n.out, "name6", "len=28", "domain=" S(AF_INET6),
		    "bytes=0a00" "0000" "00000000" /* port, flow */
		    "00000000000000000000000000000000" "00000000" /* ::, scope */);
	ASSERT_LINE(n.out, "name6_short", "len=28", "bytes=0a0000000000a5a5");
	ASSERT_LINE(n.out, "name6_badaddr", "ret=-1", "errno=" S(EFAULT));
	ASSERT_LINE(n.out, "bind6_sin", "ret=-1", "errno=" S(EINVAL));
	ASSERT_LINE(n.out, "bind6_sin_long", "ret=-1", "errno=" S(EAFNOSUPPORT));
	ASSERT_LINE(n.out, "connect6_sin_long", "ret=-1", "errno=" S(EAFNOSUPPORT));
	ASSERT_LINE(n.out, "bind4_sin6", "ret=-1", "errno=" S(EAFNOSUPPORT));
	ASSERT_LINE(n.out, "after6", "len=28", "family=" S(AF_INET6), "port=0");

	/* The same, word for word, from the converted sockets. */
	probe_families(&k, ktcp);
	ASSERT_STR(k.out, n.out);
	ASSERT_EQ_INT(count_str(k.err, "is on ktcp (socket)"), 2);
	ASSERT_EQ_INT(count_lines(k.err), 2);
}

TEST(off_and_ports_modes_leave_socket_alone)
{
	const char *off[] = { family_env(S(AF_INET6)), "KTCP_PRELOAD=off", NULL };
	const char *ports[] = { family_env(S(AF_INET6)), "KTCP_PRELOAD=ports=80",
				NULL };
	struct probe p;

	probe_sockets(&p, off);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "errno=kept");
	ASSERT_STR(p.err, "");
	probe_sockets(&p, ports);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "errno=kept");
	ASSERT_LINE(p.out, "inet_flags", "real=" S(AF_INET), "nonblock=1", "cloexec=1");
	ASSERT_STR(p.err, "");
}

TEST(malformed_spec_warns_and_moves_nothing)
{
	const char *env[] = { family_env(S(AF_INET6)), "KTCP_PRELOAD=ports=0",
			      NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET));
	ASSERT_EQ_INT(count_lines(p.err), 1);
	ASSERT_TRUE(strstr(p.err, "libktcp-preload: cannot parse KTCP_PRELOAD=ports=0"));
}

TEST(without_module_falls_back_to_native_and_warns_once)
{
	const char *env[] = { NO_MODULE, NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "domain=" S(AF_INET),
		    "errno=kept");
	ASSERT_LINE(p.out, "inet_tcp", "real=" S(AF_INET), "errno=kept");
	ASSERT_LINE(p.out, "inet_flags", "real=" S(AF_INET), "nonblock=1",
		    "cloexec=1", "errno=kept");
	/* Three sockets, one line. */
	ASSERT_EQ_INT(count_lines(p.err), 1);
	ASSERT_TRUE(strstr(p.err, "libktcp-preload: the ktcp module is not loaded"));
	ASSERT_TRUE(strstr(p.err, ": using native TCP\n"));
}

TEST(without_module_verbose_0_is_silent)
{
	const char *env[] = { NO_MODULE, "KTCP_PRELOAD_VERBOSE=0", NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "errno=kept");
	ASSERT_STR(p.err, "");
}

TEST(without_module_strict_fails_with_eafnosupport)
{
	const char *env[] = { NO_MODULE, "KTCP_PRELOAD_STRICT=1", NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_stream", "error=" S(EAFNOSUPPORT));
	ASSERT_LINE(p.out, "inet_flags", "error=" S(EAFNOSUPPORT));
	/* What would never be ktcp's still works. */
	ASSERT_LINE(p.out, "inet_udp", "real=" S(AF_INET));
	ASSERT_LINE(p.out, "inet6_stream", "error=" S(EAFNOSUPPORT));
	ASSERT_EQ_INT(count_lines(p.err), 1);
	ASSERT_TRUE(strstr(p.err, "failing (KTCP_PRELOAD_STRICT=1)"));
}

TEST(family_the_kernel_lacks_falls_back)
{
	/* Above AF_MAX: socket() says EAFNOSUPPORT, as for an unloaded module. */
	const char *env[] = { family_env("254\n"), NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "errno=kept");
	ASSERT_EQ_INT(count_lines(p.err), 1);
	ASSERT_TRUE(strstr(p.err, "the kernel does not support the family"));
}

TEST(malformed_family_file_falls_back)
{
	const char *env[] = { family_env("ktcp\n"), NULL };
	struct probe p;

	probe_sockets(&p, env);
	ASSERT_LINE(p.out, "inet_stream", "real=" S(AF_INET), "errno=kept");
	ASSERT_EQ_INT(count_lines(p.err), 1);
	ASSERT_TRUE(strstr(p.err, "no family number in"));
}

TEST(threads_and_a_forked_child_all_move)
{
	static const char *const args[] = { "threads", NULL };
	const char *env[] = { family_env(S(AF_INET6)), NULL };
	struct probe p;

	run_probe(&p, env, args);
	ASSERT_LINE(p.out, "threads", "real=" S(AF_INET6), "domain=" S(AF_INET),
		    "child=ok");
	ASSERT_STR(p.err, "");
}

/* A free TCP port on 127.0.0.1 (free when this returns, anyway). */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ASSERT_GE_INT(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ_INT(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ASSERT_EQ_INT(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int default_rcvbuf(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), val;
	socklen_t len = sizeof(val);

	ASSERT_GE_INT(fd, 0);
	ASSERT_EQ_INT(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len), 0);
	close(fd);
	return val;
}

struct lazy_ports {
	char port[8], port2[8], other[8];
	char spec[64];
};

static void lazy_ports(struct lazy_ports *lp)
{
	int a = free_port(), b, c;

	do
		b = free_port();
	while (b == a);
	do
		c = free_port();
	while (c == a || c == b);
	snprintf(lp->port, sizeof(lp->port), "%d", a);
	snprintf(lp->port2, sizeof(lp->port2), "%d", b);
	snprintf(lp->other, sizeof(lp->other), "%d", c);
	snprintf(lp->spec, sizeof(lp->spec), "KTCP_PRELOAD=ports=%d,%d", a, b);
}

TEST(ports_moves_at_bind_and_connect_with_flags_and_options)
{
	struct lazy_ports lp;
	const char *env[] = { family_env(S(AF_INET)), lp.spec,
			      "KTCP_PRELOAD_VERBOSE=2", NULL };
	const char *args[] = { "lazy", lp.port, lp.port2, lp.other, NULL };
	char rcvbuf[32], before[1024];
	struct probe p;

	lazy_ports(&lp);
	run_probe(&p, env, args);

	/* Everything the program set before bind() is still there after. */
	snprintf(before, sizeof(before), "%s", line_of(p.out, "listener_before"));
	ASSERT_TRUE(has_word(before, "reuseaddr=1") && has_word(before, "keepidle=77"));
	ASSERT_LINE(p.out, "listener", "converted=1", "ret=0", "errno=kept",
		    "nonblock=1", "cloexec=1", "reuseaddr=1", "nodelay=1",
		    "keepalive=1", "keepidle=77", "linger=1/5", "rcvtimeo=3",
		    "domain=" S(AF_INET));
	ASSERT_TRUE(strstr(before, "rcvbuf="));
	snprintf(rcvbuf, sizeof(rcvbuf), "%.*s", (int)strcspn(strstr(before, "rcvbuf="), " "),
		 strstr(before, "rcvbuf="));
	ASSERT_LINE(p.out, "listener", rcvbuf);

	/* connect() to a listed port; the connection carries data. */
	ASSERT_LINE(p.out, "client", "converted=1", "ret=0", "errno=kept",
		    "nonblock=0", "cloexec=0");
	ASSERT_TRUE(strstr(p.out, "\ndata ok\n"));

	/* Nothing set, nothing gained. */
	snprintf(rcvbuf, sizeof(rcvbuf), "rcvbuf=%d", default_rcvbuf());
	ASSERT_LINE(p.out, "plain", "converted=1", "ret=0", "nonblock=0",
		    "cloexec=0", "reuseaddr=0", "nodelay=0", "keepalive=0",
		    "linger=0/0", "rcvtimeo=0", rcvbuf);

	/* EINPROGRESS of the converted socket reaches the program. */
	ASSERT_LINE(p.out, "nonblocking", "converted=1", "ret=-1",
		    "errno=" S(EINPROGRESS), "nonblock=1");

	/* Four conversions, and no option left behind. */
	ASSERT_EQ_INT(count_str(p.err, "is on ktcp ("), 4);
	ASSERT_EQ_INT(count_lines(p.err), 4);
}

TEST(ports_leaves_other_ports_bound_sockets_and_udp_alone)
{
	struct lazy_ports lp;
	const char *env[] = { family_env(S(AF_INET)), lp.spec, NULL };
	const char *args[] = { "lazy", lp.port, lp.port2, lp.other, NULL };
	struct probe p;

	lazy_ports(&lp);
	run_probe(&p, env, args);
	ASSERT_LINE(p.out, "other", "converted=0", "ret=0", "errno=kept");
	ASSERT_LINE(p.out, "prebound", "converted=0", "ret=0");
	ASSERT_LINE(p.out, "udp", "converted=0", "ret=0", "type=" STR_SOCK_DGRAM);
	/* Errors of the native calls, unchanged. */
	ASSERT_LINE(p.out, "badfd", "ret=-1", "errno=" S(EBADF));
	ASSERT_LINE(p.out, "pipe", "ret=-1", "errno=" S(ENOTSOCK));
	ASSERT_STR(p.err, "");
}

TEST(ports_moves_inet6_at_bind_and_connect_with_ipv6_v6only)
{
	struct lazy_ports lp;
	/* ktcp as AF_INET6, which an AF_INET6 bind() or connect() makes it. */
	const char *env[] = { family_env(S(AF_INET6)), lp.spec,
			      "KTCP_PRELOAD_VERBOSE=2", NULL };
	const char *args[] = { "lazy6", lp.port, lp.other, NULL };
	struct probe p;

	lazy_ports(&lp);
	run_probe(&p, env, args);
	ASSERT_LINE(p.out, "listener6", "converted=1", "ret=0", "errno=kept",
		    "family=" S(AF_INET6), "v6only=1", "domain=" S(AF_INET6));
	ASSERT_LINE(p.out, "client6", "converted=1", "ret=0", "errno=kept",
		    "family=" S(AF_INET6), "v6only=0", "domain=" S(AF_INET6));
	ASSERT_TRUE(strstr(p.out, "\ndata6 ok\n"));
	ASSERT_LINE(p.out, "other6", "converted=0", "ret=0", "errno=kept");
	/* An address of the other family: not moved, native errno. */
	ASSERT_LINE(p.out, "inet_addr6", "converted=0", "ret=-1",
		    "errno=" S(EINVAL));
	ASSERT_LINE(p.out, "inet6_addr", "converted=0", "ret=-1",
		    "errno=" S(EAFNOSUPPORT));
	ASSERT_EQ_INT(count_str(p.err, "is on ktcp (bind port "), 1);
	ASSERT_EQ_INT(count_str(p.err, "is on ktcp (connect port "), 1);
	ASSERT_EQ_INT(count_lines(p.err), 2);
}

TEST(ports_without_module_stays_native_and_warns_once)
{
	struct lazy_ports lp;
	const char *env[] = { NO_MODULE, lp.spec, NULL };
	const char *args[] = { "lazy", lp.port, lp.port2, lp.other, NULL };
	struct probe p;

	lazy_ports(&lp);
	run_probe(&p, env, args);
	ASSERT_LINE(p.out, "listener", "converted=0", "ret=0", "errno=kept",
		    "reuseaddr=1", "nonblock=1");
	ASSERT_LINE(p.out, "client", "converted=0", "ret=0", "errno=kept");
	ASSERT_TRUE(strstr(p.out, "\ndata ok\n"));
	ASSERT_LINE(p.out, "nonblocking", "converted=0", "errno=" S(EINPROGRESS));
	ASSERT_EQ_INT(count_lines(p.err), 1);
	ASSERT_TRUE(strstr(p.err, "the ktcp module is not loaded"));
}

/* Whether @name, looked up through @h, is the one in file @so. */
static bool defined_in(void *h, const char *name, const char *so)
{
	void *sym = dlsym(h, name);
	Dl_info info;

	return sym && dladdr(sym, &info) && info.dli_fname &&
	       !strcmp(info.dli_fname, so);
}

TEST(library_exports_only_the_calls_it_replaces)
{
	char so[PATH_MAX];
	void *h;

	build_path(so, sizeof(so), "../libktcp-preload.so");
	h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		FAIL("dlopen: %s", dlerror());
	ASSERT_TRUE(defined_in(h, "socket", so));
	ASSERT_TRUE(defined_in(h, "bind", so));
	ASSERT_TRUE(defined_in(h, "connect", so));
	ASSERT_TRUE(defined_in(h, "getsockopt", so));
	ASSERT_TRUE(defined_in(h, "getsockname", so));
	ASSERT_TRUE(defined_in(h, "listen", so));
	/* libktcp's code inside must not interpose on a program's libktcp. */
	ASSERT_TRUE(!dlsym(h, "ktcp_family_from_path"));
	ASSERT_TRUE(!dlsym(h, "ktcp_family"));
	ASSERT_TRUE(!dlsym(h, "preload_spec_parse"));
	dlclose(h);
}
