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
 * Owner-indexed records: an owner may keep the client pointer of some
 * records itself, next to data it rewrites anyway (the registry: the seqs
 * of an entry's publish records in its StoredEntry), sparing a random
 * insert into audit_by_client. It states which records (a rule decided
 * from the record alone, audit_log_set_client_exempt()), appends them with
 * AUDIT_APPEND_NO_CLIENT_INDEX, and enumerates their seqs for a client
 * (audit_log_set_client_extra()); client scans and audit_log_verify()
 * consult both the index and the owner.
 *   "audit_meta"  key "base"      -> the signed purge base (below)
 *                 key "hold"      -> u64be(until_ms) || reason: a legal hold
 *                 key "retention" -> u64be(ms): the configured retention
 * WARNING: whatever removes records (retention) must remove their index
 * entries too; audit_log_verify() names a record missing from an index.
 *
 * Retention: audit_log_purge() removes the oldest records whose
 * retain_until has passed, always a prefix of the log (it stops at the
 * first record still to be kept), with their index entries, and stores a
 * purge base: the last purged seq and its chain hash, signed by the log's
 * owner (node or registry identity key) under WIRE_DOMAIN_AUDIT_PURGE over
 * u64be(seq) || hash || u64be(time_ms) (key_sign_parts, three parts). The
 * chain is then verified from that base instead of the genesis. The caller
 * appends the purge-marker record (event "audit.purge") in the same
 * transaction. A legal hold blocks every purge until it ends or is
 * released. */
#ifndef SK_AUDIT_LOG_H
#define SK_AUDIT_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "audit/record.h"
#include "common/status.h"
#include "crypto/key.h"
#include "protos/domains.h"

#define AUDIT_DB_RECORDS "audit"
#define AUDIT_DB_META "audit_meta"
#define AUDIT_META_HEAD "head"
#define AUDIT_META_INDEX "index"
#define AUDIT_DB_BY_TIME "audit_by_time"
#define AUDIT_DB_BY_CLIENT "audit_by_client"
#define AUDIT_DB_BY_USER "audit_by_user"
#define AUDIT_META_BASE "base"
#define AUDIT_META_HOLD "hold"
#define AUDIT_META_RETENTION "retention"
#define AUDIT_DAY_MS 86400000ULL
#define AUDIT_YEAR_MS (36525ULL * 864000) /* 365.25 days */
#define AUDIT_RETAIN_DEFAULT_MS (5 * AUDIT_YEAR_MS)
#define AUDIT_PURGE_BATCH 20000 /* records purged per transaction, at most */

typedef struct audit_log audit_log;

/* Opens (creating) the log's databases in env, in a short write
 * transaction of its own: call it at start-up, before a writer thread
 * runs. A log without complete indexes is indexed in that transaction
 * (once). env must outlive the log. Close with audit_log_close(). */
sk_status audit_log_open(audit_log **out, MDB_env *env) SK_MUST_CHECK;

/* The same inside the caller's write transaction (an owner opening all its
 * databases in one): the handle works in txn at once and in others once
 * txn commits; when txn aborts, close it unused. */
sk_status audit_log_open_in(audit_log **out, MDB_env *env, MDB_txn *txn) SK_MUST_CHECK;

/* Frees the handle (not the env or its data). Accepts NULL. */
void audit_log_close(audit_log *log);

/* How long records appended with retain_until_ms 0 are kept, in ms
 * (default AUDIT_RETAIN_DEFAULT_MS; the registry sets one year), unless
 * the log holds a configured one (audit_log_retention_store()), which
 * wins. Set it before the writer starts. */
void audit_log_set_retention(audit_log *log, uint64_t ms);

/* The retention in force for appends. */
uint64_t audit_log_retention(const audit_log *log);

/* Configures the retention in the log itself (in txn, a write
 * transaction), so that every later open uses it; applies to records
 * appended from now on (records keep the retain_until they were written
 * with). ms must be at least one day: SK_ERR_INVALID otherwise. */
sk_status audit_log_retention_store(audit_log *log, MDB_txn *txn, uint64_t ms) SK_MUST_CHECK;

/* The owner's public key that signs purge bases: audit_log_verify() needs
 * it once anything was purged. Copied. */
void audit_log_set_key(audit_log *log, const uint8_t pk[KEY_ED25519_PK_BYTES]);

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

/* Records whose client pointer the log's owner keeps itself: true for a
 * record the owner may append unindexed by client. Decided from rec alone
 * (it also runs on audit_log_verify()'s threads). */
typedef bool (*audit_exempt_fn)(const audit_record *rec);

/* Sets the owner's rule (NULL: none, the default). Set it, with the
 * client extra below, before a writer or a query runs. */
void audit_log_set_client_exempt(audit_log *log, audit_exempt_fn fn);

/* Called with each seq an owner enumerates; any status but SK_OK stops. */
typedef sk_status (*audit_seq_fn)(uint64_t seq, void *arg);

/* Enumerates, in txn (read-only use), the seqs of the records about client
 * that the owner keeps (in any order; seqs since purged are allowed), by
 * calling emit(seq, emit_arg); ctx is the owner's. */
typedef sk_status (*audit_extra_fn)(MDB_txn *txn, const char *client, audit_seq_fn emit,
				    void *emit_arg, void *ctx);

/* Sets the owner's enumeration (NULL: none); ctx must outlive the log. */
void audit_log_set_client_extra(audit_log *log, audit_extra_fn fn, void *ctx);

#define AUDIT_APPEND_NO_CLIENT_INDEX 1u /* the owner keeps the client pointer */
#define AUDIT_EXTRA_MAX 1000000 /* owner-kept records per client scan, at most */

/* audit_log_append() with flags: AUDIT_APPEND_NO_CLIENT_INDEX leaves rec
 * out of audit_by_client; SK_ERR_INVALID (nothing written) unless the
 * owner's rule exempts rec. The caller must make the owner's enumeration
 * name the new seq in the same transaction, or client queries miss it and
 * audit_log_verify() fails. */
sk_status audit_log_append_flags(audit_log *log, MDB_txn *txn, const audit_record *rec,
				 unsigned flags, uint64_t *seq_out,
				 uint8_t head_out[AUDIT_HASH_BYTES]) SK_MUST_CHECK;

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
 * stops the scan and is returned.
 * AUDIT_BY_CLIENT also returns the owner's records about key
 * (audit_log_set_client_extra()), each record once: those are collected
 * and sorted first (SK_ERR_TOOBIG past AUDIT_EXTRA_MAX); a seq the owner
 * names that was purged (at or below the purge base) is skipped, one
 * missing above it or about another client is SK_ERR_VERIFY. */
sk_status audit_log_scan_index(const audit_log *log, MDB_txn *txn, audit_index by,
			       const char *key, uint64_t since_ms, uint64_t until_ms,
			       audit_scan_fn fn, void *arg) SK_MUST_CHECK;

/* The same, newest first: (time, seq) descending. */
sk_status audit_log_scan_index_rev(const audit_log *log, MDB_txn *txn, audit_index by,
				   const char *key, uint64_t since_ms, uint64_t until_ms,
				   audit_scan_fn fn, void *arg) SK_MUST_CHECK;

/* Where the stored chain starts: seq 0 (and zeros) while nothing was
 * purged, else the last purged record's seq and chain hash, when and with
 * what signature the base was set. */
typedef struct audit_base {
	uint64_t seq;
	uint8_t hash[AUDIT_HASH_BYTES];
	uint64_t time_ms;
	uint8_t sig[KEY_SIG_BYTES];
} audit_base;

/* Reads the base as txn sees it (not checked: audit_log_verify() does). */
sk_status audit_log_base(const audit_log *log, MDB_txn *txn, audit_base *out) SK_MUST_CHECK;

/* A legal hold: until_ms 0 when there is none. */
typedef struct audit_hold {
	uint64_t until_ms;
	char reason[AUDIT_REASON_MAX + 1];
} audit_hold;

/* The hold as txn sees it (until_ms 0: none; one that has ended is
 * returned as stored, the caller compares with now). */
sk_status audit_log_hold_get(const audit_log *log, MDB_txn *txn, audit_hold *out) SK_MUST_CHECK;

/* Sets (until_ms > 0, reason 1..AUDIT_REASON_MAX bytes of valid field
 * text) or, with h->until_ms 0, releases the hold, in txn. A hold in force
 * is only extended: an earlier end is SK_ERR_PERM (release it first). The
 * caller audits the change in the same transaction. */
sk_status audit_log_hold_set(audit_log *log, MDB_txn *txn, const audit_hold *h) SK_MUST_CHECK;

/* What a purge removed (or, dry, would remove): records first..last,
 * count of them. count 0: nothing was due. */
typedef struct audit_purge_result {
	uint64_t first, last, count;
	uint8_t hash[AUDIT_HASH_BYTES]; /* record last's chain hash */
	char reason[AUDIT_REASON_MAX + 1]; /* for the caller's purge marker */
} audit_purge_result;

/* Removes, in txn, up to max records (0: AUDIT_PURGE_BATCH) from the
 * oldest end of the log while their retain_until_ms < now_ms, never the
 * head record, with their index entries; calls each (may be NULL; not on a dry run) on every
 * record before it goes (e.g. the registry's daily aggregates); stores the
 * new base signed with sk. res->reason then describes the purge for the
 * marker record, which the caller appends in txn (event "audit.purge",
 * action D). With sk NULL nothing is written (a dry run: res says what
 * would go). SK_ERR_PERM, with a detail naming the hold, when a legal hold
 * is in force at now_ms or at the real time; SK_ERR_VERIFY when a record to purge does not
 * check (run audit verify). The log is not verified as a whole first. */
/* Called for each record a purge removes, in its transaction, before it
 * goes; rec is valid only during the call. */
typedef sk_status (*audit_purge_fn)(MDB_txn *txn, const audit_record *rec, void *arg);

sk_status audit_log_purge(audit_log *log, MDB_txn *txn, uint64_t now_ms, size_t max,
			  audit_purge_fn each, void *arg,
			  const uint8_t sk[KEY_ED25519_SK_BYTES],
			  audit_purge_result *res) SK_MUST_CHECK;

/* Recomputes the whole chain from the genesis, or from the purge base when
 * records were purged (its signature checked with the key of
 * audit_log_set_key()), in txn (a read transaction is enough):
 * consecutive keys and seqs from base + 1, each record decodable, linked
 * to its predecessor's hash (the first to the base's) and matching its
 * stored hash, present in every index that applies to it (a record the
 * owner's rule exempts may instead be named by the owner's enumeration of
 * its client), and the head
 * naming the last record. *count (may be NULL) gets the seq of the last
 * record found good before the first bad one (the last record on SK_OK;
 * the number of records when nothing was purged).
 * SK_ERR_VERIFY when the chain breaks: *first_bad_seq (may be NULL) is the
 * first seq out of place: the first record that does not check, a missing
 * seq itself, or, when the head disagrees with the records, the first seq
 * after the shorter of the two (the last seq if only the hash differs);
 * the error detail says what is wrong. It is 0 on SK_OK.
 * WARNING: a log cut short together with its head still verifies; only
 * heads anchored elsewhere (the registry's log) show that. */
#define AUDIT_VERIFY_SPLIT 65536 /* records from which verify uses two threads */
sk_status audit_log_verify(const audit_log *log, MDB_txn *txn, uint64_t *count,
			   uint64_t *first_bad_seq) SK_MUST_CHECK;

#endif
