/* The directory (the sociale kaart): each member's signed record of who
 * it is, what it offers and how to refer, each version a leaf of the log
 * (WIRE_LEAF_DIRECTORY over the signed DirectoryRecord) with a receipt
 * like a publish's; members fetch every live member's latest record with
 * its inclusion proof. A version at or below the one stored (a replay of
 * an old version, or the same version again) is refused: the record a
 * member holds can only move forward. */
#ifndef SK_REG_DIRECTORY_H
#define SK_REG_DIRECTORY_H

#include "registry/op.h"

/* Records a DirectoryResponse carries at most; a page also stops before
 * its bytes near the frame cap, and says more. */
#define REG_DIRECTORY_PAGE_MAX 64

/* DirectoryPublish: a writer job (checks, leaf, record, receipt, audit);
 * its receipt is signed with the commit's batch (reg_publish_sign_batch).
 * DirectoryRequest: answered at once from a read transaction. */
extern const reg_op reg_op_directory_publish;
extern const reg_op reg_op_directory_fetch;

#endif
