/* Tiny helpers for cmocka tests: report file:line and the status string. */
#ifndef SK_TEST_UTIL_H
#define SK_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "common/status.h"

/* E(expr): expr must return SK_OK. */
#define E(expr)                                                                   \
	do {                                                                      \
		sk_status e_st_ = (expr);                                         \
		if (e_st_ != SK_OK)                                               \
			fail_msg("%s:%d: %s: %s", __FILE__, __LINE__, #expr,      \
				 sk_strerror(e_st_));                             \
	} while (0)

/* EFAIL(expr, want): expr must return exactly the status want. */
#define EFAIL(expr, want)                                                         \
	do {                                                                      \
		sk_status e_st_ = (expr);                                         \
		if (e_st_ != (want))                                              \
			fail_msg("%s:%d: %s: got \"%s\", want \"%s\"", __FILE__,  \
				 __LINE__, #expr, sk_strerror(e_st_),             \
				 sk_strerror(want));                              \
	} while (0)

/* Decode lowercase/uppercase hex into out (cap bytes); returns the length or
 * fails the test. */
static inline size_t t_hex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	for (; hex[0] != '\0'; hex += 2) {
		unsigned v;
		char b[3] = {hex[0], hex[1], 0};

		if (hex[1] == '\0' || n == cap)
			fail_msg("bad hex or too long for %zu bytes", cap);
		v = (unsigned)strtoul(b, NULL, 16);
		out[n++] = (uint8_t)v;
	}
	return n;
}

#endif
