/* Queries over the audit log (audit/log.h) for the privacy officer:
 * filters on client, user, event, action, outcome and a time range,
 * answered through the log's indexes so that a selective query reads only
 * the records it returns (the times the command line takes and prints are
 * audit/record.h's). The caller audits the query itself (docs/design.md
 * "Audit"). */
#ifndef SK_AUDIT_QUERY_H
#define SK_AUDIT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/log.h"

#define AUDIT_FILTER_TEXT_MAX 512

/* Every field set narrows the result; a zeroed filter matches everything. */
typedef struct audit_filter {
	const char *client; /* local client id (node) or token hex (registry) */
	const char *user;   /* the acting professional */
	const char *event;  /* event type code, e.g. "lookup" */
	audit_action action; /* 0: any */
	audit_outcome outcome; /* 0: any */
	uint64_t since_ms;  /* UTC ms, inclusive; 0: from the start */
	uint64_t until_ms;  /* UTC ms, inclusive; 0: no end */
} audit_filter;

/* true when rec passes every filter set in f. */
bool audit_filter_match(const audit_filter *f, const audit_record *rec);

/* Calls fn for the records of the log that pass f, oldest first (time,
 * then seq), in txn (a read transaction is enough): through the client
 * index when f->client is set, else the user index, else the time index.
 * Records are checked as by audit_log_scan_index(); rec is valid only
 * during the call. Any status but SK_OK from fn stops the query and is
 * returned. */
sk_status audit_query(const audit_log *log, MDB_txn *txn, const audit_filter *f,
		      audit_scan_fn fn, void *arg) SK_MUST_CHECK;

/* A position in (time, seq) order; {0, 0}: none. */
typedef struct audit_cursor {
	uint64_t time_ms, seq;
} audit_cursor;

#define AUDIT_PAGE_MAX 100        /* records a page, at most */
#define AUDIT_PAGE_SCAN 50000     /* records a page reads, at most (~50 ms) */

/* One page of audit_query(), newest first: calls fn for at most limit
 * (1..AUDIT_PAGE_MAX) records that pass f and come strictly before
 * *before (when set), through the same index as audit_query(), reading at
 * most max_scan index entries (0: AUDIT_PAGE_SCAN) so that a page costs a
 * bounded time however large the log. *next gets where the next page
 * starts: {0, 0} when no record is left, else the position of the last
 * record read (a page that hit max_scan may have found fewer than limit;
 * *scanned_out (may be NULL) says how many were read). */
sk_status audit_query_page(const audit_log *log, MDB_txn *txn, const audit_filter *f,
			   const audit_cursor *before, size_t limit, uint64_t max_scan,
			   audit_scan_fn fn, void *arg, audit_cursor *next,
			   uint64_t *scanned_out) SK_MUST_CHECK;

/* "TIME-SEQ" (decimal) for URLs; parse returns SK_ERR_INVALID for
 * anything else. */
#define AUDIT_CURSOR_TEXT 48
void audit_cursor_format(char out[static AUDIT_CURSOR_TEXT], const audit_cursor *c);
sk_status audit_cursor_parse(audit_cursor *c, const char *s) SK_MUST_CHECK;

/* f in words for the query's own audit record, e.g. "client=c-1
 * action=R since=2026-01-05T00:00:00.000Z"; "all records" for an empty
 * filter. Cut to fit cap. */
void audit_filter_text(char *buf, size_t cap, const audit_filter *f);

#endif
