/* What the witness harnesses (fuzz_witness, fuzz_witness_rollover)
 * share: a witness over an LMDB env of their own in a temp dir, fixed keys
 * (the log Ed25519 seed 01..01 named schakel.example/log, the witness seed
 * 02..02 named w1.example/witness, type 0x04), the old tree's leaves
 * merkle_leaf_hash(byte i) for i = 0..7, and prime_body: the
 * add-checkpoint request that primes the witness to a cosigned tree of 3
 * leaves. Included by one translation unit each. */
#ifndef SK_FUZZ_WITNESS_FX_H
#define SK_FUZZ_WITNESS_FX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/merkle.h"
#include "witness/witness.h"

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

static void setup(const char *name)
{
	char tmpl[64];
	uint8_t seed[NOTE_SEED_BYTES], leaves[LEAVES][MERKLE_HASH_BYTES], *note = NULL;
	note_checkpoint cp = {ORIGIN, 3, {0}, NULL, 0};
	note_verifier v;
	merkle_mem mem = {&leaves[0][0], LEAVES};
	merkle_source src;
	size_t nlen = 0;

	snprintf(tmpl, sizeof(tmpl), "/tmp/schakel-fuzz-%s-XXXXXX", name);
	if (sodium_init() < 0 || mkdtemp(tmpl) == NULL)
		abort();
	memcpy(env_dir, tmpl, sizeof(env_dir));
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

#endif
