/* The node's checks of the registry's answers about its log: a publish
 * receipt (the registry's signature, the leaf, the signed checkpoint and
 * the inclusion proof), and a ConsistencyResponse (the registry's
 * checkpoint with consistency proofs) against the last checkpoint this
 * node verified and the receipt trees it asked about. No I/O: node/publish.c
 * and node/logtrack.c hand the answers in, so forged answers are
 * unit-tested (tests/node/test_logstate.c). */
#ifndef SK_NODE_LOGSTATE_H
#define SK_NODE_LOGSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/key.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "protos/schakel.pb-c.h"
#include "protos/rollover.h"
#include "protos/wire.h"

/* One tree (size, root) a checkpoint named. */
typedef struct node_log_tree {
	uint64_t size;
	uint8_t root[MERKLE_HASH_BYTES];
} node_log_tree;

/* Why an answer failed, for the node's evidence: a short name for the
 * evidence file, one sentence, and the bytes to keep (pointers into the
 * answer; b may be NULL). */
typedef struct node_log_failure {
	const char *what, *why;
	const uint8_t *a, *b;
	size_t alen, blen;
} node_log_failure;

/* What a run of receipt checks keeps: receipts of one group commit share
 * the registry's batch signature and a checkpoint, each verified once. Zero
 * it before the first receipt; one per thread. */
typedef struct node_log_receipts {
	wire_receipt_cache batch; /* the last receipt batch verified */
	uint8_t note_hash[32];    /* the last checkpoint verified, by its bytes */
	node_log_tree note_tree;
	int have_note;
} node_log_receipts;

/* Checks rc, the registry's receipt for our entry (elen bytes as signed,
 * with its signature sig) under sequence number seq: the batch signature
 * under registry_key, the leaf and seq the receipt names, its checkpoint
 * under log_key, and the inclusion proof of the leaf into that checkpoint
 * (consistency is the caller's, for a whole run of receipts). SK_OK with
 * *tree the checkpoint's tree, else SK_ERR_VERIFY with *f saying why. */
sk_status node_log_receipt_check(node_log_tree *tree, node_log_receipts *c,
				 const Schakel__V1__PublishReceipt *rc, const uint8_t *entry,
				 size_t elen, const uint8_t sig[static KEY_SIG_BYTES], uint64_t seq,
				 const uint8_t registry_key[static KEY_ED25519_PK_BYTES],
				 const note_verifier *log_key, node_log_failure *f) SK_MUST_CHECK;

/* The same for a leaf of another kind the registry receipts like an entry
 * (a directory record, WIRE_LEAF_DIRECTORY: seq is its version). */
sk_status node_log_receipt_check_leaf(node_log_tree *tree, node_log_receipts *c,
				      const Schakel__V1__PublishReceipt *rc, unsigned kind,
				      const uint8_t *entry, size_t elen,
				      const uint8_t sig[static KEY_SIG_BYTES], uint64_t seq,
				      const uint8_t registry_key[static KEY_ED25519_PK_BYTES],
				      const note_verifier *log_key, node_log_failure *f) SK_MUST_CHECK;

/* Checks cr: its checkpoint verifies under log_key (cosignatures of the n
 * witnesses into cosigs, which may be NULL when n is 0); when from is not
 * NULL (the checkpoint this node verified last), the checkpoint extends it
 * (cr->proof, RFC 9162 2.1.4.2; an equal size needs the equal root); and
 * it extends each of also[0..n_also) (cr->also_proofs, one each, in that
 * order). SK_OK with *cp the checkpoint (cp->ext points into cr), else
 * SK_ERR_VERIFY with *f saying why. */
sk_status node_log_check(note_checkpoint *cp, note_sig_result *cosigs,
			 const Schakel__V1__ConsistencyResponse *cr, const note_verifier *log_key,
			 const note_verifier *witnesses, size_t n, const note_checkpoint *from,
			 const node_log_tree *also, size_t n_also,
			 node_log_failure *f) SK_MUST_CHECK;

/* Checks cr as an answer across a rollover (docs/protocol.md "Rollover"):
 * its checkpoint is of another origin than old_log's and cr carries the
 * SignedRollover with its inclusion and consistency proofs. The statement is
 * signed by old_log's key (the registry's), rolls old_log's origin over to
 * the checkpoint's origin, and its witnessed checkpoint covers from (the
 * checkpoint this node verified last, NULL: none; not larger, and the same
 * size with the same root): a statement that hides what this node
 * verified is refused. The new checkpoint verifies under the same key
 * named after the new origin, extends the statement's restored tree with
 * the statement as its next leaf (wire_rollover_linked); *cosigned gets
 * the number of the n witnesses whose cosignature on it is under max_age
 * seconds old at now (POSIX seconds): the caller holds it to its quorum,
 * as for any checkpoint. SK_OK with *cp the new checkpoint (cp->ext points
 * into cr) and *new_log its verifier, else SK_ERR_VERIFY with *f saying
 * why. A chain of rollovers in cr (cr->chain) is checked link by link as
 * node_log_rollover_chain_check does. */
sk_status node_log_rollover_check(note_checkpoint *cp, note_verifier *new_log, size_t *cosigned,
				  const Schakel__V1__ConsistencyResponse *cr,
				  const note_verifier *old_log, const note_verifier *witnesses,
				  size_t n, uint64_t now, uint64_t max_age,
				  const note_checkpoint *from, node_log_failure *f) SK_MUST_CHECK;

/* One old log a chain of rollovers went through: its origin, the
 * statement's time of issue and, after the first (whose last checkpoint
 * is the node's own), the checkpoint of it the chain proved (note, nlen:
 * points into the response). */
typedef struct node_log_hop {
	char old_origin[NOTE_ORIGIN_MAX + 1];
	uint64_t issued_ms;
	uint64_t restored_size; /* the statement's restored tree's size */
	const uint8_t *note;
	size_t nlen;
} node_log_hop;

typedef struct node_log_chain {
	node_log_hop hop[WIRE_ROLLOVER_CHAIN_MAX];
	size_t n;
} node_log_chain;

/* node_log_rollover_check across a chain of rollovers (cr->chain, then
 * the last link; wire_rollover_links): each link in order must be signed
 * by old_log's key, roll over the log tracked so far (old_log's origin,
 * then the previous link's new origin), cover the checkpoint of that log
 * known so far (from, then the previous link's checkpoint) and sit after
 * its restored tree in its new log's checkpoint (the link's own; the
 * last link's is cr->checkpoint, whose witness cosignatures are counted).
 * chain (may be NULL) gets the logs gone through, oldest first.
 * SK_ERR_VERIFY with *f for a link that fails, SK_ERR_VERIFY too for more
 * than WIRE_ROLLOVER_CHAIN_MAX links. */
sk_status node_log_rollover_chain_check(note_checkpoint *cp, note_verifier *new_log,
					size_t *cosigned, const Schakel__V1__ConsistencyResponse *cr,
					const note_verifier *old_log, const note_verifier *witnesses,
					size_t n, uint64_t now, uint64_t max_age,
					const note_checkpoint *from, node_log_chain *chain,
					node_log_failure *f) SK_MUST_CHECK;

#endif
