/* audit/review.h: each kind of finding (statutory basis, break-glass,
 * outside office hours and days, denied, pattern flags, lookup volume per
 * professional and day), the period, configurable hours and days, and the
 * option parsers with their refusals. */
#include "audit_fx.h"
#include "audit/review.h"
#include "common/init.h"

#define FINDINGS_MAX 32

struct found {
	struct {
		uint64_t seq; /* 0: volume; a group's first record */
		unsigned flags;
		int group;
		char user[16], day[11];
		uint64_t count;
	} f[FINDINGS_MAX];
	size_t n;
};

static sk_status collect(const audit_finding *fd, void *arg)
{
	struct found *g = arg;

	if (g->n == FINDINGS_MAX)
		return SK_ERR_TOOBIG;
	g->f[g->n].seq = fd->rec != NULL ? fd->rec->seq : fd->group ? fd->first_seq : 0;
	g->f[g->n].group = fd->group;
	g->f[g->n].flags = fd->flags;
	snprintf(g->f[g->n].user, sizeof(g->f[0].user), "%s", fd->user ? fd->user : "");
	memcpy(g->f[g->n].day, fd->day, sizeof(fd->day));
	g->f[g->n].count = fd->count;
	g->n++;
	return SK_OK;
}

static uint64_t add(struct fx *f, const char *event, audit_outcome oc, const char *when,
		    const char *user, const char *basis, bool glass)
{
	audit_record r = fx_rec(event, AUDIT_ACTION_READ, oc, fx_ms(when), "c-1", user);

	r.legal_basis = basis;
	r.break_glass = glass;
	return fx_add(f, &r);
}

static void lookups(struct fx *f, const char *user, const char *day, int n)
{
	char when[32];

	for (int i = 0; i < n; i++) {
		snprintf(when, sizeof(when), "%sT09:%02d:%02d", day, i / 60, i % 60);
		add(f, "lookup", AUDIT_OUTCOME_OK, when, user, "consent by client", false);
	}
}

static struct found review(struct fx *f, const audit_review_opts *o, uint64_t *records)
{
	struct found g = {0};
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);

	E(audit_review(f->log, txn, o, collect, &g, records));
	mdb_txn_abort(txn);
	return g;
}

/* 2026-01-05 is a Monday. */
static void test_review(void **state)
{
	struct fx f = fx_new();
	audit_review_opts o;
	struct found g;
	uint64_t records = 0, s_ok, s_stat, s_denied, s_sat, s_pattern, s_glass;

	audit_review_defaults(&o);
	s_ok = add(&f, "case.open", AUDIT_OUTCOME_OK, "2026-01-05T10:00:00", "anna",
		   "consent by client", false);
	s_stat = add(&f, "case.open", AUDIT_OUTCOME_OK, "2026-01-05T19:00:00", "anna",
		     "statutory: meldcode", false);
	s_denied = add(&f, "lookup", AUDIT_OUTCOME_DENIED, "2026-01-05T07:59:00", "dora", NULL,
		       false);
	s_pattern = add(&f, "pattern.flag", AUDIT_OUTCOME_OK, "2026-01-05T12:00:00", NULL, NULL,
			false);
	s_glass = add(&f, "x.crisis", AUDIT_OUTCOME_OK, "2026-01-05T11:00:00", "anna", NULL, true);
	add(&f, "disclosure.notice", AUDIT_OUTCOME_OK, "2026-01-05T23:00:00", NULL, NULL, false);
	lookups(&f, "bram", "2026-01-06", 51); /* over the limit */
	lookups(&f, "carl", "2026-01-06", 50); /* at it */
	lookups(&f, "bram", "2026-01-07", 60); /* reported when the next day begins */
	s_sat = add(&f, "lookup", AUDIT_OUTCOME_OK, "2026-01-10T10:00:00", "anna", NULL, false);
	(void)s_ok;

	g = review(&f, &o, &records);
	assert_int_equal(records, 6 + 51 + 50 + 60 + 1);
	assert_int_equal(g.n, 7);
	/* in time order: the denied attempt at 07:59 first */
	assert_int_equal(g.f[0].seq, s_denied);
	assert_int_equal(g.f[0].flags, AUDIT_FLAG_DENIED | AUDIT_FLAG_AFTER_HOURS);
	assert_int_equal(g.f[1].seq, s_glass);
	assert_int_equal(g.f[1].flags, AUDIT_FLAG_BREAK_GLASS);
	assert_int_equal(g.f[2].seq, s_pattern);
	assert_int_equal(g.f[2].flags, AUDIT_FLAG_PATTERN);
	assert_int_equal(g.f[3].seq, s_stat);
	assert_int_equal(g.f[3].flags, AUDIT_FLAG_STATUTORY | AUDIT_FLAG_AFTER_HOURS);
	assert_int_equal(g.f[4].seq, 0);
	assert_int_equal(g.f[4].flags, AUDIT_FLAG_VOLUME);
	assert_string_equal(g.f[4].user, "bram");
	assert_string_equal(g.f[4].day, "2026-01-06");
	assert_int_equal(g.f[4].count, 51);
	assert_string_equal(g.f[5].day, "2026-01-07");
	assert_int_equal(g.f[5].count, 60);
	assert_int_equal(g.f[6].seq, s_sat); /* Saturday: a routine read, a group of one */
	assert_int_equal(g.f[6].flags, AUDIT_FLAG_AFTER_HOURS);
	assert_int_equal(g.f[6].group, 1);
	assert_int_equal(g.f[6].count, 1);

	/* a period: Tuesday only */
	o.since_ms = fx_ms("2026-01-06T00:00:00");
	o.until_ms = fx_ms("2026-01-07T00:00:00") - 1;
	g = review(&f, &o, &records);
	assert_int_equal(records, 101);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.f[0].user, "bram");

	/* longer hours, Saturdays too, a higher limit */
	audit_review_defaults(&o);
	E(audit_hours_parse(&o, "07:00-20:00"));
	E(audit_days_parse(&o, "mon-sat"));
	o.max_lookups = 55;
	g = review(&f, &o, NULL);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.f[0].flags, AUDIT_FLAG_DENIED);
	assert_int_equal(g.f[3].flags, AUDIT_FLAG_STATUTORY);
	assert_int_equal(g.f[4].count, 60);
	fx_free(&f);
}

/* Routine reads outside office hours: one finding per professional,
 * client, kind and day with a count, signed off through the first record;
 * what else is flagged (denied, statutory) stays a finding of its own; a
 * review reads at most max_records. */
static void test_grouping(void **state)
{
	struct fx f = fx_new();
	audit_review_opts o;
	struct found g;
	uint64_t records = 0, first, other, denied, c2;
	audit_record r;

	audit_review_defaults(&o);
	first = add(&f, "case.show", AUDIT_OUTCOME_OK, "2026-01-05T19:00:00", "anna", NULL, false);
	add(&f, "case.show", AUDIT_OUTCOME_OK, "2026-01-05T19:05:00", "anna", NULL, false);
	denied = add(&f, "case.show", AUDIT_OUTCOME_DENIED, "2026-01-05T19:06:00", "anna", NULL,
		     false);
	add(&f, "case.show", AUDIT_OUTCOME_OK, "2026-01-05T21:00:00", "anna", NULL, false);
	other = add(&f, "discuss.show", AUDIT_OUTCOME_OK, "2026-01-05T21:30:00", "anna", NULL,
		    false);
	r = fx_rec("case.show", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, fx_ms("2026-01-05T22:00:00"),
		   "c-2", "anna");
	c2 = fx_add(&f, &r);
	add(&f, "case.show", AUDIT_OUTCOME_OK, "2026-01-05T12:00:00", "anna", NULL, false); /* office */
	r = fx_rec("case.list", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, fx_ms("2026-01-05T22:10:00"),
		   NULL, "anna"); /* lists: no client, folded too */
	fx_add(&f, &r);
	r.time_ms = fx_ms("2026-01-05T22:20:00");
	fx_add(&f, &r);
	add(&f, "case.show", AUDIT_OUTCOME_OK, "2026-01-06T20:00:00", "anna", NULL, false);

	g = review(&f, &o, &records);
	assert_int_equal(records, 10);
	assert_int_equal(g.n, 6);
	assert_int_equal(g.f[0].seq, denied); /* flagged twice: its own finding, at once */
	assert_int_equal(g.f[0].flags, AUDIT_FLAG_DENIED | AUDIT_FLAG_AFTER_HOURS);
	assert_int_equal(g.f[1].seq, first); /* anna, c-1, case.show, 5 January: 3 reads */
	assert_true(g.f[1].group);
	assert_int_equal(g.f[1].count, 3);
	assert_string_equal(g.f[1].day, "2026-01-05");
	assert_int_equal(g.f[2].seq, other); /* another kind */
	assert_int_equal(g.f[2].count, 1);
	assert_int_equal(g.f[3].seq, c2); /* another client */
	assert_int_equal(g.f[4].count, 2); /* the lists */
	assert_int_equal(g.f[5].count, 1); /* another day */
	assert_string_equal(g.f[5].day, "2026-01-06");

	/* bounded: at most max_records read, and the review says so */
	o.max_records = 3;
	g = review(&f, &o, &records);
	assert_int_equal(records, 3); /* 12:00, 19:00, 19:05 */
	assert_int_equal(g.n, 1);
	assert_int_equal(g.f[0].count, 2);

	{
		char id[AUDIT_PERIOD_ID_BYTES];

		audit_period_id(id, fx_ms("2026-11-01T00:00:00"), fx_ms("2026-11-30T23:59:59"));
		assert_string_equal(id, "period:2026-11-01T00:00:00.000Z/2026-11-30T23:59:59.000Z");
	}
	fx_free(&f);
}

static sk_status count_finding(const audit_finding *fd, void *arg)
{
	(*(uint64_t *)arg)++;
	return SK_OK;
}

/* A week at a busy node (3 million records a year: 60000), most of them
 * page views after hours: the review folds them and stays fast. */
static void test_week(void **state)
{
	struct fx f = fx_new();
	uint64_t t0 = fx_ms("2026-01-05T00:00:00"), n = 60000, findings = 0, records = 0;
	char client[16], user[16];
	audit_review_opts o;
	MDB_txn *txn;
	double a, b;

	for (uint64_t i = 0; i < n; i += 10000) {
		txn = fx_txn(&f, 0);
		for (uint64_t j = i; j < i + 10000; j++) {
			audit_record r = fx_rec(j % 50 ? "case.show" : "lookup", AUDIT_ACTION_READ,
						AUDIT_OUTCOME_OK, t0 + j * 10000, client, user);

			snprintf(client, sizeof(client), "c-%llu", (unsigned long long)(j % 300));
			snprintf(user, sizeof(user), "prof-%llu", (unsigned long long)(j % 40));
			E(audit_log_append(f.log, txn, &r, NULL, NULL));
		}
		E(sk_db_status(mdb_txn_commit(txn)));
	}
	audit_review_defaults(&o);
	txn = fx_txn(&f, MDB_RDONLY);
	a = fx_seconds();
	E(audit_review(f.log, txn, &o, count_finding, &findings, &records));
	b = fx_seconds();
	mdb_txn_abort(txn);
	assert_int_equal(records, n);
	assert_true(findings < n / 4); /* folded: far fewer findings than views */
	print_message("audit review: a week of %llu records in %.1f ms, %llu findings\n",
		      (unsigned long long)n, (b - a) * 1e3, (unsigned long long)findings);
	assert_true(b - a < 1.0);
	fx_free(&f);
}

static void test_parse(void **state)
{
	audit_review_opts o;
	static const char *const bad_hours[] = {
		"18:00-08:00", "8:00-18:00", "08:00-18:0", "08:60-09:00", "25:00-26:00",
		"08:00-24:01", "08:00", "08:00-08:00", "08.00-18.00", "",
	};
	static const char *const bad_days[] = {
		"", "monday", "mon-", "mon,,tue", "xyz", "mon-xyz", ",mon", "mon,", "Mon",
	};

	audit_review_defaults(&o);
	assert_int_equal(o.office_start, 480);
	assert_int_equal(o.office_end, 1080);
	assert_int_equal(o.office_days, 0x3e);
	E(audit_hours_parse(&o, "00:00-24:00"));
	assert_int_equal(o.office_end, 1440);
	for (size_t i = 0; i < sizeof(bad_hours) / sizeof(bad_hours[0]); i++)
		if (audit_hours_parse(&o, bad_hours[i]) != SK_ERR_INVALID)
			fail_msg("accepted hours '%s'", bad_hours[i]);
	E(audit_days_parse(&o, "sat,sun"));
	assert_int_equal(o.office_days, 0x41);
	E(audit_days_parse(&o, "fri-mon"));
	assert_int_equal(o.office_days, 0x63);
	E(audit_days_parse(&o, "mon-wed,sat"));
	assert_int_equal(o.office_days, 0x4e);
	for (size_t i = 0; i < sizeof(bad_days) / sizeof(bad_days[0]); i++)
		if (audit_days_parse(&o, bad_days[i]) != SK_ERR_INVALID)
			fail_msg("accepted days '%s'", bad_days[i]);
	assert_string_equal(audit_flag_name(AUDIT_FLAG_STATUTORY), "statutory");
	assert_string_equal(audit_flag_name(AUDIT_FLAG_VOLUME), "volume");
	assert_string_equal(audit_flag_name(3), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_review),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_week),
		cmocka_unit_test(test_parse),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
