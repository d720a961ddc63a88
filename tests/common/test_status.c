#include <string.h>

#include "test_util.h"

/* Every code has its own message; unknown codes say so. */
static void test_strerror(void **state)
{
	for (int i = 0; i < SK_STATUS_COUNT; i++) {
		const char *m = sk_strerror((sk_status)i);

		assert_non_null(m);
		assert_string_not_equal(m, "unknown status");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(m, sk_strerror((sk_status)j));
	}
	assert_string_equal(sk_strerror(SK_STATUS_COUNT), "unknown status");
	assert_string_equal(sk_strerror((sk_status)-1), "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
