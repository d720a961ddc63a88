/* The pages of `serve --web` (docs/web.md), rendered on the server from
 * the API's reads (web/api.h). */
#ifndef SK_WEB_PAGES_H
#define SK_WEB_PAGES_H

#include "web/req.h"

/* The pages (GET); r->sess is NULL when no one is signed in. */
void pages_handle(web_req *r);
/* The page that only says why not. */
void pages_refusal(web_req *r, int code, const char *msg);

#endif
