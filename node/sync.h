/* Sync: the node's periodic round with the registry. Publishes every dirty
 * entry, moves the node's verified checkpoint forward (node/logtrack.h),
 * follows the member events, takes in the directory (node/directory.h), keeps the encryption key fresh, pulls the
 * mailbox, takes in the discussions' items and anchors the audit head.
 * Integrity failures are SK_ERR_VERIFY (exit 3) and the evidence is kept
 * in D/evidence/. */
#ifndef SK_NODE_SYNC_H
#define SK_NODE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"
#include "node/session.h"

typedef struct node_sync_stats {
	size_t published;
	size_t items;
	size_t alerts; /* certificates for our org id we did not request */
	int anchored;  /* the audit head was anchored in the registry's log */
	uint64_t tree_size;
	int rotated;     /* a new encryption key was made and published */
	size_t messages; /* discussion messages received and verified */
	size_t rejected; /* discussion messages refused (replayed, misaddressed, forged) */
	size_t forwarded; /* summaries sent to late acceptors */
	size_t stopped;   /* open discussions stopped after a rollover */
	size_t resent;    /* our discussion messages sent again after a rollover */
	size_t undelivered; /* discussions told that a message of ours may be lost */
	size_t directory; /* directory records taken in (newer versions, verified) */
	/* the origin the registry's log rolled over to in this sync ("" when
	 * it did not): published then counts what was published again */
	char rolled_to[NOTE_ORIGIN_MAX + 1];
} node_sync_stats;

/* What 'status' shows of the syncs, kept in meta by node_remote_sync: the
 * time (unix ms, u64) of the last one that succeeded and of the last one
 * tried, and why the last one failed ("" after a success). */
#define NODE_META_SYNC_OK "sync.ok"
#define NODE_META_SYNC_TRIED "sync.tried"
#define NODE_META_SYNC_ERROR "sync.error"

/* Publishes every dirty entry, checks the registry's latest checkpoint for
 * consistency with the last verified one, and pulls the mailbox: matches,
 * disclosure notices (kept in our audit log) and pattern flags. */
sk_status node_remote_sync(node_remote *r, node_sync_stats *stats) SK_MUST_CHECK;

#endif
