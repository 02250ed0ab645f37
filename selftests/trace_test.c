// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test - ktcp's tracepoints (ktcp:*) tell what native's tell, in
 * native's layout.  One scripted connection on each stack, in a network
 * namespace of its own: handshake, data with a loss (an nft rule drops
 * the data on input until the retransmission timer has fired), and an abort
 * (SO_LINGER {1, 0}); the events are read back from a private tracefs
 * instance and held to what the stack did.  The same assertions run on
 * native's events (sock:inet_sock_set_state, tcp:tcp_probe,
 * tcp:tcp_retransmit_skb, tcp:tcp_send_reset, tcp:tcp_receive_reset)
 * and on ktcp's, which differ only in their names: that is the promise
 * the events make to existing scripts, and their format files are
 * compared field by field.  ktcp alone has events for SYN cookies and
 * for the segments it drops.  Needs root, tracefs and nft.
 * KTCP_SELFTEST_INET_ONLY=1 skips the ktcp variant.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define PORT_CONN	40301
#define PORT_COOKIE	40302
#define PORT_BOUND	40303	/* bound, not listening */
#define DATA_BYTES	1000
#define TRACE_MAX	(4 << 20)

FIXTURE(trace) {
	int family;
	char instance[128];
	char *text;	/* the instance's trace, once read */
	int misses;	/* expected events not found */
};

KTCP_FAMILY_VARIANTS(trace, native);

/* @path under the test's tracefs instance. */
static void instance_path(FIXTURE_DATA(trace) *self, char *buf, size_t len,
			  const char *path)
{
	snprintf(buf, len, "%s/%s", self->instance, path);
}

/* Enables event @event ("ktcp/ktcp_probe") in the test's instance. */
static int enable_event(FIXTURE_DATA(trace) *self, const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/enable", self->instance,
		 event);
	return write_file(path, "1");
}

FIXTURE_SETUP(trace)
{
	int family6;
	struct stat st;

	self->text = NULL;
	self->misses = 0;
	KTCP_VARIANT_FAMILIES(variant->ktcp, self->family, family6);
	(void)family6;
	if (stat(TRACEFS "/instances", &st))
		ASSERT_EQ(0, mount("tracefs", TRACEFS, "tracefs", 0, NULL))
			TH_LOG("mount tracefs: %s", strerror(errno));
	snprintf(self->instance, sizeof(self->instance),
		 TRACEFS "/instances/ktcp_trace_test_%d", getpid());
	ASSERT_EQ(0, mkdir(self->instance, 0700))
		TH_LOG("mkdir %s: %s", self->instance, strerror(errno));
	enter_private_netns(_metadata);
}

FIXTURE_TEARDOWN(trace)
{
	free(self->text);
	rmdir(self->instance);
}

/* Reads the instance's trace into self->text. */
static void read_trace(struct __test_metadata *_metadata,
		       FIXTURE_DATA(trace) *self)
{
	char path[256];
	size_t got = 0;
	ssize_t n;
	int fd;

	instance_path(self, path, sizeof(path), "trace");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	self->text = malloc(TRACE_MAX + 1);
	ASSERT_NE(NULL, self->text);
	while (got < TRACE_MAX &&
	       (n = read(fd, self->text + got, TRACE_MAX - got)) > 0)
		got += n;
	self->text[got] = '\0';
	close(fd);
}

/* Does a line of the trace name @event and hold @what ("" for any)? */
static bool traced(const FIXTURE_DATA(trace) *self, const char *event,
		   const char *what)
{
	char name[96];
	const char *line = self->text;

	snprintf(name, sizeof(name), " %s: ", event);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *at = memmem(line, len, name, strlen(name));

		if (at && memmem(at, len - (at - line), what, strlen(what)))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* The field names of event @event's format file, one string. */
static void format_fields(const FIXTURE_DATA(trace) *self, const char *event,
			  char *out, size_t len)
{
	char path[256], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s/format", self->instance,
		 event);
	out[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *field = strstr(line, "field:"), *semi, *name;

		/* Past the common_ fields every event has. */
		if (!field || strstr(line, "common_"))
			continue;
		semi = strchr(field, ';');
		if (!semi)
			continue;
		*semi = '\0';
		name = strrchr(field, ' ');
		name = name ? name + 1 : field + strlen("field:");
		*strchrnul(name, '[') = '\0';
		snprintf(out + strlen(out), len - strlen(out), " %s ", name);
	}
	fclose(f);
}

/* A stream socket of the fixture's family, with the suite's timeouts. */
static int trace_socket(struct __test_metadata *_metadata,
			FIXTURE_DATA(trace) *self)
{
	int fd = socket(self->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	set_test_sock_opts(_metadata, fd, 10000);
	return fd;
}

static int listen_on(struct __test_metadata *_metadata,
		     FIXTURE_DATA(trace) *self, int port)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", port);
	int fd = trace_socket(_metadata, self);

	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("bind %d: %s", port, strerror(errno));
	ASSERT_EQ(0, listen(fd, 16));
	return fd;
}

static int connect_to(struct __test_metadata *_metadata,
		      FIXTURE_DATA(trace) *self, int port)
{
	struct sockaddr_in sin = sin_of(AF_INET, "127.0.0.1", port);
	int fd = trace_socket(_metadata, self);

	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("connect %d: %s", port, strerror(errno));
	return fd;
}

/*
 * The script: a connection whose data the firewall drops until the
 * sender has retransmitted, then an abort; for ktcp also a connection
 * made by a SYN cookie and a SYN to a port bound but not listening.
 */
static void run_script(struct __test_metadata *_metadata,
		       FIXTURE_DATA(trace) *self, bool ktcp)
{
	char data[DATA_BYTES], in[DATA_BYTES];
	struct sockaddr_in sin;
	int listener, client, server, bound;
	size_t got = 0;

	memset(data, 'x', sizeof(data));
	listener = listen_on(_metadata, self, PORT_CONN);
	client = connect_to(_metadata, self, PORT_CONN);
	server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, server) TH_LOG("accept: %s", strerror(errno));

	/*
	 * Data segments alone are long enough to meet the rule.  On input:
	 * what a rule drops on output never left, the sender's send
	 * failed (both stacks then wait for their probe timer, and send
	 * it as new data, no retransmission).
	 */
	ASSERT_EQ(0, run_cmd("nft 'add table inet ktcp_trace; "
			     "add chain inet ktcp_trace in { type filter hook input priority 0; }; "
			     "add rule inet ktcp_trace in tcp dport %d meta length > 200 counter drop'",
			     PORT_CONN));
	ASSERT_EQ(0, send_all(client, data, sizeof(data)));
	msleep(700);
	ASSERT_EQ(0, run_cmd("nft delete table inet ktcp_trace"));
	while (got < sizeof(in)) {
		ssize_t n = recv(server, in + got, sizeof(in) - got, 0);

		ASSERT_LT(0, n) TH_LOG("recv after %zu bytes: %s", got,
				       n ? strerror(errno) : "EOF");
		got += n;
	}

	/* An abort: RST from the server, ECONNRESET at the client. */
	set_linger_zero(_metadata, server);
	ASSERT_EQ(0, close(server));
	ASSERT_EQ(-1, recv(client, in, sizeof(in), 0));
	ASSERT_EQ(ECONNRESET, errno);
	close(client);
	close(listener);
	if (!ktcp)
		return;

	/* Cookies for every SYN: one made, one checked. */
	ASSERT_EQ(0, write_file("/proc/sys/net/ktcp/syncookies", "2"));
	listener = listen_on(_metadata, self, PORT_COOKIE);
	client = connect_to(_metadata, self, PORT_COOKIE);
	server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, server) TH_LOG("accept: %s", strerror(errno));
	close(server);
	close(client);
	close(listener);

	/* A port ktcp holds with no connection: RST and a drop. */
	bound = trace_socket(_metadata, self);
	sin = sin_of(AF_INET, "127.0.0.1", PORT_BOUND);
	ASSERT_EQ(0, bind(bound, (struct sockaddr *)&sin, sizeof(sin)));
	client = trace_socket(_metadata, self);
	ASSERT_EQ(-1, connect(client, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(ECONNREFUSED, errno);
	close(client);
	close(bound);
}

/* Native's event of @native_name, or ktcp's of @ktcp_name. */
#define EVENT(ktcp, native_name, ktcp_name) ((ktcp) ? (ktcp_name) : (native_name))

/* Expects a line of @event holding @what, and counts a miss. */
static void expect_traced(struct __test_metadata *_metadata,
			  FIXTURE_DATA(trace) *self, const char *event,
			  const char *what)
{
	bool found = traced(self, event, what);

	self->misses += !found;
	EXPECT_TRUE(found) TH_LOG("no %s event with \"%s\"", event, what);
}

TEST_F_TIMEOUT(trace, a_scripted_connection_with_loss_traces_as_native, 60)
{
	static const struct {
		const char *system, *native, *ktcp;
	} events[] = {
		{ "sock", "inet_sock_set_state", "ktcp_set_state" },
		{ "tcp", "tcp_probe", "ktcp_probe" },
		{ "tcp", "tcp_retransmit_skb", "ktcp_retransmit_skb" },
		{ "tcp", "tcp_send_reset", "ktcp_send_reset" },
		{ "tcp", "tcp_receive_reset", "ktcp_receive_reset" },
	};
	bool ktcp = variant->ktcp;
	char dport[32];
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		char event[96];

		snprintf(event, sizeof(event), "%s/%s",
			 ktcp ? "ktcp" : events[i].system,
			 ktcp ? events[i].ktcp : events[i].native);
		ASSERT_EQ(0, enable_event(self, event))
			TH_LOG("enable %s", event);
	}
	if (ktcp) {
		ASSERT_EQ(0, enable_event(self, "ktcp/ktcp_syncookie_sent"));
		ASSERT_EQ(0, enable_event(self, "ktcp/ktcp_syncookie_check"));
		ASSERT_EQ(0, enable_event(self, "ktcp/ktcp_drop"));
	}

	run_script(_metadata, self, ktcp);
	read_trace(_metadata, self);

	snprintf(dport, sizeof(dport), "dport=%d", PORT_CONN);
	expect_traced(_metadata, self,
		      EVENT(ktcp, "inet_sock_set_state", "ktcp_set_state"),
		      "oldstate=TCP_SYN_SENT newstate=TCP_ESTABLISHED");
	expect_traced(_metadata, self,
		      EVENT(ktcp, "inet_sock_set_state", "ktcp_set_state"),
		      "newstate=TCP_CLOSE");
	expect_traced(_metadata, self, EVENT(ktcp, "tcp_probe", "ktcp_probe"),
		      "snd_cwnd=");
	expect_traced(_metadata, self,
		      EVENT(ktcp, "tcp_retransmit_skb", "ktcp_retransmit_skb"),
		      dport);
	expect_traced(_metadata, self,
		      EVENT(ktcp, "tcp_send_reset", "ktcp_send_reset"), "");
	expect_traced(_metadata, self,
		      EVENT(ktcp, "tcp_receive_reset", "ktcp_receive_reset"),
		      "");
	if (ktcp) {
		expect_traced(_metadata, self, "ktcp_retransmit_skb",
			      "reason=KTCP_RTX_RTO");
		expect_traced(_metadata, self, "ktcp_send_reset",
			      "reason=RstAbortOnLinger");
		expect_traced(_metadata, self, "ktcp_syncookie_sent", "mss=");
		expect_traced(_metadata, self, "ktcp_syncookie_check", "mss=");
		EXPECT_FALSE(traced(self, "ktcp_syncookie_check", "mss=0"))
			TH_LOG("the cookie was not found valid");
		expect_traced(_metadata, self, "ktcp_drop",
			      "reason=KTCP_DROP_NO_SOCKET");
		expect_traced(_metadata, self, "ktcp_send_reset",
			      "reason=RstNoSocket");
	}
	if (self->misses)
		TH_LOG("trace:\n%.6000s", self->text);

	/* The fields a script reads: all of native's are in ktcp's. */
	if (ktcp) {
		for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
			char native[2048], mine[2048], event[96], *f, *save;

			if (!strcmp(events[i].native, "tcp_send_reset") ||
			    !strcmp(events[i].native, "tcp_receive_reset"))
				continue;	/* their layouts changed in 6.10 */
			snprintf(event, sizeof(event), "%s/%s",
				 events[i].system, events[i].native);
			format_fields(self, event, native, sizeof(native));
			snprintf(event, sizeof(event), "ktcp/%s", events[i].ktcp);
			format_fields(self, event, mine, sizeof(mine));
			ASSERT_NE('\0', native[0]) TH_LOG("no format for %s", event);
			for (f = strtok_r(native, " ", &save); f;
			     f = strtok_r(NULL, " ", &save)) {
				char word[96];

				snprintf(word, sizeof(word), " %s ", f);
				EXPECT_NE(NULL, strstr(mine, word))
					TH_LOG("%s lacks native's field %s",
					       events[i].ktcp, f);
			}
		}
	}
}

TEST_HARNESS_MAIN
