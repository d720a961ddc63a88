/* Joining a federation: installing the registry's SignedBundle (and
 * refreshed ones later, node/bundle.h). The bundle is kept in the env
 * exactly as received; node/store.h reads it back, re-verified under the
 * pinned registry key on every load. */
#ifndef SK_NODE_JOIN_H
#define SK_NODE_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "node/bundle.h"
#include "node/store.h"

/* Installs a SignedBundle (len bytes as the registry wrote it) at time
 * now_ms: the signature under the registry key it names; on a later join
 * that key must be the pinned one (else SK_ERR_PERM: another registry);
 * the member certificate must verify under the bundle's CA at now and be
 * ours (CN = our org id, OU = our category, key = our TLS key); the policy
 * must know our category; a bundle older than the installed one is
 * refused. Pins the registry key at the first join, replaces the rest, and
 * audits ("node.join" or "node.rejoin") in the same transaction.
 * *refreshed (may be NULL) is 1 when a bundle was installed before.
 * SK_ERR_VERIFY for a signature or certificate that does not verify,
 * SK_ERR_INVALID for a malformed bundle, SK_ERR_PERM for one that is not
 * ours; the detail says which. Updates s->policy and s->joined. */
sk_status node_join(node_store *s, const uint8_t *bundle, size_t len, uint64_t now_ms,
		    int *refreshed) SK_MUST_CHECK;

#endif
