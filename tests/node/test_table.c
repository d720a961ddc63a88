/* The node's check of the tables the registry serves (node_table_keep):
 * every record must be in the log (a wrong leaf index, the proof of
 * another leaf, a short proof or a checkpoint under another key each
 * refuse the whole answer); a table is kept only when every record
 * verifies under its signer's
 * identity key from the member directory and the table folds by the
 * rules; a forged record, a record by an org the directory does not know,
 * a record signed by another member's key or a table out of order is
 * refused whole, and the tables that verify are still kept. */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "net/cert.h"
#include "node/members.h"
#include "node/store.h"
#include "node/table.h"
#include "protos/domains.h"
#include "protos/wire.h"

#define T1 "11111111111111111111111111111111"
#define T2 "22222222222222222222222222222222"
#define T3 "33333333333333333333333333333333"
#define T4 "44444444444444444444444444444444"

static char *dir;
static sk_kek *kek;
static node_store *s;
static key_ed25519 ca, alt_id, ggz_id;
static uint8_t *ca_der;
static size_t ca_len;
static note_signer *log_sk, *other_sk;
static note_verifier log_vk;

/* ---- a log of the served records, in memory ---- */

#define LEAVES_MAX 16
static uint8_t leaves[LEAVES_MAX][MERKLE_HASH_BYTES];

static sk_status leaves_get(void *ctx, unsigned level, uint64_t index,
			    uint8_t out[static MERKLE_HASH_BYTES])
{
	uint8_t l[MERKLE_HASH_BYTES], r[MERKLE_HASH_BYTES];

	(void)ctx;
	if (level == 0) {
		memcpy(out, leaves[index], MERKLE_HASH_BYTES);
		return SK_OK;
	}
	if (leaves_get(NULL, level - 1, index * 2, l) != SK_OK ||
	    leaves_get(NULL, level - 1, index * 2 + 1, r) != SK_OK)
		return SK_ERR_INVALID;
	merkle_node_hash(out, l, r);
	return SK_OK;
}

/* Makes resp's records the leaves 0.. of a log, each with its index and
 * inclusion proof, and resp's checkpoint that log's, signed by key. */
static void logify(Schakel__V1__TablesResponse *resp, const note_signer *key)
{
	static uint8_t proofs[LEAVES_MAX][MERKLE_PROOF_BYTES], *note;
	merkle_source src = {leaves_get, NULL};
	note_checkpoint cp = {0};
	size_t plen, nlen;

	assert_true(resp->n_records <= LEAVES_MAX);
	for (size_t i = 0; i < resp->n_records; i++)
		E(wire_leaf_hash(leaves[i], WIRE_LEAF_TABLE, resp->records[i]->body.data,
				 resp->records[i]->body.len, resp->records[i]->signature.data));
	for (size_t i = 0; i < resp->n_records; i++) {
		E(merkle_inclusion_proof(proofs[i], &plen, &src, i, resp->n_records));
		resp->records[i]->has_leaf_index = resp->records[i]->has_inclusion_proof = 1;
		resp->records[i]->leaf_index = i;
		resp->records[i]->inclusion_proof =
			(ProtobufCBinaryData){plen * MERKLE_HASH_BYTES, proofs[i]};
	}
	snprintf(cp.origin, sizeof(cp.origin), "%s", "registry.test/log");
	cp.size = resp->n_records;
	E(merkle_root(cp.root, &src, cp.size));
	free(note);
	note = NULL;
	E(note_checkpoint_sign(&note, &nlen, &cp, key));
	resp->has_checkpoint = 1;
	resp->checkpoint = (ProtobufCBinaryData){nlen, note};
}

/* node_table_keep in a transaction of its own, committed when it passes. */
static sk_status keep(const Schakel__V1__TablesResponse *resp, size_t *tables, size_t *rejected)
{
	MDB_txn *txn = NULL;
	sk_status st;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	if ((st = node_table_keep(s, txn, resp, &log_vk, NULL, tables, rejected)) == SK_OK)
		E(sk_db_status(mdb_txn_commit(txn)));
	else
		mdb_txn_abort(txn);
	return st;
}

static void member(const char *org, const key_ed25519 *id)
{
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	uint8_t *cert = NULL, serial[NET_SERIAL_BYTES];
	size_t cert_len = 0;
	key_ed25519 tls;
	MDB_txn *txn = NULL;

	key_ed25519_generate(&tls);
	E(net_cert_issue(&cert, &cert_len, serial, org, org, "ggz", tls.pk, 0, 4102444800, ca_der,
			 ca_len, &ca));
	ev.kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED;
	ev.org_id = (char *)org;
	ev.time = 1;
	ev.has_cert = ev.has_identity_key = 1;
	ev.cert = (ProtobufCBinaryData){cert_len, cert};
	ev.identity_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, (uint8_t *)id->pk};
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(node_members_apply(s, txn, &ev, ca_der, ca_len));
	E(sk_db_status(mdb_txn_commit(txn)));
	free(cert);
	key_ed25519_wipe(&tls);
}

static int setup(void **state)
{
	uint8_t seed[32];

	(void)state;
	E(sk_init());
	dir = t_tmpdir();
	E(sk_kek_open(&kek, NULL, 1));
	E(node_store_init(dir, "wijkteam", "Wijkteam", "sociaal-team", kek));
	E(node_store_open(&s, dir, kek));
	memset(seed, 7, sizeof(seed));
	key_ed25519_from_seed(&ca, seed);
	E(net_cert_ca_create(&ca_der, &ca_len, "Test", 0, 4102444800, &ca));
	key_ed25519_generate(&alt_id);
	key_ed25519_generate(&ggz_id);
	member("altrecht", &alt_id);
	member("ggz-stad", &ggz_id);
	E(note_signer_generate(&log_sk, "registry.test/log", 0x01));
	E(note_signer_generate(&other_sk, "registry.test/log", 0x01));
	note_signer_verifier(&log_vk, log_sk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	node_store_close(s);
	note_signer_free(log_sk);
	note_signer_free(other_sk);
	sk_kek_free(kek);
	free(ca_der);
	t_rmdir(dir);
	return 0;
}

/* A signed record into r (its buffers static per slot). */
static Schakel__V1__SignedTableRecord *rec(int slot, const char *table, Schakel__V1__TableAction a,
					   const char *org, uint64_t seq, const key_ed25519 *key,
					   int forge)
{
	static uint8_t body[16][1024], sig[16][KEY_SIG_BYTES];
	static Schakel__V1__SignedTableRecord out[16];
	static char *members[] = {"wijkteam", "ggz-stad"};
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur reg = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	size_t n;

	b.table_id = (char *)table;
	b.action = a;
	b.org_id = (char *)org;
	b.seq = seq;
	b.time = 1;
	if (a == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE) {
		b.name = "Tafel";
		b.members = members;
		b.n_members = 2;
		reg.org_id = (char *)org;
		reg.professional = "p-1";
		b.regisseur = &reg;
	}
	n = schakel__v1__table_record_body__pack(&b, body[slot]);
	E(key_sign(sig[slot], WIRE_DOMAIN_TABLE_RECORD, body[slot], n, key->sk));
	sig[slot][3] ^= forge != 0;
	out[slot] = (Schakel__V1__SignedTableRecord)SCHAKEL__V1__SIGNED_TABLE_RECORD__INIT;
	out[slot].body = (ProtobufCBinaryData){n, body[slot]};
	out[slot].signature = (ProtobufCBinaryData){KEY_SIG_BYTES, sig[slot]};
	return &out[slot];
}

static void test_keep(void **state)
{
	const Schakel__V1__TableAction C = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE,
				       J = SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN;
	Schakel__V1__TablesResponse resp = SCHAKEL__V1__TABLES_RESPONSE__INIT;
	Schakel__V1__SignedTableRecord *list[8];
	size_t tables, rejected;
	key_ed25519 stranger;
	MDB_txn *txn = NULL;
	wire_table t;

	(void)state;
	key_ed25519_generate(&stranger);
	/* T1 good (create + join); T2 a forged join; T3 signed with another
	 * member's key; T4 out of order (a join before its creation) */
	list[0] = rec(0, T1, C, "altrecht", 1, &alt_id, 0);
	list[1] = rec(1, T1, J, "ggz-stad", 2, &ggz_id, 0);
	list[2] = rec(2, T2, C, "altrecht", 1, &alt_id, 0);
	list[3] = rec(3, T2, J, "ggz-stad", 2, &ggz_id, 1);
	list[4] = rec(4, T3, C, "altrecht", 1, &ggz_id, 0);
	list[5] = rec(5, T4, J, "ggz-stad", 2, &ggz_id, 0);
	list[6] = rec(6, T4, C, "altrecht", 1, &alt_id, 0);
	resp.records = list;
	resp.n_records = 7;
	logify(&resp, log_sk);
	E(keep(&resp, &tables, &rejected));
	assert_int_equal(tables, 1);
	assert_int_equal(rejected, 3);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(node_table_get(s, txn, T1, &t));
	assert_int_equal(wire_table_org(&t, "ggz-stad"), WIRE_TABLE_MEMBER);
	EFAIL(node_table_get(s, txn, T2, &t), SK_ERR_NOTFOUND);
	EFAIL(node_table_get(s, txn, T3, &t), SK_ERR_NOTFOUND);
	EFAIL(node_table_get(s, txn, T4, &t), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	/* a signer the directory does not know; and the copy is replaced */
	list[0] = rec(7, T1, C, "lentis", 1, &stranger, 0);
	resp.n_records = 1;
	logify(&resp, log_sk);
	E(keep(&resp, &tables, &rejected));
	assert_int_equal(tables, 0);
	assert_int_equal(rejected, 1);
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	EFAIL(node_table_get(s, txn, T1, &t), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	key_ed25519_wipe(&stranger);
}

/* Every record must be in the log the checkpoint commits to; any one that
 * is not refuses the whole answer and leaves the copy held as it was. */
static void test_inclusion(void **state)
{
	const Schakel__V1__TableAction C = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE,
				       J = SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN;
	Schakel__V1__TablesResponse resp = SCHAKEL__V1__TABLES_RESPONSE__INIT;
	Schakel__V1__SignedTableRecord *list[4];
	ProtobufCBinaryData proof;
	size_t tables, rejected;
	MDB_txn *txn = NULL;
	wire_table t;

	(void)state;
	list[0] = rec(8, T1, C, "altrecht", 1, &alt_id, 0);
	list[1] = rec(9, T1, J, "ggz-stad", 2, &ggz_id, 0);
	list[2] = rec(10, T2, C, "altrecht", 1, &alt_id, 0);
	resp.records = list;
	resp.n_records = 3;
	/* the good case: kept */
	logify(&resp, log_sk);
	E(keep(&resp, &tables, &rejected));
	assert_int_equal(tables, 2);
	assert_int_equal(rejected, 0);
	/* a wrong leaf index */
	list[1]->leaf_index = 2;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	list[1]->leaf_index = 1;
	/* the proof of another leaf */
	proof = list[1]->inclusion_proof;
	list[1]->inclusion_proof = list[0]->inclusion_proof;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	/* a short proof */
	list[1]->inclusion_proof = proof;
	list[1]->inclusion_proof.len -= MERKLE_HASH_BYTES;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	list[1]->inclusion_proof.len -= 1;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	list[1]->inclusion_proof = proof;
	/* no proof at all */
	list[2]->has_inclusion_proof = 0;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	list[2]->has_inclusion_proof = 1;
	/* a record the log does not hold (its leaf is another record's) */
	list[3] = rec(11, T3, C, "altrecht", 1, &alt_id, 0);
	list[3]->has_leaf_index = list[3]->has_inclusion_proof = 1;
	list[3]->leaf_index = 2;
	list[3]->inclusion_proof = list[2]->inclusion_proof;
	resp.n_records = 4;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	resp.n_records = 3;
	/* a checkpoint of another key */
	logify(&resp, other_sk);
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	/* no checkpoint */
	resp.has_checkpoint = 0;
	EFAIL(keep(&resp, &tables, &rejected), SK_ERR_VERIFY);
	/* after every refusal the copy held is the good one */
	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(node_table_get(s, txn, T1, &t));
	assert_int_equal(wire_table_org(&t, "ggz-stad"), WIRE_TABLE_MEMBER);
	E(node_table_get(s, txn, T2, &t));
	EFAIL(node_table_get(s, txn, T3, &t), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);
	/* and the good answer again is kept */
	logify(&resp, log_sk);
	E(keep(&resp, &tables, &rejected));
	assert_int_equal(tables, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_inclusion),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
