/* The cosigning witness of C2SP tlog-witness: parses add-checkpoint
 * requests, checks them against the latest checkpoint it cosigned for the
 * log's origin (kept in LMDB, durable before it answers) and answers with
 * tlog-cosignature/v1 (Ed25519) lines. Shared by `schakel-node serve
 * --witness` and `schakel-pseudonymiser serve --witness-listen`; the registry uses
 * the request format to ask for cosignatures. */
#ifndef SK_WIT_WITNESS_H
#define SK_WIT_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "common/status.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "protos/schakel.pb-c.h"

#define WIT_PROOF_MAX 63            /* consistency proof lines (spec) */
#define WIT_BODY_MAX (64u * 1024)   /* add-checkpoint request body, bytes */
#define WIT_LOGS_MAX 16             /* logs one witness follows */
#define WIT_REPLY_MAX (NOTE_COSIG_LINE_MAX + 32)
#define WIT_DBI "witness"           /* origin -> u64be size || root || note */
#define WIT_CONTENT_SIZE "text/x.tlog.size"
#define WIT_CONTENT_TEXT "text/plain; charset=utf-8"

/* An add-checkpoint request body. note points into the parsed body. */
typedef struct wit_request {
	uint64_t old_size;
	size_t proof_len; /* hashes in proof */
	uint8_t proof[WIT_PROOF_MAX * MERKLE_HASH_BYTES];
	const uint8_t *note;
	size_t note_len;
} wit_request;

/* Parses "old N\n", up to 63 base64 hash lines, an empty line and the
 * checkpoint (not checked here). SK_ERR_INVALID for anything else. */
sk_status wit_request_parse(wit_request *r, const uint8_t *body, size_t len) SK_MUST_CHECK;

/* The request body for a checkpoint note; *out malloc'd, owned by the
 * caller. proof: proof_len hashes (<= WIT_PROOF_MAX). */
sk_status wit_request_format(uint8_t **out, size_t *out_len, uint64_t old_size,
			     const uint8_t *proof, size_t proof_len, const uint8_t *note,
			     size_t note_len) SK_MUST_CHECK;

/* A witness over env (its "witness" database is created on open), trusting
 * n type 0x01 log keys (each named after its log's origin; copied) and
 * cosigning with cosigner (type 0x04, borrowed: must outlive w). */
typedef struct wit_witness wit_witness;
sk_status wit_open(wit_witness **out, MDB_env *env, const note_verifier *logs, size_t n,
		   const note_signer *cosigner) SK_MUST_CHECK;
void wit_close(wit_witness *w); /* accepts NULL */

/* An HTTP answer: status, content type and body (NUL-terminated). */
typedef struct wit_reply {
	int status;
	const char *content_type;
	size_t len;
	char body[WIT_REPLY_MAX];
} wit_reply;

/* POST add-checkpoint: 200 with the cosignature line (timestamp now, in
 * POSIX seconds, > 0), 400 malformed, 403 bad log signature, 404 unknown
 * origin (one configured, or one that replaced it by a rollover), 410 an
 * origin that rolled over, 409 old size differs from ours (body: our size), 422 proof or
 * root inconsistent with what we cosigned, 500/503 local failures. The
 * check and the update are one LMDB write transaction, committed before
 * the answer. Thread-safe (LMDB serialises writers). */
void wit_add_checkpoint(wit_witness *w, const uint8_t *body, size_t len, uint64_t now,
			wit_reply *out);

/* POST add-rollover (docs/protocol.md "Rollover"): body a RolloverRequest.
 * Cosigns the new log's checkpoint when the statement is signed by the old
 * origin's key, links to what this witness cosigned of the old log (its
 * witnessed checkpoint not smaller; the same size, the same root) and
 * the new log's checkpoint (signed by the same key under the new origin)
 * extends the restored tree with the statement as its next leaf;
 * from then on the new origin is followed with add-checkpoint and the old
 * one is refused (410). 200 with the cosignature line, 400 malformed, 403
 * a signature that does not verify, 404 an old origin not followed, 409
 * the old log rolled over already or the new origin is followed already,
 * 422 a statement that does not link to what we cosigned or a checkpoint
 * that does not include it, 500/503 local failures. One LMDB write
 * transaction, committed before the answer. */
void wit_add_rollover(wit_witness *w, const uint8_t *body, size_t len, uint64_t now,
		      wit_reply *out);

/* Parses a RolloverRequest within its bounds (WIRE_ROLLOVER_*), checking
 * no signature. *out owned by the caller
 * (schakel__v1__rollover_request__free_unpacked). */
sk_status wit_rollover_request_parse(Schakel__V1__RolloverRequest **out, const uint8_t *body,
				     size_t len) SK_MUST_CHECK;

/* The origin that replaced origin in a rollover this witness cosigned;
 * SK_ERR_NOTFOUND when it has not rolled over. */
sk_status wit_successor(wit_witness *w, const char *origin,
			char out[static NOTE_ORIGIN_MAX + 1]) SK_MUST_CHECK;

/* The latest checkpoint cosigned for origin: size and root, and (when note
 * is not NULL) the note with our cosignature, malloc'd, owned by the
 * caller. SK_ERR_NOTFOUND if none yet. */
sk_status wit_latest(wit_witness *w, const char *origin, uint64_t *size,
		     uint8_t root[static MERKLE_HASH_BYTES], uint8_t **note,
		     size_t *note_len) SK_MUST_CHECK;

/* A witness's cosigning key and verifier key from a member's Ed25519
 * identity seed, named after its org id: the registry derives the same
 * vkey from the identity public key in the member record. */
sk_status wit_signer_from_identity(note_signer **out, const char *org_id,
				   const uint8_t seed[static NOTE_SEED_BYTES]) SK_MUST_CHECK;
sk_status wit_vkey_from_identity(char out[static NOTE_VKEY_MAX], const char *org_id,
				 const uint8_t pk[static NOTE_PUBLIC_KEY_BYTES]) SK_MUST_CHECK;

#endif
