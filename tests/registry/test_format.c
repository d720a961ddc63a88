/* The registry store's format marker: a store of format 2 opens and is
 * marked 3 with an audit record (this version reads both layouts); an
 * older or newer store is refused with a sentence that says which. And the
 * key-less open of read-only commands. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "registry/store.h"

/* Sets (v NULL: removes) a meta value behind the store's back, as an older
 * version left it. */
static void meta_edit(const char *dir, const char *key, const char *v)
{
	MDB_env *env = NULL;
	MDB_dbi meta;
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(key), (void *)key}, d = {v ? strlen(v) : 0, (void *)v};

	E(sk_db_open(&env, dir, 0, 0));
	E(sk_db_dbi(env, "meta", MDB_CREATE, &meta));
	E(sk_db_status(mdb_txn_begin(env, NULL, 0, &txn)));
	E(sk_db_status(v != NULL ? mdb_put(txn, meta, &k, &d, 0) : mdb_del(txn, meta, &k, NULL)));
	E(sk_db_status(mdb_txn_commit(txn)));
	sk_db_close(env);
}

static void set_format(const char *dir, const char *v)
{
	meta_edit(dir, "registry.format", v);
}

static void get_format(const char *dir, char *out, size_t cap)
{
	MDB_env *env = NULL;
	MDB_dbi meta;
	MDB_txn *txn = NULL;
	MDB_val k = {15, "registry.format"}, d;

	E(sk_db_open(&env, dir, 0, 0));
	E(sk_db_dbi(env, "meta", MDB_CREATE, &meta));
	E(sk_db_status(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)));
	E(sk_db_status(mdb_get(txn, meta, &k, &d)));
	assert_true(d.mv_size < cap);
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = 0;
	mdb_txn_abort(txn);
	sk_db_close(env);
}

struct find {
	const char *event;
	int found;
};

static sk_status find_event(const audit_record *rec, void *arg)
{
	struct find *f = arg;

	f->found += strcmp(rec->event, f->event) == 0;
	return SK_OK;
}

static int count_events(reg_store *s, const char *event)
{
	struct find f = {event, 0};
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_scan(s->audit, txn, 1, 0, find_event, &f));
	mdb_txn_abort(txn);
	return f.found;
}

static void test_format(void **state)
{
	char *d = t_tmpdir(), dir[600], v[16];
	sk_kek *kek = NULL;
	reg_store *s = NULL;

	(void)state;
	E(sk_init());
	E(sk_kek_open(&kek, NULL, 1));
	snprintf(dir, sizeof(dir), "%s/r", d);
	E(reg_store_init(dir, "test.example/registry", "registry", kek));
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "4");
	/* format 2: opened and marked 4, once, with an audit record */
	set_format(dir, "2");
	E(reg_store_open(&s, dir, kek));
	assert_int_equal(count_events(s, "registry.upgrade"), 1);
	reg_store_close(s);
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "4");
	E(reg_store_open(&s, dir, kek));
	assert_int_equal(count_events(s, "registry.upgrade"), 1);
	reg_store_close(s);
	/* format 3 (no quota counters): recounted and marked 4, once */
	set_format(dir, "3");
	E(reg_store_open(&s, dir, kek));
	assert_int_equal(count_events(s, "registry.upgrade"), 2);
	reg_store_close(s);
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "4");
	/* a newer store is not touched by this version */
	set_format(dir, "5");
	EFAIL(reg_store_open(&s, dir, kek), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "newer format (5)"));
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "5");
	/* an older one (entries keyed by org) neither */
	set_format(dir, "1");
	EFAIL(reg_store_open(&s, dir, kek), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "older format"));
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "1");
	sk_kek_free(kek);
	t_rmdir(d);
}

/* Read-only commands open the store without keys: they get the verifier
 * key a keyed open recorded, never a signing key, and never upgrade. */
static void test_public_open(void **state)
{
	char *d = t_tmpdir(), dir[600], v[16], vkey[NOTE_VKEY_MAX];
	sk_kek *kek = NULL;
	reg_store *s = NULL;

	(void)state;
	E(sk_init());
	E(sk_kek_open(&kek, NULL, 1));
	snprintf(dir, sizeof(dir), "%s/r", d);
	E(reg_store_init(dir, "test.example/registry", "registry", kek));
	E(reg_store_open(&s, dir, kek));
	snprintf(vkey, sizeof(vkey), "%s", s->vkey);
	reg_store_close(s);
	assert_non_null(strstr(vkey, "test.example/registry+"));
	E(reg_store_open_public(&s, dir));
	assert_string_equal(s->vkey, vkey);
	assert_null(s->id);
	assert_null(s->log_key);
	reg_store_close(s);
	/* no key recorded until a keyed open */
	meta_edit(dir, "registry.vkey", NULL); /* a registry from before */
	E(reg_store_open_public(&s, dir));
	assert_string_equal(s->vkey, "");
	reg_store_close(s);
	E(reg_store_open(&s, dir, kek));
	reg_store_close(s);
	E(reg_store_open_public(&s, dir));
	assert_string_equal(s->vkey, vkey);
	reg_store_close(s);
	/* a store that needs an upgrade is left for a keyed open */
	set_format(dir, "3");
	EFAIL(reg_store_open_public(&s, dir), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "to upgrade it"));
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "3");
	E(reg_store_open(&s, dir, kek));
	reg_store_close(s);
	get_format(dir, v, sizeof(v));
	assert_string_equal(v, "4");
	sk_kek_free(kek);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_public_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
