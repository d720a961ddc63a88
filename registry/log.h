/* The registry's append-only Merkle log (RFC 9162) in LMDB, and its signed
 * checkpoints (C2SP tlog-checkpoint). The tree database holds the hash of
 * every complete subtree, so roots and proofs for any size cost O(log n)
 * reads; leaf contents live with their records. Its keys, by the store's
 * "log.tree.layout" in meta:
 *   1 (every store whose tree was empty when this version opened it):
 *     u64be(the last leaf the subtree covers) || u8 level. The subtrees an
 *     append completes share its leaf, so a commit's new nodes sit together
 *     at the end of the database and dirty one or two of its pages;
 *   0 (older stores): u8 level || u64be(index), a tail page per level. */
#ifndef SK_REG_LOG_H
#define SK_REG_LOG_H

#include <stdint.h>

#include <lmdb.h>

#include "common/status.h"
#include "crypto/merkle.h"
#include "crypto/note.h"

typedef struct reg_log {
	MDB_dbi tree; /* node key (above) -> 32-byte hash */
	MDB_dbi meta; /* "log.size" -> u64be, "log.checkpoint" -> signed note */
	int layout;   /* of the tree's keys: 0 or 1 */
} reg_log;

/* Opens (creating) the databases and reads the tree's key layout, setting
 * layout 1 on an empty tree; call once at start-up, before writers. */
sk_status reg_log_open(reg_log *log, MDB_env *env) SK_MUST_CHECK;

/* A u64be value of the meta database by name (0 when absent), and its
 * update in a write transaction: counters kept next to the log. */
sk_status reg_log_meta_u64(const reg_log *log, MDB_txn *txn, const char *name,
			   uint64_t *v) SK_MUST_CHECK;
sk_status reg_log_meta_put_u64(const reg_log *log, MDB_txn *txn, const char *name,
			       uint64_t v) SK_MUST_CHECK;

/* The number of leaves as of txn. */
sk_status reg_log_size(const reg_log *log, MDB_txn *txn, uint64_t *size) SK_MUST_CHECK;

/* Appends one leaf hash inside the caller's write transaction, storing the
 * subtrees it completes; *index is the new leaf's index. */
sk_status reg_log_append(const reg_log *log, MDB_txn *txn,
			 const uint8_t leaf_hash[static MERKLE_HASH_BYTES],
			 uint64_t *index) SK_MUST_CHECK;

/* A merkle_source reading the tree as of txn (valid while txn and ctx are). */
struct reg_log_ctx {
	const reg_log *log;
	MDB_txn *txn;
};
void reg_log_source(merkle_source *src, struct reg_log_ctx *ctx, const reg_log *log,
		    MDB_txn *txn);

/* The root of the first size leaves. */
sk_status reg_log_root(const reg_log *log, MDB_txn *txn, uint64_t size,
		       uint8_t root[static MERKLE_HASH_BYTES]) SK_MUST_CHECK;

/* Signs a checkpoint for the current size with log_key (named after the
 * origin) and stores it as the latest, unless the latest already covers
 * this size. */
sk_status reg_log_checkpoint_update(const reg_log *log, MDB_txn *txn,
				    const note_signer *log_key,
				    const char *origin) SK_MUST_CHECK;

/* The latest signed checkpoint, copied into a malloc'd buffer owned by the
 * caller; *size is its tree size. SK_ERR_NOTFOUND before init. */
sk_status reg_log_checkpoint(const reg_log *log, MDB_txn *txn, uint8_t **note,
			     size_t *len, uint64_t *size) SK_MUST_CHECK;

#endif
