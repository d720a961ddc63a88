#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "node/reconcile.h"
#include "node/session_int.h"

struct node_reconcile_set {
	node_reconcile_record **v; /* matchable registry records, owned */
	char *matched;    /* per record */
	size_t n, cap;
	uint64_t after_time, after_seq; /* the cursor: the last record taken */
	uint64_t rolled_at;   /* a rollover's statement issued then; 0: none */
	uint64_t followed_at; /* we followed it then */
	uint64_t before_max;  /* the latest of our actions it holds from before it */
};

sk_status node_reconcile_set_new(node_reconcile_set **out)
{
	return (*out = calloc(1, sizeof(**out))) != NULL ? SK_OK : SK_ERR_NOMEM;
}

static void rec_free(node_reconcile_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->event);
	free(rec->correlation_id);
	free(rec);
}

void node_reconcile_set_free(node_reconcile_set *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		rec_free(h->v[i]);
	free(h->v);
	free(h->matched);
	free(h);
}

/* By correlation id (sort and search). */
static int by_corr(const void *a, const void *b)
{
	const node_reconcile_record *x = *(node_reconcile_record *const *)a,
				    *y = *(node_reconcile_record *const *)b;

	return strcmp(x->correlation_id, y->correlation_id);
}

/* By time, then seq: the order unmatched records are shown in. */
static int by_time(const void *a, const void *b)
{
	const node_reconcile_record *x = *(node_reconcile_record *const *)a,
				    *y = *(node_reconcile_record *const *)b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Keeps rec (owned from now on) in h. */
static sk_status keep(node_reconcile_set *h, node_reconcile_record *rec)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		node_reconcile_record **v;

		if (cap > NODE_RECONCILE_MAX) {
			rec_free(rec);
			sk_error_set("the registry holds more than %d records about us",
				     NODE_RECONCILE_MAX);
			return SK_ERR_TOOBIG;
		}
		if ((v = realloc(h->v, cap * sizeof(*v))) == NULL) {
			rec_free(rec);
			return SK_ERR_NOMEM;
		}
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = rec;
	return SK_OK;
}

/* A text field of a peer's record: present, within the audit limits, no
 * control characters. */
static int text_ok(const char *v)
{
	size_t n = v != NULL ? strlen(v) : 0;

	if (n == 0 || n > AUDIT_FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

sk_status node_reconcile_take(node_reconcile_set *h,
			      const Schakel__V1__AuditRecordsResponse *resp,
			      node_reconcile_stats *stats, int *more)
{
	sk_status st = SK_OK;

	*more = resp->more && resp->n_items > 0;
	for (size_t i = 0; i < resp->n_items && st == SK_OK; i++) {
		const Schakel__V1__ReconcileRecord *it = resp->items[i];
		node_reconcile_record *rec;

		if (!text_ok(it->event) ||
		    (it->correlation_id != NULL && !text_ok(it->correlation_id)) ||
		    (it->outcome != SCHAKEL__V1__AUDIT_RECORD__OUTCOME__OUTCOME_OK &&
		     it->outcome != SCHAKEL__V1__AUDIT_RECORD__OUTCOME__OUTCOME_DENIED &&
		     it->outcome != SCHAKEL__V1__AUDIT_RECORD__OUTCOME__OUTCOME_FAILED)) {
			sk_error_set("the registry sent a malformed record of our actions");
			return SK_ERR_INVALID;
		}
		stats->fetched++;
		h->after_time = it->time;
		h->after_seq = it->seq;
		if (it->correlation_id == NULL)
			continue;
		if ((rec = calloc(1, sizeof(*rec))) == NULL)
			return SK_ERR_NOMEM;
		rec->seq = it->seq;
		rec->time_ms = it->time;
		rec->outcome = (audit_outcome)it->outcome;
		if ((rec->event = strdup(it->event)) == NULL ||
		    (rec->correlation_id = strdup(it->correlation_id)) == NULL) {
			rec_free(rec);
			return SK_ERR_NOMEM;
		}
		if ((st = keep(h, rec)) == SK_OK)
			stats->matchable++;
	}
	return st;
}

/* One page of the registry's records; *more when there are others. */
static sk_status fetch(node_remote *r, node_reconcile_set *h,
		       node_reconcile_stats *stats, int *more)
{
	Schakel__V1__AuditRecordsRequest req = SCHAKEL__V1__AUDIT_RECORDS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	sk_status st;

	req.has_after_time = req.has_after_seq = 1;
	req.after_time = h->after_time;
	req.after_seq = h->after_seq;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST;
	env.audit_records_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_RESPONSE,
				  &reply)) != SK_OK)
		return st;
	st = node_reconcile_take(h, reply->audit_records_response, stats, more);
	wire_envelope_free(reply);
	return st;
}

struct scan {
	node_reconcile_set *h;
	node_reconcile_stats *stats;
	node_reconcile_lost_fn lost;
	void *lost_arg;
};

/* The first held record with rec's correlation id, or NULL. */
static node_reconcile_record **find(const node_reconcile_set *h, const audit_record *rec)
{
	node_reconcile_record key = {.correlation_id = (char *)rec->correlation_id}, *kp = &key,
			      **hit;

	if (rec->correlation_id == NULL || h->n == 0)
		return NULL;
	hit = bsearch(&kp, h->v, h->n, sizeof(*h->v), by_corr);
	/* every registry record with this id: step back to the first */
	while (hit != NULL && hit > h->v &&
	       strcmp(hit[-1]->correlation_id, rec->correlation_id) == 0)
		hit--;
	return hit;
}

/* After a rollover: a local record the registry lacks, made after the
 * last of our actions it holds from before the rollover (its backup held
 * that) and before we followed it, was lost in its recovery. */
static sk_status take_lost(const audit_record *rec, void *arg)
{
	struct scan *sc = arg;
	node_reconcile_set *h = sc->h;

	if (rec->correlation_id == NULL || rec->time_ms <= h->before_max ||
	    rec->time_ms > h->followed_at || find(h, rec) != NULL)
		return SK_OK;
	if (sc->stats->lost++ < NODE_RECONCILE_LOST_SHOWN && sc->lost != NULL)
		return sc->lost(rec, sc->lost_arg);
	return SK_OK;
}

/* Marks the held records whose correlation id a local record carries. */
static sk_status mark(const audit_record *rec, void *arg)
{
	struct scan *sc = arg;
	node_reconcile_set *h = sc->h;
	node_reconcile_record **hit = find(h, rec);

	if (hit == NULL)
		return SK_OK;
	for (; hit < h->v + h->n && strcmp((*hit)->correlation_id, rec->correlation_id) == 0; hit++)
		h->matched[hit - h->v] = 1;
	return SK_OK;
}

static sk_status first_time(const audit_record *rec, void *arg)
{
	*(uint64_t *)arg = rec->time_ms;
	return SK_ERR_EXISTS; /* one is enough */
}

/* The rollover this node followed last, if any, into stats and h. */
static sk_status rolled(node_store *s, node_reconcile_set *h, node_reconcile_stats *stats)
{
	MDB_txn *txn = NULL;
	uint8_t *origin = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64(s, txn, NODE_META_LOG_ROLLED_AT, 0, &h->rolled_at)) == SK_OK &&
	    h->rolled_at > 0 &&
	    (st = node_meta_u64(s, txn, NODE_META_LOG_FOLLOWED_AT, 0, &h->followed_at)) == SK_OK)
		st = node_meta_get(s, txn, NODE_META_LOG_ORIGIN, &origin, &len);
	mdb_txn_abort(txn);
	if (st == SK_OK && h->rolled_at > 0) {
		if (len == 0 || len > NOTE_ORIGIN_MAX || memchr(origin, 0, len) != NULL) {
			st = SK_ERR_DB;
		} else {
			memcpy(stats->rolled_to, origin, len);
			stats->rolled_to[len] = '\0';
			stats->rolled_at = h->rolled_at;
			stats->followed_at = h->followed_at;
		}
	}
	free(origin);
	return st;
}

sk_status node_reconcile(node_remote *r, node_store *s, node_reconcile_fn fn, void *arg,
			 node_reconcile_lost_fn lost, void *lost_arg, node_reconcile_stats *stats)
{
	struct scan sc = {NULL, stats, lost, lost_arg};
	node_reconcile_set *h = NULL;
	node_reconcile_record **un = NULL; /* the unmatched, borrowed from h */
	size_t n = 0;
	uint64_t oldest = 0;
	audit_base base;
	MDB_txn *txn = NULL;
	sk_status st;
	int more = 1;

	memset(stats, 0, sizeof(*stats));
	if ((st = node_reconcile_set_new(&h)) != SK_OK)
		return st;
	sc.h = h;
	if ((st = rolled(s, h, stats)) != SK_OK)
		goto out;
	while (more)
		if ((st = fetch(r, h, stats, &more)) != SK_OK)
			goto out;
	if (h->n > 0 && (h->matched = calloc(h->n, 1)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	qsort(h->v, h->n, sizeof(*h->v), by_corr);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = audit_log_base(s->audit, txn, &base)) == SK_OK && base.seq > 0 &&
	    (st = audit_log_scan(s->audit, txn, base.seq + 1, 0, first_time, &oldest)) ==
		    SK_ERR_EXISTS)
		st = SK_OK;
	if (st == SK_OK)
		st = audit_log_scan(s->audit, txn, 0, 0, mark, &sc);
	if (st == SK_OK && h->rolled_at > 0) {
		for (size_t i = 0; i < h->n; i++)
			if (h->matched[i] && h->v[i]->time_ms < h->rolled_at &&
			    h->v[i]->time_ms > h->before_max)
				h->before_max = h->v[i]->time_ms;
		st = audit_log_scan(s->audit, txn, 0, 0, take_lost, &sc);
	}
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	if ((un = calloc(h->n ? h->n : 1, sizeof(*un))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < h->n; i++) {
		if (h->matched[i])
			stats->matched++;
		else if (base.seq > 0 && h->v[i]->time_ms < oldest)
			stats->before_log++; /* our records of it may be purged */
		else
			un[n++] = h->v[i];
	}
	stats->unmatched = n;
	qsort(un, n, sizeof(*un), by_time);
	for (size_t i = 0; i < n && st == SK_OK; i++)
		st = fn(un[i], arg);
out:
	free(un);
	node_reconcile_set_free(h);
	return st;
}
