#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "node/reconcile.h"

struct held {
	audit_record **v; /* matchable registry records, owned */
	char *matched;    /* per record */
	size_t n, cap;
};

static void held_free(struct held *h)
{
	for (size_t i = 0; i < h->n; i++)
		audit_record_free(h->v[i]);
	free(h->v);
	free(h->matched);
}

/* By correlation id (sort and search). */
static int by_corr(const void *a, const void *b)
{
	const audit_record *x = *(audit_record *const *)a, *y = *(audit_record *const *)b;

	return strcmp(x->correlation_id, y->correlation_id);
}

/* By time, then seq: the order unmatched records are shown in. */
static int by_time(const void *a, const void *b)
{
	const audit_record *x = *(audit_record *const *)a, *y = *(audit_record *const *)b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One page of the registry's records; *more when there are others. */
static sk_status fetch(node_remote *r, const char *org, uint64_t *after_time, uint64_t *after_seq,
		       struct held *h, node_reconcile_stats *stats, int *more)
{
	Schakel__V1__AuditRecordsRequest req = SCHAKEL__V1__AUDIT_RECORDS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	const Schakel__V1__AuditRecordsResponse *resp;
	audit_record *rec = NULL;
	sk_status st;

	req.has_after_time = req.has_after_seq = 1;
	req.after_time = *after_time;
	req.after_seq = *after_seq;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST;
	env.audit_records_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_RESPONSE,
				  &reply)) != SK_OK)
		return st;
	resp = reply->audit_records_response;
	*more = resp->more && resp->n_records > 0;
	for (size_t i = 0; i < resp->n_records && st == SK_OK; i++) {
		if (audit_record_decode(&rec, resp->records[i].data, resp->records[i].len) != SK_OK ||
		    rec->user == NULL || strcmp(rec->user, org) != 0) {
			sk_error_set("the registry sent an audit record that is not about us");
			st = SK_ERR_INVALID;
			break;
		}
		stats->fetched++;
		*after_time = rec->time_ms;
		*after_seq = rec->seq;
		if (rec->correlation_id == NULL) {
			audit_record_free(rec);
			rec = NULL;
			continue;
		}
		if (h->n == h->cap) {
			size_t cap = h->cap ? 2 * h->cap : 256;
			audit_record **v = cap <= NODE_RECONCILE_MAX ? realloc(h->v, cap * sizeof(*v))
								     : NULL;

			if (v == NULL) {
				st = cap <= NODE_RECONCILE_MAX ? SK_ERR_NOMEM : SK_ERR_TOOBIG;
				break;
			}
			h->v = v;
			h->cap = cap;
		}
		h->v[h->n++] = rec;
		rec = NULL;
		stats->matchable++;
	}
	audit_record_free(rec);
	wire_envelope_free(reply);
	return st;
}

/* Marks the held records whose correlation id a local record carries. */
static sk_status mark(const audit_record *rec, void *arg)
{
	struct held *h = arg;
	audit_record key = {.correlation_id = rec->correlation_id}, *kp = &key, **hit;

	if (rec->correlation_id == NULL || h->n == 0)
		return SK_OK;
	hit = bsearch(&kp, h->v, h->n, sizeof(*h->v), by_corr);
	if (hit == NULL)
		return SK_OK;
	/* every registry record with this id: step back to the first */
	while (hit > h->v && strcmp(hit[-1]->correlation_id, rec->correlation_id) == 0)
		hit--;
	for (; hit < h->v + h->n && strcmp((*hit)->correlation_id, rec->correlation_id) == 0; hit++)
		h->matched[hit - h->v] = 1;
	return SK_OK;
}

static sk_status first_time(const audit_record *rec, void *arg)
{
	*(uint64_t *)arg = rec->time_ms;
	return SK_ERR_EXISTS; /* one is enough */
}

sk_status node_reconcile(node_remote *r, node_store *s, node_reconcile_fn fn, void *arg,
			 node_reconcile_stats *stats)
{
	struct held h = {0};
	audit_record **un = NULL; /* the unmatched, borrowed from h */
	size_t n = 0;
	uint64_t after_time = 0, after_seq = 0, oldest = 0;
	audit_base base;
	MDB_txn *txn = NULL;
	sk_status st;
	int more = 1;

	memset(stats, 0, sizeof(*stats));
	while (more)
		if ((st = fetch(r, s->org_id, &after_time, &after_seq, &h, stats, &more)) != SK_OK)
			goto out;
	if (h.n > 0 && (h.matched = calloc(h.n, 1)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	qsort(h.v, h.n, sizeof(*h.v), by_corr);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = audit_log_base(s->audit, txn, &base)) == SK_OK && base.seq > 0 &&
	    (st = audit_log_scan(s->audit, txn, base.seq + 1, 0, first_time, &oldest)) ==
		    SK_ERR_EXISTS)
		st = SK_OK;
	if (st == SK_OK)
		st = audit_log_scan(s->audit, txn, 0, 0, mark, &h);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	if ((un = calloc(h.n ? h.n : 1, sizeof(*un))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < h.n; i++) {
		if (h.matched[i])
			stats->matched++;
		else if (base.seq > 0 && h.v[i]->time_ms < oldest)
			stats->before_log++; /* our records of it may be purged */
		else
			un[n++] = h.v[i];
	}
	stats->unmatched = n;
	qsort(un, n, sizeof(*un), by_time);
	for (size_t i = 0; i < n && st == SK_OK; i++)
		st = fn(un[i], arg);
out:
	free(un);
	held_free(&h);
	return st;
}
