#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "crypto/key.h"

#define PART_PREFIX_BYTES 4 /* u32be length before each part */

_Static_assert(KEY_ED25519_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "ed25519 pk");
_Static_assert(KEY_ED25519_SK_BYTES == crypto_sign_SECRETKEYBYTES, "ed25519 sk");
_Static_assert(KEY_ED25519_SEED_BYTES == crypto_sign_SEEDBYTES, "ed25519 seed");
_Static_assert(KEY_SIG_BYTES == crypto_sign_BYTES, "ed25519 sig");
_Static_assert(KEY_X25519_PK_BYTES == crypto_box_PUBLICKEYBYTES, "x25519 pk");
_Static_assert(KEY_X25519_SK_BYTES == crypto_box_SECRETKEYBYTES, "x25519 sk");
_Static_assert(KEY_X25519_SEED_BYTES == crypto_box_SEEDBYTES, "x25519 seed");
_Static_assert(KEY_DOMAIN_MAX < 256, "framed messages must start with 0x00");
_Static_assert(KEY_SIGN_MAX <= UINT32_MAX, "parts are u32be-prefixed");

void key_ed25519_generate(key_ed25519 *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

void key_x25519_generate(key_x25519 *k)
{
	crypto_box_keypair(k->pk, k->sk);
}

void key_ed25519_from_seed(key_ed25519 *k,
			   const uint8_t seed[static KEY_ED25519_SEED_BYTES])
{
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

void key_x25519_from_seed(key_x25519 *k,
			  const uint8_t seed[static KEY_X25519_SEED_BYTES])
{
	crypto_box_seed_keypair(k->pk, k->sk, seed);
}

void key_ed25519_wipe(key_ed25519 *k)
{
	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
}

void key_x25519_wipe(key_x25519 *k)
{
	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
}

size_t key_domain_frame(uint8_t out[static KEY_DOMAIN_FRAME_MAX],
			const char *domain)
{
	size_t n;

	if (domain == NULL)
		return 0;
	n = strnlen(domain, KEY_DOMAIN_MAX + 1);
	if (n == 0 || n > KEY_DOMAIN_MAX)
		return 0;
	sk_be16_put(out, (uint16_t)n);
	memcpy(out + 2, domain, n);
	return 2 + n;
}

/* Builds the framed message in a new malloc'd buffer (*out, *out_len).
 * prefixed: each part is preceded by u32be(len); otherwise the parts are
 * concatenated (key_sign passes exactly one). The caller wipes and frees. */
static sk_status frame_build(uint8_t **out, size_t *out_len, const char *domain,
			     const key_part *parts, size_t nparts, int prefixed)
{
	uint8_t head[KEY_DOMAIN_FRAME_MAX];
	size_t hl, total, per = prefixed ? PART_PREFIX_BYTES : 0, off;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	hl = key_domain_frame(head, domain);
	if (hl == 0 || (parts == NULL && nparts != 0))
		return SK_ERR_INVALID;
	total = hl;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].p == NULL && parts[i].len != 0)
			return SK_ERR_INVALID;
		/* total <= KEY_SIGN_MAX holds here, so nothing overflows */
		if (per > KEY_SIGN_MAX - total ||
		    parts[i].len > KEY_SIGN_MAX - total - per)
			return SK_ERR_TOOBIG;
		total += per + parts[i].len;
	}
	buf = malloc(total);
	if (buf == NULL)
		return SK_ERR_NOMEM;
	memcpy(buf, head, hl);
	off = hl;
	for (size_t i = 0; i < nparts; i++) {
		size_t n = parts[i].len;

		if (prefixed) {
			sk_be32_put(buf + off, (uint32_t)n);
			off += PART_PREFIX_BYTES;
		}
		if (n != 0)
			memcpy(buf + off, parts[i].p, n);
		off += n;
	}
	*out = buf;
	*out_len = total;
	return SK_OK;
}

static sk_status sign_framed(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
			     const key_part *parts, size_t nparts, int prefixed,
			     const uint8_t sk[static KEY_ED25519_SK_BYTES])
{
	uint8_t *buf = NULL;
	size_t n = 0;
	sk_status st;

	st = frame_build(&buf, &n, domain, parts, nparts, prefixed);
	if (st != SK_OK)
		goto out;
	if (crypto_sign_detached(sig, NULL, buf, n, sk) != 0)
		st = SK_ERR_CRYPTO;
out:
	if (st != SK_OK)
		sodium_memzero(sig, KEY_SIG_BYTES);
	if (buf != NULL) {
		/* the message may be a plaintext (seal_signed) */
		sodium_memzero(buf, n);
		free(buf);
	}
	return st;
}

static sk_status verify_framed(const uint8_t sig[static KEY_SIG_BYTES],
			       const char *domain, const key_part *parts,
			       size_t nparts, int prefixed,
			       const uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	uint8_t *buf = NULL;
	size_t n = 0;
	sk_status st;

	st = frame_build(&buf, &n, domain, parts, nparts, prefixed);
	if (st == SK_ERR_TOOBIG)
		st = SK_ERR_VERIFY; /* nothing that long was ever signed */
	if (st != SK_OK)
		goto out;
	if (crypto_sign_verify_detached(sig, buf, n, pk) != 0)
		st = SK_ERR_VERIFY;
out:
	if (buf != NULL) {
		sodium_memzero(buf, n);
		free(buf);
	}
	return st;
}

sk_status key_sign(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
		   const uint8_t *msg, size_t len,
		   const uint8_t sk[static KEY_ED25519_SK_BYTES])
{
	const key_part part = {msg, len};

	return sign_framed(sig, domain, &part, 1, 0, sk);
}

sk_status key_verify(const uint8_t sig[static KEY_SIG_BYTES], const char *domain,
		     const uint8_t *msg, size_t len,
		     const uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	const key_part part = {msg, len};

	return verify_framed(sig, domain, &part, 1, 0, pk);
}

sk_status key_sign_parts(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
			 const key_part *parts, size_t nparts,
			 const uint8_t sk[static KEY_ED25519_SK_BYTES])
{
	return sign_framed(sig, domain, parts, nparts, 1, sk);
}

sk_status key_verify_parts(const uint8_t sig[static KEY_SIG_BYTES],
			   const char *domain, const key_part *parts,
			   size_t nparts,
			   const uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	return verify_framed(sig, domain, parts, nparts, 1, pk);
}

static void cert_msg(uint8_t out[static KEY_CERT_MSG_BYTES],
		     const uint8_t enc_pk[static KEY_X25519_PK_BYTES],
		     uint64_t not_after)
{
	memcpy(out, enc_pk, KEY_X25519_PK_BYTES);
	sk_be64_put(out + KEY_X25519_PK_BYTES, not_after);
}

sk_status key_x25519_certify(uint8_t sig[static KEY_SIG_BYTES], const char *domain,
			     const uint8_t enc_pk[static KEY_X25519_PK_BYTES],
			     uint64_t not_after,
			     const uint8_t sk[static KEY_ED25519_SK_BYTES])
{
	uint8_t msg[KEY_CERT_MSG_BYTES];

	cert_msg(msg, enc_pk, not_after);
	return key_sign(sig, domain, msg, sizeof(msg), sk);
}

sk_status key_x25519_cert_verify(const uint8_t sig[static KEY_SIG_BYTES], const char *domain,
				 const uint8_t enc_pk[static KEY_X25519_PK_BYTES],
				 uint64_t not_after, uint64_t now,
				 const uint8_t id_pk[static KEY_ED25519_PK_BYTES])
{
	uint8_t msg[KEY_CERT_MSG_BYTES];
	sk_status st;

	cert_msg(msg, enc_pk, not_after);
	st = key_verify(sig, domain, msg, sizeof(msg), id_pk);
	if (st == SK_OK && now > not_after)
		st = SK_ERR_VERIFY;
	return st;
}
