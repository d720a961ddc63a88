/* One member must not hurt the others: per-org quotas with their
 * counters, kept so that every check costs one read and one write of the
 * org's quota record inside the writer's transaction, never a scan (the
 * caps on what a request may carry and the refusal of fields this
 * registry does not know are registry/screen.h's). The operator changes an org's limits with
 * `schakel-registry quota`, also while `serve` runs (LMDB serialises the
 * writes; the writer reads the record afresh in every transaction). */
#ifndef SK_REG_QUOTA_H
#define SK_REG_QUOTA_H

#include <stddef.h>
#include <stdint.h>

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

#endif
