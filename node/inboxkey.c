#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "node/inboxkey.h"

static sk_status counter_get(MDB_txn *txn, MDB_dbi meta, uint64_t *v, int *found)
{
	MDB_val k = {strlen(NODE_META_INBOX_NEXT), NODE_META_INBOX_NEXT}, d;
	int rc = mdb_get(txn, meta, &k, &d);

	*v = 0;
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != 8)
		return SK_ERR_DB;
	*v = sk_be64_get(d.mv_data);
	return SK_OK;
}

static sk_status counter_put(MDB_txn *txn, MDB_dbi meta, uint64_t v)
{
	uint8_t b[8];
	MDB_val k = {strlen(NODE_META_INBOX_NEXT), NODE_META_INBOX_NEXT}, d = {8, b};

	sk_be64_put(b, v);
	return sk_db_status(mdb_put(txn, meta, &k, &d, 0));
}

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

sk_status node_inboxkey_next(MDB_txn *txn, MDB_dbi meta, MDB_dbi inbox, uint64_t *key)
{
	uint64_t next, last;
	sk_status st;
	int found;

	/* the counter, and never below a key in use (a store written around
	 * this module, e.g. by a benchmark, still gets no key twice) */
	if ((st = counter_get(txn, meta, &next, &found)) != SK_OK ||
	    (st = last_below(txn, inbox, UINT64_MAX, &last)) != SK_OK)
		return st;
	if (next <= last)
		next = last + 1;
	if (next == 0 || next == UINT64_MAX)
		return SK_ERR_TOOBIG;
	*key = next;
	return counter_put(txn, meta, next + 1);
}

sk_status node_inboxkey_upgrade(MDB_txn *txn, MDB_dbi meta, MDB_dbi inbox, size_t *moved)
{
	MDB_cursor *cur = NULL;
	uint8_t b[8];
	MDB_val k = {8, b}, d;
	uint64_t next, last;
	sk_status st;
	int found, rc;

	*moved = 0;
	if ((st = counter_get(txn, meta, &next, &found)) != SK_OK || found)
		return st;
	if ((st = last_below(txn, inbox, NODE_INBOXKEY_OLD_ALERTS, &last)) != SK_OK)
		return st;
	next = last + 1;
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
		sk_be64_put(b, next);
		if (st == SK_OK)
			st = sk_db_status(mdb_put(txn, inbox, &nk, &nd, MDB_NOOVERWRITE));
		free(val);
		if (st != SK_OK)
			return st;
		next++;
		(*moved)++;
	}
	return counter_put(txn, meta, next);
}
