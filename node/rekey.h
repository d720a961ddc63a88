/* New keys for a node with the operator's countersignature: `rekey` makes
 * new identity, TLS and encryption keys (pending, in <file>.new) and
 * D/rekey-request, a SignedRekeyRequest signed by the current and the new
 * identity key; the operator issues the new certificate and a refreshed
 * bundle (`schakel-registry enrol --refresh ORG --request F --ca CA`),
 * which `join` installs: only then do the new keys replace the old ones. */
#ifndef SK_NODE_REKEY_H
#define SK_NODE_REKEY_H

#include "node/store.h"

/* Prepares the new keys and writes D/rekey-request (replacing an older
 * one). SK_ERR_EXISTS when a rekey is pending already; SK_ERR_INVALID
 * before the node joined. */
sk_status node_rekey(node_store *s, sk_kek *kek) SK_MUST_CHECK;

#endif
