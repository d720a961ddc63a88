/* Who may enrol under which org id (reg_enrol) on a real registry and CA:
 * the registry's own id and name and the reserved words are refused for
 * every role, and one id is one member across roles (a pseudonymiser or
 * witness cannot take a node's id, nor a node a pseudonymiser's); a
 * refused request leaves the member table and the log as they were. */
#include <string.h>

#include "reg_fx.h"
#include "common/db.h"

static int setup(void **state)
{
	*state = fx_open("reg-utrecht");
	return 0;
}

static uint64_t leaves(fx *f)
{
	MDB_txn *txn = NULL;
	uint64_t n = 0;

	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	E(reg_log_size(&f->r->log, txn, &n));
	mdb_txn_abort(txn);
	return n;
}

static void test_reserved(void **state)
{
	fx *f = *state;
	static const char *const ids[] = {"reg-utrecht", "test.example", "registry",
					  "witness",     "pseudonymiser", "schakel",
					  "admin",       "root",         "ca",
					  "operator",    "localhost"};
	static const Schakel__V1__Role roles[] = {SCHAKEL__V1__ROLE__ROLE_NODE,
						  SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER,
						  SCHAKEL__V1__ROLE__ROLE_WITNESS};
	uint64_t n0 = leaves(f);

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_true(reg_org_id_reserved(f->r, ids[i]));
		for (size_t r = 0; r < 3; r++) {
			EFAIL(fx_enrol(f, ids[i], roles[r]), SK_ERR_PERM);
			assert_non_null(strstr(sk_error_detail(), "reserved"));
		}
	}
	assert_int_equal(leaves(f), n0);
	/* near misses are ordinary ids */
	assert_false(reg_org_id_reserved(f->r, "reg-utrecht2"));
	assert_false(reg_org_id_reserved(f->r, "test"));
	assert_false(reg_org_id_reserved(f->r, "ggz-noord"));
	E(fx_enrol(f, "ggz-noord", SCHAKEL__V1__ROLE__ROLE_NODE));
	assert_int_equal(leaves(f), n0 + 1);
}

static void test_one_id_across_roles(void **state)
{
	fx *f = *state;
	uint64_t n0;

	E(fx_enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_NODE));
	E(fx_enrol(f, "ps1", SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER));
	E(fx_enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_WITNESS));
	n0 = leaves(f);
	EFAIL(fx_enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER), SK_ERR_EXISTS);
	EFAIL(fx_enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_WITNESS), SK_ERR_EXISTS);
	EFAIL(fx_enrol(f, "ps1", SCHAKEL__V1__ROLE__ROLE_NODE), SK_ERR_EXISTS);
	EFAIL(fx_enrol(f, "ps1", SCHAKEL__V1__ROLE__ROLE_WITNESS), SK_ERR_EXISTS);
	EFAIL(fx_enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_NODE), SK_ERR_EXISTS);
	EFAIL(fx_enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER), SK_ERR_EXISTS);
	/* a revoked member's id stays taken */
	size_t purged = 0;
	E(reg_revoke(f->r, "wijkteam", 0, &purged));
	n0 = leaves(f);
	EFAIL(fx_enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_NODE), SK_ERR_EXISTS);
	assert_int_equal(leaves(f), n0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserved, setup, fx_close),
		cmocka_unit_test_setup_teardown(test_one_id_across_roles, setup, fx_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
