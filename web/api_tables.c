/* The API's case tables (casustafel), read only: the tables this
 * organisation may see, a table with the cases on its agenda, and one
 * case with its thread and outcome; and bringing a case (without a
 * client: the "already involved" tag stays with the CLI's --client). The
 * procesregisseur's actions are the CLI's (`schakel-node table ...`)
 * (docs/web.md). */
#include <stdio.h>
#include <string.h>

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

int api_table_submit(web_req *r, const char *id, json_t **out, char *loc, size_t cap)
{
	const char *question = web_param(r, "question"), *tried = web_param(r, "tried");
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
	if ((code = api_remote(r, &rem, out)) != 0)
		return code;
	st = node_table_submit(rem, id, web_actor(r), &in, 1, NULL, hex);
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
