/*
 * sha256.h - SHA-256 as lowercase hex: rules files, migrations and imported
 * files are identified by the digest of their exact bytes.
 *
 * Backed by nettle (Debian's nettle-dev), which needs no library start-up:
 * OpenSSL's EVP interface loaded its configuration on first use, 1 to 6 ms
 * that every one-shot `carewatch concern add` paid to hash the active rules.
 */
#ifndef CAREWATCH_SHA256_H
#define CAREWATCH_SHA256_H
#include <stddef.h>
#include <nettle/sha2.h>

/* A digest computed in pieces: init, update as data arrives, then hex. */
struct cw_sha256 {
	struct sha256_ctx ctx;
};

void cw_sha256_init(struct cw_sha256 *h);
void cw_sha256_update(struct cw_sha256 *h, const void *data, size_t len);
/* The digest of everything added, as 64 hex digits and a NUL; h is reset. */
void cw_sha256_final_hex(struct cw_sha256 *h, char out[65]);

/* The digest of len bytes at data, as 64 hex digits and a NUL. */
void cw_sha256_hex(const void *data, size_t len, char out[65]);
#endif
