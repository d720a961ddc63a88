/* SCHAKEL_MAP_SIZE, the reserve (sk_db_room) and a full map: writes fail with SK_ERR_DISKFULL, reads
 * go on, and a larger map after a reopen takes writes again. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"

static sk_status put(MDB_env *env, MDB_dbi dbi, unsigned i)
{
	char key[16], val[1000];
	MDB_txn *txn = NULL;
	MDB_val k = {0, key}, d = {sizeof(val), val};
	int rc;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "k%08u", i);
	memset(val, (int)i, sizeof(val));
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return sk_db_status(rc);
	if ((rc = mdb_put(txn, dbi, &k, &d, 0)) != 0) {
		mdb_txn_abort(txn);
		return sk_db_status(rc);
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static void test_env(void **state)
{
	size_t m = 0;

	(void)state;
	unsetenv(SK_DB_MAPSIZE_ENV);
	E(sk_db_mapsize(&m));
	assert_int_equal(m, SK_DB_MAPSIZE_DEFAULT);
	setenv(SK_DB_MAPSIZE_ENV, "64M", 1);
	E(sk_db_mapsize(&m));
	assert_int_equal(m, (size_t)64 << 20);
	setenv(SK_DB_MAPSIZE_ENV, "1048576", 1);
	E(sk_db_mapsize(&m));
	assert_int_equal(m, (size_t)1 << 20);
	const char *bad[] = {"", "x", "12", "64MB", "-1M", "2000G", "1.5G", "99999999999999999999G"};
	for (size_t i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(SK_DB_MAPSIZE_ENV, bad[i], 1);
		EFAIL(sk_db_mapsize(&m), SK_ERR_INVALID);
	}
	unsetenv(SK_DB_MAPSIZE_ENV);
}

static void test_full(void **state)
{
	char *dir = t_tmpdir();
	MDB_env *env = NULL;
	MDB_dbi dbi;
	MDB_txn *txn = NULL;
	MDB_val k = {9, "k00000001"}, d;
	unsigned n = 0;
	sk_status st;

	(void)state;
	setenv(SK_DB_MAPSIZE_ENV, "256K", 1);
	E(sk_db_open(&env, dir, 0, 0));
	E(sk_db_dbi(env, "t", MDB_CREATE, &dbi));
	E(sk_db_room(env));
	while ((st = put(env, dbi, ++n)) == SK_OK && n < 10000)
		;
	assert_int_equal(st, SK_ERR_DISKFULL);
	assert_true(n > 10);
	assert_non_null(strstr(sk_error_detail(), "raise the map size"));
	/* the reserve was reached before the map's end */
	EFAIL(sk_db_room(env), SK_ERR_DISKFULL);
	assert_non_null(strstr(sk_error_detail(), "kept for audit records"));
	/* reads go on */
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &d), 0);
	assert_int_equal(d.mv_size, 1000);
	mdb_txn_abort(txn);
	sk_db_close(env);
	/* a larger map takes the write that failed */
	setenv(SK_DB_MAPSIZE_ENV, "4M", 1);
	E(sk_db_open(&env, dir, 0, 0));
	E(sk_db_dbi(env, "t", 0, &dbi));
	E(put(env, dbi, n));
	E(sk_db_room(env));
	sk_db_close(env);
	unsetenv(SK_DB_MAPSIZE_ENV);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_full),
	};

	E(sk_init());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
