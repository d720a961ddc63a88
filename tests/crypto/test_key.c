#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/key.h"
#include "protos/domains.h"
#include "test_util.h"

static const uint8_t seed1[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t seed2[32] = {0xee};

static json_t *load(const char *name)
{
	char path[512];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/key/%s", SK_VECTORS_DIR, name);
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

/* RFC 8032 7.1: the seed gives the RFC's public key, and libsodium's plain
 * Ed25519 with that key pair gives the RFC's signature byte for byte. */
static void test_rfc8032(void **state)
{
	json_t *j = load("rfc8032-ed25519.json");
	json_t *vecs = json_object_get(j, "vectors"), *v;
	size_t i, n = 0;

	json_array_foreach(vecs, i, v) {
		uint8_t seed[32], pk[32], msg[64], sig[64], got[64];
		size_t mlen;
		key_ed25519 k;

		assert_int_equal(jhex(v, "secret_key", seed, sizeof(seed)), 32);
		assert_int_equal(jhex(v, "public_key", pk, sizeof(pk)), 32);
		assert_int_equal(jhex(v, "signature", sig, sizeof(sig)), 64);
		mlen = jhex(v, "message", msg, sizeof(msg));
		key_ed25519_from_seed(&k, seed);
		assert_memory_equal(k.pk, pk, 32);
		assert_int_equal(crypto_sign_detached(got, NULL, msg, mlen, k.sk), 0);
		assert_memory_equal(got, sig, 64);
		assert_int_equal(crypto_sign_verify_detached(sig, msg, mlen, pk), 0);
		key_ed25519_wipe(&k);
		n++;
	}
	assert_int_equal(n, 3);
	json_decref(j);
}

/* Signatures over schakel's framing made by another implementation. */
static void test_framing_vectors(void **state)
{
	json_t *j = load("schakel-framing.json");
	json_t *vecs = json_object_get(j, "framed"), *v;
	uint8_t seed[32], pk[32];
	key_ed25519 k;
	size_t i, n = 0;

	assert_int_equal(jhex(j, "seed", seed, sizeof(seed)), 32);
	assert_int_equal(jhex(j, "pk", pk, sizeof(pk)), 32);
	key_ed25519_from_seed(&k, seed);
	assert_memory_equal(k.pk, pk, 32);
	json_array_foreach(vecs, i, v) {
		const char *kind = json_string_value(json_object_get(v, "kind"));
		const char *domain = json_string_value(json_object_get(v, "domain"));
		uint8_t want[64], got[64], msg[64], pbuf[4][64];
		key_part parts[4];
		size_t mlen, np = 0, pi;
		json_t *pv;

		assert_int_equal(jhex(v, "sig", want, sizeof(want)), 64);
		if (strcmp(kind, "sign") == 0) {
			mlen = jhex(v, "msg", msg, sizeof(msg));
			E(key_sign(got, domain, msg, mlen, k.sk));
			assert_memory_equal(got, want, 64);
			E(key_verify(want, domain, msg, mlen, k.pk));
		} else if (strcmp(kind, "sign_parts") == 0) {
			json_array_foreach(json_object_get(v, "parts"), pi, pv) {
				assert_true(np < 4);
				parts[np].len = t_hex(pbuf[np], sizeof(pbuf[np]),
						      json_string_value(pv));
				parts[np].p = pbuf[np];
				np++;
			}
			E(key_sign_parts(got, domain, parts, np, k.sk));
			assert_memory_equal(got, want, 64);
			E(key_verify_parts(want, domain, parts, np, k.pk));
		} else if (strcmp(kind, "certify") == 0) {
			uint8_t enc_pk[32];
			uint64_t na = (uint64_t)json_integer_value(json_object_get(v, "not_after"));

			assert_int_equal(jhex(v, "enc_pk", enc_pk, sizeof(enc_pk)), 32);
			E(key_x25519_certify(got, WIRE_DOMAIN_ENC_KEY, enc_pk, na, k.sk));
			assert_memory_equal(got, want, 64);
			E(key_x25519_cert_verify(want, WIRE_DOMAIN_ENC_KEY, enc_pk, na, na, k.pk));
		} else {
			fail_msg("unknown vector kind %s", kind);
		}
		n++;
	}
	assert_int_equal(n, 4);
	key_ed25519_wipe(&k);
	json_decref(j);
}

/* key_sign is exactly Ed25519 over u16be(len) || domain || msg. */
static void test_framing_manual(void **state)
{
	static const char domain[] = "schakel/v1/entry";
	uint8_t buf[2 + sizeof(domain) - 1 + 3], sig[64], want[64];
	key_ed25519 k;

	key_ed25519_generate(&k);
	buf[0] = 0;
	buf[1] = sizeof(domain) - 1;
	memcpy(buf + 2, domain, sizeof(domain) - 1);
	memcpy(buf + 2 + sizeof(domain) - 1, "abc", 3);
	assert_int_equal(crypto_sign_detached(want, NULL, buf, sizeof(buf), k.sk), 0);
	E(key_sign(sig, domain, (const uint8_t *)"abc", 3, k.sk));
	assert_memory_equal(sig, want, 64);
	key_ed25519_wipe(&k);
}

static void test_domain_frame(void **state)
{
	uint8_t out[KEY_DOMAIN_FRAME_MAX];
	char longest[KEY_DOMAIN_MAX + 2];

	assert_int_equal(key_domain_frame(out, "ab"), 4);
	assert_memory_equal(out, "\x00\x02" "ab", 4);
	assert_int_equal(key_domain_frame(out, NULL), 0);
	assert_int_equal(key_domain_frame(out, ""), 0);
	memset(longest, 'd', sizeof(longest));
	longest[KEY_DOMAIN_MAX] = '\0';
	assert_int_equal(key_domain_frame(out, longest), KEY_DOMAIN_FRAME_MAX);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], KEY_DOMAIN_MAX);
	longest[KEY_DOMAIN_MAX] = 'd';
	longest[KEY_DOMAIN_MAX + 1] = '\0';
	assert_int_equal(key_domain_frame(out, longest), 0);
}

static void test_keys(void **state)
{
	key_ed25519 a, b;
	key_x25519 x, y;
	uint8_t pk[32], zero[sizeof(key_ed25519)] = {0};

	key_ed25519_from_seed(&a, seed1);
	key_ed25519_from_seed(&b, seed1);
	assert_memory_equal(&a, &b, sizeof(a));
	key_ed25519_from_seed(&b, seed2);
	assert_memory_not_equal(a.pk, b.pk, 32);
	key_ed25519_generate(&b);
	assert_memory_not_equal(a.pk, b.pk, 32);

	key_x25519_from_seed(&x, seed1);
	key_x25519_from_seed(&y, seed1);
	assert_memory_equal(&x, &y, sizeof(x));
	assert_int_equal(crypto_scalarmult_base(pk, x.sk), 0);
	assert_memory_equal(pk, x.pk, 32);
	key_x25519_generate(&y);
	assert_memory_not_equal(x.pk, y.pk, 32);
	assert_int_equal(crypto_scalarmult_base(pk, y.sk), 0);
	assert_memory_equal(pk, y.pk, 32);

	key_ed25519_wipe(&a);
	assert_memory_equal(&a, zero, sizeof(a));
	key_x25519_wipe(&x);
	assert_memory_equal(&x, zero, sizeof(x));
	key_ed25519_wipe(NULL);
	key_x25519_wipe(NULL);
	key_ed25519_wipe(&b);
	key_x25519_wipe(&y);
}

/* Shared fixture: A signs "hello" under D. */
#define D "schakel/v1/test"
static key_ed25519 ka, kb;
static uint8_t sig_a[64];
static const uint8_t hello[] = "hello";

static int setup(void **state)
{
	key_ed25519_from_seed(&ka, seed1);
	key_ed25519_from_seed(&kb, seed2);
	return key_sign(sig_a, D, hello, 5, ka.sk) == SK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	key_ed25519_wipe(&ka);
	key_ed25519_wipe(&kb);
	return 0;
}

static void test_sign_verify(void **state)
{
	E(key_verify(sig_a, D, hello, 5, ka.pk));
}

static void test_empty_message(void **state)
{
	uint8_t sig[64];

	E(key_sign(sig, D, NULL, 0, ka.sk));
	E(key_verify(sig, D, NULL, 0, ka.pk));
	E(key_verify(sig, D, hello, 0, ka.pk));
	EFAIL(key_verify(sig, D, hello, 1, ka.pk), SK_ERR_VERIFY);
}

static void test_wrong_key(void **state)
{
	EFAIL(key_verify(sig_a, D, hello, 5, kb.pk), SK_ERR_VERIFY);
}

static void test_forged(void **state)
{
	uint8_t sig[64];

	/* signed by B, presented as A's */
	E(key_sign(sig, D, hello, 5, kb.sk));
	EFAIL(key_verify(sig, D, hello, 5, ka.pk), SK_ERR_VERIFY);
}

static void test_tampered_sig(void **state)
{
	uint8_t sig[64];

	for (size_t i = 0; i < sizeof(sig); i++) {
		memcpy(sig, sig_a, 64);
		sig[i] ^= 0x01;
		EFAIL(key_verify(sig, D, hello, 5, ka.pk), SK_ERR_VERIFY);
	}
}

static void test_tampered_msg(void **state)
{
	uint8_t msg[5];

	for (size_t i = 0; i < sizeof(msg); i++) {
		memcpy(msg, hello, 5);
		msg[i] ^= 0x80;
		EFAIL(key_verify(sig_a, D, msg, 5, ka.pk), SK_ERR_VERIFY);
	}
}

static void test_truncated_msg(void **state)
{
	for (size_t n = 0; n < 5; n++)
		EFAIL(key_verify(sig_a, D, hello, n, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify(sig_a, D, hello, 6, ka.pk), SK_ERR_VERIFY);
}

static void test_wrong_domain(void **state)
{
	EFAIL(key_verify(sig_a, "schakel/v1/tesT", hello, 5, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify(sig_a, "schakel/v1/entry", hello, 5, ka.pk), SK_ERR_VERIFY);
}

/* Moving bytes between domain and message changes the framed message. */
static void test_domain_boundary(void **state)
{
	uint8_t sig[64];

	E(key_sign(sig, "schakel/v1/entry", (const uint8_t *)"abc", 3, ka.sk));
	EFAIL(key_verify(sig, "schakel/v1/entr", (const uint8_t *)"yabc", 4, ka.pk),
	      SK_ERR_VERIFY);
	EFAIL(key_verify(sig, "schakel/v1/entrya", (const uint8_t *)"bc", 2, ka.pk),
	      SK_ERR_VERIFY);
}

static void test_small_order_pk(void **state)
{
	uint8_t zero[32] = {0};

	EFAIL(key_verify(sig_a, D, hello, 5, zero), SK_ERR_VERIFY);
}

static void test_bad_domain(void **state)
{
	uint8_t sig[64], zero[64] = {0};
	char longd[KEY_DOMAIN_MAX + 2];

	memset(longd, 'x', sizeof(longd) - 1);
	longd[sizeof(longd) - 1] = '\0';
	memset(sig, 0xaa, sizeof(sig));
	EFAIL(key_sign(sig, NULL, hello, 5, ka.sk), SK_ERR_INVALID);
	assert_memory_equal(sig, zero, 64); /* zeroed on error */
	EFAIL(key_sign(sig, "", hello, 5, ka.sk), SK_ERR_INVALID);
	EFAIL(key_sign(sig, longd, hello, 5, ka.sk), SK_ERR_INVALID);
	EFAIL(key_verify(sig_a, NULL, hello, 5, ka.pk), SK_ERR_INVALID);
	EFAIL(key_verify(sig_a, "", hello, 5, ka.pk), SK_ERR_INVALID);
	EFAIL(key_verify(sig_a, longd, hello, 5, ka.pk), SK_ERR_INVALID);
	EFAIL(key_sign(sig, D, NULL, 1, ka.sk), SK_ERR_INVALID);
	longd[KEY_DOMAIN_MAX] = '\0'; /* the longest allowed */
	E(key_sign(sig, longd, hello, 5, ka.sk));
	E(key_verify(sig, longd, hello, 5, ka.pk));
}

static void test_size_cap(void **state)
{
	size_t dl = strlen(D), max = KEY_SIGN_MAX - 2 - dl;
	uint8_t sig[64], *big = calloc(1, max + 1);

	assert_non_null(big);
	E(key_sign(sig, D, big, max, ka.sk));
	E(key_verify(sig, D, big, max, ka.pk));
	EFAIL(key_sign(sig, D, big, max + 1, ka.sk), SK_ERR_TOOBIG);
	EFAIL(key_verify(sig, D, big, max + 1, ka.pk), SK_ERR_VERIFY);
	/* the cap is checked before the message is read */
	EFAIL(key_sign(sig, D, big, SIZE_MAX, ka.sk), SK_ERR_TOOBIG);
	free(big);
}

/* Length prefixes keep part boundaries: no two part lists collide. */
static void test_parts_boundaries(void **state)
{
	const key_part ab_c[] = {{(const uint8_t *)"ab", 2}, {(const uint8_t *)"c", 1}};
	const key_part a_bc[] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"bc", 2}};
	const key_part abc[] = {{(const uint8_t *)"abc", 3}};
	const key_part abc_empty[] = {{(const uint8_t *)"abc", 3}, {NULL, 0}};
	uint8_t sig[64];

	E(key_sign_parts(sig, D, ab_c, 2, ka.sk));
	E(key_verify_parts(sig, D, ab_c, 2, ka.pk));
	EFAIL(key_verify_parts(sig, D, a_bc, 2, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify_parts(sig, D, abc, 1, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify_parts(sig, D, ab_c, 1, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify(sig, D, (const uint8_t *)"abc", 3, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify_parts(sig, "schakel/v1/other", ab_c, 2, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify_parts(sig, D, ab_c, 2, kb.pk), SK_ERR_VERIFY);

	E(key_sign_parts(sig, D, abc, 1, ka.sk));
	EFAIL(key_verify_parts(sig, D, abc_empty, 2, ka.pk), SK_ERR_VERIFY);
	EFAIL(key_verify(sig, D, (const uint8_t *)"abc", 3, ka.pk), SK_ERR_VERIFY);
}

/* key_sign_parts is key_sign over the length-prefixed parts (documented). */
static void test_parts_encoding(void **state)
{
	const key_part p[] = {{(const uint8_t *)"ab", 2}, {NULL, 0}, {(const uint8_t *)"c", 1}};
	static const uint8_t enc[] = {0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 1, 'c'};
	uint8_t s1[64], s2[64];

	E(key_sign_parts(s1, D, p, 3, ka.sk));
	E(key_sign(s2, D, enc, sizeof(enc), ka.sk));
	assert_memory_equal(s1, s2, 64);
	E(key_sign_parts(s1, D, NULL, 0, ka.sk));
	E(key_verify(s1, D, NULL, 0, ka.pk));
	EFAIL(key_sign_parts(s1, D, NULL, 1, ka.sk), SK_ERR_INVALID);
	EFAIL(key_sign_parts(s1, D, (const key_part[]){{NULL, 3}}, 1, ka.sk),
	      SK_ERR_INVALID);
}

static void test_cert(void **state)
{
	key_x25519 x, y;
	uint8_t sig[64], msg[40];
	const uint64_t na = 1767225599;

	key_x25519_from_seed(&x, seed1);
	key_x25519_from_seed(&y, seed2);
	E(key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, ka.sk));
	E(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, 0, ka.pk));
	E(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, na, ka.pk));
	/* expired */
	EFAIL(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, na + 1, ka.pk), SK_ERR_VERIFY);
	/* another encryption key */
	EFAIL(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, y.pk, na, 0, ka.pk), SK_ERR_VERIFY);
	/* a stretched expiry */
	EFAIL(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na + 1, 0, ka.pk), SK_ERR_VERIFY);
	/* another identity */
	EFAIL(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, 0, kb.pk), SK_ERR_VERIFY);
	/* made by another identity */
	E(key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, kb.sk));
	EFAIL(key_x25519_cert_verify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, 0, ka.pk), SK_ERR_VERIFY);
	/* the certificate is key_sign under WIRE_DOMAIN_ENC_KEY and no other */
	E(key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, x.pk, na, ka.sk));
	memcpy(msg, x.pk, 32);
	for (int i = 0; i < 8; i++)
		msg[32 + i] = (uint8_t)(na >> (56 - 8 * i));
	E(key_verify(sig, WIRE_DOMAIN_ENC_KEY, msg, sizeof(msg), ka.pk));
	EFAIL(key_verify(sig, D, msg, sizeof(msg), ka.pk), SK_ERR_VERIFY);
	key_x25519_wipe(&x);
	key_x25519_wipe(&y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032),
		cmocka_unit_test(test_framing_vectors),
		cmocka_unit_test(test_framing_manual),
		cmocka_unit_test(test_domain_frame),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_tampered_sig),
		cmocka_unit_test(test_tampered_msg),
		cmocka_unit_test(test_truncated_msg),
		cmocka_unit_test(test_wrong_domain),
		cmocka_unit_test(test_domain_boundary),
		cmocka_unit_test(test_small_order_pk),
		cmocka_unit_test(test_bad_domain),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_parts_boundaries),
		cmocka_unit_test(test_parts_encoding),
		cmocka_unit_test(test_cert),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
