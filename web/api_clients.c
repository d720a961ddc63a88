#define _GNU_SOURCE /* strcasestr */
/* The API's clients and colleagues (docs/web.md): registering a client,
 * finding one by BSN (a POST: a BSN never travels in a URL) or by name
 * among the professional's own clients, a client's page, and the org's
 * professionals a case can be assigned to. Names and birth dates are
 * opened only here, inside the node; every BSN is wiped after use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/case.h"
#include "node/client.h"
#include "node/directory.h"
#include "node/members.h"
#include "web/api.h"
#include "web/api_int.h"

#define CLIENTS_LIST_MAX 500 /* a name search answers at most this many */

struct assigned {
	const char *as;
	int yes;
};

static sk_status assigned_one(const node_case *c, void *arg)
{
	struct assigned *k = arg;

	if (node_case_assigned(c, k->as))
		k->yes = 1;
	return SK_OK;
}

/* The actor's cases of a client (all with the token and no `as`). */
struct client_cases {
	const char *as;
	json_t *list;
};

static sk_status client_case_one(const node_case *c, void *arg)
{
	struct client_cases *k = arg;
	json_t *j;

	if (k->as != NULL && !node_case_assigned(c, k->as))
		return SK_OK;
	if ((j = node_case_json(c)) == NULL)
		return SK_ERR_NOMEM;
	return json_array_append_new(k->list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

/* May the actor see client id? The token may; a professional when she is
 * assigned to a case of the client (open or closed), or registered or
 * found it last in this session. */
static sk_status client_mine(web_req *r, MDB_txn *txn, const char *id, int *yes)
{
	struct assigned k = {web_actor(r), 0};
	sk_status st;

	*yes = k.as == NULL || (r->sess != NULL && strcmp(r->sess->client, id) == 0);
	if (*yes)
		return SK_OK;
	if ((st = node_case_scan(r->app->s, txn, id, assigned_one, &k)) != SK_OK)
		return st;
	*yes = k.yes;
	return SK_OK;
}

/* The client as JSON for its page: id, name, birthdate, age (-1 unknown). */
static json_t *client_json(const node_client *c)
{
	node_date b, today = node_date_at(sk_clock_now_ms());
	int age = c->birthdate[0] && node_date_parse(&b, c->birthdate) == SK_OK ? node_age(&b, &today)
										   : -1;

	return json_pack("{s:s,s:s,s:s,s:i}", "id", c->id, "name", c->name, "birthdate",
			 c->birthdate, "age", age);
}

int api_client_label(web_req *r, const char *id, char *out, size_t cap, int *age)
{
	node_client *c = sodium_malloc(sizeof(*c));
	MDB_txn *txn = NULL;
	sk_status st = SK_ERR_NOMEM;

	snprintf(out, cap, "%s", api_tr(r, "cliënt zonder naam", "client without a name"));
	if (age != NULL)
		*age = -1;
	if (c != NULL &&
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_client_get(r->app->s, txn, id, c);
		mdb_txn_abort(txn);
		if (st == SK_OK && c->name[0])
			snprintf(out, cap, "%s", c->name);
		if (st == SK_OK && age != NULL && c->birthdate[0]) {
			node_date b, today = node_date_at(sk_clock_now_ms());

			if (node_date_parse(&b, c->birthdate) == SK_OK)
				*age = node_age(&b, &today);
		}
		if (st == SK_OK)
			node_client_wipe(c);
	}
	sodium_free(c);
	return st == SK_OK ? 0 : -1;
}

int api_prof_label(web_req *r, const char *id, char *out, size_t cap, char *role,
		   size_t role_cap)
{
	node_professional p;
	MDB_txn *txn = NULL;
	sk_status st;

	snprintf(out, cap, "%s", id);
	snprintf(role, role_cap, "%s", "");
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_professional_get(r->app->s, txn, id, &p);
		mdb_txn_abort(txn);
		if (st == SK_OK) {
			snprintf(out, cap, "%s", p.name);
			snprintf(role, role_cap, "%s", p.role);
		}
	}
	return st == SK_OK ? 0 : -1;
}

int api_client(web_req *r, const char *id, json_t **out)
{
	node_client *c = sodium_malloc(sizeof(*c));
	struct client_cases cc = {web_actor(r), NULL};
	MDB_txn *txn = NULL;
	sk_status st = SK_ERR_NOMEM;
	int code, yes = 0;

	if ((code = api_need_prof(r, out)) != 0)
		goto out;
	if (c != NULL && (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY,
							   &txn))) == SK_OK) {
		if ((st = client_mine(r, txn, id, &yes)) == SK_OK && yes &&
		    (st = node_client_get(r->app->s, txn, id, c)) == SK_OK) {
			cc.list = json_array();
			st = cc.list != NULL ? node_case_scan(r->app->s, txn, id, client_case_one, &cc)
					     : SK_ERR_NOMEM;
		}
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && !yes)
		st = SK_ERR_NOTFOUND;
	if (st == SK_ERR_NOTFOUND || st == SK_ERR_INVALID) {
		*out = api_err(api_tr(r, "geen cliënt van u met dit nummer", "no such client of yours"));
		code = 404;
		goto out;
	}
	if (st != SK_OK || (st = node_audit_access(r->app->s, "client.show", web_actor(r),
						   api_actor_role(r), "client", id, NULL)) != SK_OK) {
		code = api_fail(st, out);
		goto wipe;
	}
	*out = client_json(c);
	if (*out != NULL && json_object_set(*out, "cases", cc.list) != 0) {
		json_decref(*out);
		*out = NULL;
	}
	code = *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
wipe:
	node_client_wipe(c);
out:
	json_decref(cc.list);
	sodium_free(c);
	return code;
}

/* The BSN field into b (wiped by the caller), or 400 with *out. */
static int bsn_field(web_req *r, bsn *b, json_t **out)
{
	const char *text = web_param(r, "bsn");

	if (text == NULL || text[0] == 0) {
		*out = api_err(api_tr(r, "vul het BSN in", "give the BSN"));
		return 400;
	}
	return bsn_parse(b, text) == SK_OK ? 0 : api_fail(SK_ERR_BSN, out);
}

int api_client_add(web_req *r, json_t **out, char *loc, size_t cap)
{
	const char *name = web_param(r, "name"), *birth = web_param(r, "birthdate");
	char id[NODE_CLIENT_ID_MAX + 1] = "";
	bsn b;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	snprintf(loc, cap, "/clients");
	if ((code = bsn_field(r, &b, out)) != 0)
		return code;
	st = node_client_add(r->app->s, &b, name, birth, sk_clock_now_ms(), id);
	sodium_memzero(&b, sizeof(b));
	if (st == SK_ERR_EXISTS && id[0] != 0) {
		/* already there: her page says so and shows the client */
		code = api_fail(st, out);
	} else if (st != SK_OK) {
		return api_fail(st, out);
	} else {
		*out = json_pack("{s:s,s:s}", "id", id, "message",
				 api_tr(r, "Cliënt geregistreerd. U kunt nu een dossier openen met de toestemming van de cliënt.",
					"Client registered. Now open a case with the client's consent."));
		code = 201;
	}
	if (r->sess != NULL)
		snprintf(r->sess->client, sizeof(r->sess->client), "%s", id);
	json_object_set_new(*out, "id", json_string(id));
	snprintf(loc, cap, "/clients/%s", id);
	return code;
}

int api_client_find(web_req *r, json_t **out, char *loc, size_t cap)
{
	char id[NODE_CLIENT_ID_MAX + 1] = "";
	MDB_txn *txn = NULL;
	bsn b;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	snprintf(loc, cap, "/clients");
	if ((code = bsn_field(r, &b, out)) != 0)
		return code;
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_client_find(r->app->s, txn, &b, id);
		mdb_txn_abort(txn);
	}
	sodium_memzero(&b, sizeof(b));
	if (st == SK_OK)
		st = node_audit_access(r->app->s, "client.find", web_actor(r), api_actor_role(r),
				       "client", id, NULL);
	if (st != SK_OK)
		return api_fail(st, out);
	if (r->sess != NULL)
		snprintf(r->sess->client, sizeof(r->sess->client), "%s", id);
	snprintf(loc, cap, "/clients/%s", id);
	*out = json_pack("{s:s}", "id", id);
	return 200;
}

/* ---- a name search among her own clients ---- */

struct own {
	web_req *r;
	const char *as, *q;
	json_t *seen, *list;
	MDB_txn *txn;
	node_client *c;
};

static sk_status own_one(const node_case *k, void *arg)
{
	struct own *o = arg;
	sk_status st;

	if ((o->as != NULL && !node_case_assigned(k, o->as)) ||
	    json_object_get(o->seen, k->client) != NULL ||
	    json_array_size(o->list) >= CLIENTS_LIST_MAX)
		return SK_OK;
	json_object_set_new(o->seen, k->client, json_true());
	if ((st = node_client_get(o->r->app->s, o->txn, k->client, o->c)) != SK_OK)
		return st;
	if (o->q == NULL || o->q[0] == 0 || strcasestr(o->c->name, o->q) != NULL)
		st = json_array_append_new(o->list, client_json(o->c)) == 0 ? SK_OK : SK_ERR_NOMEM;
	node_client_wipe(o->c);
	return st;
}

int api_clients(web_req *r, json_t **out)
{
	struct own o = {r, web_actor(r), web_param(r, "name"), json_object(), NULL, NULL, NULL};
	sk_status st = SK_ERR_NOMEM;
	int code;

	o.c = sodium_malloc(sizeof(*o.c));
	if ((code = api_list_begin(r, &o.list, out)) != 0)
		goto out;
	if (o.c != NULL && o.seen != NULL &&
	    (st = node_audit_access(r->app->s, "client.list", o.as, api_actor_role(r), "client",
				    NULL, NULL)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &o.txn))) == SK_OK) {
		st = node_case_scan(r->app->s, o.txn, NULL, own_one, &o);
		mdb_txn_abort(o.txn);
	}
	if (st != SK_OK) {
		json_decref(o.list);
		code = api_fail(st, out);
		goto out;
	}
	*out = o.list;
	code = 200;
out:
	json_decref(o.seen);
	sodium_free(o.c);
	return code;
}

/* ---- colleagues ---- */

static sk_status prof_one(const node_professional *p, void *arg)
{
	if (p->kind != NODE_KIND_PROFESSIONAL)
		return SK_OK;
	return json_array_append_new(arg, json_pack("{s:s,s:s,s:s}", "id", p->id, "name", p->name,
						    "role", p->role)) == 0
		       ? SK_OK
		       : SK_ERR_NOMEM;
}

int api_professionals(web_req *r, json_t **out)
{
	json_t *list = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_list_begin(r, &list, out)) != 0)
		return code;
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_professional_scan(r->app->s, txn, prof_one, list);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(list);
		return api_fail(st, out);
	}
	*out = list;
	return 200;
}

int api_org_label(web_req *r, const char *org, char *out, size_t cap)
{
	MDB_txn *txn = NULL;
	sk_status st;

	snprintf(out, cap, "%s", org);
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return -1;
	/* the sociale kaart's display name, else the member list's name */
	node_directory_label(r->app->s, txn, org, out, cap);
	mdb_txn_abort(txn);
	return 0;
}
