/* What the API's parts (web/api.c and web/api_*.c) share: the answers,
 * who may act, and the actions the route table of web/api.c calls. */
#ifndef SK_WEB_API_INT_H
#define SK_WEB_API_INT_H

#include "node/case.h"
#include "node/sync.h"
#include "web/req.h"

/* ---- answers (web/api.c) ---- */

/* nl or en, by the request's language. */
const char *api_tr(const web_req *r, const char *nl, const char *en);
/* {"error": msg} */
json_t *api_err(const char *msg);
/* A refusal of the library as an HTTP status with *out {"error": the
 * library's English detail, "code": msg_code(st)}. */
int api_fail(sk_status st, json_t **out);
/* "De verwijsindex is nu niet bereikbaar; ..." in the request's language:
 * what a remote route answers when the registry or a pseudonymiser does
 * not (docs/web.md). */
const char *api_unreachable(const web_req *r);

/* ---- who may (web/api.c); each 0, or the status with *out set ---- */

/* A professional (not a privacy officer) acts: the session's, or the
 * token's `as`. */
int api_need_prof(web_req *r, json_t **out);
int api_need_officer(web_req *r, json_t **out);
/* Case id of the acting professional into c: 404 for a case that is not
 * theirs, as for one that does not exist. */
int api_own_case(web_req *r, uint64_t id, node_case *c, json_t **out);
/* The clients of the actor's open cases (client -> true); NULL with the
 * token and no `as`: everyone. */
sk_status api_my_clients(web_req *r, json_t **set);
/* The actor's role for audit records. */
const char *api_actor_role(const web_req *r);
/* A list read: a professional's own, or everything with the token; *list
 * a new array. */
int api_list_begin(web_req *r, json_t **list, json_t **out);
/* {"items": items, "next", "prev"} of a page (steals items). */
json_t *api_page_doc(json_t *items, const node_page_out *pg);
/* The session with the registry for one action, bounded by the
 * request's deadline (web_req.deadline). */
int api_remote(web_req *r, node_remote **rem, json_t **out);

/* ---- the integration API (api_integration.c): r->service acts ---- */

int api_integration_clients(web_req *r, json_t **out);
int api_integration_cases(web_req *r, json_t **out);
int api_integration_consents(web_req *r, json_t **out);
int api_integration_client(web_req *r, const char *id, json_t **out);
int api_integration_case(web_req *r, const char *id, json_t **out);
/* One item of a batch into *it (refuse set when it does not parse);
 * for the fuzzer too. */
struct node_ecd_client;
struct node_ecd_case;
void api_integration_client_parse(const json_t *o, struct node_ecd_client *it);
void api_integration_case_parse(const json_t *o, int consent_only, struct node_ecd_case *it);

/* ---- actions: an HTTP status with *out; loc (cap bytes) the page a form
 * goes to next where the action decides it ---- */

int api_case_open(web_req *r, json_t **out, char *loc, size_t cap);     /* api_cases.c */
int api_case_consent(web_req *r, uint64_t id, json_t **out, char *loc, size_t cap);
int api_case_close(web_req *r, uint64_t id, json_t **out, char *loc, size_t cap);
int api_case_assign(web_req *r, uint64_t id, json_t **out);
int api_client_add(web_req *r, json_t **out, char *loc, size_t cap);  /* api_clients.c */
int api_client_find(web_req *r, json_t **out, char *loc, size_t cap);
int api_case_lookup(web_req *r, uint64_t id, json_t **out);
int api_discuss_request(web_req *r, json_t **out, char *loc, size_t cap); /* api_discuss.c */
int api_discuss_answer(web_req *r, const char *id, int accept, json_t **out);
int api_discuss_send(web_req *r, const char *id, int close, json_t **out);
/* api_tables.c: bring a case to table id (question, domains, urgency,
 * tried, parties, yes); loc the new case's page */
int api_table_submit(web_req *r, const char *id, json_t **out, char *loc, size_t cap);
/* api_tables.c: a message in table case id as the CLI's `table schedule`
 * (date), `invite` (org), `send` (text, subgroup, yes), `outcome` (regie
 * ORG:PROF, routed_to, breakthrough yes|no, outcome, evaluate, yes),
 * `subgroup` (org repeated, mandate, until, yes); a form's outcome or
 * subgroup without confirm=yes goes to /table-cases/ID/outcome or
 * /table-cases/ID/subgroup first (its fields kept in the session's
 * flash_doc). loc: the case's page. */
typedef enum {
	API_TABLE_SCHEDULE,
	API_TABLE_INVITE,
	API_TABLE_SEND,
	API_TABLE_OUTCOME,
	API_TABLE_SUBGROUP,
} api_table_verb;
int api_table_act(web_req *r, const char *id, api_table_verb verb, json_t **out, char *loc,
		  size_t cap);
void api_table_stats_csv(web_req *r, const char *id); /* answers itself */
void api_audit_download(web_req *r); /* api_audit.c: answers itself */
void api_audit_search(web_req *r);   /* answers itself */
int api_audit_signoff(web_req *r, json_t **out);

#endif
