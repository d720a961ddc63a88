/* Ed25519 identity keys and X25519 encryption keys, and the one way schakel
 * signs: every signature covers a domain string plus exactly framed bytes,
 * so a signature made for one purpose never verifies for another.
 * Callers must have called sodium_init() once before generating keys. */
#ifndef SK_KEY_H
#define SK_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define KEY_ED25519_PK_BYTES 32
#define KEY_ED25519_SK_BYTES 64 /* libsodium layout: seed || pk */
#define KEY_ED25519_SEED_BYTES 32
#define KEY_SIG_BYTES 64
#define KEY_X25519_PK_BYTES 32
#define KEY_X25519_SK_BYTES 32
#define KEY_X25519_SEED_BYTES 32

/* Framing of every signed message (documented contract, never change):
 *
 *   u16be(len(domain)) || domain || msg                      key_sign()
 *   u16be(len(domain)) || domain || u32be(len(p1)) || p1
 *                               || ... || u32be(len(pn)) || pn
 *                                                            key_sign_parts()
 *
 * The domain is 1..KEY_DOMAIN_MAX bytes of a NUL-terminated string, e.g.
 * "schakel/v1/entry". Because KEY_DOMAIN_MAX < 256, every framed message
 * starts with a zero byte, so it can never equal a text message signed
 * elsewhere with the same key (C2SP signed notes are text without NUL).
 * key_sign_parts() is key_sign() over the concatenated length-prefixed
 * parts: use each domain with one form and one fixed list of parts only. */
#define KEY_DOMAIN_MAX 255
#define KEY_DOMAIN_FRAME_MAX (2 + KEY_DOMAIN_MAX)
#define KEY_SIGN_MAX (16u << 20) /* cap on a framed message: 16 MiB */

#define KEY_CERT_MSG_BYTES (KEY_X25519_PK_BYTES + 8)

/* An Ed25519 identity key pair. Wipe with key_ed25519_wipe(). */
typedef struct key_ed25519 {
	uint8_t pk[KEY_ED25519_PK_BYTES];
	uint8_t sk[KEY_ED25519_SK_BYTES];
} key_ed25519;

/* An X25519 encryption key pair. Wipe with key_x25519_wipe(). */
typedef struct key_x25519 {
	uint8_t pk[KEY_X25519_PK_BYTES];
	uint8_t sk[KEY_X25519_SK_BYTES];
} key_x25519;

/* One part of a multi-part signed message; p may be NULL when len is 0. */
typedef struct key_part {
	const uint8_t *p;
	size_t len;
} key_part;

/* A fresh random key pair. Never fails. */
void key_ed25519_generate(key_ed25519 *k);
void key_x25519_generate(key_x25519 *k);

/* The key pair determined by seed. Ed25519 follows RFC 8032 (the seed is
 * the RFC's secret key); X25519 takes sk = SHA-512(seed)[0..32]
 * (crypto_box_seed_keypair). WARNING: for tests and fixed fixtures; real
 * keys come from the *_generate functions. */
void key_ed25519_from_seed(key_ed25519 *k,
			   const uint8_t seed[static KEY_ED25519_SEED_BYTES]);
void key_x25519_from_seed(key_x25519 *k,
			  const uint8_t seed[static KEY_X25519_SEED_BYTES]);

/* Zero the whole pair. Accept NULL. */
void key_ed25519_wipe(key_ed25519 *k);
void key_x25519_wipe(key_x25519 *k);

/* Writes u16be(len(domain)) || domain to out and returns its length, or 0
 * when domain is NULL, empty or longer than KEY_DOMAIN_MAX. Shared with
 * crypto/seal so that every domain in schakel is framed the same way. */
size_t key_domain_frame(uint8_t out[static KEY_DOMAIN_FRAME_MAX],
			const char *domain);

/* Signs the framed message (see above) with plain Ed25519 (RFC 8032).
 * msg may be NULL when len is 0. SK_ERR_INVALID: bad domain;
 * SK_ERR_TOOBIG: framed message over KEY_SIGN_MAX; SK_ERR_NOMEM. On any
 * error sig is zeroed. The framed copy of msg is wiped before it is freed. */
sk_status key_sign(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
		   const uint8_t *msg, size_t len,
		   const uint8_t sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;

/* SK_OK only if sig is pk's signature over the framed message. A failed
 * check is SK_ERR_VERIFY (also for an over-long message); SK_ERR_INVALID:
 * bad domain; SK_ERR_NOMEM. Small-order public keys and non-canonical
 * signatures are rejected (libsodium). */
sk_status key_verify(const uint8_t sig[static KEY_SIG_BYTES], const char *domain,
		     const uint8_t *msg, size_t len,
		     const uint8_t pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

/* As key_sign()/key_verify(), over nparts length-prefixed parts, so that
 * callers never concatenate fields by hand. */
sk_status key_sign_parts(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
			 const key_part *parts, size_t nparts,
			 const uint8_t sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;
sk_status key_verify_parts(const uint8_t sig[static KEY_SIG_BYTES],
			   const char *domain, const key_part *parts,
			   size_t nparts,
			   const uint8_t pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

/* Certifies an X25519 encryption key with an identity key: key_sign() under
 * domain over enc_pk || u64be(not_after), not_after in Unix seconds (the
 * last second the key may be used). */
sk_status key_x25519_certify(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
			     const uint8_t enc_pk[static KEY_X25519_PK_BYTES],
			     uint64_t not_after,
			     const uint8_t sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;

/* SK_OK only if sig certifies enc_pk until not_after under id_pk (and
 * domain) and the
 * key is still valid at now (now <= not_after, Unix seconds; pass the time
 * of use, e.g. a message's timestamp). Otherwise SK_ERR_VERIFY. */
sk_status key_x25519_cert_verify(const uint8_t sig[static KEY_SIG_BYTES], const char *domain,
				 const uint8_t enc_pk[static KEY_X25519_PK_BYTES],
				 uint64_t not_after, uint64_t now,
				 const uint8_t id_pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

#endif
