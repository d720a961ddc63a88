#include <stdio.h>
#include <string.h>

#include "pseudonymiser/limit.h"

int ps_bucket_take(ps_bucket *b, uint64_t rate, uint64_t burst, uint64_t n, uint64_t now_ms)
{
	uint64_t cap = burst * 1000, elapsed;

	if (!b->primed) {
		b->milli = cap;
		b->last_ms = now_ms;
		b->primed = 1;
	}
	elapsed = now_ms > b->last_ms ? now_ms - b->last_ms : 0;
	b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
	/* rate tokens a second are rate thousandths a millisecond */
	if (b->milli < cap && rate > 0) {
		uint64_t need = cap - b->milli;

		if (elapsed >= need / rate + 1)
			b->milli = cap;
		else
			b->milli += elapsed * rate;
	}
	if (b->milli > cap)
		b->milli = cap; /* burst lowered since */
	if (n > burst || b->milli < n * 1000)
		return 0;
	b->milli -= n * 1000;
	return 1;
}

int ps_usage_roll(ps_usage *u, uint32_t today, uint32_t *closed_day, uint64_t *closed_count)
{
	int closed = 0;

	if (u->day >= today)
		return 0;
	if (u->count > u->audited) {
		*closed_day = u->day;
		*closed_count = u->count;
		closed = 1;
	}
	u->day = today;
	u->count = 0;
	u->audited = 0;
	return closed;
}

static int grant_live(const ps_grant *g, uint32_t today)
{
	return g != NULL && g->extra > 0 && (g->until_day == 0 || today <= g->until_day);
}

uint64_t ps_grant_left(const ps_usage *u, const ps_grant *g, uint32_t today)
{
	uint64_t used;

	if (!grant_live(g, today))
		return 0;
	used = u->grant_id == g->id ? u->grant_used : 0;
	return used < g->extra ? g->extra - used : 0;
}

sk_status ps_usage_charge(ps_usage *u, uint64_t n, uint64_t quota, const ps_grant *g,
			  uint32_t today)
{
	uint64_t within = u->count < quota ? quota - u->count : 0, beyond;

	if (u->day != today)
		return SK_ERR_INVALID; /* roll first */
	if (n <= within) {
		u->count += n;
		return SK_OK;
	}
	beyond = n - within;
	if (beyond > ps_grant_left(u, g, today))
		return SK_ERR_PERM;
	if (u->grant_id != g->id) {
		u->grant_id = g->id;
		u->grant_used = 0;
	}
	u->grant_used += beyond;
	u->count += n;
	return SK_OK;
}

uint32_t ps_day_of(uint64_t unix_ms)
{
	return (uint32_t)(unix_ms / PS_DAY_MS);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms, for years from 1970 on). */
static uint32_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	unsigned era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(uint32_t z, unsigned *y, unsigned *m, unsigned *d)
{
	unsigned long zz = (unsigned long)z + 719468, era = zz / 146097;
	unsigned long doe = zz - era * 146097;
	unsigned long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned long mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, size_t n, unsigned *out)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

sk_status ps_date_parse(const char *s, uint32_t *day)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d;
	int leap;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return SK_ERR_INVALID;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !leap))
		return SK_ERR_INVALID;
	*day = days_from_civil(y, m, d);
	return SK_OK;
}

void ps_date_format(char out[static PS_DATE_BYTES], uint32_t day)
{
	unsigned y, m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, PS_DATE_BYTES, "%04u-%02u-%02u", y % 10000, m % 100, d % 100);
}
