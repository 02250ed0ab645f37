// SPDX-License-Identifier: GPL-2.0
/*
 * netfilter_test - the host's firewall governs ktcp as it governs native
 * TCP: the same nft and iptables rules, on native TCP and on ktcp, same
 * outcome.  Input rules that drop or reject, a default-drop policy that
 * lets through only what conntrack knows ("ct state"), REDIRECT and
 * DNAT onto a listener, and output rules on the sending user
 * ("meta skuid", "-m owner").
 *
 * The rules' own counters are the witness that the segments passed
 * through them: neither stack's counters are asked.  Every test runs
 * between two network namespaces of its own joined by a veth pair: the
 * server's (the test's, unshared) and the client's (named, "ip netns"),
 * so that a connection comes in from outside as on a host (on lo, the
 * sender's conntrack entry would already be confirmed) and its rules
 * are gone with it.  Needs root, ip, nft and iptables (iptables-nft).
 * KTCP_SELFTEST_INET_ONLY=1 skips the ktcp variants.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define PORT_S		40101	/* the listener */
#define PORT_NAT	40180	/* what REDIRECT and DNAT rules rewrite */
#define NOBODY		65534
#define XFER_BYTES	(32 * 1024)

/* The packets the first counter of nft chain inet ktcp_nf @chain counted. */
static long nft_packets(const char *chain)
{
	char cmd[128], line[512];
	long packets = -1;
	const char *p;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nft list chain inet ktcp_nf %s", chain);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "counter packets ");
		if (p && packets < 0)
			packets = strtol(p + strlen("counter packets "), NULL,
					 10);
	}
	pclose(f);
	return packets;
}

/* The packets the first rule of @tool's (iptables, ip6tables) @chain matched. */
static long ipt_packets(const char *tool, const char *chain)
{
	char cmd[128], line[512];
	long packets = -1;
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s -L %s -v -x -n", tool, chain);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	/* A title line and a column header, then the rules. */
	while (fgets(line, sizeof(line), f))
		if (++n == 3 && sscanf(line, " %ld", &packets) != 1)
			packets = -1;
	pclose(f);
	return packets;
}

#define SERVER		"10.99.0.1"
#define CLIENT		"10.99.0.2"
#define SERVER6		"fd99::1"
#define ELSEWHERE	"192.0.2.1"	/* routed to the server, not its own */

FIXTURE(nf) {
	int family;	/* for IPv4 */
	int family6;	/* for IPv6: ktcp has one family for both */
	int server_ns;	/* the test's own namespace */
	int client_ns;
	char client_name[32];
	int fds[8];
	int nfds;
};

KTCP_FAMILY_VARIANTS(nf, inet);

FIXTURE_SETUP(nf)
{
	char path[64];

	self->nfds = 0;
	KTCP_VARIANT_FAMILIES(variant->ktcp, self->family, self->family6);
	enter_private_netns(_metadata);
	self->server_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->server_ns);
	snprintf(self->client_name, sizeof(self->client_name), "ktcp-nf-%d",
		 getpid());
	/* One ip process a namespace: process starts are what cost here. */
	ASSERT_EQ(0, run_cmd("ip netns add %s && ip -b - <<EOF\n"
			 "link add ktcp_s type veth peer name ktcp_c netns %s\n"
			 "addr add " SERVER "/24 dev ktcp_s\n"
			 "addr add " SERVER6 "/64 dev ktcp_s nodad\n"
			 "link set ktcp_s up\n"
			 "EOF", self->client_name, self->client_name));
	ASSERT_EQ(0, run_cmd("ip -n %s -b - <<EOF\n"
			 "link set lo up\n"
			 "addr add " CLIENT "/24 dev ktcp_c\n"
			 "addr add fd99::2/64 dev ktcp_c nodad\n"
			 "link set ktcp_c up\n"
			 "route add 192.0.2.0/24 via " SERVER "\n"
			 "EOF", self->client_name));
	snprintf(path, sizeof(path), "/run/netns/%s", self->client_name);
	self->client_ns = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->client_ns);
}

FIXTURE_TEARDOWN(nf)
{
	while (self->nfds)
		close(self->fds[--self->nfds]);
	if (self->client_name[0])
		run_cmd("ip netns del %s", self->client_name);
}

/* What follows runs in the client's namespace (sockets, rules). */
static void in_client(struct __test_metadata *_metadata,
		      FIXTURE_DATA(nf) *self)
{
	ASSERT_EQ(0, setns(self->client_ns, CLONE_NEWNET))
		TH_LOG("setns: %s", strerror(errno));
}

static void in_server(struct __test_metadata *_metadata,
		      FIXTURE_DATA(nf) *self)
{
	ASSERT_EQ(0, setns(self->server_ns, CLONE_NEWNET))
		TH_LOG("setns: %s", strerror(errno));
}

static int nf_socket(struct __test_metadata *_metadata,
		     FIXTURE_DATA(nf) *self, int family)
{
	int fd = socket(family, SOCK_STREAM, 0);

	ASSERT_GE(fd, 0) TH_LOG("socket: %s", strerror(errno));
	set_test_sock_opts(_metadata, fd, 5000);
	self->fds[self->nfds++] = fd;
	return fd;
}

static struct sockaddr_in6 sin6_of_str(const char *ip, unsigned short port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, ip, &sin6.sin6_addr);
	sin6.sin6_port = htons(port);
	return sin6;
}

/* A listener on @addr. */
static int nf_listen(struct __test_metadata *_metadata,
		     FIXTURE_DATA(nf) *self, const struct sockaddr *addr,
		     socklen_t len)
{
	int fd = nf_socket(_metadata, self, addr->sa_family == AF_INET6 ?
			   self->family6 : self->family);

	ASSERT_EQ(0, bind(fd, addr, len)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, 8)) TH_LOG("listen: %s", strerror(errno));
	return fd;
}

/*
 * Start a connect of @fd to @addr and wait at most @ms for its end:
 * 0 when connected, -errno when it failed, -EINPROGRESS when it is
 * still under way (then it goes on, and may be waited for again).
 */
static int connect_within(int fd, const struct sockaddr *addr,
			  socklen_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int err = 0;

	if (addr) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (!connect(fd, addr, len))
			goto done;
		if (errno != EINPROGRESS)
			return -errno;
	}
	if (poll(&p, 1, ms) != 1)
		return -EINPROGRESS;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return -errno;
	if (err)
		return -err;
done:
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return 0;
}

/*
 * Accept @client's connection on @listener and send XFER_BYTES each way
 * through it, checking every byte.
 */
static void exchange(struct __test_metadata *_metadata,
		     FIXTURE_DATA(nf) *self, int listener, int client)
{
	static unsigned char out[XFER_BYTES], in[XFER_BYTES];
	struct stream s;
	int server, dir;

	server = accept(listener, NULL, NULL);
	ASSERT_GE(server, 0) TH_LOG("accept: %s", strerror(errno));
	self->fds[self->nfds++] = server;
	for (dir = 0; dir < 2; dir++) {
		int from = dir ? server : client, to = dir ? client : server;
		size_t got = 0;

		stream_init(&s, 7 + dir);
		stream_fill(&s, out, sizeof(out));
		ASSERT_EQ(0, send_all(from, out, sizeof(out)));
		while (got < sizeof(in)) {
			ssize_t n = recv(to, in + got, sizeof(in) - got, 0);

			ASSERT_LT(0, n) TH_LOG("recv after %zu bytes: %s", got,
					       n ? strerror(errno) : "EOF");
			got += n;
		}
		ASSERT_EQ(0, memcmp(in, out, sizeof(in)))
			TH_LOG("bytes differ, direction %d", dir);
	}
}

/* nft rules on the input hook of the current namespace, one command. */
#define NFT_INPUT(rules)						\
	"nft 'add table inet ktcp_nf; "					\
	"add chain inet ktcp_nf in { type filter hook input priority 0; }; " \
	rules "'"

/* A client socket of @family, in the client's namespace. */
static int client_socket(struct __test_metadata *_metadata,
			 FIXTURE_DATA(nf) *self, int family)
{
	int fd;

	in_client(_metadata, self);
	fd = nf_socket(_metadata, self, family);
	in_server(_metadata, self);
	return fd;
}

/*
 * A drop rule on the listener's port holds the handshake: the SYNs
 * meet it (its counter) and the connect waits; with the rule gone, the
 * next SYN retransmission connects.  ktcp's segments met no firewall
 * while its hook ran first on LOCAL_IN.
 */
TEST_F_TIMEOUT(nf, input_drop_holds_the_handshake_until_removed, 60)
{
	struct sockaddr_in sin = sin_of(AF_INET, SERVER, PORT_S);
	int listener = nf_listen(_metadata, self, (struct sockaddr *)&sin,
				 sizeof(sin));
	int client = client_socket(_metadata, self, self->family);

	ASSERT_EQ(0, run_cmd(NFT_INPUT("add rule inet ktcp_nf in tcp dport %d counter drop"),
			 PORT_S));
	ASSERT_EQ(-EINPROGRESS, connect_within(client, (struct sockaddr *)&sin,
					       sizeof(sin), 1500));
	EXPECT_LE(1, nft_packets("in")) TH_LOG("the drop rule saw no SYN");
	ASSERT_EQ(0, run_cmd("nft flush chain inet ktcp_nf in"));
	ASSERT_EQ(0, connect_within(client, NULL, 0, 8000));
	exchange(_metadata, self, listener, client);
}

/*
 * Connects to @sin and @sin6 end in @err and @err6, in 2 s at most:
 * the ICMP error a reject rule sends ends SYN-SENT at once.
 */
static void both_fail(struct __test_metadata *_metadata,
		      FIXTURE_DATA(nf) *self, struct sockaddr_in *sin, int err,
		      struct sockaddr_in6 *sin6, int err6)
{
	int client = client_socket(_metadata, self, self->family);

	EXPECT_EQ(-err, connect_within(client, (struct sockaddr *)sin,
				       sizeof(*sin), 2000));
	client = client_socket(_metadata, self, self->family6);
	EXPECT_EQ(-err6, connect_within(client, (struct sockaddr *)sin6,
					sizeof(*sin6), 2000));
}

/*
 * "reject with tcp reset" (nft) and "-j REJECT --reject-with tcp-reset"
 * (iptables, ip6tables): the RST the firewall sends ends the connect
 * with ECONNREFUSED at once, on IPv4 and IPv6.
 */
TEST_F_TIMEOUT(nf, reject_with_tcp_reset_refuses_the_connect, 60)
{
	struct sockaddr_in sin = sin_of(AF_INET, SERVER, PORT_S);
	struct sockaddr_in6 sin6 = sin6_of_str(SERVER6, PORT_S);

	nf_listen(_metadata, self, (struct sockaddr *)&sin, sizeof(sin));
	nf_listen(_metadata, self, (struct sockaddr *)&sin6, sizeof(sin6));

	ASSERT_EQ(0, run_cmd(NFT_INPUT("add rule inet ktcp_nf in tcp dport %d counter reject with tcp reset"),
			 PORT_S));
	both_fail(_metadata, self, &sin, ECONNREFUSED, &sin6, ECONNREFUSED);
	EXPECT_EQ(2, nft_packets("in"));
	ASSERT_EQ(0, run_cmd("nft delete table inet ktcp_nf"));

	ASSERT_EQ(0, run_cmd("iptables -A INPUT -p tcp --dport %d -j REJECT --reject-with tcp-reset && "
			 "ip6tables -A INPUT -p tcp --dport %d -j REJECT --reject-with tcp-reset",
			 PORT_S, PORT_S));
	both_fail(_metadata, self, &sin, ECONNREFUSED, &sin6, ECONNREFUSED);
	EXPECT_EQ(1, ipt_packets("iptables", "INPUT"));
	EXPECT_EQ(1, ipt_packets("ip6tables", "INPUT"));
}

/*
 * Reject rules that answer with ICMP: port unreachable refuses the
 * connect (ECONNREFUSED), host unreachable and administratively
 * prohibited end it with the errno each family's table gives
 * (icmp_err_convert[], icmpv6_err_convert(): a filtered IPv4 packet is
 * EHOSTUNREACH, an IPv6 one EACCES), as native's connect ends.  The
 * rules see at least one SYN a connect: native's connect() still holds
 * its socket when the ICMP comes back within the softirq that sent the
 * SYN, keeps the error as a soft one and ends at the SYN's resend.
 */
TEST_F_TIMEOUT(nf, reject_with_icmp_ends_the_connect_with_natives_errno, 60)
{
	struct sockaddr_in sin = sin_of(AF_INET, SERVER, PORT_S);
	struct sockaddr_in6 sin6 = sin6_of_str(SERVER6, PORT_S);

	nf_listen(_metadata, self, (struct sockaddr *)&sin, sizeof(sin));
	nf_listen(_metadata, self, (struct sockaddr *)&sin6, sizeof(sin6));

	ASSERT_EQ(0, run_cmd(NFT_INPUT("add rule inet ktcp_nf in tcp dport %d counter reject with icmpx type port-unreachable"),
			 PORT_S));
	both_fail(_metadata, self, &sin, ECONNREFUSED, &sin6, ECONNREFUSED);
	EXPECT_LE(2, nft_packets("in"));
	ASSERT_EQ(0, run_cmd("nft delete table inet ktcp_nf"));

	ASSERT_EQ(0, run_cmd(NFT_INPUT("add rule inet ktcp_nf in tcp dport %d counter reject with icmpx type host-unreachable"),
			 PORT_S));
	both_fail(_metadata, self, &sin, EHOSTUNREACH, &sin6, EHOSTUNREACH);
	EXPECT_LE(2, nft_packets("in"));
	ASSERT_EQ(0, run_cmd("nft delete table inet ktcp_nf"));

	ASSERT_EQ(0, run_cmd("iptables -A INPUT -p tcp --dport %d -j REJECT --reject-with icmp-admin-prohibited && "
			 "ip6tables -A INPUT -p tcp --dport %d -j REJECT --reject-with icmp6-adm-prohibited",
			 PORT_S, PORT_S));
	both_fail(_metadata, self, &sin, EHOSTUNREACH, &sin6, EACCES);
	EXPECT_LE(1, ipt_packets("iptables", "INPUT"));
	EXPECT_LE(1, ipt_packets("ip6tables", "INPUT"));
}

/*
 * The usual host firewall: what conntrack knows, neighbour discovery,
 * and @extra, else drop.
 */
#define NFT_DEFAULT_DROP(extra)						\
	"nft 'add table inet ktcp_nf; "					\
	"add chain inet ktcp_nf in { type filter hook input priority 0; policy drop; }; " \
	"add rule inet ktcp_nf in ct state established,related accept; " \
	"add rule inet ktcp_nf in meta l4proto ipv6-icmp accept; "	\
	extra "'"

/*
 * A default-drop input policy on both hosts, the server's accepting
 * new connections to the listener, the client's nothing new: ktcp's
 * connections pass only if conntrack confirmed their first segment,
 * which happens after ktcp's hook, and conntrack saw one new
 * connection each (the counter: an unconfirmed entry is "new" again
 * for every segment).  IPv4 and IPv6.
 */
TEST_F_TIMEOUT(nf, ct_state_rules_with_a_default_drop_pass_connections, 60)
{
	struct sockaddr_in sin = sin_of(AF_INET, SERVER, PORT_S);
	struct sockaddr_in6 sin6 = sin6_of_str(SERVER6, PORT_S);
	int l4 = nf_listen(_metadata, self, (struct sockaddr *)&sin,
			   sizeof(sin));
	int l6 = nf_listen(_metadata, self, (struct sockaddr *)&sin6,
			   sizeof(sin6));
	int client;

	ASSERT_EQ(0, run_cmd(NFT_DEFAULT_DROP("add rule inet ktcp_nf in tcp dport %d ct state new counter accept"),
			 PORT_S));
	in_client(_metadata, self);
	ASSERT_EQ(0, run_cmd(NFT_DEFAULT_DROP("")));
	in_server(_metadata, self);
	client = client_socket(_metadata, self, self->family);
	ASSERT_EQ(0, connect_within(client, (struct sockaddr *)&sin,
				    sizeof(sin), 3000));
	exchange(_metadata, self, l4, client);
	client = client_socket(_metadata, self, self->family6);
	ASSERT_EQ(0, connect_within(client, (struct sockaddr *)&sin6,
				    sizeof(sin6), 3000));
	exchange(_metadata, self, l6, client);
	EXPECT_EQ(2, nft_packets("in"))
		TH_LOG("new connections conntrack saw, one SYN each");
}

/* The peer's port of @fd (getpeername()), of either IP version. */
static unsigned short peer_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static unsigned short local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* @client, connected to what a NAT rule sends to @listener, is through it. */
static void through_nat(struct __test_metadata *_metadata,
			FIXTURE_DATA(nf) *self, int listener, int client,
			const struct sockaddr_in *to)
{
	ASSERT_EQ(0, connect_within(client, (const struct sockaddr *)to,
				    sizeof(*to), 3000));
	EXPECT_EQ(ntohs(to->sin_port), peer_port(client))
		TH_LOG("the client sees the address it asked for");
	exchange(_metadata, self, listener, client);
	EXPECT_EQ(local_port(client), peer_port(self->fds[self->nfds - 1]))
		TH_LOG("the server sees the client");
}

/*
 * NAT onto a listener, both ways: on the server, REDIRECT of a port and
 * DNAT of an address it does not own (the client routes it there); on
 * the client, DNAT on output.  Each rewrites the connection to the
 * listener's address and port, and the replies back, so the client
 * sees the address it asked for and the server the client's own: only
 * if conntrack knew the connection when ktcp took its first segment.
 */
TEST_F_TIMEOUT(nf, redirect_and_dnat_onto_a_listener, 60)
{
	struct sockaddr_in any = sin_of(AF_INET, "0.0.0.0", PORT_S);
	struct sockaddr_in redirected = sin_of(AF_INET, SERVER, PORT_NAT);
	struct sockaddr_in elsewhere = sin_of(AF_INET, ELSEWHERE, PORT_NAT);
	struct sockaddr_in out = sin_of(AF_INET, ELSEWHERE, PORT_NAT + 1);
	int listener = nf_listen(_metadata, self, (struct sockaddr *)&any,
				 sizeof(any));

	ASSERT_EQ(0, run_cmd("nft 'add table ip ktcp_nat; "
			 "add chain ip ktcp_nat pre { type nat hook prerouting priority -100; }; "
			 "add rule ip ktcp_nat pre ip daddr " SERVER " tcp dport %d redirect to :%d; "
			 "add rule ip ktcp_nat pre ip daddr " ELSEWHERE " tcp dport %d dnat to " SERVER ":%d'",
			 PORT_NAT, PORT_S, PORT_NAT, PORT_S));
	in_client(_metadata, self);
	ASSERT_EQ(0, run_cmd("nft 'add table ip ktcp_nat; "
			 "add chain ip ktcp_nat out { type nat hook output priority -100; }; "
			 "add rule ip ktcp_nat out tcp dport %d dnat to " SERVER ":%d'",
			 PORT_NAT + 1, PORT_S));
	in_server(_metadata, self);
	through_nat(_metadata, self, listener,
		    client_socket(_metadata, self, self->family), &redirected);
	through_nat(_metadata, self, listener,
		    client_socket(_metadata, self, self->family), &elsewhere);
	through_nat(_metadata, self, listener,
		    client_socket(_metadata, self, self->family), &out);
}

/*
 * In a child running as nobody in the client's namespace: a connect to
 * @sin must not complete in 1.5 s (its SYNs meet a drop rule on their
 * owner).  Exit status 0 if so.
 */
static int connect_as_nobody_is_held(FIXTURE_DATA(nf) *self, int family,
				     struct sockaddr_in *sin)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setns(self->client_ns, CLONE_NEWNET) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(2);
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			_exit(3);
		_exit(connect_within(fd, (struct sockaddr *)sin, sizeof(*sin),
				     1500) == -EINPROGRESS ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Output rules on the sending user: what ktcp sends carries its socket,
 * so "meta skuid" (nft) and "-m owner --uid-owner" (iptables) on the
 * client hold a user's connects and leave root's alone.
 */
TEST_F_TIMEOUT(nf, output_rules_on_the_user_see_the_socket, 60)
{
	struct sockaddr_in sin = sin_of(AF_INET, SERVER, PORT_S);
	int listener = nf_listen(_metadata, self, (struct sockaddr *)&sin,
				 sizeof(sin));
	int client;

	in_client(_metadata, self);
	ASSERT_EQ(0, run_cmd("nft 'add table inet ktcp_nf; "
			 "add chain inet ktcp_nf out { type filter hook output priority 0; }; "
			 "add rule inet ktcp_nf out meta skuid %d counter drop'",
			 NOBODY));
	EXPECT_EQ(0, connect_as_nobody_is_held(self, self->family, &sin));
	EXPECT_LE(1, nft_packets("out"));
	ASSERT_EQ(0, run_cmd("nft delete table inet ktcp_nf"));
	ASSERT_EQ(0, run_cmd("iptables -A OUTPUT -m owner --uid-owner %d -j DROP",
			 NOBODY));
	EXPECT_EQ(0, connect_as_nobody_is_held(self, self->family, &sin));
	EXPECT_LE(1, ipt_packets("iptables", "OUTPUT"));
	in_server(_metadata, self);
	client = client_socket(_metadata, self, self->family);
	ASSERT_EQ(0, connect_within(client, (struct sockaddr *)&sin,
				    sizeof(sin), 3000));
	exchange(_metadata, self, listener, client);
}

TEST_HARNESS_MAIN
