/* The message table (web/msg.h): the library's own refusals, produced by
 * the library where a test can (age rules, flags, BSN), come out as Dutch
 * and English sentences with what to do; a connection failure is "the
 * registry is not reachable"; a detail the table does not know gets its
 * status's general sentence, never the English detail on a Dutch page;
 * and the status codes of the JSON API round-trip. */
#include <string.h>

#include "test_util.h"
#include "common/init.h"
#include "crypto/bsn.h"
#include "node/case.h"
#include "web/msg.h"

/* the library's detail after a refusal, through msg_text */
static const char *nl_of(sk_status st)
{
	return msg_text(st, sk_error_detail(), WEB_NL);
}

static void test_age_rules(void **state)
{
	node_date today = {2026, 12, 7}, ten = {2016, 6, 1}, fourteen = {2012, 6, 1}, adult = {1990, 1, 1};

	(void)state;
	sk_error_clear();
	EFAIL(node_consent_age_check(&ten, &today, NODE_BY_CLIENT), SK_ERR_INVALID);
	assert_non_null(strstr(nl_of(SK_ERR_INVALID), "jonger dan 12"));
	assert_non_null(strstr(msg_text(SK_ERR_INVALID, sk_error_detail(), WEB_EN), "under 12"));
	EFAIL(node_consent_age_check(&fourteen, &today, NODE_BY_CLIENT), SK_ERR_INVALID);
	assert_non_null(strstr(nl_of(SK_ERR_INVALID), "samen"));
	EFAIL(node_consent_age_check(&adult, &today, NODE_BY_PARENT), SK_ERR_INVALID);
	assert_non_null(strstr(nl_of(SK_ERR_INVALID), "16 of ouder"));
}

static void test_library_details(void **state)
{
	uint32_t flags;
	bsn b;

	(void)state;
	sk_error_clear();
	EFAIL(node_flags_parse("everything", &flags), SK_ERR_INVALID);
	assert_string_equal(nl_of(SK_ERR_INVALID), "Kies wat de cliënt toestaat.");
	EFAIL(bsn_parse(&b, "123456789"), SK_ERR_BSN);
	assert_non_null(strstr(nl_of(SK_ERR_BSN), "geen geldig BSN"));
	/* the sentences of node/discuss.c and net/conn.c */
	assert_non_null(strstr(msg_text(SK_ERR_PERM, "nobody has accepted this invitation yet", WEB_NL),
			       "Nog niemand heeft deze uitnodiging aangenomen"));
	assert_string_equal(msg_text(SK_ERR_IO, "cannot connect to 127.0.0.1:7400: Connection refused",
				     WEB_NL),
			    "De verwijsindex is nu niet bereikbaar; probeer het over een paar minuten opnieuw.");
	assert_string_equal(msg_text(SK_ERR_IO, "cannot connect to 127.0.0.1:7400: timed out", WEB_EN),
			    "The registry cannot be reached now; try again in a few minutes.");
	assert_string_equal(msg_text(SK_ERR_FAILED, NULL, WEB_NL),
			    "De verwijsindex is nu niet bereikbaar; probeer het over een paar minuten opnieuw.");
	assert_non_null(strstr(msg_text(SK_ERR_EXISTS, "this BSN is already registered as client c-3", WEB_NL),
			       "al geregistreerd"));
	/* node/tablecase.c's refusals of a table action; a closed table case is
	 * not taken for a closed case discussion */
	assert_non_null(strstr(msg_text(SK_ERR_PERM, "only a procesregisseur of the table schedules, "
						     "invites and records the outcome; bea is not one",
					WEB_NL),
			       "Alleen een procesregisseur"));
	assert_non_null(strstr(msg_text(SK_ERR_EXISTS, "case 0a9b has its outcome: it is closed", WEB_NL),
			       "heeft al een uitkomst"));
	assert_non_null(strstr(msg_text(SK_ERR_EXISTS, "altrecht takes part in this case already", WEB_NL),
			       "doet al mee"));
}

static void test_unknown_detail_is_never_shown(void **state)
{
	const char *odd = "a brand new English sentence nobody mapped";

	(void)state;
	for (int st = 1; st < SK_STATUS_COUNT; st++) {
		const char *nl = msg_text((sk_status)st, odd, WEB_NL);
		const char *en = msg_text((sk_status)st, odd, WEB_EN);

		assert_non_null(nl);
		assert_non_null(en);
		assert_null(strstr(nl, "English"));
		assert_null(strstr(en, "English"));
		assert_string_not_equal(nl, en);
		/* a sentence for people: it ends as one */
		assert_int_equal(nl[strlen(nl) - 1], '.');
		assert_int_equal(en[strlen(en) - 1], '.');
	}
	/* an unknown status too */
	assert_non_null(strstr(msg_text((sk_status)999, odd, WEB_NL), "Er ging iets mis"));
	assert_string_equal(msg_text(SK_ERR_INVALID, odd, WEB_NL), msg_text(SK_ERR_INVALID, NULL, WEB_NL));
}

static void test_codes_round_trip(void **state)
{
	(void)state;
	for (int st = 0; st < SK_STATUS_COUNT; st++) {
		assert_string_not_equal(msg_code((sk_status)st), "error");
		assert_int_equal(msg_status(msg_code((sk_status)st)), st);
	}
	assert_string_equal(msg_code(SK_ERR_IO), "io");
	assert_string_equal(msg_code((sk_status)999), "error");
	assert_int_equal(msg_status("nonsense"), SK_ERR_FAILED);
	assert_int_equal(msg_status(NULL), SK_ERR_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_rules),
		cmocka_unit_test(test_library_details),
		cmocka_unit_test(test_unknown_detail_is_never_shown),
		cmocka_unit_test(test_codes_round_trip),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
