/* The dirty set: the clients whose entry must be (re)published. Every case
 * or consent change marks its client inside its own transaction, so a
 * crash between the change and the publish loses nothing: sync publishes
 * whatever is still marked. Each mark carries a generation, so a publish
 * clears only the mark it saw. */
#ifndef SK_NODE_DIRTY_H
#define SK_NODE_DIRTY_H

#include <stdint.h>

#include "node/store.h"

/* Marks client dirty in txn with a new generation number. */
sk_status node_dirty_mark(node_store *s, MDB_txn *txn, const char *client) SK_MUST_CHECK;

/* Calls fn for each dirty client (in id byte order) with the generation of
 * its latest mark; any status but SK_OK stops the scan and is returned. */
typedef sk_status (*node_dirty_fn)(const char *client, uint64_t gen, void *arg);
sk_status node_dirty_scan(node_store *s, MDB_txn *txn, node_dirty_fn fn, void *arg) SK_MUST_CHECK;

/* Clears client's mark if it still has generation gen (what the publisher
 * saw before publishing): a change made meanwhile keeps it dirty.
 * *cleared (may be NULL) says which happened. */
sk_status node_dirty_clear(node_store *s, MDB_txn *txn, const char *client, uint64_t gen,
			   int *cleared) SK_MUST_CHECK;

#endif
