/* The session as the node's federation modules see it (node/session.c owns
 * it): what node_remote_open() loaded, and the helpers they share for the
 * registry's connection, the node's counters and integrity failures. */
#ifndef SK_NODE_SESSION_INT_H
#define SK_NODE_SESSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"
#include "net/conn.h"
#include "node/join.h"
#include "node/store.h"

/* node/session.h's typedef, repeated (C11 allows it): this header does not
 * include node/session.h, whose module (session.c) includes this one. */
typedef struct node_remote node_remote;

struct node_remote {
	node_store *s;
	node_federation *fed;
	net_tls *tls;
	key_ed25519 *id; /* sodium_malloc'd */
	note_verifier log_key;
	note_verifier witnesses[NODE_WITNESS_MAX]; /* the bundle's, type 0x04 */
	size_t n_witnesses;
	net_sync *reg;   /* the session's connection, made on first use */
	uint64_t deadline_ms; /* node_remote_deadline(); 0: none */
};

/* The timeout of the session's next network step: NODE_TIMEOUT_MS, or what
 * is left of its deadline; SK_ERR_IO ("timed out") once that has passed. */
sk_status node_remote_timeout(const node_remote *r, unsigned *ms) SK_MUST_CHECK;

/* A connection to the federation's registry, checked to be it (by its
 * role and pinned TLS key, node_registry_check) before anything is sent.
 * Close with net_sync_close(). */
sk_status node_remote_connect(node_remote *r, net_sync **sc) SK_MUST_CHECK;

/* A counter of the node's meta database, in a read transaction of its own. */
sk_status node_remote_meta(node_remote *r, const char *name, uint64_t *v) SK_MUST_CHECK;

/* The origin of the registry's log this node follows, once the log rolled
 * over (docs/protocol.md "Rollover"); before that the bundle's. */
#define NODE_META_LOG_ORIGIN "log.origin"
/* The old log's last checkpoint this node verified, under this prefix and
 * the old origin: evidence of what the new log replaced. */
#define NODE_META_LOG_ROLLED "log.rolled:"
/* The latest rollover this node followed: its statement's time of issue
 * and when this node followed it (unix ms). What the node sent the old
 * registry after that registry's backup and before it followed is gone
 * from the new one (node/reconcile.h). */
#define NODE_META_LOG_ROLLED_AT "log.rolled_at"
#define NODE_META_LOG_FOLLOWED_AT "log.followed_at"

/* After the registry's log rolled over (node/logtrack.h), in txn: keeps
 * the new origin for every later session, the old log's checkpoint
 * (old_note, old_len bytes, of origin old_origin) as evidence, and marks
 * for republishing what the new log may lack: every open case's entry, a
 * new encryption key and an anchor of the audit head (which covers the
 * whole audit chain) at once, and a check of the open discussions
 * (NODE_META_DISCUSS_RECHECK), and a rewind of the mailbox cursor
 * (NODE_META_MAILBOX_REWIND); issued_ms is the (first) statement's time of
 * issue, restored its restored tree's size: the member events cursor moves
 * back to it. r->log_key becomes new_log. */
sk_status node_remote_rolled(node_remote *r, MDB_txn *txn, const note_verifier *new_log,
			     const char *old_origin, const uint8_t *old_note,
			     size_t old_len, uint64_t issued_ms, uint64_t restored) SK_MUST_CHECK;

/* Keeps what failed to verify (a, and b when not NULL) in D/evidence/, for
 * the privacy officer and the federation operator; the failure itself is
 * returned by the caller. */
void node_remote_evidence(node_remote *r, const char *what, const uint8_t *a, size_t alen,
			  const uint8_t *b, size_t blen);

/* An integrity failure of the registry: keeps the evidence under what,
 * sets the detail (why, which may be the detail buffer itself, and whom to
 * tell) and returns SK_ERR_VERIFY. */
sk_status node_remote_integrity(node_remote *r, const char *what, const char *why,
				const uint8_t *a, size_t alen, const uint8_t *b,
				size_t blen) SK_MUST_CHECK;

#endif
