/* A member's view of the registry's audit records about itself
 * (AuditRecordsRequest): only records whose acting org is the asking org,
 * read inside the writer's transaction together with the audit record of
 * that read ("audit.records"), so that a node's `audit verify --reconcile`
 * can find registry actions with no record of its own. */
#ifndef SK_REG_RECONCILE_H
#define SK_REG_RECONCILE_H

#include "net/conn.h"
#include "registry/op.h"
#include "registry/store.h"

#define REG_RECORDS_MAX 256           /* records per reply, at most */
#define REG_RECORDS_BYTES (512u << 10) /* and bytes per reply */

typedef struct reg_reconcile reg_reconcile;

sk_status reg_reconcile_new(reg_reconcile **out, reg_store *s, const net_peer *peer,
			    const Schakel__V1__AuditRecordsRequest *req) SK_MUST_CHECK;
/* Writer thread: collects the records and audits the read, in txn. */
sk_status reg_reconcile_apply(MDB_txn *txn, void *arg);
/* Loop thread: the reply (or the commit's error). */
sk_status reg_reconcile_send(reg_reconcile *r, sk_status commit, net_conn *c,
			     uint64_t request_id) SK_MUST_CHECK;
void reg_reconcile_free(reg_reconcile *r);

/* AuditRecordsRequest: one writer job (the read and its audit record). */
extern const reg_op reg_op_reconcile;

#endif
