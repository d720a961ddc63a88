/* audit/query.h and the indexes of audit/log.h: filters answered through
 * the client, user and time indexes, oldest first; indexes built for an
 * old log; a record missing from an index caught by verify; an index that
 * disagrees with its record refused; ISO 8601 times; and the speed of a
 * query over 200k records (1M with SK_SLOW=1). */
#include <inttypes.h>
#include <stdlib.h>

#include "audit_fx.h"
#include "audit/query.h"
#include "common/init.h"

struct got {
	uint64_t seq[64];
	size_t n;
	uint64_t last_time;
	int ordered;
};

static sk_status collect(const audit_record *rec, void *arg)
{
	struct got *g = arg;

	if (rec->time_ms < g->last_time)
		g->ordered = 0;
	g->last_time = rec->time_ms;
	if (g->n < 64)
		g->seq[g->n] = rec->seq;
	g->n++;
	return SK_OK;
}

static struct got run(struct fx *f, const audit_filter *flt)
{
	struct got g = {.ordered = 1};
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);

	E(audit_query(f->log, txn, flt, collect, &g));
	mdb_txn_abort(txn);
	return g;
}

static void want(struct got g, size_t n, const uint64_t *seqs)
{
	assert_int_equal(g.n, n);
	assert_true(g.ordered);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(g.seq[i], seqs[i]);
}

/* A small log with clients, users, outcomes and out-of-order times. */
static void fill(struct fx *f)
{
	uint64_t t = fx_ms("2026-01-05T09:00:00");
	audit_record r;

	r = fx_rec("client.add", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, t, "c-1", NULL);
	fx_add(f, &r); /* 1 */
	r = fx_rec("case.open", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, t + 1000, "c-1", "anna");
	fx_add(f, &r); /* 2 */
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 2000, "c-1", "anna");
	fx_add(f, &r); /* 3 */
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_DENIED, t + 3000, "c-1", "dora");
	fx_add(f, &r); /* 4 */
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 4000, "c-10", "anna");
	fx_add(f, &r); /* 5: c-10 sorts right after c-1 */
	/* 6: the clock went back: it sorts before 5, 4 and 3 in time order */
	r = fx_rec("case.consent", AUDIT_ACTION_UPDATE, AUDIT_OUTCOME_OK, t + 1500, "c-1", "anna");
	fx_add(f, &r);
	r = fx_rec("node.init", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, t + 86400000, NULL, NULL);
	fx_add(f, &r); /* 7: the next day */
}

static void test_filters(void **state)
{
	struct fx f = fx_new();
	uint64_t t = fx_ms("2026-01-05T09:00:00");
	audit_filter flt = {0};

	fill(&f);
	want(run(&f, &flt), 7, (uint64_t[]){1, 2, 6, 3, 4, 5, 7});
	flt.client = "c-1";
	want(run(&f, &flt), 5, (uint64_t[]){1, 2, 6, 3, 4});
	flt.client = "c-10";
	want(run(&f, &flt), 1, (uint64_t[]){5});
	flt.client = "c-";
	want(run(&f, &flt), 0, NULL);
	flt = (audit_filter){.user = "anna"};
	want(run(&f, &flt), 4, (uint64_t[]){2, 6, 3, 5});
	flt.action = AUDIT_ACTION_READ;
	want(run(&f, &flt), 2, (uint64_t[]){3, 5});
	flt = (audit_filter){.client = "c-1", .outcome = AUDIT_OUTCOME_DENIED};
	want(run(&f, &flt), 1, (uint64_t[]){4});
	flt = (audit_filter){.event = "lookup", .outcome = AUDIT_OUTCOME_OK};
	want(run(&f, &flt), 2, (uint64_t[]){3, 5});
	/* time ranges, inclusive at both ends, on every index */
	flt = (audit_filter){.since_ms = t + 1500, .until_ms = t + 3000};
	want(run(&f, &flt), 3, (uint64_t[]){6, 3, 4});
	flt.client = "c-1";
	flt.until_ms = t + 2999;
	want(run(&f, &flt), 2, (uint64_t[]){6, 3});
	flt = (audit_filter){.user = "anna", .since_ms = t + 2000};
	want(run(&f, &flt), 2, (uint64_t[]){3, 5});
	flt = (audit_filter){.since_ms = t + 5000, .until_ms = t + 4000};
	want(run(&f, &flt), 0, NULL);
	flt = (audit_filter){.since_ms = t + 86400000};
	want(run(&f, &flt), 1, (uint64_t[]){7});
	/* a client longer than any field matches nothing */
	{
		char longer[AUDIT_FIELD_MAX + 2];

		memset(longer, 'x', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = 0;
		flt = (audit_filter){.client = longer};
		want(run(&f, &flt), 0, NULL);
	}
	fx_free(&f);
}

static sk_status stop_at_2(const audit_record *rec, void *arg)
{
	(*(int *)arg)++;
	return rec->seq == 2 ? SK_ERR_EXISTS : SK_OK;
}

static void test_filter_text(void **state)
{
	audit_filter flt = {0};
	char buf[AUDIT_FILTER_TEXT_MAX], small[12];
	struct fx f = fx_new();
	MDB_txn *txn;
	int calls = 0;

	audit_filter_text(buf, sizeof(buf), &flt);
	assert_string_equal(buf, "all records");
	flt = (audit_filter){"c-1", "anna", "lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_DENIED,
			     fx_ms("2026-01-05T00:00:00"), 0};
	audit_filter_text(buf, sizeof(buf), &flt);
	assert_string_equal(buf, "client=c-1 professional=anna event=lookup action=R "
				 "outcome=denied since=2026-01-05T00:00:00.000Z");
	audit_filter_text(small, sizeof(small), &flt); /* cut, still a string */
	assert_true(strlen(small) < sizeof(small));
	/* the callback's status stops the query */
	fill(&f);
	txn = fx_txn(&f, MDB_RDONLY);
	flt = (audit_filter){0};
	EFAIL(audit_query(f.log, txn, &flt, stop_at_2, &calls), SK_ERR_EXISTS);
	assert_int_equal(calls, 2);
	mdb_txn_abort(txn);
	fx_free(&f);
}

static MDB_dbi dbi(MDB_txn *txn, const char *name)
{
	MDB_dbi d;

	E(sk_db_status(mdb_dbi_open(txn, name, 0, &d)));
	return d;
}

static void key_of(uint8_t *k, size_t *n, const char *field, uint64_t t, uint64_t seq)
{
	size_t fl = field != NULL ? strlen(field) + 1 : 0;

	memcpy(k, field != NULL ? field : "", fl);
	for (int i = 0; i < 8; i++) {
		k[fl + i] = (uint8_t)(t >> (56 - 8 * i));
		k[fl + 8 + i] = (uint8_t)(seq >> (56 - 8 * i));
	}
	*n = fl + 16;
}

/* A log written before the indexes: audit_log_open() indexes it once. */
static void test_catch_up(void **state)
{
	struct fx f = fx_new();
	MDB_txn *txn;
	MDB_val k = {5, "index"};
	audit_filter flt = {.client = "c-1"};

	fill(&f);
	txn = fx_txn(&f, 0);
	E(sk_db_status(mdb_drop(txn, dbi(txn, AUDIT_DB_BY_CLIENT), 0)));
	E(sk_db_status(mdb_drop(txn, dbi(txn, AUDIT_DB_BY_USER), 0)));
	E(sk_db_status(mdb_drop(txn, dbi(txn, AUDIT_DB_BY_TIME), 0)));
	E(sk_db_status(mdb_del(txn, dbi(txn, AUDIT_DB_META), &k, NULL)));
	E(sk_db_status(mdb_txn_commit(txn)));
	want(run(&f, &flt), 0, NULL);
	fx_close(&f);
	fx_open(&f);
	want(run(&f, &flt), 5, (uint64_t[]){1, 2, 6, 3, 4});
	flt = (audit_filter){.user = "anna"};
	want(run(&f, &flt), 4, (uint64_t[]){2, 6, 3, 5});
	txn = fx_txn(&f, MDB_RDONLY);
	E(audit_log_verify(f.log, txn, NULL, NULL));
	mdb_txn_abort(txn);
	fx_free(&f);
}

/* A record taken out of an index is hidden from queries: verify names it. */
static void test_index_removed(void **state)
{
	struct fx f = fx_new();
	uint64_t t = fx_ms("2026-01-05T09:00:00"), bad = 0, count = 0;
	uint8_t kb[300];
	MDB_val k = {0, kb};
	MDB_txn *txn;

	fill(&f);
	txn = fx_txn(&f, 0);
	key_of(kb, &k.mv_size, "dora", t + 3000, 4);
	E(sk_db_status(mdb_del(txn, dbi(txn, AUDIT_DB_BY_USER), &k, NULL)));
	E(sk_db_status(mdb_txn_commit(txn)));
	txn = fx_txn(&f, MDB_RDONLY);
	EFAIL(audit_log_verify(f.log, txn, &count, &bad), SK_ERR_VERIFY);
	mdb_txn_abort(txn);
	assert_int_equal(bad, 4);
	assert_int_equal(count, 3);
	assert_non_null(strstr(sk_error_detail(), "record 4 is missing from the audit index"));

	/* the time index too */
	fx_free(&f);
	f = fx_new();
	fill(&f);
	txn = fx_txn(&f, 0);
	key_of(kb, &k.mv_size, NULL, t + 86400000, 7);
	E(sk_db_status(mdb_del(txn, dbi(txn, AUDIT_DB_BY_TIME), &k, NULL)));
	E(sk_db_status(mdb_txn_commit(txn)));
	txn = fx_txn(&f, MDB_RDONLY);
	EFAIL(audit_log_verify(f.log, txn, &count, &bad), SK_ERR_VERIFY);
	mdb_txn_abort(txn);
	assert_int_equal(bad, 7);
	fx_free(&f);
}

/* Index entries that do not match a record are refused, not followed. */
static void test_index_forged(void **state)
{
	struct fx f = fx_new();
	uint64_t t = fx_ms("2026-01-05T09:00:00");
	uint8_t kb[300];
	MDB_val k = {0, kb}, v = {0, NULL};
	audit_filter flt = {.client = "c-1"};
	struct got g = {.ordered = 1};
	MDB_txn *txn;
	const struct {
		const char *db, *field;
		uint64_t t, seq;
	} forged[] = {
		{AUDIT_DB_BY_CLIENT, "c-1", t + 5000, 5}, /* record 5 is c-10's */
		{AUDIT_DB_BY_CLIENT, "c-1", t + 5000, 99}, /* no such record */
		{AUDIT_DB_BY_CLIENT, "c-1", t + 2500, 3}, /* record 3's time differs */
		{AUDIT_DB_BY_USER, "anna", t + 3000, 4},  /* record 4 is dora's */
		{AUDIT_DB_BY_TIME, NULL, t + 1, 7},
	};

	fill(&f);
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		txn = fx_txn(&f, 0);
		key_of(kb, &k.mv_size, forged[i].field, forged[i].t, forged[i].seq);
		E(sk_db_status(mdb_put(txn, dbi(txn, forged[i].db), &k, &v, 0)));
		flt = forged[i].field == NULL ? (audit_filter){0}
		      : strcmp(forged[i].db, AUDIT_DB_BY_USER) == 0 ? (audit_filter){.user = "anna"}
								      : (audit_filter){.client = "c-1"};
		EFAIL(audit_query(f.log, txn, &flt, collect, &g), SK_ERR_VERIFY);
		mdb_txn_abort(txn);
	}
	/* a malformed key in the client index */
	txn = fx_txn(&f, 0);
	k = (MDB_val){5, "c-1\0x"};
	E(sk_db_status(mdb_put(txn, dbi(txn, AUDIT_DB_BY_CLIENT), &k, &v, 0)));
	flt = (audit_filter){.client = "c-1"};
	EFAIL(audit_query(f.log, txn, &flt, collect, &g), SK_ERR_VERIFY);
	mdb_txn_abort(txn);
	want(run(&f, &flt), 5, (uint64_t[]){1, 2, 6, 3, 4});
	fx_free(&f);
}

static void test_time_parse(void **state)
{
	char buf[AUDIT_TIME_BYTES];
	uint64_t ms;
	static const char *const bad[] = {
		"", "2026-1-05", "2026-01-5", "2026/01/05", "2026-13-01", "2026-00-10",
		"2026-02-30", "2025-02-29", "1969-12-31", "2026-01-05T24:00:00Z",
		"2026-01-05T10:60:00Z", "2026-01-05T10:00:60Z", "2026-01-05T10:00:00",
		"2026-01-05 10:00:00Z", "2026-01-05T10:00:00+01", " 2026-01-05", "+026-01-05",
		"2026-01-05T1a:00:00Z",
	};

	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	E(audit_time_parse(&ms, "2026-01-05", false));
	assert_int_equal(ms, fx_ms("2026-01-04T23:00:00"));
	E(audit_time_parse(&ms, "2026-01-05", true));
	assert_int_equal(ms, fx_ms("2026-01-05T23:00:00") - 1);
	E(audit_time_parse(&ms, "2026-07-01", false)); /* summer time */
	assert_int_equal(ms, fx_ms("2026-06-30T22:00:00"));
	E(audit_time_parse(&ms, "2026-03-29", true)); /* a 23-hour day */
	assert_int_equal(ms, fx_ms("2026-03-29T22:00:00") - 1);
	E(audit_time_parse(&ms, "2026-01-31", true)); /* the last of a month */
	assert_int_equal(ms, fx_ms("2026-01-31T23:00:00") - 1);
	E(audit_time_parse(&ms, "2024-02-29", false));
	E(audit_time_parse(&ms, "2026-01-05T10:11:12Z", false));
	assert_int_equal(ms, fx_ms("2026-01-05T10:11:12"));
	E(audit_time_parse(&ms, "2026-01-05T10:11:12Z", true));
	assert_int_equal(ms, fx_ms("2026-01-05T10:11:12") + 999);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (audit_time_parse(&ms, bad[i], false) != SK_ERR_INVALID)
			fail_msg("accepted '%s'", bad[i]);
	EFAIL(audit_time_parse(&ms, NULL, false), SK_ERR_INVALID);
	audit_time_format(buf, fx_ms("2026-01-05T10:11:12") + 7);
	assert_string_equal(buf, "2026-01-05T10:11:12.007Z");
	audit_time_local(buf, fx_ms("2026-01-05T10:11:12"));
	assert_string_equal(buf, "2026-01-05 11:11");
	setenv("TZ", "UTC", 1);
	tzset();
}

/* ---- speed ------------------------------------------------------------------ */

#define CLIENTS 20000
#define USERS 200

static sk_status count_fn(const audit_record *rec, void *arg)
{
	(void)rec;
	(*(uint64_t *)arg)++;
	return SK_OK;
}

/* Appends n records, a second apart, in transactions of 10,000; then
 * times a client query, a professional's day and an hour of the log. */
struct seqs {
	uint64_t seq[AUDIT_PAGE_MAX];
	size_t n;
};

static sk_status seq_fn(const audit_record *rec, void *arg)
{
	struct seqs *s = arg;

	s->seq[s->n++] = rec->seq;
	return SK_OK;
}

/* Pages newest first with a cursor: every record once, in (time, seq)
 * descending order, also with equal times; filters; the scan bound. */
static void test_page(void **state)
{
	struct fx f = fx_new();
	uint64_t t0 = fx_ms("2026-01-05T09:00:00"), seen[32] = {0}, scanned = 0;
	audit_cursor cur = {0, 0}, next;
	audit_filter flt = {0};
	struct seqs got;
	char text[AUDIT_CURSOR_TEXT];
	size_t total = 0;
	MDB_txn *txn;

	for (int i = 0; i < 25; i++) { /* times repeat: pairs share a millisecond */
		audit_record r = fx_rec(i % 5 == 0 ? "lookup" : "case.show", AUDIT_ACTION_READ,
					AUDIT_OUTCOME_OK, t0 + (uint64_t)(i / 2) * 1000,
					i % 2 ? "c-1" : "c-2", "anna");
		fx_add(&f, &r);
	}
	txn = fx_txn(&f, MDB_RDONLY);
	do {
		got.n = 0;
		E(audit_query_page(f.log, txn, &flt, &cur, 10, 0, seq_fn, &got, &next, NULL));
		for (size_t i = 0; i < got.n; i++) {
			assert_true(got.seq[i] >= 1 && got.seq[i] <= 25);
			assert_int_equal(seen[got.seq[i]]++, 0);
			if (total + i > 0)
				assert_true(got.seq[i] < (i ? got.seq[i - 1] : 26));
		}
		total += got.n;
		assert_true(got.n == 10 || next.time_ms == 0);
		audit_cursor_format(text, &next);
		if (next.time_ms != 0)
			E(audit_cursor_parse(&cur, text));
	} while (next.time_ms != 0);
	assert_int_equal(total, 25);
	/* newest first */
	cur = (audit_cursor){0, 0};
	got.n = 0;
	E(audit_query_page(f.log, txn, &flt, &cur, 3, 0, seq_fn, &got, &next, NULL));
	assert_int_equal(got.n, 3);
	assert_int_equal(got.seq[0], 25);
	assert_int_equal(got.seq[2], 23);
	/* through the client index, with an event filter */
	flt = (audit_filter){.client = "c-2", .event = "lookup"};
	got.n = 0;
	E(audit_query_page(f.log, txn, &flt, NULL, 100, 0, seq_fn, &got, &next, NULL));
	assert_int_equal(got.n, 3); /* records 1, 11, 21 */
	assert_int_equal(got.seq[0], 21);
	assert_int_equal(next.time_ms, 0);
	/* bounded: at most max_scan read, and the cursor goes on from there */
	flt = (audit_filter){.event = "lookup"};
	got.n = 0;
	E(audit_query_page(f.log, txn, &flt, NULL, 100, 4, seq_fn, &got, &next, &scanned));
	assert_int_equal(scanned, 4);
	assert_int_equal(got.n, 0); /* 25..22 are no lookups */
	assert_int_equal(next.seq, 22);
	EFAIL(audit_query_page(f.log, txn, &flt, NULL, 101, 0, seq_fn, &got, &next, NULL),
	      SK_ERR_INVALID);
	mdb_txn_abort(txn);
	EFAIL(audit_cursor_parse(&cur, "12"), SK_ERR_INVALID);
	EFAIL(audit_cursor_parse(&cur, "-1-2"), SK_ERR_INVALID);
	EFAIL(audit_cursor_parse(&cur, "1-2x"), SK_ERR_INVALID);
	fx_free(&f);
}

static void test_speed(void **state)
{
	const char *slow = getenv("SK_SLOW");
	uint64_t n = slow != NULL && strcmp(slow, "1") == 0 ? 1000000 : 200000;
	uint64_t t0 = fx_ms("2026-01-01T00:00:00"), got;
	char client[16], user[16], reason[32];
	struct fx f = fx_new();
	audit_filter flt;
	MDB_txn *txn;
	double a, b, c, d, e;

	a = fx_seconds();
	for (uint64_t i = 0; i < n; i += 10000) {
		txn = fx_txn(&f, 0);
		for (uint64_t j = i; j < i + 10000 && j < n; j++) {
			audit_record r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK,
						t0 + j * 1000, client, user);

			snprintf(client, sizeof(client), "c-%" PRIu64, j * 7919 % CLIENTS + 1);
			snprintf(user, sizeof(user), "prof-%" PRIu64, j % USERS);
			snprintf(reason, sizeof(reason), "r%" PRIu64, j);
			r.role = "spv";
			r.purpose = "afstemming";
			r.reason = reason;
			r.counterpart = "altrecht";
			r.correlation_id = "0123456789abcdef0123456789abcdef";
			E(audit_log_append(f.log, txn, &r, NULL, NULL));
		}
		E(sk_db_status(mdb_txn_commit(txn)));
	}
	b = fx_seconds();
	txn = fx_txn(&f, MDB_RDONLY);
	got = 0;
	flt = (audit_filter){.client = "c-4242"};
	E(audit_query(f.log, txn, &flt, count_fn, &got));
	assert_int_equal(got, n / CLIENTS);
	c = fx_seconds();
	got = 0;
	flt = (audit_filter){.since_ms = t0 + (n / 2) * 1000, .until_ms = t0 + (n / 2 + 3600) * 1000 - 1};
	E(audit_query(f.log, txn, &flt, count_fn, &got));
	assert_int_equal(got, 3600);
	d = fx_seconds();
	got = 0;
	flt = (audit_filter){.user = "prof-7", .since_ms = t0 + (n / 2) * 1000,
			     .until_ms = t0 + (n / 2 + 86400) * 1000 - 1};
	E(audit_query(f.log, txn, &flt, count_fn, &got));
	assert_int_equal(got, 86400 / USERS);
	e = fx_seconds();
	{ /* a page of the newest 100, and a page of a rare event (bounded) */
		audit_cursor next;
		struct seqs pg = {{0}, 0};
		double g0 = fx_seconds(), g1, g2;

		flt = (audit_filter){0};
		E(audit_query_page(f.log, txn, &flt, NULL, 100, 0, seq_fn, &pg, &next, NULL));
		assert_int_equal(pg.n, 100);
		g1 = fx_seconds();
		pg.n = 0;
		flt = (audit_filter){.event = "no.such"};
		E(audit_query_page(f.log, txn, &flt, NULL, 100, 20000, seq_fn, &pg, &next, NULL));
		assert_int_equal(pg.n, 0);
		g2 = fx_seconds();
		print_message("audit page: the newest 100 in %.2f ms; 20000 records without a match "
			      "in %.2f ms\n",
			      (g1 - g0) * 1e3, (g2 - g1) * 1e3);
		assert_true(g1 - g0 < 0.1);
	}
	mdb_txn_abort(txn);
	print_message("audit query: %" PRIu64 " records appended at %.0f records/s; a client's "
		      "%" PRIu64 " records in %.2f ms, an hour (3600 records) in %.2f ms, a "
		      "professional's day (%d records) in %.2f ms\n",
		      n, (double)n / (b - a), n / CLIENTS, (c - b) * 1e3, (d - c) * 1e3,
		      86400 / USERS, (e - d) * 1e3);
	assert_true(c - b < 1.0 && d - c < 1.0 && e - d < 1.0);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),      cmocka_unit_test(test_filter_text),
		cmocka_unit_test(test_catch_up),     cmocka_unit_test(test_index_removed),
		cmocka_unit_test(test_index_forged), cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_speed),        cmocka_unit_test(test_page),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
