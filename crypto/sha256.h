/* SHA-256 for the hot paths (the audit chain, Merkle leaves and nodes):
 * OpenSSL's implementation, which uses the CPU's SHA extensions where
 * there are any (about four times libsodium's portable code for a 250-byte
 * record on this project's machines). Same function, same output. */
#ifndef SK_CRYPTO_SHA256_H
#define SK_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_OUT_BYTES 32

/* One piece of a hashed message. */
typedef struct sha256_part {
	const void *p;
	size_t len;
} sha256_part;

/* out = SHA-256(parts[0] || parts[1] || ...). */
void sha256_parts(uint8_t out[static SHA256_OUT_BYTES], const sha256_part *parts, size_t n);

#endif
