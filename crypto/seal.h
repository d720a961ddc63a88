/* Sealing: XChaCha20-Poly1305 under a shared key with domain-framed
 * additional data (contacts under the contact key), anonymous X25519
 * sealed boxes, and signed-and-sealed messages to one named recipient
 * (discussion messages). All outputs are caller-allocated; nothing is kept.
 * Callers must have called sodium_init() once. */
#ifndef SK_SEAL_H
#define SK_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "crypto/key.h"

/* Hard cap on every plaintext (payload) this module seals or opens. */
#define SEAL_PAYLOAD_MAX (256u << 10)

/* --- AEAD: XChaCha20-Poly1305-IETF ---------------------------------------
 * out = nonce(24, random) || ciphertext || tag(16); the additional data
 * given to the cipher is u16be(len(domain)) || domain || ad (key_domain_frame),
 * so a ciphertext made for one purpose (domain) or one record (ad) does not
 * open as another. */
#define SEAL_AEAD_KEY_BYTES 32
#define SEAL_AEAD_NONCE_BYTES 24
#define SEAL_AEAD_TAG_BYTES 16
#define SEAL_AEAD_OVERHEAD (SEAL_AEAD_NONCE_BYTES + SEAL_AEAD_TAG_BYTES)
#define SEAL_AEAD_AD_MAX 1024 /* cap on ad (without the domain) */
#define SEAL_AEAD_BYTES(len) ((len) + SEAL_AEAD_OVERHEAD)

/* Encrypts msg (len bytes, may be NULL when len is 0) into out, which must
 * have room for SEAL_AEAD_BYTES(len) bytes and must not overlap msg. ad may
 * be NULL when ad_len is 0. SK_ERR_TOOBIG: len > SEAL_PAYLOAD_MAX;
 * SK_ERR_INVALID: bad domain or ad_len > SEAL_AEAD_AD_MAX. */
sk_status seal_aead_encrypt(uint8_t *out, const char *domain,
			    const uint8_t *ad, size_t ad_len,
			    const uint8_t *msg, size_t len,
			    const uint8_t key[static SEAL_AEAD_KEY_BYTES]) SK_MUST_CHECK;

/* Opens in (in_len bytes, from seal_aead_encrypt) into out, which must have
 * room for in_len - SEAL_AEAD_OVERHEAD bytes and must not overlap in;
 * *out_len is set to that length. SK_ERR_VERIFY on any failure (too short,
 * tampered, wrong key, domain or ad); SK_ERR_TOOBIG: the plaintext would
 * exceed SEAL_PAYLOAD_MAX; SK_ERR_INVALID: bad domain or ad_len. On any
 * error nothing of the plaintext is left in out and *out_len is 0. */
sk_status seal_aead_decrypt(uint8_t *out, size_t *out_len, const char *domain,
			    const uint8_t *ad, size_t ad_len,
			    const uint8_t *in, size_t in_len,
			    const uint8_t key[static SEAL_AEAD_KEY_BYTES]) SK_MUST_CHECK;

/* --- Anonymous sealed boxes (crypto_box_seal) ------------------------------
 * WARNING: a sealed box says nothing about its sender and carries no
 * domain: anyone can make one, and a box opens for any purpose that uses
 * the same key. Use one key per purpose, or seal_signed(). */
#define SEAL_BOX_OVERHEAD 48 /* ephemeral pk (32) + tag (16) */
#define SEAL_BOX_BYTES(len) ((len) + SEAL_BOX_OVERHEAD)

/* Seals msg to pk; out must have room for SEAL_BOX_BYTES(len) bytes.
 * SK_ERR_TOOBIG: len > SEAL_PAYLOAD_MAX; SK_ERR_INVALID: pk is of small
 * order (no usable shared secret). */
sk_status seal_box(uint8_t *out, const uint8_t *msg, size_t len,
		   const uint8_t pk[static KEY_X25519_PK_BYTES]) SK_MUST_CHECK;

/* Opens in with k into out (room for in_len - SEAL_BOX_OVERHEAD bytes).
 * SK_ERR_VERIFY on any failure; SK_ERR_TOOBIG over the cap. On any error
 * out holds no plaintext and *out_len is 0. */
sk_status seal_box_open(uint8_t *out, size_t *out_len,
			const uint8_t *in, size_t in_len,
			const key_x25519 *k) SK_MUST_CHECK;

/* --- Signed and sealed to one recipient ------------------------------------
 * The sender signs, with key_sign_parts() under domain, the parts
 *   sender Ed25519 pk, recipient_id, recipient X25519 pk, context, payload
 * and seals sig(64) || payload to the recipient's X25519 key with
 * crypto_box_seal. The recipient id is who the message is for (e.g. org id
 * or participant id; non-empty); context binds it to its place (e.g.
 * discussion id || u64be(sequence)), fixed-length or framed by the caller.
 * A recipient that re-seals the inner message to someone else gains
 * nothing: the signature names the first recipient and its key. */
#define SEAL_SIGNED_OVERHEAD (KEY_SIG_BYTES + SEAL_BOX_OVERHEAD)
#define SEAL_SIGNED_BYTES(len) ((len) + SEAL_SIGNED_OVERHEAD)

/* out must have room for SEAL_SIGNED_BYTES(len) bytes. payload and context
 * may be NULL when their length is 0. SK_ERR_TOOBIG: len > SEAL_PAYLOAD_MAX;
 * SK_ERR_INVALID: bad domain, empty recipient id or small-order
 * recipient_pk; SK_ERR_NOMEM. The signed copy of the payload is wiped. */
sk_status seal_signed(uint8_t *out, const char *domain,
		      const uint8_t *recipient_id, size_t recipient_id_len,
		      const uint8_t *context, size_t context_len,
		      const uint8_t *payload, size_t len,
		      const uint8_t recipient_pk[static KEY_X25519_PK_BYTES],
		      const uint8_t sender_sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;

/* Opens in with the recipient's key pair and checks the sender's signature
 * over domain, recipient_id, recipient->pk, context and the payload.
 * payload_out must have room for in_len - SEAL_SIGNED_OVERHEAD bytes;
 * *payload_len is set. SK_ERR_VERIFY on any failure (too short, tampered,
 * wrong recipient key, wrong sender, domain, recipient id or context);
 * SK_ERR_TOOBIG over the cap; SK_ERR_INVALID: bad domain or empty recipient
 * id; SK_ERR_NOMEM. On any error payload_out holds nothing of the message
 * and *payload_len is 0. */
sk_status seal_signed_open(uint8_t *payload_out, size_t *payload_len,
			   const char *domain,
			   const uint8_t *recipient_id, size_t recipient_id_len,
			   const uint8_t *context, size_t context_len,
			   const uint8_t *in, size_t in_len,
			   const key_x25519 *recipient,
			   const uint8_t sender_pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

#endif
