/* The operator's journal of member changes: a file outside the data dir
 * (e.g. /var/backups/schakel/registry.journal) that every member-changing
 * command (enrol, enrol --refresh, revoke, quota) appends one record to,
 * so that after the data dir is lost and a backup restored the registry
 * can record them again itself (reg_journal_replay, registry/replay.h).
 *
 * One record a line, text:
 *     sj1 SEQ TIME PREV BODY SIG
 * SEQ counts from 1; TIME is unix milliseconds; PREV the lowercase hex
 * SHA-256 of the previous line without its newline (64 zeros for the
 * first); BODY base64 (RFC 4648, padded) of a JSON object saying what to
 * redo (no passphrase or secret key: requests and certificates are public
 * and embedded); SIG base64 of the registry identity key's signature over
 * WIRE_DOMAIN_JOURNAL || the line up to the space before SIG. A changed,
 * removed, reordered or cut-off record breaks the chain or a signature;
 * records cut off at the end as whole lines are not detected. */
#ifndef SK_REG_JOURNAL_H
#define SK_REG_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "crypto/key.h"

#define REG_JOURNAL_MAX (64u * 1024 * 1024) /* bytes of a whole journal */
#define REG_JOURNAL_BODY_MAX (96u * 1024)   /* bytes of one record's JSON */
#define REG_JOURNAL_RECORDS_MAX 1000000u

/* One verified record; body (NUL-terminated JSON text) is valid only
 * during the callback. */
typedef struct reg_journal_record {
	uint64_t seq, time;
	const char *body;
	size_t body_len;
} reg_journal_record;

typedef sk_status (*reg_journal_fn)(const reg_journal_record *r, void *arg);

/* Verifies the whole text under pk first (every line well-formed, SEQ
 * counting up from 1, each PREV the hash of the line before, each SIG
 * valid, the text ending in a newline), then calls fn (may be NULL) for
 * each record in order; fn's status other than SK_OK stops it and is
 * returned. *count (may be NULL) gets the number of records, head (may
 * be NULL) the hash of the last line (zeros for an empty journal).
 * SK_ERR_VERIFY with the detail naming the first bad record; SK_ERR_TOOBIG
 * over a bound. Allocates at most REG_JOURNAL_BODY_MAX + 1 bytes at once. */
sk_status reg_journal_parse(const uint8_t *text, size_t len,
			    const uint8_t pk[static KEY_ED25519_PK_BYTES], reg_journal_fn fn,
			    void *arg, uint64_t *count, uint8_t head[32]) SK_MUST_CHECK;

/* Reads the journal at path (a regular file, at most REG_JOURNAL_MAX
 * bytes) and reg_journal_parse()s it. */
sk_status reg_journal_read(const char *path, const uint8_t pk[static KEY_ED25519_PK_BYTES],
			   reg_journal_fn fn, void *arg, uint64_t *count) SK_MUST_CHECK;

/* Appends one record with body (a JSON object's text) and time now to the
 * journal at path, signed by id: the file is created 0600 when missing
 * (its directory must exist), refused when group or others may read or
 * write it (SK_ERR_PERM) or when what it holds does not verify under id
 * (SK_ERR_VERIFY: nothing is appended to a broken journal), locked while
 * appending, and fsync'd before this returns SK_OK. */
sk_status reg_journal_append(const char *path, const key_ed25519 *id, uint64_t now,
			     const char *body) SK_MUST_CHECK;

#endif
