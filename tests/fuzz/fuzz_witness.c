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
	char tmpl[] = "/tmp/schakel-fuzz-witness-XXXXXX";
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
		setup();
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
