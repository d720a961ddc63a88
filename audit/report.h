/* The report for a client's request under AVG art. 15 and the Wabvpz, as
 * a resident reads it without help: from the node's own audit log, who at
 * this organisation did what with the client's data and why, by day
 * (page views folded into one line a day: "Anna de Vries (wijkcoach)
 * heeft uw dossier 3 keer bekeken"); which other organisations learned
 * through the federation that we are involved (by display name); how long
 * it is kept; the client's rights; whom to ask. One function builds the
 * content (audit_report_build), two render it: text here (the CLI), HTML
 * in web/pages_audit.c. No event code, client id or org id appears. */
#ifndef SK_AUDIT_REPORT_H
#define SK_AUDIT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "audit/log.h"
#include "audit/words.h"

#define AUDIT_REPORT_LINES_MAX 5000 /* lines of a report; the rest is counted */

/* The display name of professional user, or NULL when unknown; the string
 * must stay valid until the next call. */
typedef const char *(*audit_name_fn)(const char *user, void *arg);

typedef struct audit_report_opts {
	const char *client;   /* the client's local id (never shown) */
	const char *org_name; /* our organisation, e.g. "Sociaal wijkteam Zuid" */
	audit_lang lang;
	audit_name_fn name_of; /* professionals' names; NULL: roles only */
	void *name_arg;
	audit_name_fn org_of;  /* another org's display name by id; NULL or a
				* NULL answer: "een andere organisatie" */
	void *org_arg;
	uint64_t now_ms;       /* "drawn up on" */
	uint64_t retention_ms; /* how long the audit log keeps records */
	uint64_t case_until_ms; /* the latest end of the client's open cases;
				 * 0: none open */
	const char *privacy_contact; /* the privacy officer's contact; NULL: none set */
} audit_report_opts;

/* The report's content as a new JSON object (caller owns it):
 *   {"lang", "title", "org", "drawn_up", "intro",
 *    "sections": [{"id", "title", "days": [{"day", "lines": [text]}]?,
 *                  "empty"?, "paragraphs": [text]?}]}
 * Section ids: "use" (this organisation, by day), "partners" (other
 * organisations, by day), "retention", "rights", "contact". Read from the
 * log as txn sees it, through the client index. */
sk_status audit_report_build(json_t **out, const audit_log *log, MDB_txn *txn,
			     const audit_report_opts *o) SK_MUST_CHECK;

/* The content as plain text to fp (the CLI). */
sk_status audit_report_text(FILE *fp, const json_t *report) SK_MUST_CHECK;

#endif
