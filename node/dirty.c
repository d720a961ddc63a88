#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "node/client.h"
#include "node/dirty.h"

#define META_DIRTY_GEN "dirty.gen"

sk_status node_dirty_mark(node_store *s, MDB_txn *txn, const char *client)
{
	uint8_t v[8];
	MDB_val k = {strlen(client), (void *)client}, d = {sizeof(v), v};
	uint64_t gen = 0;
	sk_status st;

	if (k.mv_size == 0 || k.mv_size > NODE_CLIENT_ID_MAX)
		return SK_ERR_INVALID;
	if ((st = node_meta_u64(s, txn, META_DIRTY_GEN, 0, &gen)) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, META_DIRTY_GEN, gen + 1)) != SK_OK)
		return st;
	sk_be64_put(v, gen + 1);
	return sk_db_status(mdb_put(txn, s->dirty, &k, &d, 0));
}

sk_status node_dirty_scan(node_store *s, MDB_txn *txn, node_dirty_fn fn, void *arg)
{
	char client[NODE_CLIENT_ID_MAX + 1];
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->dirty, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > NODE_CLIENT_ID_MAX || d.mv_size != 8) {
			st = SK_ERR_DB;
			break;
		}
		memcpy(client, k.mv_data, k.mv_size);
		client[k.mv_size] = 0;
		st = fn(client, sk_be64_get(d.mv_data), arg);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

sk_status node_dirty_clear(node_store *s, MDB_txn *txn, const char *client, uint64_t gen,
			   int *cleared)
{
	MDB_val k = {strlen(client), (void *)client}, d;
	int rc;

	if (cleared != NULL)
		*cleared = 0;
	if ((rc = mdb_get(txn, s->dirty, &k, &d)) == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != 8)
		return SK_ERR_DB;
	if (sk_be64_get(d.mv_data) != gen)
		return SK_OK;
	if ((rc = mdb_del(txn, s->dirty, &k, NULL)) != 0)
		return sk_db_status(rc);
	if (cleared != NULL)
		*cleared = 1;
	return SK_OK;
}
