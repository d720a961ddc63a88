/* One request of `serve --http` as the API (web/api.h) and the pages
 * (web/pages.h) see it, with the state they share: the sessions of
 * professionals signed in with a password (node/auth.h), the parameters of
 * a request and the replies. docs/web.md is the contract; everything runs
 * on the serving thread. */
#ifndef SK_WEB_REQ_H
#define SK_WEB_REQ_H

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/kek.h"
#include "node/client.h"
#include "node/professional.h"
#include "node/store.h"

#define WEB_SESSIONS_MAX 512
#define WEB_SESSION_IDLE_MS (30ull * 60 * 1000)
#define WEB_SESSION_MAX_MS (12ull * 3600 * 1000)
#define WEB_COOKIE "schakel_session"
#define WEB_LANG_COOKIE "schakel_lang"
#define WEB_BODY_MAX (64u * 1024) /* a summary of NODE_DISCUSS_TEXT_MAX, encoded */

typedef enum web_lang { WEB_NL = 0, WEB_EN = 1 } web_lang;

typedef struct web_session {
	char id[65];   /* hex of 32 random bytes; "" when the slot is free */
	char csrf[65];
	char prof[NODE_ID_MAX + 1];
	char name[NODE_NAME_MAX + 1];
	char role[NODE_ROLE_MAX + 1];
	node_prof_kind kind;
	uint64_t created, seen; /* unix ms */
	/* what the next page shows once: a sentence, and the partners of a
	 * lookup on the case page */
	char flash[600];
	int flash_error;
	json_t *flash_doc;
	uint64_t flash_case;
	/* the client registered or found by BSN last: its page may be shown
	 * before she has a case for it */
	char client[NODE_CLIENT_ID_MAX + 1];
} web_session;

typedef struct web_app {
	node_store *s;
	sk_kek *kek;
	char token[65];     /* the bearer token of D/api-token */
	int secure_cookies; /* serve --secure-cookies: behind a TLS proxy */
	void (*sync_now)(void *arg); /* wakes the sync thread */
	json_t *(*status)(void *arg);  /* GET /api/status */
	void *arg;
	web_session sessions[WEB_SESSIONS_MAX];
} web_app;

/* One request as the API and pages see it. */
typedef struct web_req {
	struct evhttp_request *req;
	web_app *app;
	web_session *sess;     /* the signed-in professional; NULL with the token */
	int bearer;            /* authorised by the API token */
	char path[256];        /* decoded path, no query */
	struct evkeyvalq query;
	struct evkeyvalq form; /* a form body's fields */
	json_t *body;          /* a JSON body */
	int form_post;         /* answered with 303 and a message on the next page */
	web_lang lang;
	char peer[80];         /* "web:ADDRESS" for the audit log */
} web_req;

/* A parameter from the body (form or JSON) or else the query; NULL when
 * absent. */
const char *web_param(const web_req *r, const char *name);
/* 1 when parameter name is "yes", "1" or "on" (a ticked box). */
int web_param_yes(const web_req *r, const char *name);
/* The values of a repeated form field (checkboxes) or a JSON array or
 * comma list joined with commas into out; "" when none. -1 (out "") when
 * they do not fit: the caller refuses rather than act on a part. */
int web_param_list(const web_req *r, const char *name, char *out, size_t cap) SK_MUST_CHECK;

/* Sessions. */
web_session *web_session_new(web_app *a, const node_professional *p, uint64_t now);
web_session *web_session_find(web_app *a, const char *id, uint64_t now);
void web_session_end(web_session *x);
void web_flash(web_session *x, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Replies. Each sets the security headers (CSP, nosniff, no-store). */
void web_headers(web_req *r, const char *content_type);
void web_reply_json(web_req *r, int code, json_t *doc); /* steals doc */
void web_reply_error(web_req *r, int code, const char *msg);
void web_redirect(web_req *r, const char *location);

/* The acting professional: the session's, or the `as` parameter with the
 * token; NULL when none. */
const char *web_actor(const web_req *r);

#endif
