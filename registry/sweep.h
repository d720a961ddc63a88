/* Expiry and departures: expired entries stop matching at once (lookups
 * check expiry); the sweeper then purges their contents hour by hour of
 * expiry (the expiry index, visibility.h), leaving the leaf hashes in the
 * log. `revoke --purge` purges a departed org's entries and tells the
 * partners whose matches disappear. */
#ifndef SK_REG_SWEEP_H
#define SK_REG_SWEEP_H

#include "registry/store.h"

#define REG_SWEEP_SECONDS 60   /* how often serve sweeps */
#define REG_SWEEP_BATCH 10000  /* entries purged per sweep, at most */

/* Purges up to max entries that expired by now (expires_at <= now), in
 * txn, walking the expiry index up to now's hour bucket; an entry of that
 * bucket that expires later stays. Index keys that name no current version
 * of a live entry are deleted on the way (at most max a sweep), and the
 * walk stops after max entries still waiting, so a sweep's work stays
 * bounded. *purged (may be NULL) gets the count. */
sk_status reg_sweep(reg_store *s, MDB_txn *txn, uint64_t now, size_t max,
		    size_t *purged) SK_MUST_CHECK;

/* Purges every entry of org in txn; each partner that was mutually
 * visible with one of them gets a MATCH_GONE item. */
sk_status reg_purge_org(reg_store *s, MDB_txn *txn, const char *org, uint64_t now,
			size_t *purged) SK_MUST_CHECK;

#endif
