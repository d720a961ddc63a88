/* The append-only log's Merkle tree (RFC 9162 section 2.1, SHA-256): hashing,
 * roots and inclusion/consistency proofs generated over any store of subtree
 * hashes (LMDB, tlog-tiles, memory), their verification, and a frontier for
 * appending leaves one by one. No I/O; no allocation. */
#ifndef SK_MERKLE_H
#define SK_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define MERKLE_HASH_BYTES 32
/* The most hashes a proof may hold, generated or verified. Every inclusion
 * proof fits; a consistency proof needs 65 only when size2 > 2^63. */
#define MERKLE_PROOF_MAX 64
#define MERKLE_PROOF_BYTES (MERKLE_PROOF_MAX * MERKLE_HASH_BYTES)
/* Levels of complete subtrees below a 2^64-leaf tree: 0 (leaves) .. 63. */
#define MERKLE_LEVEL_MAX 63
#define MERKLE_FRONTIER_MAX 64

/* SHA-256(0x00 || data). */
void merkle_leaf_hash(uint8_t out[static MERKLE_HASH_BYTES], const uint8_t *data,
		      size_t len);

/* SHA-256(0x01 || left || right). out may alias left or right. */
void merkle_node_hash(uint8_t out[static MERKLE_HASH_BYTES],
		      const uint8_t left[static MERKLE_HASH_BYTES],
		      const uint8_t right[static MERKLE_HASH_BYTES]);

/* The root of the empty tree: SHA-256(""). */
void merkle_empty_root(uint8_t out[static MERKLE_HASH_BYTES]);

/* ---- Generation over a store of complete-subtree hashes ------------------ */

/* Writes to out the hash of the complete (perfect) subtree of 2^level leaves
 * starting at leaf index << level; level 0 gives leaf hashes. The functions
 * below only ask for level <= MERKLE_LEVEL_MAX and subtrees that lie wholly
 * inside the tree they were given; any status other than SK_OK is returned to
 * their caller unchanged. */
typedef sk_status (*merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
				   uint8_t out[static MERKLE_HASH_BYTES]);

typedef struct merkle_source {
	merkle_get_fn get;
	void *ctx;
} merkle_source;

/* The root of the tree of the first size leaves; the empty root for size 0.
 * Asks for at most popcount(size) hashes. */
sk_status merkle_root(uint8_t root[static MERKLE_HASH_BYTES],
		      const merkle_source *src, uint64_t size) SK_MUST_CHECK;

/* RFC 9162 2.1.3.1 PATH(index, D[0:size]): *proof_len hashes, the lowest
 * first, written to proof. SK_ERR_INVALID unless index < size. */
sk_status merkle_inclusion_proof(uint8_t proof[static MERKLE_PROOF_BYTES],
				 size_t *proof_len, const merkle_source *src,
				 uint64_t index, uint64_t size) SK_MUST_CHECK;

/* RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]): *proof_len hashes written to
 * proof; empty when size1 == size2. SK_ERR_INVALID unless
 * 0 < size1 <= size2; SK_ERR_TOOBIG if it would exceed MERKLE_PROOF_MAX. */
sk_status merkle_consistency_proof(uint8_t proof[static MERKLE_PROOF_BYTES],
				   size_t *proof_len, const merkle_source *src,
				   uint64_t size1, uint64_t size2) SK_MUST_CHECK;

/* ---- Verification (RFC 9162 2.1.3.2 and 2.1.4.2) ------------------------- */

/* Proofs are proof_len hashes of MERKLE_HASH_BYTES, concatenated; proof may be
 * NULL when proof_len is 0. Each returns SK_OK or SK_ERR_VERIFY, nothing else:
 * impossible sizes, an index beyond the tree, a proof of the wrong length or
 * longer than MERKLE_PROOF_MAX are all failed verifications. */

/* The root that an inclusion proof for leaf_hash at index in a tree of size
 * leaves leads to (RFC 9162 2.1.3.2 steps 1-4 and the sn == 0 check); the
 * caller compares it with a root it trusts. root is written only on SK_OK. */
sk_status merkle_inclusion_root(uint8_t root[static MERKLE_HASH_BYTES],
				const uint8_t leaf_hash[static MERKLE_HASH_BYTES],
				uint64_t index, uint64_t size, const uint8_t *proof,
				size_t proof_len) SK_MUST_CHECK;

/* leaf_hash is leaf index of the tree of size leaves whose root is root. */
sk_status merkle_inclusion_verify(const uint8_t root[static MERKLE_HASH_BYTES],
				  const uint8_t leaf_hash[static MERKLE_HASH_BYTES],
				  uint64_t index, uint64_t size, const uint8_t *proof,
				  size_t proof_len) SK_MUST_CHECK;

/* The tree of size2 leaves with root root2 extends the one of size1 leaves
 * with root root1. size1 == size2 verifies iff the proof is empty and the
 * roots are equal. WARNING: size1 == 0 always fails (RFC 9162 requires
 * 0 < first): every tree extends the empty one, so a caller holding a
 * size-0 checkpoint checks that its root is merkle_empty_root() instead. */
sk_status merkle_consistency_verify(const uint8_t root1[static MERKLE_HASH_BYTES],
				    const uint8_t root2[static MERKLE_HASH_BYTES],
				    uint64_t size1, uint64_t size2,
				    const uint8_t *proof, size_t proof_len) SK_MUST_CHECK;

/* ---- In-memory source ----------------------------------------------------- */

/* A source over an array of leaf hashes borrowed from the caller (which must
 * outlive it). Its get recomputes each subtree from the leaves, 2^level - 1
 * node hashes per call: meant for tests and small trees. */
typedef struct merkle_mem {
	const uint8_t *leaves; /* size * MERKLE_HASH_BYTES bytes */
	uint64_t size;
} merkle_mem;

/* Fills *src so that it reads from *mem. */
void merkle_mem_source(merkle_source *src, merkle_mem *mem);

/* The merkle_get_fn of merkle_mem (ctx is a merkle_mem *). SK_ERR_NOTFOUND
 * for a subtree that does not lie wholly inside the leaves. */
sk_status merkle_mem_get(void *ctx, unsigned level, uint64_t index,
			 uint8_t out[static MERKLE_HASH_BYTES]) SK_MUST_CHECK;

/* ---- Frontier: append leaves one by one, root in O(log n) ----------------- */

/* The roots of the complete subtrees that make up the tree of size leaves,
 * one per set bit of size, the largest (leftmost) first: hash[i] covers
 * 2^level leaves for the i-th set bit of size counted from the top. Plain
 * data: may be copied and stored as is; unused slots are zero. */
typedef struct merkle_frontier {
	uint64_t size;
	uint8_t hash[MERKLE_FRONTIER_MAX][MERKLE_HASH_BYTES];
} merkle_frontier;

/* The empty tree. */
void merkle_frontier_init(merkle_frontier *f);

/* Rebuilds the frontier of the first size leaves of src (after a restart),
 * asking for popcount(size) hashes. On an error *f is the empty tree. */
sk_status merkle_frontier_load(merkle_frontier *f, const merkle_source *src,
			       uint64_t size) SK_MUST_CHECK;

/* Appends one leaf hash. SK_ERR_TOOBIG when the tree already has 2^64 - 1
 * leaves (f is then unchanged). */
sk_status merkle_frontier_append(merkle_frontier *f,
				 const uint8_t leaf_hash[static MERKLE_HASH_BYTES]) SK_MUST_CHECK;

/* The root of the tree of f->size leaves. */
void merkle_frontier_root(uint8_t root[static MERKLE_HASH_BYTES],
			  const merkle_frontier *f);

#endif
