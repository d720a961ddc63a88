/* A serving pseudonymiser's per-org counters: today's evaluations, the
 * grant's use and the rate bucket, held in memory by the event loop and
 * saved through the LMDB writer every few seconds. Saving rolls each org
 * to today; a finished day gets its audit record (ps_audit_daily), and at
 * shutdown so does today's total so far. A restart loads the saved rows,
 * so it resets neither quota nor grant. Not thread-safe: one thread owns a
 * table. */
#ifndef SK_PS_COUNT_H
#define SK_PS_COUNT_H

#include <stddef.h>
#include <stdint.h>

#include "pseudonymiser/limit.h"
#include "pseudonymiser/store.h"

#define PS_COUNT_ORGS_MAX 65536

typedef struct ps_org {
	char org[NET_ORG_ID_MAX + 1];
	ps_usage u;
	ps_bucket bucket;
	int dirty;
	int has_closed; /* a finished day waiting for its audit record */
	uint32_t closed_day;
	uint64_t closed_count;
} ps_org;

typedef struct ps_counts {
	ps_org *orgs;
	size_t n, cap;
} ps_counts;

/* One org's row to save, and the audit records that go with it. */
typedef struct ps_save_entry {
	char org[NET_ORG_ID_MAX + 1];
	ps_usage u;
	int has_closed;      /* the record of a finished day */
	uint32_t closed_day;
	uint64_t closed_count;
	int has_today;       /* at shutdown: the record of today so far */
} ps_save_entry;

/* A writer job (ps_save_apply); free() it. */
typedef struct ps_save {
	ps_store *store;
	size_t n;
	ps_save_entry e[];
} ps_save;

/* The counters of org, created empty on first sight; NULL when the table
 * is full (PS_COUNT_ORGS_MAX) or memory ran out. Valid until the next
 * ps_counts_find or ps_counts_free. */
ps_org *ps_counts_find(ps_counts *c, const char *org);

/* Moves o to today; a finished day waits for its record in the next save. */
void ps_counts_roll(ps_org *o, uint32_t today);

/* Loads every saved row of s (at start-up). */
sk_status ps_counts_load(ps_counts *c, ps_store *s, MDB_txn *txn) SK_MUST_CHECK;

/* The save of what changed since the last one, after rolling every org to
 * today; with final (shutdown), today's totals are recorded as well. *out
 * is NULL when there is nothing to save. Call ps_counts_saved() once the
 * job is handed over; until then nothing is marked saved, so a failed
 * hand-over is retried by the next call. */
sk_status ps_counts_snapshot(ps_counts *c, ps_store *s, uint32_t today, int final,
			     ps_save **out) SK_MUST_CHECK;
void ps_counts_saved(ps_counts *c, int final);

/* The writer job: audit records, then the rows. arg is a ps_save. */
sk_status ps_save_apply(MDB_txn *txn, void *arg);

/* Frees the table's memory; accepts an empty table. */
void ps_counts_free(ps_counts *c);

#endif
