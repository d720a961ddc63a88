#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/init.h"
#include "common/kek.h"
#include "registry/sweep.h"
#include "registry/visibility.h"

#define NOW 1795000000000ull

static char *cats_ggz[] = {"ggz"}, *cats_team[] = {"sociaal-team"};
static uint8_t token[32] = {7}, salt[16], head[32];

static void entry(Schakel__V1__Entry *e, const char *org, uint32_t flags, char **cats,
		  size_t n, uint64_t expires)
{
	schakel__v1__entry__init(e);
	e->token = (ProtobufCBinaryData){32, token};
	e->epoch = 1;
	e->org_id = (char *)org;
	e->flags = flags;
	e->categories = cats;
	e->n_categories = n;
	e->basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
	e->issued_at = NOW - 1000;
	e->expires_at = expires;
	e->seq = 1;
	e->salt = (ProtobufCBinaryData){16, salt};
	e->audit_head = (ProtobufCBinaryData){32, head};
}

static reg_live live(Schakel__V1__Entry *e, const char *org, const char *cat)
{
	reg_live l = {0};

	l.e = e;
	snprintf(l.org, sizeof(l.org), "%s", org);
	snprintf(l.category, sizeof(l.category), "%s", cat);
	l.live = 1;
	return l;
}

/* The truth table of mutual visibility. */
static void test_visible(void **state)
{
	wire_policy p;
	Schakel__V1__Entry a, b;
	reg_live la, lb;

	wire_policy_default(&p);
	entry(&a, "team", REG_FLAG_DISCOVER, cats_ggz, 1, NOW + 1000);
	entry(&b, "ggz", REG_FLAG_DISCOVER, cats_team, 1, NOW + 1000);
	la = live(&a, "team", "sociaal-team");
	lb = live(&b, "ggz", "ggz");
	assert_true(reg_visible(&p, &la, &lb));
	assert_true(reg_visible(&p, &lb, &la));
	b.flags = REG_FLAG_DISCUSS; /* one-sided discover */
	assert_false(reg_visible(&p, &la, &lb));
	assert_false(reg_visible(&p, &lb, &la));
	b.flags = REG_FLAG_DISCOVER;
	b.categories = cats_ggz; /* ggz does not allow the team's category */
	assert_false(reg_visible(&p, &la, &lb));
	b.categories = cats_team;
	lb.live = 0; /* withdrawn, expired or revoked */
	assert_false(reg_visible(&p, &la, &lb));
	lb.live = 1;
	snprintf(lb.category, sizeof(lb.category), "gemeente"); /* the matrix says no */
	a.categories = (char *[]){"gemeente"};
	assert_false(reg_visible(&p, &la, &lb));
}

static reg_store *store_new(char *dir, sk_kek **kek)
{
	reg_store *s = NULL;
	char sub[512];

	snprintf(sub, sizeof(sub), "%s/r", dir);
	E(sk_kek_open(kek, NULL, 1));
	E(reg_store_init(sub, "test.example/log", "registry", *kek));
	E(reg_store_open(&s, sub, *kek));
	return s;
}

/* Stores e as a new version (a fresh leaf index) and indexes it, without
 * unindexing the version it replaces. */
static void put_entry(reg_store *s, MDB_txn *txn, Schakel__V1__Entry *e)
{
	static uint64_t leaf;
	Schakel__V1__StoredEntry se = SCHAKEL__V1__STORED_ENTRY__INIT;
	Schakel__V1__Member m = SCHAKEL__V1__MEMBER__INIT;
	uint8_t buf[1024], key[REG_ENTRY_KEY_MAX], sig[64] = {0};
	size_t n = schakel__v1__entry__pack(e, buf), klen;

	m.org_id = e->org_id;
	m.name = e->org_id;
	m.category = strcmp(e->org_id, "ggz") == 0 ? "ggz" : "sociaal-team";
	m.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	m.identity_key = (ProtobufCBinaryData){32, head};
	m.tls_key = (ProtobufCBinaryData){32, head};
	m.cert = (ProtobufCBinaryData){1, head};
	m.request = (ProtobufCBinaryData){1, head};
	E(reg_member_put(s, txn, &m));
	se.entry = (ProtobufCBinaryData){n, buf};
	se.signature = (ProtobufCBinaryData){64, sig};
	se.seq = e->seq;
	se.leaf_index = ++leaf;
	klen = reg_entry_key(key, e->org_id, e->token.data, e->epoch);
	E(reg_stored_put(s, txn, key, klen, &se));
	E(reg_index_add(s, txn, e->org_id, e, se.leaf_index));
}

static sk_status count_peer(reg_live *other, void *arg)
{
	(*(int *)arg)++;
	return SK_OK;
}

/* The sweeper purges what expired, in expiry order, and nothing else; a
 * purged entry is no one's peer any more but keeps its record. */
static void test_sweep(void **state)
{
	char *d = t_tmpdir();
	sk_kek *kek = NULL;
	reg_store *s = store_new(d, &kek);
	Schakel__V1__Entry a, b;
	MDB_txn *txn = NULL;
	reg_live l;
	size_t purged = 0;
	int peers = 0;

	entry(&a, "team", REG_FLAG_DISCOVER, cats_ggz, 1, NOW - 10);
	entry(&b, "ggz", REG_FLAG_DISCOVER, cats_team, 1, NOW + 10);
	assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	put_entry(s, txn, &a);
	put_entry(s, txn, &b);
	E(reg_peers(s, txn, token, 1, NULL, NOW, count_peer, &peers));
	assert_int_equal(peers, 2);
	E(reg_sweep(s, txn, NOW, 100, &purged));
	assert_int_equal(purged, 1);
	E(reg_live_load(s, txn, "team", token, 1, NOW, &l));
	assert_true(l.se->purged);
	assert_null(l.e);
	assert_int_equal(l.se->entry.len, 0);
	assert_false(l.live);
	reg_live_clear(&l);
	E(reg_live_load(s, txn, "ggz", token, 1, NOW, &l));
	assert_true(l.live);
	reg_live_clear(&l);
	peers = 0;
	E(reg_peers(s, txn, token, 1, NULL, NOW, count_peer, &peers));
	assert_int_equal(peers, 1);
	/* a second sweep finds nothing more; later, the other expires too */
	E(reg_sweep(s, txn, NOW, 100, &purged));
	assert_int_equal(purged, 0);
	E(reg_sweep(s, txn, NOW + 11, 100, &purged));
	assert_int_equal(purged, 1);
	/* purge of an org: nothing left to purge */
	E(reg_purge_org(s, txn, "ggz", NOW + 11, &purged));
	assert_int_equal(purged, 0);
	mdb_txn_abort(txn);
	reg_store_close(s);
	sk_kek_free(kek);
	t_rmdir(d);
}

/* Entries are keyed by token first: a key splits back into its parts, a
 * withdrawn entry is no peer, and an org's departure finds its entries of
 * every token among other orgs' entries. */
static void test_purge_org(void **state)
{
	char *d = t_tmpdir(), org[NET_ORG_ID_MAX + 1];
	sk_kek *kek = NULL;
	reg_store *s = store_new(d, &kek);
	Schakel__V1__Entry a, b;
	MDB_txn *txn = NULL;
	uint8_t key[REG_ENTRY_KEY_MAX], tk[REG_TOKEN_BYTES];
	uint32_t epoch = 0;
	size_t purged = 0, klen;
	int peers = 0;

	klen = reg_entry_key(key, "ggz", token, 7);
	assert_true(reg_entry_key_split(key, klen, org, tk, &epoch));
	assert_string_equal(org, "ggz");
	assert_memory_equal(tk, token, REG_TOKEN_BYTES);
	assert_int_equal(epoch, 7);
	assert_false(reg_entry_key_split(key, REG_ENTRY_PREFIX_BYTES, org, tk, &epoch));
	assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	for (int i = 0; i < 3; i++) {
		token[0] = (uint8_t)(40 * i + 1);
		entry(&a, "team", REG_FLAG_DISCOVER, cats_ggz, 1, NOW + 10);
		entry(&b, "ggz", REG_FLAG_DISCOVER, cats_team, 1, NOW + 10);
		put_entry(s, txn, &a);
		put_entry(s, txn, &b);
	}
	b.has_withdrawn = b.withdrawn = 1; /* ggz withdraws its last one */
	put_entry(s, txn, &b);
	E(reg_peers(s, txn, token, 1, "team", NOW, count_peer, &peers));
	assert_int_equal(peers, 0);
	E(reg_purge_org(s, txn, "team", NOW, &purged));
	assert_int_equal(purged, 3);
	for (int i = 0; i < 3; i++) {
		reg_live l;

		token[0] = (uint8_t)(40 * i + 1);
		E(reg_live_load(s, txn, "ggz", token, 1, NOW, &l));
		assert_int_equal(l.live, i < 2);
		reg_live_clear(&l);
		E(reg_live_load(s, txn, "team", token, 1, NOW, &l));
		assert_null(l.e);
		reg_live_clear(&l);
	}
	token[0] = 7;
	mdb_txn_abort(txn);
	reg_store_close(s);
	sk_kek_free(kek);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_purge_org),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
