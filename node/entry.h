/* The org's entry per client, as derived from its cases, and the local
 * state the network side (tokens, publish, sync) builds on besides the
 * dirty set (node/dirty.h): the cache of tokens per client and epoch.
 *
 * Changes to cases mark the client dirty inside their own transaction, so
 * a crash between the change and the publish loses nothing: sync publishes
 * whatever is still dirty. The CLI then publishes at once
 * (node_publish_now, node/publish.h), the web through its sync thread
 * (node_entry_changed). */
#ifndef SK_NODE_ENTRY_H
#define SK_NODE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/bsn.h"
#include "node/case.h"
#include "node/store.h"

/* What the entry of one client says, from all its open cases. */
typedef struct node_entry_derived {
	uint32_t flags;        /* NODE_FLAG_* union; 0 when withdraw */
	size_t n_categories;   /* the union, in policy order; 0 when withdraw */
	char categories[WIRE_POLICY_MAX][WIRE_CATEGORY_MAX + 1];
	node_basis basis;      /* consent when a consent case contributes, else statutory */
	uint64_t expires_at;   /* the latest expiry of the contributing cases */
	size_t n_open;         /* open cases of the client */
	size_t n_contributing; /* open, unexpired cases that contribute flags */
	int withdraw;          /* nothing contributes: the entry must be withdrawn */
	uint64_t contact_case; /* the newest contributing case with CONTACT (else the
				* newest contributing case); 0 when withdraw */
	char contact_professional[NODE_ID_MAX + 1]; /* its first assigned professional,
						     * whose work contact is sealed */
	int regie;             /* a case discussion made us the regievoerder */
} node_entry_derived;

/* Derives the entry of client (local id) at now_ms in txn: over its open
 * cases whose consent has not expired, the union of flags and categories
 * (a statutory case contributes DISCUSS only), the latest expiry, the
 * basis class. The federation policy is applied per case: categories the
 * policy no longer knows are dropped, and DISCOVER (with CONTACT) is
 * dropped from a case none of whose categories is mutually visible with
 * our category. When nothing contributes, withdraw is 1 (n_open says
 * whether cases are open at all). */
sk_status node_entry_derive(node_store *s, MDB_txn *txn, const char *client, uint64_t now_ms,
			    node_entry_derived *out) SK_MUST_CHECK;

#define NODE_EXPIRY_JITTER_MS (3 * NODE_DAY_MS) /* published expiry: up to this early */
#define NODE_EXPIRY_LEAD_MS (3600ull * 1000)     /* ... but live at least this long */

/* The expiry an entry carries at the registry, drawn afresh for every
 * publish: expires_at rounded down to its UTC day, less a random jitter
 * of up to NODE_EXPIRY_JITTER_MS, in whole seconds. So entries
 * republished in a new epoch do not repeat the old epoch's expiry, nor
 * the millisecond a consent was recorded (a default expiry is that time
 * plus a year). Never later than expires_at; when that rounding would
 * leave less than NODE_EXPIRY_LEAD_MS, a random whole second between
 * then and expires_at (or expires_at itself when nearer still). */
uint64_t node_entry_expiry_blur(uint64_t expires_at, uint64_t now_ms);

/* Records, in txn, that a case discussion (id, hex) made us the
 * regievoerder for client, and marks the client dirty: its entry carries
 * the regie flag from its next publish on. */
sk_status node_entry_regie_set(node_store *s, MDB_txn *txn, const char *client,
			       const char *discussion) SK_MUST_CHECK;

/* After a committed case or consent change of client whose entry is
 * published later (the web wakes its sync thread): makes sure the client
 * is in the dirty set, marking it again when a publish cleared the mark
 * since. node_publish_now does the same inside its own transaction. */
sk_status node_entry_changed(node_store *s, const char *client) SK_MUST_CHECK;

/* ---- the token cache ------------------------------------------------------ */

/* Keeps client's token and contact key for epoch (sealed under the data
 * key) and indexes the token back to the client, replacing an earlier
 * token of the same client and epoch. */
sk_status node_token_put(node_store *s, MDB_txn *txn, const char *client, uint32_t epoch,
			  const uint8_t token[static BSN_TOKEN_BYTES],
			  const uint8_t contact_key[static BSN_CONTACT_KEY_BYTES]) SK_MUST_CHECK;

/* The cached token and contact key of client for epoch. WARNING: wipe the
 * contact key after use. SK_ERR_NOTFOUND when not cached. */
sk_status node_token_get(node_store *s, MDB_txn *txn, const char *client, uint32_t epoch,
			 uint8_t token[static BSN_TOKEN_BYTES],
			 uint8_t contact_key[static BSN_CONTACT_KEY_BYTES]) SK_MUST_CHECK;

/* The client whose token for epoch is token (matches and notices name
 * tokens). SK_ERR_NOTFOUND when none. */
sk_status node_token_find(node_store *s, MDB_txn *txn, const uint8_t token[static BSN_TOKEN_BYTES],
			  uint32_t epoch, char client[static NODE_CLIENT_ID_MAX + 1]) SK_MUST_CHECK;

#endif
