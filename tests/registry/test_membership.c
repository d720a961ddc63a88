/* A revoked org at the registry's store level, on a real registry: the
 * discussion rules (reg_discuss_may_write) let nobody write to or as a
 * revoked org, its mailbox is closed (reg_mailbox_read), and every change
 * of a member record moves the counter that a running serve compares
 * before each request (reg_member_gen). */
#include <string.h>

#include "reg_fx.h"
#include "common/db.h"
#include "registry/discuss.h"
#include "registry/mailbox.h"

static int setup(void **state)
{
	fx *f = fx_open("registry");

	E(fx_enrol(f, "aa", SCHAKEL__V1__ROLE__ROLE_NODE));
	E(fx_enrol(f, "bb", SCHAKEL__V1__ROLE__ROLE_NODE));
	E(fx_enrol(f, "cc", SCHAKEL__V1__ROLE__ROLE_NODE));
	*state = f;
	return 0;
}

static int may(fx *f, const Schakel__V1__Discussion *ds, const char *org, const char *to)
{
	MDB_txn *txn = NULL;
	int r;

	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	r = reg_discuss_may_write(f->r, txn, ds, org, to);
	mdb_txn_abort(txn);
	return r;
}

static uint64_t gen(fx *f)
{
	MDB_txn *txn = NULL;
	uint64_t g = 0;

	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	E(reg_member_gen(f->r, txn, &g));
	mdb_txn_abort(txn);
	return g;
}

static void test_may_write(void **state)
{
	fx *f = *state;
	Schakel__V1__Discussion ds = SCHAKEL__V1__DISCUSSION__INIT;
	char *accepted[] = {"bb", "cc"}, *spoken[] = {"bb", "cc"};
	size_t purged = 0;

	ds.requester = "aa";
	ds.n_accepted = 2;
	ds.accepted = accepted;
	ds.n_spoken = 2;
	ds.spoken = spoken;
	assert_true(may(f, &ds, "aa", "bb"));
	assert_true(may(f, &ds, "bb", "aa"));
	assert_true(may(f, &ds, "bb", "cc"));
	assert_false(may(f, &ds, "aa", "aa"));
	assert_false(may(f, &ds, "aa", "dd")); /* not a participant */
	E(reg_revoke(f->r, "bb", 0, &purged));
	assert_false(may(f, &ds, "aa", "bb")); /* to a revoked org */
	assert_false(may(f, &ds, "bb", "aa")); /* as a revoked org */
	assert_false(may(f, &ds, "cc", "bb"));
	assert_true(may(f, &ds, "aa", "cc")); /* the others go on */
	assert_true(may(f, &ds, "cc", "aa"));
}

static void test_mailbox_closed(void **state)
{
	fx *f = *state;
	Schakel__V1__MailboxResponse r;
	MDB_txn *txn = NULL;
	size_t purged = 0;

	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, 0, &txn)));
	for (int i = 0; i < 3; i++) {
		Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;

		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE;
		it.time = 1;
		it.counterpart = "cc";
		E(reg_mailbox_put(f->r, txn, "aa", &it));
	}
	E(sk_db_status(mdb_txn_commit(txn)));
	E(reg_mailbox_read(f->r, "aa", 0, 0, &r));
	assert_int_equal(r.n_items, 3);
	assert_int_equal(r.last, 3);
	reg_mailbox_response_clear(&r);
	E(reg_revoke(f->r, "aa", 0, &purged));
	EFAIL(reg_mailbox_read(f->r, "aa", 0, 0, &r), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "revoked"));
	assert_int_equal(r.n_items, 0);
	EFAIL(reg_mailbox_read(f->r, "never", 0, 0, &r), SK_ERR_PERM);
	E(reg_mailbox_read(f->r, "bb", 0, 0, &r)); /* another org's is open */
	assert_int_equal(r.n_items, 0);
	reg_mailbox_response_clear(&r);
}

static void test_member_gen(void **state)
{
	fx *f = *state;
	uint64_t g0 = gen(f), g1;
	size_t purged = 0;

	assert_true(g0 >= 3); /* three enrolments */
	E(reg_revoke(f->r, "cc", 0, &purged));
	g1 = gen(f);
	assert_true(g1 > g0);
	E(fx_enrol(f, "dd", SCHAKEL__V1__ROLE__ROLE_NODE));
	assert_true(gen(f) > g1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_may_write, setup, fx_close),
		cmocka_unit_test_setup_teardown(test_mailbox_closed, setup, fx_close),
		cmocka_unit_test_setup_teardown(test_member_gen, setup, fx_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
