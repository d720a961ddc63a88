/* The JSON API of `serve --http` (docs/web.md, docs/openapi.yaml): the
 * same library calls as the command line, for the signed-in professional
 * or privacy officer (or the API token). A form post is answered with 303
 * to the page it came from and the outcome as a message there. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/export.h"
#include "audit/query.h"
#include "audit/report.h"
#include "audit/review.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/auth.h"
#include "node/case.h"
#include "node/discuss.h"
#include "node/entry.h"
#include "node/anchor.h"
#include "node/inbox.h"
#include "node/lookup.h"
#include "node/textcheck.h"
#include "web/api.h"

#define RECORDS_DEFAULT 200
#define RECORDS_MAX 1000

/* ---- answers ------------------------------------------------------------ */

static const char *tr(const web_req *r, const char *nl, const char *en)
{
	return r->lang == WEB_EN ? en : nl;
}

static json_t *err(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

/* A refusal of the library as an HTTP status with its sentence. */
static int fail(sk_status st, json_t **out)
{
	const char *d = sk_error_detail();
	int code;

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
	*out = err(d[0] != 0 ? d : sk_strerror(st));
	return code;
}

/* The answer of an action: JSON, or for a form 303 to next (a local
 * path) with the outcome as the message there. */
static void finish(web_req *r, int code, json_t *doc, const char *next)
{
	const char *n = web_param(r, "next");
	const char *e = json_string_value(json_object_get(doc, "error"));
	const char *m = json_string_value(json_object_get(doc, "message"));

	if (!r->form_post) {
		web_reply_json(r, code, doc);
		return;
	}
	if (n != NULL && n[0] == '/' && n[1] != '/' && n[1] != '\\' && strlen(n) < 200 &&
	    strpbrk(n, "\r\n") == NULL)
		next = n;
	if (code >= 400)
		web_flash(r->sess, 1, "%s", e != NULL ? e : "refused");
	else if (m != NULL)
		web_flash(r->sess, 0, "%s", m);
	web_redirect(r, next != NULL ? next : "/");
	json_decref(doc);
}

/* ---- who may --------------------------------------------------------------- */

/* A professional (not a privacy officer) acts: the session's, or the
 * token's `as`. 0, or the status with *out set. */
static int need_prof(web_req *r, json_t **out)
{
	if (r->sess != NULL && r->sess->kind == NODE_KIND_PROFESSIONAL)
		return 0;
	if (r->sess != NULL) {
		*out = err(tr(r, "privacyfunctionarissen openen en lezen geen dossiers",
			      "privacy officers do not open or read cases"));
		return 403;
	}
	if (web_actor(r) == NULL) {
		*out = err("with the API token, name the professional with 'as'");
		return 400;
	}
	return 0;
}

static int need_officer(web_req *r, json_t **out)
{
	if (r->bearer || (r->sess != NULL && r->sess->kind == NODE_KIND_PRIVACY_OFFICER))
		return 0;
	*out = err(tr(r, "alleen voor de privacyfunctionaris", "for the privacy officer only"));
	return 403;
}

/* Case id of the acting professional into c: 404 for a case that is not
 * theirs, as for one that does not exist. */
static int own_case(web_req *r, uint64_t id, node_case *c, json_t **out)
{
	const char *as = web_actor(r);
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return fail(st, out);
	st = node_case_get(r->app->s, txn, id, c);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && as != NULL && !node_case_assigned(c, as))) {
		*out = err(tr(r, "geen dossier van u met dit nummer", "no such case of yours"));
		return 404;
	}
	return st == SK_OK ? 0 : fail(st, out);
}

/* The clients of the actor's open cases (client -> true); NULL with the
 * token and no `as`: everyone. */
struct clients {
	const char *as;
	json_t *set;
};

static sk_status add_client(const node_case *c, void *arg)
{
	struct clients *k = arg;

	if (c->open && node_case_assigned(c, k->as))
		json_object_set_new(k->set, c->client, json_true());
	return SK_OK;
}

static sk_status my_clients(web_req *r, json_t **set)
{
	struct clients k = {web_actor(r), NULL};
	MDB_txn *txn = NULL;
	sk_status st;

	*set = NULL;
	if (k.as == NULL)
		return SK_OK;
	if ((k.set = json_object()) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_case_scan(r->app->s, txn, NULL, add_client, &k);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(k.set);
		return st;
	}
	*set = k.set;
	return SK_OK;
}

/* The actor's role for audit records. */
static const char *actor_role(const web_req *r)
{
	return r->sess != NULL ? r->sess->role : NULL;
}

/* ---- session ------------------------------------------------------------ */

static void cookie_set(web_req *r, const char *value, int clear)
{
	char c[200];

	snprintf(c, sizeof(c), WEB_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s%s", value,
		 r->app->secure_cookies ? "; Secure" : "", clear ? "; Max-Age=0" : "");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie", c);
}

static void signin(web_req *r)
{
	const char *id = web_param(r, "professional"), *pw = web_param(r, "password");
	node_professional p;
	uint64_t until = 0, now = sk_clock_now_ms();
	web_session *x;
	sk_status st;

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
		char t[AUDIT_TIME_BYTES], loc[64], msg[80];

		audit_time_local(t, until); /* "YYYY-MM-DD HH:MM" */
		snprintf(loc, sizeof(loc), "/signin?error=locked&until=%.5s", t + 11);
		snprintf(msg, sizeof(msg), "too many failed sign-ins; try again after %.5s", t + 11);
		if (r->form_post)
			web_redirect(r, loc);
		else
			web_reply_json(r, 429, json_pack("{s:s,s:I}", "error", msg, "locked_until",
							 (json_int_t)until));
		return;
	}
	if (st != SK_OK) {
		if (r->form_post && st == SK_ERR_VERIFY)
			web_redirect(r, "/signin?error=wrong");
		else if (st == SK_ERR_VERIFY)
			web_reply_error(r, 401, "wrong professional id or password");
		else
			web_reply_error(r, 500, sk_strerror(st));
		return;
	}
	x = web_session_new(r->app, &p, now);
	cookie_set(r, x->id, 0);
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
	cookie_set(r, "", 1);
	if (r->form_post)
		web_redirect(r, "/signin?signed_out=1");
	else
		web_reply_json(r, 200, json_pack("{s:s}", "message", "signed out"));
}

/* ---- cases ----------------------------------------------------------------- */

/* A list read: a professional's own, or everything with the token. 0 with
 * *list a new array, or the status with *out. */
static int list_begin(web_req *r, json_t **list, json_t **out)
{
	int code;

	*list = NULL;
	if (!r->bearer && (code = need_prof(r, out)) != 0)
		return code;
	return (*list = json_array()) != NULL ? 0 : fail(SK_ERR_NOMEM, out);
}

struct case_list {
	const char *as;
	json_t *list;
};

static sk_status case_one(const node_case *c, void *arg)
{
	struct case_list *l = arg;
	json_t *j;

	if (l->as != NULL && !node_case_assigned(c, l->as))
		return SK_OK;
	if ((j = node_case_json(c)) == NULL)
		return SK_ERR_NOMEM;
	return json_array_append_new(l->list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

int api_cases(web_req *r, json_t **out)
{
	struct case_list l = {web_actor(r), NULL};
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = list_begin(r, &l.list, out)) != 0)
		return code;
	if ((st = node_audit_access(r->app->s, "case.list", l.as, actor_role(r), "case", NULL,
				    NULL)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_case_scan(r->app->s, txn, NULL, case_one, &l);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(l.list);
		return fail(st, out);
	}
	*out = l.list;
	return 200;
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
		code = fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((code = need_prof(r, out)) != 0 || (code = own_case(r, id, c, out)) != 0)
		goto out;
	if ((st = node_audit_access(r->app->s, "case.show", web_actor(r), actor_role(r), "case",
				    c->client, NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	for (uint32_t v = c->consent.version; v >= 1 && st == SK_OK; v--)
		if ((st = node_consent_get(r->app->s, txn, id, v, k)) == SK_OK)
			json_array_append_new(hist, node_consent_json(k));
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	if ((doc = node_case_json(c)) == NULL) {
		code = fail(SK_ERR_NOMEM, out);
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

/* The consent fields of a form (docs/web.md) into req; 0 or 400. */
static int consent_fields(web_req *r, node_consent_req *req, char *flags, size_t cap,
			  char reason_buf[static NODE_REASON_MAX + 1], json_t **out)
{
	const char *by = web_param(r, "consent_by"), *basis = web_param(r, "basis");
	const char *reason = web_param(r, "reason"), *exp = web_param(r, "expires");
	const char *cats = web_param(r, "categories");
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
	req->categories = cats != NULL && cats[0] ? cats : req->flags ? "all" : NULL;
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
	*out = err(sk_error_detail());
	return 400;
}

/* After a committed change to client's cases: the entry is marked and the
 * sync thread publishes it now. */
static void republish(web_req *r, const char *client)
{
	if (node_entry_changed(r->app->s, client) == SK_OK && r->app->sync_now != NULL)
		r->app->sync_now(r->app->arg);
}

static int case_open(web_req *r, json_t **out, char *loc, size_t cap)
{
	node_consent_req req = {0};
	char flags[64], reason[NODE_REASON_MAX + 1];
	const char *ref = web_param(r, "client");
	node_case c;
	sk_status st;
	int code;

	if ((code = need_prof(r, out)) != 0 ||
	    (code = consent_fields(r, &req, flags, sizeof(flags), reason, out)) != 0)
		return code;
	if (ref == NULL || ref[0] == 0 || req.flags == 0) {
		*out = err(tr(r, "vul de cliënt (BSN of eigen nummer) en de toestemming in",
			      "give the client (BSN or local id) and the consent"));
		return 400;
	}
	if ((st = node_case_open(r->app->s, ref, web_actor(r), &req, sk_clock_now_ms(), &c)) != SK_OK)
		return fail(st, out);
	republish(r, c.client);
	snprintf(loc, cap, "/cases/%llu", (unsigned long long)c.id);
	*out = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)c.id, "client", c.client, "message",
			 tr(r, "dossier geopend; de deelname wordt gepubliceerd",
			    "case opened; the entry is being published"));
	return 201;
}

static int case_consent(web_req *r, uint64_t id, json_t **out)
{
	node_consent_req req = {0};
	char flags[64], reason[NODE_REASON_MAX + 1];
	node_case c;
	sk_status st;
	int code;

	if ((code = need_prof(r, out)) != 0 || (code = own_case(r, id, &c, out)) != 0 ||
	    (code = consent_fields(r, &req, flags, sizeof(flags), reason, out)) != 0)
		return code;
	if ((st = node_case_consent(r->app->s, id, web_actor(r), &req, sk_clock_now_ms(), &c)) !=
	    SK_OK)
		return fail(st, out);
	republish(r, c.client);
	*out = json_pack("{s:I,s:I,s:s}", "id", (json_int_t)id, "consent_version",
			 (json_int_t)c.consent.version, "message",
			 req.flags ? tr(r, "nieuwe toestemming vastgelegd", "new consent recorded")
				   : tr(r, "toestemming ingetrokken", "consent withdrawn"));
	return 200;
}

static int case_close(web_req *r, uint64_t id, json_t **out)
{
	node_case c;
	sk_status st;
	int code;

	if ((code = need_prof(r, out)) != 0 || (code = own_case(r, id, &c, out)) != 0)
		return code;
	if ((st = node_case_close(r->app->s, id, web_actor(r), sk_clock_now_ms(), NULL)) != SK_OK)
		return fail(st, out);
	republish(r, c.client);
	*out = json_pack("{s:I,s:s}", "id", (json_int_t)id, "message",
			 tr(r, "dossier gesloten", "case closed"));
	return 200;
}

/* Opens the connection to the registry for an action. */
static int remote(web_req *r, node_remote **rem, json_t **out)
{
	sk_status st = node_remote_open(rem, r->app->s, r->app->kek);

	return st == SK_OK ? 0 : fail(st, out);
}

static int case_lookup(web_req *r, uint64_t id, json_t **out)
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
		code = fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((code = need_prof(r, out)) != 0 || (code = own_case(r, id, &c, out)) != 0)
		goto out;
	if (purpose == NULL || purpose[0] == 0) {
		*out = err(tr(r, "kies een doel", "choose a purpose"));
		code = 400;
		goto out;
	}
	if ((code = remote(r, &rem, out)) != 0)
		goto out;
	st = node_remote_lookup(rem, c.client, web_actor(r), purpose, p, &n);
	node_remote_close(rem);
	if (st != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s}", "id", p[i].org,
						      "category", p[i].category, "regie",
						      p[i].regie, "contact", p[i].contact));
	*out = json_pack("{s:I,s:s,s:O,s:s}", "case", (json_int_t)id, "purpose", purpose,
			 "partners", list, "message",
			 n == 0 ? tr(r, "geen partnerorganisatie kan worden getoond",
				     "no partner organisation can be shown")
				: tr(r, "betrokken partners gevonden", "co-involved partners found"));
	code = 200;
out:
	json_decref(list);
	free(p);
	return code;
}

/* ---- inbox ------------------------------------------------------------------ */

struct inbox {
	json_t *mine, *list;
};

static sk_status inbox_one(const Schakel__V1__MailboxItem *it, const char *client, void *arg)
{
	struct inbox *b = arg;

	if (b->mine != NULL && json_object_get(b->mine, client) == NULL)
		return SK_OK;
	return json_array_append_new(b->list, node_inbox_item_json(it, client)) == 0
		       ? SK_OK
		       : SK_ERR_NOMEM;
}

int api_inbox(web_req *r, int matches, json_t **out)
{
	struct inbox b = {NULL, NULL};
	sk_status st;
	int code;

	if ((code = list_begin(r, &b.list, out)) != 0)
		return code;
	if ((st = my_clients(r, &b.mine)) == SK_OK &&
	    (st = node_audit_access(r->app->s, matches ? "matches.list" : "notices.list",
				    web_actor(r), actor_role(r), "mailbox", NULL, NULL)) == SK_OK)
		st = node_inbox_scan(r->app->s, matches ? SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH
							: SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE,
				     inbox_one, &b);
	if (st == SK_OK)
		st = node_inbox_scan(r->app->s, matches ? SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE
							: SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN,
				     inbox_one, &b);
	json_decref(b.mine);
	if (st != SK_OK) {
		json_decref(b.list);
		return fail(st, out);
	}
	*out = b.list;
	return 200;
}

/* ---- discussions ------------------------------------------------------------- */

struct discussions {
	json_t *mine, *inv, *req, *part;
};

static sk_status discussion_one(json_t *d, void *arg)
{
	struct discussions *k = arg;
	const char *role = json_string_value(json_object_get(d, "role"));
	const char *client = json_string_value(json_object_get(d, "client"));

	if (k->mine == NULL || (client != NULL && json_object_get(k->mine, client) != NULL))
		json_array_append(role == NULL			      ? k->part
				  : strcmp(role, "invited") == 0     ? k->inv
				  : strcmp(role, "requester") == 0   ? k->req
								     : k->part,
				  d);
	json_decref(d);
	return SK_OK;
}

int api_discussions(web_req *r, json_t **out)
{
	struct discussions k = {NULL, json_array(), json_array(), json_array()};
	sk_status st;
	int code;

	if (!r->bearer && (code = need_prof(r, out)) != 0)
		goto out;
	if (k.inv == NULL || k.req == NULL || k.part == NULL) {
		code = fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = my_clients(r, &k.mine)) != SK_OK ||
	    (st = node_audit_access(r->app->s, "discuss.list", web_actor(r), actor_role(r),
				    "discussion", NULL, NULL)) != SK_OK ||
	    (st = node_discuss_scan(r->app->s, r->app->kek, discussion_one, &k)) != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	*out = json_pack("{s:O,s:O,s:O}", "invitations", k.inv, "requests", k.req,
			 "participating", k.part);
	code = 200;
out:
	json_decref(k.mine);
	json_decref(k.inv);
	json_decref(k.req);
	json_decref(k.part);
	return code;
}

static int discussion_id_ok(const char *id)
{
	if (strlen(id) != NODE_DISCUSSION_HEX - 1)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* A professional acts on discussion id: 0, or the status with *out. */
static int discussion_begin(web_req *r, const char *id, json_t **out)
{
	int code;

	if ((code = need_prof(r, out)) != 0)
		return code;
	if (!discussion_id_ok(id)) {
		*out = err(tr(r, "geen overleg van u met dit nummer", "no such discussion of yours"));
		return 404;
	}
	return 0;
}

int api_discussion(web_req *r, const char *id, json_t **out)
{
	sk_status st;
	int code;

	if ((code = need_prof(r, out)) != 0)
		return code;
	if (!discussion_id_ok(id) ||
	    (st = node_discuss_show(r->app->s, id, web_actor(r), out)) == SK_ERR_NOTFOUND ||
	    st == SK_ERR_PERM) {
		*out = err(tr(r, "geen overleg van u met dit nummer", "no such discussion of yours"));
		return 404;
	}
	return st == SK_OK ? 200 : fail(st, out);
}

/* "YYYY-MM-DD" as UTC ms (end: its last ms). */
static int day_ms(const char *s, int end, uint64_t *ms)
{
	struct tm tm = {0};
	const char *e = s != NULL ? strptime(s, "%Y-%m-%d", &tm) : NULL;

	if (e == NULL || *e != 0)
		return -1;
	*ms = (uint64_t)timegm(&tm) * 1000u + (end ? 86400000u - 1 : 0);
	return 0;
}

static int discuss_request(web_req *r, json_t **out, char *loc, size_t cap)
{
	const char *cs = web_param(r, "case"), *topic = web_param(r, "topic");
	const char *ws = web_param(r, "window_start"), *we = web_param(r, "window_end");
	uint64_t from = sk_clock_now_ms(), to = from + NODE_DISCUSS_WINDOW_DEFAULT_MS;
	unsigned long long cid = cs != NULL ? strtoull(cs, NULL, 10) : 0;
	char id[NODE_DISCUSSION_HEX];
	node_remote *rem = NULL;
	node_case c;
	sk_status st;
	int code;

	if ((code = need_prof(r, out)) != 0 || (code = own_case(r, cid, &c, out)) != 0)
		return code;
	if ((ws != NULL && ws[0] && day_ms(ws, 0, &from) != 0) ||
	    (we != NULL && we[0] && day_ms(we, 1, &to) != 0) || to <= from || topic == NULL ||
	    topic[0] == 0) {
		*out = err(tr(r, "kies een onderwerp en een periode (van vóór tot)",
			      "choose a topic and a window (start before end)"));
		return 400;
	}
	if ((code = remote(r, &rem, out)) != 0)
		return code;
	st = node_discuss_request(rem, c.client, web_actor(r), topic, from, to, id);
	node_remote_close(rem);
	if (st != SK_OK)
		return fail(st, out);
	snprintf(loc, cap, "/discussions/%s", id);
	*out = json_pack("{s:s,s:s}", "id", id, "message",
			 tr(r, "uitnodiging verstuurd aan wie mag worden uitgenodigd",
			    "invitation sent to whoever may be invited"));
	return 201;
}

static int discuss_answer(web_req *r, const char *id, int accept, json_t **out)
{
	node_remote *rem = NULL;
	sk_status st;
	int code;

	if ((code = discussion_begin(r, id, out)) != 0)
		return code;
	if ((code = remote(r, &rem, out)) != 0)
		return code;
	st = node_discuss_answer(rem, id, web_actor(r), accept);
	node_remote_close(rem);
	if (st != SK_OK)
		return fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message",
			 accept ? tr(r, "uitnodiging aangenomen", "invitation accepted")
				: tr(r, "uitnodiging afgewezen (de aanvrager hoort dit niet)",
				     "invitation declined (the requester is not told)"));
	return 200;
}

static int discuss_send(web_req *r, const char *id, int close, json_t **out)
{
	const char *text = web_param(r, close ? "outcome" : "text");
	const char *yes = web_param(r, "yes"), *regie = web_param(r, "regie");
	char org[NET_ORG_ID_MAX + 1] = "";
	const char *prof = NULL, *colon;
	node_text_verdict v;
	node_remote *rem = NULL;
	sk_status st;
	int code;

	if ((code = discussion_begin(r, id, out)) != 0)
		return code;
	if (text == NULL || text[0] == 0 || strlen(text) > NODE_DISCUSS_TEXT_MAX ||
	    !node_discuss_text_ok(text)) {
		*out = err(tr(r, "schrijf een tekst (hoogstens 16 KiB)",
			      "write a text (at most 16 KiB)"));
		return 400;
	}
	if (close) {
		colon = regie != NULL ? strchr(regie, ':') : NULL;
		if (colon == NULL || colon == regie || colon[1] == 0 ||
		    (size_t)(colon - regie) > NET_ORG_ID_MAX) {
			*out = err(tr(r, "kies de regievoerder", "choose the regievoerder"));
			return 400;
		}
		memcpy(org, regie, (size_t)(colon - regie));
		prof = colon + 1;
	}
	v = node_text_check(text, strlen(text), NULL);
	if (v == NODE_TEXT_BSN ||
	    (v != NODE_TEXT_OK && (yes == NULL || (strcmp(yes, "1") != 0 && strcmp(yes, "on") != 0)))) {
		*out = err(node_text_verdict_msg(v));
		return v == NODE_TEXT_BSN ? 400 : 409;
	}
	if ((code = remote(r, &rem, out)) != 0)
		return code;
	st = node_discuss_send(rem, id, web_actor(r), text, close, close ? org : NULL, prof);
	node_remote_close(rem);
	if (st != SK_OK)
		return fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message",
			 close ? tr(r, "overleg gesloten", "discussion closed")
			       : tr(r, "verstuurd", "sent"));
	return 200;
}

/* ---- audit -------------------------------------------------------------------- */

/* The filters of docs/web.md into f (strings point into r or client).
 * 0, or 400 with *out. */
static int filter(web_req *r, audit_filter *f, char client[static NODE_CLIENT_ID_MAX + 1],
		  json_t **out)
{
	const char *c = web_param(r, "client"), *u = web_param(r, "professional");
	const char *e = web_param(r, "event"), *a = web_param(r, "action");
	const char *o = web_param(r, "outcome"), *s = web_param(r, "since");
	const char *t = web_param(r, "until");
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	memset(f, 0, sizeof(*f));
	if (c != NULL && c[0]) {
		if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) ==
		    SK_OK) {
			st = node_client_resolve(r->app->s, txn, c, client);
			mdb_txn_abort(txn);
		}
		if (st != SK_OK)
			return fail(st, out);
		f->client = client;
	}
	f->user = u != NULL && u[0] ? u : NULL;
	f->event = e != NULL && e[0] ? e : NULL;
	if ((a != NULL && a[0] && audit_action_parse(&f->action, a) != SK_OK) ||
	    (o != NULL && o[0] && audit_outcome_parse(&f->outcome, o) != SK_OK) ||
	    (s != NULL && s[0] && audit_time_parse(&f->since_ms, s, false) != SK_OK) ||
	    (t != NULL && t[0] && audit_time_parse(&f->until_ms, t, true) != SK_OK)) {
		*out = err(tr(r, "ongeldig filter: actie C/R/U/D/E, uitkomst ok/denied/failed, "
				 "data als JJJJ-MM-DD",
			      "bad filter: action C/R/U/D/E, outcome ok/denied/failed, dates "
			      "as YYYY-MM-DD"));
		return 400;
	}
	return 0;
}

/* Records the privacy officer's read of the log before it is shown. */
static sk_status audit_read(web_req *r, const char *event, const char *client,
			    const char *what)
{
	return node_audit_access(r->app->s, event, web_actor(r), actor_role(r), "audit", client,
				 what);
}

/* The last `limit` matches, newest first. */
struct ring {
	json_t **slot;
	size_t cap, n;
	uint64_t total;
};

static sk_status ring_add(const audit_record *rec, void *arg)
{
	struct ring *g = arg;
	json_t *j = NULL;
	sk_status st;

	if ((st = audit_record_json(&j, rec)) != SK_OK)
		return st;
	json_decref(g->slot[g->total % g->cap]);
	g->slot[g->total % g->cap] = j;
	g->total++;
	return SK_OK;
}

int api_audit_records(web_req *r, json_t **out)
{
	char client[NODE_CLIENT_ID_MAX + 1], what[AUDIT_FILTER_TEXT_MAX];
	const char *lim = web_param(r, "limit");
	struct ring g = {0};
	audit_filter f;
	MDB_txn *txn = NULL;
	json_t *list = NULL;
	sk_status st;
	int code;

	if ((code = need_officer(r, out)) != 0 || (code = filter(r, &f, client, out)) != 0)
		return code;
	g.cap = lim != NULL ? strtoul(lim, NULL, 10) : RECORDS_DEFAULT;
	if (g.cap == 0 || g.cap > RECORDS_MAX)
		g.cap = RECORDS_DEFAULT;
	audit_filter_text(what, sizeof(what), &f);
	if ((g.slot = calloc(g.cap, sizeof(*g.slot))) == NULL || (list = json_array()) == NULL) {
		code = fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = audit_read(r, "audit.query", f.client, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	st = audit_query(r->app->s->audit, txn, &f, ring_add, &g);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	for (uint64_t i = 0; i < g.total && i < g.cap; i++)
		json_array_append(list, g.slot[(g.total - 1 - i) % g.cap]);
	*out = json_pack("{s:I,s:O,s:s}", "total", (json_int_t)g.total, "records", list, "filter",
			 what);
	code = 200;
out:
	for (size_t i = 0; g.slot != NULL && i < g.cap; i++)
		json_decref(g.slot[i]);
	free(g.slot);
	json_decref(list);
	return code;
}

struct export_ctx {
	audit_export *x;
};

static void audit_download(web_req *r)
{
	const char *fmt_s = web_param(r, "format");
	char client[NODE_CLIENT_ID_MAX + 1], what[AUDIT_FILTER_TEXT_MAX + 32], disp[96];
	audit_format fmt = AUDIT_FORMAT_CSV;
	audit_export *x = NULL;
	audit_filter f;
	MDB_txn *txn = NULL;
	json_t *out = NULL;
	struct evbuffer *b = NULL;
	FILE *fp = NULL;
	uint64_t count = 0;
	long size;
	sk_status st;
	int code, fd;

	if ((code = need_officer(r, &out)) != 0 || (code = filter(r, &f, client, &out)) != 0) {
		web_reply_json(r, code, out);
		return;
	}
	if (fmt_s != NULL && fmt_s[0] && audit_format_parse(&fmt, fmt_s) != SK_OK) {
		web_reply_error(r, 400, "format is csv, json or fhir");
		return;
	}
	snprintf(what, sizeof(what), "export %s: ",
		 fmt == AUDIT_FORMAT_CSV ? "csv" : fmt == AUDIT_FORMAT_FHIR ? "fhir" : "json");
	audit_filter_text(what + strlen(what), sizeof(what) - strlen(what), &f);
	/* a file of its own, unlinked at once: an export may be large */
	if ((fp = tmpfile()) == NULL) {
		web_reply_error(r, 500, "no room for the export");
		return;
	}
	if ((st = audit_read(r, "audit.export", f.client, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto bad;
	if ((st = audit_export_begin(&x, fp, fmt, sk_clock_now_ms())) == SK_OK)
		st = audit_query(r->app->s->audit, txn, &f, audit_export_record, x);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		audit_export_free(x);
		goto bad;
	}
	if ((st = audit_export_end(x, &count)) != SK_OK || fflush(fp) != 0 ||
	    (size = ftell(fp)) < 0 || (fd = dup(fileno(fp))) < 0) {
		st = SK_ERR_IO;
		goto bad;
	}
	fclose(fp);
	fp = NULL;
	web_headers(r, fmt == AUDIT_FORMAT_CSV ? "text/csv; charset=utf-8"
		       : fmt == AUDIT_FORMAT_FHIR ? "application/fhir+json"
						   : "application/json");
	snprintf(disp, sizeof(disp), "attachment; filename=\"audit.%s\"",
		 fmt == AUDIT_FORMAT_CSV ? "csv" : "json");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Disposition", disp);
	if ((b = evbuffer_new()) == NULL || evbuffer_add_file(b, fd, 0, size) != 0) {
		close(fd);
		if (b != NULL)
			evbuffer_free(b);
		web_reply_error(r, 500, "cannot send the export");
		return;
	}
	evhttp_send_reply(r->req, 200, "OK", b);
	evbuffer_free(b);
	return;
bad:
	if (fp != NULL)
		fclose(fp);
	code = fail(st, &out);
	web_reply_json(r, code, out);
}

int api_audit_report(web_req *r, json_t **out)
{
	const char *lang = web_param(r, "lang"), *ref = web_param(r, "client");
	char client[NODE_CLIENT_ID_MAX + 1], *buf = NULL;
	audit_report_opts ro = {0};
	MDB_txn *txn = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	json_t *lines;
	sk_status st;
	int code;

	if ((code = need_officer(r, out)) != 0)
		return code;
	ro.lang = r->lang == WEB_EN ? AUDIT_LANG_EN : AUDIT_LANG_NL;
	if ((lang != NULL && lang[0] && audit_lang_parse(&ro.lang, lang) != SK_OK) || ref == NULL ||
	    ref[0] == 0) {
		*out = err(tr(r, "geef de cliënt (BSN of eigen nummer) en de taal nl of en",
			      "give the client (BSN or local id) and the language nl or en"));
		return 400;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return fail(st, out);
	st = node_client_resolve(r->app->s, txn, ref, client);
	mdb_txn_abort(txn);
	if (st != SK_OK || (st = audit_read(r, "audit.report", client, "art. 15 report")) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return fail(st, out);
	ro.client = client;
	ro.org_name = r->app->s->name;
	ro.now_ms = sk_clock_now_ms();
	ro.json = true;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		st = SK_ERR_NOMEM;
	else
		st = audit_report_write(fp, r->app->s->audit, txn, &ro);
	mdb_txn_abort(txn);
	if (fp != NULL && fclose(fp) != 0 && st == SK_OK)
		st = SK_ERR_IO;
	if (st != SK_OK || (lines = json_loadb(buf, len, 0, NULL)) == NULL) {
		free(buf);
		return fail(st != SK_OK ? st : SK_ERR_INVALID, out);
	}
	free(buf);
	*out = json_pack("{s:s,s:s,s:o}", "client", client, "lang",
			 ro.lang == AUDIT_LANG_EN ? "en" : "nl", "lines", lines);
	return *out != NULL ? 200 : fail(SK_ERR_NOMEM, out);
}

/* Sign-offs so far: finding id -> {by, time, note}. */
static sk_status signoff_one(const audit_record *rec, void *arg)
{
	if (rec->correlation_id != NULL)
		json_object_set_new(arg, rec->correlation_id,
				    json_pack("{s:s?,s:I,s:s?}", "by", rec->user, "time",
					      (json_int_t)rec->time_ms, "note", rec->reason));
	return SK_OK;
}

static sk_status finding_one(const audit_finding *f, void *arg)
{
	json_t *j = NULL;
	sk_status st = audit_finding_json(&j, f);

	if (st != SK_OK)
		return st;
	return json_array_append_new(arg, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

int api_audit_review(web_req *r, json_t **out)
{
	const char *s = web_param(r, "since"), *u = web_param(r, "until");
	audit_filter sf = {.event = "audit.signoff"};
	char what[160], a[AUDIT_TIME_BYTES], b[AUDIT_TIME_BYTES];
	json_t *list = json_array(), *signed_off = json_object(), *x;
	audit_review_opts ro;
	uint64_t records = 0;
	MDB_txn *txn = NULL;
	sk_status st;
	size_t i;
	int code;

	if ((code = need_officer(r, out)) != 0)
		goto out;
	audit_review_defaults(&ro);
	if ((s != NULL && s[0] && audit_time_parse(&ro.since_ms, s, false) != SK_OK) ||
	    (u != NULL && u[0] && audit_time_parse(&ro.until_ms, u, true) != SK_OK)) {
		*out = err(tr(r, "data als JJJJ-MM-DD", "dates as YYYY-MM-DD"));
		code = 400;
		goto out;
	}
	if (ro.until_ms == 0)
		ro.until_ms = sk_clock_now_ms();
	audit_time_format(a, ro.since_ms);
	audit_time_format(b, ro.until_ms);
	snprintf(what, sizeof(what), "review %s to %s", a, b);
	if (list == NULL || signed_off == NULL) {
		code = fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = audit_read(r, "audit.review", NULL, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	st = audit_review(r->app->s->audit, txn, &ro, finding_one, list, &records);
	if (st == SK_OK)
		st = audit_query(r->app->s->audit, txn, &sf, signoff_one, signed_off);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		code = fail(st, out);
		goto out;
	}
	json_array_foreach(list, i, x)
	{
		json_t *so = json_object_get(signed_off, json_string_value(json_object_get(x, "id")));

		if (so != NULL)
			json_object_set(x, "signed_off", so);
	}
	*out = json_pack("{s:s,s:s,s:I,s:O}", "since", a, "until", b, "records",
			 (json_int_t)records, "findings", list);
	code = 200;
out:
	json_decref(list);
	json_decref(signed_off);
	return code;
}

static int audit_signoff(web_req *r, json_t **out)
{
	const char *seq_s = web_param(r, "seq"), *note = web_param(r, "note");
	unsigned long long seq = seq_s != NULL ? strtoull(seq_s, NULL, 10) : 0;
	char id[2 * AUDIT_ID_BYTES + 1], clean[AUDIT_REASON_MAX + 1];
	audit_record *rec = NULL, so = {0};
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = need_officer(r, out)) != 0)
		return code;
	if (seq == 0) {
		*out = err(tr(r, "welk record?", "which record?"));
		return 400;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return fail(st, out);
	st = audit_log_get(r->app->s->audit, txn, seq, &rec);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return fail(st, out);
	sodium_bin2hex(id, sizeof(id), rec->id, AUDIT_ID_BYTES);
	audit_record_free(rec);
	audit_text_clean(clean, sizeof(clean), note != NULL && note[0] ? note : "reviewed");
	so.event = "audit.signoff";
	so.action = AUDIT_ACTION_EXECUTE;
	so.outcome = AUDIT_OUTCOME_OK;
	so.user = web_actor(r);
	so.role = actor_role(r);
	so.category = "audit";
	so.correlation_id = id;
	so.reason = clean;
	if ((st = node_audit_commit(r->app->s, &so)) != SK_OK)
		return fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message", tr(r, "afgetekend", "signed off"));
	return 200;
}

int api_audit_verify(web_req *r, json_t **out)
{
	uint64_t count = 0, bad = 0, anchored = 0, seq = 0;
	uint8_t head[AUDIT_HASH_BYTES];
	char hex[2 * AUDIT_HASH_BYTES + 1];
	MDB_txn *txn = NULL;
	sk_status st, vst;
	int code;

	if ((code = need_officer(r, out)) != 0)
		return code;
	if ((st = audit_read(r, "audit.verify", NULL, NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return fail(st, out);
	vst = audit_log_verify(r->app->s->audit, txn, &count, &bad);
	if (vst == SK_OK)
		vst = node_audit_anchor_check(r->app->s, txn, count, &bad, &anchored);
	st = audit_log_head(r->app->s->audit, txn, &seq, head);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return fail(st, out);
	if (vst != SK_OK && vst != SK_ERR_VERIFY)
		return fail(vst, out);
	sodium_bin2hex(hex, sizeof(hex), head, sizeof(head));
	*out = json_pack("{s:b,s:I,s:I,s:I,s:s,s:s?}", "ok", vst == SK_OK, "records",
			 (json_int_t)count, "first_bad", (json_int_t)bad, "anchored",
			 (json_int_t)anchored, "head", hex, "detail",
			 vst == SK_OK ? NULL : sk_error_detail());
	return 200;
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
			 tr(r, "synchronisatie gestart", "sync started"));
	return 200;
}

static int route_export(web_req *r, api_call *c, json_t **out)
{
	audit_download(r);
	return 0;
}

static int route_cases(web_req *r, api_call *c, json_t **out)
{
	return api_cases(r, out);
}

static int route_case_open(web_req *r, api_call *c, json_t **out)
{
	return case_open(r, out, c->next, sizeof(c->next));
}

static int route_case(web_req *r, api_call *c, json_t **out)
{
	return api_case(r, c->case_id, out);
}

static int route_consent(web_req *r, api_call *c, json_t **out)
{
	return case_consent(r, c->case_id, out);
}

static int route_lookup(web_req *r, api_call *c, json_t **out)
{
	int code = case_lookup(r, c->case_id, out);

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
	return case_close(r, c->case_id, out);
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
	return discuss_request(r, out, c->next, sizeof(c->next));
}

static int route_discussion(web_req *r, api_call *c, json_t **out)
{
	return api_discussion(r, c->id, out);
}

static int route_accept(web_req *r, api_call *c, json_t **out)
{
	return discuss_answer(r, c->id, 1, out);
}

static int route_decline(web_req *r, api_call *c, json_t **out)
{
	return discuss_answer(r, c->id, 0, out);
}

static int route_send(web_req *r, api_call *c, json_t **out)
{
	return discuss_send(r, c->id, 0, out);
}

static int route_discuss_close(web_req *r, api_call *c, json_t **out)
{
	return discuss_send(r, c->id, 1, out);
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
	return audit_signoff(r, out);
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
	{EVHTTP_REQ_GET, "/api/cases", route_cases, NULL},
	{EVHTTP_REQ_POST, "/api/cases", route_case_open, NULL}, /* sets next: the new case */
	{EVHTTP_REQ_GET, "/api/cases/{case}", route_case, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/consent", route_consent, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/lookup", route_lookup, "/cases/{case}"},
	{EVHTTP_REQ_POST, "/api/cases/{case}/close", route_case_close, "/cases/{case}"},
	{EVHTTP_REQ_GET, "/api/matches", route_matches, NULL},
	{EVHTTP_REQ_GET, "/api/notices", route_notices, NULL},
	{EVHTTP_REQ_GET, "/api/discussions", route_discussions, NULL},
	{EVHTTP_REQ_POST, "/api/discussions", route_discuss_request, NULL}, /* sets next */
	{EVHTTP_REQ_GET, "/api/discussions/{id}", route_discussion, "/discussions/{id}"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/accept", route_accept, "/discussions/{id}"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/decline", route_decline, "/discussions"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/send", route_send, "/discussions/{id}"},
	{EVHTTP_REQ_POST, "/api/discussions/{id}/close", route_discuss_close, "/discussions/{id}"},
	{EVHTTP_REQ_GET, "/api/audit", route_audit, NULL},
	{EVHTTP_REQ_GET, "/api/audit/report", route_report, NULL},
	{EVHTTP_REQ_GET, "/api/audit/review", route_review, NULL},
	{EVHTTP_REQ_POST, "/api/audit/signoff", route_signoff, "/audit/review"},
	{EVHTTP_REQ_GET, "/api/audit/verify", route_verify, NULL},
};

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

void api_handle(web_req *r)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r->req);
	json_t *out = NULL;
	int code;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct api_route *rt = &routes[i];
		api_call c = {0};
		int m = route_match(rt->path, r->path, &c);

		if (m == ROUTE_NO_CASE) { /* as for a case that is not there */
			route_next(&c, rt->next);
			finish(r, 404, err("no such case of yours"), c.next);
			return;
		}
		if (m == ROUTE_NO || rt->method != cmd)
			continue;
		route_next(&c, rt->next);
		if ((code = rt->fn(r, &c, &out)) != 0)
			finish(r, code, out, c.next[0] ? c.next : NULL);
		return;
	}
	/* also a known path with another method: 404, not 405 */
	web_reply_error(r, 404, "unknown endpoint; see docs/openapi.yaml");
}
