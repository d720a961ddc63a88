/* `audit verify --reconcile`: the registry's audit records about this org
 * (AuditRecordsRequest; the registry answers with its records whose acting
 * org is us, and records that read) matched against the node's own log by
 * correlation id. A registry action with a correlation id that no local
 * record carries is unmatched: a request this node made (or that was made
 * with its key) that its log does not show.
 * After the registry's log rolled over (docs/protocol.md "Rollover"), the
 * other way round is explained, not failed: our records with a
 * correlation id that the registry no longer holds, made after the last
 * of our actions it holds from before the rollover statement and before
 * this node followed the rollover, were lost in the registry's recovery. */
#ifndef SK_NODE_RECONCILE_H
#define SK_NODE_RECONCILE_H

#include "crypto/note.h"
#include "node/session.h"
#include "protos/schakel.pb-c.h"
#include "node/store.h"

#define NODE_RECONCILE_MAX 1000000 /* registry records held at once, at most */
#define NODE_RECONCILE_LOST_SHOWN 1000 /* lost records passed to the caller, at most */

typedef struct node_reconcile_stats {
	uint64_t fetched;    /* registry records about us */
	uint64_t matchable;  /* of those, with a correlation id */
	uint64_t matched;
	uint64_t unmatched;
	uint64_t before_log; /* matchable, but older than our retained log */
	/* after a rollover this node followed (rolled_at > 0): */
	uint64_t rolled_at;  /* the rollover statement's time of issue (unix ms) */
	uint64_t followed_at; /* when this node followed it */
	char rolled_to[NOTE_ORIGIN_MAX + 1]; /* the log's new origin */
	uint64_t lost;       /* our records lost in the registry's recovery */
} node_reconcile_stats;

/* One of the registry's records of our own actions, as much as the
 * registry gives (ReconcileRecord): what matching needs, nothing else. */
typedef struct node_reconcile_record {
	uint64_t seq;     /* in the registry's log */
	uint64_t time_ms;
	audit_outcome outcome;
	char *event;
	char *correlation_id; /* NULL: none */
} node_reconcile_record;

/* Called for each unmatched registry record, oldest first; rec is valid
 * only during the call. */
typedef sk_status (*node_reconcile_fn)(const node_reconcile_record *rec, void *arg);

/* Called for each of our records lost in the registry's recovery (at most
 * NODE_RECONCILE_LOST_SHOWN, oldest first; stats->lost counts them all),
 * inside a read transaction of the log: rec is valid only during the call
 * and fn must not block. */
typedef sk_status (*node_reconcile_lost_fn)(const audit_record *rec, void *arg);

/* The registry's records gathered so far, with the paging cursor. */
typedef struct node_reconcile_set node_reconcile_set;

sk_status node_reconcile_set_new(node_reconcile_set **out) SK_MUST_CHECK;
void node_reconcile_set_free(node_reconcile_set *set); /* accepts NULL */

/* Takes one reply of the registry (peer input): every record must be
 * well formed (an event, a known outcome, fields within the audit
 * record's limits), else SK_ERR_INVALID (nothing more is taken);
 * those with a correlation id are kept; the cursor moves to the last
 * record. *more: ask again (the registry said so and the page was not
 * empty). SK_ERR_TOOBIG past NODE_RECONCILE_MAX kept records. */
sk_status node_reconcile_take(node_reconcile_set *set,
			      const Schakel__V1__AuditRecordsResponse *resp,
			      node_reconcile_stats *stats, int *more) SK_MUST_CHECK;

/* Fetches the registry's records about s's org through r, matches them
 * against the log of s and calls fn for the unmatched ones; after a
 * rollover, lost (may be NULL) for ours lost in the registry's recovery
 * (lost_arg). The node's own records of the reconciliation come from the
 * caller. SK_ERR_TOOBIG past NODE_RECONCILE_MAX; SK_ERR_INVALID for a
 * malformed record. */
sk_status node_reconcile(node_remote *r, node_store *s, node_reconcile_fn fn, void *arg,
			 node_reconcile_lost_fn lost, void *lost_arg,
			 node_reconcile_stats *stats) SK_MUST_CHECK;

#endif
