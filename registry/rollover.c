#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/cli.h"
#include "common/db.h"
#include "protos/rollover.h"
#include "protos/wire.h"
#include "registry/rollchain.h"
#include "registry/rollover.h"

#define META_ROLLOVER_INDEX "log.rollover.index" /* u64be: the statement's leaf */
#define META_ROLLOVER_OLD "log.rollover.old"     /* the old origin's last checkpoint */

static sk_status meta_put(reg_store *s, MDB_txn *txn, const char *key, const void *v, size_t len)
{
	MDB_val k = {strlen(key), (void *)key}, d = {len, (void *)v};

	return sk_db_status(mdb_put(txn, s->log.meta, &k, &d, 0));
}

/* Forgets the old log's cosigned checkpoint: until the next cosigning
 * round members are served the new log's latest signed one. */
static sk_status cosigned_clear(reg_store *s, MDB_txn *txn)
{
	MDB_val k = {strlen(REG_META_COSIGNED), REG_META_COSIGNED};
	int rc = mdb_del(txn, s->log.meta, &k, NULL);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	return reg_log_meta_put_u64(&s->log, txn, REG_META_COSIGNED_SIZE, 0);
}

/* The statement's leaf: its hash appended, kind || body || sig kept under
 * its index like the member leaves (registry/store.h leafdata). */
static sk_status append_leaf(reg_store *s, MDB_txn *txn, const uint8_t *body, size_t len,
			     const uint8_t sig[static KEY_SIG_BYTES], uint64_t *index)
{
	uint8_t hash[WIRE_LEAF_HASH_BYTES], key[8], *val = NULL;
	MDB_val k = {8, key}, d;
	sk_status st;

	if ((st = wire_leaf_hash(hash, WIRE_LEAF_ROLLOVER, body, len, sig)) != SK_OK ||
	    (st = reg_log_append(&s->log, txn, hash, index)) != SK_OK)
		return st;
	if ((val = malloc(1 + len + KEY_SIG_BYTES)) == NULL)
		return SK_ERR_NOMEM;
	val[0] = WIRE_LEAF_ROLLOVER;
	memcpy(val + 1, body, len);
	memcpy(val + 1 + len, sig, KEY_SIG_BYTES);
	sk_be64_put(key, *index);
	d = (MDB_val){1 + len + KEY_SIG_BYTES, val};
	st = sk_db_status(mdb_put(txn, s->leafdata, &k, &d, 0));
	free(val);
	if (st == SK_OK)
		st = reg_log_meta_put_u64(&s->log, txn, META_ROLLOVER_INDEX, *index);
	return st;
}

sk_status reg_rollover(reg_store *s, const char *new_origin, const uint8_t *witnessed,
		       size_t wlen, int reason, uint64_t now_ms)
{
	note_verifier old_v, new_v;
	note_checkpoint wcp;
	note_signer *new_key = NULL;
	MDB_txn *txn = NULL;
	audit_record rec = {0};
	uint8_t *restored = NULL, *body = NULL, sig[KEY_SIG_BYTES];
	size_t rlen = 0, blen = 0;
	uint64_t rsize = 0, index = 0;
	char vkey[NOTE_VKEY_MAX];
	sk_status st;

	if (s->id == NULL || s->log_key == NULL)
		return SK_ERR_INVALID;
	note_signer_verifier(&old_v, s->log_key);
	if (wlen > WIRE_ROLLOVER_NOTE_MAX ||
	    note_checkpoint_open(&wcp, NULL, witnessed, wlen, &old_v, NULL, 0) != SK_OK) {
		sk_error_set("the witnessed checkpoint is not one of log %s signed by this registry",
			     s->origin);
		return SK_ERR_VERIFY;
	}
	/* the new log's key: the same seed under the new name */
	if ((st = note_signer_from_seed(&new_key, new_origin, NOTE_TYPE_ED25519, s->id->sk)) !=
	    SK_OK) {
		sk_error_set("the new log name must be a key name without spaces or '+'");
		return SK_ERR_INVALID;
	}
	note_signer_verifier(&new_v, new_key);
	if ((st = note_verifier_format(vkey, &new_v)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	/* the restored checkpoint: the latest of the tree as restored */
	if ((st = reg_checkpoint_update(s, txn)) != SK_OK ||
	    (st = reg_log_checkpoint(&s->log, txn, &restored, &rlen, &rsize)) != SK_OK)
		goto out;
	st = wire_rollover_sign(&body, &blen, sig, s->origin, new_origin, restored, rlen, witnessed,
				wlen, now_ms, reason, s->id->sk);
	if (st == SK_ERR_INVALID) {
		sk_error_set("the witnessed checkpoint (tree size %llu) does not cover the restored "
			     "tree (size %llu), or the new log name is the old one",
			     (unsigned long long)wcp.size, (unsigned long long)rsize);
		st = SK_ERR_VERIFY;
	}
	if (st != SK_OK)
		goto out;
	rec.event = "registry.rollover";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.access_point = "cli";
	rec.responsible = sk_cli_user();
	/* every rollover stays findable by its old origin (registry/rollchain.h) */
	if ((st = reg_rollchain_begin(s, txn, new_origin)) != SK_OK ||
	    (st = append_leaf(s, txn, body, blen, sig, &index)) != SK_OK ||
	    (st = reg_rollchain_put(s, txn, s->origin, index)) != SK_OK ||
	    (st = meta_put(s, txn, META_ROLLOVER_OLD, restored, rlen)) != SK_OK ||
	    (st = meta_put(s, txn, REG_META_ORIGIN, new_origin, strlen(new_origin))) != SK_OK ||
	    (st = meta_put(s, txn, REG_META_VKEY, vkey, strlen(vkey))) != SK_OK ||
	    (st = reg_log_checkpoint_update(&s->log, txn, new_key, new_origin)) != SK_OK ||
	    (st = cosigned_clear(s, txn)) != SK_OK ||
	    (st = reg_audit(s, txn, &rec)) != SK_OK)
		goto out;
	st = sk_db_status(mdb_txn_commit(txn));
	txn = NULL;
	if (st != SK_OK)
		goto out;
	/* the store goes on as the new log */
	note_signer_free(s->log_key);
	s->log_key = new_key;
	new_key = NULL;
	memcpy(s->origin, new_origin, strlen(new_origin) + 1);
	memcpy(s->vkey, vkey, sizeof(vkey));
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	note_signer_free(new_key);
	free(restored);
	free(body);
	return st;
}

sk_status reg_rollover_get(reg_store *s, MDB_txn *txn, uint8_t **body, size_t *len,
			   uint8_t sig[static KEY_SIG_BYTES], uint64_t *index)
{
	uint8_t key[8];
	MDB_val k = {8, key}, d;
	const uint8_t *v;
	sk_status st;
	int rc;

	*body = NULL;
	*len = 0;
	if ((st = reg_log_meta_u64(&s->log, txn, META_ROLLOVER_INDEX, index)) != SK_OK)
		return st;
	sk_be64_put(key, *index);
	if ((rc = mdb_get(txn, s->leafdata, &k, &d)) != 0)
		return rc == MDB_NOTFOUND && *index == 0 ? SK_ERR_NOTFOUND : sk_db_status(rc);
	v = d.mv_data;
	if (d.mv_size < 1 + KEY_SIG_BYTES || v[0] != WIRE_LEAF_ROLLOVER)
		return *index == 0 ? SK_ERR_NOTFOUND : SK_ERR_DB;
	*len = d.mv_size - 1 - KEY_SIG_BYTES;
	if ((*body = malloc(*len ? *len : 1)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*body, v + 1, *len);
	memcpy(sig, v + 1 + *len, KEY_SIG_BYTES);
	return SK_OK;
}

sk_status reg_rollover_request(reg_store *s, MDB_txn *txn, uint8_t **out, size_t *len,
			       uint64_t *out_size)
{
	Schakel__V1__RolloverRequest rq = SCHAKEL__V1__ROLLOVER_REQUEST__INIT;
	Schakel__V1__SignedRollover sr = SCHAKEL__V1__SIGNED_ROLLOVER__INIT;
	uint8_t *body = NULL, *note = NULL, sig[KEY_SIG_BYTES];
	uint8_t inc[MERKLE_PROOF_BYTES], cons[MERKLE_PROOF_BYTES];
	size_t blen = 0, nlen = 0, ni = 0, nc = 0, n;
	uint64_t index = 0, size = 0;
	struct reg_log_ctx ctx;
	merkle_source src;
	sk_status st;

	*out = NULL;
	*len = 0;
	if ((st = reg_rollover_get(s, txn, &body, &blen, sig, &index)) != SK_OK ||
	    (st = reg_log_checkpoint(&s->log, txn, &note, &nlen, &size)) != SK_OK)
		goto out;
	if (size <= index) {
		st = SK_ERR_DB; /* a checkpoint from before the rollover */
		goto out;
	}
	reg_log_source(&src, &ctx, &s->log, txn);
	if ((st = merkle_inclusion_proof(inc, &ni, &src, index, size)) != SK_OK ||
	    (index > 0 && (st = merkle_consistency_proof(cons, &nc, &src, index, size)) != SK_OK))
		goto out;
	sr.body = (ProtobufCBinaryData){blen, body};
	sr.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, sig};
	rq.statement = &sr;
	rq.checkpoint = (ProtobufCBinaryData){nlen, note};
	rq.inclusion_proof = (ProtobufCBinaryData){ni * MERKLE_HASH_BYTES, inc};
	rq.consistency_proof = (ProtobufCBinaryData){nc * MERKLE_HASH_BYTES, cons};
	n = schakel__v1__rollover_request__get_packed_size(&rq);
	if (n > WIRE_ROLLOVER_REQUEST_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if ((*out = malloc(n)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	*len = schakel__v1__rollover_request__pack(&rq, *out);
	if (out_size != NULL)
		*out_size = size;
out:
	free(body);
	free(note);
	return st;
}

struct org_set {
	char (*ids)[64];
	size_t n, cap;
};

static int org_set_has(const struct org_set *o, const char *org)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->ids[i], org) == 0)
			return 1;
	return 0;
}

static sk_status org_set_add(struct org_set *o, const char *org)
{
	if (strlen(org) >= sizeof(o->ids[0]) || org_set_has(o, org))
		return SK_OK;
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		char(*grown)[64] = realloc(o->ids, cap * sizeof(*grown));

		if (grown == NULL)
			return SK_ERR_NOMEM;
		o->ids = grown;
		o->cap = cap;
	}
	memcpy(o->ids[o->n++], org, strlen(org) + 1);
	return SK_OK;
}

sk_status reg_rollover_report(reg_store *s, MDB_txn *txn, reg_rollover_report_fn fn, void *arg)
{
	struct org_set back = {0};
	uint8_t *body = NULL, sig[KEY_SIG_BYTES], key[8];
	size_t blen = 0;
	uint64_t index = 0;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = reg_rollover_get(s, txn, &body, &blen, sig, &index)) != SK_OK)
		return st;
	free(body);
	/* the encryption keys members published after the statement */
	sk_be64_put(key, index + 1);
	k = (MDB_val){8, key};
	if ((st = sk_db_status(mdb_cursor_open(txn, s->leafdata, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *v = d.mv_data;
		Schakel__V1__MemberEvent *e;

		if (k.mv_size != 8 || d.mv_size < 1 + KEY_SIG_BYTES || v[0] != WIRE_LEAF_MEMBER)
			continue;
		e = schakel__v1__member_event__unpack(NULL, d.mv_size - 1 - KEY_SIG_BYTES, v + 1);
		if (e == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (e->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENC_KEY)
			st = org_set_add(&back, e->org_id);
		schakel__v1__member_event__free_unpacked(e, NULL);
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (st != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->members, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__Member *m = schakel__v1__member__unpack(NULL, d.mv_size, d.mv_data);

		if (m == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (!m->has_revoked_at)
			st = fn(m->org_id, (int)m->role,
				m->role == SCHAKEL__V1__ROLE__ROLE_NODE ? org_set_has(&back, m->org_id)
									: -1,
				arg);
		schakel__v1__member__free_unpacked(m, NULL);
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	free(back.ids);
	return st;
}
