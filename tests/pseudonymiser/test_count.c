/* A serving pseudonymiser's counters across days, shutdowns and restarts,
 * saved in a real LMDB: one audit record per org per finished day, today's
 * total so far at shutdown, nothing twice, and a restart that resets
 * neither quota nor grant. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "pseudonymiser/count.h"

#define D 20500u /* 2026-02-16 */

static sk_kek *kek;

static int setup(void **state)
{
	return sk_init() == SK_OK && sk_kek_open(&kek, NULL, 1) == SK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	sk_kek_free(kek);
	return 0;
}

/* Snapshot, apply in a transaction of its own, mark saved. */
static size_t save(ps_counts *c, ps_store *s, uint32_t today, int final)
{
	ps_save *f = NULL;
	MDB_txn *txn = NULL;
	size_t n;

	E(ps_counts_snapshot(c, s, today, final, &f));
	if (f == NULL)
		return 0;
	n = f->n;
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(ps_save_apply(txn, f));
	E(sk_db_status(mdb_txn_commit(txn)));
	ps_counts_saved(c, final);
	free(f);
	return n;
}

struct reasons {
	char r[16][96];
	size_t n;
};

static sk_status daily(const audit_record *rec, void *arg)
{
	struct reasons *r = arg;

	if (strcmp(rec->event, "eval.daily") == 0 && r->n < 16)
		snprintf(r->r[r->n++], 96, "%s %s", rec->counterpart, rec->reason);
	return SK_OK;
}

static size_t records(ps_store *s, struct reasons *r)
{
	MDB_txn *txn = NULL;

	memset(r, 0, sizeof(*r));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_verify(s->audit, txn, NULL, NULL));
	E(audit_log_scan(s->audit, txn, 1, 0, daily, r));
	mdb_txn_abort(txn);
	return r->n;
}

static void charge(ps_counts *c, const char *org, uint64_t n, uint32_t today)
{
	ps_org *o = ps_counts_find(c, org);
	ps_grant g = {.id = 1, .extra = 100};

	assert_non_null(o);
	ps_counts_roll(o, today);
	E(ps_usage_charge(&o->u, n, 5, &g, today));
	o->dirty = 1;
}

static void test_days(void **state)
{
	char *dir = t_tmpdir(), path[512];
	uint8_t pk[OPRF_ELEMENT_BYTES];
	ps_counts c = {0};
	ps_store *s = NULL;
	struct reasons r;
	MDB_txn *txn = NULL;
	ps_usage u;

	snprintf(path, sizeof(path), "%s/ps", dir);
	E(ps_store_init(path, "ps1", "PS", 0, kek, pk));
	E(ps_store_open(&s, path));

	/* nothing to save yet */
	assert_int_equal(save(&c, s, D, 0), 0);
	charge(&c, "ggz", 3, D);
	charge(&c, "jeugd", 7, D); /* 5 within the quota, 2 from the grant */
	assert_int_equal(save(&c, s, D, 0), 2);
	assert_int_equal(save(&c, s, D, 0), 0); /* unchanged: nothing */
	assert_int_equal(records(s, &r), 0);    /* the day is not over */

	/* midnight: each org's finished day gets one record */
	charge(&c, "ggz", 1, D);
	assert_int_equal(save(&c, s, D + 1, 0), 2);
	assert_int_equal(records(s, &r), 2);
	assert_string_equal(r.r[0], "ggz 4 evaluations on 2026-02-16 UTC");
	assert_string_equal(r.r[1], "jeugd 7 evaluations on 2026-02-16 UTC");
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_usage_get(s, txn, "jeugd", &u));
	mdb_txn_abort(txn);
	assert_int_equal(u.day, D + 1);
	assert_int_equal(u.count, 0);
	assert_int_equal(u.grant_used, 2); /* a grant is not daily */

	/* shutdown: today's total so far is recorded, for orgs that evaluated */
	charge(&c, "ggz", 2, D + 1);
	assert_int_equal(save(&c, s, D + 1, 1), 1);
	assert_int_equal(records(s, &r), 3);
	assert_string_equal(r.r[2], "ggz 2 evaluations on 2026-02-17 UTC");
	assert_int_equal(save(&c, s, D + 1, 1), 0); /* a second shutdown adds nothing */
	ps_counts_free(&c);

	/* restart the same day: the counts are back; no record until more */
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_counts_load(&c, s, txn));
	mdb_txn_abort(txn);
	assert_int_equal(ps_counts_find(&c, "ggz")->u.count, 2);
	assert_int_equal(ps_counts_find(&c, "jeugd")->u.grant_used, 2);
	assert_int_equal(save(&c, s, D + 1, 1), 0);
	charge(&c, "ggz", 4, D + 1); /* 6 > 5: one from the grant */
	assert_int_equal(ps_counts_find(&c, "ggz")->u.grant_used, 1);
	/* a crash: saved, but no shutdown record */
	assert_int_equal(save(&c, s, D + 1, 0), 1);
	ps_counts_free(&c);

	/* start-up two days later: the day the crash left open gets its record,
	 * with the day's whole total */
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_counts_load(&c, s, txn));
	mdb_txn_abort(txn);
	assert_int_equal(save(&c, s, D + 3, 0), 2);
	assert_int_equal(records(s, &r), 4);
	assert_string_equal(r.r[3], "ggz 6 evaluations on 2026-02-17 UTC");
	assert_int_equal(save(&c, s, D + 3, 1), 0);
	ps_counts_free(&c);
	ps_counts_free(&c); /* idempotent */

	/* a failed hand-over leaves everything to the next save */
	charge(&c, "ggz", 1, D + 3);
	{
		ps_save *f = NULL;

		E(ps_counts_snapshot(&c, s, D + 4, 0, &f));
		assert_non_null(f);
		free(f); /* not handed over: not marked saved */
	}
	assert_int_equal(save(&c, s, D + 4, 0), 1);
	assert_int_equal(records(s, &r), 5);
	assert_string_equal(r.r[4], "ggz 1 evaluations on 2026-02-19 UTC");
	ps_counts_free(&c);
	ps_store_close(s);
	t_rmdir(dir);
}

static void test_find(void **state)
{
	ps_counts c = {0};
	char org[80];
	ps_org *o;

	for (int i = 0; i < 200; i++) {
		snprintf(org, sizeof(org), "org-%d", i);
		assert_non_null(ps_counts_find(&c, org));
	}
	assert_int_equal(c.n, 200);
	o = ps_counts_find(&c, "org-7");
	assert_string_equal(o->org, "org-7");
	assert_int_equal(c.n, 200);
	memset(org, 'a', sizeof(org) - 1);
	org[sizeof(org) - 1] = 0;
	assert_null(ps_counts_find(&c, org)); /* longer than an org id */
	ps_counts_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
