/*
 * sha256.c - SHA-256 hex digests through nettle (see sha256.h for why).
 */
#include <stdint.h>

#include "carewatch/sha256.h"

void
cw_sha256_init(struct cw_sha256 *h)
{
	sha256_init(&h->ctx);
}

void
cw_sha256_update(struct cw_sha256 *h, const void *data, size_t len)
{
	sha256_update(&h->ctx, len, data);
}

void
cw_sha256_final_hex(struct cw_sha256 *h, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_SIZE];

	sha256_digest(&h->ctx, sizeof(md), md);
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
cw_sha256_hex(const void *data, size_t len, char out[65])
{
	struct cw_sha256 h;

	cw_sha256_init(&h);
	cw_sha256_update(&h, data, len);
	cw_sha256_final_hex(&h, out);
}
