/* The operator's journal of member changes (registry/journal.h): records
 * written and read back in order, the file 0600 and refused when others
 * may read it, and every change found: a record cut off, edited, removed
 * or moved, another key; nothing appended to a broken journal. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/file.h"
#include "common/init.h"
#include "registry/journal.h"

struct seen {
	char bodies[8][64];
	uint64_t times[8];
	size_t n;
	int stop_at;
};

static sk_status collect(const reg_journal_record *r, void *arg)
{
	struct seen *s = arg;

	assert_int_equal(r->seq, s->n + 1);
	if (s->stop_at > 0 && (int)r->seq == s->stop_at)
		return SK_ERR_EXISTS;
	if (s->n < 8) {
		snprintf(s->bodies[s->n], sizeof(s->bodies[0]), "%s", r->body);
		s->times[s->n] = r->time;
	}
	s->n++;
	return SK_OK;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *t = NULL;

	E(sk_file_read(path, REG_JOURNAL_MAX, &t, len));
	return t;
}

static void put(const char *path, const uint8_t *t, size_t len)
{
	E(sk_file_replace(path, t, len));
	assert_int_equal(chmod(path, 0600), 0);
}

/* The offset of the start of line n (1-based) in t. */
static size_t line_at(const uint8_t *t, size_t len, int n)
{
	size_t at = 0;

	for (int i = 1; i < n; i++) {
		const uint8_t *nl = memchr(t + at, '\n', len - at);

		assert_non_null(nl);
		at = (size_t)(nl - t) + 1;
	}
	return at;
}

static void expect_broken(const uint8_t *t, size_t len, const uint8_t *pk, const char *rec)
{
	struct seen s = {0};

	EFAIL(reg_journal_parse(t, len, pk, collect, &s, NULL, NULL), SK_ERR_VERIFY);
	assert_int_equal(s.n, 0); /* nothing handed on before all verified */
	assert_non_null(strstr(sk_error_detail(), rec));
}

static void test_journal(void **state)
{
	char *dir = t_tmpdir(), path[600];
	uint8_t seed[32] = {1}, *t = NULL, *u = NULL, head[32], zero[32] = {0};
	key_ed25519 id, other;
	struct seen s = {0};
	struct stat sb;
	uint64_t n = 0;
	size_t len = 0, at, len2;

	(void)state;
	E(sk_init());
	key_ed25519_from_seed(&id, seed);
	seed[0] = 2;
	key_ed25519_from_seed(&other, seed);
	snprintf(path, sizeof(path), "%s/registry.journal", dir);

	/* the empty journal: no file yet, then three records */
	E(reg_journal_parse((const uint8_t *)"", 0, id.pk, NULL, NULL, &n, head));
	assert_int_equal(n, 0);
	assert_memory_equal(head, zero, 32);
	E(reg_journal_append(path, &id, 1000, "{\"cmd\":\"revoke\",\"org\":\"a\"}"));
	E(reg_journal_append(path, &id, 2000, "{\"cmd\":\"quota\",\"org\":\"b\"}"));
	E(reg_journal_append(path, &id, 3000, "{\"cmd\":\"enrol\",\"org\":\"c\"}"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	E(reg_journal_read(path, id.pk, collect, &s, &n));
	assert_int_equal(n, 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.bodies[0], "{\"cmd\":\"revoke\",\"org\":\"a\"}");
	assert_string_equal(s.bodies[2], "{\"cmd\":\"enrol\",\"org\":\"c\"}");
	assert_int_equal(s.times[1], 2000);
	/* the callback's refusal stops the walk and comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	EFAIL(reg_journal_read(path, id.pk, collect, &s, NULL), SK_ERR_EXISTS);
	assert_int_equal(s.n, 1);
	/* under another key nothing verifies */
	t = slurp(path, &len);
	expect_broken(t, len, other.pk, "record 1");

	/* cut off inside the last record */
	expect_broken(t, len - 10, id.pk, "record 3");
	expect_broken(t, len - 1, id.pk, "record 3");
	/* a body edited (one base64 character of record 2) */
	u = malloc(len);
	memcpy(u, t, len);
	at = line_at(u, len, 2) + 120;
	u[at] = u[at] == 'A' ? 'B' : 'A';
	expect_broken(u, len, id.pk, "record 2");
	/* record 2 removed: record 3 is numbered 3 and chained to 2 */
	memcpy(u, t, len);
	at = line_at(u, len, 2);
	len2 = line_at(u, len, 3) - at;
	memmove(u + at, u + at + len2, len - at - len2);
	expect_broken(u, len - len2, id.pk, "record 2");
	/* record 2 of another journal of the same registry spliced in: signed,
	 * numbered 2, but not chained to this journal's record 1 */
	{
		char other_path[700];
		uint8_t *o2 = NULL;
		size_t olen = 0, oa, ol, ta, tl;

		snprintf(other_path, sizeof(other_path), "%s/other.journal", dir);
		E(reg_journal_append(other_path, &id, 1000, "{\"cmd\":\"revoke\",\"org\":\"x\"}"));
		E(reg_journal_append(other_path, &id, 2000, "{\"cmd\":\"quota\",\"org\":\"b\"}"));
		o2 = slurp(other_path, &olen);
		oa = line_at(o2, olen, 2);
		ol = olen - oa;
		ta = line_at(t, len, 2);
		tl = line_at(t, len, 3) - ta;
		free(u);
		u = malloc(len + ol);
		memcpy(u, t, ta);
		memcpy(u + ta, o2 + oa, ol);
		memcpy(u + ta + ol, t + ta + tl, len - ta - tl);
		expect_broken(u, len - tl + ol, id.pk, "record 2");
		free(o2);
		free(u);
		u = malloc(len);
	}
	/* a time changed */
	memcpy(u, t, len);
	at = line_at(u, len, 1) + 6; /* "sj1 1 1000": the first digit of the time */
	assert_int_equal(u[at], '1');
	u[at] = '9';
	expect_broken(u, len, id.pk, "record 1");

	/* nothing is appended to a broken journal, nor to one others may read */
	put(path, u, len);
	EFAIL(reg_journal_append(path, &id, 4000, "{\"cmd\":\"revoke\",\"org\":\"d\"}"),
	      SK_ERR_VERIFY);
	free(u);
	u = slurp(path, &len2);
	assert_int_equal(len2, len);
	free(u);
	put(path, t, len);
	assert_int_equal(chmod(path, 0640), 0);
	EFAIL(reg_journal_append(path, &id, 4000, "{\"cmd\":\"revoke\",\"org\":\"d\"}"),
	      SK_ERR_PERM);
	assert_int_equal(chmod(path, 0600), 0);
	E(reg_journal_append(path, &id, 4000, "{\"cmd\":\"revoke\",\"org\":\"d\"}"));
	E(reg_journal_read(path, id.pk, NULL, NULL, &n));
	assert_int_equal(n, 4);
	/* bodies out of bounds are refused before anything is written */
	EFAIL(reg_journal_append(path, &id, 5000, ""), SK_ERR_TOOBIG);
	free(t);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
