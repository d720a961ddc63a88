#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "test_util.h"
#include "tmpdir.h"

typedef struct captured {
	int n;
	sk_log_level lvl[4];
	char msg[4][SK_LOG_LINE_MAX];
} captured;

static void capture(sk_log_level lvl, const char *msg, void *arg)
{
	captured *c = arg;

	if (c->n < 4) {
		c->lvl[c->n] = lvl;
		snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s", msg);
	}
	c->n++;
}

/* A sink gets each line once, without newline; the threshold drops lines
 * above it; an overlong line is cut and says so. */
static void test_sink_and_level(void **state)
{
	captured c = {0};
	char big[3000];

	sk_log_set_sink(capture, &c);
	sk_log_set_level(SK_LOG_INFO);
	sk_log(SK_LOG_WARNING, "sync: %d entries published\n", 3);
	sk_log(SK_LOG_DEBUG, "not shown");
	sk_log_set_level(SK_LOG_DEBUG);
	sk_log(SK_LOG_DEBUG, "shown");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sk_log(SK_LOG_ERROR, "%s", big);
	sk_log_set_sink(NULL, NULL);
	sk_log_set_level(SK_LOG_INFO);

	assert_int_equal(c.n, 3);
	assert_int_equal(c.lvl[0], SK_LOG_WARNING);
	assert_string_equal(c.msg[0], "sync: 3 entries published");
	assert_string_equal(c.msg[1], "shown");
	assert_int_equal(strlen(c.msg[2]), SK_LOG_LINE_MAX - 1);
	assert_string_equal(c.msg[2] + SK_LOG_LINE_MAX - 4, "...");
	assert_string_equal(sk_log_level_name(SK_LOG_NOTICE), "notice");
}

/* Reads back what the logger wrote to stderr, redirected to path. */
static void logged_to(const char *path, char *out, size_t cap, const char *journal)
{
	int saved = dup(STDERR_FILENO), fd;
	struct stat st;
	char js[64];
	FILE *f;
	size_t n;

	assert_true(saved >= 0);
	f = fopen(path, "w+");
	assert_non_null(f);
	fd = fileno(f);
	assert_int_equal(fstat(fd, &st), 0);
	if (journal != NULL) {
		snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino + (strcmp(journal, "other") == 0));
		setenv("JOURNAL_STREAM", js, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	sk_log(SK_LOG_NOTICE, "cosign round: %s", "2 of 2");
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* On a terminal or file: "YYYY-MM-DDTHH:MM:SS.mmmZ level: message\n"; on
 * the journal's own stream: "<5>message\n"; a JOURNAL_STREAM naming
 * another file does not count. */
static void test_stderr_and_journal(void **state)
{
	char *dir = t_tmpdir(), path[512], got[256];

	snprintf(path, sizeof(path), "%s/log", dir);

	logged_to(path, got, sizeof(got), NULL);
	assert_int_equal(strlen(got), 24 + strlen(" notice: cosign round: 2 of 2\n"));
	assert_int_equal(got[4], '-');
	assert_int_equal(got[10], 'T');
	assert_int_equal(got[23], 'Z');
	assert_string_equal(got + 24, " notice: cosign round: 2 of 2\n");

	logged_to(path, got, sizeof(got), "journal");
	assert_string_equal(got, "<5>cosign round: 2 of 2\n");

	logged_to(path, got, sizeof(got), "other");
	assert_string_equal(got + 24, " notice: cosign round: 2 of 2\n");

	sk_log_set_name("schakel-registry");
	logged_to(path, got, sizeof(got), NULL);
	assert_string_equal(got + 24, " schakel-registry notice: cosign round: 2 of 2\n");
	logged_to(path, got, sizeof(got), "journal");
	assert_string_equal(got, "<5>cosign round: 2 of 2\n");
	sk_log_set_name(NULL);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sink_and_level),
		cmocka_unit_test(test_stderr_and_journal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
