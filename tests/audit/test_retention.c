/* Retention of the audit log: purge of the due prefix with a signed base,
 * verify from that base, index entries removed, legal holds, the stored
 * retention, and the forgeries a purge base must not let through. */
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "audit_fx.h"
#include "audit/retain.h"
#include "common/init.h"
#include "crypto/key.h"
#include "protos/domains.h"

#define T0 1700000000000ULL /* 2023-11-14 */
#define NOW (T0 + 100 * AUDIT_DAY_MS)

/* n records, one a day from T0, each kept for keep_days. */
static void add_days(struct fx *f, int n, uint64_t keep_days)
{
	for (int i = 0; i < n; i++) {
		audit_record r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK,
					T0 + (uint64_t)i * AUDIT_DAY_MS, "c-1", "prof-1");

		r.retain_until_ms = r.time_ms + keep_days * AUDIT_DAY_MS;
		fx_add(f, &r);
	}
}

static sk_status count_fn(const audit_record *rec, void *arg)
{
	(void)rec;
	(*(uint64_t *)arg)++;
	return SK_OK;
}

/* Purges in a transaction of its own and appends the marker, as callers do. */
static sk_status purge(struct fx *f, const key_ed25519 *k, uint64_t now, audit_purge_result *res)
{
	MDB_txn *txn = fx_txn(f, 0);
	audit_record m = fx_rec("audit.purge", AUDIT_ACTION_DELETE, AUDIT_OUTCOME_OK, now, NULL,
				NULL);
	sk_status st = audit_log_purge(f->log, txn, now, 0, NULL, NULL, k ? k->sk : NULL, res);

	if (st == SK_OK && k != NULL && res->count > 0) {
		m.reason = res->reason;
		st = audit_log_append(f->log, txn, &m, NULL, NULL);
	}
	if (st == SK_OK)
		E(sk_db_status(mdb_txn_commit(txn)));
	else
		mdb_txn_abort(txn);
	return st;
}

static sk_status verify(struct fx *f, uint64_t *count, uint64_t *bad)
{
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);
	sk_status st = audit_log_verify(f->log, txn, count, bad);

	mdb_txn_abort(txn);
	return st;
}

static void test_purge_prefix(void **state)
{
	struct fx f = fx_new();
	key_ed25519 k;
	audit_purge_result res;
	audit_base base;
	uint64_t count = 0, bad = 0, n = 0;
	MDB_txn *txn;

	(void)state;
	key_ed25519_generate(&k);
	audit_log_set_key(f.log, k.pk);
	add_days(&f, 10, 30);  /* 1..10: due by NOW */
	add_days(&f, 1, 1000); /* 11: kept */
	add_days(&f, 3, 30);   /* 12..14: due, but after a kept one */
	/* a dry run says what would go and removes nothing */
	E(purge(&f, NULL, NOW, &res));
	assert_int_equal(res.count, 10);
	E(verify(&f, &count, &bad));
	assert_int_equal(count, 14);
	E(purge(&f, &k, NOW, &res));
	assert_int_equal(res.first, 1);
	assert_int_equal(res.last, 10);
	assert_int_equal(res.count, 10);
	assert_non_null(strstr(res.reason, "purged records 1-10"));
	E(verify(&f, &count, &bad));
	assert_int_equal(count, 15); /* 11..14 and the marker */
	assert_int_equal(bad, 0);
	txn = fx_txn(&f, MDB_RDONLY);
	E(audit_log_base(f.log, txn, &base));
	assert_int_equal(base.seq, 10);
	/* the indexes no longer name the purged records */
	E(audit_log_scan_index(f.log, txn, AUDIT_BY_TIME, NULL, 0, 0, count_fn, &n));
	assert_int_equal(n, 5);
	n = 0;
	E(audit_log_scan_index(f.log, txn, AUDIT_BY_CLIENT, "c-1", 0, 0, count_fn, &n));
	assert_int_equal(n, 4);
	mdb_txn_abort(txn);
	/* nothing more is due: the kept record stops the purge */
	E(purge(&f, &k, NOW, &res));
	assert_int_equal(res.count, 0);
	/* later, 11..14 are due; the marker (kept 5 years) and the head stay */
	E(purge(&f, &k, NOW + 2000 * AUDIT_DAY_MS, &res));
	assert_int_equal(res.first, 11);
	assert_int_equal(res.last, 14);
	E(verify(&f, &count, &bad));
	assert_int_equal(count, 16);
	fx_free(&f);
}

static void test_never_the_head(void **state)
{
	struct fx f = fx_new();
	key_ed25519 k;
	audit_purge_result res;
	uint64_t count = 0, seq = 0;
	uint8_t head[AUDIT_HASH_BYTES];
	MDB_txn *txn;

	(void)state;
	key_ed25519_generate(&k);
	audit_log_set_key(f.log, k.pk);
	add_days(&f, 3, 1);
	txn = fx_txn(&f, 0);
	E(audit_log_purge(f.log, txn, NOW, 0, NULL, NULL, k.sk, &res));
	assert_int_equal(res.last, 2);
	/* no marker appended: the head record alone carries the chain on */
	E(sk_db_status(mdb_txn_commit(txn)));
	E(verify(&f, &count, NULL));
	assert_int_equal(count, 3);
	txn = fx_txn(&f, MDB_RDONLY);
	E(audit_log_head(f.log, txn, &seq, head));
	mdb_txn_abort(txn);
	assert_int_equal(seq, 3);
	fx_free(&f);
}

static void test_hold(void **state)
{
	struct fx f = fx_new();
	key_ed25519 k;
	audit_purge_result res;
	audit_hold h = {.until_ms = NOW + AUDIT_DAY_MS}, got;
	MDB_txn *txn;

	(void)state;
	key_ed25519_generate(&k);
	audit_log_set_key(f.log, k.pk);
	add_days(&f, 5, 1);
	snprintf(h.reason, sizeof(h.reason), "rechtszaak 2026/123");
	txn = fx_txn(&f, 0);
	E(audit_log_hold_set(f.log, txn, &h));
	E(sk_db_status(mdb_txn_commit(txn)));
	EFAIL(purge(&f, &k, NOW, &res), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "legal hold"));
	assert_non_null(strstr(sk_error_detail(), "rechtszaak 2026/123"));
	EFAIL(purge(&f, NULL, NOW, &res), SK_ERR_PERM); /* a dry run says so too */
	txn = fx_txn(&f, MDB_RDONLY);
	E(audit_log_hold_get(f.log, txn, &got));
	mdb_txn_abort(txn);
	assert_int_equal(got.until_ms, h.until_ms);
	assert_string_equal(got.reason, h.reason);
	/* once it ends, the purge goes ahead */
	E(purge(&f, &k, NOW + 2 * AUDIT_DAY_MS, &res));
	assert_int_equal(res.count, 4);
	/* a new hold (in force now), extended, not shortened, released */
	h.until_ms = fx_ms("2099-01-01T00:00:00");
	txn = fx_txn(&f, 0);
	E(audit_log_hold_set(f.log, txn, &h));
	h.until_ms = fx_ms("2099-06-01T00:00:00");
	E(audit_log_hold_set(f.log, txn, &h));
	h.until_ms = fx_ms("2099-03-01T00:00:00");
	EFAIL(audit_log_hold_set(f.log, txn, &h), SK_ERR_PERM);
	h.until_ms = 0;
	E(audit_log_hold_set(f.log, txn, &h));
	E(audit_log_hold_get(f.log, txn, &got));
	assert_int_equal(got.until_ms, 0);
	/* a hold needs a reason */
	h.until_ms = NOW;
	h.reason[0] = 0;
	EFAIL(audit_log_hold_set(f.log, txn, &h), SK_ERR_INVALID);
	mdb_txn_abort(txn);
	fx_free(&f);
}

/* Replaces meta key name with len bytes of val (NULL: deletes it). */
static void meta_put(struct fx *f, const char *name, const void *val, size_t len)
{
	MDB_txn *txn = fx_txn(f, 0);
	MDB_dbi dbi;
	MDB_val k = {strlen(name), (void *)name}, v = {len, (void *)val};

	E(sk_db_status(mdb_dbi_open(txn, AUDIT_DB_META, 0, &dbi)));
	if (val == NULL)
		E(sk_db_status(mdb_del(txn, dbi, &k, NULL)));
	else
		E(sk_db_status(mdb_put(txn, dbi, &k, &v, 0)));
	E(sk_db_status(mdb_txn_commit(txn)));
}

static void meta_read(struct fx *f, const char *name, uint8_t *out, size_t len)
{
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);
	MDB_dbi dbi;
	MDB_val k = {strlen(name), (void *)name}, v;

	E(sk_db_status(mdb_dbi_open(txn, AUDIT_DB_META, 0, &dbi)));
	E(sk_db_status(mdb_get(txn, dbi, &k, &v)));
	assert_int_equal(v.mv_size, len);
	memcpy(out, v.mv_data, len);
	mdb_txn_abort(txn);
}

static void del_record(struct fx *f, uint64_t seq)
{
	MDB_txn *txn = fx_txn(f, 0);
	MDB_dbi dbi;
	uint8_t kb[8];
	MDB_val k = {8, kb};

	for (int i = 7; i >= 0; i--, seq >>= 8)
		kb[i] = (uint8_t)seq;
	E(sk_db_status(mdb_dbi_open(txn, AUDIT_DB_RECORDS, 0, &dbi)));
	E(sk_db_status(mdb_del(txn, dbi, &k, NULL)));
	E(sk_db_status(mdb_txn_commit(txn)));
}

#define BASE_LEN (8 + AUDIT_HASH_BYTES + 8 + KEY_SIG_BYTES)

static void test_forged_base(void **state)
{
	struct fx f = fx_new();
	key_ed25519 k, other;
	audit_purge_result res;
	uint8_t b1[BASE_LEN], b2[BASE_LEN], bad_b[BASE_LEN];
	uint64_t count = 0, bad = 0;

	(void)state;
	key_ed25519_generate(&k);
	key_ed25519_generate(&other);
	audit_log_set_key(f.log, k.pk);
	add_days(&f, 4, 1);
	add_days(&f, 4, 30);
	add_days(&f, 1, 1000);
	E(purge(&f, &k, NOW - 80 * AUDIT_DAY_MS, &res)); /* 1..4 */
	meta_read(&f, AUDIT_META_BASE, b1, sizeof(b1));
	E(purge(&f, &k, NOW, &res)); /* 5..8 */
	meta_read(&f, AUDIT_META_BASE, b2, sizeof(b2));
	E(verify(&f, &count, &bad));
	/* a changed bit in the signed base */
	memcpy(bad_b, b2, sizeof(b2));
	bad_b[12] ^= 1;
	meta_put(&f, AUDIT_META_BASE, bad_b, sizeof(bad_b));
	EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, 9);
	/* a base signed by another key, claiming more was purged */
	{
		uint8_t seq_b[8], time_b[8];
		audit_base fb = {.seq = 8, .time_ms = NOW};
		key_part parts[3];

		memcpy(fb.hash, b2 + 8, AUDIT_HASH_BYTES);
		for (int i = 7, v = 8; i >= 0; i--, v >>= 8)
			seq_b[i] = (uint8_t)v;
		for (uint64_t i = 8, v = NOW; i-- > 0; v >>= 8)
			time_b[i] = (uint8_t)v;
		parts[0] = (key_part){seq_b, 8};
		parts[1] = (key_part){fb.hash, AUDIT_HASH_BYTES};
		parts[2] = (key_part){time_b, 8};
		E(key_sign_parts(fb.sig, WIRE_DOMAIN_AUDIT_PURGE, parts, 3, other.sk));
		memcpy(bad_b, seq_b, 8);
		memcpy(bad_b + 8 + AUDIT_HASH_BYTES, time_b, 8);
		memcpy(bad_b + 16 + AUDIT_HASH_BYTES, fb.sig, KEY_SIG_BYTES);
		meta_put(&f, AUDIT_META_BASE, bad_b, sizeof(bad_b));
		EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	}
	/* the older (genuine) base: records 5..8 are gone without a marker */
	meta_put(&f, AUDIT_META_BASE, b1, sizeof(b1));
	EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, 5);
	meta_put(&f, AUDIT_META_BASE, b2, sizeof(b2));
	E(verify(&f, &count, &bad));
	/* without the key the base cannot be checked */
	fx_close(&f);
	fx_open(&f);
	EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	audit_log_set_key(f.log, other.pk);
	EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	audit_log_set_key(f.log, k.pk);
	E(verify(&f, &count, &bad));
	/* the first record after the base deleted: named */
	del_record(&f, 9);
	EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, 9);
	/* without a base at all, a cut prefix is seen as before */
	meta_put(&f, AUDIT_META_BASE, NULL, 0);
	EFAIL(verify(&f, &count, &bad), SK_ERR_VERIFY);
	assert_int_equal(bad, 1);
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(&other, sizeof(other));
	fx_free(&f);
}

static void test_retention_stored(void **state)
{
	struct fx f = fx_new();
	MDB_txn *txn;

	(void)state;
	assert_int_equal(audit_log_retention(f.log), AUDIT_RETAIN_DEFAULT_MS);
	audit_log_set_retention(f.log, AUDIT_YEAR_MS);
	assert_int_equal(audit_log_retention(f.log), AUDIT_YEAR_MS);
	txn = fx_txn(&f, 0);
	EFAIL(audit_log_retention_store(f.log, txn, 1000), SK_ERR_INVALID);
	E(audit_log_retention_store(f.log, txn, 7 * AUDIT_YEAR_MS));
	E(sk_db_status(mdb_txn_commit(txn)));
	fx_close(&f);
	fx_open(&f);
	/* the stored retention wins over a default set by the program */
	audit_log_set_retention(f.log, AUDIT_YEAR_MS);
	assert_int_equal(audit_log_retention(f.log), 7 * AUDIT_YEAR_MS);
	fx_free(&f);
}

static void test_purge_speed(void **state)
{
	struct fx f = fx_new();
	key_ed25519 k;
	audit_purge_result res;
	const int n = 20000;
	MDB_txn *txn = NULL;
	uint64_t count = 0;
	double a, b;

	(void)state;
	key_ed25519_generate(&k);
	audit_log_set_key(f.log, k.pk);
	txn = fx_txn(&f, 0);
	for (int i = 0; i < n; i++) {
		char client[16];
		audit_record r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK,
					T0 + (uint64_t)i * 1000, client, "prof-1");

		snprintf(client, sizeof(client), "c-%d", i % 500);
		r.retain_until_ms = r.time_ms + AUDIT_DAY_MS;
		E(audit_log_append(f.log, txn, &r, NULL, NULL));
	}
	E(sk_db_status(mdb_txn_commit(txn)));
	a = fx_seconds();
	E(purge(&f, &k, NOW, &res));
	b = fx_seconds();
	assert_int_equal(res.count, (uint64_t)n - 1);
	E(verify(&f, &count, NULL));
	assert_int_equal(count, (uint64_t)n + 1);
	print_message("audit purge: %d records with their index entries in %.0f ms (%.0f "
		      "records/s)\n",
		      n - 1, (b - a) * 1e3, (n - 1) / (b - a));
	fx_free(&f);
}

static sk_status last_event(const audit_record *rec, void *arg)
{
	snprintf(arg, 64, "%s %c %s", rec->event, rec->action, audit_outcome_name(rec->outcome));
	return SK_OK;
}

static sk_status count_each(MDB_txn *txn, const audit_record *rec, void *arg)
{
	(void)txn;
	(void)rec;
	(*(uint64_t *)arg)++;
	return SK_OK;
}

/* The batch runner: markers, a hold recorded as a denied purge, the
 * retention and hold changes recorded. */
static void test_purge_run(void **state)
{
	struct fx f = fx_new();
	key_ed25519 k;
	audit_record tmpl = fx_rec("-", AUDIT_ACTION_EXECUTE, AUDIT_OUTCOME_OK, 0, NULL, NULL);
	audit_purge_result res;
	audit_hold h = {.until_ms = NOW + AUDIT_DAY_MS};
	audit_purge_opts o = {.marker = &tmpl, .now_ms = NOW};
	uint64_t seen = 0, count = 0;
	char last[64];
	MDB_txn *txn;

	(void)state;
	key_ed25519_generate(&k);
	audit_log_set_key(f.log, k.pk);
	add_days(&f, 6, 1);
	o.each = count_each;
	o.arg = &seen;
	E(audit_purge_run(f.log, f.env, &o, &res)); /* dry */
	assert_int_equal(res.count, 5);
	assert_int_equal(seen, 0);
	snprintf(h.reason, sizeof(h.reason), "inzage-verzoek");
	E(audit_hold_change(f.log, f.env, &tmpl, &h));
	o.sk = k.sk;
	EFAIL(audit_purge_run(f.log, f.env, &o, &res), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "inzage-verzoek"));
	txn = fx_txn(&f, MDB_RDONLY);
	E(audit_log_scan(f.log, txn, 0, 0, last_event, last));
	mdb_txn_abort(txn);
	assert_string_equal(last, "audit.purge D denied");
	h.until_ms = 0;
	E(audit_hold_change(f.log, f.env, &tmpl, &h));
	E(audit_retention_change(f.log, f.env, &tmpl, 2 * AUDIT_YEAR_MS));
	E(audit_purge_run(f.log, f.env, &o, &res));
	assert_int_equal(res.count, 6); /* no longer the head */
	assert_int_equal(seen, 6);
	txn = fx_txn(&f, MDB_RDONLY);
	E(audit_log_scan(f.log, txn, 0, 0, last_event, last));
	mdb_txn_abort(txn);
	assert_string_equal(last, "audit.purge D ok");
	E(verify(&f, &count, NULL));
	assert_int_equal(count, 11); /* 6, hold, denied, release, retention, marker */
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_purge_prefix),   cmocka_unit_test(test_never_the_head),
		cmocka_unit_test(test_hold),           cmocka_unit_test(test_forged_base),
		cmocka_unit_test(test_retention_stored), cmocka_unit_test(test_purge_speed),
		cmocka_unit_test(test_purge_run),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
