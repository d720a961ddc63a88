/* The keys of the node's inbox database: each mailbox item is kept under a
 * local number the node hands out, strictly increasing over the node's
 * life (meta "inbox.next"), not under the registry's mailbox seq, which a
 * registry restored from a backup hands out again after its rollover. The
 * registry's seq stays inside the stored item. This module knows only the
 * layout; it sits below node/store.h (node_store_open upgrades an older
 * store with it). */
#ifndef SK_NODE_INBOXKEY_H
#define SK_NODE_INBOXKEY_H

#include <stdint.h>

#include <lmdb.h>

#include "common/status.h"

#define NODE_META_INBOX_NEXT "inbox.next"
/* Keys from here up held local alerts in the old layout (u64 max - leaf). */
#define NODE_INBOXKEY_OLD_ALERTS (UINT64_MAX / 2)

/* The key for the next item stored in inbox as txn sees it: the counter
 * (meta NODE_META_INBOX_NEXT, which the caller moves past *key in the
 * same transaction), never below a key in use (a store written around
 * this module, e.g. by a benchmark, still gets no key twice). */
sk_status node_inboxkey_next(MDB_txn *txn, MDB_dbi inbox, uint64_t counter,
			     uint64_t *key) SK_MUST_CHECK;

/* Once, in a write transaction, for a store of the old layout (no
 * counter yet; keys were the registry's seqs, which only grew until a
 * rollover, and local alerts at the top of the key space): the old keys
 * stay as they are, the alerts move to keys after the highest of them,
 * and *next gets the counter's first value, after those. *moved counts
 * the alerts moved. */
sk_status node_inboxkey_upgrade(MDB_txn *txn, MDB_dbi inbox, uint64_t *next,
				size_t *moved) SK_MUST_CHECK;

#endif
