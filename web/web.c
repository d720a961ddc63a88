/* Requests of `serve --web`: parsing, authentication (the API token or a
 * session cookie with its CSRF token), the language, and the routing to
 * the API, the pages and the static files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/log.h"
#include "web/api.h"
#include "web/assets.h"
#include "web/oidc.h"
#include "web/pages.h"
#include "web/web.h"

/* A refusal: a page for a form post, else JSON. */
static void web_refuse(web_req *r, int code, const char *msg)
{
	if (r->form_post)
		pages_refusal(r, code, msg); /* a browser: a page, not JSON */
	else
		web_reply_error(r, code, msg);
}

/* ---- the request ------------------------------------------------------- */

static const char *header(const web_req *r, const char *name)
{
	return evhttp_find_header(&r->in, name);
}

static web_lang pick_lang(web_req *r)
{
	const char *q = evhttp_find_header(&r->query, "lang");
	const char *accept;
	char c[8];

	if (q != NULL && (strcmp(q, "en") == 0 || strcmp(q, "nl") == 0)) {
		char set[80];

		snprintf(set, sizeof(set), WEB_LANG_COOKIE "=%s; Path=/; SameSite=Strict; "
			 "Max-Age=31536000%s", q, web_cookie_secure(r->app));
		web_header_add(r, "Set-Cookie", set);
		return q[0] == 'e' ? WEB_EN : WEB_NL;
	}
	if (web_cookie(r, WEB_LANG_COOKIE, c, sizeof(c)) != NULL)
		return strcmp(c, "en") == 0 ? WEB_EN : WEB_NL;
	accept = header(r, "Accept-Language");
	return accept != NULL && strncmp(accept, "en", 2) == 0 ? WEB_EN : WEB_NL;
}

/* Numbers and booleans of a JSON body as the text a form would send
 * ({"case": 12} as {"case": "12"}, true as "1"), so that one parameter
 * reader serves both. */
static void scalars_as_text(json_t *body)
{
	const char *k;
	json_t *v;
	char t[32];

	json_object_foreach(body, k, v)
	{
		if (json_is_integer(v))
			snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(t, sizeof(t), "%s", json_is_true(v) ? "1" : "");
		else
			continue;
		json_object_set_new(body, k, json_string(t));
	}
}

/* The body into r->form or r->body. 0, or the HTTP status to refuse. */
static int read_body(web_req *r)
{
	const char *ct = header(r, "Content-Type");
	size_t len = r->raw_len;
	char *txt;
	int rc = 0;

	if (len == 0)
		return 0;
	if (len > WEB_BODY_MAX)
		return 413;
	if ((txt = malloc(len + 1)) == NULL)
		return 500;
	memcpy(txt, r->raw, len);
	txt[len] = 0;
	if (ct != NULL && strncmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		r->form_post = 1;
		rc = strlen(txt) != len || evhttp_parse_query_str(txt, &r->form) != 0 ? 400 : 0;
	} else if (ct != NULL && strncmp(ct, "application/json", 16) == 0) {
		r->body = json_loadb(txt, len, JSON_REJECT_DUPLICATES, NULL);
		rc = json_is_object(r->body) ? 0 : 400;
		if (rc == 0)
			scalars_as_text(r->body);
	} else {
		rc = 415;
	}
	sodium_memzero(txt, len); /* may hold a password or a BSN */
	free(txt);
	return rc;
}

/* A POST that a browser says comes from another site is refused (also a
 * sign-in: no one is signed in to someone else's account unawares). */
static int same_origin(web_req *r)
{
	const char *origin = header(r, "Origin");
	const char *host = header(r, "Host");
	const char *o;

	if (origin == NULL)
		return 1; /* not a browser, or an old one: the CSRF token decides */
	o = strstr(origin, "://");
	return o != NULL && host != NULL && strcmp(o + 3, host) == 0;
}

/* A POST with a session must carry its CSRF token. */
static int csrf_ok(web_req *r)
{
	const char *t = header(r, "X-CSRF-Token");

	if (t == NULL)
		t = web_param(r, "csrf");
	return t != NULL && strlen(t) == 64 && sodium_memcmp(t, r->sess->csrf, 64) == 0;
}

static void static_file(web_req *r)
{
	const web_asset *f = web_asset_find(r->path + strlen("/static/"));
	struct evbuffer *b;

	if (f == NULL) {
		web_reply_error(r, 404, "no such file");
		return;
	}
	web_headers(r, f->type);
	evhttp_remove_header(&r->out, "Cache-Control");
	web_header_add(r, "Cache-Control", "max-age=3600");
	if ((b = evbuffer_new()) == NULL ||
	    evbuffer_add_reference(b, f->data, f->len, NULL, NULL) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		evhttp_clear_headers(&r->out);
		web_reply_error(r, 500, "out of memory");
		return;
	}
	web_reply_body(r, 200, f->type, b);
	evbuffer_free(b);
}

/* The client system's API: its service credential, never a session
 * cookie, no CSRF token (no cookie is used); audited as the service. */
static void integration(web_req *r)
{
	char ap[96];

	if (api_integration_begin(r) != 0)
		return;
	snprintf(ap, sizeof(ap), "integration:%s", r->peer + 4); /* after "web:" */
	node_audit_context(r->service, ap);
	node_audit_via(r->service, NODE_SERVICE_ROLE);
	api_handle(r);
	api_integration_end(r);
	node_audit_via(NULL, NULL);
	node_audit_context(NULL, NULL);
}

/* Answers r on a worker thread (any class): parses the body,
 * authenticates and routes. */
static void web_handle(web_req *r)
{
	web_app *a = r->app;
	const char *auth = header(r, "Authorization");
	char want[80], sid[80];
	int rc;

	r->lang = pick_lang(r);
	if (api_integration_path(r->path)) {
		integration(r);
		return;
	}
	if (r->method == EVHTTP_REQ_POST && (rc = read_body(r)) != 0) {
		web_reply_error(r, rc, rc == 415 ? "send application/json or a form"
				   : rc == 413 ? "the request is too large"
					       : "the request body does not parse");
		return;
	}
	/* who: the API token, else a session cookie */
	snprintf(want, sizeof(want), "Bearer %s", a->token);
	if (auth != NULL) {
		int good = strlen(auth) == strlen(want) &&
			   sodium_memcmp(auth, want, strlen(want)) == 0;

		sodium_memzero(want, sizeof(want));
		if (!good) {
			web_reply_error(r, 401, "give the token of D/api-token as "
						"'Authorization: Bearer TOKEN'");
			return;
		}
		r->bearer = 1;
	} else {
		web_session_take(r, web_cookie(r, web_cookie_name(a), sid, sizeof(sid)),
				 strncmp(r->path, "/api/", 5) != 0);
		sodium_memzero(sid, sizeof(sid));
	}
	sodium_memzero(want, sizeof(want));
	node_audit_context(r->sess != NULL ? r->sess->prof : r->bearer ? "api-token" : NULL,
			   r->peer);
	/* the sign-in needs no token: it drops whatever session came with it */
	if (r->method == EVHTTP_REQ_POST &&
	    (!same_origin(r) ||
	     (r->sess != NULL && strcmp(r->path, "/api/session") != 0 && !csrf_ok(r)))) {
		web_refuse(r, 403, "the form is out of date or came from another site "
				   "(CSRF token missing or wrong); reload the page");
	} else if (strncmp(r->path, "/api/", 5) == 0) {
		if (r->sess == NULL && !r->bearer &&
		    !(r->method == EVHTTP_REQ_POST && strcmp(r->path, "/api/session") == 0))
			web_reply_error(r, 401, "sign in first (POST /api/session), or give the "
						"API token as 'Authorization: Bearer TOKEN'");
		else
			api_handle(r);
	} else if (r->method != EVHTTP_REQ_GET) {
		web_reply_error(r, 405, "pages are read with GET; actions go to /api/");
	} else if (strncmp(r->path, "/oidc/", 6) == 0) {
		web_oidc_handle(r);
	} else {
		pages_handle(r);
	}
	node_audit_context(NULL, NULL);
	web_session_put(r);
}

/* ---- workers ------------------------------------------------------------- */

/* Requests of a class queued or running at once, at most; more are
 * refused at once (a remote action gets the registry's message). */
static const unsigned class_max[WEB_CLASSES] = {
	[WEB_CLASS_PAGE] = 1024,
	[WEB_CLASS_REMOTE] = WEB_REMOTE_THREADS + 4,
	[WEB_CLASS_SIGNIN] = 256,
	[WEB_CLASS_EXPORT] = WEB_EXPORT_THREADS,
	[WEB_CLASS_INTEGRATION] = 8,
};

const unsigned web_class_threads[WEB_CLASSES] = {
	[WEB_CLASS_PAGE] = WEB_PAGE_THREADS,
	[WEB_CLASS_REMOTE] = WEB_REMOTE_THREADS,
	[WEB_CLASS_SIGNIN] = WEB_SIGNIN_THREADS,
	[WEB_CLASS_EXPORT] = WEB_EXPORT_THREADS,
	[WEB_CLASS_INTEGRATION] = WEB_INTEGRATION_THREADS,
};

static void web_run(void *arg)
{
	web_req *r = arg;
	int stopping;

	pthread_mutex_lock(&r->app->lock);
	stopping = r->app->stopping;
	pthread_mutex_unlock(&r->app->lock);
	if (stopping) /* dropped with the loop: nothing left to do */
		web_reply_error(r, 503, "the node is stopping; try again in a minute");
	else
		web_handle(r);
	web_req_done(r);
}

void web_accept(web_app *a, struct evhttp_request *req)
{
	int bad = 0;
	web_req *r = web_req_capture(a, req, &bad);
	web_class cls = WEB_CLASS_PAGE;

	if (r == NULL) {
		if (a->tls)
			evhttp_add_header(evhttp_request_get_output_headers(req),
					  "Strict-Transport-Security", "max-age=31536000");
		evhttp_send_error(req, bad, bad == 413 ? "the request is too large"
				    : bad == 400 ? "bad request line" : NULL);
		return;
	}
	/* the static files need nothing but the loop thread */
	if (strncmp(r->path, "/static/", 8) == 0 && r->method == EVHTTP_REQ_GET) {
		static_file(r);
		web_req_send(r);
		return;
	}
	if (api_integration_path(r->path))
		cls = WEB_CLASS_INTEGRATION;
	else if (strncmp(r->path, "/api/", 5) == 0)
		cls = api_route_class(r->method, r->path);
	if (strncmp(r->path, "/oidc/", 6) == 0) { /* reaches the identity provider */
		cls = WEB_CLASS_SIGNIN;
		r->deadline = sk_clock_now_ms() + WEB_REMOTE_DEADLINE_MS;
	}
	if (cls == WEB_CLASS_REMOTE) {
		r->deadline = sk_clock_now_ms() + WEB_REMOTE_DEADLINE_MS;
		if (a->inflight[cls] >= class_max[cls]) {
			r->busy = 1; /* answered by a page worker: the message, at once */
			cls = WEB_CLASS_PAGE;
		}
	}
	r->cls = cls;
	if (a->pool[cls] == NULL) { /* no workers (the fuzzer): on this thread */
		web_run(r);
		return;
	}
	if (a->inflight[cls] >= class_max[cls] || sk_pool_submit(a->pool[cls], web_run, r) != SK_OK) {
		web_reply_error(r, 503, "too many requests at once; try again in a minute");
		web_req_send(r);
		return;
	}
	r->counted = 1;
	a->inflight[cls]++;
}
