/* The node's session with its federation's registry: the pinned bundle and
 * the node's keys loaded, one connection to the registry (checked to be it
 * before anything is sent) and requests over it. The node's federation
 * modules (tokens, publish, lookup, inbox, anchors, resume, sync, log
 * tracking, discussions, encryption keys) all work through one. */
#ifndef SK_NODE_SESSION_H
#define SK_NODE_SESSION_H

#include <stdint.h>

#include "common/kek.h"
#include "crypto/key.h"
#include "node/store.h"
#include "protos/wire.h"

#define NODE_TIMEOUT_MS 15000

typedef struct node_remote node_remote;

/* Opens a session for s (joined): loads the pinned federation and, in the
 * same write transaction, re-marks every open entry when the chain's token
 * epoch changed; then the node's keys. Nothing is sent yet; the session's
 * connection is made on first use and kept. Close with node_remote_close(). */
sk_status node_remote_open(node_remote **out, node_store *s, sk_kek *kek) SK_MUST_CHECK;
void node_remote_close(node_remote *r);

/* A request to the registry over the session, expecting a reply of kind
 * want (else SK_ERR_INVALID). *reply owned by the caller. */
sk_status node_remote_ask(node_remote *r, const wire_envelope *req,
			  Schakel__V1__Envelope__BodyCase want, wire_envelope **reply) SK_MUST_CHECK;

/* Ends the session's work by until_ms (sk_clock_now_ms() time) at the
 * latest: every later connection and request, to the registry and through
 * the pseudonymiser chain, is bounded by what is left of it (and by
 * NODE_TIMEOUT_MS), and fails with SK_ERR_IO ("timed out") once it has
 * passed. 0: no deadline. */
void node_remote_deadline(node_remote *r, uint64_t until_ms);

/* The chain's token epoch (entries match only within one). */
uint32_t node_remote_epoch(const node_remote *r);

node_store *node_remote_store(node_remote *r);

/* The node's identity key, as the session holds it. */
const key_ed25519 *node_remote_identity(const node_remote *r);

#endif
