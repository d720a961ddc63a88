/* Nodes' audit heads anchored in the registry's log: each anchor is a leaf
 * (kind WIRE_LEAF_ANCHOR over the signed AnchorBody), so a node's audit
 * log cannot later lose records before an anchored head unnoticed, and the
 * node's privacy officer can compare against the registry's copy. */
#ifndef SK_REG_ANCHOR_H
#define SK_REG_ANCHOR_H

#include "net/conn.h"
#include "registry/op.h"
#include "registry/store.h"

#define REG_ANCHORS_MAX 1024 /* per reply */

typedef struct reg_anchor {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint8_t *body;
	size_t body_len;
	uint8_t sig[KEY_SIG_BYTES];
	uint64_t leaf_index;
	sk_status result;
	char reason[160];
} reg_anchor;

sk_status reg_anchor_new(reg_anchor **out, reg_store *s, const net_peer *peer,
			 const Schakel__V1__AnchorRequest *req) SK_MUST_CHECK;
sk_status reg_anchor_apply(MDB_txn *txn, void *arg);
sk_status reg_anchor_send(reg_anchor *a, sk_status commit, net_conn *c,
			  uint64_t request_id) SK_MUST_CHECK;
void reg_anchor_free(reg_anchor *a);

/* Sends org its anchors with seq > after (oldest first). */
sk_status reg_anchors_send(reg_store *s, net_conn *c, uint64_t request_id, const char *org,
			   uint64_t after) SK_MUST_CHECK;

/* AnchorRequest: a writer job; AnchorsRequest: answered at once
 * (reg_anchors_send). */
extern const reg_op reg_op_anchor;
extern const reg_op reg_op_anchors;

#endif
