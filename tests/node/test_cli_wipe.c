/* The node's commands that copy a BSN out of argv (client add, case open,
 * lookup, discuss request, table submit, audit report, query and export) wipe their copy
 * on every way out once it is copied: an unknown or incomplete option, a bad
 * value of a later option, --help, a stray argument, a missing option or
 * data dir, a store that does not open. The commands run in this process
 * (tests/CMakeLists.txt links node/cli_*.c in) with sodium_memzero wrapped
 * (ld --wrap), noting every wipe of a buffer outside the command line that
 * holds the BSN. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/init.h"
#include "node/cli.h"
#include "test_util.h"

#define BSN "111222333" /* passes the elfproef */
#define BSN_LEN (sizeof(BSN) - 1)
#define NODIR "/etc/hostname/d" /* a data dir that cannot exist */

void __real_sodium_memzero(void *pnt, size_t len);
void __wrap_sodium_memzero(void *pnt, size_t len);

static char line[1024];   /* the command line under test, argv's strings */
static int watching;      /* while a command runs */
static int wiped;         /* wipes of a copy of BSN outside line */

static int holds_bsn(const char *p, size_t len)
{
	for (size_t i = 0; i + BSN_LEN <= len; i++)
		if (memcmp(p + i, BSN, BSN_LEN) == 0)
			return 1;
	return 0;
}

void __wrap_sodium_memzero(void *pnt, size_t len)
{
	uintptr_t p = (uintptr_t)pnt, lo = (uintptr_t)line, hi = lo + sizeof(line);

	if (watching && (p + len <= lo || p >= hi) && holds_bsn(pnt, len))
		wiped++;
	__real_sodium_memzero(pnt, len);
}

/* Runs "schakel-node ARGS" (words split at spaces) with stdout and stderr
 * discarded; returns its exit code. */
static int run(const char *args)
{
	char *argv[32], *save = NULL;
	int argc = 0, rc, out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
	int null = open("/dev/null", O_WRONLY);

	assert_true(out >= 0 && err >= 0 && null >= 0);
	assert_true((size_t)snprintf(line, sizeof(line), "schakel-node %s", args) < sizeof(line));
	for (char *w = strtok_r(line, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		assert_true(argc < 31);
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	wiped = 0;
	watching = 1;
	rc = node_cli_main(argc, argv);
	watching = 0;
	fflush(stdout);
	fflush(stderr);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	close(out);
	close(err);
	close(null);
	return rc;
}

/* ARGS exits with want, its argv no longer holds the BSN, and the
 * command wiped the copy it made. */
static void check(const char *args, int want)
{
	static const char zero[BSN_LEN];
	const char *at = strstr(args, BSN);
	size_t off;
	int rc;

	assert_non_null(at);
	off = strlen("schakel-node ") + (size_t)(at - args);
	rc = run(args);
	if (rc != want)
		fail_msg("'%s': exit %d, want %d", args, rc, want);
	if (memcmp(line + off, zero, BSN_LEN) != 0)
		fail_msg("'%s': the BSN is still in argv", args);
	if (wiped == 0)
		fail_msg("'%s': the command's copy of the BSN was not wiped", args);
}

static void test_client_add(void **state)
{
	check("client add --bsn " BSN " --nope", SK_EXIT_USAGE);
	check("client add --bsn " BSN " --name", SK_EXIT_USAGE);
	check("client add --bsn " BSN " extra", SK_EXIT_USAGE);
	check("client add --bsn " BSN " --help", SK_EXIT_OK);
	check("client add --bsn " BSN, SK_EXIT_USAGE);
	check("client add --bsn " BSN " --dir " NODIR, SK_EXIT_FAIL);
	check("client add --bsn " BSN " --name X --dev --dir " NODIR, SK_EXIT_FAIL);
}

static void test_case_open(void **state)
{
	check("case open --client " BSN " --nope", SK_EXIT_USAGE);
	check("case open --client " BSN " --expires someday", SK_EXIT_USAGE);
	check("case open --client " BSN " --consent nonsense", SK_EXIT_USAGE);
	check("case open --client " BSN " extra", SK_EXIT_USAGE);
	check("case open --client " BSN " --help", SK_EXIT_OK);
	check("case open --client " BSN, SK_EXIT_USAGE);
	check("case open --client " BSN " --dir " NODIR, SK_EXIT_USAGE);
	check("case open --client " BSN " --as p --consent discover --categories all --dev --dir "
	      NODIR, SK_EXIT_FAIL);
}

static void test_lookup(void **state)
{
	check("lookup --client " BSN " --nope", SK_EXIT_USAGE);
	check("lookup --client " BSN " extra", SK_EXIT_USAGE);
	check("lookup --client " BSN " --help", SK_EXIT_OK);
	check("lookup --client " BSN, SK_EXIT_USAGE);
	check("lookup --client " BSN " --dir " NODIR, SK_EXIT_USAGE);
	check("lookup --client " BSN " --as p --purpose regie --dev --dir " NODIR, SK_EXIT_FAIL);
}

static void test_discuss_request(void **state)
{
	check("discuss request --client " BSN " --window soon", SK_EXIT_USAGE);
	check("discuss request --client " BSN " --nope", SK_EXIT_USAGE);
	check("discuss request --client " BSN " --help", SK_EXIT_OK);
	check("discuss request --client " BSN, SK_EXIT_USAGE);
	check("discuss request --client " BSN " --dir " NODIR, SK_EXIT_USAGE);
	check("discuss request --client " BSN " --as p --topic t --dev --dir " NODIR, SK_EXIT_FAIL);
}

static void test_table_submit(void **state)
{
	check("table submit t --client " BSN " --nope", SK_EXIT_USAGE);
	check("table submit t --client " BSN " --help", SK_EXIT_OK);
	check("table submit t --client " BSN, SK_EXIT_USAGE);
	check("table submit t --client " BSN " --dir " NODIR, SK_EXIT_USAGE);
	check("table submit t --client " BSN " --as p --text-file /nonexistent --dev --dir " NODIR,
	      SK_EXIT_FAIL);
}

static void test_audit(void **state)
{
	check("audit report --client " BSN " --lang xx", SK_EXIT_USAGE);
	check("audit report --client " BSN " --nope", SK_EXIT_USAGE);
	check("audit report --client " BSN " --help", SK_EXIT_OK);
	check("audit report --client " BSN, SK_EXIT_USAGE);
	check("audit report --client " BSN " --dev --dir " NODIR, SK_EXIT_FAIL);
	check("audit query --client " BSN " --since never", SK_EXIT_USAGE);
	check("audit query --client " BSN " extra", SK_EXIT_USAGE);
	check("audit query --client " BSN " --help", SK_EXIT_OK);
	check("audit query --client " BSN, SK_EXIT_USAGE);
	check("audit query --client " BSN " --dev --dir " NODIR, SK_EXIT_FAIL);
	check("audit export --client " BSN " --format doc", SK_EXIT_USAGE);
	check("audit export --client " BSN " --help", SK_EXIT_OK);
	check("audit export --client " BSN " --format json", SK_EXIT_USAGE);
	check("audit export --client " BSN " --dir " NODIR, SK_EXIT_USAGE);
	check("audit export --client " BSN " --format csv --dev --dir " NODIR, SK_EXIT_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_add),
		cmocka_unit_test(test_case_open),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_discuss_request),
		cmocka_unit_test(test_table_submit),
		cmocka_unit_test(test_audit),
	};

	if (sk_init() != SK_OK)
		return 1;
	unsetenv("SCHAKEL_DIR");
	unsetenv("CREDENTIALS_DIRECTORY");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
