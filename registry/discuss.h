/* Anonymous case discussions at the registry (docs/design.md): an invitation
 * names a token, a topic, a time window and a fresh discussion key, never
 * the requester; it goes to every org with a live DISCUSS entry for the
 * token that the requester's entry allows and that allows the requester,
 * under the federation's invitation rules. Acceptances, sealed to the
 * discussion key, go back to the requester; declines go nowhere. The
 * requester learns nothing until someone accepts. */
#ifndef SK_REG_DISCUSS_H
#define SK_REG_DISCUSS_H

#include "registry/caps.h"
#include "registry/op.h"

#define REG_DISCUSSION_ID_BYTES 16
#define REG_DISCUSS_WINDOW_MAX_MS (90ull * 24 * 3600 * 1000)
#define REG_DISCUSS_IDLE_MS (30ull * 24 * 3600 * 1000)    /* default idle expiry */
#define REG_DISCUSS_CLOSED_KEEP_MS (7ull * 24 * 3600 * 1000) /* close notices */

/* 1 when org may send to in ds as of txn: by the discussion's rules (the
 * requester writes to those who accepted; an acceptor to the requester
 * and the others it wrote to, once the requester wrote to it) and both
 * orgs enrolled and not revoked. */
int reg_discuss_may_write(reg_store *s, MDB_txn *txn, const Schakel__V1__Discussion *ds,
			  const char *org, const char *to);

/* Ends, in txn, up to max discussions that are over: unanswered past
 * their window, idle for idle_ms, or closed for REG_DISCUSS_CLOSED_KEEP_MS;
 * their ciphertext leaves the mailboxes (the items stay, emptied, so that
 * cursors hold) and each end is audited. *ended (may be NULL) counts. */
sk_status reg_discuss_sweep(reg_store *s, MDB_txn *txn, uint64_t now, uint64_t idle_ms,
			    size_t max, size_t *ended) SK_MUST_CHECK;

/* DiscussRequest, DiscussAnswer and DiscussSend: writer jobs, one type.
 * DiscussStateRequest: a participant's, answered at once from a read
 * transaction: whom org may write to now (the requester: those who
 * accepted; an acceptor: the requester and the others it wrote to, once
 * the requester wrote to it). Not a participant and no such discussion
 * look the same. */
extern const reg_op reg_op_discuss_request;
extern const reg_op reg_op_discuss_answer;
extern const reg_op reg_op_discuss_send;
extern const reg_op reg_op_discuss_state;

#endif
