// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion avoidance and the decrease after a loss: NewReno (RFC
 * 5681) and CUBIC (RFC 9438), the latter with native's constants and
 * arithmetic (net/ipv4/tcp_cubic.c: beta 717/1024, C 0.4, fast
 * convergence, the Reno-friendly region), so that a ktcp flow and a
 * native one share a path as two native flows would.  HyStart is not
 * here: slow start ends at ssthresh or at a loss.
 */

#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "cong.h"
#include "ktcp.h"

/*
 * tcp_cong_avoid_ai(): one segment more per @w segments acknowledged,
 * carrying the remainder over.
 */
void ktcp_cong_avoid_ai(struct ktcp_sock *ks, u32 w, u32 acked)
{
	w = max(w, 1U);
	if (ks->cwnd_cnt >= w) {
		ks->cwnd_cnt = 0;
		ks->cwnd++;
	}
	ks->cwnd_cnt += acked;
	if (ks->cwnd_cnt >= w) {
		u32 delta = ks->cwnd_cnt / w;

		ks->cwnd_cnt -= delta * w;
		ks->cwnd += delta;
	}
	ks->cwnd = min_t(u32, ks->cwnd, KTCP_CWND_MAX);
}
EXPORT_SYMBOL_NS_GPL(ktcp_cong_avoid_ai, KTCP_KUNIT_NS);

/* RFC 5681 3.1: one segment per window acknowledged. */
static void ktcp_reno_cong_avoid(struct ktcp_sock *ks, u32 acked)
{
	ktcp_cong_avoid_ai(ks, ks->cwnd, acked);
}

/* RFC 5681 3.2 (4): half of what was in flight, at least two. */
static u32 ktcp_reno_ssthresh(struct ktcp_sock *ks, u32 flight)
{
	return max(flight / 2, 2U);
}

const struct ktcp_cong_ops ktcp_reno = {
	.name		= "reno",
	.cong_avoid	= ktcp_reno_cong_avoid,
	.ssthresh	= ktcp_reno_ssthresh,
};
EXPORT_SYMBOL_NS_GPL(ktcp_reno, KTCP_KUNIT_NS);

#define CUBIC_BETA_SCALE	1024
#define CUBIC_BETA		717	/* 0.7, RFC 9438 4.6 */
#define CUBIC_HZ		10	/* time in 2^-10 s */
#define CUBIC_C_SCALED		410	/* C = 0.4, times 1024 */
/* RFC 9438 4.3's alpha for the Reno estimate, as native's beta_scale. */
#define CUBIC_RENO_SCALE \
	(8 * (CUBIC_BETA_SCALE + CUBIC_BETA) / 3 / \
	 (CUBIC_BETA_SCALE - CUBIC_BETA))

/* The integer cube root of @a, rounded down. */
u32 ktcp_cubic_root(u64 a)
{
	u32 lo = 0, hi = 2642245;	/* 2642245^3 < 2^64 < 2642246^3 */

	while (lo < hi) {
		u32 mid = lo + (hi - lo + 1) / 2;

		if ((u64)mid * mid * mid <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}
EXPORT_SYMBOL_NS_GPL(ktcp_cubic_root, KTCP_KUNIT_NS);

/* bictcp_update(): how many ACKs each segment more of cwnd takes now. */
static void ktcp_cubic_update(struct ktcp_sock *ks, u32 acked)
{
	struct ktcp_cubic *ca = &ks->cubic;
	u32 now = ktcp_jiffies32(), cwnd = ks->cwnd, delta, target;
	u32 min_rtt = ks->counts.min_rtt == ~0U ? 0 : ks->counts.min_rtt;
	u64 offs, t;

	ca->ack_cnt += acked;
	if (ca->last_cwnd == cwnd && (s32)(now - ca->last_time) <= HZ / 32)
		return;
	/* The curve moves once a jiffy at most. */
	if (ca->epoch_start && now == ca->last_time)
		goto reno_friendly;
	ca->last_cwnd = cwnd;
	ca->last_time = now;
	if (!ca->epoch_start) {
		ca->epoch_start = now ?: 1;
		ca->ack_cnt = acked;
		ca->tcp_cwnd = cwnd;
		if (ca->last_max_cwnd <= cwnd) {
			ca->k = 0;
			ca->origin_point = cwnd;
		} else {
			/* K = cbrt(W_max (1 - beta) / C), RFC 9438 4.2 */
			ca->k = ktcp_cubic_root(div_u64(1ULL << (10 + 3 * CUBIC_HZ),
							CUBIC_C_SCALED) *
						(ca->last_max_cwnd - cwnd));
			ca->origin_point = ca->last_max_cwnd;
		}
	}
	/* W_cubic(t + RTT), RFC 9438 4.2 and 4.8 */
	t = (s32)(now - ca->epoch_start) + usecs_to_jiffies(min_rtt);
	t = div_u64(t << CUBIC_HZ, HZ);
	offs = t < ca->k ? ca->k - t : t - ca->k;
	delta = (CUBIC_C_SCALED * offs * offs * offs) >> (10 + 3 * CUBIC_HZ);
	target = t < ca->k ? ca->origin_point - delta : ca->origin_point + delta;
	ca->cnt = target > cwnd ? cwnd / (target - cwnd) : 100 * cwnd;
	/* No loss seen yet: at least 5 % a round trip. */
	if (!ca->last_max_cwnd && ca->cnt > 20)
		ca->cnt = 20;
reno_friendly:
	/* RFC 9438 4.3: never slower than NewReno would be. */
	delta = (cwnd * CUBIC_RENO_SCALE) >> 3;
	while (delta && ca->ack_cnt > delta) {
		ca->ack_cnt -= delta;
		ca->tcp_cwnd++;
	}
	if (ca->tcp_cwnd > cwnd) {
		u32 max_cnt = cwnd / (ca->tcp_cwnd - cwnd);

		ca->cnt = min(ca->cnt, max_cnt);
	}
	/* At most 1.5 times the window a round trip. */
	ca->cnt = max(ca->cnt, 2U);
}

static void ktcp_cubic_cong_avoid(struct ktcp_sock *ks, u32 acked)
{
	ktcp_cubic_update(ks, acked);
	ktcp_cong_avoid_ai(ks, ks->cubic.cnt, acked);
}

/*
 * RFC 9438 4.6 and 4.7: W_max with fast convergence, beta 0.7, from
 * cwnd as native's bictcp_recalc_ssthresh() (RFC 9438 4.6 allows it;
 * ktcp grows cwnd only while it limits the sender, RFC 7661, so an
 * application-limited flow's cwnd is no larger than its flight).
 */
static u32 ktcp_cubic_ssthresh(struct ktcp_sock *ks, u32 flight)
{
	struct ktcp_cubic *ca = &ks->cubic;
	u32 cwnd = ks->cwnd;

	ca->epoch_start = 0;
	if (cwnd < ca->last_max_cwnd)
		ca->last_max_cwnd = cwnd * (CUBIC_BETA_SCALE + CUBIC_BETA) /
				    (2 * CUBIC_BETA_SCALE);
	else
		ca->last_max_cwnd = cwnd;
	return max(cwnd * CUBIC_BETA / CUBIC_BETA_SCALE, 2U);
}

/* RFC 9438 4.8: after a timeout the curve starts from nothing. */
static void ktcp_cubic_loss(struct ktcp_sock *ks)
{
	memset(&ks->cubic, 0, sizeof(ks->cubic));
}

/* An idle sender keeps its place on the curve (native's TX_START). */
static void ktcp_cubic_tx_start(struct ktcp_sock *ks, u32 idle)
{
	struct ktcp_cubic *ca = &ks->cubic;
	u32 now = ktcp_jiffies32();

	if (!ca->epoch_start || (s32)idle <= 0)
		return;
	ca->epoch_start += idle;
	if ((s32)(ca->epoch_start - now) > 0)
		ca->epoch_start = now;
}

const struct ktcp_cong_ops ktcp_cubic = {
	.name		= "cubic",
	.cong_avoid	= ktcp_cubic_cong_avoid,
	.ssthresh	= ktcp_cubic_ssthresh,
	.loss		= ktcp_cubic_loss,
	.tx_start	= ktcp_cubic_tx_start,
};
EXPORT_SYMBOL_NS_GPL(ktcp_cubic, KTCP_KUNIT_NS);

/* TCP_CONGESTION's names: NULL for any other. */
const struct ktcp_cong_ops *ktcp_cong_find(const char *name)
{
	if (!strcmp(name, ktcp_cubic.name))
		return &ktcp_cubic;
	if (!strcmp(name, ktcp_reno.name))
		return &ktcp_reno;
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(ktcp_cong_find, KTCP_KUNIT_NS);

/*
 * A connection begins (or begins again after connect(AF_UNSPEC), as
 * tcp_disconnect() resets): RFC 6928's initial window, no threshold,
 * nothing in recovery, no probe out, the algorithm's state empty.
 */
void ktcp_cong_reset(struct ktcp_sock *ks)
{
	ks->cwnd = 10;
	ks->ssthresh = 0xffff;
	ks->dupacks = 0;
	ks->dup_segs = 0;
	ks->in_recovery = false;
	ks->pipe = 0;
	ks->prr_delivered = 0;
	ks->prr_out = 0;
	ks->rack_valid = false;
	ks->rack_min_rtt_us = 0;
	ks->tlp_pending = false;
	ks->rtx_timer_kind = KTCP_TIMER_RTO;
	ks->lsndtime = 0;
	ktcp_cong_set(ks, ks->cong);
}

/* A new algorithm starts from nothing, as tcp_reinit_congestion_control(). */
void ktcp_cong_set(struct ktcp_sock *ks, const struct ktcp_cong_ops *ops)
{
	WRITE_ONCE(ks->cong, ops);
	ks->cwnd_cnt = 0;
	memset(&ks->cubic, 0, sizeof(ks->cubic));
}
