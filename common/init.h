/* Process start-up shared by every binary and test: call sk_init() once,
 * before any other schakel function. */
#ifndef SK_INIT_H
#define SK_INIT_H

#include "common/status.h"

/* Initialises libsodium (random source, CPU features). Safe to call more
 * than once. */
sk_status sk_init(void) SK_MUST_CHECK;

#endif
