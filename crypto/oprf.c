#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "crypto/oprf.h"

#define CTX_PREFIX "OPRFV1-"
#define CTX_SUITE "-ristretto255-SHA512"
#define CTX_BYTES (sizeof(CTX_PREFIX) - 1 + 1 + sizeof(CTX_SUITE) - 1)
#define DST_MAX 64
_Static_assert(sizeof("HashToScalar-") - 1 + CTX_BYTES <= DST_MAX, "DST_MAX too small");
#define HASH_BYTES crypto_hash_sha512_BYTES
#define XMD_BLOCK_BYTES 128 /* SHA-512 input block: Z_pad */

/* A message given in pieces, so transcripts need no copying. */
typedef struct piece {
	const uint8_t *p;
	size_t len;
} piece;

/* The ristretto255 group order L, little-endian. */
static const uint8_t group_order[OPRF_SCALAR_BYTES] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

static void i2osp2(uint8_t out[2], size_t v)
{
	sk_be16_put(out, (uint16_t)v);
}

/* Constant time: the borrow of s - L is 1 exactly when s < L. */
static int scalar_is_canonical(const uint8_t s[static OPRF_SCALAR_BYTES])
{
	unsigned borrow = 0;

	for (size_t i = 0; i < OPRF_SCALAR_BYTES; i++) {
		unsigned d = (unsigned)s[i] - group_order[i] - borrow;

		borrow = (d >> 8) & 1;
	}
	return (int)borrow;
}

/* A scalar used as a key, blind or nonce: canonical and nonzero. */
static int scalar_is_usable(const uint8_t s[static OPRF_SCALAR_BYTES])
{
	return scalar_is_canonical(s) && !sodium_is_zero(s, OPRF_SCALAR_BYTES);
}

static int mode_is_valid(oprf_mode mode)
{
	return mode == OPRF_MODE_OPRF || mode == OPRF_MODE_VOPRF;
}

static sk_status batch_check(size_t n)
{
	if (n == 0)
		return SK_ERR_INVALID;
	if (n > OPRF_MAX_BATCH)
		return SK_ERR_TOOBIG;
	return SK_OK;
}

/* label || contextString, contextString = "OPRFV1-" || I2OSP(mode, 1) ||
 * "-ristretto255-SHA512". Returns the length. */
static size_t dst_make(uint8_t out[static DST_MAX], const char *label, oprf_mode mode)
{
	size_t n = strlen(label);

	memcpy(out, label, n);
	memcpy(out + n, CTX_PREFIX, sizeof(CTX_PREFIX) - 1);
	n += sizeof(CTX_PREFIX) - 1;
	out[n++] = (uint8_t)mode;
	memcpy(out + n, CTX_SUITE, sizeof(CTX_SUITE) - 1);
	return n + sizeof(CTX_SUITE) - 1;
}

/* RFC 9380 section 5.3.1 over a message in pieces. */
static sk_status xmd(uint8_t *out, size_t out_len, const piece *msg, size_t pieces,
		     const uint8_t *dst, size_t dst_len)
{
	static const uint8_t z_pad[XMD_BLOCK_BYTES];
	crypto_hash_sha512_state h;
	uint8_t b0[HASH_BYTES], bi[HASH_BYTES], lib[2], ctr, dlen;
	size_t ell, done = 0;
	sk_status st = SK_ERR_INVALID;

	if (out_len == 0 || out_len > OPRF_XMD_MAX_BYTES || dst == NULL || dst_len == 0 ||
	    dst_len > OPRF_XMD_MAX_DST_BYTES)
		goto out;
	ell = (out_len + HASH_BYTES - 1) / HASH_BYTES;
	dlen = (uint8_t)dst_len;
	i2osp2(lib, out_len);

	/* b_0 = H(Z_pad || msg || I2OSP(len_in_bytes, 2) || I2OSP(0, 1) || DST_prime) */
	ctr = 0;
	crypto_hash_sha512_init(&h);
	crypto_hash_sha512_update(&h, z_pad, sizeof(z_pad));
	for (size_t i = 0; i < pieces; i++)
		if (msg[i].len > 0)
			crypto_hash_sha512_update(&h, msg[i].p, msg[i].len);
	crypto_hash_sha512_update(&h, lib, sizeof(lib));
	crypto_hash_sha512_update(&h, &ctr, 1);
	crypto_hash_sha512_update(&h, dst, dst_len);
	crypto_hash_sha512_update(&h, &dlen, 1);
	crypto_hash_sha512_final(&h, b0);

	/* b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime), b_1 from b_0 */
	memset(bi, 0, sizeof(bi));
	for (size_t i = 1; i <= ell; i++) {
		size_t take = out_len - done < HASH_BYTES ? out_len - done : HASH_BYTES;

		for (size_t j = 0; j < HASH_BYTES; j++)
			bi[j] ^= b0[j];
		ctr = (uint8_t)i;
		crypto_hash_sha512_init(&h);
		crypto_hash_sha512_update(&h, bi, sizeof(bi));
		crypto_hash_sha512_update(&h, &ctr, 1);
		crypto_hash_sha512_update(&h, dst, dst_len);
		crypto_hash_sha512_update(&h, &dlen, 1);
		crypto_hash_sha512_final(&h, bi);
		memcpy(out + done, bi, take);
		done += take;
	}
	st = SK_OK;
out:
	sodium_memzero(&h, sizeof(h));
	sodium_memzero(b0, sizeof(b0));
	sodium_memzero(bi, sizeof(bi));
	return st;
}

sk_status oprf_expand_message_xmd(uint8_t *out, size_t out_len, const uint8_t *msg,
				  size_t msg_len, const uint8_t *dst, size_t dst_len)
{
	piece m = {msg, msg_len};

	if (out == NULL || (msg == NULL && msg_len > 0))
		return SK_ERR_INVALID;
	return xmd(out, out_len, &m, 1, dst, dst_len);
}

/* HashToScalar under an explicit DST: expand 64 bytes, reduce mod L. */
static sk_status hash_to_scalar_dst(uint8_t out[static OPRF_SCALAR_BYTES],
				    const piece *msg, size_t pieces,
				    const uint8_t *dst, size_t dst_len)
{
	uint8_t u[crypto_core_ristretto255_NONREDUCEDSCALARBYTES];
	sk_status st;

	st = xmd(u, sizeof(u), msg, pieces, dst, dst_len);
	if (st == SK_OK)
		crypto_core_ristretto255_scalar_reduce(out, u);
	sodium_memzero(u, sizeof(u));
	return st;
}

static sk_status hash_to_scalar(uint8_t out[static OPRF_SCALAR_BYTES],
				const piece *msg, size_t pieces, oprf_mode mode)
{
	uint8_t dst[DST_MAX];
	size_t dst_len = dst_make(dst, "HashToScalar-", mode);

	return hash_to_scalar_dst(out, msg, pieces, dst, dst_len);
}

/* HashToGroup: expand 64 bytes under "HashToGroup-" || contextString, then
 * the ristretto255 one-way map. SK_ERR_IDENTITY if it lands on the identity. */
static sk_status hash_to_group(uint8_t out[static OPRF_ELEMENT_BYTES], oprf_mode mode,
			       const uint8_t *input, size_t input_len)
{
	uint8_t u[crypto_core_ristretto255_HASHBYTES], dst[DST_MAX];
	size_t dst_len = dst_make(dst, "HashToGroup-", mode);
	piece m = {input, input_len};
	sk_status st;

	st = xmd(u, sizeof(u), &m, 1, dst, dst_len);
	if (st != SK_OK)
		goto out;
	if (crypto_core_ristretto255_from_hash(out, u) != 0) {
		st = SK_ERR_CRYPTO;
		goto out;
	}
	if (sodium_is_zero(out, OPRF_ELEMENT_BYTES))
		st = SK_ERR_IDENTITY;
out:
	sodium_memzero(u, sizeof(u));
	return st;
}

sk_status oprf_element_check(const uint8_t e[static OPRF_ELEMENT_BYTES])
{
	/* libsodium 1.0.18's is_valid_point ignores bit 255, so 0x80 | e would
	 * pass as a second encoding of e (RFC 9496 section 4.3.1 refuses it),
	 * and accepts the identity (all zero), which RFC 9497's
	 * DeserializeElement refuses. */
	if ((e[OPRF_ELEMENT_BYTES - 1] & 0x80) != 0)
		return SK_ERR_INVALID;
	if (sodium_is_zero(e, OPRF_ELEMENT_BYTES))
		return SK_ERR_IDENTITY;
	if (crypto_core_ristretto255_is_valid_point(e) != 1)
		return SK_ERR_INVALID;
	return SK_OK;
}

sk_status oprf_scalar_check(const uint8_t s[static OPRF_SCALAR_BYTES])
{
	return scalar_is_canonical(s) ? SK_OK : SK_ERR_INVALID;
}

static sk_status elements_check(const uint8_t *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sk_status st = oprf_element_check(e + i * OPRF_ELEMENT_BYTES);

		if (st != SK_OK)
			return st;
	}
	return SK_OK;
}

/* ---- keys ---------------------------------------------------------------- */

sk_status oprf_derive_keypair(uint8_t sk[static OPRF_SCALAR_BYTES],
			      uint8_t pk[static OPRF_ELEMENT_BYTES], oprf_mode mode,
			      const uint8_t *info, size_t info_len,
			      const uint8_t seed[static OPRF_SEED_BYTES])
{
	uint8_t dst[DST_MAX], ilen[2], counter = 0;
	size_t dst_len;
	sk_status st = SK_ERR_INVALID;
	/* deriveInput = seed || I2OSP(len(info), 2) || info, then the counter */
	piece m[4] = {{seed, OPRF_SEED_BYTES}, {ilen, 2}, {info, info_len}, {&counter, 1}};

	sodium_memzero(sk, OPRF_SCALAR_BYTES);
	sodium_memzero(pk, OPRF_ELEMENT_BYTES);
	if (!mode_is_valid(mode) || (info == NULL && info_len > 0))
		goto out;
	st = SK_ERR_TOOBIG;
	if (info_len > OPRF_MAX_INPUT_BYTES)
		goto out;
	i2osp2(ilen, info_len);
	dst_len = dst_make(dst, "DeriveKeyPair", mode);
	for (unsigned c = 0; c <= 255; c++) {
		counter = (uint8_t)c;
		st = hash_to_scalar_dst(sk, m, 4, dst, dst_len);
		if (st != SK_OK || !sodium_is_zero(sk, OPRF_SCALAR_BYTES))
			break;
	}
	if (st != SK_OK)
		goto out;
	st = SK_ERR_CRYPTO; /* 256 zero scalars: DeriveKeyPairError */
	if (sodium_is_zero(sk, OPRF_SCALAR_BYTES))
		goto out;
	if (crypto_scalarmult_ristretto255_base(pk, sk) != 0)
		goto out;
	st = SK_OK;
out:
	if (st != SK_OK)
		sodium_memzero(sk, OPRF_SCALAR_BYTES);
	return st;
}

void oprf_keypair_generate(uint8_t sk[static OPRF_SCALAR_BYTES],
			   uint8_t pk[static OPRF_ELEMENT_BYTES])
{
	/* scalar_random never returns zero, so the base multiplication succeeds */
	do
		crypto_core_ristretto255_scalar_random(sk);
	while (crypto_scalarmult_ristretto255_base(pk, sk) != 0);
}

sk_status oprf_public_key(uint8_t pk[static OPRF_ELEMENT_BYTES],
			  const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	if (!scalar_is_usable(sk) || crypto_scalarmult_ristretto255_base(pk, sk) != 0) {
		sodium_memzero(pk, OPRF_ELEMENT_BYTES);
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

/* ---- client -------------------------------------------------------------- */

/* out = scalar * HashToGroup(input): the shared core of Blind and Evaluate.
 * out is zeroed on failure. */
static sk_status input_mul(uint8_t out[static OPRF_ELEMENT_BYTES], oprf_mode mode,
			  const uint8_t *input, size_t input_len,
			  const uint8_t scalar[static OPRF_SCALAR_BYTES])
{
	uint8_t p[OPRF_ELEMENT_BYTES];
	sk_status st = SK_ERR_INVALID;

	sodium_memzero(p, sizeof(p));
	sodium_memzero(out, OPRF_ELEMENT_BYTES);
	if (!mode_is_valid(mode) || (input == NULL && input_len > 0) || !scalar_is_usable(scalar))
		goto out;
	st = SK_ERR_TOOBIG;
	if (input_len > OPRF_MAX_INPUT_BYTES)
		goto out;
	st = hash_to_group(p, mode, input, input_len);
	if (st != SK_OK)
		goto out;
	st = SK_ERR_CRYPTO;
	if (crypto_scalarmult_ristretto255(out, scalar, p) != 0)
		goto out;
	st = SK_OK;
out:
	sodium_memzero(p, sizeof(p));
	if (st != SK_OK)
		sodium_memzero(out, OPRF_ELEMENT_BYTES);
	return st;
}

sk_status oprf_blind_with(uint8_t blinded[static OPRF_ELEMENT_BYTES], oprf_mode mode,
			  const uint8_t *input, size_t input_len,
			  const uint8_t blind[static OPRF_SCALAR_BYTES])
{
	return input_mul(blinded, mode, input, input_len, blind);
}

sk_status oprf_blind(uint8_t blind[static OPRF_SCALAR_BYTES],
		     uint8_t blinded[static OPRF_ELEMENT_BYTES], oprf_mode mode,
		     const uint8_t *input, size_t input_len)
{
	sk_status st;

	crypto_core_ristretto255_scalar_random(blind);
	st = oprf_blind_with(blinded, mode, input, input_len, blind);
	if (st != SK_OK)
		sodium_memzero(blind, OPRF_SCALAR_BYTES);
	return st;
}

/* Hash(I2OSP(len(input), 2) || input || I2OSP(32, 2) || element || "Finalize") */
static sk_status finalize_hash(uint8_t out[static OPRF_OUTPUT_BYTES],
			       const uint8_t *input, size_t input_len,
			       const uint8_t element[static OPRF_ELEMENT_BYTES])
{
	crypto_hash_sha512_state h;
	uint8_t len[2];

	if (input == NULL && input_len > 0)
		return SK_ERR_INVALID;
	if (input_len > OPRF_MAX_INPUT_BYTES)
		return SK_ERR_TOOBIG;
	crypto_hash_sha512_init(&h);
	i2osp2(len, input_len);
	crypto_hash_sha512_update(&h, len, 2);
	if (input_len > 0)
		crypto_hash_sha512_update(&h, input, input_len);
	i2osp2(len, OPRF_ELEMENT_BYTES);
	crypto_hash_sha512_update(&h, len, 2);
	crypto_hash_sha512_update(&h, element, OPRF_ELEMENT_BYTES);
	crypto_hash_sha512_update(&h, (const uint8_t *)"Finalize", 8);
	crypto_hash_sha512_final(&h, out);
	sodium_memzero(&h, sizeof(h));
	return SK_OK;
}

sk_status oprf_finalize(uint8_t out[static OPRF_OUTPUT_BYTES],
			const uint8_t *input, size_t input_len,
			const uint8_t evaluated[static OPRF_ELEMENT_BYTES],
			const uint8_t blind[static OPRF_SCALAR_BYTES])
{
	uint8_t inv[OPRF_SCALAR_BYTES], n[OPRF_ELEMENT_BYTES];
	sk_status st;

	sodium_memzero(inv, sizeof(inv));
	sodium_memzero(n, sizeof(n));
	sodium_memzero(out, OPRF_OUTPUT_BYTES);
	st = oprf_element_check(evaluated);
	if (st != SK_OK)
		goto out;
	st = SK_ERR_INVALID;
	if (!scalar_is_usable(blind) || crypto_core_ristretto255_scalar_invert(inv, blind) != 0)
		goto out;
	st = SK_ERR_CRYPTO;
	if (crypto_scalarmult_ristretto255(n, inv, evaluated) != 0)
		goto out;
	st = finalize_hash(out, input, input_len, n);
out:
	sodium_memzero(inv, sizeof(inv));
	sodium_memzero(n, sizeof(n));
	if (st != SK_OK)
		sodium_memzero(out, OPRF_OUTPUT_BYTES);
	return st;
}

/* ---- server -------------------------------------------------------------- */

sk_status oprf_blind_evaluate(uint8_t *evaluated, const uint8_t *blinded, size_t n,
			      const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	sk_status st;

	st = batch_check(n);
	if (st != SK_OK)
		return st;
	if (evaluated == NULL || blinded == NULL || !scalar_is_usable(sk)) {
		st = SK_ERR_INVALID;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *c = blinded + i * OPRF_ELEMENT_BYTES;

		st = oprf_element_check(c);
		if (st != SK_OK)
			goto out;
		if (crypto_scalarmult_ristretto255(evaluated + i * OPRF_ELEMENT_BYTES, sk, c) != 0) {
			st = SK_ERR_CRYPTO;
			goto out;
		}
	}
	st = SK_OK;
out:
	if (st != SK_OK && evaluated != NULL)
		sodium_memzero(evaluated, n * OPRF_ELEMENT_BYTES);
	return st;
}

sk_status oprf_evaluate(uint8_t out[static OPRF_OUTPUT_BYTES], oprf_mode mode,
			const uint8_t *input, size_t input_len,
			const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	uint8_t e[OPRF_ELEMENT_BYTES];
	sk_status st;

	sodium_memzero(out, OPRF_OUTPUT_BYTES);
	st = input_mul(e, mode, input, input_len, sk);
	if (st == SK_OK)
		st = finalize_hash(out, input, input_len, e);
	sodium_memzero(e, sizeof(e));
	return st;
}

/* ---- batched DLEQ proofs ------------------------------------------------- */

/* ComputeCompositesFast (sk given: Z = sk * M) or ComputeComposites (sk NULL:
 * Z = sum d_i * D_i), RFC 9497 section 2.2.1, for B = pk. Elements are
 * checked by the callers. SK_ERR_CRYPTO if an intermediate is the identity
 * (only by a negligible accident, or a forged batch). */
static sk_status composites(uint8_t m[static OPRF_ELEMENT_BYTES],
			    uint8_t z[static OPRF_ELEMENT_BYTES],
			    const uint8_t pk[static OPRF_ELEMENT_BYTES],
			    const uint8_t *c, const uint8_t *d, size_t n, const uint8_t *sk)
{
	crypto_hash_sha512_state h;
	uint8_t seed[HASH_BYTES], len_e[2], len_dst[2], len_seed[2], idx[2];
	uint8_t di[OPRF_SCALAR_BYTES], t[OPRF_ELEMENT_BYTES], seed_dst[DST_MAX];
	size_t seed_dst_len = dst_make(seed_dst, "Seed-", OPRF_MODE_VOPRF);
	sk_status st = SK_ERR_CRYPTO;

	i2osp2(len_e, OPRF_ELEMENT_BYTES);
	i2osp2(len_dst, seed_dst_len);
	i2osp2(len_seed, sizeof(seed));

	/* seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) || seedDST) */
	crypto_hash_sha512_init(&h);
	crypto_hash_sha512_update(&h, len_e, 2);
	crypto_hash_sha512_update(&h, pk, OPRF_ELEMENT_BYTES);
	crypto_hash_sha512_update(&h, len_dst, 2);
	crypto_hash_sha512_update(&h, seed_dst, seed_dst_len);
	crypto_hash_sha512_final(&h, seed);

	for (size_t i = 0; i < n; i++) {
		const uint8_t *ci = c + i * OPRF_ELEMENT_BYTES;
		const uint8_t *dd = d + i * OPRF_ELEMENT_BYTES;
		const piece tr[] = {
			{len_seed, 2}, {seed, sizeof(seed)}, {idx, 2},
			{len_e, 2},    {ci, OPRF_ELEMENT_BYTES},
			{len_e, 2},    {dd, OPRF_ELEMENT_BYTES},
			{(const uint8_t *)"Composite", 9},
		};

		i2osp2(idx, i);
		if (hash_to_scalar(di, tr, sizeof(tr) / sizeof(tr[0]), OPRF_MODE_VOPRF) != SK_OK)
			goto out;
		/* M = d_i * C_i + M (and Z likewise when verifying) */
		if (crypto_scalarmult_ristretto255(t, di, ci) != 0)
			goto out;
		if (i == 0)
			memcpy(m, t, OPRF_ELEMENT_BYTES);
		else if (crypto_core_ristretto255_add(m, m, t) != 0)
			goto out;
		if (sk != NULL)
			continue;
		if (crypto_scalarmult_ristretto255(t, di, dd) != 0)
			goto out;
		if (i == 0)
			memcpy(z, t, OPRF_ELEMENT_BYTES);
		else if (crypto_core_ristretto255_add(z, z, t) != 0)
			goto out;
	}
	if (sk != NULL && crypto_scalarmult_ristretto255(z, sk, m) != 0)
		goto out;
	if (sodium_is_zero(m, OPRF_ELEMENT_BYTES) || sodium_is_zero(z, OPRF_ELEMENT_BYTES))
		goto out;
	st = SK_OK;
out:
	sodium_memzero(&h, sizeof(h));
	sodium_memzero(di, sizeof(di));
	sodium_memzero(t, sizeof(t));
	return st;
}

/* c = HashToScalar(I2OSP(32, 2) || B || ... || I2OSP(32, 2) || t3 || "Challenge") */
static sk_status challenge(uint8_t c[static OPRF_SCALAR_BYTES], const uint8_t *b,
			   const uint8_t *m, const uint8_t *z, const uint8_t *t2,
			   const uint8_t *t3)
{
	uint8_t len_e[2];
	const piece tr[] = {
		{len_e, 2}, {b, OPRF_ELEMENT_BYTES},  {len_e, 2}, {m, OPRF_ELEMENT_BYTES},
		{len_e, 2}, {z, OPRF_ELEMENT_BYTES},  {len_e, 2}, {t2, OPRF_ELEMENT_BYTES},
		{len_e, 2}, {t3, OPRF_ELEMENT_BYTES}, {(const uint8_t *)"Challenge", 9},
	};

	i2osp2(len_e, OPRF_ELEMENT_BYTES);
	return hash_to_scalar(c, tr, sizeof(tr) / sizeof(tr[0]), OPRF_MODE_VOPRF);
}

/* The proof for elements already known good (the caller checked or made
 * them): B = sk * G, the fast composites, then c and s. */
static sk_status proof_core(uint8_t proof[static OPRF_PROOF_BYTES], const uint8_t *blinded,
			    const uint8_t *evaluated, size_t n,
			    const uint8_t r[static OPRF_SCALAR_BYTES],
			    const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	uint8_t b[OPRF_ELEMENT_BYTES], m[OPRF_ELEMENT_BYTES], z[OPRF_ELEMENT_BYTES];
	uint8_t t2[OPRF_ELEMENT_BYTES], t3[OPRF_ELEMENT_BYTES], ck[OPRF_SCALAR_BYTES];
	sk_status st = SK_ERR_CRYPTO;

	if (crypto_scalarmult_ristretto255_base(b, sk) != 0)
		goto out;
	if ((st = composites(m, z, b, blinded, evaluated, n, sk)) != SK_OK)
		goto out;
	st = SK_ERR_CRYPTO;
	if (crypto_scalarmult_ristretto255_base(t2, r) != 0 ||
	    crypto_scalarmult_ristretto255(t3, r, m) != 0)
		goto out;
	if ((st = challenge(proof, b, m, z, t2, t3)) != SK_OK)
		goto out;
	/* s = r - c * k */
	crypto_core_ristretto255_scalar_mul(ck, proof, sk);
	crypto_core_ristretto255_scalar_sub(proof + OPRF_SCALAR_BYTES, r, ck);
	st = SK_OK;
out:
	sodium_memzero(ck, sizeof(ck));
	return st;
}

sk_status oprf_proof_generate_with(uint8_t proof[static OPRF_PROOF_BYTES],
				   const uint8_t *blinded, const uint8_t *evaluated, size_t n,
				   const uint8_t r[static OPRF_SCALAR_BYTES],
				   const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	sk_status st;

	sodium_memzero(proof, OPRF_PROOF_BYTES);
	st = batch_check(n);
	if (st != SK_OK)
		goto out;
	st = SK_ERR_INVALID;
	if (blinded == NULL || evaluated == NULL || !scalar_is_usable(r) || !scalar_is_usable(sk))
		goto out;
	if ((st = elements_check(blinded, n)) != SK_OK || (st = elements_check(evaluated, n)) != SK_OK)
		goto out;
	st = proof_core(proof, blinded, evaluated, n, r, sk);
out:
	if (st != SK_OK)
		sodium_memzero(proof, OPRF_PROOF_BYTES);
	return st;
}

sk_status oprf_proof_generate(uint8_t proof[static OPRF_PROOF_BYTES],
			      const uint8_t *blinded, const uint8_t *evaluated, size_t n,
			      const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	uint8_t r[OPRF_SCALAR_BYTES];
	sk_status st;

	crypto_core_ristretto255_scalar_random(r);
	st = oprf_proof_generate_with(proof, blinded, evaluated, n, r, sk);
	sodium_memzero(r, sizeof(r));
	return st;
}

sk_status oprf_evaluate_batch(uint8_t *evaluated, uint8_t proof[static OPRF_PROOF_BYTES],
			      size_t *bad, const uint8_t *blinded, size_t n,
			      const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	uint8_t r[OPRF_SCALAR_BYTES];
	sk_status st;

	*bad = 0;
	if ((st = batch_check(n)) != SK_OK)
		return st;
	if (evaluated == NULL || blinded == NULL || !scalar_is_usable(sk))
		return SK_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *c = blinded + i * OPRF_ELEMENT_BYTES;

		/* the byte rules libsodium does not apply; its decoding inside the
		 * multiplication does the rest: a valid, non-identity element
		 * times a usable scalar is never the identity, so a failure means
		 * the bytes encode no element */
		if ((c[OPRF_ELEMENT_BYTES - 1] & 0x80) != 0 || sodium_is_zero(c, OPRF_ELEMENT_BYTES) ||
		    crypto_scalarmult_ristretto255(evaluated + i * OPRF_ELEMENT_BYTES, sk, c) != 0) {
			*bad = i;
			st = SK_ERR_INVALID;
			goto out;
		}
	}
	crypto_core_ristretto255_scalar_random(r);
	st = proof_core(proof, blinded, evaluated, n, r, sk);
	sodium_memzero(r, sizeof(r));
out:
	if (st != SK_OK) {
		sodium_memzero(evaluated, n * OPRF_ELEMENT_BYTES);
		sodium_memzero(proof, OPRF_PROOF_BYTES);
	}
	return st;
}

sk_status oprf_proof_verify(const uint8_t proof[static OPRF_PROOF_BYTES],
			    const uint8_t *blinded, const uint8_t *evaluated, size_t n,
			    const uint8_t pk[static OPRF_ELEMENT_BYTES])
{
	const uint8_t *c = proof, *s = proof + OPRF_SCALAR_BYTES;
	uint8_t m[OPRF_ELEMENT_BYTES], z[OPRF_ELEMENT_BYTES], u[OPRF_ELEMENT_BYTES];
	uint8_t v[OPRF_ELEMENT_BYTES], t2[OPRF_ELEMENT_BYTES], t3[OPRF_ELEMENT_BYTES];
	uint8_t expect[OPRF_SCALAR_BYTES];
	sk_status st;

	if ((st = batch_check(n)) != SK_OK)
		return st;
	if (blinded == NULL || evaluated == NULL)
		return SK_ERR_INVALID;
	if ((st = oprf_element_check(pk)) != SK_OK)
		return st;
	/* the byte rules here; the rest of each element's check happens as the
	 * composites decode it (a failure there sends us to the full check) */
	for (size_t i = 0; i < 2 * n; i++) {
		const uint8_t *e = i < n ? blinded + i * OPRF_ELEMENT_BYTES
					 : evaluated + (i - n) * OPRF_ELEMENT_BYTES;

		if ((e[OPRF_ELEMENT_BYTES - 1] & 0x80) != 0)
			return SK_ERR_INVALID;
		if (sodium_is_zero(e, OPRF_ELEMENT_BYTES))
			return SK_ERR_IDENTITY;
	}
	if (!scalar_is_canonical(c) || !scalar_is_canonical(s))
		return SK_ERR_INVALID;

	/* From here on every failure is the proof's: report only SK_ERR_VERIFY.
	 * t2 = s * G + c * pk, t3 = s * M + c * Z; a zero c or s (or an identity
	 * intermediate) is refused by libsodium and counts as a failure. */
	st = SK_ERR_VERIFY;
	if (composites(m, z, pk, blinded, evaluated, n, NULL) != SK_OK) {
		/* an element that is no ristretto255 encoding, or the proof's */
		if ((st = elements_check(blinded, n)) == SK_OK &&
		    (st = elements_check(evaluated, n)) == SK_OK)
			st = SK_ERR_VERIFY;
		goto out;
	}
	if (crypto_scalarmult_ristretto255_base(u, s) != 0 ||
	    crypto_scalarmult_ristretto255(v, c, pk) != 0 ||
	    crypto_core_ristretto255_add(t2, u, v) != 0)
		goto out;
	if (crypto_scalarmult_ristretto255(u, s, m) != 0 ||
	    crypto_scalarmult_ristretto255(v, c, z) != 0 ||
	    crypto_core_ristretto255_add(t3, u, v) != 0)
		goto out;
	if (challenge(expect, pk, m, z, t2, t3) != SK_OK)
		goto out;
	if (sodium_memcmp(expect, c, OPRF_SCALAR_BYTES) == 0)
		st = SK_OK;
out:
	return st;
}

/* ---- chain --------------------------------------------------------------- */

sk_status oprf_chain_verify(const uint8_t *proofs, const uint8_t *blinded,
			    const uint8_t *evaluated, size_t n, size_t hops,
			    const uint8_t *pks)
{
	const size_t stride = n * OPRF_ELEMENT_BYTES;
	sk_status st;

	if ((st = batch_check(n)) != SK_OK)
		return st;
	if (hops == 0 || proofs == NULL || blinded == NULL || evaluated == NULL || pks == NULL)
		return SK_ERR_INVALID;
	if (hops > OPRF_MAX_CHAIN)
		return SK_ERR_TOOBIG;
	for (size_t j = 0; j < hops; j++) {
		const uint8_t *in = j == 0 ? blinded : evaluated + (j - 1) * stride;

		st = oprf_proof_verify(proofs + j * OPRF_PROOF_BYTES, in, evaluated + j * stride,
				       n, pks + j * OPRF_ELEMENT_BYTES);
		if (st != SK_OK)
			return st;
	}
	return SK_OK;
}
