/* Publishing an entry (docs/design.md "Entries"): the static checks and the
 * signature on a worker thread, then one writer job that applies the
 * stateful rules (live membership, used sequence numbers with idempotent
 * resubmission, no stale versions) and stores entry, leaf, receipt and
 * audit record in one transaction. Refusals are audited too. */
#ifndef SK_REG_PUBLISH_H
#define SK_REG_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "protos/wire.h"
#include "registry/op.h"

#define REG_BATCH_PROOF_MAX 12 /* hashes: log2(WIRE_RECEIPT_BATCH_MAX) */

/* A publish's place in the receipt batch of its commit (protos/wire.h):
 * one Ed25519 signature over the RFC 9162 root of the commit's salted
 * receipt bodies, and the receipt's salt, place and proof under it. */
typedef struct reg_receipt {
	ProtobufCBinaryData body; /* the receipt body signed (borrowed) */
	/* set by reg_publish_sign_batch */
	uint8_t sig[KEY_SIG_BYTES];
	uint64_t size, index;
	uint8_t salt[WIRE_RECEIPT_SALT_BYTES];
	uint8_t proof[REG_BATCH_PROOF_MAX * MERKLE_HASH_BYTES];
	size_t proof_len; /* hashes */
} reg_receipt;

/* Writer thread, in the batch hook before the commit: signs the n
 * receipts of the publishes the commit accepted (resubmissions included:
 * they get their original body), once for all (protos/wire.h), and gives
 * each its place and proof in the batch. One Ed25519 signature per commit
 * instead of one per entry. */
sk_status reg_publish_sign_batch(reg_receipt *const *rs, size_t n,
				 const uint8_t sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;

/* PublishRequest: checked on a worker, applied by the writer (flat: it
 * refuses before it writes), its receipt signed with the commit's batch
 * and its proof read on a worker after the commit. */
extern const reg_op reg_op_publish;

#endif
