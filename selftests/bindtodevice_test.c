// SPDX-License-Identifier: GPL-2.0
/*
 * bindtodevice_test - SO_BINDTODEVICE as native TCP honours it: in the
 * lookups that give a segment to a listener or a connection, and in the
 * routes a bound socket sends on.
 *
 * The server (the test's own namespace, unshared) and a client
 * namespace are joined by two veth pairs, link A (10.96.1.0/24) and
 * link B (10.96.2.0/24).  Each test runs on native TCP and on ktcp:
 *  - a listener bound to A's device takes connections that come in on
 *    A and refuses (RST) those that come in on B;
 *  - two listeners on one port, one bound to each device, each get the
 *    connections of their own link, and only those;
 *  - a client bound to B's device reaches the server's B address, and
 *    its segments leave on B, none on A (the devices' own counters);
 *  - with B in a VRF, a listener bound to the VRF takes B's connections
 *    (its SYN-ACKs and data routed in the VRF's table) and refuses A's.
 *
 * Needs root and ip.  KTCP_SELFTEST_INET_ONLY=1 skips the ktcp
 * variants.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ktcp/socket.h>

#include "ktcp_harness.h"

#define PORT	40301
#define ADDR_A	"10.96.1.1"
#define ADDR_B	"10.96.2.1"

FIXTURE(dev) {
	int family;
	int server_ns, client_ns;
	char client_name[32];
	int fds[8];
	int nfds;
};

KTCP_FAMILY_VARIANTS(dev, inet);

FIXTURE_SETUP(dev)
{
	char path[64];

	self->family = AF_INET;
	if (variant->ktcp) {
		if (inet_only())
			SKIP(return, "KTCP_SELFTEST_INET_ONLY set");
		self->family = ktcp_family_or_fail(_metadata);
	}
	enter_private_netns(_metadata);
	self->server_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->server_ns);
	snprintf(self->client_name, sizeof(self->client_name), "ktcp-dev-%d",
		 getpid());
	ASSERT_EQ(0, run_cmd(
		"ip -b - <<EOF && ip -n %1$s -b - <<EOF2\n"
		"netns add %1$s\n"
		"link add ktcp_a type veth peer name ktcp_ca netns %1$s\n"
		"link add ktcp_b type veth peer name ktcp_cb netns %1$s\n"
		"addr add " ADDR_A "/24 dev ktcp_a\naddr add " ADDR_B "/24 dev ktcp_b\n"
		"link set ktcp_a up\nlink set ktcp_b up\n"
		"EOF\n"
		"link set lo up\nlink set ktcp_ca up\nlink set ktcp_cb up\n"
		"addr add 10.96.1.2/24 dev ktcp_ca\naddr add 10.96.2.2/24 dev ktcp_cb\n"
		"EOF2", self->client_name));
	snprintf(path, sizeof(path), "/run/netns/%s", self->client_name);
	self->client_ns = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->client_ns);
}

FIXTURE_TEARDOWN(dev)
{
	while (self->nfds)
		close(self->fds[--self->nfds]);
	if (self->client_name[0])
		run_cmd("ip netns del %s", self->client_name);
}

/* A socket of the variant's family, in the client's namespace or ours. */
static int dev_socket(struct __test_metadata *_metadata,
		      FIXTURE_DATA(dev) *self, bool client)
{
	int fd;

	if (client)
		ASSERT_EQ(0, setns(self->client_ns, CLONE_NEWNET));
	fd = socket(self->family, SOCK_STREAM, 0);
	if (client)
		ASSERT_EQ(0, setns(self->server_ns, CLONE_NEWNET));
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	set_test_sock_opts(_metadata, fd, 5000);
	self->fds[self->nfds++] = fd;
	return fd;
}

static void bind_device(struct __test_metadata *_metadata, int fd,
			const char *dev)
{
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
				strlen(dev) + 1))
		TH_LOG("SO_BINDTODEVICE %s: %s", dev, strerror(errno));
}

/* A listener on 0.0.0.0:PORT, bound to @dev (NULL: to none). */
static int dev_listener(struct __test_metadata *_metadata,
			FIXTURE_DATA(dev) *self, const char *dev)
{
	struct sockaddr_in sin = sin_of(AF_INET, "0.0.0.0", PORT);
	int fd = dev_socket(_metadata, self, false);

	if (dev)
		bind_device(_metadata, fd, dev);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, 4));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* connect() @fd to @ip:PORT: 0, or -errno (-ETIMEDOUT after 3 s). */
static int dev_connect(int fd, const char *ip)
{
	struct sockaddr_in sin = sin_of(AF_INET, ip, PORT);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (!connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (poll(&p, 1, 3000) != 1)
		return -ETIMEDOUT;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return -err;
}

/* Did @listener get a connection (waiting at most a second)? */
static bool accepted(FIXTURE_DATA(dev) *self, int listener)
{
	struct pollfd p = { .fd = listener, .events = POLLIN };
	int fd;

	if (poll(&p, 1, 1000) != 1)
		return false;
	fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return false;
	self->fds[self->nfds++] = fd;
	return true;
}

TEST_F_TIMEOUT(dev, listener_bound_to_a_device_takes_only_its_link, 60)
{
	int listener = dev_listener(_metadata, self, "ktcp_a");

	EXPECT_EQ(0, dev_connect(dev_socket(_metadata, self, true), ADDR_A));
	EXPECT_TRUE(accepted(self, listener));
	EXPECT_EQ(-ECONNREFUSED,
		  dev_connect(dev_socket(_metadata, self, true), ADDR_B));
	EXPECT_FALSE(accepted(self, listener));
}

TEST_F_TIMEOUT(dev, listeners_on_one_port_each_take_their_link, 60)
{
	int la = dev_listener(_metadata, self, "ktcp_a");
	int lb = dev_listener(_metadata, self, "ktcp_b");

	EXPECT_EQ(0, dev_connect(dev_socket(_metadata, self, true), ADDR_B));
	EXPECT_TRUE(accepted(self, lb));
	EXPECT_FALSE(accepted(self, la));
	EXPECT_EQ(0, dev_connect(dev_socket(_metadata, self, true), ADDR_A));
	EXPECT_TRUE(accepted(self, la));
	EXPECT_FALSE(accepted(self, lb));
}

/* The packets device @dev of the client's namespace has sent. */
static long client_tx_packets(FIXTURE_DATA(dev) *self, const char *dev)
{
	char path[96], buf[32] = "";
	long n = -1;
	FILE *f;

	if (setns(self->client_ns, CLONE_NEWNET))
		return -1;
	/* sysfs shows the namespace of whoever mounted it: read /proc. */
	snprintf(path, sizeof(path), "/proc/self/net/dev");
	f = fopen(path, "r");
	if (setns(self->server_ns, CLONE_NEWNET) || !f) {
		if (f)
			fclose(f);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s:", dev);
	while (fgets(path, sizeof(path), f)) {
		char *p = strstr(path, buf);

		/* rx bytes packets errs drop fifo frame compressed mcast tx_bytes tx_packets */
		if (p && sscanf(p + strlen(buf),
				" %*d %*d %*d %*d %*d %*d %*d %*d %*d %ld",
				&n) == 1)
			break;
	}
	fclose(f);
	return n;
}

TEST_F_TIMEOUT(dev, client_bound_to_a_device_sends_on_it, 60)
{
	int listener = dev_listener(_metadata, self, NULL);
	int client = dev_socket(_metadata, self, true);
	long before_b = client_tx_packets(self, "ktcp_cb");
	long before_a = client_tx_packets(self, "ktcp_ca");
	char c = 'x';

	ASSERT_LE(0, before_b);
	bind_device(_metadata, client, "ktcp_cb");
	EXPECT_EQ(0, dev_connect(client, ADDR_B));
	ASSERT_TRUE(accepted(self, listener));
	fcntl(client, F_SETFL, 0);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(1, send(client, &c, 1, 0));
	usleep(200 * 1000);
	/* The handshake's ACK and the data at least. */
	EXPECT_LE(before_b + 3, client_tx_packets(self, "ktcp_cb"));
	EXPECT_GE(before_a + 2, client_tx_packets(self, "ktcp_ca"))
		TH_LOG("nothing of it on link A (bar IPv6 chatter)");
}

TEST_F_TIMEOUT(dev, listener_bound_to_a_vrf_takes_its_links, 60)
{
	int listener;

	/* The test kernel has CONFIG_NET_VRF; another may not. */
	if (run_cmd("ip link add ktcp_vrf type vrf table 10 2>/dev/null"))
		SKIP(return, "no VRF device in this kernel (CONFIG_NET_VRF)");
	ASSERT_EQ(0, run_cmd("ip -b - <<EOF\n"
			     "link set ktcp_vrf up\n"
			     "link set ktcp_b master ktcp_vrf\n"
			     "EOF"));
	listener = dev_listener(_metadata, self, "ktcp_vrf");
	EXPECT_EQ(0, dev_connect(dev_socket(_metadata, self, true), ADDR_B));
	EXPECT_TRUE(accepted(self, listener));
	EXPECT_EQ(-ECONNREFUSED,
		  dev_connect(dev_socket(_metadata, self, true), ADDR_A));
	EXPECT_FALSE(accepted(self, listener));
}

TEST_HARNESS_MAIN
