/* The physical limits the other figures are measured against, on this
 * machine, one core: Ed25519 sign and verify, ristretto255 scalar
 * multiplication, SHA-256 of a leaf, LMDB random get, batched put and
 * durable commit (fsync'd, one small write each). */
#include <string.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "bench.h"

#define LEAF_BYTES 200
#define N_KEYS 1000000u
#define PUT_BATCH 10000u

static void crypto_limits(void)
{
	unsigned char pk[32], sk[64], sig[64], msg[LEAF_BYTES + 1] = {0}, h[32];
	unsigned char s[32], p[32], q[32];
	unsigned n;
	double t;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	t = bench_now();
	for (n = 0; bench_now() - t < 1.0; n++)
		crypto_sign_detached(sig, NULL, msg, LEAF_BYTES, sk);
	bench_report("limits.ed25519_sign_per_s", n / (bench_now() - t), "/s", "one core");
	t = bench_now();
	for (n = 0; bench_now() - t < 1.0; n++)
		if (crypto_sign_verify_detached(sig, msg, LEAF_BYTES, pk) != 0)
			BENCH_DIE("verify");
	bench_report("limits.ed25519_verify_per_s", n / (bench_now() - t), "/s", "one core");
	crypto_core_ristretto255_scalar_random(s);
	crypto_core_ristretto255_random(p);
	t = bench_now();
	for (n = 0; bench_now() - t < 1.0; n++)
		if (crypto_scalarmult_ristretto255(q, s, p) != 0)
			BENCH_DIE("scalarmult");
	bench_report("limits.scalarmult_per_s", n / (bench_now() - t), "/s",
		     "ristretto255, one core");
	t = bench_now();
	for (n = 0; n < 2000000u; n++) {
		msg[1] = (unsigned char)n;
		crypto_hash_sha256(h, msg, sizeof(msg));
	}
	bench_report("limits.sha256_leaf_per_s", n / (bench_now() - t), "/s",
		     "RFC 9162 leaf of 200 bytes");
}

static void key_of(unsigned char k[16], unsigned i)
{
	crypto_generichash(k, 16, (const unsigned char *)&i, sizeof(i), NULL, 0);
}

static void lmdb_limits(const char *dir)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	unsigned char k[16], v[LEAF_BYTES];
	MDB_val kv = {sizeof(k), k}, vv = {sizeof(v), v};
	double t;
	unsigned n;

	randombytes_buf(v, sizeof(v));
	if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, 4ull << 30) != 0 ||
	    mdb_env_open(env, dir, 0, 0600) != 0)
		BENCH_DIE("lmdb open %s", dir);
	if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_dbi_open(txn, NULL, 0, &dbi) != 0 ||
	    mdb_txn_commit(txn) != 0)
		BENCH_DIE("dbi");
	t = bench_now();
	for (n = 0; n < N_KEYS;) {
		if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
			BENCH_DIE("txn");
		for (unsigned j = 0; j < PUT_BATCH; j++, n++) {
			key_of(k, n);
			if (mdb_put(txn, dbi, &kv, &vv, 0) != 0)
				BENCH_DIE("put");
		}
		if (mdb_txn_commit(txn) != 0)
			BENCH_DIE("commit");
	}
	bench_report("limits.lmdb_batched_put_per_s", n / (bench_now() - t), "/s",
		     "random 16-byte keys, 200-byte values, 10,000 a commit");
	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
		BENCH_DIE("rtxn");
	t = bench_now();
	for (n = 0; n < N_KEYS; n++) {
		key_of(k, (n * 2654435761u) % N_KEYS);
		if (mdb_get(txn, dbi, &kv, &vv) != 0)
			BENCH_DIE("get");
	}
	mdb_txn_abort(txn);
	bench_report("limits.lmdb_get_per_s", n / (bench_now() - t), "/s",
		     "random keys of 1M, one read transaction");
	t = bench_now();
	for (n = 0; bench_now() - t < 2.0; n++) {
		key_of(k, N_KEYS + n);
		vv = (MDB_val){sizeof(v), v};
		if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_put(txn, dbi, &kv, &vv, 0) != 0 ||
		    mdb_txn_commit(txn) != 0)
			BENCH_DIE("durable commit");
	}
	bench_report("limits.lmdb_durable_commit_per_s", n / (bench_now() - t), "/s",
		     "one put per fsync'd commit");
	mdb_env_close(env);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0 || argc != 2)
		BENCH_DIE("usage: bench_limits EMPTY-DIR");
	printf("limits (one core)\n");
	crypto_limits();
	lmdb_limits(argv[1]);
	return 0;
}
