#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/log.h"
#include "node/auth.h"
#include "web/oidc.h"

/* One sign-in under way. */
typedef struct pending {
	char id[NODE_OIDC_RANDOM_CHARS + 1]; /* the cookie's value; "" when free */
	char state[NODE_OIDC_RANDOM_CHARS + 1];
	char nonce[NODE_OIDC_RANDOM_CHARS + 1];
	char verifier[NODE_OIDC_RANDOM_CHARS + 1];
	uint64_t created; /* unix ms */
} pending;

/* Lives in locked memory (sodium_malloc): the verifiers are secrets. */
struct web_oidc {
	node_oidc *rp;
	char label[WEB_OIDC_LABEL_MAX + 1];
	int only;
	pthread_mutex_t lock;
	pending p[WEB_OIDC_PENDING_MAX]; /* under lock */
};

sk_status web_oidc_new(web_oidc **out, const node_oidc_conf *c, const char *label, int only)
{
	web_oidc *w;
	sk_status st;

	*out = NULL;
	if (label == NULL || label[0] == 0 || strlen(label) > WEB_OIDC_LABEL_MAX ||
	    strpbrk(label, "<>&\"'") != NULL) {
		sk_error_set("--oidc-name takes 1 to %u characters, without < > & \" '",
			     WEB_OIDC_LABEL_MAX);
		return SK_ERR_INVALID;
	}
	if ((w = sodium_malloc(sizeof(*w))) == NULL)
		return SK_ERR_NOMEM;
	memset(w, 0, sizeof(*w));
	if ((st = node_oidc_new(&w->rp, c)) != SK_OK) {
		sodium_free(w);
		return st;
	}
	snprintf(w->label, sizeof(w->label), "%s", label);
	w->only = only;
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return SK_OK;
}

void web_oidc_free(web_oidc *w)
{
	if (w == NULL)
		return;
	node_oidc_free(w->rp);
	pthread_mutex_destroy(&w->lock);
	sodium_free(w); /* wipes the sign-ins under way */
}

void web_oidc_warm(web_oidc *w, uint64_t deadline)
{
	if (w != NULL && node_oidc_discover(w->rp, deadline) != SK_OK)
		sk_log(SK_LOG_WARNING, "oidc: %s; sign-ins try again", sk_error_detail());
}

const char *web_oidc_label(const web_oidc *w)
{
	return w != NULL ? w->label : NULL;
}

int web_oidc_only(const web_oidc *w)
{
	return w != NULL && w->only;
}

/* ---- sign-ins under way ------------------------------------------------------- */

static void pending_put(web_oidc *w, const pending *x)
{
	size_t slot = 0;

	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < WEB_OIDC_PENDING_MAX; i++) {
		if (w->p[i].id[0] == 0) {
			slot = i;
			break;
		}
		if (w->p[i].created < w->p[slot].created)
			slot = i; /* full: the oldest makes room */
	}
	w->p[slot] = *x;
	pthread_mutex_unlock(&w->lock);
}

/* The sign-in named id into *x, ended (a second callback finds nothing).
 * 0 when found and not older than WEB_OIDC_PENDING_MS. */
static int pending_take(web_oidc *w, const char *id, uint64_t now, pending *x)
{
	int found = -1;

	if (strlen(id) != NODE_OIDC_RANDOM_CHARS)
		return -1;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < WEB_OIDC_PENDING_MAX; i++) {
		if (w->p[i].id[0] == 0 || sodium_memcmp(w->p[i].id, id, NODE_OIDC_RANDOM_CHARS) != 0)
			continue;
		*x = w->p[i];
		sodium_memzero(&w->p[i], sizeof(w->p[i]));
		found = now - x->created <= WEB_OIDC_PENDING_MS ? 0 : -1;
		break;
	}
	pthread_mutex_unlock(&w->lock);
	return found;
}

/* ---- the routes ------------------------------------------------------------------ */

static void pre_cookie(web_req *r, const char *value, int clear)
{
	char c[200];

	snprintf(c, sizeof(c), WEB_OIDC_COOKIE "=%s; Path=/oidc/; HttpOnly; SameSite=Lax%s%s",
		 value, web_cookie_secure(r->app),
		 clear ? "; Max-Age=0" : "; Max-Age=600");
	web_header_add(r, "Set-Cookie", c);
	sodium_memzero(c, sizeof(c));
}

/* A refused sign-in: audited, logged for the operator, and the sign-in
 * page with the sentence for what (web/pages.c). */
static void refuse(web_req *r, const char *what, const char *why)
{
	char loc[64];

	sk_log(SK_LOG_WARNING, "oidc: a sign-in was refused: %s", why);
	node_signin_refused(r->app->s, WEB_OIDC_METHOD, why);
	snprintf(loc, sizeof(loc), "/signin?error=%s", what);
	web_redirect(r, loc);
}

static void start(web_req *r)
{
	web_oidc *w = r->app->oidc;
	char url[4096];
	pending x;

	if (node_oidc_discover(w->rp, r->deadline) != SK_OK) {
		sk_log(SK_LOG_WARNING, "oidc: %s", sk_error_detail());
		web_redirect(r, "/signin?error=oidc-unreachable");
		return;
	}
	node_oidc_random(x.id);
	node_oidc_random(x.state);
	node_oidc_random(x.nonce);
	node_oidc_random(x.verifier);
	x.created = sk_clock_now_ms();
	if (node_oidc_auth_url(w->rp, x.state, x.nonce, x.verifier, url, sizeof(url)) != SK_OK) {
		web_redirect(r, "/signin?error=oidc-failed");
	} else {
		pending_put(w, &x);
		pre_cookie(r, x.id, 0);
		web_redirect(r, url);
	}
	sodium_memzero(&x, sizeof(x));
}

/* Signed in: a page that goes on to "/" by itself. Not a redirect: after a
 * chain of redirects that began at the provider's site, browsers do not
 * send the SameSite=Strict session cookie; a navigation this page starts
 * is the node's own. */
static void signed_in(web_req *r)
{
	struct evbuffer *b = evbuffer_new();
	int en = r->lang == WEB_EN;

	if (b == NULL || evbuffer_add_printf(b,
		"<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		"<meta http-equiv=\"refresh\" content=\"0;url=/\"><title>%s</title></head>"
		"<body><main><h1>%s</h1><p><a id=\"continue\" href=\"/\">%s</a></p></main>"
		"</body></html>", en ? "en" : "nl", en ? "Signed in" : "Aangemeld",
		en ? "You are signed in" : "U bent aangemeld",
		en ? "Continue to schakel" : "Verder naar schakel") < 0) {
		if (b != NULL)
			evbuffer_free(b);
		web_redirect(r, "/");
		return;
	}
	web_reply_body(r, 200, "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

static void callback(web_req *r)
{
	web_oidc *w = r->app->oidc;
	const char *state = evhttp_find_header(&r->query, "state");
	const char *code = evhttp_find_header(&r->query, "code");
	char sid[80], login[NODE_LOGIN_MAX + 1];
	uint64_t now = sk_clock_now_ms();
	node_professional p;
	web_session *x;
	pending pre;
	sk_status st;

	memset(&pre, 0, sizeof(pre));
	pre_cookie(r, "", 1); /* one callback per sign-in, whatever comes of it */
	if (web_cookie(r, WEB_OIDC_COOKIE, sid, sizeof(sid)) == NULL ||
	    pending_take(w, sid, now, &pre) != 0) {
		refuse(r, "oidc-expired", "no sign-in of this browser under way (expired or used)");
		goto out;
	}
	if (state == NULL || strlen(state) != NODE_OIDC_RANDOM_CHARS ||
	    sodium_memcmp(state, pre.state, NODE_OIDC_RANDOM_CHARS) != 0) {
		refuse(r, "oidc-expired", "the state does not match this browser's sign-in");
		goto out;
	}
	if (evhttp_find_header(&r->query, "error") != NULL) {
		refuse(r, "oidc-denied", "the identity provider did not sign the professional in");
		goto out;
	}
	if (code == NULL || code[0] == 0 || strlen(code) > 2048) {
		refuse(r, "oidc-failed", "the identity provider's answer has no code");
		goto out;
	}
	st = node_oidc_exchange(w->rp, code, pre.verifier, pre.nonce, now, r->deadline, login,
				sizeof(login));
	if (st != SK_OK) {
		refuse(r, st == SK_ERR_IO ? "oidc-unreachable" : "oidc-failed", sk_error_detail());
		goto out;
	}
	st = node_signin_login(r->app->s, login, WEB_OIDC_METHOD, &p);
	if (st == SK_ERR_NOTFOUND || st == SK_ERR_INVALID) {
		sk_log(SK_LOG_WARNING, "oidc: a sign-in was refused: no professional is linked "
				       "to this login");
		web_redirect(r, "/signin?error=oidc-unknown");
		goto out;
	}
	if (st != SK_OK) {
		web_reply_error(r, 500, sk_strerror(st));
		goto out;
	}
	if ((x = web_signin(r, &p, now)) == NULL) {
		web_reply_error(r, 503, "too many requests at once; try again in a minute");
		goto out;
	}
	web_session_cookie(r, x->id, 0);
	signed_in(r);
out:
	sodium_memzero(&pre, sizeof(pre));
	sodium_memzero(sid, sizeof(sid));
	sodium_memzero(login, sizeof(login));
}

void web_oidc_handle(web_req *r)
{
	if (r->app->oidc == NULL)
		web_reply_error(r, 404, "sign-in with an identity provider is not set up here");
	else if (strcmp(r->path, "/oidc/start") == 0)
		start(r);
	else if (strcmp(r->path, "/oidc/callback") == 0)
		callback(r);
	else
		web_reply_error(r, 404, "no such page");
}
