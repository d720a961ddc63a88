#include <string.h>

#include <jansson.h>

#include "common/be.h"
#include "common/db.h"
#include "node/index.h"
#include "protos/schakel.pb-c.h"

size_t node_index_key(uint8_t out[static NODE_INDEX_KEY_MAX], const char *prefix,
		      const void *suffix, size_t slen)
{
	size_t n = prefix != NULL ? strlen(prefix) : 0;

	if (n == 0 || n > NODE_INDEX_PREFIX_MAX || slen > 32)
		return 0;
	memcpy(out, prefix, n);
	out[n] = 0;
	if (slen > 0)
		memcpy(out + n + 1, suffix, slen);
	return n + 1 + slen;
}

void node_index_token_key(uint8_t out[static BSN_TOKEN_BYTES + 4],
			  const uint8_t token[static BSN_TOKEN_BYTES], uint32_t epoch)
{
	memcpy(out, token, BSN_TOKEN_BYTES);
	sk_be32_put(out + BSN_TOKEN_BYTES, epoch);
}

static sk_status put(MDB_txn *txn, MDB_dbi db, const char *prefix, const void *suffix,
		     size_t slen, const void *val, size_t vlen)
{
	uint8_t key[NODE_INDEX_KEY_MAX];
	MDB_val k, d = {vlen, (void *)val};

	if ((k.mv_size = node_index_key(key, prefix, suffix, slen)) == 0)
		return SK_ERR_INVALID;
	k.mv_data = key;
	return sk_db_status(mdb_put(txn, db, &k, &d, 0));
}

sk_status node_index_prof_case(MDB_txn *txn, MDB_dbi db, const char *prof, uint64_t case_id,
			       int open, const char *client)
{
	uint8_t id[8], val[1 + NODE_INDEX_PREFIX_MAX];
	size_t n = strlen(client);

	if (n == 0 || n > NODE_INDEX_PREFIX_MAX)
		return SK_ERR_INVALID;
	sk_be64_put(id, case_id);
	val[0] = open ? 1 : 0;
	memcpy(val + 1, client, n);
	return put(txn, db, prof, id, sizeof(id), val, n + 1);
}

sk_status node_index_inbox(MDB_txn *txn, MDB_dbi db, const char *client, uint64_t seq,
			   unsigned kind)
{
	uint8_t s[8], k[4];

	sk_be64_put(s, seq);
	sk_be32_put(k, kind);
	return put(txn, db, client, s, sizeof(s), k, sizeof(k));
}

sk_status node_index_discussion(MDB_txn *txn, MDB_dbi db, const char *client, const char *id)
{
	return put(txn, db, client, id, strlen(id), "", 0);
}

sk_status node_index_each(MDB_txn *txn, MDB_dbi db, const char *prefix, node_index_fn fn,
			  void *arg)
{
	uint8_t key[NODE_INDEX_KEY_MAX];
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	size_t plen = node_index_key(key, prefix, NULL, 0);
	sk_status st;
	int rc;

	if (plen == 0)
		return SK_ERR_INVALID;
	if ((st = sk_db_status(mdb_cursor_open(txn, db, &cur))) != SK_OK)
		return st;
	k.mv_size = plen;
	k.mv_data = key;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, key, plen) != 0)
			break;
		st = fn((const uint8_t *)k.mv_data + plen, k.mv_size - plen, d.mv_data, d.mv_size,
			arg);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

/* ---- the build, once, for a node made before the indexes ---------------- */

typedef sk_status (*record_fn)(MDB_txn *txn, const node_index_dbs *d, const MDB_val *k,
			       const MDB_val *v);

static sk_status each_record(MDB_txn *txn, const node_index_dbs *d, MDB_dbi db, record_fn fn)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, db, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		st = fn(txn, d, &k, &v);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

static json_t *record_json(const MDB_val *v)
{
	json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL);

	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static sk_status case_record(MDB_txn *txn, const node_index_dbs *d, const MDB_val *k,
			     const MDB_val *v)
{
	json_t *o = record_json(v), *p;
	const char *client = json_string_value(json_object_get(o, "client"));
	int open = json_is_true(json_object_get(o, "open"));
	sk_status st = SK_OK;
	size_t i;

	if (o == NULL || client == NULL || k->mv_size != 8) {
		json_decref(o);
		return SK_ERR_DB;
	}
	json_array_foreach(json_object_get(o, "assigned"), i, p)
	{
		const char *prof = json_string_value(p);

		if (st == SK_OK && prof != NULL)
			st = node_index_prof_case(txn, d->prof_cases, prof, sk_be64_get(k->mv_data),
						  open, client);
	}
	json_decref(o);
	return st;
}

static sk_status inbox_record(MDB_txn *txn, const node_index_dbs *d, const MDB_val *k,
			      const MDB_val *v)
{
	Schakel__V1__MailboxItem *it = schakel__v1__mailbox_item__unpack(NULL, v->mv_size,
									 v->mv_data);
	uint8_t ikey[BSN_TOKEN_BYTES + 4];
	char client[NODE_INDEX_PREFIX_MAX + 1];
	MDB_val ik = {sizeof(ikey), ikey}, cv;
	sk_status st = SK_OK;

	if (it == NULL || k->mv_size != 8) {
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
		return SK_ERR_DB;
	}
	if (it->has_token && it->token.len == BSN_TOKEN_BYTES) {
		node_index_token_key(ikey, it->token.data, it->epoch);
		if (mdb_get(txn, d->token_index, &ik, &cv) == 0 && cv.mv_size > 0 &&
		    cv.mv_size <= NODE_INDEX_PREFIX_MAX) {
			memcpy(client, cv.mv_data, cv.mv_size);
			client[cv.mv_size] = 0;
			st = node_index_inbox(txn, d->inbox_clients, client, sk_be64_get(k->mv_data),
					      (unsigned)it->kind);
		}
	}
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return st;
}

static sk_status discussion_record(MDB_txn *txn, const node_index_dbs *d, const MDB_val *k,
				   const MDB_val *v)
{
	json_t *o = record_json(v);
	const char *client = json_string_value(json_object_get(o, "client"));
	sk_status st = SK_OK;
	char id[33];

	(void)k;
	if (o == NULL) {
		return SK_ERR_DB;
	}
	if (client != NULL && client[0] != 0 && k->mv_size < sizeof(id)) {
		memcpy(id, k->mv_data, k->mv_size);
		id[k->mv_size] = 0;
		st = node_index_discussion(txn, d->discussion_clients, client, id);
	}
	json_decref(o);
	return st;
}

sk_status node_index_build(MDB_txn *txn, const node_index_dbs *d)
{
	sk_status st;

	if ((st = sk_db_status(mdb_drop(txn, d->prof_cases, 0))) != SK_OK ||
	    (st = sk_db_status(mdb_drop(txn, d->inbox_clients, 0))) != SK_OK ||
	    (st = sk_db_status(mdb_drop(txn, d->discussion_clients, 0))) != SK_OK)
		return st;
	if ((st = each_record(txn, d, d->cases, case_record)) != SK_OK ||
	    (st = each_record(txn, d, d->inbox, inbox_record)) != SK_OK)
		return st;
	return each_record(txn, d, d->discussions, discussion_record);
}
