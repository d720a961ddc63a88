/* audit/report.h: the art. 15 report as a resident reads it: lines by
 * day, page views folded into one line a day with a count, professionals
 * by name and role (or role only), partners by display name (never by
 * id), the owed sections (retention, rectification, the Autoriteit
 * Persoonsgegevens, the privacy contact), English when chosen, and no
 * internal code anywhere (event codes, client ids, org ids). */
#include <jansson.h>

#include "audit_fx.h"
#include "audit/report.h"
#include "audit/words.h"
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
	for (int i = 0; i < 3; i++) { /* three page views on one day: one line */
		r = fx_rec("case.show", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 70000 + i * 1000,
			   "c-1", "anna");
		r.role = "wijkcoach";
		fx_add(f, &r);
	}
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 120000, "c-1", "anna");
	r.role = "wijkcoach";
	r.purpose = "afstemming";
	r.counterpart = "altrecht,lister";
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
	r = fx_rec("match.notice", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + 255000, "c-1", NULL);
	r.counterpart = "lister";
	fx_add(f, &r);
	r = fx_rec("x.other", AUDIT_ACTION_EXECUTE, AUDIT_OUTCOME_FAILED, t + 260000, "c-1", "anna");
	r.role = "wijkcoach";
	fx_add(f, &r);
	/* the next day: one more view, its own line */
	r = fx_rec("case.show", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + AUDIT_DAY_MS, "c-1", "anna");
	r.role = "wijkcoach";
	fx_add(f, &r);
	r = fx_rec("disclosure.notice", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, t + AUDIT_DAY_MS + 1000,
		   "c-1", NULL);
	r.counterpart = "unknown-org";
	fx_add(f, &r);
	/* another client */
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

static const char *orgs(const char *org, void *arg)
{
	(void)arg;
	return strcmp(org, "altrecht") == 0 ? "Altrecht GGz" : strcmp(org, "lister") == 0 ? "Lister"
											     : NULL;
}

static json_t *build(struct fx *f, const char *client, audit_lang lang, bool with_names,
		     const char *contact, int *calls)
{
	audit_report_opts o = {client, "Sociaal wijkteam Zuid", lang, with_names ? names : NULL,
			       calls, orgs, NULL, fx_ms("2026-01-06T10:00:00"), 5 * AUDIT_YEAR_MS,
			       strcmp(client, "c-1") == 0 ? fx_ms("2027-01-05T12:00:00") : 0, contact};
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);
	json_t *doc = NULL;

	E(audit_report_build(&doc, f->log, txn, &o));
	mdb_txn_abort(txn);
	return doc;
}

static char *text(const json_t *doc)
{
	struct fx_mem m;

	fx_mem_open(&m);
	E(audit_report_text(m.fp, doc));
	return fx_mem_close(&m);
}

static void has(const char *txt, const char *want)
{
	if (strstr(txt, want) == NULL) {
		print_error("missing:\n%s\nin:\n", want);
		print_error("%s\n", txt);
		fail();
	}
}

/* No internal code: event codes, client ids, org ids, flag names. */
static void no_codes(const char *txt)
{
	static const char *const codes[] = {
		"case.show", "case.open", "client.add", "disclosure.notice", "match.notice", "lookup", "x.other",
		"pattern", "c-1", "c-10", "altrecht", "lister", "unknown-org", "after-hours",
		"anna", "dora",
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strstr(txt, codes[i]) != NULL)
			fail_msg("an internal code in the report: %s\nin:\n%s", codes[i], txt);
}

static const json_t *section(const json_t *doc, const char *id)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(doc, "sections"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
			return s;
	fail_msg("no section %s", id);
	return NULL;
}

static void test_dutch(void **state)
{
	struct fx f = fx_new();
	int calls = 0;
	json_t *doc;
	char *txt, *part2;

	fill(&f);
	doc = build(&f, "c-1", AUDIT_LANG_NL, true, "Petra Smits, fg@wijkteam.nl", &calls);
	txt = text(doc);
	has(txt, "Overzicht van het gebruik van uw gegevens\n"
		 "Organisatie: Sociaal wijkteam Zuid\n"
		 "Opgesteld op: 6 januari 2026, 10:00\n");
	has(txt, "1. Wat wij met uw gegevens deden\n\n  5 januari 2026\n"
		 "  - Sociaal wijkteam Zuid heeft uw gegevens vastgelegd.\n"
		 "  - Anna de Vries (wijkcoach) heeft een dossier voor u geopend.\n"
		 "  - Anna de Vries (wijkcoach) heeft uw dossier 3 keer bekeken.\n"
		 "  - Anna de Vries (wijkcoach) heeft opgezocht welke andere organisaties ook bij "
		 "u betrokken zijn, met als doel afstemming van de zorg.\n"
		 "  - Een medewerker (spv) heeft opgezocht welke andere organisaties ook bij u "
		 "betrokken zijn, met als doel afstemming van de zorg, maar dat werd geweigerd.\n"
		 "  - Anna de Vries (wijkcoach) heeft uw gegevens gebruikt, maar dat lukte niet.\n"
		 "\n  6 januari 2026\n"
		 "  - Anna de Vries (wijkcoach) heeft uw dossier bekeken.\n");
	part2 = strstr(txt, "2. Andere organisaties die weten dat wij bij u betrokken zijn\n");
	assert_non_null(part2);
	has(part2, "  5 januari 2026\n"
		   "  - Altrecht GGz en Lister kregen een melding dat wij bij u betrokken zijn, "
		   "toen wij opzochten wie er nog bij u betrokken is.\n"
		   "  - Altrecht GGz (een medewerker met de rol spv) heeft via de verwijsindex "
		   "gezien dat wij bij u betrokken zijn, met als doel een zorgsignaal.\n"
		   "  - Lister kreeg een melding dat wij ook bij u betrokken zijn (u staat bij ons "
		   "allebei ingeschreven).\n"
		   "\n  6 januari 2026\n"
		   "  - Een andere organisatie heeft via de verwijsindex gezien dat wij bij u "
		   "betrokken zijn.\n");
	/* the owed sections */
	has(txt, "3. Hoe lang wij dit bewaren\n  Wij bewaren dit logboek 5 jaar.");
	has(txt, "  Uw dossier bij ons loopt tot 5 januari 2027, de einddatum van uw toestemming");
	has(txt, "artikel 16 AVG");
	has(txt, "Autoriteit Persoonsgegevens: autoriteitpersoonsgegevens.nl");
	has(txt, "5. Vragen\n  Vragen over dit overzicht of over uw gegevens? Neem contact op met "
		 "onze functionaris gegevensbescherming: Petra Smits, fg@wijkteam.nl\n");
	no_codes(txt);
	assert_null(strstr(txt, "crisis")); /* nothing of c-10 */
	assert_null(strstr(txt, "signaal van de verwijsindex")); /* no pattern flags */
	assert_true(calls >= 3);
	/* the structure the web renders: the same content */
	assert_int_equal(json_array_size(json_object_get(doc, "sections")), 5);
	assert_int_equal(json_array_size(json_object_get(section(doc, "use"), "days")), 2);
	assert_int_equal(json_array_size(json_object_get(section(doc, "partners"), "days")), 2);
	free(txt);
	json_decref(doc);

	/* a client without records; no contact set: the organisation */
	doc = build(&f, "c-99", AUDIT_LANG_NL, true, NULL, &calls);
	txt = text(doc);
	has(txt, "  Niemand heeft uw gegevens gebruikt.\n");
	has(txt, "  Geen andere organisatie heeft via de verwijsindex gezien");
	has(txt, "Neem contact op met Sociaal wijkteam Zuid.");
	has(txt, "U heeft bij ons geen lopend dossier.");
	free(txt);
	json_decref(doc);
	fx_free(&f);
}

static void test_english_roles(void **state)
{
	struct fx f = fx_new();
	int calls = 0;
	json_t *doc;
	char *txt;

	fill(&f);
	doc = build(&f, "c-1", AUDIT_LANG_EN, false, NULL, &calls);
	txt = text(doc);
	has(txt, "Overview of the use of your data\n");
	has(txt, "  5 January 2026\n");
	has(txt, "  - A staff member (wijkcoach) viewed your case 3 times.\n");
	has(txt, "  - A staff member (wijkcoach) opened a case for you.\n");
	has(txt, "looked up which other organisations are also involved with you, for "
		 "coordination of care, but this was refused.\n");
	has(txt, "  - Altrecht GGz (a staff member with the role spv) learned through the "
		 "federation that we are involved with you, for a concern.\n");
	has(txt, "article 16 GDPR");
	has(txt, "autoriteitpersoonsgegevens.nl");
	assert_null(strstr(txt, "Anna")); /* roles only */
	assert_int_equal(calls, 0);
	no_codes(txt);
	free(txt);
	json_decref(doc);
	fx_free(&f);
}

/* Every code in the table has both sentences with one count marker; an
 * unknown code gets the generic sentence, never the code. */
static void test_words(void **state)
{
	char out[256];

	for (size_t i = 0; i < audit_event_count(); i++) {
		const audit_event_words *w = audit_event_at(i);

		assert_non_null(strstr(w->sentence_nl, "%n"));
		assert_non_null(strstr(w->sentence_en, "%n"));
		assert_true(w->name_nl[0] && w->name_en[0]);
		assert_ptr_equal(audit_event_find(w->code), w);
	}
	assert_string_equal(audit_event_sentence("no.such", AUDIT_LANG_NL),
			    "heeft uw gegevens%n gebruikt");
	audit_sentence_count(out, sizeof(out), "heeft uw dossier%n bekeken", 3, AUDIT_LANG_NL);
	assert_string_equal(out, "heeft uw dossier 3 keer bekeken");
	audit_sentence_count(out, sizeof(out), "viewed your case%n", 1, AUDIT_LANG_EN);
	assert_string_equal(out, "viewed your case");
	audit_date_words(out, fx_ms("2026-12-07T14:05:00"), AUDIT_LANG_NL, true);
	assert_string_equal(out, "7 december 2026, 14:05");
	audit_date_words(out, fx_ms("2026-12-07T14:05:00"), AUDIT_LANG_EN, false);
	assert_string_equal(out, "7 December 2026");
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
		cmocka_unit_test(test_english_roles),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_lang),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
