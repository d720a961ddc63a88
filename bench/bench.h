/* Shared by the bench programs: a monotonic clock and one way to report a
 * figure, printed for the reader and appended as "key value" to the file
 * $BENCH_OUT for bench/run.sh, which writes build/bench.json. */
#ifndef SK_BENCH_H
#define SK_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_report(const char *key, double value, const char *unit,
				const char *what)
{
	const char *out = getenv("BENCH_OUT");
	FILE *f;

	printf("  %-44s %14.1f %-8s %s\n", key, value, unit, what);
	fflush(stdout);
	if (out != NULL && (f = fopen(out, "a")) != NULL) {
		fprintf(f, "%s %.3f\n", key, value);
		fclose(f);
	}
}

#define BENCH_DIE(...)                                              \
	do {                                                        \
		fprintf(stderr, "bench: " __VA_ARGS__);             \
		fprintf(stderr, "\n");                              \
		exit(1);                                            \
	} while (0)

#endif
