/* The JSON API of `serve --web` (docs/web.md, docs/openapi.yaml): the
 * same library calls as the command line, for the signed-in professional
 * or privacy officer (or the API token). A form post is answered with 303
 * to the page it came from and the outcome as a message there. This file:
 * the answers, who may act, the session and the route table; the cases,
 * discussions and audit live in web/api_*.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/auth.h"
#include "web/api.h"
#include "web/api_int.h"
#include "web/msg.h"
#include "web/oidc.h"

/* ---- answers ------------------------------------------------------------ */

const char *api_tr(const web_req *r, const char *nl, const char *en)
{
	return r->lang == WEB_EN ? en : nl;
}

json_t *api_err(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

/* The status of this thread's last api_fail(): a remote route's failure
 * of the network becomes the registry's message (api_handle). */
static _Thread_local sk_status last_fail;

const char *api_unreachable(const web_req *r)
{
	return api_tr(r, "De verwijsindex is nu niet bereikbaar; probeer het over een paar "
			 "minuten opnieuw.",
		      "The registry cannot be reached right now; try again in a few minutes.");
}

/* A refusal of the library as an HTTP status with its sentence. */
int api_fail(sk_status st, json_t **out)
{
	const char *d = sk_error_detail();
	int code;

	last_fail = st;
	switch (st) {
	case SK_ERR_NOTFOUND: code = 404; break;
	case SK_ERR_PERM: code = 403; break;
	case SK_ERR_INVALID:
	case SK_ERR_BSN:
	case SK_ERR_TOOBIG: code = 400; break;
	case SK_ERR_EXISTS: code = 409; break;
	case SK_ERR_DISKFULL: code = 507; break;
	case SK_ERR_IO:
	case SK_ERR_VERIFY:
	case SK_ERR_TRUNCATED:
	case SK_ERR_FAILED: code = 502; break;
	default: code = 500;
	}
	/* error: the library's English (for logs and scripts); code: its
	 * status, from which finish() and the pages say it in the request's
	 * language (web/msg.h) */
	*out = json_pack("{s:s,s:s}", "error", d[0] != 0 ? d : sk_strerror(st), "code",
			 msg_code(st));
	return code;
}

/* The sentence for people of a refusal doc: a library refusal (with
 * "code") through the message table, else its "error" (already in the
 * request's language). */
const char *api_error_text(const web_req *r, const json_t *doc)
{
	const char *code = json_string_value(json_object_get(doc, "code"));
	const char *e = json_string_value(json_object_get(doc, "error"));

	if (code != NULL)
		return msg_text(msg_status(code), e, r->lang);
	return e != NULL ? e : api_tr(r, "Dat lukte niet.", "That did not work.");
}

/* The answer of an action: JSON, or for a form 303 to next (a local
 * path) with the outcome as the message there. A refusal's JSON gets
 * "message", the sentence for people in the request's language. */
static void finish(web_req *r, int code, json_t *doc, const char *next)
{
	const char *n = web_param(r, "next");
	const char *e = api_error_text(r, doc);
	const char *m = json_string_value(json_object_get(doc, "message"));

	if (!r->form_post) {
		if (code >= 400 && m == NULL)
			json_object_set_new(doc, "message", json_string(e));
		web_reply_json(r, code, doc);
		return;
	}
	if (n != NULL && n[0] == '/' && n[1] != '/' && n[1] != '\\' && strlen(n) < 200 &&
	    strpbrk(n, "\r\n") == NULL)
		next = n;
	if (code >= 400)
		web_flash(r->sess, 1, "%s", e);
	else if (m != NULL)
		web_flash(r->sess, 0, "%s", m);
	web_redirect(r, next != NULL ? next : "/");
	json_decref(doc);
}

/* ---- who may --------------------------------------------------------------- */

/* A professional (not a privacy officer) acts: the session's, or the
 * token's `as`. 0, or the status with *out set. */
int api_need_prof(web_req *r, json_t **out)
{
	if (r->sess != NULL && r->sess->kind == NODE_KIND_PROFESSIONAL)
		return 0;
	if (r->sess != NULL) {
		*out = api_err(api_tr(r, "een functionaris gegevensbescherming (FG) opent en leest geen dossiers",
			      "privacy officers do not open or read cases"));
		return 403;
	}
	if (web_actor(r) == NULL) {
		*out = api_err("with the API token, name the professional with 'as'");
		return 400;
	}
	return 0;
}

int api_need_officer(web_req *r, json_t **out)
{
	if (r->bearer || (r->sess != NULL && r->sess->kind == NODE_KIND_PRIVACY_OFFICER))
		return 0;
	*out = api_err(api_tr(r, "alleen voor de functionaris gegevensbescherming (FG)", "for the privacy officer only"));
	return 403;
}

/* Case id of the acting professional into c: 404 for a case that is not
 * theirs, as for one that does not exist. */
int api_own_case(web_req *r, uint64_t id, node_case *c, json_t **out)
{
	const char *as = web_actor(r);
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	st = node_case_get(r->app->s, txn, id, c);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && as != NULL && !node_case_assigned(c, as))) {
		*out = api_err(api_tr(r, "geen dossier van u met dit nummer", "no such case of yours"));
		return 404;
	}
	return st == SK_OK ? 0 : api_fail(st, out);
}

/* The clients of the actor's open cases (client -> true), through her
 * index; NULL with the token and no `as`: everyone. */
static sk_status add_client(const char *client, void *arg)
{
	return json_object_set_new(arg, client, json_true()) == 0 ? SK_OK : SK_ERR_NOMEM;
}

sk_status api_my_clients(web_req *r, json_t **set)
{
	const char *as = web_actor(r);
	json_t *k = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	*set = NULL;
	if (as == NULL)
		return SK_OK;
	if ((k = json_object()) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_case_prof_clients(r->app->s, txn, as, NULL, add_client, k);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(k);
		return st;
	}
	*set = k;
	return SK_OK;
}

/* The actor's role for audit records. */
const char *api_actor_role(const web_req *r)
{
	return r->sess != NULL ? r->sess->role : NULL;
}

/* A list read: a professional's own, or everything with the token. 0 with
 * *list a new array, or the status with *out. */
int api_list_begin(web_req *r, json_t **list, json_t **out)
{
	int code;

	*list = NULL;
	if (!r->bearer && (code = api_need_prof(r, out)) != 0)
		return code;
	return (*list = json_array()) != NULL ? 0 : api_fail(SK_ERR_NOMEM, out);
}

int api_page_params(web_req *r, const char *prefix, size_t max, node_page_req *pr,
		    json_t **out)
{
	char name[16];
	const char *v;
	unsigned long n;
	char *end;

	memset(pr, 0, sizeof(*pr));
	pr->limit = max < NODE_PAGE_LIMIT_DEFAULT ? max : NODE_PAGE_LIMIT_DEFAULT;
	snprintf(name, sizeof(name), "%slimit", prefix);
	if ((v = web_param(r, name)) != NULL && v[0] != 0) {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno != 0 || *end != 0 || v[0] < '1' || v[0] > '9' || n > max) {
			*out = api_err(api_tr(r, "limit is een getal van 1 tot de grens van de lijst",
					      "limit is a number from 1 to the list's maximum"));
			return 400;
		}
		pr->limit = n;
	}
	snprintf(name, sizeof(name), "%safter", prefix);
	pr->after = web_param(r, name);
	snprintf(name, sizeof(name), "%sbefore", prefix);
	pr->before = web_param(r, name);
	pr->q = web_param(r, "q");
	if (node_page_check(pr) != SK_OK) {
		*out = api_err(api_tr(r, "deze vervolgpagina bestaat niet; begin bij de eerste pagina",
				      "no such page; start at the first page"));
		return 400;
	}
	return 0;
}

json_t *api_page_doc(json_t *items, const node_page_out *pg)
{
	if (items == NULL)
		return NULL;
	return json_pack("{s:o,s:s?,s:s?}", "items", items, "next", pg->next[0] ? pg->next : NULL,
			 "prev", pg->prev[0] ? pg->prev : NULL);
}

int api_remote(web_req *r, node_remote **rem, json_t **out)
{
	sk_status st;

	*rem = NULL;
	if (r->deadline != 0 && sk_clock_now_ms() >= r->deadline) {
		sk_error_set("timed out");
		return api_fail(SK_ERR_IO, out);
	}
	if ((st = node_remote_open(rem, r->app->s, r->app->kek)) != SK_OK)
		return api_fail(st, out);
	node_remote_deadline(*rem, r->deadline);
	return 0;
}

/* ---- session ------------------------------------------------------------ */

static void signin(web_req *r)
{
	const char *id = web_param(r, "professional"), *pw = web_param(r, "password");
	node_professional p;
	uint64_t until = 0, now = sk_clock_now_ms();
	web_session *x;
	sk_status st;

	if (web_oidc_only(r->app->oidc)) { /* serve --oidc-only */
		if (r->form_post)
			web_redirect(r, "/signin?error=password-off");
		else
			web_reply_error(r, 403, "passwords are off here; sign in with the identity "
						"provider (GET /oidc/start)");
		return;
	}
	if (id == NULL || pw == NULL || id[0] == 0) {
		if (r->form_post)
			web_redirect(r, "/signin?error=missing");
		else
			web_reply_error(r, 400, "give professional and password");
		return;
	}
	/* whatever session the browser had stays behind: a new one is made */
	if (r->sess != NULL)
		web_session_end(r->sess);
	r->sess = NULL;
	st = node_signin(r->app->s, id, pw, now, &p, &until);
	if (st == SK_ERR_PERM) {
		char t[AUDIT_TIME_BYTES], loc[64], msg[80], nl[120];

		audit_time_local(t, until); /* "YYYY-MM-DD HH:MM" */
		snprintf(loc, sizeof(loc), "/signin?error=locked&until=%.5s", t + 11);
		snprintf(msg, sizeof(msg), "too many failed sign-ins; try again after %.5s", t + 11);
		snprintf(nl, sizeof(nl), "%s %.5s.",
			 api_tr(r, "Te vaak een verkeerd wachtwoord. Probeer het opnieuw na",
				"Too many failed sign-ins. Try again after"),
			 t + 11);
		if (r->form_post)
			web_redirect(r, loc);
		else
			web_reply_json(r, 429, json_pack("{s:s,s:s,s:I}", "error", msg, "message", nl,
							 "locked_until", (json_int_t)until));
		return;
	}
	if (st != SK_OK) {
		if (r->form_post && st == SK_ERR_VERIFY)
			web_redirect(r, "/signin?error=wrong");
		else if (st == SK_ERR_VERIFY)
			web_reply_json(r, 401, json_pack("{s:s,s:s}", "error", "wrong professional id or password",
							 "message",
							 api_tr(r, "Onbekende medewerker of verkeerd wachtwoord.",
								"Wrong professional id or password.")));
		else
			web_reply_error(r, 500, sk_strerror(st));
		return;
	}
	if ((x = web_signin(r, &p, now)) == NULL) {
		web_reply_error(r, 503, "too many requests at once; try again in a minute");
		return;
	}
	web_session_cookie(r, x->id, 0);
	if (r->form_post)
		web_redirect(r, "/");
	else
		web_reply_json(r, 200, json_pack("{s:s,s:s,s:s,s:s}", "professional", p.id, "name",
						 p.name, "kind", node_prof_kind_name(p.kind), "csrf",
						 x->csrf));
}

static void signout(web_req *r)
{
	if (r->sess != NULL) {
		audit_record rec = {0};

		rec.event = "signout";
		rec.action = AUDIT_ACTION_EXECUTE;
		rec.outcome = AUDIT_OUTCOME_OK;
		rec.user = r->sess->prof;
		rec.category = "account";
		if (node_audit_commit(r->app->s, &rec) != SK_OK)
			sk_log(SK_LOG_WARNING, "the sign-out of %s is not in the audit log",
			       r->sess->prof);
		web_session_end(r->sess);
		r->sess = NULL;
	}
	web_session_cookie(r, "", 1);
	if (r->form_post)
		web_redirect(r, "/signin?signed_out=1");
	else
		web_reply_json(r, 200, json_pack("{s:s}", "message", "signed out"));
}

/* ---- routing -------------------------------------------------------------------- */

/* What a route's path names, and the page a form post goes to afterwards. */
typedef struct api_call {
	char id[80];      /* the segment of {case} or {id} */
	uint64_t case_id; /* {case} as a number */
	char next[96];    /* "": the form's `next`, else "/" */
} api_call;

/* A route's work: an HTTP status with *out, answered by finish(); or 0
 * when it has answered itself. */
typedef int (*api_fn)(web_req *r, api_call *c, json_t **out);

static int route_signin(web_req *r, api_call *c, json_t **out)
{
	signin(r);
	return 0;
}

static int route_signout(web_req *r, api_call *c, json_t **out)
{
	signout(r);
	return 0;
}

static int route_me(web_req *r, api_call *c, json_t **out)
{
	*out = r->sess != NULL ? json_pack("{s:s,s:s,s:s,s:s}", "professional", r->sess->prof,
					   "name", r->sess->name, "kind",
					   node_prof_kind_name(r->sess->kind), "csrf", r->sess->csrf)
			       : json_pack("{s:s}", "kind", "api-token");
	return 200;
}

static int route_status(web_req *r, api_call *c, json_t **out)
{
	*out = r->app->status(r->app->arg);
	return 200;
}

static int route_sync(web_req *r, api_call *c, json_t **out)
{
	r->app->sync_now(r->app->arg);
	*out = json_pack("{s:s,s:s}", "status", "sync started", "message",
			 api_tr(r, "synchronisatie gestart", "sync started"));
	return 200;
}

static int route_export(web_req *r, api_call *c, json_t **out)
{
	api_audit_download(r);
	return 0;
}

static int route_search(web_req *r, api_call *c, json_t **out)
{
	api_audit_search(r);
	return 0;
}

static int route_cases(web_req *r, api_call *c, json_t **out)
{
	return api_cases(r, out);
}

static int route_case_open(web_req *r, api_call *c, json_t **out)
{
	return api_case_open(r, out, c->next, sizeof(c->next));
}

static int route_case(web_req *r, api_call *c, json_t **out)
{
	return api_case(r, c->case_id, out);
}

static int route_consent(web_req *r, api_call *c, json_t **out)
{
	return api_case_consent(r, c->case_id, out, c->next, sizeof(c->next));
}

static int route_lookup(web_req *r, api_call *c, json_t **out)
{
	int code = api_case_lookup(r, c->case_id, out);

	/* the case page shows the partners once */
	if (code == 200 && r->sess != NULL) {
		json_decref(r->sess->flash_doc);
		r->sess->flash_doc = json_incref(json_object_get(*out, "partners"));
		r->sess->flash_case = c->case_id;
	}
	return code;
}

static int route_case_close(web_req *r, api_call *c, json_t **out)
{
	return api_case_close(r, c->case_id, out, c->next, sizeof(c->next));
}

static int route_case_assign(web_req *r, api_call *c, json_t **out)
{
	return api_case_assign(r, c->case_id, out);
}

static int route_clients(web_req *r, api_call *c, json_t **out)
{
	return api_clients(r, out);
}

static int route_client_add(web_req *r, api_call *c, json_t **out)
{
	return api_client_add(r, out, c->next, sizeof(c->next));
}

static int route_client_find(web_req *r, api_call *c, json_t **out)
{
	return api_client_find(r, out, c->next, sizeof(c->next));
}

static int route_client(web_req *r, api_call *c, json_t **out)
{
	return api_client(r, c->id, out);
}

static int route_professionals(web_req *r, api_call *c, json_t **out)
{
	return api_professionals(r, out);
}

static int route_matches(web_req *r, api_call *c, json_t **out)
{
	return api_inbox(r, 1, out);
}

static int route_notices(web_req *r, api_call *c, json_t **out)
{
	return api_inbox(r, 0, out);
}

static int route_discussions(web_req *r, api_call *c, json_t **out)
{
	return api_discussions(r, out);
}

static int route_discuss_request(web_req *r, api_call *c, json_t **out)
{
	return api_discuss_request(r, out, c->next, sizeof(c->next));
}

static int route_discussion(web_req *r, api_call *c, json_t **out)
{
	return api_discussion(r, c->id, out);
}

static int route_tables(web_req *r, api_call *c, json_t **out)
{
	(void)c;
	return api_tables(r, out);
}

static int route_table(web_req *r, api_call *c, json_t **out)
{
	return api_table(r, c->id, out);
}

static int route_table_submit(web_req *r, api_call *c, json_t **out)
{
	return api_table_submit(r, c->id, out, c->next, sizeof(c->next));
}

static int route_table_case(web_req *r, api_call *c, json_t **out)
{
	return api_table_case(r, c->id, out);
}

static int route_table_schedule(web_req *r, api_call *c, json_t **out)
{
	return api_table_act(r, c->id, API_TABLE_SCHEDULE, out, c->next, sizeof(c->next));
}

static int route_table_invite(web_req *r, api_call *c, json_t **out)
{
	return api_table_act(r, c->id, API_TABLE_INVITE, out, c->next, sizeof(c->next));
}

static int route_table_send(web_req *r, api_call *c, json_t **out)
{
	return api_table_act(r, c->id, API_TABLE_SEND, out, c->next, sizeof(c->next));
}

static int route_table_outcome(web_req *r, api_call *c, json_t **out)
{
	return api_table_act(r, c->id, API_TABLE_OUTCOME, out, c->next, sizeof(c->next));
}

static int route_table_subgroup(web_req *r, api_call *c, json_t **out)
{
	return api_table_act(r, c->id, API_TABLE_SUBGROUP, out, c->next, sizeof(c->next));
}

/* JSON, or with format=csv a download that answers itself */
static int route_table_stats(web_req *r, api_call *c, json_t **out)
{
	const char *f = web_param(r, "format");

	if (f != NULL && strcmp(f, "csv") == 0) {
		api_table_stats_csv(r, c->id);
		return 0;
	}
	return api_table_stats(r, c->id, out);
}

static int route_integ_clients(web_req *r, api_call *c, json_t **out)
{
	return api_integration_clients(r, out);
}

static int route_integ_cases(web_req *r, api_call *c, json_t **out)
{
	return api_integration_cases(r, out);
}

static int route_integ_consents(web_req *r, api_call *c, json_t **out)
{
	return api_integration_consents(r, out);
}

static int route_integ_client(web_req *r, api_call *c, json_t **out)
{
	return api_integration_client(r, c->id, out);
}

static int route_integ_case(web_req *r, api_call *c, json_t **out)
{
	return api_integration_case(r, c->id, out);
}

static int route_accept(web_req *r, api_call *c, json_t **out)
{
	return api_discuss_answer(r, c->id, 1, out);
}

static int route_decline(web_req *r, api_call *c, json_t **out)
{
	return api_discuss_answer(r, c->id, 0, out);
}

static int route_send(web_req *r, api_call *c, json_t **out)
{
	return api_discuss_send(r, c->id, 0, out);
}

static int route_discuss_close(web_req *r, api_call *c, json_t **out)
{
	return api_discuss_send(r, c->id, 1, out);
}

static int route_audit(web_req *r, api_call *c, json_t **out)
{
	return api_audit_records(r, out);
}

static int route_report(web_req *r, api_call *c, json_t **out)
{
	return api_audit_report(r, out);
}

static int route_review(web_req *r, api_call *c, json_t **out)
{
	return api_audit_review(r, out);
}

static int route_signoff(web_req *r, api_call *c, json_t **out)
{
	return api_audit_signoff(r, out);
}

static int route_verify(web_req *r, api_call *c, json_t **out)
{
	return api_audit_verify(r, out);
}

/* The API (docs/openapi.yaml). In a path, {case} (a case number) and {id}
 * match one segment; next is the page a form post goes to afterwards,
 * with {case} or {id} filled in (NULL: the form's `next`, else "/"). */
static const struct api_route {
	enum evhttp_cmd_type method;
	const char *path;
	api_fn fn;
	const char *next;
} routes[] = {
	{EVHTTP_REQ_POST, "/api/session", route_signin, NULL},
	{EVHTTP_REQ_POST, "/api/session/end", route_signout, NULL},
	{EVHTTP_REQ_GET, "/api/me", route_me, NULL},
	{EVHTTP_REQ_GET, "/api/status", route_status, NULL},
	{EVHTTP_REQ_POST, "/api/sync", route_sync, "/matches"},
	{EVHTTP_REQ_GET, "/api/audit/export", route_export, NULL},
	{EVHTTP_REQ_POST, "/api/audit/search", route_search, NULL}, /* answers itself */
	{EVHTTP_REQ_GET, "/api/cases", route_cases, NULL},
	{EVHTTP_REQ_POST, "/api/cases", route_case_open, NULL}, /* sets next: the new case */
	{EVHTTP_REQ_GET, "/api/cases/{case}", route_case, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/consent", route_consent, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/lookup", route_lookup, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/close", route_case_close, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/assign", route_case_assign, "/cases/{case}"},
	{EVHTTP_REQ_GET, "/api/clients", route_clients, NULL},
	{EVHTTP_REQ_POST, "/api/clients", route_client_add, NULL},       /* sets next */
	{EVHTTP_REQ_POST, "/api/clients/find", route_client_find, NULL}, /* sets next */
	{EVHTTP_REQ_GET, "/api/clients/{id}", route_client, NULL},
	{EVHTTP_REQ_GET, "/api/professionals", route_professionals, NULL},
	{EVHTTP_REQ_GET, "/api/matches", route_matches, NULL},
	{EVHTTP_REQ_GET, "/api/notices", route_notices, NULL},
	{EVHTTP_REQ_GET, "/api/discussions", route_discussions, NULL},
	{EVHTTP_REQ_POST, "/api/discussions", route_discuss_request, NULL}, /* sets next */
	{EVHTTP_REQ_GET, "/api/discussions/{id}", route_discussion, "/discussions/{id}"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/accept", route_accept, "/discussions/{id}"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/decline", route_decline, "/discussions"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/send", route_send, "/discussions/{id}"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/close", route_discuss_close, "/discussions/{id}"},
	{EVHTTP_REQ_GET, "/api/tables", route_tables, NULL},
	{EVHTTP_REQ_GET, "/api/tables/{id}", route_table, NULL},
	{EVHTTP_REQ_POST, "/api/tables/{id}/cases", route_table_submit, NULL}, /* sets next */
	{EVHTTP_REQ_GET, "/api/tables/{id}/stats", route_table_stats, NULL},
	{EVHTTP_REQ_GET, "/api/table-cases/{id}", route_table_case, NULL},
	{EVHTTP_REQ_POST, "/api/table-cases/{id}/schedule", route_table_schedule, NULL}, /* sets next */
	{EVHTTP_REQ_POST, "/api/table-cases/{id}/invite", route_table_invite, NULL},     /* sets next */
	{EVHTTP_REQ_POST, "/api/table-cases/{id}/send", route_table_send, NULL},         /* sets next */
	{EVHTTP_REQ_POST, "/api/table-cases/{id}/outcome", route_table_outcome, NULL},   /* sets next */
	{EVHTTP_REQ_POST, "/api/table-cases/{id}/subgroup", route_table_subgroup, NULL}, /* sets next */
	{EVHTTP_REQ_GET, "/api/audit", route_audit, NULL},
	{EVHTTP_REQ_GET, "/api/audit/report", route_report, NULL},
	{EVHTTP_REQ_GET, "/api/audit/review", route_review, NULL},
	{EVHTTP_REQ_POST, "/api/audit/signoff", route_signoff, "/audit/review"},
	{EVHTTP_REQ_GET, "/api/audit/verify", route_verify, NULL},
	/* the client system's, with its service credential only (web.c) */
	{EVHTTP_REQ_POST, "/api/integration/v1/clients", route_integ_clients, NULL},
	{EVHTTP_REQ_POST, "/api/integration/v1/cases", route_integ_cases, NULL},
	{EVHTTP_REQ_POST, "/api/integration/v1/consents", route_integ_consents, NULL},
	{EVHTTP_REQ_GET, "/api/integration/v1/clients/{id}", route_integ_client, NULL},
	{EVHTTP_REQ_GET, "/api/integration/v1/cases/{id}", route_integ_case, NULL},
};

/* The workers of the routes that need others than the pages' (web/req.h):
 * every route that calls the registry or the pseudonymisers is
 * WEB_CLASS_REMOTE (its own few workers, a deadline, the registry's
 * message when they do not answer). */
static const struct api_route_class {
	api_fn fn;
	web_class cls;
} classes[] = {
	{route_signin, WEB_CLASS_SIGNIN},
	{route_export, WEB_CLASS_EXPORT},
	{route_lookup, WEB_CLASS_REMOTE},
	{route_discuss_request, WEB_CLASS_REMOTE},
	{route_accept, WEB_CLASS_REMOTE},
	{route_decline, WEB_CLASS_REMOTE},
	{route_send, WEB_CLASS_REMOTE},
	{route_discuss_close, WEB_CLASS_REMOTE},
	{route_table_submit, WEB_CLASS_REMOTE},
	{route_table_schedule, WEB_CLASS_REMOTE},
	{route_table_invite, WEB_CLASS_REMOTE},
	{route_table_send, WEB_CLASS_REMOTE},
	{route_table_outcome, WEB_CLASS_REMOTE},
	{route_table_subgroup, WEB_CLASS_REMOTE},
};

static web_class route_class(const struct api_route *rt)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].fn == rt->fn)
			return classes[i].cls;
	return WEB_CLASS_PAGE;
}

static uint64_t case_number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	return *end == 0 && s[0] >= '1' && s[0] <= '9' ? v : 0;
}

enum { ROUTE_NO, ROUTE_YES, ROUTE_NO_CASE };

/* Does path match pattern p? Text matches itself, {case} and {id} a
 * segment of 1 to 79 bytes (into c), and a '/' after a last {case} or
 * {id} is the same path. ROUTE_NO_CASE: the path reaches a {case} that is
 * no case number, whatever follows. */
static int route_match(const char *p, const char *path, api_call *c)
{
	while (*p != 0) {
		size_t k;

		if (*p != '{') {
			if (*p++ != *path++)
				return ROUTE_NO;
			continue;
		}
		k = strcspn(path, "/");
		if (k == 0 || k >= sizeof(c->id))
			return ROUTE_NO;
		memcpy(c->id, path, k);
		c->id[k] = 0;
		path += k;
		if (strncmp(p, "{case}", 6) == 0 && (c->case_id = case_number(c->id)) == 0)
			return ROUTE_NO_CASE;
		p = strchr(p, '}') + 1;
		if (*p == 0 && strcmp(path, "/") == 0)
			path++;
	}
	return *path == 0 ? ROUTE_YES : ROUTE_NO;
}

/* A route's next page into c->next, its {case} or {id} (at the end)
 * filled in. */
static void route_next(api_call *c, const char *next)
{
	const char *ph = next != NULL ? strchr(next, '{') : NULL;

	if (next == NULL)
		return;
	if (ph == NULL)
		snprintf(c->next, sizeof(c->next), "%s", next);
	else if (strncmp(ph, "{case}", 6) == 0)
		snprintf(c->next, sizeof(c->next), "%.*s%llu", (int)(ph - next), next,
			 (unsigned long long)c->case_id);
	else
		snprintf(c->next, sizeof(c->next), "%.*s%.64s", (int)(ph - next), next, c->id);
}

web_class api_route_class(enum evhttp_cmd_type method, const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		api_call c = {0};

		if (routes[i].method == method && route_match(routes[i].path, path, &c) == ROUTE_YES)
			return route_class(&routes[i]);
	}
	return WEB_CLASS_PAGE;
}

/* A remote route's work: the registry's message, not a socket's, when no
 * slot was free (503), its deadline passed (504) or the network failed
 * (503); an integrity failure or a refusal keeps its own words. */
static int remote_call(web_req *r, const struct api_route *rt, api_call *c, json_t **out)
{
	int code;

	if (r->busy) {
		*out = api_err(api_unreachable(r));
		return 503;
	}
	last_fail = SK_OK;
	code = rt->fn(r, c, out);
	if (code < 500 || (last_fail != SK_ERR_IO && last_fail != SK_ERR_FAILED))
		return code;
	sk_log(SK_LOG_WARNING, "web: %s: the registry or a pseudonymiser did not answer: %s",
	       r->path, json_string_value(json_object_get(*out, "error")));
	json_decref(*out);
	*out = api_err(api_unreachable(r));
	return r->deadline != 0 && sk_clock_now_ms() >= r->deadline ? 504 : 503;
}

void api_handle(web_req *r)
{
	json_t *out = NULL;
	int code;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct api_route *rt = &routes[i];
		api_call c = {0};
		int m = route_match(rt->path, r->path, &c);

		if (m == ROUTE_NO_CASE) { /* as for a case that is not there */
			route_next(&c, rt->next);
			finish(r, 404, api_err(api_tr(r, "geen dossier van u met dit nummer",
						      "no such case of yours")),
			       c.next);
			return;
		}
		if (m == ROUTE_NO || rt->method != r->method)
			continue;
		route_next(&c, rt->next);
		code = route_class(rt) == WEB_CLASS_REMOTE ? remote_call(r, rt, &c, &out)
							   : rt->fn(r, &c, &out);
		if (code != 0)
			finish(r, code, out, c.next[0] ? c.next : NULL);
		return;
	}
	/* also a known path with another method: 404, not 405 */
	web_reply_error(r, 404, "unknown endpoint; see docs/openapi.yaml");
}

