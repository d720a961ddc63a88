/* Times for people (common/when.h). */
#include <stdio.h>
#include <time.h>

#include "common/when.h"

#define WHEN_MAX_MS 253402300799999ULL /* 9999-12-31T23:59:59.999Z */

static const char *const months[2][12] = {
	{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
	 "oktober", "november", "december"},
	{"January", "February", "March", "April", "May", "June", "July", "August", "September",
	 "October", "November", "December"},
};

static int when_tm(uint64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms / 1000);

	return ms <= WHEN_MAX_MS && localtime_r(&t, tm) != NULL;
}

void sk_when(char out[static SK_WHEN_BYTES], uint64_t ms, sk_when_lang lang)
{
	struct tm tm;

	if (ms == 0)
		snprintf(out, SK_WHEN_BYTES, "-");
	else if (!when_tm(ms, &tm))
		snprintf(out, SK_WHEN_BYTES, "?");
	else
		snprintf(out, SK_WHEN_BYTES, "%d %s %d, %02d:%02d", tm.tm_mday,
			 months[lang == SK_WHEN_EN][tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
			 tm.tm_min);
}

void sk_when_date(char out[static SK_WHEN_BYTES], uint64_t ms, sk_when_lang lang)
{
	struct tm tm;

	if (ms == 0)
		snprintf(out, SK_WHEN_BYTES, "-");
	else if (!when_tm(ms, &tm))
		snprintf(out, SK_WHEN_BYTES, "?");
	else
		snprintf(out, SK_WHEN_BYTES, "%d %s %d", tm.tm_mday,
			 months[lang == SK_WHEN_EN][tm.tm_mon], tm.tm_year + 1900);
}
