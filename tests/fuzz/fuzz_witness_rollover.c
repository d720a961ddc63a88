/* The rollover statement and the witness's add-rollover on arbitrary
 * bytes: the statement parser (wire_rollover_parse), the RolloverRequest
 * parser, the chain of a ConsistencyResponse (wire_rollover_links) and
 * wit_add_rollover over an LMDB env whose state is primed
 * with a cosigned tree of 3 leaves of the old log. Fixed keys: the log is
 * Ed25519 seed 01..01 named schakel.example/log (the new log the same key
 * under schakel.example/log/2), the witness seed 02..02 named
 * w1.example/witness; the old tree's leaves are merkle_leaf_hash(byte i),
 * i = 0..7, so the seeds (corpus/witness_rollover/README) reach every
 * check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/merkle.h"
#include "protos/rollover.h"
#include "witness/witness.h"
#include "witness_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses keeps to the bounds it promises. */
static void parsers(const uint8_t *data, size_t size)
{
	Schakel__V1__RolloverRequest *rq = NULL;
	wire_rollover r;

	if (wire_rollover_parse(&r, data, size) == SK_OK) {
		if (r.restored.size > r.witnessed.size || strcmp(r.st->old_origin, r.st->new_origin) == 0)
			abort();
		wire_rollover_free(&r);
	}
	if (wit_rollover_request_parse(&rq, data, size) == SK_OK) {
		if (rq->statement->signature.len != KEY_SIG_BYTES ||
		    rq->inclusion_proof.len > WIRE_ROLLOVER_PROOF_MAX * MERKLE_HASH_BYTES)
			abort();
		if (wire_rollover_parse(&r, rq->statement->body.data, rq->statement->body.len) ==
		    SK_OK)
			wire_rollover_free(&r);
		schakel__v1__rollover_request__free_unpacked(rq, NULL);
	}
	/* a node's view of a chain of rollovers: bounded links of whole hashes */
	{
		Schakel__V1__ConsistencyResponse *cr =
			schakel__v1__consistency_response__unpack(NULL, size, data);
		wire_rollover_link l[WIRE_ROLLOVER_CHAIN_MAX];
		size_t n = 0;

		if (cr != NULL && wire_rollover_links(l, &n, cr) == SK_OK) {
			if (n == 0 || n > WIRE_ROLLOVER_CHAIN_MAX || l[n - 1].checkpoint != NULL)
				abort();
			for (size_t i = 0; i < n; i++) {
				if (l[i].sig->len != KEY_SIG_BYTES ||
				    l[i].n_inc > WIRE_ROLLOVER_PROOF_MAX ||
				    l[i].n_cons > WIRE_ROLLOVER_PROOF_MAX ||
				    (i + 1 < n && l[i].checkpoint == NULL))
					abort();
				if (wire_rollover_parse(&r, l[i].body->data, l[i].body->len) == SK_OK)
					wire_rollover_free(&r);
			}
		}
		if (cr != NULL)
			schakel__v1__consistency_response__free_unpacked(cr, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	wit_reply r;

	if (!ready) {
		setup("rollover");
		ready = 1;
	}
	parsers(data, size);
	wit_add_checkpoint(w, prime_body, prime_len, 1700000000, &r);
	if (r.status != 200)
		abort();
	wit_add_rollover(w, data, size, 1700000000, &r);
	if (r.status == 0 || r.len >= sizeof(r.body) || (r.status == 200 && r.len == 0))
		abort();
	reset();
	return 0;
}
