/* The API's cases, lookups, matches and notices (docs/web.md). */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/entry.h"
#include "node/inbox.h"
#include "node/lookup.h"
#include "web/api.h"
#include "web/api_int.h"

/* ---- cases ----------------------------------------------------------------- */

static sk_status case_one(const node_case *c, const char *client_name, void *list)
{
	json_t *j = node_case_json(c);

	if (j == NULL || json_object_set_new(j, "client_name", json_string(client_name)) != 0) {
		json_decref(j);
		return SK_ERR_NOMEM;
	}
	return json_array_append_new(list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

/* A page of the actor's cases (the token without `as`: all), newest
 * first, each with the client's name. */
int api_cases_page(web_req *r, const node_page_req *pr, json_t **out)
{
	node_page_out pg;
	json_t *list = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_list_begin(r, &list, out)) != 0)
		return code;
	if ((st = node_audit_access(r->app->s, "case.list", web_actor(r), api_actor_role(r), "case",
				    NULL, NULL)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_case_page(r->app->s, txn, web_actor(r), pr, case_one, list, &pg);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(list);
		return api_fail(st, out);
	}
	*out = api_page_doc(list, &pg);
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

int api_cases(web_req *r, json_t **out)
{
	node_page_req pr;
	int code = api_page_params(r, "", NODE_PAGE_LIMIT_MAX, &pr, out);

	return code != 0 ? code : api_cases_page(r, &pr, out);
}

int api_case(web_req *r, uint64_t id, json_t **out)
{
	node_case *c = malloc(sizeof(*c));
	node_consent *k = malloc(sizeof(*k));
	json_t *hist = json_array(), *doc = NULL;
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;
	int code;

	if (c == NULL || k == NULL || hist == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((code = api_need_prof(r, out)) != 0 || (code = api_own_case(r, id, c, out)) != 0)
		goto out;
	if ((st = node_audit_access(r->app->s, "case.show", web_actor(r), api_actor_role(r), "case",
				    c->client, NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	for (uint32_t v = c->consent.version; v >= 1 && st == SK_OK; v--)
		if ((st = node_consent_get(r->app->s, txn, id, v, k)) == SK_OK)
			json_array_append_new(hist, node_consent_json(k));
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	if ((doc = node_case_json(c)) == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	json_object_set(doc, "history", hist);
	*out = doc;
	code = 200;
out:
	json_decref(hist);
	free(c);
	free(k);
	return code;
}

#define CATS_TEXT_MAX (WIRE_POLICY_MAX * (WIRE_CATEGORY_MAX + 1) + 1)

/* The consent fields of a form (docs/web.md) into req, which points into
 * flags, cats and reason_buf; 0 or 400. */
static int consent_fields(web_req *r, node_consent_req *req, char *flags, size_t cap,
			  char cats[static CATS_TEXT_MAX], char reason_buf[static NODE_REASON_MAX + 1],
			  json_t **out)
{
	const char *by = web_param(r, "consent_by"), *basis = web_param(r, "basis");
	const char *reason = web_param(r, "reason"), *exp = web_param(r, "expires");
	char b[NODE_REASON_MAX + 32];
	node_date d;

	/* a form leaves unticked boxes out; JSON must say it ("flag": [] is none) */
	if (r->body != NULL && json_object_get(r->body, "flag") == NULL) {
		sk_error_set("give flag: a list of discover, contact, discuss ([] withdraws)");
		goto bad;
	}
	if (web_param_list(r, "flag", flags, cap) != 0) {
		sk_error_set("flag: at most discover, contact and discuss");
		goto bad;
	}
	if (node_flags_parse(flags[0] ? flags : "none", &req->flags) != SK_OK)
		goto bad;
	/* categories: ticked boxes (a form), a JSON array or a comma list */
	if (web_param_list(r, "categories", cats, CATS_TEXT_MAX) != 0) {
		sk_error_set("--categories is a comma list of categories");
		goto bad;
	}
	if (cats[0] == 0 && req->flags && r->form_post) {
		sk_error_set("--categories is required unless the consent is none");
		goto bad;
	}
	req->categories = cats[0] ? cats : req->flags ? "all" : NULL;
	if (by != NULL && by[0] && node_consent_by_parse(by, &req->by) != SK_OK)
		goto bad;
	if (basis != NULL && strcmp(basis, "statutory") == 0) {
		snprintf(b, sizeof(b), "statutory:%s", reason != NULL ? reason : "");
		if (node_basis_parse(b, &req->basis, reason_buf) != SK_OK)
			goto bad;
		req->reason = reason_buf;
		if (req->flags == 0)
			req->flags = NODE_FLAG_DISCUSS; /* statutory: discuss is all there is */
	} else if (basis != NULL && basis[0] && strcmp(basis, "consent") != 0) {
		sk_error_set("basis is consent or statutory");
		goto bad;
	} else if (basis != NULL && basis[0]) {
		req->basis = NODE_BASIS_CONSENT;
	}
	if (exp != NULL && exp[0]) {
		if (node_date_parse(&d, exp) != SK_OK) {
			sk_error_set("expires takes a date YYYY-MM-DD");
			goto bad;
		}
		req->expires_at = node_date_ms(&d);
	}
	return 0;
bad:
	return api_fail(SK_ERR_INVALID, out);
}

/* After a committed change to client's cases: the entry is marked and the
 * sync thread publishes it now. */
static void republish(web_req *r, const char *client)
{
	if (node_entry_changed(r->app->s, client) == SK_OK && r->app->sync_now != NULL)
		r->app->sync_now(r->app->arg);
}

int api_case_open(web_req *r, json_t **out, char *loc, size_t cap)
{
	node_consent_req req = {0};
	char flags[64], cats[CATS_TEXT_MAX], reason[NODE_REASON_MAX + 1];
	const char *ref = web_param(r, "client");
	node_case c;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0 ||
	    (code = consent_fields(r, &req, flags, sizeof(flags), cats, reason, out)) != 0)
		return code;
	if (ref == NULL || ref[0] == 0 || req.flags == 0) {
		*out = api_err(api_tr(r, "vul de cliënt (BSN of eigen nummer) en de toestemming in",
			      "give the client (BSN or local id) and the consent"));
		return 400;
	}
	if ((st = node_case_open(r->app->s, ref, web_actor(r), &req, sk_clock_now_ms(), &c)) != SK_OK)
		return api_fail(st, out);
	republish(r, c.client);
	snprintf(loc, cap, "/cases/%llu", (unsigned long long)c.id);
	*out = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)c.id, "client", c.client, "message",
			 api_tr(r, "Dossier geopend. Partners die dat mogen, zien binnen een minuut dat u betrokken bent.",
			    "Case opened. Partners who may see it will see within a minute that you are involved."));
	return 201;
}

/* A withdrawal (no flag) is irreversible: a form must say confirm=yes
 * (the confirmation page /cases/ID/withdraw, or app.js after its dialog);
 * without it the form is sent to that page. JSON withdraws at once. */
int api_case_consent(web_req *r, uint64_t id, json_t **out, char *loc, size_t cap)
{
	node_consent_req req = {0};
	char flags[64], cats[CATS_TEXT_MAX], reason[NODE_REASON_MAX + 1];
	node_case c;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0 || (code = api_own_case(r, id, &c, out)) != 0 ||
	    (code = consent_fields(r, &req, flags, sizeof(flags), cats, reason, out)) != 0)
		return code;
	if (r->form_post && req.flags == 0 && !web_param_yes(r, "confirm")) {
		snprintf(loc, cap, "/cases/%llu/withdraw", (unsigned long long)id);
		*out = json_object();
		return 200;
	}
	if ((st = node_case_consent(r->app->s, id, web_actor(r), &req, sk_clock_now_ms(), &c)) !=
	    SK_OK)
		return api_fail(st, out);
	republish(r, c.client);
	*out = json_pack("{s:I,s:I,s:s}", "id", (json_int_t)id, "consent_version",
			 (json_int_t)c.consent.version, "message",
			 req.flags ? api_tr(r, "Nieuwe toestemming vastgelegd. Partners zien de wijziging binnen een minuut.",
				      "New consent recorded. Partners see the change within a minute.")
				   : api_tr(r, "Toestemming ingetrokken. Partners zien niet meer dat u betrokken bent.",
				      "Consent withdrawn. Partners no longer see that you are involved."));
	return 200;
}

/* Closing is irreversible: a form must say confirm=yes (the confirmation
 * page /cases/ID/close, or app.js after its dialog); a form without it is
 * sent to that page. JSON closes at once. */
int api_case_close(web_req *r, uint64_t id, json_t **out, char *loc, size_t cap)
{
	const char *yes = web_param(r, "confirm");
	node_case c;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0 || (code = api_own_case(r, id, &c, out)) != 0)
		return code;
	if (r->form_post && (yes == NULL || strcmp(yes, "yes") != 0)) {
		snprintf(loc, cap, "/cases/%llu/close", (unsigned long long)id);
		*out = json_object();
		return 200;
	}
	if ((st = node_case_close(r->app->s, id, web_actor(r), sk_clock_now_ms(), NULL)) != SK_OK)
		return api_fail(st, out);
	republish(r, c.client);
	*out = json_pack("{s:I,s:s}", "id", (json_int_t)id, "message",
			 api_tr(r, "Dossier afgesloten. Partners zien uw betrokkenheid niet meer.",
				"Case closed. Partners no longer see your involvement."));
	return 200;
}

int api_case_assign(web_req *r, uint64_t id, json_t **out)
{
	const char *prof = web_param(r, "professional");
	node_case c;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0 || (code = api_own_case(r, id, &c, out)) != 0)
		return code;
	if (prof == NULL || prof[0] == 0) {
		*out = api_err(api_tr(r, "kies een collega", "choose a colleague"));
		return 400;
	}
	if ((st = node_case_assign(r->app->s, id, prof, web_actor(r), sk_clock_now_ms(), NULL)) !=
	    SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "professional", prof, "message",
			 api_tr(r, "Collega toegewezen. Uw collega ziet het dossier nu ook.",
				"Colleague assigned. Your colleague now sees the case too."));
	return 200;
}

/* Opens the connection to the registry for an action. */

int api_case_lookup(web_req *r, uint64_t id, json_t **out)
{
	const char *purpose = web_param(r, "purpose");
	node_partner *p = calloc(NODE_LOOKUP_MAX, sizeof(*p));
	node_remote *rem = NULL;
	json_t *list = json_array();
	node_case c;
	size_t n = 0;
	sk_status st;
	int code;

	if (p == NULL || list == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((code = api_need_prof(r, out)) != 0 || (code = api_own_case(r, id, &c, out)) != 0)
		goto out;
	if (purpose == NULL || purpose[0] == 0) {
		*out = api_err(api_tr(r, "kies een doel", "choose a purpose"));
		code = 400;
		goto out;
	}
	if ((code = api_remote(r, &rem, out)) != 0)
		goto out;
	st = node_remote_lookup(rem, c.client, web_actor(r), purpose, p, &n);
	node_remote_close(rem);
	if (st != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s}", "id", p[i].org,
						      "category", p[i].category, "regie",
						      p[i].regie, "contact", p[i].contact));
	*out = json_pack("{s:I,s:s,s:O,s:s}", "case", (json_int_t)id, "purpose", purpose,
			 "partners", list, "message",
			 n == 0 ? api_tr(r, "Geen partnerorganisatie gevonden die u mag zien. Wie niet betrokken is of geen toestemming heeft, blijft onbekend.",
				     "No partner organisation found that you may see. Those not involved or without consent stay unknown.")
				: api_tr(r, "Betrokken partners gevonden; zij zien dat u naar hen vroeg.",
				     "Co-involved partners found; they see that you asked."));
	code = 200;
out:
	json_decref(list);
	free(p);
	return code;
}

/* ---- inbox ------------------------------------------------------------------ */

static sk_status inbox_one(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
			   const char *client_name, void *list)
{
	json_t *j = node_inbox_item_json(at, it, client);

	if (j == NULL || json_object_set_new(j, "client_name", json_string(client_name)) != 0) {
		json_decref(j);
		return SK_ERR_NOMEM;
	}
	return json_array_append_new(list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

/* Matches (and matches gone) or notices (disclosures and pattern flags)
 * about the actor's clients, a page, newest first. */
int api_inbox_page(web_req *r, int matches, const node_page_req *pr, json_t **out)
{
	uint32_t kinds = matches ? NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH) |
					   NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE)
				 : NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE) |
					   NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN);
	node_page_out pg;
	json_t *list = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_list_begin(r, &list, out)) != 0)
		return code;
	if ((st = node_audit_access(r->app->s, matches ? "matches.list" : "notices.list",
				    web_actor(r), api_actor_role(r), "mailbox", NULL, NULL)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_inbox_page(r->app->s, txn, web_actor(r), kinds, pr, inbox_one, list, &pg);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(list);
		return api_fail(st, out);
	}
	*out = api_page_doc(list, &pg);
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

int api_inbox(web_req *r, int matches, json_t **out)
{
	node_page_req pr;
	int code = api_page_params(r, "", NODE_PAGE_LIMIT_MAX, &pr, out);

	return code != 0 ? code : api_inbox_page(r, matches, &pr, out);
}
