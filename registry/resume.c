#include "common/db.h"
#include "registry/mailbox.h"
#include "registry/op.h"
#include "registry/resume.h"

/* Answers the ResumeRequest of c's peer. */
static sk_status resume_read(reg_store *s, net_conn *c, uint64_t request_id,
			     const wire_envelope *req)
{
	const char *org = net_conn_peer(c)->org_id;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__ResumeResponse r = SCHAKEL__V1__RESUME_RESPONSE__INIT;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK &&
	    (st = reg_org_seq_last(txn, s->seqs, org, &r.last_entry_seq)) == SK_OK &&
	    (st = reg_org_seq_last(txn, s->anchors, org, &r.last_anchor_seq)) == SK_OK)
		st = req->resume_request->has_mailbox_before
			     ? reg_mailbox_last_before(s, txn, org, req->resume_request->mailbox_before,
						       &r.last_mailbox_seq)
			     : reg_org_seq_last(txn, s->mailbox, org, &r.last_mailbox_seq);
	r.has_last_mailbox_seq = 1;
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return reg_send_error(c, request_id, st, NULL);
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_RESUME_RESPONSE;
	env.resume_response = &r;
	return net_conn_send(c, &env);
}

const reg_op reg_op_resume = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_RESUME_REQUEST,
	.name = "resume",
	.read = resume_read,
};
