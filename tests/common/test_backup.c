#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/backup.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "common/kek.h"

#define BIG (200u << 10) /* a value spanning several DATA records */

typedef struct fx {
	char *src, *dst, *out;
	uint8_t pk[SK_BACKUP_PK_BYTES], sk[SK_BACKUP_SK_BYTES];
	uint8_t *big;
} fx;

static void put(MDB_env *env, MDB_dbi dbi, const char *k, const void *v, size_t n)
{
	MDB_txn *txn = NULL;
	MDB_val key = {strlen(k), (void *)k}, val = {n, (void *)v};

	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char p[512];
	MDB_env *env = NULL;
	MDB_dbi dbi;

	E(sk_init());
	f->src = t_tmpdir();
	f->dst = t_tmpdir();
	f->out = t_tmpdir();
	crypto_box_keypair(f->pk, f->sk);
	f->big = malloc(BIG);
	randombytes_buf(f->big, BIG);
	t_write(f->src, "identity.key", "wrapped-key-bytes", 0600);
	t_write(f->src, "enrol-request", "request", 0600);
	snprintf(p, sizeof(p), "%s/evidence", f->src);
	assert_int_equal(mkdir(p, 0700), 0);
	t_write(f->src, "evidence/1-receipt", "evidence bytes", 0600);
	t_write(f->src, "bundle.tmp.123", "a leftover temporary file", 0600);
	E(sk_db_open(&env, f->src, 0, 0));
	E(sk_db_dbi(env, "things", MDB_CREATE, &dbi));
	put(env, dbi, "small", "SECRET-MARKER-42", 16);
	put(env, dbi, "big", f->big, BIG);
	sk_db_close(env);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	t_rmdir(f->src);
	t_rmdir(f->dst);
	t_rmdir(f->out);
	free(f->big);
	free(f);
	return 0;
}

static void path(char *p, size_t cap, const char *dir, const char *name)
{
	if (snprintf(p, cap, "%s/%s", dir, name) >= (int)cap)
		fail_msg("path too long");
}

static void make_backup(fx *f, sk_backup_kind kind, const char *name)
{
	char p[512];
	sk_backup_stats bs;

	path(p, sizeof(p), f->out, name);
	E(sk_backup_write(f->src, p, kind, f->pk, &bs));
	assert_int_equal(bs.files, 4); /* identity.key, enrol-request, evidence/…, data.mdb */
	assert_true(bs.bytes > BIG);
}

static int dir_entries(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (p == NULL || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p != NULL)
		pclose(p);
	return n;
}

static void test_roundtrip(void **state)
{
	fx *f = *state;
	char p[512], q[512];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat sb;
	sk_backup_stats bs;
	MDB_env *env = NULL;
	MDB_dbi dbi;
	MDB_txn *txn = NULL;
	MDB_val k = {3, "big"}, d;

	make_backup(f, SK_BACKUP_NODE, "b1");
	path(p, sizeof(p), f->out, "b1");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* nothing in clear: neither the stored value nor a file's content */
	E(sk_file_read(p, 64u << 20, &buf, &len));
	assert_null(memmem(buf, len, "SECRET-MARKER-42", 16));
	assert_null(memmem(buf, len, "wrapped-key-bytes", 17));
	free(buf);

	path(q, sizeof(q), f->dst, "restored");
	E(sk_backup_restore(p, q, SK_BACKUP_NODE, f->sk, &bs));
	assert_int_equal(bs.files, 4);
	assert_int_equal(bs.kind, SK_BACKUP_NODE);
	path(p, sizeof(p), q, "evidence/1-receipt");
	E(sk_file_read(p, 1024, &buf, &len));
	assert_memory_equal(buf, "evidence bytes", 14);
	free(buf);
	path(p, sizeof(p), q, "identity.key");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	path(p, sizeof(p), q, "bundle.tmp.123");
	assert_int_not_equal(access(p, F_OK), 0);

	E(sk_db_open(&env, q, 0, 0));
	E(sk_db_dbi(env, "things", 0, &dbi));
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &d), 0);
	assert_int_equal(d.mv_size, BIG);
	assert_memory_equal(d.mv_data, f->big, BIG);
	mdb_txn_abort(txn);
	sk_db_close(env);
}

/* Every failed restore leaves the target as it was. */
static void refused(fx *f, const char *file, sk_backup_kind kind, const uint8_t *sk,
		    sk_status want)
{
	char p[512], q[512];
	sk_backup_stats bs;

	path(p, sizeof(p), f->out, file);
	path(q, sizeof(q), f->dst, "r");
	EFAIL(sk_backup_restore(p, q, kind, sk, &bs), want);
	assert_int_not_equal(access(q, F_OK), 0);
}

static void rewrite(fx *f, const char *from, const char *to, long at, int delta, long cut)
{
	char p[512], q[512];
	uint8_t *buf = NULL;
	size_t len = 0;

	path(p, sizeof(p), f->out, from);
	path(q, sizeof(q), f->out, to);
	E(sk_file_read(p, 64u << 20, &buf, &len));
	if (at >= 0)
		buf[at < 0 ? 0 : (size_t)at % len] ^= (uint8_t)delta;
	if (cut > 0)
		len -= (size_t)cut;
	if (cut < 0) {
		E(sk_file_create(q, buf, len));
		free(buf);
		buf = NULL;
		int fd = open(q, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "x", 1), 1);
		close(fd);
		return;
	}
	E(sk_file_create(q, buf, len));
	free(buf);
}

static void test_refusals(void **state)
{
	fx *f = *state;
	uint8_t other_pk[32], other_sk[32];
	char p[512], q[512];
	sk_backup_stats bs;

	make_backup(f, SK_BACKUP_REGISTRY, "b");
	crypto_box_keypair(other_pk, other_sk);
	refused(f, "b", SK_BACKUP_REGISTRY, other_sk, SK_ERR_VERIFY);
	refused(f, "b", SK_BACKUP_NODE, f->sk, SK_ERR_INVALID);
	rewrite(f, "b", "kind", 10, 0x02, 0);   /* registry -> node: a changed header */
	refused(f, "kind", SK_BACKUP_NODE, f->sk, SK_ERR_VERIFY);
	rewrite(f, "b", "time", 15, 0x01, 0);   /* the creation time */
	refused(f, "time", SK_BACKUP_REGISTRY, f->sk, SK_ERR_VERIFY);
	rewrite(f, "b", "ver", 9, 0x02, 0);     /* another version */
	refused(f, "ver", SK_BACKUP_REGISTRY, f->sk, SK_ERR_INVALID);
	rewrite(f, "b", "magic", 0, 0x20, 0);
	refused(f, "magic", SK_BACKUP_REGISTRY, f->sk, SK_ERR_INVALID);
	rewrite(f, "b", "mid", 150000, 0x40, 0); /* inside the database copy */
	refused(f, "mid", SK_BACKUP_REGISTRY, f->sk, SK_ERR_VERIFY);
	rewrite(f, "b", "cut", -1, 0, 20);      /* the END record cut short */
	refused(f, "cut", SK_BACKUP_REGISTRY, f->sk, SK_ERR_VERIFY);
	rewrite(f, "b", "long", -1, 0, -1);     /* a byte after the end */
	refused(f, "long", SK_BACKUP_REGISTRY, f->sk, SK_ERR_VERIFY);

	/* a non-empty target is refused and left alone */
	path(p, sizeof(p), f->out, "b");
	t_write(f->dst, "something", "x", 0600);
	EFAIL(sk_backup_restore(p, f->dst, SK_BACKUP_REGISTRY, f->sk, &bs), SK_ERR_EXISTS);
	assert_int_equal(dir_entries(f->dst), 1);
	/* a backup never overwrites a file */
	path(q, sizeof(q), f->out, "b");
	EFAIL(sk_backup_write(f->src, q, SK_BACKUP_REGISTRY, f->pk, &bs), SK_ERR_EXISTS);
}

static void test_keys(void **state)
{
	fx *f = *state;
	sk_kek *kek = NULL;
	char p[512], pub[512];
	uint8_t pk[32], pk2[32], sk[32];
	struct stat sb;

	E(sk_kek_open(&kek, NULL, 1));
	path(p, sizeof(p), f->out, "offline");
	E(sk_backup_keygen(kek, p, pk));
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	E(sk_backup_identity_read(kek, p, sk));
	crypto_scalarmult_base(pk2, sk);
	assert_memory_equal(pk, pk2, 32);
	EFAIL(sk_backup_keygen(kek, p, pk2), SK_ERR_EXISTS);
	path(pub, sizeof(pub), f->out, "offline.pub");
	E(sk_backup_pk_parse(pub, pk2));
	assert_memory_equal(pk, pk2, 32);
	EFAIL(sk_backup_pk_parse("00ff", pk2), SK_ERR_INVALID);
	E(sk_backup_pk_parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			     pk2));
	assert_int_equal(pk2[31], 0x1f);
	sk_kek_free(kek);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
