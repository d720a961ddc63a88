/* The node's X25519 encryption keys (docs/design.md "Keys"): a new key every
 * week, valid two weeks, certified by the identity key and published as a
 * leaf of the registry's log; private halves kept sealed under the data
 * key and deleted once expired. Discussion messages are sealed to the
 * recipient's newest key; a node opens with whichever live key fits. */
#ifndef SK_NODE_ENCKEYS_H
#define SK_NODE_ENCKEYS_H

#include "node/session.h"

#define NODE_ENC_ROTATE_MS (7ull * 24 * 3600 * 1000)
#define NODE_ENC_LIFETIME_S (14ull * 24 * 3600)
#define NODE_ENC_LIVE_MAX 8 /* live private keys, at most */

/* Makes sure a published key newer than a week exists (force: a new key
 * now, e.g. after a suspected compromise), publishes any key the registry
 * has not acknowledged, and deletes the private keys that expired at
 * now_ms. *rotated (may be NULL) is 1 when a key was made. Audited. */
sk_status node_enc_maintain(node_remote *r, uint64_t now_ms, int force,
			    int *rotated) SK_MUST_CHECK;

/* The local half of node_enc_maintain: a new key when due (or force),
 * stored sealed and unpublished (*made = 1), and the expired ones deleted;
 * both audited. */
sk_status node_enc_rotate_local(node_store *s, uint64_t now_ms, int force,
				int *made) SK_MUST_CHECK;

/* The live private keys at now_s (unix seconds), newest first, into keys
 * (room for NODE_ENC_LIVE_MAX; sodium_malloc'd by the caller, wiped by
 * it). */
sk_status node_enc_keys_load(node_store *s, MDB_txn *txn, uint64_t now_s, key_x25519 *keys,
			     size_t *n) SK_MUST_CHECK;

/* The newest key's public half; SK_ERR_NOTFOUND before the first. */
sk_status node_enc_current(node_store *s, MDB_txn *txn,
			   uint8_t pk[static KEY_X25519_PK_BYTES]) SK_MUST_CHECK;

/* One key as listed: public half, made at, valid until, published. */
typedef struct node_enc_info {
	uint8_t pk[KEY_X25519_PK_BYTES];
	uint64_t created_ms, not_after_s;
	int published;
} node_enc_info;
typedef sk_status (*node_enc_fn)(const node_enc_info *k, void *arg);
sk_status node_enc_list(node_store *s, node_enc_fn fn, void *arg) SK_MUST_CHECK;

#endif
