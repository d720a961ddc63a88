/* Member events for members that follow the federation's membership
 * (pseudonymisers refuse revoked orgs; nodes watch for certificates issued
 * for their own org id), and pseudonymisers' OPRF epoch keys, which become
 * leaves of the log. */
#ifndef SK_REG_EVENTS_H
#define SK_REG_EVENTS_H

#include "registry/op.h"

#define REG_EVENTS_MAX 1024 /* events per reply */

/* EpochKeyRequest (a pseudonymiser's OPRF epoch key) and EncKeyRequest
 * (a node's new encryption key, certified by its identity key): writer
 * jobs of one type, each a member-event leaf and the member's current
 * key. MemberEventsRequest: answered at once with the signed member
 * events from a leaf index on. ConsistencyRequest: answered at once with
 * the checkpoint reg_checkpoint_served picks for the peer (the latest
 * cosigned one when it covers req->from and the peer's bundle has a
 * quorum, else the latest) and the RFC 9162 consistency proofs to it from
 * req->from (none when 0) and from each req->also (SK_ERR_TRUNCATED when
 * one is beyond it: not cosigned yet). */
extern const reg_op reg_op_epoch_key;
extern const reg_op reg_op_enc_key;
extern const reg_op reg_op_member_events;
extern const reg_op reg_op_consistency;

#endif
