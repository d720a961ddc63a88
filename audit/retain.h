/* Retention runs over an audit log (audit/log.h): purges in batches, each
 * in a write transaction of its own together with its signed purge-marker
 * record, and a refusal (a legal hold) recorded as a denied purge. Shared
 * by the node's and the registry's `audit purge` and the registry's
 * daily sweep. */
#ifndef SK_AUDIT_RETAIN_H
#define SK_AUDIT_RETAIN_H

#include "audit/log.h"

typedef struct audit_purge_opts {
	/* org, system and optionally responsible, access_point, user of the
	 * marker record; event, action, outcome and reason are set here */
	const audit_record *marker;
	uint64_t now_ms;
	/* the owner's identity key; NULL: a dry run in a read transaction */
	const uint8_t *sk;
	audit_purge_fn each; /* may be NULL */
	void *arg;
} audit_purge_opts;

/* Purges everything due at o->now_ms (audit_log_purge()) batch by batch,
 * appending after each batch the marker record (event "audit.purge",
 * action D, reason naming the range, the chain hash and the signature).
 * *total gets first..last and count over all batches (reason: the last
 * batch's). A legal hold: SK_ERR_PERM with the detail kept, after a
 * denied "audit.purge" record is appended (not on a dry run). */
sk_status audit_purge_run(audit_log *log, MDB_env *env, const audit_purge_opts *o,
			  audit_purge_result *total) SK_MUST_CHECK;

/* Sets or releases (h->until_ms 0) the legal hold and appends the record
 * of it (event "audit.hold" or "audit.hold.release", action U, the reason
 * and end in its reason) to the log in one transaction; marker gives org,
 * system, responsible, access point as above. */
sk_status audit_hold_change(audit_log *log, MDB_env *env, const audit_record *marker,
			    const audit_hold *h) SK_MUST_CHECK;

/* Stores the retention (audit_log_retention_store()) with its record
 * (event "audit.retention", action U) in one transaction. */
sk_status audit_retention_change(audit_log *log, MDB_env *env, const audit_record *marker,
				 uint64_t ms) SK_MUST_CHECK;

#endif
