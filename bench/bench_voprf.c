/* Batched VOPRF evaluations per second on one pseudonymiser core: the
 * pseudonymiser's own computation (pseudonymiser/eval.h), 1,024 blinded
 * elements and one DLEQ proof per batch, for about three seconds. */
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "crypto/oprf.h"
#include "pseudonymiser/eval.h"

#define BATCH 1024

int main(void)
{
	static uint8_t blinded[BATCH * OPRF_ELEMENT_BYTES], evaluated[BATCH * OPRF_ELEMENT_BYTES];
	uint8_t sk[OPRF_SCALAR_BYTES], proof[OPRF_PROOF_BYTES];
	size_t bad = 0, n = 0;
	double t;

	if (sodium_init() < 0)
		BENCH_DIE("sodium");
	crypto_core_ristretto255_scalar_random(sk);
	for (size_t i = 0; i < BATCH; i++)
		crypto_core_ristretto255_random(blinded + i * OPRF_ELEMENT_BYTES);
	printf("pseudonymiser\n");
	t = bench_now();
	while (bench_now() - t < 3.0) {
		if (ps_eval_batch(evaluated, proof, &bad, blinded, BATCH, sk) != SK_OK)
			BENCH_DIE("eval");
		n += BATCH;
	}
	bench_report("voprf_per_s", n / (bench_now() - t), "/s",
		     "batched VOPRF evaluations, 1,024 a proof, one core");
	return 0;
}
