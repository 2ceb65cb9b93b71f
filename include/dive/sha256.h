/*
 * sha256.h - SHA-256 (FIPS 180-4), for migration checksums and config
 * hashes.  Not for secrets handling beyond fingerprints.
 */
#ifndef DIVE_SHA256_H
#define DIVE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char block[64];
	size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Hex digest of data into out (65 bytes with the NUL). */
void sha256_hex(char out[65], const void *data, size_t len);

#endif
