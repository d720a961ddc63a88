#include <stdlib.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "registry/log.h"

#define ORIGIN "example.org/log"
#define N 300

/* Sets the tree's key layout before the log is opened, as an older store
 * has it. */
static void preset_layout(MDB_env *env, const char *v)
{
	MDB_dbi meta;
	MDB_txn *txn = NULL;
	MDB_val k = {15, "log.tree.layout"}, d = {1, (void *)v};

	E(sk_db_dbi(env, "meta", MDB_CREATE, &meta));
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &d, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
}

/* Appending leaf by leaf gives the roots and proofs of RFC 9162 computed
 * over the same leaves in memory, for every size, in both key layouts of
 * the tree; a new store gets layout 1, whose newest nodes are its last
 * keys, and a store keeps its layout when opened again. */
static void append_roots_proofs(const char *preset, int layout)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	reg_log log, again;
	static uint8_t leaves[N][MERKLE_HASH_BYTES];
	uint8_t want[32], got[32], proof[MERKLE_PROOF_BYTES];
	merkle_mem mem = {&leaves[0][0], 0};
	merkle_source msrc, lsrc;
	struct reg_log_ctx lctx;
	uint64_t idx, size;
	size_t plen;

	E(sk_db_open(&env, d, 64 << 20, 8));
	if (preset != NULL)
		preset_layout(env, preset);
	E(reg_log_open(&log, env));
	assert_int_equal(log.layout, layout);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (uint64_t i = 0; i < N; i++) {
		randombytes_buf(leaves[i], 32);
		E(reg_log_append(&log, txn, leaves[i], &idx));
		assert_int_equal(idx, i);
		mem.size = i + 1;
		merkle_mem_source(&msrc, &mem);
		E(merkle_root(want, &msrc, i + 1));
		E(reg_log_root(&log, txn, i + 1, got));
		assert_memory_equal(want, got, 32);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);

	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	E(reg_log_size(&log, txn, &size));
	assert_int_equal(size, N);
	reg_log_source(&lsrc, &lctx, &log, txn);
	for (uint64_t n = 1; n <= N; n += 37) {
		E(reg_log_root(&log, txn, n, want));
		for (uint64_t i = 0; i < n; i += 7) {
			E(merkle_inclusion_proof(proof, &plen, &lsrc, i, n));
			E(merkle_inclusion_verify(want, leaves[i], i, n, proof, plen));
		}
		for (uint64_t m = 1; m <= n; m += 11) {
			E(reg_log_root(&log, txn, m, got));
			E(merkle_consistency_proof(proof, &plen, &lsrc, m, n));
			E(merkle_consistency_verify(got, want, m, n, proof, plen));
		}
	}
	/* layout 1: the last key is a node of the last leaf */
	assert_int_equal(mdb_cursor_open(txn, log.tree, &cur), 0);
	assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_LAST), 0);
	assert_int_equal(k.mv_size, 9);
	if (layout == 1) {
		uint64_t last = 0;

		for (int i = 0; i < 8; i++)
			last = last << 8 | ((const uint8_t *)k.mv_data)[i];
		assert_int_equal(last, N - 1);
	} else {
		assert_true(((const uint8_t *)k.mv_data)[0] > 0); /* the highest level */
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	E(reg_log_open(&again, env));
	assert_int_equal(again.layout, layout);
	sk_db_close(env);
	t_rmdir(d);
}

/* A store from before the layout marker: a tree with nodes and no marker
 * is read in layout 0, and the marker is written so. */
static void test_layout_of_older_store(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_val k = {15, "log.tree.layout"}, v;
	reg_log log;
	uint8_t leaf[32] = {7}, r1[32], r2[32];
	uint64_t idx;

	(void)state;
	E(sk_db_open(&env, d, 16 << 20, 8));
	preset_layout(env, "0");
	E(reg_log_open(&log, env));
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (int i = 0; i < 5; i++)
		E(reg_log_append(&log, txn, leaf, &idx));
	E(reg_log_root(&log, txn, 5, r1));
	assert_int_equal(mdb_del(txn, log.meta, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	E(reg_log_open(&log, env));
	assert_int_equal(log.layout, 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	E(reg_log_root(&log, txn, 5, r2));
	assert_memory_equal(r1, r2, 32);
	assert_int_equal(mdb_get(txn, log.meta, &k, &v), 0);
	assert_int_equal(v.mv_size, 1);
	assert_int_equal(((const char *)v.mv_data)[0], '0');
	mdb_txn_abort(txn);
	sk_db_close(env);
	t_rmdir(d);
}

static void test_append_roots_proofs(void **state)
{
	(void)state;
	append_roots_proofs(NULL, 1);
	append_roots_proofs("0", 0);
	append_roots_proofs("1", 1);
}

static void test_checkpoint(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	reg_log log;
	note_signer *key = NULL, *other = NULL;
	note_verifier v, vo;
	note_checkpoint cp;
	uint8_t leaf[32] = {9}, root[32], *note = NULL, *note2 = NULL;
	size_t len, len2;
	uint64_t idx, size;

	E(sk_db_open(&env, d, 16 << 20, 8));
	E(reg_log_open(&log, env));
	E(note_signer_generate(&key, ORIGIN, NOTE_TYPE_ED25519));
	E(note_signer_generate(&other, ORIGIN, NOTE_TYPE_ED25519));
	note_signer_verifier(&v, key);
	note_signer_verifier(&vo, other);

	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	EFAIL(reg_log_checkpoint(&log, txn, &note, &len, &size), SK_ERR_NOTFOUND);
	E(reg_log_checkpoint_update(&log, txn, key, ORIGIN)); /* the empty tree */
	E(reg_log_checkpoint(&log, txn, &note, &len, &size));
	assert_int_equal(size, 0);
	E(note_checkpoint_open(&cp, NULL, note, len, &v, NULL, 0));
	assert_int_equal(cp.size, 0);
	merkle_empty_root(root);
	assert_memory_equal(cp.root, root, 32);
	/* no growth, no new checkpoint */
	E(reg_log_checkpoint_update(&log, txn, key, ORIGIN));
	E(reg_log_checkpoint(&log, txn, &note2, &len2, &size));
	assert_int_equal(len, len2);
	assert_memory_equal(note, note2, len);
	free(note);
	free(note2);

	E(reg_log_append(&log, txn, leaf, &idx));
	E(reg_log_checkpoint_update(&log, txn, key, ORIGIN));
	assert_int_equal(mdb_txn_commit(txn), 0);

	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	E(reg_log_checkpoint(&log, txn, &note, &len, &size));
	assert_int_equal(size, 1);
	E(note_checkpoint_open(&cp, NULL, note, len, &v, NULL, 0));
	assert_int_equal(cp.size, 1);
	E(reg_log_root(&log, txn, 1, root));
	assert_memory_equal(cp.root, root, 32);
	/* another key of the same name does not open it */
	EFAIL(note_checkpoint_open(&cp, NULL, note, len, &vo, NULL, 0), SK_ERR_VERIFY);
	free(note);
	mdb_txn_abort(txn);
	note_signer_free(key);
	note_signer_free(other);
	sk_db_close(env);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_roots_proofs),
		cmocka_unit_test(test_layout_of_older_store),
		cmocka_unit_test(test_checkpoint),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
