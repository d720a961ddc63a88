/* Joining a federation: installing the registry's SignedBundle (and
 * refreshed ones later) and reading back what it pins: the registry key,
 * address and org id, the log origin, the pseudonymisers in chain order,
 * the witnesses and quorum, the CA and our member certificate, and the
 * federation policy. The bundle is kept in the env exactly as received and
 * re-verified under the pinned registry key on every load. */
#ifndef SK_NODE_JOIN_H
#define SK_NODE_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"
#include "crypto/oprf.h"
#include "net/cert.h"
#include "node/store.h"

#define NODE_DOMAIN_BUNDLE "schakel/v1/bundle"
#define NODE_BUNDLE_MAX (1u << 20)
#define NODE_ADDRESS_MAX 255
#define NODE_WITNESS_MAX 16
#define NODE_WITNESS_ID_MAX 255
#define NODE_REGISTRY_ORG_DEFAULT "registry" /* bundles without registry_org_id */
#define NODE_REGISTRY_ROLE "registry" /* OU of the registry's certificate */

/* One pseudonymiser of the chain, as the bundle pins it. */
typedef struct node_pseudonymiser {
	char org_id[NET_ORG_ID_MAX + 1];          /* the CN of its TLS certificate */
	char address[NODE_ADDRESS_MAX + 1];       /* HOST:PORT */
	uint8_t oprf_key[OPRF_ELEMENT_BYTES];     /* checked ristretto255 element */
	uint32_t epoch;                           /* >= 1 */
	uint8_t identity_key[KEY_ED25519_PK_BYTES];
} node_pseudonymiser;

typedef struct node_witness {
	char id[NODE_WITNESS_ID_MAX + 1];
	char url[NODE_ADDRESS_MAX + 1];
	char vkey[NOTE_VKEY_MAX];                 /* parses with note_verifier_parse */
} node_witness;

/* Everything the installed bundle pins, checked on load. */
typedef struct node_federation {
	char federation[NOTE_ORIGIN_MAX + 1];
	char registry_address[NODE_ADDRESS_MAX + 1];
	char registry_org_id[NET_ORG_ID_MAX + 1]; /* CN of the registry's certificate */
	uint8_t registry_key[KEY_ED25519_PK_BYTES]; /* pinned at the first join */
	int has_registry_tls_key;                 /* 0: a bundle from before pinning */
	uint8_t registry_tls_key[KEY_ED25519_PK_BYTES]; /* the registry's TLS key */
	char log_origin[NOTE_ORIGIN_MAX + 1];     /* checkpoints: key name and origin */
	size_t n_pseudonymisers;                  /* 0..OPRF_MAX_CHAIN */
	node_pseudonymiser pseudonymisers[OPRF_MAX_CHAIN]; /* chain order */
	size_t n_witnesses;
	node_witness witnesses[NODE_WITNESS_MAX];
	uint32_t quorum;                          /* <= n_witnesses */
	wire_policy policy;                       /* contains our category */
	uint64_t issued_at;                       /* unix ms */
	size_t ca_cert_len, member_cert_len;
	uint8_t ca_cert[NET_CERT_MAX];            /* DER */
	uint8_t member_cert[NET_CERT_MAX];        /* DER, ours: CN = our org id */
} node_federation;

/* Parses a BundleBody (the signed bytes of a bundle) into *f with every
 * field checked: addresses, keys, the chain, witnesses, quorum, policy.
 * No signature is checked here (node_join does that first); exposed for
 * the fuzz harness. */
sk_status node_bundle_body_fill(node_federation *f, const uint8_t *body,
				size_t len) SK_MUST_CHECK;

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

/* The installed bundle as of txn, re-verified under the pinned key. *out
 * is malloc'd, owned by the caller (node_federation_free). SK_ERR_NOTFOUND
 * (detail set) before the first join; SK_ERR_VERIFY when the stored bundle
 * no longer verifies. */
sk_status node_federation_load(node_store *s, MDB_txn *txn, node_federation **out) SK_MUST_CHECK;

/* Accepts NULL. */
void node_federation_free(node_federation *f);

/* Whether a server that passed TLS under the federation CA is this
 * federation's registry: its certificate must name the bundle's registry
 * org id (CN) and the registry role (OU "registry": no member holds it),
 * and carry the TLS key the bundle pins (when the bundle has one). Not the
 * name alone: the CA issues members certificates too. SK_ERR_VERIFY with
 * the detail set otherwise. */
sk_status node_registry_check(const node_federation *f, const net_peer *peer) SK_MUST_CHECK;

/* Sets s->policy and s->joined from the installed bundle (the default
 * policy before the first join). Called by node_store_open. */
sk_status node_policy_load(node_store *s) SK_MUST_CHECK;

#endif
