/* The art. 15 report of one of the node's clients (audit/report.h) with
 * what the node knows: its professionals' names and roles, the
 * federation's members by display name (node/members.h), the audit log's
 * retention and the privacy officer's contact (node/org.h). The CLI and
 * the web render the same content. */
#ifndef SK_NODE_REPORT_H
#define SK_NODE_REPORT_H

#include <stdbool.h>

#include <jansson.h>

#include "audit/report.h"
#include "node/store.h"

/* The report's content (audit_report_build) for client (a local id), read
 * in txn; names: professionals by name (else by role only). */
sk_status node_report_build(node_store *s, MDB_txn *txn, const char *client, audit_lang lang,
			    bool names, json_t **out) SK_MUST_CHECK;

#endif
