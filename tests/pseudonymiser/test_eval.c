/* The pseudonymiser's evaluation: request shape, every element checked,
 * one DLEQ proof per batch that verifies under the epoch key (and under no
 * other), and the throughput of one core. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "test_util.h"
#include "common/init.h"
#include "pseudonymiser/eval.h"

static uint8_t sk[OPRF_SCALAR_BYTES], pk[OPRF_ELEMENT_BYTES];
static uint8_t blinded[OPRF_MAX_BATCH * OPRF_ELEMENT_BYTES];
static uint8_t evaluated[OPRF_MAX_BATCH * OPRF_ELEMENT_BYTES];

static int setup(void **state)
{
	uint8_t blind[OPRF_SCALAR_BYTES], in[16];

	if (sk_init() != SK_OK)
		return -1;
	oprf_keypair_generate(sk, pk);
	for (size_t i = 0; i < OPRF_MAX_BATCH; i++) {
		memcpy(in, &i, sizeof(i));
		if (oprf_blind(blind, blinded + i * OPRF_ELEMENT_BYTES, OPRF_MODE_VOPRF, in,
			       sizeof(in)) != SK_OK)
			return -1;
	}
	return 0;
}

static void test_check(void **state)
{
	ProtobufCBinaryData el[OPRF_MAX_BATCH + 1];
	Schakel__V1__EvalRequest r = SCHAKEL__V1__EVAL_REQUEST__INIT;

	for (size_t i = 0; i <= OPRF_MAX_BATCH; i++)
		el[i] = (ProtobufCBinaryData){OPRF_ELEMENT_BYTES, blinded};
	r.blinded = el;
	EFAIL(ps_eval_check(&r), SK_ERR_INVALID); /* none */
	r.n_blinded = 1;
	E(ps_eval_check(&r));
	r.n_blinded = OPRF_MAX_BATCH;
	E(ps_eval_check(&r));
	r.n_blinded = OPRF_MAX_BATCH + 1;
	EFAIL(ps_eval_check(&r), SK_ERR_TOOBIG);
	r.n_blinded = 3;
	el[2].len = 31;
	EFAIL(ps_eval_check(&r), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "element 2 has 31 bytes"));
	el[2].len = 33;
	EFAIL(ps_eval_check(&r), SK_ERR_INVALID);
}

static void test_batch(void **state)
{
	uint8_t proof[OPRF_PROOF_BYTES], other_sk[OPRF_SCALAR_BYTES], other_pk[OPRF_ELEMENT_BYTES];
	size_t n = 5, bad = 99;

	E(ps_eval_batch(evaluated, proof, &bad, blinded, n, sk));
	E(oprf_proof_verify(proof, blinded, evaluated, n, pk));
	/* the same batch under another key: the proof does not hold for pk */
	oprf_keypair_generate(other_sk, other_pk);
	E(ps_eval_batch(evaluated, proof, &bad, blinded, n, other_sk));
	EFAIL(oprf_proof_verify(proof, blinded, evaluated, n, pk), SK_ERR_VERIFY);
	E(oprf_proof_verify(proof, blinded, evaluated, n, other_pk));
	/* a tampered element or proof does not verify */
	E(ps_eval_batch(evaluated, proof, &bad, blinded, n, sk));
	proof[3] ^= 1;
	assert_int_not_equal(oprf_proof_verify(proof, blinded, evaluated, n, pk), SK_OK);
	proof[3] ^= 1;
	memcpy(evaluated, evaluated + OPRF_ELEMENT_BYTES, OPRF_ELEMENT_BYTES);
	EFAIL(oprf_proof_verify(proof, blinded, evaluated, n, pk), SK_ERR_VERIFY);
	/* n out of range */
	EFAIL(ps_eval_batch(evaluated, proof, &bad, blinded, 0, sk), SK_ERR_INVALID);
	EFAIL(ps_eval_batch(evaluated, proof, &bad, blinded, OPRF_MAX_BATCH + 1, sk), SK_ERR_TOOBIG);
}

/* Every element is checked; the first bad one is named; nothing is valid. */
static void test_bad_elements(void **state)
{
	uint8_t in[4 * OPRF_ELEMENT_BYTES], proof[OPRF_PROOF_BYTES];
	size_t bad = 0;

	memcpy(in, blinded, sizeof(in));
	memset(in + 2 * OPRF_ELEMENT_BYTES, 0xff, OPRF_ELEMENT_BYTES); /* not canonical */
	EFAIL(ps_eval_batch(evaluated, proof, &bad, in, 4, sk), SK_ERR_INVALID);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(sk_error_detail(), "element 2 is not a valid ristretto255"));
	memcpy(in, blinded, sizeof(in));
	memset(in + 3 * OPRF_ELEMENT_BYTES, 0, OPRF_ELEMENT_BYTES); /* the identity */
	EFAIL(ps_eval_batch(evaluated, proof, &bad, in, 4, sk), SK_ERR_INVALID);
	assert_int_equal(bad, 3);
}

/* Batched VOPRF evaluations per second on one core: BlindEvaluate plus one
 * DLEQ proof for the batch. */
static void test_throughput(void **state)
{
	uint8_t proof[OPRF_PROOF_BYTES];
	struct timespec t0, t1;
	size_t bad, rounds = 4;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < rounds; i++)
		E(ps_eval_batch(evaluated, proof, &bad, blinded, OPRF_MAX_BATCH, sk));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("ps_eval_batch: %.0f evaluations/s on one core (batches of %d, with "
		      "one DLEQ proof each)\n",
		      (double)(rounds * OPRF_MAX_BATCH) / s, OPRF_MAX_BATCH);
	E(oprf_proof_verify(proof, blinded, evaluated, OPRF_MAX_BATCH, pk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_bad_elements),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
