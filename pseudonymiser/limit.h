/* The pseudonymiser's per-org limits as pure functions of the time given:
 * a token bucket for the evaluation rate, and the daily quota with an
 * operator grant (a pool of extra evaluations for bulk onboarding) and its
 * rollover at midnight UTC, which closes a day's total for the audit log.
 * Days are UTC day numbers (days since 1970-01-01). */
#ifndef SK_PS_LIMIT_H
#define SK_PS_LIMIT_H

#include <stdint.h>

#include "common/status.h"

#define PS_DAY_MS 86400000ULL
#define PS_RATE_DEFAULT 200    /* evaluations per second per org */
#define PS_BURST_DEFAULT 2000  /* evaluations at once per org */
#define PS_QUOTA_DEFAULT 5000  /* evaluations per day per org */
#define PS_LIMIT_MAX 1000000000ULL /* cap on every configured number */
#define PS_DATE_BYTES 11       /* "YYYY-MM-DD" and NUL */

/* A token bucket: rate tokens a second up to burst. Counted in
 * thousandths so that integer arithmetic refills smoothly. Zero-initialise;
 * the first take finds it full. */
typedef struct ps_bucket {
	uint64_t milli;   /* tokens * 1000 */
	uint64_t last_ms; /* monotonic time of the last refill */
	int primed;
} ps_bucket;

/* Takes n tokens at now_ms (monotonic) after refilling: 1 when taken,
 * 0 when not enough are there (nothing is taken). rate and burst are at
 * most PS_LIMIT_MAX; a batch larger than burst never fits. */
int ps_bucket_take(ps_bucket *b, uint64_t rate, uint64_t burst, uint64_t n, uint64_t now_ms);

/* An operator grant: extra evaluations beyond the daily quota, used up
 * across days, until the end of until_day (0: no end). id tells grants
 * apart (the time it was given): a new grant starts unused. */
typedef struct ps_grant {
	uint64_t id;
	uint64_t extra;
	uint32_t until_day;
} ps_grant;

/* One org's usage: evaluations counted on day, how many of them are
 * already in an audit record, and how much of grant grant_id is used. */
typedef struct ps_usage {
	uint32_t day;
	uint64_t count;
	uint64_t audited;
	uint64_t grant_id;
	uint64_t grant_used;
} ps_usage;

/* Moves u to today if it counts an earlier day. Returns 1 when that day
 * still needs an audit record (its count exceeds what was audited): then
 * *closed_day and *closed_count hold it. 0 otherwise. */
int ps_usage_roll(ps_usage *u, uint32_t today, uint32_t *closed_day, uint64_t *closed_count);

/* Charges n evaluations to u (already rolled to today) against quota and,
 * beyond it, the grant g (NULL: none): SK_OK, or SK_ERR_PERM with nothing
 * charged when they do not fit. */
sk_status ps_usage_charge(ps_usage *u, uint64_t n, uint64_t quota, const ps_grant *g,
			  uint32_t today) SK_MUST_CHECK;

/* What is left of g for u at today (0 when expired or absent). */
uint64_t ps_grant_left(const ps_usage *u, const ps_grant *g, uint32_t today);

/* The UTC day of a Unix time in ms. */
uint32_t ps_day_of(uint64_t unix_ms);

/* Parses exactly "YYYY-MM-DD" (a real date, 1970..9999) into its day
 * number. SK_ERR_INVALID otherwise. */
sk_status ps_date_parse(const char *s, uint32_t *day) SK_MUST_CHECK;

/* Formats a day number as "YYYY-MM-DD". */
void ps_date_format(char out[static PS_DATE_BYTES], uint32_t day);

#endif
