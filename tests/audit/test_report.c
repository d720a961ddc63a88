/* audit/report.h: the art. 15 report in Dutch and English, local actions
 * and disclosure notices in their own parts, roles without names unless
 * asked, nothing of other clients, and the JSON form. */
#include <jansson.h>

#include "audit_fx.h"
#include "audit/report.h"
#include "common/init.h"

static void fill(struct fx *f)
{
	uint64_t t = fx_ms("2026-01-05T09:00:00");
	audit_record r;

	r = fx_rec("client.add", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, t, "c-1", NULL);
	fx_add(f, &r);
	r = fx_rec("case.open", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, t + 60000, "c-1", "anna");
	r.role = "wijkcoach";
	fx_add(f, &r);
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 120000, "c-1", "anna");
	r.role = "wijkcoach";
	r.purpose = "afstemming";
	r.counterpart = "altrecht";
	fx_add(f, &r);
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_DENIED, t + 180000, "c-1", "dora");
	r.role = "spv";
	r.purpose = "afstemming";
	fx_add(f, &r);
	r = fx_rec("disclosure.notice", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 240000, "c-1",
		   NULL);
	r.role = "spv";
	r.purpose = "signaal";
	r.counterpart = "altrecht";
	r.category = "ggz";
	fx_add(f, &r);
	r = fx_rec("pattern.flag", AUDIT_ACTION_EXECUTE, AUDIT_OUTCOME_OK, t + 250000, "c-1", NULL);
	fx_add(f, &r);
	r = fx_rec("x.other", AUDIT_ACTION_EXECUTE, AUDIT_OUTCOME_FAILED, t + 260000, "c-1", "anna");
	r.role = "wijkcoach";
	fx_add(f, &r);
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 300000, "c-10", "anna");
	r.role = "wijkcoach";
	r.purpose = "crisis";
	fx_add(f, &r);
}

static const char *names(const char *user, void *arg)
{
	(*(int *)arg)++;
	return strcmp(user, "anna") == 0 ? "Anna de Vries" : NULL;
}

static char *report(struct fx *f, const char *client, audit_lang lang, bool with_names,
		    bool json, int *calls)
{
	audit_report_opts o = {client, "Sociaal wijkteam Zuid", lang, with_names ? names : NULL,
			       calls, fx_ms("2026-01-06T10:00:00"), json};
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);
	struct fx_mem m;

	fx_mem_open(&m);
	E(audit_report_write(m.fp, f->log, txn, &o));
	mdb_txn_abort(txn);
	return fx_mem_close(&m);
}

static void has(const char *txt, const char *want)
{
	if (strstr(txt, want) == NULL)
		fail_msg("missing: %s\nin:\n%s", want, txt);
}

static void test_dutch(void **state)
{
	struct fx f = fx_new();
	int calls = 0;
	char *txt;
	const char *part2;

	fill(&f);
	txt = report(&f, "c-1", AUDIT_LANG_NL, false, false, &calls);
	has(txt, "Overzicht van het gebruik van uw gegevens (AVG artikel 15, Wabvpz)\n"
		 "Organisatie: Sociaal wijkteam Zuid\n"
		 "Uw cliëntnummer bij ons: c-1\n"
		 "Opgesteld op: 2026-01-06 10:00\n");
	has(txt, "  2026-01-05 09:00  Sociaal wijkteam Zuid (systeem of beheer): heeft uw "
		 "gegevens vastgelegd.\n");
	has(txt, "  2026-01-05 09:01  een medewerker (wijkcoach), Sociaal wijkteam Zuid: heeft een dossier "
		 "voor u geopend.\n");
	has(txt, "  2026-01-05 09:02  een medewerker (wijkcoach), Sociaal wijkteam Zuid: heeft opgezocht welke "
		 "andere organisaties ook bij u betrokken zijn, met als doel afstemming van de "
		 "zorg; getoond: altrecht.\n");
	has(txt, "  2026-01-05 09:03  een medewerker (spv), Sociaal wijkteam Zuid: heeft opgezocht welke andere "
		 "organisaties ook bij u betrokken zijn, met als doel afstemming van de zorg "
		 "(geweigerd).\n");
	has(txt, "heeft uw gegevens gebruikt (x.other) (mislukt).\n");
	part2 = strstr(txt, "2. Andere organisaties die via de verwijsindex hebben gezien dat wij "
			    "bij u betrokken zijn\n");
	assert_non_null(part2);
	has(part2, "  2026-01-05 09:04  altrecht (ggz), rol spv: heeft via de verwijsindex gezien "
		   "dat wij bij u betrokken zijn, met als doel een zorgsignaal.\n");
	assert_null(strstr(part2, "wijkcoach")); /* local actions only in part 1 */
	has(txt, "u kunt ons vragen wie het waren");
	/* no names, nothing of c-10, no pattern flags */
	assert_null(strstr(txt, "anna"));
	assert_null(strstr(txt, "Anna"));
	assert_null(strstr(txt, "dora"));
	assert_null(strstr(txt, "crisis"));
	assert_null(strstr(txt, "pattern"));
	assert_int_equal(calls, 0);
	free(txt);

	/* a client without records */
	txt = report(&f, "c-99", AUDIT_LANG_NL, false, false, &calls);
	has(txt, "  (niemand)\n");
	has(txt, "  (geen)\n");
	free(txt);
	fx_free(&f);
}

static void test_english_names(void **state)
{
	struct fx f = fx_new();
	int calls = 0;
	char *txt;

	fill(&f);
	txt = report(&f, "c-1", AUDIT_LANG_EN, true, false, &calls);
	has(txt, "Overview of the use of your data (GDPR article 15, Wabvpz)\n");
	has(txt, "  2026-01-05 09:01  Anna de Vries (wijkcoach), Sociaal wijkteam Zuid: opened a "
		 "case for you.\n");
	has(txt, "  2026-01-05 09:02  Anna de Vries (wijkcoach), Sociaal wijkteam Zuid: looked up "
		 "which other organisations are also involved with you, for coordination of "
		 "care; shown: altrecht.\n");
	/* a professional the node no longer knows: by role */
	has(txt, "  2026-01-05 09:03  a staff member (spv), Sociaal wijkteam Zuid: looked up which other "
		 "organisations are also involved with you, for coordination of care (refused).\n");
	has(txt, "2. Other organisations that learned through the federation that we are "
		 "involved with you\n"
		 "  2026-01-05 09:04  altrecht (ggz), role spv: learned through the federation "
		 "that we are involved with you, for a concern.\n");
	has(txt, "used your data (x.other) (failed).\n");
	assert_null(strstr(txt, "you may ask us who")); /* names were given */
	assert_true(calls >= 3);
	free(txt);
	fx_free(&f);
}

static void test_json(void **state)
{
	struct fx f = fx_new();
	json_error_t err;
	json_t *doc;
	int calls = 0;
	char *txt;

	fill(&f);
	txt = report(&f, "c-1", AUDIT_LANG_NL, false, true, &calls);
	doc = json_loads(txt, 0, &err);
	if (doc == NULL)
		fail_msg("not JSON: %s", err.text);
	assert_int_equal(json_array_size(doc), 6); /* 5 local, 1 disclosure */
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "kind")),
			    "local");
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 5), "kind")),
			    "disclosure");
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 5), "org")),
			    "altrecht");
	assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(doc, 0), "id"))),
			 32);
	assert_null(strstr(txt, "anna"));
	json_decref(doc);
	free(txt);
	fx_free(&f);
}

static void test_lang(void **state)
{
	audit_lang l;

	E(audit_lang_parse(&l, "nl"));
	assert_int_equal(l, AUDIT_LANG_NL);
	E(audit_lang_parse(&l, "en"));
	assert_int_equal(l, AUDIT_LANG_EN);
	EFAIL(audit_lang_parse(&l, "de"), SK_ERR_INVALID);
	EFAIL(audit_lang_parse(&l, NULL), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dutch),
		cmocka_unit_test(test_english_names),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_lang),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
