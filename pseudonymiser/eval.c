#include <string.h>

#include <sodium.h>

#include "pseudonymiser/eval.h"

sk_status ps_eval_check(const Schakel__V1__EvalRequest *r)
{
	if (r->n_blinded == 0) {
		sk_error_set("an evaluation request needs 1 to %d blinded elements",
			     OPRF_MAX_BATCH);
		return SK_ERR_INVALID;
	}
	if (r->n_blinded > OPRF_MAX_BATCH) {
		sk_error_set("at most %d blinded elements per request, not %zu", OPRF_MAX_BATCH,
			     r->n_blinded);
		return SK_ERR_TOOBIG;
	}
	for (size_t i = 0; i < r->n_blinded; i++) {
		if (r->blinded[i].len != OPRF_ELEMENT_BYTES) {
			sk_error_set("blinded element %zu has %zu bytes, not %d", i,
				     r->blinded[i].len, OPRF_ELEMENT_BYTES);
			return SK_ERR_INVALID;
		}
	}
	return SK_OK;
}

sk_status ps_eval_batch(uint8_t *evaluated, uint8_t proof[static OPRF_PROOF_BYTES],
			size_t *bad, const uint8_t *blinded, size_t n,
			const uint8_t sk[static OPRF_SCALAR_BYTES])
{
	sk_status st = oprf_evaluate_batch(evaluated, proof, bad, blinded, n, sk);

	if (st == SK_ERR_INVALID && n > 0 && n <= OPRF_MAX_BATCH)
		sk_error_set("blinded element %zu is not a valid ristretto255 element", *bad);
	return st;
}
