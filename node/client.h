/* The org's clients. BSN, name and birthdate are sealed at rest under the
 * wrapped data key (XChaCha20-Poly1305, domain WIRE_DOMAIN_NODE_CLIENT, the
 * client id as additional data so records cannot be swapped); clients are
 * found by BSN through a keyed BLAKE2b index (the BSN-index key), so the
 * database holds no BSN in any recoverable form without the keys. Local
 * client ids ("c-12") are what cases, audit records and the rest of the
 * node refer to. */
#ifndef SK_NODE_CLIENT_H
#define SK_NODE_CLIENT_H

#include <stdint.h>

#include "crypto/bsn.h"
#include "node/date.h"
#include "node/professional.h"
#include "node/store.h"
#include "protos/domains.h"

#define NODE_CLIENT_ID_MAX 23 /* "c-" and up to 20 digits */
#define NODE_BSN_INDEX_BYTES 32

/* A client in clear. WARNING: holds a BSN and a name; wipe every copy with
 * node_client_wipe() as soon as it is no longer needed. */
typedef struct node_client {
	char id[NODE_CLIENT_ID_MAX + 1];
	bsn bsn;
	char name[NODE_NAME_MAX + 1];             /* "" when not given */
	char birthdate[NODE_DATE_BYTES + 1];      /* YYYY-MM-DD, "" when unknown */
	uint64_t created_at;                      /* unix ms */
} node_client;

void node_client_wipe(node_client *c);

/* Parses "c-N" (N >= 1, no leading zeros) into N. SK_ERR_INVALID otherwise. */
sk_status node_client_id_parse(const char *id, uint64_t *n) SK_MUST_CHECK;

/* Registers a client: name may be NULL or "", birthdate NULL or "" (else
 * YYYY-MM-DD, not after today). Seals the record, indexes the BSN and
 * audits "client.add" in one transaction; id gets the new local id.
 * A BSN that is already registered is refused with SK_ERR_EXISTS and id
 * set to the existing client (nothing is changed; the refusal is
 * audited). SK_ERR_INVALID (detail set) for a bad name or birthdate. */
sk_status node_client_add(node_store *s, const bsn *b, const char *name, const char *birthdate,
			  uint64_t now_ms, char id[static NODE_CLIENT_ID_MAX + 1]) SK_MUST_CHECK;

/* As node_client_add, inside the caller's write transaction (bulk
 * import: many in one commit); a refusal is not audited here. */
sk_status node_client_add_txn(node_store *s, MDB_txn *txn, const bsn *b, const char *name,
			      const char *birthdate, uint64_t now_ms,
			      char id[static NODE_CLIENT_ID_MAX + 1]) SK_MUST_CHECK;

/* Sets the name and birthdate (as node_client_add) of client id in the
 * caller's write transaction; the BSN stays. Audits "client.update". */
sk_status node_client_update_txn(node_store *s, MDB_txn *txn, const char *id, const char *name,
				 const char *birthdate, uint64_t now_ms) SK_MUST_CHECK;

/* The local id of the client with BSN b, through the index.
 * SK_ERR_NOTFOUND (detail set, without the BSN) when there is none. */
sk_status node_client_find(node_store *s, MDB_txn *txn, const bsn *b,
			   char id[static NODE_CLIENT_ID_MAX + 1]) SK_MUST_CHECK;

/* A client named either by local id ("c-12") or by BSN text (parsed and
 * wiped here). SK_ERR_BSN for text that is neither an id nor a valid BSN;
 * SK_ERR_NOTFOUND for an unknown client. */
sk_status node_client_resolve(node_store *s, MDB_txn *txn, const char *ref,
			      char id[static NODE_CLIENT_ID_MAX + 1]) SK_MUST_CHECK;

/* The client id, opened with the data key into *out (wipe it).
 * SK_ERR_NOTFOUND (detail set) for an unknown id; SK_ERR_VERIFY when the
 * sealed record does not open (tampered, swapped or another data key). */
sk_status node_client_get(node_store *s, MDB_txn *txn, const char *id,
			  node_client *out) SK_MUST_CHECK;

/* Just the BSN of client id, e.g. to compute its token. WARNING: wipe
 * *out (sodium_memzero) after use. */
sk_status node_client_bsn(node_store *s, MDB_txn *txn, const char *id, bsn *out) SK_MUST_CHECK;

/* Just the name of client id ("" when not given), e.g. for a list.
 * WARNING: a name is personal data; wipe name when done. */
sk_status node_client_name(node_store *s, MDB_txn *txn, const char *id,
			   char name[static NODE_NAME_MAX + 1]) SK_MUST_CHECK;

/* Calls fn for each client in id order, opened; c is wiped after the call
 * returns. Any status but SK_OK stops the scan and is returned. */
typedef sk_status (*node_client_fn)(const node_client *c, void *arg);
sk_status node_client_scan(node_store *s, MDB_txn *txn, node_client_fn fn,
			   void *arg) SK_MUST_CHECK;

#endif
