/* The hash-chained audit log (NEN 7513) of a node or registry, kept in the
 * caller's LMDB env and written inside the caller's write transaction, so a
 * change and its audit record commit or vanish together. Records and the
 * chain hash are audit/record.h. Reading the log is itself an access the
 * caller audits.
 *
 * Storage (named databases):
 *   "audit"       key u64be(seq) -> record bytes || hash   (seq 1, 2, ...)
 *   "audit_meta"  key "head"     -> u64be(seq) || hash of the last record
 *                 key "index"    -> u64be(1): the indexes below are complete
 *   "audit_by_time"   u64be(time_ms) || u64be(seq)                -> ""
 *   "audit_by_client" client || 0 || u64be(time_ms) || u64be(seq) -> ""
 *   "audit_by_user"   user || 0 || u64be(time_ms) || u64be(seq)   -> ""
 * An empty log has no head; its head is seq 0 and 32 zero bytes. The
 * indexes are written by audit_log_append() in the same transaction as the
 * record (a log from before them is indexed once by audit_log_open()), so
 * queries (audit/query.h) read only the records they return.
 * WARNING: whatever removes records (retention) must remove their index
 * entries too; audit_log_verify() names a record missing from an index. */
#ifndef SK_AUDIT_LOG_H
#define SK_AUDIT_LOG_H

#include <stdint.h>

#include <lmdb.h>

#include "audit/record.h"
#include "common/status.h"

#define AUDIT_DB_RECORDS "audit"
#define AUDIT_DB_META "audit_meta"
#define AUDIT_META_HEAD "head"
#define AUDIT_META_INDEX "index"
#define AUDIT_DB_BY_TIME "audit_by_time"
#define AUDIT_DB_BY_CLIENT "audit_by_client"
#define AUDIT_DB_BY_USER "audit_by_user"
#define AUDIT_RETAIN_DEFAULT_MS (5ULL * 36525 * 864000) /* 5 years of 365.25 days */

typedef struct audit_log audit_log;

/* Opens (creating) the log's databases in env, in a short write
 * transaction of its own: call it at start-up, before a writer thread
 * runs. A log without complete indexes is indexed in that transaction
 * (once). env must outlive the log. Close with audit_log_close(). */
sk_status audit_log_open(audit_log **out, MDB_env *env) SK_MUST_CHECK;

/* Frees the handle (not the env or its data). Accepts NULL. */
void audit_log_close(audit_log *log);

/* How long records appended with retain_until_ms 0 are kept, in ms
 * (default AUDIT_RETAIN_DEFAULT_MS; the registry sets one year). Set it
 * before the writer starts. */
void audit_log_set_retention(audit_log *log, uint64_t ms);

/* Appends rec inside txn, a write transaction (or one nested in it, as
 * common/writer.h jobs run): checks it (audit_record_check), gives it the
 * next seq, a random id and the head as prev_hash, fills time_ms (0: now)
 * and retain_until_ms (0: time + retention), stores it with its index
 * entries and moves the head.
 * rec's seq, id and hashes are ignored. *seq_out and head_out (each may be
 * NULL) get the new seq and head; they only hold once txn commits.
 * SK_ERR_INVALID / SK_ERR_TOOBIG for a refused record (nothing written),
 * SK_ERR_VERIFY when the head does not match the stored records, LMDB
 * failures as by sk_db_status (the caller then aborts txn). */
sk_status audit_log_append(audit_log *log, MDB_txn *txn, const audit_record *rec,
			   uint64_t *seq_out, uint8_t head_out[AUDIT_HASH_BYTES]) SK_MUST_CHECK;

/* The head as txn sees it: seq 0 and zeros for an empty log. */
sk_status audit_log_head(const audit_log *log, MDB_txn *txn, uint64_t *seq,
			 uint8_t head[AUDIT_HASH_BYTES]) SK_MUST_CHECK;

/* Record seq, decoded into a new record owned by the caller
 * (audit_record_free()). SK_ERR_NOTFOUND when there is none; SK_ERR_VERIFY
 * when it does not decode or its hash does not match its bytes (only
 * audit_log_verify() checks the chain). */
sk_status audit_log_get(const audit_log *log, MDB_txn *txn, uint64_t seq,
			audit_record **out) SK_MUST_CHECK;

/* Called for each record of a scan; rec and its strings are valid only
 * during the call. Any status but SK_OK stops the scan and is returned. */
typedef sk_status (*audit_scan_fn)(const audit_record *rec, void *arg);

/* Calls fn for the records with from <= seq <= to (to 0: up to the last),
 * in order, each checked as by audit_log_get(), without a malloc per
 * record. */
sk_status audit_log_scan(const audit_log *log, MDB_txn *txn, uint64_t from,
			 uint64_t to, audit_scan_fn fn, void *arg) SK_MUST_CHECK;

/* The secondary indexes of the log. */
typedef enum audit_index {
	AUDIT_BY_TIME,   /* every record */
	AUDIT_BY_CLIENT, /* records with this client */
	AUDIT_BY_USER,   /* records with this user */
} audit_index;

/* Calls fn, in (time, seq) order, for the records with since_ms <= time_ms
 * <= until_ms (until_ms 0: no end) and, for AUDIT_BY_CLIENT and
 * AUDIT_BY_USER, that client or user equal to key (NULL for
 * AUDIT_BY_TIME), reading only those records. Each is checked as by
 * audit_log_get() and against its index entry (SK_ERR_VERIFY when they
 * disagree), without a malloc per record. Any status but SK_OK from fn
 * stops the scan and is returned. */
sk_status audit_log_scan_index(const audit_log *log, MDB_txn *txn, audit_index by,
			       const char *key, uint64_t since_ms, uint64_t until_ms,
			       audit_scan_fn fn, void *arg) SK_MUST_CHECK;

/* Recomputes the whole chain from the genesis in txn (a read transaction
 * is enough): consecutive keys and seqs from 1, each record decodable,
 * linked to its predecessor's hash and matching its stored hash, present
 * in every index that applies to it, and the head naming the last record. *count (may be NULL) gets the number of
 * records found good before the first bad one (all of them on SK_OK).
 * SK_ERR_VERIFY when the chain breaks: *first_bad_seq (may be NULL) is the
 * first seq out of place: the first record that does not check, a missing
 * seq itself, or, when the head disagrees with the records, the first seq
 * after the shorter of the two (the last seq if only the hash differs);
 * the error detail says what is wrong. It is 0 on SK_OK.
 * WARNING: a log cut short together with its head still verifies; only
 * heads anchored elsewhere (the registry's log) show that. */
sk_status audit_log_verify(const audit_log *log, MDB_txn *txn, uint64_t *count,
			   uint64_t *first_bad_seq) SK_MUST_CHECK;

#endif
