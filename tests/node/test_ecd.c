/* The client system's upserts (node/ecd.h) and credentials
 * (node/service.h) on a real LMDB: the same batch twice changes nothing,
 * a refused item leaves nothing behind while the rest of its batch
 * applies, a BSN never changes for an id, a closed case stays closed,
 * consent compares as sets, and every change is audited as the service
 * for the professional. */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "node/ecd.h"
#include "node/professional.h"
#include "node/service.h"
#include "node/store.h"

#define NOW 1781524800000ull /* 2026-06-15 12:00 UTC */

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
} fixture;

static void setup(fixture *f)
{
	node_professional p;

	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "org-a", "Org A", "sociaal-team", f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "anna");
	snprintf(p.name, sizeof(p.name), "Anna");
	snprintf(p.role, sizeof(p.role), "wijkcoach");
	p.kind = NODE_KIND_PROFESSIONAL;
	E(node_professional_add(f->s, &p));
	snprintf(p.id, sizeof(p.id), "bea");
	E(node_professional_add(f->s, &p));
}

static void teardown(fixture *f)
{
	node_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
}

static void client_item(node_ecd_client *c, const char *id, const char *b, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	E(bsn_parse(&c->b, b));
	snprintf(c->name, sizeof(c->name), "%s", name);
}

static void case_item(node_ecd_case *k, const char *id, const char *client, const char *prof,
		      uint32_t flags, const char *cats)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->client, sizeof(k->client), "%s", client);
	snprintf(k->professional, sizeof(k->professional), "%s", prof);
	k->flags = flags;
	snprintf(k->categories, sizeof(k->categories), "%s", cats);
}

static size_t clients_count(node_store *s)
{
	MDB_txn *txn = NULL;
	MDB_stat st;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(sk_db_status(mdb_stat(txn, s->clients, &st)));
	mdb_txn_abort(txn);
	return st.ms_entries;
}

static void test_clients(void **state)
{
	fixture f;
	node_ecd_client it[3];
	node_ecd_result res[3];

	(void)state;
	setup(&f);
	client_item(&it[0], "E1", "111222333", "Jan");
	client_item(&it[1], "E2", "123456782", "Piet");
	client_item(&it[2], "E3", "100000009", "Kees");
	it[2].refuse = "bsn_invalid"; /* the parser refused it */
	snprintf(it[2].refuse_detail, sizeof(it[2].refuse_detail), "bad");
	E(node_ecd_clients(f.s, it, 3, NOW, res));
	assert_int_equal(res[0].outcome, NODE_ECD_CREATED);
	assert_int_equal(res[1].outcome, NODE_ECD_CREATED);
	assert_int_equal(res[2].outcome, NODE_ECD_REFUSED);
	assert_string_equal(res[2].code, "bsn_invalid");
	assert_int_equal(clients_count(f.s), 2);
	/* again: unchanged; a new name: updated */
	E(node_ecd_clients(f.s, it, 2, NOW, res));
	assert_int_equal(res[0].outcome, NODE_ECD_UNCHANGED);
	assert_int_equal(res[1].outcome, NODE_ECD_UNCHANGED);
	snprintf(it[1].name, sizeof(it[1].name), "Piet Jansen");
	E(node_ecd_clients(f.s, it, 2, NOW, res));
	assert_int_equal(res[1].outcome, NODE_ECD_UPDATED);
	/* a BSN never changes for an id; a BSN of another id is refused */
	client_item(&it[0], "E1", "123456782", "Jan");
	client_item(&it[1], "E9", "111222333", "Jan");
	E(node_ecd_clients(f.s, it, 2, NOW, res));
	assert_int_equal(res[0].outcome, NODE_ECD_REFUSED);
	assert_string_equal(res[0].code, "bsn_changed");
	assert_int_equal(res[1].outcome, NODE_ECD_REFUSED);
	assert_string_equal(res[1].code, "bsn_other_id");
	assert_int_equal(clients_count(f.s), 2);
	sodium_memzero(it, sizeof(it));
	teardown(&f);
}

static void test_cases(void **state)
{
	fixture f;
	node_ecd_client c[1];
	node_ecd_case k[3];
	node_ecd_result res[3];
	size_t dirty = 0;

	(void)state;
	setup(&f);
	client_item(&c[0], "E1", "111222333", "Jan");
	E(node_ecd_clients(f.s, c, 1, NOW, res));
	case_item(&k[0], "K1", "E1", "anna", NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT, "all");
	case_item(&k[1], "K2", "E-NONE", "anna", NODE_FLAG_DISCOVER, "all");
	case_item(&k[2], "K3", "E1", "nobody", NODE_FLAG_DISCOVER, "all");
	E(node_ecd_cases(f.s, k, 3, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_CREATED);
	assert_string_equal(res[1].code, "client_unknown");
	assert_string_equal(res[2].code, "professional_unknown");
	assert_int_equal(dirty, 1);
	/* again: unchanged; the categories named one by one are the same set
	 * as "all" only when they are all of them */
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UNCHANGED);
	assert_int_equal(dirty, 0);
	case_item(&k[0], "K1", "E1", "anna", NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT, "ggz,jeugd");
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UPDATED);
	case_item(&k[0], "K1", "E1", "anna", NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT, "jeugd,ggz,ggz");
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UNCHANGED);
	/* another professional: assigned; a consent change of the case */
	case_item(&k[0], "K1", "E1", "bea", NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT, "jeugd,ggz");
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UPDATED);
	case_item(&k[1], "K1", "", "", 0, "");
	k[1].consent_only = 1;
	E(node_ecd_cases(f.s, &k[1], 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UPDATED);
	E(node_ecd_cases(f.s, &k[1], 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UNCHANGED);
	/* closed: closed again is unchanged, open again refused */
	k[0].closed = 1;
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UPDATED);
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_int_equal(res[0].outcome, NODE_ECD_UNCHANGED);
	k[0].closed = 0;
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	assert_string_equal(res[0].code, "case_closed");
	sodium_memzero(c, sizeof(c));
	teardown(&f);
}

/* The records of the last batch: the service as user, the professional
 * as responsible. */
struct seen {
	int opens, batches;
};

static sk_status look(const audit_record *r, void *arg)
{
	struct seen *s = arg;

	if (strcmp(r->event, "case.open") == 0) {
		assert_string_equal(r->user, "ecd");
		assert_string_equal(r->role, NODE_SERVICE_ROLE);
		assert_string_equal(r->responsible, "anna");
		s->opens++;
	}
	s->batches += strcmp(r->event, "ecd.batch") == 0;
	return SK_OK;
}

static void test_audit_and_credential(void **state)
{
	fixture f;
	char cred[NODE_SERVICE_CRED_MAX + 1], id[NODE_SERVICE_ID_MAX + 1];
	node_ecd_client c[1];
	node_ecd_case k[1];
	node_ecd_result res[1];
	struct seen seen = {0};
	MDB_txn *txn = NULL;
	size_t dirty;

	(void)state;
	setup(&f);
	E(node_service_add(f.s, "ecd", "ECD", NULL, cred));
	EFAIL(node_service_add(f.s, "ecd", "ECD", NULL, cred), SK_ERR_EXISTS);
	E(node_service_add(f.s, "ecd2", "ECD", NULL, cred));
	E(node_service_check(f.s, cred, strlen(cred), id));
	assert_string_equal(id, "ecd2");
	cred[strlen(cred) - 1] ^= 1;
	EFAIL(node_service_check(f.s, cred, strlen(cred), id), SK_ERR_VERIFY);
	cred[strlen(cred) - 1] ^= 1;
	E(node_service_revoke(f.s, "ecd2", NULL));
	EFAIL(node_service_check(f.s, cred, strlen(cred), id), SK_ERR_VERIFY);
	EFAIL(node_service_check(f.s, "svc.ecd2.", 9, id), SK_ERR_VERIFY);
	sodium_memzero(cred, sizeof(cred));

	node_audit_via("ecd", NODE_SERVICE_ROLE);
	client_item(&c[0], "E1", "111222333", "Jan");
	E(node_ecd_clients(f.s, c, 1, NOW, res));
	case_item(&k[0], "K1", "E1", "anna", NODE_FLAG_DISCOVER, "all");
	E(node_ecd_cases(f.s, k, 1, NOW, res, &dirty));
	node_audit_via(NULL, NULL);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_scan(f.s->audit, txn, 1, 0, look, &seen));
	mdb_txn_abort(txn);
	assert_int_equal(seen.opens, 1);
	assert_int_equal(seen.batches, 2);
	sodium_memzero(c, sizeof(c));
	teardown(&f);
}

static void test_ids(void **state)
{
	(void)state;
	assert_true(node_ecd_id_valid("E-00:1_a.b"));
	assert_false(node_ecd_id_valid(""));
	assert_false(node_ecd_id_valid("a b"));
	assert_false(node_ecd_id_valid("111222333")); /* a BSN */
	assert_true(node_ecd_id_valid("111222334"));  /* no elfproef: not a BSN */
	assert_false(node_service_id_valid("-x"));
	assert_false(node_service_id_valid("ECD"));
	assert_true(node_service_id_valid("ecd-1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_audit_and_credential),
		cmocka_unit_test(test_ids),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
