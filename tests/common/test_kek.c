#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/file.h"
#include "common/init.h"
#include "common/kek.h"

#define PASS "a long enough passphrase\n"

static void key_fill(uint8_t k[32])
{
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(0x40 + i);
}

static sk_kek *kek_pass(const char *dir, const char *name, const char *pass, int dev)
{
	char p[512];
	sk_kek *kek = NULL;

	t_write(dir, name, pass, 0600);
	E(sk_path_join(p, sizeof(p), dir, name));
	E(sk_kek_open(&kek, p, dev));
	return kek;
}

static void test_roundtrip(void **state)
{
	char *d = t_tmpdir(), p[512];
	uint8_t key[32], back[32];
	sk_kek *kek = kek_pass(d, "pass", PASS, 0), *again;
	struct stat st;

	key_fill(key);
	assert_false(sk_kek_is_dev(kek));
	E(sk_path_join(p, sizeof(p), d, "identity.key"));
	E(sk_keyfile_write(kek, p, "identity", key, 32));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, SK_KEYFILE_HEADER_BYTES + 32 + SK_KEYFILE_TAG_BYTES);
	E(sk_keyfile_read(kek, p, "identity", back, 32));
	assert_memory_equal(key, back, 32);
	EFAIL(sk_keyfile_write(kek, p, "identity", key, 32), SK_ERR_EXISTS);

	/* a new process with the same passphrase (fresh argon2id run) */
	again = kek_pass(d, "pass2", "a long enough passphrase", 0);
	E(sk_keyfile_read(again, p, "identity", back, 32));
	assert_memory_equal(key, back, 32);
	sk_kek_free(again);
	sk_kek_free(kek);
	t_rmdir(d);
}

static void test_wrong_kek_label_tamper(void **state)
{
	char *d = t_tmpdir();
	uint8_t key[32], back[32], zero[32] = {0}, *blob = NULL;
	size_t len;
	sk_kek *kek = kek_pass(d, "pass", PASS, 0);
	sk_kek *other = kek_pass(d, "other", "another passphrase entirely", 0);

	key_fill(key);
	E(sk_key_wrap(kek, "data", key, 32, &blob, &len));
	assert_memory_not_equal(blob + SK_KEYFILE_HEADER_BYTES, key, 32);

	EFAIL(sk_key_unwrap(other, "data", blob, len, back, 32), SK_ERR_KEY);
	assert_memory_equal(back, zero, 32); /* wiped on failure */
	EFAIL(sk_key_unwrap(kek, "bsn-index", blob, len, back, 32), SK_ERR_KEY);
	EFAIL(sk_key_unwrap(kek, "data", blob, len, back, 31), SK_ERR_INVALID);
	EFAIL(sk_key_unwrap(kek, "data", blob, len - 1, back, 32), SK_ERR_INVALID);
	/* any flipped bit anywhere: header, nonce, ciphertext or tag */
	for (size_t i = 0; i < len; i++) {
		sk_status st;

		blob[i] ^= 0x01;
		st = sk_key_unwrap(kek, "data", blob, len, back, 32);
		blob[i] ^= 0x01;
		if (st == SK_OK)
			fail_msg("bit flip at byte %zu was accepted", i);
	}
	E(sk_key_unwrap(kek, "data", blob, len, back, 32));
	assert_memory_equal(key, back, 32);
	free(blob);
	sk_kek_free(other);
	sk_kek_free(kek);
	t_rmdir(d);
}

static void test_dev(void **state)
{
	char *d = t_tmpdir(), p[512];
	uint8_t key[32], back[32];
	sk_kek *dev = NULL, *pass = kek_pass(d, "pass", PASS, 0), *both = kek_pass(d, "p2", PASS, 1);

	key_fill(key);
	unsetenv("CREDENTIALS_DIRECTORY");
	E(sk_kek_open(&dev, NULL, 1));
	assert_true(sk_kek_is_dev(dev));
	E(sk_path_join(p, sizeof(p), d, "dev.key"));
	E(sk_keyfile_write(dev, p, "identity", key, 32));
	E(sk_keyfile_read(dev, p, "identity", back, 32));
	assert_memory_equal(key, back, 32);
	/* an unwrapped key is refused without --dev */
	EFAIL(sk_keyfile_read(pass, p, "identity", back, 32), SK_ERR_UNWRAPPED);
	assert_non_null(strstr(sk_error_detail(), "--dev"));
	/* passphrase + dev reads both kinds */
	E(sk_keyfile_read(both, p, "identity", back, 32));

	E(sk_path_join(p, sizeof(p), d, "wrapped.key"));
	E(sk_keyfile_write(pass, p, "identity", key, 32));
	EFAIL(sk_keyfile_read(dev, p, "identity", back, 32), SK_ERR_WRAPPED);
	E(sk_keyfile_read(both, p, "identity", back, 32));
	assert_memory_equal(key, back, 32);
	sk_kek_free(both);
	sk_kek_free(pass);
	sk_kek_free(dev);
	t_rmdir(d);
}

static void test_sources(void **state)
{
	char *d = t_tmpdir(), p[512];
	sk_kek *kek = NULL, *cred = NULL;
	uint8_t key[32], back[32], *blob = NULL;
	size_t len;

	unsetenv("CREDENTIALS_DIRECTORY");
	EFAIL(sk_kek_open(&kek, NULL, 0), SK_ERR_NOKEK);
	assert_null(kek);

	/* passphrase files: too loose, too short, missing */
	t_write(d, "loose", PASS, 0644);
	E(sk_path_join(p, sizeof(p), d, "loose"));
	EFAIL(sk_kek_open(&kek, p, 0), SK_ERR_PERM);
	t_write(d, "short", "short\n", 0600);
	E(sk_path_join(p, sizeof(p), d, "short"));
	EFAIL(sk_kek_open(&kek, p, 0), SK_ERR_INVALID);
	E(sk_path_join(p, sizeof(p), d, "absent"));
	EFAIL(sk_kek_open(&kek, p, 1), SK_ERR_NOTFOUND);

	/* the systemd credential is the same passphrase in another place */
	t_write(d, SK_KEK_CREDENTIAL, PASS, 0400);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", d, 1), 0);
	E(sk_kek_open(&cred, NULL, 0));
	assert_false(sk_kek_is_dev(cred));
	kek = kek_pass(d, "pass", PASS, 0);
	key_fill(key);
	E(sk_key_wrap(cred, "tls", key, 32, &blob, &len));
	E(sk_key_unwrap(kek, "tls", blob, len, back, 32));
	assert_memory_equal(key, back, 32);
	/* systemd's ACL for the service user shows as group read: accepted;
	 * read for others is not */
	sk_kek_free(cred);
	cred = NULL;
	E(sk_path_join(p, sizeof(p), d, SK_KEK_CREDENTIAL));
	assert_int_equal(chmod(p, 0440), 0);
	E(sk_kek_open(&cred, NULL, 0));
	sk_kek_free(cred);
	cred = NULL;
	assert_int_equal(chmod(p, 0444), 0);
	EFAIL(sk_kek_open(&cred, NULL, 0), SK_ERR_PERM);
	/* a passphrase file stays 0600 or 0400 */
	E(sk_path_join(p, sizeof(p), d, "pass"));
	assert_int_equal(chmod(p, 0440), 0);
	EFAIL(sk_kek_open(&cred, p, 0), SK_ERR_PERM);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(blob);
	sk_kek_free(kek);
	sk_kek_free(cred);
	sk_kek_free(NULL);
	t_rmdir(d);
}

/* A crafted header may not make argon2id run with absurd parameters. */
static void test_hostile_header(void **state)
{
	char *d = t_tmpdir();
	sk_kek *kek = kek_pass(d, "pass", PASS, 0);
	uint8_t key[32], back[32], *blob = NULL;
	size_t len;

	key_fill(key);
	E(sk_key_wrap(kek, "data", key, 32, &blob, &len));
	blob[12] = 0x7f; /* memlimit far beyond the cap */
	EFAIL(sk_key_unwrap(kek, "data", blob, len, back, 32), SK_ERR_INVALID);
	blob[12] = 0;
	blob[13] = 0;
	blob[14] = 0;
	blob[15] = 1; /* 1 KiB: below the floor */
	EFAIL(sk_key_unwrap(kek, "data", blob, len, back, 32), SK_ERR_INVALID);
	blob[5] = 9; /* unknown kdf */
	EFAIL(sk_key_unwrap(kek, "data", blob, len, back, 32), SK_ERR_INVALID);
	memcpy(blob, "XXXX", 4);
	EFAIL(sk_key_unwrap(kek, "data", blob, len, back, 32), SK_ERR_INVALID);
	free(blob);
	sk_kek_free(kek);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_kek_label_tamper),
		cmocka_unit_test(test_dev),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_hostile_header),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
