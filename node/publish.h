/* Publishing a client's entry as its open cases derive it (or withdrawing
 * it): built and signed under the client's token, sent to the registry,
 * and taken as published only with every receipt, checkpoint and proof
 * checked and the receipts' checkpoints proven consistent with the node's
 * view of the log (node/logtrack.h). */
#ifndef SK_NODE_PUBLISH_H
#define SK_NODE_PUBLISH_H

#include <stddef.h>

#include "node/client.h"
#include "node/session.h"

#define NODE_PUBLISH_THREADS 8         /* connections a bulk publish uses */
#define NODE_PUBLISH_BATCH 8192        /* entries a bulk publish takes at once */

/* Publishes (or withdraws) the entries of n clients (local ids) as by
 * node_remote_publish. Their sequence numbers are reserved and their
 * entries built (cached tokens; missing ones are computed through the
 * chain first) and signed in one write transaction, committed before the
 * first is sent. They go over the session's connection and, from 64 on,
 * up to NODE_PUBLISH_THREADS - 1 more at once: every receipt is checked
 * (the registry's signature, the leaf, its signed checkpoint and the
 * inclusion proof), then every checkpoint the receipts named is proven
 * consistent with the registry's latest one over the session's connection,
 * in requests of up to WIRE_CONSISTENCY_ALSO_MAX trees, and that one
 * becomes the node's verified checkpoint, stored with the audit records and
 * the cleared dirty marks, 1,000 a commit. A client whose entry the
 * registry refused stays dirty (a warning on stderr; *failed counts them);
 * an integrity failure stops everything (SK_ERR_VERIFY, evidence kept).
 * *done counts the published ones. */
sk_status node_remote_publish_many(node_remote *r, const char (*clients)[NODE_CLIENT_ID_MAX + 1],
				   size_t n, size_t *done, size_t *failed) SK_MUST_CHECK;

/* Publishes (or withdraws) the entry of client (local id) as its open
 * cases derive it, and clears its dirty mark. */
sk_status node_remote_publish(node_remote *r, const char *client) SK_MUST_CHECK;

/* Publishes client's entry now, after a committed change to its cases:
 * opens a session for s (joined), publishes over one connection and
 * closes it. The client is marked first if it is not, and stays marked
 * until a verified receipt, so a failure only delays: sync retries.
 * The registry's log is followed first as sync does (across a rollover,
 * node_remote_log_follow). SK_ERR_VERIFY: an integrity failure (evidence kept); SK_ERR_NOTFOUND
 * (detail set) before the first join. */
sk_status node_publish_now(node_store *s, sk_kek *kek, const char *client) SK_MUST_CHECK;

#endif
