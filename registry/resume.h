/* What a member restored from a backup must not reuse: the highest entry
 * sequence number and the highest anchored audit record the registry holds
 * from it (ResumeRequest, answered from a read transaction). */
#ifndef SK_REG_RESUME_H
#define SK_REG_RESUME_H

#include <stdint.h>

#include "net/conn.h"
#include "registry/op.h"
#include "registry/store.h"

/* Answers org's ResumeRequest on c. */
sk_status reg_resume_send(reg_store *s, net_conn *c, uint64_t request_id,
			  const char *org) SK_MUST_CHECK;

/* ResumeRequest: answered at once (reg_resume_send). */
extern const reg_op reg_op_resume;

#endif
