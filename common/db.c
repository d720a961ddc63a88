#include <errno.h>
#include <stdlib.h>

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
		sk_error_set("the database is full (%s); free disk space or raise the map size "
			     "(%s) and restart", mdb_strerror(rc), SK_DB_MAPSIZE_ENV);
		return SK_ERR_DISKFULL;
	case ENOMEM:
		return SK_ERR_NOMEM;
	default:
		sk_error_set("database error: %s", mdb_strerror(rc));
		return SK_ERR_DB;
	}
}

sk_status sk_db_mapsize(size_t *mapsize)
{
	const char *v = getenv(SK_DB_MAPSIZE_ENV);
	unsigned long long n = 0, mul = 1;
	char *end = NULL;

	*mapsize = SK_DB_MAPSIZE_DEFAULT;
	if (v == NULL || v[0] == '\0')
		return SK_OK;
	errno = 0;
	if (v[0] >= '0' && v[0] <= '9')
		n = strtoull(v, &end, 10);
	if (end != NULL && errno == 0 && end[0] != '\0' && end[1] == '\0') {
		mul = end[0] == 'K' || end[0] == 'k' ? 1ull << 10
		      : end[0] == 'M' || end[0] == 'm' ? 1ull << 20
		      : end[0] == 'G' || end[0] == 'g' ? 1ull << 30
							: 0;
		end++;
	}
	if (end == NULL || errno != 0 || end[0] != '\0' || mul == 0 || n > (1ull << 40) / mul ||
	    n * mul < SK_DB_MAPSIZE_MIN || n * mul > (1ull << 40)) {
		sk_error_set("%s='%.40s' is not a map size between 256K and 1024G (e.g. 64G)",
			     SK_DB_MAPSIZE_ENV, v);
		return SK_ERR_INVALID;
	}
	*mapsize = (size_t)(n * mul);
	return SK_OK;
}

sk_status sk_db_open(MDB_env **out, const char *dir, size_t mapsize, unsigned maxdbs)
{
	MDB_env *env = NULL;
	sk_status st;
	int rc, dead = 0;

	*out = NULL;
	if ((st = sk_dir_check(dir)) != SK_OK || (mapsize == 0 && (st = sk_db_mapsize(&mapsize)) != SK_OK))
		return st;
	if ((rc = mdb_env_create(&env)) != 0)
		return sk_db_status(rc);
	if ((rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
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

sk_status sk_db_room(MDB_env *env)
{
	MDB_envinfo info;
	MDB_stat ms;
	size_t used, reserve;
	int rc;

	if ((rc = mdb_env_info(env, &info)) != 0 || (rc = mdb_env_stat(env, &ms)) != 0)
		return sk_db_status(rc);
	used = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
	reserve = info.me_mapsize / 8 < SK_DB_RESERVE_MAX ? info.me_mapsize / 8 : SK_DB_RESERVE_MAX;
	if (used + reserve <= info.me_mapsize)
		return SK_OK;
	sk_error_set("the database is full (%zu of %zu bytes in use; the rest is kept for audit "
		     "records); free disk space or raise the map size (%s) and restart",
		     used, info.me_mapsize, SK_DB_MAPSIZE_ENV);
	return SK_ERR_DISKFULL;
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

sk_status sk_db_dbis(MDB_env *env, const sk_db_named *dbs, size_t n, void *base, MDB_txn **txn)
{
	int rc;

	*txn = NULL;
	if ((rc = mdb_txn_begin(env, NULL, 0, txn)) != 0) {
		*txn = NULL;
		return sk_db_status(rc);
	}
	for (size_t i = 0; i < n; i++) {
		rc = mdb_dbi_open(*txn, dbs[i].name, MDB_CREATE, (MDB_dbi *)((char *)base + dbs[i].off));
		if (rc != 0) {
			mdb_txn_abort(*txn);
			*txn = NULL;
			return sk_db_status(rc);
		}
	}
	return SK_OK;
}
