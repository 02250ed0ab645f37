// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_fuzz - a TCP segment fuzzer for ktcp, run by fuzz.sh.
 *
 * It unshares a network namespace of its own and creates a tun device
 * there (kfz0: ktcp's side 192.0.2.1 and 2001:db8::1, the fuzzer's
 * side 192.0.2.2 and 2001:db8::2).  Like packetdrill it plays the peer
 * of ktcp through the tun: it writes the IP packets ktcp receives and
 * reads what ktcp answers, so it completes real handshakes and knows
 * the sequence numbers of every connection.  Then, for a bounded time,
 * it sends mutated segments at:
 *   - ktcp listeners (IPv4 and IPv6),
 *   - passive connections it brought to SYN-RECV, ESTABLISHED,
 *     FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, LAST-ACK, CLOSING, TIME-WAIT,
 *   - active connections in SYN-SENT (ktcp connects to the fuzzer),
 *   - a port ktcp holds with no socket for the segment (bound only),
 *   - ports no one holds (the native stack answers those).
 * Mutations: random flags, sequence and ACK numbers in and out of the
 * window and at its edges, malformed options (zero, short and
 * overlong lengths, truncated at the header's end, MSS 0-65535, window
 * scale above 14, SACK blocks inside and outside the window,
 * duplicates, timestamps 0 and wrapped), data offsets out of range,
 * bad checksums, zero and huge windows, IP total lengths shorter and
 * longer than the packet, payloads.  The handshakes themselves carry
 * mutated options (MSS 0-12 with timestamps among them), and ktcp's
 * side of a connection writes data now and then, so that ACKs move
 * SND.UNA.
 *
 * Afterwards, in the same namespace, it checks:
 *   - every segment it sent to a ktcp-held port is counted once in
 *     /proc/net/ktcp_snmp InSegs, and none sent elsewhere is;
 *   - every bad checksum it sent is in InCsumErrors, every bad data
 *     offset and bad checksum in InErrs;
 *   - every packet the IP layer must drop (total length past the end,
 *     bad IPv4 header checksum) is counted by the native IP counters;
 *   - a fresh handshake through the tun still completes (IPv4, IPv6);
 *   - a fresh ktcp connection over loopback transfers data exactly.
 * Each check prints "RESULT ok|fail DESCRIPTION" (fuzz.sh makes TAP of
 * it) and "# ..." diagnostics.
 *
 * Environment:
 *   KTCP_FUZZ_SEED=N      replay a run: the seed every run prints
 *                         ("# seed N"); the choices repeat, the timing
 *                         of ktcp's answers may not
 *   KTCP_FUZZ_SECONDS=N   how long to fuzz (default 60)
 *   KTCP_FUZZ_EXCLUDE=a,b development aid only: leave out mutation
 *                         classes (flags seq ack opt mss doff csum win
 *                         data iplen); the default run has them all
 *   KTCP_DEBUG_KERNEL=1   smaller loopback transfer
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/socket.h>

#define TUN_NAME	"kfz0"
#define KTCP_V4		"192.0.2.1"
#define PEER_V4		"192.0.2.2"
#define KTCP_V6		"2001:db8::1"
#define PEER_V6		"2001:db8::2"

#define PORT_LISTEN	5000	/* + family index */
#define PORT_BOUND	5010	/* bound, never listening */
#define PORT_ACTIVE	40000	/* SYN-SENT sockets bind from here */
#define PORT_NONE	6000	/* no socket of anyone */
#define NACTIVE_PORTS	4000

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20

enum kind {
	K_LISTEN, K_SYNRECV, K_ESTAB, K_FINWAIT1, K_FINWAIT2, K_CLOSEWAIT,
	K_LASTACK, K_CLOSING, K_TIMEWAIT, K_SYNSENT, K_BOUND, K_NOSOCK,
	K_MAX
};

static const char * const kind_name[K_MAX] = {
	"LISTEN", "SYN-RECV", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
	"CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT", "SYN-SENT",
	"bound port", "no socket",
};

enum mclass {
	M_FLAGS, M_SEQ, M_ACK, M_OPT, M_MSS, M_DOFF, M_CSUM, M_WIN, M_DATA,
	M_IPLEN, M_MAX
};

static const char * const mclass_name[M_MAX] = {
	"flags", "seq", "ack", "opt", "mss", "doff", "csum", "win", "data",
	"iplen",
};

/* Where a packet ends up, as the fuzzer predicts it. */
enum fate { F_IPDROP, F_NATIVE, F_HDRERR, F_CSUMERR, F_GOOD };

/* One connection (or port) as the fuzzer, its peer, sees it. */
struct target {
	int v6;
	enum kind kind;
	int fd;			/* ktcp's socket, or -1 */
	uint16_t kport;		/* ktcp's port */
	uint16_t pport;		/* the fuzzer's port */
	uint32_t snd_nxt;	/* the fuzzer's next sequence number */
	uint32_t rcv_nxt;	/* what the fuzzer acknowledges */
	uint32_t isn;		/* ktcp's ISN */
	int maybe;		/* ktcp may or may not hold the port now */
	int dead;
	unsigned int sent;
};

static struct target targets[2 * K_MAX];
static int tun_fd = -1;
static int listen_fd[2] = { -1, -1 };
static int bound_fd[2] = { -1, -1 };
static int ktcp_fam;
static unsigned int excluded;
static uint64_t rng;
static int wait_ms = 1500;	/* for one answer of ktcp in a handshake */
static uint16_t next_pport = 20000;
static uint16_t next_aport = PORT_ACTIVE;
static struct in_addr k4, p4;
static struct in6_addr k6, p6;

/* What was sent, for the accounting at the end. */
static struct {
	unsigned long total, ktcp_sure, ktcp_maybe;
	unsigned long hdr_sure, hdr_maybe, csum_sure, csum_maybe;
	unsigned long ipdrop4, ipdrop6, native;
	unsigned long setups, setup_fails, small_mss;
	unsigned long per_kind[K_MAX], per_class[M_MAX];
} st;

static int failures;

static void result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("RESULT %s ", ok ? "ok" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	printf("# fatal: %s: %s\n", what, strerror(errno));
	printf("RESULT fail fuzzer setup: %s\n", what);
	exit(1);
}

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static int chance(int one_in)
{
	return rnd_below(one_in) == 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- checksums ------------------------------------------------------- */

static uint32_t sum16(const void *p, size_t len, uint32_t s)
{
	const uint8_t *b = p;

	while (len > 1) {
		s += (b[0] << 8) | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		s += b[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The TCP checksum over @len bytes at @tcp with the pseudo-header. */
static uint16_t tcp_sum(int v6, const uint8_t *ip, const uint8_t *tcp,
			size_t len)
{
	uint32_t s = 0;

	if (v6) {
		s = sum16(ip + 8, 32, s);
		s += (uint32_t)(len >> 16) + (len & 0xffff);
	} else {
		s = sum16(ip + 12, 8, s);
		s += len;
	}
	s += IPPROTO_TCP;
	return fold(sum16(tcp, len, s));
}

/* --- building segments ---------------------------------------------- */

struct seg {
	int v6;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;		/* the 12 bits below the data offset */
	uint16_t win, urg;
	uint8_t opt[64];
	int optlen;
	int doff;		/* -1: as the options need */
	int datalen;
	int bad_csum;
	int iplen;		/* 0: exact, else the total length to claim */
	int bad_ipsum;
};

static uint8_t pkt[2048];

/* Lay @s out in pkt; returns its length on the wire. */
static int build(const struct seg *s)
{
	int iphl = s->v6 ? 40 : 20, optlen = s->optlen, thl, len, i;
	uint8_t *th = pkt + iphl;
	uint16_t csum;

	if (optlen > 40)
		optlen = 40;
	thl = 20 + ((optlen + 3) & ~3);
	len = iphl + thl + s->datalen;
	memset(pkt, 0, iphl + thl);
	if (s->v6) {
		pkt[0] = 0x60;
		pkt[4] = (len - 40) >> 8;
		pkt[5] = (len - 40) & 0xff;
		pkt[6] = IPPROTO_TCP;
		pkt[7] = 64;
		memcpy(pkt + 8, &p6, 16);
		memcpy(pkt + 24, &k6, 16);
	} else {
		pkt[0] = 0x45;
		pkt[2] = len >> 8;
		pkt[3] = len & 0xff;
		pkt[6] = 0x40;	/* DF */
		pkt[8] = 64;
		pkt[9] = IPPROTO_TCP;
		memcpy(pkt + 12, &p4, 4);
		memcpy(pkt + 16, &k4, 4);
	}
	th[0] = s->sport >> 8;
	th[1] = s->sport & 0xff;
	th[2] = s->dport >> 8;
	th[3] = s->dport & 0xff;
	for (i = 0; i < 4; i++) {
		th[4 + i] = s->seq >> (24 - 8 * i);
		th[8 + i] = s->ack >> (24 - 8 * i);
	}
	th[12] = (uint8_t)(((s->doff >= 0 ? s->doff : thl / 4) << 4) |
			   ((s->flags >> 8) & 0x0f));
	th[13] = s->flags & 0xff;
	th[14] = s->win >> 8;
	th[15] = s->win & 0xff;
	th[18] = s->urg >> 8;
	th[19] = s->urg & 0xff;
	memcpy(th + 20, s->opt, optlen);
	for (i = 0; i < s->datalen; i++)
		th[thl + i] = (uint8_t)rnd();
	csum = tcp_sum(s->v6, pkt, th, thl + s->datalen);
	if (s->bad_csum)
		csum ^= 1 + rnd_below(0xfffe);
	th[16] = csum >> 8;
	th[17] = csum & 0xff;

	if (s->iplen) {
		if (s->v6) {
			pkt[4] = (s->iplen - 40) >> 8;
			pkt[5] = (s->iplen - 40) & 0xff;
		} else {
			pkt[2] = s->iplen >> 8;
			pkt[3] = s->iplen & 0xff;
		}
	}
	if (!s->v6) {
		csum = fold(sum16(pkt, 20, 0));
		if (s->bad_ipsum)
			csum ^= 1 + rnd_below(0xfffe);
		pkt[10] = csum >> 8;
		pkt[11] = csum & 0xff;
	}
	return len;
}

/*
 * What the kernel makes of pkt[0..@len): the IP layer's checks
 * (ip_rcv_core(), ipv6_rcv()), then the hook's, then ktcp_segment_in()'s.
 * @owned: 0 no ktcp socket holds the port, 1 one does, 2 maybe.
 */
static enum fate predict(int v6, int len, int owned)
{
	int iphl = v6 ? 40 : 20, claimed, tcplen, doff;

	if (v6) {
		claimed = 40 + ((pkt[4] << 8) | pkt[5]);
	} else {
		claimed = (pkt[2] << 8) | pkt[3];
		if (fold(sum16(pkt, 20, 0)) != 0)
			return F_IPDROP;
		if (claimed < 20)
			return F_IPDROP;
	}
	if (claimed > len)
		return F_IPDROP;
	tcplen = claimed - iphl;
	if (tcplen < 20 || !owned)
		return F_NATIVE;
	doff = pkt[iphl + 12] >> 4;
	if (doff < 5 || doff * 4 > tcplen)
		return F_HDRERR;
	if (tcp_sum(v6, pkt, pkt + iphl, tcplen) != 0)
		return F_CSUMERR;
	return F_GOOD;
}

static void tun_write(const struct seg *s, int owned)
{
	int len = build(s);
	enum fate f = predict(s->v6, len, owned);

	if (write(tun_fd, pkt, len) != len && errno != EINVAL)
		die("write to tun");
	st.total++;
	switch (f) {
	case F_IPDROP:
		if (s->v6)
			st.ipdrop6++;
		else
			st.ipdrop4++;
		return;
	case F_NATIVE:
		st.native++;
		return;
	default:
		break;
	}
	if (owned == 1)
		st.ktcp_sure++;
	else
		st.ktcp_maybe++;
	if (f == F_HDRERR) {
		if (owned == 1)
			st.hdr_sure++;
		else
			st.hdr_maybe++;
	} else if (f == F_CSUMERR) {
		if (owned == 1)
			st.csum_sure++;
		else
			st.csum_maybe++;
	}
}

/* --- options ------------------------------------------------------- */

static void opt_put(struct seg *s, const uint8_t *o, int n)
{
	if (s->optlen + n > (int)sizeof(s->opt))
		n = sizeof(s->opt) - s->optlen;
	memcpy(s->opt + s->optlen, o, n);
	s->optlen += n;
}

static uint16_t rnd_mss(void)
{
	switch (rnd_below(6)) {
	case 0:
		return 12;	/* with timestamps: nothing left for data */
	case 5:
		return rnd_below(12);		/* 0-11: below the TS option */
	case 1:
		return 13 + rnd_below(100);
	case 2:
		return 65535 - rnd_below(4);
	case 3:
		return 536;
	default:
		return rnd_below(65536);
	}
}

/* A length byte: right, or zero, short, overlong. */
static uint8_t rnd_len(uint8_t right)
{
	switch (rnd_below(8)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return right - 1;
	case 3:
		return right + 1 + rnd_below(4);
	case 4:
		return 40 + rnd_below(216);
	default:
		return right;
	}
}

/* A sequence number relative to @base with window @wnd, often at edges. */
static uint32_t rnd_rel(uint32_t base, uint32_t wnd)
{
	switch (rnd_below(10)) {
	case 0:
		return base;
	case 1:
		return base - 1;
	case 2:
		return base + 1;
	case 3:
		return base + wnd;
	case 4:
		return base + wnd + 1;
	case 5:
		return base + wnd - 1;
	case 6:
		return base - wnd - rnd_below(3);
	case 7:
		return base + 0x80000000u + rnd_below(3) - 1;
	case 8:
		return base + rnd_below(wnd + 1);
	default:
		return (uint32_t)rnd();
	}
}

static void add_mss(struct seg *s)
{
	uint16_t mss = rnd_mss();
	uint8_t o[4] = { 2, chance(4) ? rnd_len(4) : 4, mss >> 8, mss & 0xff };

	st.per_class[M_MSS]++;
	opt_put(s, o, 4);
}

static void add_ts(struct seg *s, uint32_t ecr)
{
	uint32_t val;
	uint8_t o[10];
	int i;

	switch (rnd_below(5)) {
	case 0:
		val = 0;
		break;
	case 1:
		val = 0xffffffffu - rnd_below(3);
		break;
	case 2:
		val = 0x80000000u + rnd_below(3);
		break;
	default:
		val = (uint32_t)(now() * 1000);
		break;
	}
	if (chance(5))
		ecr = chance(2) ? 0 : (uint32_t)rnd();
	o[0] = 8;
	o[1] = chance(5) ? rnd_len(10) : 10;
	for (i = 0; i < 4; i++) {
		o[2 + i] = val >> (24 - 8 * i);
		o[6 + i] = ecr >> (24 - 8 * i);
	}
	opt_put(s, o, 10);
}

static void add_sack(struct seg *s, const struct target *t)
{
	int n = rnd_below(5), i, j;
	uint8_t o[2 + 8 * 4];

	o[0] = 5;
	o[1] = chance(4) ? rnd_len(2 + 8 * n) : 2 + 8 * n;
	for (i = 0; i < n; i++) {
		uint32_t l = rnd_rel(t->rcv_nxt, 65535), r;

		r = chance(4) ? l - rnd_below(100) : l + rnd_below(3000);
		for (j = 0; j < 4; j++) {
			o[2 + 8 * i + j] = l >> (24 - 8 * j);
			o[6 + 8 * i + j] = r >> (24 - 8 * j);
		}
	}
	opt_put(s, o, 2 + 8 * n);
}

/* Options for a segment; @syn: as a SYN or SYN-ACK would carry them. */
static void add_options(struct seg *s, const struct target *t, int syn)
{
	int n = 1 + rnd_below(syn ? 4 : 5), i;
	uint8_t o[4];

	for (i = 0; i < n; i++) {
		switch (rnd_below(10)) {
		case 0:
			if (!(excluded & 1u << M_MSS))
				add_mss(s);
			break;
		case 1:		/* window scale, often above 14 */
			o[0] = 3;
			o[1] = chance(4) ? rnd_len(3) : 3;
			o[2] = chance(2) ? 14 + rnd_below(242) : rnd_below(15);
			opt_put(s, o, 3);
			break;
		case 2:		/* SACK permitted */
			o[0] = 4;
			o[1] = chance(3) ? rnd_len(2) : 2;
			opt_put(s, o, 2);
			break;
		case 3:
			add_sack(s, t);
			break;
		case 4:
			add_ts(s, t->rcv_nxt);
			break;
		case 5:		/* NOPs */
			o[0] = 1;
			o[1] = 1;
			opt_put(s, o, 1 + rnd_below(2));
			break;
		case 6:		/* EOL, then whatever follows */
			o[0] = 0;
			o[1] = (uint8_t)rnd();
			opt_put(s, o, 1 + rnd_below(2));
			break;
		case 7:		/* unknown kind, any length */
			o[0] = 9 + rnd_below(247);
			o[1] = rnd_below(12);
			o[2] = (uint8_t)rnd();
			o[3] = (uint8_t)rnd();
			opt_put(s, o, 2 + rnd_below(3));
			break;
		case 8:		/* a kind alone at the header's end */
			o[0] = 2 + rnd_below(7);
			opt_put(s, o, 1);
			break;
		default:	/* random bytes */
			o[0] = (uint8_t)rnd();
			o[1] = (uint8_t)rnd();
			o[2] = (uint8_t)rnd();
			opt_put(s, o, 1 + rnd_below(3));
			break;
		}
	}
	/* Now and then stop right after a kind, or mid-option. */
	if (chance(6) && s->optlen > 1)
		s->optlen -= 1 + rnd_below(s->optlen < 4 ? s->optlen : 4);
}

/*
 * The options of a well-formed SYN or SYN-ACK whose values are odd at
 * times: MSS 0-65535 (0-12 with timestamps), window scale above 14,
 * timestamps 0 and wrapped.  Malformed options go in fuzz_one(): a
 * handshake that ktcp rightly ignores would only cost time here.
 */
static void syn_options(struct seg *s, const struct target *t)
{
	uint8_t o[4];
	uint16_t mss = 1460;

	if (!(excluded & 1u << M_MSS) && chance(2)) {
		mss = rnd_mss();
		st.per_class[M_MSS]++;
	}
	o[0] = 2;
	o[1] = 4;
	o[2] = mss >> 8;
	o[3] = mss & 0xff;
	opt_put(s, o, 4);
	if (chance(2)) {
		o[0] = 4;
		o[1] = 2;
		opt_put(s, o, 2);
	}
	if (chance(2) || mss < 13)
		add_ts(s, t->rcv_nxt);
	if (chance(2)) {
		o[0] = 3;
		o[1] = 3;
		o[2] = chance(4) ? 14 + rnd_below(242) : rnd_below(15);
		opt_put(s, o, 3);
	}
	if (mss < 13)
		st.small_mss++;
}

/* --- the tun ------------------------------------------------------- */

static void base_seg(struct seg *s, const struct target *t, uint16_t flags)
{
	memset(s, 0, sizeof(*s));
	s->v6 = t->v6;
	s->sport = t->pport;
	s->dport = t->kport;
	s->seq = t->snd_nxt;
	s->ack = flags & TH_ACK ? t->rcv_nxt : 0;
	s->flags = flags;
	s->win = 65535;
	s->doff = -1;
}

static int owned_of(const struct target *t)
{
	if (t->kind == K_NOSOCK)
		return 0;
	return t->maybe ? 2 : 1;
}

/* A segment of ktcp's read from the tun. */
struct rseg {
	int v6;
	uint16_t sport, dport, flags;
	uint32_t seq, ack;
	int datalen;
};

static int parse(const uint8_t *p, int n, struct rseg *r)
{
	int iphl, doff;

	if (n < 20)
		return -1;
	if ((p[0] >> 4) == 6) {
		if (n < 60 || p[6] != IPPROTO_TCP)
			return -1;
		iphl = 40;
		r->v6 = 1;
	} else if ((p[0] >> 4) == 4) {
		iphl = (p[0] & 15) * 4;
		if (p[9] != IPPROTO_TCP || n < iphl + 20)
			return -1;
		r->v6 = 0;
	} else {
		return -1;
	}
	p += iphl;
	r->sport = (p[0] << 8) | p[1];
	r->dport = (p[2] << 8) | p[3];
	r->seq = (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	r->ack = (uint32_t)p[8] << 24 | p[9] << 16 | p[10] << 8 | p[11];
	r->flags = ((p[12] & 15) << 8) | p[13];
	doff = (p[12] >> 4) * 4;
	r->datalen = n - iphl - doff;
	if (r->datalen < 0)
		r->datalen = 0;
	return 0;
}

static struct target *target_of(const struct rseg *r)
{
	unsigned int i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct target *t = &targets[i];

		if (t->v6 == r->v6 && t->kport == r->sport &&
		    t->pport == r->dport)
			return t;
	}
	return NULL;
}

/* Take what ktcp said to a target into its state. */
static void learn(const struct rseg *r)
{
	struct target *t = target_of(r);
	uint32_t end;

	if (!t)
		return;
	if (r->flags & TH_RST) {
		if (t->kind != K_LISTEN && t->kind != K_BOUND &&
		    t->kind != K_NOSOCK)
			t->dead = 1;
		return;
	}
	end = r->seq + r->datalen + !!(r->flags & TH_SYN) +
	      !!(r->flags & TH_FIN);
	if ((int32_t)(end - t->rcv_nxt) > 0 &&
	    (int32_t)(end - t->rcv_nxt) < 0x1000000)
		t->rcv_nxt = end;
}

/*
 * Read ktcp's segments for up to @ms milliseconds (0: what is there),
 * until one from @sport to @dport with all of @flags set comes.
 */
static int tun_read(int ms, int v6, uint16_t sport, uint16_t dport,
		    uint16_t flags, struct rseg *out)
{
	double end = now() + ms / 1000.0;
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = { .fd = tun_fd, .events = POLLIN };
		int left = (int)((end - now()) * 1000);
		struct rseg r;
		ssize_t n;

		if (left < 0)
			left = 0;
		if (poll(&pfd, 1, left) <= 0)
			return -1;
		n = read(tun_fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("read from tun");
		}
		if (parse(buf, n, &r))
			continue;
		learn(&r);
		if (out && r.v6 == v6 && r.sport == sport && r.dport == dport &&
		    (r.flags & flags) == flags && !(r.flags & TH_RST)) {
			*out = r;
			return 0;
		}
	}
}

/* --- sockets ------------------------------------------------------- */

static socklen_t sockaddr_of(int v6, const char *ip, uint16_t port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
		return sizeof(*s6);
	}
	s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s4->sin_addr);
	return sizeof(*s4);
}

static int ksock(void)
{
	int fd = socket(ktcp_fam, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket(ktcp)");
	return fd;
}

static int kbind(int fd, int v6, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(v6, ip, port, &ss);
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&ss, len);
}

static uint16_t peer_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* close() with SO_LINGER {1, 0}: a RST, and the socket is gone at once. */
static void abort_close(int fd)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(fd);
}

/* The child of listener @v6 for peer port @pport; aborts others. */
static int accept_child(int v6, uint16_t pport, int ms)
{
	double end = now() + ms / 1000.0;

	while (now() < end) {
		int fd = accept4(listen_fd[v6], NULL, NULL, SOCK_NONBLOCK);

		if (fd < 0) {
			tun_read(20, 0, 0, 0, 0, NULL);
			continue;
		}
		if (peer_port(fd) == pport)
			return fd;
		abort_close(fd);
	}
	return -1;
}

/* Children of the fuzzer's stray handshakes: take them and abort them. */
static void reap_children(void)
{
	int v6, fd;

	for (v6 = 0; v6 < 2; v6++)
		while ((fd = accept4(listen_fd[v6], NULL, NULL, 0)) >= 0)
			abort_close(fd);
}

/*
 * Connections left behind without a socket (LAST-ACK, FIN-WAIT, CLOSING,
 * TIME-WAIT): the fuzzer resets them at the end, so that the namespace
 * and the module are free again.
 */
static struct target history[4096];
static unsigned int nhistory;

static void target_close(struct target *t)
{
	if (t->kind != K_LISTEN && t->kind != K_BOUND &&
	    t->kind != K_NOSOCK && t->kport)
		history[nhistory++ % 4096] = *t;
	if (t->fd >= 0)
		abort_close(t->fd);
	t->fd = -1;
}

static void send_rst(int v6, uint16_t sport, uint16_t dport, uint32_t seq,
		     uint32_t ack)
{
	struct seg s = { .v6 = v6, .sport = sport, .dport = dport, .seq = seq,
			 .ack = ack, .flags = TH_RST | (ack ? TH_ACK : 0),
			 .doff = -1 };

	tun_write(&s, 2);
}

/*
 * Reset every connection the fuzzer made: a RST at the sequence number
 * it believes in, then, for a few seconds, one at the ACK number of each
 * segment ktcp still sends (a retransmitted FIN, a challenge ACK).
 */
static void reset_all(void)
{
	unsigned int i, n = nhistory < 4096 ? nhistory : 4096;
	uint8_t buf[2048];
	double end;

	for (i = 0; i < n; i++)
		send_rst(history[i].v6, history[i].pport, history[i].kport,
			 history[i].snd_nxt, 0);
	end = now() + 5;
	while (now() < end) {
		struct pollfd pfd = { .fd = tun_fd, .events = POLLIN };
		struct rseg r;
		ssize_t len;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		len = read(tun_fd, buf, sizeof(buf));
		if (len <= 0 || parse(buf, len, &r) || r.flags & TH_RST)
			continue;
		if (r.flags & TH_ACK)
			send_rst(r.v6, r.dport, r.sport, r.ack, 0);
		else if (r.flags & TH_SYN)	/* SYN-SENT takes RST+ACK */
			send_rst(r.v6, r.dport, r.sport, 0, r.seq + 1);
	}
}

static uint16_t new_pport(void)
{
	if (++next_pport < 20000 || next_pport > 39000)
		next_pport = 20000;
	return next_pport;
}

/*
 * Bring @t to its state with a real handshake through the tun.  Return
 * 0, or -1 if ktcp did not answer as expected (the target then stays
 * dead until the next try).
 */
static int setup(struct target *t)
{
	enum kind k = t->kind;
	struct rseg r;
	struct seg s;
	int fd;

	target_close(t);
	t->dead = 1;
	t->sent = 0;
	t->maybe = 0;
	t->snd_nxt = (uint32_t)rnd();
	t->rcv_nxt = 0;
	st.setups++;

	if (k == K_LISTEN || k == K_BOUND || k == K_NOSOCK) {
		t->kport = k == K_LISTEN ? PORT_LISTEN + t->v6 :
			   k == K_BOUND ? PORT_BOUND + t->v6 :
			   PORT_NONE + (int)rnd_below(100);
		t->pport = new_pport();
		t->rcv_nxt = (uint32_t)rnd();
		t->dead = 0;
		return 0;
	}

	if (k == K_SYNSENT) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (++next_aport >= PORT_ACTIVE + NACTIVE_PORTS)
			next_aport = PORT_ACTIVE;
		t->kport = next_aport;
		t->pport = new_pport();
		t->maybe = 1;
		fd = ksock();
		if (kbind(fd, t->v6, t->v6 ? KTCP_V6 : KTCP_V4, t->kport)) {
			close(fd);
			goto fail;
		}
		len = sockaddr_of(t->v6, t->v6 ? PEER_V6 : PEER_V4, t->pport,
				  &ss);
		if (connect(fd, (struct sockaddr *)&ss, len) &&
		    errno != EINPROGRESS) {
			close(fd);
			goto fail;
		}
		t->fd = fd;
		if (tun_read(wait_ms, t->v6, t->kport, t->pport, TH_SYN, &r))
			goto fail;
		t->isn = r.seq;
		t->rcv_nxt = r.seq + 1;
		t->dead = 0;
		/* Half of them go on to ESTABLISHED, the MSS chosen here. */
		if (chance(2)) {
			base_seg(&s, t, TH_SYN | TH_ACK);
			syn_options(&s, t);
			tun_write(&s, 2);
			t->snd_nxt++;
		}
		return 0;
	}

	/* Passive: the fuzzer connects to the listener. */
	t->kport = PORT_LISTEN + t->v6;
	t->pport = new_pport();
	base_seg(&s, t, TH_SYN);
	syn_options(&s, t);
	tun_write(&s, 1);
	t->snd_nxt++;
	if (tun_read(wait_ms, t->v6, t->kport, t->pport, TH_SYN | TH_ACK, &r))
		goto fail;
	t->isn = r.seq;
	t->rcv_nxt = r.seq + 1;
	if (k == K_SYNRECV) {
		t->dead = 0;
		return 0;
	}
	base_seg(&s, t, TH_ACK);
	tun_write(&s, 1);
	t->fd = accept_child(t->v6, t->pport, wait_ms);
	if (t->fd < 0)
		goto fail;
	if (k == K_ESTAB) {
		t->dead = 0;
		return 0;
	}

	if (k == K_CLOSEWAIT || k == K_LASTACK) {
		base_seg(&s, t, TH_FIN | TH_ACK);
		tun_write(&s, 1);
		t->snd_nxt++;
		if (k == K_LASTACK) {
			close(t->fd);
			t->fd = -1;
			if (tun_read(wait_ms, t->v6, t->kport, t->pport, TH_FIN,
				     &r))
				goto fail;
		}
		t->dead = 0;
		return 0;
	}

	/* FIN-WAIT-1 and what follows from it: ktcp closes first. */
	if (chance(2)) {
		shutdown(t->fd, SHUT_WR);
	} else {
		close(t->fd);
		t->fd = -1;
	}
	if (tun_read(wait_ms, t->v6, t->kport, t->pport, TH_FIN, &r))
		goto fail;
	if (k == K_FINWAIT2 || k == K_TIMEWAIT) {
		base_seg(&s, t, TH_ACK);
		tun_write(&s, 1);
	}
	if (k == K_CLOSING) {
		base_seg(&s, t, TH_FIN | TH_ACK);
		s.ack = t->rcv_nxt - 1;	/* not acking ktcp's FIN */
		tun_write(&s, 1);
		t->snd_nxt++;
	}
	if (k == K_TIMEWAIT) {
		base_seg(&s, t, TH_FIN | TH_ACK);
		tun_write(&s, 1);
		t->snd_nxt++;
	}
	t->dead = 0;
	return 0;

fail:
	st.setup_fails++;
	target_close(t);
	return -1;
}

/* --- one fuzzed segment -------------------------------------------- */

static int on(enum mclass c, int one_in)
{
	if (excluded & 1u << c)
		return 0;
	if (!chance(one_in))
		return 0;
	st.per_class[c]++;
	return 1;
}

static void fuzz_one(struct target *t)
{
	static const uint16_t common[] = {
		TH_ACK, TH_ACK | TH_PSH, TH_SYN, TH_SYN | TH_ACK, TH_RST,
		TH_RST | TH_ACK, TH_FIN | TH_ACK, TH_FIN, TH_ACK | TH_URG,
	};
	uint16_t flags = TH_ACK;
	struct seg s;
	int len;

	if (chance(3))
		flags = common[rnd_below(sizeof(common) / sizeof(common[0]))];
	base_seg(&s, t, flags);
	if (on(M_FLAGS, 4))
		s.flags = rnd_below(0x1000);
	if (t->kind == K_LISTEN || t->kind == K_NOSOCK || t->kind == K_BOUND) {
		/* A new peer port now and then: many half-open requests. */
		if (chance(2))
			s.sport = new_pport();
		s.seq = (uint32_t)rnd();
	}
	if (on(M_SEQ, 3))
		s.seq = rnd_rel(t->snd_nxt, 65535);
	if (on(M_ACK, 3))
		s.ack = rnd_rel(t->rcv_nxt, 65535);
	if (on(M_WIN, 5))
		s.win = chance(2) ? rnd_below(3) : 65535 - rnd_below(3);
	if (on(M_OPT, 2))
		add_options(&s, t, s.flags & TH_SYN);
	else if ((s.flags & TH_SYN) && chance(2))
		syn_options(&s, t);
	if (on(M_DATA, 3)) {
		s.datalen = chance(4) ? 1 : rnd_below(1400);
		s.urg = (uint16_t)rnd();
	}
	if (on(M_DOFF, 12))
		s.doff = rnd_below(16);
	if (on(M_CSUM, 12))
		s.bad_csum = 1;
	if (on(M_IPLEN, 14)) {
		len = (s.v6 ? 40 : 20) + 20 + ((s.optlen + 3) & ~3) +
		      s.datalen;
		switch (rnd_below(4)) {
		case 0:
			s.iplen = len + 1 + rnd_below(100);
			break;
		case 1:
			s.iplen = rnd_below(len);
			if (s.v6 && s.iplen < 40)
				s.iplen = 40;
			break;
		case 2:
			s.iplen = len - 1 - rnd_below(4);
			break;
		default:
			if (!s.v6)
				s.bad_ipsum = 1;
			break;
		}
		if (!s.iplen && !s.bad_ipsum)
			s.iplen = len + 1;
	}
	tun_write(&s, owned_of(t));
	t->sent++;
	st.per_kind[t->kind]++;
	/* An in-window segment moves the fuzzer's sequence on. */
	if (s.seq == t->snd_nxt && !s.bad_csum && s.doff < 0 && !s.iplen)
		t->snd_nxt += s.datalen + !!(s.flags & TH_SYN) +
			      !!(s.flags & TH_FIN);
}

/* ktcp's application side: write a little, read what came. */
static void app_side(struct target *t)
{
	static char buf[8192];

	if (t->fd < 0)
		return;
	if (chance(2))
		(void)!write(t->fd, buf, 1 + rnd_below(3000));
	while (read(t->fd, buf, sizeof(buf)) > 0)
		;
}

/* --- the checks afterwards ------------------------------------------ */

static long counter(const char *path, const char *name)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char n[128];
		long x;

		if (sscanf(line, "%127s %ld", n, &x) == 2 && !strcmp(n, name)) {
			v = x;
			break;
		}
	}
	fclose(f);
	return v;
}

/* All of /proc/net/ktcp_snmp, for the deltas printed at the end. */
#define NSNMP 64
static char snmp_name[NSNMP][48];
static long snmp_before[NSNMP];

static int snmp_all(long *vals)
{
	char line[256];
	FILE *f = fopen("/proc/net/ktcp_snmp", "r");
	int n = 0;

	if (!f)
		return 0;
	while (n < NSNMP && fgets(line, sizeof(line), f))
		if (sscanf(line, "%47s %ld", snmp_name[n], &vals[n]) == 2)
			n++;
	fclose(f);
	return n;
}

static void snmp_deltas(void)
{
	long after[NSNMP];
	int i, n = snmp_all(after);

	printf("# ktcp_snmp deltas:");
	for (i = 0; i < n; i++)
		if (after[i] != snmp_before[i])
			printf(" %s %+ld", snmp_name[i],
			       after[i] - snmp_before[i]);
	printf("\n");
}

/* A field of the @prefix lines ("Ip: ") of @path (/proc/net/snmp). */
static long snmp_field(const char *path, const char *prefix, const char *name)
{
	char head[4096], vals[4096], *hs, *vs, *h, *v;
	FILE *f = fopen(path, "r");
	size_t plen = strlen(prefix);
	long r = -1;

	if (!f)
		return -1;
	while (fgets(head, sizeof(head), f)) {
		if (strncmp(head, prefix, plen))
			continue;
		if (!fgets(vals, sizeof(vals), f))
			break;
		h = strtok_r(head, " \n", &hs);
		v = strtok_r(vals, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, name))
				r = atol(v);
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return r;
}

static long ipdrops4(void)
{
	/* A bad header checksum counts in InHdrErrors too. */
	return snmp_field("/proc/net/snmp", "Ip: ", "InHdrErrors") +
	       snmp_field("/proc/net/netstat", "IpExt: ", "InTruncatedPkts");
}

static long ipdrops6(void)
{
	return counter("/proc/net/snmp6", "Ip6InHdrErrors") +
	       counter("/proc/net/snmp6", "Ip6InTruncatedPkts");
}

/* A clean handshake to the listener through the tun, as at the start. */
static int handshake_ok(int v6)
{
	struct target t = { .v6 = v6, .kind = K_ESTAB, .fd = -1 };
	struct rseg r;
	struct seg s;
	uint8_t o[4] = { 2, 4, 1460 >> 8, 1460 & 0xff };
	int fd;

	t.kport = PORT_LISTEN + v6;
	t.pport = new_pport();
	t.snd_nxt = (uint32_t)rnd();
	base_seg(&s, &t, TH_SYN);
	opt_put(&s, o, 4);
	tun_write(&s, 1);
	t.snd_nxt++;
	if (tun_read(5000, v6, t.kport, t.pport, TH_SYN | TH_ACK, &r))
		return 0;
	t.rcv_nxt = r.seq + 1;
	base_seg(&s, &t, TH_ACK);
	tun_write(&s, 1);
	fd = accept_child(v6, t.pport, 5000);
	if (fd < 0)
		return 0;
	abort_close(fd);
	return 1;
}

/* A fresh ktcp connection over loopback moves @bytes exactly. */
static int transfer_ok(int v6, size_t bytes)
{
	const char *lo = v6 ? "::1" : "127.0.0.1";
	struct sockaddr_storage ss;
	socklen_t len;
	int l, c, a = -1, ok = 0;
	size_t sent = 0, got = 0;
	uint8_t out[4096], in[4096];
	double end = now() + 60;

	l = ksock();
	if (kbind(l, v6, lo, 7000 + v6) || listen(l, 4)) {
		printf("# loopback listener: %s\n", strerror(errno));
		close(l);
		return 0;
	}
	c = ksock();
	len = sockaddr_of(v6, lo, 7000 + v6, &ss);
	if (connect(c, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		printf("# loopback connect: %s\n", strerror(errno));
		goto out;
	}
	while (now() < end && (got < bytes)) {
		struct pollfd p[2] = { { .fd = c, .events = POLLOUT },
				       { .fd = a, .events = POLLIN } };
		ssize_t n;
		size_t i;

		if (a < 0) {
			a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
			if (a < 0)
				usleep(10000);
			continue;
		}
		poll(p, 2, 100);
		if (sent < bytes) {
			size_t want = bytes - sent < sizeof(out) ?
				      bytes - sent : sizeof(out);

			for (i = 0; i < want; i++)
				out[i] = (uint8_t)((sent + i) * 7 + 3);
			n = write(c, out, want);
			if (n > 0)
				sent += n;
			else if (n < 0 && errno != EAGAIN)
				break;
		}
		n = read(a, in, sizeof(in));
		if (n == 0)
			break;
		for (i = 0; n > 0 && i < (size_t)n; i++) {
			if (in[i] != (uint8_t)((got + i) * 7 + 3)) {
				printf("# byte %zu differs\n", got + i);
				goto out;
			}
		}
		if (n > 0)
			got += n;
	}
	ok = got == bytes;
	if (!ok)
		printf("# %zu of %zu bytes sent, %zu received\n", sent, bytes,
		       got);
out:
	if (a >= 0)
		close(a);
	close(c);
	close(l);
	return ok;
}

/* --- setup ---------------------------------------------------------- */

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	(void)!write(fd, val, strlen(val));
	close(fd);
}

static void make_netns(void)
{
	struct ifreq ifr = { 0 };

	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET)");
	tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (tun_fd < 0)
		die("/dev/net/tun");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, TUN_NAME);
	if (ioctl(tun_fd, TUNSETIFF, &ifr))
		die("TUNSETIFF");
	if (system("ip link set lo up && "
		   "ip addr add " KTCP_V4 "/24 dev " TUN_NAME " && "
		   "ip -6 addr add " KTCP_V6 "/64 dev " TUN_NAME " nodad && "
		   "ip link set " TUN_NAME " up"))
		die("configuring " TUN_NAME);
	/* Short ends for the sockets left behind, as the guest sets them. */
	write_file("/proc/sys/net/ktcp/tw_timeout", "1");
	write_file("/proc/sys/net/ktcp/fin_timeout", "3");
	inet_pton(AF_INET, KTCP_V4, &k4);
	inet_pton(AF_INET, PEER_V4, &p4);
	inet_pton(AF_INET6, KTCP_V6, &k6);
	inet_pton(AF_INET6, PEER_V6, &p6);
}

static void parse_exclude(const char *v)
{
	char *copy, *tok, *save;
	int i;

	if (!v || !*v)
		return;
	copy = strdup(v);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < M_MAX; i++)
			if (!strcmp(tok, mclass_name[i]))
				excluded |= 1u << i;
	}
	free(copy);
}

int main(void)
{
	const char *env = getenv("KTCP_FUZZ_SEED");
	int seconds = getenv("KTCP_FUZZ_SECONDS") ?
		      atoi(getenv("KTCP_FUZZ_SECONDS")) : 60;
	int debug = getenv("KTCP_DEBUG_KERNEL") &&
		    !strcmp(getenv("KTCP_DEBUG_KERNEL"), "1");
	long in0, err0, csum0, ip40, ip60, in1, err1, csum1, ip41, ip61;
	unsigned long long seed;
	unsigned int i, n = sizeof(targets) / sizeof(targets[0]);
	unsigned long iter = 0;
	double end, next_report;
	int v6;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* ktcp's side writes to connections the fuzzer may have reset. */
	signal(SIGPIPE, SIG_IGN);
	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else
		seed = (unsigned long long)time(NULL) * 1000003ULL ^ getpid();
	if (!seed)
		seed = 1;
	rng = seed;
	printf("# seed %llu\n", seed);
	parse_exclude(getenv("KTCP_FUZZ_EXCLUDE"));
	if (excluded)
		printf("# development run: excluded mutation classes %s\n",
		       getenv("KTCP_FUZZ_EXCLUDE"));
	if (seconds <= 0)
		seconds = 60;
	if (debug)
		wait_ms = 3000;

	ktcp_fam = ktcp_family();
	if (ktcp_fam < 0) {
		errno = -ktcp_fam;
		die("ktcp_family (is ktcp.ko loaded?)");
	}
	make_netns();

	for (v6 = 0; v6 < 2; v6++) {
		listen_fd[v6] = ksock();
		if (kbind(listen_fd[v6], v6, v6 ? "::" : "0.0.0.0",
			  PORT_LISTEN + v6) || listen(listen_fd[v6], 16))
			die("ktcp listener");
		bound_fd[v6] = ksock();
		if (kbind(bound_fd[v6], v6, v6 ? "::" : "0.0.0.0",
			  PORT_BOUND + v6))
			die("ktcp bound socket");
	}
	for (i = 0; i < n; i++) {
		targets[i].v6 = i >= K_MAX;
		targets[i].kind = (enum kind)(i % K_MAX);
		targets[i].fd = -1;
		targets[i].dead = 1;
	}

	in0 = counter("/proc/net/ktcp_snmp", "InSegs");
	err0 = counter("/proc/net/ktcp_snmp", "InErrs");
	csum0 = counter("/proc/net/ktcp_snmp", "InCsumErrors");
	ip40 = ipdrops4();
	ip60 = ipdrops6();
	snmp_all(snmp_before);

	printf("# fuzzing for %d s\n", seconds);
	end = now() + seconds;
	next_report = now() + 10;
	while (now() < end) {
		struct target *t = &targets[rnd_below(n)];

		if (now() > next_report) {
			printf("# %.0f s left: %lu segments, %lu handshakes\n",
			       end - now(), st.total, st.setups);
			next_report += 10;
		}

		if (t->dead || t->sent > 300 || chance(400)) {
			setup(t);
			continue;
		}
		fuzz_one(t);
		if (chance(8))
			app_side(t);
		if ((++iter & 63) == 0)
			reap_children();
		tun_read(0, 0, 0, 0, 0, NULL);
	}
	/* Let ktcp's answers drain, then count. */
	tun_read(500, 0, 0, 0, 0, NULL);

	printf("# %lu segments sent: %lu to ktcp-held ports (%lu of them to "
	       "ports ktcp may have let go), %lu to the native stack, %lu "
	       "IPv4 and %lu IPv6 the IP layer drops\n",
	       st.total, st.ktcp_sure + st.ktcp_maybe, st.ktcp_maybe,
	       st.native, st.ipdrop4, st.ipdrop6);
	printf("# %lu handshakes to reach a state, %lu failed"
	       "\n# %lu SYNs and SYN-ACKs announced an MSS below 13\n",
	       st.setups, st.setup_fails, st.small_mss);
	for (i = 0; i < K_MAX; i++)
		printf("# %lu fuzzed segments at %s\n", st.per_kind[i],
		       kind_name[i]);
	for (i = 0; i < M_MAX; i++)
		printf("# %lu segments with mutation %s\n", st.per_class[i],
		       mclass_name[i]);

	in1 = counter("/proc/net/ktcp_snmp", "InSegs");
	err1 = counter("/proc/net/ktcp_snmp", "InErrs");
	csum1 = counter("/proc/net/ktcp_snmp", "InCsumErrors");
	ip41 = ipdrops4();
	ip61 = ipdrops6();
	snmp_deltas();

	for (i = 0; i < K_MAX && st.per_kind[i]; i++)
		;
	result(st.total >= 100 && i == K_MAX,
	       "fuzzer ran %d s and sent %lu segments, some in every state",
	       seconds, st.total);
	result(in0 >= 0 && in1 - in0 >= (long)st.ktcp_sure &&
	       in1 - in0 <= (long)(st.ktcp_sure + st.ktcp_maybe),
	       "InSegs counts each segment sent to a ktcp port once "
	       "(+%ld, expected %lu..%lu)", in1 - in0, st.ktcp_sure,
	       st.ktcp_sure + st.ktcp_maybe);
	result(csum0 >= 0 && csum1 - csum0 >= (long)st.csum_sure &&
	       csum1 - csum0 <= (long)(st.csum_sure + st.csum_maybe),
	       "InCsumErrors counts each bad checksum (+%ld, expected "
	       "%lu..%lu)", csum1 - csum0, st.csum_sure,
	       st.csum_sure + st.csum_maybe);
	result(err0 >= 0 && err1 - err0 >= (long)(st.csum_sure + st.hdr_sure),
	       "InErrs counts each bad checksum and data offset (+%ld, at "
	       "least %lu)", err1 - err0, st.csum_sure + st.hdr_sure);
	result(ip41 - ip40 >= (long)st.ipdrop4 &&
	       ip61 - ip60 >= (long)st.ipdrop6,
	       "the IP layer counts the packets it drops (IPv4 +%ld of %lu, "
	       "IPv6 +%ld of %lu)", ip41 - ip40, st.ipdrop4, ip61 - ip60,
	       st.ipdrop6);

	for (i = 0; i < n; i++)
		target_close(&targets[i]);
	reap_children();
	reset_all();
	for (v6 = 0; v6 < 2; v6++)
		result(handshake_ok(v6),
		       "a fresh handshake through the tun completes (%s)",
		       v6 ? "IPv6" : "IPv4");
	for (v6 = 0; v6 < 2; v6++) {
		size_t bytes = debug ? 256 << 10 : 4 << 20;

		result(transfer_ok(v6, bytes),
		       "a fresh loopback connection moves %zu bytes exactly "
		       "(%s)", bytes, v6 ? "IPv6" : "IPv4");
	}
	for (v6 = 0; v6 < 2; v6++) {
		close(listen_fd[v6]);
		close(bound_fd[v6]);
	}
	close(tun_fd);
	return failures ? 1 : 0;
}
