#include <string.h>

#include "common/cli.h"
#include "test_util.h"

typedef struct args {
	char bsn[16];
	int calls;
} args;

static int opt(int c, const char *arg, void *p)
{
	args *a = p;

	a->calls++;
	switch (c) {
	case 'b':
		if (strlen(arg) >= sizeof(a->bsn))
			return sk_cli_usage("case open", "--client takes a BSN");
		memcpy(a->bsn, arg, strlen(arg) + 1);
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

static const struct option lo[] = {SK_CLI_COMMON_LONG,
				   {"client", required_argument, NULL, 'b'},
				   {"flag", no_argument, NULL, 'f'}, {0}};

static int parse(args *a, sk_cli_common *o, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	memset(o, 0, sizeof(*o));
	return sk_cli_parse("case open", argc, argv, lo, "usage: test\n", o, opt, a);
}

/* Every outcome returns to the caller: it runs, it stops after --help
 * (exit 0), it stops on an unknown option, a stray argument or what the
 * option callback refused (exit 2), with the BSN already stored in the
 * caller's buffer, which the caller then wipes on its one path. */
static void test_parse_outcomes(void **state)
{
	sk_cli_common o;
	args a;
	char *run[] = {"open", "--client", "111222333", "--dir", "/d", "--json", NULL};
	char *help[] = {"open", "--client", "111222333", "--help", NULL};
	char *unknown[] = {"open", "--client", "111222333", "--nope", NULL};
	char *untaken[] = {"open", "--client", "111222333", "--flag", NULL};
	char *stray[] = {"open", "--client", "111222333", "extra", NULL};
	char *refused[] = {"open", "--client", "1112223334445556667", NULL};
	char *missing[] = {"open", "--client", NULL};

	assert_int_equal(parse(&a, &o, 6, run), SK_CLI_RUN);
	assert_string_equal(a.bsn, "111222333");
	assert_string_equal(o.dir, "/d");
	assert_int_equal(o.json, 1);
	assert_int_equal(parse(&a, &o, 4, help), SK_EXIT_OK);
	assert_int_equal(parse(&a, &o, 4, unknown), SK_EXIT_USAGE);
	assert_string_equal(a.bsn, "111222333"); /* stored: the caller's wipe path matters */
	assert_int_equal(parse(&a, &o, 4, untaken), SK_EXIT_USAGE);
	assert_int_equal(a.calls, 2);
	assert_int_equal(parse(&a, &o, 4, stray), SK_EXIT_USAGE);
	assert_int_equal(parse(&a, &o, 3, refused), SK_EXIT_USAGE);
	assert_string_equal(a.bsn, "");
	assert_int_equal(parse(&a, &o, 2, missing), SK_EXIT_USAGE);
	assert_int_equal(sk_cli_parse("x", 4, unknown, lo, "", &o, NULL, NULL), SK_EXIT_USAGE);
}

/* A value in a command line is wiped in place, all of it, and only it. */
static void test_arg_wipe(void **state)
{
	char line[] = "--client\0" "111222333\0" "--as";
	static const char zero[9];

	sk_cli_arg_wipe(line + 9);
	assert_string_equal(line, "--client");
	assert_memory_equal(line + 9, zero, sizeof(zero));
	assert_int_equal(line[18], 0);
	assert_string_equal(line + 19, "--as");
	sk_cli_arg_wipe(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_outcomes),
		cmocka_unit_test(test_arg_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
