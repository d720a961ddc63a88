/* Times for people (common/when.h): one local format, "7 december 2026,
 * 14:05", in Dutch and English, across daylight saving time, and the
 * edges (0, out of range). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "common/when.h"

#define AT(s) ((uint64_t)(s) * 1000u)
/* 2026-12-07T13:05:00Z and 2026-07-01T12:00:00Z */
#define WINTER 1796648700ull
#define SUMMER 1782907200ull

static int amsterdam(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	return 0;
}

static void test_dutch_and_english(void **state)
{
	char t[SK_WHEN_BYTES];

	(void)state;
	sk_when(t, AT(WINTER), SK_WHEN_NL);
	assert_string_equal(t, "7 december 2026, 14:05");
	sk_when(t, AT(WINTER), SK_WHEN_EN);
	assert_string_equal(t, "7 December 2026, 14:05");
	/* summer time: UTC+2 */
	sk_when(t, AT(SUMMER), SK_WHEN_NL);
	assert_string_equal(t, "1 juli 2026, 14:00");
	sk_when_date(t, AT(SUMMER), SK_WHEN_NL);
	assert_string_equal(t, "1 juli 2026");
	sk_when_date(t, AT(WINTER), SK_WHEN_EN);
	assert_string_equal(t, "7 December 2026");
	/* milliseconds do not round up */
	sk_when(t, AT(WINTER) + 59999, SK_WHEN_NL);
	assert_string_equal(t, "7 december 2026, 14:05");
}

static void test_local_time_zone(void **state)
{
	char t[SK_WHEN_BYTES];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	sk_when(t, AT(WINTER), SK_WHEN_NL);
	assert_string_equal(t, "7 december 2026, 13:05");
	/* just before midnight UTC is the next day in Amsterdam */
	amsterdam(NULL);
	sk_when(t, AT(1796687999ull), SK_WHEN_NL); /* 2026-12-07T23:59:59Z */
	assert_string_equal(t, "8 december 2026, 00:59");
}

static void test_edges(void **state)
{
	char t[SK_WHEN_BYTES];

	(void)state;
	sk_when(t, 0, SK_WHEN_NL);
	assert_string_equal(t, "-");
	sk_when_date(t, 0, SK_WHEN_EN);
	assert_string_equal(t, "-");
	sk_when(t, UINT64_MAX, SK_WHEN_NL);
	assert_string_equal(t, "?");
	/* the last moment there is, in Amsterdam already the year 10000 */
	sk_when(t, 253402300799999ull, SK_WHEN_NL);
	assert_string_equal(t, "1 januari 10000, 00:59");
	sk_when(t, 253402300799999ull + 1, SK_WHEN_NL);
	assert_string_equal(t, "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dutch_and_english, amsterdam),
		cmocka_unit_test_setup(test_local_time_zone, amsterdam),
		cmocka_unit_test_setup(test_edges, amsterdam),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
