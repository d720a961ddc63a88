/* The registry's side of a rollover (docs/protocol.md "Rollover"): after
 * a restore, the log goes on under a new origin with the same key; the
 * restored tree stays its prefix and the signed statement is its next
 * leaf. The old origin's last checkpoint stays in the store as evidence. */
#ifndef SK_REG_ROLLOVER_H
#define SK_REG_ROLLOVER_H

#include <stddef.h>
#include <stdint.h>

#include "registry/store.h"

/* Rolls s's log over to new_origin in one write transaction: signs the
 * statement (the restored checkpoint: the latest of the current origin,
 * signed now if the tree outgrew it; witnessed: wlen bytes, a signed note
 * of the current origin under this registry's key, with the witnesses'
 * cosignatures, not smaller than the restored tree), appends its leaf and
 * keeps its contents, keeps the old origin's checkpoint, switches the
 * origin, signs the new log's first checkpoint and forgets the old log's
 * cosigned one (the next cosigning round asks for the new one); audited
 * (registry.rollover). reason: a SCHAKEL__V1__ROLLOVER_REASON__ value.
 * SK_ERR_VERIFY (with one sentence) for a witnessed note this registry
 * did not sign or that does not cover the restored tree; nothing changes
 * then. s must be opened with its keys, and no `serve` may run on the
 * dir (it keeps the origin it started with). */
sk_status reg_rollover(reg_store *s, const char *new_origin, const uint8_t *witnessed,
		       size_t wlen, int reason, uint64_t now_ms) SK_MUST_CHECK;

/* The latest rollover of s's log as of txn: the statement's bytes (*body,
 * malloc'd, owned by the caller), its signature and its leaf index.
 * SK_ERR_NOTFOUND when the log never rolled over. */
sk_status reg_rollover_get(reg_store *s, MDB_txn *txn, uint8_t **body, size_t *len,
			   uint8_t sig[static KEY_SIG_BYTES], uint64_t *index) SK_MUST_CHECK;

/* The body of a witness's add-rollover for s's log as of txn: the latest
 * rollover's statement, the latest checkpoint (*size, may be NULL, its
 * tree size), the inclusion proof of the statement's leaf in it and the
 * consistency proof from the restored tree (the leaves before the
 * statement). *out malloc'd, owned by the caller. SK_ERR_NOTFOUND when the
 * log never rolled over. */
sk_status reg_rollover_request(reg_store *s, MDB_txn *txn, uint8_t **out, size_t *len,
			       uint64_t *size) SK_MUST_CHECK;

/* The recovery report after the latest rollover of s's log as of txn:
 * fn is called for every live member, in org id order, with its role and
 * back: 1 when a node has published again since the rollover (its new
 * encryption key, which a node's first sync after a rollover publishes),
 * 0 when not yet, -1 for other roles (nothing of theirs is replayed in
 * this version). SK_ERR_NOTFOUND when the log never rolled over; any
 * status but SK_OK from fn stops the report and is returned. */
typedef sk_status (*reg_rollover_report_fn)(const char *org_id, int role, int back, void *arg);
sk_status reg_rollover_report(reg_store *s, MDB_txn *txn, reg_rollover_report_fn fn,
			      void *arg) SK_MUST_CHECK;

#endif
