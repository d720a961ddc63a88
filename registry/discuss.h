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
#include "registry/visibility.h"

#define REG_DISCUSSION_ID_BYTES 16
#define REG_DISCUSS_WINDOW_MAX_MS (90ull * 24 * 3600 * 1000)
#define REG_DISCUSS_SEALED_MAX 4096

typedef struct reg_discuss {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	Schakel__V1__DiscussRequest *req;   /* one of these two */
	Schakel__V1__DiscussAnswer *answer;
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

#endif
