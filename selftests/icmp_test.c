// SPDX-License-Identifier: GPL-2.0
/*
 * icmp_test - ICMP and ICMPv6 errors reach ktcp as they reach native TCP.
 *
 * Four network namespaces in a line, joined by veth pairs:
 *
 *   client --1500-- r1 --1280-- r2 --1500-- server (the test's own)
 *
 * The routers forward; the middle link's MTU is 1280, so a full-sized
 * segment either way meets a router that answers Fragmentation Needed
 * (ICMPv6 Packet Too Big), and r1 routes 10.98.9.0/24 to "unreachable"
 * and has no route to 10.98.8.0/24.  Each test runs on native TCP and on
 * ktcp, the same code:
 *  - path MTU: 16 MiB each way (2 on the debug kernel), byte-exact, over IPv4 and IPv6; both
 *    ends' MSS comes down to what 1280 holds, and the routers' own ICMP
 *    counters say they sent the errors (the wire's witness);
 *  - a forged Fragmentation Needed quoting a sequence number not in
 *    flight changes nothing (RFC 5927): the MSS stays, data flows, and
 *    OutOfWindowIcmps counts it (TcpExt natively, ktcp_snmp for ktcp);
 *  - connect() fails at once, with native's errno, on host unreachable,
 *    net unreachable and port unreachable (IPv4 and IPv6).
 *
 * Needs root, ip and nft.  KTCP_SELFTEST_INET_ONLY=1 skips the ktcp
 * variants.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
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

#define PORT_S		40201
#define PORT_CLOSED	40202
#define XFER_BYTES	(16 << 20)
#define XFER_BYTES_DEBUG	(2 << 20)	/* the first MSS already meets the link */
#define CHUNK		(64 << 10)

/* The send MSS 1280 holds with timestamps: less IP, TCP, 12 of options. */
#define MSS_1280	(1280 - 20 - 20 - 12)
#define MSS6_1280	(1280 - 40 - 20 - 12)

enum { NS_CLIENT, NS_R1, NS_R2, NS_SERVER, NS_COUNT };

FIXTURE(icmp) {
	int family;	/* for IPv4 */
	int family6;	/* for IPv6: ktcp has one family for both */
	bool ktcp;
	int ns[NS_COUNT];
	char name[NS_COUNT][32];
	int fds[16];
	int nfds;
};

KTCP_FAMILY_VARIANTS(icmp, inet);

static void enter(struct __test_metadata *_metadata,
		  FIXTURE_DATA(icmp) *self, int which)
{
	ASSERT_EQ(0, setns(self->ns[which], CLONE_NEWNET))
		TH_LOG("setns: %s", strerror(errno));
}

FIXTURE_SETUP(icmp)
{
	static const char *const tag[] = { "c", "a", "b" };
	char path[64];
	int i;

	self->ktcp = variant->ktcp;
	KTCP_VARIANT_FAMILIES(variant->ktcp, self->family, self->family6);
	enter_private_netns(_metadata);
	self->ns[NS_SERVER] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->ns[NS_SERVER]);
	for (i = NS_CLIENT; i < NS_SERVER; i++)
		snprintf(self->name[i], sizeof(self->name[i]), "ktcp-ic%s-%d",
			 tag[i], getpid());
	/* One shell, one ip a namespace: process starts are what cost. */
	ASSERT_EQ(0, run_cmd(
		"ip -b - <<EOF && ip -n %1$s -b - <<EOF2 && ip -n %2$s -b - <<EOF3 && ip -n %3$s -b - <<EOF4 && ip -b - <<EOF5\n"
		"netns add %1$s\nnetns add %2$s\nnetns add %3$s\n"
		"link add c0 netns %1$s type veth peer name a0 netns %2$s\n"
		"link add a1 netns %2$s mtu 1280 type veth peer name b0 netns %3$s mtu 1280\n"
		"link add b1 netns %3$s type veth peer name s0\n"
		"EOF\n"
		"link set lo up\nlink set c0 up\n"
		"addr add 10.98.1.2/24 dev c0\naddr add fd98:1::2/64 dev c0 nodad\n"
		"route add default via 10.98.1.1\nroute add default via fd98:1::1\n"
		"EOF2\n"
		"link set lo up\nlink set a0 up\nlink set a1 up\n"
		"addr add 10.98.1.1/24 dev a0\naddr add fd98:1::1/64 dev a0 nodad\n"
		"addr add 10.98.2.1/24 dev a1\naddr add fd98:2::1/64 dev a1 nodad\n"
		"route add 10.98.3.0/24 via 10.98.2.2\nroute add fd98:3::/64 via fd98:2::2\n"
		"route add unreachable 10.98.9.0/24\n"
		"EOF3\n"
		"link set lo up\nlink set b0 up\nlink set b1 up\n"
		"addr add 10.98.2.2/24 dev b0\naddr add fd98:2::2/64 dev b0 nodad\n"
		"addr add 10.98.3.1/24 dev b1\naddr add fd98:3::1/64 dev b1 nodad\n"
		"route add default via 10.98.2.1\nroute add default via fd98:2::1\n"
		"EOF4\n"
		"link set s0 up\n"
		"addr add 10.98.3.2/24 dev s0\naddr add fd98:3::2/64 dev s0 nodad\n"
		"route add default via 10.98.3.1\nroute add default via fd98:3::1\n"
		"EOF5",
		self->name[NS_CLIENT], self->name[NS_R1], self->name[NS_R2]));
	for (i = NS_CLIENT; i < NS_SERVER; i++) {
		snprintf(path, sizeof(path), "/run/netns/%s", self->name[i]);
		self->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, self->ns[i]) TH_LOG("%s: %s", path, strerror(errno));
	}
	for (i = NS_R1; i <= NS_R2; i++) {
		enter(_metadata, self, i);
		ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_forward", "1"));
		ASSERT_EQ(0, write_file("/proc/sys/net/ipv6/conf/all/forwarding",
					"1"));
	}
	enter(_metadata, self, NS_SERVER);
}

FIXTURE_TEARDOWN(icmp)
{
	int i;

	while (self->nfds)
		close(self->fds[--self->nfds]);
	for (i = NS_CLIENT; i < NS_SERVER; i++)
		if (self->name[i][0])
			run_cmd("ip netns del %s 2>/dev/null", self->name[i]);
}

/* A socket of @family in namespace @which, with 10 s timeouts. */
static int ns_socket(struct __test_metadata *_metadata,
		     FIXTURE_DATA(icmp) *self, int which, int family)
{
	int fd;

	enter(_metadata, self, which);
	fd = socket(family, SOCK_STREAM, 0);
	enter(_metadata, self, NS_SERVER);
	ASSERT_GE(fd, 0) TH_LOG("socket: %s", strerror(errno));
	set_test_sock_opts(_metadata, fd, 10000);
	self->fds[self->nfds++] = fd;
	return fd;
}

static struct sockaddr_storage addr_of(const char *ip, unsigned short port,
				       socklen_t *len)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	if (strchr(ip, ':')) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
		*len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		*len = sizeof(*sin);
	}
	return ss;
}

/* connect() of @fd to @ip:@port, waiting @ms at most: 0 or -errno. */
static int connect_within(int fd, const char *ip, unsigned short port,
			  int ms)
{
	socklen_t len, elen = sizeof(int);
	struct sockaddr_storage ss = addr_of(ip, port, &len);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		if (errno != EINPROGRESS)
			return -errno;
		if (poll(&p, 1, ms) != 1)
			return -EINPROGRESS;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			return -errno;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return -err;
}

/* A connection from the client to the server's @ip: {client, server}. */
static void connect_pair(struct __test_metadata *_metadata,
			 FIXTURE_DATA(icmp) *self, const char *ip, int *pair)
{
	int family = strchr(ip, ':') ? self->family6 : self->family;
	int listener = ns_socket(_metadata, self, NS_SERVER, family);
	struct sockaddr_storage ss;
	socklen_t len;

	ss = addr_of(ip, PORT_S, &len);
	ASSERT_EQ(0, bind(listener, (struct sockaddr *)&ss, len))
		TH_LOG("bind %s: %s", ip, strerror(errno));
	ASSERT_EQ(0, listen(listener, 4));
	pair[0] = ns_socket(_metadata, self, NS_CLIENT, family);
	ASSERT_EQ(0, connect_within(pair[0], ip, PORT_S, 5000));
	pair[1] = accept(listener, NULL, NULL);
	ASSERT_LE(0, pair[1]) TH_LOG("accept: %s", strerror(errno));
	self->fds[self->nfds++] = pair[1];
}

/*
 * @bytes from @from to @to, checked byte by byte: a child writes, this
 * process reads.  0 when all came intact.
 */
static int transfer(int from, int to, size_t bytes, uint64_t seed)
{
	static unsigned char buf[CHUNK], want[CHUNK];
	size_t got = 0;
	struct stream ws, rs;
	int status, bad = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		size_t sent = 0;

		stream_init(&ws, seed);
		while (sent < bytes) {
			size_t n = bytes - sent < CHUNK ? bytes - sent : CHUNK;

			stream_fill(&ws, buf, n);
			if (send_all(from, buf, n))
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	stream_init(&rs, seed);
	while (got < bytes && !bad) {
		size_t room = bytes - got < CHUNK ? bytes - got : CHUNK;
		ssize_t n = recv(to, buf, room, 0);

		if (n <= 0) {
			bad = 1;
			break;
		}
		stream_fill(&rs, want, n);
		if (memcmp(buf, want, n))
			bad = 2;
		got += n;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		bad = bad ?: 3;
	return bad;
}

static int maxseg(int fd)
{
	socklen_t len = sizeof(int);
	int mss = -1;

	getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len);
	return mss;
}

/*
 * The counter @name of namespace @which: from /proc/net/@file, in either
 * layout ("Name value" lines, or a line of names over a line of values
 * after the same "Prefix:").  -1 if absent.
 */
static long ns_counter(struct __test_metadata *_metadata,
		       FIXTURE_DATA(icmp) *self, int which, const char *file,
		       const char *name)
{
	char path[64], names[4096], values[4096], *n, *v, *sn, *sv;
	long found = -1;
	FILE *f;

	enter(_metadata, self, which);
	snprintf(path, sizeof(path), "/proc/self/net/%s", file);
	f = fopen(path, "r");
	enter(_metadata, self, NS_SERVER);
	if (!f)
		return -1;
	while (found < 0 && fgets(names, sizeof(names), f)) {
		size_t len = strlen(name);

		if (!strncmp(names, name, len) && names[len] == ' ') {
			found = strtol(names + len, NULL, 10);
			break;
		}
		if (!strchr(names, ':') || !fgets(values, sizeof(values), f))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, name)) {
				found = strtol(v, NULL, 10);
				break;
			}
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
	}
	fclose(f);
	return found;
}

/*
 * 16 MiB each way (2 on the debug kernel) through the 1280-byte link,
 * IPv4 and IPv6: the routers' Fragmentation Needed and Packet Too Big
 * bring both ends' MSS down, and nothing is lost on the way.
 */
TEST_F_TIMEOUT(icmp, path_mtu_1280_moves_data_each_way, 600)
{
	static const char *const server_ip[] = { "10.98.3.2", "fd98:3::2" };
	size_t bytes = debug_kernel() ? XFER_BYTES_DEBUG : XFER_BYTES;
	int v, pair[2];

	for (v = 0; v < 2; v++) {
		int want = v ? MSS6_1280 : MSS_1280;

		connect_pair(_metadata, self, server_ip[v], pair);
		EXPECT_EQ(0, transfer(pair[0], pair[1], bytes, 1 + v))
			TH_LOG("%s: client to server", server_ip[v]);
		EXPECT_EQ(0, transfer(pair[1], pair[0], bytes, 3 + v))
			TH_LOG("%s: server to client", server_ip[v]);
		EXPECT_GE(want, maxseg(pair[0])) TH_LOG("client's MSS");
		EXPECT_GE(want, maxseg(pair[1])) TH_LOG("server's MSS");
	}
	/* The routers said so, each to the sender on its side. */
	EXPECT_LE(1, ns_counter(_metadata, self, NS_R1, "snmp",
				"OutDestUnreachs"));
	EXPECT_LE(1, ns_counter(_metadata, self, NS_R2, "snmp",
				"OutDestUnreachs"));
	EXPECT_LE(1, ns_counter(_metadata, self, NS_R1, "snmp6",
				"Icmp6OutPktTooBigs"));
	EXPECT_LE(1, ns_counter(_metadata, self, NS_R2, "snmp6",
				"Icmp6OutPktTooBigs"));
	if (self->ktcp) {
		EXPECT_LE(2, ns_counter(_metadata, self, NS_CLIENT,
					"ktcp_snmp", "KtcpPmtuReduced"));
		EXPECT_LE(2, ns_counter(_metadata, self, NS_SERVER,
					"ktcp_snmp", "KtcpPmtuReduced"));
	}
}

static unsigned short csum(const void *data, size_t len)
{
	const unsigned short *p = data;
	unsigned int sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const unsigned char *)p;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return ~sum;
}

/*
 * From r1, a Fragmentation Needed (MTU 576) to the client, quoting its
 * connection to the server with sequence number @seq.
 */
static void forge_frag_needed(struct __test_metadata *_metadata,
			      FIXTURE_DATA(icmp) *self, int client, int server,
			      unsigned int seq)
{
	struct {
		struct icmphdr icmp;
		struct iphdr ip;
		unsigned short sport, dport;
		unsigned int seq;
	} __attribute__((packed)) pkt = {};
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct sockaddr_in local, peer;
	socklen_t len = sizeof(local);
	int raw;

	ASSERT_EQ(0, getsockname(client, (struct sockaddr *)&local, &len));
	len = sizeof(peer);
	ASSERT_EQ(0, getsockname(server, (struct sockaddr *)&peer, &len));
	pkt.icmp.type = ICMP_DEST_UNREACH;
	pkt.icmp.code = ICMP_FRAG_NEEDED;
	pkt.icmp.un.frag.mtu = htons(576);
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.tot_len = htons(1500);
	pkt.ip.frag_off = htons(IP_DF);
	pkt.ip.ttl = 63;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.saddr = local.sin_addr.s_addr;
	pkt.ip.daddr = peer.sin_addr.s_addr;
	pkt.ip.check = csum(&pkt.ip, sizeof(pkt.ip));
	pkt.sport = local.sin_port;
	pkt.dport = peer.sin_port;
	pkt.seq = htonl(seq);
	pkt.icmp.checksum = csum(&pkt, sizeof(pkt));
	to.sin_addr = local.sin_addr;

	enter(_metadata, self, NS_R1);
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	enter(_metadata, self, NS_SERVER);
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	EXPECT_EQ((ssize_t)sizeof(pkt),
		  sendto(raw, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
			 sizeof(to)));
	close(raw);
}

/*
 * RFC 5927 4.1: an ICMP error about a sequence number that is not in
 * flight (the connection is idle: none is) is dropped and counted; the
 * MSS stays and data still flows in full-sized segments.
 */
TEST_F_TIMEOUT(icmp, forged_frag_needed_outside_the_window_changes_nothing,
	       120)
{
	const char *counter = self->ktcp ? "ktcp_snmp" : "netstat";
	long before;
	int pair[2], mss;

	connect_pair(_metadata, self, "10.98.3.2", pair);
	ASSERT_EQ(0, transfer(pair[0], pair[1], 256 << 10, 5));
	mss = maxseg(pair[0]);
	before = ns_counter(_metadata, self, NS_CLIENT, counter,
			    "OutOfWindowIcmps");
	ASSERT_LE(0, before);
	forge_frag_needed(_metadata, self, pair[0], pair[1], 0x12345678);
	usleep(300 * 1000);
	EXPECT_EQ(before + 1, ns_counter(_metadata, self, NS_CLIENT, counter,
					 "OutOfWindowIcmps"));
	EXPECT_EQ(mss, maxseg(pair[0]));
	EXPECT_EQ(0, transfer(pair[0], pair[1], 256 << 10, 6));
	EXPECT_EQ(mss, maxseg(pair[0]));
}

/*
 * connect() ends at once, with native's errno, when the way says no:
 * host unreachable and net unreachable from r1, port unreachable from
 * the server's firewall, on IPv4 and IPv6; never after the SYN's
 * retries (seconds).  Native's IPv6 gets one second more: its answer
 * to the first SYN came back while connect() still held the socket,
 * and native then only keeps a soft error and waits for the second
 * SYN (ktcp ends the connect when connect() lets the socket go).
 */
TEST_F_TIMEOUT(icmp, connect_fails_at_once_on_unreachables, 120)
{
	static const struct {
		const char *ip;
		unsigned short port;
		int err;
		int native_ms;
	} cases[] = {
		{ "10.98.9.1", PORT_S, EHOSTUNREACH, 1000 },
		{ "10.98.8.1", PORT_S, ENETUNREACH, 1000 },
		{ "10.98.3.2", PORT_CLOSED, ECONNREFUSED, 1000 },
		{ "fd98:3::2", PORT_CLOSED, ECONNREFUSED, 2500 },
	};
	unsigned int i;
	int warm[2];

	/*
	 * IPv6's first packet on each hop waits for neighbour discovery:
	 * one connection through first, so that the cases below
	 * time the error, not the path's setup.
	 */
	connect_pair(_metadata, self, "fd98:3::2", warm);
	ASSERT_EQ(0, run_cmd("nft 'add table inet ktcp_icmp; "
			 "add chain inet ktcp_icmp in { type filter hook input priority 0; }; "
			 "add rule inet ktcp_icmp in tcp dport %d reject with icmpx type port-unreachable'",
			 PORT_CLOSED));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = ns_socket(_metadata, self, NS_CLIENT,
				   strchr(cases[i].ip, ':') ? self->family6 :
				   self->family);

		EXPECT_EQ(-cases[i].err,
			  connect_within(fd, cases[i].ip, cases[i].port,
					 self->ktcp ? 1000 : cases[i].native_ms))
			TH_LOG("%s port %u", cases[i].ip, cases[i].port);
	}
}

TEST_HARNESS_MAIN
