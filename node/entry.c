#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "crypto/seal.h"
#include "node/dirty.h"
#include "node/entry.h"
#include "node/index.h"
#include "protos/domains.h"

#define TOKEN_PLAIN (BSN_TOKEN_BYTES + BSN_CONTACT_KEY_BYTES)
#define TOKEN_KEY_MAX (NODE_CLIENT_ID_MAX + 1 + 4)

/* ---- derivation ------------------------------------------------------------ */

typedef struct derive_ctx {
	const node_store *s;
	uint64_t now_ms;
	uint32_t cats;        /* policy index bits */
	int any_consent;
	uint64_t contact_case; /* newest contributing case with CONTACT */
	uint64_t any_case;     /* newest contributing case */
	char contact_prof[NODE_ID_MAX + 1], any_prof[NODE_ID_MAX + 1];
	node_entry_derived *out;
} derive_ctx;

static sk_status derive_one(const node_case *c, void *arg)
{
	derive_ctx *x = arg;
	const node_consent *k = &c->consent;
	uint32_t f = k->flags, cats = 0;
	int visible = 0;

	if (!c->open)
		return SK_OK;
	x->out->n_open++;
	if (k->expires_at <= x->now_ms)
		return SK_OK;
	if (k->basis == NODE_BASIS_STATUTORY)
		f &= NODE_FLAG_DISCUSS;
	for (size_t i = 0; i < k->n_categories; i++) {
		int j = wire_policy_index(&x->s->policy, k->categories[i]);

		if (j < 0)
			continue; /* the policy no longer knows it */
		cats |= 1u << j;
		visible |= wire_policy_sees(&x->s->policy, x->s->category, k->categories[i]) &&
			   wire_policy_sees(&x->s->policy, k->categories[i], x->s->category);
	}
	if (!visible)
		f &= ~(uint32_t)(NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT);
	if (cats == 0)
		f = 0;
	if (f == 0)
		return SK_OK;
	x->out->n_contributing++;
	x->out->flags |= f;
	x->cats |= cats;
	x->any_consent |= k->basis == NODE_BASIS_CONSENT;
	if (k->expires_at > x->out->expires_at)
		x->out->expires_at = k->expires_at;
	/* cases come in id order: the last one seen is the newest */
	if (c->n_assigned > 0) {
		x->any_case = c->id;
		memcpy(x->any_prof, c->assigned[0], strlen(c->assigned[0]) + 1);
		if (f & NODE_FLAG_CONTACT) {
			x->contact_case = c->id;
			memcpy(x->contact_prof, c->assigned[0], strlen(c->assigned[0]) + 1);
		}
	}
	return SK_OK;
}

sk_status node_entry_derive(node_store *s, MDB_txn *txn, const char *client, uint64_t now_ms,
			    node_entry_derived *out)
{
	derive_ctx x;
	sk_status st;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.now_ms = now_ms;
	x.out = out;
	if ((st = node_case_scan(s, txn, client, derive_one, &x)) != SK_OK) {
		memset(out, 0, sizeof(*out));
		return st;
	}
	if (out->flags == 0) {
		size_t n_open = out->n_open;

		memset(out, 0, sizeof(*out));
		out->n_open = n_open;
		out->withdraw = 1;
		return SK_OK;
	}
	for (size_t j = 0; j < s->policy.n; j++)
		if (x.cats >> j & 1u)
			memcpy(out->categories[out->n_categories++], s->policy.name[j],
			       strlen(s->policy.name[j]) + 1);
	out->basis = x.any_consent ? NODE_BASIS_CONSENT : NODE_BASIS_STATUTORY;
	{
		MDB_val k = {strlen(client), (void *)client}, v;
		int rc;

		if ((rc = mdb_get(txn, s->regie, &k, &v)) != 0 && rc != MDB_NOTFOUND)
			return sk_db_status(rc);
		out->regie = rc == 0;
	}
	out->contact_case = x.contact_case ? x.contact_case : x.any_case;
	memcpy(out->contact_professional, x.contact_case ? x.contact_prof : x.any_prof,
	       sizeof(out->contact_professional));
	return SK_OK;
}

sk_status node_entry_regie_set(node_store *s, MDB_txn *txn, const char *client,
			       const char *discussion)
{
	MDB_val k = {strlen(client), (void *)client}, v = {strlen(discussion), (void *)discussion};
	sk_status st;

	if ((st = sk_db_status(mdb_put(txn, s->regie, &k, &v, 0))) != SK_OK)
		return st;
	return node_dirty_mark(s, txn, client);
}

sk_status node_entry_changed(node_store *s, const char *client)
{
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(client), (void *)client}, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	/* the change marked it already; keep its generation */
	if ((rc = mdb_get(txn, s->dirty, &k, &d)) == 0) {
		mdb_txn_abort(txn);
		return SK_OK;
	}
	st = rc == MDB_NOTFOUND ? node_dirty_mark(s, txn, client) : sk_db_status(rc);
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

/* ---- the token cache --------------------------------------------------------- */

/* client NUL u32be(epoch): the cache key, also the sealed value's ad. */
static size_t token_key(uint8_t out[static TOKEN_KEY_MAX], const char *client, uint32_t epoch)
{
	size_t n = strlen(client);

	memcpy(out, client, n);
	out[n] = 0;
	sk_be32_put(out + n + 1, epoch);
	return n + 5;
}

/* token || u32be(epoch): the layout node/index.c reads too */
static void index_key(uint8_t out[static BSN_TOKEN_BYTES + 4], const uint8_t *token, uint32_t epoch)
{
	node_index_token_key(out, token, epoch);
}

sk_status node_token_get(node_store *s, MDB_txn *txn, const char *client, uint32_t epoch,
			 uint8_t token[static BSN_TOKEN_BYTES],
			 uint8_t contact_key[static BSN_CONTACT_KEY_BYTES])
{
	uint8_t key[TOKEN_KEY_MAX], plain[TOKEN_PLAIN];
	MDB_val k, d;
	size_t n = 0;
	sk_status st;
	int rc;

	if (strlen(client) == 0 || strlen(client) > NODE_CLIENT_ID_MAX)
		return SK_ERR_INVALID;
	k.mv_size = token_key(key, client, epoch);
	k.mv_data = key;
	if ((rc = mdb_get(txn, s->tokens, &k, &d)) != 0)
		return sk_db_status(rc);
	if (d.mv_size != SEAL_AEAD_BYTES(TOKEN_PLAIN))
		return SK_ERR_VERIFY;
	st = seal_aead_decrypt(plain, &n, WIRE_DOMAIN_NODE_TOKEN, key, k.mv_size, d.mv_data, d.mv_size,
			       s->data_key);
	if (st == SK_OK) {
		memcpy(token, plain, BSN_TOKEN_BYTES);
		memcpy(contact_key, plain + BSN_TOKEN_BYTES, BSN_CONTACT_KEY_BYTES);
	}
	sodium_memzero(plain, sizeof(plain));
	return st;
}

sk_status node_token_put(node_store *s, MDB_txn *txn, const char *client, uint32_t epoch,
			 const uint8_t token[static BSN_TOKEN_BYTES],
			 const uint8_t contact_key[static BSN_CONTACT_KEY_BYTES])
{
	uint8_t key[TOKEN_KEY_MAX], plain[TOKEN_PLAIN], sealed[SEAL_AEAD_BYTES(TOKEN_PLAIN)];
	uint8_t old[BSN_TOKEN_BYTES], old_ck[BSN_CONTACT_KEY_BYTES], ikey[BSN_TOKEN_BYTES + 4];
	MDB_val k, d, ik = {sizeof(ikey), ikey};
	sk_status st;
	int rc;

	if (strlen(client) == 0 || strlen(client) > NODE_CLIENT_ID_MAX)
		return SK_ERR_INVALID;
	/* an earlier token of this client and epoch leaves the index */
	st = node_token_get(s, txn, client, epoch, old, old_ck);
	sodium_memzero(old_ck, sizeof(old_ck));
	if (st == SK_OK) {
		index_key(ikey, old, epoch);
		if ((rc = mdb_del(txn, s->token_index, &ik, NULL)) != 0 && rc != MDB_NOTFOUND)
			return sk_db_status(rc);
	} else if (st != SK_ERR_NOTFOUND) {
		return st;
	}
	k.mv_size = token_key(key, client, epoch);
	k.mv_data = key;
	memcpy(plain, token, BSN_TOKEN_BYTES);
	memcpy(plain + BSN_TOKEN_BYTES, contact_key, BSN_CONTACT_KEY_BYTES);
	st = seal_aead_encrypt(sealed, WIRE_DOMAIN_NODE_TOKEN, key, k.mv_size, plain, sizeof(plain),
			       s->data_key);
	sodium_memzero(plain, sizeof(plain));
	if (st != SK_OK)
		return st;
	d.mv_size = sizeof(sealed);
	d.mv_data = sealed;
	if ((st = sk_db_status(mdb_put(txn, s->tokens, &k, &d, 0))) != SK_OK)
		return st;
	index_key(ikey, token, epoch);
	d.mv_size = strlen(client);
	d.mv_data = (void *)client;
	return sk_db_status(mdb_put(txn, s->token_index, &ik, &d, 0));
}

sk_status node_token_find(node_store *s, MDB_txn *txn, const uint8_t token[static BSN_TOKEN_BYTES],
			  uint32_t epoch, char client[static NODE_CLIENT_ID_MAX + 1])
{
	uint8_t ikey[BSN_TOKEN_BYTES + 4];
	MDB_val k = {sizeof(ikey), ikey}, d;
	int rc;

	client[0] = 0;
	index_key(ikey, token, epoch);
	if ((rc = mdb_get(txn, s->token_index, &k, &d)) != 0)
		return sk_db_status(rc);
	if (d.mv_size == 0 || d.mv_size > NODE_CLIENT_ID_MAX)
		return SK_ERR_DB;
	memcpy(client, d.mv_data, d.mv_size);
	client[d.mv_size] = 0;
	return SK_OK;
}

uint64_t node_entry_expiry_blur(uint64_t expires_at, uint64_t now_ms)
{
	uint64_t day = expires_at - expires_at % NODE_DAY_MS;
	uint64_t jitter = (uint64_t)randombytes_uniform(NODE_EXPIRY_JITTER_MS / 1000) * 1000;
	uint64_t lo = now_ms + NODE_EXPIRY_LEAD_MS, first;

	if (day > jitter && day - jitter > lo)
		return day - jitter;
	/* near its end: any whole second after lo will do */
	first = lo - lo % 1000 + 1000;
	if (expires_at < first + 1000)
		return expires_at;
	return first + (uint64_t)randombytes_uniform((uint32_t)((expires_at - first) / 1000)) * 1000;
}
