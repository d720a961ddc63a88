/* The Burgerservicenummer: parsing, the elfproef, and the exact OPRF input
 * from which tokens are derived (docs/tokens.md). */
#ifndef SK_BSN_H
#define SK_BSN_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define BSN_DIGITS 9
#define BSN_PREFIX "schakel/bsn/v1:"
#define BSN_PREFIX_BYTES (sizeof(BSN_PREFIX) - 1)
#define BSN_INPUT_BYTES (BSN_PREFIX_BYTES + BSN_DIGITS)
#define BSN_TOKEN_BYTES 32
#define BSN_CONTACT_KEY_BYTES 32

/* A BSN held as its nine ASCII digits plus NUL. Wipe with sodium_memzero. */
typedef struct bsn {
	char digits[BSN_DIGITS + 1];
} bsn;

/* Parses exactly nine ASCII digits (no spaces, signs or separators) that pass
 * the elfproef: 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11 and the
 * number is not zero. Returns SK_ERR_BSN otherwise; *out is then zeroed. */
sk_status bsn_parse(bsn *out, const char *text) SK_MUST_CHECK;

/* The elfproef alone on nine digits (values 0..9). */
int bsn_elfproef(const uint8_t d[static BSN_DIGITS]);

/* The OPRF input: "schakel/bsn/v1:" followed by the nine digits. */
void bsn_token_input(uint8_t out[static BSN_INPUT_BYTES], const bsn *b);

/* Splits a 64-byte RFC 9497 output: token = bytes 0..31, contact key =
 * bytes 32..63. */
void bsn_split_output(uint8_t token[static BSN_TOKEN_BYTES],
		      uint8_t contact_key[static BSN_CONTACT_KEY_BYTES],
		      const uint8_t output[static 64]);

#endif
