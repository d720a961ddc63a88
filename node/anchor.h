/* The node's audit log anchored in the registry's log: its head, signed
 * by the node, every few minutes while the log grows; records before an
 * anchored head cannot later be cut off or changed unnoticed. The checks
 * compare the log with the last anchor this node made, or with every
 * anchor the registry holds for it. */
#ifndef SK_NODE_ANCHOR_H
#define SK_NODE_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "node/session.h"

#define NODE_ANCHOR_MS (5ull * 60 * 1000) /* audit heads anchored at most this often */

/* Anchors the current audit head in the registry's log when it moved on
 * since the last anchor (and NODE_ANCHOR_MS passed; after a restore, only
 * past what the registry anchored already). *done: an anchor was made. */
sk_status node_remote_anchor(node_remote *r, int *done) SK_MUST_CHECK;

/* Checks the log (records long, as audit_log_verify counted) against the
 * last audit head this node anchored: SK_ERR_VERIFY with *bad naming the
 * first bad record when that record changed or the tail was cut off.
 * *anchored gets the anchored record's seq (left alone when none). */
sk_status node_audit_anchor_check(node_store *s, MDB_txn *txn, uint64_t records,
				  uint64_t *bad, uint64_t *anchored) SK_MUST_CHECK;

/* The same against every anchor the registry holds for us (*checked). */
sk_status node_remote_anchors_check(node_remote *r, uint64_t records, uint64_t *bad,
				    size_t *checked) SK_MUST_CHECK;

#endif
