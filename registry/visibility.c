#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "registry/visibility.h"

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

size_t reg_entry_key(uint8_t k[static REG_ENTRY_KEY_MAX], const char *org,
		     const uint8_t token[static REG_TOKEN_BYTES], uint32_t epoch)
{
	size_t n = strlen(org);

	memcpy(k, org, n + 1);
	memcpy(k + n + 1, token, REG_TOKEN_BYTES);
	put_be(k + n + 1 + REG_TOKEN_BYTES, epoch, 4);
	return n + 1 + REG_TOKEN_BYTES + 4;
}

void reg_live_clear(reg_live *l)
{
	schakel__v1__entry__free_unpacked(l->e, NULL);
	schakel__v1__stored_entry__free_unpacked(l->se, NULL);
	memset(l, 0, sizeof(*l));
}

sk_status reg_live_load(reg_store *s, MDB_txn *txn, const char *org,
			const uint8_t token[static REG_TOKEN_BYTES], uint32_t epoch, uint64_t now,
			reg_live *out)
{
	uint8_t kb[REG_ENTRY_KEY_MAX];
	MDB_val k = {0, kb}, d;
	Schakel__V1__Member *m = NULL;
	sk_status st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(org) > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	memcpy(out->org, org, strlen(org) + 1);
	k.mv_size = reg_entry_key(kb, org, token, epoch);
	if ((rc = mdb_get(txn, s->entries, &k, &d)) != 0)
		return sk_db_status(rc);
	if ((out->se = schakel__v1__stored_entry__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
		return SK_ERR_DB;
	if (!out->se->purged &&
	    (out->e = schakel__v1__entry__unpack(NULL, out->se->entry.len, out->se->entry.data)) ==
		    NULL) {
		reg_live_clear(out);
		return SK_ERR_DB;
	}
	if ((st = reg_member_get(s, txn, org, &m)) != SK_OK) {
		reg_live_clear(out);
		return st == SK_ERR_NOTFOUND ? SK_ERR_DB : st;
	}
	if (m->category != NULL && strlen(m->category) <= NET_CATEGORY_MAX)
		memcpy(out->category, m->category, strlen(m->category) + 1);
	out->live = out->e != NULL && !out->e->withdrawn && out->e->expires_at > now &&
		    !m->has_revoked_at;
	schakel__v1__member__free_unpacked(m, NULL);
	return SK_OK;
}

static int allows(const Schakel__V1__Entry *e, const char *category)
{
	for (size_t i = 0; i < e->n_categories; i++)
		if (strcmp(e->categories[i], category) == 0)
			return 1;
	return 0;
}

int reg_visible(const wire_policy *policy, const reg_live *a, const reg_live *b)
{
	return a->live && b->live && (a->e->flags & REG_FLAG_DISCOVER) &&
	       (b->e->flags & REG_FLAG_DISCOVER) && allows(a->e, b->category) &&
	       allows(b->e, a->category) && wire_policy_sees(policy, a->category, b->category) &&
	       wire_policy_sees(policy, b->category, a->category);
}

static size_t token_key(uint8_t k[REG_TOKEN_BYTES + 4], const uint8_t *token, uint32_t epoch)
{
	memcpy(k, token, REG_TOKEN_BYTES);
	put_be(k + REG_TOKEN_BYTES, epoch, 4);
	return REG_TOKEN_BYTES + 4;
}

sk_status reg_peers(reg_store *s, MDB_txn *txn, const uint8_t token[static REG_TOKEN_BYTES],
		    uint32_t epoch, const char *except, uint64_t now, reg_peer_fn fn, void *arg)
{
	uint8_t kb[REG_TOKEN_BYTES + 4];
	char org[NET_ORG_ID_MAX + 1];
	MDB_val k = {token_key(kb, token, epoch), kb}, d;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->tokens, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_DUP)) {
		reg_live other;

		if (d.mv_size == 0 || d.mv_size > NET_ORG_ID_MAX)
			continue;
		memcpy(org, d.mv_data, d.mv_size);
		org[d.mv_size] = 0;
		if (except != NULL && strcmp(org, except) == 0)
			continue;
		if ((st = reg_live_load(s, txn, org, token, epoch, now, &other)) == SK_ERR_NOTFOUND) {
			st = SK_OK;
			continue;
		}
		if (st == SK_OK)
			st = fn(&other, arg);
		reg_live_clear(&other);
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	return st;
}

static size_t expiry_key(uint8_t *k, const char *org, const Schakel__V1__Entry *e)
{
	put_be(k, e->expires_at, 8);
	return 8 + reg_entry_key(k + 8, org, e->token.data, e->epoch);
}

sk_status reg_index_add(reg_store *s, MDB_txn *txn, const char *org, const Schakel__V1__Entry *e)
{
	uint8_t tk[REG_TOKEN_BYTES + 4], ek[8 + REG_ENTRY_KEY_MAX];
	MDB_val k = {token_key(tk, e->token.data, e->epoch), tk}, d = {strlen(org), (void *)org};
	int rc = mdb_put(txn, s->tokens, &k, &d, MDB_NODUPDATA);

	if (rc != 0 && rc != MDB_KEYEXIST)
		return sk_db_status(rc);
	k = (MDB_val){expiry_key(ek, org, e), ek};
	d = (MDB_val){0, ""};
	return sk_db_status(mdb_put(txn, s->expiry, &k, &d, 0));
}

sk_status reg_index_remove(reg_store *s, MDB_txn *txn, const char *org,
			   const Schakel__V1__Entry *e)
{
	uint8_t tk[REG_TOKEN_BYTES + 4], ek[8 + REG_ENTRY_KEY_MAX];
	MDB_val k = {token_key(tk, e->token.data, e->epoch), tk}, d = {strlen(org), (void *)org};
	int rc = mdb_del(txn, s->tokens, &k, &d);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	k = (MDB_val){expiry_key(ek, org, e), ek};
	rc = mdb_del(txn, s->expiry, &k, NULL);
	return rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
}

sk_status reg_stored_put(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t klen,
			 const Schakel__V1__StoredEntry *se)
{
	size_t n = schakel__v1__stored_entry__get_packed_size(se);
	uint8_t *buf = malloc(n ? n : 1);
	MDB_val k = {klen, (void *)key}, d = {n, buf};
	sk_status st;

	if (buf == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__stored_entry__pack(se, buf);
	st = sk_db_status(mdb_put(txn, s->entries, &k, &d, 0));
	free(buf);
	return st;
}

sk_status reg_entry_purge(reg_store *s, MDB_txn *txn, reg_live *l)
{
	uint8_t kb[REG_ENTRY_KEY_MAX];
	size_t klen;
	sk_status st;

	if (l->e == NULL)
		return SK_OK; /* already purged */
	if ((st = reg_index_remove(s, txn, l->org, l->e)) != SK_OK)
		return st;
	klen = reg_entry_key(kb, l->org, l->e->token.data, l->e->epoch);
	l->se->purged = 1;
	l->se->has_purged = 1;
	l->se->entry.len = 0;
	l->se->signature.len = 0;
	l->se->has_correlation_id = 0;
	return reg_stored_put(s, txn, kb, klen, l->se);
}
