/* Owner-indexed records (audit/log.h): records the owner's rule exempts,
 * appended without a client index entry, are still found by client scans
 * through the owner's enumeration, merged in order and within the time
 * range; the flag is refused for other records; verify accepts them only
 * while the owner names them and still catches a missing index entry;
 * purge removes them and scans skip the owner's dangling seqs. */
#include <inttypes.h>
#include <string.h>

#include "audit_fx.h"
#include "common/init.h"
#include "crypto/key.h"

#define T0 1700000000000ULL
#define OWNED_MAX 16

/* The owner's side: which seqs it keeps for which client. */
struct owner {
	const char *client[OWNED_MAX];
	uint64_t seq[OWNED_MAX];
	size_t n;
};

static bool rule(const audit_record *rec)
{
	return strcmp(rec->event, "entry.publish") == 0 && rec->outcome == AUDIT_OUTCOME_OK;
}

static sk_status extra(MDB_txn *txn, const char *client, audit_seq_fn emit, void *emit_arg,
		       void *ctx)
{
	struct owner *o = ctx;
	sk_status st = SK_OK;

	(void)txn;
	for (size_t i = 0; i < o->n && st == SK_OK; i++)
		if (strcmp(o->client[i], client) == 0)
			st = emit(o->seq[i], emit_arg);
	return st;
}

static void own(struct owner *o, const char *client, uint64_t seq)
{
	assert_true(o->n < OWNED_MAX);
	o->client[o->n] = client;
	o->seq[o->n++] = seq;
}

static struct fx owned_fx(struct owner *o)
{
	struct fx f = fx_new();

	audit_log_set_client_exempt(f.log, rule);
	audit_log_set_client_extra(f.log, extra, o);
	return f;
}

/* Appends rec without its client index entry; returns its seq. */
static uint64_t add_owned(struct fx *f, const audit_record *rec)
{
	MDB_txn *txn = fx_txn(f, 0);
	uint64_t seq = 0;

	E(audit_log_append_flags(f->log, txn, rec, AUDIT_APPEND_NO_CLIENT_INDEX, &seq, NULL));
	E(sk_db_status(mdb_txn_commit(txn)));
	return seq;
}

static audit_record publish(uint64_t t, const char *client)
{
	return fx_rec("entry.publish", AUDIT_ACTION_UPDATE, AUDIT_OUTCOME_OK, t, client, "org");
}

struct got {
	uint64_t seq[32];
	size_t n;
};

static sk_status collect(const audit_record *rec, void *arg)
{
	struct got *g = arg;

	if (g->n < 32)
		g->seq[g->n] = rec->seq;
	g->n++;
	return SK_OK;
}

static sk_status scan_dir(struct fx *f, const char *client, uint64_t since, uint64_t until,
			  int rev, struct got *g)
{
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);
	sk_status st;

	memset(g, 0, sizeof(*g));
	st = (rev ? audit_log_scan_index_rev : audit_log_scan_index)(f->log, txn, AUDIT_BY_CLIENT,
								    client, since, until, collect, g);
	mdb_txn_abort(txn);
	return st;
}

static sk_status scan(struct fx *f, const char *client, uint64_t since, uint64_t until,
		      struct got *g)
{
	return scan_dir(f, client, since, until, 0, g);
}

static void want(const struct got *g, size_t n, const uint64_t *seqs)
{
	assert_int_equal(g->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(g->seq[i], seqs[i]);
}

static sk_status verify(struct fx *f, uint64_t *bad)
{
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);
	sk_status st = audit_log_verify(f->log, txn, NULL, bad);

	mdb_txn_abort(txn);
	return st;
}

/* A scan by client returns the indexed and the owner's records once each,
 * in (time, seq) order (or its reverse), within since..until. */
static void test_scan_merge(void **state)
{
	struct owner o = {0};
	struct fx f = owned_fx(&o);
	audit_record r;
	uint64_t s1, s2, s3, s4, s5;
	struct got g;

	(void)state;
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, T0 + 100, "c-1", "org");
	s1 = fx_add(&f, &r);
	r = publish(T0 + 200, "c-1");
	s2 = add_owned(&f, &r);
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, T0 + 300, "c-1", "org");
	s3 = fx_add(&f, &r);
	r = publish(T0 + 150, "c-1"); /* earlier than s2 and s3, appended after */
	s4 = add_owned(&f, &r);
	r = publish(T0 + 200, "c-2");
	s5 = add_owned(&f, &r);
	/* unindexed: without the owner a scan does not see them */
	E(scan(&f, "c-1", 0, 0, &g));
	want(&g, 2, (uint64_t[]){s1, s3});
	own(&o, "c-1", s2);
	own(&o, "c-1", s4);
	own(&o, "c-1", s2); /* named twice */
	own(&o, "c-1", s1); /* indexed too */
	own(&o, "c-2", s5);
	E(scan(&f, "c-1", 0, 0, &g));
	want(&g, 4, (uint64_t[]){s1, s4, s2, s3});
	E(scan(&f, "c-1", T0 + 150, T0 + 250, &g));
	want(&g, 2, (uint64_t[]){s4, s2});
	E(scan(&f, "c-1", T0 + 201, 0, &g));
	want(&g, 1, (uint64_t[]){s3});
	/* newest first, the same merge the other way round */
	E(scan_dir(&f, "c-1", 0, 0, 1, &g));
	want(&g, 4, (uint64_t[]){s3, s2, s4, s1});
	E(scan_dir(&f, "c-1", T0 + 150, T0 + 250, 1, &g));
	want(&g, 2, (uint64_t[]){s2, s4});
	E(scan_dir(&f, "c-1", T0 + 201, 0, 1, &g));
	want(&g, 1, (uint64_t[]){s3});
	E(scan_dir(&f, "c-1", 0, T0 + 199, 1, &g));
	want(&g, 2, (uint64_t[]){s4, s1});
	E(scan(&f, "c-2", 0, 0, &g));
	want(&g, 1, (uint64_t[]){s5});
	E(scan(&f, "c-3", 0, 0, &g));
	want(&g, 0, NULL);
	/* an owner naming another client's record, or one that never was */
	own(&o, "c-2", s2);
	EFAIL(scan(&f, "c-2", 0, 0, &g), SK_ERR_VERIFY);
	o.n--;
	own(&o, "c-2", 99);
	EFAIL(scan(&f, "c-2", 0, 0, &g), SK_ERR_VERIFY);
	o.n--;
	E(verify(&f, NULL));
	fx_free(&f);
}

/* Only records the rule exempts may skip the client index. */
static void test_flag_refused(void **state)
{
	struct owner o = {0};
	struct fx f = owned_fx(&o);
	audit_record ok = publish(T0, "c-1");
	audit_record lookup = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, T0, "c-1",
				     "org");
	audit_record denied = fx_rec("entry.publish", AUDIT_ACTION_UPDATE, AUDIT_OUTCOME_DENIED,
				     T0, "c-1", "org");
	MDB_txn *txn = fx_txn(&f, 0);
	uint8_t head[AUDIT_HASH_BYTES];
	uint64_t seq = 0;

	(void)state;
	EFAIL(audit_log_append_flags(f.log, txn, &lookup, AUDIT_APPEND_NO_CLIENT_INDEX, NULL,
				     NULL), SK_ERR_INVALID);
	EFAIL(audit_log_append_flags(f.log, txn, &denied, AUDIT_APPEND_NO_CLIENT_INDEX, NULL,
				     NULL), SK_ERR_INVALID);
	EFAIL(audit_log_append_flags(f.log, txn, &ok, 2, NULL, NULL), SK_ERR_INVALID);
	E(audit_log_head(f.log, txn, &seq, head));
	assert_int_equal(seq, 0); /* nothing written */
	/* without a rule nothing is exempt */
	audit_log_set_client_exempt(f.log, NULL);
	EFAIL(audit_log_append_flags(f.log, txn, &ok, AUDIT_APPEND_NO_CLIENT_INDEX, NULL, NULL),
	      SK_ERR_INVALID);
	audit_log_set_client_exempt(f.log, rule);
	E(audit_log_append_flags(f.log, txn, &ok, AUDIT_APPEND_NO_CLIENT_INDEX, &seq, NULL));
	assert_int_equal(seq, 1);
	E(sk_db_status(mdb_txn_commit(txn)));
	fx_free(&f);
}

/* Deletes rec seq's entry in the client index. */
static void unindex(struct fx *f, const char *client, uint64_t time_ms, uint64_t seq)
{
	MDB_txn *txn = fx_txn(f, 0);
	uint8_t kb[64];
	size_t n = strlen(client);
	MDB_dbi dbi;
	MDB_val k = {n + 17, kb};

	memcpy(kb, client, n);
	kb[n] = 0;
	for (int i = 0; i < 8; i++) {
		kb[n + 1 + i] = (uint8_t)(time_ms >> (56 - 8 * i));
		kb[n + 9 + i] = (uint8_t)(seq >> (56 - 8 * i));
	}
	assert_int_equal(mdb_dbi_open(txn, AUDIT_DB_BY_CLIENT, 0, &dbi), 0);
	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	E(sk_db_status(mdb_txn_commit(txn)));
}

/* Verify accepts an exempt record out of the client index only while the
 * owner names it; other records must still be indexed. */
static void test_verify(void **state)
{
	struct owner o = {0};
	struct fx f = owned_fx(&o);
	audit_record r;
	uint64_t s1, s2, s3, bad = 0;

	(void)state;
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, T0 + 100, "c-1", "org");
	s1 = fx_add(&f, &r);
	r = publish(T0 + 200, "c-1");
	s2 = add_owned(&f, &r);
	r = publish(T0 + 300, "c-1");
	s3 = fx_add(&f, &r); /* exempt, but indexed (the owner's list was full) */
	own(&o, "c-1", s2);
	E(verify(&f, &bad));
	assert_int_equal(bad, 0);
	/* the owner lost its pointer: a client query would miss s2 */
	o.n = 0;
	EFAIL(verify(&f, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, s2);
	audit_log_set_client_extra(f.log, NULL, NULL);
	EFAIL(verify(&f, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, s2);
	audit_log_set_client_extra(f.log, extra, &o);
	own(&o, "c-1", s2);
	E(verify(&f, &bad));
	/* a record that is not exempt must be in the index, as before */
	unindex(&f, "c-1", T0 + 100, s1);
	EFAIL(verify(&f, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, s1);
	fx_free(&f);

	/* an exempt record appended to the index, then lost from it, that the
	 * owner does not name */
	o.n = 0;
	f = owned_fx(&o);
	r = publish(T0 + 300, "c-1");
	s3 = fx_add(&f, &r);
	E(verify(&f, &bad));
	unindex(&f, "c-1", T0 + 300, s3);
	EFAIL(verify(&f, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, s3);
	fx_free(&f);
}

/* Purge removes owned records like any other; the owner's pointers to
 * them then dangle and scans skip them. */
static void test_purge(void **state)
{
	struct owner o = {0};
	struct fx f = owned_fx(&o);
	key_ed25519 k;
	audit_purge_result res;
	audit_record r;
	uint64_t s[4], now = T0 + 100 * AUDIT_DAY_MS;
	struct got g;
	MDB_txn *txn;

	(void)state;
	key_ed25519_generate(&k);
	audit_log_set_key(f.log, k.pk);
	for (int i = 0; i < 4; i++) {
		r = publish(T0 + (uint64_t)i * AUDIT_DAY_MS, "c-1");
		r.retain_until_ms = r.time_ms + (i < 2 ? 30 : 1000) * AUDIT_DAY_MS;
		s[i] = add_owned(&f, &r);
		own(&o, "c-1", s[i]);
	}
	txn = fx_txn(&f, 0);
	E(audit_log_purge(f.log, txn, now, 0, NULL, NULL, k.sk, &res));
	assert_int_equal(res.count, 2);
	r = fx_rec("audit.purge", AUDIT_ACTION_DELETE, AUDIT_OUTCOME_OK, now, NULL, NULL);
	r.reason = res.reason;
	E(audit_log_append(f.log, txn, &r, NULL, NULL));
	E(sk_db_status(mdb_txn_commit(txn)));
	E(scan(&f, "c-1", 0, 0, &g));
	want(&g, 2, (uint64_t[]){s[2], s[3]});
	E(verify(&f, NULL));
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_merge),
		cmocka_unit_test(test_flag_refused),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_purge),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
