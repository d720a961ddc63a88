/* The node's view of the registry's log: the checkpoint it verified last,
 * moved forward to the registry's latest with every step proven consistent
 * (node/logstate.h), and with the receipt trees of a publish. With a
 * witness quorum in the bundle, a checkpoint counts as verified only with
 * that many valid cosignatures under NODE_COSIG_MAX_AGE_S old. Integrity
 * failures are SK_ERR_VERIFY, with the evidence kept in D/evidence/. */
#ifndef SK_NODE_LOGTRACK_H
#define SK_NODE_LOGTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "node/logstate.h"
#include "node/session.h"

#define NODE_COSIG_MAX_AGE_S 3600  /* witness cosignatures count this long */
#define NODE_COSIGN_WAIT_MS 10000  /* how long a checkpoint short of its quorum is awaited */
#define NODE_COSIGN_POLL_MS 250

/* Moves the node's verified checkpoint forward to the registry's latest
 * (the latest cosigned one when the bundle names witnesses): proven
 * consistent with the stored one and with each of trees (the receipt
 * trees of a bulk publish, sorted by size, distinct; nt may be 0), in
 * requests of up to WIRE_CONSISTENCY_ALSO_MAX trees, each latest proven from
 * the one before. Witnesses cosign after the registry answers, so a
 * checkpoint short of the quorum, or one that does not cover the receipts
 * yet, is waited for a little; then it is an integrity failure.
 * *tree_size (may be NULL) gets the new size. */
sk_status node_remote_checkpoint_advance(node_remote *r, const node_log_tree *trees, size_t nt,
					 uint64_t *tree_size) SK_MUST_CHECK;

#endif
