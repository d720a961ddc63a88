/* The pseudonymiser's limits: token bucket, daily quota with grants,
 * rollover at midnight UTC, and dates. */
#include <string.h>

#include "test_util.h"
#include "pseudonymiser/limit.h"

#define DAY 20500u /* 2026-02-16 */

static void test_bucket(void **state)
{
	ps_bucket b = {0};

	/* starts full: a burst at once, then nothing more */
	assert_true(ps_bucket_take(&b, 10, 100, 100, 1000));
	assert_false(ps_bucket_take(&b, 10, 100, 1, 1000));
	/* 10 a second: 99 ms give nothing whole, 100 ms give one */
	assert_false(ps_bucket_take(&b, 10, 100, 1, 1099));
	assert_true(ps_bucket_take(&b, 10, 100, 1, 1100));
	assert_false(ps_bucket_take(&b, 10, 100, 1, 1100));
	/* a refused take takes nothing */
	assert_false(ps_bucket_take(&b, 10, 100, 5, 1500));
	assert_true(ps_bucket_take(&b, 10, 100, 4, 1500));
	/* a long pause refills to the burst, not beyond */
	assert_true(ps_bucket_take(&b, 10, 100, 100, 1000000000));
	assert_false(ps_bucket_take(&b, 10, 100, 1, 1000000000));
	/* a batch larger than the burst never fits */
	memset(&b, 0, sizeof(b));
	assert_false(ps_bucket_take(&b, 10, 100, 101, 5));
	/* time going backwards refills nothing */
	assert_true(ps_bucket_take(&b, 10, 100, 100, 5000));
	assert_false(ps_bucket_take(&b, 10, 100, 1, 4000));
	/* a lowered burst caps what is stored */
	assert_true(ps_bucket_take(&b, 1000, 2000, 1, 100000));
	assert_false(ps_bucket_take(&b, 1000, 10, 11, 100000));
	assert_true(ps_bucket_take(&b, 1000, 10, 10, 100000));
	/* the largest rate and burst do not overflow */
	memset(&b, 0, sizeof(b));
	assert_true(ps_bucket_take(&b, PS_LIMIT_MAX, PS_LIMIT_MAX, PS_LIMIT_MAX, 1));
	assert_true(ps_bucket_take(&b, PS_LIMIT_MAX, PS_LIMIT_MAX, PS_LIMIT_MAX, 1ull << 62));
}

static void test_quota(void **state)
{
	ps_usage u = {.day = DAY};

	E(ps_usage_charge(&u, 3, 5, NULL, DAY));
	E(ps_usage_charge(&u, 2, 5, NULL, DAY));
	assert_int_equal(u.count, 5);
	/* counted in evaluations: one more is over, nothing charged */
	EFAIL(ps_usage_charge(&u, 1, 5, NULL, DAY), SK_ERR_PERM);
	assert_int_equal(u.count, 5);
	/* a batch that does not fit is refused whole */
	u = (ps_usage){.day = DAY, .count = 3};
	EFAIL(ps_usage_charge(&u, 3, 5, NULL, DAY), SK_ERR_PERM);
	assert_int_equal(u.count, 3);
	/* zero quota: nothing without a grant */
	u = (ps_usage){.day = DAY};
	EFAIL(ps_usage_charge(&u, 1, 0, NULL, DAY), SK_ERR_PERM);
	/* charging an unrolled day is a programming error, refused */
	EFAIL(ps_usage_charge(&u, 1, 5, NULL, DAY + 1), SK_ERR_INVALID);
}

static void test_grant(void **state)
{
	ps_grant g = {.id = 77, .extra = 10, .until_day = DAY + 1};
	ps_usage u = {.day = DAY, .count = 2};

	assert_int_equal(ps_grant_left(&u, &g, DAY), 10);
	/* 3 within the quota of 5, 3 from the grant */
	E(ps_usage_charge(&u, 6, 5, &g, DAY));
	assert_int_equal(u.count, 8);
	assert_int_equal(u.grant_id, 77);
	assert_int_equal(u.grant_used, 3);
	assert_int_equal(ps_grant_left(&u, &g, DAY), 7);
	/* beyond the quota everything comes from the grant */
	E(ps_usage_charge(&u, 6, 5, &g, DAY));
	assert_int_equal(ps_grant_left(&u, &g, DAY), 1);
	EFAIL(ps_usage_charge(&u, 2, 5, &g, DAY), SK_ERR_PERM);
	assert_int_equal(u.grant_used, 9);
	assert_int_equal(u.count, 14);
	/* the grant carries over to the next day, after the quota */
	E(ps_usage_charge(&(ps_usage){.day = DAY + 1}, 5, 5, &g, DAY + 1));
	u.day = DAY + 1;
	u.count = 5;
	E(ps_usage_charge(&u, 1, 5, &g, DAY + 1));
	assert_int_equal(ps_grant_left(&u, &g, DAY + 1), 0);
	/* it ends after its last day */
	u = (ps_usage){.day = DAY + 2, .count = 5, .grant_id = 77, .grant_used = 0};
	assert_int_equal(ps_grant_left(&u, &g, DAY + 2), 0);
	EFAIL(ps_usage_charge(&u, 1, 5, &g, DAY + 2), SK_ERR_PERM);
	/* a new grant (another id) starts unused */
	g = (ps_grant){.id = 78, .extra = 4, .until_day = 0};
	u = (ps_usage){.day = DAY, .count = 5, .grant_id = 77, .grant_used = 9};
	assert_int_equal(ps_grant_left(&u, &g, DAY + 9999), 4);
	E(ps_usage_charge(&u, 4, 5, &g, DAY));
	assert_int_equal(u.grant_id, 78);
	assert_int_equal(u.grant_used, 4);
	EFAIL(ps_usage_charge(&u, 1, 5, &g, DAY), SK_ERR_PERM);
	assert_int_equal(ps_grant_left(&u, NULL, DAY), 0);
}

static void test_rollover(void **state)
{
	ps_usage u = {.day = DAY, .count = 7, .audited = 0, .grant_id = 5, .grant_used = 2};
	uint32_t day = 0;
	uint64_t count = 0;

	/* the same day: nothing */
	assert_int_equal(ps_usage_roll(&u, DAY, &day, &count), 0);
	assert_int_equal(u.count, 7);
	/* the next day closes the old one for its audit record */
	assert_int_equal(ps_usage_roll(&u, DAY + 1, &day, &count), 1);
	assert_int_equal(day, DAY);
	assert_int_equal(count, 7);
	assert_int_equal(u.day, DAY + 1);
	assert_int_equal(u.count, 0);
	assert_int_equal(u.audited, 0);
	/* the grant's use is not daily */
	assert_int_equal(u.grant_used, 2);
	/* a day already audited in full (at a shutdown) is not recorded again */
	u = (ps_usage){.day = DAY, .count = 7, .audited = 7};
	assert_int_equal(ps_usage_roll(&u, DAY + 3, &day, &count), 0);
	assert_int_equal(u.day, DAY + 3);
	/* more after the shutdown record: a further record with the total */
	u = (ps_usage){.day = DAY, .count = 9, .audited = 7};
	assert_int_equal(ps_usage_roll(&u, DAY + 1, &day, &count), 1);
	assert_int_equal(count, 9);
	/* an empty day needs no record */
	u = (ps_usage){.day = DAY};
	assert_int_equal(ps_usage_roll(&u, DAY + 1, &day, &count), 0);
	/* a clock going back does not roll */
	u = (ps_usage){.day = DAY, .count = 3};
	assert_int_equal(ps_usage_roll(&u, DAY - 1, &day, &count), 0);
	assert_int_equal(u.day, DAY);
	assert_int_equal(ps_day_of(1771200000000ull), DAY);
	assert_int_equal(ps_day_of(1771199999999ull), DAY - 1);
}

static void test_dates(void **state)
{
	static const char *bad[] = {"", "2026-1-01", "2026-13-01", "2026-00-10", "2026-02-30",
				    "2025-02-29", "1969-12-31", "2026/01/01", "2026-01-01 ",
				    "+026-01-01", "20260101", "2026-01-0a"};
	char out[PS_DATE_BYTES];
	uint32_t day;

	E(ps_date_parse("1970-01-01", &day));
	assert_int_equal(day, 0);
	E(ps_date_parse("2026-02-16", &day));
	assert_int_equal(day, DAY);
	E(ps_date_parse("2024-02-29", &day));
	E(ps_date_parse("2000-02-29", &day));
	EFAIL(ps_date_parse("2100-02-29", &day), SK_ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EFAIL(ps_date_parse(bad[i], &day), SK_ERR_INVALID);
	EFAIL(ps_date_parse(NULL, &day), SK_ERR_INVALID);
	/* round trip over a few centuries */
	for (uint32_t d = 0; d < 200000; d += 7) {
		uint32_t back;

		ps_date_format(out, d);
		E(ps_date_parse(out, &back));
		assert_int_equal(back, d);
	}
	E(ps_date_parse("9999-12-31", &day));
	ps_date_format(out, day);
	assert_string_equal(out, "9999-12-31");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),   cmocka_unit_test(test_quota),
		cmocka_unit_test(test_grant),    cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
