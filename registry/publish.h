/* Publishing an entry (DESIGN.md "Entries"): the static checks and the
 * signature on a worker thread, then one writer job that applies the
 * stateful rules (live membership, used sequence numbers with idempotent
 * resubmission, no stale versions) and stores entry, leaf, receipt and
 * audit record in one transaction. Refusals are audited too. */
#ifndef SK_REG_PUBLISH_H
#define SK_REG_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"
#include "net/cert.h"
#include "net/conn.h"
#include "protos/wire.h"
#include "crypto/merkle.h"
#include "registry/op.h"
#include "registry/store.h"

#define REG_CORRELATION_MAX 32
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

typedef struct reg_publish {
	reg_store *store;
	char org_id[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	uint8_t *entry; /* the exact signed bytes (owned) */
	size_t entry_len;
	uint8_t sig[KEY_SIG_BYTES];
	char correlation[2 * REG_CORRELATION_MAX + 1]; /* hex, "" when absent */
	uint64_t now_ms;
	Schakel__V1__Entry *e; /* parsed by reg_publish_check */
	uint8_t identity_pk[KEY_ED25519_PK_BYTES];
	/* outcome */
	sk_status result;
	char reason[AUDIT_REASON_MAX + 1];
	int resubmission;
	Schakel__V1__UsedSeq *used; /* the receipt, on success */
	reg_receipt receipt; /* the commit's receipt batch, by reg_publish_sign_batch */
	/* made off the writer by reg_publish_finish */
	uint8_t *note;               /* the checkpoint for the reply (malloc'd) */
	size_t note_len;
	uint8_t proof[MERKLE_PROOF_BYTES];
	size_t proof_len;            /* hashes */
	sk_status reply_st;          /* SK_OK once the reply's parts are made */
} reg_publish;

/* A job from a PublishRequest of org peer (bytes are copied). */
sk_status reg_publish_new(reg_publish **out, reg_store *s, const net_peer *peer,
			  const Schakel__V1__PublishRequest *req) SK_MUST_CHECK;

/* Worker thread: static rules and the signature under the member's key.
 * Sets p->result and p->reason on a refusal. */
void reg_publish_check(reg_publish *p);

/* Writer job (sk_write_fn): applies the entry, or only audits the refusal
 * already in p->result. Returns a failure only when nothing could be
 * written (then the job's audit record is lost with it). */
sk_status reg_publish_apply(MDB_txn *txn, void *arg);

/* Writer thread, after reg_publish_apply: the receipt the commit signs
 * for p (an accepted publish or a resubmission, whose body is the
 * original's), or NULL when refused. */
reg_receipt *reg_publish_receipt(reg_publish *p);

/* Writer thread, in the batch hook before the commit: signs the n
 * receipts of the publishes the commit accepted (resubmissions included:
 * they get their original body), once for all (protos/wire.h), and gives
 * each its place and proof in the batch. One Ed25519 signature per commit
 * instead of one per entry. */
sk_status reg_publish_sign_batch(reg_receipt *const *rs, size_t n,
				 const uint8_t sk[static KEY_ED25519_SK_BYTES]) SK_MUST_CHECK;

/* On a worker after the durable commit (commit: its outcome): reads the
 * checkpoint and the inclusion proof for the reply, keeping the writer's
 * critical path short. */
void reg_publish_finish(reg_publish *p, sk_status commit);

/* On the loop thread after reg_publish_finish: sends c the receipt with
 * the latest checkpoint and the inclusion proof against it, or an Error
 * (commit's failure, or the refusal). */
sk_status reg_publish_send(reg_publish *p, sk_status commit, net_conn *c,
			   uint64_t request_id) SK_MUST_CHECK;

/* Accepts NULL. */
void reg_publish_free(reg_publish *p);

/* PublishRequest: checked on a worker, applied by the writer (flat: it
 * refuses before it writes), its receipt signed with the commit's batch
 * and its proof read on a worker after the commit. */
extern const reg_op reg_op_publish;

#endif
