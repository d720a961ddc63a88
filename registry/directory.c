#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "protos/directory.h"
#include "registry/caps.h"
#include "registry/directory.h"
#include "registry/publish.h"
#include "registry/quota.h"

_Static_assert(REG_DIRECTORY_BYTES_MAX == WIRE_DIR_RECORD_MAX,
	       "the registry's cap is the record's own bound");

/* stored value: u64be(leaf index) || u32be(len) || record || signature */
#define VAL_HEAD 12

/* One directory publish, from the loop thread through the writer and a
 * worker back to the loop (reg_op_directory_publish). */
typedef struct reg_dir_pub {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint8_t *rec;
	size_t rec_len;
	uint8_t sig[KEY_SIG_BYTES];
	uint64_t version, leaf_index;
	sk_status result;
	char reason[AUDIT_REASON_MAX + 1];
	uint8_t rbody[256]; /* the PublishReceiptBody */
	size_t rbody_len;
	reg_receipt receipt;
	uint8_t *note; /* made by finish */
	size_t note_len;
	uint8_t proof[MERKLE_PROOF_BYTES];
	size_t proof_len;
	sk_status reply_st;
} reg_dir_pub;

static void refuse(reg_dir_pub *p, sk_status st, const char *why)
{
	p->result = st;
	snprintf(p->reason, sizeof(p->reason), "%s", why);
}

static sk_status pub_new(void **job, reg_store *s, const net_peer *peer, const wire_envelope *env)
{
	const Schakel__V1__DirectoryPublish *req = env->directory_publish;
	reg_dir_pub *p = calloc(1, sizeof(*p));

	*job = NULL;
	if (p == NULL)
		return SK_ERR_NOMEM;
	p->store = s;
	memcpy(p->org, peer->org_id, sizeof(p->org));
	if (req->record.len > WIRE_DIR_RECORD_MAX || req->signature.len != KEY_SIG_BYTES) {
		refuse(p, SK_ERR_INVALID, "malformed directory record");
	} else if ((p->rec = malloc(req->record.len ? req->record.len : 1)) == NULL) {
		free(p);
		return SK_ERR_NOMEM;
	} else {
		if (req->record.len > 0)
			memcpy(p->rec, req->record.data, req->record.len);
		p->rec_len = req->record.len;
		memcpy(p->sig, req->signature.data, KEY_SIG_BYTES);
	}
	*job = p;
	return SK_OK;
}

static void pub_free(void *job)
{
	reg_dir_pub *p = job;

	if (p == NULL)
		return;
	free(p->rec);
	free(p->note);
	free(p);
}

static sk_status stored_version(reg_store *s, MDB_txn *txn, const char *org, uint64_t *version)
{
	Schakel__V1__DirectoryRecord *r = NULL;
	MDB_val k = {strlen(org), (void *)org}, d;
	uint32_t len;
	int rc;

	*version = 0;
	if ((rc = mdb_get(txn, s->directory, &k, &d)) == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size < VAL_HEAD || (len = sk_be32_get((const uint8_t *)d.mv_data + 8)) >
					     d.mv_size - VAL_HEAD ||
	    (r = schakel__v1__directory_record__unpack(NULL, len,
						       (const uint8_t *)d.mv_data + VAL_HEAD)) == NULL)
		return SK_ERR_DB;
	*version = r->version;
	schakel__v1__directory_record__free_unpacked(r, NULL);
	return SK_OK;
}

/* Writer job: the record's checks, its leaf, the stored record, the
 * receipt body and the audit record (or only the audit of a refusal). */
static sk_status pub_apply(MDB_txn *txn, void *arg)
{
	reg_dir_pub *p = arg;
	reg_store *s = p->store;
	Schakel__V1__DirectoryRecord *r = NULL;
	Schakel__V1__Member *m = NULL;
	Schakel__V1__PublishReceiptBody rb = SCHAKEL__V1__PUBLISH_RECEIPT_BODY__INIT;
	audit_record rec = {0};
	uint8_t leaf[WIRE_LEAF_HASH_BYTES], *val = NULL;
	char access[NET_ORG_ID_MAX + 5], why[160];
	uint64_t now = sk_clock_now_ms(), last;
	MDB_val k, d;
	sk_status st = SK_OK;

	if (p->result != SK_OK)
		goto audit;
	if (wire_dir_parse(p->rec, p->rec_len, &r, why, sizeof(why)) != SK_OK) {
		char msg[sizeof(p->reason)];

		snprintf(msg, sizeof(msg), "the directory record was refused: %s", why);
		refuse(p, SK_ERR_INVALID, msg);
		goto audit;
	}
	if (strcmp(r->org_id, p->org) != 0) {
		refuse(p, SK_ERR_PERM, "a member publishes only its own directory record");
		goto audit;
	}
	if ((st = reg_member_get(s, txn, p->org, &m)) != SK_OK || m->has_revoked_at) {
		refuse(p, SK_ERR_PERM, "the org is not a live member");
		st = SK_OK;
		goto audit;
	}
	if (m->identity_key.len != KEY_ED25519_PK_BYTES ||
	    key_verify(p->sig, WIRE_DOMAIN_DIRECTORY, p->rec, p->rec_len, m->identity_key.data) !=
		    SK_OK) {
		refuse(p, SK_ERR_VERIFY, "the directory record's signature does not verify");
		goto audit;
	}
	if (r->issued_at + WIRE_DIR_CLOCK_SKEW_MS < now || r->issued_at > now + WIRE_DIR_CLOCK_SKEW_MS) {
		refuse(p, SK_ERR_INVALID, "the directory record's date is more than 5 minutes off "
					  "the registry's clock");
		goto audit;
	}
	if ((st = stored_version(s, txn, p->org, &last)) != SK_OK)
		goto out;
	if (r->version <= last) {
		refuse(p, SK_ERR_EXISTS, "a directory record of this or a later version is "
					 "published already");
		goto audit;
	}
	/* a leaf like an entry: the org's publishes a minute */
	if ((st = reg_quota_publish(s, txn, p->org, 0, now, p->reason, sizeof(p->reason))) ==
	    SK_ERR_TOOBIG) {
		p->result = st;
		st = SK_OK;
		goto audit;
	} else if (st != SK_OK) {
		goto out;
	}
	if ((st = wire_leaf_hash(leaf, WIRE_LEAF_DIRECTORY, p->rec, p->rec_len, p->sig)) != SK_OK ||
	    (st = reg_log_append(&s->log, txn, leaf, &p->leaf_index)) != SK_OK)
		goto out;
	if ((val = malloc(VAL_HEAD + p->rec_len + KEY_SIG_BYTES)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	sk_be64_put(val, p->leaf_index);
	sk_be32_put(val + 8, (uint32_t)p->rec_len);
	memcpy(val + VAL_HEAD, p->rec, p->rec_len);
	memcpy(val + VAL_HEAD + p->rec_len, p->sig, KEY_SIG_BYTES);
	k = (MDB_val){strlen(p->org), p->org};
	d = (MDB_val){VAL_HEAD + p->rec_len + KEY_SIG_BYTES, val};
	if ((st = sk_db_status(mdb_put(txn, s->directory, &k, &d, 0))) != SK_OK)
		goto out;
	p->version = r->version;
	rb.org_id = p->org;
	rb.seq = r->version;
	rb.leaf_index = p->leaf_index;
	rb.leaf_hash = (ProtobufCBinaryData){sizeof(leaf), leaf};
	rb.received_at = now;
	if ((p->rbody_len = schakel__v1__publish_receipt_body__get_packed_size(&rb)) >
	    sizeof(p->rbody)) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	schakel__v1__publish_receipt_body__pack(&rb, p->rbody);
audit:
	snprintf(access, sizeof(access), "tls:%s", p->org);
	rec.event = "directory.publish";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = p->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = p->result == SK_OK ? NULL : p->reason;
	rec.user = p->org;
	rec.access_point = access;
	rec.counterpart = p->org;
	st = reg_audit(s, txn, &rec);
out:
	free(val);
	schakel__v1__directory_record__free_unpacked(r, NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

static reg_receipt *pub_receipt(void *job)
{
	reg_dir_pub *p = job;

	if (p->result != SK_OK || p->rbody_len == 0)
		return NULL;
	p->receipt.body = (ProtobufCBinaryData){p->rbody_len, p->rbody};
	return &p->receipt;
}

/* Worker, after the durable commit: the checkpoint and inclusion proof. */
static void pub_finish(void *job, sk_status commit)
{
	reg_dir_pub *p = job;
	struct reg_log_ctx ctx;
	merkle_source src;
	MDB_txn *txn = NULL;
	uint64_t size = 0;
	sk_status st;

	p->reply_st = SK_ERR_FAILED;
	if (commit != SK_OK || p->result != SK_OK || p->receipt.size == 0)
		return;
	if ((st = sk_db_status(mdb_txn_begin(p->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		p->reply_st = st;
		return;
	}
	reg_log_source(&src, &ctx, &p->store->log, txn);
	st = reg_log_checkpoint(&p->store->log, txn, &p->note, &p->note_len, &size);
	if (st == SK_OK && p->leaf_index < size)
		st = merkle_inclusion_proof(p->proof, &p->proof_len, &src, p->leaf_index, size);
	else if (st == SK_OK)
		st = SK_ERR_DB;
	mdb_txn_abort(txn);
	p->reply_st = st;
}

static sk_status pub_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_dir_pub *p = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__PublishReceipt r = SCHAKEL__V1__PUBLISH_RECEIPT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (p->result != SK_OK)
		return reg_send_error(c, request_id, p->result, p->reason);
	if (p->reply_st != SK_OK)
		return reg_send_error(c, request_id, p->reply_st, NULL);
	r.body = (ProtobufCBinaryData){p->rbody_len, p->rbody};
	r.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, p->receipt.sig};
	r.batch_size = p->receipt.size;
	r.batch_index = p->receipt.index;
	r.batch_proof = (ProtobufCBinaryData){p->receipt.proof_len * MERKLE_HASH_BYTES,
					      p->receipt.proof};
	r.batch_salt = (ProtobufCBinaryData){sizeof(p->receipt.salt), p->receipt.salt};
	r.has_checkpoint = 1;
	r.checkpoint = (ProtobufCBinaryData){p->note_len, p->note};
	r.has_inclusion_proof = 1;
	r.inclusion_proof = (ProtobufCBinaryData){p->proof_len * MERKLE_HASH_BYTES, p->proof};
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT;
	env.publish_receipt = &r;
	return net_conn_send(c, &env);
}

static const char *pub_screen(const wire_envelope *env, const ProtobufCMessage **body,
			      size_t *len, size_t *cap)
{
	*body = &env->directory_publish->base;
	*len = env->directory_publish->record.len;
	*cap = REG_DIRECTORY_BYTES_MAX;
	return NULL;
}

static sk_status pub_result(const void *job, const char **why)
{
	const reg_dir_pub *p = job;

	if (why != NULL)
		*why = p->reason;
	return p->result;
}

const reg_op reg_op_directory_publish = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH,
	.name = "directory.publish",
	.screen = pub_screen,
	.new = pub_new,
	.apply = pub_apply,
	.receipt = pub_receipt,
	.finish = pub_finish,
	.reply = pub_reply,
	.result = pub_result,
	.free = pub_free,
};

/* The fetch: every live member's latest record after `after`, in org id
 * order, each with its inclusion proof against the latest checkpoint. */
static sk_status fetch_read(reg_store *s, net_conn *c, uint64_t request_id,
			    const wire_envelope *env)
{
	const Schakel__V1__DirectoryRequest *req = env->directory_request;
	wire_envelope out = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__DirectoryResponse r = SCHAKEL__V1__DIRECTORY_RESPONSE__INIT;
	Schakel__V1__DirectoryItem items[REG_DIRECTORY_PAGE_MAX], *ptrs[REG_DIRECTORY_PAGE_MAX];
	uint8_t(*proofs)[MERKLE_PROOF_BYTES] = calloc(REG_DIRECTORY_PAGE_MAX, MERKLE_PROOF_BYTES);
	uint8_t *note = NULL;
	size_t note_len = 0, n = 0, bytes = 0, plen;
	uint64_t size = 0;
	struct reg_log_ctx ctx;
	merkle_source src;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if (req->after != NULL && (req->after[0] == '\0' || strlen(req->after) > NET_ORG_ID_MAX)) {
		free(proofs);
		return reg_send_error(c, request_id, SK_ERR_INVALID, "'after' is not an org id");
	}
	if (proofs == NULL)
		return reg_send_error(c, request_id, SK_ERR_NOMEM, NULL);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK ||
	    (st = reg_log_checkpoint(&s->log, txn, &note, &note_len, &size)) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, s->directory, &cur))) != SK_OK)
		goto out;
	reg_log_source(&src, &ctx, &s->log, txn);
	k = req->after != NULL ? (MDB_val){strlen(req->after), req->after} : (MDB_val){0, NULL};
	rc = req->after != NULL ? mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE)
				: mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	if (rc == 0 && req->after != NULL && k.mv_size == strlen(req->after) &&
	    memcmp(k.mv_data, req->after, k.mv_size) == 0)
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *v = d.mv_data;
		char org[NET_ORG_ID_MAX + 1];
		uint64_t idx;
		uint32_t len;

		if (k.mv_size == 0 || k.mv_size > NET_ORG_ID_MAX || d.mv_size < VAL_HEAD ||
		    (len = sk_be32_get(v + 8)) != d.mv_size - VAL_HEAD - KEY_SIG_BYTES) {
			st = SK_ERR_DB;
			goto out;
		}
		memcpy(org, k.mv_data, k.mv_size);
		org[k.mv_size] = '\0';
		if (!reg_member_live(s, txn, org))
			continue; /* a revoked member's record is no longer shown */
		if (n == REG_DIRECTORY_PAGE_MAX || bytes + d.mv_size + 1024 > WIRE_FRAME_MAX / 2) {
			r.has_more = 1;
			r.more = 1;
			break;
		}
		idx = sk_be64_get(v);
		if (idx >= size ||
		    (st = merkle_inclusion_proof(proofs[n], &plen, &src, idx, size)) != SK_OK) {
			st = st != SK_OK ? st : SK_ERR_DB;
			goto out;
		}
		items[n] = (Schakel__V1__DirectoryItem)SCHAKEL__V1__DIRECTORY_ITEM__INIT;
		items[n].record = (ProtobufCBinaryData){len, (uint8_t *)v + VAL_HEAD};
		items[n].signature = (ProtobufCBinaryData){KEY_SIG_BYTES, (uint8_t *)v + VAL_HEAD + len};
		items[n].leaf_index = idx;
		items[n].inclusion_proof = (ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, proofs[n]};
		ptrs[n] = &items[n];
		bytes += d.mv_size + plen * MERKLE_HASH_BYTES;
		n++;
	}
	r.checkpoint = (ProtobufCBinaryData){note_len, note};
	r.n_items = n;
	r.items = ptrs;
	out.request_id = request_id;
	out.body_case = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_RESPONSE;
	out.directory_response = &r;
	st = net_conn_send(c, &out); /* values are read before the transaction ends */
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	free(note);
	free(proofs);
	if (st != SK_OK && st != SK_ERR_FAILED && st != SK_ERR_TOOBIG)
		return reg_send_error(c, request_id, st, NULL);
	return st;
}

const reg_op reg_op_directory_fetch = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_REQUEST,
	.name = "directory.fetch",
	.read = fetch_read,
};
