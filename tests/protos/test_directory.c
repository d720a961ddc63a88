/* The directory record's rules (protos/directory.c): the vocabulary (each
 * code once, Dutch and English names), a record's encoding round trip,
 * every bound refused one past it and accepted at it, unknown fields
 * refused, stale waiting times at 30 days, and the search's filters. */
#include <string.h>

#include "test_util.h"
#include "protos/directory.h"

static char *munis[] = {"Zeist", "Utrechtse Heuvelrug"}, *services[] = {"schuldhulp", "ggz"},
	    *groups[] = {"volwassenen"};
static Schakel__V1__DirectoryContact contact = SCHAKEL__V1__DIRECTORY_CONTACT__INIT,
				     *contacts[WIRE_DIR_CONTACTS_MAX + 1];

static Schakel__V1__DirectoryRecord record(void)
{
	Schakel__V1__DirectoryRecord r = SCHAKEL__V1__DIRECTORY_RECORD__INIT;

	contact.name = "Anna de Vries";
	contact.role = "wegwijzer";
	contact.phone = "030 123 45 67";
	contact.email = "anna@wijkteam.example";
	for (size_t i = 0; i <= WIRE_DIR_CONTACTS_MAX; i++)
		contacts[i] = &contact;
	r.org_id = "wijkteam";
	r.version = 7;
	r.display_name = "Wijkteam Zeist";
	r.category = "sociaal-team";
	r.municipalities = munis;
	r.n_municipalities = 2;
	r.services = services;
	r.n_services = 2;
	r.target_groups = groups;
	r.n_target_groups = 1;
	r.services_text = "Budgetcoaching en formulierenhulp";
	r.how_to_refer = "Bel de wegwijzer";
	r.has_waiting_weeks = r.has_waiting_date = 1;
	r.waiting_weeks = 3;
	r.waiting_date = 1000ull * 86400 * 1000;
	r.wegwijzers = contacts;
	r.n_wegwijzers = 1;
	r.issued_at = 1;
	return r;
}

static sk_status check(const Schakel__V1__DirectoryRecord *r)
{
	char why[200];

	return wire_dir_check(r, why, sizeof(why));
}

static void test_vocabulary(void **state)
{
	const wire_dir_word *vocabs[] = {wire_dir_services, wire_dir_target_groups};

	(void)state;
	for (size_t v = 0; v < 2; v++)
		for (const wire_dir_word *w = vocabs[v]; w->code != NULL; w++) {
			assert_true(strlen(w->nl) > 0 && strlen(w->en) > 0);
			assert_ptr_equal(wire_dir_word_find(vocabs[v], w->code), w);
			for (const wire_dir_word *x = w + 1; x->code != NULL; x++)
				assert_string_not_equal(w->code, x->code);
		}
	assert_null(wire_dir_word_find(wire_dir_services, "volwassenen"));
	assert_null(wire_dir_word_find(wire_dir_services, NULL));
}

static void test_roundtrip(void **state)
{
	Schakel__V1__DirectoryRecord r = record(), *back = NULL;
	uint8_t buf[WIRE_DIR_RECORD_MAX];
	char why[200];
	size_t n;

	(void)state;
	n = schakel__v1__directory_record__pack(&r, buf);
	E(wire_dir_parse(buf, n, &back, why, sizeof(why)));
	assert_string_equal(back->display_name, "Wijkteam Zeist");
	assert_int_equal(back->n_services, 2);
	assert_string_equal(back->wegwijzers[0]->email, "anna@wijkteam.example");
	assert_int_equal(back->waiting_weeks, 3);
	schakel__v1__directory_record__free_unpacked(back, NULL);
	/* a truncated record, and one too long, are refused */
	EFAIL(wire_dir_parse(buf, n - 1, &back, why, sizeof(why)), SK_ERR_INVALID);
	assert_null(back);
	EFAIL(wire_dir_parse(buf, WIRE_DIR_RECORD_MAX + 1, &back, why, sizeof(why)),
	      SK_ERR_TOOBIG);
	/* an unknown field (number 99, varint) is refused */
	buf[n] = (99 << 3) & 0xff;
	buf[n] |= 0x80;
	buf[n + 1] = 99 >> 4;
	buf[n + 2] = 1;
	EFAIL(wire_dir_parse(buf, n + 3, &back, why, sizeof(why)), SK_ERR_INVALID);
	assert_non_null(strstr(why, "fields"));
}

static void test_bounds(void **state)
{
	Schakel__V1__DirectoryRecord r;
	char name[WIRE_DIR_NAME_MAX + 2], text[WIRE_DIR_TEXT_MAX + 2], *many[WIRE_DIR_CODES_MAX + 1];
	char *bad[] = {"astrologie"}, *twice[] = {"ggz", "ggz"};

	(void)state;
	r = record();
	E(check(&r));
	memset(name, 'a', sizeof(name));
	name[WIRE_DIR_NAME_MAX] = '\0';
	r.display_name = name;
	E(check(&r)); /* at the bound */
	name[WIRE_DIR_NAME_MAX] = 'a';
	name[WIRE_DIR_NAME_MAX + 1] = '\0';
	EFAIL(check(&r), SK_ERR_INVALID); /* one past */
	r = record();
	r.display_name = "";
	EFAIL(check(&r), SK_ERR_INVALID);
	r.display_name = "Wijk\nteam";
	EFAIL(check(&r), SK_ERR_INVALID);
	r.display_name = "Wijkteam \xc3\x28";
	EFAIL(check(&r), SK_ERR_INVALID); /* not UTF-8 */
	r = record();
	memset(text, 'b', sizeof(text));
	text[WIRE_DIR_TEXT_MAX] = '\0';
	r.how_to_refer = text;
	E(check(&r));
	text[WIRE_DIR_TEXT_MAX] = 'b';
	text[WIRE_DIR_TEXT_MAX + 1] = '\0';
	EFAIL(check(&r), SK_ERR_TOOBIG);
	r = record();
	for (size_t i = 0; i <= WIRE_DIR_CODES_MAX; i++)
		many[i] = "ggz";
	r.services = many;
	r.n_services = WIRE_DIR_CODES_MAX + 1;
	EFAIL(check(&r), SK_ERR_TOOBIG);
	r.services = bad;
	r.n_services = 1;
	EFAIL(check(&r), SK_ERR_INVALID);
	r.services = twice;
	r.n_services = 2;
	EFAIL(check(&r), SK_ERR_INVALID);
	r = record();
	r.n_wegwijzers = WIRE_DIR_CONTACTS_MAX;
	E(check(&r));
	r.n_wegwijzers = WIRE_DIR_CONTACTS_MAX + 1;
	EFAIL(check(&r), SK_ERR_TOOBIG);
	r = record();
	r.waiting_weeks = WIRE_DIR_WEEKS_MAX + 1;
	EFAIL(check(&r), SK_ERR_INVALID);
	r.waiting_weeks = 2;
	r.has_waiting_date = 0;
	EFAIL(check(&r), SK_ERR_INVALID);
	r = record();
	r.org_id = "Wijkteam";
	EFAIL(check(&r), SK_ERR_INVALID);
	r = record();
	r.version = 0;
	EFAIL(check(&r), SK_ERR_INVALID);
}

static void test_stale(void **state)
{
	Schakel__V1__DirectoryRecord r = record();

	(void)state;
	assert_int_equal(wire_dir_stale(&r, r.waiting_date + WIRE_DIR_STALE_MS), 0);
	assert_int_equal(wire_dir_stale(&r, r.waiting_date + WIRE_DIR_STALE_MS + 1), 1);
	r.has_waiting_weeks = 0;
	assert_int_equal(wire_dir_stale(&r, UINT64_MAX), 0);
}

static void test_match(void **state)
{
	Schakel__V1__DirectoryRecord r = record();

	(void)state;
	assert_true(wire_dir_match(&r, &(wire_dir_query){0}));
	assert_true(wire_dir_match(&r, &(wire_dir_query){.service = "schuldhulp"}));
	assert_false(wire_dir_match(&r, &(wire_dir_query){.service = "jeugdhulp"}));
	assert_true(wire_dir_match(&r, &(wire_dir_query){.target_group = "volwassenen"}));
	assert_false(wire_dir_match(&r, &(wire_dir_query){.target_group = "kinderen"}));
	assert_true(wire_dir_match(&r, &(wire_dir_query){.municipality = "zeist"}));
	assert_false(wire_dir_match(&r, &(wire_dir_query){.municipality = "Zei"}));
	assert_true(wire_dir_match(&r, &(wire_dir_query){.category = "sociaal-team"}));
	assert_false(wire_dir_match(&r, &(wire_dir_query){.category = "ggz"}));
	assert_true(wire_dir_match(&r, &(wire_dir_query){.text = "budget"}));
	assert_true(wire_dir_match(&r, &(wire_dir_query){.text = "geestelijke"})); /* a name */
	assert_true(wire_dir_match(&r, &(wire_dir_query){.text = "heuvelrug"}));
	assert_false(wire_dir_match(&r, &(wire_dir_query){.text = "verslaving"}));
	assert_false(wire_dir_match(&r, &(wire_dir_query){.service = "schuldhulp",
							  .municipality = "Utrecht"}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vocabulary), cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bounds),     cmocka_unit_test(test_stale),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
