#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/init.h"
#include "common/kek.h"
#include "registry/cosign.h"
#include "witness/witness.h"

static reg_store *store_new(char *dir, sk_kek **kek)
{
	reg_store *s = NULL;
	char sub[512];

	snprintf(sub, sizeof(sub), "%s/r", dir);
	E(sk_init());
	E(sk_kek_open(kek, NULL, 1));
	E(reg_store_init(sub, "test.example/log", "registry", *kek));
	E(reg_store_open(&s, sub, *kek));
	return s;
}

/* A live member whose identity key is pk. */
static void member(reg_store *s, MDB_txn *txn, const char *org, const uint8_t pk[32], int revoked)
{
	Schakel__V1__Member m = SCHAKEL__V1__MEMBER__INIT;
	uint8_t one = 1;

	m.org_id = (char *)org;
	m.name = (char *)org;
	m.category = "witness";
	m.role = SCHAKEL__V1__ROLE__ROLE_WITNESS;
	m.identity_key = (ProtobufCBinaryData){32, (uint8_t *)pk};
	m.tls_key = (ProtobufCBinaryData){32, (uint8_t *)pk};
	m.cert = (ProtobufCBinaryData){1, &one};
	m.request = (ProtobufCBinaryData){1, &one};
	m.has_revoked_at = revoked;
	m.revoked_at = revoked ? 1 : 0;
	E(reg_member_put(s, txn, &m));
}

/* Witnesses are live members with https URLs; their key is the identity
 * key under the org id, as the witness signs with it; revoked ones drop
 * out of the list. */
static void test_witnesses(void **state)
{
	char *d = t_tmpdir();
	sk_kek *kek = NULL;
	reg_store *s = store_new(d, &kek);
	uint8_t pk[32], sk[64];
	note_signer *signer = NULL;
	note_verifier v;
	reg_witness w, list[4];
	MDB_txn *txn = NULL;
	size_t n;

	(void)state;
	crypto_sign_keypair(pk, sk);
	assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	member(s, txn, "w1", pk, 0);
	member(s, txn, "w2", pk, 0);
	member(s, txn, "gone", pk, 1);
	EFAIL(reg_witness_put(s, txn, "nobody", "https://h:1", &w), SK_ERR_NOTFOUND);
	EFAIL(reg_witness_put(s, txn, "gone", "https://h:1", &w), SK_ERR_NOTFOUND);
	EFAIL(reg_witness_put(s, txn, "w1", "http://h:1", &w), SK_ERR_INVALID);
	E(reg_witness_put(s, txn, "w1", "https://127.0.0.1:7443", &w));
	E(wit_signer_from_identity(&signer, "w1", sk));
	note_signer_verifier(&v, signer);
	assert_memory_equal(w.key.public_key, v.public_key, 32);
	assert_memory_equal(w.key.key_id, v.key_id, 4);
	E(reg_witness_put(s, txn, "w2", "https://127.0.0.1:7444/w", &w));
	E(reg_witness_list(s, txn, list, 4, &n));
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, "w1");
	assert_string_equal(list[1].url, "https://127.0.0.1:7444/w");
	member(s, txn, "w2", pk, 1); /* revoked since */
	E(reg_witness_list(s, txn, list, 4, &n));
	assert_int_equal(n, 1);
	E(mdb_txn_commit(txn) == 0 ? SK_OK : SK_ERR_DB);
	note_signer_free(signer);
	sodium_memzero(sk, sizeof(sk));
	reg_store_close(s);
	sk_kek_free(kek);
	t_rmdir(d);
}

/* Members whose bundle has a quorum get the cosigned checkpoint when it
 * covers what they verified; others, and anyone before the first round,
 * get the latest. */
static void test_served(void **state)
{
	char *d = t_tmpdir();
	sk_kek *kek = NULL;
	reg_store *s = store_new(d, &kek);
	uint8_t leaf[32] = {1}, *note = NULL, *latest = NULL;
	size_t len = 0, llen = 0;
	uint64_t size = 0, lsize = 0, idx;
	MDB_txn *txn = NULL;
	MDB_val k = {strlen("log.cosigned"), "log.cosigned"}, v = {6, "COSIG\n"};

	(void)state;
	assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	E(reg_log_append(&s->log, txn, leaf, &idx));
	E(reg_log_append(&s->log, txn, leaf, &idx));
	E(reg_checkpoint_update(s, txn));
	E(reg_log_checkpoint(&s->log, txn, &latest, &llen, &lsize));
	E(reg_member_quorum_set(s, txn, "q1", 1));
	E(reg_member_quorum_set(s, txn, "q0", 0));
	{
		uint32_t q;

		E(reg_quorum_get(s, txn, &q));
		assert_int_equal(q, 1); /* the largest of the bundles' */
		E(reg_member_quorum_set(s, txn, "q3", 3));
		E(reg_quorum_get(s, txn, &q));
		assert_int_equal(q, 3);
	}
	/* before any round: the latest for everyone */
	E(reg_checkpoint_served(s, txn, "q1", 0, &note, &len, &size));
	assert_int_equal(size, 2);
	free(note);
	/* a round stored a cosigned checkpoint of 1 leaf */
	assert_int_equal(mdb_put(txn, s->log.meta, &k, &v, 0), 0);
	E(reg_log_meta_put_u64(&s->log, txn, "log.cosigned.size", 1));
	E(reg_checkpoint_served(s, txn, "q1", 1, &note, &len, &size));
	assert_int_equal(size, 1);
	assert_memory_equal(note, "COSIG\n", 6);
	free(note);
	E(reg_checkpoint_served(s, txn, NULL, 0, &note, &len, &size)); /* tiles */
	assert_int_equal(size, 1);
	free(note);
	/* it does not cover a tree of 2; quorum 0 and unknown members: latest */
	E(reg_checkpoint_served(s, txn, "q1", 2, &note, &len, &size));
	assert_int_equal(size, 2);
	free(note);
	E(reg_checkpoint_served(s, txn, "q0", 0, &note, &len, &size));
	assert_int_equal(len, llen);
	assert_memory_equal(note, latest, llen);
	free(note);
	E(reg_checkpoint_served(s, txn, "old-bundle", 0, &note, &len, &size));
	assert_int_equal(size, 2);
	free(note);
	mdb_txn_abort(txn);
	free(latest);
	reg_store_close(s);
	sk_kek_free(kek);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_witnesses),
		cmocka_unit_test(test_served),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
