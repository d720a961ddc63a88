#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "registry/quota.h"
#include "registry/visibility.h"

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void reg_live_clear(reg_live *l)
{
	schakel__v1__entry__free_unpacked(l->e, NULL);
	schakel__v1__stored_entry__free_unpacked(l->se, NULL);
	memset(l, 0, sizeof(*l));
}

/* Fills out (org already set) from the stored bytes of its entry. */
static sk_status live_parse(reg_store *s, MDB_txn *txn, const MDB_val *d, uint64_t now,
			    reg_live *out)
{
	Schakel__V1__Member *m = NULL;
	sk_status st;

	if ((out->se = schakel__v1__stored_entry__unpack(NULL, d->mv_size, d->mv_data)) == NULL)
		return SK_ERR_DB;
	if (!out->se->purged &&
	    (out->e = schakel__v1__entry__unpack(NULL, out->se->entry.len, out->se->entry.data)) ==
		    NULL)
		return SK_ERR_DB;
	if ((st = reg_member_get(s, txn, out->org, &m)) != SK_OK)
		return st == SK_ERR_NOTFOUND ? SK_ERR_DB : st;
	if (m->category != NULL && strlen(m->category) <= NET_CATEGORY_MAX)
		memcpy(out->category, m->category, strlen(m->category) + 1);
	out->live = out->e != NULL && !out->e->withdrawn && out->e->expires_at > now &&
		    !m->has_revoked_at;
	schakel__v1__member__free_unpacked(m, NULL);
	return SK_OK;
}

sk_status reg_live_load(reg_store *s, MDB_txn *txn, const char *org,
			const uint8_t token[static REG_TOKEN_BYTES], uint32_t epoch, uint64_t now,
			reg_live *out)
{
	uint8_t kb[REG_ENTRY_KEY_MAX];
	MDB_val k = {0, kb}, d;
	sk_status st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(org) > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	memcpy(out->org, org, strlen(org) + 1);
	k.mv_size = reg_entry_key(kb, org, token, epoch);
	if ((rc = mdb_get(txn, s->entries, &k, &d)) != 0)
		return sk_db_status(rc);
	if ((st = live_parse(s, txn, &d, now, out)) != SK_OK)
		reg_live_clear(out);
	return st;
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

sk_status reg_peers(reg_store *s, MDB_txn *txn, const uint8_t token[static REG_TOKEN_BYTES],
		    uint32_t epoch, const char *except, uint64_t now, reg_peer_fn fn, void *arg)
{
	uint8_t prefix[REG_ENTRY_PREFIX_BYTES], tk[REG_TOKEN_BYTES];
	MDB_val k = {sizeof(prefix), prefix}, d;
	MDB_cursor *cur = NULL;
	uint32_t ep;
	sk_status st;
	int rc;

	memcpy(prefix, token, REG_TOKEN_BYTES);
	put_be(prefix + REG_TOKEN_BYTES, epoch, 4);
	if ((st = sk_db_status(mdb_cursor_open(txn, s->entries, &cur))) != SK_OK)
		return st;
	/* every org's entry for (token, epoch) sits under one key prefix */
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && st == SK_OK && k.mv_size > sizeof(prefix) &&
	     memcmp(k.mv_data, prefix, sizeof(prefix)) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		reg_live other = {0};

		if (!reg_entry_key_split(k.mv_data, k.mv_size, other.org, tk, &ep) ||
		    (except != NULL && strcmp(other.org, except) == 0))
			continue;
		/* purged and withdrawn entries can never match again */
		if ((st = live_parse(s, txn, &d, now, &other)) == SK_OK && other.e != NULL &&
		    !other.e->withdrawn)
			st = fn(&other, arg);
		reg_live_clear(&other);
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	return st;
}

/* The index key of the version at leaf_index, in the current layout. */
static void expiry_key(uint8_t k[static REG_EXPIRY_KEY_BYTES], const Schakel__V1__Entry *e,
		       uint64_t leaf_index)
{
	put_be(k, e->expires_at - e->expires_at % REG_EXPIRY_BUCKET_MS, 8);
	put_be(k + 8, leaf_index, 8);
}

/* The index key in the layout before hour buckets: expiry || entry key. */
static size_t expiry_key_v0(uint8_t k[static 8 + REG_ENTRY_KEY_MAX], const char *org,
			    const Schakel__V1__Entry *e)
{
	put_be(k, e->expires_at, 8);
	return 8 + reg_entry_key(k + 8, org, e->token.data, e->epoch);
}

sk_status reg_index_add(reg_store *s, MDB_txn *txn, const char *org, const Schakel__V1__Entry *e,
			uint64_t leaf_index)
{
	uint8_t ik[REG_EXPIRY_KEY_BYTES], ek[REG_ENTRY_KEY_MAX];
	MDB_val k = {sizeof(ik), ik}, d;

	if (strlen(org) > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	expiry_key(ik, e, leaf_index);
	d = (MDB_val){reg_entry_key(ek, org, e->token.data, e->epoch), ek};
	return sk_db_status(mdb_put(txn, s->expiry, &k, &d, 0));
}

sk_status reg_index_remove(reg_store *s, MDB_txn *txn, const char *org,
			   const Schakel__V1__Entry *e, uint64_t leaf_index)
{
	uint8_t ik[8 + REG_ENTRY_KEY_MAX];
	MDB_val k = {REG_EXPIRY_KEY_BYTES, ik};
	int rc;

	if (strlen(org) > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	expiry_key(ik, e, leaf_index);
	if ((rc = mdb_del(txn, s->expiry, &k, NULL)) == MDB_NOTFOUND) {
		/* indexed before hour buckets */
		k.mv_size = expiry_key_v0(ik, org, e);
		rc = mdb_del(txn, s->expiry, &k, NULL);
	}
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
	if ((st = reg_index_remove(s, txn, l->org, l->e, l->se->leaf_index)) != SK_OK)
		return st;
	/* a live entry leaves the org's count (registry/quota.h) */
	if (!l->e->withdrawn && (st = reg_quota_live_dec(s, txn, l->org)) != SK_OK)
		return st;
	klen = reg_entry_key(kb, l->org, l->e->token.data, l->e->epoch);
	l->se->purged = 1;
	l->se->has_purged = 1;
	l->se->entry.len = 0;
	l->se->signature.len = 0;
	l->se->has_correlation_id = 0;
	/* audit_seq stays: the audit log finds those records through it */
	return reg_stored_put(s, txn, kb, klen, l->se);
}
