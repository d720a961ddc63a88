#include <stdio.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/resume.h"
#include "node/session_int.h"

/* After a restore, in txn: every outgoing message number of every
 * discussion (its record's "seq_out", recipient org -> the last number
 * sent; node/discuss.c keeps it) jumps to at least floor, so that no number
 * sent before the loss is used again; partners accept a jump (a number
 * must only grow). The caller passes the clock in ms: more than any count
 * of messages sent to one recipient. *n counts the discussions moved. */
static sk_status discussions_skip(node_store *s, MDB_txn *txn, uint64_t floor, size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	*n = 0;
	if (floor > (uint64_t)INT64_MAX)
		return SK_ERR_INVALID;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->discussions, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		json_t *rec = NULL, *out, *v;
		const char *to;
		int moved = 0;

		if ((st = node_json_get(txn, s->discussions, k.mv_data, k.mv_size, &rec)) != SK_OK)
			break;
		out = json_object_get(rec, "seq_out");
		json_object_foreach(out, to, v) {
			json_int_t last = json_integer_value(v);

			if ((last > 0 ? (uint64_t)last : 0) < floor) {
				json_object_set_new(out, to, json_integer((json_int_t)floor));
				moved = 1;
			}
		}
		if (moved && (st = node_json_put(txn, s->discussions, k.mv_data, k.mv_size, rec)) ==
				     SK_OK)
			(*n)++;
		json_decref(rec);
	}
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

sk_status node_remote_resume(node_remote *r)
{
	Schakel__V1__ResumeRequest req = SCHAKEL__V1__RESUME_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	const Schakel__V1__ResumeResponse *rr;
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	uint64_t flag = 0, floor = 0;
	size_t moved = 0;
	char why[200];
	sk_status st;

	if ((st = node_remote_meta(r, NODE_META_RESUME, &flag)) != SK_OK || flag == 0)
		return st;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_RESUME_REQUEST;
	env.resume_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_RESUME_RESPONSE, &reply)) !=
	    SK_OK)
		return st;
	rr = reply->resume_response;
	rec.event = "node.resume";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "node";
	rec.reason = why;
	rec.counterpart = r->fed->registry_org_id[0] ? r->fed->registry_org_id : NULL;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	/* discussion messages: a number per recipient, which the registry does
	 * not keep; the clock in ms is past any count sent before the loss */
	if ((st = discussions_skip(r->s, txn, sk_clock_now_ms(), &moved)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	snprintf(why, sizeof(why), "resumed after a restore: the registry holds entry seq %llu and "
		 "anchored audit record %llu; message numbers of %zu discussions moved on",
		 (unsigned long long)rr->last_entry_seq, (unsigned long long)rr->last_anchor_seq,
		 moved);
	if ((st = node_seq_skip(r->s, txn, rr->last_entry_seq)) != SK_OK ||
	    (st = node_meta_u64(r->s, txn, NODE_META_ANCHOR_FLOOR, 0, &floor)) != SK_OK ||
	    (rr->last_anchor_seq > floor &&
	     (st = node_meta_u64_put(r->s, txn, NODE_META_ANCHOR_FLOOR, rr->last_anchor_seq)) !=
		     SK_OK) ||
	    (st = node_meta_u64_put(r->s, txn, NODE_META_RESUME, 0)) != SK_OK ||
	    /* a key made after the backup is lost with its private half */
	    (st = node_meta_u64_put(r->s, txn, NODE_META_ENC_ROTATE_NOW, 1)) != SK_OK ||
	    (st = node_audit(r->s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	st = sk_db_status(mdb_txn_commit(txn));
out:
	wire_envelope_free(reply);
	return st;
}

sk_status node_remote_mailbox_rewind(node_remote *r, int *moved)
{
	Schakel__V1__ResumeRequest req = SCHAKEL__V1__RESUME_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	const Schakel__V1__ResumeResponse *rr;
	MDB_txn *txn = NULL;
	uint64_t cursor = 0, pending = 0;
	sk_status st;

	if (moved != NULL)
		*moved = 0;
	if ((st = node_remote_meta(r, NODE_META_MAILBOX_REWIND, &pending)) != SK_OK || !pending)
		return st;
	/* the restored registry's last item for us as of the rollover: items
	 * made since (by partners that followed before us) are ours to pull */
	if ((st = node_remote_meta(r, NODE_META_LOG_ROLLED_AT, &cursor)) != SK_OK)
		return st;
	req.has_mailbox_before = cursor > 0;
	req.mailbox_before = cursor;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_RESUME_REQUEST;
	env.resume_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_RESUME_RESPONSE, &reply)) !=
	    SK_OK)
		return st;
	rr = reply->resume_response;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if (!rr->has_last_mailbox_seq) /* a registry of an older version */
		goto done;
	/* only the mailbox cursor: the inbox keeps items under local keys
	 * (node/inboxkey.h), so the items numbered anew are kept as new ones
	 * after those of the old numbers, and the discussions' and tables'
	 * cursors (local keys) reach them without moving back */
	if ((st = node_mailbox_cursor(r->s, txn, &cursor)) == SK_OK &&
	    cursor > rr->last_mailbox_seq &&
	    (st = node_mailbox_cursor_put(r->s, txn, rr->last_mailbox_seq)) == SK_OK && moved != NULL)
		*moved = 1;
done:
	if (st == SK_OK)
		st = node_meta_u64_put(r->s, txn, NODE_META_MAILBOX_REWIND, 0);
	if (st == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
out:
	wire_envelope_free(reply);
	return st;
}
