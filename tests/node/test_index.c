/* The indexes of node/index.h and the paged reads on a real LMDB: a
 * professional's cases follow open, assign and close in their own
 * transactions; pages cut by cursors at their boundaries, both ways;
 * a name search; and a store made before the indexes gets them built
 * when it is opened, nothing lost. */
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/be.h"
#include "common/db.h"
#include "common/init.h"
#include "node/case.h"
#include "node/client.h"
#include "node/discuss.h"
#include "node/inbox.h"
#include "node/index.h"
#include "node/professional.h"
#include "node/store.h"

#define NOW 1781524800000ull /* 2026-06-15 12:00 UTC */

static const char *const bsns[] = {"111222333", "123456782", "100000009", "100000010",
				   "100000022", "100000034", "100000046"};
static const char *const names[] = {"Anna de Vries", "Bram Jansen",   "Cor Bakker",
				    "Dirk Jansen",   "Eva Visser",    "Fleur de Boer",
				    "Gijs Smit"};
#define N_CLIENTS (sizeof(names) / sizeof(names[0]))

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
	char client[N_CLIENTS][NODE_CLIENT_ID_MAX + 1];
	uint64_t cases[N_CLIENTS]; /* case i of client i, opened by p1 */
} fixture;

static void add_prof(node_store *s, const char *id)
{
	node_professional p;

	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.name, sizeof(p.name), "Name of %s", id);
	snprintf(p.role, sizeof(p.role), "spv");
	p.kind = NODE_KIND_PROFESSIONAL;
	E(node_professional_add(s, &p));
}

static void open_all(fixture *f)
{
	node_consent_req r = {0};

	r.flags = NODE_FLAG_DISCOVER;
	r.categories = "all";
	for (size_t i = 0; i < N_CLIENTS; i++) {
		node_case c;
		bsn b;

		E(bsn_parse(&b, bsns[i]));
		E(node_client_add(f->s, &b, names[i], NULL, NOW, f->client[i]));
		E(node_case_open(f->s, f->client[i], "p1", &r, NOW + i, &c));
		f->cases[i] = c.id;
	}
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "org-a", "Org A", "sociaal-team", f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
	add_prof(f->s, "p1");
	add_prof(f->s, "p2");
	open_all(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	node_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

/* What a page read gave: case ids and client names in order, cursors. */
typedef struct got {
	size_t n;
	uint64_t id[NODE_PAGE_LIMIT_MAX];
	char name[NODE_PAGE_LIMIT_MAX][NODE_NAME_MAX + 1];
	node_page_out pg;
} got;

static sk_status got_case(const node_case *c, const char *client_name, void *arg)
{
	got *g = arg;

	g->id[g->n] = c->id;
	snprintf(g->name[g->n], sizeof(g->name[0]), "%s", client_name);
	g->n++;
	return SK_OK;
}

static sk_status page_of(fixture *f, const char *prof, size_t limit, const char *after,
			 const char *before, const char *q, got *g)
{
	node_page_req r = {limit, after, before, q};
	MDB_txn *txn = NULL;
	sk_status st;

	memset(g, 0, sizeof(*g));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	st = node_case_page(f->s, txn, prof, &r, got_case, g, &g->pg);
	mdb_txn_abort(txn);
	return st;
}

static sk_status count_client(const char *client, void *arg)
{
	(void)client;
	(*(size_t *)arg)++;
	return SK_OK;
}

static size_t open_clients(fixture *f, const char *prof, const char *q)
{
	MDB_txn *txn = NULL;
	size_t n = 0;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_case_prof_clients(f->s, txn, prof, q, count_client, &n));
	mdb_txn_abort(txn);
	return n;
}

/* The index follows open, assign and close. */
static void test_prof_cases(void **state)
{
	fixture *f = *state;
	node_case c;
	got g;

	E(page_of(f, "p1", 0, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, N_CLIENTS);
	assert_int_equal(g.id[0], f->cases[N_CLIENTS - 1]); /* newest first */
	assert_string_equal(g.name[0], names[N_CLIENTS - 1]);
	assert_string_equal(g.pg.next, "");
	assert_string_equal(g.pg.prev, "");
	E(page_of(f, "p2", 0, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, 0);
	assert_int_equal(open_clients(f, "p2", NULL), 0);

	E(node_case_assign(f->s, f->cases[2], "p2", "p1", NOW, &c));
	E(page_of(f, "p2", 0, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, 1);
	assert_int_equal(g.id[0], f->cases[2]);
	assert_string_equal(g.name[0], names[2]);
	assert_int_equal(open_clients(f, "p2", NULL), 1);

	/* closed: still listed, no longer an open client of either */
	E(node_case_close(f->s, f->cases[2], "p2", NOW + NODE_DAY_MS, &c));
	E(page_of(f, "p2", 0, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, 1);
	assert_int_equal(open_clients(f, "p2", NULL), 0);
	assert_int_equal(open_clients(f, "p1", NULL), N_CLIENTS - 1);

	/* a refused change leaves the index as it was */
	EFAIL(node_case_assign(f->s, f->cases[3], "p2", "p2", NOW, &c), SK_ERR_PERM);
	assert_int_equal(open_clients(f, "p2", NULL), 0);

	/* the token: every case of the node */
	E(page_of(f, NULL, 0, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, N_CLIENTS);
}

/* Pages of 3 over 7 cases: 7 6 5 | 4 3 2 | 1, and back. */
static void test_cursors(void **state)
{
	fixture *f = *state;
	char next[NODE_PAGE_CURSOR_BYTES + 1], prev[NODE_PAGE_CURSOR_BYTES + 1];
	got g;

	E(page_of(f, "p1", 3, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, 3);
	assert_int_equal(g.id[0], f->cases[6]);
	assert_int_equal(g.id[2], f->cases[4]);
	assert_string_equal(g.pg.prev, "");
	assert_int_equal(strlen(g.pg.next), NODE_PAGE_CURSOR_BYTES);
	memcpy(next, g.pg.next, sizeof(next));

	E(page_of(f, "p1", 3, next, NULL, NULL, &g));
	assert_int_equal(g.n, 3);
	assert_int_equal(g.id[0], f->cases[3]);
	assert_int_equal(g.id[2], f->cases[1]);
	assert_int_not_equal(g.pg.prev[0], 0);
	memcpy(prev, g.pg.prev, sizeof(prev));
	memcpy(next, g.pg.next, sizeof(next));

	E(page_of(f, "p1", 3, next, NULL, NULL, &g));
	assert_int_equal(g.n, 1);
	assert_int_equal(g.id[0], f->cases[0]);
	assert_string_equal(g.pg.next, ""); /* the last page */

	/* back from the second page: the first again */
	E(page_of(f, "p1", 3, NULL, prev, NULL, &g));
	assert_int_equal(g.n, 3);
	assert_int_equal(g.id[0], f->cases[6]);
	assert_int_equal(g.id[2], f->cases[4]);
	assert_string_equal(g.pg.prev, "");

	/* a case opened meanwhile does not shift the page after a cursor */
	{
		node_consent_req r = {0};
		node_case c;

		r.flags = NODE_FLAG_DISCOVER;
		r.categories = "all";
		E(node_case_open(f->s, f->client[0], "p1", &r, NOW + 100, &c));
	}
	E(page_of(f, "p1", 3, next, NULL, NULL, &g));
	assert_int_equal(g.n, 1);
	assert_int_equal(g.id[0], f->cases[0]);

	/* bad requests */
	EFAIL(page_of(f, "p1", NODE_PAGE_LIMIT_MAX + 1, NULL, NULL, NULL, &g), SK_ERR_INVALID);
	EFAIL(page_of(f, "p1", 3, "zz", NULL, NULL, &g), SK_ERR_INVALID);
	EFAIL(page_of(f, "p1", 3, next, prev, NULL, &g), SK_ERR_INVALID);
}

/* A search by part of the client's name, letters in either case. */
static void test_search(void **state)
{
	fixture *f = *state;
	got g;

	E(page_of(f, "p1", 0, NULL, NULL, "jANSen", &g));
	assert_int_equal(g.n, 2);
	assert_string_equal(g.name[0], "Dirk Jansen");
	assert_string_equal(g.name[1], "Bram Jansen");
	E(page_of(f, "p1", 1, NULL, NULL, "jansen", &g));
	assert_int_equal(g.n, 1);
	assert_int_not_equal(g.pg.next[0], 0);
	{
		char next[NODE_PAGE_CURSOR_BYTES + 1];

		memcpy(next, g.pg.next, sizeof(next));
		E(page_of(f, "p1", 1, next, NULL, "jansen", &g));
		assert_int_equal(g.n, 1);
		assert_string_equal(g.name[0], "Bram Jansen");
		assert_string_equal(g.pg.next, "");
	}
	/* a BSN finds nothing: names only */
	E(page_of(f, "p1", 0, NULL, NULL, bsns[1], &g));
	assert_int_equal(g.n, 0);
	E(page_of(f, "p2", 0, NULL, NULL, "jansen", &g));
	assert_int_equal(g.n, 0);
	assert_int_equal(open_clients(f, "p1", "de "), 2);
	/* not over the whole node */
	EFAIL(page_of(f, NULL, 0, NULL, NULL, "jansen", &g), SK_ERR_INVALID);
}

static sk_status got_item(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
			  const char *client_name, void *arg)
{
	got *g = arg;

	(void)client;
	assert_int_equal(at, it->seq); /* put_item: the old layout, keyed by seq */
	g->id[g->n] = at;
	snprintf(g->name[g->n], sizeof(g->name[0]), "%s", client_name);
	g->n++;
	return SK_OK;
}

static sk_status got_discussion(json_t *d, void *arg)
{
	got *g = arg;

	snprintf(g->name[g->n], sizeof(g->name[0]), "%s %s",
		 json_string_value(json_object_get(d, "role")),
		 json_string_value(json_object_get(d, "client_name")));
	g->n++;
	json_decref(d);
	return SK_OK;
}

/* A mailbox item about client (through its token) as the previous
 * version stored it: the inbox record and the token index only. */
static void put_item(fixture *f, MDB_txn *txn, uint64_t seq, Schakel__V1__MailboxKind kind,
		     uint8_t tok, const char *client, const uint8_t *disc)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	uint8_t token[BSN_TOKEN_BYTES], ikey[BSN_TOKEN_BYTES + 4], key[8], buf[512];
	MDB_val k = {8, key}, d, ik = {sizeof(ikey), ikey}, cv = {strlen(client), (void *)client};

	memset(token, tok, sizeof(token));
	it.seq = seq;
	it.kind = kind;
	it.time = NOW + seq;
	it.has_token = 1;
	it.token = (ProtobufCBinaryData){sizeof(token), token};
	it.has_epoch = 1;
	it.epoch = 1;
	it.counterpart = "org-b";
	if (disc != NULL) {
		it.has_discussion_id = 1;
		it.discussion_id = (ProtobufCBinaryData){NODE_DISCUSSION_ID_BYTES, (uint8_t *)disc};
		it.purpose = "afstemming";
		it.window_end = NOW + 1000ull * NODE_DAY_MS;
	}
	assert_true(schakel__v1__mailbox_item__get_packed_size(&it) <= sizeof(buf));
	d = (MDB_val){schakel__v1__mailbox_item__pack(&it, buf), buf};
	sk_be64_put(key, seq);
	E(sk_db_status(mdb_put(txn, f->s->inbox, &k, &d, 0)));
	node_index_token_key(ikey, token, 1);
	E(sk_db_status(mdb_put(txn, f->s->token_index, &ik, &cv, 0)));
}

/* A store of the previous version: records without the indexes and
 * without the version key. Opening it builds them, once. */
static void test_migration(void **state)
{
	fixture *f = *state;
	uint8_t disc[NODE_DISCUSSION_ID_BYTES] = {7}, disc2[NODE_DISCUSSION_ID_BYTES] = {9};
	char hex[NODE_DISCUSSION_HEX];
	node_page_req r = {0};
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(NODE_META_INDEX_VERSION), NODE_META_INDEX_VERSION};
	json_t *rec;
	uint64_t v = 0;
	got g;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	put_item(f, txn, 10, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH, 1, f->client[0], NULL);
	put_item(f, txn, 11, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE, 1, f->client[0], NULL);
	put_item(f, txn, 12, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH, 2, f->client[1], NULL);
	put_item(f, txn, 13, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION, 2, f->client[1], disc);
	put_item(f, txn, 14, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION, 2, f->client[1], disc2);
	/* disc2 was accepted: our own record, listed once as participant */
	sodium_bin2hex(hex, sizeof(hex), disc2, sizeof(disc2));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", hex, "role", "participant", "client",
			f->client[1], "topic", "afstemming", "created", (json_int_t)NOW);
	E(node_json_put(txn, f->s->discussions, hex, strlen(hex), rec));
	json_decref(rec);
	/* what the previous version did not have */
	E(sk_db_status(mdb_drop(txn, f->s->prof_cases, 1)));
	E(sk_db_status(mdb_drop(txn, f->s->inbox_clients, 1)));
	E(sk_db_status(mdb_drop(txn, f->s->discussion_clients, 1)));
	E(sk_db_status(mdb_del(txn, f->s->meta, &k, NULL)));
	E(sk_db_status(mdb_txn_commit(txn)));
	node_store_close(f->s);
	f->s = NULL;

	E(node_store_open(&f->s, f->dir, f->kek));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_meta_u64(f->s, txn, NODE_META_INDEX_VERSION, 0, &v));
	mdb_txn_abort(txn);
	assert_int_equal(v, NODE_INDEX_VERSION);

	E(page_of(f, "p1", 0, NULL, NULL, NULL, &g));
	assert_int_equal(g.n, N_CLIENTS);
	assert_string_equal(g.name[N_CLIENTS - 1], names[0]);

	memset(&g, 0, sizeof(g));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_inbox_page(f->s, txn, "p1",
			  NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH), &r, got_item, &g,
			  &g.pg));
	mdb_txn_abort(txn);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.id[0], 12);
	assert_string_equal(g.name[0], names[1]);
	assert_int_equal(g.id[1], 10);

	/* through the open cases of p2 only: none */
	memset(&g, 0, sizeof(g));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_inbox_page(f->s, txn, "p2", ~0u, &r, got_item, &g, &g.pg));
	mdb_txn_abort(txn);
	assert_int_equal(g.n, 0);

	/* discussions: the invitation not accepted, and our own record */
	memset(&g, 0, sizeof(g));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_discuss_page(f->s, txn, "p1", &r, got_discussion, &g, &g.pg));
	mdb_txn_abort(txn);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.name[0], "invited Bram Jansen"); /* newer: NOW + 13 */
	assert_string_equal(g.name[1], "participant Bram Jansen");
	r.q = "anna";
	memset(&g, 0, sizeof(g));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_discuss_page(f->s, txn, "p1", &r, got_discussion, &g, &g.pg));
	mdb_txn_abort(txn);
	assert_int_equal(g.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prof_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
