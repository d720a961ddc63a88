#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"

static sk_status put(MDB_env *env, MDB_dbi dbi, const char *k, const void *v, size_t vlen)
{
	MDB_txn *txn = NULL;
	MDB_val key = {strlen(k), (void *)k}, val = {vlen, (void *)v};
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return sk_db_status(rc);
	if ((rc = mdb_put(txn, dbi, &key, &val, 0)) != 0) {
		mdb_txn_abort(txn);
		return sk_db_status(rc);
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static sk_status get(MDB_env *env, MDB_dbi dbi, const char *k, size_t *vlen)
{
	MDB_txn *txn = NULL;
	MDB_val key = {strlen(k), (void *)k}, val;
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
		return sk_db_status(rc);
	rc = mdb_get(txn, dbi, &key, &val);
	if (rc == 0)
		*vlen = val.mv_size;
	mdb_txn_abort(txn);
	return sk_db_status(rc);
}

static void test_open_modes(void **state)
{
	char *d = t_tmpdir(), p[512];
	MDB_env *env = NULL;
	MDB_dbi dbi;
	struct stat st;
	size_t n;

	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbi(env, "entries", MDB_CREATE, &dbi));
	E(put(env, dbi, "a", "1", 1));
	E(get(env, dbi, "a", &n));
	EFAIL(get(env, dbi, "b", &n), SK_ERR_NOTFOUND);
	EFAIL(sk_db_dbi(env, "absent", 0, &dbi), SK_ERR_NOTFOUND);
	sk_db_close(env);
	E(sk_path_join(p, sizeof(p), d, "data.mdb"));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a loose data dir stops the open with a clear reason */
	assert_int_equal(chmod(d, 0755), 0);
	EFAIL(sk_db_open(&env, d, 0, 0), SK_ERR_PERM);
	assert_null(env);
	assert_int_equal(chmod(d, 0700), 0);
	sk_db_close(NULL);
	t_rmdir(d);
}

/* A full map is a clear error; what was committed stays readable and the
 * env keeps working for reads and for writes that fit. */
static void test_map_full(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_dbi dbi;
	static uint8_t big[64 << 10];
	char k[32];
	size_t n;
	int i;
	sk_status st = SK_OK;

	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbi(env, "blobs", MDB_CREATE, &dbi));
	for (i = 0; i < 64 && st == SK_OK; i++) {
		snprintf(k, sizeof(k), "k%02d", i);
		st = put(env, dbi, k, big, sizeof(big));
	}
	assert_int_equal(st, SK_ERR_DISKFULL);
	assert_non_null(strstr(sk_error_detail(), "full"));
	assert_true(i > 2);
	for (int j = 0; j < i - 1; j++) {
		snprintf(k, sizeof(k), "k%02d", j);
		E(get(env, dbi, k, &n));
		assert_int_equal(n, sizeof(big));
	}
	E(put(env, dbi, "small", "x", 1)); /* still room for a small value? */
	sk_db_close(env);
	t_rmdir(d);
}

/* A store's named databases open together in one write transaction of the
 * caller's: each handle lands in its own field, is distinct and keeps
 * working after the commit; a store's databases are opened again on the
 * next open of the env; more databases than maxdbs is an error. */
struct three {
	MDB_dbi a;
	int pad;
	MDB_dbi b, c;
};

static void test_dbis(void **state)
{
	static const sk_db_named dbs[] = {
		{"alpha", offsetof(struct three, a)},
		{"beta", offsetof(struct three, b)},
		{"gamma", offsetof(struct three, c)},
	};
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	struct three t = {0, 77, 0, 0};
	MDB_dbi solo;
	size_t n;

	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbis(env, dbs, 3, &t, &txn));
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(t.pad, 77);
	assert_true(t.a != t.b && t.b != t.c && t.a != t.c);
	E(put(env, t.a, "k", "1", 1));
	E(put(env, t.b, "k", "22", 2));
	E(put(env, t.c, "k", "333", 3));
	E(get(env, t.b, "k", &n));
	assert_int_equal(n, 2);
	sk_db_close(env);

	/* they exist now: opening by name without MDB_CREATE finds them */
	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbi(env, "gamma", 0, &solo));
	E(get(env, solo, "k", &n));
	assert_int_equal(n, 3);
	sk_db_close(env);

	/* a fifth named database does not fit in maxdbs = 4 */
	{
		static const sk_db_named five[] = {
			{"alpha", offsetof(struct three, a)}, {"beta", offsetof(struct three, b)},
			{"gamma", offsetof(struct three, c)}, {"delta", offsetof(struct three, a)},
			{"epsilon", offsetof(struct three, b)},
		};

		E(sk_db_open(&env, d, 1 << 20, 4));
		assert_int_not_equal(sk_db_dbis(env, five, 5, &t, &txn), SK_OK);
		assert_null(txn);
		/* nothing was left open: a write transaction begins at once */
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		mdb_txn_abort(txn);
		sk_db_close(env);
	}
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_modes),
		cmocka_unit_test(test_map_full),
		cmocka_unit_test(test_dbis),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
