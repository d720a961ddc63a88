#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit/query.h"
#include "audit/retain.h"
#include "common/db.h"

/* Appends the record derived from tmpl in txn. */
static sk_status append(audit_log *log, MDB_txn *txn, const audit_record *tmpl, const char *event,
			audit_action action, audit_outcome outcome, const char *reason)
{
	audit_record r = *tmpl;

	r.event = event;
	r.action = action;
	r.outcome = outcome;
	r.reason = reason;
	r.category = "audit";
	r.purpose = "retention";
	r.time_ms = 0;
	r.retain_until_ms = 0;
	return audit_log_append(log, txn, &r, NULL, NULL);
}

/* The refusal, in a transaction of its own; the caller's error detail is
 * kept. */
static void record_denied(audit_log *log, MDB_env *env, const audit_record *tmpl)
{
	char detail[AUDIT_REASON_MAX + 1];
	MDB_txn *txn = NULL;

	audit_text_clean(detail, sizeof(detail), sk_error_detail());
	if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
		return;
	if (append(log, txn, tmpl, "audit.purge", AUDIT_ACTION_DELETE, AUDIT_OUTCOME_DENIED,
		   detail) == SK_OK)
		(void)mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	sk_error_set("%s", detail);
}

sk_status audit_purge_run(audit_log *log, MDB_env *env, const audit_purge_opts *o,
			  audit_purge_result *total)
{
	audit_purge_result res;
	MDB_txn *txn = NULL;
	sk_status st;

	memset(total, 0, sizeof(*total));
	for (;;) {
		if ((st = sk_db_status(mdb_txn_begin(env, NULL, o->sk ? 0 : MDB_RDONLY, &txn))) !=
		    SK_OK)
			return st;
		st = audit_log_purge(log, txn, o->now_ms, o->sk ? 0 : SIZE_MAX, o->each, o->arg,
				     o->sk, &res);
		if (st == SK_OK && o->sk != NULL && res.count > 0)
			st = append(log, txn, o->marker, "audit.purge", AUDIT_ACTION_DELETE,
				    AUDIT_OUTCOME_OK, res.reason);
		if (st != SK_OK || o->sk == NULL || res.count == 0)
			mdb_txn_abort(txn);
		else
			st = sk_db_status(mdb_txn_commit(txn));
		if (st == SK_ERR_PERM && o->sk != NULL)
			record_denied(log, env, o->marker);
		if (st != SK_OK)
			return st;
		if (res.count > 0) {
			if (total->count == 0)
				total->first = res.first;
			total->last = res.last;
			total->count += res.count;
			memcpy(total->hash, res.hash, AUDIT_HASH_BYTES);
			memcpy(total->reason, res.reason, sizeof(res.reason));
		}
		if (o->sk == NULL || res.count < AUDIT_PURGE_BATCH)
			return SK_OK;
	}
}

/* Runs change (a meta update) and appends its record in one transaction. */
static sk_status changed(audit_log *log, MDB_env *env, const audit_record *tmpl, const char *event,
			 const char *reason, sk_status (*change)(audit_log *, MDB_txn *, const void *),
			 const void *arg)
{
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = change(log, txn, arg)) != SK_OK ||
	    (st = append(log, txn, tmpl, event, AUDIT_ACTION_UPDATE, AUDIT_OUTCOME_OK, reason)) !=
		    SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static sk_status hold_set(audit_log *log, MDB_txn *txn, const void *h)
{
	return audit_log_hold_set(log, txn, h);
}

sk_status audit_hold_change(audit_log *log, MDB_env *env, const audit_record *marker,
			    const audit_hold *h)
{
	char until[AUDIT_TIME_BYTES], text[AUDIT_REASON_MAX + AUDIT_TIME_BYTES + 32];
	char reason[AUDIT_REASON_MAX + 1];

	if (h->until_ms == 0)
		return changed(log, env, marker, "audit.hold.release", "legal hold released",
			       hold_set, h);
	audit_time_format(until, h->until_ms);
	snprintf(text, sizeof(text), "legal hold until %s: %s", until, h->reason);
	audit_text_clean(reason, sizeof(reason), text);
	return changed(log, env, marker, "audit.hold", reason, hold_set, h);
}

static sk_status retention_set(audit_log *log, MDB_txn *txn, const void *ms)
{
	return audit_log_retention_store(log, txn, *(const uint64_t *)ms);
}

sk_status audit_retention_change(audit_log *log, MDB_env *env, const audit_record *marker,
				 uint64_t ms)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "retention set to %" PRIu64 " days (was %" PRIu64 ")",
		 (uint64_t)(ms / AUDIT_DAY_MS), (uint64_t)(audit_log_retention(log) / AUDIT_DAY_MS));
	return changed(log, env, marker, "audit.retention", reason, retention_set, &ms);
}
