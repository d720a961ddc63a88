/* The node's side of the federation: its registry session, tokens through
 * the pinned pseudonymiser chain, publishing the derived entry of a client
 * with every receipt, checkpoint and proof checked, lookups, and sync
 * (dirty entries, the registry's latest checkpoint checked for consistency
 * with the last one we verified, and the mailbox). With a witness quorum in
 * the bundle, a checkpoint counts as verified only with that many valid
 * cosignatures under an hour old (checkpoints of receipts through a later
 * cosigned one). Integrity failures are
 * SK_ERR_VERIFY (exit 3) and the evidence is kept in D/evidence/. */
#ifndef SK_NODE_REMOTE_H
#define SK_NODE_REMOTE_H

#include <jansson.h>

#include "common/kek.h"
#include "node/anchor.h"
#include "node/entry.h"
#include "node/inbox.h"
#include "node/join.h"
#include "node/logtrack.h"
#include "node/resume.h"
#include "node/lookup.h"
#include "node/publish.h"
#include "node/session.h"
#include "node/token.h"
#include "node/store.h"
#include "protos/wire.h"


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
} node_sync_stats;

/* Publishes every dirty entry, checks the registry's latest checkpoint for
 * consistency with the last verified one, and pulls the mailbox: matches,
 * disclosure notices (kept in our audit log) and pattern flags. */
sk_status node_remote_sync(node_remote *r, node_sync_stats *stats) SK_MUST_CHECK;

/* ---- for the other federation modules of the node (discussions) ----- */

#endif
