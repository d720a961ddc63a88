/* The API's case tables (casustafel), read only: the tables this
 * organisation may see, a table with the cases on its agenda, and one
 * case with its thread and outcome (docs/web.md). Bringing a case and
 * the procesregisseur's actions are not offered here yet: the CLI does
 * them (`schakel-node table ...`). */
#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "node/members.h"
#include "node/table.h"
#include "node/tablecase.h"
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
