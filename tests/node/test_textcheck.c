#include <string.h>

#include "node/textcheck.h"
#include "test_util.h"

static node_text_verdict check(const char *s)
{
	return node_text_check(s, strlen(s), NULL);
}

static void test_bsn(void **state)
{
	size_t at = 99;

	assert_int_equal(check("client 111222333 is bekend"), NODE_TEXT_BSN);
	assert_int_equal(node_text_check("bsn: 1234.56.782", 16, &at), NODE_TEXT_BSN);
	assert_int_equal(at, 5);
	assert_int_equal(check("123 456 782"), NODE_TEXT_BSN);
	assert_int_equal(check("1234-56-782."), NODE_TEXT_BSN);
	/* nine digits that fail the elfproef, or ten digits, are no BSN */
	assert_int_equal(check("ticket 123456789"), NODE_TEXT_OK);
	assert_int_equal(check("tel 0612345678"), NODE_TEXT_OK);
	assert_int_equal(check("1112223330"), NODE_TEXT_OK);
	/* next to other numbers: found in its own group */
	assert_int_equal(check("111222333 0612345678"), NODE_TEXT_BSN);
	assert_int_equal(check("06 1234 5678 en 123 456 782"), NODE_TEXT_BSN);
	/* a BSN outranks a date in the same text */
	assert_int_equal(check("12-03-1980 en 111222333"), NODE_TEXT_BSN);
}

static void test_dates(void **state)
{
	assert_int_equal(check("geboren 12-03-1980"), NODE_TEXT_DATE);
	assert_int_equal(check("op 1/3/1980"), NODE_TEXT_DATE);
	assert_int_equal(check("sinds 1980-03-12"), NODE_TEXT_DATE);
	assert_int_equal(check("geboren 12 maart 1980, woont alleen"), NODE_TEXT_DATE);
	assert_int_equal(check("12 March 1980"), NODE_TEXT_DATE);
	assert_int_equal(check("overleg op 12-03"), NODE_TEXT_OK); /* no year */
	assert_int_equal(check("in 1980 verhuisd"), NODE_TEXT_OK);
}

static void test_addresses(void **state)
{
	assert_int_equal(check("woont op 3512 AB 14"), NODE_TEXT_ADDRESS);
	assert_int_equal(check("Oudegracht 12, 3511AB Utrecht"), NODE_TEXT_ADDRESS);
	assert_int_equal(check("postcode 3512 AB"), NODE_TEXT_OK); /* no house number */
	assert_int_equal(check("zorgen over schulden en woonsituatie; afstemming nodig"),
			 NODE_TEXT_OK);
	assert_string_equal(node_text_verdict_msg(NODE_TEXT_BSN),
			    "the text holds a BSN; remove it: a case discussion is anonymous");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bsn),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
