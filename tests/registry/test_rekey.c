/* The operator's side of a node's rekey (reg_rekey) on a real registry and
 * CA: a request signed by the current and the new identity key is
 * accepted once, changes the member record and appends MEMBER_REFRESHED;
 * every wrong signature, another org, a replay, equal keys, a revoked
 * member and garbage are refused without changing anything. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "net/cert.h"
#include "protos/wire.h"
#include "registry/enrol.h"

typedef struct fx {
	char *dir, *ca_dir, *reg_dir;
	sk_kek *kek;
	reg_store *r;
	reg_ca *ca;
	key_ed25519 id, tls;
} fx;

static reg_enrol_opts eo = {.registry_address = "127.0.0.1:1"};

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	uint8_t enc[32], *req = NULL, *bundle = NULL;
	size_t len = 0, blen = 0;
	char path[600], org[64];

	E(sk_init());
	E(sk_kek_open(&f->kek, NULL, 1));
	f->dir = t_tmpdir();
	f->ca_dir = malloc(600);
	f->reg_dir = malloc(600);
	snprintf(f->ca_dir, 600, "%s/ca", f->dir);
	snprintf(f->reg_dir, 600, "%s/r", f->dir);
	E(reg_ca_init(f->ca_dir, "Regio Test", f->kek));
	E(reg_store_init(f->reg_dir, "test.example/registry", "registry", f->kek));
	E(reg_store_open(&f->r, f->reg_dir, f->kek));
	E(reg_ca_open(&f->ca, f->ca_dir, f->kek));
	E(reg_tls_ensure(f->r, f->ca, f->kek));
	key_ed25519_generate(&f->id);
	key_ed25519_generate(&f->tls);
	randombytes_buf(enc, sizeof(enc));
	b.org_id = "wijkteam";
	b.name = "Wijkteam";
	b.category = "sociaal-team";
	b.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	b.identity_key = (ProtobufCBinaryData){32, f->id.pk};
	b.tls_key = (ProtobufCBinaryData){32, f->tls.pk};
	b.created_at = 1;
	snprintf(path, sizeof(path), "%s/request", f->dir);
	E(wire_enrol_request_write(path, &b, f->id.sk));
	E(sk_file_read(path, 65536, &req, &len));
	E(reg_enrol(f->r, f->ca, req, len, &eo, &bundle, &blen, org));
	free(req);
	free(bundle);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	reg_ca_close(f->ca);
	reg_store_close(f->r);
	sk_kek_free(f->kek);
	free(f->ca_dir);
	free(f->reg_dir);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

typedef struct req {
	const char *org;
	const key_ed25519 *old_signer, *new_signer; /* who signs; NULL: the real keys */
	const uint8_t *old_pk;                      /* the body's old key; NULL: the real one */
	int same_tls;                               /* new TLS key = new identity key */
} req;

/* A SignedRekeyRequest (malloc'd) and the new identity it asks for. */
static uint8_t *make(const fx *f, const req *q, key_ed25519 *nid, key_ed25519 *ntls, size_t *len)
{
	Schakel__V1__RekeyRequestBody b = SCHAKEL__V1__REKEY_REQUEST_BODY__INIT;
	Schakel__V1__SignedRekeyRequest sr = SCHAKEL__V1__SIGNED_REKEY_REQUEST__INIT;
	uint8_t enc[32], body[512], s1[64], s2[64], *out;
	size_t n;

	key_ed25519_generate(nid);
	key_ed25519_generate(ntls);
	randombytes_buf(enc, sizeof(enc));
	b.org_id = (char *)(q->org ? q->org : "wijkteam");
	b.old_identity_key = (ProtobufCBinaryData){32, (uint8_t *)(q->old_pk ? q->old_pk : f->id.pk)};
	b.identity_key = (ProtobufCBinaryData){32, nid->pk};
	b.tls_key = (ProtobufCBinaryData){32, q->same_tls ? nid->pk : ntls->pk};
	b.encryption_key = (ProtobufCBinaryData){32, enc};
	b.created_at = 2;
	n = schakel__v1__rekey_request_body__pack(&b, body);
	E(key_sign(s1, WIRE_DOMAIN_REKEY_REQUEST, body, n, (q->old_signer ? q->old_signer : &f->id)->sk));
	E(key_sign(s2, WIRE_DOMAIN_REKEY_REQUEST, body, n, (q->new_signer ? q->new_signer : nid)->sk));
	sr.body = (ProtobufCBinaryData){n, body};
	sr.old_signature = (ProtobufCBinaryData){64, s1};
	sr.new_signature = (ProtobufCBinaryData){64, s2};
	*len = schakel__v1__signed_rekey_request__get_packed_size(&sr);
	out = malloc(*len);
	schakel__v1__signed_rekey_request__pack(&sr, out);
	return out;
}

static void member(const fx *f, uint8_t id_pk[32], uint8_t tls_pk[32], uint64_t *leaves)
{
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;
	MDB_stat ms;

	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	E(reg_member_get(f->r, txn, "wijkteam", &m));
	memcpy(id_pk, m->identity_key.data, 32);
	memcpy(tls_pk, m->tls_key.data, 32);
	assert_int_equal(mdb_stat(txn, f->r->leafdata, &ms), 0);
	*leaves = ms.ms_entries;
	schakel__v1__member__free_unpacked(m, NULL);
	mdb_txn_abort(txn);
}

/* q is refused with want and nothing changes. */
static void refused(fx *f, const req *q, const char *org, sk_status want)
{
	key_ed25519 nid, ntls;
	uint8_t id0[32], tls0[32], id1[32], tls1[32], *r, *bundle = NULL;
	uint64_t l0, l1;
	size_t len, blen = 0;

	member(f, id0, tls0, &l0);
	r = make(f, q, &nid, &ntls, &len);
	EFAIL(reg_rekey(f->r, f->ca, org, r, len, &eo, &bundle, &blen), want);
	assert_null(bundle);
	member(f, id1, tls1, &l1);
	assert_memory_equal(id0, id1, 32);
	assert_memory_equal(tls0, tls1, 32);
	assert_int_equal(l0, l1);
	free(r);
}

static void test_rekey(void **state)
{
	fx *f = *state;
	key_ed25519 nid, ntls, other;
	uint8_t id[32], tls[32], *r, *bundle = NULL, *again = NULL;
	Schakel__V1__SignedBundle *sb;
	Schakel__V1__BundleBody *bb;
	net_peer peer;
	uint64_t l0, l1;
	size_t len, blen = 0, alen = 0;
	req q = {0};

	key_ed25519_generate(&other);
	refused(f, &(req){.old_signer = &other}, "wijkteam", SK_ERR_VERIFY);
	refused(f, &(req){.new_signer = &other}, "wijkteam", SK_ERR_VERIFY);
	refused(f, &(req){.old_pk = other.pk, .old_signer = &other}, "wijkteam", SK_ERR_PERM);
	refused(f, &q, "ggz", SK_ERR_NOTFOUND);
	refused(f, &(req){.org = "ggz"}, "wijkteam", SK_ERR_PERM);
	refused(f, &(req){.same_tls = 1}, "wijkteam", SK_ERR_INVALID);
	EFAIL(reg_rekey(f->r, f->ca, "wijkteam", (const uint8_t *)"garbage", 7, &eo, &bundle, &blen),
	      SK_ERR_INVALID);

	member(f, id, tls, &l0);
	r = make(f, &q, &nid, &ntls, &len);
	E(reg_rekey(f->r, f->ca, "wijkteam", r, len, &eo, &bundle, &blen));
	member(f, id, tls, &l1);
	assert_memory_equal(id, nid.pk, 32);
	assert_memory_equal(tls, ntls.pk, 32);
	assert_int_equal(l1, l0 + 1); /* the MEMBER_REFRESHED leaf */
	/* the bundle carries a certificate for the new TLS key */
	assert_non_null(sb = schakel__v1__signed_bundle__unpack(NULL, blen, bundle));
	assert_non_null(bb = schakel__v1__bundle_body__unpack(NULL, sb->body.len, sb->body.data));
	E(net_cert_verify(&peer, bb->member_cert.data, bb->member_cert.len, bb->ca_cert.data,
			  bb->ca_cert.len, (int64_t)time(NULL)));
	assert_memory_equal(peer.tls_pk, ntls.pk, 32);
	assert_string_equal(peer.org_id, "wijkteam");
	schakel__v1__bundle_body__free_unpacked(bb, NULL);
	schakel__v1__signed_bundle__free_unpacked(sb, NULL);
	/* a replay is signed by an identity the registry no longer holds */
	EFAIL(reg_rekey(f->r, f->ca, "wijkteam", r, len, &eo, &again, &alen), SK_ERR_PERM);
	free(r);
	free(bundle);
	/* a revoked member gets no new keys */
	E(reg_revoke(f->r, "wijkteam", 0, &len));
	f->id = nid;
	refused(f, &q, "wijkteam", SK_ERR_PERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
