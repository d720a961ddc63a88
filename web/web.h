/* The web side of `schakel-node serve --web`: each request captured on
 * the loop thread, handed to a worker of its class (web/req.h), parsed,
 * authenticated (the API token, or a session cookie with its CSRF token)
 * and routed to the JSON API (web/api.h), the pages (web/pages.h) or the
 * static files (web/assets.h, answered on the loop thread). docs/web.md is
 * the contract. */
#ifndef SK_WEB_WEB_H
#define SK_WEB_WEB_H

#include "web/req.h"

/* Workers of each class (docs/web.md, "Threads"): pages wait on LMDB's
 * durable commits (every page view is audited), so more than the cores. */
#define WEB_PAGE_THREADS 8
#define WEB_REMOTE_THREADS 4
#define WEB_SIGNIN_THREADS 2
#define WEB_EXPORT_THREADS 2
#define WEB_INTEGRATION_THREADS 1 /* batches are one write transaction each */

/* The threads serve starts for each class's pool (a->pool). */
extern const unsigned web_class_threads[WEB_CLASSES];

/* The evhttp callback (loop thread): captures req and queues it to a
 * worker of its class, or answers at once (static files; 503 when the
 * class is full). */
void web_accept(web_app *a, struct evhttp_request *req);

#endif
