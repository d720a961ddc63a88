/* The registry's directory (registry/directory.c through its request kind
 * reg_op_directory_publish): a record signed by a live member is appended
 * as a WIRE_LEAF_DIRECTORY leaf and kept; a bad signature, another org's
 * record, a revoked member, a field over its bound, an unknown code, a
 * date off the clock and a replayed (old or equal) version are each
 * refused with nothing appended, and every outcome is audited. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "audit/query.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/init.h"
#include "common/kek.h"
#include "protos/directory.h"
#include "registry/directory.h"

struct fx {
	char *dir;
	sk_kek *kek;
	reg_store *s;
	key_ed25519 id;
};

static uint8_t pad[32];

static void fx_new(struct fx *f)
{
	Schakel__V1__Member m = SCHAKEL__V1__MEMBER__INIT;
	MDB_txn *txn = NULL;
	char sub[512];

	f->dir = t_tmpdir();
	snprintf(sub, sizeof(sub), "%s/r", f->dir);
	E(sk_kek_open(&f->kek, NULL, 1));
	E(reg_store_init(sub, "test.example/log", "registry", f->kek));
	E(reg_store_open(&f->s, sub, f->kek));
	key_ed25519_generate(&f->id);
	m.org_id = "team";
	m.name = "team";
	m.category = "sociaal-team";
	m.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	m.identity_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, f->id.pk};
	m.tls_key = (ProtobufCBinaryData){32, pad};
	m.cert = (ProtobufCBinaryData){1, pad};
	m.request = (ProtobufCBinaryData){1, pad};
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_member_put(f->s, txn, &m));
	E(sk_db_status(mdb_txn_commit(txn)));
}

static void fx_free(struct fx *f)
{
	reg_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	key_ed25519_wipe(&f->id);
}

enum { OK, BAD_SIG, OTHER_ORG, LONG_NAME, MANY_CONTACTS, UNKNOWN_CODE, OLD_DATE };

static char *services[] = {"schuldhulp"}, *munis[] = {"Zeist"};

/* A publish job of team's record at version, spoilt as how says. */
static void *job(struct fx *f, uint64_t version, int how)
{
	Schakel__V1__DirectoryRecord r = SCHAKEL__V1__DIRECTORY_RECORD__INIT;
	Schakel__V1__DirectoryContact c = SCHAKEL__V1__DIRECTORY_CONTACT__INIT;
	Schakel__V1__DirectoryContact *cs[WIRE_DIR_CONTACTS_MAX + 1];
	Schakel__V1__DirectoryPublish req = SCHAKEL__V1__DIRECTORY_PUBLISH__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	net_peer peer = {.org_id = "team", .category = "sociaal-team"};
	char *bad_code[] = {"astrologie"}, long_name[WIRE_DIR_NAME_MAX + 2];
	uint8_t buf[4096], sig[KEY_SIG_BYTES];
	void *p = NULL;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	c.name = "Anna de Vries";
	c.phone = "030 123 45 67";
	for (size_t i = 0; i < WIRE_DIR_CONTACTS_MAX + 1; i++)
		cs[i] = &c;
	r.org_id = how == OTHER_ORG ? "other" : "team";
	r.version = version;
	r.display_name = how == LONG_NAME ? long_name : "Wijkteam Zeist";
	r.category = "sociaal-team";
	r.municipalities = munis;
	r.n_municipalities = 1;
	r.services = how == UNKNOWN_CODE ? bad_code : services;
	r.n_services = 1;
	r.has_waiting_weeks = r.has_waiting_date = 1;
	r.waiting_weeks = 3;
	r.waiting_date = sk_clock_now_ms();
	r.wegwijzers = cs;
	r.n_wegwijzers = how == MANY_CONTACTS ? WIRE_DIR_CONTACTS_MAX + 1 : 1;
	r.issued_at = how == OLD_DATE ? sk_clock_now_ms() - 3600 * 1000 : sk_clock_now_ms();
	req.record.len = schakel__v1__directory_record__pack(&r, buf);
	req.record.data = buf;
	assert_true(req.record.len < sizeof(buf));
	E(key_sign(sig, WIRE_DOMAIN_DIRECTORY, buf, req.record.len, f->id.sk));
	sig[0] ^= how == BAD_SIG;
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH;
	env.directory_publish = &req;
	E(reg_op_directory_publish.new(&p, f->s, &peer, &env));
	return p;
}

static sk_status apply(struct fx *f, void *p)
{
	MDB_txn *txn = NULL;
	sk_status st;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_op_directory_publish.apply(txn, p));
	E(sk_db_status(mdb_txn_commit(txn)));
	st = reg_op_directory_publish.result(p, NULL);
	reg_op_directory_publish.free(p);
	return st;
}

static uint64_t log_size(struct fx *f)
{
	MDB_txn *txn = NULL;
	uint64_t n = 0;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_log_size(&f->s->log, txn, &n));
	mdb_txn_abort(txn);
	return n;
}

static size_t denied;

static sk_status count_denied(const audit_record *rec, void *arg)
{
	(void)arg;
	if (strcmp(rec->event, "directory.publish") == 0 && rec->outcome == AUDIT_OUTCOME_DENIED)
		denied++;
	return SK_OK;
}

static void test_directory_publish(void **state)
{
	struct fx f;

	(void)state;
	fx_new(&f);
	E(apply(&f, job(&f, 10, OK)));
	assert_int_equal(log_size(&f), 1);
	EFAIL(apply(&f, job(&f, 11, BAD_SIG)), SK_ERR_VERIFY);
	EFAIL(apply(&f, job(&f, 11, OTHER_ORG)), SK_ERR_PERM);
	EFAIL(apply(&f, job(&f, 11, LONG_NAME)), SK_ERR_INVALID);
	EFAIL(apply(&f, job(&f, 11, MANY_CONTACTS)), SK_ERR_INVALID);
	EFAIL(apply(&f, job(&f, 11, UNKNOWN_CODE)), SK_ERR_INVALID);
	EFAIL(apply(&f, job(&f, 11, OLD_DATE)), SK_ERR_INVALID);
	assert_int_equal(log_size(&f), 1);
	/* a replay: the same version again, or an older one, never moves back */
	EFAIL(apply(&f, job(&f, 10, OK)), SK_ERR_EXISTS);
	E(apply(&f, job(&f, 12, OK)));
	EFAIL(apply(&f, job(&f, 11, OK)), SK_ERR_EXISTS);
	assert_int_equal(log_size(&f), 2);
	denied = 0;
	{
		audit_filter flt = {.event = "directory.publish"};
		MDB_txn *txn = NULL;

		E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
		E(audit_query(f.s->audit, txn, &flt, count_denied, NULL));
		mdb_txn_abort(txn);
	}
	assert_int_equal(denied, 8);
	fx_free(&f);
}

static void test_directory_revoked(void **state)
{
	struct fx f;
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;

	(void)state;
	fx_new(&f);
	E(apply(&f, job(&f, 10, OK)));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(reg_member_get(f.s, txn, "team", &m));
	m->has_revoked_at = 1;
	m->revoked_at = sk_clock_now_ms() - 1;
	E(reg_member_put(f.s, txn, m));
	schakel__v1__member__free_unpacked(m, NULL);
	E(sk_db_status(mdb_txn_commit(txn)));
	EFAIL(apply(&f, job(&f, 11, OK)), SK_ERR_PERM);
	assert_int_equal(log_size(&f), 1);
	fx_free(&f);
}

static void test_directory_oversized(void **state)
{
	struct fx f;
	Schakel__V1__DirectoryPublish req = SCHAKEL__V1__DIRECTORY_PUBLISH__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	net_peer peer = {.org_id = "team", .category = "sociaal-team"};
	uint8_t *big = calloc(1, WIRE_DIR_RECORD_MAX + 1), sig[KEY_SIG_BYTES] = {0};
	void *p = NULL;

	(void)state;
	assert_non_null(big);
	fx_new(&f);
	req.record = (ProtobufCBinaryData){WIRE_DIR_RECORD_MAX + 1, big};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH;
	env.directory_publish = &req;
	E(reg_op_directory_publish.new(&p, f.s, &peer, &env));
	EFAIL(apply(&f, p), SK_ERR_INVALID);
	assert_int_equal(log_size(&f), 0);
	free(big);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directory_publish),
		cmocka_unit_test(test_directory_revoked),
		cmocka_unit_test(test_directory_oversized),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
