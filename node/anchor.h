/* The node's audit log anchored in the registry's log: its head, signed
 * by the node, every few minutes while the log grows; records before an
 * anchored head cannot later be cut off or changed unnoticed. The checks
 * compare the log with the last anchor this node made, or with every
 * anchor the registry holds for it. */
#ifndef SK_NODE_ANCHOR_H
#define SK_NODE_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"
#include "crypto/note.h"
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

/* The anchors this node made, kept NODE_ANCHOR_MADE_KEEP_MS in its meta
 * database: after a rollover, `audit verify --reconcile` tells those the
 * registry lost in its recovery (docs/protocol.md "Rollover"). */
#define NODE_ANCHOR_MADE_KEEP_MS (90ull * 24 * 60 * 60 * 1000)
#define NODE_ANCHOR_MADE_MAX 65536   /* kept anchors read at once, at most */
#define NODE_ANCHOR_HELD_MAX 1000000 /* the registry's anchors taken at once, at most */

typedef struct node_anchor_made {
	uint64_t seq, time_ms, leaf; /* the audit record, when, its leaf in the registry's log */
	uint8_t head[AUDIT_HASH_BYTES];
	char origin[NOTE_ORIGIN_MAX + 1]; /* the registry's log then */
} node_anchor_made;

/* An anchor the registry holds for us (AnchorsResponse). */
typedef struct node_anchor_held {
	uint64_t seq, time_ms;
	uint8_t head[AUDIT_HASH_BYTES];
} node_anchor_held;

/* One of our anchors the registry no longer holds, and the first anchor it
 * holds at or past its record (covered: 1), which anchors the records the
 * lost one did through the audit log's hash chain. */
typedef struct node_anchor_lost {
	node_anchor_made made;
	int covered;
	uint64_t by_seq, by_time_ms;
	uint8_t by_head[AUDIT_HASH_BYTES];
} node_anchor_lost;

/* Of made[0..n) (ours), those that held[0..nh) (the registry's, by seq
 * ascending) does not hold with the same head, into out (room for n), in
 * made's order, each with the first held anchor of a later record when
 * there is one. Returns how many. No I/O. */
size_t node_anchor_explain(const node_anchor_made *made, size_t n, const node_anchor_held *held,
			   size_t nh, node_anchor_lost *out);

/* Our kept anchors the registry no longer holds (node_anchor_explain), a
 * covering anchor kept only when both its head and the lost one's are our
 * log's records (the hash chain joins them). *out malloc'd (owned by the
 * caller), *n of them, *uncovered those without a covering anchor.
 * SK_ERR_INVALID for a malformed answer, SK_ERR_TOOBIG past the bounds. */
sk_status node_remote_anchors_lost(node_remote *r, node_anchor_lost **out, size_t *n,
				   size_t *uncovered) SK_MUST_CHECK;

#endif
