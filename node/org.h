/* The organisation's own settings that people are shown: the privacy
 * officer's contact, which the art. 15 report gives the client
 * (audit/report.h). Kept in the node's meta database; a change is audited
 * ("org.set") in the same transaction. */
#ifndef SK_NODE_ORG_H
#define SK_NODE_ORG_H

#include "node/store.h"

#define NODE_META_PRIVACY_CONTACT "org.privacy_contact"
#define NODE_PRIVACY_CONTACT_MAX 512 /* bytes, NUL excluded */

/* The privacy officer's contact into out (cap >= NODE_PRIVACY_CONTACT_MAX
 * + 1); "" when none is set. */
sk_status node_org_privacy_contact(node_store *s, MDB_txn *txn, char *out,
				   size_t cap) SK_MUST_CHECK;

/* Sets it (text: 1..NODE_PRIVACY_CONTACT_MAX bytes of field text, e.g.
 * "Petra Smits, fg@wijkteam.nl, 030 123 45 67"; "" clears it) and audits
 * the change with user (may be NULL), in a transaction of its own.
 * SK_ERR_INVALID for text that is no valid field or holds a BSN. */
sk_status node_org_set_privacy_contact(node_store *s, const char *text,
				       const char *user) SK_MUST_CHECK;

#endif
