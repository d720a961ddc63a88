/* Clients' tokens through the pinned pseudonymiser chain: a client's token
 * and contact key under the chain's token epoch, computed once and cached
 * (node/entry.h), one client at a time or in bulk. A pseudonymiser answer
 * whose proof does not verify is SK_ERR_VERIFY, with its evidence kept in
 * D/evidence/. */
#ifndef SK_NODE_TOKEN_H
#define SK_NODE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/bsn.h"
#include "node/client.h"
#include "node/session.h"

#define NODE_TOKEN_THREADS 2 /* token batches in flight at once */

/* client's token and contact key under epoch (node_remote_epoch; cached,
 * else through the chain). Wipe the contact key. */
sk_status node_remote_token(node_remote *r, const char *client, uint32_t epoch,
			    uint8_t token[static BSN_TOKEN_BYTES],
			    uint8_t contact_key[static BSN_CONTACT_KEY_BYTES]) SK_MUST_CHECK;

/* Computes and caches the tokens of n clients (local ids) through the
 * chain, OPRF_MAX_BATCH at a time: one request per pseudonymiser per batch
 * (bulk onboarding; the pseudonymisers' quotas may need a grant). Clients
 * whose token is cached already are skipped; *made counts the new ones. */
sk_status node_remote_tokens(node_remote *r, const char (*clients)[NODE_CLIENT_ID_MAX + 1],
			     size_t n, size_t *made) SK_MUST_CHECK;

#endif
