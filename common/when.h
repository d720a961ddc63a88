/* Times for people: one format everywhere a page or the command line shows
 * a moment, in the local time zone (TZ): "7 december 2026, 14:05" in
 * Dutch, "7 December 2026, 14:05" in English. Exports and wire formats
 * keep their ISO 8601 UTC (audit/record.h). */
#ifndef SK_WHEN_H
#define SK_WHEN_H

#include <stdint.h>

#define SK_WHEN_BYTES 48 /* the longest output, NUL included */

typedef enum sk_when_lang { SK_WHEN_NL = 0, SK_WHEN_EN = 1 } sk_when_lang;

/* ms (unix ms, UTC) as a local date and time; "-" for 0, "?" for a time
 * localtime_r cannot represent. */
void sk_when(char out[static SK_WHEN_BYTES], uint64_t ms, sk_when_lang lang);
/* Just the date, "7 december 2026". */
void sk_when_date(char out[static SK_WHEN_BYTES], uint64_t ms, sk_when_lang lang);

#endif
