/* The bulk loader: N signed entries of one member into a registry's store
 * through the registry's own publish path (static rules, the signature
 * under the member's key, the writer's apply with leaf, receipt and audit
 * record), 10,000 a commit with a checkpoint each; the checks run on two
 * threads. Then `schakel-registry serve` can be timed on the result.
 *
 *   bench_store REGDIR MEMBERDIR ORG CATEGORY N        (keys unwrapped: --dev)
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "common/cli.h"
#include "common/file.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "registry/publish.h"
#include "registry/store.h"

#define BATCH 10000

typedef struct job {
	reg_store *s;
	net_peer *peer;
	key_ed25519 *id;
	void **p; /* reg_op_publish's jobs */
	uint64_t from, n;
	unsigned t, nt;
} job;

/* Entries from..from+n, built, signed and checked (every nt-th from t). */
static void *build(void *arg)
{
	job *j = arg;
	uint64_t now = (uint64_t)time(NULL) * 1000u;

	for (uint64_t i = j->t; i < j->n; i += j->nt) {
		Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
		Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
		const char *why = NULL;
		uint64_t seq = j->from + i;
		uint8_t token[32], salt[16], head[32] = {0x11}, entry[512], sig[64];
		char *cats[] = {"ggz", "sociaal-team"};
		size_t len;

		crypto_generichash(token, 32, (const uint8_t *)&seq, sizeof(seq), NULL, 0);
		randombytes_buf(salt, sizeof(salt));
		e.token = (ProtobufCBinaryData){32, token};
		e.epoch = 1;
		e.org_id = j->peer->org_id;
		e.flags = 5; /* discover, discuss */
		e.n_categories = 2;
		e.categories = cats;
		e.basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
		e.issued_at = now;
		e.expires_at = now + 365ull * 86400 * 1000;
		e.seq = seq;
		e.salt = (ProtobufCBinaryData){16, salt};
		e.audit_head = (ProtobufCBinaryData){32, head};
		len = schakel__v1__entry__pack(&e, entry);
		if (key_sign(sig, "schakel/v1/entry", entry, len, j->id->sk) != SK_OK)
			BENCH_DIE("sign");
		req.entry = (ProtobufCBinaryData){len, entry};
		req.signature = (ProtobufCBinaryData){64, sig};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
		env.publish_request = &req;
		if (reg_op_publish.new(&j->p[i], j->s, j->peer, &env) != SK_OK)
			BENCH_DIE("publish job");
		reg_op_publish.check(j->p[i]);
		if (reg_op_publish.result(j->p[i], &why) != SK_OK)
			BENCH_DIE("refused: %s", why);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	reg_store *s = NULL;
	sk_kek *kek = NULL;
	net_peer peer = {0};
	key_ed25519 id;
	uint8_t seed[32];
	char path[4096];
	void **p = calloc(BATCH, sizeof(*p));
	unsigned long long n;
	double t;

	if (sk_init() != SK_OK || argc != 6 || p == NULL || sk_cli_u64(argv[5], &n) != SK_OK)
		BENCH_DIE("usage: bench_store REGDIR MEMBERDIR ORG CATEGORY N");
	snprintf(path, sizeof(path), "%s/identity.key", argv[2]);
	if (sk_kek_open(&kek, NULL, 1) != SK_OK ||
	    sk_keyfile_read(kek, path, "identity", seed, 32) != SK_OK ||
	    reg_store_open(&s, argv[1], kek) != SK_OK)
		BENCH_DIE("open: %s", sk_error_detail());
	key_ed25519_from_seed(&id, seed);
	snprintf(peer.org_id, sizeof(peer.org_id), "%s", argv[3]);
	snprintf(peer.category, sizeof(peer.category), "%s", argv[4]);
	t = bench_now();
	for (uint64_t at = 0; at < n; at += BATCH) {
		uint64_t k = n - at < BATCH ? n - at : BATCH;
		job j[2] = {{s, &peer, &id, p, 1 + at, k, 0, 2}, {s, &peer, &id, p, 1 + at, k, 1, 2}};
		pthread_t tid;
		MDB_txn *txn = NULL;

		if (pthread_create(&tid, NULL, build, &j[1]) != 0)
			BENCH_DIE("thread");
		build(&j[0]);
		pthread_join(tid, NULL);
		if (mdb_txn_begin(s->env, NULL, 0, &txn) != 0)
			BENCH_DIE("txn");
		for (uint64_t i = 0; i < k; i++) {
			const char *why = NULL;

			if (reg_op_publish.apply(txn, p[i]) != SK_OK ||
			    reg_op_publish.result(p[i], &why) != SK_OK)
				BENCH_DIE("apply %llu: %s", (unsigned long long)(at + i),
					  why != NULL ? why : "");
		}
		if (reg_checkpoint_update(s, txn) != SK_OK || mdb_txn_commit(txn) != 0)
			BENCH_DIE("commit: %s", sk_error_detail());
		for (uint64_t i = 0; i < k; i++)
			reg_op_publish.free(p[i]);
	}
	bench_report("store_load_per_s", n / (bench_now() - t), "/s",
		     "bulk load through the publish path (checks on 2 threads)");
	key_ed25519_wipe(&id);
	sodium_memzero(seed, sizeof(seed));
	reg_store_close(s);
	sk_kek_free(kek);
	free(p);
	return 0;
}
