/* Configuration files: the parser (common/config.c) and how sk_cli_parse
 * applies a file under the command line (common/cli.c). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/config.h"
#include "test_util.h"
#include "tmpdir.h"

/* ---- the parser ------------------------------------------------------------ */

static void test_parse_lines(void **state)
{
	static const char text[] = "# node\n"
				   "\n"
				   "dir = /var/lib/schakel/node\r\n"
				   "  listen=0.0.0.0:7443  \n"
				   "\t# indented comment\n"
				   "pseudonymiser = ps-1@h:1\n"
				   "pseudonymiser = ps-2@h:2\n"
				   "witness = true\n"
				   "empty =\n"
				   "note = a = b # not a comment";
	sk_config *c = NULL;

	(void)state;
	assert_int_equal(sk_config_parse(&c, text, strlen(text)), SK_OK);
	assert_int_equal(c->n, 7);
	assert_string_equal(c->entries[0].name, "dir");
	assert_string_equal(c->entries[0].value, "/var/lib/schakel/node");
	assert_int_equal(c->entries[0].line, 3);
	assert_string_equal(c->entries[1].name, "listen");
	assert_string_equal(c->entries[1].value, "0.0.0.0:7443");
	assert_int_equal(c->entries[1].line, 4);
	assert_string_equal(c->entries[2].value, "ps-1@h:1");
	assert_string_equal(c->entries[3].value, "ps-2@h:2");
	assert_int_equal(c->entries[3].line, 7);
	assert_string_equal(c->entries[4].value, "true");
	assert_string_equal(c->entries[5].name, "empty");
	assert_string_equal(c->entries[5].value, "");
	assert_string_equal(c->entries[6].value, "a = b # not a comment");
	assert_int_equal(c->entries[6].line, 10);
	sk_config_free(c);

	assert_int_equal(sk_config_parse(&c, "", 0), SK_OK);
	assert_int_equal(c->n, 0);
	sk_config_free(c);
	sk_config_free(NULL);
}

static void expect_bad(const char *text, size_t len, sk_status want, const char *detail)
{
	sk_config *c = (sk_config *)1;

	sk_error_clear();
	assert_int_equal(sk_config_parse(&c, text, len), want);
	assert_null(c);
	if (detail != NULL && strstr(sk_error_detail(), detail) == NULL)
		fail_msg("detail '%s' lacks '%s'", sk_error_detail(), detail);
}

static void test_parse_refusals(void **state)
{
	static char big[SK_CONFIG_FILE_MAX + 2], longline[SK_CONFIG_LINE_MAX + 16],
		many[(SK_CONFIG_ENTRIES_MAX + 1) * 6 + 1];
	size_t n = 0;

	(void)state;
	expect_bad("dir /x\n", 7, SK_ERR_INVALID, "line 1");
	expect_bad("ok = 1\n= x\n", 11, SK_ERR_INVALID, "line 2");
	expect_bad("--dir = /x\n", 11, SK_ERR_INVALID, "line 1");
	expect_bad("Dir = /x\n", 9, SK_ERR_INVALID, "line 1");
	expect_bad("d ir = /x\n", 10, SK_ERR_INVALID, "line 1");
	expect_bad("-dir = /x\n", 10, SK_ERR_INVALID, "line 1");
	expect_bad("dir = /x\0y\n", 11, SK_ERR_INVALID, "NUL");
	memset(big, '#', sizeof(big));
	expect_bad(big, sizeof(big), SK_ERR_TOOBIG, NULL);
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "a = ", 4);
	expect_bad(longline, sizeof(longline), SK_ERR_TOOBIG, "line 1");
	for (int i = 0; i <= SK_CONFIG_ENTRIES_MAX; i++) {
		memcpy(many + n, "a = 1\n", 6);
		n += 6;
	}
	expect_bad(many, n, SK_ERR_TOOBIG, "line 513");
	/* one line fewer fits */
	{
		sk_config *c = NULL;

		assert_int_equal(sk_config_parse(&c, many, n - 6), SK_OK);
		assert_int_equal(c->n, SK_CONFIG_ENTRIES_MAX);
		sk_config_free(c);
	}
}

/* ---- the file under the command line ---------------------------------------- */

#define LIST_MAX 4
static struct got {
	const char *listen, *quorum;
	const char *ps[LIST_MAX];
	int nps, witness, verbose, ran;
	sk_cli_common o;
} got;

static int serve_opt(int c, const char *arg, void *p)
{
	struct got *g = p;

	switch (c) {
	case 'l':
		g->listen = arg;
		return SK_CLI_RUN;
	case 'p':
		if (g->nps == LIST_MAX)
			return sk_cli_usage("serve", "too many --pseudonymiser");
		g->ps[g->nps++] = arg;
		return SK_CLI_RUN;
	case 'q':
		if (strcmp(arg, "0") == 0)
			return sk_cli_usage("serve", "--quorum must be at least 1");
		g->quorum = arg;
		return SK_CLI_RUN;
	case 'w':
		g->witness = 1;
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"listen", required_argument, NULL, 'l'},
					   {"pseudonymiser", required_argument, NULL, 'p'},
					   {"quorum", required_argument, NULL, 'q'},
					   {"witness", no_argument, NULL, 'w'},
					   {0}};
	int rc = sk_cli_parse("serve", argc, argv, lo, "usage: serve\n", &got.o, serve_opt, &got);

	if (rc == SK_CLI_RUN)
		got.ran = 1;
	return rc == SK_CLI_RUN ? SK_EXIT_OK : rc;
}

static int status_opt(int c, const char *arg, void *p)
{
	(void)arg;
	if (c != 'v')
		return SK_CLI_UNKNOWN;
	((struct got *)p)->verbose = 1;
	return SK_CLI_RUN;
}

static int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"verbose", no_argument, NULL, 'v'},
					   {0}};
	int rc = sk_cli_parse("status", argc, argv, lo, "usage: status\n", &got.o, status_opt,
			      &got);

	if (rc == SK_CLI_RUN)
		got.ran = 1;
	return rc == SK_CLI_RUN ? SK_EXIT_OK : rc;
}

/* a group whose subcommand alone takes --deep */
static int cmd_sub(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"deep", required_argument, NULL, 'd'},
					   {0}};
	int rc = sk_cli_parse("grp sub", argc, argv, lo, "usage: sub\n", &got.o, NULL, NULL);

	return rc == SK_CLI_RUN ? SK_EXIT_OK : rc;
}

static int cmd_grp(int argc, char **argv)
{
	static const sk_cli_cmd subs[] = {{"sub", cmd_sub, "a subcommand"}};

	return sk_cli_group("sk-test", "grp", subs, 1, argc, argv);
}

static const sk_cli_cmd cmds[] = {
	{"serve", cmd_serve, "serve"},
	{"status", cmd_status, "status"},
	{"grp", cmd_grp, "a group"},
};

static char *dir, conf[256];

static int setup(void **state)
{
	(void)state;
	dir = t_tmpdir();
	snprintf(conf, sizeof(conf), "%s/x.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	t_rmdir(dir);
	dir = NULL;
	return 0;
}

static void write_conf(const char *text, mode_t mode)
{
	FILE *f = fopen(conf, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(conf, mode), 0);
}

/* Runs "sk-test ARGS... --config conf" (with_conf) and returns the exit code. */
static int run(int with_conf, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[8];
	char buf[6][320];
	const char *in[] = {a1, a2, a3, a4};
	int argc = 0;

	memset(&got, 0, sizeof(got));
	snprintf(buf[0], sizeof(buf[0]), "sk-test");
	argv[argc] = buf[argc];
	argc++;
	for (int i = 0; i < 4 && in[i] != NULL; i++) {
		snprintf(buf[argc], sizeof(buf[argc]), "%s", in[i]);
		argv[argc] = buf[argc];
		argc++;
	}
	if (with_conf) {
		snprintf(buf[argc], sizeof(buf[argc]), "--config=%s", conf);
		argv[argc] = buf[argc];
		argc++;
	}
	argv[argc] = NULL;
	return sk_cli_main("sk-test", "a test binary", cmds, sizeof(cmds) / sizeof(cmds[0]),
			   argc, argv);
}

static const char serve_conf[] = "# one file for serve and status\n"
				 "dir = /srv/x\n"
				 "listen = 127.0.0.1:7443\n"
				 "pseudonymiser = ps-1@h:1\n"
				 "pseudonymiser = ps-2@h:2\n"
				 "witness = true\n"
				 "verbose = true\n"
				 "deep = 3\n"
				 "json = false\n";

static void test_file_values(void **state)
{
	(void)state;
	write_conf(serve_conf, 0600);
	assert_int_equal(run(1, "serve", NULL, NULL, NULL), SK_EXIT_OK);
	assert_int_equal(got.ran, 1);
	assert_string_equal(got.o.dir, "/srv/x");
	assert_string_equal(got.listen, "127.0.0.1:7443");
	assert_int_equal(got.nps, 2);
	assert_string_equal(got.ps[0], "ps-1@h:1");
	assert_string_equal(got.ps[1], "ps-2@h:2");
	assert_int_equal(got.witness, 1);
	assert_int_equal(got.verbose, 0); /* status's option, skipped by serve */
	assert_int_equal(got.o.json, 0);  /* "false" leaves a flag off */

	/* the same file serves status: serve's options are skipped */
	assert_int_equal(run(1, "status", NULL, NULL, NULL), SK_EXIT_OK);
	assert_int_equal(got.ran, 1);
	assert_string_equal(got.o.dir, "/srv/x");
	assert_int_equal(got.verbose, 1);
	assert_null(got.listen);

	/* without --config nothing is read */
	assert_int_equal(run(0, "serve", NULL, NULL, NULL), SK_EXIT_OK);
	assert_null(got.o.dir);
	assert_int_equal(got.nps, 0);
}

static void test_command_line_wins(void **state)
{
	(void)state;
	write_conf(serve_conf, 0600);
	assert_int_equal(run(1, "serve", "--listen", "0.0.0.0:1", NULL), SK_EXIT_OK);
	assert_string_equal(got.listen, "0.0.0.0:1");
	assert_string_equal(got.o.dir, "/srv/x");
	assert_int_equal(got.nps, 2);

	/* a repeatable option on the command line replaces the file's list */
	assert_int_equal(run(1, "serve", "--pseudonymiser", "ps-9@h:9", NULL), SK_EXIT_OK);
	assert_int_equal(got.nps, 1);
	assert_string_equal(got.ps[0], "ps-9@h:9");
	assert_string_equal(got.listen, "127.0.0.1:7443");

	/* also when given as --name=value, before the command's other options */
	assert_int_equal(run(1, "serve", "--dir=/other", NULL, NULL), SK_EXIT_OK);
	assert_string_equal(got.o.dir, "/other");

	/* --help still only prints help */
	assert_int_equal(run(1, "serve", "--help", NULL, NULL), SK_EXIT_OK);
	assert_int_equal(got.ran, 0);
}

static void expect_refused(const char *text, mode_t mode, int want)
{
	write_conf(text, mode);
	assert_int_equal(run(1, "serve", NULL, NULL, NULL), want);
	assert_int_equal(got.ran, 0);
}

static void test_file_refusals(void **state)
{
	(void)state;
	/* a name no command of the binary takes */
	expect_refused("dir = /x\nlisten-port = 1\n", 0600, SK_EXIT_USAGE);
	/* a subcommand's option is known, and skipped */
	write_conf("deep = 1\n", 0600);
	assert_int_equal(run(1, "serve", NULL, NULL, NULL), SK_EXIT_OK);
	expect_refused("witness = yes\n", 0600, SK_EXIT_USAGE);
	expect_refused("listen =\n", 0600, SK_EXIT_USAGE);
	expect_refused("config = /etc/other.conf\n", 0600, SK_EXIT_USAGE);
	expect_refused("not a setting\n", 0600, SK_EXIT_USAGE);
	/* the command's own check refuses a value from the file */
	expect_refused("quorum = 0\n", 0600, SK_EXIT_USAGE);
	/* writable by group or others */
	expect_refused(serve_conf, 0620, SK_EXIT_FAIL);
	expect_refused(serve_conf, 0602, SK_EXIT_FAIL);
	write_conf(serve_conf, 0644);
	assert_int_equal(run(1, "serve", NULL, NULL, NULL), SK_EXIT_OK);
	/* no such file; --config twice */
	write_conf(serve_conf, 0600);
	assert_int_equal(run(1, "serve", "--config", "/nonexistent/x.conf", NULL), SK_EXIT_USAGE);
	assert_int_equal(unlink(conf), 0);
	assert_int_equal(run(1, "serve", NULL, NULL, NULL), SK_EXIT_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lines),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test_setup_teardown(test_file_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_line_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
