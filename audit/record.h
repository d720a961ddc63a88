/* One NEN 7513 audit record (docs/design.md "Audit"): its fields and their
 * limits, the stored form (a serialised schakel.v1.AuditRecord followed by
 * its 32-byte chain hash) and formatting for people and for JSON. The log
 * that chains records together is audit/log.h. */
#ifndef SK_AUDIT_RECORD_H
#define SK_AUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/status.h"

#define AUDIT_ID_BYTES 16
#define AUDIT_HASH_BYTES 32
#define AUDIT_FIELD_MAX 256   /* bytes of every text field but reason, NUL excluded */
#define AUDIT_REASON_MAX 1024 /* bytes of reason, NUL excluded */
#define AUDIT_RECORD_MAX 8192 /* serialised record bytes, hash excluded */
#define AUDIT_STORED_MAX (AUDIT_RECORD_MAX + AUDIT_HASH_BYTES)
#define AUDIT_TIME_MAX 253402300799999ULL /* 9999-12-31T23:59:59.999Z in ms */
#define AUDIT_LINE_MAX 16384  /* audit_record_line() output, NUL included */
#define AUDIT_SCRATCH_BYTES 32768 /* scratch for audit_record_view() */

/* The chain hash (documented contract, never change):
 *
 *   hash = SHA-256("schakel/v1/audit" || prev_hash || record bytes)
 *
 * "schakel/v1/audit" is 16 ASCII bytes without NUL, prev_hash the previous
 * record's hash (32 zero bytes before record 1) and record bytes the exact
 * serialised AuditRecord as stored. The record bytes hold seq, id and
 * prev_hash too, so reordering, renumbering or relinking records changes
 * their hashes. */

/* The value is the letter printed and exported. */
typedef enum audit_action {
	AUDIT_ACTION_CREATE = 'C',
	AUDIT_ACTION_READ = 'R',
	AUDIT_ACTION_UPDATE = 'U',
	AUDIT_ACTION_DELETE = 'D',
	AUDIT_ACTION_EXECUTE = 'E',
} audit_action;

typedef enum audit_outcome {
	AUDIT_OUTCOME_OK = 1,
	AUDIT_OUTCOME_DENIED = 2,
	AUDIT_OUTCOME_FAILED = 3,
} audit_outcome;

/* Text fields are NUL-terminated UTF-8 without control characters (C0,
 * DEL, C1), at most AUDIT_FIELD_MAX bytes (reason: AUDIT_REASON_MAX).
 * Optional text fields are NULL when absent; "" is kept as "". No text
 * field may be exactly nine digits passing the elfproef: a record never
 * holds a BSN (checked on append only). */
typedef struct audit_record {
	/* Set by audit_log_append(); ignored in its input. */
	uint64_t seq;                        /* 1-based, consecutive */
	uint8_t id[AUDIT_ID_BYTES];          /* random */
	uint8_t prev_hash[AUDIT_HASH_BYTES];
	uint8_t hash[AUDIT_HASH_BYTES];
	/* Required. */
	const char *org;
	const char *system;        /* "schakel-node", "schakel-registry", ... */
	const char *event;         /* event type code: [a-z0-9._-]+, e.g. "lookup" */
	audit_action action;
	audit_outcome outcome;
	uint64_t time_ms;          /* UTC; 0 on append means now */
	uint64_t retain_until_ms;  /* UTC, >= time_ms; 0 on append: time + the
				    * log's retention */
	/* Optional. */
	const char *reason;        /* why denied or failed; see audit_text_clean() */
	const char *user;
	const char *role;
	const char *responsible;   /* at the CLI: the OS user (audit_os_user()) */
	const char *access_point;  /* "cli", "tls:ORG", a peer address */
	const char *client;        /* local id (node), token hex (registry) */
	const char *category;      /* data category */
	const char *purpose;
	const char *legal_basis;
	const char *consent_ref;
	const char *correlation_id;
	const char *counterpart;   /* the other org involved */
	const char *peer_head;     /* the counterpart node's audit head (hex)
				    * sent with its request */
	bool break_glass;
} audit_record;

/* Checks the caller-set fields of rec against the rules above (seq, id and
 * hashes are not looked at; time_ms and retain_until_ms may be 0).
 * SK_ERR_TOOBIG for an over-long field, SK_ERR_INVALID otherwise; the
 * detail names the field, never its value. */
sk_status audit_record_check(const audit_record *rec) SK_MUST_CHECK;

/* Serialises every field of rec as it is (seq >= 1, time_ms and
 * retain_until_ms set) into out (cap bytes); *len gets the length.
 * SK_ERR_TOOBIG past cap or AUDIT_RECORD_MAX. Runs audit_record_check(). */
sk_status audit_record_encode(uint8_t *out, size_t cap, size_t *len,
			      const audit_record *rec) SK_MUST_CHECK;

/* The chain hash above over len record bytes. */
void audit_record_hash(uint8_t out[static AUDIT_HASH_BYTES],
		       const uint8_t prev_hash[static AUDIT_HASH_BYTES],
		       const uint8_t *bytes, size_t len);

/* Parses a stored value (record bytes || hash, len bytes) into *rec without
 * allocating: its strings point into scratch (scratch_len >=
 * AUDIT_SCRATCH_BYTES), valid while scratch is neither reused nor freed.
 * Checks the encoding and the field rules (not the BSN rule) and copies the
 * trailing hash into rec->hash, but does not check that hash: see
 * audit_record_verify(). SK_ERR_INVALID or SK_ERR_TOOBIG for bad input. */
sk_status audit_record_view(audit_record *rec, void *scratch, size_t scratch_len,
			    const uint8_t *stored, size_t len) SK_MUST_CHECK;

/* As audit_record_view(), into a new record owned by the caller (one
 * allocation; free with audit_record_free()). */
sk_status audit_record_decode(audit_record **out, const uint8_t *stored,
			      size_t len) SK_MUST_CHECK;

/* SK_OK when the stored value's trailing hash is the chain hash of its
 * record bytes over prev_hash: pass the record's own prev_hash to check
 * that it is consistent in itself, or the previous record's hash to check
 * the link as well (audit_log_verify() does both). SK_ERR_VERIFY
 * otherwise. Does not parse. */
sk_status audit_record_verify(const uint8_t *stored, size_t len,
			      const uint8_t prev_hash[static AUDIT_HASH_BYTES]) SK_MUST_CHECK;

/* Accepts NULL. */
void audit_record_free(audit_record *rec);

/* One line for people, without newline, e.g.
 *   12 2026-01-05T09:30:00.123Z org-a schakel-node lookup R ok user=p1
 *   role=spv client=c-7 purpose=afstemming id=3f…
 * Optional fields appear only when present; a value with a space, quote,
 * backslash or '=' (or an empty one) is quoted with \" and \\ escaped.
 * SK_ERR_TOOBIG when cap is too small (AUDIT_LINE_MAX always suffices). */
sk_status audit_record_line(char *buf, size_t cap, const audit_record *rec) SK_MUST_CHECK;

/* A new JSON object (caller owns the reference; json_decref()): "id" (hex),
 * "seq", "time" and "retain_until" (ISO 8601 UTC with milliseconds),
 * "action" (letter), "outcome" (ok/denied/failed), "break_glass",
 * "prev_hash" and "hash" (hex), and every text field by its member name,
 * null when absent. */
sk_status audit_record_json(json_t **out, const audit_record *rec) SK_MUST_CHECK;

/* ms as ISO 8601 UTC with milliseconds, the form of audit_record_json(). */
#define AUDIT_TIME_ISO_BYTES 32
sk_status audit_time_iso(char out[static AUDIT_TIME_ISO_BYTES], uint64_t ms) SK_MUST_CHECK;

/* Times as the command line takes and prints them. */
#define AUDIT_TIME_BYTES 64 /* audit_time_format() output fits, NUL included */

/* Parses a time for --since / --until: "YYYY-MM-DD" is that day in the
 * local time zone (TZ) — its first millisecond, or with end_of_day its
 * last — and "YYYY-MM-DDTHH:MM:SSZ" is that second in UTC (with
 * end_of_day its last millisecond). SK_ERR_INVALID otherwise. */
sk_status audit_time_parse(uint64_t *ms, const char *s, bool end_of_day) SK_MUST_CHECK;

/* ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). */
void audit_time_format(char out[static AUDIT_TIME_BYTES], uint64_t ms);

/* ms as "YYYY-MM-DD HH:MM" in the local time zone, for people. */
void audit_time_local(char out[static AUDIT_TIME_BYTES], uint64_t ms);

/* "ok", "denied", "failed"; "?" for anything else. */
const char *audit_outcome_name(audit_outcome o);
/* Parse the names above, and the action letters C/R/U/D/E. SK_ERR_INVALID
 * otherwise. */
sk_status audit_outcome_parse(audit_outcome *out, const char *s) SK_MUST_CHECK;
sk_status audit_action_parse(audit_action *out, const char *s) SK_MUST_CHECK;

/* Copies free text (e.g. an error detail) into dst so that it is a valid
 * field: invalid UTF-8 and control characters become '?', and the copy is
 * cut at a character boundary to fit cap - 1 bytes (use cap =
 * AUDIT_REASON_MAX + 1 for a reason). cap must be at least 1. */
void audit_text_clean(char *dst, size_t cap, const char *src);

/* The name of the OS user running this process (for "responsible" at the
 * CLI), or "uid:N" when it has no name. SK_ERR_TOOBIG when cap is small. */
sk_status audit_os_user(char *buf, size_t cap) SK_MUST_CHECK;

#endif
