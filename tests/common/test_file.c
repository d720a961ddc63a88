#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/file.h"
#include "common/init.h"

static int mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s", path);
	return (int)(st.st_mode & 07777);
}

static void test_dirs(void **state)
{
	char *d = t_tmpdir(), p[512];

	E(sk_dir_check(d));
	E(sk_path_join(p, sizeof(p), d, "data"));
	E(sk_dir_create(p));
	assert_int_equal(mode_of(p), 0700);
	E(sk_dir_create(p)); /* existing and tight: fine */

	assert_int_equal(chmod(p, 0755), 0);
	EFAIL(sk_dir_check(p), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "chmod 700"));
	EFAIL(sk_dir_create(p), SK_ERR_PERM);
	assert_int_equal(chmod(p, 0710), 0);
	EFAIL(sk_dir_check(p), SK_ERR_PERM);
	assert_int_equal(chmod(p, 0701), 0);
	EFAIL(sk_dir_check(p), SK_ERR_PERM);

	E(sk_path_join(p, sizeof(p), d, "missing"));
	EFAIL(sk_dir_check(p), SK_ERR_NOTFOUND);
	t_write(d, "plain", "x", 0600);
	E(sk_path_join(p, sizeof(p), d, "plain"));
	EFAIL(sk_dir_check(p), SK_ERR_INVALID);
	EFAIL(sk_path_join(p, 8, d, "plain"), SK_ERR_TOOBIG);
	t_rmdir(d);
}

static void test_create(void **state)
{
	char *d = t_tmpdir(), p[512];
	uint8_t *data = NULL;
	size_t len;

	E(sk_path_join(p, sizeof(p), d, "key"));
	E(sk_file_create(p, "secret", 6));
	assert_int_equal(mode_of(p), 0600);
	/* never overwritten */
	EFAIL(sk_file_create(p, "other", 5), SK_ERR_EXISTS);
	E(sk_file_read(p, 100, &data, &len));
	assert_int_equal(len, 6);
	assert_memory_equal(data, "secret", 7); /* NUL terminated */
	free(data);

	/* a symlink is not followed, not even to create */
	E(sk_path_join(p, sizeof(p), d, "link"));
	assert_int_equal(symlink("/tmp/schakel-test-nowhere", p), 0);
	assert_int_not_equal(sk_file_create(p, "x", 1), SK_OK);
	assert_int_not_equal(access("/tmp/schakel-test-nowhere", F_OK), 0);
	t_rmdir(d);
}

static void test_replace(void **state)
{
	char *d = t_tmpdir(), p[512];
	uint8_t *data = NULL;
	size_t len;

	E(sk_path_join(p, sizeof(p), d, "state"));
	E(sk_file_replace(p, "one", 3));
	E(sk_file_replace(p, "second", 6));
	assert_int_equal(mode_of(p), 0600);
	E(sk_file_read(p, 100, &data, &len));
	assert_int_equal(len, 6);
	assert_memory_equal(data, "second", 6);
	free(data);
	t_rmdir(d);
}

static void test_read_limits(void **state)
{
	char *d = t_tmpdir(), p[512];
	uint8_t *data = NULL;
	size_t len = 99;

	t_write(d, "big", "0123456789", 0600);
	E(sk_path_join(p, sizeof(p), d, "big"));
	EFAIL(sk_file_read(p, 9, &data, &len), SK_ERR_TOOBIG);
	assert_null(data);
	E(sk_file_read(p, 10, &data, &len));
	free(data);

	E(sk_path_join(p, sizeof(p), d, "nope"));
	EFAIL(sk_file_read(p, 10, &data, &len), SK_ERR_NOTFOUND);
	EFAIL(sk_file_read(d, 10, &data, &len), SK_ERR_INVALID); /* a directory */
	t_rmdir(d);
}

static void test_read_secret(void **state)
{
	char *d = t_tmpdir(), p[512];
	uint8_t *data = NULL;
	size_t len;

	t_write(d, "pass", "correct horse battery", 0644);
	E(sk_path_join(p, sizeof(p), d, "pass"));
	EFAIL(sk_file_read_secret(p, 100, &data, &len), SK_ERR_PERM);
	assert_null(data);
	assert_int_equal(chmod(p, 0640), 0);
	EFAIL(sk_file_read_secret(p, 100, &data, &len), SK_ERR_PERM);
	assert_int_equal(chmod(p, 0400), 0);
	E(sk_file_read_secret(p, 100, &data, &len));
	assert_int_equal(len, 21);
	sk_secret_free(data);
	sk_secret_free(NULL);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_read_secret),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
