#include <errno.h>

#include "common/db.h"
#include "common/file.h"

sk_status sk_db_status(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return SK_OK;
	case MDB_NOTFOUND:
		return SK_ERR_NOTFOUND;
	case MDB_KEYEXIST:
		return SK_ERR_EXISTS;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
		sk_error_set("the database is full (%s); free disk space or raise the map size",
			     mdb_strerror(rc));
		return SK_ERR_DISKFULL;
	case ENOMEM:
		return SK_ERR_NOMEM;
	default:
		sk_error_set("database error: %s", mdb_strerror(rc));
		return SK_ERR_DB;
	}
}

sk_status sk_db_open(MDB_env **out, const char *dir, size_t mapsize, unsigned maxdbs)
{
	MDB_env *env = NULL;
	sk_status st;
	int rc, dead = 0;

	*out = NULL;
	if ((st = sk_dir_check(dir)) != SK_OK)
		return st;
	if ((rc = mdb_env_create(&env)) != 0)
		return sk_db_status(rc);
	if ((rc = mdb_env_set_mapsize(env, mapsize ? mapsize : SK_DB_MAPSIZE_DEFAULT)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, maxdbs ? maxdbs : SK_DB_MAXDBS)) != 0 ||
	    (rc = mdb_env_set_maxreaders(env, 256)) != 0)
		goto fail;
	if ((rc = mdb_env_open(env, dir, MDB_NOTLS, 0600)) != 0) {
		st = sk_db_status(rc);
		sk_error_set("cannot open the database in %s: %s", dir, mdb_strerror(rc));
		mdb_env_close(env);
		return st;
	}
	if ((rc = mdb_reader_check(env, &dead)) != 0)
		goto fail;
	*out = env;
	return SK_OK;
fail:
	mdb_env_close(env);
	return sk_db_status(rc);
}

void sk_db_close(MDB_env *env)
{
	if (env != NULL)
		mdb_env_close(env);
}

sk_status sk_db_dbi(MDB_env *env, const char *name, unsigned flags, MDB_dbi *dbi)
{
	MDB_txn *txn = NULL;
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return sk_db_status(rc);
	if ((rc = mdb_dbi_open(txn, name, flags, dbi)) != 0) {
		mdb_txn_abort(txn);
		return sk_db_status(rc);
	}
	return sk_db_status(mdb_txn_commit(txn));
}
