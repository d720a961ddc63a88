/* What the fuzz harnesses share. */
#ifndef SK_FUZZ_CHECK_H
#define SK_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "common/status.h"

/* A setup step that must work: the harness stops loudly otherwise. */
#define CHECK(x)                                                                   \
	do {                                                                       \
		if ((x) != SK_OK) {                                                \
			fprintf(stderr, "fuzz setup: %s: %s\n", #x, sk_error_detail()); \
			abort();                                                   \
		}                                                                  \
	} while (0)

#endif
