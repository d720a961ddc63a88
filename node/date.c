#include <stdio.h>
#include <string.h>
#include <time.h>

#include "node/date.h"

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

sk_status node_date_parse(node_date *out, const char *s)
{
	int v[3] = {0, 0, 0};
	static const int len[3] = {4, 2, 2};
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strlen(s) != NODE_DATE_BYTES)
		return SK_ERR_INVALID;
	for (int f = 0; f < 3; f++) {
		for (int i = 0; i < len[f]; i++, pos++) {
			if (s[pos] < '0' || s[pos] > '9')
				return SK_ERR_INVALID;
			v[f] = v[f] * 10 + (s[pos] - '0');
		}
		if (f < 2 && s[pos++] != '-')
			return SK_ERR_INVALID;
	}
	if (v[0] < 1900 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > days_in(v[0], v[1]))
		return SK_ERR_INVALID;
	out->year = v[0];
	out->month = v[1];
	out->day = v[2];
	return SK_OK;
}

void node_date_format(char out[static NODE_DATE_BYTES + 1], const node_date *d)
{
	snprintf(out, NODE_DATE_BYTES + 1, "%04u-%02u-%02u", (unsigned)d->year % 10000u,
		 (unsigned)d->month % 100u, (unsigned)d->day % 100u);
}

node_date node_date_at(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	node_date d = {1970, 1, 1};

	if (localtime_r(&t, &tm) != NULL) {
		d.year = tm.tm_year + 1900;
		d.month = tm.tm_mon + 1;
		d.day = tm.tm_mday;
	}
	return d;
}

uint64_t node_date_ms(const node_date *d)
{
	/* days from civil (H. Hinnant's algorithm), no time zone involved */
	int y = d->year - (d->month <= 2);
	int era = y / 400;
	int yoe = y - era * 400;
	int mp = (d->month + 9) % 12;
	int doy = (153 * mp + 2) / 5 + d->day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = (long long)era * 146097 + doe - 719468;

	return days < 0 ? 0 : (uint64_t)days * 86400000ull;
}

int node_date_cmp(const node_date *a, const node_date *b)
{
	int x = a->year * 10000 + a->month * 100 + a->day;
	int y = b->year * 10000 + b->month * 100 + b->day;

	return (x > y) - (x < y);
}

int node_age(const node_date *birth, const node_date *today)
{
	int age;

	if (node_date_cmp(birth, today) > 0)
		return -1;
	age = today->year - birth->year;
	/* before this year's birthday; 29 Feb counts as 1 Mar in other years */
	if (today->month < birth->month ||
	    (today->month == birth->month && today->day < birth->day))
		age--;
	return age;
}
