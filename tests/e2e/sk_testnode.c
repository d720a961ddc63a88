/* A minimal member for end-to-end tests of the registry, until the real
 * node exists: writes an enrolment request, publishes entries over real TLS
 * and checks every receipt (registry signature, leaf hash, signed
 * checkpoint, inclusion proof), and verifies checkpoint consistency.
 * Keys are unwrapped (test only). Prints one JSON object per result.
 *
 *   sk-testnode init --dir D --org-id ID --name N --category C [--role pseudonymiser]
 *        [--host NAME]... (written into the request unchecked, up to 20)
 *   sk-testnode publish --dir D --bundle B --seq N [--token-seed S] [--flags F]
 *        [--categories C] [--skew-ms X] [--entry-org ID] [--withdraw]
 *        [--issued-at MS] [--registry ADDR] [--cert-bundle B2] [--correlation HEX]
 *   sk-testnode burst --dir D --bundle B --from SEQ --count N --threads T
 *   sk-testnode resubmit --dir D --bundle B --old ACKS [--registry ADDR]
 *   sk-testnode lookup --dir D --bundle B --token HEX [--purpose P] [--as-role R]
 *   sk-testnode mailbox --dir D --bundle B [--after N]
 *   (publish also takes --token HEX, --basis statutory, --expires-ms MS, --regie,
 *   --sign-key-dir D2: sign with D2's identity key instead, --tamper: flip a
 *   byte of the entry after signing)
 *   sk-testnode show-bundle --bundle B
 *   sk-testnode consistent --vkey V --old F1 --new F2 --proof P
 *   sk-testnode load --dir D --bundle B --mode publish|lookup --conns C --seconds S
 *        [--from SEQ] [--count N] [--token HEX]
 *        (load for bench/run.sh: C connections, one request outstanding on each,
 *        on one event loop; publish entries are signed before the clock starts;
 *        replies are counted, not verified; prints rate and p50/p99 latency)
 *   sk-testnode abuse --dir D --bundle B --mode garbage|oversize|slow|flood
 *        [--conns N] [--seconds S]
 *        (a misbehaving peer: garbage bytes instead of a TLS handshake; a frame
 *        header over the 1 MiB cap after the handshake; a frame sent one byte a
 *        second for S seconds; N connections held open for S seconds. Prints
 *        how long the registry took to close, or how many it refused)
 *   sk-testnode kinds --dir D --bundle B --seq N [--wait-file F]
 *        (every request kind on a connection of its own, before F appears and
 *        after, on the open connections and on new ones; and how long after F
 *        appeared an idle connection was closed: one JSON line each)
 *   sk-testnode issue-cert --dir D --ca CA --org-id ID --category C
 *        (D/tls.crt for D's TLS key straight from the CA: a fake registry's)
 *   sk-testnode flood --dir D --bundle B --mode big-entry|unknown-entry|unknown-request|
 *        unknown-anchor|unknown-epoch-key|entries|anchors|enc-keys|epoch-keys [--from SEQ] [--count N]
 *        [--bytes B]
 *        (one member over its caps and quotas, on one connection: a signed entry
 *        carrying B bytes in a field the registry does not know (big-entry: ~900 KB);
 *        a valid entry inside a request with an unknown field; an anchor body with
 *        one; an epoch key body with one (a pseudonymiser's); N entries or N valid
 *        anchors from SEQ; N encryption keys; N epoch keys from epoch SEQ (2). Prints accepted and refused counts and the first
 *        refusal's code and message)
 *   sk-testnode directory --dir D --bundle B --org-id ID --category C [--tamper]
 *        (publishes a directory record of ID signed with D's identity key; with
 *        --tamper one byte of the record is changed after signing. Prints
 *        {"leaf_index":…} or {"error":…,"message":…} and exits 1)
 *   sk-testnode discuss-open --dir D --bundle B --token HEX      (prints the id)
 *   sk-testnode discuss-accept --dir D --bundle B --discussion HEX
 *   sk-testnode discuss-flood --dir D --bundle B --discussion HEX --to ORG --count N
 *        [--bytes B] [--from SEQ]
 *        (N sends of one sealed message of B bytes to ORG; counts as flood does)
 */
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/file.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "crypto/oprf.h"
#include "net/conn.h"
#include "net/tls.h"
#include "protos/directory.h"
#include "protos/domains.h"
#include "protos/wire.h"

#define DIE(...)                                                   \
	do {                                                       \
		fprintf(stderr, "sk-testnode: " __VA_ARGS__);      \
		fputc('\n', stderr);                               \
		exit(1);                                           \
	} while (0)

static struct {
	const char *dir, *bundle, *org, *name, *category, *role, *flags, *cats, *entry_org;
	const char *registry, *cert_bundle, *correlation, *vkey, *old, *new_, *proof;
	const char *token_hex, *basis, *purpose, *as_role, *sign_key_dir;
	int tamper;
	char *hosts[20];
	size_t n_hosts;
	unsigned long long expires_ms, after;
	int regie;
	unsigned long long seq, token_seed, count, threads, issued_at;
	long long skew_ms;
	int withdraw;
	const char *mode, *wait_file, *ca;
	unsigned long long conns, seconds;
	const char *discussion, *to;
	unsigned long long bytes, unknown_len; /* unknown_len: an unknown field in entries */
} o = {.flags = "discover,contact,discuss", .cats = "ggz,sociaal-team", .threads = 1,
       .count = 1};

static sk_kek *kek;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void path(char *out, const char *name)
{
	if (sk_path_join(out, PATH_MAX, o.dir, name) != SK_OK)
		DIE("path too long");
}

static void read_key(const char *name, const char *label, uint8_t seed[32])
{
	char p[PATH_MAX];

	path(p, name);
	if (sk_keyfile_read(kek, p, label, seed, 32) != SK_OK)
		DIE("cannot read %s: %s", p, sk_error_detail());
}

static int cmd_init(void)
{
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	Schakel__V1__SignedEnrolRequest sr = SCHAKEL__V1__SIGNED_ENROL_REQUEST__INIT;
	uint8_t seed[32], oprf_sk[32], oprf_pk[32], body[1024], sig[64], out[2048], tseed[32];
	key_ed25519 id, tls;
	char p[PATH_MAX];
	size_t n;

	if (sk_dir_create(o.dir) != SK_OK)
		DIE("%s", sk_error_detail());
	randombytes_buf(seed, 32);
	randombytes_buf(tseed, 32);
	key_ed25519_from_seed(&id, seed);
	key_ed25519_from_seed(&tls, tseed);
	path(p, "identity.key");
	if (sk_keyfile_write(kek, p, "identity", seed, 32) != SK_OK)
		DIE("%s", sk_error_detail());
	path(p, "tls.key");
	if (sk_keyfile_write(kek, p, "tls", tseed, 32) != SK_OK)
		DIE("%s", sk_error_detail());
	b.org_id = (char *)o.org;
	b.name = (char *)o.name;
	b.category = (char *)o.category;
	b.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	if (o.role != NULL && strcmp(o.role, "pseudonymiser") == 0) {
		b.role = SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER;
		oprf_keypair_generate(oprf_sk, oprf_pk);
		b.has_oprf_key = 1;
		b.oprf_key = (ProtobufCBinaryData){32, oprf_pk};
	}
	b.identity_key = (ProtobufCBinaryData){32, id.pk};
	b.tls_key = (ProtobufCBinaryData){32, tls.pk};
	b.created_at = now_ms();
	b.n_hosts = o.n_hosts;
	b.hosts = o.hosts;
	if (schakel__v1__enrol_request_body__get_packed_size(&b) > sizeof(body))
		DIE("request too large");
	n = schakel__v1__enrol_request_body__pack(&b, body);
	if (key_sign(sig, "schakel/v1/enrol-request", body, n, id.sk) != SK_OK)
		DIE("sign");
	sr.body = (ProtobufCBinaryData){n, body};
	sr.signature = (ProtobufCBinaryData){64, sig};
	n = schakel__v1__signed_enrol_request__pack(&sr, out);
	path(p, "enrol-request");
	if (sk_file_create(p, out, n) != SK_OK)
		DIE("%s", sk_error_detail());
	printf("{\"org\":\"%s\"}\n", o.org);
	return 0;
}

typedef struct member {
	Schakel__V1__SignedBundle *sb;
	Schakel__V1__BundleBody *b;
	Schakel__V1__BundleBody *cert_from; /* another bundle's certificate */
	Schakel__V1__SignedBundle *sb2;
	net_tls *tls;
	key_ed25519 id;
	note_verifier log_vkey;
} member;

static Schakel__V1__BundleBody *load_bundle(const char *file, Schakel__V1__SignedBundle **sbo)
{
	uint8_t *data = NULL;
	size_t len = 0;
	Schakel__V1__SignedBundle *sb;
	Schakel__V1__BundleBody *b;

	if (sk_file_read(file, 1 << 20, &data, &len) != SK_OK)
		DIE("cannot read bundle %s", file);
	sb = schakel__v1__signed_bundle__unpack(NULL, len, data);
	free(data);
	if (sb == NULL || (b = schakel__v1__bundle_body__unpack(NULL, sb->body.len, sb->body.data)) == NULL)
		DIE("bad bundle");
	if (b->registry_key.len != 32 || sb->signature.len != 64 ||
	    key_verify(sb->signature.data, "schakel/v1/bundle", sb->body.data, sb->body.len,
		       b->registry_key.data) != SK_OK)
		DIE("bundle signature does not verify");
	*sbo = sb;
	return b;
}

static void member_load(member *m)
{
	uint8_t seed[32];
	key_ed25519 tls;
	const ProtobufCBinaryData *cert;

	m->b = load_bundle(o.bundle, &m->sb);
	cert = &m->b->member_cert;
	if (o.cert_bundle != NULL) {
		m->cert_from = load_bundle(o.cert_bundle, &m->sb2);
		cert = &m->cert_from->member_cert;
	}
	if (o.org == NULL) {
		static net_peer self;

		if (net_cert_verify(&self, m->b->member_cert.data, m->b->member_cert.len,
				    m->b->ca_cert.data, m->b->ca_cert.len, (int64_t)time(NULL)) != SK_OK)
			DIE("own certificate: %s", sk_error_detail());
		o.org = self.org_id;
	}
	read_key("identity.key", "identity", seed);
	key_ed25519_from_seed(&m->id, seed);
	read_key("tls.key", "tls", seed);
	key_ed25519_from_seed(&tls, seed);
	if (net_tls_new(&m->tls, m->b->ca_cert.data, m->b->ca_cert.len, cert->data, cert->len,
			&tls) != SK_OK)
		DIE("tls: %s", sk_error_detail());
	if (note_verifier_from_public(&m->log_vkey, m->b->log_origin, NOTE_TYPE_ED25519,
				      m->b->registry_key.data) != SK_OK)
		DIE("log key");
}

static void member_free(member *m)
{
	net_tls_free(m->tls);
	schakel__v1__bundle_body__free_unpacked(m->b, NULL);
	schakel__v1__bundle_body__free_unpacked(m->cert_from, NULL);
	schakel__v1__signed_bundle__free_unpacked(m->sb, NULL);
	schakel__v1__signed_bundle__free_unpacked(m->sb2, NULL);
}

static net_sync *member_connect(member *m)
{
	net_sync *sc = NULL;
	sk_status st;

	st = net_sync_connect(&sc, m->tls, o.registry ? o.registry : m->b->registry_address,
			      m->b->registry_org_id, 10000);
	if (st != SK_OK) {
		printf("{\"error\":%d,\"message\":\"connect: %s\"}\n", st, sk_error_detail());
		member_free(m);
		sk_kek_free(kek);
		exit(1);
	}
	if (strcmp(net_sync_peer(sc)->category, "registry") != 0)
		DIE("the server is not a registry");
	return sc;
}

/* Builds and signs the entry for seq (deterministic for a given issued_at
 * and token seed, so that a test can rebuild the exact bytes). */
static void make_request(member *m, uint64_t seq, uint64_t issued, uint8_t *entry,
			 size_t *elen, uint8_t sig[64])
{
	Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
	uint8_t token[32], salt[16], head[32], contact[64], seedb[8];
	char *cats[16], catbuf[256];
	size_t nc = 0;
	uint32_t flags = 0;

	for (int i = 0; i < 8; i++)
		seedb[i] = (uint8_t)((o.token_seed ? o.token_seed : seq) >> (8 * i));
	crypto_generichash(token, 32, seedb, 8, (const uint8_t *)"token", 5);
	if (o.token_hex != NULL && (strlen(o.token_hex) != 64 ||
				    sodium_hex2bin(token, 32, o.token_hex, 64, NULL, NULL, NULL) != 0))
		DIE("--token takes 64 hex digits");
	for (int i = 0; i < 8; i++)
		seedb[i] = (uint8_t)(seq >> (8 * i));
	crypto_generichash(salt, 16, seedb, 8, (const uint8_t *)"salt", 4);
	memset(head, 0x11, 32);
	memset(contact, 0x22, 64);
	e.token = (ProtobufCBinaryData){32, token};
	e.epoch = 1;
	e.org_id = (char *)(o.entry_org ? o.entry_org : o.org);
	if (strstr(o.flags, "discover"))
		flags |= 1;
	if (strstr(o.flags, "contact"))
		flags |= 2;
	if (strstr(o.flags, "discuss"))
		flags |= 4;
	/* strtok_r: burst threads build requests at the same time (strtok's
	 * shared state once gave an acked entry other categories than its
	 * resubmission, which the crash test then reported as lost) */
	snprintf(catbuf, sizeof(catbuf), "%s", o.cats);
	for (char *save = NULL, *t = strtok_r(catbuf, ",", &save); t && nc < 16;
	     t = strtok_r(NULL, ",", &save))
		cats[nc++] = t;
	if (o.withdraw) {
		e.has_withdrawn = 1;
		e.withdrawn = 1;
	} else {
		e.flags = flags;
		e.n_categories = nc;
		e.categories = cats;
		if (flags & 2) {
			e.has_sealed_contact = 1;
			e.sealed_contact = (ProtobufCBinaryData){64, contact};
		}
	}
	e.basis = o.basis != NULL && strcmp(o.basis, "statutory") == 0
			  ? SCHAKEL__V1__BASIS__BASIS_STATUTORY
			  : SCHAKEL__V1__BASIS__BASIS_CONSENT;
	e.has_regie = e.regie = o.regie;
	e.issued_at = issued;
	e.expires_at = issued + (o.expires_ms ? o.expires_ms : 30ull * 86400 * 1000);
	e.seq = seq;
	e.salt = (ProtobufCBinaryData){16, salt};
	e.audit_head = (ProtobufCBinaryData){32, head};
	if (o.unknown_len > 0) { /* a field number no schema version uses */
		static ProtobufCMessageUnknownField uf;
		static uint8_t *junk;
		static size_t jlen;

		/* protobuf-c keeps a length-prefixed field's prefix in its data */
		if (junk == NULL) {
			if ((junk = calloc(1, o.unknown_len + 10)) == NULL)
				DIE("nomem");
			for (uint64_t v = o.unknown_len;; v >>= 7) {
				junk[jlen++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
				if (v < 0x80)
					break;
			}
			jlen += o.unknown_len;
		}
		uf = (ProtobufCMessageUnknownField){999, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, jlen,
						    junk};
		e.base.n_unknown_fields = 1;
		e.base.unknown_fields = &uf;
	}
	*elen = schakel__v1__entry__pack(&e, entry);
	if (o.sign_key_dir != NULL) { /* an attacker's re-signature */
		const char *own = o.dir;
		uint8_t seed[32];
		key_ed25519 other;

		o.dir = o.sign_key_dir;
		read_key("identity.key", "identity", seed);
		o.dir = own;
		key_ed25519_from_seed(&other, seed);
		if (key_sign(sig, "schakel/v1/entry", entry, *elen, other.sk) != SK_OK)
			DIE("sign");
	} else if (key_sign(sig, "schakel/v1/entry", entry, *elen, m->id.sk) != SK_OK) {
		DIE("sign");
	}
	if (o.tamper)
		entry[*elen - 1] ^= 1; /* after the signature: one bit of the last field */
}

/* Sends one publish and checks the receipt; returns the status, fills
 * leaf index and tree size. */
static sk_status publish_one(member *m, net_sync *sc, uint64_t seq, uint64_t issued,
			     uint64_t *leaf_index, uint64_t *size)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	Schakel__V1__PublishReceiptBody *rb = NULL;
	uint8_t entry[1024], sig[64], leaf[32], corr[32];
	const Schakel__V1__PublishReceipt *r;
	note_checkpoint cp;
	size_t elen, clen = 0;
	sk_status st;

	make_request(m, seq, issued, entry, &elen, sig);
	req.entry = (ProtobufCBinaryData){elen, entry};
	req.signature = (ProtobufCBinaryData){64, sig};
	if (o.correlation != NULL &&
	    sodium_hex2bin(corr, sizeof(corr), o.correlation, strlen(o.correlation), NULL, &clen,
			   NULL) == 0) {
		req.has_correlation_id = 1;
		req.correlation_id = (ProtobufCBinaryData){clen, corr};
	}
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &req;
	if ((st = net_sync_request(sc, &env, &reply)) != SK_OK)
		return st;
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT)
		DIE("unexpected reply");
	r = reply->publish_receipt;
	/* the receipt is the registry's, for exactly this leaf */
	if (wire_receipt_verify(r, m->b->registry_key.data, NULL) != SK_OK)
		DIE("INTEGRITY: receipt signature");
	rb = schakel__v1__publish_receipt_body__unpack(NULL, r->body.len, r->body.data);
	if (rb == NULL || wire_leaf_hash(leaf, WIRE_LEAF_ENTRY, entry, elen, sig) != SK_OK ||
	    rb->leaf_hash.len != 32 || memcmp(rb->leaf_hash.data, leaf, 32) != 0 ||
	    rb->seq != seq)
		DIE("INTEGRITY: receipt is not for this entry");
	/* the signed checkpoint includes it */
	if (!r->has_checkpoint ||
	    note_checkpoint_open(&cp, NULL, r->checkpoint.data, r->checkpoint.len, &m->log_vkey,
				 NULL, 0) != SK_OK)
		DIE("INTEGRITY: checkpoint does not verify");
	if (!r->has_inclusion_proof || r->inclusion_proof.len % 32 != 0 ||
	    merkle_inclusion_verify(cp.root, leaf, rb->leaf_index, cp.size, r->inclusion_proof.data,
				    r->inclusion_proof.len / 32) != SK_OK)
		DIE("INTEGRITY: inclusion proof does not verify");
	*leaf_index = rb->leaf_index;
	*size = cp.size;
	schakel__v1__publish_receipt_body__free_unpacked(rb, NULL);
	wire_envelope_free(reply);
	return SK_OK;
}

static int cmd_publish(void)
{
	member m = {0};
	net_sync *sc;
	uint64_t leaf, size, issued;
	sk_status st;

	member_load(&m);
	sc = member_connect(&m);
	issued = o.issued_at ? o.issued_at : (uint64_t)((long long)now_ms() + o.skew_ms);
	st = publish_one(&m, sc, o.seq, issued, &leaf, &size);
	if (st != SK_OK)
		printf("{\"error\":%d,\"message\":\"%s\"}\n", st, sk_error_detail());
	else
		printf("{\"seq\":%llu,\"leaf_index\":%llu,\"size\":%llu,\"issued_at\":%llu}\n",
		       o.seq, (unsigned long long)leaf, (unsigned long long)size,
		       (unsigned long long)issued);
	net_sync_close(sc);
	member_free(&m);
	return st == SK_OK ? 0 : 1;
}

static int cmd_directory(void)
{
	Schakel__V1__DirectoryRecord r = SCHAKEL__V1__DIRECTORY_RECORD__INIT;
	Schakel__V1__DirectoryPublish req = SCHAKEL__V1__DIRECTORY_PUBLISH__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__PublishReceiptBody *rb = NULL;
	char *services[] = {"dagbesteding"}, name[80];
	uint8_t buf[4096], sig[64];
	member m = {0};
	net_sync *sc;
	size_t n;
	int rc = 1;

	if (o.org == NULL)
		DIE("directory: --org-id is required");
	member_load(&m);
	sc = member_connect(&m);
	snprintf(name, sizeof(name), "Org %s", o.org);
	r.org_id = (char *)o.org;
	r.version = now_ms();
	r.display_name = name;
	r.category = (char *)(o.category ? o.category : "ggz");
	r.services = services;
	r.n_services = 1;
	r.issued_at = now_ms();
	n = schakel__v1__directory_record__pack(&r, buf);
	if (key_sign(sig, WIRE_DOMAIN_DIRECTORY, buf, n, m.id.sk) != SK_OK)
		DIE("sign");
	if (o.tamper)
		buf[n - 1] ^= 1; /* the last byte of issued_at, after signing */
	req.record = (ProtobufCBinaryData){n, buf};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH;
	env.directory_publish = &req;
	sk_status st;

	if ((st = net_sync_request(sc, &env, &reply)) != SK_OK) {
		printf("{\"error\":%d,\"message\":\"%s\"}\n", st, sk_error_detail());
	} else if (reply->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR) {
		printf("{\"error\":%u,\"message\":\"%s\"}\n", reply->error->code,
		       reply->error->message ? reply->error->message : "");
	} else if (reply->body_case == SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT &&
		   (rb = schakel__v1__publish_receipt_body__unpack(
			    NULL, reply->publish_receipt->body.len,
			    reply->publish_receipt->body.data)) != NULL) {
		printf("{\"leaf_index\":%llu}\n", (unsigned long long)rb->leaf_index);
		rc = 0;
	} else {
		DIE("unexpected reply");
	}
	schakel__v1__publish_receipt_body__free_unpacked(rb, NULL);
	wire_envelope_free(reply);
	net_sync_close(sc);
	member_free(&m);
	return rc;
}

struct burst {
	member *m;
	uint64_t from, count;
	pthread_mutex_t *lock;
};

static void *burst_main(void *arg)
{
	struct burst *b = arg;
	net_sync *sc = member_connect(b->m);

	for (uint64_t s = b->from; s < b->from + b->count; s++) {
		uint64_t leaf, size, issued = now_ms();

		if (publish_one(b->m, sc, s, issued, &leaf, &size) != SK_OK)
			break; /* the registry went away: stop, acks so far stand */
		pthread_mutex_lock(b->lock);
		printf("{\"ack\":%llu,\"issued_at\":%llu,\"leaf_index\":%llu}\n",
		       (unsigned long long)s, (unsigned long long)issued,
		       (unsigned long long)leaf);
		fflush(stdout);
		pthread_mutex_unlock(b->lock);
	}
	net_sync_close(sc);
	return NULL;
}

static int cmd_burst(void)
{
	member m = {0};
	pthread_t th[64];
	struct burst b[64];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t per;

	if (o.threads == 0 || o.threads > 64)
		DIE("--threads 1..64");
	member_load(&m);
	per = o.count / o.threads;
	for (unsigned i = 0; i < o.threads; i++) {
		b[i] = (struct burst){&m, o.seq + i * per, per, &lock};
		if (pthread_create(&th[i], NULL, burst_main, &b[i]) != 0)
			DIE("thread");
	}
	for (unsigned i = 0; i < o.threads; i++)
		pthread_join(th[i], NULL);
	member_free(&m);
	return 0;
}

/* Resubmits every acknowledged publish of a burst's output (--acks FILE)
 * byte for byte over one connection: each must come back with its
 * original leaf index, i.e. it survived. Prints the count. */
static int cmd_resubmit(void)
{
	member m = {0};
	net_sync *sc;
	FILE *f = fopen(o.old, "r");
	char line[256];
	unsigned long long seq, issued, want, n = 0, lost = 0;

	if (f == NULL)
		DIE("cannot open %s", o.old);
	member_load(&m);
	sc = member_connect(&m);
	while (fgets(line, sizeof(line), f) != NULL) {
		uint64_t leaf, size;

		if (sscanf(line, "{\"ack\":%llu,\"issued_at\":%llu,\"leaf_index\":%llu}", &seq,
			   &issued, &want) != 3)
			DIE("bad ack line");
		o.token_seed = 0;
		/* an error answer (a timeout, the server busy under load) is asked
		 * again on a new connection; only a different leaf, or no answer
		 * after five tries, counts as lost */
		for (int tries = 0;; tries++) {
			sk_status st = publish_one(&m, sc, seq, issued, &leaf, &size);

			if (st == SK_OK && leaf == want)
				break;
			if (st == SK_OK || tries == 4) {
				fprintf(stderr, "lost: seq %llu: %s (want leaf %llu)\n", seq,
					st == SK_OK ? "another leaf" : sk_error_detail(), want);
				lost++;
				break;
			}
			fprintf(stderr, "resubmit: seq %llu: %s; again\n", seq, sk_error_detail());
			net_sync_close(sc);
			usleep(200000);
			sc = member_connect(&m);
		}
		n++;
	}
	fclose(f);
	net_sync_close(sc);
	member_free(&m);
	printf("{\"checked\":%llu,\"lost\":%llu}\n", n, lost);
	return lost == 0 ? 0 : 1;
}

static void token_of(uint8_t token[32])
{
	if (o.token_hex == NULL || strlen(o.token_hex) != 64 ||
	    sodium_hex2bin(token, 32, o.token_hex, 64, NULL, NULL, NULL) != 0)
		DIE("--token takes 64 hex digits");
}

/* One request on a fresh connection; prints an error line and returns NULL
 * when the registry refuses. */
static wire_envelope *request_once(member *m, const wire_envelope *env)
{
	net_sync *sc = member_connect(m);
	wire_envelope *reply = NULL;
	sk_status st = net_sync_request(sc, env, &reply);

	if (st != SK_OK)
		printf("{\"error\":%d,\"message\":\"%s\"}\n", st, sk_error_detail());
	net_sync_close(sc);
	return reply;
}

/* ---- lookup, measured as it travels ------------------------------------ */

static SSL *tls_open(member *m, int *fd);

/* Bytes of the TLS records received that carried application data, each
 * whole (5-byte header, ciphertext, tag): what an observer of the
 * connection sees of an answer. Counted by OpenSSL's message callback,
 * which reports each record's header, then its inner content type once
 * decrypted (TLS 1.3). */
static size_t rx_app_bytes, rx_record_len;

static void count_records(int write_p, int version, int content_type, const void *buf,
			  size_t len, SSL *ssl, void *arg)
{
	const uint8_t *p = buf;

	(void)version;
	(void)ssl;
	(void)arg;
	if (write_p)
		return;
	if (content_type == SSL3_RT_HEADER && len == 5)
		rx_record_len = 5 + ((size_t)p[3] << 8 | p[4]);
	else if (content_type == SSL3_RT_INNER_CONTENT_TYPE && len == 1 &&
		 p[0] == SSL3_RT_APPLICATION_DATA)
		rx_app_bytes += rx_record_len;
}

/* The server of a raw connection must be the registry (as member_connect
 * checks for net_sync connections). */
static void registry_check(member *m, SSL *ssl)
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	unsigned char *der = NULL;
	net_peer peer;
	int len = x != NULL ? i2d_X509(x, &der) : -1;

	if (len <= 0 || net_cert_verify(&peer, der, (size_t)len, m->b->ca_cert.data,
					m->b->ca_cert.len, (int64_t)time(NULL)) != SK_OK ||
	    strcmp(peer.category, "registry") != 0)
		DIE("the server is not a registry");
	OPENSSL_free(der);
	X509_free(x);
}

static void ssl_read_all(SSL *ssl, uint8_t *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		int n = SSL_read(ssl, buf + got, len - got > INT32_MAX ? INT32_MAX : (int)(len - got));

		if (n <= 0)
			DIE("the registry closed the connection");
		got += (size_t)n;
	}
}

/* The length of top-level field `field` (length-delimited) of a protobuf
 * message, as it is in the bytes: the padded LookupResponse inside the
 * Envelope before anything is decoded. 0 if absent. */
static size_t field_len(const uint8_t *b, size_t len, unsigned field)
{
	size_t i = 0;

	while (i < len) {
		uint64_t key = 0, v = 0;

		for (unsigned sh = 0; i < len; sh += 7) {
			key |= (uint64_t)(b[i] & 0x7f) << sh;
			if (!(b[i++] & 0x80))
				break;
		}
		if ((key & 7) == 0 || (key & 7) == 2) {
			for (unsigned sh = 0; i < len; sh += 7) {
				v |= (uint64_t)(b[i] & 0x7f) << sh;
				if (!(b[i++] & 0x80))
					break;
			}
		} else {
			DIE("unexpected wire type in the answer");
		}
		if ((key & 7) == 2) {
			if (v > len - i)
				DIE("truncated answer");
			if ((key >> 3) == field)
				return (size_t)v;
			i += (size_t)v;
		}
	}
	return 0;
}

/* Prints the mutually visible partners and the answer's sizes as they
 * travelled: "wire" (the TLS records that carried it), "frame" (after TLS:
 * header + Envelope), "padded" (the LookupResponse inside, padding
 * included, before it is decoded); "size" and "hash" of the decoded
 * response re-encoded. Tests compare them between cases. A refusal prints
 * {"error":…,"message":…} and exits 1. */
static int cmd_lookup(void)
{
	member m = {0};
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__LookupRequest req = SCHAKEL__V1__LOOKUP_REQUEST__INIT;
	uint8_t token[32], head[32] = {0x11}, *buf = NULL, *frame = NULL, hdr[4], h[32];
	char hex[65];
	const Schakel__V1__LookupResponse *r;
	size_t n, flen = 0, plen = 0, padded, wire;
	SSL *ssl;
	int fd = -1;

	member_load(&m);
	token_of(token);
	req.token = (ProtobufCBinaryData){32, token};
	req.epoch = 1;
	req.purpose = (char *)(o.purpose ? o.purpose : "afstemming");
	req.role = (char *)(o.as_role ? o.as_role : "spv");
	req.audit_head = (ProtobufCBinaryData){32, head};
	env.request_id = 1;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &req;
	if (wire_envelope_pack(&env, &frame, &flen) != SK_OK)
		DIE("cannot pack the request");
	ssl = tls_open(&m, &fd);
	registry_check(&m, ssl);
	SSL_set_msg_callback(ssl, count_records);
	/* the answer: the first frame for our request (a push first is a refusal) */
	rx_app_bytes = 0;
	if (SSL_write(ssl, frame, (int)flen) != (int)flen)
		DIE("cannot send the request");
	free(frame);
	frame = NULL;
	while (reply == NULL || (reply->request_id != 1 &&
				 reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_ERROR)) {
		wire_envelope_free(reply);
		reply = NULL;
		free(frame);
		ssl_read_all(ssl, hdr, sizeof(hdr));
		plen = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		if (plen == 0 || plen > WIRE_FRAME_MAX || (frame = malloc(plen)) == NULL)
			DIE("bad frame length %zu", plen);
		ssl_read_all(ssl, frame, plen);
		if (wire_envelope_unpack(frame, plen, &reply) != SK_OK)
			DIE("cannot decode the answer");
	}
	wire = rx_app_bytes;
	SSL_free(ssl);
	close(fd);
	if (reply->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR) {
		printf("{\"error\":%d,\"message\":\"%s\"}\n", net_error_status(reply->error->code),
		       reply->error->message ? reply->error->message : "");
		wire_envelope_free(reply);
		free(frame);
		member_free(&m);
		return 1;
	}
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_RESPONSE)
		DIE("unexpected reply");
	padded = field_len(frame, plen, SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_RESPONSE);
	r = reply->lookup_response;
	n = schakel__v1__lookup_response__get_packed_size(r);
	if ((buf = malloc(n)) == NULL)
		DIE("nomem");
	schakel__v1__lookup_response__pack(r, buf);
	crypto_hash_sha256(h, buf, n);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	printf("{\"size\":%zu,\"hash\":\"%s\",\"wire\":%zu,\"frame\":%zu,\"padded\":%zu,"
	       "\"results\":[",
	       n, hex, wire, WIRE_FRAME_HEADER_BYTES + plen, padded);
	for (size_t i = 0; i < r->n_results; i++)
		printf("%s{\"org\":\"%s\",\"category\":\"%s\",\"regie\":%s,\"contact\":%s}",
		       i ? "," : "", r->results[i]->org_id, r->results[i]->category,
		       r->results[i]->regie ? "true" : "false",
		       r->results[i]->has_sealed_contact ? "true" : "false");
	printf("]}\n");
	free(buf);
	free(frame);
	wire_envelope_free(reply);
	member_free(&m);
	return 0;
}

static const char *kind_name(Schakel__V1__MailboxKind k)
{
	switch (k) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		return "disclosure";
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH:
		return "match";
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE:
		return "match-gone";
	default:
		return "pattern";
	}
}

/* Prints the mailbox items after --after, one JSON line each. */
static int cmd_mailbox(void)
{
	member m = {0};
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply;
	Schakel__V1__MailboxRequest req = SCHAKEL__V1__MAILBOX_REQUEST__INIT;

	member_load(&m);
	req.after = o.after;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST;
	env.mailbox_request = &req;
	if ((reply = request_once(&m, &env)) == NULL) {
		member_free(&m);
		return 1;
	}
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_RESPONSE)
		DIE("unexpected reply");
	for (size_t i = 0; i < reply->mailbox_response->n_items; i++) {
		const Schakel__V1__MailboxItem *it = reply->mailbox_response->items[i];

		printf("{\"seq\":%llu,\"kind\":\"%s\",\"counterpart\":\"%s\",\"purpose\":\"%s\","
		       "\"role\":\"%s\",\"detail\":\"%s\"}\n",
		       (unsigned long long)it->seq, kind_name(it->kind),
		       it->counterpart ? it->counterpart : "", it->purpose ? it->purpose : "",
		       it->role ? it->role : "", it->detail ? it->detail : "");
	}
	wire_envelope_free(reply);
	member_free(&m);
	return 0;
}

/* The bundle's contents that tests check, after its signature. */
static int cmd_show_bundle(void)
{
	Schakel__V1__SignedBundle *sb = NULL;
	Schakel__V1__BundleBody *b = load_bundle(o.bundle, &sb);

	printf("{\"registry\":\"%s\",\"origin\":\"%s\",\"policy\":%zu,\"pseudonymisers\":[",
	       b->registry_address, b->log_origin, b->n_policy);
	for (size_t i = 0; i < b->n_pseudonymisers; i++)
		printf("%s\"%s@%s\"", i ? "," : "", b->pseudonymisers[i]->org_id,
		       b->pseudonymisers[i]->address);
	printf("]}\n");
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	schakel__v1__signed_bundle__free_unpacked(sb, NULL);
	return 0;
}

static int cmd_consistent(void)
{
	note_verifier v;
	note_checkpoint a, b;
	uint8_t *n1 = NULL, *n2 = NULL, *pf = NULL, proof[MERKLE_PROOF_BYTES];
	size_t l1, l2, lp, np = 0;

	if (note_verifier_parse(&v, o.vkey, strlen(o.vkey)) != SK_OK)
		DIE("bad vkey");
	if (sk_file_read(o.old, 1 << 16, &n1, &l1) != SK_OK ||
	    sk_file_read(o.new_, 1 << 16, &n2, &l2) != SK_OK ||
	    sk_file_read(o.proof, 1 << 16, &pf, &lp) != SK_OK)
		DIE("cannot read inputs");
	if (note_checkpoint_open(&a, NULL, n1, l1, &v, NULL, 0) != SK_OK ||
	    note_checkpoint_open(&b, NULL, n2, l2, &v, NULL, 0) != SK_OK) {
		printf("{\"consistent\":false,\"why\":\"checkpoint signature\"}\n");
		return 3;
	}
	for (char *line = strtok((char *)pf, "\n"); line; line = strtok(NULL, "\n")) {
		size_t got = 0;

		if (np == MERKLE_PROOF_MAX ||
		    sodium_base642bin(proof + 32 * np, 32, line, strlen(line), NULL, &got, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || got != 32)
			DIE("bad proof line");
		np++;
	}
	int ok = merkle_consistency_verify(a.root, b.root, a.size, b.size, proof, np) == SK_OK;

	printf("{\"consistent\":%s,\"old\":%llu,\"new\":%llu}\n", ok ? "true" : "false",
	       (unsigned long long)a.size, (unsigned long long)b.size);
	free(n1);
	free(n2);
	free(pf);
	return ok ? 0 : 3;
}

/* ---- load (bench/run.sh) ---------------------------------------------- */

typedef struct load load;
typedef struct lconn {
	load *L;
	net_client *c;
	struct timespec sent;
} lconn;

struct load {
	member *m;
	net_loop *loop;
	int publish;
	uint8_t (*entry)[512];
	size_t *elen;
	uint8_t (*sig)[64];
	uint64_t next, end;
	double deadline;
	double *lat;
	size_t done, failed, open;
	Schakel__V1__LookupRequest lreq;
	uint8_t token[32], head[32];
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load_issue(lconn *lc);

static void load_reply(void *arg, sk_status st, wire_envelope *reply)
{
	lconn *lc = arg;
	load *L = lc->L;
	double now = mono();

	int ok = st == SK_OK && reply != NULL &&
		 reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_ERROR;

	if (ok) {
		L->lat[L->done++] = now - ((double)lc->sent.tv_sec + (double)lc->sent.tv_nsec / 1e9);
	} else if (L->failed++ == 0) {
		fprintf(stderr, "sk-testnode load: %s\n", sk_error_detail());
	}
	wire_envelope_free(reply);
	if (ok && now < L->deadline && L->next < L->end) {
		load_issue(lc);
	} else if (--L->open == 0) {
		net_loop_stop(L->loop);
	}
}

static void load_issue(lconn *lc)
{
	load *L = lc->L;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	uint64_t i = L->next++;

	if (L->publish) {
		req.entry = (ProtobufCBinaryData){L->elen[i], L->entry[i]};
		req.signature = (ProtobufCBinaryData){64, L->sig[i]};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
		env.publish_request = &req;
	} else {
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
		env.lookup_request = &L->lreq;
	}
	clock_gettime(CLOCK_MONOTONIC, &lc->sent);
	if (net_client_request(lc->c, &env, 30000, load_reply, lc) != SK_OK) {
		L->failed++;
		if (--L->open == 0)
			net_loop_stop(L->loop); /* before run: run returns at once */
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_load(void)
{
	member m = {0};
	load L = {0};
	lconn *cs;
	double t0, el;
	uint64_t issued = now_ms();

	if (o.mode == NULL || o.conns == 0 || o.conns > 1024 || o.seconds == 0)
		DIE("load: --mode publish|lookup, --conns 1..1024 and --seconds are required");
	member_load(&m);
	L.m = &m;
	L.publish = strcmp(o.mode, "publish") == 0;
	L.end = o.count > 1 ? o.count : 2000000;
	if ((L.lat = calloc(L.end, sizeof(*L.lat))) == NULL || (cs = calloc(o.conns, sizeof(*cs))) == NULL)
		DIE("nomem");
	if (L.publish) {
		if ((L.entry = malloc(L.end * sizeof(*L.entry))) == NULL ||
		    (L.elen = malloc(L.end * sizeof(*L.elen))) == NULL ||
		    (L.sig = malloc(L.end * sizeof(*L.sig))) == NULL)
			DIE("nomem");
		for (uint64_t i = 0; i < L.end; i++)
			make_request(&m, o.seq + i, issued, L.entry[i], &L.elen[i], L.sig[i]);
	} else {
		token_of(L.token);
		L.lreq = (Schakel__V1__LookupRequest)SCHAKEL__V1__LOOKUP_REQUEST__INIT;
		memset(L.head, 0x11, sizeof(L.head));
		L.lreq.token = (ProtobufCBinaryData){32, L.token};
		L.lreq.epoch = 1;
		L.lreq.purpose = (char *)(o.purpose ? o.purpose : "afstemming");
		L.lreq.role = "spv";
		L.lreq.audit_head = (ProtobufCBinaryData){32, L.head};
	}
	if (net_loop_new(&L.loop) != SK_OK)
		DIE("loop");
	for (size_t i = 0; i < o.conns; i++) {
		cs[i].L = &L;
		if (net_client_connect(&cs[i].c, L.loop, m.tls,
				       o.registry ? o.registry : m.b->registry_address,
				       m.b->registry_org_id, 30000, NULL, NULL) != SK_OK)
			DIE("connect: %s", sk_error_detail());
	}
	t0 = mono();
	L.deadline = t0 + (double)o.seconds;
	L.open = o.conns;
	for (size_t i = 0; i < o.conns; i++)
		load_issue(&cs[i]);
	if (net_loop_run(L.loop) != SK_OK)
		DIE("loop run");
	el = mono() - t0;
	qsort(L.lat, L.done, sizeof(*L.lat), cmp_double);
	printf("{\"done\":%zu,\"failed\":%zu,\"seconds\":%.3f,\"per_s\":%.1f,\"p50_ms\":%.3f,"
	       "\"p99_ms\":%.3f}\n",
	       L.done, L.failed, el, L.done / el, L.done ? L.lat[L.done / 2] * 1000 : 0,
	       L.done ? L.lat[L.done * 99 / 100] * 1000 : 0);
	for (size_t i = 0; i < o.conns; i++)
		net_client_free(cs[i].c);
	net_loop_free(L.loop);
	free(cs);
	free(L.lat);
	free(L.entry);
	free(L.elen);
	free(L.sig);
	member_free(&m);
	return L.failed == 0 ? 0 : 1;
}

/* ---- abuse: a misbehaving member ---------------------------------------- */

static int tcp_connect(const char *addr)
{
	char host[NET_ADDR_MAX];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int fd = -1;

	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		DIE("bad address %s", addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		DIE("cannot resolve %s", addr);
	fd = socket(ai->ai_family, ai->ai_socktype, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		DIE("cannot connect to %s", addr);
	freeaddrinfo(ai);
	return fd;
}

/* Milliseconds until the peer closes fd (reading and discarding), or -1
 * after timeout_ms. With ssl, reads through it. */
static long long until_closed(int fd, SSL *ssl, unsigned timeout_ms)
{
	uint64_t start = now_ms();
	char buf[4096];

	while (now_ms() - start < timeout_ms) {
		struct pollfd p = {fd, POLLIN, 0};
		int n;

		if (ssl == NULL || SSL_pending(ssl) == 0) {
			if (poll(&p, 1, 100) <= 0)
				continue;
		}
		n = ssl ? SSL_read(ssl, buf, sizeof(buf)) : (int)read(fd, buf, sizeof(buf));
		if (n <= 0)
			return (long long)(now_ms() - start);
	}
	return -1;
}

static SSL *tls_open(member *m, int *fd)
{
	SSL *ssl = SSL_new(net_tls_ctx(m->tls));

	*fd = tcp_connect(o.registry ? o.registry : m->b->registry_address);
	if (ssl == NULL || SSL_set_fd(ssl, *fd) != 1 || SSL_connect(ssl) != 1)
		DIE("TLS handshake failed");
	return ssl;
}

static int cmd_abuse(void)
{
	member m = {0};
	unsigned seconds = o.seconds ? (unsigned)o.seconds : 5;
	int fd = -1;
	SSL *ssl = NULL;

	member_load(&m);
	if (strcmp(o.mode, "garbage") == 0) {
		uint8_t junk[4096];

		randombytes_buf(junk, sizeof(junk));
		fd = tcp_connect(o.registry ? o.registry : m.b->registry_address);
		if (write(fd, junk, sizeof(junk)) < 0)
			printf("{\"mode\":\"garbage\",\"closed_ms\":0}\n");
		else
			printf("{\"mode\":\"garbage\",\"closed_ms\":%lld}\n",
			       until_closed(fd, NULL, seconds * 1000));
	} else if (strcmp(o.mode, "oversize") == 0) {
		uint8_t hdr[4] = {0, 0x10, 0, 1}; /* WIRE_FRAME_MAX + 1 */

		ssl = tls_open(&m, &fd);
		if (SSL_write(ssl, hdr, sizeof(hdr)) != (int)sizeof(hdr))
			DIE("write");
		printf("{\"mode\":\"oversize\",\"closed_ms\":%lld}\n",
		       until_closed(fd, ssl, seconds * 1000));
	} else if (strcmp(o.mode, "slow") == 0) {
		uint8_t frame[4 + 100] = {0, 0, 0, 100};
		long long closed = -1;

		ssl = tls_open(&m, &fd);
		for (unsigned i = 0; i < seconds && i < sizeof(frame) && closed < 0; i++) {
			if (SSL_write(ssl, frame + i, 1) != 1)
				closed = (long long)i * 1000;
			else if (until_closed(fd, ssl, 1000) >= 0)
				closed = (long long)i * 1000;
		}
		printf("{\"mode\":\"slow\",\"closed_ms\":%lld}\n", closed);
	} else if (strcmp(o.mode, "flood") == 0) {
		unsigned n = o.conns ? (unsigned)o.conns : 100, refused = 0;
		SSL **s = calloc(n, sizeof(*s));
		int *fds = calloc(n, sizeof(*fds));

		if (s == NULL || fds == NULL)
			DIE("nomem");
		for (unsigned i = 0; i < n; i++)
			s[i] = tls_open(&m, &fds[i]);
		/* the refused ones get an Error push and are closed at once */
		for (unsigned i = 0; i < n; i++)
			refused += until_closed(fds[i], s[i], 200) >= 0;
		printf("{\"mode\":\"flood\",\"opened\":%u,\"refused\":%u}\n", n, refused);
		fflush(stdout);
		sleep(seconds);
		for (unsigned i = 0; i < n; i++) {
			SSL_free(s[i]);
			close(fds[i]);
		}
		free(s);
		free(fds);
	} else {
		DIE("--mode garbage|oversize|slow|flood");
	}
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	member_free(&m);
	return 0;
}

/* ---- kinds: every request kind, before and after a revocation ----------- */

#define NKINDS 9
static const char *const kind_names[NKINDS] = {
	"mailbox", "discuss-state", "consistency", "member-events", "audit-records",
	"anchors", "resume", "publish", "lookup"};

/* Sends request kind k on sc and prints one JSON line: answered (a reply of
 * any kind, also an Error reply to the request) or refused (an Error push:
 * the connection is refused) or failed (the connection is gone). */
static void kind_send(member *m, net_sync *sc, unsigned k, const char *phase, uint64_t seq)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__MailboxRequest mb = SCHAKEL__V1__MAILBOX_REQUEST__INIT;
	Schakel__V1__DiscussStateRequest ds = SCHAKEL__V1__DISCUSS_STATE_REQUEST__INIT;
	Schakel__V1__ConsistencyRequest cr = SCHAKEL__V1__CONSISTENCY_REQUEST__INIT;
	Schakel__V1__MemberEventsRequest me = SCHAKEL__V1__MEMBER_EVENTS_REQUEST__INIT;
	Schakel__V1__AuditRecordsRequest ar = SCHAKEL__V1__AUDIT_RECORDS_REQUEST__INIT;
	Schakel__V1__AnchorsRequest an = SCHAKEL__V1__ANCHORS_REQUEST__INIT;
	Schakel__V1__ResumeRequest rs = SCHAKEL__V1__RESUME_REQUEST__INIT;
	Schakel__V1__LookupRequest lk = SCHAKEL__V1__LOOKUP_REQUEST__INIT;
	Schakel__V1__PublishRequest pr = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	uint8_t id[16] = {0}, token[32], head[32] = {0x11}, entry[1024], sig[64], seedb[8];
	size_t elen;
	sk_status st;

	switch (k) {
	case 0:
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST;
		env.mailbox_request = &mb;
		break;
	case 1:
		ds.discussion_id = (ProtobufCBinaryData){sizeof(id), id};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE_REQUEST;
		env.discuss_state_request = &ds;
		break;
	case 2:
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_REQUEST;
		env.consistency_request = &cr;
		break;
	case 3:
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST;
		env.member_events_request = &me;
		break;
	case 4:
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST;
		env.audit_records_request = &ar;
		break;
	case 5:
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST;
		env.anchors_request = &an;
		break;
	case 6:
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_RESUME_REQUEST;
		env.resume_request = &rs;
		break;
	case 8: /* the token of the entry just published (make_request) */
		for (int i = 0; i < 8; i++)
			seedb[i] = (uint8_t)(o.token_seed >> (8 * i));
		crypto_generichash(token, 32, seedb, 8, (const uint8_t *)"token", 5);
		lk.token = (ProtobufCBinaryData){32, token};
		lk.epoch = 1;
		lk.purpose = (char *)"afstemming";
		lk.role = (char *)"spv";
		lk.audit_head = (ProtobufCBinaryData){32, head};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
		env.lookup_request = &lk;
		break;
	default:
		make_request(m, seq, now_ms(), entry, &elen, sig);
		pr.entry = (ProtobufCBinaryData){elen, entry};
		pr.signature = (ProtobufCBinaryData){64, sig};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
		env.publish_request = &pr;
		break;
	}
	if (sc == NULL) {
		st = SK_ERR_FAILED;
		sk_error_set("no connection");
	} else {
		st = net_sync_request(sc, &env, &reply);
	}
	/* an Error reply to the request keeps the connection: it was served */
	if (st == SK_OK || (reply == NULL && sc != NULL && st != SK_ERR_FAILED &&
			    st != SK_ERR_IO && strstr(sk_error_detail(), "revoked") == NULL &&
			    strstr(sk_error_detail(), "not enrolled") == NULL))
		printf("{\"phase\":\"%s\",\"kind\":\"%s\",\"answer\":\"served\",\"code\":%d}\n",
		       phase, kind_names[k], st);
	else
		printf("{\"phase\":\"%s\",\"kind\":\"%s\",\"answer\":\"%s\",\"code\":%d,"
		       "\"message\":\"%s\"}\n",
		       phase, kind_names[k],
		       st == SK_ERR_FAILED || st == SK_ERR_IO ? "closed" : "refused", st,
		       sk_error_detail());
	fflush(stdout);
	wire_envelope_free(reply);
}

static net_sync *kind_connect(member *m)
{
	net_sync *sc = NULL;

	if (net_sync_connect(&sc, m->tls, o.registry ? o.registry : m->b->registry_address,
			     m->b->registry_org_id, 10000) != SK_OK)
		return NULL;
	return sc;
}

/* Every request kind on a connection of its own, opened before --wait-file
 * appears (phase "before"). Once it appears, one more connection, idle
 * since before, reports how long the registry took to close it ("watch",
 * -1: not within 3 s); then every kind again on the open connections
 * ("open") and on new ones ("new"). Publishes use --seq and on. */
static int cmd_kinds(void)
{
	member m = {0};
	net_sync *sc[NKINDS] = {0}, *fresh;
	int wfd = -1;
	SSL *watch;
	uint64_t start;
	long long closed;

	member_load(&m);
	if (o.token_seed == 0)
		o.token_seed = 7; /* one token: the lookups find the org's own entry */
	watch = tls_open(&m, &wfd);
	for (unsigned k = 0; k < NKINDS; k++) {
		sc[k] = kind_connect(&m);
		kind_send(&m, sc[k], k, "before", o.seq);
	}
	if (o.wait_file != NULL) {
		printf("{\"ready\":true}\n");
		fflush(stdout);
		for (unsigned i = 0; access(o.wait_file, F_OK) != 0; i++) {
			if (i > 6000)
				DIE("%s did not appear within a minute", o.wait_file);
			usleep(10000);
		}
	}
	/* first nothing is sent: only the registry's own timer may close it */
	start = now_ms();
	closed = until_closed(wfd, watch, 3000);
	printf("{\"phase\":\"watch\",\"closed_ms\":%lld}\n",
	       closed < 0 ? -1 : (long long)(now_ms() - start));
	for (unsigned k = 0; k < NKINDS; k++)
		kind_send(&m, sc[k], k, "open", o.seq + 1);
	for (unsigned k = 0; k < NKINDS; k++) {
		fresh = kind_connect(&m);
		kind_send(&m, fresh, k, "new", o.seq + 2);
		net_sync_close(fresh);
	}
	for (unsigned k = 0; k < NKINDS; k++)
		net_sync_close(sc[k]);
	SSL_free(watch);
	close(wfd);
	member_free(&m);
	return 0;
}

/* The outcome of n requests: accepted, refused, the first refusal. */
typedef struct tally {
	unsigned long long accepted, refused;
	int code;
	char message[512];
} tally;

static void tally_add(tally *t, sk_status st)
{
	if (st == SK_OK) {
		t->accepted++;
		return;
	}
	if (t->refused++ == 0) {
		t->code = st;
		snprintf(t->message, sizeof(t->message), "%s", sk_error_detail());
		for (char *c = t->message; *c; c++)
			if (*c == '"' || *c == '\\')
				*c = '\'';
	}
}

static void tally_print(const char *mode, const tally *t)
{
	printf("{\"mode\":\"%s\",\"accepted\":%llu,\"refused\":%llu,\"code\":%d,"
	       "\"message\":\"%s\"}\n", mode, t->accepted, t->refused, t->code, t->message);
}

/* One request; SK_OK when the reply has the expected body. */
static sk_status expect(net_sync *sc, const wire_envelope *env, Schakel__V1__Envelope__BodyCase want,
			wire_envelope **out)
{
	wire_envelope *reply = NULL;
	sk_status st = net_sync_request(sc, env, &reply);

	if (st == SK_OK && reply->body_case != want) {
		sk_error_set("unexpected reply %d", (int)reply->body_case);
		st = SK_ERR_INVALID;
	}
	if (out != NULL && st == SK_OK)
		*out = reply;
	else
		wire_envelope_free(reply);
	return st;
}

static int cmd_flood(void)
{
	member m = {0};
	net_sync *sc;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	ProtobufCMessageUnknownField uf = {999, PROTOBUF_C_WIRE_TYPE_VARINT, 1, (uint8_t *)"\x01"};
	uint8_t *entry, sig[64];
	size_t elen;
	tally t = {0};

	if (o.mode == NULL)
		DIE("flood: --mode is required");
	if (strcmp(o.mode, "big-entry") == 0)
		o.unknown_len = o.bytes ? o.bytes : 900000;
	else if (strcmp(o.mode, "unknown-entry") == 0)
		o.unknown_len = o.bytes ? o.bytes : 8;
	if ((entry = malloc(o.unknown_len + 4096)) == NULL)
		DIE("nomem");
	member_load(&m);
	sc = member_connect(&m);
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &req;
	if (strcmp(o.mode, "unknown-anchor") == 0 || strcmp(o.mode, "anchors") == 0) {
		for (unsigned long long i = 0; i < o.count; i++) {
			Schakel__V1__AnchorBody b = SCHAKEL__V1__ANCHOR_BODY__INIT;
			Schakel__V1__AnchorRequest ar = SCHAKEL__V1__ANCHOR_REQUEST__INIT;
			uint8_t head[32] = {0x33}, body[256];
			size_t n;

			b.org_id = (char *)o.org;
			b.seq = (o.seq ? o.seq : 1) + i;
			b.head = (ProtobufCBinaryData){32, head};
			b.time = now_ms();
			if (strcmp(o.mode, "unknown-anchor") == 0) {
				b.base.n_unknown_fields = 1;
				b.base.unknown_fields = &uf;
			}
			n = schakel__v1__anchor_body__pack(&b, body);
			if (key_sign(sig, WIRE_DOMAIN_ANCHOR, body, n, m.id.sk) != SK_OK)
				DIE("sign");
			ar.body = (ProtobufCBinaryData){n, body};
			ar.signature = (ProtobufCBinaryData){64, sig};
			env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST;
			env.anchor_request = &ar;
			tally_add(&t, expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_RECEIPT,
					     NULL));
		}
	} else if (strcmp(o.mode, "enc-keys") == 0) {
		for (unsigned long long i = 0; i < o.count; i++) {
			Schakel__V1__EncKeyRequest kr = SCHAKEL__V1__ENC_KEY_REQUEST__INIT;
			uint8_t epk[32], esk[32];

			crypto_box_keypair(epk, esk);
			kr.encryption_key = (ProtobufCBinaryData){32, epk};
			kr.not_after = now_ms() / 1000 + 7 * 86400;
			if (key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, epk, kr.not_after, m.id.sk) != SK_OK)
				DIE("certify");
			kr.signature = (ProtobufCBinaryData){64, sig};
			env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST;
			env.enc_key_request = &kr;
			tally_add(&t, expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_RECEIPT,
					     NULL));
		}
	} else if (strcmp(o.mode, "unknown-epoch-key") == 0 || strcmp(o.mode, "epoch-keys") == 0) {
		for (unsigned long long i = 0; i < o.count; i++) {
			Schakel__V1__EpochKeyBody b = SCHAKEL__V1__EPOCH_KEY_BODY__INIT;
			Schakel__V1__EpochKeyRequest er = SCHAKEL__V1__EPOCH_KEY_REQUEST__INIT;
			uint8_t osk[32], opk[32], body[256];
			size_t n;

			oprf_keypair_generate(osk, opk);
			b.org_id = (char *)o.org;
			b.epoch = (uint32_t)((o.seq ? o.seq : 2) + i);
			b.oprf_key = (ProtobufCBinaryData){32, opk};
			b.not_before = now_ms();
			b.not_after = b.not_before + 86400000ull;
			if (strcmp(o.mode, "unknown-epoch-key") == 0) {
				b.base.n_unknown_fields = 1;
				b.base.unknown_fields = &uf;
			}
			n = schakel__v1__epoch_key_body__pack(&b, body);
			if (key_sign(sig, "schakel/v1/epoch-key", body, n, m.id.sk) != SK_OK)
				DIE("sign");
			er.body = (ProtobufCBinaryData){n, body};
			er.signature = (ProtobufCBinaryData){64, sig};
			env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST;
			env.epoch_key_request = &er;
			tally_add(&t, expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_RECEIPT,
					     NULL));
		}
	} else if (strcmp(o.mode, "entries") == 0) {
		for (unsigned long long i = 0; i < o.count; i++) {
			uint64_t seq = (o.seq ? o.seq : 1) + i;

			o.token_seed = seq;
			make_request(&m, seq, now_ms(), entry, &elen, sig);
			req.entry = (ProtobufCBinaryData){elen, entry};
			req.signature = (ProtobufCBinaryData){64, sig};
			tally_add(&t, expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT,
					     NULL));
		}
	} else if (strcmp(o.mode, "big-entry") == 0 || strcmp(o.mode, "unknown-entry") == 0 ||
		   strcmp(o.mode, "unknown-request") == 0) {
		make_request(&m, o.seq ? o.seq : 1, now_ms(), entry, &elen, sig);
		req.entry = (ProtobufCBinaryData){elen, entry};
		req.signature = (ProtobufCBinaryData){64, sig};
		if (strcmp(o.mode, "unknown-request") == 0) {
			req.base.n_unknown_fields = 1;
			req.base.unknown_fields = &uf;
		}
		tally_add(&t, expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT, NULL));
	} else {
		DIE("flood: --mode big-entry|unknown-entry|unknown-request|unknown-anchor|"
		    "unknown-epoch-key|entries|anchors|enc-keys|epoch-keys");
	}
	tally_print(o.mode, &t);
	net_sync_close(sc);
	member_free(&m);
	free(entry);
	return 0;
}

static void discussion_id(uint8_t id[16])
{
	if (o.discussion == NULL || strlen(o.discussion) != 32 ||
	    sodium_hex2bin(id, 16, o.discussion, 32, NULL, NULL, NULL) != 0)
		DIE("--discussion takes 32 hex digits");
}

static int cmd_discuss_open(void)
{
	member m = {0};
	net_sync *sc;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__DiscussRequest r = SCHAKEL__V1__DISCUSS_REQUEST__INIT;
	uint8_t token[32], key[32], head[32] = {0x11};
	char hex[33];
	sk_status st;

	token_of(token);
	randombytes_buf(key, sizeof(key));
	member_load(&m);
	sc = member_connect(&m);
	r.token = (ProtobufCBinaryData){32, token};
	r.epoch = 1;
	r.topic = "afstemming";
	r.window_start = now_ms();
	r.window_end = r.window_start + 7ull * 86400 * 1000;
	r.discussion_key = (ProtobufCBinaryData){32, key};
	r.audit_head = (ProtobufCBinaryData){32, head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST;
	env.discuss_request = &r;
	if ((st = expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_CREATED, &reply)) != SK_OK ||
	    reply->discuss_created->discussion_id.len != 16)
		DIE("discuss-open: %s", sk_error_detail());
	sodium_bin2hex(hex, sizeof(hex), reply->discuss_created->discussion_id.data, 16);
	printf("{\"id\":\"%s\"}\n", hex);
	wire_envelope_free(reply);
	net_sync_close(sc);
	member_free(&m);
	return 0;
}

/* ---- issue-cert: the federation CA misused -------------------------------- */

/* Writes D/tls.crt: a certificate for D's TLS key under the CA in --ca
 * (its key read unwrapped, as --dev keeps it) with CN --org-id and OU
 * --category, as the CA would issue to any member: a fake registry's. */
static int cmd_issue_cert(void)
{
	char p[PATH_MAX];
	uint8_t seed[32], serial[NET_SERIAL_BYTES], *ca = NULL, *der = NULL;
	size_t ca_len = 0, len = 0;
	key_ed25519 ca_key, tls;
	const char *dir = o.dir;
	int64_t now = (int64_t)time(NULL);

	if (o.ca == NULL || o.org == NULL || o.category == NULL)
		DIE("issue-cert needs --ca, --dir, --org-id and --category");
	read_key("tls.key", "tls", seed);
	key_ed25519_from_seed(&tls, seed);
	o.dir = o.ca;
	read_key("ca.key", "federation-ca", seed);
	key_ed25519_from_seed(&ca_key, seed);
	path(p, "ca.crt");
	if (sk_file_read(p, NET_CERT_MAX, &ca, &ca_len) != SK_OK)
		DIE("cannot read %s", p);
	o.dir = dir;
	if (net_cert_issue(&der, &len, serial, o.org, "Fake", o.category, tls.pk, now - 60,
			   now + 86400, ca, ca_len, &ca_key) != SK_OK)
		DIE("issue: %s", sk_error_detail());
	path(p, "tls.crt");
	if (sk_file_replace(p, der, len) != SK_OK)
		DIE("cannot write %s", p);
	sodium_memzero(seed, sizeof(seed));
	key_ed25519_wipe(&ca_key);
	key_ed25519_wipe(&tls);
	free(ca);
	free(der);
	printf("{\"cert\":\"%s\"}\n", p);
	return 0;
}

static int cmd_discuss_accept(void)
{
	member m = {0};
	net_sync *sc;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__DiscussAnswer a = SCHAKEL__V1__DISCUSS_ANSWER__INIT;
	uint8_t id[16], head[32] = {0x11}, sealed[128];

	discussion_id(id);
	randombytes_buf(sealed, sizeof(sealed));
	member_load(&m);
	sc = member_connect(&m);
	a.discussion_id = (ProtobufCBinaryData){16, id};
	a.accept = 1;
	a.has_sealed = 1;
	a.sealed = (ProtobufCBinaryData){sizeof(sealed), sealed};
	a.audit_head = (ProtobufCBinaryData){32, head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER;
	env.discuss_answer = &a;
	if (expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWERED, NULL) != SK_OK)
		DIE("discuss-accept: %s", sk_error_detail());
	printf("{\"accepted\":true}\n");
	net_sync_close(sc);
	member_free(&m);
	return 0;
}

/* The sealed bytes are random: the registry routes ciphertext it cannot
 * read, so only sizes and counts matter here. */
static int cmd_discuss_flood(void)
{
	member m = {0};
	net_sync *sc;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__DiscussSend snd = SCHAKEL__V1__DISCUSS_SEND__INIT;
	Schakel__V1__DiscussSealed x = SCHAKEL__V1__DISCUSS_SEALED__INIT, *xs[1] = {&x};
	uint8_t id[16], head[32] = {0x11}, *sealed;
	size_t len = o.bytes ? o.bytes : 256;
	tally t = {0};

	discussion_id(id);
	if (o.to == NULL || (sealed = malloc(len)) == NULL)
		DIE("discuss-flood: --to ORG is required");
	randombytes_buf(sealed, len);
	member_load(&m);
	sc = member_connect(&m);
	snd.discussion_id = (ProtobufCBinaryData){16, id};
	snd.n_messages = 1;
	snd.messages = xs;
	snd.audit_head = (ProtobufCBinaryData){32, head};
	x.recipient = (char *)o.to;
	x.sealed = (ProtobufCBinaryData){len, sealed};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND;
	env.discuss_send = &snd;
	for (unsigned long long i = 0; i < o.count; i++) {
		x.seq = (o.seq ? o.seq : 1) + i;
		tally_add(&t, expect(sc, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SENT, NULL));
	}
	tally_print("messages", &t);
	net_sync_close(sc);
	member_free(&m);
	free(sealed);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"dir", 1, NULL, 'd'},          {"bundle", 1, NULL, 'b'},
		{"org-id", 1, NULL, 'o'},       {"name", 1, NULL, 'n'},
		{"category", 1, NULL, 'c'},     {"role", 1, NULL, 'r'},
		{"seq", 1, NULL, 's'},          {"from", 1, NULL, 's'},
		{"token-seed", 1, NULL, 't'},   {"flags", 1, NULL, 'f'},
		{"categories", 1, NULL, 'C'},   {"skew-ms", 1, NULL, 'k'},
		{"entry-org", 1, NULL, 'e'},    {"withdraw", 0, NULL, 'w'},
		{"issued-at", 1, NULL, 'i'},    {"registry", 1, NULL, 'g'},
		{"cert-bundle", 1, NULL, 'x'},  {"correlation", 1, NULL, 'X'},
		{"count", 1, NULL, 'N'},        {"threads", 1, NULL, 'T'},
		{"vkey", 1, NULL, 'v'},         {"old", 1, NULL, '1'},
		{"new", 1, NULL, '2'},          {"proof", 1, NULL, 'p'},
		{"token", 1, NULL, 'K'},        {"basis", 1, NULL, 'B'},
		{"purpose", 1, NULL, 'P'},      {"as-role", 1, NULL, 'R'},
		{"expires-ms", 1, NULL, 'E'},   {"after", 1, NULL, 'A'},
		{"regie", 0, NULL, 'G'},
		{"mode", 1, NULL, 'M'},         {"conns", 1, NULL, 'Q'},
		{"seconds", 1, NULL, 'S'},
		{"sign-key-dir", 1, NULL, 'Y'}, {"tamper", 0, NULL, 'Z'},
		{"wait-file", 1, NULL, 'W'},    {"ca", 1, NULL, 'a'},
		{"discussion", 1, NULL, 'D'},   {"to", 1, NULL, 'O'},
		{"bytes", 1, NULL, 'y'},        {"host", 1, NULL, 'H'},
		{0}};
	int c;

	if (argc < 2 || sk_init() != SK_OK || sk_kek_open(&kek, NULL, 1) != SK_OK)
		DIE("usage: see the header of tests/e2e/sk_testnode.c");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 'b': o.bundle = optarg; break;
		case 'o': o.org = optarg; break;
		case 'H':
			if (o.n_hosts == 20)
				DIE("at most 20 --host");
			o.hosts[o.n_hosts++] = optarg;
			break;
		case 'n': o.name = optarg; break;
		case 'c': o.category = optarg; break;
		case 'r': o.role = optarg; break;
		case 's': o.seq = strtoull(optarg, NULL, 10); break;
		case 't': o.token_seed = strtoull(optarg, NULL, 10); break;
		case 'f': o.flags = optarg; break;
		case 'C': o.cats = optarg; break;
		case 'k': o.skew_ms = strtoll(optarg, NULL, 10); break;
		case 'e': o.entry_org = optarg; break;
		case 'w': o.withdraw = 1; break;
		case 'i': o.issued_at = strtoull(optarg, NULL, 10); break;
		case 'g': o.registry = optarg; break;
		case 'x': o.cert_bundle = optarg; break;
		case 'X': o.correlation = optarg; break;
		case 'N': o.count = strtoull(optarg, NULL, 10); break;
		case 'T': o.threads = strtoull(optarg, NULL, 10); break;
		case 'v': o.vkey = optarg; break;
		case '1': o.old = optarg; break;
		case '2': o.new_ = optarg; break;
		case 'p': o.proof = optarg; break;
		case 'K': o.token_hex = optarg; break;
		case 'B': o.basis = optarg; break;
		case 'P': o.purpose = optarg; break;
		case 'R': o.as_role = optarg; break;
		case 'E': o.expires_ms = strtoull(optarg, NULL, 10); break;
		case 'A': o.after = strtoull(optarg, NULL, 10); break;
		case 'G': o.regie = 1; break;
		case 'M': o.mode = optarg; break;
		case 'Q': o.conns = strtoull(optarg, NULL, 10); break;
		case 'S': o.seconds = strtoull(optarg, NULL, 10); break;
		case 'Y': o.sign_key_dir = optarg; break;
		case 'Z': o.tamper = 1; break;
		case 'W': o.wait_file = optarg; break;
		case 'a': o.ca = optarg; break;
		case 'D': o.discussion = optarg; break;
		case 'O': o.to = optarg; break;
		case 'y': o.bytes = strtoull(optarg, NULL, 10); break;
		default: DIE("bad option");
		}
	}
	{
		static const struct {
			const char *name;
			int (*fn)(void);
		} cmds[] = {{"init", cmd_init},
			    {"publish", cmd_publish},
			    {"directory", cmd_directory},
			    {"burst", cmd_burst},
			    {"show-bundle", cmd_show_bundle},
			    {"lookup", cmd_lookup},
			    {"mailbox", cmd_mailbox},
			    {"resubmit", cmd_resubmit},
			    {"consistent", cmd_consistent},
			    {"load", cmd_load},
			    {"abuse", cmd_abuse},
			    {"kinds", cmd_kinds},
			    {"issue-cert", cmd_issue_cert},
			    {"flood", cmd_flood},
			    {"discuss-open", cmd_discuss_open},
			    {"discuss-accept", cmd_discuss_accept},
			    {"discuss-flood", cmd_discuss_flood}};

		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			if (strcmp(argv[1], cmds[i].name) == 0) {
				int rc = cmds[i].fn();

				sk_kek_free(kek);
				return rc;
			}
		}
	}
	DIE("unknown command %s", argv[1]);
}
