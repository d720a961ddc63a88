/* The node's copy of the directory (the sociale kaart): its own record,
 * published from the administrator's JSON, signed and receipted like an
 * entry; every live member's latest record, fetched in sync and kept only
 * once its signature (under the member's identity key) and its inclusion
 * in the log this node tracks (node/logtrack.h) verify; and the searches
 * and names the CLI and the web show. */
#ifndef SK_NODE_DIRECTORY_H
#define SK_NODE_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/note.h"
#include "node/session.h"
#include "node/store.h"
#include "protos/directory.h"

/* Publishes the org's record from doc, the JSON of CLI.md ("directory
 * publish"): municipalities, services, target_groups, how_to_refer,
 * waiting_weeks, wegwijzers; optionally display_name (default: the org's
 * name), services_text and waiting_date (YYYY-MM-DD, default today). The
 * registry's receipt and the inclusion of the leaf are verified and the
 * node's checkpoint moved on; the record is kept and the publish audited
 * (directory.publish, user may be NULL). SK_ERR_INVALID with a plain
 * sentence (sk_error_detail) when doc does not make a valid record;
 * SK_ERR_VERIFY when the registry's answer does not verify. *version (may
 * be NULL) gets the version published. */
sk_status node_directory_publish(node_remote *r, const json_t *doc, const char *user,
				 uint64_t *version) SK_MUST_CHECK;

/* Fetches every live member's latest record, verifies each (signature,
 * leaf, inclusion in the registry's checkpoint, itself proven consistent
 * with the one this node verified last) and keeps those newer than the
 * copy held. A record that does not verify, or one older than the copy
 * held, is an integrity failure (SK_ERR_VERIFY, evidence kept). *n gets
 * the records taken in. */
sk_status node_remote_directory_sync(node_remote *r, size_t *n) SK_MUST_CHECK;

/* One fetched item checked against the response's checkpoint cp (already
 * verified): its signature under the member's identity_pk, its leaf and
 * its inclusion proof. No I/O (tests/node/test_node_directory.c forges
 * them). SK_ERR_VERIFY with *why (a constant sentence) otherwise. */
sk_status node_directory_item_verify(const Schakel__V1__DirectoryItem *it,
				     const note_checkpoint *cp,
				     const uint8_t identity_pk[static KEY_ED25519_PK_BYTES],
				     const char **why) SK_MUST_CHECK;

/* The record of org as kept (owned by the caller:
 * schakel__v1__directory_record__free_unpacked). SK_ERR_NOTFOUND when none. */
sk_status node_directory_get(node_store *s, MDB_txn *txn, const char *org,
			     Schakel__V1__DirectoryRecord **out) SK_MUST_CHECK;

/* Calls fn for each kept record of a live member matching q, in org id
 * order (the record is valid during the call only); fn's failure stops it. */
typedef sk_status (*node_directory_fn)(const Schakel__V1__DirectoryRecord *r, void *arg);
sk_status node_directory_search(node_store *s, MDB_txn *txn, const wire_dir_query *q,
				node_directory_fn fn, void *arg) SK_MUST_CHECK;

/* How a partner org is shown: its directory record's display name, else
 * the member list's name, else the org id itself. */
void node_directory_label(node_store *s, MDB_txn *txn, const char *org, char *out, size_t cap);

/* The record as a JSON object (id = org id, names of the codes in lang
 * "nl" or "en", waiting time with its date and `stale` at now_ms). */
json_t *node_directory_json(const Schakel__V1__DirectoryRecord *r, const char *lang,
			    uint64_t now_ms);

#endif
