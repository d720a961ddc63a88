/* The request of `serve --web` as the API and the pages see it: its
 * parameters, the sessions and the replies with their security headers;
 * and its way between the evhttp loop thread and the workers (web/req.h
 * says which thread does what). */
#define _GNU_SOURCE /* fopencookie: a stream's FILE */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/log.h"
#include "web/req.h"

/* The loop thread's side of a request. req and evcon are the loop
 * thread's; the rest is under app->lock. */
struct web_conn {
	struct evhttp_request *req;      /* NULL once libevent frees it */
	struct evhttp_connection *evcon; /* NULL once closed */
	int streaming;                   /* web_stream_begin ran */
	int gone;                        /* the client went away */
	size_t posted;                   /* stream bytes not yet handed to evhttp */
	size_t outbuf;                   /* ... and in the connection's output */
};

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
	x->serial = ++a->serial;
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

/* A copy slot for r (under lock); NULL when every one is in use, which
 * the workers' count (at most WEB_COPIES_MAX) rules out. */
static web_session *copy_get(web_req *r)
{
	web_app *a = r->app;

	if (r->copy < WEB_COPIES_MAX)
		return &a->copies[r->copy];
	for (size_t i = 0; i < WEB_COPIES_MAX; i++)
		if (!a->copy_used[i]) {
			a->copy_used[i] = 1;
			r->copy = i;
			return &a->copies[i];
		}
	sk_log(SK_LOG_ERROR, "web: more requests at once than session copies");
	return NULL;
}

/* x (a table slot) as r's session, under lock. */
static web_session *copy_of(web_req *r, web_session *x, int page)
{
	web_session *c = copy_get(r);

	if (c == NULL)
		return NULL;
	memcpy(c, x, sizeof(*c));
	r->slot = (size_t)(x - r->app->sessions);
	r->serial = x->serial;
	if (page) { /* its messages are the page's now */
		x->flash[0] = 0;
		x->flash_doc = NULL;
		x->flash_case = 0;
	} else {
		c->flash[0] = 0;
		c->flash_doc = NULL;
		c->flash_case = 0;
	}
	return r->sess = c;
}

web_session *web_session_take(web_req *r, const char *id, int page)
{
	web_app *a = r->app;
	web_session *x, *c = NULL;

	pthread_mutex_lock(&a->lock);
	if ((x = web_session_find(a, id, sk_clock_now_ms())) != NULL)
		c = copy_of(r, x, page);
	pthread_mutex_unlock(&a->lock);
	return c;
}

/* The table slot r's session came from, if it still holds that sign-in
 * (under lock). */
static web_session *home(web_req *r)
{
	web_session *x;

	if (r->serial == 0)
		return NULL;
	x = &r->app->sessions[r->slot];
	return x->serial == r->serial ? x : NULL;
}

web_session *web_signin(web_req *r, const node_professional *p, uint64_t now)
{
	web_app *a = r->app;
	web_session *x, *c = NULL;

	pthread_mutex_lock(&a->lock);
	if ((x = home(r)) != NULL)
		web_session_end(x); /* whatever session the browser had stays behind */
	r->serial = 0;
	if (r->sess != NULL)
		web_session_end(r->sess);
	r->sess = NULL;
	x = web_session_new(a, p, now);
	c = copy_of(r, x, 0);
	pthread_mutex_unlock(&a->lock);
	return c;
}

void web_session_put(web_req *r)
{
	web_app *a = r->app;
	web_session *x, *c = r->copy < WEB_COPIES_MAX ? &a->copies[r->copy] : NULL;

	if (c == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	if ((x = home(r)) != NULL) {
		if (r->sess == NULL || c->id[0] == 0) { /* signed out */
			web_session_end(x);
		} else {
			if (c->flash[0] != 0) {
				memcpy(x->flash, c->flash, sizeof(x->flash));
				x->flash_error = c->flash_error;
			}
			if (c->flash_doc != NULL) {
				json_decref(x->flash_doc);
				x->flash_doc = c->flash_doc;
				x->flash_case = c->flash_case;
				c->flash_doc = NULL;
			}
			/* the client she registered or found in this request */
			if (strcmp(c->client, x->client) != 0)
				memcpy(x->client, c->client, sizeof(x->client));
		}
	}
	web_session_end(c);
	a->copy_used[r->copy] = 0;
	r->copy = WEB_COPIES_MAX;
	r->sess = NULL;
	r->serial = 0;
	pthread_mutex_unlock(&a->lock);
}

/* ---- replies ----------------------------------------------------------- */

static int answered(web_req *r)
{
	if (r->code == 0)
		return 0;
	sk_log(SK_LOG_WARNING, "web: %s answered twice; the second answer is dropped", r->path);
	return 1;
}

void web_header_add(web_req *r, const char *name, const char *value)
{
	if (evhttp_add_header(&r->out, name, value) != 0)
		sk_log(SK_LOG_WARNING, "web: header %s refused", name);
}

const char *web_cookie_name(const web_app *a)
{
	return a->tls ? WEB_COOKIE_TLS : WEB_COOKIE;
}

const char *web_cookie_secure(const web_app *a)
{
	return a->tls || a->secure_cookies ? "; Secure" : "";
}

void web_headers(web_req *r, const char *content_type)
{
	web_header_add(r, "Content-Type", content_type);
	/* browsers that saw the pages over TLS never try plain HTTP again */
	if (r->app->tls)
		web_header_add(r, "Strict-Transport-Security", "max-age=31536000");
	web_header_add(r, "Cache-Control", "no-store");
	web_header_add(r, "X-Content-Type-Options", "nosniff");
	/* same-origin, not no-referrer: with no-referrer Chromium sends
	 * "Origin: null" on form posts, which same_origin() must refuse */
	web_header_add(r, "Referrer-Policy", "same-origin");
	web_header_add(r, "X-Frame-Options", "DENY");
	web_header_add(r, "Content-Security-Policy",
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
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return "Error";
	}
}

void web_reply_body(web_req *r, int code, const char *content_type, struct evbuffer *b)
{
	if (answered(r))
		return;
	if (evhttp_find_header(&r->out, "Content-Type") == NULL)
		web_headers(r, content_type);
	if (b != NULL && r->reply != NULL && evbuffer_add_buffer(r->reply, b) != 0)
		code = 500;
	r->code = code;
}

void web_reply_json(web_req *r, int code, json_t *doc)
{
	char *txt = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	if (!answered(r)) {
		web_headers(r, "application/json");
		if (txt != NULL && r->reply != NULL)
			evbuffer_add_printf(r->reply, "%s\n", txt);
		r->code = code;
	}
	free(txt);
	json_decref(doc);
}

void web_reply_error(web_req *r, int code, const char *msg)
{
	web_reply_json(r, code, json_pack("{s:s}", "error", msg));
}

/* The value of cookie name in the request (copied into out), or NULL. */
const char *web_cookie(const web_req *r, const char *name, char *out, size_t cap)
{
	const char *h = evhttp_find_header(&r->in, "Cookie");
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

void web_session_cookie(web_req *r, const char *value, int clear)
{
	char c[200];

	snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
		 web_cookie_name(r->app), value, web_cookie_secure(r->app),
		 clear ? "; Max-Age=0" : "");
	web_header_add(r, "Set-Cookie", c);
	sodium_memzero(c, sizeof(c));
}

void web_redirect(web_req *r, const char *location)
{
	if (answered(r))
		return;
	web_headers(r, "text/plain; charset=utf-8");
	web_header_add(r, "Location", location);
	r->code = 303;
}

/* ---- the loop thread's side -------------------------------------------- */

/* The client went away: libevent frees req with the connection unless it
 * had already let go of it (then it lives until answered). */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	web_req *r = arg;
	web_conn *c = r->conn;

	if (c->req != NULL && evhttp_request_get_connection(c->req) == evcon)
		c->req = NULL;
	c->evcon = NULL;
	pthread_mutex_lock(&r->app->lock);
	c->gone = 1;
	pthread_cond_broadcast(&r->app->drained);
	pthread_mutex_unlock(&r->app->lock);
}

/* Wipes what may hold a password, a BSN or a session id. */
static void keyvals_clear(struct evkeyvalq *q)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, q, next)
	sodium_memzero(kv->value, strlen(kv->value));
	evhttp_clear_headers(q);
}

static void req_free(web_req *r)
{
	if (r == NULL)
		return;
	if (r->copy < WEB_COPIES_MAX)
		web_session_put(r);
	evhttp_clear_headers(&r->query);
	keyvals_clear(&r->form);
	keyvals_clear(&r->in);
	evhttp_clear_headers(&r->out);
	json_decref(r->body);
	if (r->raw != NULL) {
		sodium_memzero(r->raw, r->raw_len);
		free(r->raw);
	}
	if (r->reply != NULL)
		evbuffer_free(r->reply);
	free(r->conn);
	free(r);
}

/* The request headers web.c reads. */
static const char *const kept[] = {
	"Cookie", "Authorization", "Origin", "Host", "Content-Type", "Accept-Language",
	"X-CSRF-Token",
};

web_req *web_req_capture(web_app *a, struct evhttp_request *req, int *bad)
{
	web_req *r = calloc(1, sizeof(*r));
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *decoded = NULL, *addr = NULL;
	ev_uint16_t port = 0;

	*bad = 500;
	if (r == NULL || (r->conn = calloc(1, sizeof(*r->conn))) == NULL ||
	    (r->reply = evbuffer_new()) == NULL)
		goto fail;
	r->app = a;
	r->copy = WEB_COPIES_MAX;
	TAILQ_INIT(&r->query);
	TAILQ_INIT(&r->form);
	TAILQ_INIT(&r->in);
	TAILQ_INIT(&r->out);
	r->method = evhttp_request_get_command(req);
	if (path == NULL || path[0] == 0)
		path = "/";
	if ((decoded = evhttp_uridecode(path, 0, NULL)) == NULL ||
	    strlen(decoded) >= sizeof(r->path) ||
	    (query != NULL && evhttp_parse_query_str(query, &r->query) != 0)) {
		*bad = 400;
		goto fail;
	}
	snprintf(r->path, sizeof(r->path), "%s", decoded);
	free(decoded);
	decoded = NULL;
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		const char *v = evhttp_find_header(in, kept[i]);

		if (v != NULL && evhttp_add_header(&r->in, kept[i], v) != 0) {
			*bad = 400;
			goto fail;
		}
	}
	/* the client system's batches may be larger (checked again, with its
	 * credential, by web/api_integration.c) */
	if ((r->raw_len = evbuffer_get_length(body)) >
	    (strncmp(r->path, "/api/integration/", 17) == 0 ? WEB_INTEGRATION_READ_MAX : WEB_BODY_MAX)) {
		*bad = 413;
		goto fail;
	}
	if (r->raw_len > 0) {
		if ((r->raw = malloc(r->raw_len)) == NULL)
			goto fail;
		evbuffer_copyout(body, r->raw, r->raw_len);
	}
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(r->peer, sizeof(r->peer), "web:%s", addr != NULL ? addr : "?");
	r->conn->req = req;
	r->conn->evcon = evcon;
	if (evcon != NULL)
		evhttp_connection_set_closecb(evcon, conn_closed, r);
	return r;
fail:
	free(decoded);
	req_free(r);
	return NULL;
}

/* The answer's headers onto req. */
static void headers_apply(web_req *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->conn->req);
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, &r->out, next)
	evhttp_add_header(h, kv->key, kv->value);
}

void web_req_send(web_req *r)
{
	web_conn *c = r->conn;
	web_app *a = r->app;

	if (r->counted)
		a->inflight[r->cls]--;
	/* after evhttp_free nothing of it may be touched */
	if (!a->closing) {
		if (c->evcon != NULL)
			evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		if (c->req != NULL && c->streaming) {
			evhttp_send_reply_end(c->req);
		} else if (c->req != NULL) {
			if (r->code == 0) {
				sk_log(SK_LOG_ERROR, "web: %s left unanswered", r->path);
				evhttp_clear_headers(&r->out);
				evbuffer_drain(r->reply, evbuffer_get_length(r->reply));
				web_reply_error(r, 500, "internal error");
			}
			headers_apply(r);
			evhttp_send_reply(c->req, r->code, reason(r->code), r->reply);
		}
	}
	req_free(r);
}

static void req_send_call(void *arg)
{
	web_req_send(arg);
}

void web_req_done(web_req *r)
{
	if (r->app->loop == NULL) /* no workers: this is the loop thread */
		web_req_send(r);
	else if (net_loop_call(r->app->loop, req_send_call, r) != SK_OK)
		/* the loop's queue holds a million calls: it is stuck, and the
		 * client's timeout ends this request */
		sk_log(SK_LOG_ERROR, "web: an answer to %s could not reach the loop", r->path);
}

/* ---- streams ------------------------------------------------------------- */

struct chunk {
	web_req *r;
	struct evbuffer *b;
	size_t len;
};

/* What the connection still has to write (loop thread, under lock). */
static void outbuf_update(web_conn *c)
{
	struct bufferevent *bev = c->evcon != NULL ? evhttp_connection_get_bufferevent(c->evcon)
						   : NULL;

	c->outbuf = bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* The connection wrote all it had: the worker may go on. */
static void chunk_written(struct evhttp_connection *evcon, void *arg)
{
	web_req *r = arg;

	pthread_mutex_lock(&r->app->lock);
	outbuf_update(r->conn);
	pthread_cond_broadcast(&r->app->drained);
	pthread_mutex_unlock(&r->app->lock);
}

static void chunk_send(void *arg)
{
	struct chunk *k = arg;
	web_req *r = k->r;
	web_conn *c = r->conn;

	if (!r->app->closing && c->req != NULL && c->evcon != NULL)
		evhttp_send_reply_chunk_with_cb(c->req, k->b, chunk_written, r);
	pthread_mutex_lock(&r->app->lock);
	c->posted -= k->len;
	if (r->app->closing || c->req == NULL || c->evcon == NULL)
		c->gone = 1;
	else
		outbuf_update(c);
	pthread_cond_broadcast(&r->app->drained);
	pthread_mutex_unlock(&r->app->lock);
	evbuffer_free(k->b);
	free(k);
}

static void stream_start(void *arg)
{
	web_req *r = arg;
	web_conn *c = r->conn;

	if (!r->app->closing && c->req != NULL && c->evcon != NULL) {
		headers_apply(r);
		evhttp_send_reply_start(c->req, r->code, reason(r->code));
	}
}

/* fopencookie's write: one chunk for the loop thread, after waiting while
 * the client has more than WEB_STREAM_QUEUE_MAX bytes to take. */
static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
	web_req *r = cookie;
	web_conn *c = r->conn;
	web_app *a = r->app;
	struct chunk *k = NULL;
	int gone;

	pthread_mutex_lock(&a->lock);
	/* without workers this is the loop thread: evhttp queues it all */
	while (a->loop != NULL && !c->gone && !a->stopping &&
	       c->posted + c->outbuf > WEB_STREAM_QUEUE_MAX)
		pthread_cond_wait(&a->drained, &a->lock);
	gone = c->gone || a->stopping;
	if (!gone)
		c->posted += size;
	pthread_mutex_unlock(&a->lock);
	if (gone)
		goto fail;
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->b = evbuffer_new()) == NULL ||
	    evbuffer_add(k->b, buf, size) != 0)
		goto undo;
	k->r = r;
	k->len = size;
	if (a->loop == NULL)
		chunk_send(k);
	else if (net_loop_call(a->loop, chunk_send, k) != SK_OK)
		goto undo;
	return (ssize_t)size;
undo:
	pthread_mutex_lock(&a->lock);
	c->posted -= size;
	pthread_mutex_unlock(&a->lock);
	if (k != NULL && k->b != NULL)
		evbuffer_free(k->b);
	free(k);
fail:
	errno = EPIPE;
	return 0;
}

sk_status web_stream_begin(web_req *r, int code, const char *content_type, FILE **fp)
{
	cookie_io_functions_t io = {.write = stream_write};

	*fp = NULL;
	if (answered(r))
		return SK_ERR_INVALID;
	if (evhttp_find_header(&r->out, "Content-Type") == NULL)
		web_headers(r, content_type);
	/* chunks of 64 KiB: few round trips to the loop thread */
	if ((*fp = fopencookie(r, "w", io)) == NULL || setvbuf(*fp, NULL, _IOFBF, 64 * 1024) != 0) {
		if (*fp != NULL)
			fclose(*fp);
		*fp = NULL;
		evhttp_clear_headers(&r->out); /* the caller answers with an error instead */
		return SK_ERR_NOMEM;
	}
	r->code = code;
	r->conn->streaming = 1;
	if (r->app->loop == NULL)
		stream_start(r);
	else if (net_loop_call(r->app->loop, stream_start, r) != SK_OK) {
		pthread_mutex_lock(&r->app->lock);
		r->conn->gone = 1;
		pthread_mutex_unlock(&r->app->lock);
	}
	return SK_OK;
}

sk_status web_stream_end(web_req *r, FILE *fp)
{
	int bad = fp == NULL || fclose(fp) != 0;

	pthread_mutex_lock(&r->app->lock);
	bad |= r->conn->gone;
	pthread_mutex_unlock(&r->app->lock);
	return bad ? SK_ERR_IO : SK_OK;
}

/* ---- the app ------------------------------------------------------------- */

sk_status web_app_init(web_app *a)
{
	if (pthread_mutex_init(&a->lock, NULL) != 0)
		return SK_ERR_NOMEM;
	if (pthread_cond_init(&a->drained, NULL) != 0) {
		pthread_mutex_destroy(&a->lock);
		return SK_ERR_NOMEM;
	}
	return SK_OK;
}

void web_app_stop(web_app *a)
{
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	pthread_cond_broadcast(&a->drained);
	pthread_mutex_unlock(&a->lock);
}

void web_app_free(web_app *a)
{
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
		web_session_end(&a->sessions[i]);
	for (size_t i = 0; i < WEB_COPIES_MAX; i++)
		web_session_end(&a->copies[i]);
	pthread_cond_destroy(&a->drained);
	pthread_mutex_destroy(&a->lock);
}
