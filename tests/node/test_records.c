/* The node's data dir and records on a real LMDB: init and open, wrapped
 * keys, the enrolment request, professionals, clients sealed at rest, the
 * BSN index, the sync state (sequence, cursor, checkpoint), the dirty set
 * and the token cache. */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/be.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "node/client.h"
#include "node/dirty.h"
#include "node/entry.h"
#include "node/professional.h"
#include "node/store.h"
#include "protos/wire.h"
#include "protos/schakel.pb-c.h"

#define NOW 1781524800000ull /* 2026-06-15 12:00 UTC */
#define BSN1 "123456782"
#define BSN2 "111222333"
#define CHECKPOINT "example.org/log\n3\nAAAA\n\n- sig\n"

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
} fixture;

static void setup(fixture *f)
{
	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "wijkteam-oost", "Wijkteam Oost", "sociaal-team", f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
}

static void teardown(fixture *f)
{
	node_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
}

static void prof(node_professional *p, const char *id, const char *role)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->name, sizeof(p->name), "Name of %s", id);
	snprintf(p->role, sizeof(p->role), "%s", role);
	p->kind = NODE_KIND_PROFESSIONAL;
}

/* Counts audit records of event (and outcome, 0: any). */
typedef struct count_ctx {
	const char *event;
	audit_outcome outcome;
	int n;
} count_ctx;

static sk_status count_fn(const audit_record *r, void *arg)
{
	count_ctx *c = arg;

	if (strcmp(r->event, c->event) == 0 && (c->outcome == 0 || r->outcome == c->outcome))
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

static int file_has(const char *dir, const char *name, const void *needle, size_t n)
{
	char p[512];
	uint8_t *data = NULL;
	size_t len = 0;
	int found;

	E(sk_path_join(p, sizeof(p), dir, name));
	E(sk_file_read(p, 1u << 30, &data, &len));
	found = memmem(data, len, needle, n) != NULL;
	free(data);
	return found;
}

static void test_init_open(void **state)
{
	fixture f;
	char p[512];
	struct stat st;
	uint8_t *req = NULL;
	size_t len = 0;
	Schakel__V1__SignedEnrolRequest *sr;
	Schakel__V1__EnrolRequestBody *b;
	key_ed25519 id, tls;
	key_x25519 enc;
	node_store *again = NULL;

	setup(&f);
	assert_string_equal(f.s->org_id, "wijkteam-oost");
	assert_string_equal(f.s->category, "sociaal-team");
	assert_int_equal(f.s->joined, 0);
	assert_int_equal(stat(f.dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	const char *keys[] = {NODE_FILE_IDENTITY, NODE_FILE_TLS, NODE_FILE_ENCRYPTION,
			      NODE_FILE_DATA_KEY, NODE_FILE_INDEX_KEY, NODE_FILE_REQUEST};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		E(sk_path_join(p, sizeof(p), f.dir, keys[i]));
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}

	/* the enrolment request the registry expects, signed by the identity */
	E(sk_path_join(p, sizeof(p), f.dir, NODE_FILE_REQUEST));
	E(sk_file_read(p, 65536, &req, &len));
	sr = schakel__v1__signed_enrol_request__unpack(NULL, len, req);
	assert_non_null(sr);
	b = schakel__v1__enrol_request_body__unpack(NULL, sr->body.len, sr->body.data);
	assert_non_null(b);
	assert_string_equal(b->org_id, "wijkteam-oost");
	assert_string_equal(b->name, "Wijkteam Oost");
	assert_string_equal(b->category, "sociaal-team");
	assert_int_equal(b->role, SCHAKEL__V1__ROLE__ROLE_NODE);
	assert_memory_equal(b->identity_key.data, f.s->identity_pk, 32);
	assert_memory_equal(b->tls_key.data, f.s->tls_pk, 32);
	assert_true(b->has_encryption_key);
	assert_memory_equal(b->encryption_key.data, f.s->enc_pk, 32);
	E(key_verify(sr->signature.data, WIRE_DOMAIN_ENROL_REQUEST, sr->body.data, sr->body.len,
		     f.s->identity_pk));
	schakel__v1__enrol_request_body__free_unpacked(b, NULL);
	schakel__v1__signed_enrol_request__free_unpacked(sr, NULL);
	free(req);

	/* the keys load back and match the public halves */
	E(node_identity_load(f.s, f.kek, &id));
	E(node_tls_key_load(f.s, f.kek, &tls));
	E(node_enc_key_load(f.s, f.kek, &enc));
	assert_memory_not_equal(id.pk, tls.pk, 32);
	key_ed25519_wipe(&id);
	key_ed25519_wipe(&tls);
	key_x25519_wipe(&enc);
	assert_int_equal(audit_count(f.s, "node.init", AUDIT_OUTCOME_OK), 1);

	/* a second init of the same dir is refused */
	EFAIL(node_store_init(f.dir, "other", "Other", "ggz", f.kek), SK_ERR_EXISTS);
	/* bad fields are refused before anything is written */
	EFAIL(node_store_init(f.dir, "Bad Id", "x", "ggz", f.kek), SK_ERR_INVALID);
	EFAIL(node_store_init(f.dir, "ok", "x", "Not A Category", f.kek), SK_ERR_INVALID);

	/* a world-readable data dir is refused with the chmod that fixes it */
	assert_int_equal(chmod(f.dir, 0755), 0);
	EFAIL(node_store_open(&again, f.dir, f.kek), SK_ERR_PERM);
	assert_null(again);
	assert_non_null(strstr(sk_error_detail(), "chmod 700"));
	assert_int_equal(chmod(f.dir, 0700), 0);
	teardown(&f);
}

static void test_open_missing(void **state)
{
	char *dir = t_tmpdir(), p[512];
	sk_kek *kek = NULL;
	node_store *s = NULL;

	E(sk_kek_open(&kek, NULL, 1));
	EFAIL(node_store_open(&s, dir, kek), SK_ERR_NOTFOUND);
	assert_non_null(strstr(sk_error_detail(), "init"));
	E(sk_path_join(p, sizeof(p), dir, "data.mdb"));
	assert_int_not_equal(access(p, F_OK), 0); /* no env created on the way */
	sk_kek_free(kek);
	t_rmdir(dir);
}

/* With a passphrase the keys are wrapped: without it, or with only --dev,
 * the node does not open. */
static void test_wrapped_keys(void **state)
{
	char *dir = t_tmpdir(), nd[512], pass[512], p[512];
	sk_kek *kek = NULL, *dev = NULL;
	node_store *s = NULL;
	uint8_t raw[64];

	E(sk_path_join(pass, sizeof(pass), dir, "pass"));
	t_write(dir, "pass", "correct horse battery staple\n", 0600);
	E(sk_path_join(nd, sizeof(nd), dir, "node"));
	E(sk_kek_open(&kek, pass, 0));
	E(node_store_init(nd, "ggz-noord", "GGZ Noord", "ggz", kek));
	E(node_store_open(&s, nd, kek));
	node_store_close(s);
	s = NULL;
	/* the data key file does not hold the key in clear */
	E(sk_path_join(p, sizeof(p), nd, NODE_FILE_DATA_KEY));
	E(sk_kek_open(&dev, NULL, 1));
	EFAIL(sk_keyfile_read(dev, p, "node-data", raw, 32), SK_ERR_WRAPPED);
	EFAIL(node_store_open(&s, nd, dev), SK_ERR_WRAPPED);
	assert_null(s);
	sk_kek_free(dev);
	/* another passphrase does not open it */
	sk_kek_free(kek);
	t_write(dir, "pass2", "a different passphrase\n", 0600);
	E(sk_path_join(pass, sizeof(pass), dir, "pass2"));
	E(sk_kek_open(&kek, pass, 0));
	EFAIL(node_store_open(&s, nd, kek), SK_ERR_KEY);
	sk_kek_free(kek);
	t_rmdir(dir);
}

static void test_professionals(void **state)
{
	fixture f;
	node_professional p, q;
	MDB_txn *txn = NULL;

	setup(&f);
	prof(&p, "j.devries", "wijkcoach");
	snprintf(p.phone, sizeof(p.phone), "+31 6 12345678");
	snprintf(p.email, sizeof(p.email), "j.devries@wijkteam.example");
	E(node_professional_add(f.s, &p));
	prof(&p, "fg", "fg");
	p.kind = NODE_KIND_PRIVACY_OFFICER;
	E(node_professional_add(f.s, &p));
	prof(&p, "j.devries", "spv");
	EFAIL(node_professional_add(f.s, &p), SK_ERR_EXISTS);
	prof(&p, "Bad Id", "spv");
	EFAIL(node_professional_add(f.s, &p), SK_ERR_INVALID);
	prof(&p, "x", "a role with spaces");
	EFAIL(node_professional_add(f.s, &p), SK_ERR_INVALID);
	prof(&p, "x", "spv");
	snprintf(p.email, sizeof(p.email), "no-at-sign");
	EFAIL(node_professional_add(f.s, &p), SK_ERR_INVALID);
	prof(&p, "x", "spv");
	snprintf(p.phone, sizeof(p.phone), "call me");
	EFAIL(node_professional_add(f.s, &p), SK_ERR_INVALID);
	prof(&p, "x", "spv");
	p.name[0] = 0;
	EFAIL(node_professional_add(f.s, &p), SK_ERR_INVALID);

	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_professional_get(f.s, txn, "j.devries", &q));
	assert_string_equal(q.role, "wijkcoach");
	assert_string_equal(q.phone, "+31 6 12345678");
	assert_string_equal(q.email, "j.devries@wijkteam.example");
	assert_int_equal(q.kind, NODE_KIND_PROFESSIONAL);
	E(node_professional_get(f.s, txn, "fg", &q));
	assert_int_equal(q.kind, NODE_KIND_PRIVACY_OFFICER);
	EFAIL(node_professional_get(f.s, txn, "nobody", &q), SK_ERR_NOTFOUND);
	assert_non_null(strstr(sk_error_detail(), "unknown professional 'nobody'"));
	mdb_txn_abort(txn);
	assert_int_equal(audit_count(f.s, "professional.add", AUDIT_OUTCOME_OK), 2);
	teardown(&f);
}

static sk_status collect_client(const node_client *c, void *arg)
{
	char *ids = arg;
	size_t n = strlen(ids);

	snprintf(ids + n, 256 - n, "%s=%s;", c->id, c->name);
	return SK_OK;
}

static void test_clients(void **state)
{
	fixture f;
	bsn b1, b2, bad;
	char id[NODE_CLIENT_ID_MAX + 1], id2[NODE_CLIENT_ID_MAX + 1], ids[256] = "";
	node_client c;
	MDB_txn *txn = NULL;
	uint64_t n;

	setup(&f);
	E(bsn_parse(&b1, BSN1));
	E(bsn_parse(&b2, BSN2));
	EFAIL(bsn_parse(&bad, "123456789"), SK_ERR_BSN);
	E(node_client_add(f.s, &b1, "Piet Puk", "2011-03-04", NOW, id));
	assert_string_equal(id, "c-1");
	E(node_client_add(f.s, &b2, NULL, NULL, NOW, id2));
	assert_string_equal(id2, "c-2");
	/* the same BSN again: refused, naming the existing client */
	EFAIL(node_client_add(f.s, &b1, "Other Name", NULL, NOW, id), SK_ERR_EXISTS);
	assert_string_equal(id, "c-1");
	assert_non_null(strstr(sk_error_detail(), "c-1"));
	assert_int_equal(audit_count(f.s, "client.add", AUDIT_OUTCOME_DENIED), 1);
	/* bad fields */
	EFAIL(node_client_add(f.s, &b1, NULL, "2011-02-30", NOW, id), SK_ERR_INVALID);
	EFAIL(node_client_add(f.s, &b1, NULL, "2099-01-01", NOW, id), SK_ERR_INVALID);
	EFAIL(node_client_add(f.s, &b1, "bad\nname", NULL, NOW, id), SK_ERR_INVALID);

	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_client_get(f.s, txn, "c-1", &c));
	assert_string_equal(c.bsn.digits, BSN1);
	assert_string_equal(c.name, "Piet Puk");
	assert_string_equal(c.birthdate, "2011-03-04");
	assert_int_equal(c.created_at, NOW);
	node_client_wipe(&c);
	E(node_client_get(f.s, txn, "c-2", &c));
	assert_string_equal(c.bsn.digits, BSN2);
	assert_string_equal(c.name, "");
	assert_string_equal(c.birthdate, "");
	node_client_wipe(&c);
	EFAIL(node_client_get(f.s, txn, "c-3", &c), SK_ERR_NOTFOUND);
	EFAIL(node_client_get(f.s, txn, "c-01", &c), SK_ERR_NOTFOUND);
	/* the index finds clients by BSN, and only those */
	E(node_client_find(f.s, txn, &b2, id));
	assert_string_equal(id, "c-2");
	E(bsn_parse(&bad, "999999990"));
	EFAIL(node_client_find(f.s, txn, &bad, id), SK_ERR_NOTFOUND);
	assert_null(strstr(sk_error_detail(), "999999990"));
	E(node_client_resolve(f.s, txn, BSN1, id));
	assert_string_equal(id, "c-1");
	E(node_client_resolve(f.s, txn, "c-2", id));
	assert_string_equal(id, "c-2");
	EFAIL(node_client_resolve(f.s, txn, "123456789", id), SK_ERR_BSN);
	EFAIL(node_client_resolve(f.s, txn, "c-7", id), SK_ERR_NOTFOUND);
	E(node_client_bsn(f.s, txn, "c-1", &bad));
	assert_string_equal(bad.digits, BSN1);
	E(node_client_scan(f.s, txn, collect_client, ids));
	assert_string_equal(ids, "c-1=Piet Puk;c-2=;");
	mdb_txn_abort(txn);
	assert_int_equal(node_client_id_parse("c-12", &n), SK_OK);
	assert_int_equal(n, 12);
	EFAIL(node_client_id_parse("c-", &n), SK_ERR_INVALID);
	EFAIL(node_client_id_parse("x-1", &n), SK_ERR_INVALID);
	EFAIL(node_client_id_parse("c-99999999999999999999", &n), SK_ERR_INVALID);
	teardown(&f);
}

/* Neither the BSN, the name nor the birthdate appear in any file of the
 * data dir, and a record moved to another client id does not open. */
static void test_encrypted_at_rest(void **state)
{
	fixture f;
	bsn b;
	char id[NODE_CLIENT_ID_MAX + 1];
	uint8_t bkey[8], bkey2[8];
	node_client c;
	MDB_txn *txn = NULL;
	MDB_val k = {8, bkey}, k2 = {8, bkey2}, d;
	static const char *const files[] = {"data.mdb", "lock.mdb", NODE_FILE_REQUEST};

	setup(&f);
	E(bsn_parse(&b, BSN1));
	E(node_client_add(f.s, &b, "Zwaantje Zeldzaamnaam", "2001-09-17", NOW, id));
	E(bsn_parse(&b, BSN2));
	E(node_client_add(f.s, &b, "Second", NULL, NOW, id));
	node_store_close(f.s);
	f.s = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		assert_false(file_has(f.dir, files[i], BSN1, 9));
		assert_false(file_has(f.dir, files[i], BSN2, 9));
		assert_false(file_has(f.dir, files[i], "Zeldzaamnaam", 12));
		assert_false(file_has(f.dir, files[i], "2001-09-17", 10));
	}
	/* swap c-1's sealed record into c-2: it must not open as c-2 */
	E(node_store_open(&f.s, f.dir, f.kek));
	sk_be64_put(bkey, 1);
	sk_be64_put(bkey2, 2);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(sk_db_status(mdb_get(txn, f.s->clients, &k, &d)));
	E(sk_db_status(mdb_put(txn, f.s->clients, &k2, &d, 0)));
	EFAIL(node_client_get(f.s, txn, "c-2", &c), SK_ERR_VERIFY);
	E(node_client_get(f.s, txn, "c-1", &c));
	node_client_wipe(&c);
	mdb_txn_abort(txn);
	teardown(&f);
}

static void test_sync_state(void **state)
{
	fixture f;
	uint64_t seq = 0, last = 0, cur = 7;
	uint8_t *note = NULL;
	size_t len = 0;
	MDB_txn *txn = NULL;

	setup(&f);
	/* the sequence counter: strictly increasing, also across a reopen */
	for (int i = 0; i < 5; i++) {
		E(node_seq_next(f.s, NULL, &seq));
		assert_true(seq > last);
		last = seq;
	}
	assert_int_equal(last, 5);
	/* inside a transaction that aborts the number is not used up... */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_seq_next(f.s, txn, &seq));
	assert_int_equal(seq, 6);
	mdb_txn_abort(txn);
	/* ...and one that commits moves it on */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_seq_next(f.s, txn, &seq));
	assert_int_equal(seq, 6);
	E(sk_db_status(mdb_txn_commit(txn)));
	node_store_close(f.s);
	E(node_store_open(&f.s, f.dir, f.kek));
	E(node_seq_next(f.s, NULL, &seq));
	assert_int_equal(seq, 7);
	/* a publish reserves its numbers in its own write transaction: used up
	 * only when it commits, and committed on its own without one */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_seq_reserve(f.s, txn, 3, &seq));
	assert_int_equal(seq, 8);
	mdb_txn_abort(txn);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_seq_reserve(f.s, txn, 3, &seq));
	assert_int_equal(seq, 8);
	E(sk_db_status(mdb_txn_commit(txn)));
	E(node_seq_reserve(f.s, NULL, 2, &seq));
	assert_int_equal(seq, 11);
	node_store_close(f.s);
	E(node_store_open(&f.s, f.dir, f.kek));
	E(node_seq_next(f.s, NULL, &seq));
	assert_int_equal(seq, 13);

	/* the mailbox cursor and the last checkpoint */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_mailbox_cursor(f.s, txn, &cur));
	assert_int_equal(cur, 0);
	EFAIL(node_checkpoint_get(f.s, txn, &note, &len), SK_ERR_NOTFOUND);
	E(node_mailbox_cursor_put(f.s, txn, 42));
	E(node_checkpoint_put(f.s, txn, (const uint8_t *)CHECKPOINT, sizeof(CHECKPOINT) - 1));
	EFAIL(node_checkpoint_put(f.s, txn, (const uint8_t *)"", 0), SK_ERR_TOOBIG);
	E(sk_db_status(mdb_txn_commit(txn)));
	node_store_close(f.s);
	E(node_store_open(&f.s, f.dir, f.kek));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_mailbox_cursor(f.s, txn, &cur));
	assert_int_equal(cur, 42);
	E(node_checkpoint_get(f.s, txn, &note, &len));
	assert_int_equal(len, sizeof(CHECKPOINT) - 1);
	assert_memory_equal(note, CHECKPOINT, len);
	free(note);
	mdb_txn_abort(txn);
	teardown(&f);
}

typedef struct dirty_seen {
	char list[256];
	uint64_t gen_c1;
} dirty_seen;

static sk_status dirty_fn(const char *client, uint64_t gen, void *arg)
{
	dirty_seen *d = arg;

	size_t n = strlen(d->list);

	snprintf(d->list + n, sizeof(d->list) - n, "%s;", client);
	if (strcmp(client, "c-1") == 0)
		d->gen_c1 = gen;
	return SK_OK;
}

static void test_dirty_set(void **state)
{
	fixture f;
	dirty_seen d = {"", 0};
	MDB_txn *txn = NULL;
	uint64_t gen;
	int cleared = -1;

	setup(&f);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_dirty_mark(f.s, txn, "c-1"));
	E(node_dirty_mark(f.s, txn, "c-2"));
	E(sk_db_status(mdb_txn_commit(txn)));
	E(node_entry_changed(f.s, "c-3")); /* the hook: recorded too */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_dirty_scan(f.s, txn, dirty_fn, &d));
	mdb_txn_abort(txn);
	assert_string_equal(d.list, "c-1;c-2;c-3;");
	gen = d.gen_c1;

	/* a change after the publisher looked keeps the client dirty */
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	E(node_dirty_mark(f.s, txn, "c-1"));
	E(node_dirty_clear(f.s, txn, "c-1", gen, &cleared));
	assert_int_equal(cleared, 0);
	E(node_dirty_clear(f.s, txn, "c-2", 2, &cleared));
	assert_int_equal(cleared, 1);
	E(node_dirty_clear(f.s, txn, "c-9", 1, &cleared));
	assert_int_equal(cleared, 0);
	E(sk_db_status(mdb_txn_commit(txn)));
	/* survives a reopen */
	node_store_close(f.s);
	E(node_store_open(&f.s, f.dir, f.kek));
	memset(&d, 0, sizeof(d));
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, MDB_RDONLY, &txn)));
	E(node_dirty_scan(f.s, txn, dirty_fn, &d));
	mdb_txn_abort(txn);
	assert_string_equal(d.list, "c-1;c-3;");
	assert_true(d.gen_c1 > gen);
	teardown(&f);
}

static void test_token_cache(void **state)
{
	fixture f;
	uint8_t t1[32], k1[32], t2[32], k2[32], t[32], k[32];
	char id[NODE_CLIENT_ID_MAX + 1];
	MDB_txn *txn = NULL;

	setup(&f);
	randombytes_buf(t1, 32);
	randombytes_buf(k1, 32);
	randombytes_buf(t2, 32);
	randombytes_buf(k2, 32);
	E(sk_db_status(mdb_txn_begin(f.s->env, NULL, 0, &txn)));
	EFAIL(node_token_get(f.s, txn, "c-1", 1, t, k), SK_ERR_NOTFOUND);
	E(node_token_put(f.s, txn, "c-1", 1, t1, k1));
	E(node_token_get(f.s, txn, "c-1", 1, t, k));
	assert_memory_equal(t, t1, 32);
	assert_memory_equal(k, k1, 32);
	EFAIL(node_token_get(f.s, txn, "c-1", 2, t, k), SK_ERR_NOTFOUND);
	E(node_token_find(f.s, txn, t1, 1, id));
	assert_string_equal(id, "c-1");
	EFAIL(node_token_find(f.s, txn, t1, 2, id), SK_ERR_NOTFOUND);
	/* a new token for the same epoch replaces the old one in the index */
	E(node_token_put(f.s, txn, "c-1", 1, t2, k2));
	EFAIL(node_token_find(f.s, txn, t1, 1, id), SK_ERR_NOTFOUND);
	E(node_token_find(f.s, txn, t2, 1, id));
	assert_string_equal(id, "c-1");
	E(node_token_get(f.s, txn, "c-1", 1, t, k));
	assert_memory_equal(k, k2, 32);
	E(sk_db_status(mdb_txn_commit(txn)));
	node_store_close(f.s);
	f.s = NULL;
	/* the contact key is not stored in clear */
	assert_false(file_has(f.dir, "data.mdb", k2, 32));
	E(node_store_open(&f.s, f.dir, f.kek));
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_open),    cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_wrapped_keys), cmocka_unit_test(test_professionals),
		cmocka_unit_test(test_clients),      cmocka_unit_test(test_encrypted_at_rest),
		cmocka_unit_test(test_sync_state),   cmocka_unit_test(test_dirty_set),
		cmocka_unit_test(test_token_cache),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
