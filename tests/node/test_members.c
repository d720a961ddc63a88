/* The node's member directory (node_members_apply) as sync feeds it the
 * log's member events: a rekeyed member's MEMBER_REFRESHED leaf replaces
 * its identity key and voids the encryption keys the old identity certified
 * (docs/threat-model.md, "Compromised node"). */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "net/cert.h"
#include "node/members.h"
#include "node/store.h"
#include "protos/domains.h"

#define NOW_MS 1795000000000ull
#define NOT_AFTER (NOW_MS / 1000 + 86400)

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
	key_ed25519 ca;
	uint8_t *ca_der;
	size_t ca_len;
} fixture;

static fixture F;

static int setup(void **state)
{
	uint8_t seed[32];

	E(sk_init());
	F.dir = t_tmpdir();
	E(sk_kek_open(&F.kek, NULL, 1));
	E(node_store_init(F.dir, "wijkteam", "Wijkteam", "sociaal-team", F.kek));
	E(node_store_open(&F.s, F.dir, F.kek));
	memset(seed, 7, sizeof(seed));
	key_ed25519_from_seed(&F.ca, seed);
	E(net_cert_ca_create(&F.ca_der, &F.ca_len, "Test", 0, 4102444800, &F.ca));
	return 0;
}

static int teardown(void **state)
{
	node_store_close(F.s);
	sk_kek_free(F.kek);
	free(F.ca_der);
	t_rmdir(F.dir);
	return 0;
}

/* ENROLLED or REFRESHED: altrecht with identity id and a certificate for tls */
static sk_status apply_member(Schakel__V1__MemberEventKind kind, const key_ed25519 *id,
			      const key_ed25519 *tls)
{
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	uint8_t *cert = NULL, serial[NET_SERIAL_BYTES];
	size_t cert_len = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	E(net_cert_issue(&cert, &cert_len, serial, "altrecht", "Altrecht", "ggz", tls->pk, 0,
			 4102444800, F.ca_der, F.ca_len, &F.ca));
	ev.kind = kind;
	ev.org_id = "altrecht";
	ev.time = NOW_MS;
	ev.has_cert = ev.has_identity_key = 1;
	ev.cert = (ProtobufCBinaryData){cert_len, cert};
	ev.identity_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, (uint8_t *)id->pk};
	E(sk_db_status(mdb_txn_begin(F.s->env, NULL, 0, &txn)));
	st = node_members_apply(F.s, txn, &ev, F.ca_der, F.ca_len);
	if (st == SK_OK)
		E(sk_db_status(mdb_txn_commit(txn)));
	else
		mdb_txn_abort(txn);
	free(cert);
	return st;
}

/* ENC_KEY: enc, certified by signer */
static sk_status apply_enc(const key_x25519 *enc, const key_ed25519 *signer)
{
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	uint8_t sig[KEY_SIG_BYTES];
	MDB_txn *txn = NULL;
	sk_status st;

	E(key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, enc->pk, NOT_AFTER, signer->sk));
	ev.kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENC_KEY;
	ev.org_id = "altrecht";
	ev.time = NOW_MS;
	ev.has_encryption_key = ev.has_enc_not_after = ev.has_enc_signature = 1;
	ev.encryption_key = (ProtobufCBinaryData){KEY_X25519_PK_BYTES, (uint8_t *)enc->pk};
	ev.enc_not_after = NOT_AFTER;
	ev.enc_signature = (ProtobufCBinaryData){KEY_SIG_BYTES, sig};
	E(sk_db_status(mdb_txn_begin(F.s->env, NULL, 0, &txn)));
	st = node_members_apply(F.s, txn, &ev, F.ca_der, F.ca_len);
	if (st == SK_OK)
		E(sk_db_status(mdb_txn_commit(txn)));
	else
		mdb_txn_abort(txn);
	return st;
}

static void get(node_member *m)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(F.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_members_get(F.s, txn, "altrecht", m));
	mdb_txn_abort(txn);
}

static void test_refresh(void **state)
{
	key_ed25519 id1, tls1, id2, tls2;
	key_x25519 enc1, enc2;
	node_member m;
	uint8_t seed[32];

	for (int i = 0; i < 6; i++) {
		memset(seed, 20 + i, sizeof(seed));
		if (i == 0)
			key_ed25519_from_seed(&id1, seed);
		else if (i == 1)
			key_ed25519_from_seed(&tls1, seed);
		else if (i == 2)
			key_ed25519_from_seed(&id2, seed);
		else if (i == 3)
			key_ed25519_from_seed(&tls2, seed);
		else if (i == 4)
			key_x25519_from_seed(&enc1, seed);
		else
			key_x25519_from_seed(&enc2, seed);
	}
	E(apply_member(SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED, &id1, &tls1));
	E(apply_enc(&enc1, &id1));
	get(&m);
	assert_memory_equal(m.identity_pk, id1.pk, KEY_ED25519_PK_BYTES);
	assert_int_equal(m.n_enc, 1);
	assert_memory_equal(m.enc[0].pk, enc1.pk, KEY_X25519_PK_BYTES);

	/* the same identity refreshed (a new certificate only): keys stay */
	E(apply_member(SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED, &id1, &tls2));
	get(&m);
	assert_int_equal(m.n_enc, 1);

	/* a rekey: the new identity, and the old one's encryption keys void */
	E(apply_member(SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED, &id2, &tls2));
	get(&m);
	assert_memory_equal(m.identity_pk, id2.pk, KEY_ED25519_PK_BYTES);
	assert_int_equal(m.n_enc, 0);
	/* an encryption key the old identity certifies is an integrity failure */
	EFAIL(apply_enc(&enc2, &id1), SK_ERR_VERIFY);
	E(apply_enc(&enc2, &id2));
	get(&m);
	assert_int_equal(m.n_enc, 1);
	assert_memory_equal(m.enc[0].pk, enc2.pk, KEY_X25519_PK_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
