/* Member events for members that follow the federation's membership
 * (pseudonymisers refuse revoked orgs; nodes watch for certificates issued
 * for their own org id), and pseudonymisers' OPRF epoch keys, which become
 * leaves of the log. */
#ifndef SK_REG_EVENTS_H
#define SK_REG_EVENTS_H

#include "net/conn.h"
#include "registry/op.h"
#include "registry/store.h"

#define REG_EVENTS_MAX 1024 /* events per reply */

/* Sends the signed member events with leaf index >= from (at most max). */
sk_status reg_events_send(reg_store *s, net_conn *c, uint64_t request_id, uint64_t from,
			  uint32_t max) SK_MUST_CHECK;

/* Sends the checkpoint reg_checkpoint_served picks for the peer (the
 * latest cosigned one when it covers req->from and the peer's bundle has a
 * quorum, else the latest) and the RFC 9162 consistency proofs to it from
 * req->from (none when 0) and from each req->also (SK_ERR_TRUNCATED when
 * one is beyond it: not cosigned yet). */
sk_status reg_consistency_send(reg_store *s, net_conn *c, uint64_t request_id,
			       const Schakel__V1__ConsistencyRequest *req) SK_MUST_CHECK;

/* An epoch key request of pseudonymiser org, checked on a worker and
 * applied by the writer (a member-event leaf, the member's current key). */
typedef struct reg_epoch {
	reg_store *store;
	char org_id[NET_ORG_ID_MAX + 1];
	Schakel__V1__EpochKeyBody *body;
	uint8_t *body_bytes;
	size_t body_len;
	uint8_t sig[KEY_SIG_BYTES];
	sk_status result;
	char reason[256];
	uint64_t leaf_index;
	int enc; /* an encryption key request (node), not an epoch key */
	uint8_t enc_key[KEY_X25519_PK_BYTES];
	uint64_t enc_not_after; /* unix seconds */
} reg_epoch;

sk_status reg_epoch_new(reg_epoch **out, reg_store *s, const net_peer *peer,
			const Schakel__V1__EpochKeyRequest *req) SK_MUST_CHECK;
/* A node's new encryption key, certified by its identity key; applied as
 * a member-event leaf and the member's current key. Same job type. */
sk_status reg_enc_key_new(reg_epoch **out, reg_store *s, const net_peer *peer,
			  const Schakel__V1__EncKeyRequest *req) SK_MUST_CHECK;
sk_status reg_epoch_apply(MDB_txn *txn, void *arg);
sk_status reg_epoch_send(reg_epoch *e, sk_status commit, net_conn *c,
			 uint64_t request_id) SK_MUST_CHECK;
void reg_epoch_free(reg_epoch *e);

/* EpochKeyRequest and EncKeyRequest: writer jobs, one type;
 * MemberEventsRequest and ConsistencyRequest: answered at once
 * (reg_events_send, reg_consistency_send). */
extern const reg_op reg_op_epoch_key;
extern const reg_op reg_op_enc_key;
extern const reg_op reg_op_member_events;
extern const reg_op reg_op_consistency;

#endif
