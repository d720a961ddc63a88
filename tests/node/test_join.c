/* Joining a federation: bundles built here with a throwaway CA and
 * registry key (net/cert), installed on a real node, refreshed, and
 * refused when forged, stale, from another registry or not ours. */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/init.h"
#include "crypto/note.h"
#include "crypto/oprf.h"
#include "net/cert.h"
#include "node/join.h"
#include "node/rekey.h"
#include "node/store.h"
#include "protos/domains.h"

#define ORIGIN "test.example/registry"

typedef struct fed {
	key_ed25519 ca, reg;
	uint8_t *ca_der;
	size_t ca_len;
} fed;

typedef struct bopts {
	const char *org, *category;
	const uint8_t *tls_pk;
	const fed *cert_ca;   /* who issues the member certificate (default: the fed) */
	uint64_t issued_at;
	size_t n_ps, n_witnesses;
	uint32_t quorum;
	int bad_sig, bad_oprf, narrow_policy, expired_cert;
	const char *address;
} bopts;

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void fed_init(fed *x, const char *name)
{
	key_ed25519_generate(&x->ca);
	key_ed25519_generate(&x->reg);
	E(net_cert_ca_create(&x->ca_der, &x->ca_len, name, now_s() - 3600, now_s() + 86400 * 365,
			     &x->ca));
}

static void fed_free(fed *x)
{
	free(x->ca_der);
}

/* A signed bundle for o (malloc'd into *out). */
static void make_bundle(const fed *x, const bopts *o, uint8_t **out, size_t *out_len)
{
	Schakel__V1__BundleBody b = SCHAKEL__V1__BUNDLE_BODY__INIT;
	Schakel__V1__SignedBundle sb = SCHAKEL__V1__SIGNED_BUNDLE__INIT;
	Schakel__V1__PseudonymiserInfo ps[4], *psp[4];
	Schakel__V1__WitnessInfo w[4], *wp[4];
	uint8_t oprf_sk[32], oprf_pk[4][32], id_pk[4][32], serial[NET_SERIAL_BYTES], sig[64];
	char vkey[4][NOTE_VKEY_MAX], psid[4][24];
	const fed *issuer = o->cert_ca != NULL ? o->cert_ca : x;
	wire_policy_rules *rules = malloc(sizeof(*rules));
	wire_policy pol;
	uint8_t *cert = NULL, *body = NULL;
	size_t cert_len = 0, n, nrules = 0;
	int64_t nb = o->expired_cert ? now_s() - 7200 : now_s() - 60;

	assert_non_null(rules);
	E(net_cert_issue(&cert, &cert_len, serial, o->org, "Org", o->category, o->tls_pk, nb,
			 o->expired_cert ? now_s() - 3600 : now_s() + 86400, issuer->ca_der,
			 issuer->ca_len, &issuer->ca));
	for (size_t i = 0; i < o->n_ps; i++) {
		schakel__v1__pseudonymiser_info__init(&ps[i]);
		snprintf(psid[i], sizeof(psid[i]), "ps-%zu", i + 1);
		oprf_keypair_generate(oprf_sk, oprf_pk[i]);
		if (o->bad_oprf)
			memset(oprf_pk[i], 0, 32); /* the identity element */
		randombytes_buf(id_pk[i], 32);
		ps[i].org_id = psid[i];
		ps[i].address = "127.0.0.1:7500";
		ps[i].oprf_key = (ProtobufCBinaryData){32, oprf_pk[i]};
		ps[i].epoch = 1;
		ps[i].identity_key = (ProtobufCBinaryData){32, id_pk[i]};
		psp[i] = &ps[i];
	}
	for (size_t i = 0; i < o->n_witnesses; i++) {
		note_signer *sg = NULL;
		note_verifier v;

		E(note_signer_generate(&sg, "witness.example/w", NOTE_TYPE_COSIG));
		note_signer_verifier(&v, sg);
		E(note_verifier_format(vkey[i], &v));
		note_signer_free(sg);
		schakel__v1__witness_info__init(&w[i]);
		w[i].id = "w1";
		w[i].url = "https://witness.example/";
		w[i].vkey = vkey[i];
		wp[i] = &w[i];
	}
	wire_policy_default(&pol);
	if (o->narrow_policy) {
		memset(&pol, 0, sizeof(pol));
		pol.n = 2;
		snprintf(pol.name[0], sizeof(pol.name[0]), "ggz");
		snprintf(pol.name[1], sizeof(pol.name[1]), "jeugd");
		pol.sees[0] = pol.sees[1] = 3;
	}
	wire_policy_to_rules(rules, &pol, &nrules);
	b.federation = ORIGIN;
	b.ca_cert = (ProtobufCBinaryData){x->ca_len, x->ca_der};
	b.member_cert = (ProtobufCBinaryData){cert_len, cert};
	b.registry_address = (char *)(o->address != NULL ? o->address : "127.0.0.1:7400");
	b.registry_key = (ProtobufCBinaryData){32, (uint8_t *)x->reg.pk};
	b.log_origin = ORIGIN;
	b.n_pseudonymisers = o->n_ps;
	b.pseudonymisers = psp;
	b.n_witnesses = o->n_witnesses;
	b.witnesses = wp;
	b.has_quorum = 1;
	b.quorum = o->quorum;
	b.n_policy = nrules;
	b.policy = rules->ptr;
	b.issued_at = o->issued_at;
	b.registry_org_id = "registry";
	n = schakel__v1__bundle_body__get_packed_size(&b);
	body = malloc(n);
	assert_non_null(body);
	schakel__v1__bundle_body__pack(&b, body);
	E(key_sign(sig, WIRE_DOMAIN_BUNDLE, body, n, x->reg.sk));
	if (o->bad_sig)
		sig[5] ^= 1;
	sb.body = (ProtobufCBinaryData){n, body};
	sb.signature = (ProtobufCBinaryData){64, sig};
	*out_len = schakel__v1__signed_bundle__get_packed_size(&sb);
	*out = malloc(*out_len);
	assert_non_null(*out);
	schakel__v1__signed_bundle__pack(&sb, *out);
	free(body);
	free(cert);
	free(rules);
}

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
	fed f;
	bopts o;
} fixture;

static void setup(fixture *x)
{
	x->dir = t_tmpdir();
	E(sk_kek_open(&x->kek, NULL, 1));
	E(node_store_init(x->dir, "wijkteam-oost", "Wijkteam Oost", "sociaal-team", x->kek));
	E(node_store_open(&x->s, x->dir, x->kek));
	fed_init(&x->f, "Regio Test");
	memset(&x->o, 0, sizeof(x->o));
	x->o.org = "wijkteam-oost";
	x->o.category = "sociaal-team";
	x->o.tls_pk = x->s->tls_pk;
	x->o.issued_at = sk_clock_now_ms() - 1000;
	x->o.n_ps = 2;
	x->o.n_witnesses = 1;
	x->o.quorum = 1;
}

static void teardown(fixture *x)
{
	node_store_close(x->s);
	sk_kek_free(x->kek);
	fed_free(&x->f);
	t_rmdir(x->dir);
}

/* node_join of the bundle o describes, signed by f. */
static sk_status join_with(fixture *x, const fed *f, const bopts *o, int *refreshed)
{
	uint8_t *b = NULL;
	size_t len = 0;
	sk_status st;

	make_bundle(f, o, &b, &len);
	st = node_join(x->s, b, len, sk_clock_now_ms(), refreshed);
	free(b);
	return st;
}

static int audit_count(node_store *s, const char *event, audit_outcome outcome);

static void test_join(void **state)
{
	fixture x;
	node_federation *fd = NULL;
	MDB_txn *txn = NULL;
	int refreshed = -1;

	setup(&x);
	assert_int_equal(x.s->joined, 0);
	E(sk_db_status(mdb_txn_begin(x.s->env, NULL, MDB_RDONLY, &txn)));
	EFAIL(node_federation_load(x.s, txn, &fd), SK_ERR_NOTFOUND);
	assert_non_null(strstr(sk_error_detail(), "join"));
	mdb_txn_abort(txn);

	E(join_with(&x, &x.f, &x.o, &refreshed));
	assert_int_equal(refreshed, 0);
	assert_int_equal(x.s->joined, 1);
	E(sk_db_status(mdb_txn_begin(x.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_federation_load(x.s, txn, &fd));
	mdb_txn_abort(txn);
	assert_string_equal(fd->federation, ORIGIN);
	assert_string_equal(fd->log_origin, ORIGIN);
	assert_string_equal(fd->registry_address, "127.0.0.1:7400");
	assert_string_equal(fd->registry_org_id, "registry");
	assert_memory_equal(fd->registry_key, x.f.reg.pk, 32);
	assert_int_equal(fd->n_pseudonymisers, 2);
	assert_string_equal(fd->pseudonymisers[0].org_id, "ps-1"); /* chain order */
	assert_string_equal(fd->pseudonymisers[1].org_id, "ps-2");
	assert_string_equal(fd->pseudonymisers[1].address, "127.0.0.1:7500");
	assert_int_equal(fd->pseudonymisers[0].epoch, 1);
	E(oprf_element_check(fd->pseudonymisers[0].oprf_key));
	assert_int_equal(fd->n_witnesses, 1);
	assert_int_equal(fd->quorum, 1);
	assert_int_equal(fd->ca_cert_len, x.f.ca_len);
	assert_int_equal(wire_policy_index(&fd->policy, "sociaal-team"), 0);
	node_federation_free(fd);
	fd = NULL;

	/* a restart keeps the pinned federation and its policy */
	node_store_close(x.s);
	E(node_store_open(&x.s, x.dir, x.kek));
	assert_int_equal(x.s->joined, 1);
	assert_int_equal(x.s->policy.n, 10);

	/* a refreshed bundle from the same registry replaces the rest */
	x.o.tls_pk = x.s->tls_pk;
	x.o.issued_at = sk_clock_now_ms();
	x.o.n_ps = 1;
	x.o.n_witnesses = 0;
	x.o.quorum = 0;
	x.o.address = "10.0.0.1:7400";
	E(join_with(&x, &x.f, &x.o, &refreshed));
	assert_int_equal(refreshed, 1);
	E(sk_db_status(mdb_txn_begin(x.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_federation_load(x.s, txn, &fd));
	mdb_txn_abort(txn);
	assert_int_equal(fd->n_pseudonymisers, 1);
	assert_int_equal(fd->n_witnesses, 0);
	assert_string_equal(fd->registry_address, "10.0.0.1:7400");
	node_federation_free(fd);
	assert_int_equal(audit_count(x.s, "node.join", AUDIT_OUTCOME_OK), 1);
	assert_int_equal(audit_count(x.s, "node.rejoin", AUDIT_OUTCOME_OK), 1);

	/* an older bundle is refused */
	x.o.issued_at -= 60000;
	EFAIL(join_with(&x, &x.f, &x.o, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "older"));
	teardown(&x);
}

static void test_other_registry(void **state)
{
	fixture x;
	fed other;

	setup(&x);
	E(join_with(&x, &x.f, &x.o, NULL));
	/* a bundle, valid in itself, from another registry */
	fed_init(&other, "Regio Elders");
	x.o.issued_at = sk_clock_now_ms();
	EFAIL(join_with(&x, &other, &x.o, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "different registry"));
	/* its registry key stays pinned: a fresh node could join it */
	fed_free(&other);
	teardown(&x);
}

static void test_refused(void **state)
{
	fixture x;
	fed other;
	key_ed25519 k;
	uint8_t junk[64];
	bopts o;

	setup(&x);
	fed_init(&other, "Regio Elders");
	key_ed25519_generate(&k);

	o = x.o;
	o.bad_sig = 1;
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_VERIFY);
	o = x.o;
	o.org = "someone-else";
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "someone-else"));
	o = x.o;
	o.tls_pk = k.pk;
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "TLS key"));
	o = x.o;
	o.category = "ggz";
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_PERM);
	o = x.o;
	o.cert_ca = &other; /* a certificate from another CA */
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_VERIFY);
	o = x.o;
	o.expired_cert = 1;
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_VERIFY);
	o = x.o;
	o.quorum = 2;
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_INVALID);
	o = x.o;
	o.bad_oprf = 1;
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_INVALID);
	o = x.o;
	o.address = "";
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_INVALID);
	o = x.o;
	o.narrow_policy = 1;
	EFAIL(join_with(&x, &x.f, &o, NULL), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "sociaal-team"));
	randombytes_buf(junk, sizeof(junk));
	EFAIL(node_join(x.s, junk, sizeof(junk), sk_clock_now_ms(), NULL), SK_ERR_INVALID);
	EFAIL(node_join(x.s, junk, 0, sk_clock_now_ms(), NULL), SK_ERR_INVALID);
	/* nothing was installed, and refusals are audited */
	assert_int_equal(x.s->joined, 0);
	assert_true(audit_count(x.s, "node.join", AUDIT_OUTCOME_DENIED) >= 10);
	assert_int_equal(audit_count(x.s, "node.join", AUDIT_OUTCOME_OK), 0);
	fed_free(&other);
	teardown(&x);
}

/* A stored bundle that no longer verifies stops the node. */
static void test_tampered(void **state)
{
	fixture x;
	MDB_txn *txn = NULL;
	uint8_t *b = NULL;
	size_t len = 0;

	setup(&x);
	E(join_with(&x, &x.f, &x.o, NULL));
	E(sk_db_status(mdb_txn_begin(x.s->env, NULL, 0, &txn)));
	E(node_meta_get(x.s, txn, "bundle", &b, &len));
	b[len - 1] ^= 1; /* the signature's last byte */
	E(node_meta_put(x.s, txn, "bundle", b, len));
	E(sk_db_status(mdb_txn_commit(txn)));
	free(b);
	node_store_close(x.s);
	EFAIL(node_store_open(&x.s, x.dir, x.kek), SK_ERR_VERIFY);
	assert_null(x.s);
	assert_non_null(strstr(sk_error_detail(), "no longer verifies"));
	teardown(&x);
}

typedef struct count_ctx {
	const char *event;
	audit_outcome outcome;
	int n;
} count_ctx;

static sk_status count_fn(const audit_record *r, void *arg)
{
	count_ctx *c = arg;

	if (strcmp(r->event, c->event) == 0 && r->outcome == c->outcome)
		c->n++;
	return SK_OK;
}

static int audit_count(node_store *s, const char *event, audit_outcome outcome)
{
	count_ctx c = {event, outcome, 0};
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_scan(s->audit, txn, 1, 0, count_fn, &c));
	mdb_txn_abort(txn);
	return c.n;
}

/* A rekey: the new keys wait until the bundle with their certificate is
 * joined; a bundle for any other key is refused; a crash after the key
 * files moved but before the commit is finished by joining again. */
static void test_rekey(void **state)
{
	static const char *const files[] = {NODE_FILE_IDENTITY, NODE_FILE_TLS, NODE_FILE_ENCRYPTION};
	fixture x;
	uint8_t old_id[32], pending[32];
	key_ed25519 id, other;
	key_x25519 enc;
	MDB_txn *txn = NULL;
	char from[600], to[600];

	setup(&x);
	EFAIL(node_rekey(x.s, x.kek), SK_ERR_INVALID); /* not joined yet */
	E(join_with(&x, &x.f, &x.o, NULL));
	memcpy(old_id, x.s->identity_pk, 32);
	E(node_rekey(x.s, x.kek));
	EFAIL(node_rekey(x.s, x.kek), SK_ERR_EXISTS);
	assert_memory_equal(x.s->identity_pk, old_id, 32);
	E(node_identity_load(x.s, x.kek, &id)); /* the old keys still serve */
	key_ed25519_wipe(&id);
	E(sk_db_status(mdb_txn_begin(x.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_rekey_pending(x.s, txn, pending));
	mdb_txn_abort(txn);

	key_ed25519_generate(&other);
	x.o.tls_pk = other.pk;
	x.o.issued_at = sk_clock_now_ms();
	EFAIL(join_with(&x, &x.f, &x.o, NULL), SK_ERR_PERM);

	/* the crash: files moved, nothing committed */
	for (size_t i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s/%s.new", x.dir, files[i]);
		snprintf(to, sizeof(to), "%s/%s", x.dir, files[i]);
		assert_int_equal(rename(from, to), 0);
	}
	x.o.tls_pk = pending;
	x.o.issued_at = sk_clock_now_ms();
	E(join_with(&x, &x.f, &x.o, NULL));
	assert_memory_equal(x.s->tls_pk, pending, 32);
	assert_memory_not_equal(x.s->identity_pk, old_id, 32);

	node_store_close(x.s);
	E(node_store_open(&x.s, x.dir, x.kek));
	E(node_identity_load(x.s, x.kek, &id));
	assert_memory_equal(id.pk, x.s->identity_pk, 32);
	key_ed25519_wipe(&id);
	E(node_tls_key_load(x.s, x.kek, &id));
	assert_memory_equal(id.pk, pending, 32);
	key_ed25519_wipe(&id);
	E(node_enc_key_load(x.s, x.kek, &enc));
	key_x25519_wipe(&enc);
	E(sk_db_status(mdb_txn_begin(x.s->env, NULL, MDB_RDONLY, &txn)));
	EFAIL(node_rekey_pending(x.s, txn, pending), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	assert_int_equal(audit_count(x.s, "node.rekey.request", AUDIT_OUTCOME_OK), 1);
	assert_int_equal(audit_count(x.s, "node.rekey", AUDIT_OUTCOME_OK), 1);
	/* and a next rekey may start */
	E(node_rekey(x.s, x.kek));
	teardown(&x);
}

/* The registry is known by its role and pinned TLS key, not by its name:
 * node_registry_check with and without a pin in the bundle. */
static void test_registry_check(void **state)
{
	node_federation *f = calloc(1, sizeof(*f));
	net_peer peer;

	(void)state;
	assert_non_null(f);
	snprintf(f->registry_org_id, sizeof(f->registry_org_id), "registry");
	snprintf(f->registry_address, sizeof(f->registry_address), "127.0.0.1:1");
	memset(&peer, 0, sizeof(peer));
	snprintf(peer.org_id, sizeof(peer.org_id), "registry");
	snprintf(peer.category, sizeof(peer.category), "registry");
	randombytes_buf(peer.tls_pk, sizeof(peer.tls_pk));
	/* a bundle from before pinning: name and role */
	E(node_registry_check(f, &peer));
	snprintf(peer.category, sizeof(peer.category), "ggz"); /* a member named 'registry' */
	EFAIL(node_registry_check(f, &peer), SK_ERR_VERIFY);
	snprintf(peer.category, sizeof(peer.category), "registry");
	snprintf(peer.org_id, sizeof(peer.org_id), "other");
	EFAIL(node_registry_check(f, &peer), SK_ERR_VERIFY);
	snprintf(peer.org_id, sizeof(peer.org_id), "registry");
	/* pinned: only that key */
	f->has_registry_tls_key = 1;
	memcpy(f->registry_tls_key, peer.tls_pk, sizeof(peer.tls_pk));
	E(node_registry_check(f, &peer));
	peer.tls_pk[0] ^= 1; /* another registry of the same CA */
	EFAIL(node_registry_check(f, &peer), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "pins"));
	peer.tls_pk[0] ^= 1;
	snprintf(peer.category, sizeof(peer.category), "ggz"); /* the pinned key, wrong role */
	EFAIL(node_registry_check(f, &peer), SK_ERR_VERIFY);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_other_registry),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_registry_check),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
