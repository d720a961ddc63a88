/* The node's inbox keys (node/inboxkey.h) on a real LMDB: items are kept
 * under local keys, so after a rollover (the mailbox cursor moved back to
 * the restored registry's last item) the items it numbers again are kept
 * as new ones beside those the node already had under those numbers, a
 * fetch repeated within one log is not kept twice, and a store of the old
 * layout (keyed by the registry's seq, alerts at the top) still shows its
 * items after the upgrade at open. */
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/be.h"
#include "common/db.h"
#include "common/init.h"
#include "node/case.h"
#include "node/client.h"
#include "node/inbox.h"
#include "node/inboxkey.h"
#include "node/index.h"
#include "node/professional.h"
#include "node/store.h"

#define NOW 1781524800000ull /* 2026-06-15 12:00 UTC */
#define ITEMS_MAX 16

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
	char client[NODE_CLIENT_ID_MAX + 1];
	uint8_t token[BSN_TOKEN_BYTES];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	uint8_t ikey[BSN_TOKEN_BYTES + 4];
	MDB_val ik = {sizeof(ikey), ikey}, cv;
	node_consent_req r = {0};
	node_professional p;
	MDB_txn *txn = NULL;
	node_case c;
	bsn b;

	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "org-a", "Org A", "sociaal-team", f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "p1");
	snprintf(p.name, sizeof(p.name), "Pim");
	snprintf(p.role, sizeof(p.role), "spv");
	p.kind = NODE_KIND_PROFESSIONAL;
	E(node_professional_add(f->s, &p));
	E(bsn_parse(&b, "111222333"));
	E(node_client_add(f->s, &b, "Anna de Vries", NULL, NOW, f->client));
	r.flags = NODE_FLAG_DISCOVER;
	r.categories = "all";
	E(node_case_open(f->s, f->client, "p1", &r, NOW, &c));
	/* the client's token, as a publish leaves it */
	memset(f->token, 0x5a, sizeof(f->token));
	node_index_token_key(ikey, f->token, 1);
	cv = (MDB_val){strlen(f->client), f->client};
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(sk_db_status(mdb_put(txn, f->s->token_index, &ik, &cv, 0)));
	E(sk_db_status(mdb_txn_commit(txn)));
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

/* A match with partner org about our client, registry seq seq. */
static Schakel__V1__MailboxItem match(fixture *f, uint64_t seq, const char *org)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;

	it.seq = seq;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH;
	it.time = NOW + seq;
	it.has_token = 1;
	it.token = (ProtobufCBinaryData){sizeof(f->token), f->token};
	it.has_epoch = 1;
	it.epoch = 1;
	it.counterpart = (char *)org;
	it.category = "ggz";
	return it;
}

/* A disclosure notice from org, registry seq seq. */
static Schakel__V1__MailboxItem notice(uint64_t seq, const char *org)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;

	it.seq = seq;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE;
	it.time = NOW + seq;
	it.counterpart = (char *)org;
	it.category = "ggz";
	it.role = "spv";
	it.purpose = "zorgcoordinatie";
	return it;
}

/* One answer of the registry taken as node_inbox_pull takes it, with the
 * mailbox cursor; returns how many were kept. */
static size_t take(fixture *f, Schakel__V1__MailboxItem *items, size_t n)
{
	Schakel__V1__MailboxItem *ptrs[ITEMS_MAX];
	MDB_txn *txn = NULL;
	uint64_t cursor;
	size_t taken = 0;

	assert_true(n <= ITEMS_MAX);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &items[i];
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(node_mailbox_cursor(f->s, txn, &cursor));
	E(node_inbox_take(f->s, txn, ptrs, n, &cursor, &taken));
	E(node_mailbox_cursor_put(f->s, txn, cursor));
	E(sk_db_status(mdb_txn_commit(txn)));
	return taken;
}

/* What node_remote_mailbox_rewind does after a rollover. */
static void rewind_to(fixture *f, uint64_t last)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(node_mailbox_cursor_put(f->s, txn, last));
	E(sk_db_status(mdb_txn_commit(txn)));
}

typedef struct seen {
	size_t n;
	uint64_t id[ITEMS_MAX], seq[ITEMS_MAX];
	char org[ITEMS_MAX][16];
	char client[ITEMS_MAX][NODE_CLIENT_ID_MAX + 1];
} seen;

static sk_status see(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
		     void *arg)
{
	seen *w = arg;

	if (w->n == ITEMS_MAX)
		return SK_ERR_TOOBIG;
	w->id[w->n] = at;
	w->seq[w->n] = it->seq;
	snprintf(w->org[w->n], sizeof(w->org[0]), "%s", it->counterpart ? it->counterpart : "");
	snprintf(w->client[w->n], sizeof(w->client[0]), "%s", client);
	w->n++;
	return SK_OK;
}

static sk_status see_page(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
			  const char *client_name, void *arg)
{
	(void)client_name;
	return see(at, it, client, arg);
}

/* Each (org, seq) once in w, and local keys strictly increasing. */
static void assert_once(const seen *w)
{
	for (size_t i = 0; i < w->n; i++) {
		if (i > 0)
			assert_true(w->id[i] > w->id[i - 1]);
		for (size_t j = 0; j < i; j++)
			assert_false(w->seq[i] == w->seq[j] && strcmp(w->org[i], w->org[j]) == 0);
	}
}

static void test_rewind(void **state)
{
	fixture *f = *state;
	Schakel__V1__MailboxItem old[3] = {notice(1, "org-b"), notice(2, "org-b"),
					   match(f, 3, "org-b")};
	Schakel__V1__MailboxItem again[2] = {notice(2, "org-b"), match(f, 3, "org-b")};
	Schakel__V1__MailboxItem renumbered[3] = {notice(2, "org-c"), match(f, 3, "org-c"),
						  notice(4, "org-c")};
	node_page_req r = {0};
	node_page_out pg;
	MDB_txn *txn = NULL;
	seen w = {0};

	assert_int_equal(take(f, old, 3), 3);
	/* the same answer again within one log: nothing new */
	assert_int_equal(take(f, again, 2), 0);
	/* the registry restored from a backup that held item 1; it numbers
	 * new items 2, 3, 4; the node held 2 and 3 of the old log already */
	rewind_to(f, 1);
	assert_int_equal(take(f, renumbered, 3), 3);
	/* and the same renumbered answer again: nothing new */
	assert_int_equal(take(f, renumbered, 3), 0);

	E(node_inbox_scan(f->s, 0, see, &w));
	assert_int_equal(w.n, 6);
	assert_once(&w);
	assert_int_equal(w.seq[1], 2);
	assert_string_equal(w.org[1], "org-b");
	assert_int_equal(w.seq[2], 3);
	assert_string_equal(w.org[2], "org-b");
	assert_int_equal(w.seq[3], 2);
	assert_string_equal(w.org[3], "org-c");
	assert_int_equal(w.seq[4], 3);
	assert_string_equal(w.org[4], "org-c");
	assert_string_equal(w.client[4], f->client);

	/* the professional's matches through the client index: both partners,
	 * newest first */
	memset(&w, 0, sizeof(w));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_inbox_page(f->s, txn, "p1", NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH),
			  &r, see_page, &w, &pg));
	mdb_txn_abort(txn);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.org[0], "org-c");
	assert_string_equal(w.org[1], "org-b");
	assert_int_equal(w.seq[0], w.seq[1]);
	assert_true(w.id[0] > w.id[1]);
}

/* A store of the old layout: items under the registry's seq and a local
 * alert under u64 max - leaf. Opening it keeps the items under their
 * keys, moves the alert after them and numbers new items after that. */
static void test_upgrade(void **state)
{
	fixture *f = *state;
	Schakel__V1__MailboxItem items[3] = {notice(5, "org-b"), notice(7, "org-b"),
					     notice(UINT64_MAX - 3, "org-a")};
	Schakel__V1__MailboxItem next[1] = {notice(8, "org-b")};
	MDB_val mk = {strlen(NODE_META_INBOX_NEXT), NODE_META_INBOX_NEXT};
	MDB_txn *txn = NULL;
	seen w = {0};

	items[2].kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN;
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	for (size_t i = 0; i < 3; i++) {
		uint8_t key[8], buf[256];
		MDB_val k = {8, key}, d;

		assert_true(schakel__v1__mailbox_item__get_packed_size(&items[i]) <= sizeof(buf));
		d = (MDB_val){schakel__v1__mailbox_item__pack(&items[i], buf), buf};
		sk_be64_put(key, items[i].seq);
		E(sk_db_status(mdb_put(txn, f->s->inbox, &k, &d, 0)));
	}
	E(sk_db_status(mdb_del(txn, f->s->meta, &mk, NULL)));
	E(node_mailbox_cursor_put(f->s, txn, 7));
	E(sk_db_status(mdb_txn_commit(txn)));
	node_store_close(f->s);
	f->s = NULL;

	E(node_store_open(&f->s, f->dir, f->kek));
	assert_int_equal(take(f, next, 1), 1);
	E(node_inbox_scan(f->s, 0, see, &w));
	assert_int_equal(w.n, 4);
	assert_once(&w);
	assert_int_equal(w.id[0], 5);
	assert_int_equal(w.id[1], 7);
	assert_int_equal(w.id[2], 8); /* the alert */
	assert_int_equal(w.seq[2], UINT64_MAX - 3);
	assert_int_equal(w.id[3], 9);
	assert_int_equal(w.seq[3], 8);

	/* opened again: nothing moves */
	node_store_close(f->s);
	E(node_store_open(&f->s, f->dir, f->kek));
	memset(&w, 0, sizeof(w));
	E(node_inbox_scan(f->s, 0, see, &w));
	assert_int_equal(w.n, 4);
	assert_int_equal(w.id[2], 8);
	assert_int_equal(w.id[3], 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rewind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
