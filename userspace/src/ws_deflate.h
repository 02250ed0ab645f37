/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp internal: permessage-deflate (RFC 7692) on zlib.
 */
#ifndef KTCP_WS_DEFLATE_H
#define KTCP_WS_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

struct ws_deflate;

int ws_deflate_available(void);
struct ws_deflate *ws_deflate_new(void);
void ws_deflate_free(struct ws_deflate *z);

/*
 * Inflate one whole message; *out is malloc'ed (or reused if *cap is
 * large enough).  Returns 0, -EFBIG past @max, -EBADMSG for bad data.
 */
int ws_inflate_msg(struct ws_deflate *z, const uint8_t *in, size_t len,
		   uint64_t max, uint8_t **out, size_t *out_len, size_t *cap);

/* Deflate one message (no context takeover); *out is malloc'ed. */
int ws_deflate_msg(struct ws_deflate *z, const uint8_t *in, size_t len,
		   uint8_t **out, size_t *out_len);

#endif /* KTCP_WS_DEFLATE_H */
