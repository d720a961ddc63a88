#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/log.h"
#include "registry/op.h"
#include "registry/reconcile.h"

/* One read of the asking org's own records, in the writer's transaction
 * (reg_op_reconcile). */
typedef struct reg_reconcile {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint64_t after_time, after_seq;
	size_t max;
	/* max of them; only what matching needs, never a record's other
	 * fields (its counterpart, client, reason, ...), which can name orgs
	 * the asker may not see */
	Schakel__V1__ReconcileRecord *items, **ptrs;
	size_t n, bytes;
	int more;
} reg_reconcile;

static void reconcile_free(void *job);

static sk_status reconcile_new(void **job, reg_store *s, const net_peer *peer,
			       const wire_envelope *env)
{
	const Schakel__V1__AuditRecordsRequest *req = env->audit_records_request;
	reg_reconcile *r = calloc(1, sizeof(*r));

	*job = NULL;
	if (r == NULL)
		return SK_ERR_NOMEM;
	r->store = s;
	memcpy(r->org, peer->org_id, sizeof(r->org));
	r->after_time = req->has_after_time ? req->after_time : 0;
	r->after_seq = req->has_after_seq ? req->after_seq : 0;
	r->max = req->max == 0 || req->max > REG_RECORDS_MAX ? REG_RECORDS_MAX : req->max;
	if ((r->items = calloc(r->max, sizeof(*r->items))) == NULL ||
	    (r->ptrs = calloc(r->max, sizeof(*r->ptrs))) == NULL) {
		reconcile_free(r);
		return SK_ERR_NOMEM;
	}
	*job = r;
	return SK_OK;
}

static void clear(reg_reconcile *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].event);
		free(r->items[i].correlation_id);
	}
	r->n = r->bytes = 0;
	r->more = 0;
}

static void reconcile_free(void *job)
{
	reg_reconcile *r = job;

	if (r == NULL)
		return;
	if (r->items != NULL)
		clear(r);
	free(r->items);
	free(r->ptrs);
	free(r);
}

/* Sentinel: the reply is full. */
#define FULL SK_ERR_TOOBIG

static sk_status collect(const audit_record *rec, void *arg)
{
	reg_reconcile *r = arg;
	Schakel__V1__ReconcileRecord *it;

	/* the index starts at after_time; skip up to the cursor itself */
	if (rec->time_ms == r->after_time && rec->seq <= r->after_seq)
		return SK_OK;
	if (r->n == r->max || r->bytes >= REG_RECORDS_BYTES) {
		r->more = 1;
		return FULL;
	}
	it = &r->items[r->n];
	schakel__v1__reconcile_record__init(it);
	it->seq = rec->seq;
	it->time = rec->time_ms;
	it->outcome = (Schakel__V1__AuditRecord__Outcome)rec->outcome;
	if ((it->event = strdup(rec->event)) == NULL)
		return SK_ERR_NOMEM;
	if (rec->correlation_id != NULL && (it->correlation_id = strdup(rec->correlation_id)) == NULL) {
		free(it->event);
		return SK_ERR_NOMEM;
	}
	r->ptrs[r->n++] = it;
	r->bytes += schakel__v1__reconcile_record__get_packed_size(it) + 4;
	return SK_OK;
}

/* Writer thread: collects the records and audits the read, in txn. */
static sk_status reconcile_apply(MDB_txn *txn, void *arg)
{
	reg_reconcile *r = arg;
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5], reason[96];
	sk_status st;

	clear(r);
	/* the read first: a later page shows it (it has no correlation id) */
	snprintf(access, sizeof(access), "tls:%s", r->org);
	snprintf(reason, sizeof(reason), "reconcile: records after %llu/%llu",
		 (unsigned long long)r->after_time, (unsigned long long)r->after_seq);
	rec.event = "audit.records";
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.user = r->org;
	rec.role = "node";
	rec.access_point = access;
	rec.category = "audit";
	rec.purpose = "reconcile";
	rec.reason = reason;
	if ((st = reg_audit(r->store, txn, &rec)) != SK_OK)
		return st;
	st = audit_log_scan_index(r->store->audit, txn, AUDIT_BY_USER, r->org, r->after_time, 0,
				  collect, r);
	return st == FULL ? SK_OK : st;
}

/* Loop thread: the reply (or the commit's error). */
static sk_status reconcile_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_reconcile *r = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__AuditRecordsResponse resp = SCHAKEL__V1__AUDIT_RECORDS_RESPONSE__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	resp.n_items = r->n;
	resp.items = r->ptrs;
	resp.more = r->more;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_RESPONSE;
	env.audit_records_response = &resp;
	return net_conn_send(c, &env);
}

/* The audit records request kind (registry/op.h). */

/* A read of one's own records is never refused. */
static sk_status reconcile_result(const void *job, const char **why)
{
	(void)job;
	if (why != NULL)
		*why = NULL;
	return SK_OK;
}

const reg_op reg_op_reconcile = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST,
	.name = "audit.records",
	.new = reconcile_new,
	.apply = reconcile_apply,
	.reply = reconcile_reply,
	.result = reconcile_result,
	.free = reconcile_free,
};
