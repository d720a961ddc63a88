#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "crypto/oprf.h"
#include "protos/domains.h"
#include "protos/wire.h"
#include "registry/cosign.h"
#include "registry/events.h"
#include "registry/op.h"
#include "protos/rollover.h"
#include "registry/quota.h"
#include "registry/rollchain.h"
#include "registry/rollover.h"

#define REG_ENC_KEY_MAX_S (60ull * 24 * 3600)

/* An epoch key request of pseudonymiser org, or an encryption key request
 * of a node, checked and applied by the writer (a member-event leaf, the
 * member's current key); reg_op_epoch_key, reg_op_enc_key. */
typedef struct reg_epoch {
	reg_store *store;
	char org_id[NET_ORG_ID_MAX + 1];
	Schakel__V1__EpochKeyBody *body;
	uint8_t *body_bytes;
	size_t body_len;
	uint8_t sig[KEY_SIG_BYTES];
	sk_status result;
	char reason[256];
	uint64_t leaf_index;
	int enc; /* an encryption key request (node), not an epoch key */
	uint8_t enc_key[KEY_X25519_PK_BYTES];
	uint64_t enc_not_after; /* unix seconds */
} reg_epoch;

/* Sends the signed member events with leaf index >= from (at most max). */
static sk_status events_send(reg_store *s, net_conn *c, uint64_t request_id, uint64_t from,
			     uint32_t max)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__MemberEventsResponse r = SCHAKEL__V1__MEMBER_EVENTS_RESPONSE__INIT;
	Schakel__V1__SignedMemberEvent *ev = NULL, **ptr = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	uint8_t kb[8];
	MDB_val k = {8, kb}, d;
	size_t n = 0, bytes = 0;
	sk_status st;
	int rc;

	if (max == 0 || max > REG_EVENTS_MAX)
		max = REG_EVENTS_MAX;
	ev = calloc(max, sizeof(*ev));
	ptr = calloc(max, sizeof(*ptr));
	if (ev == NULL || ptr == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (int i = 7; i >= 0; i--, from >>= 8)
		kb[i] = (uint8_t)from;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, s->leafdata, &cur))) != SK_OK)
		goto out;
	/* leaf contents: kind || body || signature (64); values stay valid
	 * until the read transaction ends, after the send */
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && n < max;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *v = d.mv_data;
		uint64_t idx = 0;

		if (k.mv_size != 8 || d.mv_size < 1 + KEY_SIG_BYTES || v[0] != WIRE_LEAF_MEMBER)
			continue;
		/* keep a reply well inside one frame */
		if (bytes + d.mv_size + 32 > WIRE_FRAME_MAX / 2)
			break;
		bytes += d.mv_size + 32;
		idx = sk_be64_get(k.mv_data);
		schakel__v1__signed_member_event__init(&ev[n]);
		ev[n].body = (ProtobufCBinaryData){d.mv_size - 1 - KEY_SIG_BYTES, (uint8_t *)v + 1};
		ev[n].signature = (ProtobufCBinaryData){KEY_SIG_BYTES,
							(uint8_t *)v + d.mv_size - KEY_SIG_BYTES};
		ev[n].leaf_index = idx;
		ptr[n] = &ev[n];
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto out;
	}
	r.n_events = n;
	r.events = ptr;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_RESPONSE;
	env.member_events_response = &r;
	st = net_conn_send(c, &env);
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	free(ev);
	free(ptr);
	if (st != SK_OK && st != SK_ERR_FAILED && st != SK_ERR_TOOBIG)
		return reg_send_error(c, request_id, st, NULL);
	return st;
}

static sk_status epoch_new(void **job, reg_store *s, const net_peer *peer,
			   const wire_envelope *env)
{
	const Schakel__V1__EpochKeyRequest *req = env->epoch_key_request;
	reg_epoch *e = calloc(1, sizeof(*e));

	*job = NULL;
	if (e == NULL)
		return SK_ERR_NOMEM;
	e->store = s;
	memcpy(e->org_id, peer->org_id, sizeof(e->org_id));
	e->body_bytes = malloc(req->body.len ? req->body.len : 1);
	if (e->body_bytes == NULL) {
		free(e);
		return SK_ERR_NOMEM;
	}
	if (req->body.len > 0) /* an empty body has no data pointer */
		memcpy(e->body_bytes, req->body.data, req->body.len);
	e->body_len = req->body.len;
	if (req->signature.len == KEY_SIG_BYTES)
		memcpy(e->sig, req->signature.data, KEY_SIG_BYTES);
	else
		e->result = SK_ERR_INVALID;
	*job = e;
	return SK_OK;
}

/* A node's new encryption key, certified by its identity key; applied as
 * a member-event leaf and the member's current key. Same job type. */
static sk_status enc_new(void **job, reg_store *s, const net_peer *peer,
			 const wire_envelope *env)
{
	const Schakel__V1__EncKeyRequest *req = env->enc_key_request;
	reg_epoch *e = calloc(1, sizeof(*e));

	*job = NULL;
	if (e == NULL)
		return SK_ERR_NOMEM;
	e->store = s;
	e->enc = 1;
	memcpy(e->org_id, peer->org_id, sizeof(e->org_id));
	if (req->encryption_key.len == KEY_X25519_PK_BYTES && req->signature.len == KEY_SIG_BYTES) {
		memcpy(e->enc_key, req->encryption_key.data, KEY_X25519_PK_BYTES);
		memcpy(e->sig, req->signature.data, KEY_SIG_BYTES);
		e->enc_not_after = req->not_after;
	} else {
		e->result = SK_ERR_INVALID;
		snprintf(e->reason, sizeof(e->reason), "malformed encryption key");
	}
	*job = e;
	return SK_OK;
}

static void epoch_free(void *job)
{
	reg_epoch *e = job;

	if (e == NULL)
		return;
	schakel__v1__epoch_key_body__free_unpacked(e->body, NULL);
	free(e->body_bytes);
	free(e);
}


/* Writer: an encryption key of a live member, certified by its identity
 * key, valid for at most REG_ENC_KEY_MAX_S from now. */
static sk_status enc_key_apply(reg_epoch *e, MDB_txn *txn)
{
	reg_store *s = e->store;
	Schakel__V1__Member *m = NULL;
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	uint64_t now_s = sk_clock_now_ms() / 1000;
	ProtobufCBinaryData own;
	protobuf_c_boolean had;
	uint8_t *buf = NULL;
	size_t n;
	sk_status st;

	if ((st = reg_member_get(s, txn, e->org_id, &m)) != SK_OK || m->has_revoked_at) {
		e->result = SK_ERR_PERM;
		snprintf(e->reason, sizeof(e->reason), "only a live member publishes encryption keys");
		st = SK_OK;
		goto out;
	}
	if (e->enc_not_after <= now_s || e->enc_not_after > now_s + REG_ENC_KEY_MAX_S ||
	    sodium_is_zero(e->enc_key, sizeof(e->enc_key))) {
		e->result = SK_ERR_INVALID;
		snprintf(e->reason, sizeof(e->reason),
			 "an encryption key must be valid now and for at most 60 days");
		goto out;
	}
	if (key_x25519_cert_verify(e->sig, WIRE_DOMAIN_ENC_KEY, e->enc_key, e->enc_not_after, now_s,
				   m->identity_key.data) != SK_OK) {
		e->result = SK_ERR_VERIFY;
		snprintf(e->reason, sizeof(e->reason),
			 "the encryption key is not certified by the member's identity key");
		goto out;
	}
	/* a leaf every member fetches: the org's publishes a minute */
	if ((st = reg_quota_publish(s, txn, e->org_id, 0, sk_clock_now_ms(), e->reason,
				    sizeof(e->reason))) == SK_ERR_TOOBIG) {
		e->result = st;
		st = SK_OK;
		goto out;
	} else if (st != SK_OK) {
		goto out;
	}
	ev.kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENC_KEY;
	ev.org_id = e->org_id;
	ev.time = sk_clock_now_ms();
	ev.has_encryption_key = 1;
	ev.encryption_key = (ProtobufCBinaryData){KEY_X25519_PK_BYTES, e->enc_key};
	ev.has_enc_not_after = 1;
	ev.enc_not_after = e->enc_not_after;
	ev.has_enc_signature = 1;
	ev.enc_signature = (ProtobufCBinaryData){KEY_SIG_BYTES, e->sig};
	n = schakel__v1__member_event__get_packed_size(&ev);
	if ((buf = malloc(n)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__member_event__pack(&ev, buf);
	/* the member borrows the key for the put; its own buffer goes back */
	own = m->encryption_key;
	had = m->has_encryption_key;
	m->has_encryption_key = 1;
	m->encryption_key = ev.encryption_key;
	if ((st = reg_leaf_member(s, txn, buf, n, &e->leaf_index)) == SK_OK)
		st = reg_member_put(s, txn, m);
	m->encryption_key = own;
	m->has_encryption_key = had;
out:
	free(buf);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

/* Writer: all checks against the member as of now, then the leaf. */
static sk_status epoch_apply(MDB_txn *txn, void *arg)
{
	reg_epoch *e = arg;
	reg_store *s = e->store;
	Schakel__V1__Member *m = NULL;
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	Schakel__V1__EpochKeyBody *b;
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5];
	uint8_t *buf = NULL;
	size_t n;
	sk_status st = SK_OK;

	if (e->result != SK_OK)
		goto audit;
	if (e->enc) {
		st = enc_key_apply(e, txn);
		goto audit;
	}
	e->body = schakel__v1__epoch_key_body__unpack(NULL, e->body_len, e->body_bytes);
	b = e->body;
	if (b == NULL || strcmp(b->org_id, e->org_id) != 0 || b->oprf_key.len != OPRF_ELEMENT_BYTES ||
	    oprf_element_check(b->oprf_key.data) != SK_OK || b->not_after <= b->not_before) {
		e->result = SK_ERR_INVALID;
		snprintf(e->reason, sizeof(e->reason), "malformed epoch key");
		goto audit;
	}
	if (reg_message_unknown(&b->base)) {
		e->result = SK_ERR_INVALID;
		snprintf(e->reason, sizeof(e->reason), "the epoch key has fields this registry does "
			 "not know; nothing was stored");
		goto audit;
	}
	if ((st = reg_member_get(s, txn, e->org_id, &m)) != SK_OK || m->has_revoked_at ||
	    m->role != SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER) {
		e->result = SK_ERR_PERM;
		snprintf(e->reason, sizeof(e->reason), "only a live pseudonymiser publishes epoch keys");
		st = SK_OK;
		goto audit;
	}
	if (key_verify(e->sig, WIRE_DOMAIN_EPOCH_KEY, e->body_bytes, e->body_len,
		       m->identity_key.data) != SK_OK) {
		e->result = SK_ERR_VERIFY;
		snprintf(e->reason, sizeof(e->reason), "the epoch key's signature does not verify");
		goto audit;
	}
	if (b->epoch <= (m->has_epoch ? m->epoch : 1)) {
		e->result = SK_ERR_EXISTS;
		snprintf(e->reason, sizeof(e->reason), "epoch %u is not newer than the current one",
			 b->epoch);
		goto audit;
	}
	if ((st = reg_quota_publish(s, txn, e->org_id, 0, sk_clock_now_ms(), e->reason,
				    sizeof(e->reason))) == SK_ERR_TOOBIG) {
		e->result = st;
		st = SK_OK;
		goto audit;
	} else if (st != SK_OK) {
		goto out;
	}
	ev.kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_EPOCH_KEY;
	ev.org_id = e->org_id;
	ev.time = sk_clock_now_ms();
	ev.has_oprf_key = 1;
	ev.oprf_key = b->oprf_key;
	ev.has_epoch = 1;
	ev.epoch = b->epoch;
	ev.has_not_after = 1;
	ev.not_after = b->not_after;
	n = schakel__v1__member_event__get_packed_size(&ev);
	if ((buf = malloc(n)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__member_event__pack(&ev, buf);
	{
		/* the member borrows the body's key for the put; its own buffer
		 * goes back before the free */
		ProtobufCBinaryData own = m->oprf_key;
		protobuf_c_boolean had = m->has_oprf_key;

		m->has_oprf_key = 1;
		m->oprf_key = b->oprf_key;
		m->has_epoch = 1;
		m->epoch = b->epoch;
		if ((st = reg_leaf_member(s, txn, buf, n, &e->leaf_index)) == SK_OK)
			st = reg_member_put(s, txn, m);
		m->oprf_key = own;
		m->has_oprf_key = had;
		if (st != SK_OK)
			goto out;
	}
audit:
	snprintf(access, sizeof(access), "tls:%s", e->org_id);
	if (st != SK_OK)
		goto out;
	rec.event = e->enc ? "encryption.key" : "epoch.key";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = e->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = e->result == SK_OK ? NULL : e->reason;
	rec.user = e->org_id;
	rec.role = e->enc ? "node" : "pseudonymiser";
	rec.access_point = access;
	rec.counterpart = e->org_id;
	st = reg_audit(s, txn, &rec);
out:
	free(buf);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

static sk_status epoch_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_epoch *e = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__EpochKeyReceipt r = SCHAKEL__V1__EPOCH_KEY_RECEIPT__INIT;
	Schakel__V1__EncKeyReceipt er = SCHAKEL__V1__ENC_KEY_RECEIPT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (e->result != SK_OK)
		return reg_send_error(c, request_id, e->result, e->reason);
	r.leaf_index = er.leaf_index = e->leaf_index;
	env.request_id = request_id;
	if (e->enc) {
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_RECEIPT;
		env.enc_key_receipt = &er;
	} else {
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_RECEIPT;
		env.epoch_key_receipt = &r;
	}
	return net_conn_send(c, &env);
}

/* Sends the checkpoint and the consistency proofs reg_op_consistency
 * promises (registry/events.h). */
/* For a member that tracks req->origin, which s's log rolled over from
 * (once or more): the served checkpoint into note/nlen/size and into r
 * the chain of statements with their proofs (registry/rollchain.h; *chain
 * owns them). SK_ERR_INVALID (detail set) when s's log did not roll over
 * from that origin. */
static sk_status rollover_fill(reg_store *s, MDB_txn *txn, const char *org,
			       const Schakel__V1__ConsistencyRequest *req,
			       Schakel__V1__ConsistencyResponse *r, reg_rollchain **chain,
			       uint8_t **note, size_t *nlen, uint64_t *size)
{
	uint64_t index = 0;
	sk_status st;

	if (req->n_also > 0) {
		sk_error_set("this registry's log rolled over; ask for the new log first");
		return SK_ERR_INVALID;
	}
	if ((st = reg_rollchain_find(s, txn, req->origin, &index)) != SK_OK) {
		if (st != SK_ERR_NOTFOUND)
			return st;
		sk_error_set("this registry's log is %s and did not roll over from %s", s->origin,
			     req->origin);
		return SK_ERR_INVALID;
	}
	if ((st = reg_checkpoint_served(s, txn, org, 0, note, nlen, size)) != SK_OK)
		return st;
	return reg_rollchain_answer(s, txn, req->origin, *size, r, chain);
}

static sk_status consistency_send(reg_store *s, net_conn *c, uint64_t request_id,
				  const Schakel__V1__ConsistencyRequest *req)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__ConsistencyResponse r = SCHAKEL__V1__CONSISTENCY_RESPONSE__INIT;
	reg_rollchain *chain = NULL;
	uint8_t proof[MERKLE_PROOF_BYTES], *note = NULL, *also = NULL;
	ProtobufCBinaryData *also_proofs = NULL;
	uint64_t size = 0, from = req->from;
	size_t plen = 0, nlen = 0;
	struct reg_log_ctx ctx;
	merkle_source src;
	MDB_txn *txn = NULL;
	sk_status st;

	if (req->n_also > WIRE_CONSISTENCY_ALSO_MAX)
		return reg_send_error(c, request_id, SK_ERR_TOOBIG, "at most 1024 more tree sizes");
	if (req->n_also > 0 &&
	    ((also = malloc(req->n_also * MERKLE_PROOF_BYTES)) == NULL ||
	     (also_proofs = calloc(req->n_also, sizeof(*also_proofs))) == NULL)) {
		free(also);
		return reg_send_error(c, request_id, SK_ERR_NOMEM, NULL);
	}

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return reg_send_error(c, request_id, st, NULL);
	reg_log_source(&src, &ctx, &s->log, txn);
	/* a member that tracks the log this one rolled over from gets the
	 * statement, proven in the checkpoint, instead of a proof from its tree */
	if (req->origin != NULL && strcmp(req->origin, s->origin) != 0) {
		st = rollover_fill(s, txn, net_conn_peer(c)->org_id, req, &r, &chain, &note, &nlen,
				   &size);
		from = 0;
	} else if ((st = reg_checkpoint_served(s, txn, net_conn_peer(c)->org_id, from, &note, &nlen,
					 &size)) == SK_OK &&
	    from > size) {
		sk_error_set("the member knows a tree of %llu leaves but the latest checkpoint has "
			     "%llu", (unsigned long long)from, (unsigned long long)size);
		st = SK_ERR_INVALID;
	}
	if (st == SK_OK && from > 0)
		st = merkle_consistency_proof(proof, &plen, &src, from, size);
	for (size_t i = 0; i < req->n_also && st == SK_OK; i++) {
		uint8_t *p = also + i * MERKLE_PROOF_BYTES;
		size_t n = 0;

		if (req->also[i] == 0) {
			sk_error_set("a tree size to prove is 0");
			st = SK_ERR_INVALID;
		} else if (req->also[i] > size) {
			/* a receipt's tree the witnesses have not cosigned yet */
			sk_error_set("the checkpoint served does not cover tree size %llu yet; ask "
				     "again shortly", (unsigned long long)req->also[i]);
			st = SK_ERR_TRUNCATED;
		} else if ((st = merkle_consistency_proof(p, &n, &src, req->also[i], size)) == SK_OK) {
			also_proofs[i] = (ProtobufCBinaryData){n * MERKLE_HASH_BYTES, p};
		}
	}
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		free(note);
		free(also);
		free(also_proofs);
		reg_rollchain_free(chain);
		return reg_send_error(c, request_id, st, sk_error_detail());
	}
	r.checkpoint = (ProtobufCBinaryData){nlen, note};
	r.proof = (ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, proof};
	r.n_also_proofs = req->n_also;
	r.also_proofs = also_proofs;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_RESPONSE;
	env.consistency_response = &r;
	st = net_conn_send(c, &env);
	free(note);
	free(also);
	free(also_proofs);
	reg_rollchain_free(chain);
	return st;
}

/* The request kinds of keys and the log (registry/op.h): epoch and
 * encryption keys are jobs of one type, member events and consistency
 * proofs are read at once. */

static const char *epoch_screen(const wire_envelope *env, const ProtobufCMessage **body,
				size_t *len, size_t *cap)
{
	*body = &env->epoch_key_request->base;
	*len = env->epoch_key_request->body.len;
	*cap = REG_EPOCH_KEY_BYTES_MAX;
	return NULL;
}

static const char *enc_screen(const wire_envelope *env, const ProtobufCMessage **body,
			      size_t *len, size_t *cap)
{
	*body = &env->enc_key_request->base;
	return NULL;
}

static sk_status epoch_result(const void *job, const char **why)
{
	const reg_epoch *e = job;

	if (why != NULL)
		*why = e->reason;
	return e->result;
}

static sk_status events_read(reg_store *s, net_conn *c, uint64_t request_id,
			     const wire_envelope *env)
{
	return events_send(s, c, request_id, env->member_events_request->from,
			   env->member_events_request->max);
}

static sk_status consistency_read(reg_store *s, net_conn *c, uint64_t request_id,
				  const wire_envelope *env)
{
	return consistency_send(s, c, request_id, env->consistency_request);
}

const reg_op reg_op_epoch_key = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST,
	.name = "epoch.key",
	.screen = epoch_screen,
	.new = epoch_new,
	.apply = epoch_apply,
	.reply = epoch_reply,
	.result = epoch_result,
	.free = epoch_free,
};

const reg_op reg_op_enc_key = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST,
	.name = "encryption.key",
	.screen = enc_screen,
	.new = enc_new,
	.apply = epoch_apply,
	.reply = epoch_reply,
	.result = epoch_result,
	.free = epoch_free,
};

const reg_op reg_op_member_events = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST,
	.name = "member.events",
	.read = events_read,
};

const reg_op reg_op_consistency = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_REQUEST,
	.name = "log.consistency",
	.read = consistency_read,
};
