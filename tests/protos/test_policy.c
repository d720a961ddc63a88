#include <stdio.h>
#include <string.h>

#include "protos/policy.h"
#include "test_util.h"

static void test_default(void **state)
{
	wire_policy p;

	wire_policy_default(&p);
	assert_true(wire_policy_sees(&p, "ggz", "sociaal-team"));
	assert_true(wire_policy_sees(&p, "sociaal-team", "ggz"));
	assert_true(wire_policy_sees(&p, "jeugd", "schuldhulp"));
	/* gemeente and woningcorporatie see no one, and no one sees them */
	assert_false(wire_policy_sees(&p, "gemeente", "ggz"));
	assert_false(wire_policy_sees(&p, "ggz", "gemeente"));
	assert_false(wire_policy_sees(&p, "woningcorporatie", "woningcorporatie"));
	assert_int_not_equal(wire_policy_index(&p, "gemeente"), -1);
	/* unknown categories see nothing */
	assert_int_equal(wire_policy_index(&p, "politie"), -1);
	assert_false(wire_policy_sees(&p, "politie", "ggz"));
}

/* The rules in a bundle give back the same matrix. */
static void test_rules_roundtrip(void **state)
{
	wire_policy p, q;
	wire_policy_rules r;
	size_t n;

	wire_policy_default(&p);
	wire_policy_to_rules(&r, &p, &n);
	assert_int_equal(n, 10);
	E(wire_policy_from_rules(&q, r.ptr, n));
	assert_int_equal(q.n, p.n);
	for (size_t i = 0; i < p.n; i++) {
		assert_string_equal(q.name[i], p.name[i]);
		assert_int_equal(q.sees[i], p.sees[i]);
	}
}

static void test_bad_rules(void **state)
{
	wire_policy p, q;
	wire_policy_rules r;
	size_t n;
	char *unknown[] = {"politie"};

	wire_policy_default(&p);
	wire_policy_to_rules(&r, &p, &n);
	r.rule[1].category = "ggz"; /* duplicate of rule 1? rule 0 is sociaal-team */
	r.rule[0].category = "ggz";
	EFAIL(wire_policy_from_rules(&q, r.ptr, n), SK_ERR_INVALID);
	wire_policy_to_rules(&r, &p, &n);
	r.rule[0].category = "Bad Name";
	EFAIL(wire_policy_from_rules(&q, r.ptr, n), SK_ERR_INVALID);
	wire_policy_to_rules(&r, &p, &n);
	r.rule[0].visible = unknown;
	r.rule[0].n_visible = 1;
	EFAIL(wire_policy_from_rules(&q, r.ptr, n), SK_ERR_INVALID);
	EFAIL(wire_policy_from_rules(&q, r.ptr, WIRE_POLICY_MAX + 1), SK_ERR_INVALID);
}

/* Discussions: the matrix, and closed categories only by the social domain. */
static void test_invites(void **state)
{
	wire_policy p;

	wire_policy_default(&p);
	assert_true(wire_policy_invites(&p, "ggz", "sociaal-team"));
	assert_true(wire_policy_invites(&p, "sociaal-team", "gemeente"));
	assert_true(wire_policy_invites(&p, "jeugd", "woningcorporatie"));
	assert_false(wire_policy_invites(&p, "ggz", "gemeente"));
	assert_false(wire_policy_invites(&p, "gemeente", "sociaal-team"));
	assert_false(wire_policy_invites(&p, "politie", "gemeente"));
	assert_false(wire_policy_invites(&p, "sociaal-team", "politie"));
}

/* The text form an operator writes: read, written back, read again. */
static void test_text(void **state)
{
	static const char text[] = "# a small federation\n"
				   "sociaal-team: sociaal-team ggz gemeente\n"
				   "\n"
				   "ggz:ggz  sociaal-team\r\n"
				   "  gemeente: sociaal-team\n"
				   "jeugd: jeugd sociaal-team\n"
				   "woningcorporatie:";
	char out[WIRE_POLICY_TEXT_MAX];
	wire_policy p, q, d;
	size_t len = 0;

	(void)state;
	assert_int_equal(wire_policy_parse(&p, text, strlen(text)), SK_OK);
	assert_int_equal(p.n, 5);
	assert_true(wire_policy_sees(&p, "sociaal-team", "gemeente"));
	assert_true(wire_policy_sees(&p, "gemeente", "sociaal-team"));
	assert_true(wire_policy_sees(&p, "jeugd", "sociaal-team"));
	assert_false(wire_policy_sees(&p, "sociaal-team", "jeugd")); /* one way only */
	assert_false(wire_policy_sees(&p, "ggz", "jeugd"));
	assert_false(wire_policy_sees(&p, "ggz", "gemeente"));
	assert_false(wire_policy_sees(&p, "woningcorporatie", "woningcorporatie"));
	assert_int_equal(wire_policy_index(&p, "fact"), -1);
	assert_int_equal(wire_policy_format(out, sizeof(out), &len, &p), SK_OK);
	assert_int_equal(len, strlen(out));
	assert_int_equal(wire_policy_parse(&q, out, len), SK_OK);
	assert_memory_equal(&p, &q, sizeof(p));
	/* the default matrix round-trips too */
	wire_policy_default(&d);
	assert_int_equal(wire_policy_format(out, sizeof(out), &len, &d), SK_OK);
	assert_int_equal(wire_policy_parse(&q, out, len), SK_OK);
	assert_memory_equal(&d, &q, sizeof(d));
	assert_int_equal(wire_policy_format(out, 8, &len, &d), SK_ERR_TOOBIG);
}

static void test_text_bad(void **state)
{
	static const char *const bad[] = {
		"",                                 /* no category */
		"# only a comment\n",
		"ggz ggz\n",                        /* no colon */
		"ggz: ggz\nggz: ggz\n",             /* two lines */
		"ggz: fact\n",                      /* fact has no line */
		"GGZ: GGZ\n",                       /* not a valid name */
		": ggz\n",
		"ggz: ggz\0fact: ggz\n",           /* a NUL in the text */
	};
	char many[40 * 16], big[5000];
	wire_policy p;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == 7 ? 20 : strlen(bad[i]);

		assert_int_equal(wire_policy_parse(&p, bad[i], len), SK_ERR_INVALID);
		assert_int_equal(p.n, 0);
	}
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "c%d:\n", i);
	assert_int_equal(wire_policy_parse(&p, many, n), SK_ERR_INVALID);
	memset(big, 'a', sizeof(big));
	big[0] = 'x';
	big[1] = ':';
	assert_int_equal(wire_policy_parse(&p, big, sizeof(big)), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_rules_roundtrip),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_invites),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
