#include <string.h>

#include "common/be.h"
#include "common/cli.h"
#include "common/db.h"
#include "registry/retain.h"

/* key: u32be(day) || org NUL event NUL outcome(u8); value: u64be(count) */
#define DAILY_KEY_MAX (4 + 2 * (AUDIT_FIELD_MAX + 1) + 1)

static size_t daily_key(uint8_t k[static DAILY_KEY_MAX], uint32_t day, const char *org,
			const char *event, audit_outcome o)
{
	size_t a = strnlen(org, AUDIT_FIELD_MAX), b = strnlen(event, AUDIT_FIELD_MAX);

	sk_be32_put(k, day);
	memcpy(k + 4, org, a);
	k[4 + a] = 0;
	memcpy(k + 5 + a, event, b);
	k[5 + a + b] = 0;
	k[6 + a + b] = (uint8_t)o;
	return 7 + a + b;
}

sk_status reg_retain_aggregate(MDB_txn *txn, const audit_record *rec, void *store)
{
	reg_store *s = store;
	const char *org = rec->user ? rec->user : rec->counterpart ? rec->counterpart
								   : REG_DAILY_ORG_NONE;
	uint8_t kb[DAILY_KEY_MAX], v[8];
	MDB_val k = {daily_key(kb, (uint32_t)(rec->time_ms / AUDIT_DAY_MS), org, rec->event,
			       rec->outcome),
		     kb},
		d;
	uint64_t n = 0;
	int rc = mdb_get(txn, s->audit_daily, &k, &d);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	if (rc == 0 && d.mv_size == 8)
		n = sk_be64_get(d.mv_data);
	sk_be64_put(v, n + 1);
	d = (MDB_val){8, v};
	return sk_db_status(mdb_put(txn, s->audit_daily, &k, &d, 0));
}

sk_status reg_retain_sweep(reg_store *s, MDB_txn *txn, uint64_t now, audit_purge_result *out)
{
	audit_purge_result res;
	audit_record rec = {0};
	char detail[AUDIT_REASON_MAX + 1];
	MDB_txn *sub = NULL;
	sk_status st;

	rec.event = "audit.purge";
	rec.action = AUDIT_ACTION_DELETE;
	rec.access_point = "sweeper";
	rec.category = "audit";
	rec.purpose = "retention";
	/* a nested transaction: a refused purge leaves nothing behind */
	if ((st = sk_db_status(mdb_txn_begin(s->env, txn, 0, &sub))) != SK_OK)
		return st;
	st = audit_log_purge(s->audit, sub, now, 0, reg_retain_aggregate, s, s->id->sk, &res);
	if (st == SK_OK && res.count > 0) {
		rec.outcome = AUDIT_OUTCOME_OK;
		rec.reason = res.reason;
		st = reg_audit(s, sub, &rec);
	}
	if (st != SK_OK) {
		mdb_txn_abort(sub);
		if (st != SK_ERR_PERM)
			return st;
		audit_text_clean(detail, sizeof(detail), sk_error_detail());
		rec.outcome = AUDIT_OUTCOME_DENIED;
		rec.reason = detail;
		memset(&res, 0, sizeof(res));
		st = reg_audit(s, txn, &rec);
	} else {
		st = sk_db_status(mdb_txn_commit(sub));
	}
	if (out != NULL)
		*out = res;
	return st;
}

sk_status reg_retain_daily(reg_store *s, MDB_txn *txn, uint32_t since, uint32_t until,
			   const char *org, reg_daily_fn fn, void *arg)
{
	uint8_t lo[4];
	MDB_cursor *c = NULL;
	MDB_val k = {4, lo}, d;
	reg_daily r;
	sk_status st;
	int rc;

	sk_be32_put(lo, since);
	if ((st = sk_db_status(mdb_cursor_open(txn, s->audit_daily, &c))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *p = k.mv_data, *e;
		size_t a;

		if (k.mv_size < 8 || d.mv_size != 8 || p[k.mv_size - 2] != 0 ||
		    (e = memchr(p + 4, 0, k.mv_size - 6)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		r.day = sk_be32_get(p);
		if (until != 0 && r.day > until)
			break;
		a = (size_t)(e - p);
		r.org = (const char *)p + 4;
		r.event = (const char *)p + a + 1;
		r.outcome = (audit_outcome)p[k.mv_size - 1];
		r.count = sk_be64_get(d.mv_data);
		if (org == NULL || strcmp(org, r.org) == 0)
			st = fn(&r, arg);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(c);
	return st;
}
