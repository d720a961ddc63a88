/* node_log_check against forged registry answers: a real log, a fork of
 * it that parted before the node's checkpoint and grew past it, a rolled
 * proof, another key, left-out and wrong receipt-tree proofs. */
#include <string.h>

#include <sodium.h>

#include "node/logstate.h"
#include "protos/rollover.h"
#include "protos/wire.h"
#include "test_util.h"

#define ORIGIN "test.example/registry"
#define LEAVES 40

typedef struct hist {
	uint8_t leaves[LEAVES * MERKLE_HASH_BYTES];
	merkle_mem mem;
	merkle_source src;
} hist;

/* Two histories: b equals a for the first `common` leaves, then differs. */
static void logs(hist *a, hist *b, uint64_t common)
{
	randombytes_buf(a->leaves, sizeof(a->leaves));
	memcpy(b->leaves, a->leaves, sizeof(b->leaves));
	randombytes_buf(b->leaves + common * MERKLE_HASH_BYTES,
			(LEAVES - common) * MERKLE_HASH_BYTES);
	a->mem = (merkle_mem){a->leaves, LEAVES};
	b->mem = (merkle_mem){b->leaves, LEAVES};
	merkle_mem_source(&a->src, &a->mem);
	merkle_mem_source(&b->src, &b->mem);
}

/* The checkpoint of the first size leaves of l, signed by key: *note
 * malloc'd, *cp opened from it. */
static void checkpoint(uint8_t **note, size_t *len, note_checkpoint *cp, hist *l, uint64_t size,
		       const note_signer *key, const note_verifier *v)
{
	note_checkpoint c = {.size = size};

	memcpy(c.origin, ORIGIN, sizeof(ORIGIN));
	E(merkle_root(c.root, &l->src, size));
	E(note_checkpoint_sign(note, len, &c, key));
	E(note_checkpoint_open(cp, NULL, *note, *len, v, NULL, 0));
}

typedef struct answer {
	Schakel__V1__ConsistencyResponse cr;
	uint8_t *note;
	uint8_t proof[MERKLE_PROOF_BYTES];
	uint8_t also[4][MERKLE_PROOF_BYTES];
	ProtobufCBinaryData also_proofs[4];
} answer;

/* What a registry holding l answers: its checkpoint at size, the proof
 * from `from` and from each of also_sizes. */
static void answer_of(answer *w, hist *l, uint64_t size, uint64_t from, const uint64_t *also_sizes,
		      size_t n_also, const note_signer *key, const note_verifier *v)
{
	note_checkpoint cp;
	size_t len = 0, plen = 0;

	memset(w, 0, sizeof(*w));
	schakel__v1__consistency_response__init(&w->cr);
	checkpoint(&w->note, &len, &cp, l, size, key, v);
	w->cr.checkpoint = (ProtobufCBinaryData){len, w->note};
	if (from > 0 && from < size)
		E(merkle_consistency_proof(w->proof, &plen, &l->src, from, size));
	w->cr.proof = (ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, w->proof};
	for (size_t i = 0; i < n_also; i++) {
		size_t n = 0;

		if (also_sizes[i] < size)
			E(merkle_consistency_proof(w->also[i], &n, &l->src, also_sizes[i], size));
		w->also_proofs[i] = (ProtobufCBinaryData){n * MERKLE_HASH_BYTES, w->also[i]};
	}
	w->cr.n_also_proofs = n_also;
	w->cr.also_proofs = w->also_proofs;
}

static void tree_of(node_log_tree *t, hist *l, uint64_t size)
{
	t->size = size;
	E(merkle_root(t->root, &l->src, size));
}

static struct {
	note_signer *key, *other;
	note_verifier v, vother;
} k;

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || note_signer_generate(&k.key, ORIGIN, NOTE_TYPE_ED25519) != SK_OK ||
	    note_signer_generate(&k.other, ORIGIN, NOTE_TYPE_ED25519) != SK_OK)
		return -1;
	note_signer_verifier(&k.v, k.key);
	note_signer_verifier(&k.vother, k.other);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	note_signer_free(k.key);
	note_signer_free(k.other);
	return 0;
}

/* The honest log growing, at every pair of sizes: accepted. */
static void test_consistent(void **state)
{
	hist a, b;
	node_log_failure f;
	note_checkpoint from, cp;
	uint8_t *note = NULL;
	size_t len = 0;

	(void)state;
	logs(&a, &b, LEAVES);
	for (uint64_t m = 1; m <= 20; m++) {
		checkpoint(&note, &len, &from, &a, m, k.key, &k.v);
		for (uint64_t n = m; n <= 24; n++) {
			answer w;

			answer_of(&w, &a, n, m, NULL, 0, k.key, &k.v);
			E(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f));
			assert_int_equal(cp.size, n);
			free(w.note);
		}
		free(note);
	}
}

/* A fork that parted from the node's view before its checkpoint and grew
 * past it: refused at every size, whatever proof the fork can make. */
static void test_fork(void **state)
{
	hist a, b;
	node_log_failure f;
	note_checkpoint from, cp;
	uint8_t *note = NULL;
	size_t len = 0;

	(void)state;
	for (uint64_t common = 1; common < 12; common++) {
		logs(&a, &b, common);
		for (uint64_t m = common + 1; m <= 16; m++) {
			checkpoint(&note, &len, &from, &a, m, k.key, &k.v);
			for (uint64_t n = m; n <= 20; n++) {
				answer w;

				answer_of(&w, &b, n, m, NULL, 0, k.key, &k.v);
				EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0,
						     &f),
				      SK_ERR_VERIFY);
				assert_string_equal(f.what, "inconsistent-checkpoint");
				assert_non_null(strstr(f.why, "forked"));
				assert_ptr_equal(f.a, w.note);
				free(w.note);
			}
			free(note);
		}
	}
	/* a fork that parted after the node's checkpoint is no fork to it */
	logs(&a, &b, 10);
	checkpoint(&note, &len, &from, &a, 8, k.key, &k.v);
	{
		answer w;

		answer_of(&w, &b, 20, 8, NULL, 0, k.key, &k.v);
		E(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f));
		free(w.note);
	}
	free(note);
}

/* Forged answers about the honest log itself. */
static void test_forged(void **state)
{
	hist a, b;
	node_log_failure f;
	note_checkpoint from, cp;
	uint8_t *note = NULL;
	size_t len = 0;
	answer w;

	(void)state;
	logs(&a, &b, LEAVES);
	checkpoint(&note, &len, &from, &a, 13, k.key, &k.v);
	/* signed by another key */
	answer_of(&w, &a, 20, 13, NULL, 0, k.other, &k.vother);
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "checkpoint");
	free(w.note);
	/* a proof cut short, one hash changed, no proof, a proof from elsewhere */
	answer_of(&w, &a, 20, 13, NULL, 0, k.key, &k.v);
	w.cr.proof.len -= MERKLE_HASH_BYTES;
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	w.cr.proof.len += MERKLE_HASH_BYTES;
	w.proof[0] ^= 1;
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	w.proof[0] ^= 1;
	w.cr.proof.len = 0;
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	w.cr.proof.len = 1;
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	free(w.note);
	/* the same size with another root; a smaller tree */
	logs(&a, &b, 5);
	answer_of(&w, &b, 13, 13, NULL, 0, k.key, &k.v);
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	free(w.note);
	answer_of(&w, &a, 12, 0, NULL, 0, k.key, &k.v);
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, NULL, 0, &f), SK_ERR_VERIFY);
	free(w.note);
	free(note);
}

/* The receipt trees of a publish: each must be proven, in order. */
static void test_also(void **state)
{
	static const uint64_t sizes[3] = {14, 17, 20};
	hist a, b;
	node_log_failure f;
	note_checkpoint from, cp;
	node_log_tree t[3];
	uint8_t *note = NULL;
	size_t len = 0;
	answer w;

	(void)state;
	logs(&a, &b, 15);
	checkpoint(&note, &len, &from, &a, 13, k.key, &k.v);
	for (size_t i = 0; i < 3; i++)
		tree_of(&t[i], &a, sizes[i]);
	answer_of(&w, &a, 20, 13, sizes, 3, k.key, &k.v);
	E(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, t, 3, &f));
	w.cr.n_also_proofs = 2; /* one left out */
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, t, 3, &f), SK_ERR_VERIFY);
	assert_non_null(strstr(f.why, "left out"));
	w.cr.n_also_proofs = 3;
	w.also_proofs[1].len = 0; /* one empty */
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, t, 3, &f), SK_ERR_VERIFY);
	assert_non_null(strstr(f.why, "receipt"));
	free(w.note);
	/* a receipt tree of the fork (b parted at 15) against the log's answer */
	tree_of(&t[1], &b, 17);
	answer_of(&w, &a, 20, 13, sizes, 3, k.key, &k.v);
	EFAIL(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, &from, t, 3, &f), SK_ERR_VERIFY);
	assert_ptr_equal(f.b, w.also_proofs[1].data);
	free(w.note);
	/* no checkpoint verified before (first use): only the receipt trees */
	tree_of(&t[1], &a, 17);
	answer_of(&w, &a, 20, 0, sizes, 3, k.key, &k.v);
	E(node_log_check(&cp, NULL, &w.cr, &k.v, NULL, 0, NULL, t, 3, &f));
	free(w.note);
	free(note);
}

/* A registry's answer across a rollover, built as the registry would. */
typedef struct ro_answer {
	Schakel__V1__ConsistencyResponse cr;
	Schakel__V1__SignedRollover sr;
	uint8_t *body, *note, sig[KEY_SIG_BYTES], proof[MERKLE_PROOF_BYTES];
	uint8_t cons[MERKLE_PROOF_BYTES];
	uint8_t leaves[5][MERKLE_HASH_BYTES]; /* the restored 3, the statement, one more */
} ro_answer;

typedef struct ro_spec {
	const char *old_origin;
	uint64_t wsize;
	int bad_root, unlinked, cosign;
	const uint8_t *sign_sk;    /* the statement's signer */
	const uint8_t *new_seed;   /* the new checkpoint's signer */
} ro_spec;

#define NEW "test.example/registry/2"

static void ro_answer_of(ro_answer *a, hist *old, const ro_spec *sp, const uint8_t *id_seed,
			 const note_signer *wit)
{
	note_signer *ok = NULL, *nk = NULL;
	note_checkpoint c = {0};
	uint8_t *rn = NULL, *wn = NULL;
	size_t rlen = 0, wlen = 0, blen = 0, nlen = 0, plen = 0, pclen = 0;
	merkle_mem mem;
	merkle_source src;

	memset(a, 0, sizeof(*a));
	E(note_signer_from_seed(&ok, sp->old_origin, NOTE_TYPE_ED25519, id_seed));
	snprintf(c.origin, sizeof(c.origin), "%s", sp->old_origin);
	c.size = 3;
	E(merkle_root(c.root, &old->src, 3));
	E(note_checkpoint_sign(&rn, &rlen, &c, ok));
	c.size = sp->wsize;
	E(merkle_root(c.root, &old->src, sp->wsize));
	c.root[0] ^= (uint8_t)(sp->bad_root != 0);
	E(note_checkpoint_sign(&wn, &wlen, &c, ok));
	E(wire_rollover_sign(&a->body, &blen, a->sig, sp->old_origin, NEW, rn, rlen, wn, wlen, 1,
			     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, sp->sign_sk));
	memcpy(a->leaves, old->leaves, 3 * MERKLE_HASH_BYTES);
	randombytes_buf(a->leaves[3], 2 * MERKLE_HASH_BYTES);
	if (!sp->unlinked)
		E(wire_leaf_hash(a->leaves[3], WIRE_LEAF_ROLLOVER, a->body, blen, a->sig));
	mem = (merkle_mem){&a->leaves[0][0], 5};
	merkle_mem_source(&src, &mem);
	E(note_signer_from_seed(&nk, NEW, NOTE_TYPE_ED25519, sp->new_seed));
	snprintf(c.origin, sizeof(c.origin), "%s", NEW);
	c.size = 5;
	E(merkle_root(c.root, &src, 5));
	E(note_checkpoint_sign(&a->note, &nlen, &c, nk));
	if (sp->cosign) {
		uint8_t *cn = NULL;
		size_t clen = 0;

		E(note_checkpoint_cosign(&cn, &clen, a->note, nlen, 1700000000, wit));
		free(a->note);
		a->note = cn;
		nlen = clen;
	}
	E(merkle_inclusion_proof(a->proof, &plen, &src, 3, 5));
	E(merkle_consistency_proof(a->cons, &pclen, &src, 3, 5));
	schakel__v1__consistency_response__init(&a->cr);
	schakel__v1__signed_rollover__init(&a->sr);
	a->sr.body = (ProtobufCBinaryData){blen, a->body};
	a->sr.signature = (ProtobufCBinaryData){sizeof(a->sig), a->sig};
	a->cr.checkpoint = (ProtobufCBinaryData){nlen, a->note};
	a->cr.rollover = &a->sr;
	a->cr.has_rollover_proof = 1;
	a->cr.rollover_proof = (ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, a->proof};
	a->cr.has_rollover_consistency = 1;
	a->cr.rollover_consistency = (ProtobufCBinaryData){pclen * MERKLE_HASH_BYTES, a->cons};
	note_signer_free(ok);
	note_signer_free(nk);
	free(rn);
	free(wn);
}

static void ro_answer_free(ro_answer *a)
{
	free(a->body);
	free(a->note);
}

/* A node takes a new log only with a statement that covers what it
 * verified, by the registry's key, after the restored tree in the new log,
 * and with the witnesses' quorum on the new checkpoint. */
static void test_rollover(void **state)
{
	hist a, b;
	uint8_t seed[32], oseed[32], *note = NULL;
	size_t len = 0;
	key_ed25519 id, other;
	note_signer *old_key = NULL, *wit = NULL;
	note_verifier old_v, wit_v, new_v;
	note_checkpoint from, cp;
	node_log_failure f;
	ro_answer r;
	ro_spec ok, sp;
	const uint64_t now = 1700000100, age = 3600;
	size_t cosigned = 0;

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(oseed, sizeof(oseed));
	key_ed25519_from_seed(&id, seed);
	key_ed25519_from_seed(&other, oseed);
	E(note_signer_from_seed(&old_key, ORIGIN, NOTE_TYPE_ED25519, seed));
	note_signer_verifier(&old_v, old_key);
	E(note_signer_generate(&wit, "w1.example", NOTE_TYPE_COSIG));
	note_signer_verifier(&wit_v, wit);
	logs(&a, &b, LEAVES);
	checkpoint(&note, &len, &from, &a, 17, old_key, &old_v);
	ok = (ro_spec){ORIGIN, 17, 0, 0, 1, id.sk, seed};
	/* the new log is 5 leaves: the restored 3, the statement, one more */

	/* accepted: the witnessed checkpoint is ours, or larger */
	ro_answer_of(&r, &a, &ok, seed, wit);
	E(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				  &from, &f));
	assert_string_equal(cp.origin, NEW);
	assert_string_equal(new_v.name, NEW);
	assert_int_equal(cp.size, 5);
	assert_int_equal(cosigned, 1);
	ro_answer_free(&r);
	sp = ok, sp.wsize = 30;
	ro_answer_of(&r, &a, &sp, seed, wit);
	E(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				  &from, &f));
	ro_answer_free(&r);
	/* refused: no statement */
	ro_answer_of(&r, &a, &ok, seed, wit);
	r.cr.rollover = NULL;
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	ro_answer_free(&r);
	/* refused: a statement that hides what we verified (smaller, another root) */
	sp = ok, sp.wsize = 12;
	ro_answer_of(&r, &a, &sp, seed, wit);
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	assert_non_null(strstr(f.why, "hides"));
	ro_answer_free(&r);
	sp = ok, sp.bad_root = 1;
	ro_answer_of(&r, &a, &sp, seed, wit);
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	ro_answer_free(&r);
	/* refused: another signer; another old log; another key for the new log */
	sp = ok, sp.sign_sk = other.sk;
	ro_answer_of(&r, &a, &sp, seed, wit);
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	ro_answer_free(&r);
	sp = ok, sp.old_origin = "elsewhere.example/registry";
	ro_answer_of(&r, &a, &sp, seed, wit);
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	ro_answer_free(&r);
	sp = ok, sp.new_seed = oseed;
	ro_answer_of(&r, &a, &sp, seed, wit);
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	ro_answer_free(&r);
	/* counted: the new checkpoint's cosignatures, for the caller's quorum */
	sp = ok, sp.cosign = 0;
	ro_answer_of(&r, &a, &sp, seed, wit);
	E(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				  &from, &f));
	assert_int_equal(cosigned, 0);
	ro_answer_free(&r);
	/* refused: no statement after the restored tree */
	sp = ok, sp.unlinked = 1;
	ro_answer_of(&r, &a, &sp, seed, wit);
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	assert_non_null(strstr(f.why, "next leaf"));
	ro_answer_free(&r);
	/* refused: a new log that does not begin with the restored tree */
	ro_answer_of(&r, &a, &ok, seed, wit);
	r.cons[0] ^= 1;
	EFAIL(node_log_rollover_check(&cp, &new_v, &cosigned, &r.cr, &old_v, &wit_v, 1, now, age,
				      &from, &f),
	      SK_ERR_VERIFY);
	ro_answer_free(&r);
	free(note);
	note_signer_free(old_key);
	note_signer_free(wit);
	sodium_memzero(&id, sizeof(id));
	sodium_memzero(&other, sizeof(other));
}

/* A chain of rollovers as the registry serves it: the old log (a's first
 * r0 leaves restored, witnessed at w0) rolls over to ORIGIN "/2", that to
 * "/3" and so on, n links; statement k sits at leaf r_k (r_k = r0 + 3k)
 * of one growing tree, link k's checkpoint is the next statement's
 * restored one (origin k+1 at r_{k+1} leaves), the last link's the
 * response's, cosigned. */
#define CHAIN_LEAVES 128

typedef struct ch_spec {
	uint64_t r0, w0;
	size_t n;
	size_t forge_at;  /* 1 + the link signed by another key; 0: none */
	uint64_t mid_cp_extra; /* leaves link 0's checkpoint has past the next restored tree */
} ch_spec;

typedef struct ch_answer {
	Schakel__V1__ConsistencyResponse cr;
	Schakel__V1__SignedRollover sr[20];
	Schakel__V1__RolloverRequest link[20], *links[20];
	uint8_t *body[20], sig[20][KEY_SIG_BYTES], *cpn[20];
	uint8_t inc[20][MERKLE_PROOF_BYTES], cons[20][MERKLE_PROOF_BYTES];
	uint8_t leaves[CHAIN_LEAVES][MERKLE_HASH_BYTES];
	char origin[21][64];
} ch_answer;

static void ch_answer_of(ch_answer *a, hist *old, const ch_spec *sp, const uint8_t *id_seed,
			 const uint8_t *other_sk, const note_signer *wit)
{
	key_ed25519 id;
	merkle_mem mem;
	merkle_source src;
	uint8_t *rn = NULL, *wn = NULL;
	size_t rlen = 0, wlen = 0;
	uint64_t r = sp->r0, size;

	memset(a, 0, sizeof(*a));
	key_ed25519_from_seed(&id, id_seed);
	snprintf(a->origin[0], sizeof(a->origin[0]), "%s", ORIGIN);
	for (size_t h = 1; h <= sp->n; h++)
		snprintf(a->origin[h], sizeof(a->origin[h]), "%s/%zu", ORIGIN, h + 1);
	randombytes_buf(a->leaves, sizeof(a->leaves));
	memcpy(a->leaves, old->leaves, sp->r0 * MERKLE_HASH_BYTES);
	mem = (merkle_mem){&a->leaves[0][0], CHAIN_LEAVES};
	merkle_mem_source(&src, &mem);
	/* the old log's restored and witnessed checkpoints, from a's leaves */
	{
		note_signer *k0 = NULL;
		note_checkpoint c = {.size = sp->r0};

		E(note_signer_from_seed(&k0, ORIGIN, NOTE_TYPE_ED25519, id_seed));
		snprintf(c.origin, sizeof(c.origin), "%s", ORIGIN);
		E(merkle_root(c.root, &old->src, sp->r0));
		E(note_checkpoint_sign(&rn, &rlen, &c, k0));
		c.size = sp->w0;
		E(merkle_root(c.root, &old->src, sp->w0));
		E(note_checkpoint_sign(&wn, &wlen, &c, k0));
		note_signer_free(k0);
	}
	for (size_t h = 0; h < sp->n; h++, r += 3) {
		note_signer *nk = NULL;
		note_checkpoint c = {0};
		size_t blen = 0, ni = 0, nc = 0, nlen = 0;
		uint64_t at = h + 1 < sp->n ? r + 3 : r + 2; /* its new log's checkpoint */

		E(wire_rollover_sign(&a->body[h], &blen, a->sig[h], a->origin[h], a->origin[h + 1],
				     rn, rlen, wn, wlen, 1000 + h,
				     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST,
				     sp->forge_at == h + 1 ? other_sk : id.sk));
		free(rn);
		free(wn);
		rn = wn = NULL;
		E(wire_leaf_hash(a->leaves[r], WIRE_LEAF_ROLLOVER, a->body[h], blen, a->sig[h]));
		/* the new log's checkpoint: the next restored (and witnessed) one */
		E(note_signer_from_seed(&nk, a->origin[h + 1], NOTE_TYPE_ED25519, id_seed));
		snprintf(c.origin, sizeof(c.origin), "%s", a->origin[h + 1]);
		c.size = at;
		E(merkle_root(c.root, &src, at));
		E(note_checkpoint_sign(&rn, &rlen, &c, nk));
		E(note_checkpoint_sign(&wn, &wlen, &c, nk));
		size = at + (h == 0 && h + 1 < sp->n ? sp->mid_cp_extra : 0);
		c.size = size;
		E(merkle_root(c.root, &src, size));
		E(note_checkpoint_sign(&a->cpn[h], &nlen, &c, nk));
		if (h + 1 == sp->n) {
			uint8_t *cn = NULL;
			size_t clen = 0;

			E(note_checkpoint_cosign(&cn, &clen, a->cpn[h], nlen, 1700000000, wit));
			free(a->cpn[h]);
			a->cpn[h] = cn;
			nlen = clen;
		}
		note_signer_free(nk);
		E(merkle_inclusion_proof(a->inc[h], &ni, &src, r, size));
		E(merkle_consistency_proof(a->cons[h], &nc, &src, r, size));
		schakel__v1__signed_rollover__init(&a->sr[h]);
		a->sr[h].body = (ProtobufCBinaryData){blen, a->body[h]};
		a->sr[h].signature = (ProtobufCBinaryData){KEY_SIG_BYTES, a->sig[h]};
		schakel__v1__rollover_request__init(&a->link[h]);
		a->link[h].statement = &a->sr[h];
		a->link[h].checkpoint = (ProtobufCBinaryData){nlen, a->cpn[h]};
		a->link[h].inclusion_proof = (ProtobufCBinaryData){ni * MERKLE_HASH_BYTES, a->inc[h]};
		a->link[h].consistency_proof =
			(ProtobufCBinaryData){nc * MERKLE_HASH_BYTES, a->cons[h]};
		a->links[h] = &a->link[h];
	}
	free(rn);
	free(wn);
	schakel__v1__consistency_response__init(&a->cr);
	a->cr.checkpoint = a->link[sp->n - 1].checkpoint;
	a->cr.rollover = &a->sr[sp->n - 1];
	a->cr.has_rollover_proof = a->cr.has_rollover_consistency = 1;
	a->cr.rollover_proof = a->link[sp->n - 1].inclusion_proof;
	a->cr.rollover_consistency = a->link[sp->n - 1].consistency_proof;
	a->cr.n_chain = sp->n - 1;
	a->cr.chain = a->links;
	sodium_memzero(&id, sizeof(id));
}

static void ch_answer_free(ch_answer *a)
{
	for (size_t h = 0; h < 20; h++) {
		free(a->body[h]);
		free(a->cpn[h]);
	}
}

/* One chain check as a node makes it, against what it verified. */
typedef struct ch_ctx {
	const note_verifier *old_v, *wit_v;
	const note_checkpoint *from;
	note_checkpoint cp;
	note_verifier new_v;
	node_log_chain chain;
	node_log_failure f;
	size_t cosigned;
} ch_ctx;

static sk_status ch_run(ch_ctx *x, const ch_answer *r)
{
	return node_log_rollover_chain_check(&x->cp, &x->new_v, &x->cosigned, &r->cr, x->old_v,
					     x->wit_v, 1, 1700000100, 3600, x->from, &x->chain,
					     &x->f);
}

/* r is refused, saying why (NULL: any reason), and freed. */
static void ch_refused(ch_ctx *x, ch_answer *r, const char *why)
{
	EFAIL(ch_run(x, r), SK_ERR_VERIFY);
	if (why != NULL)
		assert_non_null(strstr(x->f.why, why));
	assert_int_equal(x->chain.n, 0);
	ch_answer_free(r);
}

/* A node more than one rollover behind follows the chain only link by
 * link: each statement by the registry's key, in order, covering what was
 * known of the log it rolls over, proven in its new log; the quorum on the
 * last checkpoint. */
static void test_chain(void **state)
{
	hist a, b;
	uint8_t seed[32], oseed[32], *note = NULL;
	size_t len = 0;
	key_ed25519 other;
	note_signer *old_key = NULL, *wit = NULL;
	note_verifier old_v, wit_v;
	note_checkpoint from;
	ch_answer *r = malloc(sizeof(*r));
	ch_spec ok = {20, 20, 2, 0, 0}, sp;
	ch_ctx x = {0};

	(void)state;
	assert_non_null(r);
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(oseed, sizeof(oseed));
	key_ed25519_from_seed(&other, oseed);
	E(note_signer_from_seed(&old_key, ORIGIN, NOTE_TYPE_ED25519, seed));
	note_signer_verifier(&old_v, old_key);
	E(note_signer_generate(&wit, "w1.example", NOTE_TYPE_COSIG));
	note_signer_verifier(&wit_v, wit);
	logs(&a, &b, LEAVES);
	checkpoint(&note, &len, &from, &a, 17, old_key, &old_v);
	x.old_v = &old_v;
	x.wit_v = &wit_v;
	x.from = &from;

	/* accepted: two links, then three, then 16 */
	ch_answer_of(r, &a, &ok, seed, other.sk, wit);
	E(ch_run(&x, r));
	assert_string_equal(x.new_v.name, ORIGIN "/3");
	assert_int_equal(x.cp.size, 20 + 3 + 2);
	assert_int_equal(x.cosigned, 1);
	assert_int_equal(x.chain.n, 2);
	assert_string_equal(x.chain.hop[0].old_origin, ORIGIN);
	assert_string_equal(x.chain.hop[1].old_origin, ORIGIN "/2");
	assert_int_equal(x.chain.hop[0].issued_ms, 1000);
	assert_null(x.chain.hop[0].note);
	assert_ptr_equal(x.chain.hop[1].note, r->link[0].checkpoint.data);
	ch_answer_free(r);
	sp = ok, sp.n = 3;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	E(ch_run(&x, r));
	assert_string_equal(x.new_v.name, ORIGIN "/4");
	assert_int_equal(x.chain.n, 3);
	ch_answer_free(r);
	sp = ok, sp.n = WIRE_ROLLOVER_CHAIN_MAX;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	E(ch_run(&x, r));
	assert_int_equal(x.chain.n, WIRE_ROLLOVER_CHAIN_MAX);
	ch_answer_free(r);

	/* refused: a forged middle link (another key signed it) */
	sp = ok, sp.n = 3, sp.forge_at = 2;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	ch_refused(&x, r, "does not verify");
	/* refused: the links in the wrong order */
	sp = ok, sp.n = 3;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	r->links[0] = &r->link[1];
	r->links[1] = &r->link[0];
	ch_refused(&x, r, "another log");
	/* refused: a link left out (the last rolls over a log not reached) */
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	r->links[1] = &r->link[0];
	r->cr.chain = r->links + 1;
	r->cr.n_chain = 1;
	ch_refused(&x, r, NULL);
	/* refused: the first link does not cover this node's checkpoint */
	sp = ok, sp.r0 = sp.w0 = 12;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	ch_refused(&x, r, "hides");
	/* refused: a middle link that hides the checkpoint the link before proved */
	sp = ok, sp.n = 3, sp.mid_cp_extra = 1;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	ch_refused(&x, r, "hides");
	/* refused: a middle link's proof against its checkpoint */
	sp = ok, sp.n = 3;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	r->inc[1][0] ^= 1;
	ch_refused(&x, r, "next leaf");
	/* refused: more links than a node follows at once */
	sp = ok, sp.n = WIRE_ROLLOVER_CHAIN_MAX + 1;
	ch_answer_of(r, &a, &sp, seed, other.sk, wit);
	ch_refused(&x, r, "more often");
	free(r);
	free(note);
	note_signer_free(old_key);
	note_signer_free(wit);
	sodium_memzero(&other, sizeof(other));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consistent),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_also),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
