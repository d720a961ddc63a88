/* A federation's bundle: the registry's SignedBundle parsed and checked
 * into what it pins: the registry key, address and org id, the log origin,
 * the pseudonymisers in chain order, the witnesses and quorum, the CA and
 * our member certificate, and the federation policy. No I/O: node/join.h
 * installs a bundle and reads the installed one back. */
#ifndef SK_NODE_BUNDLE_H
#define SK_NODE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/key.h"
#include "crypto/note.h"
#include "crypto/oprf.h"
#include "net/cert.h"
#include "protos/policy.h"

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

/* Parses and verifies a SignedBundle (len bytes) into f: the signature
 * under the registry key its body names, every field as
 * node_bundle_body_fill. With pinned (else NULL), the body must name that
 * registry key, checked before the signature (SK_ERR_PERM: another
 * registry). SK_ERR_INVALID for a malformed bundle, SK_ERR_VERIFY for a
 * signature that does not verify; the detail says which. */
sk_status node_bundle_open(node_federation *f, const uint8_t *data, size_t len,
			   const uint8_t *pinned) SK_MUST_CHECK;

/* Accepts NULL. */
void node_federation_free(node_federation *f);

/* Whether a server that passed TLS under the federation CA is this
 * federation's registry: its certificate must name the bundle's registry
 * org id (CN) and the registry role (OU "registry": no member holds it),
 * and carry the TLS key the bundle pins (when the bundle has one). Not the
 * name alone: the CA issues members certificates too. SK_ERR_VERIFY with
 * the detail set otherwise. */
sk_status node_registry_check(const node_federation *f, const net_peer *peer) SK_MUST_CHECK;

#endif
