/* RFC 9497 OPRF (mode 0x00) and VOPRF (mode 0x01) over ristretto255-SHA512,
 * with batched DLEQ proofs, and the chain of pseudonymisers that turns a BSN
 * into a token (docs/tokens.md). POPRF (mode 0x02) is outside schakel: nodes need no public input.
 *
 * Elements are 32-byte canonical ristretto255 encodings, scalars 32-byte
 * little-endian integers below the group order. Batches are arrays of
 * n * OPRF_ELEMENT_BYTES bytes, 1 <= n <= OPRF_MAX_BATCH. Nothing here
 * allocates; all outputs are caller buffers.
 *
 * Every element that comes from a peer is checked: a bad encoding gives
 * SK_ERR_INVALID, the identity element SK_ERR_IDENTITY (RFC 9497 section 4,
 * DeserializeElement). Scalars from a peer must be canonical (SK_ERR_INVALID).
 * WARNING: blinds, secret keys, inputs and outputs are secrets; the caller
 * wipes its own copies (sodium_memzero), this module wipes its temporaries. */
#ifndef SK_OPRF_H
#define SK_OPRF_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define OPRF_ELEMENT_BYTES 32
#define OPRF_SCALAR_BYTES 32
#define OPRF_SEED_BYTES 32     /* DeriveKeyPair seed */
#define OPRF_PROOF_BYTES 64    /* c || s */
#define OPRF_OUTPUT_BYTES 64   /* SHA-512 */
#define OPRF_MAX_BATCH 1024    /* elements per evaluation and proof */
#define OPRF_MAX_CHAIN 16      /* pseudonymisers in a chain */
#define OPRF_MAX_INPUT_BYTES 65535 /* inputs and key info carry a 2-byte length */

/* expand_message_xmd limits (RFC 9380 section 5.3.1, SHA-512). */
#define OPRF_XMD_MAX_BYTES (255 * 64)
#define OPRF_XMD_MAX_DST_BYTES 255

typedef enum oprf_mode {
	OPRF_MODE_OPRF = 0x00,
	OPRF_MODE_VOPRF = 0x01,
} oprf_mode;

/* expand_message_xmd with SHA-512 (RFC 9380 section 5.3.1): out_len uniform
 * bytes from msg under the domain tag dst. SK_ERR_INVALID if out_len is 0 or
 * above OPRF_XMD_MAX_BYTES, or dst is empty or above OPRF_XMD_MAX_DST_BYTES.
 * msg may be NULL when msg_len is 0. */
sk_status oprf_expand_message_xmd(uint8_t *out, size_t out_len,
				  const uint8_t *msg, size_t msg_len,
				  const uint8_t *dst, size_t dst_len) SK_MUST_CHECK;

/* DeserializeElement's checks on a received element: SK_OK, SK_ERR_INVALID
 * (not a canonical ristretto255 encoding) or SK_ERR_IDENTITY. */
sk_status oprf_element_check(const uint8_t e[static OPRF_ELEMENT_BYTES]) SK_MUST_CHECK;

/* A received scalar: SK_OK if canonical (below the group order), else
 * SK_ERR_INVALID. Zero is canonical; callers that need nonzero check it. */
sk_status oprf_scalar_check(const uint8_t s[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* ---- keys ---------------------------------------------------------------- */

/* DeriveKeyPair (RFC 9497 section 3.2.1): sk, pk from a 32-byte seed and
 * key info (info_len <= OPRF_MAX_INPUT_BYTES; info may be NULL when empty).
 * SK_ERR_CRYPTO if 256 counters all give zero (never happens in practice). */
sk_status oprf_derive_keypair(uint8_t sk[static OPRF_SCALAR_BYTES],
			      uint8_t pk[static OPRF_ELEMENT_BYTES], oprf_mode mode,
			      const uint8_t *info, size_t info_len,
			      const uint8_t seed[static OPRF_SEED_BYTES]) SK_MUST_CHECK;

/* A random key pair (RandomScalar, ScalarMultGen). */
void oprf_keypair_generate(uint8_t sk[static OPRF_SCALAR_BYTES],
			   uint8_t pk[static OPRF_ELEMENT_BYTES]);

/* pk = sk * G, for a key loaded from storage. SK_ERR_INVALID unless sk is
 * canonical and nonzero. */
sk_status oprf_public_key(uint8_t pk[static OPRF_ELEMENT_BYTES],
			  const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* ---- client -------------------------------------------------------------- */

/* Blind: a fresh random blind and blinded = blind * HashToGroup(input).
 * SK_ERR_IDENTITY if the input hashes to the identity (InvalidInputError),
 * SK_ERR_TOOBIG if input_len > OPRF_MAX_INPUT_BYTES. */
sk_status oprf_blind(uint8_t blind[static OPRF_SCALAR_BYTES],
		     uint8_t blinded[static OPRF_ELEMENT_BYTES], oprf_mode mode,
		     const uint8_t *input, size_t input_len) SK_MUST_CHECK;

/* Blind with a given blind (canonical, nonzero): for test vectors only. */
sk_status oprf_blind_with(uint8_t blinded[static OPRF_ELEMENT_BYTES], oprf_mode mode,
			  const uint8_t *input, size_t input_len,
			  const uint8_t blind[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* Finalize: Hash(I2OSP(len(input), 2) || input || I2OSP(32, 2) ||
 * blind^-1 * evaluated || "Finalize"). The same in both modes; in mode 0x01
 * verify the proof (or the chain) first. evaluated is checked like every
 * received element. */
sk_status oprf_finalize(uint8_t out[static OPRF_OUTPUT_BYTES],
			const uint8_t *input, size_t input_len,
			const uint8_t evaluated[static OPRF_ELEMENT_BYTES],
			const uint8_t blind[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* ---- server -------------------------------------------------------------- */

/* BlindEvaluate without the proof: evaluated[i] = sk * blinded[i] for n
 * elements, each checked first. On any error nothing of evaluated is valid
 * (it is zeroed). SK_ERR_INVALID if n is 0, SK_ERR_TOOBIG above
 * OPRF_MAX_BATCH. In mode 0x01 follow with oprf_proof_generate. */
sk_status oprf_blind_evaluate(uint8_t *evaluated, const uint8_t *blinded, size_t n,
			      const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* Evaluate: the whole OPRF in one place, for a party holding the key
 * (and for tests: under the product of a chain's keys it gives the chain's
 * output). */
sk_status oprf_evaluate(uint8_t out[static OPRF_OUTPUT_BYTES], oprf_mode mode,
			const uint8_t *input, size_t input_len,
			const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* ---- batched DLEQ proofs (RFC 9497 section 2.2), mode 0x01 ---------------- */

/* GenerateProof(k = sk, A = G, B = sk * G, C = blinded, D = evaluated) with
 * ComputeCompositesFast and a random r. The inputs are checked as received. */
/* The server's whole batch in one pass, as oprf_blind_evaluate followed
 * by oprf_proof_generate but checking each blinded element once (the
 * evaluated ones are its own): SK_ERR_INVALID with *bad the index of the
 * first blinded element that is not a canonical, non-identity encoding
 * (outputs zeroed); SK_ERR_INVALID / SK_ERR_TOOBIG for n as
 * oprf_blind_evaluate. */
sk_status oprf_evaluate_batch(uint8_t *evaluated, uint8_t proof[static OPRF_PROOF_BYTES],
			      size_t *bad, const uint8_t *blinded, size_t n,
			      const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

sk_status oprf_proof_generate(uint8_t proof[static OPRF_PROOF_BYTES],
			      const uint8_t *blinded, const uint8_t *evaluated, size_t n,
			      const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* The same with a given r (canonical, nonzero): for test vectors only. */
sk_status oprf_proof_generate_with(uint8_t proof[static OPRF_PROOF_BYTES],
				   const uint8_t *blinded, const uint8_t *evaluated, size_t n,
				   const uint8_t r[static OPRF_SCALAR_BYTES],
				   const uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* VerifyProof(A = G, B = pk, C = blinded, D = evaluated) with
 * ComputeComposites: SK_OK, or SK_ERR_VERIFY if the proof does not hold.
 * Malformed input is reported before any verification: SK_ERR_INVALID /
 * SK_ERR_IDENTITY for an element or pk, SK_ERR_INVALID for a non-canonical
 * c or s, SK_ERR_INVALID / SK_ERR_TOOBIG for n. */
sk_status oprf_proof_verify(const uint8_t proof[static OPRF_PROOF_BYTES],
			    const uint8_t *blinded, const uint8_t *evaluated, size_t n,
			    const uint8_t pk[static OPRF_ELEMENT_BYTES]) SK_MUST_CHECK;

/* ---- chain of pseudonymisers (docs/tokens.md) ---------------------------- */

/* The node blinds n inputs once (mode 0x01) and sends blinded to
 * pseudonymiser 1; pseudonymiser j evaluates the previous hop's output with
 * its key k_j and proves it against its pk_j. oprf_chain_verify checks every
 * hop: hop j proves evaluated[j] = k_j * (j == 0 ? blinded : evaluated[j-1])
 * against pks[j], the key the node has pinned for that position.
 *   evaluated: hops * n elements, hop after hop;
 *   proofs:    hops * OPRF_PROOF_BYTES;
 *   pks:       hops * OPRF_ELEMENT_BYTES.
 * Returns as oprf_proof_verify; SK_ERR_INVALID if hops is 0, SK_ERR_TOOBIG
 * above OPRF_MAX_CHAIN. Then oprf_finalize(input[i], evaluated of the last
 * hop [i], blind[i]) gives RFC 9497 Finalize under k_1 * ... * k_hops. */
sk_status oprf_chain_verify(const uint8_t *proofs, const uint8_t *blinded,
			    const uint8_t *evaluated, size_t n, size_t hops,
			    const uint8_t *pks) SK_MUST_CHECK;

#endif
