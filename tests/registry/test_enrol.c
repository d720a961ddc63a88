/* Who may enrol under which org id (reg_enrol) on a real registry and CA:
 * the registry's own id and name and the reserved words are refused for
 * every role, and one id is one member across roles (a pseudonymiser or
 * witness cannot take a node's id, nor a node a pseudonymiser's); a
 * refused request leaves the member table and the log as they were. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "crypto/oprf.h"
#include "protos/wire.h"
#include "registry/enrol.h"

typedef struct fx {
	char *dir;
	sk_kek *kek;
	reg_store *r;
	reg_ca *ca;
} fx;

static reg_enrol_opts eo = {.registry_address = "127.0.0.1:1"};

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char ca_dir[600], reg_dir[600];

	E(sk_init());
	E(sk_kek_open(&f->kek, NULL, 1));
	f->dir = t_tmpdir();
	snprintf(ca_dir, sizeof(ca_dir), "%s/ca", f->dir);
	snprintf(reg_dir, sizeof(reg_dir), "%s/r", f->dir);
	E(reg_ca_init(ca_dir, "Regio Test", f->kek));
	E(reg_store_init(reg_dir, "test.example/registry", "reg-utrecht", f->kek));
	E(reg_store_open(&f->r, reg_dir, f->kek));
	E(reg_ca_open(&f->ca, ca_dir, f->kek));
	E(reg_tls_ensure(f->r, f->ca, f->kek));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	reg_ca_close(f->ca);
	reg_store_close(f->r);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

/* Enrols org_id in role; returns reg_enrol's status. */
static sk_status enrol(fx *f, const char *org_id, Schakel__V1__Role role)
{
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	uint8_t *req = NULL, *bundle = NULL, sk[OPRF_SCALAR_BYTES], pk[OPRF_ELEMENT_BYTES];
	key_ed25519 id, tls;
	size_t len = 0, blen = 0;
	char path[700], org[64];
	sk_status st;

	key_ed25519_generate(&id);
	key_ed25519_generate(&tls);
	b.org_id = (char *)org_id;
	b.name = "Some org";
	b.category = "ggz";
	b.role = role;
	b.identity_key = (ProtobufCBinaryData){32, id.pk};
	b.tls_key = (ProtobufCBinaryData){32, tls.pk};
	if (role == SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER) {
		oprf_keypair_generate(sk, pk);
		b.has_oprf_key = 1;
		b.oprf_key = (ProtobufCBinaryData){sizeof(pk), pk};
	}
	b.created_at = 1;
	snprintf(path, sizeof(path), "%s/request", f->dir);
	unlink(path);
	E(wire_enrol_request_write(path, &b, id.sk));
	E(sk_file_read(path, 65536, &req, &len));
	st = reg_enrol(f->r, f->ca, req, len, &eo, &bundle, &blen, org);
	if (st != SK_OK)
		assert_null(bundle);
	free(req);
	free(bundle);
	sodium_memzero(sk, sizeof(sk));
	return st;
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
			EFAIL(enrol(f, ids[i], roles[r]), SK_ERR_PERM);
			assert_non_null(strstr(sk_error_detail(), "reserved"));
		}
	}
	assert_int_equal(leaves(f), n0);
	/* near misses are ordinary ids */
	assert_false(reg_org_id_reserved(f->r, "reg-utrecht2"));
	assert_false(reg_org_id_reserved(f->r, "test"));
	assert_false(reg_org_id_reserved(f->r, "ggz-noord"));
	E(enrol(f, "ggz-noord", SCHAKEL__V1__ROLE__ROLE_NODE));
	assert_int_equal(leaves(f), n0 + 1);
}

static void test_one_id_across_roles(void **state)
{
	fx *f = *state;
	uint64_t n0;

	E(enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_NODE));
	E(enrol(f, "ps1", SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER));
	E(enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_WITNESS));
	n0 = leaves(f);
	EFAIL(enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER), SK_ERR_EXISTS);
	EFAIL(enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_WITNESS), SK_ERR_EXISTS);
	EFAIL(enrol(f, "ps1", SCHAKEL__V1__ROLE__ROLE_NODE), SK_ERR_EXISTS);
	EFAIL(enrol(f, "ps1", SCHAKEL__V1__ROLE__ROLE_WITNESS), SK_ERR_EXISTS);
	EFAIL(enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_NODE), SK_ERR_EXISTS);
	EFAIL(enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER), SK_ERR_EXISTS);
	/* a revoked member's id stays taken */
	size_t purged = 0;
	E(reg_revoke(f->r, "wijkteam", 0, &purged));
	n0 = leaves(f);
	EFAIL(enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_NODE), SK_ERR_EXISTS);
	assert_int_equal(leaves(f), n0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_id_across_roles, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
