#include <string.h>

#include "crypto/bsn.h"
#include "test_util.h"

/* Test BSNs that pass the elfproef (published test numbers, no residents). */
static const char *const valid[] = {"111222333", "123456782", "999999990", "000000012"};
static const char *const invalid[] = {
	"111222334", /* elfproef fails */
	"123456789", /* elfproef fails */
	"000000000", /* zero is not a BSN */
	"12345678",  /* eight digits */
	"1234567820", /* ten digits */
	"12345678a", " 11122233", "111 22333", "11122233\n", "", "-11222333",
};

static void test_valid(void **state)
{
	bsn b;

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		E(bsn_parse(&b, valid[i]));
		assert_string_equal(b.digits, valid[i]);
	}
}

static void test_invalid(void **state)
{
	bsn b;

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		memset(&b, 0xa5, sizeof(b));
		EFAIL(bsn_parse(&b, invalid[i]), SK_ERR_BSN);
		/* nothing of a rejected input is left behind */
		for (size_t j = 0; j < sizeof(b.digits); j++)
			assert_int_equal(b.digits[j], 0);
	}
	EFAIL(bsn_parse(&b, NULL), SK_ERR_BSN);
}

/* Every single-digit change of a valid BSN breaks the elfproef. */
static void test_single_digit_errors(void **state)
{
	char s[10];
	bsn b;

	for (int pos = 0; pos < 9; pos++) {
		for (char c = '0'; c <= '9'; c++) {
			memcpy(s, "123456782", 10);
			if (s[pos] == c)
				continue;
			s[pos] = c;
			EFAIL(bsn_parse(&b, s), SK_ERR_BSN);
		}
	}
}

static void test_token_input(void **state)
{
	bsn b;
	uint8_t in[BSN_INPUT_BYTES];

	assert_int_equal(BSN_INPUT_BYTES, 24);
	E(bsn_parse(&b, "111222333"));
	bsn_token_input(in, &b);
	assert_memory_equal(in, "schakel/bsn/v1:111222333", 24);
}

static void test_split(void **state)
{
	uint8_t out[64], tok[32], ck[32];

	for (int i = 0; i < 64; i++)
		out[i] = (uint8_t)i;
	bsn_split_output(tok, ck, out);
	assert_memory_equal(tok, out, 32);
	assert_memory_equal(ck, out + 32, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_single_digit_errors),
		cmocka_unit_test(test_token_input),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
