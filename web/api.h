/* The JSON API of `serve --http` under /api/ (docs/web.md,
 * docs/openapi.yaml), and its reads, which the pages render too. */
#ifndef SK_WEB_API_H
#define SK_WEB_API_H

#include "web/req.h"

/* The API under /api/ (after authentication by web.c, except sign-in). */
void api_handle(web_req *r);
/* The workers of the route method path (the loop thread asks, before
 * authentication): WEB_CLASS_PAGE for any that is not in the table. */
web_class api_route_class(enum evhttp_cmd_type method, const char *path);

/* The API's reads, which pages render too: each returns an HTTP status
 * and sets *out (a new reference: the result, or {"error": ...}). */
int api_cases(web_req *r, json_t **out);
int api_case(web_req *r, uint64_t id, json_t **out);
int api_inbox(web_req *r, int matches, json_t **out);
int api_discussions(web_req *r, json_t **out);
int api_discussion(web_req *r, const char *id, json_t **out);
int api_audit_records(web_req *r, json_t **out);
int api_audit_report(web_req *r, json_t **out);
int api_audit_review(web_req *r, json_t **out);
int api_audit_verify(web_req *r, json_t **out);

#endif
