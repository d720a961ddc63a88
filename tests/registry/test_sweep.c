/* The expiry index and the sweeper on a real registry: entries published
 * through reg_publish_apply are indexed by hour bucket and leaf index; a
 * sweep purges exactly the entries that expired, also those later in the
 * current hour's bucket once their time comes, reads and removes keys a
 * store wrote before hour buckets, and deletes keys of replaced versions. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "protos/wire.h"
#include "registry/enrol.h"
#include "registry/publish.h"
#include "registry/sweep.h"
#include "registry/visibility.h"

#define HOUR REG_EXPIRY_BUCKET_MS

typedef struct fx {
	char *dir;
	sk_kek *kek;
	reg_store *r;
	key_ed25519 id;
	net_peer peer;
	uint64_t seq; /* the org's last sequence number */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	reg_enrol_opts eo = {.registry_address = "127.0.0.1:1"};
	uint8_t *req = NULL, *bundle = NULL;
	size_t len = 0, blen = 0;
	char ca_dir[600], reg_dir[600], path[600], org[64];
	reg_ca *ca = NULL;
	key_ed25519 tls;

	assert_non_null(f);
	E(sk_init());
	E(sk_kek_open(&f->kek, NULL, 1));
	f->dir = t_tmpdir();
	snprintf(ca_dir, sizeof(ca_dir), "%s/ca", f->dir);
	snprintf(reg_dir, sizeof(reg_dir), "%s/r", f->dir);
	E(reg_ca_init(ca_dir, "Regio Test", f->kek));
	E(reg_store_init(reg_dir, "test.example/registry", "registry", f->kek));
	E(reg_store_open(&f->r, reg_dir, f->kek));
	E(reg_ca_open(&ca, ca_dir, f->kek));
	E(reg_tls_ensure(f->r, ca, f->kek));
	key_ed25519_generate(&f->id);
	key_ed25519_generate(&tls);
	b.org_id = "wijkteam";
	b.name = "Wijkteam";
	b.category = "sociaal-team";
	b.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	b.identity_key = (ProtobufCBinaryData){32, f->id.pk};
	b.tls_key = (ProtobufCBinaryData){32, tls.pk};
	b.created_at = 1;
	snprintf(path, sizeof(path), "%s/request", f->dir);
	E(wire_enrol_request_write(path, &b, f->id.sk));
	E(sk_file_read(path, 65536, &req, &len));
	E(reg_enrol(f->r, ca, req, len, &eo, &bundle, &blen, org));
	free(req);
	free(bundle);
	reg_ca_close(ca);
	snprintf(f->peer.org_id, sizeof(f->peer.org_id), "wijkteam");
	snprintf(f->peer.category, sizeof(f->peer.category), "sociaal-team");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	reg_store_close(f->r);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

static void token_of(uint8_t token[static 32], uint8_t t)
{
	memset(token, 0x5a, 32);
	token[0] = t;
}

/* Publishes a new version of the entry for token t (the org's next
 * sequence number) through the writer's path, committed; returns the
 * version's leaf index. */
static uint64_t publish_v(fx *f, uint8_t t, uint64_t expires_at, int withdrawn)
{
	Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
	Schakel__V1__PublishRequest pr = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	static char *cats[] = {"ggz"};
	uint8_t token[32], salt[16] = {1}, head[32] = {2}, buf[1024], sig[64];
	void *p = NULL;
	reg_live l;
	MDB_txn *txn = NULL;
	uint64_t leaf;
	size_t n;

	token_of(token, t);
	e.token = (ProtobufCBinaryData){32, token};
	e.epoch = 1;
	e.org_id = "wijkteam";
	if (!withdrawn) { /* a withdrawal carries no flags or categories */
		e.flags = REG_FLAG_DISCOVER;
		e.n_categories = 1;
		e.categories = cats;
	}
	e.basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
	e.issued_at = sk_clock_now_ms();
	e.expires_at = expires_at;
	e.seq = ++f->seq;
	e.has_withdrawn = e.withdrawn = withdrawn;
	e.salt = (ProtobufCBinaryData){16, salt};
	e.audit_head = (ProtobufCBinaryData){32, head};
	n = schakel__v1__entry__pack(&e, buf);
	E(key_sign(sig, "schakel/v1/entry", buf, n, f->id.sk));
	pr.entry = (ProtobufCBinaryData){n, buf};
	pr.signature = (ProtobufCBinaryData){64, sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &pr;
	E(reg_op_publish.new(&p, f->r, &f->peer, &env));
	reg_op_publish.check(p);
	E(reg_op_publish.result(p, NULL));
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, 0, &txn), 0);
	E(reg_op_publish.apply(txn, p));
	E(reg_op_publish.result(p, NULL));
	assert_int_equal(mdb_txn_commit(txn), 0);
	reg_op_publish.free(p);
	/* the version stored is this one, at its leaf */
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn), 0);
	E(reg_live_load(f->r, txn, "wijkteam", token, 1, sk_clock_now_ms(), &l));
	mdb_txn_abort(txn);
	assert_int_equal(l.se->seq, f->seq);
	leaf = l.se->leaf_index;
	reg_live_clear(&l);
	return leaf;
}

static uint64_t publish(fx *f, uint8_t t, uint64_t expires_at)
{
	return publish_v(f, t, expires_at, 0);
}

/* Sweeps at now (at most max), committed; returns the count purged. */
static size_t sweep(fx *f, uint64_t now, size_t max)
{
	MDB_txn *txn = NULL;
	size_t purged = 99;

	assert_int_equal(mdb_txn_begin(f->r->env, NULL, 0, &txn), 0);
	E(reg_sweep(f->r, txn, now, max, &purged));
	assert_int_equal(mdb_txn_commit(txn), 0);
	return purged;
}

/* 1 when the entry for token t has been purged. */
static int is_purged(fx *f, uint8_t t)
{
	MDB_txn *txn = NULL;
	uint8_t token[32];
	reg_live l;
	int purged;

	token_of(token, t);
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn), 0);
	E(reg_live_load(f->r, txn, "wijkteam", token, 1, 0, &l));
	purged = l.se->purged && l.e == NULL;
	assert_int_equal(purged, l.e == NULL);
	reg_live_clear(&l);
	mdb_txn_abort(txn);
	return purged;
}

/* Counts the expiry index's keys: 16-byte ones and longer (old) ones. */
static void count_keys(fx *f, size_t *now_form, size_t *old_form)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	int rc;

	*now_form = *old_form = 0;
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, f->r->expiry, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size == REG_EXPIRY_KEY_BYTES)
			(*now_form)++;
		else
			(*old_form)++;
	}
	assert_int_equal(rc, MDB_NOTFOUND);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* 1 when the index holds bucket(expires_at) || leaf -> the entry key of t. */
static int has_key(fx *f, uint8_t t, uint64_t expires_at, uint64_t leaf)
{
	uint8_t ik[16], token[32], ek[REG_ENTRY_KEY_MAX];
	MDB_val k = {sizeof(ik), ik}, d;
	MDB_txn *txn = NULL;
	size_t eklen;
	int rc, ok;

	token_of(token, t);
	eklen = reg_entry_key(ek, "wijkteam", token, 1);
	put_be64(ik, expires_at - expires_at % HOUR);
	put_be64(ik + 8, leaf);
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, MDB_RDONLY, &txn), 0);
	rc = mdb_get(txn, f->r->expiry, &k, &d);
	ok = rc == 0 && d.mv_size == eklen && memcmp(d.mv_data, ek, eklen) == 0;
	mdb_txn_abort(txn);
	return ok;
}

/* Rewrites t's index key (version at leaf, expiring at expires_at) the
 * way a store from before hour buckets held it: expiry || entry key. */
static void make_old_form(fx *f, uint8_t t, uint64_t expires_at, uint64_t leaf)
{
	uint8_t ik[16], ok[8 + REG_ENTRY_KEY_MAX], token[32];
	MDB_val k = {sizeof(ik), ik}, d = {0, ""};
	MDB_txn *txn = NULL;

	token_of(token, t);
	put_be64(ik, expires_at - expires_at % HOUR);
	put_be64(ik + 8, leaf);
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_del(txn, f->r->expiry, &k, NULL), 0);
	put_be64(ok, expires_at);
	k = (MDB_val){8 + reg_entry_key(ok + 8, "wijkteam", token, 1), ok};
	assert_int_equal(mdb_put(txn, f->r->expiry, &k, &d, MDB_NOOVERWRITE), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
}

/* The start of an hour bucket two to three hours from now. */
static uint64_t future_hour(void)
{
	uint64_t now = sk_clock_now_ms();

	return now - now % HOUR + 2 * HOUR;
}

/* (a) Within the current hour's bucket only what expired goes, even when
 * it sits behind (in log order) an entry that expires later. */
static void test_current_bucket(void **state)
{
	fx *f = *state;
	uint64_t h = future_hour(), la, lb;
	size_t n, o;

	la = publish(f, 1, h + 30 * 60000); /* later in the hour, first in the log */
	lb = publish(f, 2, h + 10 * 60000);
	assert_true(la < lb);
	assert_true(has_key(f, 1, h + 30 * 60000, la));
	assert_true(has_key(f, 2, h + 10 * 60000, lb));
	assert_int_equal(sweep(f, h - 1, 100), 0); /* the bucket is not due */
	assert_int_equal(sweep(f, h + 10 * 60000 - 1, 100), 0);
	assert_false(is_purged(f, 1));
	assert_false(is_purged(f, 2));
	assert_int_equal(sweep(f, h + 20 * 60000, 100), 1);
	assert_false(is_purged(f, 1));
	assert_true(is_purged(f, 2));
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	assert_int_equal(o, 0);
	assert_int_equal(sweep(f, h + 30 * 60000 - 1, 100), 0);
	assert_false(is_purged(f, 1));
	assert_int_equal(sweep(f, h + 30 * 60000, 100), 1); /* expires_at <= now */
	assert_true(is_purged(f, 1));
	count_keys(f, &n, &o);
	assert_int_equal(n, 0);
	assert_int_equal(o, 0);
}

/* (b) Entries of past buckets all go, max at a time, in bucket order;
 * a later bucket's entry stays. */
static void test_past_buckets(void **state)
{
	fx *f = *state;
	uint64_t h = future_hour();
	size_t n, o;

	publish(f, 3, h + 2 * HOUR + 5); /* logged first, swept last */
	publish(f, 4, h + HOUR + 5);
	publish(f, 5, h + 5);
	publish(f, 6, h + 4 * HOUR);
	assert_int_equal(sweep(f, h + 3 * HOUR, 2), 2);
	assert_true(is_purged(f, 5));
	assert_true(is_purged(f, 4));
	assert_false(is_purged(f, 3));
	assert_int_equal(sweep(f, h + 3 * HOUR, 2), 1);
	assert_true(is_purged(f, 3));
	assert_false(is_purged(f, 6));
	assert_int_equal(sweep(f, h + 3 * HOUR, 2), 0);
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	assert_int_equal(o, 0);
}

/* (c) A key written before hour buckets is still swept at its expiry, and
 * a republish removes it. */
static void test_old_form(void **state)
{
	fx *f = *state;
	uint64_t h = future_hour(), x = h + 17 * 60000 + 3, y = h + 3 * HOUR + 7, l7, l8;
	size_t n, o;

	l7 = publish(f, 7, x);
	l8 = publish(f, 8, x + 1);
	make_old_form(f, 7, x, l7);
	make_old_form(f, 8, x + 1, l8);
	count_keys(f, &n, &o);
	assert_int_equal(n, 0);
	assert_int_equal(o, 2);
	/* 8 is republished with a later expiry: its old key goes */
	l8 = publish(f, 8, y);
	assert_true(has_key(f, 8, y, l8));
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	assert_int_equal(o, 1);
	assert_int_equal(sweep(f, x - 1, 100), 0);
	assert_false(is_purged(f, 7));
	assert_int_equal(sweep(f, x + 1, 100), 1);
	assert_true(is_purged(f, 7));
	assert_false(is_purged(f, 8));
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	assert_int_equal(o, 0);
	assert_int_equal(sweep(f, y, 100), 1);
	assert_true(is_purged(f, 8));
	count_keys(f, &n, &o);
	assert_int_equal(n, 0);
	assert_int_equal(o, 0);
}

/* (d) A republish with a new expiry replaces the version's key; a key of a
 * replaced version found in the index is deleted, not acted on. */
static void test_republish(void **state)
{
	fx *f = *state;
	uint64_t h = future_hour(), x = h + 60000, y = h + 2 * HOUR + 60000, l1, l2, l3;
	uint8_t ik[16], ek[REG_ENTRY_KEY_MAX], token[32];
	MDB_val k = {sizeof(ik), ik}, d;
	MDB_txn *txn = NULL;
	size_t n, o;

	l1 = publish(f, 9, x);
	l2 = publish(f, 9, y);
	assert_false(has_key(f, 9, x, l1));
	assert_true(has_key(f, 9, y, l2));
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	assert_int_equal(o, 0);
	/* same bucket, new version: the key moves to the new leaf */
	l3 = publish(f, 9, y + 1);
	assert_false(has_key(f, 9, y, l2));
	assert_true(has_key(f, 9, y + 1, l3));
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	/* a stale key (version 1's) put back by hand goes at the next sweep */
	token_of(token, 9);
	put_be64(ik, x - x % HOUR);
	put_be64(ik + 8, l1);
	d = (MDB_val){reg_entry_key(ek, "wijkteam", token, 1), ek};
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, f->r->expiry, &k, &d, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	count_keys(f, &n, &o);
	assert_int_equal(n, 2);
	assert_int_equal(sweep(f, x, 100), 0);
	assert_false(is_purged(f, 9));
	count_keys(f, &n, &o);
	assert_int_equal(n, 1);
	assert_true(has_key(f, 9, y + 1, l3));
	assert_int_equal(sweep(f, y + 1, 100), 1);
	assert_true(is_purged(f, 9));
	count_keys(f, &n, &o);
	assert_int_equal(n, 0);
	assert_int_equal(o, 0);
}

/* A withdrawal removes the key; a stale key between two due ones does not
 * stop the walk. */
static void test_withdraw_and_stale(void **state)
{
	fx *f = *state;
	uint64_t h = future_hour(), l10, l11, l12;
	uint8_t ik[16], ek[REG_ENTRY_KEY_MAX], token[32];
	MDB_val k = {sizeof(ik), ik}, d;
	MDB_txn *txn = NULL;
	size_t n, o;

	l10 = publish(f, 10, h + 1);
	l11 = publish(f, 11, h + 2);
	l12 = publish(f, 12, h + 3);
	publish(f, 13, h + 4);
	publish_v(f, 13, h + 4, 1);
	assert_false(is_purged(f, 13));
	count_keys(f, &n, &o);
	assert_int_equal(n, 3);
	assert_true(has_key(f, 10, h + 1, l10));
	assert_true(has_key(f, 12, h + 3, l12));
	/* a key for 11's version under another leaf: stale */
	token_of(token, 11);
	put_be64(ik, h);
	put_be64(ik + 8, l11 + 100);
	d = (MDB_val){reg_entry_key(ek, "wijkteam", token, 1), ek};
	assert_int_equal(mdb_txn_begin(f->r->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, f->r->expiry, &k, &d, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	count_keys(f, &n, &o);
	assert_int_equal(n, 4);
	assert_int_equal(sweep(f, h + 3, 100), 3);
	assert_true(is_purged(f, 10));
	assert_true(is_purged(f, 11));
	assert_true(is_purged(f, 12));
	assert_false(is_purged(f, 13)); /* withdrawn: not indexed, kept */
	count_keys(f, &n, &o);
	assert_int_equal(n, 0);
	assert_int_equal(o, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_current_bucket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_buckets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_republish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_and_stale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
