/* What a member restored from a backup must not reuse: the highest entry
 * sequence number and the highest anchored audit record the registry holds
 * from it (ResumeRequest, answered from a read transaction). */
#ifndef SK_REG_RESUME_H
#define SK_REG_RESUME_H

#include "registry/op.h"

/* ResumeRequest: answered at once from a read transaction. */
extern const reg_op reg_op_resume;

#endif
