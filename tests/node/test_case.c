/* Cases and consent on a real LMDB: Dutch age rules at each boundary,
 * consent versions, assignment checks, statutory basis, the policy at the
 * node, the derived entry and the audit trail of every change. */
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "node/case.h"
#include "node/client.h"
#include "node/dirty.h"
#include "node/entry.h"
#include "node/professional.h"
#include "node/store.h"

#define NOW 1781524800000ull /* 2026-06-15 12:00 UTC: "today" is 2026-06-15 */
#define DAY NODE_DAY_MS

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
} fixture;

static void add_prof(node_store *s, const char *id, node_prof_kind kind)
{
	node_professional p;

	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.name, sizeof(p.name), "Name of %s", id);
	snprintf(p.role, sizeof(p.role), "spv");
	p.kind = kind;
	E(node_professional_add(s, &p));
}

/* Adds a client with BSN text and birthdate (NULL: unknown); id out. */
static void add_client(node_store *s, const char *text, const char *birth, char *id)
{
	bsn b;

	E(bsn_parse(&b, text));
	E(node_client_add(s, &b, "Client", birth, NOW, id));
}

static void setup(fixture *f, const char *category)
{
	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "org-a", "Org A", category, f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
	add_prof(f->s, "p1", NODE_KIND_PROFESSIONAL);
	add_prof(f->s, "p2", NODE_KIND_PROFESSIONAL);
	add_prof(f->s, "fg", NODE_KIND_PRIVACY_OFFICER);
}

static void teardown(fixture *f)
{
	node_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
}

static node_consent_req req_of(uint32_t flags, const char *cats, node_consent_by by)
{
	node_consent_req r = {0};

	r.flags = flags;
	r.categories = cats;
	r.by = by;
	return r;
}

static void get_case(node_store *s, uint64_t id, node_case *c)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(node_case_get(s, txn, id, c));
	mdb_txn_abort(txn);
}

/* node_case_open for the id alone. */
static sk_status open_case(node_store *s, const char *client, const char *as,
			   const node_consent_req *r, uint64_t now, uint64_t *id)
{
	node_case c;
	sk_status st = node_case_open(s, client, as, r, now, &c);

	*id = c.id;
	return st;
}

static void derive(node_store *s, const char *client, uint64_t now, node_entry_derived *d)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(node_entry_derive(s, txn, client, now, d));
	mdb_txn_abort(txn);
}

typedef struct audit_find {
	const char *event;
	audit_outcome outcome;
	int n;
	char last_client[32], last_ref[64], last_basis[160], last_user[64], last_role[64];
} audit_find;

static sk_status find_fn(const audit_record *r, void *arg)
{
	audit_find *a = arg;

	if (strcmp(r->event, a->event) != 0 || r->outcome != a->outcome)
		return SK_OK;
	a->n++;
	snprintf(a->last_client, sizeof(a->last_client), "%s", r->client ? r->client : "");
	snprintf(a->last_ref, sizeof(a->last_ref), "%s", r->consent_ref ? r->consent_ref : "");
	snprintf(a->last_basis, sizeof(a->last_basis), "%s", r->legal_basis ? r->legal_basis : "");
	snprintf(a->last_user, sizeof(a->last_user), "%s", r->user ? r->user : "");
	snprintf(a->last_role, sizeof(a->last_role), "%s", r->role ? r->role : "");
	return SK_OK;
}

static audit_find audit_of(node_store *s, const char *event, audit_outcome outcome)
{
	audit_find a;
	MDB_txn *txn = NULL;

	memset(&a, 0, sizeof(a));
	a.event = event;
	a.outcome = outcome;
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_scan(s->audit, txn, 1, 0, find_fn, &a));
	mdb_txn_abort(txn);
	return a;
}

/* ---- parsing ---------------------------------------------------------------- */

static void test_parse(void **state)
{
	uint32_t f;
	char out[NODE_FLAGS_TEXT_MAX + 1], reason[NODE_REASON_MAX + 1];
	node_consent_by by;
	node_basis b;

	E(node_flags_parse("discover,contact,discuss", &f));
	assert_int_equal(f, NODE_FLAGS_ALL);
	E(node_flags_parse("discuss,discover", &f));
	assert_int_equal(f, NODE_FLAG_DISCUSS | NODE_FLAG_DISCOVER);
	node_flags_format(out, f);
	assert_string_equal(out, "discover,discuss");
	E(node_flags_parse("none", &f));
	assert_int_equal(f, 0);
	node_flags_format(out, 0);
	assert_string_equal(out, "none");
	EFAIL(node_flags_parse("discover,", &f), SK_ERR_INVALID);
	EFAIL(node_flags_parse("", &f), SK_ERR_INVALID);
	EFAIL(node_flags_parse("discover,lookup", &f), SK_ERR_INVALID);
	EFAIL(node_flags_parse(",discover", &f), SK_ERR_INVALID);
	EFAIL(node_flags_parse("DISCOVER", &f), SK_ERR_INVALID);
	E(node_consent_by_parse("client+parent", &by));
	assert_int_equal(by, NODE_BY_CLIENT_PARENT);
	EFAIL(node_consent_by_parse("neighbour", &by), SK_ERR_INVALID);
	EFAIL(node_consent_by_parse("-", &by), SK_ERR_INVALID);
	E(node_basis_parse("consent", &b, reason));
	assert_int_equal(b, NODE_BASIS_CONSENT);
	E(node_basis_parse("statutory:meldcode", &b, reason));
	assert_int_equal(b, NODE_BASIS_STATUTORY);
	assert_string_equal(reason, "meldcode");
	EFAIL(node_basis_parse("statutory:", &b, reason), SK_ERR_INVALID);
	EFAIL(node_basis_parse("statutory", &b, reason), SK_ERR_INVALID);
	EFAIL(node_basis_parse("hunch", &b, reason), SK_ERR_INVALID);
}

/* ---- age rules ---------------------------------------------------------------- */

static void test_age(void **state)
{
	node_date b, t;

	E(node_date_parse(&b, "2014-06-15"));
	E(node_date_parse(&t, "2026-06-15"));
	assert_int_equal(node_age(&b, &t), 12); /* the birthday itself counts */
	E(node_date_parse(&t, "2026-06-14"));
	assert_int_equal(node_age(&b, &t), 11);
	E(node_date_parse(&b, "2012-02-29"));
	E(node_date_parse(&t, "2025-02-28"));
	assert_int_equal(node_age(&b, &t), 12);
	E(node_date_parse(&t, "2025-03-01"));
	assert_int_equal(node_age(&b, &t), 13);
	E(node_date_parse(&t, "2024-02-29"));
	assert_int_equal(node_age(&b, &t), 12);
	E(node_date_parse(&t, "2011-01-01"));
	assert_int_equal(node_age(&b, &t), -1);
	EFAIL(node_date_parse(&b, "2013-02-29"), SK_ERR_INVALID);
	EFAIL(node_date_parse(&b, "2013-13-01"), SK_ERR_INVALID);
	EFAIL(node_date_parse(&b, "2013-1-01"), SK_ERR_INVALID);
	EFAIL(node_date_parse(&b, "1899-12-31"), SK_ERR_INVALID);
	EFAIL(node_date_parse(&b, "2013-01-01x"), SK_ERR_INVALID);
	E(node_date_parse(&b, "2000-02-29"));
	E(node_date_parse(&b, "2026-06-15"));
	assert_int_equal(node_date_ms(&b), 1781481600000ull);
}

/* Each age band and boundary through node_case_open: who may consent. */
static void test_age_rules(void **state)
{
	static const struct {
		const char *birth;
		node_consent_by ok, bad;
		const char *msg;
	} cases[] = {
		{"2014-06-16", NODE_BY_PARENT, NODE_BY_CLIENT, "client is 11: consent must come from a parent"},
		{"2020-01-01", NODE_BY_GUARDIAN, NODE_BY_CLIENT_PARENT, "client is 6"},
		{"2014-06-15", NODE_BY_CLIENT_PARENT, NODE_BY_PARENT, /* 12 today */
		 "client is 12: consent needs the client and a parent together (--consent-by client+parent)"},
		{"2010-06-16", NODE_BY_CLIENT_PARENT, NODE_BY_CLIENT,
		 "client is 15: consent needs the client and a parent together (--consent-by client+parent)"},
		{"2010-06-15", NODE_BY_CLIENT, NODE_BY_CLIENT_PARENT, "client is 16: consent must come from the client"},
		{"1960-01-01", NODE_BY_REPRESENTATIVE, NODE_BY_PARENT, "client is 66"},
	};
	static const char *const bsns[] = {"111222333", "123456782", "100000009",
					   "100000010", "100000022", "100000034"};
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid;
	node_consent_req r;
	node_case c;
	bsn b;

	setup(&f, "sociaal-team");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		E(bsn_parse(&b, bsns[i]));
		E(node_client_add(f.s, &b, NULL, cases[i].birth, NOW, id));
		r = req_of(NODE_FLAG_DISCOVER, "ggz", cases[i].bad);
		EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
		assert_int_equal(cid, 0);
		if (strstr(sk_error_detail(), cases[i].msg) == NULL)
			fail_msg("%s: got '%s'", cases[i].birth, sk_error_detail());
		r.by = cases[i].ok;
		E(open_case(f.s, id, "p1", &r, NOW, &cid));
		get_case(f.s, cid, &c);
		assert_int_equal(c.consent.by, cases[i].ok);
	}
	/* the default (client) fails for a child, fits an adult */
	r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_NONE);
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	E(open_case(f.s, "c-5", "p1", &r, NOW, &cid));
	get_case(f.s, cid, &c);
	assert_int_equal(c.consent.by, NODE_BY_CLIENT);
	/* without a birthdate anyone may consent */
	E(bsn_parse(&b, "100000046"));
	E(node_client_add(f.s, &b, NULL, NULL, NOW, id));
	r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_PARENT);
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	/* the age rule also holds for a later consent version */
	r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_CLIENT_PARENT);
	E(open_case(f.s, "c-3", "p1", &r, NOW, &cid));
	r.by = NODE_BY_CLIENT;
	EFAIL(node_case_consent(f.s, cid, "p1", &r, NOW, NULL), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "client+parent"));
	/* refusals are audited as denied, naming the client but no BSN */
	assert_true(audit_of(f.s, "case.open", AUDIT_OUTCOME_DENIED).n >= 7);
	teardown(&f);
}

/* ---- case changes --------------------------------------------------------- */

static void test_open_and_consent(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid = 0;
	node_consent_req r;
	node_consent k;
	node_case c, kc;
	MDB_txn *txn = NULL;
	audit_find a;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", "1980-01-01", id);
	r = req_of(NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT, "ggz,jeugd,ggz", NODE_BY_NONE);
	E(node_case_open(f.s, "123456782", "p1", &r, NOW, &kc)); /* by BSN */
	assert_int_equal(kc.id, 1);
	assert_string_equal(kc.client, "c-1"); /* what the front ends need, not read back */
	assert_int_equal(kc.consent.version, 1);
	cid = kc.id;
	get_case(f.s, cid, &c);
	assert_string_equal(c.client, "c-1");
	assert_true(c.open);
	assert_string_equal(c.opened_by, "p1");
	assert_int_equal(c.n_assigned, 1);
	assert_string_equal(c.assigned[0], "p1");
	assert_int_equal(c.consent.version, 1);
	assert_int_equal(c.consent.basis, NODE_BASIS_CONSENT);
	assert_int_equal(c.consent.flags, NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT);
	assert_int_equal(c.consent.n_categories, 2); /* duplicates collapse */
	assert_string_equal(c.consent.categories[0], "ggz");
	assert_string_equal(c.consent.categories[1], "jeugd");
	assert_int_equal(c.consent.by, NODE_BY_CLIENT);
	assert_int_equal(c.consent.at, NOW);
	assert_int_equal(c.consent.expires_at, NOW + NODE_CONSENT_DEFAULT_MS);
	a = audit_of(f.s, "case.open", AUDIT_OUTCOME_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.last_client, "c-1");
	assert_string_equal(a.last_ref, "case 1 v1");
	assert_string_equal(a.last_basis, "consent by client");
	assert_string_equal(a.last_user, "p1");
	assert_string_equal(a.last_role, "spv");

	/* "all" is expanded to the policy's list when consent is recorded */
	r = req_of(NODE_FLAG_DISCUSS, "all", NODE_BY_NONE);
	E(node_case_consent(f.s, cid, "p1", &r, NOW + DAY, &kc));
	assert_int_equal(kc.consent.version, 2);
	assert_string_equal(kc.client, "c-1");
	get_case(f.s, cid, &c);
	assert_int_equal(c.consent.version, 2);
	assert_int_equal(c.consent.n_categories, f.s->policy.n);
	assert_int_equal(c.consent.at, NOW + DAY);
	assert_int_equal(c.consent.expires_at, NOW + DAY + NODE_CONSENT_DEFAULT_MS);
	/* withdrawal: none; earlier versions stay in the history */
	r = req_of(0, NULL, NODE_BY_NONE);
	E(node_case_consent(f.s, cid, "p1", &r, NOW + 2 * DAY, &kc));
	assert_int_equal(kc.consent.version, 3);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_consent_get(f.s, txn, cid, 1, &k));
	assert_int_equal(k.flags, NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT);
	E(node_consent_get(f.s, txn, cid, 2, &k));
	assert_int_equal(k.flags, NODE_FLAG_DISCUSS);
	E(node_consent_get(f.s, txn, cid, 3, &k));
	assert_int_equal(k.flags, 0);
	assert_int_equal(k.n_categories, 0);
	EFAIL(node_consent_get(f.s, txn, cid, 4, &k), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	a = audit_of(f.s, "case.consent", AUDIT_OUTCOME_OK);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.last_ref, "case 1 v3");

	/* bad requests */
	r = req_of(NODE_FLAG_CONTACT, "ggz", NODE_BY_NONE);
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID); /* contact alone */
	r = req_of(NODE_FLAG_DISCOVER, "ggz,", NODE_BY_NONE);
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r = req_of(NODE_FLAG_DISCOVER, "ggzz", NODE_BY_NONE);
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "unknown category 'ggzz'"));
	r = req_of(NODE_FLAG_DISCOVER, NULL, NODE_BY_NONE);
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r = req_of(NODE_FLAG_DISCOVER, "ggz", NODE_BY_NONE);
	r.expires_at = NOW + NODE_CONSENT_MAX_MS + 1;
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r.expires_at = NOW;
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r.expires_at = NOW + NODE_CONSENT_MAX_MS;
	E(open_case(f.s, "c-1", "p1", &r, NOW, &cid));
	r.expires_at = 0;
	r.reason = "meldcode";
	EFAIL(open_case(f.s, "c-1", "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r = req_of(NODE_FLAG_DISCOVER, "ggz", NODE_BY_NONE);
	EFAIL(open_case(f.s, "c-9", "p1", &r, NOW, &cid), SK_ERR_NOTFOUND);
	EFAIL(open_case(f.s, "999999990", "p1", &r, NOW, &cid), SK_ERR_NOTFOUND);
	EFAIL(open_case(f.s, "123456789", "p1", &r, NOW, &cid), SK_ERR_BSN);
	EFAIL(open_case(f.s, "c-1", "nobody", &r, NOW, &cid), SK_ERR_NOTFOUND);
	assert_non_null(strstr(sk_error_detail(), "unknown professional 'nobody'"));
	EFAIL(open_case(f.s, "c-1", "fg", &r, NOW, &cid), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "privacy officer"));
	teardown(&f);
}

static void test_statutory(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid;
	node_consent_req r;
	node_case c;
	audit_find a;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", "2016-01-01", id); /* a child: no consent needed */
	r = req_of(NODE_FLAG_DISCUSS, "ggz,gemeente", NODE_BY_NONE);
	r.basis = NODE_BASIS_STATUTORY;
	r.reason = "meldcode";
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	get_case(f.s, cid, &c);
	assert_int_equal(c.consent.basis, NODE_BASIS_STATUTORY);
	assert_string_equal(c.consent.reason, "meldcode");
	assert_int_equal(c.consent.by, NODE_BY_NONE);
	a = audit_of(f.s, "case.open", AUDIT_OUTCOME_OK);
	assert_string_equal(a.last_basis, "statutory: meldcode");
	/* discuss only */
	r.flags = NODE_FLAG_DISCOVER | NODE_FLAG_DISCUSS;
	EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "discuss only"));
	r.flags = NODE_FLAG_DISCUSS;
	r.by = NODE_BY_PARENT;
	EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r.by = NODE_BY_NONE;
	r.reason = NULL;
	EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r.reason = "meldcode 123456782"; /* never a BSN in the audit log */
	EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
	/* a later consent version keeps the basis and reason unless told */
	r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_NONE);
	E(node_case_consent(f.s, 1, "p1", &r, NOW, NULL));
	get_case(f.s, 1, &c);
	assert_int_equal(c.consent.basis, NODE_BASIS_STATUTORY);
	assert_string_equal(c.consent.reason, "meldcode");
	r.flags = NODE_FLAG_DISCOVER;
	EFAIL(node_case_consent(f.s, 1, "p1", &r, NOW, NULL), SK_ERR_INVALID);
	teardown(&f);
}

static void test_assignment(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1], pid[16];
	uint64_t cid;
	node_consent_req r = req_of(NODE_FLAG_DISCOVER, "ggz", NODE_BY_NONE);
	node_case c, kc;
	audit_find a;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", NULL, id);
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	/* p2 is not assigned: no consent, no assign, no close */
	EFAIL(node_case_consent(f.s, cid, "p2", &r, NOW, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "p2 is not assigned to case 1"));
	EFAIL(node_case_assign(f.s, cid, "p2", "p2", NOW, NULL), SK_ERR_PERM);
	EFAIL(node_case_close(f.s, cid, "p2", NOW, NULL), SK_ERR_PERM);
	a = audit_of(f.s, "case.consent", AUDIT_OUTCOME_DENIED);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.last_user, "p2");
	assert_string_equal(a.last_client, "c-1");
	/* p1 assigns p2; then p2 may */
	EFAIL(node_case_assign(f.s, cid, "nobody", "p1", NOW, NULL), SK_ERR_NOTFOUND);
	EFAIL(node_case_assign(f.s, cid, "fg", "p1", NOW, NULL), SK_ERR_PERM);
	E(node_case_assign(f.s, cid, "p2", "p1", NOW, &kc));
	assert_int_equal(kc.n_assigned, 2);
	assert_string_equal(kc.client, "c-1");
	EFAIL(node_case_assign(f.s, cid, "p2", "p1", NOW, &kc), SK_ERR_EXISTS);
	assert_int_equal(kc.id, 0); /* nothing on a refusal */
	EFAIL(node_case_assign(f.s, 99, "p2", "p1", NOW, NULL), SK_ERR_NOTFOUND);
	E(node_case_consent(f.s, cid, "p2", &r, NOW, NULL));
	get_case(f.s, cid, &c);
	assert_int_equal(c.n_assigned, 2);
	assert_string_equal(c.consent.recorded_by, "p2");
	/* at most NODE_ASSIGNED_MAX professionals */
	for (int i = 2; i < NODE_ASSIGNED_MAX; i++) {
		snprintf(pid, sizeof(pid), "q%d", i);
		add_prof(f.s, pid, NODE_KIND_PROFESSIONAL);
		E(node_case_assign(f.s, cid, pid, "p1", NOW, NULL));
	}
	add_prof(f.s, "extra", NODE_KIND_PROFESSIONAL);
	EFAIL(node_case_assign(f.s, cid, "extra", "p1", NOW, NULL), SK_ERR_TOOBIG);
	/* closing: by an assigned professional; afterwards nothing changes */
	E(node_case_close(f.s, cid, "p2", NOW + DAY, &kc));
	assert_false(kc.open);
	assert_string_equal(kc.client, "c-1");
	get_case(f.s, cid, &c);
	assert_false(c.open);
	assert_string_equal(c.closed_by, "p2");
	assert_int_equal(c.closed_at, NOW + DAY);
	EFAIL(node_case_close(f.s, cid, "p1", NOW, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "case 1 is closed"));
	EFAIL(node_case_consent(f.s, cid, "p1", &r, NOW, NULL), SK_ERR_PERM);
	EFAIL(node_case_assign(f.s, cid, "extra", "p1", NOW, NULL), SK_ERR_PERM);
	assert_int_equal(audit_of(f.s, "case.close", AUDIT_OUTCOME_OK).n, 1);
	assert_int_equal(audit_of(f.s, "case.close", AUDIT_OUTCOME_DENIED).n, 2);
	assert_true(audit_of(f.s, "case.assign", AUDIT_OUTCOME_OK).n == NODE_ASSIGNED_MAX - 1);
	teardown(&f);
}

/* ---- the policy at the node ------------------------------------------------- */

static void test_policy(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid;
	node_consent_req r;

	/* gemeente sees no one: discover is refused, discuss allowed */
	setup(&f, "gemeente");
	add_client(f.s, "123456782", NULL, id);
	r = req_of(NODE_FLAG_DISCOVER, "all", NODE_BY_NONE);
	EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "gemeente"));
	r = req_of(NODE_FLAG_DISCUSS, "sociaal-team", NODE_BY_NONE);
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	teardown(&f);

	/* a care org: discover towards closed categories only is refused */
	setup(&f, "ggz");
	add_client(f.s, "123456782", NULL, id);
	r = req_of(NODE_FLAG_DISCOVER, "gemeente,woningcorporatie", NODE_BY_NONE);
	EFAIL(open_case(f.s, id, "p1", &r, NOW, &cid), SK_ERR_INVALID);
	r.categories = "gemeente,jeugd";
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	teardown(&f);
}

/* ---- the derived entry ---------------------------------------------------------- */

static void test_derive(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1], other[NODE_CLIENT_ID_MAX + 1];
	uint64_t c1, c2, c3;
	node_consent_req r;
	node_entry_derived d;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", NULL, id);
	add_client(f.s, "111222333", NULL, other);

	/* no cases at all: withdraw, nothing open */
	derive(f.s, id, NOW, &d);
	assert_true(d.withdraw);
	assert_int_equal(d.n_open, 0);
	assert_int_equal(d.flags, 0);

	/* one consent case */
	r = req_of(NODE_FLAG_DISCOVER, "ggz", NODE_BY_NONE);
	r.expires_at = NOW + 100 * DAY;
	E(open_case(f.s, id, "p1", &r, NOW, &c1));
	derive(f.s, id, NOW, &d);
	assert_false(d.withdraw);
	assert_int_equal(d.flags, NODE_FLAG_DISCOVER);
	assert_int_equal(d.n_categories, 1);
	assert_string_equal(d.categories[0], "ggz");
	assert_int_equal(d.basis, NODE_BASIS_CONSENT);
	assert_int_equal(d.expires_at, NOW + 100 * DAY);
	assert_int_equal(d.n_open, 1);
	assert_int_equal(d.n_contributing, 1);
	assert_int_equal(d.contact_case, c1);
	assert_string_equal(d.contact_professional, "p1");

	/* a second case by p2: union of flags and categories, latest expiry,
	 * the contact from the case that allows contact */
	r = req_of(NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT, "jeugd,ggz", NODE_BY_NONE);
	r.expires_at = NOW + 300 * DAY;
	E(open_case(f.s, id, "p2", &r, NOW, &c2));
	derive(f.s, id, NOW, &d);
	assert_int_equal(d.flags, NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT);
	assert_int_equal(d.n_categories, 2);
	assert_string_equal(d.categories[0], "ggz"); /* policy order */
	assert_string_equal(d.categories[1], "jeugd");
	assert_int_equal(d.expires_at, NOW + 300 * DAY);
	assert_int_equal(d.contact_case, c2);
	assert_string_equal(d.contact_professional, "p2");

	/* a statutory case adds DISCUSS (and its categories); basis stays consent */
	r = req_of(NODE_FLAG_DISCUSS, "gemeente", NODE_BY_NONE);
	r.basis = NODE_BASIS_STATUTORY;
	r.reason = "meldcode";
	r.expires_at = NOW + 500 * DAY;
	E(open_case(f.s, id, "p1", &r, NOW, &c3));
	derive(f.s, id, NOW, &d);
	assert_int_equal(d.flags, NODE_FLAGS_ALL);
	assert_int_equal(d.n_categories, 3);
	assert_string_equal(d.categories[2], "gemeente");
	assert_int_equal(d.basis, NODE_BASIS_CONSENT);
	assert_int_equal(d.expires_at, NOW + 500 * DAY);
	assert_int_equal(d.n_contributing, 3);
	assert_int_equal(d.contact_case, c2);

	/* expired consent stops contributing */
	derive(f.s, id, NOW + 301 * DAY, &d);
	assert_int_equal(d.flags, NODE_FLAG_DISCUSS);
	assert_int_equal(d.basis, NODE_BASIS_STATUTORY);
	assert_int_equal(d.n_open, 3);
	assert_int_equal(d.n_contributing, 1);
	assert_int_equal(d.contact_case, c3);

	/* consent withdrawn on both consent cases: statutory only */
	r = req_of(0, NULL, NODE_BY_NONE);
	E(node_case_consent(f.s, c1, "p1", &r, NOW, NULL));
	E(node_case_consent(f.s, c2, "p2", &r, NOW, NULL));
	derive(f.s, id, NOW, &d);
	assert_int_equal(d.flags, NODE_FLAG_DISCUSS);
	assert_int_equal(d.basis, NODE_BASIS_STATUTORY);
	assert_int_equal(d.n_categories, 1);
	assert_string_equal(d.categories[0], "gemeente");
	assert_int_equal(d.expires_at, NOW + 500 * DAY);
	assert_int_equal(d.n_open, 3);
	assert_false(d.withdraw);

	/* close the statutory case: cases open, but nothing contributes */
	E(node_case_close(f.s, c3, "p1", NOW, NULL));
	derive(f.s, id, NOW, &d);
	assert_true(d.withdraw);
	assert_int_equal(d.n_open, 2);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.n_categories, 0);
	assert_int_equal(d.contact_case, 0);

	/* consent again on c1, then close everything: withdraw, none open */
	r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_NONE);
	E(node_case_consent(f.s, c1, "p1", &r, NOW, NULL));
	derive(f.s, id, NOW, &d);
	assert_int_equal(d.flags, NODE_FLAG_DISCUSS);
	assert_int_equal(d.basis, NODE_BASIS_CONSENT);
	E(node_case_close(f.s, c1, "p1", NOW, NULL));
	E(node_case_close(f.s, c2, "p2", NOW, NULL));
	derive(f.s, id, NOW, &d);
	assert_true(d.withdraw);
	assert_int_equal(d.n_open, 0);

	/* another client's cases never leak in */
	derive(f.s, other, NOW, &d);
	assert_true(d.withdraw);
	assert_int_equal(d.n_open, 0);
	teardown(&f);
}

/* A policy that no longer lets a case's categories see us drops DISCOVER
 * and CONTACT from that case only. */
static void test_derive_policy(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint64_t c1, c2;
	node_consent_req r;
	node_entry_derived d;
	int ggz, team;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", NULL, id);
	r = req_of(NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT | NODE_FLAG_DISCUSS, "ggz",
		   NODE_BY_NONE);
	E(open_case(f.s, id, "p1", &r, NOW, &c1));
	r = req_of(NODE_FLAG_DISCOVER, "jeugd", NODE_BY_NONE);
	E(open_case(f.s, id, "p1", &r, NOW, &c2));
	/* a refreshed policy: ggz and sociaal-team no longer see each other */
	ggz = wire_policy_index(&f.s->policy, "ggz");
	team = wire_policy_index(&f.s->policy, "sociaal-team");
	f.s->policy.sees[ggz] &= ~(1u << team);
	derive(f.s, id, NOW, &d);
	assert_int_equal(d.flags, NODE_FLAG_DISCOVER | NODE_FLAG_DISCUSS);
	assert_int_equal(d.n_categories, 2);
	assert_int_equal(d.contact_case, c2);
	/* and jeugd gone from the policy altogether: only DISCUSS with ggz */
	snprintf(f.s->policy.name[wire_policy_index(&f.s->policy, "jeugd")], WIRE_CATEGORY_MAX + 1,
		 "renamed");
	derive(f.s, id, NOW, &d);
	assert_int_equal(d.flags, NODE_FLAG_DISCUSS);
	assert_int_equal(d.n_categories, 1);
	assert_string_equal(d.categories[0], "ggz");
	assert_int_equal(d.contact_case, c1);
	teardown(&f);
}

typedef struct dirty_list {
	char list[128];
} dirty_list;

static sk_status dirty_fn(const char *client, uint64_t gen, void *arg)
{
	dirty_list *l = arg;
	size_t n = strlen(l->list);

	snprintf(l->list + n, sizeof(l->list) - n, "%s;", client);
	return SK_OK;
}

/* Every change marks the client dirty in its own transaction; a refused
 * change does not. */
static void test_changes_mark_dirty(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1], id2[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid;
	node_consent_req r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_NONE);
	MDB_txn *txn = NULL;
	dirty_list l;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", NULL, id);
	add_client(f.s, "111222333", NULL, id2);
	EFAIL(open_case(f.s, id2, "fg", &r, NOW, &cid), SK_ERR_PERM);
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	memset(&l, 0, sizeof(l));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_dirty_scan(f.s, txn, dirty_fn, &l));
	assert_string_equal(l.list, "c-1;");
	E(node_dirty_clear(f.s, txn, "c-1", 1, NULL));
	E(sk_db_status(mdb_txn_commit(txn)));
	E(node_case_close(f.s, cid, "p1", NOW, NULL));
	memset(&l, 0, sizeof(l));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_dirty_scan(f.s, txn, dirty_fn, &l));
	mdb_txn_abort(txn);
	assert_string_equal(l.list, "c-1;");
	teardown(&f);
}

typedef struct scan_ids {
	char list[128];
} scan_ids;

static sk_status scan_fn(const node_case *c, void *arg)
{
	scan_ids *l = arg;
	size_t n = strlen(l->list);

	snprintf(l->list + n, sizeof(l->list) - n, "%llu:%s;", (unsigned long long)c->id,
		 c->client);
	return SK_OK;
}

static void test_scan(void **state)
{
	fixture f;
	char a[NODE_CLIENT_ID_MAX + 1], b[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid;
	node_consent_req r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_NONE);
	MDB_txn *txn = NULL;
	scan_ids l;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", NULL, a);
	add_client(f.s, "111222333", NULL, b);
	E(open_case(f.s, a, "p1", &r, NOW, &cid));
	E(open_case(f.s, b, "p1", &r, NOW, &cid));
	E(open_case(f.s, a, "p2", &r, NOW, &cid));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	memset(&l, 0, sizeof(l));
	E(node_case_scan(f.s, txn, NULL, scan_fn, &l));
	assert_string_equal(l.list, "1:c-1;2:c-2;3:c-1;");
	memset(&l, 0, sizeof(l));
	E(node_case_scan(f.s, txn, "c-1", scan_fn, &l));
	assert_string_equal(l.list, "1:c-1;3:c-1;");
	memset(&l, 0, sizeof(l));
	E(node_case_scan(f.s, txn, "c-2", scan_fn, &l));
	assert_string_equal(l.list, "2:c-2;");
	memset(&l, 0, sizeof(l));
	E(node_case_scan(f.s, txn, "c-", scan_fn, &l)); /* a prefix is not a client */
	assert_string_equal(l.list, "");
	mdb_txn_abort(txn);
	teardown(&f);
}

/* The audit chain holds every action and verifies. */
static void test_audit_chain(void **state)
{
	fixture f;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint64_t cid, count = 0, bad = 0;
	node_consent_req r = req_of(NODE_FLAG_DISCUSS, "ggz", NODE_BY_NONE);
	MDB_txn *txn = NULL;

	setup(&f, "sociaal-team");
	add_client(f.s, "123456782", NULL, id);
	E(open_case(f.s, id, "p1", &r, NOW, &cid));
	EFAIL(node_case_close(f.s, cid, "p2", NOW, NULL), SK_ERR_PERM);
	E(node_case_close(f.s, cid, "p1", NOW, NULL));
	E(node_audit_access(f.s, "case.list", "p1", "spv", "case", NULL, NULL));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_verify(f.s->audit, txn, &count, &bad));
	mdb_txn_abort(txn);
	/* init, 3 professionals, client, open, denied close, close, list */
	assert_int_equal(count, 9);
	teardown(&f);
}

/* The expiry a published entry carries: rounded down to the day, less a
 * jitter, in whole seconds, never later than the consent's, still ahead
 * of now, and different from one publish to the next. */
static void test_expiry_blur(void **state)
{
	const uint64_t now = 1767225600123ull; /* 2026-01-01T00:00:00.123Z */
	const uint64_t exp = now + NODE_CONSENT_DEFAULT_MS + 4567; /* ms-exact, as recorded */
	uint64_t first = node_entry_expiry_blur(exp, now), v;
	int differ = 0;

	(void)state;
	for (int i = 0; i < 200; i++) {
		v = node_entry_expiry_blur(exp, now);
		assert_true(v <= exp - exp % NODE_DAY_MS);
		assert_true(v > exp - exp % NODE_DAY_MS - NODE_EXPIRY_JITTER_MS);
		assert_int_equal(v % 1000, 0);
		assert_true(v > now + NODE_EXPIRY_LEAD_MS);
		differ |= v != first;
	}
	assert_true(differ);
	/* near its end: between now + lead and the expiry, whole seconds */
	for (int i = 0; i < 200; i++) {
		uint64_t near = now + NODE_DAY_MS + 777;

		v = node_entry_expiry_blur(near, now);
		assert_true(v <= near);
		assert_true(v > now + NODE_EXPIRY_LEAD_MS);
		assert_int_equal(v % 1000, 0);
	}
	/* nearer than the lead: the expiry itself, never later */
	assert_int_equal(node_entry_expiry_blur(now + 1000, now), now + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_age_rules),
		cmocka_unit_test(test_open_and_consent),
		cmocka_unit_test(test_statutory),
		cmocka_unit_test(test_assignment),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_derive_policy),
		cmocka_unit_test(test_changes_mark_dirty),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_expiry_blur),
	};

	/* "today" in the tests is a UTC date */
	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
