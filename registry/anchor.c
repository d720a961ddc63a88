#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "protos/wire.h"
#include "registry/anchor.h"
#include "registry/op.h"
#include "registry/quota.h"

#define KEY_MAX (NET_ORG_ID_MAX + 1 + 8)

/* One anchor, from the loop thread through the writer back to the loop
 * (reg_op_anchor). */
typedef struct reg_anchor {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint8_t *body;
	size_t body_len;
	uint8_t sig[KEY_SIG_BYTES];
	uint64_t leaf_index;
	sk_status result;
	char reason[160];
} reg_anchor;

static sk_status anchor_new(void **job, reg_store *s, const net_peer *peer,
			    const wire_envelope *env)
{
	const Schakel__V1__AnchorRequest *req = env->anchor_request;
	reg_anchor *a = calloc(1, sizeof(*a));

	*job = NULL;
	if (a == NULL || (a->body = malloc(req->body.len ? req->body.len : 1)) == NULL) {
		free(a);
		return SK_ERR_NOMEM;
	}
	a->store = s;
	memcpy(a->org, peer->org_id, sizeof(a->org));
	if (req->body.len > 0) /* an empty body has no data pointer */
		memcpy(a->body, req->body.data, req->body.len);
	a->body_len = req->body.len;
	if (req->signature.len == KEY_SIG_BYTES)
		memcpy(a->sig, req->signature.data, KEY_SIG_BYTES);
	else
		a->result = SK_ERR_INVALID;
	*job = a;
	return SK_OK;
}

static void anchor_free(void *job)
{
	reg_anchor *a = job;

	if (a == NULL)
		return;
	free(a->body);
	free(a);
}

static void refuse(reg_anchor *a, sk_status st, const char *why)
{
	a->result = st;
	snprintf(a->reason, sizeof(a->reason), "%s", why);
}

/* Writer job: the anchor's checks, its leaf and its audit record. */
static sk_status anchor_apply(MDB_txn *txn, void *arg)
{
	reg_anchor *a = arg;
	reg_store *s = a->store;
	Schakel__V1__AnchorBody *b = NULL;
	Schakel__V1__Member *m = NULL;
	audit_record rec = {0};
	uint8_t leaf[WIRE_LEAF_HASH_BYTES], kb[KEY_MAX];
	char access[NET_ORG_ID_MAX + 5];
	uint64_t last;
	MDB_val k, d;
	sk_status st = SK_OK;

	if (a->result != SK_OK)
		goto audit;
	if ((b = schakel__v1__anchor_body__unpack(NULL, a->body_len, a->body)) == NULL ||
	    strcmp(b->org_id, a->org) != 0 || b->head.len != 32 || b->seq == 0) {
		refuse(a, SK_ERR_INVALID, "malformed anchor");
		goto audit;
	}
	if (reg_message_unknown(&b->base)) {
		refuse(a, SK_ERR_INVALID, "the anchor has fields this registry does not know; "
					  "nothing was stored");
		goto audit;
	}
	if ((st = reg_member_get(s, txn, a->org, &m)) != SK_OK || m->has_revoked_at) {
		refuse(a, SK_ERR_PERM, "the org is not a live member");
		st = SK_OK;
		goto audit;
	}
	if (key_verify(a->sig, WIRE_DOMAIN_ANCHOR, a->body, a->body_len, m->identity_key.data) !=
	    SK_OK) {
		refuse(a, SK_ERR_VERIFY, "the anchor's signature does not verify");
		goto audit;
	}
	if ((st = reg_org_seq_last(txn, s->anchors, a->org, &last)) != SK_OK)
		goto out;
	if (b->seq <= last) {
		refuse(a, SK_ERR_EXISTS, "an audit head at or after this record is anchored already");
		goto audit;
	}
	/* a leaf like an entry: the org's publishes a minute */
	if ((st = reg_quota_publish(s, txn, a->org, 0, sk_clock_now_ms(), a->reason,
				    sizeof(a->reason))) == SK_ERR_TOOBIG) {
		a->result = st;
		st = SK_OK;
		goto audit;
	} else if (st != SK_OK) {
		goto out;
	}
	if ((st = wire_leaf_hash(leaf, WIRE_LEAF_ANCHOR, a->body, a->body_len, a->sig)) != SK_OK ||
	    (st = reg_log_append(&s->log, txn, leaf, &a->leaf_index)) != SK_OK)
		goto out;
	k = (MDB_val){reg_org_seq_key(kb, a->org, b->seq), kb};
	d = (MDB_val){a->body_len, a->body};
	if ((st = sk_db_status(mdb_put(txn, s->anchors, &k, &d, 0))) != SK_OK)
		goto out;
audit:
	snprintf(access, sizeof(access), "tls:%s", a->org);
	rec.event = "audit.anchor";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = a->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = a->result == SK_OK ? NULL : a->reason;
	rec.user = a->org;
	rec.access_point = access;
	rec.counterpart = a->org;
	st = reg_audit(s, txn, &rec);
out:
	schakel__v1__anchor_body__free_unpacked(b, NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

static sk_status anchor_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_anchor *a = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__AnchorReceipt r = SCHAKEL__V1__ANCHOR_RECEIPT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (a->result != SK_OK)
		return reg_send_error(c, request_id, a->result, a->reason);
	r.leaf_index = a->leaf_index;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_RECEIPT;
	env.anchor_receipt = &r;
	return net_conn_send(c, &env);
}

/* Sends org its anchors with seq > after (oldest first). */
static sk_status anchors_send(reg_store *s, net_conn *c, uint64_t request_id, const char *org,
			      uint64_t after)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__AnchorsResponse r = SCHAKEL__V1__ANCHORS_RESPONSE__INIT;
	Schakel__V1__AnchorBody **list = calloc(REG_ANCHORS_MAX, sizeof(*list));
	uint8_t kb[KEY_MAX];
	size_t n = 0, olen = strlen(org);
	MDB_val k = {0, kb}, d;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	if (list == NULL)
		return reg_send_error(c, request_id, SK_ERR_NOMEM, NULL);
	k.mv_size = reg_org_seq_key(kb, org, after == UINT64_MAX ? after : after + 1);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, s->anchors, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && n < REG_ANCHORS_MAX && k.mv_size == olen + 9 &&
	     memcmp(k.mv_data, org, olen + 1) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		if ((list[n] = schakel__v1__anchor_body__unpack(NULL, d.mv_size, d.mv_data)) != NULL)
			n++;
	r.n_anchors = n;
	r.anchors = list;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_RESPONSE;
	env.anchors_response = &r;
	st = net_conn_send(c, &env);
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	for (size_t i = 0; i < n; i++)
		schakel__v1__anchor_body__free_unpacked(list[i], NULL);
	free(list);
	if (st != SK_OK && st != SK_ERR_FAILED && st != SK_ERR_TOOBIG)
		return reg_send_error(c, request_id, st, NULL);
	return st;
}

/* The anchor request kinds (registry/op.h): an anchor is a job, the list
 * is read at once. */

static const char *anchor_screen(const wire_envelope *env, const ProtobufCMessage **body,
				 size_t *len, size_t *cap)
{
	*body = &env->anchor_request->base;
	*len = env->anchor_request->body.len;
	*cap = REG_ANCHOR_BYTES_MAX;
	return NULL;
}

static sk_status anchor_result(const void *job, const char **why)
{
	const reg_anchor *a = job;

	if (why != NULL)
		*why = a->reason;
	return a->result;
}

static sk_status anchors_read(reg_store *s, net_conn *c, uint64_t request_id,
			      const wire_envelope *env)
{
	return anchors_send(s, c, request_id, net_conn_peer(c)->org_id,
			    env->anchors_request->after_seq);
}

const reg_op reg_op_anchor = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST,
	.name = "audit.anchor",
	.screen = anchor_screen,
	.new = anchor_new,
	.apply = anchor_apply,
	.reply = anchor_reply,
	.result = anchor_result,
	.free = anchor_free,
};

const reg_op reg_op_anchors = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST,
	.name = "audit.anchors",
	.read = anchors_read,
};
