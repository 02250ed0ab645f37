// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: permessage-deflate (RFC 7692) with zlib.  Our side never
 * keeps a compression context between messages; decompression keeps
 * one, which is right whether or not the peer takes its context over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ws_deflate.h"

struct ws_deflate {
	z_stream inf, def;
};

int ws_deflate_available(void)
{
	return 1;
}

struct ws_deflate *ws_deflate_new(void)
{
	struct ws_deflate *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	if (inflateInit2(&z->inf, -15) != Z_OK) {
		free(z);
		return NULL;
	}
	if (deflateInit2(&z->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&z->inf);
		free(z);
		return NULL;
	}
	return z;
}

void ws_deflate_free(struct ws_deflate *z)
{
	if (!z)
		return;
	inflateEnd(&z->inf);
	deflateEnd(&z->def);
	free(z);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	uint8_t *p;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

int ws_inflate_msg(struct ws_deflate *z, const uint8_t *in, size_t len,
		   uint64_t max, uint8_t **out, size_t *out_len, size_t *cap)
{
	static const uint8_t tail[4] = { 0, 0, 0xff, 0xff };
	int pass, ret;

	*out_len = 0;
	for (pass = 0; pass < 2; pass++) {
		z->inf.next_in = (Bytef *)(pass ? tail : in);
		z->inf.avail_in = (uInt)(pass ? 4 : len);
		while (z->inf.avail_in) {
			if (*out_len + 1 > *cap &&
			    grow(out, cap, *out_len + 65536))
				return -ENOMEM;
			z->inf.next_out = *out + *out_len;
			z->inf.avail_out = (uInt)(*cap - *out_len);
			ret = inflate(&z->inf, Z_SYNC_FLUSH);
			if (ret != Z_OK && ret != Z_BUF_ERROR &&
			    ret != Z_STREAM_END)
				return -EBADMSG;
			*out_len = (size_t)(z->inf.next_out - *out);
			if (*out_len > max)
				return -EFBIG;
			if (ret == Z_STREAM_END) {
				/* a final block: the next message starts anew */
				inflateReset(&z->inf);
				break;
			}
			if (ret == Z_BUF_ERROR && z->inf.avail_out)
				return -EBADMSG;
		}
	}
	/* output may be pending in zlib's window with no input left */
	for (;;) {
		if (grow(out, cap, *out_len + 65536))
			return -ENOMEM;
		z->inf.next_out = *out + *out_len;
		z->inf.avail_out = (uInt)(*cap - *out_len);
		ret = inflate(&z->inf, Z_SYNC_FLUSH);
		*out_len = (size_t)(z->inf.next_out - *out);
		if (*out_len > max)
			return -EFBIG;
		if (ret != Z_OK || z->inf.avail_out)
			break;
	}
	return 0;
}

int ws_deflate_msg(struct ws_deflate *z, const uint8_t *in, size_t len,
		   uint8_t **out, size_t *out_len)
{
	size_t cap = deflateBound(&z->def, (uLong)len) + 16;
	uint8_t *buf = malloc(cap);
	int ret;

	if (!buf)
		return -ENOMEM;
	z->def.next_in = (Bytef *)in;
	z->def.avail_in = (uInt)len;
	z->def.next_out = buf;
	z->def.avail_out = (uInt)cap;
	ret = deflate(&z->def, Z_SYNC_FLUSH);
	if (ret != Z_OK || z->def.avail_in) {
		free(buf);
		deflateReset(&z->def);
		return -EIO;
	}
	*out_len = cap - z->def.avail_out;
	/* RFC 7692 7.2.1: drop the 00 00 ff ff of the sync flush */
	if (*out_len >= 4 && !memcmp(buf + *out_len - 4, "\0\0\xff\xff", 4))
		*out_len -= 4;
	if (!*out_len) {
		buf[0] = 0;
		*out_len = 1;
	}
	deflateReset(&z->def);
	*out = buf;
	return 0;
}
