#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/seal.h"
#include "test_util.h"

static json_t *load(const char *name)
{
	char path[512];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/seal/%s", SK_VECTORS_DIR, name);
	j = json_load_file(path, 0, &err);
	if (j == NULL)
		fail_msg("%s: %s", path, err.text);
	return j;
}

static size_t jhex(const json_t *o, const char *field, uint8_t *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, field));

	if (s == NULL)
		fail_msg("vector field %s missing", field);
	return t_hex(out, cap, s);
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int all_byte(const uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ AEAD */

#define DC "schakel/v1/contact"
static const uint8_t k1[32] = {1};
static const uint8_t k2[32] = {2};
static const uint8_t ad1[] = "token+epoch+org";
static const uint8_t msg1[] = "Jan Jansen, 06-12345678";
#define M1 (sizeof(msg1) - 1)
#define A1 (sizeof(ad1) - 1)

/* draft-irtf-cfrg-xchacha-03 A.3.1 through libsodium's primitive, which
 * seal_aead uses; seal_aead itself frames the AD, so its own known answers
 * are the schakel-aead vectors below (no deterministic-nonce entry point). */
static void test_aead_draft_vector(void **state)
{
	json_t *j = load("xchacha-a31.json");
	uint8_t pt[128], ad[16], key[32], iv[24], ct[128], tag[16];
	uint8_t got[160], back[128];
	unsigned long long glen, blen;
	size_t pl, al, cl;

	pl = jhex(j, "plaintext", pt, sizeof(pt));
	al = jhex(j, "aad", ad, sizeof(ad));
	assert_int_equal(jhex(j, "key", key, sizeof(key)), SEAL_AEAD_KEY_BYTES);
	assert_int_equal(jhex(j, "iv", iv, sizeof(iv)), SEAL_AEAD_NONCE_BYTES);
	cl = jhex(j, "ciphertext", ct, sizeof(ct));
	assert_int_equal(jhex(j, "tag", tag, sizeof(tag)), SEAL_AEAD_TAG_BYTES);
	assert_int_equal(pl, 114);
	assert_int_equal(cl, pl);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt(
				 got, &glen, pt, pl, ad, al, NULL, iv, key), 0);
	assert_int_equal(glen, pl + 16);
	assert_memory_equal(got, ct, cl);
	assert_memory_equal(got + cl, tag, 16);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
				 back, &blen, NULL, got, glen, ad, al, iv, key), 0);
	assert_int_equal(blen, pl);
	assert_memory_equal(back, pt, pl);
	json_decref(j);
}

/* seal_aead_decrypt opens ciphertexts made by another implementation
 * of the documented format, byte for byte. */
static void test_aead_vectors(void **state)
{
	json_t *j = load("schakel-aead.json"), *a31 = load("xchacha-a31.json");
	json_t *v;
	uint8_t a31ct[128];
	size_t i, n = 0, a31len = jhex(a31, "ciphertext", a31ct, sizeof(a31ct));

	json_array_foreach(json_object_get(j, "vectors"), i, v) {
		const char *domain = json_string_value(json_object_get(v, "domain"));
		uint8_t key[32], ad[64], pt[128], sealed[200], out[200];
		size_t al, pl, sl, ol;

		assert_int_equal(jhex(v, "key", key, sizeof(key)), 32);
		al = jhex(v, "ad", ad, sizeof(ad));
		pl = jhex(v, "plaintext", pt, sizeof(pt));
		sl = jhex(v, "sealed", sealed, sizeof(sealed));
		assert_int_equal(sl, SEAL_AEAD_BYTES(pl));
		E(seal_aead_decrypt(out, &ol, domain, ad, al, sealed, sl, key));
		assert_int_equal(ol, pl);
		assert_memory_equal(out, pt, pl);
		/* the body is A.3.1's: only the tag depends on the framed AD */
		if (pl == a31len)
			assert_memory_equal(sealed + SEAL_AEAD_NONCE_BYTES, a31ct, pl);
		/* and the framing matters: the bare AD does not open it */
		EFAIL(seal_aead_decrypt(out, &ol, "schakel/v1/other", ad, al, sealed,
					sl, key), SK_ERR_VERIFY);
		n++;
	}
	assert_int_equal(n, 2);
	json_decref(j);
	json_decref(a31);
}

/* The output is nonce || XChaCha20-Poly1305(key, nonce, framed AD, msg). */
static void test_aead_format(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1)], p[M1], adf[2 + sizeof(DC) - 1 + A1];
	unsigned long long plen;

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	adf[0] = 0;
	adf[1] = sizeof(DC) - 1;
	memcpy(adf + 2, DC, sizeof(DC) - 1);
	memcpy(adf + 2 + sizeof(DC) - 1, ad1, A1);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
				 p, &plen, NULL, c + 24, sizeof(c) - 24, adf,
				 sizeof(adf), c, k1), 0);
	assert_int_equal(plen, M1);
	assert_memory_equal(p, msg1, M1);
}

static void test_aead_roundtrip(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1)], c2[SEAL_AEAD_BYTES(M1)], p[M1];
	size_t plen;

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	E(seal_aead_decrypt(p, &plen, DC, ad1, A1, c, sizeof(c), k1));
	assert_int_equal(plen, M1);
	assert_memory_equal(p, msg1, M1);
	/* fresh random nonce each time */
	E(seal_aead_encrypt(c2, DC, ad1, A1, msg1, M1, k1));
	assert_memory_not_equal(c, c2, SEAL_AEAD_NONCE_BYTES);
	/* no ad */
	E(seal_aead_encrypt(c, DC, NULL, 0, msg1, M1, k1));
	E(seal_aead_decrypt(p, &plen, DC, NULL, 0, c, sizeof(c), k1));
	assert_memory_equal(p, msg1, M1);
}

static void test_aead_empty(void **state)
{
	uint8_t c[SEAL_AEAD_OVERHEAD], p[1];
	size_t plen = 99;

	E(seal_aead_encrypt(c, DC, ad1, A1, NULL, 0, k1));
	E(seal_aead_decrypt(p, &plen, DC, ad1, A1, c, sizeof(c), k1));
	assert_int_equal(plen, 0);
	E(seal_aead_decrypt(NULL, &plen, DC, ad1, A1, c, sizeof(c), k1));
	c[SEAL_AEAD_OVERHEAD - 1] ^= 1;
	EFAIL(seal_aead_decrypt(p, &plen, DC, ad1, A1, c, sizeof(c), k1), SK_ERR_VERIFY);
}

/* Common check for a failing decrypt: VERIFY, no plaintext, length 0. */
static void aead_rejects(const char *domain, const uint8_t *ad, size_t ad_len,
			 const uint8_t *c, size_t clen, const uint8_t key[32])
{
	uint8_t p[256];
	size_t plen = 99;

	memset(p, 0xaa, sizeof(p));
	EFAIL(seal_aead_decrypt(p, &plen, domain, ad, ad_len, c, clen, key), SK_ERR_VERIFY);
	assert_int_equal(plen, 0);
	if (clen >= SEAL_AEAD_OVERHEAD)
		assert_true(all_zero(p, clen - SEAL_AEAD_OVERHEAD));
}

static void test_aead_wrong_key(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1)];

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	aead_rejects(DC, ad1, A1, c, sizeof(c), k2);
}

static void test_aead_wrong_domain(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1)];

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	aead_rejects("schakel/v1/contacT", ad1, A1, c, sizeof(c), k1);
	/* bytes moved between domain and ad */
	aead_rejects("schakel/v1/contactt", ad1 + 1, A1 - 1, c, sizeof(c), k1);
	aead_rejects("schakel/v1/contac", (const uint8_t *)"ttoken+epoch+org",
		     A1 + 1, c, sizeof(c), k1);
}

static void test_aead_wrong_ad(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1)], ad[A1];

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	memcpy(ad, ad1, A1);
	ad[A1 - 1] ^= 1;
	aead_rejects(DC, ad, A1, c, sizeof(c), k1);
	aead_rejects(DC, ad1, A1 - 1, c, sizeof(c), k1);
	aead_rejects(DC, NULL, 0, c, sizeof(c), k1);
}

/* Every byte of nonce, ciphertext and tag is covered. */
static void test_aead_tampered(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1)], t[sizeof(c)];

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	for (size_t i = 0; i < sizeof(c); i++) {
		memcpy(t, c, sizeof(c));
		t[i] ^= 0x01;
		aead_rejects(DC, ad1, A1, t, sizeof(t), k1);
	}
}

static void test_aead_truncated(void **state)
{
	uint8_t c[SEAL_AEAD_BYTES(M1) + 1];

	E(seal_aead_encrypt(c, DC, ad1, A1, msg1, M1, k1));
	for (size_t n = 0; n < SEAL_AEAD_BYTES(M1); n++)
		aead_rejects(DC, ad1, A1, c, n, k1);
	aead_rejects(DC, ad1, A1, NULL, 0, k1);
	/* one byte appended */
	c[SEAL_AEAD_BYTES(M1)] = 0;
	aead_rejects(DC, ad1, A1, c, sizeof(c), k1);
}

static void test_aead_limits(void **state)
{
	size_t n = SEAL_PAYLOAD_MAX;
	uint8_t *m = calloc(1, n + 1), *c = malloc(SEAL_AEAD_BYTES(n + 1));
	uint8_t *p = malloc(n + 1), ad[SEAL_AEAD_AD_MAX + 1] = {0};
	size_t plen;

	assert_non_null(m);
	assert_non_null(c);
	assert_non_null(p);
	E(seal_aead_encrypt(c, DC, ad, SEAL_AEAD_AD_MAX, m, n, k1));
	E(seal_aead_decrypt(p, &plen, DC, ad, SEAL_AEAD_AD_MAX, c, SEAL_AEAD_BYTES(n), k1));
	assert_int_equal(plen, n);
	EFAIL(seal_aead_encrypt(c, DC, NULL, 0, m, n + 1, k1), SK_ERR_TOOBIG);
	EFAIL(seal_aead_decrypt(p, &plen, DC, NULL, 0, c, SEAL_AEAD_BYTES(n + 1), k1),
	      SK_ERR_TOOBIG);
	EFAIL(seal_aead_encrypt(c, DC, ad, SEAL_AEAD_AD_MAX + 1, m, 1, k1), SK_ERR_INVALID);
	EFAIL(seal_aead_decrypt(p, &plen, DC, ad, SEAL_AEAD_AD_MAX + 1, c,
				SEAL_AEAD_BYTES(n), k1), SK_ERR_INVALID);
	EFAIL(seal_aead_encrypt(c, NULL, NULL, 0, m, 1, k1), SK_ERR_INVALID);
	EFAIL(seal_aead_encrypt(c, "", NULL, 0, m, 1, k1), SK_ERR_INVALID);
	EFAIL(seal_aead_decrypt(p, &plen, NULL, NULL, 0, c, SEAL_AEAD_BYTES(n), k1),
	      SK_ERR_INVALID);
	EFAIL(seal_aead_encrypt(c, DC, NULL, 0, NULL, 1, k1), SK_ERR_INVALID);
	EFAIL(seal_aead_encrypt(c, DC, NULL, 1, m, 1, k1), SK_ERR_INVALID);
	free(m);
	free(c);
	free(p);
}

/* ------------------------------------------------------------ sealed box */

static key_x25519 xb, xc;

static void test_box_roundtrip(void **state)
{
	uint8_t c[SEAL_BOX_BYTES(M1)], p[M1], e[SEAL_BOX_OVERHEAD];
	size_t plen;

	E(seal_box(c, msg1, M1, xb.pk));
	E(seal_box_open(p, &plen, c, sizeof(c), &xb));
	assert_int_equal(plen, M1);
	assert_memory_equal(p, msg1, M1);
	E(seal_box(e, NULL, 0, xb.pk));
	E(seal_box_open(NULL, &plen, e, sizeof(e), &xb));
	assert_int_equal(plen, 0);
}

static void box_rejects(const uint8_t *c, size_t clen, const key_x25519 *k)
{
	uint8_t p[256];
	size_t plen = 99;

	memset(p, 0xaa, sizeof(p));
	EFAIL(seal_box_open(p, &plen, c, clen, k), SK_ERR_VERIFY);
	assert_int_equal(plen, 0);
	if (clen >= SEAL_BOX_OVERHEAD)
		assert_true(all_zero(p, clen - SEAL_BOX_OVERHEAD));
}

static void test_box_wrong_key(void **state)
{
	uint8_t c[SEAL_BOX_BYTES(M1)];

	E(seal_box(c, msg1, M1, xb.pk));
	box_rejects(c, sizeof(c), &xc);
}

static void test_box_tampered(void **state)
{
	uint8_t c[SEAL_BOX_BYTES(M1)], t[sizeof(c)];

	E(seal_box(c, msg1, M1, xb.pk));
	for (size_t i = 0; i < sizeof(c); i++) {
		memcpy(t, c, sizeof(c));
		t[i] ^= 0x01;
		box_rejects(t, sizeof(t), &xb);
	}
}

static void test_box_truncated(void **state)
{
	uint8_t c[SEAL_BOX_BYTES(M1)];

	E(seal_box(c, msg1, M1, xb.pk));
	for (size_t n = 0; n < sizeof(c); n++)
		box_rejects(c, n, &xb);
	box_rejects(NULL, 0, &xb);
}

static void test_box_limits(void **state)
{
	size_t n = SEAL_PAYLOAD_MAX, plen;
	uint8_t *m = calloc(1, n + 1), *c = malloc(SEAL_BOX_BYTES(n + 1));
	uint8_t *p = malloc(n + 1), zero[32] = {0};

	assert_non_null(m);
	assert_non_null(c);
	assert_non_null(p);
	E(seal_box(c, m, n, xb.pk));
	E(seal_box_open(p, &plen, c, SEAL_BOX_BYTES(n), &xb));
	assert_int_equal(plen, n);
	EFAIL(seal_box(c, m, n + 1, xb.pk), SK_ERR_TOOBIG);
	EFAIL(seal_box_open(p, &plen, c, SEAL_BOX_BYTES(n + 1), &xb), SK_ERR_TOOBIG);
	/* a small-order public key is refused, not used */
	EFAIL(seal_box(c, m, 1, zero), SK_ERR_INVALID);
	EFAIL(seal_box(c, NULL, 1, xb.pk), SK_ERR_INVALID);
	free(m);
	free(c);
	free(p);
}

/* --------------------------------------------------- signed and sealed */

#define DD "schakel/v1/discuss"
static key_ed25519 ea, em; /* sender A; M, another member */
static const uint8_t id_b[] = "org-b", id_c[] = "org-c";
#define IDL (sizeof(id_b) - 1)
static uint8_t ctx7[24], ctx8[24]; /* discussion id (16) || u64be(sequence) */
static const uint8_t pay[] = "hi";
#define PL (sizeof(pay) - 1)
static uint8_t sm[SEAL_SIGNED_BYTES(PL)]; /* A -> B, sequence 7 */

static int setup(void **state)
{
	static const uint8_t s1[32] = {0xa1}, s2[32] = {0xa2}, s3[32] = {0xb0},
			     s4[32] = {0xc0};

	key_ed25519_from_seed(&ea, s1);
	key_ed25519_from_seed(&em, s2);
	key_x25519_from_seed(&xb, s3);
	key_x25519_from_seed(&xc, s4);
	memset(ctx7, 0x5d, 16);
	memset(ctx7 + 16, 0, 8);
	ctx7[23] = 7;
	memcpy(ctx8, ctx7, 24);
	ctx8[23] = 8;
	return seal_signed(sm, DD, id_b, IDL, ctx7, sizeof(ctx7), pay, PL, xb.pk,
			   ea.sk) == SK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	key_ed25519_wipe(&ea);
	key_ed25519_wipe(&em);
	key_x25519_wipe(&xb);
	key_x25519_wipe(&xc);
	return 0;
}

/* A failing open: VERIFY, payload_out never written, length 0. */
static void signed_rejects(const char *domain, const uint8_t *id, size_t idlen,
			   const uint8_t *ctx, size_t ctxlen, const uint8_t *c,
			   size_t clen, const key_x25519 *rk, const uint8_t spk[32])
{
	uint8_t p[256];
	size_t plen = 99;

	memset(p, 0xaa, sizeof(p));
	EFAIL(seal_signed_open(p, &plen, domain, id, idlen, ctx, ctxlen, c, clen, rk, spk),
	      SK_ERR_VERIFY);
	assert_int_equal(plen, 0);
	assert_true(all_byte(p, sizeof(p), 0xaa));
}

static void test_signed_roundtrip(void **state)
{
	uint8_t p[PL];
	size_t plen;

	assert_int_equal(SEAL_SIGNED_OVERHEAD, 112);
	E(seal_signed_open(p, &plen, DD, id_b, IDL, ctx7, sizeof(ctx7), sm, sizeof(sm),
			   &xb, ea.pk));
	assert_int_equal(plen, PL);
	assert_memory_equal(p, pay, PL);
}

/* The documented structure: box(sig || payload), sig over the five parts. */
static void test_signed_structure(void **state)
{
	uint8_t inner[KEY_SIG_BYTES + PL];
	size_t ilen;
	const key_part parts[] = {
		{ea.pk, 32}, {id_b, IDL}, {xb.pk, 32}, {ctx7, sizeof(ctx7)}, {pay, PL},
	};

	E(seal_box_open(inner, &ilen, sm, sizeof(sm), &xb));
	assert_int_equal(ilen, sizeof(inner));
	assert_memory_equal(inner + KEY_SIG_BYTES, pay, PL);
	E(key_verify_parts(inner, DD, parts, 5, ea.pk));
}

static void test_signed_empty(void **state)
{
	uint8_t c[SEAL_SIGNED_OVERHEAD], p[1];
	size_t plen = 99;

	E(seal_signed(c, DD, id_b, IDL, NULL, 0, NULL, 0, xb.pk, ea.sk));
	E(seal_signed_open(p, &plen, DD, id_b, IDL, NULL, 0, c, sizeof(c), &xb, ea.pk));
	assert_int_equal(plen, 0);
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), c, sizeof(c), &xb, ea.pk);
}

/* Made by M, claiming to come from A. */
static void test_signed_forged(void **state)
{
	uint8_t c[sizeof(sm)];

	E(seal_signed(c, DD, id_b, IDL, ctx7, sizeof(ctx7), pay, PL, xb.pk, em.sk));
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), c, sizeof(c), &xb, ea.pk);
}

/* Made by A, checked against M's key. */
static void test_signed_wrong_sender(void **state)
{
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), sm, sizeof(sm), &xb, em.pk);
}

/* Every byte position flipped, each rejected. */
static void test_signed_tampered(void **state)
{
	uint8_t t[sizeof(sm)];

	for (size_t i = 0; i < sizeof(sm); i++) {
		memcpy(t, sm, sizeof(sm));
		t[i] ^= 0x01;
		signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), t, sizeof(t), &xb, ea.pk);
	}
}

static void test_signed_truncated(void **state)
{
	uint8_t t[sizeof(sm) + 1];

	for (size_t n = 0; n < sizeof(sm); n++)
		signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), sm, n, &xb, ea.pk);
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), NULL, 0, &xb, ea.pk);
	memcpy(t, sm, sizeof(sm));
	t[sizeof(sm)] = 0;
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), t, sizeof(t), &xb, ea.pk);
}

/* C holds a message meant for B. */
static void test_signed_wrong_recipient_key(void **state)
{
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), sm, sizeof(sm), &xc, ea.pk);
	signed_rejects(DD, id_c, IDL, ctx7, sizeof(ctx7), sm, sizeof(sm), &xc, ea.pk);
}

/* B's key, but the caller expects another recipient id. */
static void test_signed_wrong_recipient_id(void **state)
{
	signed_rejects(DD, id_c, IDL, ctx7, sizeof(ctx7), sm, sizeof(sm), &xb, ea.pk);
	signed_rejects(DD, id_b, IDL - 1, ctx7, sizeof(ctx7), sm, sizeof(sm), &xb, ea.pk);
}

/* B opens A's message and re-seals the signed inner message to C. */
static void test_signed_resealed(void **state)
{
	uint8_t inner[KEY_SIG_BYTES + PL], c[sizeof(sm)], p[PL];
	size_t ilen, plen;

	E(seal_box_open(inner, &ilen, sm, sizeof(sm), &xb));
	E(seal_box(c, inner, ilen, xc.pk));
	/* C as itself: the signature names B */
	signed_rejects(DD, id_c, IDL, ctx7, sizeof(ctx7), c, sizeof(c), &xc, ea.pk);
	/* C accepting "for B": the signature names B's key, not C's */
	signed_rejects(DD, id_b, IDL, ctx7, sizeof(ctx7), c, sizeof(c), &xc, ea.pk);
	/* control: re-sealed to B itself it still verifies, so the rejections
	 * above come from the recipient binding, not from re-sealing */
	E(seal_box(c, inner, ilen, xb.pk));
	E(seal_signed_open(p, &plen, DD, id_b, IDL, ctx7, sizeof(ctx7), c, sizeof(c),
			   &xb, ea.pk));
	sodium_memzero(inner, sizeof(inner));
}

static void test_signed_wrong_domain(void **state)
{
	signed_rejects("schakel/v1/entry", id_b, IDL, ctx7, sizeof(ctx7), sm, sizeof(sm),
		       &xb, ea.pk);
	signed_rejects("schakel/v1/discusS", id_b, IDL, ctx7, sizeof(ctx7), sm,
		       sizeof(sm), &xb, ea.pk);
}

static void test_signed_wrong_context(void **state)
{
	/* another sequence number */
	signed_rejects(DD, id_b, IDL, ctx8, sizeof(ctx8), sm, sizeof(sm), &xb, ea.pk);
	/* another discussion */
	uint8_t other[24];

	memcpy(other, ctx7, 24);
	other[0] ^= 1;
	signed_rejects(DD, id_b, IDL, other, sizeof(other), sm, sizeof(sm), &xb, ea.pk);
	/* no context */
	signed_rejects(DD, id_b, IDL, NULL, 0, sm, sizeof(sm), &xb, ea.pk);
}

static void test_signed_limits(void **state)
{
	size_t n = SEAL_PAYLOAD_MAX, plen;
	uint8_t *m = calloc(1, n + 1), *c = malloc(SEAL_SIGNED_BYTES(n + 1));
	uint8_t *p = malloc(n + 1);

	assert_non_null(m);
	assert_non_null(c);
	assert_non_null(p);
	E(seal_signed(c, DD, id_b, IDL, ctx7, 24, m, n, xb.pk, ea.sk));
	E(seal_signed_open(p, &plen, DD, id_b, IDL, ctx7, 24, c, SEAL_SIGNED_BYTES(n),
			   &xb, ea.pk));
	assert_int_equal(plen, n);
	EFAIL(seal_signed(c, DD, id_b, IDL, ctx7, 24, m, n + 1, xb.pk, ea.sk),
	      SK_ERR_TOOBIG);
	EFAIL(seal_signed_open(p, &plen, DD, id_b, IDL, ctx7, 24, c,
			       SEAL_SIGNED_BYTES(n + 1), &xb, ea.pk), SK_ERR_TOOBIG);
	free(m);
	free(c);
	free(p);
}

static void test_signed_misuse(void **state)
{
	uint8_t c[sizeof(sm)], p[PL], zero[32] = {0};
	size_t plen;

	EFAIL(seal_signed(c, DD, id_b, 0, ctx7, 24, pay, PL, xb.pk, ea.sk), SK_ERR_INVALID);
	EFAIL(seal_signed(c, DD, NULL, 5, ctx7, 24, pay, PL, xb.pk, ea.sk), SK_ERR_INVALID);
	EFAIL(seal_signed(c, NULL, id_b, IDL, ctx7, 24, pay, PL, xb.pk, ea.sk),
	      SK_ERR_INVALID);
	EFAIL(seal_signed(c, "", id_b, IDL, ctx7, 24, pay, PL, xb.pk, ea.sk), SK_ERR_INVALID);
	EFAIL(seal_signed(c, DD, id_b, IDL, NULL, 24, pay, PL, xb.pk, ea.sk), SK_ERR_INVALID);
	EFAIL(seal_signed(c, DD, id_b, IDL, ctx7, 24, NULL, PL, xb.pk, ea.sk),
	      SK_ERR_INVALID);
	EFAIL(seal_signed(c, DD, id_b, IDL, ctx7, 24, pay, PL, zero, ea.sk), SK_ERR_INVALID);
	EFAIL(seal_signed_open(p, &plen, DD, id_b, 0, ctx7, 24, sm, sizeof(sm), &xb, ea.pk),
	      SK_ERR_INVALID);
	EFAIL(seal_signed_open(p, &plen, NULL, id_b, IDL, ctx7, 24, sm, sizeof(sm), &xb,
			       ea.pk), SK_ERR_INVALID);
	EFAIL(seal_signed_open(p, &plen, DD, id_b, IDL, NULL, 24, sm, sizeof(sm), &xb,
			       ea.pk), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aead_draft_vector),
		cmocka_unit_test(test_aead_vectors),
		cmocka_unit_test(test_aead_format),
		cmocka_unit_test(test_aead_roundtrip),
		cmocka_unit_test(test_aead_empty),
		cmocka_unit_test(test_aead_wrong_key),
		cmocka_unit_test(test_aead_wrong_domain),
		cmocka_unit_test(test_aead_wrong_ad),
		cmocka_unit_test(test_aead_tampered),
		cmocka_unit_test(test_aead_truncated),
		cmocka_unit_test(test_aead_limits),
		cmocka_unit_test(test_box_roundtrip),
		cmocka_unit_test(test_box_wrong_key),
		cmocka_unit_test(test_box_tampered),
		cmocka_unit_test(test_box_truncated),
		cmocka_unit_test(test_box_limits),
		cmocka_unit_test(test_signed_roundtrip),
		cmocka_unit_test(test_signed_structure),
		cmocka_unit_test(test_signed_empty),
		cmocka_unit_test(test_signed_forged),
		cmocka_unit_test(test_signed_wrong_sender),
		cmocka_unit_test(test_signed_tampered),
		cmocka_unit_test(test_signed_truncated),
		cmocka_unit_test(test_signed_wrong_recipient_key),
		cmocka_unit_test(test_signed_wrong_recipient_id),
		cmocka_unit_test(test_signed_resealed),
		cmocka_unit_test(test_signed_wrong_domain),
		cmocka_unit_test(test_signed_wrong_context),
		cmocka_unit_test(test_signed_limits),
		cmocka_unit_test(test_signed_misuse),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
