/* The node's directory of the federation's members, built from the
 * registry's signed member events as sync follows them: each member's
 * identity key (which checks its discussion messages), name, category,
 * whether it was revoked, and its encryption keys, each certified by its
 * identity key (docs/design.md "Keys"). */
#ifndef SK_NODE_MEMBERS_H
#define SK_NODE_MEMBERS_H

#include "node/store.h"
#include "protos/wire.h"

#define NODE_MEMBER_ENC_MAX 4 /* encryption keys kept per member, newest */

typedef struct node_member {
	char org_id[NET_ORG_ID_MAX + 1];
	char name[NET_NAME_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	uint8_t identity_pk[KEY_ED25519_PK_BYTES];
	int revoked;
	size_t n_enc;
	struct {
		uint8_t pk[KEY_X25519_PK_BYTES];
		uint64_t not_after; /* unix seconds */
	} enc[NODE_MEMBER_ENC_MAX];
} node_member;

/* Applies one member event (already verified under the registry's key) in
 * txn. An encryption key whose certificate does not verify under the
 * member's identity key is refused with SK_ERR_VERIFY (an integrity
 * failure: the registry's log holds it). Events of other kinds, and of
 * members of other roles, are kept as far as they matter. */
sk_status node_members_apply(node_store *s, MDB_txn *txn, const Schakel__V1__MemberEvent *ev,
			     const uint8_t *ca_der, size_t ca_len) SK_MUST_CHECK;

/* The member org_id. SK_ERR_NOTFOUND when the directory has none. */
sk_status node_members_get(node_store *s, MDB_txn *txn, const char *org_id,
			   node_member *out) SK_MUST_CHECK;

/* The encryption key of m to seal to at now_s (unix seconds): the newest
 * one valid for at least another hour. SK_ERR_NOTFOUND when m has none. */
sk_status node_member_enc_key(const node_member *m, uint64_t now_s,
			      uint8_t pk[static KEY_X25519_PK_BYTES]) SK_MUST_CHECK;

#endif
