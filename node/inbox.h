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
 * cursor moving with them (*items counts them). */
sk_status node_inbox_pull(node_remote *r, size_t *items) SK_MUST_CHECK;

/* Follows the member events in the log: a certificate issued for our org
 * id with a key that is not ours means someone else was enrolled as us
 * (*alerts counts them). A member event that does not verify under the
 * registry's key is an integrity failure. */
sk_status node_inbox_events(node_remote *r, size_t *alerts) SK_MUST_CHECK;

/* The mailbox items received so far, oldest first (kind filter 0: all). */
typedef sk_status (*node_inbox_fn)(const Schakel__V1__MailboxItem *it, const char *client,
				   void *arg);
sk_status node_inbox_scan(node_store *s, unsigned kind, node_inbox_fn fn,
			  void *arg) SK_MUST_CHECK;

/* The mailbox items of kinds (a mask of 1 << kind) about the clients of
 * prof's open cases whose name matches q, found through the index
 * inbox_clients (node/index.h), as page keys (at: the mailbox seq, client
 * set). prof NULL: every item of those kinds (the API token), then
 * without q. */
sk_status node_inbox_keys(node_store *s, MDB_txn *txn, const char *prof, uint32_t kinds,
			  const char *q, node_page_keys *ks) SK_MUST_CHECK;

/* One page of those items, newest first (node/pager.h); fn gets each with
 * its client id and name ("" when unknown), valid during the call. */
typedef sk_status (*node_inbox_item_fn)(const Schakel__V1__MailboxItem *it, const char *client,
					const char *client_name, void *arg);
sk_status node_inbox_page(node_store *s, MDB_txn *txn, const char *prof, uint32_t kinds,
			  const node_page_req *req, node_inbox_item_fn fn, void *arg,
			  node_page_out *pg) SK_MUST_CHECK;
#define NODE_INBOX_KIND(k) (1u << (unsigned)(k))

/* One mailbox item as a JSON object (for the CLI and the local API): id,
 * kind, org, category, client, role, purpose, detail. New reference. */
json_t *node_inbox_item_json(const Schakel__V1__MailboxItem *it, const char *client);

#endif
