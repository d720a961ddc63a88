/* node/logtrack and the receipt check of node/logstate against a registry
 * the test plays, after transparency-dev/tessera's client tests (a fetcher
 * that answers from a real log, then forges): real Merkle trees
 * (crypto/merkle.h), signed and cosigned notes (crypto/note.h) and receipt
 * batches (protos/wire.h), no mocks of the crypto. A good sequence moves
 * the verified checkpoint forward; a forged checkpoint signature, a forged
 * receipt, a bad inclusion proof, a bad consistency proof and a split view
 * are each refused with SK_ERR_VERIFY and leave it as it was. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node/logtrack.h"
#include "protos/rollover.h"
#include "test_util.h"

#define ORIGIN "test.example/registry"
#define NEW_ORIGIN "test.example/registry/2"
#define LEAVES 64
#define ORG "org-a"

/* How the registry answers the next ConsistencyRequest. */
typedef enum answer {
	HONEST,
	OTHER_KEY,   /* its checkpoint signed by a key that is not the log's */
	BAD_SIG,     /* a byte of the log's signature changed */
	BAD_PROOF,   /* a byte of the consistency proof changed */
	SHORT_PROOF, /* the consistency proof one hash short */
	NO_PROOF,    /* no consistency proof at all */
	FORK,        /* from the other history: same size, another root, or grown */
	SMALLER,     /* a tree one smaller than the one the node verified */
	REFUSE,      /* "cannot prove consistency" (a rolled-back log) */
	BAD_ALSO,    /* a byte of the first receipt tree's proof changed */
	TRUNCATED,   /* "not yet covered" (the witnesses lag) */
	ROLLOVER,    /* a new log after a restore at `restored` leaves, with its statement */
	ROLLOVER_HIDES, /* the same, its statement naming a tree smaller than the node's */
	NEW_LOG_ONLY, /* the new log's checkpoint without the statement */
} answer;

/* The registry: its log (leaf hashes), a fork of it that parts at leaf
 * `parts`, the size it shows and how it answers. */
typedef struct registry {
	uint8_t leaves[LEAVES * MERKLE_HASH_BYTES], other[LEAVES * MERKLE_HASH_BYTES];
	merkle_mem mem, other_mem;
	merkle_source src, other_src;
	uint64_t size;
	answer next;
	int repeat;       /* TRUNCATED: how many answers more */
	size_t cosigners; /* witnesses that cosign what it answers */
	uint64_t restored; /* ROLLOVER: the restored tree's size */
	char origin[64];   /* the origin the tracker asked about ("" none) */
	/* what the tracker did */
	int fetches, fails;
	uint64_t from;
	size_t n_also;
	char what[64];
} registry;

static struct {
	key_ed25519 reg;           /* the registry's key: receipts and, as a note key, checkpoints */
	note_signer *log, *other;  /* its checkpoint signer; another key of the same name */
	note_signer *log2;         /* the same key under the new log's name */
	note_signer *wit[2];       /* two witnesses */
	note_verifier vlog, vwit[2];
} k;

static void registry_init(registry *g, uint64_t parts, uint64_t size)
{
	memset(g, 0, sizeof(*g));
	randombytes_buf(g->leaves, sizeof(g->leaves));
	memcpy(g->other, g->leaves, sizeof(g->other));
	randombytes_buf(g->other + parts * MERKLE_HASH_BYTES, (LEAVES - parts) * MERKLE_HASH_BYTES);
	g->mem = (merkle_mem){g->leaves, LEAVES};
	g->other_mem = (merkle_mem){g->other, LEAVES};
	merkle_mem_source(&g->src, &g->mem);
	merkle_mem_source(&g->other_src, &g->other_mem);
	g->size = size;
}

/* The checkpoint of the first size leaves of src, signed by key and
 * cosigned by the first `cosigners` witnesses (now). *note malloc'd. */
static void sign_checkpoint(uint8_t **note, size_t *len, const merkle_source *src, uint64_t size,
			    const note_signer *key, size_t cosigners)
{
	note_checkpoint c = {.size = size};

	memcpy(c.origin, ORIGIN, sizeof(ORIGIN));
	E(merkle_root(c.root, src, size));
	E(note_checkpoint_sign(note, len, &c, key));
	for (size_t i = 0; i < cosigners; i++) {
		uint8_t *cosigned = NULL;
		size_t n = 0;

		E(note_checkpoint_cosign(&cosigned, &n, *note, *len, (uint64_t)time(NULL), k.wit[i]));
		free(*note);
		*note = cosigned;
		*len = n;
	}
}

/* An envelope as it arrives off the wire: packed and parsed again. */
static wire_envelope *reparse(wire_envelope *env)
{
	wire_envelope *out = NULL;
	uint8_t *frame = NULL;
	size_t len = 0;

	E(wire_envelope_pack(env, &frame, &len));
	E(wire_envelope_unpack(frame + WIRE_FRAME_HEADER_BYTES, len - WIRE_FRAME_HEADER_BYTES, &out));
	free(frame);
	return out;
}

/* The answer of a registry restored at g->restored leaves and rolled over
 * to NEW_ORIGIN: the statement (witnessed: g->size leaves, or one fewer
 * than the node's tree when hides), the new log (the restored leaves, the
 * statement, two more), its checkpoint cosigned by g->cosigners witnesses
 * and both proofs (none when bare). */
static wire_envelope *rollover_answer(registry *g, uint64_t from, int hides, int bare)
{
	Schakel__V1__ConsistencyResponse cr = SCHAKEL__V1__CONSISTENCY_RESPONSE__INIT;
	Schakel__V1__SignedRollover sr = SCHAKEL__V1__SIGNED_ROLLOVER__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *out;
	static uint8_t nl[LEAVES + 3][MERKLE_HASH_BYTES];
	uint8_t *rn = NULL, *wn = NULL, *body = NULL, *note = NULL, sig[KEY_SIG_BYTES];
	uint8_t inc[MERKLE_PROOF_BYTES], cons[MERKLE_PROOF_BYTES];
	size_t rlen = 0, wlen = 0, blen = 0, len = 0, ni = 0, nc = 0;
	uint64_t size = g->restored + 3;
	merkle_mem mem = {&nl[0][0], size};
	merkle_source src;
	note_checkpoint c = {.size = size};

	sign_checkpoint(&rn, &rlen, &g->src, g->restored, k.log, 0);
	sign_checkpoint(&wn, &wlen, &g->src, hides ? from - 1 : g->size, k.log, 0);
	E(wire_rollover_sign(&body, &blen, sig, ORIGIN, NEW_ORIGIN, rn, rlen, wn, wlen, 1,
			     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, k.reg.sk));
	memcpy(nl, g->leaves, g->restored * MERKLE_HASH_BYTES);
	E(wire_leaf_hash(nl[g->restored], WIRE_LEAF_ROLLOVER, body, blen, sig));
	randombytes_buf(nl[g->restored + 1], 2 * MERKLE_HASH_BYTES);
	merkle_mem_source(&src, &mem);
	memcpy(c.origin, NEW_ORIGIN, sizeof(NEW_ORIGIN));
	E(merkle_root(c.root, &src, size));
	E(note_checkpoint_sign(&note, &len, &c, k.log2));
	for (size_t i = 0; i < g->cosigners; i++) {
		uint8_t *cosigned = NULL;
		size_t n = 0;

		E(note_checkpoint_cosign(&cosigned, &n, note, len, (uint64_t)time(NULL), k.wit[i]));
		free(note);
		note = cosigned;
		len = n;
	}
	E(merkle_inclusion_proof(inc, &ni, &src, g->restored, size));
	E(merkle_consistency_proof(cons, &nc, &src, g->restored, size));
	cr.checkpoint = (ProtobufCBinaryData){len, note};
	cr.proof = (ProtobufCBinaryData){0, NULL};
	if (!bare) {
		sr.body = (ProtobufCBinaryData){blen, body};
		sr.signature = (ProtobufCBinaryData){sizeof(sig), sig};
		cr.rollover = &sr;
		cr.has_rollover_proof = cr.has_rollover_consistency = 1;
		cr.rollover_proof = (ProtobufCBinaryData){ni * MERKLE_HASH_BYTES, inc};
		cr.rollover_consistency = (ProtobufCBinaryData){nc * MERKLE_HASH_BYTES, cons};
	}
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_RESPONSE;
	env.consistency_response = &cr;
	out = reparse(&env);
	free(rn);
	free(wn);
	free(body);
	free(note);
	return out;
}

static sk_status fetch(void *arg, const Schakel__V1__ConsistencyRequest *req,
		       wire_envelope **reply)
{
	registry *g = arg;
	Schakel__V1__ConsistencyResponse cr = SCHAKEL__V1__CONSISTENCY_RESPONSE__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	static uint8_t proof[MERKLE_PROOF_BYTES], also[8][MERKLE_PROOF_BYTES];
	ProtobufCBinaryData also_proofs[8];
	const merkle_source *src = g->next == FORK ? &g->other_src : &g->src;
	uint64_t size = g->next == SMALLER ? req->from - 1 : g->size;
	uint8_t *note = NULL;
	size_t len = 0, plen = 0;

	g->fetches++;
	g->from = req->from;
	g->n_also = req->n_also;
	snprintf(g->origin, sizeof(g->origin), "%s", req->origin != NULL ? req->origin : "");
	assert_true(req->n_also <= 8);
	if (g->next == ROLLOVER || g->next == ROLLOVER_HIDES || g->next == NEW_LOG_ONLY) {
		*reply = rollover_answer(g, req->from, g->next == ROLLOVER_HIDES,
					 g->next == NEW_LOG_ONLY);
		return SK_OK;
	}
	if (g->next == REFUSE) {
		sk_error_set("no consistency proof from tree size %llu",
			     (unsigned long long)req->from);
		return SK_ERR_INVALID;
	}
	if (g->next == TRUNCATED && g->repeat-- > 0) {
		sk_error_set("the latest cosigned checkpoint does not cover tree size %llu yet",
			     (unsigned long long)(req->n_also ? req->also[0] : 0));
		return SK_ERR_TRUNCATED;
	}
	sign_checkpoint(&note, &len, src, size, g->next == OTHER_KEY ? k.other : k.log,
			g->cosigners);
	if (g->next == BAD_SIG)
		note[len - 20] ^= 1; /* in the base64 of the signature line */
	if (req->from > 0 && req->from < size)
		E(merkle_consistency_proof(proof, &plen, src, req->from, size));
	plen *= MERKLE_HASH_BYTES;
	if (g->next == BAD_PROOF)
		proof[plen / 2] ^= 1;
	if (g->next == SHORT_PROOF)
		plen -= MERKLE_HASH_BYTES;
	if (g->next == NO_PROOF)
		plen = 0;
	cr.checkpoint = (ProtobufCBinaryData){len, note};
	cr.proof = (ProtobufCBinaryData){plen, proof};
	for (size_t i = 0; i < req->n_also; i++) {
		size_t n = 0;

		if (req->also[i] < size)
			E(merkle_consistency_proof(also[i], &n, src, req->also[i], size));
		also_proofs[i] = (ProtobufCBinaryData){n * MERKLE_HASH_BYTES, also[i]};
	}
	if (g->next == BAD_ALSO && req->n_also > 0)
		also[0][0] ^= 1;
	cr.n_also_proofs = req->n_also;
	cr.also_proofs = also_proofs;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_RESPONSE;
	env.consistency_response = &cr;
	*reply = reparse(&env);
	free(note);
	return SK_OK;
}

static sk_status keep(void *arg, const char *what, const char *why, const uint8_t *a,
		      size_t alen, const uint8_t *b, size_t blen)
{
	registry *g = arg;

	(void)a;
	(void)alen;
	(void)b;
	(void)blen;
	g->fails++;
	snprintf(g->what, sizeof(g->what), "%s", what);
	sk_error_set("%s", why);
	return SK_ERR_VERIFY;
}

static void tracker(node_logtrack *t, registry *g, uint32_t quorum)
{
	*t = (node_logtrack){.log_key = &k.vlog,
			     .witnesses = k.vwit,
			     .n_witnesses = 2,
			     .quorum = quorum,
			     .fetch = fetch,
			     .fail = keep,
			     .arg = g};
	E(node_logtrack_start(t, NULL, 0));
}

/* The tracker's checkpoint, to see that a refusal leaves it alone. */
typedef struct seen {
	uint8_t note[4096];
	size_t len;
	uint64_t size;
	uint8_t root[MERKLE_HASH_BYTES];
} seen;

static void snap(seen *s, const node_logtrack *t)
{
	assert_non_null(t->note);
	assert_true(t->note_len <= sizeof(s->note));
	memcpy(s->note, t->note, t->note_len);
	s->len = t->note_len;
	s->size = t->cp.size;
	memcpy(s->root, t->cp.root, MERKLE_HASH_BYTES);
}

static void unchanged(const seen *s, const node_logtrack *t)
{
	assert_int_equal(t->note_len, s->len);
	assert_memory_equal(t->note, s->note, s->len);
	assert_int_equal(t->cp.size, s->size);
	assert_memory_equal(t->cp.root, s->root, MERKLE_HASH_BYTES);
}

/* One refused answer: SK_ERR_VERIFY through fail (what), nothing moved. */
static void refused(node_logtrack *t, registry *g, answer how, const node_log_tree *trees,
		    size_t nt, const char *what)
{
	seen s;
	int fails = g->fails;

	snap(&s, t);
	g->next = how;
	EFAIL(node_logtrack_advance(t, trees, nt), SK_ERR_VERIFY);
	assert_int_equal(g->fails, fails + 1);
	assert_string_equal(g->what, what);
	unchanged(&s, t);
	g->next = HONEST;
}

static int setup(void **state)
{
	uint8_t seed[KEY_ED25519_SEED_BYTES];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	key_ed25519_from_seed(&k.reg, seed);
	if (note_signer_from_seed(&k.log, ORIGIN, NOTE_TYPE_ED25519, seed) != SK_OK ||
	    note_signer_from_seed(&k.log2, NEW_ORIGIN, NOTE_TYPE_ED25519, seed) != SK_OK ||
	    note_signer_generate(&k.other, ORIGIN, NOTE_TYPE_ED25519) != SK_OK ||
	    note_signer_generate(&k.wit[0], "witness-a.example", NOTE_TYPE_COSIG) != SK_OK ||
	    note_signer_generate(&k.wit[1], "witness-b.example", NOTE_TYPE_COSIG) != SK_OK ||
	    note_verifier_from_public(&k.vlog, ORIGIN, NOTE_TYPE_ED25519, k.reg.pk) != SK_OK)
		return -1;
	note_signer_verifier(&k.vwit[0], k.wit[0]);
	note_signer_verifier(&k.vwit[1], k.wit[1]);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	note_signer_free(k.log);
	note_signer_free(k.log2);
	note_signer_free(k.other);
	note_signer_free(k.wit[0]);
	note_signer_free(k.wit[1]);
	key_ed25519_wipe(&k.reg);
	return 0;
}

/* An honest registry growing, and answering the same tree again: each
 * answer is proven from the tree verified before and becomes the verified
 * one; a tracker started from the stored bytes takes up from there. */
static void test_good_sequence(void **state)
{
	static const uint64_t sizes[] = {1, 3, 3, 8, 13, 13, 40, LEAVES};
	registry g;
	node_logtrack t, again;
	uint8_t root[MERKLE_HASH_BYTES];
	uint64_t before = 0;

	(void)state;
	registry_init(&g, LEAVES, 0);
	tracker(&t, &g, 0);
	assert_null(t.note);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		g.size = sizes[i];
		E(node_logtrack_advance(&t, NULL, 0));
		assert_int_equal(g.from, before); /* asked for a proof from what it verified */
		assert_int_equal(t.cp.size, sizes[i]);
		E(merkle_root(root, &g.src, sizes[i]));
		assert_memory_equal(t.cp.root, root, MERKLE_HASH_BYTES);
		before = sizes[i];
	}
	assert_int_equal(g.fails, 0);
	assert_int_equal(g.fetches, (int)(sizeof(sizes) / sizeof(sizes[0])));
	/* the stored checkpoint verifies again; another key's does not */
	again = t;
	E(node_logtrack_start(&again, t.note, t.note_len));
	assert_int_equal(again.cp.size, LEAVES);
	node_logtrack_clear(&again);
	{
		uint8_t *forged = NULL;
		size_t len = 0;

		sign_checkpoint(&forged, &len, &g.src, 9, k.other, 0);
		EFAIL(node_logtrack_start(&again, forged, len), SK_ERR_VERIFY);
		assert_null(again.note);
		free(forged);
	}
	node_logtrack_clear(&t);
	node_logtrack_clear(&t); /* twice: harmless */
}

/* A checkpoint whose signature does not verify under the log's key. */
static void test_forged_checkpoint(void **state)
{
	registry g;
	node_logtrack t;

	(void)state;
	registry_init(&g, LEAVES, 10);
	tracker(&t, &g, 0);
	E(node_logtrack_advance(&t, NULL, 0));
	g.size = 20;
	refused(&t, &g, OTHER_KEY, NULL, 0, "checkpoint");
	refused(&t, &g, BAD_SIG, NULL, 0, "checkpoint");
	/* and on first use, with nothing verified before */
	{
		node_logtrack fresh;

		tracker(&fresh, &g, 0);
		g.next = OTHER_KEY;
		EFAIL(node_logtrack_advance(&fresh, NULL, 0), SK_ERR_VERIFY);
		assert_null(fresh.note);
		g.next = HONEST;
	}
	E(node_logtrack_advance(&t, NULL, 0));
	assert_int_equal(t.cp.size, 20);
	node_logtrack_clear(&t);
}

/* A consistency proof changed, cut short or left out. */
static void test_bad_consistency(void **state)
{
	registry g;
	node_logtrack t;

	(void)state;
	registry_init(&g, LEAVES, 13);
	tracker(&t, &g, 0);
	E(node_logtrack_advance(&t, NULL, 0));
	g.size = 29;
	refused(&t, &g, BAD_PROOF, NULL, 0, "inconsistent-checkpoint");
	refused(&t, &g, SHORT_PROOF, NULL, 0, "inconsistent-checkpoint");
	refused(&t, &g, NO_PROOF, NULL, 0, "inconsistent-checkpoint");
	E(node_logtrack_advance(&t, NULL, 0));
	assert_int_equal(t.cp.size, 29);
	node_logtrack_clear(&t);
}

/* Split views: another tree of the size the node verified, a history that
 * parted before it and grew past it, a smaller tree, and a registry that
 * will not prove it extends what the node verified. */
static void test_split_view(void **state)
{
	registry g;
	node_logtrack t;

	(void)state;
	registry_init(&g, 11, 16);
	tracker(&t, &g, 0);
	E(node_logtrack_advance(&t, NULL, 0));
	refused(&t, &g, FORK, NULL, 0, "inconsistent-checkpoint"); /* 16, another root */
	g.size = 30;
	refused(&t, &g, FORK, NULL, 0, "inconsistent-checkpoint"); /* parted at 11, now 30 */
	refused(&t, &g, SMALLER, NULL, 0, "inconsistent-checkpoint");
	refused(&t, &g, REFUSE, NULL, 0, "rollback");
	E(node_logtrack_advance(&t, NULL, 0));
	assert_int_equal(t.cp.size, 30);
	node_logtrack_clear(&t);
}

/* Our entry in the registry's log at index, with its receipt as the
 * registry signs it, its checkpoint at the registry's size. */
typedef struct ours {
	uint8_t entry[48], sig[KEY_SIG_BYTES];
	uint64_t seq, index;
	Schakel__V1__PublishReceipt rc;
	uint8_t body[128], salt[WIRE_RECEIPT_SALT_BYTES], batch_sig[KEY_SIG_BYTES];
	uint8_t *note, proof[MERKLE_PROOF_BYTES];
} ours;

static void publish(ours *o, registry *g, uint64_t index, uint64_t seq)
{
	Schakel__V1__PublishReceiptBody b = SCHAKEL__V1__PUBLISH_RECEIPT_BODY__INIT;
	uint8_t leaf[WIRE_LEAF_HASH_BYTES], root[MERKLE_HASH_BYTES];
	size_t len = 0, plen = 0;

	memset(o, 0, sizeof(*o));
	randombytes_buf(o->entry, sizeof(o->entry));
	randombytes_buf(o->sig, sizeof(o->sig));
	o->seq = seq;
	o->index = index;
	E(wire_leaf_hash(leaf, WIRE_LEAF_ENTRY, o->entry, sizeof(o->entry), o->sig));
	memcpy(g->leaves + index * MERKLE_HASH_BYTES, leaf, sizeof(leaf));
	memcpy(g->other + index * MERKLE_HASH_BYTES, leaf, sizeof(leaf));
	b.org_id = ORG;
	b.seq = seq;
	b.leaf_index = index;
	b.leaf_hash = (ProtobufCBinaryData){sizeof(leaf), leaf};
	b.received_at = 1;
	assert_true(schakel__v1__publish_receipt_body__get_packed_size(&b) <= sizeof(o->body));
	schakel__v1__publish_receipt__init(&o->rc);
	o->rc.body = (ProtobufCBinaryData){schakel__v1__publish_receipt_body__pack(&b, o->body),
					   o->body};
	/* a batch of one: its root is the receipt's leaf */
	randombytes_buf(o->salt, sizeof(o->salt));
	wire_receipt_leaf(root, o->salt, o->rc.body.data, o->rc.body.len);
	E(wire_receipts_sign(o->batch_sig, 1, root, k.reg.sk));
	o->rc.signature = (ProtobufCBinaryData){sizeof(o->batch_sig), o->batch_sig};
	o->rc.batch_size = 1;
	o->rc.batch_index = 0;
	o->rc.batch_salt = (ProtobufCBinaryData){sizeof(o->salt), o->salt};
	sign_checkpoint(&o->note, &len, &g->src, g->size, k.log, 0);
	o->rc.has_checkpoint = 1;
	o->rc.checkpoint = (ProtobufCBinaryData){len, o->note};
	E(merkle_inclusion_proof(o->proof, &plen, &g->src, index, g->size));
	o->rc.has_inclusion_proof = 1;
	o->rc.inclusion_proof = (ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, o->proof};
}

static sk_status check(node_log_tree *tree, node_log_receipts *c, const ours *o,
		       node_log_failure *f)
{
	return node_log_receipt_check(tree, c, &o->rc, o->entry, sizeof(o->entry), o->sig, o->seq,
				      k.reg.pk, &k.vlog, f);
}

/* Receipts, checked one by one: the registry's batch signature, the leaf
 * and seq, the checkpoint, the inclusion proof. */
static void test_receipts(void **state)
{
	registry g;
	ours o;
	node_log_receipts c;
	node_log_tree tree;
	node_log_failure f;
	uint8_t root[MERKLE_HASH_BYTES];

	(void)state;
	registry_init(&g, LEAVES, 21);
	publish(&o, &g, 17, 5);
	memset(&c, 0, sizeof(c));
	E(check(&tree, &c, &o, &f));
	E(merkle_root(root, &g.src, 21));
	assert_int_equal(tree.size, 21);
	assert_memory_equal(tree.root, root, MERKLE_HASH_BYTES);
	/* forged: the batch signed by another key, a byte of its signature */
	{
		key_ed25519 other;
		uint8_t r[32];

		key_ed25519_generate(&other);
		wire_receipt_leaf(r, o.salt, o.rc.body.data, o.rc.body.len);
		E(wire_receipts_sign(o.batch_sig, 1, r, other.sk));
		memset(&c, 0, sizeof(c));
		EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
		assert_string_equal(f.what, "receipt");
		E(wire_receipts_sign(o.batch_sig, 1, r, k.reg.sk));
		key_ed25519_wipe(&other);
	}
	o.batch_sig[5] ^= 1;
	memset(&c, 0, sizeof(c));
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "receipt");
	o.batch_sig[5] ^= 1;
	/* a genuine receipt for another entry, or another seq */
	o.seq++;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_non_null(strstr(f.why, "another entry"));
	o.seq--;
	o.entry[0] ^= 1;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_non_null(strstr(f.why, "another entry"));
	o.entry[0] ^= 1;
	/* a bad inclusion proof: a hash changed, one short, none, another index */
	o.proof[0] ^= 1;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "inclusion");
	assert_ptr_equal(f.b, o.rc.inclusion_proof.data);
	o.proof[0] ^= 1;
	o.rc.inclusion_proof.len -= MERKLE_HASH_BYTES;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "inclusion");
	o.rc.inclusion_proof.len += MERKLE_HASH_BYTES;
	o.rc.has_inclusion_proof = 0;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "inclusion");
	o.rc.has_inclusion_proof = 1;
	{
		size_t plen = 0;

		E(merkle_inclusion_proof(o.proof, &plen, &g.src, 16, 21));
		EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
		assert_string_equal(f.what, "inclusion");
		E(merkle_inclusion_proof(o.proof, &plen, &g.src, 17, 21));
	}
	/* a checkpoint that is not the log's, or none */
	free(o.note);
	sign_checkpoint(&o.note, &o.rc.checkpoint.len, &g.src, 21, k.other, 0);
	o.rc.checkpoint.data = o.note;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "receipt-checkpoint");
	o.rc.has_checkpoint = 0;
	EFAIL(check(&tree, &c, &o, &f), SK_ERR_VERIFY);
	assert_string_equal(f.what, "receipt-checkpoint");
	free(o.note);
}

/* A publish run: the receipts' trees proven consistent with the registry's
 * latest checkpoint, which becomes the verified one; a receipt tree the
 * log does not extend (the registry signed two histories) is refused. */
static void test_publish_run(void **state)
{
	registry g;
	node_logtrack t;
	ours o[3];
	node_log_tree trees[3];
	node_log_receipts c;
	node_log_failure f;

	(void)state;
	registry_init(&g, 26, 12);
	tracker(&t, &g, 0);
	E(node_logtrack_advance(&t, NULL, 0));
	memset(&c, 0, sizeof(c));
	g.size = 20;
	publish(&o[0], &g, 14, 1);
	g.size = 25;
	publish(&o[1], &g, 22, 2);
	g.size = 28;
	publish(&o[2], &g, 26, 3); /* the last leaf both histories share */
	for (size_t i = 0; i < 3; i++) {
		E(check(&trees[i], &c, &o[i], &f));
		free(o[i].note);
	}
	g.size = 33;
	refused(&t, &g, BAD_ALSO, trees, 3, "inconsistent-checkpoint");
	E(node_logtrack_advance(&t, trees, 3));
	assert_int_equal(g.n_also, 3);
	assert_int_equal(g.from, 12);
	assert_int_equal(t.cp.size, 33);
	/* the registry's other history at 28 signed for a receipt: the log it
	 * answers from does not extend it */
	{
		node_log_tree forked = {28, {0}};

		E(merkle_root(forked.root, &g.other_src, 28));
		g.size = 40;
		refused(&t, &g, HONEST, &forked, 1, "inconsistent-checkpoint");
	}
	node_logtrack_clear(&t);
}

/* With a witness quorum: a checkpoint short of it is asked for again while
 * the wait lasts, then refused; one the witnesses cosigned is taken. */
static void test_quorum(void **state)
{
	registry g;
	node_logtrack t;
	node_log_tree tree;

	(void)state;
	registry_init(&g, LEAVES, 7);
	tracker(&t, &g, 2);
	g.cosigners = 2;
	E(node_logtrack_advance(&t, NULL, 0));
	assert_int_equal(t.cp.size, 7);
	g.size = 9;
	g.cosigners = 1;
	g.fetches = 0;
	refused(&t, &g, HONEST, NULL, 0, "unwitnessed-checkpoint");
	assert_int_equal(g.fetches, 1); /* no wait asked for */
	t.wait_ms = 20;
	t.poll_ms = 1;
	g.fetches = 0;
	refused(&t, &g, HONEST, NULL, 0, "unwitnessed-checkpoint");
	assert_int_equal(g.fetches, 20);
	/* receipts' trees not covered yet by a cosigned checkpoint, then covered */
	g.cosigners = 2;
	tree.size = 9;
	E(merkle_root(tree.root, &g.src, 9));
	g.next = TRUNCATED;
	g.repeat = 3;
	g.fetches = 0;
	E(node_logtrack_advance(&t, &tree, 1));
	assert_int_equal(g.fetches, 4);
	assert_int_equal(t.cp.size, 9);
	g.repeat = 100;
	g.size = 11;
	tree.size = 10;
	E(merkle_root(tree.root, &g.src, 10));
	refused(&t, &g, TRUNCATED, &tree, 1, "unwitnessed-checkpoint");
	node_logtrack_clear(&t);
}

/* A registry restored from a backup and rolled over: the tracker asks
 * with its origin, refuses a new log without the statement, a statement
 * that hides the tree it verified and a new checkpoint short of the
 * quorum, each leaving it as it was; then follows the linked one, keeping
 * the old checkpoint. */
static void test_rollover(void **state)
{
	registry g;
	node_logtrack t;

	(void)state;
	registry_init(&g, LEAVES, 20);
	g.cosigners = 1;
	g.restored = 12;
	tracker(&t, &g, 1);
	E(node_logtrack_advance(&t, NULL, 0)); /* the node verified 20 leaves */
	g.size = 24;                            /* and the witnesses 24, before the loss */
	refused(&t, &g, NEW_LOG_ONLY, NULL, 0, "checkpoint");
	assert_string_equal(g.origin, ORIGIN);
	refused(&t, &g, ROLLOVER_HIDES, NULL, 0, "rollover");
	g.cosigners = 0;
	refused(&t, &g, ROLLOVER, NULL, 0, "unwitnessed-checkpoint");
	g.cosigners = 1;
	g.next = ROLLOVER;
	E(node_logtrack_advance(&t, NULL, 0));
	assert_int_equal(t.rolled, 1);
	assert_string_equal(t.cp.origin, NEW_ORIGIN);
	assert_int_equal(t.cp.size, 15);
	assert_string_equal(t.log_key->name, NEW_ORIGIN);
	assert_non_null(t.old_note);
	assert_memory_equal(t.old_note, ORIGIN "\n20\n", strlen(ORIGIN) + 4);
	node_logtrack_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_sequence),   cmocka_unit_test(test_forged_checkpoint),
		cmocka_unit_test(test_bad_consistency), cmocka_unit_test(test_split_view),
		cmocka_unit_test(test_receipts),        cmocka_unit_test(test_publish_run),
		cmocka_unit_test(test_quorum),          cmocka_unit_test(test_rollover),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
