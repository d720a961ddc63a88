/* The audit trail of publishing (registry/publish.c through its request
 * kind reg_op_publish: the worker's checks, then the writer's job):
 * accepted publishes and withdrawals are kept out of the audit log's
 * client index, their seqs in the entry's StoredEntry, yet a query by
 * token finds every record about it, refusals and resubmissions (indexed
 * as before) among them, in order, also with a pattern flag audited in a
 * withdrawal's job; the seqs survive a purge of the entry; past
 * REG_AUDIT_SEQ_MAX records are indexed again; the log verifies
 * throughout. The writer checks membership as of its own transaction: an
 * org revoked after the worker's checks is refused, its entry not stored,
 * the refusal audited. */
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
#include "registry/publish.h"
#include "registry/visibility.h"

static char *cats[] = {"ggz"};
static uint8_t token[REG_TOKEN_BYTES] = {9, 1}, salt[16], head[32];
static char token_hex[2 * REG_TOKEN_BYTES + 1];
static uint64_t now; /* the issued-at of every version, so that one can be resubmitted */

struct fx {
	char *dir;
	sk_kek *kek;
	reg_store *s;
	key_ed25519 id;
};

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
	m.tls_key = (ProtobufCBinaryData){32, head};
	m.cert = (ProtobufCBinaryData){1, head};
	m.request = (ProtobufCBinaryData){1, head};
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_member_put(f->s, txn, &m));
	E(sk_db_status(mdb_txn_commit(txn)));
	sodium_bin2hex(token_hex, sizeof(token_hex), token, sizeof(token));
	now = sk_clock_now_ms();
}

static void fx_free(struct fx *f)
{
	reg_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
}

/* A publish job of team's entry for token, version seq (a withdrawal: no
 * flags, no categories), as the worker leaves it after its checks:
 * refused there when bad_sig, else accepted for the writer. */
static void *job(struct fx *f, uint64_t seq, int withdrawn, uint32_t flags, int bad_sig)
{
	Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
	Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	net_peer peer = {.org_id = "team", .category = "sociaal-team"};
	uint8_t buf[1024], sig[KEY_SIG_BYTES];
	void *p = NULL;

	e.token = (ProtobufCBinaryData){REG_TOKEN_BYTES, token};
	e.epoch = 1;
	e.org_id = "team";
	if (!withdrawn) {
		e.flags = flags;
		e.categories = cats;
		e.n_categories = 1;
	}
	e.basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
	e.issued_at = now - 1000;
	e.expires_at = now + 86400000;
	e.seq = seq;
	e.has_withdrawn = withdrawn;
	e.withdrawn = withdrawn;
	e.salt = (ProtobufCBinaryData){16, salt};
	e.audit_head = (ProtobufCBinaryData){32, head};
	req.entry.len = schakel__v1__entry__pack(&e, buf);
	req.entry.data = buf;
	assert_true(req.entry.len < sizeof(buf));
	E(key_sign(sig, "schakel/v1/entry", buf, req.entry.len, f->id.sk));
	sig[0] ^= bad_sig != 0;
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &req;
	E(reg_op_publish.new(&p, f->s, &peer, &env));
	reg_op_publish.check(p);
	EFAIL(reg_op_publish.result(p, NULL), bad_sig ? SK_ERR_VERIFY : SK_OK);
	return p;
}

/* Runs the writer job in a transaction of its own; returns its result. */
static sk_status apply(struct fx *f, void *p)
{
	MDB_txn *txn = NULL;
	sk_status st;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_op_publish.apply(txn, p));
	E(sk_db_status(mdb_txn_commit(txn)));
	st = reg_op_publish.result(p, NULL);
	reg_op_publish.free(p);
	return st;
}

struct got {
	uint64_t seq[512];
	char action[512];
	audit_outcome outcome[512];
	size_t n;
};

static sk_status collect(const audit_record *rec, void *arg)
{
	struct got *g = arg;

	assert_string_equal(rec->client, token_hex);
	if (g->n < 512) {
		g->seq[g->n] = rec->seq;
		g->action[g->n] = (char)rec->action;
		g->outcome[g->n] = rec->outcome;
	}
	g->n++;
	return SK_OK;
}

/* The registry's records about token, through audit_query as `audit query
 * --client` runs it. */
static void query(struct fx *f, struct got *g)
{
	audit_filter flt = {.client = token_hex};
	MDB_txn *txn = NULL;

	memset(g, 0, sizeof(*g));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_query(f->s->audit, txn, &flt, collect, g));
	mdb_txn_abort(txn);
	for (size_t i = 1; i < g->n && i < 512; i++)
		assert_true(g->seq[i] > g->seq[i - 1]); /* one time: seq order */
}

static void verify(struct fx *f)
{
	MDB_txn *txn = NULL;
	uint64_t bad = 1;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_verify(f->s->audit, txn, NULL, &bad));
	mdb_txn_abort(txn);
	assert_int_equal(bad, 0);
}

static void stored(struct fx *f, reg_live *l)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_live_load(f->s, txn, "team", token, 1, now, l));
	mdb_txn_abort(txn);
}

static void test_publish_audit(void **state)
{
	struct fx f;
	struct got g;
	reg_live l;
	MDB_txn *txn = NULL;
	uint8_t ekey[REG_ENTRY_KEY_MAX];

	(void)state;
	fx_new(&f);
	E(apply(&f, job(&f, 1, 0, REG_FLAG_DISCOVER, 0)));              /* C */
	E(apply(&f, job(&f, 2, 0, REG_FLAG_DISCOVER, 0)));              /* U */
	assert_int_equal(apply(&f, job(&f, 2, 0, REG_FLAG_DISCOVER, 0)), SK_OK); /* resubmission */
	EFAIL(apply(&f, job(&f, 2, 0, REG_FLAG_DISCUSS, 0)), SK_ERR_EXISTS); /* seq used */
	EFAIL(apply(&f, job(&f, 9, 0, REG_FLAG_DISCOVER, 1)), SK_ERR_VERIFY); /* bad signature */
	/* a lookup just now: the withdrawal is flagged, audited in its job */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(reg_live_load(f.s, txn, "team", token, 1, now, &l));
	l.se->has_last_lookup_at = 1;
	l.se->last_lookup_at = sk_clock_now_ms();
	E(reg_stored_put(f.s, txn, ekey, reg_entry_key(ekey, "team", token, 1), l.se));
	reg_live_clear(&l);
	E(sk_db_status(mdb_txn_commit(txn)));
	E(apply(&f, job(&f, 3, 1, 0, 0)));                              /* D, flag */
	query(&f, &g);
	assert_int_equal(g.n, 7);
	assert_memory_equal(g.action, "CURCCDE", 7);
	assert_int_equal(g.outcome[0], AUDIT_OUTCOME_OK);
	assert_int_equal(g.outcome[1], AUDIT_OUTCOME_OK);
	assert_int_equal(g.outcome[2], AUDIT_OUTCOME_OK);
	assert_int_equal(g.outcome[3], AUDIT_OUTCOME_DENIED);
	assert_int_equal(g.outcome[4], AUDIT_OUTCOME_DENIED);
	assert_int_equal(g.outcome[5], AUDIT_OUTCOME_OK);
	/* the entry names exactly its accepted versions' records */
	stored(&f, &l);
	assert_int_equal(l.se->n_audit_seq, 3);
	assert_int_equal(l.se->audit_seq[0], g.seq[0]);
	assert_int_equal(l.se->audit_seq[1], g.seq[1]);
	assert_int_equal(l.se->audit_seq[2], g.seq[5]);
	reg_live_clear(&l);
	/* and only those are out of the client index */
	audit_log_set_client_extra(f.s->audit, NULL, NULL);
	query(&f, &g);
	assert_memory_equal(g.action, "RCCE", 4);
	assert_int_equal(g.n, 4);
	audit_log_set_client_extra(f.s->audit, reg_audit_extra, f.s);
	verify(&f);
	/* a purge of the entry's contents keeps the seqs */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(reg_live_load(f.s, txn, "team", token, 1, now, &l));
	E(reg_entry_purge(f.s, txn, &l));
	reg_live_clear(&l);
	E(sk_db_status(mdb_txn_commit(txn)));
	stored(&f, &l);
	assert_true(l.se->purged);
	assert_int_equal(l.se->n_audit_seq, 3);
	reg_live_clear(&l);
	query(&f, &g);
	assert_int_equal(g.n, 7);
	verify(&f);
	/* another string is no token: nothing from the entries */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	token_hex[0] = 'A';
	memset(&g, 0, sizeof(g));
	E(audit_log_scan_index(f.s->audit, txn, AUDIT_BY_CLIENT, token_hex, 0, 0, collect, &g));
	assert_int_equal(g.n, 0);
	mdb_txn_abort(txn);
	fx_free(&f);
}

/* Past REG_AUDIT_SEQ_MAX versions the records go to the client index. */
static void test_publish_audit_full(void **state)
{
	struct fx f;
	struct got g;
	reg_live l;
	uint64_t n = REG_AUDIT_SEQ_MAX + 4;

	(void)state;
	fx_new(&f);
	for (uint64_t i = 1; i <= n; i++)
		E(apply(&f, job(&f, i, 0, REG_FLAG_DISCOVER, 0)));
	stored(&f, &l);
	assert_int_equal(l.se->n_audit_seq, REG_AUDIT_SEQ_MAX);
	reg_live_clear(&l);
	query(&f, &g);
	assert_int_equal(g.n, n);
	audit_log_set_client_extra(f.s->audit, NULL, NULL);
	query(&f, &g);
	assert_int_equal(g.n, n - REG_AUDIT_SEQ_MAX);
	audit_log_set_client_extra(f.s->audit, reg_audit_extra, f.s);
	verify(&f);
	fx_free(&f);
}

/* A revocation committed after the worker checked the publish: the writer
 * refuses it (membership as of now), stores nothing, audits the refusal. */
static void test_publish_revoked(void **state)
{
	struct fx f;
	struct got g;
	reg_live l;
	void *p;
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;

	(void)state;
	fx_new(&f);
	E(apply(&f, job(&f, 1, 0, REG_FLAG_DISCOVER, 0)));
	p = job(&f, 2, 0, REG_FLAG_DISCOVER, 0); /* checked while a member */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(reg_member_get(f.s, txn, "team", &m));
	m->has_revoked_at = 1;
	m->revoked_at = sk_clock_now_ms() - 1;
	E(reg_member_put(f.s, txn, m));
	schakel__v1__member__free_unpacked(m, NULL);
	E(sk_db_status(mdb_txn_commit(txn)));
	EFAIL(apply(&f, p), SK_ERR_PERM);
	EFAIL(apply(&f, job(&f, 3, 1, 0, 0)), SK_ERR_PERM); /* nor withdraw */
	stored(&f, &l); /* still version 1 */
	assert_int_equal(l.se->n_audit_seq, 1);
	reg_live_clear(&l);
	query(&f, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.outcome[0], AUDIT_OUTCOME_OK);
	assert_int_equal(g.outcome[1], AUDIT_OUTCOME_DENIED);
	assert_int_equal(g.outcome[2], AUDIT_OUTCOME_DENIED);
	verify(&f);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_audit),
		cmocka_unit_test(test_publish_audit_full),
		cmocka_unit_test(test_publish_revoked),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
