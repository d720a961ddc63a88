/* The registry's audit retention: a year by default, token-level records
 * folded into daily aggregates per org when purged (no tokens kept), the
 * sweep's batch with its signed marker, a legal hold recorded as a denied
 * purge, verify after it. */
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/init.h"
#include "registry/retain.h"

#define DAY AUDIT_DAY_MS
#define T0 1700000000000ULL

static sk_kek *kek;

static int setup(void **state)
{
	(void)state;
	return sk_init() == SK_OK && sk_kek_open(&kek, NULL, 1) == SK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sk_kek_free(kek);
	return 0;
}

static void add(reg_store *s, const char *event, const char *org, audit_outcome oc, uint64_t t,
		const char *token)
{
	MDB_txn *txn = NULL;
	audit_record r = {.event = event, .action = AUDIT_ACTION_READ, .outcome = oc,
			  .time_ms = t, .user = org, .client = token};

	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(reg_audit(s, txn, &r));
	E(sk_db_status(mdb_txn_commit(txn)));
}

struct seen {
	char rows[16][128];
	int n;
};

static sk_status row(const reg_daily *d, void *arg)
{
	struct seen *v = arg;

	assert_true(v->n < 16);
	snprintf(v->rows[v->n++], 128, "%u %s %s %s %llu", (unsigned)d->day, d->org, d->event,
		 audit_outcome_name(d->outcome), (unsigned long long)d->count);
	return SK_OK;
}

static sk_status sweep(reg_store *s, uint64_t now, audit_purge_result *res)
{
	MDB_txn *txn = NULL;
	sk_status st;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	if ((st = reg_retain_sweep(s, txn, now, res)) == SK_OK)
		E(sk_db_status(mdb_txn_commit(txn)));
	else
		mdb_txn_abort(txn);
	return st;
}

static sk_status last_event(const audit_record *rec, void *arg)
{
	snprintf(arg, 96, "%s %s %s", rec->event, audit_outcome_name(rec->outcome),
		 rec->access_point ? rec->access_point : "");
	return SK_OK;
}

static void test_aggregate_and_sweep(void **state)
{
	char *dir = t_tmpdir();
	const char *tok = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	reg_store *s = NULL;
	audit_purge_result res;
	audit_hold h = {0};
	struct seen v = {0};
	uint64_t count = 0, n = 0;
	char last[96];
	MDB_txn *txn = NULL;

	(void)state;
	E(reg_store_init(dir, "test.example/registry", "registry", kek));
	E(reg_store_open(&s, dir, kek));
	assert_int_equal(audit_log_retention(s->audit), AUDIT_YEAR_MS);
	/* the init record is from now: these come after it in the log but
	 * are dated T0, so they are kept a year from T0 */
	add(s, "lookup", "altrecht", AUDIT_OUTCOME_OK, T0, tok);
	add(s, "lookup", "altrecht", AUDIT_OUTCOME_OK, T0 + 1000, tok);
	add(s, "lookup", "altrecht", AUDIT_OUTCOME_DENIED, T0 + 2000, tok);
	add(s, "entry.publish", "wijkteam", AUDIT_OUTCOME_OK, T0 + DAY, tok);
	/* a hold: the sweep records a denied purge and changes nothing else */
	h.until_ms = AUDIT_TIME_MAX;
	snprintf(h.reason, sizeof(h.reason), "WOB-verzoek");
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(audit_log_hold_set(s->audit, txn, &h));
	E(sk_db_status(mdb_txn_commit(txn)));
	E(sweep(s, sk_clock_now_ms() + 2 * AUDIT_YEAR_MS, &res));
	assert_int_equal(res.count, 0);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_scan(s->audit, txn, 0, 0, last_event, last));
	mdb_txn_abort(txn);
	assert_string_equal(last, "audit.purge denied sweeper");
	h.until_ms = 0;
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(audit_log_hold_set(s->audit, txn, &h));
	E(sk_db_status(mdb_txn_commit(txn)));
	/* two years on: all but the head go, into aggregates */
	E(sweep(s, sk_clock_now_ms() + 2 * AUDIT_YEAR_MS, &res));
	assert_int_equal(res.first, 1);
	assert_int_equal(res.count, 5);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_verify(s->audit, txn, &count, NULL));
	assert_int_equal(count, 7); /* 6 and the marker */
	E(audit_log_scan(s->audit, txn, 0, 0, last_event, last));
	assert_string_equal(last, "audit.purge ok sweeper");
	E(reg_retain_daily(s, txn, 0, 0, NULL, row, &v));
	mdb_txn_abort(txn);
	assert_int_equal(v.n, 4);
	n = T0 / DAY;
	{
		char want[128];

		snprintf(want, sizeof(want), "%llu altrecht lookup ok 2", (unsigned long long)n);
		assert_string_equal(v.rows[0], want);
		snprintf(want, sizeof(want), "%llu altrecht lookup denied 1", (unsigned long long)n);
		assert_string_equal(v.rows[1], want);
		snprintf(want, sizeof(want), "%llu wijkteam entry.publish ok 1",
			 (unsigned long long)n + 1);
		assert_string_equal(v.rows[2], want);
		assert_non_null(strstr(v.rows[3], " - registry.init ok 1"));
	}
	/* one org, one day range */
	memset(&v, 0, sizeof(v));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_retain_daily(s, txn, (uint32_t)n, (uint32_t)n + 1, "wijkteam", row, &v));
	mdb_txn_abort(txn);
	assert_int_equal(v.n, 1);
	reg_store_close(s);
	t_rmdir(dir);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A sweep batch (AUDIT_PURGE_BATCH records folded into aggregates and
 * purged in one transaction), timed. */
static void test_sweep_speed(void **state)
{
	char *dir = t_tmpdir(), org[16], tok[65];
	reg_store *s = NULL;
	audit_purge_result res;
	MDB_txn *txn = NULL;
	uint64_t count = 0;
	double a, b;

	(void)state;
	E(reg_store_init(dir, "test.example/registry", "registry", kek));
	E(reg_store_open(&s, dir, kek));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	for (int i = 0; i < AUDIT_PURGE_BATCH; i++) {
		audit_record r = {.event = i % 3 ? "lookup" : "entry.publish",
				  .action = AUDIT_ACTION_READ, .outcome = AUDIT_OUTCOME_OK,
				  .time_ms = T0 + (uint64_t)i * 60000, .user = org, .client = tok};

		snprintf(org, sizeof(org), "org-%d", i % 40);
		snprintf(tok, sizeof(tok), "%064x", i);
		E(reg_audit(s, txn, &r));
	}
	E(sk_db_status(mdb_txn_commit(txn)));
	a = seconds();
	E(sweep(s, sk_clock_now_ms() + 2 * AUDIT_YEAR_MS, &res));
	b = seconds();
	assert_int_equal(res.count, AUDIT_PURGE_BATCH);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_verify(s->audit, txn, &count, NULL));
	mdb_txn_abort(txn);
	print_message("registry audit sweep: %d records folded into daily aggregates and purged "
		      "in %.0f ms (%.0f records/s)\n",
		      AUDIT_PURGE_BATCH, (b - a) * 1e3, AUDIT_PURGE_BATCH / (b - a));
	reg_store_close(s);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate_and_sweep),
		cmocka_unit_test(test_sweep_speed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
