/* The case table rules (protos/table.h): a record's bounds and shape, the
 * fold (who may create, join, leave, add a procesregisseur; each seq the
 * next), who may see a table, and a subgroup's message on the wire. */
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

/* A TableMessageBody packed and parsed again; *out the caller's. */
static sk_status msg_roundtrip(const Schakel__V1__TableMessageBody *b,
			       Schakel__V1__TableMessageBody **out)
{
	uint8_t buf[WIRE_TABLE_MESSAGE_MAX * 2];

	*out = NULL;
	assert_true(schakel__v1__table_message_body__get_packed_size(b) <= sizeof(buf));
	return wire_table_message_parse(out, buf, schakel__v1__table_message_body__pack(b, buf));
}

/* A subgroup with mandate and a text to it survive the wire whole; a
 * subgroup without its id, with fewer than 2 or twice the same org, a bad
 * end date, or subgroup fields in another kind are refused. */
static void test_subgroup(void **state)
{
	Schakel__V1__TableMessageBody b = SCHAKEL__V1__TABLE_MESSAGE_BODY__INIT, *out = NULL;
	char *orgs[] = {"wijkteam", "altrecht", "wijkteam"};
	char big[WIRE_TABLE_CASE_TEXT_MAX + 2];

	(void)state;
	b.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP;
	b.professional = "p-w";
	b.name = "Petra de Wit";
	b.subgroup = "0011223344556677";
	b.subgroup_orgs = orgs;
	b.n_subgroup_orgs = 2;
	b.mandate = "Mag zonder wachtlijst een plek regelen.";
	b.until = "2027-03-01";
	E(msg_roundtrip(&b, &out));
	assert_string_equal(out->subgroup, "0011223344556677");
	assert_int_equal(out->n_subgroup_orgs, 2);
	assert_string_equal(out->subgroup_orgs[1], "altrecht");
	assert_string_equal(out->mandate, b.mandate);
	assert_string_equal(out->until, "2027-03-01");
	schakel__v1__table_message_body__free_unpacked(out, NULL);
	/* the notice: no mandate */
	b.mandate = NULL;
	E(msg_roundtrip(&b, &out));
	assert_null(out->mandate);
	schakel__v1__table_message_body__free_unpacked(out, NULL);
	/* refused: bad id, 1 org, an org twice, a bad date, a text, a long mandate */
	b.subgroup = "00112233445566";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.subgroup = "001122334455667G";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.subgroup = "0011223344556677";
	b.n_subgroup_orgs = 1;
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.subgroup_orgs = orgs + 0;
	b.n_subgroup_orgs = 3;
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.n_subgroup_orgs = 2;
	b.until = "1-3-2027";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.until = NULL;
	b.text = "hallo";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.text = NULL;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	b.mandate = big;
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.mandate = NULL;
	E(msg_roundtrip(&b, &out));
	schakel__v1__table_message_body__free_unpacked(out, NULL);
	/* a text to the subgroup; subgroup fields in a text or a schedule */
	b.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT;
	b.text = "Plek gevonden bij de Koppeling.";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.n_subgroup_orgs = 0;
	E(msg_roundtrip(&b, &out));
	assert_string_equal(out->subgroup, "0011223344556677");
	schakel__v1__table_message_body__free_unpacked(out, NULL);
	b.mandate = "x";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.mandate = NULL;
	b.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE;
	b.text = NULL;
	b.date = "2027-01-12";
	EFAIL(msg_roundtrip(&b, &out), SK_ERR_INVALID);
	b.subgroup = NULL;
	E(msg_roundtrip(&b, &out));
	schakel__v1__table_message_body__free_unpacked(out, NULL);
	assert_true(wire_table_subgroup_orgs_in((const char *const *)orgs, 2, "altrecht"));
	assert_false(wire_table_subgroup_orgs_in((const char *const *)orgs, 2, "tactus"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_subgroup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
