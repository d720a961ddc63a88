/* Cases brought to a case table (casustafel), at the node: the intake
 * file a professional writes, the case sealed to each current member of
 * the table and signed by our org (schakel/v1/table), and the cases that
 * reach us through the mailbox, opened, checked and kept sealed under the
 * data key. Nothing of the client is in a case: the question and what was
 * tried pass the text check (a BSN is refused; a date or an address needs
 * the professional's confirmation). Audited: "table.submit" (ours),
 * "table.receive" (a case that reached us, or its refusal). */
#ifndef SK_NODE_TABLECASE_H
#define SK_NODE_TABLECASE_H

#include <jansson.h>

#include "node/client.h"
#include "node/session.h"
#include "node/store.h"
#include "protos/table.h"

#define NODE_TABLE_CASE_HEX (2 * WIRE_TABLE_CASE_ID_BYTES + 1)
#define NODE_INTAKE_FILE_MAX (16u << 10)

/* An intake as read from its file; the strings point into the text given
 * to node_intake_parse (which it changes), valid as long as that text. */
typedef struct node_intake {
	const char *question, *urgency, *tried;
	const char *domains[WIRE_TABLE_CASE_LIST_MAX];
	size_t n_domains;
	const char *parties[WIRE_TABLE_CASE_LIST_MAX];
	size_t n_parties;
} node_intake;

/* Parses an intake file (docs/professional.md "Een casus inbrengen bij de
 * casustafel"): lines "Vraag:", "Leefgebieden:", "Urgentie:",
 * "Geprobeerd:", "Betrokken:" (or their English words "Question:",
 * "Life domains:", "Urgency:", "Tried:", "Parties:"), each heading's text
 * running on over the lines that follow until the next heading; lists are
 * comma-separated. Rewrites text in place. SK_ERR_INVALID with the detail
 * naming the heading or word at fault. */
sk_status node_intake_parse(char *text, node_intake *out) SK_MUST_CHECK;

/* The text check over what an intake sends: NODE_TEXT_OK, or the most
 * serious finding in the question or what was tried (node/textcheck.h). */
int node_intake_check(const node_intake *in);

/* Brings the intake to table as prof: syncs the tables, checks that our
 * org may bring cases to it (a member, or the table is open), seals the
 * case to each current member but us and sends it; keeps our own copy.
 * confirmed: the professional confirmed a date or an address in the text
 * (a BSN is refused regardless, SK_ERR_PERM). client (a BSN or local id;
 * NULL: none) attaches the "already involved" tag (wire_table_tag) of the
 * client's token, only when prof is assigned to an open case of the
 * client with consent to case discussion (basis consent, DISCUSS);
 * otherwise SK_ERR_PERM and nothing is sent. *case_hex receives the case's
 * id. */
sk_status node_table_submit(node_remote *r, const char *table, const char *prof,
			    const node_intake *in, int confirmed, const char *client,
			    char case_hex[static NODE_TABLE_CASE_HEX]) SK_MUST_CHECK;

/* SK_OK when prof may attach the "already involved" tag of client ref (a
 * BSN or local id) to a case: prof is assigned to an open case of the
 * client with live consent to case discussion (basis consent, DISCUSS).
 * SK_ERR_PERM otherwise (the detail says which), SK_ERR_NOTFOUND for no
 * such client. node_table_submit checks the same; the pages ask first to
 * say it in words. */
sk_status node_table_client_check(node_store *s, MDB_txn *txn, const char *ref,
				  const char *prof) SK_MUST_CHECK;
/* A case's "already involved" tag checked against this node's own tokens
 * of epoch in txn: the client with an open case whose token gives tag for
 * table and case, into client; SK_ERR_NOTFOUND when none. */
sk_status node_table_tag_match(node_store *s, MDB_txn *txn, const uint8_t *tag, uint32_t epoch,
			       const char *table, const uint8_t *case_id,
			       char client[static NODE_CLIENT_ID_MAX + 1]) SK_MUST_CHECK;

/* Takes the table cases in our inbox that are new since the last call:
 * each opened with our live keys, its signature checked under the
 * submitter's identity key, its body checked, then kept and audited; one
 * that fails is refused and audited (*rejected). */
sk_status node_table_cases_take(node_remote *r, size_t *taken, size_t *rejected) SK_MUST_CHECK;

/* Calls fn for each case this node holds for table (NULL: every table),
 * as JSON (id, table, from, from_name, time, mine, question, domains,
 * urgency, tried, parties, submitter {professional, name, role, phone,
 * email}, and where it concerns one of our clients, client: at the
 * submitter the client it was brought with, at a member the client the
 * tag matched; and meeting, invited, thread, outcome, closed_at as the
 * case's messages set them); c is valid during the call. WARNING: "client" is for the
 * professionals assigned to that client only (node_table_case_shown). */
typedef sk_status (*node_table_case_fn)(const json_t *c, void *arg);
sk_status node_table_case_scan(node_store *s, MDB_txn *txn, const char *table,
			       node_table_case_fn fn, void *arg) SK_MUST_CHECK;

/* The case case_hex as JSON (*out, the caller's: json_decref).
 * SK_ERR_NOTFOUND when this node holds none. */
sk_status node_table_case_get(node_store *s, MDB_txn *txn, const char *case_hex,
			      json_t **out) SK_MUST_CHECK;

/* ---- regie ------------------------------------------------------------------ */

/* What one message in a table case carries (the fields of its kind). */
typedef struct node_table_msg {
	Schakel__V1__TableMessageKind kind;
	const char *text;       /* text; outcome: the outcome */
	const char *date;       /* schedule: YYYY-MM-DD */
	const char *invite_org; /* invite */
	const char *regie_org, *regie_prof, *routed_to; /* outcome */
	int has_breakthrough, breakthrough;
	const char *evaluate;   /* outcome: YYYY-MM-DD or NULL */
	const char *subgroup;   /* text: to this subgroup only (NULL: all); subgroup: its id */
	const char *const *subgroup_orgs; /* subgroup: its orgs, 2 or more participants */
	size_t n_subgroup_orgs;
	const char *mandate;    /* subgroup: what it may decide outside the routine */
	const char *until;      /* subgroup: the mandate's end date, YYYY-MM-DD or NULL */
} node_table_msg;

/* Sends m in case case_hex as prof, sealed to each participant but us
 * (an invitation: the invited org too, with the case without its tag;
 * a text with m->subgroup: that subgroup's orgs but us, our org in it).
 * Schedule, invite and outcome only by a procesregisseur of the table at
 * our org; nothing after the outcome. The outcome closes the case; when
 * it names our org as regievoerder and the case concerns a client of
 * ours (ours, or matched), that client's entry gets the regie flag
 * (republished). Audited "table.send", "table.schedule", "table.invite",
 * "table.outcome". */
sk_status node_table_send(node_remote *r, const char *case_hex, const char *prof,
			  const node_table_msg *m) SK_MUST_CHECK;
/* prof, a procesregisseur of the case's table at our org, forms a
 * subgroup of orgs (2 or more participants of case case_hex) with a
 * mandate (text-checked by the caller; NULL: none) until a date (NULL:
 * none): the mandate sealed to the subgroup's orgs only, a notice of the
 * subgroup (its orgs and end date, no mandate) to the other participants.
 * *id receives the subgroup's id; a text to it (node_table_send with
 * m->subgroup) goes to its orgs only. Audited "table.subgroup", a text to
 * it "table.subgroup.send". */
sk_status node_table_subgroup(node_remote *r, const char *case_hex, const char *prof,
			      const char *const *orgs, size_t n_orgs, const char *mandate,
			      const char *until,
			      char id[static WIRE_TABLE_SUBGROUP_ID_HEX + 1]) SK_MUST_CHECK;

/* ---- figures ----------------------------------------------------------------- */

/* The figures of table over cases brought in [since, until) (unix ms),
 * as this node holds them (every case brought while our org took part;
 * the host's are complete): no identities. */
typedef struct node_table_stats {
	uint64_t brought;      /* cases brought */
	uint64_t discussed;    /* of those: scheduled for a meeting, or with an outcome */
	uint64_t outcomes;     /* of those: with an outcome */
	uint64_t routed;       /* outcomes routed to another kind of care or support than
				* the submitting org's own category */
	uint64_t social;       /* outcomes routed to the social domain (node_table_social) */
	uint64_t breakthrough; /* outcomes the table marked a breakthrough */
	double median_days;    /* from brought to outcome; -1 when no outcome */
} node_table_stats;

/* 1 for a category of the social domain: sociaal-team, schuldhulp,
 * maatschappelijke-opvang, jeugd, gemeente, woningcorporatie. */
int node_table_social(const char *category);

sk_status node_table_stats_get(node_store *s, MDB_txn *txn, const char *table, uint64_t since,
			       uint64_t until, node_table_stats *out) SK_MUST_CHECK;

/* c as prof may see it: without "client" unless prof is assigned to an
 * open case of that client, then (at a member, not the submitter) with
 * "involved": true. A new reference
 * (json_decref), NULL on failure. */
json_t *node_table_case_shown(node_store *s, MDB_txn *txn, const json_t *c, const char *prof);

#endif
