/* The node's inbox: the registry's mailbox for us (matches, notices,
 * pattern flags, discussion items) pulled into the local inbox database,
 * and the registry's member events followed for a certificate issued for
 * our org id that this node did not request (a local alert). What the
 * privacy officer must see is audited as it arrives. */
#ifndef SK_NODE_INBOX_H
#define SK_NODE_INBOX_H

#include <stddef.h>

#include <jansson.h>

#include "node/pager.h"
#include "node/session.h"
#include "protos/schakel.pb-c.h"

/* Pulls the mailbox items after the node's cursor into the inbox, the
 * cursor moving with them (*items counts them). Each item is kept under a
 * local key (node/inboxkey.h), so an item the registry numbers again
 * after a rollover (node_remote_mailbox_rewind moved the cursor back)
 * is kept as a new one beside the old one of that number. */
sk_status node_inbox_pull(node_remote *r, size_t *items) SK_MUST_CHECK;

/* What the pull does with one answer, in txn: the items (oldest first)
 * whose registry seq is above *cursor are kept, each under a new local
 * key, and *cursor moves to the last one; those at or below it are held
 * already (a fetch repeated within one log) and skipped. *taken counts
 * the kept ones. */
sk_status node_inbox_take(node_store *s, MDB_txn *txn, Schakel__V1__MailboxItem *const *items,
			  size_t n, uint64_t *cursor, size_t *taken) SK_MUST_CHECK;

/* Follows the member events in the log: a certificate issued for our org
 * id with a key that is not ours means someone else was enrolled as us
 * (*alerts counts them). A member event that does not verify under the
 * registry's key is an integrity failure. */
sk_status node_inbox_events(node_remote *r, size_t *alerts) SK_MUST_CHECK;

/* The mailbox items received so far, oldest first (kind filter 0: all),
 * each with its local key id. */
typedef sk_status (*node_inbox_fn)(uint64_t id, const Schakel__V1__MailboxItem *it,
				   const char *client, void *arg);
sk_status node_inbox_scan(node_store *s, unsigned kind, node_inbox_fn fn,
			  void *arg) SK_MUST_CHECK;

/* The mailbox items of kinds (a mask of 1 << kind) about the clients of
 * prof's open cases whose name matches q, found through the index
 * inbox_clients (node/index.h), as page keys (at: the local key, client
 * set). prof NULL: every item of those kinds (the API token), then
 * without q. */
sk_status node_inbox_keys(node_store *s, MDB_txn *txn, const char *prof, uint32_t kinds,
			  const char *q, node_page_keys *ks) SK_MUST_CHECK;

/* One page of those items, newest first (node/pager.h); fn gets each with
 * its local key, client id and name ("" when unknown), valid during the
 * call. */
typedef sk_status (*node_inbox_item_fn)(uint64_t id, const Schakel__V1__MailboxItem *it,
					const char *client, const char *client_name, void *arg);
sk_status node_inbox_page(node_store *s, MDB_txn *txn, const char *prof, uint32_t kinds,
			  const node_page_req *req, node_inbox_item_fn fn, void *arg,
			  node_page_out *pg) SK_MUST_CHECK;
#define NODE_INBOX_KIND(k) (1u << (unsigned)(k))

/* One mailbox item as a JSON object (for the CLI and the local API): id
 * (the local key), kind, org, category, client, role, purpose, detail.
 * New reference. */
json_t *node_inbox_item_json(uint64_t id, const Schakel__V1__MailboxItem *it, const char *client);

#endif
