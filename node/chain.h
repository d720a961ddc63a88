/* Tokens through the pseudonymiser chain (docs/tokens.md): the node blinds
 * once, each pseudonymiser in chain order evaluates the whole batch with
 * one DLEQ proof, checked against the key pinned for its position before
 * its output goes on; then finalize and split. A proof that does not
 * verify is SK_ERR_VERIFY, never a silently wrong token. */
#ifndef SK_NODE_CHAIN_H
#define SK_NODE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/bsn.h"
#include "crypto/oprf.h"
#include "net/tls.h"

#define NODE_CHAIN_TIMEOUT_MS 15000

typedef struct node_hop {
	const char *org_id;      /* the CN its certificate must carry */
	const char *address;     /* HOST:PORT */
	const uint8_t *oprf_key; /* pinned, OPRF_ELEMENT_BYTES */
	uint32_t epoch;
	uint64_t deadline_ms;    /* sk_clock_now_ms() by which the hop ends; 0: none */
} node_hop;

/* Tokens and contact keys of n BSNs (n <= OPRF_MAX_BATCH) under the chain
 * of nhops pseudonymisers. points, if not NULL, gets every element sent and
 * received (32 * n * (nhops + 1) bytes), for tests. Secrets (blinds,
 * inputs, outputs) are wiped. SK_ERR_VERIFY (detail names the
 * pseudonymiser) for a bad proof or a reply that does not match; then
 * *evidence (if evidence is not NULL; else NULL) gets a malloc'd text for
 * the privacy officer: the pseudonymiser, its pinned key, the blinded
 * elements sent (no blind, nothing that names a client), the elements and
 * the proof it answered, in hex, so that anyone can re-check the proof. A
 * pseudonymiser's refusal comes back as its status with its message. */
sk_status node_chain_tokens(uint8_t (*tokens)[BSN_TOKEN_BYTES],
			    uint8_t (*contact_keys)[BSN_CONTACT_KEY_BYTES], uint8_t *points,
			    const bsn *bsns, size_t n, const node_hop *hops, size_t nhops,
			    const net_tls *tls, char **evidence) SK_MUST_CHECK;

#endif
