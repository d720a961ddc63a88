/* Receipts signed per group commit (registry/publish.c
 * reg_publish_sign_batch, protos/wire.h wire_receipt_verify): every receipt
 * of a batch verifies under the registry's key with one signature, its root
 * is the RFC 9162 root of the batch's bodies, and any change to a body, its
 * place, the batch size, the proof or the signature is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "registry/publish.h"

#define N_MAX 1024

static uint8_t pk[32], sk[64], other_pk[32], other_sk[64];

struct batch {
	size_t n;
	reg_receipt rc[N_MAX];
	reg_receipt *rs[N_MAX];
	uint8_t body[N_MAX][48];
};

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(other_pk, other_sk);
	return 0;
}

/* n receipts whose bodies differ. */
static struct batch *make(size_t n)
{
	struct batch *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->n = n;
	for (size_t i = 0; i < n; i++) {
		snprintf((char *)b->body[i], sizeof(b->body[i]), "receipt body %zu", i);
		b->rc[i].body = (ProtobufCBinaryData){strlen((char *)b->body[i]), b->body[i]};
		b->rs[i] = &b->rc[i];
	}
	return b;
}

/* The PublishReceipt a publish's reply carries for receipt p. */
static void receipt(Schakel__V1__PublishReceipt *r, const reg_receipt *p)
{
	schakel__v1__publish_receipt__init(r);
	r->body = p->body;
	r->signature = (ProtobufCBinaryData){KEY_SIG_BYTES, (uint8_t *)p->sig};
	r->batch_size = p->size;
	r->batch_index = p->index;
	r->batch_proof = (ProtobufCBinaryData){p->proof_len * MERKLE_HASH_BYTES,
					       (uint8_t *)p->proof};
	r->batch_salt = (ProtobufCBinaryData){sizeof(p->salt), (uint8_t *)p->salt};
}

/* The root, computed independently from the bodies (merkle_mem). */
static void mem_root(uint8_t root[32], const struct batch *b)
{
	uint8_t *leaves = malloc(b->n * 32);
	merkle_mem mem = {leaves, b->n};
	merkle_source src;

	assert_non_null(leaves);
	for (size_t i = 0; i < b->n; i++) {
		uint8_t salted[16 + 64];
		size_t len = b->rc[i].body.len;

		/* RFC 9162 leaf of salt || body, written out by hand */
		assert_true(len <= 64);
		memcpy(salted, b->rc[i].salt, 16);
		memcpy(salted + 16, b->rc[i].body.data, len);
		merkle_leaf_hash(leaves + 32 * i, salted, 16 + len);
	}
	merkle_mem_source(&src, &mem);
	E(merkle_root(root, &src, b->n));
	free(leaves);
}

static void test_every_size(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 5, 7, 8, 31, 32, 33, 100, N_MAX};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct batch *b = make(sizes[s]);
		wire_receipt_cache cache = {0};
		uint8_t want[32], got[32];

		E(reg_publish_sign_batch(b->rs, b->n, sk));
		mem_root(want, b);
		for (size_t i = 0; i < b->n; i++) {
			Schakel__V1__PublishReceipt r;

			receipt(&r, b->rs[i]);
			assert_int_equal(r.batch_size, b->n);
			assert_int_equal(r.batch_index, i);
			/* one signature for the whole batch */
			assert_memory_equal(r.signature.data, b->rc[0].sig, 64);
			E(wire_receipt_root(got, &r));
			assert_memory_equal(got, want, 32);
			E(wire_receipt_verify(&r, pk, NULL));
			E(wire_receipt_verify(&r, pk, &cache));
			EFAIL(wire_receipt_verify(&r, other_pk, NULL), SK_ERR_VERIFY);
		}
		E(wire_receipts_verify(b->rc[0].sig, b->n, want, pk));
		/* every receipt has a salt of its own */
		for (size_t i = 1; i < b->n; i++)
			assert_memory_not_equal(b->rc[i].salt, b->rc[i - 1].salt, 16);
		free(b);
	}
}

static void test_tampering(void **state)
{
	struct batch *b = make(13);
	Schakel__V1__PublishReceipt r;
	uint8_t body[64], proof[REG_BATCH_PROOF_MAX * 32], sig[64];

	(void)state;
	E(reg_publish_sign_batch(b->rs, b->n, sk));
	receipt(&r, b->rs[6]);
	E(wire_receipt_verify(&r, pk, NULL));
	/* another body in this place */
	memcpy(body, r.body.data, r.body.len);
	body[0] ^= 1;
	r.body.data = body;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	receipt(&r, b->rs[6]);
	/* its body claimed at another place, or in a batch of another size */
	r.batch_index = 7;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.batch_index = 6;
	r.batch_size = 14;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.batch_size = 0;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.batch_size = 13;
	r.batch_index = 13;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	receipt(&r, b->rs[6]);
	/* a proof changed, cut short or not whole hashes */
	memcpy(proof, r.batch_proof.data, r.batch_proof.len);
	proof[5] ^= 0x80;
	r.batch_proof.data = proof;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	receipt(&r, b->rs[6]);
	r.batch_proof.len -= 32;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.batch_proof.len += 31;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	receipt(&r, b->rs[6]);
	/* the salt changed, cut short or another receipt's */
	memcpy(body, r.batch_salt.data, 16);
	body[3] ^= 1;
	r.batch_salt.data = body;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.batch_salt.len = 15;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.batch_salt = (ProtobufCBinaryData){16, b->rc[5].salt};
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	receipt(&r, b->rs[6]);
	/* a signature changed, or of the wrong length */
	memcpy(sig, r.signature.data, 64);
	sig[10] ^= 1;
	r.signature.data = sig;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	r.signature.len = 63;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	/* the old per-receipt form (one signature over the body) does not pass */
	receipt(&r, b->rs[6]);
	E(key_sign(sig, "schakel/v1/receipt", r.body.data, r.body.len, sk));
	r.signature.data = sig;
	EFAIL(wire_receipt_verify(&r, pk, NULL), SK_ERR_VERIFY);
	free(b);
}

/* The cache skips only a signature it checked itself: the same batch
 * passes, another signature over it is checked afresh. */
static void test_cache(void **state)
{
	struct batch *b = make(4), *c = make(4);
	wire_receipt_cache cache = {0};
	Schakel__V1__PublishReceipt r;
	uint8_t sig[64];

	(void)state;
	E(reg_publish_sign_batch(b->rs, b->n, sk));
	E(reg_publish_sign_batch(c->rs, c->n, other_sk)); /* same bodies, a foreign key */
	receipt(&r, b->rs[1]);
	E(wire_receipt_verify(&r, pk, &cache));
	assert_true(cache.have);
	receipt(&r, c->rs[1]);
	EFAIL(wire_receipt_verify(&r, pk, &cache), SK_ERR_VERIFY);
	receipt(&r, b->rs[2]);
	memcpy(sig, r.signature.data, 64);
	sig[0] ^= 1;
	r.signature.data = sig;
	EFAIL(wire_receipt_verify(&r, pk, &cache), SK_ERR_VERIFY);
	receipt(&r, b->rs[3]);
	E(wire_receipt_verify(&r, pk, &cache));
	free(b);
	free(c);
}

static void test_limits(void **state)
{
	struct batch *b = make(1);

	(void)state;
	E(reg_publish_sign_batch(b->rs, 0, sk)); /* nothing accepted: nothing signed */
	assert_int_equal(b->rc[0].size, 0);
	EFAIL(reg_publish_sign_batch(b->rs, WIRE_RECEIPT_BATCH_MAX + 1, sk), SK_ERR_TOOBIG);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_size),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
