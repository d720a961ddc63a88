/* A member's view of the registry's audit records about itself
 * (AuditRecordsRequest): only records whose acting org is the asking org,
 * read inside the writer's transaction together with the audit record of
 * that read ("audit.records"), so that a node's `audit verify --reconcile`
 * can find registry actions with no record of its own. */
#ifndef SK_REG_RECONCILE_H
#define SK_REG_RECONCILE_H

#include "registry/op.h"

#define REG_RECORDS_MAX 256           /* records per reply, at most */
#define REG_RECORDS_BYTES (512u << 10) /* and bytes per reply */

/* AuditRecordsRequest: one writer job (the read and its audit record). */
extern const reg_op reg_op_reconcile;

#endif
