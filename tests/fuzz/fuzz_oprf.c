/* VOPRF proof verification and element/scalar decoding on arbitrary bytes.
 * Input: a selector byte (n = 1 + sel % 4 elements), then as far as present
 * pk (32) || proof (64) || C (n * 32) || D (n * 32). Properties checked:
 * nothing crashes; a proof that verifies stops verifying when one bit of it
 * flips; the one-hop chain agrees with the plain verification; a proof made
 * by oprf_proof_generate over the same elements verifies. */
#include <stdlib.h>
#include <string.h>

#include "crypto/oprf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXN 4

static void decode_all(const uint8_t *data, size_t size)
{
	uint8_t out[OPRF_OUTPUT_BYTES];

	for (size_t off = 0; off + OPRF_ELEMENT_BYTES <= size; off += OPRF_ELEMENT_BYTES) {
		const uint8_t *e = data + off;
		sk_status st = oprf_element_check(e);

		if (st != SK_OK && st != SK_ERR_INVALID && st != SK_ERR_IDENTITY)
			abort();
		st = oprf_scalar_check(e);
		if (st != SK_OK && st != SK_ERR_INVALID)
			abort();
		/* finalize with this chunk as evaluated element and as blind */
		st = oprf_finalize(out, data, size, e, e);
		if (st == SK_OK && oprf_element_check(e) != SK_OK)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[OPRF_SEED_BYTES] = {1};
	uint8_t pk[OPRF_ELEMENT_BYTES], proof[OPRF_PROOF_BYTES];
	uint8_t c[MAXN * OPRF_ELEMENT_BYTES], d[MAXN * OPRF_ELEMENT_BYTES];
	uint8_t sk[OPRF_SCALAR_BYTES], kpk[OPRF_ELEMENT_BYTES], mine[OPRF_PROOF_BYTES];
	size_t n, need;
	sk_status st, st2;

	decode_all(data, size);
	if (size < 1 + sizeof(pk) + sizeof(proof) + 2 * OPRF_ELEMENT_BYTES)
		return 0;
	n = 1 + data[0] % MAXN;
	need = 1 + sizeof(pk) + sizeof(proof) + 2 * n * OPRF_ELEMENT_BYTES;
	while (need > size) {
		n--;
		need -= 2 * OPRF_ELEMENT_BYTES;
	}
	memcpy(pk, data + 1, sizeof(pk));
	memcpy(proof, data + 1 + sizeof(pk), sizeof(proof));
	memcpy(c, data + 1 + sizeof(pk) + sizeof(proof), n * OPRF_ELEMENT_BYTES);
	memcpy(d, data + 1 + sizeof(pk) + sizeof(proof) + n * OPRF_ELEMENT_BYTES,
	       n * OPRF_ELEMENT_BYTES);

	st = oprf_proof_verify(proof, c, d, n, pk);
	if (st != SK_OK && st != SK_ERR_VERIFY && st != SK_ERR_INVALID && st != SK_ERR_IDENTITY)
		abort();
	st2 = oprf_chain_verify(proof, c, d, n, 1, pk);
	if (st2 != st)
		abort();
	if (st == SK_OK) {
		uint8_t bit = data[size - 1];

		proof[bit % OPRF_PROOF_BYTES] ^= (uint8_t)(1u << (bit % 8));
		if (oprf_proof_verify(proof, c, d, n, pk) == SK_OK)
			abort();
	}

	/* Our own key over the fuzzer's blinded elements: whatever the server
	 * accepts, it can prove, and the proof verifies. */
	if (oprf_derive_keypair(sk, kpk, OPRF_MODE_VOPRF, data, size > 64 ? 64 : size, seed) !=
	    SK_OK)
		abort();
	if (oprf_blind_evaluate(d, c, n, sk) == SK_OK) {
		if (oprf_proof_generate(mine, c, d, n, sk) != SK_OK)
			abort();
		if (oprf_proof_verify(mine, c, d, n, kpk) != SK_OK)
			abort();
		/* and it is no proof for the fuzzer's key, unless that is ours */
		if (memcmp(pk, kpk, sizeof(pk)) != 0 && oprf_proof_verify(mine, c, d, n, pk) == SK_OK)
			abort();
	}
	return 0;
}
