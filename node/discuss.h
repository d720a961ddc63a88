/* The node's side of anonymous case discussions, phase one (docs/design.md):
 * requesting (a fresh X25519 discussion key, kept sealed under the data
 * key; only token, topic and window reach the registry), answering an
 * invitation (accept seals our org, professional and encryption key to the
 * discussion key; a decline is never shown to the requester), and reading
 * who accepted. */
#ifndef SK_NODE_DISCUSS_H
#define SK_NODE_DISCUSS_H

#include "node/pager.h"
#include "node/session.h"

#define NODE_DISCUSSION_ID_BYTES 16
#define NODE_DISCUSSION_HEX (2 * NODE_DISCUSSION_ID_BYTES + 1)
#define NODE_DISCUSS_WINDOW_DEFAULT_MS (14ull * 24 * 3600 * 1000)
#define NODE_DISCUSS_TEXT_MAX 16384u      /* a summary, message or outcome */
#define NODE_DISCUSS_PARTICIPANTS_MAX 64

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

/* Calls fn for each discussion this node knows: its own requests (role
 * "requester", the acceptors in "accepted"), those it accepted (role
 * "participant") and invitations not answered with an accept (role
 * "invited"). fn owns d. */
typedef sk_status (*node_discuss_fn)(json_t *d, void *arg);
sk_status node_discuss_scan(node_store *s, sk_kek *kek, node_discuss_fn fn,
			    void *arg) SK_MUST_CHECK;

/* One page of the discussions about the clients of prof's open cases
 * whose name matches q, newest first (node/pager.h; a record's "created",
 * an invitation's time), read through the indexes discussion_clients and
 * inbox_clients (node/index.h): own records as node_discuss_scan shows
 * them and invitations not accepted (role "invited"), each with
 * "client_name". prof NULL: all of them (the API token), then without q.
 * fn owns d. */
sk_status node_discuss_page(node_store *s, MDB_txn *txn, const char *prof,
			    const node_page_req *req, node_discuss_fn fn, void *arg,
			    node_page_out *pg) SK_MUST_CHECK;

/* Sends text in discussion id for prof (assigned to an open case of its
 * client): the requester's first send is the summary (with our identity),
 * later ones messages; each goes to every participant we may write to,
 * signed and sealed to each (docs/design.md). close (the requester only) ends
 * the discussion with text as the outcome and regie_org:regie_prof as the
 * regievoerder; when that is us, our entry gets the regie flag at once.
 * The caller has checked the text (node/textcheck.h). */
sk_status node_discuss_send(node_remote *r, const char *id, const char *prof, const char *text,
			    int close, const char *regie_org,
			    const char *regie_prof) SK_MUST_CHECK;

/* What node_discuss_sync and node_discuss_take counted. */
typedef struct node_discuss_stats {
	size_t messages;  /* discussion messages received and verified */
	size_t rejected;  /* discussion messages refused (replayed, misaddressed, forged) */
	size_t forwarded; /* summaries sent to late acceptors */
	size_t stopped;   /* open discussions stopped after a rollover */
	size_t resent;    /* our messages sent again after a rollover */
	size_t undelivered; /* discussions told of our messages that could not be */
} node_discuss_stats;

/* At sync, after the mailbox: takes acceptances of our requests and
 * messages in mailbox order, each checked (sealed to one of our live keys,
 * signed by the org the registry names as sender over our org id, the
 * discussion and its number, which must grow per sender); a message that
 * fails is refused, audited and counted in stats->rejected. A close that
 * names us regievoerder republishes our entry with the regie flag. Late
 * acceptors of our requests get the summary. After the registry's log
 * rolled over (NODE_META_DISCUSS_RECHECK), each open discussion we take part
 * in is asked of the restored registry: one it no longer knows, or (ours)
 * whose acceptor it lost, is stopped here with a notice in the thread
 * (NODE_DISCUSS_STOPPED_NOTICE) and an audit record "discuss.stop"; the
 * other participants stop it the same way at their sync. In one that goes
 * on, our messages the restored registry lacks (it says per recipient the
 * highest of our numbers it holds) are sent again with their first
 * numbers, each audited "discuss.resend"; a recipient that already read
 * one keeps it once (same sender, same number, same content). One that
 * cannot be sent again (the discussion closed, the recipient gone, the
 * registry refuses, or it was sent by an older version that kept no
 * numbers) leaves the notice NODE_DISCUSS_UNDELIVERED_NOTICE in our
 * thread, audited "discuss.resend" as failed. */
#define NODE_DISCUSS_STOPPED_NOTICE                                                        \
	"Dit overleg is gestopt omdat de verwijsindex is hersteld na een storing; start zo " \
	"nodig een nieuw overleg."
#define NODE_DISCUSS_UNDELIVERED_NOTICE                                                      \
	"Een bericht dat u in dit overleg stuurde, is misschien niet aangekomen omdat de "  \
	"verwijsindex is hersteld na een storing. Kijk het overleg na en stuur het bericht " \
	"zo nodig opnieuw."
sk_status node_discuss_sync(node_remote *r, node_discuss_stats *stats) SK_MUST_CHECK;

/* One mailbox item as node_discuss_sync takes it (an acceptance or a
 * message, checked, kept or refused and audited), in the caller's write
 * transaction, with the node's keys live at now_ms; for the fuzz target
 * and tests. Regie republishing is left to the caller's next sync. */
sk_status node_discuss_take(node_store *s, MDB_txn *txn, const Schakel__V1__MailboxItem *it,
			    uint64_t now_ms, node_discuss_stats *stats) SK_MUST_CHECK;

/* The discussion id with its thread, for prof (assigned to an open case of
 * its client); the read is audited first. *out: a new reference. */
sk_status node_discuss_show(node_store *s, const char *id, const char *prof,
			    json_t **out) SK_MUST_CHECK;

/* 1 when text is valid UTF-8 without NUL. */
int node_discuss_text_ok(const char *text);

#endif
