/* A node at the scale of a large provider, for the web benchmark
 * (bench/run.sh webscale): 100,000 clients with a case each over 200
 * professionals (500 cases each), a privacy officer, a year of audit
 * records before today (backdated through audit_record.time_ms), a few
 * thousand matches and notices and some discussions, written through the
 * node library, many records a write transaction.
 *   bench_webscale DIR [AUDIT-RECORDS]   (DIR must not hold a node yet)
 * Prints the case id of the first professional's newest case. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/init.h"
#include "node/auth.h"
#include "node/case.h"
#include "node/client.h"
#include "node/discuss.h"
#include "node/index.h"
#include "node/professional.h"
#include "node/store.h"

#define N_CLIENTS 100000u
#define N_PROFS 200u
#define N_ITEMS 4000u     /* matches and notices */
#define N_DISCUSSIONS 400u
#define N_INVITATIONS 200u
#define BATCH 2000u
#define AUDIT_BATCH 20000u
#define YEAR_MS (365ull * NODE_DAY_MS)
#define PASSWORD "bench-password-1"

static const char *const first[] = {"Anna", "Bram", "Cor", "Daan", "Eva", "Fleur", "Gijs",
				    "Hanna", "Ilse", "Jan", "Karin", "Lars", "Mila", "Noah",
				    "Olga", "Piet", "Rosa", "Sem", "Tess", "Umut", "Vera",
				    "Wout", "Yara", "Zeynep"};
static const char *const last[] = {"de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer",
				   "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
				   "Hendriks", "van Dijk", "Yilmaz", "El Amrani", "Kaya",
				   "Dekker", "Brouwer", "de Wit"};
#define NF (sizeof(first) / sizeof(first[0]))
#define NL (sizeof(last) / sizeof(last[0]))

static void must(sk_status st, const char *what)
{
	if (st != SK_OK)
		BENCH_DIE("%s: %s (%s)", what, sk_strerror(st), sk_error_detail());
}

static MDB_txn *begin(node_store *s)
{
	MDB_txn *txn = NULL;

	if (mdb_txn_begin(s->env, NULL, 0, &txn) != 0)
		BENCH_DIE("txn");
	return txn;
}

static void commit(MDB_txn *txn)
{
	if (mdb_txn_commit(txn) != 0)
		BENCH_DIE("commit");
}

/* The next valid BSN (11-proof), one per 8-digit prefix, from 10000000. */
static void bsn_next(bsn *b)
{
	static unsigned prefix = 10000000u;
	char text[16];

	for (;; prefix++) {
		unsigned sum = 0;

		snprintf(text, sizeof(text), "%08u", prefix);
		for (int i = 0; i < 8; i++)
			sum += (9u - (unsigned)i) * (unsigned)(text[i] - '0');
		if (sum % 11 == 10)
			continue;
		text[8] = (char)('0' + sum % 11);
		text[9] = 0;
		prefix++;
		if (bsn_parse(b, text) == SK_OK)
			return;
	}
}

static void prof_id(char out[static 16], unsigned i)
{
	snprintf(out, 16, "prof-%03u", i);
}

/* A year of what a node records, backdated, oldest first. */
static void audit_year(node_store *s, unsigned n, uint64_t now)
{
	static const char *const events[] = {"case.show", "case.list", "lookup", "signin",
					     "matches.list", "discuss.show", "case.consent",
					     "notices.list"};
	uint64_t from = now - YEAR_MS, step = YEAR_MS / (n ? n : 1);
	char client[32], user[16];
	double t = bench_now();

	for (unsigned i = 0; i < n;) {
		MDB_txn *txn = begin(s);

		for (unsigned j = 0; j < AUDIT_BATCH && i < n; j++, i++) {
			audit_record r = {0};
			unsigned e = randombytes_uniform(sizeof(events) / sizeof(events[0]));

			snprintf(client, sizeof(client), "c-%u", 1 + randombytes_uniform(N_CLIENTS));
			prof_id(user, randombytes_uniform(N_PROFS));
			r.event = events[e];
			r.action = e == 6 ? AUDIT_ACTION_UPDATE
				   : e == 2 ? AUDIT_ACTION_EXECUTE
					    : AUDIT_ACTION_READ;
			r.outcome = randombytes_uniform(200) == 0 ? AUDIT_OUTCOME_DENIED
								  : AUDIT_OUTCOME_OK;
			r.user = user;
			r.role = "wijkcoach";
			r.category = e == 2 ? "lookup" : "case";
			r.client = e == 1 || e == 3 || e == 4 || e == 7 ? NULL : client;
			r.purpose = e == 2 ? "afstemming" : NULL;
			r.access_point = "web:10.0.0.7";
			r.responsible = user;
			r.time_ms = from + (uint64_t)i * step;
			must(node_audit(s, txn, &r), "audit");
		}
		commit(txn);
	}
	bench_report("webscale_gen_audit_per_s", n / (bench_now() - t), "/s",
		     "backdated audit records appended, 20,000 a commit");
}

/* A mailbox item about client (through its token), indexed as
 * node_inbox_pull does. */
static void item(node_store *s, MDB_txn *txn, uint64_t seq, Schakel__V1__MailboxKind kind,
		 unsigned client_n, uint64_t time, const uint8_t *disc)
{
	static const char *const orgs[] = {"ggz-altrecht", "tactus", "jeugdzorg-utrecht",
					   "schuldhulp-stad", "leger-des-heils"};
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	uint8_t token[BSN_TOKEN_BYTES], ikey[BSN_TOKEN_BYTES + 4], key[8], buf[1024];
	char client[NODE_CLIENT_ID_MAX + 1];
	MDB_val k = {8, key}, d, ik = {sizeof(ikey), ikey}, cv;

	snprintf(client, sizeof(client), "c-%u", client_n);
	crypto_generichash(token, sizeof(token), (const uint8_t *)client, strlen(client), NULL, 0);
	it.seq = seq;
	it.kind = kind;
	it.time = time;
	it.has_token = 1;
	it.token = (ProtobufCBinaryData){sizeof(token), token};
	it.has_epoch = 1;
	it.epoch = 1;
	it.counterpart = (char *)orgs[seq % 5];
	it.category = "ggz";
	it.role = "spv";
	it.purpose = "afstemming";
	if (disc != NULL) {
		it.has_discussion_id = 1;
		it.discussion_id = (ProtobufCBinaryData){NODE_DISCUSSION_ID_BYTES, (uint8_t *)disc};
		it.window_start = time;
		it.window_end = time + 14 * NODE_DAY_MS;
	}
	d = (MDB_val){schakel__v1__mailbox_item__pack(&it, buf), buf};
	sk_be64_put(key, seq);
	cv = (MDB_val){strlen(client), client};
	node_index_token_key(ikey, token, 1);
	if (mdb_put(txn, s->inbox, &k, &d, 0) != 0 || mdb_put(txn, s->token_index, &ik, &cv, 0) != 0)
		BENCH_DIE("inbox");
	must(node_index_inbox(txn, s->inbox_clients, client, seq, (unsigned)kind), "inbox index");
}

/* A client of the first professional (i % N_PROFS == 0) one time in four. */
static unsigned some_client(unsigned i)
{
	unsigned n = randombytes_uniform(N_CLIENTS);

	if (i % 4 == 0)
		n -= n % N_PROFS;
	return n + 1;
}

int main(int argc, char **argv)
{
	uint64_t now, newest = 0;
	unsigned n_audit = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1500000u;
	sk_kek *kek = NULL;
	node_store *s = NULL;
	node_professional p;
	node_consent_req req = {0};
	MDB_txn *txn;
	double t;

	if (sk_init() != SK_OK || argc < 2)
		BENCH_DIE("usage: bench_webscale EMPTY-DIR [AUDIT-RECORDS]");
	must(sk_kek_open(&kek, NULL, 1), "kek");
	must(node_store_init(argv[1], "wijkteam", "Wijkteam Bench", "sociaal-team", kek), "init");
	must(node_store_open(&s, argv[1], kek), "open");
	now = sk_clock_now_ms();
	printf("a node at scale: %u clients and cases, %u professionals, %u audit records\n",
	       N_CLIENTS, N_PROFS, n_audit);
	t = bench_now();
	for (unsigned i = 0; i <= N_PROFS; i++) {
		memset(&p, 0, sizeof(p));
		if (i < N_PROFS) {
			prof_id(p.id, i);
			snprintf(p.name, sizeof(p.name), "%s %s", first[i % NF], last[i / NF % NL]);
			snprintf(p.role, sizeof(p.role), "wijkcoach");
			p.kind = NODE_KIND_PROFESSIONAL;
		} else {
			snprintf(p.id, sizeof(p.id), "fg");
			snprintf(p.name, sizeof(p.name), "Functionaris Gegevensbescherming");
			snprintf(p.role, sizeof(p.role), "fg");
			p.kind = NODE_KIND_PRIVACY_OFFICER;
		}
		must(node_professional_add(s, &p), "professional");
	}
	must(node_password_set(s, "prof-000", PASSWORD, now), "password");
	must(node_password_set(s, "fg", PASSWORD, now), "password");
	audit_year(s, n_audit, now);

	req.flags = NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT | NODE_FLAG_DISCUSS;
	req.categories = "all";
	req.by = NODE_BY_CLIENT;
	t = bench_now();
	for (unsigned i = 0; i < N_CLIENTS;) {
		txn = begin(s);
		for (unsigned j = 0; j < BATCH && i < N_CLIENTS; j++, i++) {
			char id[NODE_CLIENT_ID_MAX + 1], name[64], as[16];
			uint64_t cid = 0;
			bsn b;

			bsn_next(&b);
			snprintf(name, sizeof(name), "%s %s", first[randombytes_uniform(NF)],
				 last[randombytes_uniform(NL)]);
			must(node_client_add_txn(s, txn, &b, name, NULL, now, id), "client");
			sodium_memzero(&b, sizeof(b));
			prof_id(as, i % N_PROFS);
			must(node_case_open_txn(s, txn, id, as, &req, now, &cid), "case");
			if (i % N_PROFS == 0)
				newest = cid;
		}
		commit(txn);
	}
	bench_report("webscale_gen_cases_per_s", N_CLIENTS / (bench_now() - t), "/s",
		     "clients registered with a case, 2,000 a commit");

	txn = begin(s);
	for (unsigned i = 0; i < N_ITEMS; i++)
		item(s, txn, i + 1,
		     i % 2 ? SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE
			   : SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH,
		     some_client(i / 2), now - YEAR_MS + (uint64_t)i * (YEAR_MS / N_ITEMS), NULL);
	for (unsigned i = 0; i < N_INVITATIONS; i++) {
		uint8_t disc[NODE_DISCUSSION_ID_BYTES];

		randombytes_buf(disc, sizeof(disc));
		item(s, txn, N_ITEMS + i + 1, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION,
		     some_client(i), now - (uint64_t)(N_INVITATIONS - i) * 3600000ull, disc);
	}
	for (unsigned i = 0; i < N_DISCUSSIONS; i++) {
		uint8_t disc[NODE_DISCUSSION_ID_BYTES];
		char hex[NODE_DISCUSSION_HEX], client[NODE_CLIENT_ID_MAX + 1], as[16];
		unsigned c = some_client(i);
		json_t *rec;

		randombytes_buf(disc, sizeof(disc));
		sodium_bin2hex(hex, sizeof(hex), disc, sizeof(disc));
		snprintf(client, sizeof(client), "c-%u", c);
		prof_id(as, (c - 1) % N_PROFS);
		rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:{},s:{},s:{},s:I}", "id", hex,
				"role", i % 3 ? "requester" : "participant", "client", client,
				"professional", as, "topic", "afstemming", "window_start",
				(json_int_t)now, "window_end", (json_int_t)(now + 14 * NODE_DAY_MS),
				"created", (json_int_t)(now - (uint64_t)i * 7200000ull),
				"participants", "seq_in", "seq_out", "n_messages", (json_int_t)0);
		if (rec == NULL)
			BENCH_DIE("json");
		must(node_json_put(txn, s->discussions, hex, strlen(hex), rec), "discussion");
		must(node_index_discussion(txn, s->discussion_clients, client, hex), "index");
		json_decref(rec);
	}
	commit(txn);
	printf("newest case of prof-000: %llu\n", (unsigned long long)newest);
	node_store_close(s);
	sk_kek_free(kek);
	return 0;
}
