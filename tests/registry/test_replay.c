/* The operator's journal replayed after a restore and a rollover
 * (registry/replay.h) on a real store: what the restored store lacks is
 * recorded again (a revocation, a quota, an enrolment with the member's
 * own certificate), what it has or what the backup holds is left alone,
 * what cannot be redone is refused with the reason; new keys and a new
 * certificate are taken again with the journal's certificate; a second replay
 * changes nothing; a journal that does not verify replays nothing; no
 * replay before a rollover. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "reg_fx.h"
#include "common/clock.h"
#include "common/db.h"
#include "crypto/note.h"
#include "registry/journal.h"
#include "registry/quota.h"
#include "registry/replay.h"
#include "registry/rollover.h"

#define OLD "test.example/registry"
#define NEW "test.example/registry/2"

struct lines {
	char out[16][160];
	size_t n;
};

static void line(const reg_replay_item *it, void *arg)
{
	static const char *const w[] = {"done", "there", "backup", "refused"};
	struct lines *l = arg;

	if (l->n < 16)
		snprintf(l->out[l->n++], sizeof(l->out[0]), "%llu %s %s %s%s%s",
			 (unsigned long long)it->seq, it->cmd, it->org, w[it->outcome],
			 it->why[0] ? ": " : "", it->why);
}

/* A record as `enrol`, `revoke`, `quota` would note it, made on log at
 * tree size size. */
static void note(fx *f, const char *path, const char *log, uint64_t size, json_t *body)
{
	char *text;

	json_object_set_new(body, "log", json_string(log));
	json_object_set_new(body, "size", json_integer((json_int_t)size));
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	E(reg_journal_append(path, f->r->id, sk_clock_now_ms(), text));
	free(text);
	json_decref(body);
}

static json_t *b64(const uint8_t *d, size_t n)
{
	char t[8192];

	assert_true(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL) <= sizeof(t));
	sodium_bin2base64(t, sizeof(t), d, n, sodium_base64_VARIANT_ORIGINAL);
	return json_string(t);
}

/* A signed enrolment request of org (category ggz) for fresh keys id and
 * tls, as `init` writes it: *req malloc'd. */
static void request(fx *f, const char *org, key_ed25519 *id, key_ed25519 *tls, uint8_t **req,
		    size_t *len)
{
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	char path[700];

	key_ed25519_generate(id);
	key_ed25519_generate(tls);
	b.org_id = (char *)org;
	b.name = "Some org";
	b.category = "ggz";
	b.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	b.identity_key = (ProtobufCBinaryData){32, id->pk};
	b.tls_key = (ProtobufCBinaryData){32, tls->pk};
	b.created_at = 1;
	snprintf(path, sizeof(path), "%s/%s-request", f->dir, org);
	E(wire_enrol_request_write(path, &b, id->sk));
	E(sk_file_read(path, 65536, req, len));
}

static void test_replay(void **state)
{
	fx *f = fx_open("registry");
	Schakel__V1__Member *m = NULL;
	key_ed25519 id, tls;
	net_hosts none = {0};
	uint8_t *req = NULL, *cert = NULL, *w = NULL, *mine = NULL;
	size_t rlen = 0, clen = 0, wlen = 0, mlen = 0;
	char path[700], journal[700];
	struct lines l = {0};
	reg_replay_counts c;
	note_checkpoint cp = {0};
	note_signer *k = NULL;
	MDB_txn *txn = NULL;
	reg_quota q;
	uint64_t r = 0;

	*state = f;
	snprintf(journal, sizeof(journal), "%s/registry.journal", f->dir);
	E(fx_enrol(f, "wijkteam", SCHAKEL__V1__ROLE__ROLE_NODE));
	E(fx_enrol(f, "tactus", SCHAKEL__V1__ROLE__ROLE_NODE));
	E(fx_enrol(f, "wit1", SCHAKEL__V1__ROLE__ROLE_WITNESS));
	/* lister's request and the certificate the CA issued it after the backup */
	request(f, "lister", &id, &tls, &req, &rlen);
	E(reg_ca_issue(f->ca, &cert, &clen, "lister", "Some org", "ggz", &none, tls.pk,
		       (int64_t)(sk_clock_now_ms() / 1000), REG_CERT_DAYS));

	/* no replay before a rollover */
	E(reg_journal_append(journal, f->r->id, 1, "{\"cmd\":\"revoke\",\"org\":\"x\"}"));
	EFAIL(reg_journal_replay(f->r, journal, journal, line, &l, &c), SK_ERR_NOTFOUND);
	unlink(journal);

	/* the restored tree: r leaves; the witnesses had cosigned r + 6 */
	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	E(reg_log_size(&f->r->log, txn, &r));
	E(reg_member_get(f->r, txn, "wijkteam", &m));
	mdb_txn_abort(txn);
	snprintf(cp.origin, sizeof(cp.origin), "%s", OLD);
	cp.size = r + 6;
	memset(cp.root, 7, sizeof(cp.root));
	E(note_signer_from_seed(&k, OLD, NOTE_TYPE_ED25519, f->r->id->sk));
	E(note_checkpoint_sign(&w, &wlen, &cp, k));
	note_signer_free(k);

	/* the journal: what was done after the backup (sizes above r), one
	 * change the backup holds, and what cannot be redone */
	note(f, journal, OLD, r + 1, json_pack("{s:s,s:s,s:b}", "cmd", "revoke", "org", "tactus",
					       "purge", 0));
	/* an enrolment whose certificate is another member's */
	note(f, journal, OLD, r + 2, json_pack("{s:s,s:s,s:o,s:o}", "cmd", "enrol", "org", "lister",
					       "request", b64(req, rlen), "cert",
					       b64(m->cert.data, m->cert.len)));
	note(f, journal, OLD, r + 2, json_pack("{s:s,s:s,s:o,s:o,s:[],s:[],s:s}", "cmd", "enrol", "org",
					       "lister", "request", b64(req, rlen), "cert",
					       b64(cert, clen), "pseudonymisers", "witnesses",
					       "registry", "127.0.0.1:1"));
	note(f, journal, OLD, r + 2, json_pack("{s:s,s:s,s:{s:i}}", "cmd", "quota", "org",
					       "wijkteam", "set", "entries", 77));
	note(f, journal, OLD, r - 1, json_pack("{s:s,s:s,s:{s:i}}", "cmd", "quota", "org",
					       "wijkteam", "set", "entries", 55));
	note(f, journal, OLD, r + 3, json_pack("{s:s,s:s,s:b}", "cmd", "revoke", "org", "ghost",
					       "purge", 0));
	note(f, journal, OLD, r + 3, json_pack("{s:s,s:s,s:o}", "cmd", "rekey", "org", "wijkteam",
					       "cert", b64(cert, clen)));
	note(f, journal, "other.example/registry", r + 9,
	     json_pack("{s:s,s:s,s:b}", "cmd", "revoke", "org", "wijkteam", "purge", 0));
	/* a bundle refreshed with a witness: the registry asks it again */
	note(f, journal, OLD, r + 4, json_pack("{s:s,s:s,s:[],s:[s],s:i,s:s}", "cmd", "refresh",
					       "org", "wijkteam", "pseudonymisers", "witnesses",
					       "wit1@https://127.0.0.1:9", "quorum", 1, "registry",
					       "127.0.0.1:1"));

	/* a journal that does not verify: nothing replayed */
	E(reg_rollover(f->r, NEW, w, wlen, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST,
		       sk_clock_now_ms()));
	snprintf(path, sizeof(path), "%s/cut.journal", f->dir);
	E(sk_file_read(journal, REG_JOURNAL_MAX, &mine, &mlen));
	E(sk_file_create(path, mine, mlen - 3));
	EFAIL(reg_journal_replay(f->r, path, path, line, &l, &c), SK_ERR_VERIFY);
	assert_int_equal(l.n, 0);

	E(reg_journal_replay(f->r, journal, journal, line, &l, &c));
	assert_int_equal(l.n, 9);
	assert_string_equal(l.out[0], "1 revoke tactus done");
	assert_non_null(strstr(l.out[1], "2 enrol lister refused: de registry weigert het: "));
	assert_non_null(strstr(l.out[1], "not one the federation CA issued"));
	assert_string_equal(l.out[2], "3 enrol lister done");
	assert_string_equal(l.out[3], "4 quota wijkteam done");
	assert_string_equal(l.out[4], "5 quota wijkteam backup");
	assert_non_null(strstr(l.out[5], "6 revoke ghost refused: ghost is hier niet bekend"));
	assert_non_null(strstr(l.out[6], "7 rekey wijkteam refused: "));
	assert_string_equal(l.out[7], "8 revoke wijkteam backup");
	assert_string_equal(l.out[8], "9 refresh wijkteam done");
	assert_int_equal(c.done, 4);
	assert_int_equal(c.refused, 3);
	assert_int_equal(c.backup, 2);
	assert_int_equal(c.there, 0);
	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	assert_false(reg_member_live(f->r, txn, "tactus"));
	assert_true(reg_member_live(f->r, txn, "wijkteam"));
	E(reg_quota_get(f->r, txn, "wijkteam", &q));
	schakel__v1__member__free_unpacked(m, NULL);
	m = NULL;
	E(reg_member_get(f->r, txn, "lister", &m));
	mdb_txn_abort(txn);
	assert_int_equal(q.v[REG_QUOTA_ENTRIES_MAX], 77);
	/* lister keeps the certificate it holds */
	assert_int_equal(m->cert.len, clen);
	assert_memory_equal(m->cert.data, cert, clen);

	/* again: nothing changes; the three replayed changes are in the
	 * journal under the new log */
	memset(&l, 0, sizeof(l));
	E(reg_journal_replay(f->r, journal, journal, line, &l, &c));
	assert_int_equal(l.n, 13);
	assert_int_equal(c.done, 0);
	assert_int_equal(c.there, 9); /* 1-4 and 9 by the store, 10-13 by their log */
	assert_int_equal(c.refused, 2);
	assert_string_equal(l.out[0], "1 revoke tactus there");
	assert_string_equal(l.out[1], "2 enrol lister there");
	assert_string_equal(l.out[8], "9 refresh wijkteam there");
	assert_string_equal(l.out[9], "10 revoke tactus there");

	schakel__v1__member__free_unpacked(m, NULL);
	free(req);
	free(cert);
	free(w);
	free(mine);
	key_ed25519_wipe(&id);
	key_ed25519_wipe(&tls);
}

/* A rekey and a new certificate after the backup: the member holds only
 * its new keys and certificate, so the replay takes them again with the
 * certificate the journal holds; one for another TLS key is refused. */
static void test_rekey(void **state)
{
	fx *f = fx_open("registry");
	Schakel__V1__RekeyRequestBody rb = SCHAKEL__V1__REKEY_REQUEST_BODY__INIT;
	Schakel__V1__SignedRekeyRequest sr = SCHAKEL__V1__SIGNED_REKEY_REQUEST__INIT;
	static reg_enrol_opts eo = {.registry_address = "127.0.0.1:1"};
	Schakel__V1__Member *m = NULL;
	key_ed25519 id, tls, nid, ntls, other;
	net_hosts none = {0};
	uint8_t *req = NULL, *bundle = NULL, *cert = NULL, *cert2 = NULL, *bad = NULL, *w = NULL;
	uint8_t enc[32], body[512], s1[64], s2[64], rk[1024];
	size_t rlen = 0, blen = 0, clen = 0, c2len = 0, badlen = 0, wlen = 0, rklen, n;
	char journal[700], org[64];
	struct lines l = {0};
	reg_replay_counts c;
	note_checkpoint cp = {0};
	note_signer *k = NULL;
	MDB_txn *txn = NULL;
	uint64_t r = 0;
	int64_t now = (int64_t)(sk_clock_now_ms() / 1000);

	*state = f;
	snprintf(journal, sizeof(journal), "%s/registry.journal", f->dir);
	/* buurt, enrolled before the backup with keys this test holds */
	request(f, "buurt", &id, &tls, &req, &rlen);
	E(reg_enrol(f->r, f->ca, req, rlen, &eo, &bundle, &blen, org));

	/* after the backup: new keys (signed by the old and the new identity
	 * key), then a new certificate for the new TLS key */
	key_ed25519_generate(&nid);
	key_ed25519_generate(&ntls);
	key_ed25519_generate(&other);
	randombytes_buf(enc, sizeof(enc));
	rb.org_id = "buurt";
	rb.old_identity_key = (ProtobufCBinaryData){32, id.pk};
	rb.identity_key = (ProtobufCBinaryData){32, nid.pk};
	rb.tls_key = (ProtobufCBinaryData){32, ntls.pk};
	rb.encryption_key = (ProtobufCBinaryData){32, enc};
	rb.created_at = 2;
	n = schakel__v1__rekey_request_body__pack(&rb, body);
	E(key_sign(s1, WIRE_DOMAIN_REKEY_REQUEST, body, n, id.sk));
	E(key_sign(s2, WIRE_DOMAIN_REKEY_REQUEST, body, n, nid.sk));
	sr.body = (ProtobufCBinaryData){n, body};
	sr.old_signature = (ProtobufCBinaryData){64, s1};
	sr.new_signature = (ProtobufCBinaryData){64, s2};
	rklen = schakel__v1__signed_rekey_request__get_packed_size(&sr);
	assert_true(rklen <= sizeof(rk));
	schakel__v1__signed_rekey_request__pack(&sr, rk);
	E(reg_ca_issue(f->ca, &cert, &clen, "buurt", "Some org", "ggz", &none, ntls.pk, now,
		       REG_CERT_DAYS));
	E(reg_ca_issue(f->ca, &cert2, &c2len, "buurt", "Some org", "ggz", &none, ntls.pk,
		       now + 1, REG_CERT_DAYS));
	E(reg_ca_issue(f->ca, &bad, &badlen, "buurt", "Some org", "ggz", &none, other.pk, now,
		       REG_CERT_DAYS));

	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	E(reg_log_size(&f->r->log, txn, &r));
	mdb_txn_abort(txn);
	note(f, journal, OLD, r + 1, json_pack("{s:s,s:s,s:o,s:o,s:s}", "cmd", "rekey", "org", "buurt",
					       "request", b64(rk, rklen), "cert", b64(bad, badlen),
					       "registry", "127.0.0.1:1"));
	note(f, journal, OLD, r + 1, json_pack("{s:s,s:s,s:o,s:o,s:s}", "cmd", "rekey", "org", "buurt",
					       "request", b64(rk, rklen), "cert", b64(cert, clen),
					       "registry", "127.0.0.1:1"));
	note(f, journal, OLD, r + 2, json_pack("{s:s,s:s,s:o,s:s}", "cmd", "recert", "org", "buurt",
					       "cert", b64(cert2, c2len), "registry", "127.0.0.1:1"));

	snprintf(cp.origin, sizeof(cp.origin), "%s", OLD);
	cp.size = r + 2;
	memset(cp.root, 7, sizeof(cp.root));
	E(note_signer_from_seed(&k, OLD, NOTE_TYPE_ED25519, f->r->id->sk));
	E(note_checkpoint_sign(&w, &wlen, &cp, k));
	note_signer_free(k);
	E(reg_rollover(f->r, NEW, w, wlen, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST,
		       sk_clock_now_ms()));

	E(reg_journal_replay(f->r, journal, journal, line, &l, &c));
	assert_int_equal(l.n, 3);
	assert_non_null(strstr(l.out[0], "1 rekey buurt refused: "));
	assert_non_null(strstr(l.out[0], "not one the federation CA issued"));
	assert_string_equal(l.out[1], "2 rekey buurt done");
	assert_string_equal(l.out[2], "3 recert buurt done");
	E(sk_db_status(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn)));
	E(reg_member_get(f->r, txn, "buurt", &m));
	mdb_txn_abort(txn);
	assert_memory_equal(m->identity_key.data, nid.pk, 32);
	assert_memory_equal(m->tls_key.data, ntls.pk, 32);
	assert_int_equal(m->cert.len, c2len);
	assert_memory_equal(m->cert.data, cert2, c2len);

	/* again: the member holds both already */
	memset(&l, 0, sizeof(l));
	E(reg_journal_replay(f->r, journal, journal, line, &l, &c));
	assert_int_equal(c.done, 0);
	assert_string_equal(l.out[1], "2 rekey buurt there");
	assert_string_equal(l.out[2], "3 recert buurt there");

	schakel__v1__member__free_unpacked(m, NULL);
	free(req);
	free(bundle);
	free(cert);
	free(cert2);
	free(bad);
	free(w);
	key_ed25519_wipe(&id);
	key_ed25519_wipe(&tls);
	key_ed25519_wipe(&nid);
	key_ed25519_wipe(&ntls);
	key_ed25519_wipe(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_replay, fx_close),
		cmocka_unit_test_teardown(test_rekey, fx_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
