#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"

static atomic_int allow_offset;

void sk_clock_allow_offset(void)
{
	atomic_store(&allow_offset, 1);
}

/* The offset in ms, 0 unless allowed and well formed (at most ten years). */
static int64_t offset_ms(void)
{
	const char *s;
	char *end;
	long long v;

	if (!atomic_load(&allow_offset) || (s = getenv(SK_CLOCK_OFFSET_ENV)) == NULL || *s == 0)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != 0 || v > 315360000000LL || v < -315360000000LL)
		return 0;
	return v;
}

uint64_t sk_clock_now_ms(void)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	now += offset_ms();
	return now < 0 ? 0 : (uint64_t)now;
}
