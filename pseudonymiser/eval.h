/* The pseudonymiser's one computation: a batch of blinded elements times
 * its epoch key, with one batched DLEQ proof (RFC 9497 VOPRF, mode 0x01)
 * against the epoch's public key. Pure: no I/O, no allocation. */
#ifndef SK_PS_EVAL_H
#define SK_PS_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "crypto/oprf.h"
#include "protos/schakel.pb-c.h"

/* The shape of an EvalRequest: 1..OPRF_MAX_BATCH elements of
 * OPRF_ELEMENT_BYTES each. SK_ERR_INVALID (no elements, a wrong length) or
 * SK_ERR_TOOBIG (too many), with the detail set. */
sk_status ps_eval_check(const Schakel__V1__EvalRequest *r) SK_MUST_CHECK;

/* evaluated[i] = sk * blinded[i] for n elements, and one proof for the
 * batch. Every blinded element is checked first: SK_ERR_INVALID with
 * *bad the index of the first element that is not a canonical, non-identity
 * ristretto255 encoding (detail set), and nothing of the outputs valid.
 * SK_ERR_INVALID / SK_ERR_TOOBIG for n as oprf_blind_evaluate. */
sk_status ps_eval_batch(uint8_t *evaluated, uint8_t proof[static OPRF_PROOF_BYTES],
			size_t *bad, const uint8_t *blinded, size_t n,
			const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

#endif
