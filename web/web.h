/* The web side of `schakel-node serve --http`: each request parsed,
 * authenticated (the API token, or a session cookie with its CSRF token)
 * and routed to the JSON API (web/api.h), the pages (web/pages.h) or the
 * static files (web/assets.h). docs/web.md is the contract. */
#ifndef SK_WEB_WEB_H
#define SK_WEB_WEB_H

#include "web/req.h"

/* Answers one request of `serve --http` (the evhttp callback's work). */
void web_handle(web_app *a, struct evhttp_request *req);

#endif
