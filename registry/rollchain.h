/* Every rollover of the registry's log, not just the latest
 * (docs/protocol.md "Rollover", "A chain of rollovers"): an index from
 * each old origin to its statement's leaf, kept in the log's meta database
 * and written in reg_rollover's transaction, and the chain of statements
 * from an older origin to the current one, for a node or a witness that
 * is more than one rollover behind. A store that rolled over once before
 * the index existed still answers: the latest statement stands for its
 * old origin until the next rollover writes it into the index. */
#ifndef SK_REG_ROLLCHAIN_H
#define SK_REG_ROLLCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "protos/rollover.h"
#include "registry/store.h"

/* Before a rollover to new_origin appends its statement, in its write
 * transaction: writes the latest statement into the index when it is not
 * there yet (a store that rolled over before the index existed) and
 * refuses (SK_ERR_INVALID, one sentence) a new origin that this log had
 * before: every old origin rolls over once. */
sk_status reg_rollchain_begin(reg_store *s, MDB_txn *txn, const char *new_origin) SK_MUST_CHECK;

/* After the statement is appended at index: old_origin -> index. */
sk_status reg_rollchain_put(reg_store *s, MDB_txn *txn, const char *old_origin,
			    uint64_t index) SK_MUST_CHECK;

/* The leaf index of the statement that rolled origin over.
 * SK_ERR_NOTFOUND when this log never rolled origin over. */
sk_status reg_rollchain_find(reg_store *s, MDB_txn *txn, const char *origin,
			     uint64_t *index) SK_MUST_CHECK;

/* The chain from origin to s's current origin, for a ConsistencyResponse:
 * the statements in order, each with a checkpoint of its new log (the next
 * statement's restored checkpoint; the last link's is the served one,
 * note of size leaves, not copied) and the inclusion and consistency
 * proofs against it. Owns what the response points to. */
typedef struct reg_rollchain reg_rollchain;

/* Fills r's rollover fields (and r->chain for the links before the last)
 * with the chain from origin, proven against note (size leaves, the
 * checkpoint r serves). *out owned by the caller (reg_rollchain_free),
 * valid as long as r is used. SK_ERR_INVALID (detail set) when s's log did
 * not roll over from origin, SK_ERR_TOOBIG for more than
 * WIRE_ROLLOVER_CHAIN_MAX links, SK_ERR_TRUNCATED when note is of a tree
 * from before the latest statement. */
sk_status reg_rollchain_answer(reg_store *s, MDB_txn *txn, const char *origin, uint64_t size,
			       Schakel__V1__ConsistencyResponse *r,
			       reg_rollchain **out) SK_MUST_CHECK;
void reg_rollchain_free(reg_rollchain *c); /* accepts NULL */

/* The witnesses' add-rollover bodies (RolloverRequest) for every
 * statement of the chain the index holds, oldest first, at most
 * WIRE_ROLLOVER_CHAIN_MAX (the latest ones): a witness that follows an
 * older origin is brought forward one statement at a time; the last one's
 * checkpoint is the latest (*size its tree size). out[i] malloc'd, owned
 * by the caller; *n how many. SK_ERR_NOTFOUND when the log never rolled
 * over. */
sk_status reg_rollchain_requests(reg_store *s, MDB_txn *txn,
				 uint8_t *out[static WIRE_ROLLOVER_CHAIN_MAX],
				 size_t len[static WIRE_ROLLOVER_CHAIN_MAX], size_t *n,
				 uint64_t *size) SK_MUST_CHECK;

#endif
