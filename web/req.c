/* The request of `serve --http` as the API and the pages see it: its
 * parameters, the sessions and the replies with their security headers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <sodium.h>

#include "web/req.h"

/* ---- parameters ------------------------------------------------------ */

const char *web_param(const web_req *r, const char *name)
{
	const char *v = NULL;
	json_t *j;

	if (r->body != NULL && (j = json_object_get(r->body, name)) != NULL)
		return json_is_string(j) ? json_string_value(j) : NULL;
	if ((v = evhttp_find_header(&r->form, name)) != NULL)
		return v;
	return evhttp_find_header((struct evkeyvalq *)&r->query, name);
}

int web_param_yes(const web_req *r, const char *name)
{
	const char *v = web_param(r, name);

	return v != NULL && (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
}

int web_param_list(const web_req *r, const char *name, char *out, size_t cap)
{
	const struct evkeyvalq *q = r->form.tqh_first != NULL ? &r->form : &r->query;
	struct evkeyval *kv;
	size_t pos = 0;
	json_t *j = r->body != NULL ? json_object_get(r->body, name) : NULL, *v;
	size_t i;

	out[0] = 0;
	if (json_is_string(j)) {
		pos = (size_t)snprintf(out, cap, "%s", json_string_value(j));
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) if (json_is_string(v) && pos < cap)
			pos += (size_t)snprintf(out + pos, cap - pos, "%s%s", pos ? "," : "",
						json_string_value(v));
	} else {
		TAILQ_FOREACH(kv, q, next)
		if (strcmp(kv->key, name) == 0 && pos < cap)
			pos += (size_t)snprintf(out + pos, cap - pos, "%s%s", pos ? "," : "",
						kv->value);
	}
	if (pos < cap)
		return 0;
	out[0] = 0;
	return -1;
}

const char *web_actor(const web_req *r)
{
	if (r->sess != NULL)
		return r->sess->prof;
	return r->bearer ? web_param(r, "as") : NULL;
}

/* ---- sessions -------------------------------------------------------- */

static int live(const web_session *x, uint64_t now)
{
	return x->id[0] != 0 && now < x->seen + WEB_SESSION_IDLE_MS &&
	       now < x->created + WEB_SESSION_MAX_MS;
}

void web_session_end(web_session *x)
{
	json_decref(x->flash_doc);
	sodium_memzero(x, sizeof(*x));
}

web_session *web_session_new(web_app *a, const node_professional *p, uint64_t now)
{
	web_session *x = NULL;
	uint8_t raw[32];

	/* a free or expired slot, else the least recently seen */
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		web_session *y = &a->sessions[i];

		if (!live(y, now)) {
			x = y;
			break;
		}
		if (x == NULL || y->seen < x->seen)
			x = y;
	}
	web_session_end(x);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(x->id, sizeof(x->id), raw, sizeof(raw));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(x->csrf, sizeof(x->csrf), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	snprintf(x->prof, sizeof(x->prof), "%s", p->id);
	snprintf(x->name, sizeof(x->name), "%s", p->name);
	snprintf(x->role, sizeof(x->role), "%s", p->role);
	x->kind = p->kind;
	x->created = x->seen = now;
	return x;
}

web_session *web_session_find(web_app *a, const char *id, uint64_t now)
{
	web_session *found = NULL;

	if (id == NULL || strlen(id) != 64)
		return NULL;
	/* every slot compared in constant time */
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		web_session *x = &a->sessions[i];

		if (x->id[0] != 0 && sodium_memcmp(x->id, id, 64) == 0)
			found = x;
	}
	if (found == NULL)
		return NULL;
	if (!live(found, now)) {
		web_session_end(found);
		return NULL;
	}
	found->seen = now;
	return found;
}

void web_flash(web_session *x, int error, const char *fmt, ...)
{
	va_list ap;

	if (x == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(x->flash, sizeof(x->flash), fmt, ap);
	va_end(ap);
	x->flash_error = error;
}

/* ---- replies ----------------------------------------------------------- */

void web_headers(web_req *r, const char *content_type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* same-origin, not no-referrer: with no-referrer Chromium sends
	 * "Origin: null" on form posts, which same_origin() must refuse */
	evhttp_add_header(h, "Referrer-Policy", "same-origin");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self'; connect-src 'self'; form-action 'self'; "
			  "frame-ancestors 'none'; base-uri 'none'");
}

static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 507: return "Insufficient Storage";
	default: return "Error";
	}
}

void web_reply_json(web_req *r, int code, json_t *doc)
{
	struct evbuffer *b = evbuffer_new();
	char *txt = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	web_headers(r, "application/json");
	if (b != NULL && txt != NULL)
		evbuffer_add_printf(b, "%s\n", txt);
	evhttp_send_reply(r->req, code, reason(code), b);
	if (b != NULL)
		evbuffer_free(b);
	free(txt);
	json_decref(doc);
}

void web_reply_error(web_req *r, int code, const char *msg)
{
	web_reply_json(r, code, json_pack("{s:s}", "error", msg));
}

void web_redirect(web_req *r, const char *location)
{
	web_headers(r, "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", location);
	evhttp_send_reply(r->req, 303, "See Other", NULL);
}
