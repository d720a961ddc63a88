/* The node's view of the registry's log, after transparency-dev/tessera's
 * LogStateTracker: the checkpoint it verified last, moved forward to the
 * registry's latest with every step proven consistent (node/logstate.h),
 * and with the receipt trees of a publish. With a witness quorum in the
 * bundle, a checkpoint counts as verified only with that many valid
 * cosignatures under NODE_COSIG_MAX_AGE_S old. The registry is reached
 * through an injected fetch, so forged answers are unit-tested
 * (tests/node/test_logtrack.c); node_remote_checkpoint_advance() runs it
 * over the session, with the checkpoint kept in the store. */
#ifndef SK_NODE_LOGTRACK_H
#define SK_NODE_LOGTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"
#include "node/logstate.h"
#include "node/session.h"
#include "protos/wire.h"

#define NODE_COSIG_MAX_AGE_S 3600  /* witness cosignatures count this long */
#define NODE_COSIGN_WAIT_MS 10000  /* how long a checkpoint short of its quorum is awaited */
#define NODE_COSIGN_POLL_MS 250

/* Asks the registry req; on SK_OK *reply (owned by the caller,
 * wire_envelope_free) carries a consistency_response. An answer of another
 * kind, or the registry's refusal, is SK_ERR_INVALID with the detail set. */
typedef sk_status (*node_logtrack_fetch_fn)(void *arg, const Schakel__V1__ConsistencyRequest *req,
					   wire_envelope **reply);

/* An integrity failure of the registry: keeps a (and b when not NULL) as
 * evidence under what, sets the detail from why and returns SK_ERR_VERIFY. */
typedef sk_status (*node_logtrack_fail_fn)(void *arg, const char *what, const char *why,
					  const uint8_t *a, size_t alen, const uint8_t *b,
					  size_t blen);

typedef struct node_logtrack {
	/* set by the caller before node_logtrack_start */
	const note_verifier *log_key;   /* the registry's checkpoint key */
	const note_verifier *witnesses; /* n_witnesses cosigner keys (type 0x04) */
	size_t n_witnesses;
	uint32_t quorum;                /* valid cosignatures a checkpoint needs */
	unsigned wait_ms, poll_ms;      /* one short of them is asked for again every
					 * poll_ms for up to wait_ms (0: not at all) */
	node_logtrack_fetch_fn fetch;
	node_logtrack_fail_fn fail;
	void *arg; /* fetch's and fail's */
	/* the verified checkpoint, owned by the tracker: note (malloc'd,
	 * NUL-terminated) as the registry signed it, cp opened from it (cp.ext
	 * points into note); note is NULL before the first */
	uint8_t *note;
	size_t note_len;
	note_checkpoint cp;
	/* after an advance across a rollover (docs/protocol.md "Rollover"):
	 * rolled is 1, log_key points at rolled_key (the new origin's), and
	 * old_note (malloc'd, owned by the tracker) is the old log's checkpoint
	 * this node verified last, kept as evidence */
	int rolled;
	note_verifier rolled_key;
	uint8_t *old_note;
	size_t old_note_len;
	uint64_t rolled_issued_ms; /* the (first) statement's time of issue */
	uint64_t rolled_restored;  /* and its restored tree's size */
	/* across a chain of rollovers: the logs in between, each with the
	 * checkpoint of it the chain proved (malloc'd, owned by the tracker),
	 * kept as evidence like old_note */
	size_t n_hops;
	struct node_logtrack_hop {
		char origin[NOTE_ORIGIN_MAX + 1];
		uint8_t *note;
		size_t len;
	} hops[WIRE_ROLLOVER_CHAIN_MAX - 1];
} node_logtrack;

/* Starts t from the checkpoint verified before (len bytes as stored; NULL:
 * none yet, the first answer is taken on its signatures alone).
 * SK_ERR_VERIFY when it no longer verifies under t->log_key. */
sk_status node_logtrack_start(node_logtrack *t, const uint8_t *note, size_t len) SK_MUST_CHECK;

/* Moves t's verified checkpoint forward to the registry's latest (the
 * latest cosigned one when there is a quorum): proven consistent with the
 * verified one and with each of trees (the receipt trees of a bulk
 * publish, sorted by size, distinct; nt may be 0), in requests of up to
 * WIRE_CONSISTENCY_ALSO_MAX trees, each latest proven from the one before.
 * Witnesses cosign after the registry answers, so a checkpoint short of the
 * quorum, or one that does not cover the receipts yet (SK_ERR_TRUNCATED
 * from fetch), is asked for again for a while; then it is an integrity
 * failure. A registry that refuses to prove consistency from the verified
 * tree has rolled its log back, unless its answer is of a new origin with
 * a rollover statement that node_log_rollover_check accepts (and the new
 * checkpoint has the quorum): t then moves to the new log (t->rolled).
 * Integrity failures go through t->fail (SK_ERR_VERIFY); on any failure t
 * is left as it was. */
sk_status node_logtrack_advance(node_logtrack *t, const node_log_tree *trees,
				size_t nt) SK_MUST_CHECK;

/* Frees t's checkpoints. Accepts a tracker never started. */
void node_logtrack_clear(node_logtrack *t);

/* Sets t up over r's session (the bundle's witnesses and quorum, evidence
 * kept in D/evidence/) and starts it from stored, the checkpoint as kept
 * in the store (slen bytes; NULL: none yet), for a caller that reads and
 * stores it in transactions of its own (node_checkpoint_get, _put).
 * node_logtrack_clear t after. */
sk_status node_remote_logtrack(node_remote *r, node_logtrack *t, const uint8_t *stored,
			       size_t slen) SK_MUST_CHECK;

/* node_logtrack_advance over r's session, from and to the checkpoint kept
 * in the store. *tree_size (may be NULL) gets the new size. */
sk_status node_remote_checkpoint_advance(node_remote *r, const node_log_tree *trees, size_t nt,
					 uint64_t *tree_size) SK_MUST_CHECK;

/* What sync and a publish run first: node_remote_checkpoint_advance, and
 * when the registry's log rolled over (its statement checked), the rest
 * of following it: the mailbox cursor moved back to what the restored
 * registry holds. rolled_to gets the new origin, "" when the log did not
 * roll over; *tree_size (may be NULL) the new size. A registry that
 * rewinds without a statement is an integrity failure (SK_ERR_VERIFY). */
sk_status node_remote_log_follow(node_remote *r, uint64_t *tree_size,
				 char rolled_to[static NOTE_ORIGIN_MAX + 1]) SK_MUST_CHECK;

/* A checkpoint the registry served with an answer (note, len bytes, of
 * the directory or the tables), opened into *cp under the log key and
 * proven consistent with the one this node tracks, which then moves on to
 * it. A note that does not verify is an integrity failure (evidence kept
 * under what, SK_ERR_VERIFY); a split view fails in the advance. */
sk_status node_remote_checkpoint_take(node_remote *r, const char *what, const uint8_t *note,
				      size_t len, note_checkpoint *cp) SK_MUST_CHECK;

#endif
