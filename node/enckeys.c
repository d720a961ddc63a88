#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "crypto/seal.h"
#include "node/enckeys.h"
#include "protos/domains.h"

#define HEAD_BYTES 17 /* u64be created ms, u64be not_after s, u8 published */
#define VALUE_BYTES (HEAD_BYTES + SEAL_AEAD_BYTES(KEY_X25519_SK_BYTES))

static sk_status dbi(node_store *s, MDB_dbi *out)
{
	*out = s->enc_keys;
	return SK_OK;
}

static int parse(const MDB_val *k, const MDB_val *v, node_enc_info *out)
{
	const uint8_t *p = v->mv_data;

	if (k->mv_size != KEY_X25519_PK_BYTES || v->mv_size != VALUE_BYTES)
		return 0;
	memcpy(out->pk, k->mv_data, KEY_X25519_PK_BYTES);
	out->created_ms = sk_be64_get(p);
	out->not_after_s = sk_be64_get(p + 8);
	out->published = p[16] != 0;
	return 1;
}

typedef sk_status (*each_fn)(const node_enc_info *k, const MDB_val *v, void *arg);

static sk_status each(node_store *s, MDB_txn *txn, each_fn fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	MDB_dbi db;
	sk_status st;
	int rc;

	if ((st = dbi(s, &db)) != SK_OK || (st = sk_db_status(mdb_cursor_open(txn, db, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		node_enc_info info;

		if (parse(&k, &v, &info))
			st = fn(&info, &v, arg);
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	return st;
}

struct newest {
	node_enc_info best;
	int found;
};

static sk_status find_newest(const node_enc_info *k, const MDB_val *v, void *arg)
{
	struct newest *n = arg;

	(void)v;
	if (!n->found || k->created_ms > n->best.created_ms) {
		n->best = *k;
		n->found = 1;
	}
	return SK_OK;
}

sk_status node_enc_current(node_store *s, MDB_txn *txn, uint8_t pk[static KEY_X25519_PK_BYTES])
{
	struct newest n = {0};
	sk_status st = each(s, txn, find_newest, &n);

	if (st == SK_OK && !n.found) {
		sk_error_set("this node has no encryption key yet; run 'schakel-node sync'");
		st = SK_ERR_NOTFOUND;
	}
	if (st == SK_OK)
		memcpy(pk, n.best.pk, KEY_X25519_PK_BYTES);
	return st;
}

struct live {
	node_store *s;
	uint64_t now_s;
	key_x25519 *keys;
	uint64_t created[NODE_ENC_LIVE_MAX];
	size_t n;
};

static sk_status open_live(const node_enc_info *k, const MDB_val *v, void *arg)
{
	struct live *l = arg;
	key_x25519 tmp;
	size_t got = 0, at;
	sk_status st;

	if (k->not_after_s < l->now_s)
		return SK_OK;
	if ((st = seal_aead_decrypt(tmp.sk, &got, WIRE_DOMAIN_NODE_ENC_KEY, k->pk, KEY_X25519_PK_BYTES,
				    (const uint8_t *)v->mv_data + HEAD_BYTES, v->mv_size - HEAD_BYTES,
				    l->s->data_key)) != SK_OK ||
	    got != KEY_X25519_SK_BYTES) {
		sodium_memzero(&tmp, sizeof(tmp));
		sk_error_set("an encryption key does not open under this node's data key");
		return SK_ERR_KEY;
	}
	memcpy(tmp.pk, k->pk, KEY_X25519_PK_BYTES);
	/* newest first; the oldest falls off when full */
	for (at = 0; at < l->n && l->created[at] >= k->created_ms; at++)
		;
	if (at < NODE_ENC_LIVE_MAX) {
		size_t move = (l->n < NODE_ENC_LIVE_MAX ? l->n : NODE_ENC_LIVE_MAX - 1) - at;

		memmove(&l->keys[at + 1], &l->keys[at], move * sizeof(*l->keys));
		memmove(&l->created[at + 1], &l->created[at], move * sizeof(*l->created));
		l->keys[at] = tmp;
		l->created[at] = k->created_ms;
		if (l->n < NODE_ENC_LIVE_MAX)
			l->n++;
	}
	sodium_memzero(&tmp, sizeof(tmp));
	return SK_OK;
}

sk_status node_enc_keys_load(node_store *s, MDB_txn *txn, uint64_t now_s, key_x25519 *keys,
			     size_t *n)
{
	struct live l = {s, now_s, keys, {0}, 0};
	sk_status st = each(s, txn, open_live, &l);

	*n = st == SK_OK ? l.n : 0;
	if (st != SK_OK)
		sodium_memzero(keys, NODE_ENC_LIVE_MAX * sizeof(*keys));
	return st;
}

struct list_ctx {
	node_enc_fn fn;
	void *arg;
};

static sk_status list_one(const node_enc_info *k, const MDB_val *v, void *arg)
{
	struct list_ctx *c = arg;

	(void)v;
	return c->fn(k, c->arg);
}

sk_status node_enc_list(node_store *s, node_enc_fn fn, void *arg)
{
	struct list_ctx c = {fn, arg};
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = each(s, txn, list_one, &c);
	mdb_txn_abort(txn);
	return st;
}

static sk_status audit(node_store *s, MDB_txn *txn, const char *event, const uint8_t *pk,
		       const char *reason)
{
	char hex[2 * KEY_X25519_PK_BYTES + 1];
	audit_record rec = {0};

	sodium_bin2hex(hex, sizeof(hex), pk, KEY_X25519_PK_BYTES);
	rec.event = event;
	rec.action = strcmp(event, "encryption.expire") == 0 ? AUDIT_ACTION_DELETE
							      : AUDIT_ACTION_CREATE;
	rec.outcome = reason == NULL ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_FAILED;
	rec.reason = reason;
	rec.correlation_id = hex; /* the key, as the log shows it */
	return node_audit(s, txn, &rec);
}

/* A new key, stored sealed and not yet published. */
static sk_status make(node_store *s, uint64_t now_ms)
{
	uint8_t val[VALUE_BYTES];
	key_x25519 k;
	MDB_txn *txn = NULL;
	MDB_val kv, vv;
	MDB_dbi db;
	sk_status st;

	key_x25519_generate(&k);
	sk_be64_put(val, now_ms);
	sk_be64_put(val + 8, now_ms / 1000 + NODE_ENC_LIFETIME_S);
	val[16] = 0;
	st = seal_aead_encrypt(val + HEAD_BYTES, WIRE_DOMAIN_NODE_ENC_KEY, k.pk, sizeof(k.pk), k.sk,
			       sizeof(k.sk), s->data_key);
	if (st == SK_OK && (st = dbi(s, &db)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		kv = (MDB_val){sizeof(k.pk), k.pk};
		vv = (MDB_val){sizeof(val), val};
		if ((st = sk_db_status(mdb_put(txn, db, &kv, &vv, MDB_NOOVERWRITE))) == SK_OK &&
		    (st = audit(s, txn, "encryption.create", k.pk, NULL)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	key_x25519_wipe(&k);
	return st;
}

struct pending {
	node_enc_info keys[NODE_ENC_LIVE_MAX];
	size_t n;
	uint64_t now_s;
	struct newest newest;
	uint8_t expired[NODE_ENC_LIVE_MAX][KEY_X25519_PK_BYTES];
	size_t n_expired;
};

static sk_status survey(const node_enc_info *k, const MDB_val *v, void *arg)
{
	struct pending *p = arg;

	(void)find_newest(k, v, &p->newest);
	if (k->not_after_s < p->now_s) {
		if (p->n_expired < NODE_ENC_LIVE_MAX)
			memcpy(p->expired[p->n_expired++], k->pk, KEY_X25519_PK_BYTES);
	} else if (!k->published && p->n < NODE_ENC_LIVE_MAX) {
		p->keys[p->n++] = *k;
	}
	return SK_OK;
}

/* Certifies and publishes one key, then marks it published. */
static sk_status publish(node_remote *r, const node_enc_info *k)
{
	node_store *s = node_remote_store(r);
	Schakel__V1__EncKeyRequest req = SCHAKEL__V1__ENC_KEY_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t sig[KEY_SIG_BYTES];
	MDB_txn *txn = NULL;
	MDB_val kv = {KEY_X25519_PK_BYTES, (void *)k->pk}, vv;
	MDB_dbi db;
	sk_status st;

	if ((st = key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, k->pk, k->not_after_s, node_remote_identity(r)->sk)) !=
	    SK_OK)
		return st;
	req.encryption_key = (ProtobufCBinaryData){KEY_X25519_PK_BYTES, (uint8_t *)k->pk};
	req.not_after = k->not_after_s;
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST;
	env.enc_key_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_RECEIPT, &reply)) !=
	    SK_OK)
		return st;
	wire_envelope_free(reply);
	if ((st = dbi(s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_get(txn, db, &kv, &vv))) == SK_OK && vv.mv_size == VALUE_BYTES) {
		uint8_t val[VALUE_BYTES];

		memcpy(val, vv.mv_data, sizeof(val));
		val[16] = 1;
		vv = (MDB_val){sizeof(val), val};
		if ((st = sk_db_status(mdb_put(txn, db, &kv, &vv, 0))) == SK_OK)
			st = audit(s, txn, "encryption.publish", k->pk, NULL);
		sodium_memzero(val, sizeof(val));
	}
	if (st == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	return st;
}

static sk_status delete_expired(node_store *s, const struct pending *p)
{
	MDB_txn *txn = NULL;
	MDB_dbi db;
	sk_status st;

	if (p->n_expired == 0)
		return SK_OK;
	if ((st = dbi(s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	for (size_t i = 0; i < p->n_expired && st == SK_OK; i++) {
		MDB_val kv = {KEY_X25519_PK_BYTES, (void *)p->expired[i]};

		if ((st = sk_db_status(mdb_del(txn, db, &kv, NULL))) == SK_OK)
			st = audit(s, txn, "encryption.expire", p->expired[i], NULL);
	}
	if (st == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	return st;
}

sk_status node_enc_rotate_local(node_store *s, uint64_t now_ms, int force, int *made)
{
	struct pending p = {0};
	MDB_txn *txn = NULL;
	sk_status st;

	*made = 0;
	p.now_s = now_ms / 1000;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = each(s, txn, survey, &p);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	if (force || !p.newest.found || p.newest.best.created_ms + NODE_ENC_ROTATE_MS <= now_ms) {
		if ((st = make(s, now_ms)) != SK_OK)
			return st;
		*made = 1;
	}
	return delete_expired(s, &p);
}

sk_status node_enc_maintain(node_remote *r, uint64_t now_ms, int force, int *rotated)
{
	node_store *s = node_remote_store(r);
	struct pending p = {0};
	MDB_txn *txn = NULL;
	int made = 0;
	sk_status st;

	if ((st = node_enc_rotate_local(s, now_ms, force, &made)) != SK_OK)
		return st;
	if (rotated != NULL)
		*rotated = made;
	p.now_s = now_ms / 1000;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = each(s, txn, survey, &p);
	mdb_txn_abort(txn);
	for (size_t i = 0; i < p.n && st == SK_OK; i++)
		st = publish(r, &p.keys[i]);
	return st;
}
