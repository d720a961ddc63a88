/* Lookups: which partner organisations have an entry for a client, asked
 * under the client's token by a professional assigned to an open case of
 * it, with a purpose code; the policy matrix applied again at the node,
 * contacts opened, and every lookup audited, allowed or denied. */
#ifndef SK_NODE_LOOKUP_H
#define SK_NODE_LOOKUP_H

#include <stddef.h>

#include "net/cert.h"
#include "node/session.h"

#define NODE_LOOKUP_MAX 64

/* One partner of a lookup, with the contact opened. */
typedef struct node_partner {
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	int regie;
	char contact[512]; /* "name, phone, e-mail" or "" */
} node_partner;

/* Lookup for a professional assigned to an open case of client (local id
 * or BSN), with a purpose code. Audited at the node, allowed or denied. */
sk_status node_remote_lookup(node_remote *r, const char *client_ref, const char *prof,
			     const char *purpose, node_partner *out, size_t *n) SK_MUST_CHECK;

#endif
