/* The case table rules (protos/table.h): a record's bounds and shape, the
 * fold (who may create, join, leave, add a procesregisseur; each seq the
 * next), and who may see a table. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "protos/table.h"

#define ID "00112233445566778899aabbccddeeff"

static char *members[] = {"altrecht", "tactus"};

/* A record as its signer would make it, packed and parsed again. */
static sk_status make(Schakel__V1__TableRecordBody **out, Schakel__V1__TableAction action,
		      const char *org, uint64_t seq, const char *reg_org, const char *reg_prof)
{
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur r = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	uint8_t buf[WIRE_TABLE_BODY_MAX * 2];

	b.table_id = ID;
	b.action = action;
	b.org_id = (char *)org;
	b.seq = seq;
	b.time = 1;
	if (action == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE) {
		b.name = "Transfertafel Zeist";
		b.rhythm = "elke tweede dinsdag";
		b.members = members;
		b.n_members = 2;
	}
	if (reg_org != NULL) {
		r.org_id = (char *)reg_org;
		r.professional = (char *)reg_prof;
		b.regisseur = &r;
	}
	return wire_table_body_parse(out, buf, schakel__v1__table_record_body__pack(&b, buf));
}

/* Folds one record into t; returns wire_table_apply's status. */
static sk_status fold(wire_table *t, Schakel__V1__TableAction action, const char *org,
		      uint64_t seq, const char *reg_org, const char *reg_prof)
{
	Schakel__V1__TableRecordBody *b = NULL;
	sk_status st;

	E(make(&b, action, org, seq, reg_org, reg_prof));
	st = wire_table_apply(t, b);
	schakel__v1__table_record_body__free_unpacked(b, NULL);
	return st;
}

static void test_fold(void **state)
{
	wire_table t = {0};

	(void)state;
	/* a table begins with its creation, by its host, whose regisseur is its own */
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 2, NULL, NULL),
	      SK_ERR_INVALID);
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "altrecht", "p-a"),
	      SK_ERR_PERM);
	E(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "wijkteam", "p-w"));
	assert_string_equal(t.host, "wijkteam");
	assert_int_equal(wire_table_org(&t, "altrecht"), WIRE_TABLE_INVITED);
	assert_int_equal(wire_table_org(&t, "lentis"), 0);
	assert_true(wire_table_is_regisseur(&t, "wijkteam", "p-w"));
	/* only an invited org joins, each record the next seq */
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "lentis", 2, NULL, NULL), SK_ERR_PERM);
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 3, NULL, NULL),
	      SK_ERR_EXISTS);
	E(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 2, NULL, NULL));
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 3, NULL, NULL),
	      SK_ERR_PERM);
	assert_int_equal(wire_table_org(&t, "altrecht"), WIRE_TABLE_MEMBER);
	/* a procesregisseur: added by the host or a regisseur's org, at a member */
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR, "altrecht", 3, "altrecht", "p-a"),
	      SK_ERR_PERM);
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR, "wijkteam", 3, "tactus", "p-t"),
	      SK_ERR_PERM);
	E(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR, "wijkteam", 3, "altrecht", "p-a"));
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR, "altrecht", 4, "altrecht", "p-a"),
	      SK_ERR_INVALID);
	assert_true(wire_table_is_regisseur(&t, "altrecht", "p-a"));
	/* leaving takes the org's regisseurs with it; the host stays */
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_LEAVE, "wijkteam", 4, NULL, NULL),
	      SK_ERR_PERM);
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_LEAVE, "tactus", 4, NULL, NULL),
	      SK_ERR_PERM);
	E(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_LEAVE, "altrecht", 4, NULL, NULL));
	assert_false(wire_table_is_regisseur(&t, "altrecht", NULL));
	assert_int_equal(wire_table_org(&t, "altrecht"), WIRE_TABLE_LEFT);
	assert_int_equal(t.seq, 4);
	/* a refusal leaves the table as it was */
	EFAIL(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "wijkteam", "p-w"),
	      SK_ERR_EXISTS);
	assert_int_equal(wire_table_org(&t, "altrecht"), WIRE_TABLE_LEFT);
}

static void test_visible(void **state)
{
	wire_table t = {0};

	(void)state;
	assert_false(wire_table_visible(&t, "wijkteam"));
	E(fold(&t, SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "wijkteam", "p-w"));
	assert_true(wire_table_visible(&t, "wijkteam"));
	assert_true(wire_table_visible(&t, "tactus")); /* invited */
	assert_false(wire_table_visible(&t, "lentis"));
	t.open = 1;
	assert_true(wire_table_visible(&t, "lentis"));
}

static sk_status parse_body(const Schakel__V1__TableRecordBody *b)
{
	Schakel__V1__TableRecordBody *out = NULL;
	uint8_t buf[WIRE_TABLE_BODY_MAX * 4];
	size_t n = schakel__v1__table_record_body__get_packed_size(b);
	sk_status st;

	assert_true(n <= sizeof(buf));
	schakel__v1__table_record_body__pack(b, buf);
	st = wire_table_body_parse(&out, buf, n);
	schakel__v1__table_record_body__free_unpacked(out, NULL);
	return st;
}

static void test_bounds(void **state)
{
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur r = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	char longname[WIRE_TABLE_NAME_MAX + 2], big[WIRE_TABLE_BODY_MAX + 1];
	char *many[WIRE_TABLE_ORGS_MAX], names[WIRE_TABLE_ORGS_MAX][8];

	(void)state;
	r.org_id = "wijkteam";
	r.professional = "p-w";
	b.table_id = ID;
	b.action = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE;
	b.org_id = "wijkteam";
	b.seq = 1;
	b.name = "Tafel";
	b.regisseur = &r;
	E(parse_body(&b));
	/* a name over its cap, or with a control character */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	b.name = longname;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.name = "Ta\nfel";
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.name = "Tafel";
	/* a body over its cap */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	b.rhythm = big;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.rhythm = NULL;
	/* too many members, a member twice, the host as a member */
	for (size_t i = 0; i < WIRE_TABLE_ORGS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "o%zu", i);
		many[i] = names[i];
	}
	b.members = many;
	b.n_members = WIRE_TABLE_ORGS_MAX;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	many[1] = many[0];
	b.n_members = 2;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	many[1] = "wijkteam";
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.n_members = 0;
	/* a bad table id, org id, seq */
	b.table_id = "00112233445566778899AABBCCDDEEFF";
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.table_id = ID;
	b.org_id = "Wijkteam";
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.org_id = "wijkteam";
	b.seq = 2;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	/* a join carrying a definition or a regisseur */
	b.action = SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.name = NULL;
	EFAIL(parse_body(&b), SK_ERR_INVALID);
	b.regisseur = NULL;
	E(parse_body(&b));
	/* garbage */
	{
		Schakel__V1__TableRecordBody *out = NULL;
		const uint8_t junk[] = {0xff, 0xff, 0xff};

		EFAIL(wire_table_body_parse(&out, junk, sizeof(junk)), SK_ERR_INVALID);
		EFAIL(wire_table_body_parse(&out, junk, 0), SK_ERR_INVALID);
		assert_null(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
