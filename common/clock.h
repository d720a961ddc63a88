/* The wall clock every time check of schakel reads. Tests of hour-old
 * checkpoints shift it: with --dev (and only then) the signed offset in
 * SCHAKEL_DEV_CLOCK_OFFSET_MS is added. */
#ifndef SK_CLOCK_H
#define SK_CLOCK_H

#include <stdint.h>

#define SK_CLOCK_OFFSET_ENV "SCHAKEL_DEV_CLOCK_OFFSET_MS"

/* UTC milliseconds since the epoch, plus the dev offset when allowed. */
uint64_t sk_clock_now_ms(void);

/* Lets sk_clock_now_ms() honour SK_CLOCK_OFFSET_ENV for the rest of the
 * process; called by the CLI for --dev and nowhere else. */
void sk_clock_allow_offset(void);

#endif
