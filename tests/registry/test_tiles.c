#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "protos/wire.h"
#include "registry/tiles.h"

#define N 600
#define MEMBER_LEAF 3

/* Tile paths per C2SP tlog-tiles, and nothing else. */
static void test_parse(void **state)
{
	static const char *bad[] = {
		"/tile/0/1", "/tile/0/0001", "/tile/8/000", "/tile/00/000", "/tile/0/x000/001",
		"/tile/0/001.p/0", "/tile/0/001.p/256", "/tile/0/001.p/07", "/tile/0/001.p/",
		"/tile/0/001/", "/tile/0/x1/001", "/tile/entries/x001", "/tile/0/001.q/5",
		"/tile/0/x001/x002/x003/x004/x005/x006/007", "/checkpoint", "/tile/0/0a1",
	};
	reg_tile t;

	(void)state;
	E(reg_tile_parse(&t, "/tile/0/000"));
	assert_int_equal(t.entries, 0);
	assert_int_equal(t.level, 0);
	assert_int_equal(t.index, 0);
	assert_int_equal(t.width, 256);
	E(reg_tile_parse(&t, "/tile/1/x001/x234/067.p/8"));
	assert_int_equal(t.level, 1);
	assert_int_equal(t.index, 1234067);
	assert_int_equal(t.width, 8);
	E(reg_tile_parse(&t, "/tile/entries/002.p/255"));
	assert_int_equal(t.entries, 1);
	assert_int_equal(t.index, 2);
	assert_int_equal(t.width, 255);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (reg_tile_parse(&t, bad[i]) == SK_OK)
			fail_msg("accepted %s", bad[i]);
}

/* Tiles read from the log equal the subtree hashes computed over the same
 * leaves in memory; an entry bundle holds member leaves in full (hashing to
 * the level-0 tile) and empty placeholders for the others. */
static void test_read(void **state)
{
	char *d = t_tmpdir();
	reg_store s;
	MDB_txn *txn = NULL;
	static uint8_t leaves[N][MERKLE_HASH_BYTES];
	uint8_t body[10] = "member-ev", sig[WIRE_LEAF_SIG_BYTES], *out = NULL, want[32], got[32];
	uint8_t stored[1 + sizeof(body) + sizeof(sig)], key[8] = {0};
	merkle_mem mem = {&leaves[0][0], N};
	merkle_source src;
	size_t len = 0;
	uint64_t idx;
	reg_tile t;

	(void)state;
	E(sk_init());
	memset(&s, 0, sizeof(s));
	E(sk_db_open(&s.env, d, 64 << 20, 8));
	E(reg_log_open(&s.log, s.env));
	E(sk_db_dbi(s.env, "leafdata", MDB_CREATE, &s.leafdata));
	randombytes_buf(sig, sizeof(sig));
	assert_int_equal(mdb_txn_begin(s.env, NULL, 0, &txn), 0);
	for (uint64_t i = 0; i < N; i++) {
		if (i == MEMBER_LEAF)
			E(wire_leaf_hash(leaves[i], WIRE_LEAF_MEMBER, body, sizeof(body), sig));
		else
			randombytes_buf(leaves[i], 32);
		E(reg_log_append(&s.log, txn, leaves[i], &idx));
	}
	stored[0] = WIRE_LEAF_MEMBER;
	memcpy(stored + 1, body, sizeof(body));
	memcpy(stored + 1 + sizeof(body), sig, sizeof(sig));
	key[7] = MEMBER_LEAF;
	assert_int_equal(mdb_put(txn, s.leafdata, &(MDB_val){8, key},
				 &(MDB_val){sizeof(stored), stored}, 0), 0);
	merkle_mem_source(&src, &mem);

	/* level 0: a full tile and the partial one of the current size */
	E(reg_tile_parse(&t, "/tile/0/001"));
	E(reg_tile_read(&s, txn, &t, &out, &len));
	assert_int_equal(len, 256 * 32);
	assert_memory_equal(out, leaves[256], len);
	free(out);
	E(reg_tile_parse(&t, "/tile/0/002.p/88"));
	E(reg_tile_read(&s, txn, &t, &out, &len));
	assert_int_equal(len, 88 * 32);
	assert_memory_equal(out, leaves[512], len);
	free(out);
	/* level 1: the roots of the two full level-0 tiles */
	E(reg_tile_parse(&t, "/tile/1/000.p/2"));
	E(reg_tile_read(&s, txn, &t, &out, &len));
	assert_int_equal(len, 64);
	for (int i = 0; i < 2; i++) {
		merkle_mem m = {&leaves[i * 256][0], 256};
		merkle_source ms;

		merkle_mem_source(&ms, &m);
		E(merkle_root(want, &ms, 256));
		assert_memory_equal(out + 32 * i, want, 32);
	}
	/* the tree's root from the tiles: two level-1 hashes, then the rest */
	{
		merkle_mem m = {&leaves[512][0], 88};
		merkle_source ms;
		uint8_t rest[32], full[32];

		merkle_mem_source(&ms, &m);
		E(merkle_root(rest, &ms, 88));
		merkle_node_hash(full, out, out + 32);
		merkle_node_hash(got, full, rest);
		E(merkle_root(want, &src, N));
		assert_memory_equal(got, want, 32);
	}
	free(out);
	/* not (yet) in the tree */
	E(reg_tile_parse(&t, "/tile/0/002"));
	EFAIL(reg_tile_read(&s, txn, &t, &out, &len), SK_ERR_NOTFOUND);
	E(reg_tile_parse(&t, "/tile/0/002.p/89"));
	EFAIL(reg_tile_read(&s, txn, &t, &out, &len), SK_ERR_NOTFOUND);
	E(reg_tile_parse(&t, "/tile/1/000"));
	EFAIL(reg_tile_read(&s, txn, &t, &out, &len), SK_ERR_NOTFOUND);
	E(reg_tile_parse(&t, "/tile/2/000.p/1"));
	EFAIL(reg_tile_read(&s, txn, &t, &out, &len), SK_ERR_NOTFOUND);

	/* entry bundle 0: leaf 3 in full, the others empty */
	E(reg_tile_parse(&t, "/tile/entries/000"));
	E(reg_tile_read(&s, txn, &t, &out, &len));
	{
		size_t pos = 0, n = 0;

		while (pos < len) {
			size_t l = (size_t)out[pos] << 8 | out[pos + 1];

			pos += 2;
			if (n == MEMBER_LEAF) {
				assert_int_equal(l, 1 + 4 + sizeof(body) + sizeof(sig));
				merkle_leaf_hash(got, out + pos, l);
				assert_memory_equal(got, leaves[MEMBER_LEAF], 32);
			} else {
				assert_int_equal(l, 0);
			}
			pos += l;
			n++;
		}
		assert_int_equal(n, 256);
		assert_int_equal(pos, len);
	}
	free(out);
	mdb_txn_abort(txn);
	sk_db_close(s.env);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
