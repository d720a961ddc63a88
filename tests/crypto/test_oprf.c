#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/bsn.h"
#include "crypto/oprf.h"
#include "test_util.h"

#define EB OPRF_ELEMENT_BYTES
#define SB OPRF_SCALAR_BYTES
#define MAX_VEC_BATCH 8
#define MAX_VEC_INPUT 64

/* L, the group order, little-endian: the smallest non-canonical scalar. */
static const char *const order_hex =
	"edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/* ---- helpers ------------------------------------------------------------- */

static json_t *load_json(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	if (j == NULL)
		fail_msg("%s: %s (line %d)", path, err.text, err.line);
	return j;
}

static const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		fail_msg("vector field %s missing", key);
	return s;
}

/* Decodes a comma-separated list of hex strings into out[i * each], at most
 * max entries, each at most each bytes; lens[i] gets each length. */
static size_t hex_list(uint8_t *out, size_t each, size_t *lens, size_t max, const char *s)
{
	size_t count = 0;

	for (;;) {
		const char *end = strchr(s, ',');
		size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
		char tmp[2 * MAX_VEC_INPUT + 1];

		if (count == max || n > 2 * each || n >= sizeof(tmp))
			fail_msg("hex list too long: %s", s);
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		lens[count] = t_hex(out + count * each, each, tmp);
		count++;
		if (end == NULL)
			return count;
		s = end + 1;
	}
}

/* As hex_list, but every entry must be exactly each bytes. */
static size_t hex_fixed(uint8_t *out, size_t each, size_t max, const char *s)
{
	size_t lens[MAX_VEC_BATCH], n = hex_list(out, each, lens, max, s);

	for (size_t i = 0; i < n; i++)
		assert_int_equal(lens[i], each);
	return n;
}

static void to_hex(char *out, size_t cap, const uint8_t *b, size_t n)
{
	assert_true(cap >= 2 * n + 1);
	sodium_bin2hex(out, cap, b, n);
}

/* A key pair and a batch of n evaluated inputs with a valid proof. */
typedef struct batch {
	size_t n;
	uint8_t sk[SB], pk[EB];
	uint8_t blind[OPRF_MAX_BATCH][SB];
	uint8_t blinded[OPRF_MAX_BATCH][EB];
	uint8_t evaluated[OPRF_MAX_BATCH][EB];
	uint8_t proof[OPRF_PROOF_BYTES];
} batch;

static void input_of(uint8_t in[8], size_t i, uint8_t tag)
{
	memcpy(in, "input", 5);
	in[5] = tag;
	in[6] = (uint8_t)(i >> 8);
	in[7] = (uint8_t)i;
}

static batch *batch_make(size_t n, uint8_t tag)
{
	batch *b = calloc(1, sizeof(*b));
	uint8_t seed[OPRF_SEED_BYTES], in[8];

	assert_non_null(b);
	b->n = n;
	memset(seed, tag, sizeof(seed));
	E(oprf_derive_keypair(b->sk, b->pk, OPRF_MODE_VOPRF, (const uint8_t *)"k", 1, seed));
	for (size_t i = 0; i < n; i++) {
		input_of(in, i, tag);
		E(oprf_blind(b->blind[i], b->blinded[i], OPRF_MODE_VOPRF, in, sizeof(in)));
	}
	E(oprf_blind_evaluate(b->evaluated[0], b->blinded[0], n, b->sk));
	E(oprf_proof_generate(b->proof, b->blinded[0], b->evaluated[0], n, b->sk));
	E(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], n, b->pk));
	return b;
}

/* Encodings that are not ristretto255 points: a selection of RFC 9496
 * Appendix A.2 (one or two of each class), plus the high bit set. */
static const char *const bad_points[] = {
	/* non-canonical field encodings */
	"00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	/* negative field elements */
	"0100000000000000000000000000000000000000000000000000000000000000",
	"01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	/* non-square x^2 */
	"26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
	"4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
	/* negative xy value */
	"3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
	"a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
	/* s = -1, which causes y = 0 */
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	/* bit 255 set: zero, and the generator */
	"0000000000000000000000000000000000000000000000000000000000000080",
	"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2df6",
};

/* ---- RFC 9380 expand_message_xmd ------------------------------------------ */

static void test_xmd_vectors(void **state)
{
	json_t *j = load_json(SK_VECTORS_DIR "/rfc9380/expand_message_xmd_SHA512_38.json");
	const char *dst = jstr(j, "DST");
	json_t *tests = json_object_get(j, "tests"), *t;
	size_t i, passed = 0;

	assert_string_equal(dst, "QUUX-V01-CS02-with-expander-SHA512-256");
	assert_string_equal(jstr(j, "hash"), "SHA512");
	json_array_foreach(tests, i, t) {
		const char *msg = jstr(t, "msg");
		unsigned long len = strtoul(jstr(t, "len_in_bytes"), NULL, 16);
		uint8_t want[256], got[256];

		assert_true(len > 0 && len <= sizeof(want));
		assert_int_equal(t_hex(want, sizeof(want), jstr(t, "uniform_bytes")), len);
		E(oprf_expand_message_xmd(got, len, (const uint8_t *)msg, strlen(msg),
					  (const uint8_t *)dst, strlen(dst)));
		assert_memory_equal(got, want, len);
		passed++;
	}
	assert_int_equal(passed, 10);
	print_message("expand_message_xmd(SHA-512): %zu RFC 9380 K.3 vectors passed\n", passed);
	json_decref(j);
}

static void test_xmd_limits(void **state)
{
	static uint8_t out[OPRF_XMD_MAX_BYTES + 1];
	uint8_t dst[OPRF_XMD_MAX_DST_BYTES + 1], a[100], b[100];

	memset(dst, 'D', sizeof(dst));
	E(oprf_expand_message_xmd(out, OPRF_XMD_MAX_BYTES, NULL, 0, dst, 1));
	EFAIL(oprf_expand_message_xmd(out, OPRF_XMD_MAX_BYTES + 1, NULL, 0, dst, 1), SK_ERR_INVALID);
	EFAIL(oprf_expand_message_xmd(out, 0, NULL, 0, dst, 1), SK_ERR_INVALID);
	E(oprf_expand_message_xmd(out, 64, NULL, 0, dst, OPRF_XMD_MAX_DST_BYTES));
	EFAIL(oprf_expand_message_xmd(out, 64, NULL, 0, dst, OPRF_XMD_MAX_DST_BYTES + 1),
	      SK_ERR_INVALID);
	EFAIL(oprf_expand_message_xmd(out, 64, NULL, 0, dst, 0), SK_ERR_INVALID);
	EFAIL(oprf_expand_message_xmd(out, 64, NULL, 0, NULL, 5), SK_ERR_INVALID);
	EFAIL(oprf_expand_message_xmd(out, 64, NULL, 3, dst, 5), SK_ERR_INVALID);
	/* the length is bound into the output: a prefix of a longer output
	 * differs from the shorter output */
	E(oprf_expand_message_xmd(a, 100, (const uint8_t *)"m", 1, dst, 5));
	E(oprf_expand_message_xmd(b, 64, (const uint8_t *)"m", 1, dst, 5));
	assert_memory_not_equal(a, b, 64);
}

/* ---- RFC 9497 vectors ----------------------------------------------------- */

static size_t run_vector(const json_t *v, oprf_mode mode, const uint8_t sk[SB],
			 const uint8_t pk[EB])
{
	uint8_t in[MAX_VEC_BATCH * MAX_VEC_INPUT], blind[MAX_VEC_BATCH * SB];
	uint8_t blinded[MAX_VEC_BATCH * EB], eval[MAX_VEC_BATCH * EB];
	uint8_t want_b[MAX_VEC_BATCH * EB], want_e[MAX_VEC_BATCH * EB];
	uint8_t want_out[MAX_VEC_BATCH * OPRF_OUTPUT_BYTES], out[OPRF_OUTPUT_BYTES];
	uint8_t r[SB], want_proof[OPRF_PROOF_BYTES], proof[OPRF_PROOF_BYTES];
	size_t in_len[MAX_VEC_BATCH];
	size_t n = (size_t)json_integer_value(json_object_get(v, "Batch"));

	assert_true(n >= 1 && n <= MAX_VEC_BATCH);
	assert_int_equal(hex_list(in, MAX_VEC_INPUT, in_len, MAX_VEC_BATCH, jstr(v, "Input")), n);
	assert_int_equal(hex_fixed(blind, SB, MAX_VEC_BATCH, jstr(v, "Blind")), n);
	assert_int_equal(hex_fixed(want_b, EB, MAX_VEC_BATCH, jstr(v, "BlindedElement")), n);
	assert_int_equal(hex_fixed(want_e, EB, MAX_VEC_BATCH, jstr(v, "EvaluationElement")), n);
	assert_int_equal(hex_fixed(want_out, OPRF_OUTPUT_BYTES, MAX_VEC_BATCH, jstr(v, "Output")),
			 n);

	for (size_t i = 0; i < n; i++) {
		E(oprf_blind_with(blinded + i * EB, mode, in + i * MAX_VEC_INPUT, in_len[i],
				  blind + i * SB));
		assert_memory_equal(blinded + i * EB, want_b + i * EB, EB);
	}
	E(oprf_blind_evaluate(eval, blinded, n, sk));
	assert_memory_equal(eval, want_e, n * EB);

	if (mode == OPRF_MODE_VOPRF) {
		const json_t *p = json_object_get(v, "Proof");

		assert_non_null(p);
		assert_int_equal(t_hex(r, sizeof(r), jstr(p, "r")), SB);
		assert_int_equal(t_hex(want_proof, sizeof(want_proof), jstr(p, "proof")),
				 OPRF_PROOF_BYTES);
		E(oprf_proof_generate_with(proof, blinded, eval, n, r, sk));
		assert_memory_equal(proof, want_proof, OPRF_PROOF_BYTES);
		E(oprf_proof_verify(want_proof, want_b, want_e, n, pk));
		/* a random r gives another proof that verifies as well */
		E(oprf_proof_generate(proof, blinded, eval, n, sk));
		assert_memory_not_equal(proof, want_proof, OPRF_PROOF_BYTES);
		E(oprf_proof_verify(proof, blinded, eval, n, pk));
	} else {
		assert_null(json_object_get(v, "Proof"));
	}

	for (size_t i = 0; i < n; i++) {
		E(oprf_finalize(out, in + i * MAX_VEC_INPUT, in_len[i], want_e + i * EB,
				blind + i * SB));
		assert_memory_equal(out, want_out + i * OPRF_OUTPUT_BYTES, OPRF_OUTPUT_BYTES);
		E(oprf_evaluate(out, mode, in + i * MAX_VEC_INPUT, in_len[i], sk));
		assert_memory_equal(out, want_out + i * OPRF_OUTPUT_BYTES, OPRF_OUTPUT_BYTES);
	}
	return n;
}

static void test_rfc9497_vectors(void **state)
{
	json_t *j = load_json(SK_VECTORS_DIR "/rfc9497/ristretto255-sha512.json");
	json_t *suite, *v;
	size_t si, vi, passed[2] = {0, 0}, batched = 0, elements = 0, skipped = 0;

	json_array_foreach(j, si, suite) {
		json_int_t mode = json_integer_value(json_object_get(suite, "mode"));
		uint8_t seed[OPRF_SEED_BYTES], info[64], want_sk[SB], want_pk[EB], sk[SB], pk[EB];
		uint8_t dst[64];
		size_t info_len;

		assert_string_equal(jstr(suite, "identifier"), "ristretto255-SHA512");
		if (mode == 2) { /* POPRF: outside schakel, skipped and counted */
			skipped += json_array_size(json_object_get(suite, "vectors"));
			continue;
		}
		assert_true(mode == OPRF_MODE_OPRF || mode == OPRF_MODE_VOPRF);
		/* groupDST is "HashToGroup-" || contextString */
		assert_int_equal(t_hex(dst, sizeof(dst), jstr(suite, "groupDST")), 40);
		assert_memory_equal(dst, "HashToGroup-OPRFV1-", 19);
		assert_int_equal(dst[19], mode);
		assert_memory_equal(dst + 20, "-ristretto255-SHA512", 20);

		assert_int_equal(t_hex(seed, sizeof(seed), jstr(suite, "seed")), sizeof(seed));
		info_len = t_hex(info, sizeof(info), jstr(suite, "keyInfo"));
		assert_int_equal(t_hex(want_sk, sizeof(want_sk), jstr(suite, "skSm")), SB);
		E(oprf_derive_keypair(sk, pk, (oprf_mode)mode, info, info_len, seed));
		assert_memory_equal(sk, want_sk, SB);
		if (mode == OPRF_MODE_VOPRF) {
			assert_int_equal(t_hex(want_pk, sizeof(want_pk), jstr(suite, "pkSm")), EB);
			assert_memory_equal(pk, want_pk, EB);
		}
		json_array_foreach(json_object_get(suite, "vectors"), vi, v) {
			size_t n = run_vector(v, (oprf_mode)mode, sk, pk);

			passed[mode]++;
			elements += n;
			batched += n > 1;
		}
	}
	/* RFC 9497 A.1.1 and A.1.2: 2 OPRF and 3 VOPRF vectors, one of them batched */
	assert_int_equal(passed[0], 2);
	assert_int_equal(passed[1], 3);
	assert_int_equal(batched, 1);
	assert_int_equal(skipped, 3);
	print_message("RFC 9497 ristretto255-SHA512: %zu OPRF + %zu VOPRF vectors passed "
		      "(%zu batched, %zu elements); %zu POPRF vectors skipped\n",
		      passed[0], passed[1], batched, elements, skipped);
	json_decref(j);
}

/* ---- keys and the client ------------------------------------------------- */

static void test_keys(void **state)
{
	uint8_t seed[OPRF_SEED_BYTES], sk[SB], pk[EB], pk2[EB], sk0[SB], pk0[EB], bad[SB];
	static uint8_t big[OPRF_MAX_INPUT_BYTES + 1];

	memset(seed, 7, sizeof(seed));
	E(oprf_derive_keypair(sk, pk, OPRF_MODE_VOPRF, NULL, 0, seed));
	E(oprf_public_key(pk2, sk));
	assert_memory_equal(pk, pk2, EB);
	/* the mode is part of the derivation */
	E(oprf_derive_keypair(sk0, pk0, OPRF_MODE_OPRF, NULL, 0, seed));
	assert_memory_not_equal(sk, sk0, SB);
	/* so is the info */
	E(oprf_derive_keypair(sk0, pk0, OPRF_MODE_VOPRF, (const uint8_t *)"x", 1, seed));
	assert_memory_not_equal(sk, sk0, SB);
	E(oprf_derive_keypair(sk0, pk0, OPRF_MODE_VOPRF, big, OPRF_MAX_INPUT_BYTES, seed));

	EFAIL(oprf_derive_keypair(sk0, pk0, (oprf_mode)2, NULL, 0, seed), SK_ERR_INVALID);
	EFAIL(oprf_derive_keypair(sk0, pk0, OPRF_MODE_VOPRF, big, sizeof(big), seed),
	      SK_ERR_TOOBIG);
	EFAIL(oprf_derive_keypair(sk0, pk0, OPRF_MODE_VOPRF, NULL, 1, seed), SK_ERR_INVALID);
	assert_true(sodium_is_zero(sk0, SB));

	oprf_keypair_generate(sk0, pk0);
	E(oprf_public_key(pk2, sk0));
	assert_memory_equal(pk0, pk2, EB);
	E(oprf_scalar_check(sk0));
	E(oprf_element_check(pk0));

	memset(bad, 0, sizeof(bad));
	EFAIL(oprf_public_key(pk2, bad), SK_ERR_INVALID);
	assert_true(sodium_is_zero(pk2, EB));
	t_hex(bad, sizeof(bad), order_hex);
	EFAIL(oprf_public_key(pk2, bad), SK_ERR_INVALID);
	EFAIL(oprf_scalar_check(bad), SK_ERR_INVALID);
	bad[0]--; /* L - 1 is the largest canonical scalar */
	E(oprf_scalar_check(bad));
	E(oprf_public_key(pk2, bad));
	memset(bad, 0xff, sizeof(bad));
	EFAIL(oprf_scalar_check(bad), SK_ERR_INVALID);
}

static void test_blind_finalize(void **state)
{
	uint8_t sk[SB], pk[EB], blind[SB], blind2[SB], blinded[EB], blinded2[EB], eval[EB];
	uint8_t out[OPRF_OUTPUT_BYTES], want[OPRF_OUTPUT_BYTES], other[OPRF_OUTPUT_BYTES];
	uint8_t bad[SB];
	static uint8_t big[OPRF_MAX_INPUT_BYTES + 1];
	const uint8_t *in = (const uint8_t *)"hello";

	oprf_keypair_generate(sk, pk);
	for (int mode = 0; mode <= 1; mode++) {
		E(oprf_blind(blind, blinded, (oprf_mode)mode, in, 5));
		E(oprf_blind(blind2, blinded2, (oprf_mode)mode, in, 5));
		/* fresh blinds hide the input */
		assert_memory_not_equal(blind, blind2, SB);
		assert_memory_not_equal(blinded, blinded2, EB);
		E(oprf_blind_evaluate(eval, blinded, 1, sk));
		E(oprf_finalize(out, in, 5, eval, blind));
		E(oprf_evaluate(want, (oprf_mode)mode, in, 5, sk));
		assert_memory_equal(out, want, sizeof(out));
		/* a different input, or a wrong blind, gives another output */
		E(oprf_finalize(other, (const uint8_t *)"hellO", 5, eval, blind));
		assert_memory_not_equal(other, want, sizeof(out));
		E(oprf_finalize(other, in, 5, eval, blind2));
		assert_memory_not_equal(other, want, sizeof(out));
	}
	/* the modes are domain-separated */
	E(oprf_evaluate(out, OPRF_MODE_OPRF, in, 5, sk));
	E(oprf_evaluate(want, OPRF_MODE_VOPRF, in, 5, sk));
	assert_memory_not_equal(out, want, sizeof(out));
	/* the empty input and the longest are inputs like others */
	E(oprf_blind(blind, blinded, OPRF_MODE_VOPRF, NULL, 0));
	E(oprf_blind(blind, blinded, OPRF_MODE_VOPRF, big, OPRF_MAX_INPUT_BYTES));
	E(oprf_blind_evaluate(eval, blinded, 1, sk));
	E(oprf_finalize(out, big, OPRF_MAX_INPUT_BYTES, eval, blind));
	E(oprf_evaluate(want, OPRF_MODE_VOPRF, big, OPRF_MAX_INPUT_BYTES, sk));
	assert_memory_equal(out, want, sizeof(out));

	/* refused arguments; outputs and generated blinds are wiped */
	EFAIL(oprf_blind(blind, blinded, OPRF_MODE_VOPRF, big, sizeof(big)), SK_ERR_TOOBIG);
	assert_true(sodium_is_zero(blind, SB));
	assert_true(sodium_is_zero(blinded, EB));
	EFAIL(oprf_blind(blind, blinded, (oprf_mode)2, in, 5), SK_ERR_INVALID);
	EFAIL(oprf_evaluate(out, (oprf_mode)2, in, 5, sk), SK_ERR_INVALID);
	EFAIL(oprf_evaluate(out, OPRF_MODE_VOPRF, big, sizeof(big), sk), SK_ERR_TOOBIG);
	EFAIL(oprf_finalize(out, big, sizeof(big), eval, blind2), SK_ERR_TOOBIG);
	assert_true(sodium_is_zero(out, sizeof(out)));
	memset(bad, 0, sizeof(bad));
	EFAIL(oprf_blind_with(blinded, OPRF_MODE_VOPRF, in, 5, bad), SK_ERR_INVALID);
	EFAIL(oprf_finalize(out, in, 5, eval, bad), SK_ERR_INVALID);
	EFAIL(oprf_evaluate(out, OPRF_MODE_VOPRF, in, 5, bad), SK_ERR_INVALID);
	EFAIL(oprf_blind_evaluate(blinded, blinded2, 1, bad), SK_ERR_INVALID);
	t_hex(bad, sizeof(bad), order_hex);
	EFAIL(oprf_blind_with(blinded, OPRF_MODE_VOPRF, in, 5, bad), SK_ERR_INVALID);
	EFAIL(oprf_finalize(out, in, 5, eval, bad), SK_ERR_INVALID);
	EFAIL(oprf_evaluate(out, OPRF_MODE_VOPRF, in, 5, bad), SK_ERR_INVALID);
	EFAIL(oprf_blind_evaluate(blinded, blinded2, 1, bad), SK_ERR_INVALID);
	EFAIL(oprf_proof_generate(out, blinded2, blinded2, 1, bad), SK_ERR_INVALID);
}

/* Received elements: the identity and bad encodings are refused everywhere. */
static void test_element_checks(void **state)
{
	batch *b = batch_make(2, 0x31);
	uint8_t zero[EB], bad[EB], c[2][EB], d[2][EB], out[OPRF_OUTPUT_BYTES];

	memset(zero, 0, sizeof(zero));
	/* libsodium calls the identity valid; RFC 9497 does not */
	assert_int_equal(crypto_core_ristretto255_is_valid_point(zero), 1);
	EFAIL(oprf_element_check(zero), SK_ERR_IDENTITY);
	E(oprf_element_check(b->blinded[0]));

	for (int k = -1; k < (int)(sizeof(bad_points) / sizeof(bad_points[0])); k++) {
		sk_status want = k < 0 ? SK_ERR_IDENTITY : SK_ERR_INVALID;

		if (k < 0)
			memcpy(bad, zero, EB);
		else
			t_hex(bad, sizeof(bad), bad_points[k]);
		EFAIL(oprf_element_check(bad), want);
		/* as blinded element at the server */
		memcpy(c, b->blinded, sizeof(c));
		memcpy(c[1], bad, EB);
		memset(d, 0x55, sizeof(d));
		EFAIL(oprf_blind_evaluate(d[0], c[0], 2, b->sk), want);
		assert_true(sodium_is_zero(d[0], sizeof(d)));
		EFAIL(oprf_proof_generate(out, c[0], b->evaluated[0], 2, b->sk), want);
		/* as blinded or evaluated element at the verifier */
		EFAIL(oprf_proof_verify(b->proof, c[0], b->evaluated[0], 2, b->pk), want);
		memcpy(d, b->evaluated, sizeof(d));
		memcpy(d[0], bad, EB);
		EFAIL(oprf_proof_verify(b->proof, b->blinded[0], d[0], 2, b->pk), want);
		EFAIL(oprf_proof_generate(out, b->blinded[0], d[0], 2, b->sk), want);
		/* as evaluated element at finalize */
		EFAIL(oprf_finalize(out, (const uint8_t *)"x", 1, bad, b->blind[0]), want);
		assert_true(sodium_is_zero(out, sizeof(out)));
		/* as the public key */
		EFAIL(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], 2, bad), want);
	}
	free(b);
}

/* ---- proofs ---------------------------------------------------------------- */

static void test_proof_negative(void **state)
{
	batch *b = batch_make(3, 0x41), *o = batch_make(3, 0x42);
	uint8_t p[OPRF_PROOF_BYTES], c[4][EB], d[4][EB], order[SB], tmp[SB];
	size_t n = b->n;

	/* every single bit flip of c or of s */
	for (size_t bit = 0; bit < 8 * OPRF_PROOF_BYTES; bit++) {
		sk_status st;

		memcpy(p, b->proof, sizeof(p));
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		st = oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk);
		/* a flip of a high bit may leave the scalar non-canonical */
		if (st != SK_ERR_VERIFY && st != SK_ERR_INVALID)
			fail_msg("bit %zu: %s", bit, sk_strerror(st));
		if ((bit % 256) < 248) /* the low 31 bytes stay canonical: L > 2^252 */
			assert_int_equal(st, SK_ERR_VERIFY);
	}
	/* c and s swapped; zero c; zero s */
	memcpy(p, b->proof + SB, SB);
	memcpy(p + SB, b->proof, SB);
	EFAIL(oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk), SK_ERR_VERIFY);
	memcpy(p, b->proof, sizeof(p));
	memset(p, 0, SB);
	EFAIL(oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk), SK_ERR_VERIFY);
	memcpy(p, b->proof, sizeof(p));
	memset(p + SB, 0, SB);
	EFAIL(oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk), SK_ERR_VERIFY);

	/* non-canonical scalars: c + L and s + L are equal mod L but refused */
	t_hex(order, sizeof(order), order_hex);
	for (int which = 0; which < 2; which++) {
		memcpy(p, b->proof, sizeof(p));
		memcpy(tmp, p + which * SB, SB);
		sodium_add(tmp, order, SB);
		memcpy(p + which * SB, tmp, SB);
		EFAIL(oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk),
		      SK_ERR_INVALID);
		memcpy(p + which * SB, order, SB);
		EFAIL(oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk),
		      SK_ERR_INVALID);
		memset(p + which * SB, 0xff, SB);
		EFAIL(oprf_proof_verify(p, b->blinded[0], b->evaluated[0], n, b->pk),
		      SK_ERR_INVALID);
	}

	/* wrong public key; another batch's proof; another key's evaluation */
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], n, o->pk),
	      SK_ERR_VERIFY);
	EFAIL(oprf_proof_verify(o->proof, b->blinded[0], b->evaluated[0], n, b->pk),
	      SK_ERR_VERIFY);
	EFAIL(oprf_proof_verify(o->proof, b->blinded[0], b->evaluated[0], n, o->pk),
	      SK_ERR_VERIFY);
	E(oprf_blind_evaluate(d[0], b->blinded[0], n, o->sk));
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], d[0], n, b->pk), SK_ERR_VERIFY);

	/* truncated batch: the last or the first element dropped */
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], n - 1, b->pk),
	      SK_ERR_VERIFY);
	EFAIL(oprf_proof_verify(b->proof, b->blinded[1], b->evaluated[1], n - 1, b->pk),
	      SK_ERR_VERIFY);
	/* extra element: a correctly evaluated pair appended */
	memcpy(c, b->blinded, n * EB);
	memcpy(d, b->evaluated, n * EB);
	memcpy(c[n], o->blinded[0], EB);
	E(oprf_blind_evaluate(d[n], c[n], 1, b->sk));
	EFAIL(oprf_proof_verify(b->proof, c[0], d[0], n + 1, b->pk), SK_ERR_VERIFY);
	/* reordered batch: the index is bound into the composites */
	memcpy(c[0], b->blinded[1], EB);
	memcpy(c[1], b->blinded[0], EB);
	memcpy(d[0], b->evaluated[1], EB);
	memcpy(d[1], b->evaluated[0], EB);
	EFAIL(oprf_proof_verify(b->proof, c[0], d[0], n, b->pk), SK_ERR_VERIFY);
	/* one evaluated element tampered (replaced by a valid point) */
	memcpy(d, b->evaluated, n * EB);
	crypto_core_ristretto255_random(d[2]);
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], d[0], n, b->pk), SK_ERR_VERIFY);
	/* evaluated and blinded exchanged */
	EFAIL(oprf_proof_verify(b->proof, b->evaluated[0], b->blinded[0], n, b->pk),
	      SK_ERR_VERIFY);

	/* batch size limits */
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], 0, b->pk),
	      SK_ERR_INVALID);
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], OPRF_MAX_BATCH + 1,
				b->pk),
	      SK_ERR_TOOBIG);
	EFAIL(oprf_proof_generate(p, b->blinded[0], b->evaluated[0], OPRF_MAX_BATCH + 1, b->sk),
	      SK_ERR_TOOBIG);
	EFAIL(oprf_blind_evaluate(d[0], b->blinded[0], OPRF_MAX_BATCH + 1, b->sk), SK_ERR_TOOBIG);
	EFAIL(oprf_blind_evaluate(d[0], b->blinded[0], 0, b->sk), SK_ERR_INVALID);
	EFAIL(oprf_proof_generate_with(p, b->blinded[0], b->evaluated[0], n, order, b->sk),
	      SK_ERR_INVALID);
	free(b);
	free(o);
}

/* The largest batch proves and verifies; one more element is refused. */
static void test_proof_max_batch(void **state)
{
	batch *b = batch_make(OPRF_MAX_BATCH, 0x51);

	uint8_t t[EB];

	assert_int_equal(b->n, OPRF_MAX_BATCH);
	/* batch_make verified it; the last two elements exchanged fail */
	memcpy(t, b->evaluated[OPRF_MAX_BATCH - 1], EB);
	memcpy(b->evaluated[OPRF_MAX_BATCH - 1], b->evaluated[OPRF_MAX_BATCH - 2], EB);
	memcpy(b->evaluated[OPRF_MAX_BATCH - 2], t, EB);
	EFAIL(oprf_proof_verify(b->proof, b->blinded[0], b->evaluated[0], OPRF_MAX_BATCH, b->pk),
	      SK_ERR_VERIFY);
	free(b);
}

/* ---- chains --------------------------------------------------------------- */

#define CHAIN_N 5

typedef struct chain {
	size_t hops;
	uint8_t sk[3][SB], pk[3][EB];
	uint8_t blind[CHAIN_N][SB], blinded[CHAIN_N][EB];
	uint8_t evaluated[3][CHAIN_N][EB];
	uint8_t proofs[3][OPRF_PROOF_BYTES];
} chain;

static void chain_input(uint8_t in[8], size_t i)
{
	input_of(in, i, 0x61);
}

/* Pseudonymiser j evaluates the previous hop's output with key order[j]. */
static void chain_run(chain *ch, size_t hops, const size_t *order)
{
	ch->hops = hops;
	for (size_t j = 0; j < hops; j++) {
		const uint8_t *in = j == 0 ? ch->blinded[0] : ch->evaluated[j - 1][0];

		E(oprf_blind_evaluate(ch->evaluated[j][0], in, CHAIN_N, ch->sk[order[j]]));
		E(oprf_proof_generate(ch->proofs[j], in, ch->evaluated[j][0], CHAIN_N,
				      ch->sk[order[j]]));
	}
}

static void test_chain(void **state)
{
	static const size_t straight[3] = {0, 1, 2}, swapped[3] = {1, 0, 2};
	chain *ch = calloc(1, sizeof(*ch)), *other = calloc(1, sizeof(*other));
	uint8_t seed[OPRF_SEED_BYTES], in[8], k[SB], out[OPRF_OUTPUT_BYTES];
	uint8_t want[OPRF_OUTPUT_BYTES], pks[3][EB];

	assert_non_null(ch);
	assert_non_null(other);
	for (size_t j = 0; j < 3; j++) {
		memset(seed, (int)(0x70 + j), sizeof(seed));
		E(oprf_derive_keypair(ch->sk[j], ch->pk[j], OPRF_MODE_VOPRF, NULL, 0, seed));
	}
	for (size_t i = 0; i < CHAIN_N; i++) {
		chain_input(in, i);
		E(oprf_blind(ch->blind[i], ch->blinded[i], OPRF_MODE_VOPRF, in, sizeof(in)));
	}

	/* one, two and three hops: the output is Evaluate under the product key */
	for (size_t hops = 1; hops <= 3; hops++) {
		chain_run(ch, hops, straight);
		E(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N,
				    hops, ch->pk[0]));
		memcpy(k, ch->sk[0], SB);
		for (size_t j = 1; j < hops; j++)
			crypto_core_ristretto255_scalar_mul(k, k, ch->sk[j]);
		for (size_t i = 0; i < CHAIN_N; i++) {
			chain_input(in, i);
			E(oprf_finalize(out, in, sizeof(in), ch->evaluated[hops - 1][i],
					ch->blind[i]));
			E(oprf_evaluate(want, OPRF_MODE_VOPRF, in, sizeof(in), k));
			assert_memory_equal(out, want, sizeof(out));
		}
	}

	/* two hops from here on */
	chain_run(ch, 2, straight);
	E(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N, 2,
			    ch->pk[0]));
	/* pinned keys swapped, or a third pseudonymiser's key in a slot */
	memcpy(pks[0], ch->pk[1], EB);
	memcpy(pks[1], ch->pk[0], EB);
	EFAIL(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N, 2,
				pks[0]),
	      SK_ERR_VERIFY);
	memcpy(pks[0], ch->pk[0], EB);
	memcpy(pks[1], ch->pk[2], EB);
	EFAIL(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N, 2,
				pks[0]),
	      SK_ERR_VERIFY);
	/* hop 1's proof checked against pseudonymiser 2's key */
	EFAIL(oprf_proof_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N,
				ch->pk[1]),
	      SK_ERR_VERIFY);

	/* the pseudonymisers ran in the wrong order: same final point (the keys
	 * commute) but the proofs fail against the pinned order */
	memcpy(other, ch, sizeof(*other));
	chain_run(other, 2, swapped);
	assert_memory_equal(other->evaluated[1], ch->evaluated[1], CHAIN_N * EB);
	EFAIL(oprf_chain_verify(other->proofs[0], other->blinded[0], other->evaluated[0][0],
				CHAIN_N, 2, ch->pk[0]),
	      SK_ERR_VERIFY);

	/* a tampered element at either hop */
	for (size_t j = 0; j < 2; j++) {
		memcpy(other, ch, sizeof(*other));
		crypto_core_ristretto255_random(other->evaluated[j][3]);
		EFAIL(oprf_chain_verify(other->proofs[0], other->blinded[0],
					other->evaluated[0][0], CHAIN_N, 2, ch->pk[0]),
		      SK_ERR_VERIFY);
	}
	/* the identity at hop 2 */
	memcpy(other, ch, sizeof(*other));
	memset(other->evaluated[1][0], 0, EB);
	EFAIL(oprf_chain_verify(other->proofs[0], other->blinded[0], other->evaluated[0][0],
				CHAIN_N, 2, ch->pk[0]),
	      SK_ERR_IDENTITY);

	/* a proof from another batch (fresh blinds of the same inputs) */
	memcpy(other, ch, sizeof(*other));
	for (size_t i = 0; i < CHAIN_N; i++) {
		chain_input(in, i);
		E(oprf_blind(other->blind[i], other->blinded[i], OPRF_MODE_VOPRF, in, sizeof(in)));
	}
	chain_run(other, 2, straight);
	E(oprf_chain_verify(other->proofs[0], other->blinded[0], other->evaluated[0][0],
			    CHAIN_N, 2, ch->pk[0]));
	for (size_t j = 0; j < 2; j++) {
		uint8_t proofs[2][OPRF_PROOF_BYTES];

		memcpy(proofs, ch->proofs, sizeof(proofs));
		memcpy(proofs[j], other->proofs[j], OPRF_PROOF_BYTES);
		EFAIL(oprf_chain_verify(proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N,
					2, ch->pk[0]),
		      SK_ERR_VERIFY);
	}
	/* the proofs are over the whole batch: a shorter one fails */
	EFAIL(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N - 1,
				2, ch->pk[0]),
	      SK_ERR_VERIFY);

	EFAIL(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N, 0,
				ch->pk[0]),
	      SK_ERR_INVALID);
	EFAIL(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], CHAIN_N,
				OPRF_MAX_CHAIN + 1, ch->pk[0]),
	      SK_ERR_TOOBIG);
	EFAIL(oprf_chain_verify(ch->proofs[0], ch->blinded[0], ch->evaluated[0][0], 0, 2,
				ch->pk[0]),
	      SK_ERR_INVALID);
	free(ch);
	free(other);
}

/* ---- docs/tokens.md worked example ---------------------------------------- */

/* Every value below is printed in docs/tokens.md; the test checks both. */
#define EX_SEED1 "1111111111111111111111111111111111111111111111111111111111111111"
#define EX_SEED2 "2222222222222222222222222222222222222222222222222222222222222222"
#define EX_INFO1 "schakel example pseudonymiser 1"
#define EX_INFO2 "schakel example pseudonymiser 2"
#define EX_BSN "111222333"
#define EX_BLIND "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"

static const struct {
	const char *name, *hex;
} example[] = {
	{"input", "736368616b656c2f62736e2f76313a313131323232333333"},
	{"k1", "aa74a40708366026a0438b5402b3967e011d03cebadcfe65731075c0cde8870c"},
	{"pk1", "c2af7b9e2ad1017a19237986715e7d842d3e53aebcec6735ce5f535068eec67c"},
	{"k2", "330340c8da0b6b4c621c7801b9c1fb1764e01de80ff55418f5950524e3620003"},
	{"pk2", "eac4f6badd10c93fe5fe2d1f52b3dda1ec9dd33b1d89204cf8f656e9616bae4e"},
	{"k", "df661b66725455e10ee048461ea5c2f82f983308175f1949156cf3f748df7708"},
	{"pk", "4ee87a025265011e2a93841a15aa6c65325afb9ee9d64b594e3e6fc56f3a6d76"},
	{"blinded", "14e8dd4d5fde4a7897791a6e00bb7abc3a66e9b3a4fb7c4128c9022bf9bd814b"},
	{"evaluated1", "464f30e9d4332d5ede2d55ef79f7487196cb92cd3cdcb2da473feadea1b7a43d"},
	{"evaluated2", "ce9b14bebd0242072e84b5f3e80aed0369631d7b7d1588b080ba6e4ff387af29"},
	{"output", "ceff206bef29a69d8efde54e08b9967ee4545fce570419b23ebb8f1dd2a29315"
		   "40f258bbdd16d7ca93fb84dba9f5308b8304c33c6048cdb393a4dd48da564110"},
	{"token", "ceff206bef29a69d8efde54e08b9967ee4545fce570419b23ebb8f1dd2a29315"},
	{"contact_key", "40f258bbdd16d7ca93fb84dba9f5308b8304c33c6048cdb393a4dd48da564110"},
};

static char *read_doc(void)
{
	FILE *f = fopen(SK_VECTORS_DIR "/../../docs/tokens.md", "rb");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	assert_true(n > 0 && n < (1 << 16) - 1);
	fclose(f);
	return buf;
}

static void test_tokens_example(void **state)
{
	uint8_t seed[OPRF_SEED_BYTES], blind[SB], input[BSN_INPUT_BYTES];
	uint8_t v[13][OPRF_OUTPUT_BYTES], out[OPRF_OUTPUT_BYTES], proofs[2][OPRF_PROOF_BYTES];
	uint8_t pks[2][EB], ev[2][EB];
	size_t lens[13];
	char hex[2 * OPRF_OUTPUT_BYTES + 1], needle[2 * OPRF_OUTPUT_BYTES + 4];
	char *doc = read_doc();
	int mismatch = 0;
	bsn b;

	/* input */
	E(bsn_parse(&b, EX_BSN));
	bsn_token_input(input, &b);
	memcpy(v[0], input, BSN_INPUT_BYTES);
	lens[0] = BSN_INPUT_BYTES;
	/* k1, pk1, k2, pk2 by DeriveKeyPair in mode 0x01 */
	t_hex(seed, sizeof(seed), EX_SEED1);
	E(oprf_derive_keypair(v[1], v[2], OPRF_MODE_VOPRF, (const uint8_t *)EX_INFO1,
			      strlen(EX_INFO1), seed));
	t_hex(seed, sizeof(seed), EX_SEED2);
	E(oprf_derive_keypair(v[3], v[4], OPRF_MODE_VOPRF, (const uint8_t *)EX_INFO2,
			      strlen(EX_INFO2), seed));
	/* k = k1 * k2, pk = k * G */
	crypto_core_ristretto255_scalar_mul(v[5], v[1], v[3]);
	E(oprf_public_key(v[6], v[5]));
	/* the chain with a fixed blind */
	t_hex(blind, sizeof(blind), EX_BLIND);
	E(oprf_blind_with(v[7], OPRF_MODE_VOPRF, input, sizeof(input), blind));
	E(oprf_blind_evaluate(v[8], v[7], 1, v[1]));
	E(oprf_proof_generate(proofs[0], v[7], v[8], 1, v[1]));
	E(oprf_blind_evaluate(v[9], v[8], 1, v[3]));
	E(oprf_proof_generate(proofs[1], v[8], v[9], 1, v[3]));
	memcpy(pks[0], v[2], EB);
	memcpy(pks[1], v[4], EB);
	memcpy(ev[0], v[8], EB);
	memcpy(ev[1], v[9], EB);
	E(oprf_chain_verify(proofs[0], v[7], ev[0], 1, 2, pks[0]));
	E(oprf_finalize(v[10], input, sizeof(input), v[9], blind));
	/* an RFC 9497 implementation holding k computes the same */
	E(oprf_evaluate(out, OPRF_MODE_VOPRF, input, sizeof(input), v[5]));
	assert_memory_equal(out, v[10], OPRF_OUTPUT_BYTES);
	bsn_split_output(v[11], v[12], v[10]);
	for (size_t i = 1; i < 13; i++)
		lens[i] = (i == 10) ? OPRF_OUTPUT_BYTES : 32;

	for (size_t i = 0; i < 13; i++) {
		to_hex(hex, sizeof(hex), v[i], lens[i]);
		if (strcmp(hex, example[i].hex) != 0) {
			print_error("%s = %s (test says %s)\n", example[i].name, hex,
				    example[i].hex);
			mismatch = 1;
		}
		/* each value on its own line, "name = hex" */
		snprintf(needle, sizeof(needle), "= %s\n", example[i].hex);
		if (strstr(doc, needle) == NULL) {
			print_error("docs/tokens.md lacks %s = %s\n", example[i].name,
				    example[i].hex);
			mismatch = 1;
		}
	}
	/* the example's inputs are in the document too */
	assert_non_null(strstr(doc, EX_SEED1));
	assert_non_null(strstr(doc, EX_SEED2));
	assert_non_null(strstr(doc, EX_INFO1));
	assert_non_null(strstr(doc, EX_INFO2));
	assert_non_null(strstr(doc, EX_BLIND));
	assert_non_null(strstr(doc, EX_BSN));
	free(doc);
	assert_false(mismatch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmd_vectors),
		cmocka_unit_test(test_xmd_limits),
		cmocka_unit_test(test_rfc9497_vectors),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_blind_finalize),
		cmocka_unit_test(test_element_checks),
		cmocka_unit_test(test_proof_negative),
		cmocka_unit_test(test_proof_max_batch),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_tokens_example),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
