/* The report for a client's request under AVG art. 15 and the Wabvpz:
 * from the node's own audit log, who at this organisation used the
 * client's data (records with the client's local id) and which other
 * organisations learned through the federation that we are involved (the
 * disclosure notices the node received), in plain Dutch or English.
 * People appear by organisation and role; names only when asked. */
#ifndef SK_AUDIT_REPORT_H
#define SK_AUDIT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/log.h"

typedef enum audit_lang {
	AUDIT_LANG_NL = 1,
	AUDIT_LANG_EN,
} audit_lang;

/* "nl" or "en"; SK_ERR_INVALID otherwise. */
sk_status audit_lang_parse(audit_lang *out, const char *s) SK_MUST_CHECK;

/* The display name of professional user, or NULL when unknown; the string
 * must stay valid until the next call. */
typedef const char *(*audit_name_fn)(const char *user, void *arg);

typedef struct audit_report_opts {
	const char *client;   /* the client's local id */
	const char *org_name; /* our organisation, e.g. "Sociaal wijkteam Zuid" */
	audit_lang lang;
	audit_name_fn name_of; /* NULL: roles only, no names */
	void *name_arg;
	uint64_t now_ms;       /* "drawn up at" */
	bool json;             /* a JSON array (one object per line of the
				* report, with "id", "kind" local|disclosure,
				* "time", "text") instead of text */
} audit_report_opts;

/* Writes the report for o->client to fp from the log as txn sees it,
 * oldest first in each part, times in the local time zone. */
sk_status audit_report_write(FILE *fp, const audit_log *log, MDB_txn *txn,
			     const audit_report_opts *o) SK_MUST_CHECK;

#endif
