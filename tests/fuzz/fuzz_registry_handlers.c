/* Every request the registry's writer serves, on arbitrary Envelope bytes,
 * in process on a real temporary LMDB store, through serve's table of
 * request kinds (reg_serve_op): publish (new, the worker's checks,
 * apply), lookup, epoch and encryption keys, discussion request, answer
 * and send, anchors and the audit records a node reconciles with. Each
 * apply runs in a write transaction that is then aborted, so the store
 * stays as set up: the CA, the registry and two members (wijkteam,
 * sociaal-team; ggz) whose entries for one token are mutually visible,
 * published through the same path. The replies (the ops' reply hooks)
 * need a connection and are not run here; the frame codec they use is
 * fuzz_frame's. An outcome other than a status is a bug: abort.
 *
 * SK_FUZZ_WRITE_SEEDS=DIR writes one seed Envelope per request kind into
 * DIR (how tests/fuzz/corpus/registry_handlers/ was made). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "common/kek.h"
#include "registry/enrol.h"
#include "registry/screen.h"
#include "registry/serve.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static reg_store *store;
static net_peer peers[2]; /* wijkteam, ggz */
static key_ed25519 ids[2];
static uint8_t token[32];
static char dir[64];

static void rm_dir(void)
{
	char cmd[128];

	reg_store_close(store);
	if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < (int)sizeof(cmd) && system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

static void enrol(reg_ca *ca, sk_kek *kek, int i, const char *org, const char *cat)
{
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	uint8_t seed[32], *req = NULL, *bundle = NULL;
	size_t len = 0, blen = 0;
	char path[128], id[64];
	key_ed25519 tls;

	memset(seed, 3 + i, sizeof(seed)); /* fixed: seeds can be signed again */
	key_ed25519_from_seed(&ids[i], seed);
	key_ed25519_generate(&tls);
	b.org_id = (char *)org;
	b.name = (char *)org;
	b.category = (char *)cat;
	b.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	b.identity_key = (ProtobufCBinaryData){32, ids[i].pk};
	b.tls_key = (ProtobufCBinaryData){32, tls.pk};
	b.created_at = 1;
	snprintf(path, sizeof(path), "%s/%s.request", dir, org);
	CHECK(wire_enrol_request_write(path, &b, ids[i].sk));
	CHECK(sk_file_read(path, 65536, &req, &len));
	CHECK(reg_enrol(store, ca, req, len, &(reg_enrol_opts){.registry_address = "127.0.0.1:1"},
			&bundle, &blen, id));
	free(req);
	free(bundle);
	snprintf(peers[i].org_id, sizeof(peers[i].org_id), "%s", org);
	snprintf(peers[i].category, sizeof(peers[i].category), "%s", cat);
	(void)kek;
}

/* A signed PublishRequest of org i for the shared token, issued now. */
static void make_publish(Schakel__V1__PublishRequest *req, uint8_t *entry, uint8_t sig[64],
			 int i, uint64_t seq)
{
	Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
	static char *cats[] = {"sociaal-team", "ggz"};
	uint8_t salt[16] = {1}, head[32] = {2}, contact[64] = {3};
	size_t n;

	e.token = (ProtobufCBinaryData){32, token};
	e.epoch = 1;
	e.org_id = peers[i].org_id;
	e.flags = 7; /* discover, contact, discuss */
	e.n_categories = 2;
	e.categories = cats;
	e.has_sealed_contact = 1;
	e.sealed_contact = (ProtobufCBinaryData){64, contact};
	e.basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
	e.issued_at = sk_clock_now_ms();
	e.expires_at = e.issued_at + 30ull * 86400 * 1000;
	e.seq = seq;
	e.salt = (ProtobufCBinaryData){16, salt};
	e.audit_head = (ProtobufCBinaryData){32, head};
	n = schakel__v1__entry__pack(&e, entry);
	CHECK(key_sign(sig, "schakel/v1/entry", entry, n, ids[i].sk));
	req->entry = (ProtobufCBinaryData){n, entry};
	req->signature = (ProtobufCBinaryData){64, sig};
}

/* Runs one request as serve's table of kinds does (registry/serve.h): the
 * screen, new, the worker's check, apply in an aborted write transaction
 * (committed when keep), and free. */
static void serve_one(const wire_envelope *env, const net_peer *peer, int keep)
{
	const reg_op *op = reg_serve_op(env->body_case);
	reg_refusal *ref = NULL;
	void *job = NULL;
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	if (op == NULL || op->read != NULL)
		return; /* refused, or served without the writer, over the connection only */
	/* as serve does: over a cap or with unknown fields, refused (and
	 * audited) before any handler sees it */
	if ((ref = reg_request_screen(store, peer, op, env, &st)) != NULL || st != SK_OK) {
		if (ref != NULL && sk_db_status(mdb_txn_begin(store->env, NULL, 0, &txn)) == SK_OK) {
			st = reg_op_refusal.apply(txn, ref);
			mdb_txn_abort(txn);
		}
		reg_op_refusal.free(ref);
		return;
	}
	if ((st = op->new(&job, store, peer, env)) == SK_OK && op->check != NULL)
		op->check(job);
	if (st != SK_OK && st != SK_ERR_INVALID && st != SK_ERR_NOMEM && st != SK_ERR_TOOBIG &&
	    st != SK_ERR_PERM)
		abort();
	if (st == SK_OK && sk_db_status(mdb_txn_begin(store->env, NULL, 0, &txn)) == SK_OK) {
		st = op->apply(txn, job);
		if (keep && st == SK_OK)
			CHECK(sk_db_status(mdb_txn_commit(txn)));
		else
			mdb_txn_abort(txn);
	}
	if (job != NULL)
		op->free(job);
}

static void write_seed(const char *out, const char *name, wire_envelope *env)
{
	uint8_t buf[4096];
	char path[512];
	size_t n = schakel__v1__envelope__get_packed_size(env);

	if (n > sizeof(buf) || snprintf(path, sizeof(path), "%s/%s", out, name) >= (int)sizeof(path))
		abort();
	schakel__v1__envelope__pack(env, buf);
	unlink(path);
	CHECK(sk_file_create(path, buf, n));
}

static void write_seeds(const char *out)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__PublishRequest pr = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	Schakel__V1__LookupRequest lr = SCHAKEL__V1__LOOKUP_REQUEST__INIT;
	Schakel__V1__DiscussRequest dr = SCHAKEL__V1__DISCUSS_REQUEST__INIT;
	Schakel__V1__DiscussAnswer da = SCHAKEL__V1__DISCUSS_ANSWER__INIT;
	Schakel__V1__DiscussSend ds = SCHAKEL__V1__DISCUSS_SEND__INIT;
	Schakel__V1__DiscussSealed sealed = SCHAKEL__V1__DISCUSS_SEALED__INIT, *msgs[1] = {&sealed};
	Schakel__V1__EncKeyRequest ek = SCHAKEL__V1__ENC_KEY_REQUEST__INIT;
	Schakel__V1__EpochKeyRequest epk = SCHAKEL__V1__EPOCH_KEY_REQUEST__INIT;
	Schakel__V1__AnchorRequest ar = SCHAKEL__V1__ANCHOR_REQUEST__INIT;
	Schakel__V1__AuditRecordsRequest rr = SCHAKEL__V1__AUDIT_RECORDS_REQUEST__INIT;
	uint8_t entry[1024], sig[64], head[32] = {0x11}, key[32] = {9}, id[16] = {5}, ct[80] = {7};

	make_publish(&pr, entry, sig, 0, 7);
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &pr;
	write_seed(out, "publish", &env);
	lr.token = (ProtobufCBinaryData){32, token};
	lr.epoch = 1;
	lr.purpose = "afstemming";
	lr.role = "spv";
	lr.audit_head = (ProtobufCBinaryData){32, head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &lr;
	write_seed(out, "lookup", &env);
	dr.token = (ProtobufCBinaryData){32, token};
	dr.epoch = 1;
	dr.topic = "afstemming";
	dr.window_start = 1795000000000ull;
	dr.window_end = dr.window_start + 86400000ull;
	dr.discussion_key = (ProtobufCBinaryData){32, key};
	dr.audit_head = (ProtobufCBinaryData){32, head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST;
	env.discuss_request = &dr;
	write_seed(out, "discuss-request", &env);
	da.discussion_id = (ProtobufCBinaryData){16, id};
	da.accept = 1;
	da.has_sealed = 1;
	da.sealed = (ProtobufCBinaryData){sizeof(ct), ct};
	da.audit_head = (ProtobufCBinaryData){32, head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER;
	env.discuss_answer = &da;
	write_seed(out, "discuss-answer", &env);
	sealed.recipient = "ggz";
	sealed.seq = 1;
	sealed.sealed = (ProtobufCBinaryData){sizeof(ct), ct};
	ds.discussion_id = (ProtobufCBinaryData){16, id};
	ds.n_messages = 1;
	ds.messages = msgs;
	ds.audit_head = (ProtobufCBinaryData){32, head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND;
	env.discuss_send = &ds;
	write_seed(out, "discuss-send", &env);
	ek.encryption_key = (ProtobufCBinaryData){32, key};
	ek.not_after = 1900000000;
	ek.signature = (ProtobufCBinaryData){64, sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST;
	env.enc_key_request = &ek;
	write_seed(out, "enc-key", &env);
	epk.body = (ProtobufCBinaryData){32, key};
	epk.signature = (ProtobufCBinaryData){64, sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST;
	env.epoch_key_request = &epk;
	write_seed(out, "epoch-key", &env);
	ar.body = (ProtobufCBinaryData){32, head};
	ar.signature = (ProtobufCBinaryData){64, sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST;
	env.anchor_request = &ar;
	write_seed(out, "anchor", &env);
	rr.has_after_seq = 1;
	rr.after_seq = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST;
	env.audit_records_request = &rr;
	write_seed(out, "audit-records", &env);
}

static void setup(void)
{
	char ca_dir[96], reg_dir[96];
	sk_kek *kek = NULL;
	reg_ca *ca = NULL;
	const char *seeds = getenv("SK_FUZZ_WRITE_SEEDS");

	CHECK(sk_init());
	CHECK(sk_kek_open(&kek, NULL, 1));
	snprintf(dir, sizeof(dir), "/tmp/schakel-fuzz-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(rm_dir);
	snprintf(ca_dir, sizeof(ca_dir), "%s/ca", dir);
	snprintf(reg_dir, sizeof(reg_dir), "%s/r", dir);
	CHECK(reg_ca_init(ca_dir, "Regio Test", kek));
	CHECK(reg_store_init(reg_dir, "test.example/registry", "registry", kek));
	CHECK(reg_store_open(&store, reg_dir, kek));
	CHECK(reg_ca_open(&ca, ca_dir, kek));
	CHECK(reg_tls_ensure(store, ca, kek));
	enrol(ca, kek, 0, "wijkteam", "sociaal-team");
	enrol(ca, kek, 1, "ggz", "ggz");
	reg_ca_close(ca);
	sk_kek_free(kek);
	memset(token, 0x42, sizeof(token));
	for (int i = 0; i < 2; i++) {
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
		Schakel__V1__PublishRequest pr = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
		uint8_t entry[1024], sig[64];

		make_publish(&pr, entry, sig, i, 1);
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
		env.publish_request = &pr;
		serve_one(&env, &peers[i], 1);
	}
	if (seeds != NULL)
		write_seeds(seeds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	wire_envelope *env;

	if (!ready) {
		setup();
		ready = 1;
	}
	if ((env = schakel__v1__envelope__unpack(NULL, size, data)) == NULL)
		return 0;
	/* the first byte of the request id picks the member asking */
	serve_one(env, &peers[env->request_id & 1], 0);
	schakel__v1__envelope__free_unpacked(env, NULL);
	return 0;
}
