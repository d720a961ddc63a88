/* The rollover statement (docs/protocol.md "Rollover"): the registry's
 * signed link from a new log to the one it replaces. The new log begins
 * with the restored tree's leaves and the statement is the leaf after
 * them. Here are the checks anyone can make with the registry's key alone;
 * a witness adds what it cosigned (witness/witness.h), a node what it
 * verified. No I/O, no clock. */
#ifndef SK_PROTOS_ROLLOVER_H
#define SK_PROTOS_ROLLOVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "crypto/key.h"
#include "crypto/note.h"
#include "protos/schakel.pb-c.h"

#define WIRE_ROLLOVER_NOTE_MAX (16u * 1024)    /* each checkpoint in a statement */
#define WIRE_ROLLOVER_BODY_MAX (40u * 1024)    /* a RolloverStatement's bytes */
#define WIRE_ROLLOVER_REQUEST_MAX (64u * 1024) /* a RolloverRequest's bytes */
#define WIRE_ROLLOVER_PROOF_MAX 63             /* hashes of an inclusion or consistency proof */

/* A statement as checked: the unpacked body and both checkpoints of the
 * old log, opened (their ext points into st). Free with
 * wire_rollover_free. */
typedef struct wire_rollover {
	Schakel__V1__RolloverStatement *st;
	note_checkpoint restored, witnessed;
} wire_rollover;

/* Writes a statement and signs it with the registry's identity key sk:
 * *body (malloc'd, owned by the caller) and sig. reason is a
 * SCHAKEL__V1__ROLLOVER_REASON__ value. Refuses what wire_rollover_check
 * would refuse of the fields (SK_ERR_INVALID / SK_ERR_TOOBIG), but checks
 * no signature on the notes. */
sk_status wire_rollover_sign(uint8_t **body, size_t *len, uint8_t sig[static KEY_SIG_BYTES],
			     const char *old_origin, const char *new_origin,
			     const uint8_t *restored, size_t rlen, const uint8_t *witnessed,
			     size_t wlen, uint64_t issued_at, int reason,
			     const uint8_t sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;

/* Parses body (at most WIRE_ROLLOVER_BODY_MAX) into r->st and both notes'
 * checkpoints into r->restored and r->witnessed without checking any
 * signature: the bounds, no unknown fields, a known reason, origins of 1 to
 * NOTE_ORIGIN_MAX bytes that differ, both checkpoints of the old origin,
 * restored not larger than witnessed and an equal size with the equal
 * root. SK_ERR_INVALID (SK_ERR_TOOBIG over a bound) otherwise, r zeroed. */
sk_status wire_rollover_parse(wire_rollover *r, const uint8_t *body, size_t len) SK_MUST_CHECK;

/* wire_rollover_parse after sig verified under pk (the registry's identity
 * key, which is also its log key), and both notes verified under pk named
 * after the old origin. When n > 0 the witnessed note's cosignatures by
 * the n witnesses are reported in cosigs (n entries; count them with
 * note_cosig_count). SK_ERR_VERIFY for a signature that does not verify. */
sk_status wire_rollover_check(wire_rollover *r, const uint8_t *body, size_t len,
			      const uint8_t sig[static KEY_SIG_BYTES],
			      const uint8_t pk[static KEY_ED25519_PK_BYTES],
			      const note_verifier *witnesses, size_t n,
			      note_sig_result *cosigs) SK_MUST_CHECK;

void wire_rollover_free(wire_rollover *r); /* accepts a zeroed r */

/* Checks that the new log's checkpoint cp holds r's statement (body and
 * sig) as its leaf at index r->restored.size (inclusion, n_inc hashes) and
 * extends the restored tree (consistency, n_cons hashes; none from the
 * empty tree): the backup's leaves are the new log's first, unchanged.
 * SK_ERR_VERIFY otherwise. */
sk_status wire_rollover_linked(const wire_rollover *r, const uint8_t *body, size_t len,
			       const uint8_t sig[static KEY_SIG_BYTES], const note_checkpoint *cp,
			       const uint8_t *inclusion, size_t n_inc, const uint8_t *consistency,
			       size_t n_cons) SK_MUST_CHECK;

#define WIRE_ROLLOVER_CHAIN_MAX 16 /* links of a chain in one ConsistencyResponse */

/* One link of a rollover chain as a ConsistencyResponse carries it
 * (pointers into the response): the statement's body and signature, the
 * new log's checkpoint its proofs are against (NULL for the last link: the
 * response's checkpoint, witnessed), the inclusion proof of its leaf
 * and the consistency proof from the restored tree (n_inc, n_cons hashes). */
typedef struct wire_rollover_link {
	const ProtobufCBinaryData *body, *sig, *checkpoint;
	const uint8_t *inclusion, *consistency;
	size_t n_inc, n_cons;
} wire_rollover_link;

/* The links of cr (peer input), oldest first: cr->chain, then the last
 * link (rollover, rollover_proof, rollover_consistency). Checks only the
 * shape: at most WIRE_ROLLOVER_CHAIN_MAX links (SK_ERR_TOOBIG), a
 * statement of at most WIRE_ROLLOVER_BODY_MAX bytes with a 64-byte
 * signature, a checkpoint of 1 to WIRE_ROLLOVER_NOTE_MAX bytes, proofs of
 * whole hashes, at most WIRE_ROLLOVER_PROOF_MAX each (SK_ERR_INVALID);
 * the signatures and proofs are the caller's to check, in order. */
sk_status wire_rollover_links(wire_rollover_link out[static WIRE_ROLLOVER_CHAIN_MAX], size_t *n,
			      const Schakel__V1__ConsistencyResponse *cr) SK_MUST_CHECK;

#endif
