/* The audit log at 1M records on a real LMDB: append rate (10,000 a
 * commit, as a busy writer groups them), the full chain verification rate
 * (audit verify), and query latency through the client and user indexes
 * (audit query --client / --professional), p50 and p99 of 200 queries. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "audit/log.h"
#include "audit/query.h"
#include "common/db.h"
#include "common/init.h"

#define N_RECORDS 1000000u
#define N_CLIENTS 100000u
#define N_USERS 500u
#define BATCH 10000u
#define N_QUERIES 200

static sk_status count_one(const audit_record *rec, void *arg)
{
	(void)rec;
	(*(size_t *)arg)++;
	return SK_OK;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static double lat[N_QUERIES];
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	audit_log *log = NULL;
	char client[32], user[32];
	uint64_t count = 0, bad = 0, t0 = 1781524800000ull;
	size_t found = 0;
	double t;

	if (sk_init() != SK_OK || argc != 2)
		BENCH_DIE("usage: bench_audit EMPTY-DIR");
	if (sk_db_open(&env, argv[1], 8ull << 30, 0) != SK_OK || audit_log_open(&log, env) != SK_OK)
		BENCH_DIE("open %s", argv[1]);
	printf("audit log, 1M records\n");
	t = bench_now();
	for (unsigned n = 0; n < N_RECORDS;) {
		if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
			BENCH_DIE("txn");
		for (unsigned j = 0; j < BATCH; j++, n++) {
			audit_record r = {0};

			snprintf(client, sizeof(client), "c-%u", n % N_CLIENTS);
			snprintf(user, sizeof(user), "prof-%u", n % N_USERS);
			r.org = "wijkteam-oost";
			r.system = "schakel-node";
			r.event = n % 3 ? "lookup" : "case.open";
			r.action = n % 3 ? AUDIT_ACTION_READ : AUDIT_ACTION_CREATE;
			r.outcome = AUDIT_OUTCOME_OK;
			r.time_ms = t0 + (uint64_t)n * 1000u;
			r.user = user;
			r.role = "wijkcoach";
			r.responsible = "anna";
			r.access_point = "cli";
			r.client = client;
			r.purpose = "afstemming";
			r.legal_basis = "consent";
			if (audit_log_append(log, txn, &r, NULL, NULL) != SK_OK)
				BENCH_DIE("append");
		}
		if (mdb_txn_commit(txn) != 0)
			BENCH_DIE("commit");
	}
	bench_report("audit_append_per_s", N_RECORDS / (bench_now() - t), "/s",
		     "records with indexes, 10,000 a commit");
	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
		BENCH_DIE("rtxn");
	t = bench_now();
	if (audit_log_verify(log, txn, &count, &bad) != SK_OK || count != N_RECORDS)
		BENCH_DIE("verify: %s", sk_error_detail());
	bench_report("audit_verify_per_s", count / (bench_now() - t), "/s",
		     "chain, hashes and indexes from the genesis");
	for (int i = 0; i < N_QUERIES; i++) {
		audit_filter f = {0};

		snprintf(client, sizeof(client), "c-%u", (unsigned)(i * 7919u) % N_CLIENTS);
		snprintf(user, sizeof(user), "prof-%u", (unsigned)(i * 31u) % N_USERS);
		if (i % 2)
			f.client = client;
		else
			f.user = user;
		f.since_ms = t0;
		f.until_ms = t0 + (uint64_t)N_RECORDS * 1000u;
		t = bench_now();
		if (audit_query(log, txn, &f, count_one, &found) != SK_OK)
			BENCH_DIE("query");
		lat[i] = (bench_now() - t) * 1000.0;
	}
	mdb_txn_abort(txn);
	qsort(lat, N_QUERIES, sizeof(lat[0]), cmp);
	bench_report("audit_query_p50_ms", lat[N_QUERIES / 2], "ms",
		     "by client (10 records) or professional (2,000 records)");
	bench_report("audit_query_p99_ms", lat[N_QUERIES * 99 / 100], "ms", "");
	audit_log_close(log);
	mdb_env_close(env);
	return 0;
}
