/* node_audit_commit's group commit (node/store.h) on a real LMDB: threads
 * recording reads at once (the web's workers) each get their own record,
 * with their own thread's responsible user and access point, durably, in
 * one unbroken chain; and a store reopened afterwards sees them all. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "audit/query.h"
#include "common/db.h"
#include "common/init.h"
#include "node/store.h"

#define THREADS 8
#define EACH 150

typedef struct worker {
	node_store *s;
	int id;
	sk_status st;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	char user[32], ap[32], reason[32];

	snprintf(user, sizeof(user), "prof-%d", w->id);
	snprintf(ap, sizeof(ap), "web:thread-%d", w->id);
	node_audit_context(user, ap);
	for (int i = 0; i < EACH && w->st == SK_OK; i++) {
		snprintf(reason, sizeof(reason), "read %d", i);
		w->st = node_audit_access(w->s, "case.list", user, "spv", "case", NULL, reason);
	}
	node_audit_context(NULL, NULL);
	return NULL;
}

struct tally {
	int n[THREADS][EACH];
	int mismatched;
};

static sk_status tally_one(const audit_record *rec, void *arg)
{
	struct tally *t = arg;
	int id, i;
	char want[32];

	if (rec->user == NULL || sscanf(rec->user, "prof-%d", &id) != 1 || id < 0 ||
	    id >= THREADS || rec->reason == NULL || sscanf(rec->reason, "read %d", &i) != 1 ||
	    i < 0 || i >= EACH)
		return SK_OK;
	snprintf(want, sizeof(want), "web:thread-%d", id);
	if (rec->access_point == NULL || strcmp(rec->access_point, want) != 0 ||
	    rec->responsible == NULL || strcmp(rec->responsible, rec->user) != 0)
		t->mismatched++;
	t->n[id][i]++;
	return SK_OK;
}

static void check(node_store *s)
{
	static struct tally t;
	audit_filter f = {.event = "case.list"};
	uint64_t count = 0, bad = 0;
	MDB_txn *txn = NULL;

	memset(&t, 0, sizeof(t));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_query(s->audit, txn, &f, tally_one, &t));
	E(audit_log_verify(s->audit, txn, &count, &bad));
	mdb_txn_abort(txn);
	assert_int_equal(bad, 0);
	assert_true(count >= THREADS * EACH);
	assert_int_equal(t.mismatched, 0);
	for (int id = 0; id < THREADS; id++)
		for (int i = 0; i < EACH; i++)
			assert_int_equal(t.n[id][i], 1);
}

static void test_group_commit(void **state)
{
	char *dir = t_tmpdir();
	sk_kek *kek = NULL;
	node_store *s = NULL;
	worker w[THREADS];
	pthread_t t[THREADS];

	(void)state;
	assert_int_equal(sk_init(), SK_OK);
	E(sk_kek_open(&kek, NULL, 1));
	E(node_store_init(dir, "wijkteam-oost", "Wijkteam Oost", "sociaal-team", kek));
	E(node_store_open(&s, dir, kek));
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){s, i, SK_OK};
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].st, SK_OK);
	}
	check(s);
	node_store_close(s);
	/* durable: a new open sees every record */
	E(node_store_open(&s, dir, kek));
	check(s);
	node_store_close(s);
	sk_kek_free(kek);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
