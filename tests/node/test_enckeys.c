/* The node's encryption keys on a real LMDB with a simulated clock: a key
 * a week, each valid two weeks and sealed at rest under the data key,
 * expired private keys deleted, every step in the audit log. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "node/enckeys.h"
#include "node/store.h"

#define DAY (24ull * 3600 * 1000)
#define T0 1781524800000ull /* 2026-06-15 12:00 UTC */

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
	key_x25519 *keys;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(sk_init(), SK_OK);
	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "wijkteam-oost", "Wijkteam Oost", "sociaal-team", f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
	f->keys = sodium_malloc(NODE_ENC_LIVE_MAX * sizeof(*f->keys));
	assert_non_null(f->keys);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	sodium_free(f->keys);
	node_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

static size_t live(fixture *f, uint64_t now_ms)
{
	MDB_txn *txn = NULL;
	size_t n = 0;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_enc_keys_load(f->s, txn, now_ms / 1000, f->keys, &n));
	mdb_txn_abort(txn);
	for (size_t i = 0; i < n; i++) { /* each private half matches its public half */
		uint8_t pk[32];

		assert_int_equal(crypto_scalarmult_base(pk, f->keys[i].sk), 0);
		assert_memory_equal(pk, f->keys[i].pk, 32);
	}
	return n;
}

static sk_status count_one(const node_enc_info *k, void *arg)
{
	(void)k;
	(*(size_t *)arg)++;
	return SK_OK;
}

static size_t stored(fixture *f)
{
	size_t n = 0;

	E(node_enc_list(f->s, count_one, &n));
	return n;
}

static void test_weekly_rotation_and_deletion(void **state)
{
	fixture *f = *state;
	uint8_t first[32], pk[32];
	MDB_txn *txn = NULL;
	int made = 0;

	E(node_enc_rotate_local(f->s, T0, 0, &made));
	assert_int_equal(made, 1);
	assert_int_equal(live(f, T0), 1);
	memcpy(first, f->keys[0].pk, 32);
	E(node_enc_rotate_local(f->s, T0 + 6 * DAY, 0, &made));
	assert_int_equal(made, 0); /* not yet a week */
	E(node_enc_rotate_local(f->s, T0 + 7 * DAY, 0, &made));
	assert_int_equal(made, 1);
	assert_int_equal(live(f, T0 + 7 * DAY), 2);
	assert_memory_not_equal(f->keys[0].pk, first, 32); /* newest first */
	assert_memory_equal(f->keys[1].pk, first, 32);
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_enc_current(f->s, txn, pk));
	mdb_txn_abort(txn);
	assert_memory_equal(pk, f->keys[0].pk, 32);
	/* past the first key's two weeks: it is no longer used, then deleted */
	assert_int_equal(live(f, T0 + 15 * DAY), 1);
	assert_int_equal(stored(f), 2);
	E(node_enc_rotate_local(f->s, T0 + 15 * DAY, 0, &made));
	assert_int_equal(made, 1);
	assert_int_equal(stored(f), 2); /* the second and a third */
	assert_int_equal(live(f, T0 + 15 * DAY), 2);
	for (size_t i = 0; i < 2; i++)
		assert_memory_not_equal(f->keys[i].pk, first, 32);
}

static void test_forced_and_sealed_at_rest(void **state)
{
	fixture *f = *state;
	int made = 0;

	E(node_enc_rotate_local(f->s, T0, 0, &made));
	E(node_enc_rotate_local(f->s, T0 + 1000, 1, &made));
	assert_int_equal(made, 1);
	assert_int_equal(live(f, T0 + 1000), 2);
	node_store_close(f->s);
	f->s = NULL;
	/* no private half in the data file */
	{
		char path[4096];
		uint8_t *data = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
		E(sk_file_read(path, 64u << 20, &data, &len));
		for (size_t i = 0; i < 2; i++)
			assert_null(memmem(data, len, f->keys[i].sk, 32));
		free(data);
	}
	E(node_store_open(&f->s, f->dir, f->kek));
	assert_int_equal(live(f, T0 + 1000), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_weekly_rotation_and_deletion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_and_sealed_at_rest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
