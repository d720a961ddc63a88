#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "node/inboxkey.h"

/* The highest key in inbox below limit (0: none), or below every key when
 * limit is UINT64_MAX. */
static sk_status last_below(MDB_txn *txn, MDB_dbi inbox, uint64_t limit, uint64_t *last)
{
	MDB_cursor *cur = NULL;
	uint8_t b[8];
	MDB_val k = {8, b}, d;
	sk_status st;
	int rc;

	*last = 0;
	if ((st = sk_db_status(mdb_cursor_open(txn, inbox, &cur))) != SK_OK)
		return st;
	sk_be64_put(b, limit);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(cur, &k, &d, MDB_PREV) : mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc == 0 && k.mv_size == 8 && sk_be64_get(k.mv_data) < limit)
		*last = sk_be64_get(k.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

sk_status node_inboxkey_next(MDB_txn *txn, MDB_dbi inbox, uint64_t counter, uint64_t *key)
{
	uint64_t last;
	sk_status st;

	if ((st = last_below(txn, inbox, UINT64_MAX, &last)) != SK_OK)
		return st;
	if (counter <= last)
		counter = last + 1;
	if (counter == 0 || counter >= UINT64_MAX - 1)
		return SK_ERR_TOOBIG;
	*key = counter;
	return SK_OK;
}

sk_status node_inboxkey_upgrade(MDB_txn *txn, MDB_dbi inbox, uint64_t *next, size_t *moved)
{
	MDB_cursor *cur = NULL;
	uint8_t b[8];
	MDB_val k = {8, b}, d;
	uint64_t last;
	sk_status st;
	int rc;

	*moved = 0;
	if ((st = last_below(txn, inbox, NODE_INBOXKEY_OLD_ALERTS, &last)) != SK_OK)
		return st;
	*next = last + 1;
	/* the alerts, oldest leaf first (their keys count down): each is
	 * put under the next key, then deleted from the top */
	for (;;) {
		uint8_t *val;
		MDB_val nk = {8, b}, nd;

		if ((st = sk_db_status(mdb_cursor_open(txn, inbox, &cur))) != SK_OK)
			return st;
		rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
		if (rc != 0 || k.mv_size != 8 || sk_be64_get(k.mv_data) < NODE_INBOXKEY_OLD_ALERTS) {
			mdb_cursor_close(cur);
			if (rc != 0 && rc != MDB_NOTFOUND)
				return sk_db_status(rc);
			break;
		}
		if ((val = malloc(d.mv_size ? d.mv_size : 1)) == NULL) {
			mdb_cursor_close(cur);
			return SK_ERR_NOMEM;
		}
		memcpy(val, d.mv_data, d.mv_size);
		nd = (MDB_val){d.mv_size, val};
		st = sk_db_status(mdb_cursor_del(cur, 0));
		mdb_cursor_close(cur);
		sk_be64_put(b, *next);
		if (st == SK_OK)
			st = sk_db_status(mdb_put(txn, inbox, &nk, &nd, MDB_NOOVERWRITE));
		free(val);
		if (st != SK_OK)
			return st;
		(*next)++;
		(*moved)++;
	}
	return SK_OK;
}
