// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options (RFC 9293 3.1, RFC 7323, RFC 2018): parsed from what
 * arrives, never trusted past their stated length; built for what we
 * send, laid out as native Linux lays them out so captures look alike.
 * Pure functions; tests/options_test.c checks both directions.
 */

#include <linux/tcp.h>

#include "ktcp.h"

/* SACK: 1 to 4 blocks of two sequence numbers. */
static int ktcp_parse_sack(const u8 *opt, u8 size,
			   struct ktcp_syn_options *o)
{
	int i, n = (size - 2) / 8;

	if (size < 10 || (size - 2) % 8 || n > KTCP_MAX_SACK_BLOCKS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		o->sack_start[i] = get_unaligned_be32(opt + 2 + 8 * i);
		o->sack_end[i] = get_unaligned_be32(opt + 6 + 8 * i);
	}
	o->nr_sacks = n;
	return 0;
}

/**
 * ktcp_parse_options() - parse the options of a segment
 * @opt: first option byte
 * @len: bytes of options (data offset less 20)
 * @o: filled with what was found; absent options stay zero
 *
 * Return: 0, or -EINVAL if an option's length is impossible; the
 * segment is then dropped and counted, never trusted.
 */
int ktcp_parse_options(const u8 *opt, int len, struct ktcp_syn_options *o)
{
	memset(o, 0, sizeof(*o));
	while (len > 0) {
		u8 kind = opt[0], size;

		if (kind == KTCP_OPT_EOL)
			break;
		if (kind == KTCP_OPT_NOP) {
			opt++;
			len--;
			continue;
		}
		if (len < 2)
			return -EINVAL;
		size = opt[1];
		if (size < 2 || size > len)
			return -EINVAL;
		switch (kind) {
		case KTCP_OPT_MSS:
			if (size != KTCP_OPTLEN_MSS)
				return -EINVAL;
			o->mss = get_unaligned_be16(opt + 2);
			break;
		case KTCP_OPT_WSCALE:
			if (size != KTCP_OPTLEN_WSCALE)
				return -EINVAL;
			o->wscale_ok = true;
			o->wscale = min_t(u8, opt[2], KTCP_MAX_WSCALE);
			break;
		case KTCP_OPT_SACK_PERM:
			if (size != KTCP_OPTLEN_SACK_PERM)
				return -EINVAL;
			o->sack_ok = true;
			break;
		case KTCP_OPT_SACK:
			if (ktcp_parse_sack(opt, size, o))
				return -EINVAL;
			break;
		case KTCP_OPT_TIMESTAMP:
			if (size != KTCP_OPTLEN_TIMESTAMP)
				return -EINVAL;
			o->tstamp_ok = true;
			o->tsval = get_unaligned_be32(opt + 2);
			o->tsecr = get_unaligned_be32(opt + 6);
			break;
		default:	/* unknown options are skipped (RFC 9293 3.1) */
			break;
		}
		opt += size;
		len -= size;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ktcp_parse_options, KTCP_KUNIT_NS);

/* Bytes ktcp_build_options() writes for @o: a multiple of 4. */
int ktcp_options_size(const struct ktcp_out_options *o)
{
	int size = 0;

	if (o->mss)
		size += KTCP_OPTLEN_MSS;
	if (o->tstamp)
		size += 12;	/* SACK_PERM or two NOPs, then TS */
	else if (o->sack_perm)
		size += 4;
	if (o->wscale >= 0)
		size += 4;
	if (o->nr_sacks)
		size += 4 + 8 * o->nr_sacks;
	return size;
}
EXPORT_SYMBOL_NS_GPL(ktcp_options_size, KTCP_KUNIT_NS);

/**
 * ktcp_build_options() - write the options of a segment we send
 * @p: where they go, ktcp_options_size(@o) bytes
 * @o: what to say
 *
 * Native's order: MSS, SACK_PERM and TS, WSCALE, then SACK blocks.
 */
void ktcp_build_options(u8 *p, const struct ktcp_out_options *o)
{
	int i;

	if (o->mss) {
		*p++ = KTCP_OPT_MSS;
		*p++ = KTCP_OPTLEN_MSS;
		put_unaligned_be16(o->mss, p);
		p += 2;
	}
	if (o->tstamp) {
		if (o->sack_perm) {
			*p++ = KTCP_OPT_SACK_PERM;
			*p++ = KTCP_OPTLEN_SACK_PERM;
		} else {
			*p++ = KTCP_OPT_NOP;
			*p++ = KTCP_OPT_NOP;
		}
		*p++ = KTCP_OPT_TIMESTAMP;
		*p++ = KTCP_OPTLEN_TIMESTAMP;
		put_unaligned_be32(o->tsval, p);
		put_unaligned_be32(o->tsecr, p + 4);
		p += 8;
	} else if (o->sack_perm) {
		*p++ = KTCP_OPT_NOP;
		*p++ = KTCP_OPT_NOP;
		*p++ = KTCP_OPT_SACK_PERM;
		*p++ = KTCP_OPTLEN_SACK_PERM;
	}
	if (o->wscale >= 0) {
		*p++ = KTCP_OPT_NOP;
		*p++ = KTCP_OPT_WSCALE;
		*p++ = KTCP_OPTLEN_WSCALE;
		*p++ = o->wscale;
	}
	if (o->nr_sacks) {
		*p++ = KTCP_OPT_NOP;
		*p++ = KTCP_OPT_NOP;
		*p++ = KTCP_OPT_SACK;
		*p++ = 2 + 8 * o->nr_sacks;
		for (i = 0; i < o->nr_sacks; i++) {
			put_unaligned_be32(o->sack_start[i], p);
			put_unaligned_be32(o->sack_end[i], p + 4);
			p += 8;
		}
	}
}
EXPORT_SYMBOL_NS_GPL(ktcp_build_options, KTCP_KUNIT_NS);
