/* One member must not hurt the others: the caps on what a request may
 * carry (registry/caps.h), refusal of fields this registry does not know,
 * and per-org quotas with their counters, kept so that every check costs
 * one read and one write of the org's quota record inside the writer's
 * transaction, never a scan. The operator changes an org's limits with
 * `schakel-registry quota`, also while `serve` runs (LMDB serialises the
 * writes; the writer reads the record afresh in every transaction). */
#ifndef SK_REG_QUOTA_H
#define SK_REG_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "net/cert.h"
#include "net/conn.h"
#include "protos/wire.h"
#include "registry/caps.h"
#include "registry/store.h"

/* The limit in force for field i (< REG_QUOTA_LIMITS): set or default. */
uint64_t reg_quota_limit(const reg_quota *q, int i);

/* A publish of org that changes its live entries by live_delta (-1, 0, +1)
 * at now: SK_OK with the counters advanced in txn, or SK_ERR_TOOBIG with
 * one sentence in why and nothing written. Withdrawals (live_delta -1)
 * are never refused: a member must always be able to take consent back.
 * Every other leaf a member adds (an anchor, an encryption or epoch key)
 * counts as a publish with live_delta 0. */
sk_status reg_quota_publish(reg_store *s, MDB_txn *txn, const char *org, int live_delta,
			    uint64_t now, char *why, size_t cap) SK_MUST_CHECK;

/* An entry of org left the live set without a publish (purged). */
sk_status reg_quota_live_dec(reg_store *s, MDB_txn *txn, const char *org) SK_MUST_CHECK;

/* org sends n sealed messages at now into a discussion that holds held:
 * SK_OK with the day's counter advanced in txn, or SK_ERR_TOOBIG and why. */
sk_status reg_quota_messages(reg_store *s, MDB_txn *txn, const char *org, uint64_t n,
			     uint64_t held, uint64_t now, char *why, size_t cap) SK_MUST_CHECK;

/* Sets the limits of org (each of set[i] != 0 replaces field i;
 * UINT64_MAX resets it to the default), audited as "quota.set" by the
 * command-line user. SK_ERR_NOTFOUND when org was never enrolled. */
sk_status reg_quota_set(reg_store *s, const char *org, const uint64_t set[REG_QUOTA_LIMITS],
			reg_quota *out) SK_MUST_CHECK;

/* A request the registry refuses before it reaches its handler: the body
 * carries unknown fields or is over a cap (under the request kind's
 * event), or its org's membership ended while the connection was open
 * ("member.session"). Audited through the writer (reg_refusal_apply),
 * answered with the sentence. */
typedef struct reg_refusal {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	const char *event; /* static */
	audit_action action;
	sk_status result;
	char reason[200];
} reg_refusal;

/* A refusal of org's request; NULL without memory. */
reg_refusal *reg_refusal_new(reg_store *s, const char *org, const char *event,
			     audit_action action, sk_status result, const char *reason);

/* NULL when env may go on to its handler; otherwise a refusal job for the
 * writer (*st SK_OK), or *st the error when none could be made. */
reg_refusal *reg_request_screen(reg_store *s, const net_peer *peer, const wire_envelope *env,
				sk_status *st);
sk_status reg_refusal_apply(MDB_txn *txn, void *arg);
sk_status reg_refusal_send(reg_refusal *r, sk_status commit, net_conn *c,
			   uint64_t request_id) SK_MUST_CHECK;
void reg_refusal_free(reg_refusal *r);

#endif
