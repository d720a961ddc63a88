/* One request of `serve --web` as the API (web/api.h) and the pages
 * (web/pages.h) see it, with the state they share: the sessions of
 * professionals signed in with a password (node/auth.h), the parameters of
 * a request and the replies. docs/web.md is the contract.
 *
 * Threads (docs/web.md, "Threads"): the evhttp loop thread captures each
 * request into a web_req (web_req_capture) and a worker thread runs its
 * handler, which reads only that copy and writes its answer into it
 * (web_reply_*, web_redirect, web_stream_*), never the evhttp_request;
 * web_req_done hands the answer back to the loop thread, which sends it.
 * The sessions table is under web_app.lock; a handler works on its own
 * copy of its session (r->sess), which goes back to the table when the
 * request ends (flash messages, sign-out). */
#ifndef SK_WEB_REQ_H
#define SK_WEB_REQ_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/kek.h"
#include "common/pool.h"
#include "net/conn.h"
#include "node/client.h"
#include "node/professional.h"
#include "node/service.h"
#include "node/store.h"

#define WEB_SESSIONS_MAX 512
#define WEB_SESSION_IDLE_MS (30ull * 60 * 1000)
#define WEB_SESSION_MAX_MS (12ull * 3600 * 1000)
#define WEB_COOKIE "schakel_session"
/* over the node's own TLS: only ever set by this host over HTTPS */
#define WEB_COOKIE_TLS "__Host-schakel_session"
#define WEB_LANG_COOKIE "schakel_lang"
#define WEB_BODY_MAX (64u * 1024) /* a summary of NODE_DISCUSS_TEXT_MAX, encoded */
#define WEB_INTEGRATION_BODY_MAX (8u << 20) /* a batch of the client system (/api/integration/) */
/* what evhttp and web_req_capture take on /api/integration/: a little more,
 * so that a body over the cap is refused with the API's own JSON answer */
#define WEB_INTEGRATION_READ_MAX (WEB_INTEGRATION_BODY_MAX + WEB_BODY_MAX)
#define WEB_COPIES_MAX 64         /* requests handled at once: every worker's */
#define WEB_STREAM_QUEUE_MAX (1u << 20) /* a stream's bytes queued for its client
					 * before its worker waits */
#define WEB_REMOTE_DEADLINE_MS 15000ull /* a registry action, queueing included */

typedef enum web_lang { WEB_NL = 0, WEB_EN = 1 } web_lang;

/* Which workers run a request (docs/web.md, "Threads"): pages and local
 * API calls; actions that call the registry or the pseudonymisers (their
 * own few, with a deadline); sign-ins (argon2id: 64 MiB each); exports
 * (streamed, however long the client takes). */
typedef enum web_class {
	WEB_CLASS_PAGE = 0,
	WEB_CLASS_REMOTE,
	WEB_CLASS_SIGNIN,
	WEB_CLASS_EXPORT,
	WEB_CLASS_INTEGRATION, /* the client system's batches (web/api_integration.c) */
	WEB_CLASSES
} web_class;

typedef struct web_session {
	char id[65];   /* hex of 32 random bytes; "" when the slot is free */
	char csrf[65];
	char prof[NODE_ID_MAX + 1];
	char name[NODE_NAME_MAX + 1];
	char role[NODE_ROLE_MAX + 1];
	node_prof_kind kind;
	uint64_t created, seen; /* unix ms */
	uint64_t serial;        /* which sign-in the slot holds; 0 when free */
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

/* Lives in locked memory (sodium_malloc): the sessions and their copies
 * hold secrets. */
typedef struct web_app {
	node_store *s;
	sk_kek *kek;
	char token[65];     /* the bearer token of D/api-token */
	int secure_cookies; /* serve --secure-cookies: behind a TLS proxy */
	struct web_oidc *oidc; /* serve --oidc-*: the identity provider (web/oidc.h); NULL: none */
	int tls;            /* served over the node's own TLS (web/tls.h): HSTS,
			     * Secure cookies, the session cookie WEB_COOKIE_TLS */
	void (*sync_now)(void *arg); /* wakes the sync thread (any thread) */
	json_t *(*status)(void *arg);  /* GET /api/status (any thread) */
	void *arg;
	net_loop *loop;                /* the evhttp loop: where answers are sent */
	sk_pool *pool[WEB_CLASSES];    /* the workers of each class */
	unsigned inflight[WEB_CLASSES]; /* loop thread: requests queued or running */
	int closing;                    /* loop thread: evhttp is gone */
	/* under lock */
	pthread_mutex_t lock;
	pthread_cond_t drained; /* a stream's queue shrank, its client left, or stopping */
	int stopping;
	uint64_t serial;
	unsigned char copy_used[WEB_COPIES_MAX];
	web_session copies[WEB_COPIES_MAX]; /* each running request's r->sess */
	web_session sessions[WEB_SESSIONS_MAX];
} web_app;

/* The loop thread's side of a request (web/req.c). */
typedef struct web_conn web_conn;

/* One request as the API and pages see it. */
typedef struct web_req {
	web_app *app;
	web_session *sess;     /* the signed-in professional (this request's
				* copy); NULL with the token */
	int bearer;            /* authorised by the API token */
	char service[NODE_SERVICE_ID_MAX + 1]; /* the client system's service
						* (node/service.h) on /api/integration/;
						* "" elsewhere */
	enum evhttp_cmd_type method;
	char path[256];        /* decoded path, no query */
	struct evkeyvalq query;
	struct evkeyvalq form; /* a form body's fields */
	json_t *body;          /* a JSON body */
	int form_post;         /* answered with 303 and a message on the next page */
	web_lang lang;
	char peer[80];         /* "web:ADDRESS" for the audit log */
	web_class cls;
	int counted;           /* in app->inflight[cls] (the loop thread's) */
	uint64_t deadline;     /* WEB_CLASS_REMOTE: sk_clock_now_ms() by which it ends */
	int busy;              /* WEB_CLASS_REMOTE: no slot was free; answer at once */
	/* as received: the headers web.c reads, the raw body (wiped) */
	struct evkeyvalq in;
	uint8_t *raw;
	size_t raw_len;
	/* the answer, sent by the loop thread */
	int code;              /* 0 until answered */
	struct evkeyvalq out;
	struct evbuffer *reply;
	/* req.c's */
	web_conn *conn;
	size_t copy;           /* r->sess's index in app->copies; WEB_COPIES_MAX: none */
	size_t slot;           /* the session's slot in app->sessions ... */
	uint64_t serial;       /* ... and its serial when taken; 0: none */
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

/* ---- sessions -------------------------------------------------------- */

/* The table itself: the caller holds a->lock (handlers use r->sess and
 * web_signin instead). */
web_session *web_session_new(web_app *a, const node_professional *p, uint64_t now);
web_session *web_session_find(web_app *a, const char *id, uint64_t now);
/* Wipes x. On r->sess (a handler): the session ends when the request does. */
void web_session_end(web_session *x);
/* Sets x's message for the next page. On r->sess: kept when the request ends. */
void web_flash(web_session *x, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The request's session (cookie value id, NULL for none) into r->sess, a
 * copy of the table's; a page takes the messages waiting for it (the
 * copy shows them; what it leaves goes back). NULL when none is live. */
web_session *web_session_take(web_req *r, const char *id, int page);
/* Signs p in: a new session (any the request came with ends) as r->sess. */
web_session *web_signin(web_req *r, const node_professional *p, uint64_t now);
/* The value of cookie name in the request (copied into out, cap bytes),
 * or NULL when absent or longer. */
const char *web_cookie(const web_req *r, const char *name, char *out, size_t cap);
/* Sets (clear: removes) the session cookie WEB_COOKIE. */
void web_session_cookie(web_req *r, const char *value, int clear);
/* Back into the table: a message set, a session ended. Once per request,
 * by web.c. */
void web_session_put(web_req *r);

/* ---- replies ----------------------------------------------------------- */

/* Each sets the security headers (CSP, nosniff, no-store). A request is
 * answered once; a second answer is dropped (and logged). */
void web_headers(web_req *r, const char *content_type);
/* The session cookie's name: WEB_COOKIE_TLS over the node's own TLS, else
 * WEB_COOKIE. */
const char *web_cookie_name(const web_app *a);
/* "; Secure" when the pages go over HTTPS (TLS here or at a proxy), else "". */
const char *web_cookie_secure(const web_app *a);
/* An output header (Set-Cookie, Content-Disposition, ...). */
void web_header_add(web_req *r, const char *name, const char *value);
void web_reply_json(web_req *r, int code, json_t *doc); /* steals doc */
void web_reply_error(web_req *r, int code, const char *msg);
void web_redirect(web_req *r, const char *location);
/* A body: takes b's bytes (b stays the caller's, emptied); the security
 * headers with content_type unless web_headers set them already. */
void web_reply_body(web_req *r, int code, const char *content_type, struct evbuffer *b);

/* A body of any length, streamed (chunked): the headers set so far and
 * content_type go now, the bytes written to *fp follow as they come. On
 * failure nothing was sent and the headers are dropped: answer an error.
 * Writes wait while more than WEB_STREAM_QUEUE_MAX bytes are queued for
 * the client and fail once it has gone (or serve stops). Then
 * web_stream_end (always, once *fp was given). Worker threads only. */
sk_status web_stream_begin(web_req *r, int code, const char *content_type,
			   FILE **fp) SK_MUST_CHECK;
/* Flushes and closes the stream; SK_ERR_IO when not all of it reached the
 * connection (the client went away: a short download). */
sk_status web_stream_end(web_req *r, FILE *fp) SK_MUST_CHECK;

/* The acting professional: the session's, or the `as` parameter with the
 * token; NULL when none. */
const char *web_actor(const web_req *r);

/* ---- the request's way in and out (web.c, serve.c) -------------------- */

/* a's lock and condition; web_app_stop wakes waiting streams for good. */
sk_status web_app_init(web_app *a) SK_MUST_CHECK;
void web_app_stop(web_app *a);
void web_app_free(web_app *a); /* wipes the sessions; not a itself */

/* Loop thread: req captured (method, decoded path, query, the headers
 * web.c reads, the body, the peer) into a new web_req, and watched: a
 * client that goes away is noticed. NULL (nothing kept) when the request
 * line does not parse (*bad 400) or memory ran out (*bad 500). */
web_req *web_req_capture(web_app *a, struct evhttp_request *req, int *bad);
/* Loop thread: sends r's answer (a 500 when it has none) and frees r;
 * once app->closing (evhttp freed) it only frees r. */
void web_req_send(web_req *r);
/* Worker thread: hands r to the loop thread, which sends its answer and
 * frees it; the caller must not touch r afterwards. Without a loop
 * (app->loop NULL: no workers, the fuzzer) it sends at once. */
void web_req_done(web_req *r);

#endif
