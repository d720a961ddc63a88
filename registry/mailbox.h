/* Members' mailboxes at the registry: disclosure notices, match
 * notifications and pattern flags, each numbered per member so that the
 * member pulls with a cursor (items after seq N). Items are written inside
 * the transaction that causes them. */
#ifndef SK_REG_MAILBOX_H
#define SK_REG_MAILBOX_H

#include "net/conn.h"
#include "registry/op.h"
#include "registry/store.h"

#define REG_MAILBOX_PULL_MAX 1024

/* Appends item (its seq is assigned) to org's mailbox in txn. */
sk_status reg_mailbox_put(reg_store *s, MDB_txn *txn, const char *org,
			  Schakel__V1__MailboxItem *item) SK_MUST_CHECK;

/* A pattern flag about org: into its mailbox (for its privacy officer) and
 * the operator's list (`schakel-registry flags`). */
sk_status reg_flag(reg_store *s, MDB_txn *txn, const char *org, const char *detail,
		   const uint8_t *token, uint32_t epoch, uint64_t now) SK_MUST_CHECK;

/* The mailbox key of org's item seq (org NUL u64be(seq)) into k (room
 * for REG_MAILBOX_KEY_MAX bytes); returns its length. */
#define REG_MAILBOX_KEY_MAX (NET_ORG_ID_MAX + 1 + 8)
size_t reg_mailbox_key(uint8_t *k, const char *org, uint64_t seq);

/* The highest seq in org's mailbox of an item made before before_ms (its
 * time), 0 when none: walked back from the newest, so the cost is the
 * items made since. */
sk_status reg_mailbox_last_before(reg_store *s, MDB_txn *txn, const char *org,
				  uint64_t before_ms, uint64_t *seq) SK_MUST_CHECK;

/* Empties the item under key (a reg_mailbox_key): its sealed content and
 * discussion key go, the item and its seq stay so that cursors hold.
 * SK_OK when there is no such item. */
sk_status reg_mailbox_strip(reg_store *s, MDB_txn *txn, const uint8_t *key,
			    size_t klen) SK_MUST_CHECK;

/* org's items with seq > after (at most max, and at most half a frame of
 * bytes) and its newest seq into *r; the items are owned by the caller
 * (reg_mailbox_response_clear). SK_ERR_PERM (detail set) when org is
 * revoked or not enrolled: a revoked org's mailbox is closed. */
sk_status reg_mailbox_read(reg_store *s, const char *org, uint64_t after, uint32_t max,
			   Schakel__V1__MailboxResponse *r) SK_MUST_CHECK;
void reg_mailbox_response_clear(Schakel__V1__MailboxResponse *r);

/* MailboxRequest: answered at once with reg_mailbox_read's items for the
 * asking org, or its refusal as an Error reply. */
extern const reg_op reg_op_mailbox;

#endif
