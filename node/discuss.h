/* The node's side of anonymous case discussions, phase one (DESIGN.md):
 * requesting (a fresh X25519 discussion key, kept sealed under the data
 * key; only token, topic and window reach the registry), answering an
 * invitation (accept seals our org, professional and encryption key to the
 * discussion key; a decline is never shown to the requester), and reading
 * who accepted. */
#ifndef SK_NODE_DISCUSS_H
#define SK_NODE_DISCUSS_H

#include "node/remote.h"

#define NODE_DISCUSSION_ID_BYTES 16
#define NODE_DISCUSSION_HEX (2 * NODE_DISCUSSION_ID_BYTES + 1)
#define NODE_DISCUSS_WINDOW_DEFAULT_MS (14ull * 24 * 3600 * 1000)

/* Invites the partners of client (id or BSN) that take discussions;
 * prof must be assigned to an open case of it. id gets the discussion id
 * (hex). The answer says nothing about who, or whether anyone, was
 * invited. */
sk_status node_discuss_request(node_remote *r, const char *client_ref, const char *prof,
			       const char *topic, uint64_t window_start, uint64_t window_end,
			       char id[static NODE_DISCUSSION_HEX]) SK_MUST_CHECK;

/* Answers the invitation id (hex) for prof, who must be assigned to an open
 * case of the client it concerns. */
sk_status node_discuss_answer(node_remote *r, const char *id, const char *prof,
			      int accept) SK_MUST_CHECK;

/* Calls fn for each discussion this node knows: invitations received
 * (role "invited") and its own requests (role "requester", with the
 * acceptances opened: one JSON object per acceptor in "accepted"). */
typedef sk_status (*node_discuss_fn)(json_t *d, void *arg);
sk_status node_discuss_scan(node_store *s, sk_kek *kek, node_discuss_fn fn,
			    void *arg) SK_MUST_CHECK;

#endif
