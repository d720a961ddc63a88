/* The JSON API of `serve --web` under /api/ (docs/web.md,
 * docs/openapi.yaml), and its reads, which the pages render too. */
#ifndef SK_WEB_API_H
#define SK_WEB_API_H

#include "node/pager.h"
#include "web/req.h"

/* The integration API for the client system (web/api_integration.c):
 * 1 when path is under /api/integration/; then api_integration_begin
 * checks the service credential (r->service) and reads the JSON body: 0,
 * or -1 when it answered the refusal itself. */
int api_integration_path(const char *path);
int api_integration_begin(web_req *r);
/* After the route: the BSNs of the body wiped, whatever the route did. */
void api_integration_end(web_req *r);

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

/* The lists are paged (node/pager.h): {"items": [...], "next": CURSOR or
 * null, "prev": CURSOR or null}, newest first. The parameters limit
 * (1..max; default 50 or max if smaller), after, before and q (a name)
 * into *pr, named with prefix ("" or e.g. "n" for nafter): 0, or 400 with
 * *out. The strings stay the request's. */
int api_page_params(web_req *r, const char *prefix, size_t max, node_page_req *pr,
		    json_t **out);
int api_cases_page(web_req *r, const node_page_req *pr, json_t **out);
int api_inbox_page(web_req *r, int matches, const node_page_req *pr, json_t **out);
int api_discussions_page(web_req *r, const node_page_req *pr, json_t **out);

int api_clients(web_req *r, json_t **out);                  /* api_clients.c */
int api_client(web_req *r, const char *id, json_t **out);
int api_professionals(web_req *r, json_t **out);

/* The name of client id for a page (out, cap bytes) and its age in years
 * (age may be NULL; -1 unknown): opened in the node, the rest of the
 * record wiped; "cliënt zonder naam" when it has none. 0, or -1 when it
 * cannot be read (out still says something). */
int api_client_label(web_req *r, const char *id, char *out, size_t cap, int *age);
/* The name (else id) and role ("" unknown) of professional id. */
int api_prof_label(web_req *r, const char *id, char *out, size_t cap, char *role,
		   size_t role_cap);
/* The display name of partner org: its record on the sociale kaart
 * (node/directory.h), else the member list's name, else org. */
int api_org_label(web_req *r, const char *org, char *out, size_t cap);
/* The sentence for people of a refusal doc in the request's language:
 * through the message table (web/msg.h) when it has a "code" (a library
 * refusal), else its "error". */
const char *api_error_text(const web_req *r, const json_t *doc);
int api_discussion(web_req *r, const char *id, json_t **out);
/* api_tables.c: the case tables this org may see ({"items": [...]}), a
 * table with its "cases" (the agenda), a case with its thread and outcome
 * (its client only to the professionals assigned to that client). */
int api_tables(web_req *r, json_t **out);
int api_table(web_req *r, const char *id, json_t **out);
int api_table_case(web_req *r, const char *id, json_t **out);
/* the figures of table id over the request's since..until (YYYY-MM-DD,
 * until exclusive; empty: unbounded), audited "table.stats" */
int api_table_stats(web_req *r, const char *id, json_t **out);
int api_audit_records(web_req *r, json_t **out);
int api_audit_report(web_req *r, json_t **out);
int api_audit_review(web_req *r, json_t **out);
int api_audit_verify(web_req *r, json_t **out);

#endif
