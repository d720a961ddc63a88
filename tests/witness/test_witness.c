#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "crypto/key.h"
#include "protos/rollover.h"
#include "protos/wire.h"
#include "witness/https.h"
#include "witness/witness.h"

#define ORIGIN "example.org/log"
#define NEW_ORIGIN "example.org/log/2"
#define N 40

/* A log of N random leaves in memory, its key and a witness over a fresh
 * env. */
typedef struct fx {
	char *dir;
	MDB_env *env;
	note_signer *log_key, *other_key, *cosigner;
	key_ed25519 id; /* the registry's identity: the seed of log_key */
	note_verifier log_v, cosig_v;
	wit_witness *w;
	uint8_t leaves[N][MERKLE_HASH_BYTES];
	merkle_mem mem;
	merkle_source src;
} fx;

static int setup(void **state)
{
	fx *x = calloc(1, sizeof(*x));

	E(sk_init());
	x->dir = t_tmpdir();
	E(sk_db_open(&x->env, x->dir, 64 << 20, 8));
	{
		uint8_t seed[KEY_ED25519_SEED_BYTES];

		randombytes_buf(seed, sizeof(seed));
		key_ed25519_from_seed(&x->id, seed);
		E(note_signer_from_seed(&x->log_key, ORIGIN, NOTE_TYPE_ED25519, seed));
	}
	E(note_signer_generate(&x->other_key, ORIGIN, NOTE_TYPE_ED25519));
	E(note_signer_generate(&x->cosigner, "w1", NOTE_TYPE_COSIG));
	note_signer_verifier(&x->log_v, x->log_key);
	note_signer_verifier(&x->cosig_v, x->cosigner);
	E(wit_open(&x->w, x->env, &x->log_v, 1, x->cosigner));
	for (size_t i = 0; i < N; i++)
		randombytes_buf(x->leaves[i], MERKLE_HASH_BYTES);
	x->mem = (merkle_mem){&x->leaves[0][0], N};
	merkle_mem_source(&x->src, &x->mem);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;

	wit_close(x->w);
	note_signer_free(x->log_key);
	note_signer_free(x->other_key);
	note_signer_free(x->cosigner);
	sk_db_close(x->env);
	t_rmdir(x->dir);
	free(x);
	return 0;
}

/* A signed checkpoint of the first size leaves (root flipped if bad). */
static void checkpoint(fx *x, uint64_t size, int bad_root, const note_signer *key,
		       uint8_t **note, size_t *len)
{
	note_checkpoint cp = {0};

	snprintf(cp.origin, sizeof(cp.origin), "%s", ORIGIN);
	cp.size = size;
	E(merkle_root(cp.root, &x->src, size));
	if (bad_root)
		cp.root[0] ^= 1;
	E(note_checkpoint_sign(note, len, &cp, key));
}

/* Submits (old -> size) with a real proof and returns the status. */
static int submit(fx *x, uint64_t old, uint64_t size, int bad_root, const note_signer *key,
		  wit_reply *r)
{
	uint8_t *note = NULL, *body = NULL, proof[MERKLE_PROOF_BYTES];
	size_t nlen = 0, blen = 0, plen = 0;

	checkpoint(x, size, bad_root, key, &note, &nlen);
	if (old > 0 && old <= size)
		E(merkle_consistency_proof(proof, &plen, &x->src, old, size));
	E(wit_request_format(&body, &blen, old, proof, plen, note, nlen));
	wit_add_checkpoint(x->w, body, blen, 1700000000, r);
	if (r->status == 200) {
		/* the answer is a cosignature line that verifies on the note */
		uint8_t *all = malloc(nlen + r->len);
		note_checkpoint cp;
		note_sig_result res;

		memcpy(all, note, nlen);
		memcpy(all + nlen, r->body, r->len);
		E(note_checkpoint_open(&cp, &res, all, nlen + r->len, &x->log_v, &x->cosig_v, 1));
		assert_int_equal(res.verified, 1);
		assert_int_equal(res.timestamp, 1700000000);
		assert_int_equal(cp.size, size);
		free(all);
	}
	free(note);
	free(body);
	return r->status;
}

/* The happy path of tlog-witness, then each refusal of the spec. */
static void test_add_checkpoint(void **state)
{
	fx *x = *state;
	wit_reply r;
	uint64_t size;
	uint8_t root[MERKLE_HASH_BYTES], want[MERKLE_HASH_BYTES];

	assert_int_equal(submit(x, 0, 0, 0, x->log_key, &r), 200);
	assert_int_equal(submit(x, 0, 5, 0, x->log_key, &r), 200);
	assert_int_equal(submit(x, 5, 5, 0, x->log_key, &r), 200); /* same tree again */
	assert_int_equal(submit(x, 5, 17, 0, x->log_key, &r), 200);
	E(wit_latest(x->w, ORIGIN, &size, root, NULL, NULL));
	E(merkle_root(want, &x->src, 17));
	assert_int_equal(size, 17);
	assert_memory_equal(root, want, MERKLE_HASH_BYTES);

	/* 409: an old size other than ours, with ours in the body */
	assert_int_equal(submit(x, 5, 20, 0, x->log_key, &r), 409);
	assert_string_equal(r.content_type, WIT_CONTENT_SIZE);
	assert_string_equal(r.body, "17\n");
	assert_int_equal(submit(x, 0, 20, 0, x->log_key, &r), 409);
	/* 422: another tree of the same size, or one that does not extend ours */
	assert_int_equal(submit(x, 17, 17, 1, x->log_key, &r), 422);
	assert_int_equal(submit(x, 17, 30, 1, x->log_key, &r), 422);
	/* 403: a signature by another key of the same name */
	assert_int_equal(submit(x, 17, 30, 0, x->other_key, &r), 403);
	/* 400: old size beyond the checkpoint */
	assert_int_equal(submit(x, 17, 10, 0, x->log_key, &r), 400);
	/* nothing of that changed what we cosigned */
	E(wit_latest(x->w, ORIGIN, &size, root, NULL, NULL));
	assert_int_equal(size, 17);
	assert_int_equal(submit(x, 17, 40, 0, x->log_key, &r), 200);
}

/* 404 for a log we do not follow; 400 for malformed bodies. */
static void test_refusals(void **state)
{
	fx *x = *state;
	note_signer *k = NULL;
	note_checkpoint cp = {0};
	uint8_t *note = NULL, *body = NULL;
	size_t nlen = 0, blen = 0;
	wit_reply r;
	static const char *bad[] = {
		"", "old 0\n", "old 0\n\n", "old 00\n\nx\n", "old -1\n\nx\n", "old 1\nAAAA\n\nx\n",
		"old 18446744073709551616\n\nx\n", "olde 0\n\nx\n",
	};

	E(note_signer_generate(&k, "other.example/log", NOTE_TYPE_ED25519));
	snprintf(cp.origin, sizeof(cp.origin), "%s", "other.example/log");
	merkle_empty_root(cp.root);
	E(note_checkpoint_sign(&note, &nlen, &cp, k));
	E(wit_request_format(&body, &blen, 0, NULL, 0, note, nlen));
	wit_add_checkpoint(x->w, body, blen, 1, &r);
	assert_int_equal(r.status, 404);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wit_add_checkpoint(x->w, (const uint8_t *)bad[i], strlen(bad[i]), 1, &r);
		assert_int_equal(r.status, 400);
	}
	/* a proof from the empty tree must be empty */
	free(body);
	{
		uint8_t *n2 = NULL, proof[32] = {0};
		size_t l2 = 0;

		checkpoint(x, 3, 0, x->log_key, &n2, &l2);
		E(wit_request_format(&body, &blen, 0, proof, 1, n2, l2));
		wit_add_checkpoint(x->w, body, blen, 1, &r);
		assert_int_equal(r.status, 422);
		free(n2);
	}
	free(body);
	free(note);
	note_signer_free(k);
}

/* The state survives closing and reopening the env (a restart). */
static void test_restart(void **state)
{
	fx *x = *state;
	wit_reply r;
	uint64_t size;
	uint8_t root[MERKLE_HASH_BYTES], *note = NULL;
	size_t nlen = 0;

	assert_int_equal(submit(x, 0, 9, 0, x->log_key, &r), 200);
	wit_close(x->w);
	sk_db_close(x->env);
	E(sk_db_open(&x->env, x->dir, 64 << 20, 8));
	E(wit_open(&x->w, x->env, &x->log_v, 1, x->cosigner));
	E(wit_latest(x->w, ORIGIN, &size, root, &note, &nlen));
	assert_int_equal(size, 9);
	assert_int_equal(submit(x, 0, 12, 0, x->log_key, &r), 409);
	assert_int_equal(submit(x, 9, 12, 0, x->log_key, &r), 200);
	free(note);
}

/* The request format round-trips; 63 proof lines at most. */
static void test_request_format(void **state)
{
	uint8_t proof[64 * 32], *body = NULL;
	size_t blen = 0;
	wit_request rq;

	(void)state;
	randombytes_buf(proof, sizeof(proof));
	E(wit_request_format(&body, &blen, 12345, proof, 63, (const uint8_t *)"n\n", 2));
	E(wit_request_parse(&rq, body, blen));
	assert_int_equal(rq.old_size, 12345);
	assert_int_equal(rq.proof_len, 63);
	assert_memory_equal(rq.proof, proof, 63 * 32);
	assert_int_equal(rq.note_len, 2);
	free(body);
	EFAIL(wit_request_format(&body, &blen, 1, proof, 64, (const uint8_t *)"n\n", 2),
	      SK_ERR_TOOBIG);
}

static void test_response_parse(void **state)
{
	const char *ok = "HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\r\n"
			 "Content-Length: 3\r\n\r\n17\nextra";
	const uint8_t *body;
	size_t blen;
	char ct[64];
	int status;
	char addr[WIT_URL_MAX + 1], prefix[WIT_URL_MAX + 1];

	(void)state;
	E(wit_http_response_parse((const uint8_t *)ok, strlen(ok), &status, ct, sizeof(ct), &body,
				  &blen));
	assert_int_equal(status, 409);
	assert_string_equal(ct, "text/x.tlog.size");
	assert_int_equal(blen, 3);
	assert_memory_equal(body, "17\n", 3);
	EFAIL(wit_http_response_parse((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, &status, ct,
				      sizeof(ct), &body, &blen),
	      SK_ERR_INVALID);
	E(wit_url_split("https://127.0.0.1:8443/w/", addr, prefix));
	assert_string_equal(addr, "127.0.0.1:8443");
	assert_string_equal(prefix, "/w");
	E(wit_url_split("https://h:1", addr, prefix));
	assert_string_equal(prefix, "");
	EFAIL(wit_url_split("http://h:1", addr, prefix), SK_ERR_INVALID);
	EFAIL(wit_url_split("https://h", addr, prefix), SK_ERR_INVALID);
}

/* A new log replacing ORIGIN: the old log's first rsize leaves, then the
 * statement (old -> new, restored and witnessed checkpoints of the old log
 * of rsize and wsize leaves, the witnessed one's root flipped when
 * bad_witnessed, signed by sign_sk), then 3 random leaves; submitted as
 * add-rollover with the new log's checkpoint signed by new_key. unlinked:
 * the statement's leaf is replaced; unprefixed: the first leaf is. */
#define NEW_MAX (N + 4)
typedef struct ro_case {
	const char *old_origin, *new_origin;
	uint64_t rsize, wsize;
	int bad_witnessed, unlinked, unprefixed;
	const uint8_t *sign_sk;
	const note_signer *new_key;
} ro_case;

static int rollover(fx *x, const ro_case *c, uint8_t new_leaves[NEW_MAX][MERKLE_HASH_BYTES],
		    uint64_t *new_size, wit_reply *r)
{
	Schakel__V1__RolloverRequest rq = SCHAKEL__V1__ROLLOVER_REQUEST__INIT;
	Schakel__V1__SignedRollover sr = SCHAKEL__V1__SIGNED_ROLLOVER__INIT;
	uint8_t *rn = NULL, *wn = NULL, *body = NULL, *cpn = NULL, *req = NULL;
	uint8_t sig[KEY_SIG_BYTES], proof[MERKLE_PROOF_BYTES], cons[MERKLE_PROOF_BYTES];
	size_t rlen = 0, wlen = 0, blen = 0, cplen = 0, plen = 0, clen = 0;
	note_checkpoint cp = {0};
	uint64_t size = c->rsize + 4;
	merkle_mem mem = {&new_leaves[0][0], size};
	merkle_source src;
	note_signer *old_key = NULL;

	/* the old log's checkpoints, under the old origin's name */
	E(note_signer_from_seed(&old_key, c->old_origin, NOTE_TYPE_ED25519, x->id.sk));
	snprintf(cp.origin, sizeof(cp.origin), "%s", c->old_origin);
	cp.size = c->rsize;
	E(merkle_root(cp.root, &x->src, c->rsize));
	E(note_checkpoint_sign(&rn, &rlen, &cp, old_key));
	cp.size = c->wsize;
	E(merkle_root(cp.root, &x->src, c->wsize));
	cp.root[0] ^= (uint8_t)(c->bad_witnessed != 0);
	E(note_checkpoint_sign(&wn, &wlen, &cp, old_key));
	E(wire_rollover_sign(&body, &blen, sig, c->old_origin, c->new_origin, rn, rlen, wn, wlen,
			     1700000000000ull, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST,
			     c->sign_sk));
	memcpy(new_leaves, x->leaves, c->rsize * MERKLE_HASH_BYTES);
	E(wire_leaf_hash(new_leaves[c->rsize], WIRE_LEAF_ROLLOVER, body, blen, sig));
	for (uint64_t i = c->rsize + 1; i < size; i++)
		randombytes_buf(new_leaves[i], MERKLE_HASH_BYTES);
	if (c->unlinked)
		randombytes_buf(new_leaves[c->rsize], MERKLE_HASH_BYTES);
	if (c->unprefixed)
		randombytes_buf(new_leaves[0], MERKLE_HASH_BYTES);
	merkle_mem_source(&src, &mem);
	snprintf(cp.origin, sizeof(cp.origin), "%s", c->new_origin);
	cp.size = size;
	E(merkle_root(cp.root, &src, size));
	E(note_checkpoint_sign(&cpn, &cplen, &cp, c->new_key));
	E(merkle_inclusion_proof(proof, &plen, &src, c->rsize, size));
	if (c->rsize > 0)
		E(merkle_consistency_proof(cons, &clen, &src, c->rsize, size));
	*new_size = size;
	rq.consistency_proof = (ProtobufCBinaryData){clen * MERKLE_HASH_BYTES, cons};
	sr.body = (ProtobufCBinaryData){blen, body};
	sr.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	rq.statement = &sr;
	rq.checkpoint = (ProtobufCBinaryData){cplen, cpn};
	rq.inclusion_proof = (ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, proof};
	req = malloc(schakel__v1__rollover_request__get_packed_size(&rq));
	wit_add_rollover(x->w, req, schakel__v1__rollover_request__pack(&rq, req), 1700000000, r);
	if (r->status == 200) {
		/* the answer is our cosignature on the new log's checkpoint */
		uint8_t *all = malloc(cplen + r->len);
		note_verifier nv;
		note_sig_result res;

		note_signer_verifier(&nv, c->new_key);
		memcpy(all, cpn, cplen);
		memcpy(all + cplen, r->body, r->len);
		E(note_checkpoint_open(&cp, &res, all, cplen + r->len, &nv, &x->cosig_v, 1));
		assert_int_equal(res.verified, 1);
		free(all);
	}
	note_signer_free(old_key);
	free(rn);
	free(wn);
	free(body);
	free(cpn);
	free(req);
	return r->status;
}

/* A rollover is cosigned only when it links to what this witness
 * cosigned of the old log; then the old log is closed and the new one
 * followed, through a second rollover too. */
static void test_rollover(void **state)
{
	fx *x = *state;
	uint8_t leaves[NEW_MAX][MERKLE_HASH_BYTES], *body = NULL, *note = NULL;
	uint8_t root[MERKLE_HASH_BYTES];
	uint8_t proof[MERKLE_PROOF_BYTES];
	note_signer *new_key = NULL, *new_other = NULL, *third_key = NULL;
	char next[NOTE_ORIGIN_MAX + 1];
	size_t blen = 0, nlen = 0, plen = 0;
	uint64_t size, new_size = 0;
	merkle_mem mem = {&leaves[0][0], NEW_MAX};
	merkle_source src;
	note_checkpoint cp = {0};
	wit_reply r;
	ro_case ok = {ORIGIN, NEW_ORIGIN, 10, 17, 0, 0, 0, x->id.sk, NULL}, c;
	key_ed25519 other;
	uint8_t oseed[KEY_ED25519_SEED_BYTES];

	randombytes_buf(oseed, sizeof(oseed));
	key_ed25519_from_seed(&other, oseed);
	E(note_signer_from_seed(&new_key, NEW_ORIGIN, NOTE_TYPE_ED25519, x->id.sk));
	E(note_signer_from_seed(&new_other, NEW_ORIGIN, NOTE_TYPE_ED25519, oseed));
	E(note_signer_from_seed(&third_key, "example.org/log/3", NOTE_TYPE_ED25519, x->id.sk));
	ok.new_key = new_key;
	assert_int_equal(submit(x, 0, 17, 0, x->log_key, &r), 200);

	/* 422: a witnessed checkpoint smaller than ours hides what we cosigned */
	c = ok, c.wsize = 12;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 422);
	/* 422: our size under another root */
	c = ok, c.bad_witnessed = 1;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 422);
	/* 403: a statement by another key; a new checkpoint by another key */
	c = ok, c.sign_sk = other.sk;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 403);
	c = ok, c.new_key = new_other;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 403);
	/* 422: a new log without the statement after the restored tree, or
	 * one that does not begin with the restored tree */
	c = ok, c.unlinked = 1;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 422);
	c = ok, c.unprefixed = 1;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 422);
	/* 404: an old log this witness does not follow */
	c = ok, c.old_origin = "other.example/log";
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 404);
	/* 400: not a request */
	wit_add_rollover(x->w, (const uint8_t *)"old 0\n\n", 7, 1, &r);
	assert_int_equal(r.status, 400);
	/* none of that moved anything */
	EFAIL(wit_successor(x->w, ORIGIN, next), SK_ERR_NOTFOUND);
	EFAIL(wit_latest(x->w, NEW_ORIGIN, &size, root, NULL, NULL), SK_ERR_NOTFOUND);

	/* a witnessed checkpoint larger than ours (another witness cosigned it) */
	assert_int_equal(rollover(x, &ok, leaves, &new_size, &r), 200);
	E(wit_successor(x->w, ORIGIN, next));
	assert_string_equal(next, NEW_ORIGIN);
	E(wit_latest(x->w, NEW_ORIGIN, &size, root, NULL, NULL));
	assert_int_equal(size, 14);
	/* 410: the old log signs nothing more here, even consistent with ours */
	assert_int_equal(submit(x, 17, 30, 0, x->log_key, &r), 410);
	/* 409: once only */
	{
		uint8_t other_leaves[NEW_MAX][MERKLE_HASH_BYTES];

		memcpy(other_leaves, leaves, sizeof(leaves));
		c = ok, c.new_origin = "example.org/log/3", c.new_key = third_key;
		assert_int_equal(rollover(x, &c, other_leaves, &new_size, &r), 409);
	}
	/* the new log is followed with add-checkpoint from its first state */
	merkle_mem_source(&src, &mem);
	snprintf(cp.origin, sizeof(cp.origin), "%s", NEW_ORIGIN);
	cp.size = new_size;
	E(merkle_root(cp.root, &src, new_size));
	E(note_checkpoint_sign(&note, &nlen, &cp, new_key));
	E(wit_request_format(&body, &blen, new_size, proof, plen, note, nlen));
	wit_add_checkpoint(x->w, body, blen, 1700000001, &r);
	assert_int_equal(r.status, 200);
	free(body);
	free(note);
	/* and survives a restart */
	wit_close(x->w);
	sk_db_close(x->env);
	E(sk_db_open(&x->env, x->dir, 64 << 20, 8));
	E(wit_open(&x->w, x->env, &x->log_v, 1, x->cosigner));
	assert_int_equal(submit(x, 17, 30, 0, x->log_key, &r), 410);
	E(wit_latest(x->w, NEW_ORIGIN, &size, root, NULL, NULL));
	assert_int_equal(size, 14);
	/* the new log rolls over in its turn, under the key it inherited */
	c = ok, c.old_origin = NEW_ORIGIN, c.new_origin = "example.org/log/3", c.new_key = third_key;
	assert_int_equal(rollover(x, &c, leaves, &new_size, &r), 200);
	E(wit_successor(x->w, NEW_ORIGIN, next));
	assert_string_equal(next, "example.org/log/3");
	E(note_checkpoint_sign(&note, &nlen, &cp, new_key));
	E(wit_request_format(&body, &blen, new_size, proof, plen, note, nlen));
	wit_add_checkpoint(x->w, body, blen, 1700000002, &r);
	assert_int_equal(r.status, 410);
	free(body);
	free(note);
	note_signer_free(new_key);
	note_signer_free(new_other);
	note_signer_free(third_key);
	sodium_memzero(&other, sizeof(other));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test(test_request_format),
		cmocka_unit_test(test_response_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
