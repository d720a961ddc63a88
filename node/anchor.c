#include <stdlib.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/anchor.h"
#include "node/resume.h"
#include "node/session_int.h"

sk_status node_remote_anchor(node_remote *r, int *done)
{
	Schakel__V1__AnchorBody b = SCHAKEL__V1__ANCHOR_BODY__INIT;
	Schakel__V1__AnchorRequest req = SCHAKEL__V1__ANCHOR_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t head[AUDIT_HASH_BYTES], body[256], sig[KEY_SIG_BYTES];
	uint64_t seq, last, when = 0, floor = 0;
	MDB_txn *txn = NULL;
	size_t n;
	sk_status st;

	*done = 0;
	if ((st = node_remote_resume(r)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = audit_log_head(r->s->audit, txn, &seq, head)) == SK_OK &&
	    (st = node_meta_u64(r->s, txn, "anchor.seq", 0, &last)) == SK_OK &&
	    (st = node_meta_u64(r->s, txn, NODE_META_ANCHOR_FLOOR, 0, &floor)) == SK_OK)
		st = node_meta_u64(r->s, txn, "anchor.time", 0, &when);
	mdb_txn_abort(txn);
	/* every few minutes while the log grows, not at every sync; after a
	 * restore, only past what the registry anchored already */
	if (st != SK_OK || seq == 0 || seq <= last || seq <= floor ||
	    (last != 0 && sk_clock_now_ms() < when + NODE_ANCHOR_MS))
		return st;
	b.org_id = r->s->org_id;
	b.seq = seq;
	b.head = (ProtobufCBinaryData){sizeof(head), head};
	b.time = sk_clock_now_ms();
	if ((n = schakel__v1__anchor_body__get_packed_size(&b)) > sizeof(body))
		return SK_ERR_TOOBIG;
	schakel__v1__anchor_body__pack(&b, body);
	if ((st = key_sign(sig, WIRE_DOMAIN_ANCHOR, body, n, r->id->sk)) != SK_OK)
		return st;
	req.body = (ProtobufCBinaryData){n, body};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST;
	env.anchor_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_RECEIPT, &reply)) !=
	    SK_OK)
		return st;
	wire_envelope_free(reply);
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, "anchor.seq", seq)) == SK_OK &&
	    (st = node_meta_u64_put(r->s, txn, "anchor.time", sk_clock_now_ms())) == SK_OK &&
	    (st = node_meta_put(r->s, txn, "anchor.head", head, sizeof(head))) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	*done = st == SK_OK;
	return st;
}

/* Record seq of the log must have the anchored head as its hash; a
 * record purged under retention is checked only when it is the signed
 * purge base (audit_log_verify() checked that signature). */
static sk_status anchor_matches(node_store *s, MDB_txn *txn, uint64_t seq, const uint8_t *head,
				uint64_t records, uint64_t *bad)
{
	audit_record *rec = NULL;
	audit_base base;
	sk_status st;

	if ((st = audit_log_base(s->audit, txn, &base)) != SK_OK)
		return st;
	if (seq < base.seq)
		return SK_OK;
	if (seq == base.seq) {
		if (sodium_memcmp(base.hash, head, AUDIT_HASH_BYTES) == 0)
			return SK_OK;
		*bad = seq + 1;
		sk_error_set("the purge marker at record %llu does not match the head anchored in "
			     "the registry's log", (unsigned long long)seq);
		return SK_ERR_VERIFY;
	}
	if (seq > records) {
		*bad = records + 1;
		sk_error_set("records up to %llu were anchored in the registry's log, but the log "
			     "ends at %llu: its tail was cut off",
			     (unsigned long long)seq, (unsigned long long)records);
		return SK_ERR_VERIFY;
	}
	if ((st = audit_log_get(s->audit, txn, seq, &rec)) != SK_OK ||
	    sodium_memcmp(rec->hash, head, AUDIT_HASH_BYTES) != 0) {
		*bad = seq;
		audit_record_free(rec);
		sk_error_set("record %llu is not the one anchored in the registry's log",
			     (unsigned long long)seq);
		return SK_ERR_VERIFY;
	}
	audit_record_free(rec);
	return SK_OK;
}

sk_status node_audit_anchor_check(node_store *s, MDB_txn *txn, uint64_t records, uint64_t *bad,
				  uint64_t *anchored)
{
	uint8_t *head = NULL;
	size_t len = 0;
	uint64_t seq;
	sk_status st;

	if ((st = node_meta_u64(s, txn, "anchor.seq", 0, &seq)) != SK_OK || seq == 0)
		return st;
	*anchored = seq;
	if ((st = node_meta_get(s, txn, "anchor.head", &head, &len)) != SK_OK)
		return st;
	st = len == AUDIT_HASH_BYTES ? anchor_matches(s, txn, seq, head, records, bad)
				     : SK_ERR_DB;
	free(head);
	return st;
}

sk_status node_remote_anchors_check(node_remote *r, uint64_t records, uint64_t *bad,
				    size_t *checked)
{
	Schakel__V1__AnchorsRequest req = SCHAKEL__V1__ANCHORS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	*checked = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST;
	env.anchors_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_RESPONSE, &reply)) !=
	    SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		for (size_t i = 0; i < reply->anchors_response->n_anchors && st == SK_OK; i++) {
			const Schakel__V1__AnchorBody *a = reply->anchors_response->anchors[i];

			if (a->head.len != AUDIT_HASH_BYTES) {
				st = SK_ERR_INVALID;
				break;
			}
			st = anchor_matches(r->s, txn, a->seq, a->head.data, records, bad);
			(*checked)++;
		}
		mdb_txn_abort(txn);
	}
	wire_envelope_free(reply);
	return st;
}
