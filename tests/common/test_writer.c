#include <pthread.h>
#include <unistd.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "common/writer.h"

#define THREADS 8
#define PER_THREAD 200

struct ctx {
	MDB_env *env;
	MDB_dbi dbi;
	sk_writer *w;
	int thread;
};

struct count {
	int done;
	sk_status last;
};

struct put_arg {
	MDB_dbi dbi;
	struct count *cnt;
	char key[32];
	int fail_after_put; /* write, then fail: the write must vanish */
};

static sk_status do_put(MDB_txn *txn, void *arg)
{
	struct put_arg *p = arg;
	MDB_val k = {strlen(p->key), p->key}, v = {1, "v"};
	int rc = mdb_put(txn, p->dbi, &k, &v, MDB_NOOVERWRITE);

	if (rc != 0)
		return sk_db_status(rc);
	return p->fail_after_put ? SK_ERR_INVALID : SK_OK;
}

static int present(MDB_env *env, MDB_dbi dbi, const char *key)
{
	MDB_txn *txn;
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc;

	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
		fail_msg("read txn");
	rc = mdb_get(txn, dbi, &k, &v);
	mdb_txn_abort(txn);
	return rc == 0;
}

static void *worker(void *arg)
{
	struct ctx *c = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		struct put_arg p = {.dbi = c->dbi, .fail_after_put = (i % 10 == 9)};
		sk_status st;

		snprintf(p.key, sizeof(p.key), "t%d-%d", c->thread, i);
		st = sk_writer_run(c->w, do_put, &p);
		if (st != (p.fail_after_put ? SK_ERR_INVALID : SK_OK))
			return (void *)1;
	}
	return NULL;
}

/* Many threads, one writer: every acknowledged job is there, every failed
 * job left nothing, and jobs shared commits. */
static void test_group_commit(void **state)
{
	char *d = t_tmpdir(), key[32];
	struct ctx c[THREADS];
	pthread_t th[THREADS];
	MDB_env *env = NULL;
	MDB_dbi dbi;
	sk_writer *w = NULL;
	uint64_t jobs, commits;

	E(sk_db_open(&env, d, 64 << 20, 4));
	E(sk_db_dbi(env, "kv", MDB_CREATE, &dbi));
	E(sk_writer_start(&w, env, NULL, NULL, NULL));
	for (int t = 0; t < THREADS; t++) {
		c[t] = (struct ctx){env, dbi, w, t};
		assert_int_equal(pthread_create(&th[t], NULL, worker, &c[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		void *ret;

		assert_int_equal(pthread_join(th[t], &ret), 0);
		assert_null(ret);
	}
	sk_writer_stats(w, &jobs, &commits);
	print_message("%llu jobs in %llu durable commits\n", (unsigned long long)jobs,
		      (unsigned long long)commits);
	assert_int_equal(jobs, THREADS * PER_THREAD);
	assert_true(commits < jobs); /* batching happened */
	sk_writer_stop(w);

	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < PER_THREAD; i++) {
			snprintf(key, sizeof(key), "t%d-%d", t, i);
			assert_int_equal(present(env, dbi, key), i % 10 != 9);
		}
	sk_db_close(env);
	t_rmdir(d);
}

static void count_done(sk_status st, void *arg)
{
	struct count *c = ((struct put_arg *)arg)->cnt;

	c->done++;
	c->last = st;
}

/* stop() runs what is queued; a failing job fails alone. */
static void test_stop_and_failed_job(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_dbi dbi;
	sk_writer *w = NULL;
	struct put_arg p[50];
	struct count cnt = {0};

	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbi(env, "kv", MDB_CREATE, &dbi));
	E(sk_writer_start(&w, env, NULL, NULL, NULL));
	for (int i = 0; i < 50; i++) {
		p[i] = (struct put_arg){.dbi = dbi, .cnt = &cnt};
		snprintf(p[i].key, sizeof(p[i].key), "k%d", i);
		E(sk_writer_submit(w, do_put, count_done, &p[i]));
	}
	sk_writer_stop(w);
	assert_int_equal(cnt.done, 50);
	assert_int_equal(cnt.last, SK_OK);
	for (int i = 0; i < 50; i++)
		assert_true(present(env, dbi, p[i].key));

	E(sk_writer_start(&w, env, NULL, NULL, NULL));
	/* a duplicate key: that job fails alone */
	EFAIL(sk_writer_run(w, do_put, &p[0]), SK_ERR_EXISTS);
	sk_writer_stop(w);
	sk_writer_stop(NULL);
	sk_db_close(env);
	t_rmdir(d);
}

struct hook {
	MDB_dbi dbi;
	int batches;
	int fail;
	int ended; /* batch ends */
};

static void end_hook(void *ctx)
{
	((struct hook *)ctx)->ended++;
}

/* Writes a marker per batch; fails on demand. */
static sk_status batch_hook(MDB_txn *txn, void *ctx)
{
	struct hook *h = ctx;
	MDB_val k = {6, "marker"}, v = {4, &h->batches};

	if (h->fail)
		return SK_ERR_DISKFULL;
	h->batches++;
	return sk_db_status(mdb_put(txn, h->dbi, &k, &v, 0));
}

/* The batch hook runs in the same transaction as the jobs: its failure
 * takes every job of the batch with it. */
static void test_batch_hook(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	struct hook h = {0};
	sk_writer *w = NULL;
	struct put_arg p1 = {0}, p2 = {0};

	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbi(env, "kv", MDB_CREATE, &h.dbi));
	p1.dbi = p2.dbi = h.dbi;
	snprintf(p1.key, sizeof(p1.key), "one");
	snprintf(p2.key, sizeof(p2.key), "two");
	E(sk_writer_start(&w, env, batch_hook, end_hook, &h));
	E(sk_writer_run(w, do_put, &p1));
	assert_int_equal(h.batches, 1);
	assert_true(present(env, h.dbi, "marker"));
	h.fail = 1;
	EFAIL(sk_writer_run(w, do_put, &p2), SK_ERR_DISKFULL);
	assert_false(present(env, h.dbi, "two"));
	h.fail = 0;
	E(sk_writer_run(w, do_put, &p2));
	assert_true(present(env, h.dbi, "two"));
	sk_writer_stop(w);
	assert_int_equal(h.ended, 3); /* every batch, the failed one too */
	sk_db_close(env);
	t_rmdir(d);
}

struct flat_arg {
	struct put_arg p; /* first: do_put takes it */
	sk_status st;
	int done;
};

static void flat_done(sk_status st, void *arg)
{
	struct flat_arg *f = arg;

	f->st = st;
	f->done = 1;
}

static volatile int gate_open, gate_entered;

/* Holds the writer until the test has queued the next batch. */
static sk_status gate(MDB_txn *txn, void *arg)
{
	(void)txn;
	(void)arg;
	gate_entered = 1;
	while (!gate_open)
		usleep(1000);
	return SK_OK;
}

/* Flat jobs share the batch's transaction: when they succeed they are
 * stored like nested ones; a flat job that fails takes its whole batch
 * with it, and nothing of that batch is stored. */
static void test_flat(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	MDB_dbi dbi;
	sk_writer *w = NULL;
	struct flat_arg f[20];
	struct hook hk = {0};

	(void)state;
	E(sk_db_open(&env, d, 1 << 20, 4));
	E(sk_db_dbi(env, "kv", MDB_CREATE, &dbi));
	E(sk_writer_start(&w, env, NULL, NULL, NULL));
	for (int i = 0; i < 10; i++) {
		f[i] = (struct flat_arg){{.dbi = dbi}, SK_ERR_FAILED, 0};
		snprintf(f[i].p.key, sizeof(f[i].p.key), "f%d", i);
		E(i % 2 ? sk_writer_submit_flat(w, do_put, flat_done, &f[i])
			: sk_writer_submit(w, do_put, flat_done, &f[i]));
	}
	sk_writer_stop(w);
	for (int i = 0; i < 10; i++) {
		assert_true(f[i].done);
		assert_int_equal(f[i].st, SK_OK);
		assert_true(present(env, dbi, f[i].p.key));
	}
	/* one batch behind a gate: a failing flat job in the middle; the
	 * batch hook is skipped for the failed batch, the end hook is not */
	gate_open = gate_entered = 0;
	hk.dbi = dbi;
	E(sk_writer_start(&w, env, batch_hook, end_hook, &hk));
	E(sk_writer_submit(w, gate, NULL, NULL));
	while (!gate_entered) /* the gate's batch is taken: the rest queue behind it */
		usleep(1000);
	for (int i = 10; i < 20; i++) {
		f[i] = (struct flat_arg){{.dbi = dbi, .fail_after_put = i == 15}, SK_OK, 0};
		snprintf(f[i].p.key, sizeof(f[i].p.key), "g%d", i);
		E(i >= 14 && i <= 16 ? sk_writer_submit_flat(w, do_put, flat_done, &f[i])
				     : sk_writer_submit(w, do_put, flat_done, &f[i]));
	}
	gate_open = 1;
	sk_writer_stop(w);
	for (int i = 10; i < 20; i++) {
		assert_true(f[i].done);
		assert_int_equal(f[i].st, SK_ERR_INVALID);
		assert_false(present(env, dbi, f[i].p.key));
	}
	assert_int_equal(hk.batches, 1); /* the gate's own batch; the failed one skips it */
	assert_int_equal(hk.ended, 2);   /* the end hook hears of both */
	sk_db_close(env);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_stop_and_failed_job),
		cmocka_unit_test(test_batch_hook),
		cmocka_unit_test(test_flat),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
