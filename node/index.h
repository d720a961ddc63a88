/* The node's secondary indexes, kept in the same write transaction as the
 * records they point to, so that a professional's lists are read through
 * her own cases instead of a scan of every record:
 *   prof_cases          prof NUL u64be(case id) -> u8 open || client id
 *   inbox_clients       client NUL u64be(inbox key, node/inboxkey.h) -> u32be(kind)
 *   discussion_clients  client NUL discussion id (hex) -> ""
 * A node made before these existed gets them built once, in the
 * transaction that opens it (node_store_open, NODE_META_INDEX_VERSION).
 * This module knows only the layout; it sits below node/store.h. */
#ifndef SK_NODE_INDEX_H
#define SK_NODE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "common/status.h"
#include "crypto/bsn.h"

/* The indexes' layout version, kept in meta under this name. */
#define NODE_INDEX_VERSION 1
#define NODE_META_INDEX_VERSION "index.version"
#define NODE_INDEX_PREFIX_MAX 63 /* a professional or client id */
#define NODE_INDEX_KEY_MAX (NODE_INDEX_PREFIX_MAX + 1 + 32)

/* The databases the build reads (records) and fills (indexes). */
typedef struct node_index_dbs {
	MDB_dbi cases, inbox, token_index, discussions;
	MDB_dbi prof_cases, inbox_clients, discussion_clients;
} node_index_dbs;

/* prefix NUL suffix into out; its length, 0 when prefix is empty or too long. */
size_t node_index_key(uint8_t out[static NODE_INDEX_KEY_MAX], const char *prefix,
		      const void *suffix, size_t slen);

/* The key of the token index: token || u32be(epoch). */
void node_index_token_key(uint8_t out[static BSN_TOKEN_BYTES + 4],
			  const uint8_t token[static BSN_TOKEN_BYTES], uint32_t epoch);

/* Records that case_id of client is assigned to prof, open or not. */
sk_status node_index_prof_case(MDB_txn *txn, MDB_dbi db, const char *prof, uint64_t case_id,
			       int open, const char *client) SK_MUST_CHECK;
/* Records mailbox item seq of kind as concerning client. */
sk_status node_index_inbox(MDB_txn *txn, MDB_dbi db, const char *client, uint64_t seq,
			   unsigned kind) SK_MUST_CHECK;
/* Records discussion id (hex) as concerning client. */
sk_status node_index_discussion(MDB_txn *txn, MDB_dbi db, const char *client,
				const char *id) SK_MUST_CHECK;

/* Calls fn for each key under prefix in the index db, in key order: the
 * suffix after the NUL and the value; both valid during the call only.
 * Any status but SK_OK stops and is returned. */
typedef sk_status (*node_index_fn)(const uint8_t *suffix, size_t slen, const uint8_t *val,
				   size_t vlen, void *arg);
sk_status node_index_each(MDB_txn *txn, MDB_dbi db, const char *prefix, node_index_fn fn,
			  void *arg) SK_MUST_CHECK;

/* Empties the three indexes and fills them from the records, in txn. */
sk_status node_index_build(MDB_txn *txn, const node_index_dbs *d) SK_MUST_CHECK;

#endif
