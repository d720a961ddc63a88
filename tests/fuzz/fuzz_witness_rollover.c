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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORIGIN "schakel.example/log"
#define LEAVES 8

static MDB_env *env;
static note_signer *log_signer, *cosigner;
static wit_witness *w;
static uint8_t *prime_body;
static size_t prime_len;
static char env_dir[64];

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/data.mdb", env_dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", env_dir);
	remove(path);
	remove(env_dir);
}

static void setup(void)
{
	char tmpl[] = "/tmp/schakel-fuzz-rollover-XXXXXX";
	uint8_t seed[NOTE_SEED_BYTES], leaves[LEAVES][MERKLE_HASH_BYTES], *note = NULL;
	note_checkpoint cp = {ORIGIN, 3, {0}, NULL, 0};
	note_verifier v;
	merkle_mem mem = {&leaves[0][0], LEAVES};
	merkle_source src;
	size_t nlen = 0;

	if (sodium_init() < 0 || mkdtemp(tmpl) == NULL)
		abort();
	memcpy(env_dir, tmpl, sizeof(tmpl));
	atexit(cleanup);
	memset(seed, 1, sizeof(seed));
	if (note_signer_from_seed(&log_signer, ORIGIN, NOTE_TYPE_ED25519, seed) != SK_OK)
		abort();
	memset(seed, 2, sizeof(seed));
	if (note_signer_from_seed(&cosigner, "w1.example/witness", NOTE_TYPE_COSIG, seed) != SK_OK)
		abort();
	note_signer_verifier(&v, log_signer);
	/* the harness's own env: no fsync per input (never in the product) */
	if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0 ||
	    mdb_env_set_mapsize(env, 64u << 20) != 0 ||
	    mdb_env_open(env, tmpl, MDB_NOSYNC | MDB_NOTLS, 0600) != 0 ||
	    wit_open(&w, env, &v, 1, cosigner) != SK_OK)
		abort();
	for (uint8_t i = 0; i < LEAVES; i++)
		merkle_leaf_hash(leaves[i], &i, 1);
	merkle_mem_source(&src, &mem);
	if (merkle_root(cp.root, &src, 3) != SK_OK ||
	    note_checkpoint_sign(&note, &nlen, &cp, log_signer) != SK_OK ||
	    wit_request_format(&prime_body, &prime_len, 0, NULL, 0, note, nlen) != SK_OK)
		abort();
	free(note);
}

static void reset(void)
{
	MDB_txn *txn;
	MDB_dbi dbi;

	if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_dbi_open(txn, WIT_DBI, 0, &dbi) != 0 ||
	    mdb_drop(txn, dbi, 0) != 0 || mdb_txn_commit(txn) != 0)
		abort();
}

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
		setup();
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
