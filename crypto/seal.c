#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/seal.h"

_Static_assert(SEAL_AEAD_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "aead key");
_Static_assert(SEAL_AEAD_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	       "aead nonce");
_Static_assert(SEAL_AEAD_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "aead tag");
_Static_assert(SEAL_BOX_OVERHEAD == crypto_box_SEALBYTES, "sealed box");
/* a maximal payload with its signed fields stays far below key_sign's cap */
_Static_assert(SEAL_PAYLOAD_MAX + KEY_DOMAIN_FRAME_MAX + 4096 < KEY_SIGN_MAX, "caps");

#define SEAL_PARTS 5 /* sender pk, recipient id, recipient pk, context, payload */

/* libsodium wants a valid pointer even for zero bytes in some paths. */
static const uint8_t empty[1];

/* adf = u16be(len(domain)) || domain || ad */
static sk_status frame_ad(uint8_t adf[static KEY_DOMAIN_FRAME_MAX + SEAL_AEAD_AD_MAX],
			  size_t *adf_len, const char *domain,
			  const uint8_t *ad, size_t ad_len)
{
	size_t hl;

	*adf_len = 0;
	if (ad_len > SEAL_AEAD_AD_MAX || (ad == NULL && ad_len != 0))
		return SK_ERR_INVALID;
	hl = key_domain_frame(adf, domain);
	if (hl == 0)
		return SK_ERR_INVALID;
	if (ad_len != 0)
		memcpy(adf + hl, ad, ad_len);
	*adf_len = hl + ad_len;
	return SK_OK;
}

sk_status seal_aead_encrypt(uint8_t *out, const char *domain,
			    const uint8_t *ad, size_t ad_len,
			    const uint8_t *msg, size_t len,
			    const uint8_t key[static SEAL_AEAD_KEY_BYTES])
{
	uint8_t adf[KEY_DOMAIN_FRAME_MAX + SEAL_AEAD_AD_MAX];
	size_t adf_len;
	sk_status st;

	st = frame_ad(adf, &adf_len, domain, ad, ad_len);
	if (st != SK_OK)
		goto out;
	if (len > SEAL_PAYLOAD_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if (msg == NULL && len != 0) {
		st = SK_ERR_INVALID;
		goto out;
	}
	/* 192-bit random nonces: collisions are negligible for any number of
	 * messages one key will ever seal. */
	randombytes_buf(out, SEAL_AEAD_NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
		    out + SEAL_AEAD_NONCE_BYTES, NULL, msg != NULL ? msg : empty,
		    len, adf, adf_len, NULL, out, key) != 0) {
		sodium_memzero(out, SEAL_AEAD_BYTES(len));
		st = SK_ERR_CRYPTO;
	}
out:
	return st;
}

sk_status seal_aead_decrypt(uint8_t *out, size_t *out_len, const char *domain,
			    const uint8_t *ad, size_t ad_len,
			    const uint8_t *in, size_t in_len,
			    const uint8_t key[static SEAL_AEAD_KEY_BYTES])
{
	uint8_t adf[KEY_DOMAIN_FRAME_MAX + SEAL_AEAD_AD_MAX];
	uint8_t one[1];
	size_t adf_len, mlen = 0;
	sk_status st;

	*out_len = 0;
	st = frame_ad(adf, &adf_len, domain, ad, ad_len);
	if (st != SK_OK)
		goto out;
	if (in == NULL || in_len < SEAL_AEAD_OVERHEAD) {
		st = SK_ERR_VERIFY;
		goto out;
	}
	mlen = in_len - SEAL_AEAD_OVERHEAD;
	if (mlen > SEAL_PAYLOAD_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if (out == NULL && mlen == 0)
		out = one;
	/* libsodium checks the tag before it writes any plaintext */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    out, NULL, NULL, in + SEAL_AEAD_NONCE_BYTES,
		    in_len - SEAL_AEAD_NONCE_BYTES, adf, adf_len, in, key) != 0) {
		sodium_memzero(out, mlen);
		st = SK_ERR_VERIFY;
		goto out;
	}
	*out_len = mlen;
out:
	return st;
}

/* crypto_box_seal without the cap; fails only for an unusable pk. */
static sk_status box_seal(uint8_t *out, const uint8_t *msg, size_t len,
			  const uint8_t pk[static KEY_X25519_PK_BYTES])
{
	if (crypto_box_seal(out, msg != NULL ? msg : empty, len, pk) != 0)
		return SK_ERR_INVALID;
	return SK_OK;
}

sk_status seal_box(uint8_t *out, const uint8_t *msg, size_t len,
		   const uint8_t pk[static KEY_X25519_PK_BYTES])
{
	if (len > SEAL_PAYLOAD_MAX)
		return SK_ERR_TOOBIG;
	if (msg == NULL && len != 0)
		return SK_ERR_INVALID;
	return box_seal(out, msg, len, pk);
}

/* Opens a sealed box whose plaintext may be up to cap bytes. */
static sk_status box_open(uint8_t *out, size_t *out_len, const uint8_t *in,
			  size_t in_len, size_t cap, const key_x25519 *k)
{
	uint8_t one[1];
	size_t mlen;

	*out_len = 0;
	if (in == NULL || in_len < SEAL_BOX_OVERHEAD)
		return SK_ERR_VERIFY;
	mlen = in_len - SEAL_BOX_OVERHEAD;
	if (mlen > cap)
		return SK_ERR_TOOBIG;
	if (out == NULL && mlen == 0)
		out = one;
	if (crypto_box_seal_open(out, in, in_len, k->pk, k->sk) != 0) {
		sodium_memzero(out, mlen);
		return SK_ERR_VERIFY;
	}
	*out_len = mlen;
	return SK_OK;
}

sk_status seal_box_open(uint8_t *out, size_t *out_len,
			const uint8_t *in, size_t in_len,
			const key_x25519 *k)
{
	return box_open(out, out_len, in, in_len, SEAL_PAYLOAD_MAX, k);
}

sk_status seal_signed(uint8_t *out, const char *domain,
		      const uint8_t *recipient_id, size_t recipient_id_len,
		      const uint8_t *context, size_t context_len,
		      const uint8_t *payload, size_t len,
		      const uint8_t recipient_pk[static KEY_X25519_PK_BYTES],
		      const uint8_t sender_sk[static KEY_ED25519_SK_BYTES])
{
	uint8_t sender_pk[KEY_ED25519_PK_BYTES];
	uint8_t *inner = NULL; /* sig || payload: plaintext, wiped */
	size_t inner_len = 0;
	const key_part parts[SEAL_PARTS] = {
		{sender_pk, sizeof(sender_pk)},
		{recipient_id, recipient_id_len},
		{recipient_pk, KEY_X25519_PK_BYTES},
		{context, context_len},
		{payload, len},
	};
	sk_status st;

	if (len > SEAL_PAYLOAD_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if (recipient_id == NULL || recipient_id_len == 0 ||
	    (payload == NULL && len != 0)) {
		st = SK_ERR_INVALID;
		goto out;
	}
	crypto_sign_ed25519_sk_to_pk(sender_pk, sender_sk);
	inner_len = KEY_SIG_BYTES + len;
	inner = malloc(inner_len);
	if (inner == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	st = key_sign_parts(inner, domain, parts, SEAL_PARTS, sender_sk);
	if (st != SK_OK)
		goto out;
	if (len != 0)
		memcpy(inner + KEY_SIG_BYTES, payload, len);
	st = box_seal(out, inner, inner_len, recipient_pk);
out:
	if (inner != NULL) {
		sodium_memzero(inner, inner_len);
		free(inner);
	}
	return st;
}

sk_status seal_signed_open(uint8_t *payload_out, size_t *payload_len,
			   const char *domain,
			   const uint8_t *recipient_id, size_t recipient_id_len,
			   const uint8_t *context, size_t context_len,
			   const uint8_t *in, size_t in_len,
			   const key_x25519 *recipient,
			   const uint8_t sender_pk[static KEY_ED25519_PK_BYTES])
{
	uint8_t head[KEY_DOMAIN_FRAME_MAX];
	uint8_t *inner = NULL; /* sig || payload: plaintext, wiped */
	size_t alloc_len = 0, inner_len;
	key_part parts[SEAL_PARTS] = {
		{sender_pk, KEY_ED25519_PK_BYTES},
		{recipient_id, recipient_id_len},
		{recipient->pk, KEY_X25519_PK_BYTES},
		{context, context_len},
		{NULL, 0}, /* the payload, once opened */
	};
	sk_status st;

	*payload_len = 0;
	/* misuse first, so that it is never reported as a failed check */
	if (key_domain_frame(head, domain) == 0 || recipient_id == NULL ||
	    recipient_id_len == 0 || (context == NULL && context_len != 0)) {
		st = SK_ERR_INVALID;
		goto out;
	}
	if (in == NULL || in_len < SEAL_SIGNED_OVERHEAD) {
		st = SK_ERR_VERIFY;
		goto out;
	}
	if (in_len - SEAL_SIGNED_OVERHEAD > SEAL_PAYLOAD_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	alloc_len = in_len - SEAL_BOX_OVERHEAD;
	inner = malloc(alloc_len);
	if (inner == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	st = box_open(inner, &inner_len, in, in_len,
		      KEY_SIG_BYTES + SEAL_PAYLOAD_MAX, recipient);
	if (st != SK_OK)
		goto out;
	parts[SEAL_PARTS - 1].p = inner + KEY_SIG_BYTES;
	parts[SEAL_PARTS - 1].len = inner_len - KEY_SIG_BYTES;
	st = key_verify_parts(inner, domain, parts, SEAL_PARTS, sender_pk);
	if (st != SK_OK)
		goto out;
	if (parts[SEAL_PARTS - 1].len != 0)
		memcpy(payload_out, inner + KEY_SIG_BYTES, parts[SEAL_PARTS - 1].len);
	*payload_len = parts[SEAL_PARTS - 1].len;
out:
	if (inner != NULL) {
		sodium_memzero(inner, alloc_len);
		free(inner);
	}
	return st;
}
