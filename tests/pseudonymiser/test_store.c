/* The pseudonymiser's data dir in a real LMDB: init and its enrolment
 * request, the allow-list and grants, join with a real registry's bundle
 * (the registry key pinned), member events (forged, reordered, replayed),
 * epochs and usage rows with their audit records. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "registry/enrol.h"
#include "protos/rollover.h"
#include "protos/wire.h"
#include "pseudonymiser/store.h"
#include "pseudonymiser/sync.h"

static sk_kek *kek;

static int setup(void **state)
{
	if (sk_init() != SK_OK || sk_kek_open(&kek, NULL, 1) != SK_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	sk_kek_free(kek);
	return 0;
}

static char *sub(const char *dir, const char *name)
{
	static char p[16][512];
	static int i;
	char d[512];

	i = (i + 1) % 16;
	if (snprintf(d, sizeof(d), "%s", dir) >= (int)sizeof(d) ||
	    snprintf(p[i], sizeof(p[i]), "%s/%s", d, name) >= (int)sizeof(p[i]))
		fail_msg("path too long");
	return p[i];
}

static ps_store *make(const char *dir, const char *org, uint8_t pk[OPRF_ELEMENT_BYTES])
{
	ps_store *s = NULL;

	E(ps_store_init(dir, org, "Test pseudonymiser", 0, kek, pk));
	E(ps_store_open(&s, dir));
	return s;
}

struct events {
	char names[64][32];
	size_t n;
};

static sk_status collect(const audit_record *rec, void *arg)
{
	struct events *e = arg;

	if (e->n < 64)
		snprintf(e->names[e->n++], 32, "%s", rec->event);
	return SK_OK;
}

/* The audit events in order, after a verify of the chain. */
static size_t audit_events(ps_store *s, struct events *e)
{
	MDB_txn *txn = NULL;
	uint64_t count = 0;

	memset(e, 0, sizeof(*e));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_verify(s->audit, txn, &count, NULL));
	E(audit_log_scan(s->audit, txn, 1, 0, collect, e));
	mdb_txn_abort(txn);
	assert_int_equal(count, e->n);
	return e->n;
}

static void test_init(void **state)
{
	char *dir = t_tmpdir(), d[512];
	uint8_t pk[OPRF_ELEMENT_BYTES], pk2[OPRF_ELEMENT_BYTES], sk[OPRF_SCALAR_BYTES], *req;
	Schakel__V1__SignedEnrolRequest *sr;
	Schakel__V1__EnrolRequestBody *b;
	struct events ev;
	struct stat stt;
	ps_store *s;
	MDB_txn *txn = NULL;
	ps_epoch e;
	uint32_t cur;
	size_t len;

	if (snprintf(d, sizeof(d), "%s/ps", dir) >= (int)sizeof(d))
		fail_msg("path too long");
	s = make(d, "ps-one", pk);

	assert_string_equal(s->org_id, "ps-one");
	assert_int_equal(stat(d, &stt), 0);
	assert_int_equal(stt.st_mode & 0777, 0700);
	assert_int_equal(stat(sub(d, "oprf-1.key"), &stt), 0);
	assert_int_equal(stt.st_mode & 0777, 0600);
	/* the request: role, keys, the epoch-1 OPRF key, the identity's signature */
	E(sk_file_read(sub(d, PS_FILE_REQUEST), 65536, &req, &len));
	sr = schakel__v1__signed_enrol_request__unpack(NULL, len, req);
	assert_non_null(sr);
	b = schakel__v1__enrol_request_body__unpack(NULL, sr->body.len, sr->body.data);
	assert_non_null(b);
	assert_int_equal(b->role, SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER);
	assert_true(b->has_oprf_key);
	assert_memory_equal(b->oprf_key.data, pk, OPRF_ELEMENT_BYTES);
	assert_memory_equal(b->identity_key.data, s->identity_pk, 32);
	assert_memory_equal(b->tls_key.data, s->tls_pk, 32);
	E(key_verify(sr->signature.data, WIRE_DOMAIN_ENROL_REQUEST, sr->body.data, sr->body.len,
		     s->identity_pk));
	EFAIL(key_verify(sr->signature.data, WIRE_DOMAIN_BUNDLE, sr->body.data, sr->body.len,
			 s->identity_pk),
	      SK_ERR_VERIFY);
	schakel__v1__enrol_request_body__free_unpacked(b, NULL);
	schakel__v1__signed_enrol_request__free_unpacked(sr, NULL);
	free(req);
	/* epoch 1: recorded, current, its key file holds its key */
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_epoch_current(s, txn, &cur));
	assert_int_equal(cur, 1);
	E(ps_epoch_get(s, txn, 1, &e));
	EFAIL(ps_epoch_get(s, txn, 2, &e), SK_ERR_NOTFOUND);
	E(ps_epoch_get(s, txn, 1, &e));
	mdb_txn_abort(txn);
	assert_memory_equal(e.pk, pk, sizeof(pk));
	assert_true(e.not_after > e.not_before + 700ull * PS_DAY_MS);
	E(ps_epoch_key_read(s, kek, 1, sk));
	E(oprf_public_key(pk2, sk));
	assert_memory_equal(pk2, pk, sizeof(pk));
	EFAIL(ps_epoch_key_read(s, kek, 2, sk), SK_ERR_NOTFOUND);
	/* a new epoch's key: made once, then reused (a rotate retried) */
	E(ps_epoch_key_make(s, kek, 2, pk2));
	assert_memory_not_equal(pk2, pk, sizeof(pk));
	E(ps_epoch_key_make(s, kek, 2, pk));
	assert_memory_equal(pk2, pk, sizeof(pk));
	sodium_memzero(sk, sizeof(sk));
	assert_int_equal(audit_events(s, &ev), 1);
	assert_string_equal(ev.names[0], "ps.init");
	ps_store_close(s);

	/* once per dir; ids and names are checked */
	EFAIL(ps_store_init(d, "ps-one", "again", 0, kek, pk), SK_ERR_EXISTS);
	EFAIL(ps_store_init(sub(dir, "x"), "Bad_Id", "n", 0, kek, pk), SK_ERR_INVALID);
	EFAIL(ps_store_init(sub(dir, "y"), "ok", "", 0, kek, pk), SK_ERR_INVALID);
	EFAIL(ps_store_init(sub(dir, "z"), "ok", "n", 1, kek, pk), SK_ERR_INVALID); /* 1970 */
	EFAIL(ps_store_open(&s, sub(dir, "missing")), SK_ERR_NOTFOUND);
	E(sk_dir_create(sub(dir, "empty")));
	EFAIL(ps_store_open(&s, sub(dir, "empty")), SK_ERR_NOTFOUND);
	assert_null(s);
	/* a wrapped key file is refused without the passphrase */
	{
		sk_kek *wk = NULL;

		t_write(dir, "pass", "a passphrase of some length\n", 0600);
		E(sk_kek_open(&wk, sub(dir, "pass"), 0));
		E(ps_store_init(sub(dir, "w"), "ps-w", "Wrapped", 0, wk, pk));
		E(ps_store_open(&s, sub(dir, "w")));
		EFAIL(ps_epoch_key_read(s, kek, 1, sk), SK_ERR_WRAPPED);
		E(ps_epoch_key_read(s, wk, 1, sk));
		/* the purpose is authenticated: epoch 1's key is not epoch 2's */
		assert_int_equal(rename(sub(sub(dir, "w"), "oprf-1.key"),
					sub(sub(dir, "w"), "oprf-2.key")), 0);
		EFAIL(ps_epoch_key_read(s, wk, 2, sk), SK_ERR_KEY);
		sodium_memzero(sk, sizeof(sk));
		ps_store_close(s);
		sk_kek_free(wk);
	}
	t_rmdir(dir);
}

static sk_status count_org(const char *org, void *arg)
{
	(*(int *)arg)++;
	return SK_OK;
}

static void test_allow(void **state)
{
	char *dir = t_tmpdir();
	uint8_t pk[OPRF_ELEMENT_BYTES];
	ps_store *s = make(sub(dir, "ps"), "ps-one", pk);
	MDB_txn *txn = NULL;
	struct events ev;
	ps_access a;
	ps_grant g;
	int n = 0;

	E(ps_allow_set(s, "wijkteam", 5000));
	E(ps_allow_set(s, "ggz", 10));
	E(ps_allow_set(s, "ggz", 20)); /* a new quota */
	EFAIL(ps_allow_set(s, "Not An Id", 1), SK_ERR_INVALID);
	EFAIL(ps_grant_set(s, "jeugd", 100, 0, NULL), SK_ERR_NOTFOUND);
	EFAIL(ps_grant_set(s, "ggz", 100, 1, NULL), SK_ERR_INVALID); /* until 1970 */
	E(ps_grant_set(s, "ggz", 100, 0, &g));
	assert_int_equal(g.extra, 100);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_access_get(s, txn, "ggz", &a));
	assert_true(a.allowed && a.has_grant && !a.revoked);
	assert_int_equal(a.quota, 20);
	assert_int_equal(a.grant.id, g.id);
	assert_int_equal(a.grant.extra, 100);
	E(ps_access_get(s, txn, "jeugd", &a));
	assert_false(a.allowed || a.has_grant || a.revoked);
	E(ps_allow_scan(s, txn, count_org, &n));
	assert_int_equal(n, 2);
	mdb_txn_abort(txn);

	E(ps_deny(s, "ggz"));
	EFAIL(ps_deny(s, "ggz"), SK_ERR_NOTFOUND);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(ps_access_get(s, txn, "ggz", &a));
	assert_false(a.allowed || a.has_grant); /* the grant went with it */
	E(ps_revoked_put(s, txn, "wijkteam", 1, 7));
	E(ps_access_get(s, txn, "wijkteam", &a));
	assert_true(a.allowed && a.revoked);
	E(sk_db_status(mdb_txn_commit(txn)));

	assert_int_equal(audit_events(s, &ev), 6);
	assert_string_equal(ev.names[1], "org.allow");
	assert_string_equal(ev.names[4], "org.grant");
	assert_string_equal(ev.names[5], "org.deny");
	ps_store_close(s);
	t_rmdir(dir);
}

/* A registry with a CA, and a bundle for the request in req_dir. */
static void registry(const char *dir, const char *ca_dir, const char *origin, const char *req_dir,
		     uint8_t **bundle, size_t *len, uint8_t reg_pk[32])
{
	reg_store *r = NULL;
	reg_ca *ca = NULL;
	reg_enrol_opts eo = {.registry_address = "127.0.0.1:1"};
	uint8_t *req = NULL;
	size_t rlen;
	char org[64];

	if (access(sub(ca_dir, REG_CA_FILE_CERT), F_OK) != 0)
		E(reg_ca_init(ca_dir, "Regio Test", kek));
	if (access(sub(dir, "identity.key"), F_OK) != 0)
		E(reg_store_init(dir, origin, "registry", kek));
	E(reg_store_open(&r, dir, kek));
	E(reg_ca_open(&ca, ca_dir, kek));
	E(reg_tls_ensure(r, ca, kek));
	E(sk_file_read(sub(req_dir, PS_FILE_REQUEST), 65536, &req, &rlen));
	E(reg_enrol(r, ca, req, rlen, &eo, bundle, len, org));
	if (reg_pk != NULL)
		memcpy(reg_pk, r->id->pk, 32);
	free(req);
	reg_ca_close(ca);
	reg_store_close(r);
}

static void test_join(void **state)
{
	char *dir = t_tmpdir(), d1[512], d2[512];
	uint8_t pk[OPRF_ELEMENT_BYTES], reg_pk[32], pinned[32], *b1, *b2, *bo, *bad;
	size_t l1, l2, lo;
	ps_store *s1, *s2;
	Schakel__V1__BundleBody *body = NULL;
	MDB_txn *txn = NULL;
	struct events ev;

	if (snprintf(d1, sizeof(d1), "%s/ps1", dir) >= (int)sizeof(d1) ||
	    snprintf(d2, sizeof(d2), "%s/ps2", dir) >= (int)sizeof(d2))
		fail_msg("path too long");
	s1 = make(d1, "ps1", pk);
	s2 = make(d2, "ps2", pk);
	registry(sub(dir, "r"), sub(dir, "ca"), "t.example/registry", d1, &b1, &l1, reg_pk);
	registry(sub(dir, "r"), sub(dir, "ca"), "t.example/registry", d2, &b2, &l2, NULL);
	/* another registry (same CA) admits ps1 too */
	registry(sub(dir, "r2"), sub(dir, "ca"), "other.example/registry", d1, &bo, &lo, NULL);

	EFAIL(ps_bundle_load(s1, &body), SK_ERR_NOTFOUND); /* not joined */
	/* ps2's bundle is not ps1's */
	EFAIL(ps_join(s1, b2, l2), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "not to this pseudonymiser"));
	/* a forged signature, a truncated file */
	bad = malloc(l1);
	memcpy(bad, b1, l1);
	bad[l1 - 5] ^= 1;
	EFAIL(ps_join(s1, bad, l1), SK_ERR_VERIFY);
	EFAIL(ps_join(s1, b1, l1 / 2), SK_ERR_INVALID);
	free(bad);
	/* trust on first use, then pinned */
	E(ps_join(s1, b1, l1));
	E(ps_join(s1, b1, l1));
	EFAIL(ps_join(s1, bo, lo), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "another registry"));
	E(sk_db_status(mdb_txn_begin(s1->env, NULL, MDB_RDONLY, &txn)));
	E(ps_registry_key(s1, txn, pinned));
	mdb_txn_abort(txn);
	assert_memory_equal(pinned, reg_pk, 32);
	E(ps_bundle_load(s1, &body));
	assert_string_equal(body->registry_address, "127.0.0.1:1");
	schakel__v1__bundle_body__free_unpacked(body, NULL);
	/* the installed file is checked again under the pinned key */
	E(sk_file_replace(sub(d1, PS_FILE_BUNDLE), bo, lo));
	EFAIL(ps_bundle_load(s1, &body), SK_ERR_VERIFY);
	assert_null(body);
	assert_int_equal(audit_events(s1, &ev), 3);
	assert_string_equal(ev.names[2], "ps.join");
	free(b1);
	free(b2);
	free(bo);
	ps_store_close(s1);
	ps_store_close(s2);
	t_rmdir(dir);
}

/* A signed member event of the test registry key. */
static void event(Schakel__V1__SignedMemberEvent *se, uint8_t *buf, uint8_t sig[64],
		  const key_ed25519 *rk, Schakel__V1__MemberEventKind kind, const char *org,
		  uint64_t leaf, const uint8_t *id_pk, const uint8_t *oprf_pk, uint32_t epoch)
{
	Schakel__V1__MemberEvent m = SCHAKEL__V1__MEMBER_EVENT__INIT;
	size_t n;

	m.kind = kind;
	m.org_id = (char *)org;
	m.time = 1000 + leaf;
	if (id_pk != NULL) {
		m.has_identity_key = 1;
		m.identity_key = (ProtobufCBinaryData){32, (uint8_t *)id_pk};
	}
	if (oprf_pk != NULL) {
		m.has_oprf_key = 1;
		m.oprf_key = (ProtobufCBinaryData){32, (uint8_t *)oprf_pk};
	}
	if (epoch != 0) {
		m.has_epoch = 1;
		m.epoch = epoch;
	}
	n = schakel__v1__member_event__pack(&m, buf);
	E(key_sign(sig, WIRE_DOMAIN_MEMBER_EVENT, buf, n, rk->sk));
	schakel__v1__signed_member_event__init(se);
	se->body = (ProtobufCBinaryData){n, buf};
	se->signature = (ProtobufCBinaryData){64, sig};
	se->leaf_index = leaf;
}

static sk_status apply(ps_store *s, ps_events *ev)
{
	MDB_txn *txn = NULL;
	sk_status st;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	if ((st = ps_events_apply(s, txn, ev)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static void test_events(void **state)
{
	char *dir = t_tmpdir();
	uint8_t pk[OPRF_ELEMENT_BYTES], other[32], seed[32] = {9}, bufs[8][512], sigs[8][64];
	ps_store *s = make(sub(dir, "ps"), "ps1", pk);
	Schakel__V1__SignedMemberEvent se[8], *ptr[8];
	Schakel__V1__MemberEventsResponse r = SCHAKEL__V1__MEMBER_EVENTS_RESPONSE__INIT;
	ps_events *ev = malloc(sizeof(*ev));
	key_ed25519 rk, fake;
	MDB_txn *txn = NULL;
	struct events au;
	ps_epoch e, pend = {.epoch = 2, .not_before = 5, .not_after = 6};
	uint64_t from, nrev;

	key_ed25519_from_seed(&rk, seed);
	seed[0] = 10;
	key_ed25519_from_seed(&fake, seed);
	memset(other, 0x42, sizeof(other));
	for (int i = 0; i < 8; i++)
		ptr[i] = &se[i];
	r.events = ptr;
	/* leaf 3: our enrolment; 4: ggz revoked; 5: ggz revoked again (replayed) */
	event(&se[0], bufs[0], sigs[0], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED, "ps1",
	      3, s->identity_pk, pk, 0);
	event(&se[1], bufs[1], sigs[1], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED, "ggz",
	      4, NULL, NULL, 0);
	event(&se[2], bufs[2], sigs[2], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED, "ggz",
	      5, NULL, NULL, 0);
	r.n_events = 3;
	E(ps_events_verify(ev, &r, 3, rk.pk));
	assert_int_equal(ev->n, 3);
	assert_int_equal(ev->next, 6);
	/* under another key nothing is taken, and the detail names the leaf */
	EFAIL(ps_events_verify(ev, &r, 3, fake.pk), SK_ERR_VERIFY);
	assert_int_equal(ev->n, 0);
	assert_non_null(strstr(sk_error_detail(), "leaf 3"));
	/* a page starting before what was asked, or out of order */
	EFAIL(ps_events_verify(ev, &r, 4, rk.pk), SK_ERR_INVALID);
	se[2].leaf_index = 4;
	EFAIL(ps_events_verify(ev, &r, 3, rk.pk), SK_ERR_INVALID);
	se[2].leaf_index = 5;
	/* a signature over other bytes */
	bufs[1][3] ^= 1;
	EFAIL(ps_events_verify(ev, &r, 3, rk.pk), SK_ERR_VERIFY);
	bufs[1][3] ^= 1;
	r.n_events = PS_EVENTS_BATCH + 1;
	EFAIL(ps_events_verify(ev, &r, 3, rk.pk), SK_ERR_TOOBIG);
	r.n_events = 3;

	E(ps_events_verify(ev, &r, 3, rk.pk));
	E(apply(s, ev));
	assert_int_equal(ev->revoked, 1);
	assert_int_equal(ev->alerts, 0);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_revoked_count(s, txn, &nrev));
	E(ps_meta_u64(s, txn, PS_META_EVENTS_FROM, 0, &from));
	E(ps_epoch_get(s, txn, 1, &e));
	mdb_txn_abort(txn);
	assert_int_equal(nrev, 1);
	assert_int_equal(from, 6);
	assert_true(e.in_log);
	assert_int_equal(e.leaf_index, 3);

	/* events for our org id that we did not cause raise alerts: another
	 * identity key, an epoch key we never made, our revocation */
	event(&se[0], bufs[0], sigs[0], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED, "ps1",
	      6, other, pk, 0);
	event(&se[1], bufs[1], sigs[1], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_EPOCH_KEY, "ps1",
	      7, NULL, other, 2);
	event(&se[2], bufs[2], sigs[2], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED, "ps1",
	      8, NULL, NULL, 0);
	E(ps_events_verify(ev, &r, 6, rk.pk));
	E(apply(s, ev));
	assert_int_equal(ev->alerts, 3);
	assert_int_equal(ev->revoked, 0);

	/* a rotate whose receipt was lost: its pending key shows up in the log */
	memcpy(pend.pk, other, 32);
	pend.pk[0] = 0;
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(ps_epoch_pending_put(s, txn, &pend));
	E(sk_db_status(mdb_txn_commit(txn)));
	event(&se[0], bufs[0], sigs[0], &rk, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_EPOCH_KEY, "ps1",
	      9, NULL, pend.pk, 2);
	r.n_events = 1;
	E(ps_events_verify(ev, &r, 9, rk.pk));
	E(apply(s, ev));
	assert_int_equal(ev->alerts, 0);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_epoch_get(s, txn, 2, &e));
	EFAIL(ps_epoch_pending_get(s, txn, &pend), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	assert_true(e.in_log);
	assert_int_equal(e.leaf_index, 9);
	assert_int_equal(e.not_after, 6);

	assert_int_equal(audit_events(s, &au), 5);
	assert_string_equal(au.names[1], "org.revoked");
	assert_string_equal(au.names[2], "member.alert");
	assert_string_equal(au.names[4], "member.alert");
	free(ev);
	ps_store_close(s);
	t_rmdir(dir);
}

static sk_status usage_seen(const char *org, const ps_usage *u, void *arg)
{
	assert_string_equal(org, "ggz");
	*(ps_usage *)arg = *u;
	return SK_OK;
}

static void test_usage(void **state)
{
	char *dir = t_tmpdir();
	uint8_t pk[OPRF_ELEMENT_BYTES];
	ps_store *s = make(sub(dir, "ps"), "ps1", pk);
	ps_usage u = {.day = 20500, .count = 7, .audited = 3, .grant_id = 9, .grant_used = 2}, got;
	MDB_txn *txn = NULL;
	struct events ev;
	audit_record *rec = NULL;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(ps_usage_get(s, txn, "ggz", &got));
	assert_int_equal(got.day, 0);
	assert_int_equal(got.count, 0);
	E(ps_usage_put(s, txn, "ggz", &u));
	EFAIL(ps_usage_put(s, txn, "", &u), SK_ERR_INVALID);
	E(ps_usage_get(s, txn, "ggz", &got));
	assert_true(got.day == u.day && got.count == u.count && got.audited == u.audited &&
		    got.grant_id == u.grant_id && got.grant_used == u.grant_used);
	memset(&got, 0, sizeof(got));
	E(ps_usage_scan(s, txn, usage_seen, &got));
	assert_int_equal(got.grant_used, 2);
	E(ps_audit_daily(s, txn, "ggz", 20500, 7));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(audit_events(s, &ev), 2);
	assert_string_equal(ev.names[1], "eval.daily");
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_get(s->audit, txn, 2, &rec));
	mdb_txn_abort(txn);
	assert_string_equal(rec->reason, "7 evaluations on 2026-02-16 UTC");
	assert_string_equal(rec->counterpart, "ggz");
	assert_null(rec->client);
	audit_record_free(rec);
	ps_store_close(s);
	t_rmdir(dir);
}

/* Members' certificates from enrolment and rekey events are pinned; a
 * rekey replaces the pin and is audited. */
static void test_cert_pins(void **state)
{
	char *dir = t_tmpdir();
	uint8_t pk[OPRF_ELEMENT_BYTES], pin[32];
	ps_store *s = make(sub(dir, "ps"), "ps1", pk);
	ps_events *ev = calloc(1, sizeof(*ev));
	MDB_txn *txn = NULL;
	struct events au;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	EFAIL(ps_cert_pin_get(s, txn, "wijkteam", pin), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	ev->n = 2;
	ev->next = 8;
	ev->ev[0].kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED;
	ev->ev[1].kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED;
	for (int i = 0; i < 2; i++) {
		snprintf(ev->ev[i].org_id, sizeof(ev->ev[i].org_id), "wijkteam");
		ev->ev[i].leaf_index = 6 + (uint64_t)i;
		ev->ev[i].has_cert = 1;
		memset(ev->ev[i].cert_sha256, 0x10 + i, 32);
	}
	E(apply(s, ev));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_cert_pin_get(s, txn, "wijkteam", pin));
	mdb_txn_abort(txn);
	assert_int_equal(pin[0], 0x11); /* the rekey's certificate */
	assert_int_equal(audit_events(s, &au), 2);
	assert_string_equal(au.names[1], "org.rekey");
	/* the same rekey recorded again after a rollover: nothing changes */
	ev->n = 1;
	ev->ev[0] = ev->ev[1];
	ev->ev[0].leaf_index = 4;
	ev->next = 5;
	E(apply(s, ev));
	assert_int_equal(audit_events(s, &au), 2);
	free(ev);
	ps_store_close(s);
	t_rmdir(dir);
}

#define OLD_LOG "regio.example/registry"
#define NEW_LOG "regio.example/registry/2"

/* A checkpoint of origin (size, root) signed by rk under origin's name. */
static void cp_note(const key_ed25519 *rk, const char *origin, uint64_t size,
		    const uint8_t root[32], uint8_t **out, size_t *len)
{
	note_checkpoint cp = {0};
	note_signer *k = NULL;

	E(note_signer_from_seed(&k, origin, NOTE_TYPE_ED25519, rk->sk));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = size;
	memcpy(cp.root, root, 32);
	E(note_checkpoint_sign(out, len, &cp, k));
	note_signer_free(k);
}

/* After a rollover the registry answers with the statement; the
 * pseudonymiser checks it and moves its member-event cursor back to the
 * statement's leaf, once. */
static void test_rollover(void **state)
{
	char *dir = t_tmpdir();
	uint8_t pk[OPRF_ELEMENT_BYTES], seed[32] = {9}, root[32], leaf[32], fill[32];
	uint8_t *rn = NULL, *wn = NULL, *cn = NULL, *body = NULL, sig[64], *tn = NULL;
	size_t rlen, wlen, clen, blen, tlen;
	ps_store *s = make(sub(dir, "ps"), "ps1", pk);
	Schakel__V1__ConsistencyResponse cr = SCHAKEL__V1__CONSISTENCY_RESPONSE__INIT;
	Schakel__V1__SignedRollover ro = SCHAKEL__V1__SIGNED_ROLLOVER__INIT;
	key_ed25519 rk, fake;
	ps_rollover r;
	MDB_txn *txn = NULL;
	char origin[NOTE_ORIGIN_MAX + 1];
	uint64_t from, was;
	struct events au;

	key_ed25519_from_seed(&rk, seed);
	seed[0] = 10;
	key_ed25519_from_seed(&fake, seed);
	/* the restored tree is empty, the witnessed one had 20 leaves; the new
	 * log is the statement alone */
	crypto_hash_sha256(root, NULL, 0);
	cp_note(&rk, OLD_LOG, 0, root, &rn, &rlen);
	memset(fill, 0x33, sizeof(fill));
	cp_note(&rk, OLD_LOG, 20, fill, &wn, &wlen);
	E(wire_rollover_sign(&body, &blen, sig, OLD_LOG, NEW_LOG, rn, rlen, wn, wlen, 1700000000000,
			     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, rk.sk));
	E(wire_leaf_hash(leaf, WIRE_LEAF_ROLLOVER, body, blen, sig));
	cp_note(&rk, NEW_LOG, 1, leaf, &cn, &clen);
	ro.body = (ProtobufCBinaryData){blen, body};
	ro.signature = (ProtobufCBinaryData){64, sig};
	cr.checkpoint = (ProtobufCBinaryData){clen, cn};
	cr.rollover = &ro;
	cr.has_rollover_proof = 1;
	cr.has_rollover_consistency = 1;

	E(ps_rollover_verify(&r, &cr, OLD_LOG, rk.pk));
	assert_int_equal(r.rolled, 1);
	assert_int_equal(r.restored_size, 0);
	assert_string_equal(r.new_origin, NEW_LOG);
	/* under another key, for another log, or without the statement */
	EFAIL(ps_rollover_verify(&r, &cr, OLD_LOG, fake.pk), SK_ERR_VERIFY);
	EFAIL(ps_rollover_verify(&r, &cr, "other.example/registry", rk.pk), SK_ERR_VERIFY);
	cr.rollover = NULL;
	EFAIL(ps_rollover_verify(&r, &cr, OLD_LOG, rk.pk), SK_ERR_VERIFY);
	/* a statement the new log does not hold at the restored size */
	cr.rollover = &ro;
	sig[0] ^= 1;
	EFAIL(ps_rollover_verify(&r, &cr, OLD_LOG, rk.pk), SK_ERR_VERIFY);
	sig[0] ^= 1;
	free(cn);
	cp_note(&rk, NEW_LOG, 1, fill, &cn, &clen);
	cr.checkpoint = (ProtobufCBinaryData){clen, cn};
	EFAIL(ps_rollover_verify(&r, &cr, OLD_LOG, rk.pk), SK_ERR_VERIFY);
	assert_int_equal(r.rolled, 0);
	/* no rollover: a checkpoint of the log followed */
	cp_note(&rk, OLD_LOG, 21, fill, &tn, &tlen);
	cr.rollover = NULL;
	cr.checkpoint = (ProtobufCBinaryData){tlen, tn};
	E(ps_rollover_verify(&r, &cr, OLD_LOG, rk.pk));
	assert_int_equal(r.rolled, 0);

	/* two rollovers behind: a chain OLD -> MID -> NEW2. MID is [stmt1]; its
	 * checkpoint is the second statement's restored and witnessed one; NEW2
	 * is [stmt1, stmt2] */
	{
		uint8_t *b2 = NULL, sig2[64], leaf2[32], root2[32], pair[65], *mn = NULL, *n2 = NULL;
		size_t b2len, mlen, n2len;
		Schakel__V1__RolloverRequest link = SCHAKEL__V1__ROLLOVER_REQUEST__INIT, *links[1];
		Schakel__V1__SignedRollover s1 = SCHAKEL__V1__SIGNED_ROLLOVER__INIT,
					    s2 = SCHAKEL__V1__SIGNED_ROLLOVER__INIT;
		Schakel__V1__ConsistencyResponse cc = SCHAKEL__V1__CONSISTENCY_RESPONSE__INIT;

		free(body);
		body = NULL;
		E(wire_rollover_sign(&body, &blen, sig, OLD_LOG, "regio.example/registry/mid", rn,
				     rlen, wn, wlen, 1700000000000,
				     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, rk.sk));
		E(wire_leaf_hash(leaf, WIRE_LEAF_ROLLOVER, body, blen, sig));
		cp_note(&rk, "regio.example/registry/mid", 1, leaf, &mn, &mlen);
		E(wire_rollover_sign(&b2, &b2len, sig2, "regio.example/registry/mid", NEW_LOG, mn, mlen,
				     mn, mlen, 1700000001000,
				     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, rk.sk));
		E(wire_leaf_hash(leaf2, WIRE_LEAF_ROLLOVER, b2, b2len, sig2));
		pair[0] = 1;
		memcpy(pair + 1, leaf, 32);
		memcpy(pair + 33, leaf2, 32);
		crypto_hash_sha256(root2, pair, sizeof(pair));
		cp_note(&rk, NEW_LOG, 2, root2, &n2, &n2len);
		s1.body = (ProtobufCBinaryData){blen, body};
		s1.signature = (ProtobufCBinaryData){64, sig};
		link.statement = &s1;
		link.checkpoint = (ProtobufCBinaryData){mlen, mn};
		links[0] = &link;
		s2.body = (ProtobufCBinaryData){b2len, b2};
		s2.signature = (ProtobufCBinaryData){64, sig2};
		cc.checkpoint = (ProtobufCBinaryData){n2len, n2};
		cc.n_chain = 1;
		cc.chain = links;
		cc.rollover = &s2;
		cc.has_rollover_proof = 1;
		cc.rollover_proof = (ProtobufCBinaryData){32, leaf};
		cc.has_rollover_consistency = 1;
		cc.rollover_consistency = (ProtobufCBinaryData){32, leaf2};
		E(ps_rollover_verify(&r, &cc, OLD_LOG, rk.pk));
		assert_int_equal(r.rolled, 1);
		assert_int_equal(r.restored_size, 0);
		assert_string_equal(r.new_origin, NEW_LOG);
		/* the last link alone does not roll over the log followed */
		cc.n_chain = 0;
		EFAIL(ps_rollover_verify(&r, &cc, OLD_LOG, rk.pk), SK_ERR_VERIFY);
		assert_int_equal(r.rolled, 0);
		free(b2);
		free(mn);
		free(n2);
	}

	/* the cursor was past the statement's leaf: back to it, once */
	r.rolled = 1;
	r.restored_size = 12;
	snprintf(r.new_origin, sizeof(r.new_origin), "%s", NEW_LOG);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(ps_meta_u64_put(s, txn, PS_META_EVENTS_FROM, 20));
	E(ps_rollover_apply(s, txn, OLD_LOG, &r, &was));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(was, 20);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(ps_meta_u64(s, txn, PS_META_EVENTS_FROM, 0, &from));
	E(ps_meta_str(s, txn, PS_META_LOG_ORIGIN, origin, sizeof(origin)));
	mdb_txn_abort(txn);
	assert_int_equal(from, 12);
	assert_string_equal(origin, NEW_LOG);
	assert_int_equal(audit_events(s, &au), 2);
	assert_string_equal(au.names[1], "registry.rollover");
	/* a cursor below the statement stays where it is */
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(ps_meta_u64_put(s, txn, PS_META_EVENTS_FROM, 5));
	E(ps_rollover_apply(s, txn, OLD_LOG, &r, &was));
	E(ps_meta_u64(s, txn, PS_META_EVENTS_FROM, 0, &from));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(from, 5);
	free(rn);
	free(wn);
	free(cn);
	free(tn);
	free(body);
	ps_store_close(s);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),   cmocka_unit_test(test_allow),
		cmocka_unit_test(test_join),   cmocka_unit_test(test_events),
		cmocka_unit_test(test_usage),  cmocka_unit_test(test_cert_pins),
		cmocka_unit_test(test_rollover),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
