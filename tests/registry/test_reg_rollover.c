/* The registry's rollover (registry/rollover.c) on a real store: the
 * restored tree stays the prefix of the new log, the signed statement is
 * its next leaf, the origin and key name switch and survive a reopen; a
 * witnessed checkpoint under another key, smaller than the restored tree
 * or under the same origin is refused with nothing changed; the request
 * built for the witnesses is cosigned by a witness that followed the old
 * log, which then refuses the old log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "common/kek.h"
#include "protos/rollover.h"
#include "registry/cosign.h"
#include "registry/rollchain.h"
#include "registry/rollover.h"
#include "witness/witness.h"

#define OLD "test.example/log"
#define NEW "test.example/log/2"

struct fx {
	char *dir, sub[512];
	sk_kek *kek;
	reg_store *s;
};

static void fx_new(struct fx *f, unsigned leaves)
{
	MDB_txn *txn = NULL;

	f->dir = t_tmpdir();
	snprintf(f->sub, sizeof(f->sub), "%s/r", f->dir);
	E(sk_kek_open(&f->kek, NULL, 1));
	E(reg_store_init(f->sub, OLD, "registry", f->kek));
	E(reg_store_open(&f->s, f->sub, f->kek));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	for (unsigned i = 0; i < leaves; i++) {
		uint8_t body[16];
		uint64_t index;

		randombytes_buf(body, sizeof(body));
		E(reg_leaf_member(f->s, txn, body, sizeof(body), &index));
	}
	E(reg_checkpoint_update(f->s, txn));
	E(sk_db_status(mdb_txn_commit(txn)));
}

static void fx_free(struct fx *f)
{
	reg_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
}

/* A checkpoint of origin at size (root of fill bytes) signed with seed. */
static void signed_cp(uint8_t **note, size_t *len, const char *origin, uint64_t size,
		      uint8_t fill, const uint8_t *seed)
{
	note_checkpoint cp = {0};
	note_signer *k = NULL;

	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = size;
	memset(cp.root, fill, sizeof(cp.root));
	E(note_signer_from_seed(&k, origin, NOTE_TYPE_ED25519, seed));
	E(note_checkpoint_sign(note, len, &cp, k));
	note_signer_free(k);
}

static void log_state(struct fx *f, uint64_t *size, uint8_t root[32])
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_log_size(&f->s->log, txn, size));
	E(reg_log_root(&f->s->log, txn, *size, root));
	mdb_txn_abort(txn);
}

static void test_rollover(void **state)
{
	struct fx f;
	uint8_t *w = NULL, *bad = NULL, root5[32], root[32], other[32], *body = NULL;
	uint8_t sig[KEY_SIG_BYTES], *req = NULL, *note = NULL;
	size_t wlen = 0, blen = 0, len = 0, rlen = 0, nlen = 0;
	uint64_t size = 0, index = 0, csize = 0;
	int lost = SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST;
	note_verifier nv, ov;
	note_checkpoint cp;
	wire_rollover ro;
	MDB_txn *txn = NULL;

	(void)state;
	E(sk_init());
	fx_new(&f, 5);
	log_state(&f, &size, root5);
	assert_int_equal(size, 5);
	/* the witnesses cosigned up to 8 before the disk was lost */
	signed_cp(&w, &wlen, OLD, 8, 7, f.s->id->sk);

	/* refused, nothing changed: another key; smaller than the backup; the same origin */
	randombytes_buf(other, sizeof(other));
	signed_cp(&bad, &len, OLD, 8, 7, other);
	EFAIL(reg_rollover(f.s, NEW, bad, len, lost, 1), SK_ERR_VERIFY);
	free(bad);
	signed_cp(&bad, &len, OLD, 3, 7, f.s->id->sk);
	EFAIL(reg_rollover(f.s, NEW, bad, len, lost, 1), SK_ERR_VERIFY);
	free(bad);
	EFAIL(reg_rollover(f.s, OLD, w, wlen, lost, 1), SK_ERR_VERIFY);
	EFAIL(reg_rollover(f.s, "not a name", w, wlen, lost, 1), SK_ERR_INVALID);
	/* a cosigning round had stored the old log's cosigned checkpoint */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	{
		MDB_val k = {strlen("log.cosigned"), "log.cosigned"}, v = {wlen, w};

		E(sk_db_status(mdb_put(txn, f.s->log.meta, &k, &v, 0)));
		E(reg_log_meta_put_u64(&f.s->log, txn, "log.cosigned.size", 5));
	}
	E(sk_db_status(mdb_txn_commit(txn)));
	log_state(&f, &size, root);
	assert_int_equal(size, 5);
	assert_string_equal(f.s->origin, OLD);

	E(reg_rollover(f.s, NEW, w, wlen, lost, 1700000000000ull));
	assert_string_equal(f.s->origin, NEW);
	log_state(&f, &size, root);
	assert_int_equal(size, 6);
	/* the statement is leaf 5, checks under the registry's key, and the new
	 * log extends the restored tree */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_rollover_get(f.s, txn, &body, &blen, sig, &index));
	assert_int_equal(index, 5);
	E(reg_log_checkpoint(&f.s->log, txn, &note, &nlen, &csize));
	assert_int_equal(csize, 6);
	E(reg_rollover_request(f.s, txn, &req, &rlen, NULL));
	mdb_txn_abort(txn);
	E(wire_rollover_check(&ro, body, blen, sig, f.s->id->pk, NULL, 0, NULL));
	assert_string_equal(ro.st->old_origin, OLD);
	assert_string_equal(ro.st->new_origin, NEW);
	assert_int_equal(ro.restored.size, 5);
	assert_memory_equal(ro.restored.root, root5, 32);
	assert_int_equal(ro.witnessed.size, 8);
	E(note_verifier_from_public(&nv, NEW, NOTE_TYPE_ED25519, f.s->id->pk));
	E(note_checkpoint_open(&cp, NULL, note, nlen, &nv, NULL, 0));
	assert_memory_equal(cp.root, root, 32);
	wire_rollover_free(&ro);
	/* what members are served is of the new log, not the old log's cosigned one */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	{
		uint8_t *served = NULL;
		size_t slen = 0;
		uint64_t ssize = 0;

		E(reg_checkpoint_served(f.s, txn, NULL, 0, &served, &slen, &ssize));
		assert_int_equal(ssize, 6);
		E(note_checkpoint_open(&cp, NULL, served, slen, &nv, NULL, 0));
		free(served);
	}
	mdb_txn_abort(txn);

	/* a witness that cosigned the old log at the backup's size cosigns it */
	{
		char *wdir = t_tmpdir();
		MDB_env *wenv = NULL;
		note_signer *cosigner = NULL;
		wit_witness *wit = NULL;
		uint8_t *restored = NULL, *rq = NULL;
		size_t rslen = 0, rqlen = 0;
		wit_reply r;

		E(sk_db_open(&wenv, wdir, 16 << 20, 4));
		E(note_signer_generate(&cosigner, "w1", NOTE_TYPE_COSIG));
		E(note_verifier_from_public(&ov, OLD, NOTE_TYPE_ED25519, f.s->id->pk));
		E(wit_open(&wit, wenv, &ov, 1, cosigner));
		E(wire_rollover_parse(&ro, body, blen));
		restored = malloc(ro.st->restored_checkpoint.len);
		rslen = ro.st->restored_checkpoint.len;
		memcpy(restored, ro.st->restored_checkpoint.data, rslen);
		wire_rollover_free(&ro);
		E(wit_request_format(&rq, &rqlen, 0, NULL, 0, restored, rslen));
		wit_add_checkpoint(wit, rq, rqlen, 1700000000, &r);
		assert_int_equal(r.status, 200);
		wit_add_rollover(wit, req, rlen, 1700000001, &r);
		assert_int_equal(r.status, 200);
		wit_add_checkpoint(wit, rq, rqlen, 1700000002, &r);
		assert_int_equal(r.status, 410);
		free(rq);
		free(restored);
		wit_close(wit);
		note_signer_free(cosigner);
		sk_db_close(wenv);
		t_rmdir(wdir);
	}

	/* reopened, the store is the new log and grows under its name */
	reg_store_close(f.s);
	E(reg_store_open(&f.s, f.sub, f.kek));
	assert_string_equal(f.s->origin, NEW);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	{
		uint8_t b[8] = {1};

		E(reg_leaf_member(f.s, txn, b, sizeof(b), &index));
	}
	E(reg_checkpoint_update(f.s, txn));
	free(note);
	E(reg_log_checkpoint(&f.s->log, txn, &note, &nlen, &csize));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(csize, 7);
	E(note_checkpoint_open(&cp, NULL, note, nlen, &nv, NULL, 0));
	free(w);
	free(body);
	free(req);
	free(note);
	fx_free(&f);
}

/* Each link of r (a ConsistencyResponse across rollovers from first_origin) checks
 * as a node checks it: signed by pk, in order, proven in its checkpoint. */
static void chain_verify(const Schakel__V1__ConsistencyResponse *r, const uint8_t *pk,
			 size_t want, const char *first_origin, const char *last_origin)
{
	wire_rollover_link l[WIRE_ROLLOVER_CHAIN_MAX];
	char tracked[NOTE_ORIGIN_MAX + 1];
	size_t n = 0;

	snprintf(tracked, sizeof(tracked), "%s", first_origin);
	E(wire_rollover_links(l, &n, r));
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++) {
		const ProtobufCBinaryData *note = l[i].checkpoint ? l[i].checkpoint : &r->checkpoint;
		wire_rollover ro;
		note_verifier nv;
		note_checkpoint cp;

		E(wire_rollover_check(&ro, l[i].body->data, l[i].body->len, l[i].sig->data, pk, NULL,
				      0, NULL));
		assert_string_equal(ro.st->old_origin, tracked);
		E(note_verifier_from_public(&nv, ro.st->new_origin, NOTE_TYPE_ED25519, pk));
		E(note_checkpoint_open(&cp, NULL, note->data, note->len, &nv, NULL, 0));
		E(wire_rollover_linked(&ro, l[i].body->data, l[i].body->len, l[i].sig->data, &cp,
				       l[i].inclusion, l[i].n_inc, l[i].consistency, l[i].n_cons));
		snprintf(tracked, sizeof(tracked), "%s", ro.st->new_origin);
		wire_rollover_free(&ro);
	}
	assert_string_equal(tracked, last_origin);
}

/* Two rollovers (the first made before the index existed: its entry is
 * taken out): the index finds both statements, a log name used before is
 * refused, a member tracking the first origin gets both links and one
 * tracking the second one link; a witness that followed the first log
 * only is brought through both statements. */
static void test_chain(void **state)
{
	struct fx f;
	uint8_t *w = NULL, *w2 = NULL, *rq[WIRE_ROLLOVER_CHAIN_MAX];
	size_t wlen = 0, w2len = 0, rql[WIRE_ROLLOVER_CHAIN_MAX], nrq = 0;
	uint64_t index = 0, size = 0, csize = 0;
	int lost = SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST;
	MDB_txn *txn = NULL;
	reg_rollchain *c = NULL;
	Schakel__V1__ConsistencyResponse r;

	(void)state;
	E(sk_init());
	fx_new(&f, 5);
	signed_cp(&w, &wlen, OLD, 8, 7, f.s->id->sk);
	E(reg_rollover(f.s, NEW, w, wlen, lost, 1700000000000ull));
	/* a store that rolled over before the index: the latest statement stands in */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	{
		MDB_val k = {strlen("log.rollover.from:" OLD), "log.rollover.from:" OLD};

		E(sk_db_status(mdb_del(txn, f.s->log.meta, &k, NULL)));
	}
	E(reg_rollchain_find(f.s, txn, OLD, &index));
	assert_int_equal(index, 5);
	EFAIL(reg_rollchain_find(f.s, txn, NEW, &index), SK_ERR_NOTFOUND);
	/* the new log grows: two more leaves */
	for (unsigned i = 0; i < 2; i++) {
		uint8_t b[8] = {(uint8_t)i};

		E(reg_leaf_member(f.s, txn, b, sizeof(b), &index));
	}
	E(reg_checkpoint_update(f.s, txn));
	E(reg_log_checkpoint(&f.s->log, txn, &w2, &w2len, &size));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(size, 8);
	/* a planned move, then: a name the log had before is refused */
	EFAIL(reg_rollover(f.s, OLD, w2, w2len, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_MOVE, 2),
	      SK_ERR_INVALID);
	E(reg_rollover(f.s, NEW "/3", w2, w2len, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_MOVE,
		       1700000001000ull));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_rollchain_find(f.s, txn, OLD, &index));
	assert_int_equal(index, 5);
	E(reg_rollchain_find(f.s, txn, NEW, &index));
	assert_int_equal(index, 8);
	EFAIL(reg_rollchain_find(f.s, txn, NEW "/3", &index), SK_ERR_NOTFOUND);
	E(reg_log_size(&f.s->log, txn, &csize));
	assert_int_equal(csize, 9);
	/* from the first origin: two links; from the second: one, the old fields */
	{
		uint8_t *note = NULL;
		size_t nlen = 0;

		const char *from[] = {OLD, NEW};

		E(reg_log_checkpoint(&f.s->log, txn, &note, &nlen, &csize));
		for (size_t i = 0; i < 2; i++) {
			schakel__v1__consistency_response__init(&r);
			r.checkpoint = (ProtobufCBinaryData){nlen, note};
			E(reg_rollchain_answer(f.s, txn, from[i], csize, &r, &c));
			assert_int_equal(r.n_chain, 1 - i);
			chain_verify(&r, f.s->id->pk, 2 - i, from[i], NEW "/3");
			reg_rollchain_free(c);
		}
		/* a checkpoint from before the last statement proves nothing */
		schakel__v1__consistency_response__init(&r);
		EFAIL(reg_rollchain_answer(f.s, txn, OLD, 8, &r, &c), SK_ERR_TRUNCATED);
		reg_rollchain_free(c);
		EFAIL(reg_rollchain_answer(f.s, txn, "elsewhere.example/log", csize, &r, &c),
		      SK_ERR_INVALID);
		reg_rollchain_free(c);
		free(note);
	}
	E(reg_rollchain_requests(f.s, txn, rq, rql, &nrq, &size));
	mdb_txn_abort(txn);
	assert_int_equal(nrq, 2);
	assert_int_equal(size, 9);
	/* a witness that cosigned the first log at the backup's size follows both */
	{
		char *wdir = t_tmpdir();
		MDB_env *wenv = NULL;
		note_signer *cosigner = NULL;
		note_verifier ov;
		wit_witness *wit = NULL;
		uint8_t *restored = NULL, *req = NULL;
		size_t rslen = 0, reqlen = 0;
		wire_rollover ro;
		Schakel__V1__RolloverRequest *first;
		wit_reply wr;

		E(sk_db_open(&wenv, wdir, 16 << 20, 4));
		E(note_signer_generate(&cosigner, "w1", NOTE_TYPE_COSIG));
		E(note_verifier_from_public(&ov, OLD, NOTE_TYPE_ED25519, f.s->id->pk));
		E(wit_open(&wit, wenv, &ov, 1, cosigner));
		E(wit_rollover_request_parse(&first, rq[0], rql[0]));
		E(wire_rollover_parse(&ro, first->statement->body.data, first->statement->body.len));
		rslen = ro.st->restored_checkpoint.len;
		restored = malloc(rslen);
		memcpy(restored, ro.st->restored_checkpoint.data, rslen);
		wire_rollover_free(&ro);
		schakel__v1__rollover_request__free_unpacked(first, NULL);
		E(wit_request_format(&req, &reqlen, 0, NULL, 0, restored, rslen));
		wit_add_checkpoint(wit, req, reqlen, 1700000000, &wr);
		assert_int_equal(wr.status, 200);
		/* the second statement alone: a log it does not know */
		wit_add_rollover(wit, rq[1], rql[1], 1700000001, &wr);
		assert_int_equal(wr.status, 404);
		wit_add_rollover(wit, rq[0], rql[0], 1700000001, &wr);
		assert_int_equal(wr.status, 200);
		wit_add_rollover(wit, rq[1], rql[1], 1700000002, &wr);
		assert_int_equal(wr.status, 200);
		/* once past a statement it refuses it again */
		wit_add_rollover(wit, rq[0], rql[0], 1700000003, &wr);
		assert_int_equal(wr.status, 409);
		free(req);
		free(restored);
		wit_close(wit);
		note_signer_free(cosigner);
		sk_db_close(wenv);
		t_rmdir(wdir);
	}
	for (size_t i = 0; i < nrq; i++)
		free(rq[i]);
	free(w);
	free(w2);
	fx_free(&f);
}

/* A store that never rolled over has no statement to give. */
static void test_none(void **state)
{
	struct fx f;
	MDB_txn *txn = NULL;
	uint8_t *body = NULL, sig[KEY_SIG_BYTES], *req = NULL;
	size_t blen = 0, rlen = 0;
	uint64_t index = 0;

	(void)state;
	E(sk_init());
	fx_new(&f, 2);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	EFAIL(reg_rollover_get(f.s, txn, &body, &blen, sig, &index), SK_ERR_NOTFOUND);
	EFAIL(reg_rollover_request(f.s, txn, &req, &rlen, NULL), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
