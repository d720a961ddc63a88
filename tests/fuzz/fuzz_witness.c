/* The witness's parsers and its add-checkpoint logic on arbitrary bytes:
 * the request body parser (whatever parses must format back to the same
 * bytes: the format is canonical), the HTTP response parser of the client,
 * and wit_add_checkpoint over an LMDB env, with the state primed to a tree
 * of 3 leaves unless the input starts "old 0\n". Fixed keys: the log is Ed25519 seed
 * 01..01 named schakel.example/log, the witness seed 02..02 named
 * w1.example/witness (type 0x04), and the tree's leaves are
 * merkle_leaf_hash(byte i) for i = 0..7, so seeds signed with them (see
 * corpus/witness/README) reach the consistency checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/merkle.h"
#include "witness/https.h"
#include "witness/witness.h"
#include "witness_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void request_roundtrip(const uint8_t *data, size_t size)
{
	wit_request *rq = malloc(sizeof(*rq));
	uint8_t *again = NULL;
	size_t len = 0;

	if (rq == NULL)
		abort();
	if (wit_request_parse(rq, data, size) == SK_OK) {
		if (wit_request_format(&again, &len, rq->old_size, rq->proof, rq->proof_len,
				       rq->note, rq->note_len) != SK_OK ||
		    len != size || memcmp(again, data, size) != 0)
			abort();
		free(again);
	}
	free(rq);
}

static void response(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	size_t blen;
	char ct[64];
	int status;

	if (wit_http_response_parse(data, size, &status, ct, sizeof(ct), &body, &blen) == SK_OK &&
	    (body < data || body + blen > data + size || status < 100 || status > 599 ||
	     strlen(ct) >= sizeof(ct)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	wit_reply r;

	if (!ready) {
		setup("witness");
		ready = 1;
	}
	request_roundtrip(data, size);
	response(data, size);
	if (size < 6 || memcmp(data, "old 0\n", 6) != 0) {
		wit_add_checkpoint(w, prime_body, prime_len, 1700000000, &r);
		if (r.status != 200)
			abort();
	}
	wit_add_checkpoint(w, data, size, 1700000000, &r);
	if (r.status == 0 || r.len >= sizeof(r.body) || (r.status == 200 && r.len == 0))
		abort();
	reset();
	return 0;
}
