/* What the pages (web/pages*.c) share: one page being written, its
 * frame, the escaping formatter and the form helpers. */
#ifndef SK_WEB_PAGE_H
#define SK_WEB_PAGE_H

#include <stdint.h>

#include <jansson.h>

#include "web/req.h"

typedef struct page {
	web_req *r;
	struct evbuffer *b;
} page;

/* nl or en, by the page's language. */
const char *page_t(const page *p, const char *nl, const char *en);
/* Writes fmt with %s escaped, %S raw (constant markup only), %d an int,
 * %U a uint64_t and %% a percent sign. */
void page_put(page *p, const char *fmt, ...);
/* A string member of j ("" when absent); an integer member (0). */
const char *page_js(const json_t *j, const char *key);
uint64_t page_ji(const json_t *j, const char *key);
/* A time (unix ms) in local time, "7 december 2026, 14:05" (common/when.h),
 * "-" for 0; page_date just the date. */
void page_when(page *p, uint64_t ms);
void page_date(page *p, uint64_t ms);
/* A code of the library or the wire (flag, consent giver, basis, state,
 * message kind, category, purpose...) as people read it in the page's
 * language; an unknown code as it is. page_words: a comma list of them. */
const char *page_word(const page *p, const char *code);
void page_words(page *p, const char *list);
/* Client id by name (opened in the node), org by its display name. */
void page_client(page *p, const char *id);
void page_org(page *p, const char *org);
void page_prof(page *p, const char *id); /* "Anna de Vries (wijkcoach)" */
/* A form posting to action, with the CSRF token and where to go next;
 * confirm: the question the script asks first, or NULL. */
void page_form_open(page *p, const char *id, const char *cls, const char *action,
		    const char *next, const char *confirm);
/* The frame up to and including the page's <h1> and its message. */
void page_head(page *p, const char *title);
/* Ends the page and sends it. */
void page_send(page *p, int code);
/* A page that only says why not (doc's "error"). */
void page_refusal_doc(page *p, int code, const json_t *doc);

/* Lists: at most this many rows a page (docs/web.md). */
#define PAGE_ROWS 50
/* "Vorige" and "Volgende" links of a paged list doc ({"items", "next",
 * "prev"}) under nav.pager#id: path?PREFIXbefore=...|PREFIXafter=...,
 * keeping the search text q (may be NULL). */
void page_pager(page *p, const char *id, const char *path, const char *prefix,
		const json_t *doc, const char *q);
/* The client of a list item as a page shows them: its client_name, else
 * "cliënt zonder naam". */
const char *page_client_name(const page *p, const json_t *item);

/* The pages, each (page, the path's rest after its route's '*'). */
void page_cases(page *p, const char *rest);       /* web/pages_cases.c */
void page_case(page *p, uint64_t id);
void page_case_close(page *p, uint64_t id);    /* "controleer en bevestig" */
void page_case_withdraw(page *p, uint64_t id); /* the same for a withdrawal */
/* form#case-open for client (a local id; NULL: a BSN field), the age
 * rule for age (-1 unknown) next to who consents. */
void page_case_open_form(page *p, const char *client, int age);        /* "controleer en bevestig" */
void page_clients(page *p, const char *rest);     /* web/pages_clients.c */
void page_client_view(page *p, const char *id);
void page_matches(page *p, const char *rest);
void page_discussions(page *p, const char *rest); /* web/pages_discuss.c */
void page_discussion(page *p, const char *id);
void page_tables(page *p, const char *rest);      /* web/pages_tables.c */
void page_table(page *p, const char *id);
void page_table_case(page *p, const char *id);
void page_audit(page *p, const char *rest);       /* web/pages_audit.c */
void page_report(page *p, const char *rest);
void page_review(page *p, const char *rest);
void page_verify(page *p, const char *rest);
void page_directory(page *p, const char *rest);   /* web/pages_directory.c */
void page_directory_org(page *p, const char *org);

#endif
