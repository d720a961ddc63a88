/* Requests of `serve --http`: parsing, authentication (the API token or a
 * session cookie with its CSRF token), the language, and the routing to
 * the API, the pages and the static files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <sodium.h>

#include "common/clock.h"
#include "web/api.h"
#include "web/assets.h"
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

/* The value of cookie name in the request (copied into out), or NULL. */
static const char *cookie(const web_req *r, const char *name, char *out, size_t cap)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Cookie");
	size_t n = strlen(name);

	while (h != NULL && *h != 0) {
		const char *end;

		while (*h == ' ' || *h == ';')
			h++;
		end = strchr(h, ';');
		if (end == NULL)
			end = h + strlen(h);
		if ((size_t)(end - h) > n && strncmp(h, name, n) == 0 && h[n] == '=') {
			size_t len = (size_t)(end - h) - n - 1;

			if (len >= cap)
				return NULL;
			memcpy(out, h + n + 1, len);
			out[len] = 0;
			return out;
		}
		h = end;
	}
	return NULL;
}

static web_lang pick_lang(web_req *r)
{
	const char *q = evhttp_find_header(&r->query, "lang");
	const char *accept;
	char c[8];

	if (q != NULL && (strcmp(q, "en") == 0 || strcmp(q, "nl") == 0)) {
		char set[80];

		snprintf(set, sizeof(set), WEB_LANG_COOKIE "=%s; Path=/; SameSite=Strict; "
			 "Max-Age=31536000", q);
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie", set);
		return q[0] == 'e' ? WEB_EN : WEB_NL;
	}
	if (cookie(r, WEB_LANG_COOKIE, c, sizeof(c)) != NULL)
		return strcmp(c, "en") == 0 ? WEB_EN : WEB_NL;
	accept = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Accept-Language");
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
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					    "Content-Type");
	size_t len = evbuffer_get_length(in);
	char *txt;
	int rc = 0;

	if (len == 0)
		return 0;
	if (len > WEB_BODY_MAX)
		return 413;
	if ((txt = malloc(len + 1)) == NULL)
		return 500;
	evbuffer_copyout(in, txt, len);
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
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *host = evhttp_find_header(in, "Host");
	const char *o;

	if (origin == NULL)
		return 1; /* not a browser, or an old one: the CSRF token decides */
	o = strstr(origin, "://");
	return o != NULL && host != NULL && strcmp(o + 3, host) == 0;
}

/* A POST with a session must carry its CSRF token. */
static int csrf_ok(web_req *r)
{
	const char *t = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					   "X-CSRF-Token");

	if (t == NULL)
		t = web_param(r, "csrf");
	return t != NULL && strlen(t) == 64 && sodium_memcmp(t, r->sess->csrf, 64) == 0;
}

/* Frees the form's fields, wiped first: they may hold a password or a BSN. */
static void form_clear(struct evkeyvalq *q)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, q, next)
	sodium_memzero(kv->value, strlen(kv->value));
	evhttp_clear_headers(q);
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
	evhttp_remove_header(evhttp_request_get_output_headers(r->req), "Cache-Control");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control",
			  "max-age=3600");
	if ((b = evbuffer_new()) != NULL)
		evbuffer_add_reference(b, f->data, f->len, NULL, NULL);
	evhttp_send_reply(r->req, 200, "OK", b);
	if (b != NULL)
		evbuffer_free(b);
}

void web_handle(web_app *a, struct evhttp_request *req)
{
	web_req r = {.req = req, .app = a};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
					      "Authorization");
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char *decoded = NULL, want[80], sid[80];
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *addr = "?";
	ev_uint16_t port = 0;
	int rc;

	TAILQ_INIT(&r.query);
	TAILQ_INIT(&r.form);
	if (conn != NULL)
		evhttp_connection_get_peer(conn, (char **)&addr, &port);
	snprintf(r.peer, sizeof(r.peer), "web:%s", addr);
	if (path == NULL || path[0] == 0)
		path = "/";
	if ((decoded = evhttp_uridecode(path, 0, NULL)) == NULL || strlen(decoded) >= sizeof(r.path) ||
	    (query != NULL && evhttp_parse_query_str(query, &r.query) != 0)) {
		web_reply_error(&r, 400, "bad request line");
		goto out;
	}
	snprintf(r.path, sizeof(r.path), "%s", decoded);
	r.lang = pick_lang(&r);
	if (strncmp(r.path, "/static/", 8) == 0 && cmd == EVHTTP_REQ_GET) {
		static_file(&r);
		goto out;
	}
	if (cmd == EVHTTP_REQ_POST && (rc = read_body(&r)) != 0) {
		web_reply_error(&r, rc, rc == 415 ? "send application/json or a form"
				   : rc == 413 ? "the request is too large"
					       : "the request body does not parse");
		goto out;
	}
	/* who: the API token, else a session cookie */
	snprintf(want, sizeof(want), "Bearer %s", a->token);
	if (auth != NULL) {
		if (strlen(auth) != strlen(want) || sodium_memcmp(auth, want, strlen(want)) != 0) {
			web_reply_error(&r, 401, "give the token of D/api-token as "
						 "'Authorization: Bearer TOKEN'");
			goto out;
		}
		r.bearer = 1;
	} else {
		r.sess = web_session_find(a, cookie(&r, WEB_COOKIE, sid, sizeof(sid)),
					  sk_clock_now_ms());
	}
	node_audit_context(r.sess != NULL ? r.sess->prof : r.bearer ? "api-token" : NULL,
			   r.peer);
	/* the sign-in needs no token: it drops whatever session came with it */
	if (cmd == EVHTTP_REQ_POST &&
	    (!same_origin(&r) ||
	     (r.sess != NULL && strcmp(r.path, "/api/session") != 0 && !csrf_ok(&r)))) {
		web_refuse(&r, 403, "the form is out of date or came from another site "
				    "(CSRF token missing or wrong); reload the page");
		goto out;
	}
	if (strncmp(r.path, "/api/", 5) == 0) {
		if (r.sess == NULL && !r.bearer &&
		    !(cmd == EVHTTP_REQ_POST && strcmp(r.path, "/api/session") == 0))
			web_reply_error(&r, 401, "sign in first (POST /api/session), or give the "
						 "API token as 'Authorization: Bearer TOKEN'");
		else
			api_handle(&r);
	} else if (cmd != EVHTTP_REQ_GET) {
		web_reply_error(&r, 405, "pages are read with GET; actions go to /api/");
	} else {
		pages_handle(&r);
	}
out:
	node_audit_context(NULL, NULL);
	free(decoded);
	evhttp_clear_headers(&r.query);
	form_clear(&r.form);
	json_decref(r.body);
}
