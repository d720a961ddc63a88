/* Anonymous case discussions at the registry (DESIGN.md): an invitation
 * names a token, a topic, a time window and a fresh discussion key, never
 * the requester; it goes to every org with a live DISCUSS entry for the
 * token that the requester's entry allows and that allows the requester,
 * under the federation's invitation rules. Acceptances, sealed to the
 * discussion key, go back to the requester; declines go nowhere. The
 * requester learns nothing until someone accepts. */
#ifndef SK_REG_DISCUSS_H
#define SK_REG_DISCUSS_H

#include "net/conn.h"
#include "registry/caps.h"
#include "registry/op.h"
#include "registry/visibility.h"

#define REG_DISCUSSION_ID_BYTES 16
#define REG_DISCUSS_WINDOW_MAX_MS (90ull * 24 * 3600 * 1000)
#define REG_DISCUSS_IDLE_MS (30ull * 24 * 3600 * 1000)    /* default idle expiry */
#define REG_DISCUSS_CLOSED_KEEP_MS (7ull * 24 * 3600 * 1000) /* close notices */

typedef struct reg_discuss {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	Schakel__V1__DiscussRequest *req;   /* one of these two */
	Schakel__V1__DiscussAnswer *answer;
	Schakel__V1__DiscussSend *send;
	char correlation[65], head[65];
	uint64_t now_ms;
	uint8_t id[REG_DISCUSSION_ID_BYTES];
	sk_status result;
	char reason[256];
} reg_discuss;

/* A job from an envelope of peer (the message is copied). */
sk_status reg_discuss_new(reg_discuss **out, reg_store *s, const net_peer *peer,
			  const wire_envelope *env) SK_MUST_CHECK;
sk_status reg_discuss_apply(MDB_txn *txn, void *arg);
sk_status reg_discuss_send(reg_discuss *d, sk_status commit, net_conn *c,
			   uint64_t request_id) SK_MUST_CHECK;
void reg_discuss_free(reg_discuss *d);

/* 1 when org may send to in ds as of txn: by the discussion's rules (the
 * requester writes to those who accepted; an acceptor to the requester
 * and the others it wrote to, once the requester wrote to it) and both
 * orgs enrolled and not revoked. */
int reg_discuss_may_write(reg_store *s, MDB_txn *txn, const Schakel__V1__Discussion *ds,
			  const char *org, const char *to);

/* Answers a participant's DiscussStateRequest from a read transaction:
 * whom org may write to now (the requester: those who accepted; an
 * acceptor: the requester and the others it wrote to, once the requester
 * wrote to it). Not a participant and no such discussion look the same. */
sk_status reg_discuss_state_send(reg_store *s, net_conn *c, uint64_t request_id, const char *org,
				 const Schakel__V1__DiscussStateRequest *req) SK_MUST_CHECK;

/* Ends, in txn, up to max discussions that are over: unanswered past
 * their window, idle for idle_ms, or closed for REG_DISCUSS_CLOSED_KEEP_MS;
 * their ciphertext leaves the mailboxes (the items stay, emptied, so that
 * cursors hold) and each end is audited. *ended (may be NULL) counts. */
sk_status reg_discuss_sweep(reg_store *s, MDB_txn *txn, uint64_t now, uint64_t idle_ms,
			    size_t max, size_t *ended) SK_MUST_CHECK;

/* DiscussRequest, DiscussAnswer and DiscussSend: writer jobs, one type;
 * DiscussStateRequest: answered at once (reg_discuss_state_send). */
extern const reg_op reg_op_discuss_request;
extern const reg_op reg_op_discuss_answer;
extern const reg_op reg_op_discuss_send;
extern const reg_op reg_op_discuss_state;

#endif
