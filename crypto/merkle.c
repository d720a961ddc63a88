#include <string.h>

#include <sodium.h>

#include "crypto/merkle.h"

#define LEAF_PREFIX 0x00
#define NODE_PREFIX 0x01

static unsigned bitlen64(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

static unsigned popcount64(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

static int is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

void merkle_leaf_hash(uint8_t out[static MERKLE_HASH_BYTES], const uint8_t *data,
		      size_t len)
{
	static const uint8_t prefix = LEAF_PREFIX;
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len > 0)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void merkle_node_hash(uint8_t out[static MERKLE_HASH_BYTES],
		      const uint8_t left[static MERKLE_HASH_BYTES],
		      const uint8_t right[static MERKLE_HASH_BYTES])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_BYTES];

	/* copied first, so out may alias left or right */
	buf[0] = NODE_PREFIX;
	memcpy(buf + 1, left, MERKLE_HASH_BYTES);
	memcpy(buf + 1 + MERKLE_HASH_BYTES, right, MERKLE_HASH_BYTES);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

void merkle_empty_root(uint8_t out[static MERKLE_HASH_BYTES])
{
	static const uint8_t none = 0;

	crypto_hash_sha256(out, &none, 0);
}

/* MTH(D[start:end]) for end > start where start is a multiple of the largest
 * power of two <= end - start: then the range splits into complete subtrees,
 * one per set bit of end - start, largest first, and RFC 9162's recursion
 * folds them from the right. */
static sk_status range_hash(uint8_t out[static MERKLE_HASH_BYTES],
			    const merkle_source *src, uint64_t start, uint64_t end)
{
	uint8_t h[MERKLE_HASH_BYTES];
	uint64_t rest = end - start, pos = end;
	int first = 1;
	sk_status st = SK_OK;

	for (unsigned b = 0; rest != 0; b++, rest >>= 1) {
		if ((rest & 1) == 0)
			continue;
		pos -= (uint64_t)1 << b;
		st = src->get(src->ctx, b, pos >> b, first ? out : h);
		if (st != SK_OK)
			goto out;
		if (!first)
			merkle_node_hash(out, h, out);
		first = 0;
	}
out:
	return st;
}

/* Appends to proof (holding *len hashes) the path from the complete node
 * (level, index) to the root of the tree of size leaves, lowest first.
 * Below the level where the paths to the node and to the last leaf part
 * ("inner"), the siblings are complete subtrees except the last one, which
 * ends at the last leaf; above it, the node lies on the right border and
 * has a left sibling wherever its index has a set bit. */
static sk_status path_append(uint8_t proof[static MERKLE_PROOF_BYTES], size_t *len,
			     const merkle_source *src, unsigned level,
			     uint64_t index, uint64_t size)
{
	uint64_t last = (size - 1) >> level;
	unsigned inner = bitlen64(index ^ last);
	sk_status st = SK_OK;

	for (unsigned i = 0; i < 64 && (i < inner || (index >> i) != 0); i++) {
		uint64_t sib = (index >> i) ^ 1;
		unsigned lvl = level + i;
		uint8_t *dst;

		if (i >= inner && (sib & 1) != 0)
			continue; /* on the border: no left sibling at this level */
		if (*len == MERKLE_PROOF_MAX) {
			st = SK_ERR_TOOBIG;
			goto out;
		}
		dst = proof + *len * MERKLE_HASH_BYTES;
		if (i + 1 == inner) /* the right sibling that holds the last leaf */
			st = range_hash(dst, src, sib << lvl, size);
		else
			st = src->get(src->ctx, lvl, sib, dst);
		if (st != SK_OK)
			goto out;
		(*len)++;
	}
out:
	return st;
}

sk_status merkle_root(uint8_t root[static MERKLE_HASH_BYTES],
		      const merkle_source *src, uint64_t size)
{
	if (size == 0) {
		merkle_empty_root(root);
		return SK_OK;
	}
	return range_hash(root, src, 0, size);
}

sk_status merkle_inclusion_proof(uint8_t proof[static MERKLE_PROOF_BYTES],
				 size_t *proof_len, const merkle_source *src,
				 uint64_t index, uint64_t size)
{
	sk_status st = SK_ERR_INVALID;

	*proof_len = 0;
	if (index >= size)
		goto out;
	st = path_append(proof, proof_len, src, 0, index, size);
out:
	if (st != SK_OK)
		*proof_len = 0;
	return st;
}

sk_status merkle_consistency_proof(uint8_t proof[static MERKLE_PROOF_BYTES],
				   size_t *proof_len, const merkle_source *src,
				   uint64_t size1, uint64_t size2)
{
	unsigned level;
	uint64_t index;
	sk_status st = SK_ERR_INVALID;

	*proof_len = 0;
	if (size1 == 0 || size1 > size2)
		goto out;
	st = SK_OK;
	if (size1 == size2)
		goto out;
	/* The largest complete subtree ending at size1; the proof is its hash
	 * (left out when it is the whole old tree, whose root the verifier
	 * has) followed by its path in the new tree. */
	level = (unsigned)__builtin_ctzll(size1);
	index = (size1 - 1) >> level;
	if (index != 0) {
		st = src->get(src->ctx, level, index, proof);
		if (st != SK_OK)
			goto out;
		*proof_len = 1;
	}
	st = path_append(proof, proof_len, src, level, index, size2);
out:
	if (st != SK_OK)
		*proof_len = 0;
	return st;
}

sk_status merkle_inclusion_root(uint8_t root[static MERKLE_HASH_BYTES],
				const uint8_t leaf_hash[static MERKLE_HASH_BYTES],
				uint64_t index, uint64_t size, const uint8_t *proof,
				size_t proof_len)
{
	uint8_t r[MERKLE_HASH_BYTES];
	uint64_t fn, sn;
	sk_status st = SK_ERR_VERIFY;

	if (proof_len > MERKLE_PROOF_MAX || (proof == NULL && proof_len != 0))
		goto out;
	/* RFC 9162 2.1.3.2, steps 1-5 */
	if (index >= size)
		goto out;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_BYTES);
	for (size_t i = 0; i < proof_len; i++) {
		const uint8_t *p = proof + i * MERKLE_HASH_BYTES;

		if (sn == 0)
			goto out;
		if ((fn & 1) != 0 || fn == sn) {
			merkle_node_hash(r, p, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, r, p);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		goto out;
	memcpy(root, r, MERKLE_HASH_BYTES);
	st = SK_OK;
out:
	return st;
}

sk_status merkle_inclusion_verify(const uint8_t root[static MERKLE_HASH_BYTES],
				  const uint8_t leaf_hash[static MERKLE_HASH_BYTES],
				  uint64_t index, uint64_t size, const uint8_t *proof,
				  size_t proof_len)
{
	uint8_t r[MERKLE_HASH_BYTES];
	sk_status st;

	st = merkle_inclusion_root(r, leaf_hash, index, size, proof, proof_len);
	if (st != SK_OK)
		goto out;
	if (sodium_memcmp(r, root, MERKLE_HASH_BYTES) != 0)
		st = SK_ERR_VERIFY;
out:
	return st;
}

sk_status merkle_consistency_verify(const uint8_t root1[static MERKLE_HASH_BYTES],
				    const uint8_t root2[static MERKLE_HASH_BYTES],
				    uint64_t size1, uint64_t size2,
				    const uint8_t *proof, size_t proof_len)
{
	uint8_t fr[MERKLE_HASH_BYTES], sr[MERKLE_HASH_BYTES];
	uint64_t fn, sn;
	size_t count, k0;
	sk_status st = SK_ERR_VERIFY;

	if (proof_len > MERKLE_PROOF_MAX || (proof == NULL && proof_len != 0))
		goto out;
	if (size1 == 0 || size1 > size2)
		goto out;
	if (size1 == size2) {
		if (proof_len == 0 && sodium_memcmp(root1, root2, MERKLE_HASH_BYTES) == 0)
			st = SK_OK;
		goto out;
	}
	/* RFC 9162 2.1.4.2 for 0 < first < second. Step 1. */
	if (proof_len == 0)
		goto out;
	/* Step 2, without copying: element k of the path is root1 when k
	 * is 0 and first is a power of two, else proof hash k - k0. */
	k0 = is_pow2(size1) ? 1 : 0;
	count = proof_len + k0;
	/* Steps 3-5 */
	fn = size1 - 1;
	sn = size2 - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, k0 ? root1 : proof, MERKLE_HASH_BYTES);
	memcpy(sr, fr, MERKLE_HASH_BYTES);
	/* Step 6 */
	for (size_t k = 1; k < count; k++) {
		const uint8_t *c = proof + (k - k0) * MERKLE_HASH_BYTES;

		if (sn == 0)
			goto out;
		if ((fn & 1) != 0 || fn == sn) {
			merkle_node_hash(fr, c, fr);
			merkle_node_hash(sr, c, sr);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7 */
	if (sodium_memcmp(fr, root1, MERKLE_HASH_BYTES) == 0 &&
	    sodium_memcmp(sr, root2, MERKLE_HASH_BYTES) == 0 && sn == 0)
		st = SK_OK;
out:
	return st;
}

/* The hash of the complete subtree of 2^level leaves from leaves[first]. */
static void mem_subtree(uint8_t out[static MERKLE_HASH_BYTES], const uint8_t *leaves,
			uint64_t first, unsigned level)
{
	uint8_t left[MERKLE_HASH_BYTES];

	if (level == 0) {
		memcpy(out, leaves + first * MERKLE_HASH_BYTES, MERKLE_HASH_BYTES);
		return;
	}
	mem_subtree(left, leaves, first, level - 1);
	mem_subtree(out, leaves, first + ((uint64_t)1 << (level - 1)), level - 1);
	merkle_node_hash(out, left, out);
}

sk_status merkle_mem_get(void *ctx, unsigned level, uint64_t index,
			 uint8_t out[static MERKLE_HASH_BYTES])
{
	const merkle_mem *mem = ctx;
	uint64_t first;

	if (level > MERKLE_LEVEL_MAX || index > (UINT64_MAX >> level))
		return SK_ERR_NOTFOUND;
	first = index << level;
	if (first >= mem->size || mem->size - first < ((uint64_t)1 << level))
		return SK_ERR_NOTFOUND;
	mem_subtree(out, mem->leaves, first, level);
	return SK_OK;
}

void merkle_mem_source(merkle_source *src, merkle_mem *mem)
{
	src->get = merkle_mem_get;
	src->ctx = mem;
}

void merkle_frontier_init(merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

sk_status merkle_frontier_load(merkle_frontier *f, const merkle_source *src,
			       uint64_t size)
{
	uint64_t pos = 0;
	unsigned k = 0;
	sk_status st = SK_OK;

	merkle_frontier_init(f);
	for (unsigned b = 64; b-- > 0;) {
		if (((size >> b) & 1) == 0)
			continue;
		st = src->get(src->ctx, b, pos >> b, f->hash[k++]);
		if (st != SK_OK)
			goto out;
		pos += (uint64_t)1 << b;
	}
	f->size = size;
out:
	if (st != SK_OK)
		merkle_frontier_init(f);
	return st;
}

sk_status merkle_frontier_append(merkle_frontier *f,
				 const uint8_t leaf_hash[static MERKLE_HASH_BYTES])
{
	uint8_t h[MERKLE_HASH_BYTES];
	unsigned k, old;

	if (f->size == UINT64_MAX)
		return SK_ERR_TOOBIG;
	/* Each trailing one bit of size is a complete subtree of the same
	 * height as the one being carried: merge them, like binary addition. */
	old = k = popcount64(f->size);
	memcpy(h, leaf_hash, MERKLE_HASH_BYTES);
	for (uint64_t s = f->size; (s & 1) != 0; s >>= 1) {
		k--;
		merkle_node_hash(h, f->hash[k], h);
	}
	memcpy(f->hash[k], h, MERKLE_HASH_BYTES);
	/* slots past the last subtree stay zero, so equal trees have equal bytes */
	for (unsigned i = k + 1; i < old; i++)
		memset(f->hash[i], 0, MERKLE_HASH_BYTES);
	f->size++;
	return SK_OK;
}

void merkle_frontier_root(uint8_t root[static MERKLE_HASH_BYTES],
			  const merkle_frontier *f)
{
	unsigned k = popcount64(f->size);

	if (k == 0) {
		merkle_empty_root(root);
		return;
	}
	memcpy(root, f->hash[k - 1], MERKLE_HASH_BYTES);
	while (k-- > 1)
		merkle_node_hash(root, f->hash[k - 1], root);
}
