#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/log.h"
#include "registry/publish.h"
#include "registry/reconcile.h"

struct reg_reconcile {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint64_t after_time, after_seq;
	size_t max;
	ProtobufCBinaryData *recs; /* max of them, each malloc'd */
	size_t n, bytes;
	int more;
};

sk_status reg_reconcile_new(reg_reconcile **out, reg_store *s, const net_peer *peer,
			    const Schakel__V1__AuditRecordsRequest *req)
{
	reg_reconcile *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return SK_ERR_NOMEM;
	r->store = s;
	memcpy(r->org, peer->org_id, sizeof(r->org));
	r->after_time = req->has_after_time ? req->after_time : 0;
	r->after_seq = req->has_after_seq ? req->after_seq : 0;
	r->max = req->max == 0 || req->max > REG_RECORDS_MAX ? REG_RECORDS_MAX : req->max;
	if ((r->recs = calloc(r->max, sizeof(*r->recs))) == NULL) {
		free(r);
		return SK_ERR_NOMEM;
	}
	*out = r;
	return SK_OK;
}

void reg_reconcile_free(reg_reconcile *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->recs[i].data);
	free(r->recs);
	free(r);
}

/* Sentinel: the reply is full. */
#define FULL SK_ERR_TOOBIG

static sk_status collect(const audit_record *rec, void *arg)
{
	reg_reconcile *r = arg;
	uint8_t buf[AUDIT_STORED_MAX];
	size_t n;
	sk_status st;

	/* the index starts at after_time; skip up to the cursor itself */
	if (rec->time_ms == r->after_time && rec->seq <= r->after_seq)
		return SK_OK;
	if (r->n == r->max || r->bytes >= REG_RECORDS_BYTES) {
		r->more = 1;
		return FULL;
	}
	if ((st = audit_record_encode(buf, AUDIT_RECORD_MAX, &n, rec)) != SK_OK)
		return st;
	memcpy(buf + n, rec->hash, AUDIT_HASH_BYTES);
	n += AUDIT_HASH_BYTES;
	if ((r->recs[r->n].data = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(r->recs[r->n].data, buf, n);
	r->recs[r->n].len = n;
	r->n++;
	r->bytes += n;
	return SK_OK;
}

sk_status reg_reconcile_apply(MDB_txn *txn, void *arg)
{
	reg_reconcile *r = arg;
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5], reason[96];
	sk_status st;

	for (size_t i = 0; i < r->n; i++)
		free(r->recs[i].data);
	r->n = r->bytes = 0;
	r->more = 0;
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

sk_status reg_reconcile_send(reg_reconcile *r, sk_status commit, net_conn *c,
			     uint64_t request_id)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__AuditRecordsResponse resp = SCHAKEL__V1__AUDIT_RECORDS_RESPONSE__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	resp.n_records = r->n;
	resp.records = r->recs;
	resp.more = r->more;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_RESPONSE;
	env.audit_records_response = &resp;
	return net_conn_send(c, &env);
}
