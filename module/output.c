// SPDX-License-Identifier: GPL-2.0
/*
 * Building and sending segments.  A never-sent skb of the write queue
 * goes whole, as one GSO packet of MSS-sized segments (native's TSO
 * skbs), cut only where the windows end; it stays whole in flight
 * until an ACK trims it (ktcp_trim_head()), a SACK block's edge or a
 * resend cuts it (ktcp_split()).  A transmission refers to the queue's
 * pages and leaves the checksum to the device or the core.
 */

#include <linux/highmem.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/tcp_states.h>

#include "gso.h"
#include "ktcp.h"
#include "ktcp_trace.h"
#include "seq.h"

#include "reassembly.h"
#include "window.h"

/* Our timestamp clock (RFC 7323 5.4): milliseconds. */
u32 ktcp_ts_now(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

/**
 * ktcp_rcv_space() - the receive buffer a new window may offer
 * @sk: the connection, locked
 *
 * Under memory pressure a window of 4 segments, as native's
 * __tcp_select_window() clamps rcv_ssthresh to 4 * advmss.  That is 4
 * segments of payload, not 4 * advmss bytes of buffer: an skb takes
 * about three times its payload (rcv_ratio), and 4 * advmss of buffer
 * offered little more than one segment, rounded to the scale less than
 * one.  The sender's SWS avoidance then held every segment back until
 * its retransmission timer pushed it: one segment per RTO, for as long
 * as the pressure lasted.
 *
 * Return: bytes of buffer, negative when over SO_RCVBUF.
 */
int ktcp_rcv_space(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	int free = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	if (sk_under_memory_pressure(sk))
		free = min_t(int, free,
			     ktcp_window_space(4 * ks->advmss, ks->rcv_ratio));
	return free;
}

/* The window we offer (window.h), remembered as offered. */
u32 ktcp_rcv_window(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	int free = ktcp_rcv_space(sk);

	ks->rcv_wnd = ktcp_window_select(free, ks->rcv_ratio, ks->rcv_nxt,
					 ks->rcv_wup + ks->rcv_wnd,
					 ks->rcv_wscale);
	ks->rcv_wup = ks->rcv_nxt;
	return ks->rcv_wnd;
}

static struct tcphdr *ktcp_push_header(struct sk_buff *skb, __be16 sport,
				       __be16 dport, u32 seq, u32 ack,
				       u8 flags, u16 window,
				       const struct ktcp_out_options *opts)
{
	int optlen = opts ? ktcp_options_size(opts) : 0;
	struct tcphdr *th = skb_push(skb, sizeof(*th) + optlen);

	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = (flags & KTCP_ACK) ? htonl(ack) : 0;
	th->doff = (sizeof(*th) + optlen) / 4;
	KTCP_FLAG_BYTE(th) = flags;
	th->window = htons(window);
	if (optlen)
		ktcp_build_options((u8 *)(th + 1), opts);
	return th;
}

/*
 * More than one MSS of payload goes as one GSO packet of MSS-sized
 * segments, as native's TSO skbs do: the device or the GSO layer cuts
 * it, and sums each segment.
 */
static void ktcp_gso_setup(struct sk_buff *skb, const struct ktcp_af_ops *ops,
			   u32 mss, u32 len)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	shinfo->gso_size = mss;
	shinfo->gso_segs = DIV_ROUND_UP(len, mss);
	shinfo->gso_type = ops->gso_type;
}

/*
 * Send a segment between addresses of @ops's family (IPv4 v4-mapped),
 * its sum left to the device or the core as native leaves it (a
 * device without checksum offload, skb_checksum_help()).  Consumes
 * @skb.
 */
static int ktcp_xmit_to(struct net *net, struct sock *sk, struct sk_buff *skb,
			const struct ktcp_af_ops *ops,
			const struct in6_addr *saddr,
			const struct in6_addr *daddr)
{
	ops->send_check(skb, saddr, daddr);
	return ops->send(net, sk, skb, saddr, daddr);
}

/**
 * ktcp_alloc_payload() - an skb for @len bytes of payload in page frags
 * @headroom: linear room reserved in front, for headers
 * @len: payload bytes; skb->len is set to it, the bytes are not filled
 * @gfp: allocation flags
 *
 * Order-0 pages only: a 64 KB segment never needs a high-order
 * allocation, and its truesize stays close to its size (a linear 64 KB
 * kmalloc() carries twice that, which a peer's receive buffer
 * accounting punishes by dropping it).
 */
struct sk_buff *ktcp_alloc_payload(unsigned int headroom, unsigned int len,
				   gfp_t gfp)
{
	struct sk_buff *skb;
	int err;

	skb = alloc_skb_with_frags(headroom, len, 0, &err, gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, headroom);
	skb->len = len;
	skb->data_len = len;
	return skb;
}

/* Copy the first @len bytes of @src into the payload of @dst. */
static int ktcp_copy_payload(struct sk_buff *dst, const struct sk_buff *src,
			     unsigned int len)
{
	unsigned int done = 0;
	int i;

	for (i = 0; i < skb_shinfo(dst)->nr_frags && done < len; i++) {
		skb_frag_t *frag = &skb_shinfo(dst)->frags[i];
		unsigned int size = min(skb_frag_size(frag), len - done);
		u8 *to = kmap_local_page(skb_frag_page(frag));
		int err = skb_copy_bits(src, done, to + skb_frag_off(frag),
					size);

		kunmap_local(to);
		if (err)
			return err;
		done += size;
	}
	return done == len ? 0 : -EFAULT;
}

/*
 * The payload of a segment by reference to the write queue's pages,
 * as native's clones share it (tcp_transmit_skb()): nothing is copied,
 * and a resend costs no more than the first send.  The pages are never
 * written where a segment was sent from: sendmsg() only adds behind.
 *
 * False, @dst holding part of it, where that cannot be: linear data,
 * more frags than an skb holds, or a MSG_ZEROCOPY skb, whose
 * completion must wait for what was sent (its ubuf_info), which a
 * reference to the pages alone would not hold.
 */
static bool ktcp_ref_payload(struct sk_buff *dst, const struct sk_buff *src,
			     unsigned int len)
{
	struct skb_shared_info *shinfo = skb_shinfo(dst);
	int i;

	if (skb_headlen(src) || skb_shinfo(src)->flags & SKBFL_ZEROCOPY_ENABLE)
		return false;
	for (i = 0; i < skb_shinfo(src)->nr_frags && len; i++) {
		const skb_frag_t *frag = &skb_shinfo(src)->frags[i];
		unsigned int size = min(skb_frag_size(frag), len);
		struct page *page = skb_frag_page(frag);
		int n = shinfo->nr_frags;

		if (skb_can_coalesce(dst, n, page, skb_frag_off(frag))) {
			skb_frag_size_add(&shinfo->frags[n - 1], size);
		} else {
			if (n == MAX_SKB_FRAGS)
				return false;
			get_page(page);
			skb_fill_page_desc(dst, n, page, skb_frag_off(frag),
					   size);
		}
		dst->len += size;
		dst->data_len += size;
		dst->truesize += size;
		len -= size;
	}
	return !len;
}

/* A segment's skb: headers in the linear part, the payload in frags. */
static struct sk_buff *ktcp_alloc_segment(struct sock *sk,
					  const struct sk_buff *data,
					  unsigned int len)
{
	struct sk_buff *skb = ktcp_alloc_skb(0, GFP_ATOMIC);

	if (!skb || !len || ktcp_ref_payload(skb, data, len))
		return skb;
	consume_skb(skb);
	skb = ktcp_alloc_payload(KTCP_HEADROOM, len, GFP_ATOMIC);
	if (skb && ktcp_copy_payload(skb, data, len)) {
		kfree_skb(skb);
		skb = NULL;
	}
	return skb;
}

/*
 * SACK blocks for the out-of-order queue (RFC 2018 4): the block
 * holding the segment that arrived last goes first.  The queue keeps
 * them in that order as segments arrive (reassembly.c).
 */
static void ktcp_sack_blocks(struct ktcp_sock *ks, struct ktcp_out_options *o,
			     unsigned int len)
{
	int max = o->tstamp ? 3 : KTCP_MAX_SACK_BLOCKS;

	/* With data, the blocks must fit beside it in a full segment. */
	if (len) {
		int room = ks->mss + (ks->tstamp_ok ? KTCP_TSTAMP_OPTLEN : 0) -
			   len - ktcp_options_size(o) - 4;

		max = min(max, room / 8);
		if (max <= 0)
			return;
	}

	o->nr_sacks = ktcp_ofo_blocks(&ks->ofo_queue, o->sack_start,
				      o->sack_end, max);
}

/*
 * One segment of @sk: the first @len bytes of @data (more than an MSS
 * go as one GSO packet), flags, and the ACK of everything received
 * unless we are still in SYN_SENT.
 */
static int ktcp_send_segment(struct sock *sk, u32 seq, u8 flags,
			     struct sk_buff *data, unsigned int len)
{
	struct ktcp_out_options opts = { .wscale = -1 };
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct sk_buff *skb;
	u32 win, segs = 1;

	skb = ktcp_alloc_segment(sk, data, len);
	if (!skb)
		return -ENOBUFS;
	/*
	 * PSH on every GSO packet, as native forces it on every TSO packet
	 * (to expedite the peer's GRO flush); segmentation keeps it on the
	 * last segment only.
	 */
	if (len > ks->mss) {
		ktcp_gso_setup(skb, ks->af_ops, ks->mss, len);
		segs = skb_shinfo(skb)->gso_segs;
		flags |= KTCP_PSH;
	}
	if (sk->sk_state != TCP_SYN_SENT || (flags & KTCP_RST))
		flags |= KTCP_ACK;
	if (flags & KTCP_SYN) {
		opts.mss = ks->advmss;
		if (ks->wscale_ok)
			opts.wscale = ks->rcv_wscale;
		opts.sack_perm = ks->sack_ok;
	}
	if (ks->tstamp_ok) {
		opts.tstamp = true;
		opts.tsval = ktcp_ts_now() + ks->ts_offset;
		opts.tsecr = (flags & KTCP_ACK) ? ks->ts_recent : 0;
	}
	if (ks->sack_ok && (flags & KTCP_ACK) && !(flags & KTCP_SYN) &&
	    !ktcp_ofo_empty(&ks->ofo_queue))
		ktcp_sack_blocks(ks, &opts, min_t(u32, len, ks->mss));
	win = ktcp_rcv_window(sk);
	/* A SYN's window is never scaled (RFC 7323 2.2); the field has 16 bits. */
	win = min((flags & KTCP_SYN) ? win : win >> ks->rcv_wscale, 65535U);
	if (flags & KTCP_ACK)
		ks->ack_pending = false;
	ks->counts.segs_out += segs;
	if (len) {
		ks->counts.data_segs_out += segs;
		ks->counts.last_data_sent = jiffies;
	}
	ktcp_push_header(skb, inet->inet_sport, inet->inet_dport, seq,
			 ks->rcv_nxt, flags, win, &opts);
	/* Owned, so owner rules, cgroups and TSQ-like limits see it. */
	skb_set_owner_w(skb, sk);
	return ktcp_xmit_to(sock_net(sk), sk, skb, ks->af_ops,
			    &sk->sk_v6_rcv_saddr, &sk->sk_v6_daddr);
}

/* SYN in SYN_SENT, SYN-ACK after a simultaneous open. */
void ktcp_send_syn(struct sock *sk)
{
	ktcp_send_segment(sk, ktcp_sk(sk)->iss, KTCP_SYN, NULL, 0);
}

/*
 * The sequence number of a segment without data (tcp_acceptable_seq()):
 * the highest ever sent, SND.MAX, not SND.NXT, which an RTO took back to
 * SND.UNA.  The peer may hold everything up to SND.MAX: a pure ACK below
 * its RCV.NXT is out of its window and dropped with its news, and one at
 * its RCV.NXT passes RFC 7323 4.3's SEG.SEQ <= Last.ACK.sent and sets
 * its TS.Recent to now, so that the peer's PAWS then drops every data
 * segment of ours still on the way.  Capped at the right edge of the
 * peer's window, which may have shrunk.
 */
static u32 ktcp_acceptable_seq(const struct ktcp_sock *ks)
{
	u32 wnd_end = ks->snd_una + ks->snd_wnd;

	return ktcp_seq_before_eq(ks->snd_max, wnd_end) ? ks->snd_max : wnd_end;
}

void ktcp_send_ack(struct sock *sk)
{
	ktcp_send_segment(sk, ktcp_acceptable_seq(ktcp_sk(sk)), KTCP_ACK,
			  NULL, 0);
}

/*
 * After in-order data: ACK every second full segment at once, and at
 * once while a hole is being filled (RFC 5681 4.2); else within the
 * delayed-ACK timeout (RFC 1122 4.2.3.2).
 */
void ktcp_send_ack_now_or_later(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);

	if (ks->quick_acks) {
		ks->quick_acks--;
		ktcp_send_ack(sk);
	} else if (ks->rcv_nxt - ks->rcv_wup >= 2U * ks->advmss ||
		   !ktcp_ofo_empty(&ks->ofo_queue) || ks->ack_pending) {
		ktcp_send_ack(sk);
	} else {
		ktcp_schedule_delack(sk);
	}
}

/*
 * A segment the peer must answer but cannot take as data: one below
 * SND.UNA (RFC 9293 3.8.4 keepalive, 3.8.6.1 zero-window probe).
 */
void ktcp_send_probe(struct sock *sk)
{
	ktcp_send_segment(sk, ktcp_sk(sk)->snd_una - 1, KTCP_ACK, NULL, 0);
}

/**
 * ktcp_send_rst() - abort: RST with the ACK, as tcp_send_active_reset()
 * @sk: the connection, locked
 * @why: the KTCP_MIB_RST_* counter of the cause
 */
void ktcp_send_rst(struct sock *sk, enum ktcp_mib why)
{
	trace_ktcp_send_reset(sk, NULL, ktcp_mib_name(why));
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_OUT_RSTS);
	ktcp_inc_stats(sock_net(sk), why);
	ktcp_send_segment(sk, ktcp_acceptable_seq(ktcp_sk(sk)), KTCP_RST,
			  NULL, 0);
}

/*
 * A SYN-ACK for a request socket or a cookie, routed as @listener's
 * (SO_BINDTODEVICE, a VRF; its mark, priority and TOS), as native's
 * tcp_v4_send_synack() sends it; the skb has no owner.
 */
int ktcp_send_synack(struct sock *listener, const struct ktcp_af_ops *ops,
		     const struct in6_addr *saddr,
		     const struct in6_addr *daddr, __be16 sport, __be16 dport,
		     u32 iss, u32 rcv_nxt, const struct ktcp_out_options *opts,
		     u16 window)
{
	struct sk_buff *skb = ktcp_alloc_skb(0, GFP_ATOMIC);

	if (!skb)
		return -ENOBUFS;
	ktcp_push_header(skb, sport, dport, iss, rcv_nxt, KTCP_SYN | KTCP_ACK,
			 window, opts);
	return ktcp_xmit_to(sock_net(listener), listener, skb, ops, saddr,
			    daddr);
}

/**
 * ktcp_send_reset_reply() - the reset for a segment that has no connection
 * @net: the namespace @in arrived in
 * @in: the segment, not consumed
 * @why: the KTCP_MIB_RST_* counter of the cause
 *
 * RFC 9293 3.10.7.1.  Never answer a RST; take the sequence number from
 * the ACK if there is one, else acknowledge the segment.
 */
void ktcp_send_reset_reply(struct net *net, struct sk_buff *in,
			   enum ktcp_mib why)
{
	const struct tcphdr *th = tcp_hdr(in);
	const struct ktcp_af_ops *ops;
	struct in6_addr saddr, daddr;
	struct sk_buff *skb;
	u32 seq = 0, ack = 0;
	u8 flags = KTCP_RST;

	if (th->rst)
		return;
	if (th->ack) {
		seq = ntohl(th->ack_seq);
	} else {
		flags |= KTCP_ACK;
		ack = ntohl(th->seq) + th->syn + th->fin + in->len - th->doff * 4;
	}
	skb = ktcp_alloc_skb(0, GFP_ATOMIC);
	if (!skb)
		return;
	ktcp_push_header(skb, th->dest, th->source, seq, ack, flags, 0, NULL);
	ktcp_inc_stats(net, KTCP_MIB_OUT_RSTS);
	ktcp_inc_stats(net, why);
	trace_ktcp_send_reset(NULL, in, ktcp_mib_name(why));
	ops = ktcp_skb_addrs(in, &saddr, &daddr);
	ktcp_xmit_to(net, NULL, skb, ops, &daddr, &saddr);
}

/*
 * Queue our FIN behind the data; ktcp_write_xmit() sends it.  As
 * tcp_send_fin(), it rides on the last segment if that was never sent,
 * so that a close() behind a write costs no segment of its own.
 */
void ktcp_queue_fin(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;

	if (ks->fin_queued)
		return;
	skb = skb_peek_tail(&sk->sk_write_queue);
	if (skb && ktcp_skb_unsent(ks, skb)) {
		KTCP_SKB_CB(skb)->flags |= KTCP_FIN;
		KTCP_SKB_CB(skb)->end_seq++;
	} else {
		/* Process context (close, shutdown): must not fail. */
		skb = alloc_skb(0, GFP_KERNEL | __GFP_NOFAIL);
		KTCP_SKB_CB(skb)->seq = ks->write_seq;
		KTCP_SKB_CB(skb)->end_seq = ks->write_seq + 1;
		KTCP_SKB_CB(skb)->flags = KTCP_FIN;
		KTCP_SKB_CB(skb)->retransmitted = 0;
		__skb_queue_tail(&sk->sk_write_queue, skb);
		ktcp_wmem_charge_forced(sk, skb->truesize);
	}
	ks->write_seq++;
	ks->fin_queued = true;
	ktcp_write_xmit(sk);
}

/* When @skb goes: its place in the transmission order (recovery.c). */
static void ktcp_xmit_stamp(struct ktcp_sock *ks, struct sk_buff *skb)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

	cb->sent_jiffies = jiffies;
	cb->sent_mss = ks->mss;
	cb->xmit_no = ++ks->xmit_count;
	cb->xmit_us = ktcp_clock_us();
}

/*
 * Send @skb, an skb of the write queue, whole; if it went before, as a
 * retransmission for reason @why, of its first MSS only: what is
 * resent is one segment at a time (RFC 5681, RFC 6675), and the rest
 * stays queued, cut off.
 */
int ktcp_xmit_skb(struct sock *sk, struct sk_buff *skb,
		  enum ktcp_rtx_reason why)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct ktcp_info_counts *c = &ks->counts;

	if (!ktcp_skb_unsent(ks, skb)) {
		if (skb->len > ks->mss && ktcp_split(sk, skb, ks->mss))
			return -ENOBUFS;
		trace_ktcp_retransmit_skb(sk, skb, why);
		cb->retransmitted = 1;	/* Karn: no RTT sample */
		ktcp_inc_stats(sock_net(sk), KTCP_MIB_RETRANS_SEGS);
		c->total_retrans++;
		c->bytes_retrans += skb->len;
	}
	c->bytes_sent += skb->len;
	ktcp_xmit_stamp(ks, skb);
	return ktcp_send_segment(sk, cb->seq, cb->flags, skb, skb->len);
}

/* The segments of one GSO packet (gso.h), from the socket's state. */
static u32 ktcp_gso_max_segs(const struct ktcp_sock *ks)
{
	struct net *net = sock_net(&ks->inet.sk);

	return ktcp_gso_segs(ks->mss, ks->cwnd, ks->ssthresh,
			     jiffies_to_usecs(ks->srtt >> 3),
			     ks->counts.min_rtt,
			     max(ktcp_sysctl(net, min_tso_segs), 1));
}

/* SND.NXT and SND.MAX past a segment that went. */
static void ktcp_sent_to(struct ktcp_sock *ks, u32 end_seq)
{
	u32 flight, now = ktcp_jiffies32();
	bool limited;

	/* Nothing was in flight: the sender was idle (CUBIC's epoch). */
	if (ks->snd_max == ks->snd_una && ks->cong->tx_start)
		ks->cong->tx_start(ks, now - ks->lsndtime);
	ks->lsndtime = now;
	/* New data in SACK recovery: in flight, and PRR's to count. */
	if (ks->in_recovery && ks->sack_ok &&
	    ktcp_seq_after(end_seq, ks->snd_max))
		ktcp_prr_sent(ks, ktcp_mss_segs(ks, end_seq - ks->snd_max));
	ks->snd_nxt = end_seq;
	if (ktcp_seq_after(ks->snd_nxt, ks->snd_max))
		WRITE_ONCE(ks->snd_max, ks->snd_nxt);
	/*
	 * tcp_cwnd_validate(): per round trip, whether the window held a
	 * send back, else the most segments that were out, for
	 * ktcp_cwnd_limited() to judge each ACK of the round by.
	 */
	flight = ktcp_mss_segs(ks, ks->snd_max - ks->snd_una);
	limited = flight * ks->mss >= ktcp_cwnd_bytes(ks);
	if (!ktcp_seq_before(ks->snd_una, ks->cwnd_usage_seq) || limited ||
	    (!ks->cwnd_was_limited && flight > ks->max_flight)) {
		ks->cwnd_was_limited = limited;
		ks->max_flight = flight;
		ks->cwnd_usage_seq = ks->snd_max;
	}
}

/*
 * Cut the first @len bytes of a queued segment off: what the windows
 * let go of a never-sent skb, the MSS a resend takes, a SACK block's
 * edge.  As tcp_fragment(): the rest moves into a new
 * skb with its page references and its share of the truesize, nothing
 * is copied, and only the new skb's own overhead is charged, never
 * refused (no new data is queued).
 */
int ktcp_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	u32 nsize = skb_headlen(skb) > len ? skb_headlen(skb) - len : 0;
	u32 nlen = skb->len - len - nsize;
	struct sk_buff *tail;

	tail = alloc_skb(nsize, GFP_ATOMIC);
	if (!tail)
		return -ENOBUFS;
	ktcp_wmem_charge_forced(sk, tail->truesize);
	tail->truesize += nlen;
	skb->truesize -= nlen;
	skb_split(skb, tail, len);
	*KTCP_SKB_CB(tail) = *cb;
	KTCP_SKB_CB(tail)->seq = cb->seq + len;
	cb->end_seq = cb->seq + len;
	/* PSH and FIN stay with the segment's end (tcp_fragment()). */
	cb->flags &= ~(KTCP_PSH | KTCP_FIN);
	__skb_queue_after(&sk->sk_write_queue, skb, tail);
	return 0;
}

/*
 * Drop the first @len bytes of a queued segment, which the peer
 * acknowledged, in place, as tcp_trim_head() does: an skb in flight
 * stays whole until the last of it is acknowledged, and the ACK of
 * every second segment must not cost an allocation.  Their memory
 * goes back now.  @len is at most the skb's payload.
 */
void ktcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	u32 head = min(len, skb_headlen(skb)), eat = len - head;
	int i, kept = 0;

	if (WARN_ON_ONCE(len > skb->len))
		return;

	__skb_pull(skb, head);
	for (i = 0; i < shinfo->nr_frags; i++) {
		u32 size = skb_frag_size(&shinfo->frags[i]);

		if (size <= eat) {
			skb_frag_unref(skb, i);
			eat -= size;
			continue;
		}
		shinfo->frags[kept] = shinfo->frags[i];
		if (eat) {
			skb_frag_off_add(&shinfo->frags[kept], eat);
			skb_frag_size_sub(&shinfo->frags[kept], eat);
			eat = 0;
		}
		kept++;
	}
	shinfo->nr_frags = kept;
	skb->data_len -= len - head;
	skb->len -= len - head;
	KTCP_SKB_CB(skb)->seq += len;
	/* A linear head's buffer stays as big as it was. */
	skb->truesize -= len - head;
	ktcp_wmem_uncharge(sk, len - head);
}

/*
 * The first skb at or after SND.NXT, or NULL: sought from the tail,
 * where data not sent yet sits in a few skbs of up to 64 KB each
 * (ktcp_size_goal()), not from the head past everything in flight.
 * Segments never straddle SND.NXT: each goes whole, cut first.
 */
static struct sk_buff *ktcp_send_head(struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_write_queue;
	u32 snd_nxt = ktcp_sk(sk)->snd_nxt;
	struct sk_buff *skb = skb_peek_tail(q), *prev;

	if (!skb || ktcp_seq_before(KTCP_SKB_CB(skb)->seq, snd_nxt))
		return NULL;
	while (!skb_queue_is_first(q, skb)) {
		prev = skb_queue_prev(q, skb);
		if (ktcp_seq_before(KTCP_SKB_CB(prev)->seq, snd_nxt))
			break;
		skb = prev;
	}
	return skb;
}

/* How __ktcp_write_xmit() treats what it would hold back. */
enum {
	KTCP_XMIT_PUSH		= BIT(0),	/* send it */
	KTCP_XMIT_PSH		= BIT(1),	/* with PSH */
	KTCP_XMIT_CORKED	= BIT(2),	/* hold a small last segment */
	KTCP_XMIT_PROBE		= BIT(3),	/* one new segment, the peer's
						 * window only (a loss probe)
						 */
};

/*
 * How much of @skb, from its start, may go now (*@len): at most @max
 * bytes, within the peer's receive window and our congestion window
 * (the peer's alone for a loss probe), in whole MSS-sized segments
 * where the windows or @max end inside it.  False if nothing may.
 *
 * Data never sent is held back by sender SWS avoidance (RFC 9293
 * 3.8.6.2.1: a window's last piece goes if at least half the largest
 * window the peer ever offered), by Nagle (RFC 896: a small last
 * segment waits while data is unacknowledged, @in_flight: judged by
 * what was in flight before this round of sending, as the GSO packets
 * of one round go together) and by TCP_CORK (regardless), unless @how
 * pushes; a FIN behind the data ends Nagle and cork.  What an RTO sends
 * again goes as it went: native applies neither to a retransmission.
 */
static bool ktcp_xmit_fits(struct sock *sk, const struct sk_buff *skb,
			   unsigned int how, u32 max, bool in_flight, u32 *len)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	const struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
	bool hold = !(how & KTCP_XMIT_PUSH) && ktcp_skb_unsent(ks, skb);
	u32 wnd = how & KTCP_XMIT_PROBE ? ks->snd_wnd :
		  min(ks->snd_wnd, ktcp_cwnd_bytes(ks));
	u32 end = ks->snd_una + wnd, room, partial;

	*len = skb->len;
	if (!skb->len)			/* a FIN alone */
		return true;
	if (!ktcp_seq_before(cb->seq, end))
		return false;
	room = min(end - cb->seq, max);
	if (skb->len > room) {
		if (hold && room < min_t(u32, ks->mss, ks->max_window / 2))
			return false;
		*len = room < ks->mss ? room : rounddown(room, ks->mss);
	}
	partial = *len % ks->mss;
	if (hold && partial && *len == skb->len &&
	    skb_queue_is_last(&sk->sk_write_queue, skb) && !ks->fin_queued &&
	    (ks->cork || how & KTCP_XMIT_CORKED ||
	     (!ks->nodelay && in_flight)))
		*len -= partial;
	return *len;
}

/*
 * Send what the windows allow, each never-sent skb whole as one GSO
 * packet of up to ktcp_gso_max_segs() segments (cut there, and where
 * ktcp_xmit_fits() ends it).  After a timeout SND.NXT is back at
 * SND.UNA and this resends, one MSS at a time, skipping what the peer
 * SACKed.  @how: KTCP_XMIT_PUSH sends what Nagle, TCP_CORK or sender
 * SWS avoidance would hold back, with PSH if KTCP_XMIT_PSH;
 * KTCP_XMIT_CORKED holds a small last segment as TCP_CORK does.
 * Returns whether anything was sent.
 */
static bool __ktcp_write_xmit(struct sock *sk, unsigned int how)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	bool sent = false, in_flight;
	struct sk_buff *skb;
	u32 max_bytes;

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING |
				     TCPF_LAST_ACK)))
		return false;

	max_bytes = ks->mss *
		    (how & KTCP_XMIT_PROBE ? 1 : ktcp_gso_max_segs(ks));
	in_flight = ks->snd_nxt != ks->snd_una;
	skb = ktcp_send_head(sk);
	if (!skb)
		goto out;
	skb_queue_walk_from(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);
		bool unsent = ktcp_skb_unsent(ks, skb);
		u32 len;

		if (cb->sacked && !unsent) {
			ks->snd_nxt = cb->end_seq;
			continue;
		}
		if (!ktcp_xmit_fits(sk, skb, how, unsent ? max_bytes : ks->mss,
				    in_flight, &len) ||
		    (len < skb->len && ktcp_split(sk, skb, len)))
			break;
		/* What the timer pushes out is pushed (tcp_write_wakeup()). */
		if (how & KTCP_XMIT_PSH && skb->len)
			cb->flags |= KTCP_PSH;
		if (ktcp_xmit_skb(sk, skb, unsent ? KTCP_RTX_NEW : KTCP_RTX_RTO))
			break;
		ktcp_sent_to(ks, cb->end_seq);
		sent = true;
		if (how & KTCP_XMIT_PROBE)
			break;
	}
out:
	/* New data went: the tail loss probe's timeout (RFC 8985 7.2). */
	if (sent && !(how & KTCP_XMIT_PROBE) &&
	    ktcp_schedule_loss_probe(sk, false))
		return sent;
	/* Unacked data, or a zero window with data waiting: keep a timer. */
	if ((sent || ks->snd_nxt != ks->snd_una ||
	     !skb_queue_empty(&sk->sk_write_queue)) &&
	    !timer_pending(&ks->rtx_timer))
		ktcp_reset_rtx_timer(sk);
	return sent;
}

void ktcp_write_xmit(struct sock *sk)
{
	__ktcp_write_xmit(sk, 0);
}

/*
 * TCP_NODELAY set, or TCP_CORK taken off a TCP_NODELAY socket: what
 * TCP_CORK, MSG_MORE or Nagle holds goes now, once, as native's
 * TCP_NAGLE_PUSH sends it (a held segment keeps the PSH its write gave
 * it, or none after MSG_MORE).
 */
void ktcp_write_xmit_push(struct sock *sk)
{
	__ktcp_write_xmit(sk, KTCP_XMIT_PUSH);
}

/*
 * The end of a send with MSG_MORE: hold a small last segment as
 * TCP_CORK would, this time only (tcp_push() with TCP_NAGLE_CORK).  The
 * next ACK sends it under the socket's own rules, or the timer after
 * one RTO, as native's probe timer does.
 */
void ktcp_write_xmit_corked(struct sock *sk)
{
	__ktcp_write_xmit(sk, KTCP_XMIT_CORKED);
}

/* A loss probe's new segment (recovery.c): Nagle and cwnd aside. */
void ktcp_write_xmit_probe(struct sock *sk)
{
	__ktcp_write_xmit(sk, KTCP_XMIT_PUSH | KTCP_XMIT_PROBE);
}

/*
 * The retransmission timer found data held back and nothing in
 * flight: send it now if the window has room, as native's probe timer
 * does (tcp_write_wakeup()).  That bounds TCP_CORK and Nagle to one
 * RTO.  Returns false if the window is closed: then probe it.
 */
bool ktcp_push_held(struct sock *sk)
{
	return ktcp_sk(sk)->snd_wnd &&
	       __ktcp_write_xmit(sk, KTCP_XMIT_PUSH | KTCP_XMIT_PSH);
}

/* Our SYN again (SYN_SENT), or SYN-ACK after a simultaneous open. */
void ktcp_retransmit_syn(struct sock *sk)
{
	ktcp_inc_stats(sock_net(sk), KTCP_MIB_RETRANS_SEGS);
	ktcp_send_syn(sk);
}

/**
 * ktcp_retransmit_hole() - resend the next segment the peer lacks
 * @sk: the socket, in loss recovery
 *
 * The first segment at or after rexmit_next that is neither SACKed nor
 * beyond everything sent: with SACK that skips what arrived (RFC 6675
 * NextSeg()), without it this is the segment at SND.UNA.
 *
 * Return: true if a segment was sent.
 */
bool ktcp_retransmit_hole(struct sock *sk)
{
	struct ktcp_sock *ks = ktcp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct ktcp_skb_cb *cb = KTCP_SKB_CB(skb);

		if (!ktcp_seq_before(cb->seq, ks->snd_nxt))
			return false;
		if (ktcp_seq_before(cb->seq, ks->rexmit_next) || cb->sacked)
			continue;
		/* Beyond SND.UNA only a hole below SACKed data is lost. */
		if (cb->seq != ks->snd_una &&
		    !ktcp_seq_before(cb->seq, ks->highest_sack))
			return false;
		if (ktcp_xmit_skb(sk, skb, KTCP_RTX_FAST))
			return false;
		ks->rexmit_next = cb->end_seq;
		return true;
	}
	return false;
}
