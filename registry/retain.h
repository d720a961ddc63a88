/* Retention of the registry's audit log: token-level records are kept for
 * a short configurable period (one year unless `audit retention` says
 * otherwise: registry/store.c);
 * a purge first folds each record into daily aggregates per org (counts
 * per event and outcome, no tokens), then removes it (audit/log.h). The
 * sweeper of `serve` purges once a day. */
#ifndef SK_REG_RETAIN_H
#define SK_REG_RETAIN_H

#include "registry/store.h"

#define REG_AUDIT_PURGE_MS AUDIT_DAY_MS /* how often serve purges */
#define REG_DAILY_ORG_NONE "-"         /* aggregates of records with no org */

/* The purge callback (audit_purge_fn, arg the reg_store): adds rec to the
 * aggregate of its UTC day, org (the acting member, else the counterpart,
 * else REG_DAILY_ORG_NONE), event and outcome, in txn. */
sk_status reg_retain_aggregate(MDB_txn *txn, const audit_record *rec, void *store) SK_MUST_CHECK;

/* One purge batch in txn (a writer job): aggregates, purges, appends the
 * signed marker; under a legal hold appends a denied purge record instead
 * and returns SK_OK. *res (may be NULL) says what went. */
sk_status reg_retain_sweep(reg_store *s, MDB_txn *txn, uint64_t now,
			   audit_purge_result *res) SK_MUST_CHECK;

/* One daily aggregate; valid only during the callback. */
typedef struct reg_daily {
	uint32_t day; /* days since 1970-01-01 (UTC) */
	const char *org, *event;
	audit_outcome outcome;
	uint64_t count;
} reg_daily;

typedef sk_status (*reg_daily_fn)(const reg_daily *d, void *arg);

/* Calls fn for the aggregates of days since..until (inclusive; until 0:
 * no end) in (day, org, event, outcome) order, only those of org when org
 * is not NULL. */
sk_status reg_retain_daily(reg_store *s, MDB_txn *txn, uint32_t since, uint32_t until,
			   const char *org, reg_daily_fn fn, void *arg) SK_MUST_CHECK;

#endif
