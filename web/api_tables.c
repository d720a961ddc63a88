/* The API's case tables (casustafel), read only: the tables this
 * organisation may see, a table with the cases on its agenda, and one
 * case with its thread and outcome; and bringing a case (with one of the
 * professional's own clients, by local id, the "already involved" tag
 * as the CLI's --client attaches it); the procesregisseur's actions
 * (schedule, invite, subgroup, outcome) and any participant's messages,
 * as `schakel-node table ...` does them; and a table's figures, as JSON
 * or CSV (docs/web.md). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "common/db.h"
#include "node/discuss.h"
#include "node/members.h"
#include "node/table.h"
#include "node/tablecase.h"
#include "node/textcheck.h"
#include "web/api.h"
#include "web/api_int.h"

static const char *state_code(wire_table_org_state st)
{
	switch (st) {
	case WIRE_TABLE_INVITED:
		return "invited";
	case WIRE_TABLE_MEMBER:
		return "member";
	case WIRE_TABLE_LEFT:
		return "left";
	}
	return "none";
}

struct tables {
	web_req *r;
	json_t *list;
};

static json_t *table_json(web_req *r, const wire_table *t)
{
	char name[NET_NAME_MAX + 1];
	json_t *orgs = json_array(), *regs = json_array();

	for (size_t i = 0; i < t->n_orgs; i++) {
		(void)api_org_label(r, t->orgs[i].id, name, sizeof(name));
		json_array_append_new(orgs, json_pack("{s:s,s:s,s:s}", "org", t->orgs[i].id, "name",
						      name, "state", state_code(t->orgs[i].state)));
	}
	for (size_t i = 0; i < t->n_regisseurs; i++)
		json_array_append_new(regs, json_pack("{s:s,s:s}", "org", t->regisseurs[i].org,
						      "professional", t->regisseurs[i].prof));
	(void)api_org_label(r, t->host, name, sizeof(name));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:o,s:o}", "id", t->id, "name", t->name,
			 "host", t->host, "host_name", name, "rhythm", t->rhythm, "open", t->open,
			 "our_state", state_code(wire_table_org(t, r->app->s->org_id)), "orgs", orgs,
			 "regisseurs", regs);
}

static sk_status tables_one(const wire_table *t, void *arg)
{
	struct tables *k = arg;

	return json_array_append_new(k->list, table_json(k->r, t)) == 0 ? SK_OK : SK_ERR_NOMEM;
}

int api_tables(web_req *r, json_t **out)
{
	struct tables k = {r, json_array()};
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0) {
		json_decref(k.list);
		return code;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_table_scan(r->app->s, txn, tables_one, &k);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(k.list);
		return api_fail(st, out);
	}
	*out = json_pack("{s:o}", "items", k.list);
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

static sk_status agenda_one(const json_t *c, void *arg)
{
	json_t *row = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:b,s:b}", "id", json_object_get(c, "id"),
				"time", json_object_get(c, "time"), "from_name",
				json_object_get(c, "from_name"), "urgency",
				json_object_get(c, "urgency"), "domains",
				json_object_get(c, "domains"), "meeting",
				json_object_get(c, "meeting") ? json_object_get(c, "meeting")
							      : json_null(),
				"closed", json_object_get(c, "outcome") != NULL, "mine",
				json_is_true(json_object_get(c, "mine")));

	return row != NULL && json_array_append_new(arg, row) == 0 ? SK_OK : SK_ERR_NOMEM;
}

static int table_hex_ok(const char *id, size_t len)
{
	if (strlen(id) != len)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

int api_table(web_req *r, const char *id, json_t **out)
{
	wire_table t;
	json_t *cases = NULL;
	MDB_txn *txn = NULL;
	char what[48];
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!table_hex_ok(id, WIRE_TABLE_ID_HEX))
		st = SK_ERR_NOTFOUND;
	else if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) ==
		 SK_OK) {
		if ((st = node_table_get(r->app->s, txn, id, &t)) == SK_OK &&
		    (*out = table_json(r, &t)) != NULL) {
			cases = json_array();
			st = node_table_case_scan(r->app->s, txn, id, agenda_one, cases);
			json_object_set_new(*out, "cases", cases);
		}
		mdb_txn_abort(txn);
	}
	if (st == SK_ERR_NOTFOUND) {
		*out = api_err(api_tr(r, "geen casustafel met dit nummer", "no such case table"));
		return 404;
	}
	snprintf(what, sizeof(what), "table:%s", id);
	if (st == SK_OK)
		st = node_audit_access(r->app->s, "table.agenda", web_actor(r), api_actor_role(r),
				       what, NULL, NULL);
	if (st != SK_OK) {
		json_decref(*out);
		return api_fail(st, out);
	}
	return 200;
}

int api_table_case(web_req *r, const char *id, json_t **out)
{
	json_t *c = NULL;
	MDB_txn *txn = NULL;
	char what[64];
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!table_hex_ok(id, NODE_TABLE_CASE_HEX - 1))
		st = SK_ERR_NOTFOUND;
	else if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) ==
		 SK_OK) {
		/* the client only to its own assigned professionals */
		if ((st = node_table_case_get(r->app->s, txn, id, &c)) == SK_OK &&
		    (*out = node_table_case_shown(r->app->s, txn, c, web_actor(r))) == NULL)
			st = SK_ERR_NOMEM;
		mdb_txn_abort(txn);
	}
	json_decref(c);
	if (st == SK_ERR_NOTFOUND) {
		*out = api_err(api_tr(r, "geen casus van de casustafel met dit nummer",
				      "no such case table case"));
		return 404;
	}
	snprintf(what, sizeof(what), "table-case:%s", id);
	if (st == SK_OK)
		st = node_audit_access(r->app->s, "table.show", web_actor(r), api_actor_role(r), what,
				       json_string_value(json_object_get(*out, "client")), NULL);
	if (st != SK_OK) {
		json_decref(*out);
		return api_fail(st, out);
	}
	/* internal bookkeeping stays at the node */
	json_object_del(*out, "seq_in");
	json_object_del(*out, "seq_out");
	return 200;
}

/* A text the check refused, in the request's language: a BSN 400; a date
 * or an address 409 (sent again with "yes" it goes). */
static int text_refusal(web_req *r, node_text_verdict v, json_t **out)
{
	*out = api_err(v == NODE_TEXT_BSN
			       ? api_tr(r, "De tekst bevat een BSN. Haal het weg: een casus aan tafel is anoniem.",
				   "The text holds a BSN. Remove it: a case at the table is anonymous.")
			       : api_tr(r, "De tekst bevat een datum of een postcode met huisnummer. Haal die "
					"weg, of vink 'toch versturen' aan.",
				   "The text holds a date or a postcode and house number. Remove it, or "
				   "tick 'send anyway'."));
	json_object_set_new(*out, "detail", json_string(node_text_verdict_msg(v)));
	return v == NODE_TEXT_BSN ? 400 : 409;
}

/* Splits a comma list in place into out (at most max); -1 when too many. */
static int split_list(char *s, const char **out, size_t *n, size_t max)
{
	char *save = NULL, *w;

	*n = 0;
	for (w = strtok_r(s, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		while (*w == ' ')
			w++;
		if (*w == 0)
			continue;
		if (*n == max)
			return -1;
		out[(*n)++] = w;
	}
	return 0;
}

/* The client a case is brought with (its local id, never a BSN): 0 when
 * the professional may attach its tag, else the status with *out in
 * words (without consent to case discussion nothing of it is sent). */
static int client_check(web_req *r, const char *client, json_t **out)
{
	MDB_txn *txn = NULL;
	uint64_t n;
	sk_status st;

	if (node_client_id_parse(client, &n) != SK_OK) {
		*out = api_err(api_tr(r, "Kies een cliënt uit de lijst, of geen cliënt.",
				      "Choose a client from the list, or no client."));
		return 400;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	st = node_table_client_check(r->app->s, txn, client, web_actor(r));
	mdb_txn_abort(txn);
	if (st == SK_ERR_PERM || st == SK_ERR_NOTFOUND) {
		*out = api_err(api_tr(r, "Deze cliënt heeft geen toestemming gegeven voor casusoverleg, "
					 "of u bent niet de professional van de cliënt. Er is niets "
					 "verstuurd. Breng de casus in zonder cliënt, of vraag eerst "
					 "toestemming.",
				      "This client has not given consent to case discussion, or you are "
				      "not the client's professional. Nothing was sent. Bring the case "
				      "without a client, or ask for consent first."));
		return 409;
	}
	return st == SK_OK ? 0 : api_fail(st, out);
}

int api_table_submit(web_req *r, const char *id, json_t **out, char *loc, size_t cap)
{
	const char *question = web_param(r, "question"), *tried = web_param(r, "tried");
	const char *client = web_param(r, "client");
	const char *urgency = web_param(r, "urgency");
	char domains[WIRE_TABLE_CASE_LIST_MAX * 32], parties[WIRE_TABLE_CASE_LIST_MAX * 64];
	char hex[NODE_TABLE_CASE_HEX];
	node_intake in = {0};
	node_remote *rem = NULL;
	node_text_verdict v;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!table_hex_ok(id, WIRE_TABLE_ID_HEX)) {
		*out = api_err(api_tr(r, "geen casustafel met dit nummer", "no such case table"));
		return 404;
	}
	/* a refusal goes back to the form, the new case to its page */
	snprintf(loc, cap, "/tables/%s", id);
	if (question == NULL || question[0] == 0 || strlen(question) > WIRE_TABLE_CASE_TEXT_MAX ||
	    !node_discuss_text_ok(question) ||
	    (tried != NULL && (strlen(tried) > WIRE_TABLE_CASE_TEXT_MAX || !node_discuss_text_ok(tried)))) {
		*out = api_err(api_tr(r, "schrijf de vraag aan de tafel (hoogstens 4000 tekens)",
				      "write the question to the table (at most 4000 characters)"));
		return 400;
	}
	if (web_param_list(r, "domains", domains, sizeof(domains)) != 0 ||
	    web_param_list(r, "parties", parties, sizeof(parties)) != 0 ||
	    split_list(domains, in.domains, &in.n_domains, WIRE_TABLE_CASE_LIST_MAX) != 0 ||
	    split_list(parties, in.parties, &in.n_parties, WIRE_TABLE_CASE_LIST_MAX) != 0) {
		*out = api_err(api_tr(r, "te veel leefgebieden of partijen", "too many life domains or parties"));
		return 400;
	}
	in.question = question;
	in.urgency = urgency != NULL ? urgency : "";
	in.tried = tried != NULL && tried[0] ? tried : NULL;
	v = (node_text_verdict)node_intake_check(&in);
	if (v == NODE_TEXT_BSN || (v != NODE_TEXT_OK && !web_param_yes(r, "yes"))) {
		return text_refusal(r, v, out);
	}
	if (client != NULL && client[0] == 0)
		client = NULL; /* "no client": anonymous */
	if (client != NULL && (code = client_check(r, client, out)) != 0)
		return code;
	if ((code = api_remote(r, &rem, out)) != 0)
		return code;
	st = node_table_submit(rem, id, web_actor(r), &in, 1, client, hex);
	node_remote_close(rem);
	if (st != SK_OK)
		return api_fail(st, out);
	snprintf(loc, cap, "/table-cases/%s", hex);
	*out = json_pack("{s:s,s:s}", "id", hex, "message",
			 api_tr(r, "Casus ingebracht. De leden van de tafel lezen hem na hun volgende "
				   "synchronisatie; wie hem leest, hoort u niet.",
				"Case brought. The table's members read it after their next sync; you "
				"are not told who reads it."));
	return *out != NULL ? 201 : api_fail(SK_ERR_NOMEM, out);
}

/* ---- the procesregisseur's actions and messages ---------------------------- */

/* The text of a message or an outcome through the text check: 0, or the
 * status with *out (a BSN 400; a date or an address 409 without "yes"). */
static int text_check(web_req *r, const char *text, json_t **out)
{
	node_text_verdict v;

	if (text == NULL || text[0] == 0 || strlen(text) > WIRE_TABLE_CASE_TEXT_MAX ||
	    !node_discuss_text_ok(text)) {
		*out = api_err(api_tr(r, "Schrijf een tekst van hoogstens 4000 tekens.",
				      "Write a text of at most 4000 characters."));
		return 400;
	}
	v = node_text_check(text, strlen(text), NULL);
	if (v == NODE_TEXT_OK || (v != NODE_TEXT_BSN && web_param_yes(r, "yes")))
		return 0;
	return text_refusal(r, v, out);
}

/* The fields of an outcome from the request into m (org: its regievoerder's
 * org, cap WIRE_TABLE_ORG_MAX + 1): 0, or 400 with *out. */
static int outcome_fields(web_req *r, node_table_msg *m, char *org, json_t **out)
{
	const char *regie = web_param(r, "regie"), *bt = web_param(r, "breakthrough");
	const char *ev = web_param(r, "evaluate");
	const char *colon = regie != NULL ? strchr(regie, ':') : NULL;

	m->routed_to = web_param(r, "routed_to");
	if (colon == NULL || colon == regie || colon[1] == 0 ||
	    (size_t)(colon - regie) > WIRE_TABLE_ORG_MAX || m->routed_to == NULL ||
	    m->routed_to[0] == 0 || (bt != NULL && bt[0] && strcmp(bt, "yes") != 0 && strcmp(bt, "no") != 0) ||
	    (ev != NULL && ev[0] && !wire_table_date_ok(ev))) {
		*out = api_err(api_tr(r, "Kies de regievoerder en waar de casus naartoe gaat; een "
					 "evaluatiedatum is een datum.",
				      "Choose the regievoerder and where the case is routed to; an "
				      "evaluation date is a date."));
		return 400;
	}
	memcpy(org, regie, (size_t)(colon - regie));
	org[colon - regie] = 0;
	m->regie_org = org;
	m->regie_prof = colon + 1;
	m->has_breakthrough = bt != NULL && bt[0] != 0;
	m->breakthrough = m->has_breakthrough && strcmp(bt, "yes") == 0;
	m->evaluate = ev != NULL && ev[0] ? ev : NULL;
	return 0;
}

/* The fields keys of a form posted without confirm=yes, kept in the
 * session for its confirmation page (/table-cases/ID/outcome or
 * /table-cases/ID/subgroup), with "form" (NULL: the outcome) and the
 * repeated field list (NULL: none) as "org". */
static void form_keep(web_req *r, const char *id, const char *form, const char *const *keys,
		      size_t n, const char *list)
{
	json_t *d = json_object();

	for (size_t i = 0; d != NULL && i < n; i++)
		if (web_param(r, keys[i]) != NULL)
			json_object_set_new(d, keys[i], json_string(web_param(r, keys[i])));
	if (d == NULL || r->sess == NULL) {
		json_decref(d);
		return;
	}
	json_object_set_new(d, "table_case", json_string(id));
	if (form != NULL)
		json_object_set_new(d, "form", json_string(form));
	if (list != NULL)
		json_object_set_new(d, "org", json_string(list));
	json_decref(r->sess->flash_doc);
	r->sess->flash_doc = d; /* flash_case 0: no case of ours */
	r->sess->flash_case = 0;
}

/* A subgroup's fields from the request into m: the orgs ticked (list, cap
 * WIRE_TABLE_PARTICIPANTS_MAX * (WIRE_TABLE_ORG_MAX + 1), split into orgs),
 * the mandate through the text check, the end date. 0, or the status with
 * *out. */
static int subgroup_fields(web_req *r, node_table_msg *m, char *list, size_t cap,
			   const char **orgs, json_t **out)
{
	const char *until = web_param(r, "until");
	size_t n = 0;
	int code;

	if (web_param_list(r, "org", list, cap) != 0 ||
	    split_list(list, orgs, &n, WIRE_TABLE_PARTICIPANTS_MAX) != 0 || n < 2 ||
	    !wire_table_subgroup_orgs_ok(orgs, n)) {
		*out = api_err(api_tr(r, "Kies 2 of meer organisaties voor de deelgroep.",
				      "Choose 2 or more organisations for the subgroup."));
		return 400;
	}
	if (until != NULL && until[0] != 0 && !wire_table_date_ok(until)) {
		*out = api_err(api_tr(r, "De einddatum van het mandaat is geen datum.",
				      "The mandate's end date is not a date."));
		return 400;
	}
	m->kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP;
	m->subgroup_orgs = orgs;
	m->n_subgroup_orgs = n;
	m->mandate = web_param(r, "mandate");
	m->until = until != NULL && until[0] != 0 ? until : NULL;
	if ((code = text_check(r, m->mandate, out)) != 0)
		return code;
	return 0;
}

int api_table_act(web_req *r, const char *id, api_table_verb verb, json_t **out, char *loc,
		  size_t cap)
{
	node_table_msg m = {0};
	char org[WIRE_TABLE_ORG_MAX + 1], sg[WIRE_TABLE_SUBGROUP_ID_HEX + 1] = "";
	char list[WIRE_TABLE_PARTICIPANTS_MAX * (WIRE_TABLE_ORG_MAX + 1)];
	const char *orgs[WIRE_TABLE_PARTICIPANTS_MAX];
	node_remote *rem = NULL;
	const char *done_nl = NULL, *done_en = NULL;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!table_hex_ok(id, NODE_TABLE_CASE_HEX - 1)) {
		*out = api_err(api_tr(r, "geen casus van de casustafel met dit nummer",
				      "no such case table case"));
		return 404;
	}
	/* a refusal and the result go back to the case */
	snprintf(loc, cap, "/table-cases/%s", id);
	switch (verb) {
	case API_TABLE_SCHEDULE:
		m.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE;
		m.date = web_param(r, "date");
		if (m.date == NULL || !wire_table_date_ok(m.date)) {
			*out = api_err(api_tr(r, "Kies de datum van het overleg.", "Choose the meeting's date."));
			return 400;
		}
		done_nl = "Casus geagendeerd. De deelnemers zien de datum na hun volgende synchronisatie.";
		done_en = "Case scheduled. The participants see the date after their next sync.";
		break;
	case API_TABLE_INVITE:
		m.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE;
		m.invite_org = web_param(r, "org");
		if (m.invite_org == NULL || m.invite_org[0] == 0 ||
		    strlen(m.invite_org) > WIRE_TABLE_ORG_MAX) {
			*out = api_err(api_tr(r, "Kies de organisatie die u wilt uitnodigen.",
					      "Choose the organisation to invite."));
			return 400;
		}
		done_nl = "Organisatie uitgenodigd. Zij krijgt de casus, zonder wie de bewoner is, en "
			  "leest voortaan de berichten mee.";
		done_en = "Organisation invited. It receives the case, without who the resident is, "
			  "and reads the messages from now on.";
		break;
	case API_TABLE_SEND:
		m.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT;
		m.text = web_param(r, "text");
		m.subgroup = web_param(r, "subgroup");
		if (m.subgroup != NULL && m.subgroup[0] == 0)
			m.subgroup = NULL; /* "to every participant" */
		if (m.subgroup != NULL && !wire_table_subgroup_id_ok(m.subgroup)) {
			*out = api_err(api_tr(r, "Kies een deelgroep van deze casus, of alle deelnemers.",
					      "Choose a subgroup of this case, or every participant."));
			return 400;
		}
		if ((code = text_check(r, m.text, out)) != 0)
			return code;
		done_nl = m.subgroup != NULL
				  ? "Bericht verstuurd aan de deelgroep. Alleen de organisaties in de "
				    "deelgroep lezen het, na hun volgende synchronisatie."
				  : "Bericht verstuurd. De deelnemers lezen het na hun volgende "
				    "synchronisatie.";
		done_en = m.subgroup != NULL
				  ? "Message sent to the subgroup. Only the organisations in the "
				    "subgroup read it, after their next sync."
				  : "Message sent. The participants read it after their next sync.";
		break;
	case API_TABLE_SUBGROUP:
		if ((code = subgroup_fields(r, &m, list, sizeof(list), orgs, out)) != 0)
			return code;
		/* a mandate: a form first goes to the confirmation page */
		if (r->form_post && !web_param_yes(r, "confirm")) {
			char again[sizeof(list)];

			static const char *const keys[] = {"mandate", "until", "yes"};

			if (web_param_list(r, "org", again, sizeof(again)) != 0)
				again[0] = 0;
			form_keep(r, id, "subgroup", keys, sizeof(keys) / sizeof(keys[0]), again);
			snprintf(loc, cap, "/table-cases/%s/subgroup", id);
			*out = json_object();
			return 200;
		}
		done_nl = "Deelgroep gevormd. De organisaties in de deelgroep lezen het mandaat na hun "
			  "volgende synchronisatie; de andere deelnemers zien alleen wie erin zit.";
		done_en = "Subgroup formed. Its organisations read the mandate after their next sync; "
			  "the other participants only see who is in it.";
		break;
	case API_TABLE_OUTCOME:
		m.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME;
		m.text = web_param(r, "outcome");
		if ((code = outcome_fields(r, &m, org, out)) != 0 ||
		    (code = text_check(r, m.text, out)) != 0)
			return code;
		/* irreversible: a form first goes to the confirmation page */
		if (r->form_post && !web_param_yes(r, "confirm")) {
			static const char *const keys[] = {"regie", "routed_to", "breakthrough",
							   "outcome", "evaluate", "yes"};

			form_keep(r, id, NULL, keys, sizeof(keys) / sizeof(keys[0]), NULL);
			snprintf(loc, cap, "/table-cases/%s/outcome", id);
			*out = json_object();
			return 200;
		}
		done_nl = "Uitkomst vastgelegd en casus afgerond. Alle deelnemers krijgen de uitkomst; "
			  "de organisatie van de regievoerder neemt de regie op zich.";
		done_en = "Outcome recorded and case closed. Every participant receives the outcome; "
			  "the regievoerder's organisation takes on the regie.";
		break;
	}
	if ((code = api_remote(r, &rem, out)) != 0)
		return code;
	if (verb == API_TABLE_SUBGROUP)
		st = node_table_subgroup(rem, id, web_actor(r), m.subgroup_orgs, m.n_subgroup_orgs,
					 m.mandate, m.until, sg);
	else
		st = node_table_send(rem, id, web_actor(r), &m);
	node_remote_close(rem);
	if (st != SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message", api_tr(r, done_nl, done_en));
	if (*out != NULL && sg[0] != 0)
		json_object_set_new(*out, "subgroup", json_string(sg));
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

/* ---- figures ------------------------------------------------------------------ */

/* YYYY-MM-DD at 00:00 UTC in unix ms; an empty or absent one keeps *out. */
static int day_ms(const char *s, uint64_t *out)
{
	struct tm tm = {0};
	int y, m, d;

	if (s == NULL || s[0] == 0)
		return 0;
	if (!wire_table_date_ok(s) || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*out = (uint64_t)timegm(&tm) * 1000u;
	return 0;
}

int api_table_stats(web_req *r, const char *id, json_t **out)
{
	const char *since_s = web_param(r, "since"), *until_s = web_param(r, "until");
	uint64_t since = 0, until = UINT64_MAX;
	node_table_stats t;
	MDB_txn *txn = NULL;
	char what[48];
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!table_hex_ok(id, WIRE_TABLE_ID_HEX)) {
		*out = api_err(api_tr(r, "geen casustafel met dit nummer", "no such case table"));
		return 404;
	}
	if (day_ms(since_s, &since) != 0 || day_ms(until_s, &until) != 0) {
		*out = api_err(api_tr(r, "Een periode loopt van een datum tot een datum.",
				      "A period runs from a date to a date."));
		return 400;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_table_stats_get(r->app->s, txn, id, since, until, &t);
		mdb_txn_abort(txn);
	}
	snprintf(what, sizeof(what), "table:%s", id);
	if (st == SK_OK)
		st = node_audit_access(r->app->s, "table.stats", web_actor(r), api_actor_role(r), what,
				       NULL, NULL);
	if (st != SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:s,s:s?,s:s?,s:I,s:I,s:I,s:I,s:I,s:I}", "table", id, "since",
			 since_s != NULL && since_s[0] ? since_s : NULL, "until",
			 until_s != NULL && until_s[0] ? until_s : NULL, "brought",
			 (json_int_t)t.brought, "discussed", (json_int_t)t.discussed, "outcomes",
			 (json_int_t)t.outcomes, "routed_elsewhere", (json_int_t)t.routed,
			 "routed_social_domain", (json_int_t)t.social, "breakthroughs",
			 (json_int_t)t.breakthrough);
	if (*out == NULL)
		return api_fail(SK_ERR_NOMEM, out);
	json_object_set_new(*out, "median_days_to_outcome",
			    t.median_days < 0 ? json_null() : json_real(t.median_days));
	return 200;
}

static const char *str_or_empty(const json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));

	return v != NULL ? v : "";
}

/* The figures as CSV for the steering group: one header line, one line. */
void api_table_stats_csv(web_req *r, const char *id)
{
	struct evbuffer *b = NULL;
	json_t *doc = NULL, *md;
	int code = api_table_stats(r, id, &doc);

	if (code != 200 || (b = evbuffer_new()) == NULL) {
		web_reply_json(r, code != 200 ? code : api_fail(SK_ERR_NOMEM, &doc), doc);
		return;
	}
	md = json_object_get(doc, "median_days_to_outcome");
	evbuffer_add_printf(b, "table,since,until,brought,discussed,outcomes,routed_elsewhere,"
			       "routed_social_domain,breakthroughs,median_days_to_outcome\r\n"
			       "%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,",
			    id, str_or_empty(doc, "since"), str_or_empty(doc, "until"),
			    (long long)json_integer_value(json_object_get(doc, "brought")),
			    (long long)json_integer_value(json_object_get(doc, "discussed")),
			    (long long)json_integer_value(json_object_get(doc, "outcomes")),
			    (long long)json_integer_value(json_object_get(doc, "routed_elsewhere")),
			    (long long)json_integer_value(json_object_get(doc, "routed_social_domain")),
			    (long long)json_integer_value(json_object_get(doc, "breakthroughs")));
	if (json_is_real(md))
		evbuffer_add_printf(b, "%.1f", json_real_value(md));
	evbuffer_add_printf(b, "\r\n");
	json_decref(doc);
	web_header_add(r, "Content-Disposition", "attachment; filename=\"casustafel.csv\"");
	web_reply_body(r, 200, "text/csv; charset=utf-8", b);
	evbuffer_free(b);
}
