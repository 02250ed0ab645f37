// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_flood: send TCP SYNs from a raw socket to a loopback port, as
 * fast as one CPU can, for module_cycle.sh, so that ktcp's netfilter
 * hooks run on this CPU while the module is removed or a namespace is
 * dismantled on another.
 *
 *   ktcp_flood SECONDS PORT
 *
 * Alternates 127.0.0.1 and ::1; every SYN passes ktcp's hook at
 * NF_INET_LOCAL_IN, and so does the native RST that answers it.  Stops
 * after SECONDS or on SIGTERM.  Prints "flooding" once it starts and
 * "sent N" at the end.  Needs CAP_NET_RAW.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP checksum over 127.0.0.1 -> 127.0.0.1 and @th. */
static uint16_t tcp4_csum(const struct tcphdr *th)
{
	const uint16_t *p = (const uint16_t *)th;
	uint32_t sum = 0;
	size_t i;

	sum += 0x7f00 + 0x0001;	/* saddr, host order halves */
	sum += 0x7f00 + 0x0001;	/* daddr */
	sum += IPPROTO_TCP + sizeof(*th);
	for (i = 0; i < sizeof(*th) / 2; i++)
		sum += ntohs(p[i]);
	return htons(csum_fold(sum));
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 d6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in d4 = { .sin_family = AF_INET };
	int s4, s6, offset = 16;
	unsigned long long sent = 0;
	struct tcphdr th;
	time_t end;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SECONDS PORT\n", argv[0]);
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	s4 = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	s6 = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
	if (s4 < 0 || s6 < 0) {
		perror("socket(SOCK_RAW)");
		return 1;
	}
	/* The kernel fills the IPv6 checksum at this offset. */
	if (setsockopt(s6, IPPROTO_IPV6, IPV6_CHECKSUM, &offset,
		       sizeof(offset))) {
		perror("IPV6_CHECKSUM");
		return 1;
	}
	d4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d6.sin6_addr = in6addr_loopback;

	/* Tell the script that the hooks are being hit from now on. */
	printf("flooding\n");
	fflush(stdout);
	memset(&th, 0, sizeof(th));
	th.dest = htons(atoi(argv[2]));
	th.doff = sizeof(th) / 4;
	th.syn = 1;
	th.window = htons(65535);
	while (!stop) {
		th.source = htons(1024 + sent % 60000);
		th.seq = htonl((uint32_t)sent * 2654435761u);
		th.check = 0;
		if (sent & 1) {
			th.check = 0;
			if (sendto(s6, &th, sizeof(th), 0,
				   (struct sockaddr *)&d6, sizeof(d6)) < 0 &&
			    errno != ENOBUFS)
				break;
		} else {
			th.check = tcp4_csum(&th);
			if (sendto(s4, &th, sizeof(th), 0,
				   (struct sockaddr *)&d4, sizeof(d4)) < 0 &&
			    errno != ENOBUFS)
				break;
		}
		sent++;
		if (!(sent & 1023) && time(NULL) >= end)
			break;
	}
	printf("sent %llu\n", sent);
	return 0;
}
