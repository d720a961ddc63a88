#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "audit/log.h"
#include "audit/record.h"
#include "common/db.h"
#include "common/file.h"
#include "common/init.h"
#include "common/writer.h"

struct fx {
	char *dir;
	MDB_env *env;
	audit_log *log;
};

static void fx_open(struct fx *f)
{
	E(sk_db_open(&f->env, f->dir, (size_t)1 << 30, 0));
	E(audit_log_open(&f->log, f->env));
}

static void fx_close(struct fx *f)
{
	audit_log_close(f->log);
	sk_db_close(f->env);
	f->log = NULL;
	f->env = NULL;
}

static struct fx fx_new(void)
{
	struct fx f = {t_tmpdir(), NULL, NULL};

	fx_open(&f);
	return f;
}

static void fx_free(struct fx *f)
{
	fx_close(f);
	t_rmdir(f->dir);
}

static MDB_txn *txn_begin(struct fx *f, MDB_txn *parent, unsigned flags)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(f->env, parent, flags, &txn)));
	return txn;
}

static void txn_commit(MDB_txn *txn)
{
	E(sk_db_status(mdb_txn_commit(txn)));
}

/* A typical node record; reason names i so that it is unique in the file. */
static audit_record sample(char reason[32], uint64_t i)
{
	snprintf(reason, 32, "reason-%04" PRIu64, i);
	return (audit_record){
		.org = "org-ggz",
		.system = "schakel-node",
		.event = "lookup",
		.action = AUDIT_ACTION_READ,
		.outcome = AUDIT_OUTCOME_OK,
		.reason = reason,
		.user = "prof-1",
		.role = "spv",
		.responsible = "root",
		.access_point = "cli",
		.client = "c-000123",
		.category = "ggz",
		.purpose = "afstemming",
		.legal_basis = "consent",
	};
}

/* Appends n records, per_txn in each write transaction; the head must move
 * with every append and agree with audit_log_head(). */
static void append_n(struct fx *f, uint64_t n, uint64_t per_txn)
{
	uint8_t head[AUDIT_HASH_BYTES], prev[AUDIT_HASH_BYTES], seen[AUDIT_HASH_BYTES];
	uint64_t seq, first, got;
	MDB_txn *txn = txn_begin(f, NULL, MDB_RDONLY);
	char reason[32];

	E(audit_log_head(f->log, txn, &first, prev));
	mdb_txn_abort(txn);
	for (uint64_t i = 0; i < n; i += per_txn) {
		txn = txn_begin(f, NULL, 0);
		for (uint64_t j = i; j < n && j < i + per_txn; j++) {
			audit_record r = sample(reason, first + j + 1);

			E(audit_log_append(f->log, txn, &r, &seq, head));
			assert_int_equal(seq, first + j + 1);
			assert_memory_not_equal(head, prev, AUDIT_HASH_BYTES);
			E(audit_log_head(f->log, txn, &got, seen));
			assert_int_equal(got, seq);
			assert_memory_equal(seen, head, AUDIT_HASH_BYTES);
			memcpy(prev, head, AUDIT_HASH_BYTES);
		}
		txn_commit(txn);
	}
}

static void verify_ok(struct fx *f, uint64_t want)
{
	MDB_txn *txn = txn_begin(f, NULL, MDB_RDONLY);
	uint64_t count = 99, bad = 99;

	E(audit_log_verify(f->log, txn, &count, &bad));
	mdb_txn_abort(txn);
	assert_int_equal(count, want);
	assert_int_equal(bad, 0);
}

static void verify_bad(struct fx *f, uint64_t want_bad)
{
	MDB_txn *txn = txn_begin(f, NULL, MDB_RDONLY);
	uint64_t count = 0, bad = 0;

	EFAIL(audit_log_verify(f->log, txn, &count, &bad), SK_ERR_VERIFY);
	mdb_txn_abort(txn);
	assert_int_equal(bad, want_bad);
	assert_int_equal(count, want_bad - 1);
	assert_non_null(strstr(sk_error_detail(), "audit record"));
}

static uint64_t head_seq(struct fx *f, uint8_t head[AUDIT_HASH_BYTES])
{
	MDB_txn *txn = txn_begin(f, NULL, MDB_RDONLY);
	uint8_t h[AUDIT_HASH_BYTES];
	uint64_t seq;

	E(audit_log_head(f->log, txn, &seq, head != NULL ? head : h));
	mdb_txn_abort(txn);
	return seq;
}

static void test_append_verify(void **state)
{
	struct fx f = fx_new();
	uint8_t zero[AUDIT_HASH_BYTES] = {0}, head[AUDIT_HASH_BYTES], h2[AUDIT_HASH_BYTES];
	MDB_txn *parent, *child;
	char reason[32];
	uint64_t seq;

	verify_ok(&f, 0); /* an empty log verifies */
	assert_int_equal(head_seq(&f, head), 0);
	assert_memory_equal(head, zero, AUDIT_HASH_BYTES);
	append_n(&f, 30, 10);
	verify_ok(&f, 30);

	/* inside nested transactions, as writer jobs run */
	parent = txn_begin(&f, NULL, 0);
	child = txn_begin(&f, parent, 0);
	for (int i = 0; i < 2; i++) {
		audit_record r = sample(reason, 100 + (uint64_t)i);

		E(audit_log_append(f.log, child, &r, &seq, NULL));
	}
	txn_commit(child);
	{
		audit_record r = sample(reason, 102);

		E(audit_log_append(f.log, parent, &r, &seq, head));
	}
	txn_commit(parent);
	assert_int_equal(seq, 33);
	assert_int_equal(head_seq(&f, h2), 33);
	assert_memory_equal(head, h2, AUDIT_HASH_BYTES);
	verify_ok(&f, 33);

	/* the log survives closing and reopening the env */
	fx_close(&f);
	fx_open(&f);
	verify_ok(&f, 33);
	append_n(&f, 5, 5);
	verify_ok(&f, 38);
	fx_free(&f);
}

/* An aborted transaction leaves no record and no head change, also when
 * only a nested transaction aborts. */
static void test_abort(void **state)
{
	struct fx f = fx_new();
	uint8_t before[AUDIT_HASH_BYTES], after[AUDIT_HASH_BYTES];
	MDB_txn *txn, *child;
	audit_record *got = NULL;
	char reason[32];
	uint64_t seq;

	append_n(&f, 4, 4);
	assert_int_equal(head_seq(&f, before), 4);
	txn = txn_begin(&f, NULL, 0);
	for (uint64_t i = 0; i < 5; i++) {
		audit_record r = sample(reason, 50 + i);

		E(audit_log_append(f.log, txn, &r, NULL, NULL));
	}
	mdb_txn_abort(txn);
	assert_int_equal(head_seq(&f, after), 4);
	assert_memory_equal(before, after, AUDIT_HASH_BYTES);
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	EFAIL(audit_log_get(f.log, txn, 5, &got), SK_ERR_NOTFOUND);
	assert_null(got);
	mdb_txn_abort(txn);
	verify_ok(&f, 4);

	txn = txn_begin(&f, NULL, 0);
	child = txn_begin(&f, txn, 0);
	{
		audit_record r = sample(reason, 60);

		E(audit_log_append(f.log, child, &r, &seq, NULL));
		assert_int_equal(seq, 5);
	}
	mdb_txn_abort(child);
	{
		audit_record r = sample(reason, 61);

		E(audit_log_append(f.log, txn, &r, &seq, NULL));
		assert_int_equal(seq, 5); /* no gap */
	}
	txn_commit(txn);
	verify_ok(&f, 5);
	fx_free(&f);
}

struct job {
	audit_log *log;
	uint64_t i;
	bool fail; /* append, then fail: the record must vanish */
};

static sk_status job_append(MDB_txn *txn, void *arg)
{
	struct job *j = arg;
	char reason[32];
	audit_record r = sample(reason, j->i);
	sk_status st = audit_log_append(j->log, txn, &r, NULL, NULL);

	if (st != SK_OK)
		return st;
	return j->fail ? SK_ERR_INVALID : SK_OK;
}

/* Through the real writer thread: each job in a nested transaction. */
static void test_writer(void **state)
{
	struct fx f = fx_new();
	struct job jobs[40];
	sk_writer *w = NULL;
	uint64_t ok = 0;

	E(sk_writer_start(&w, f.env, NULL, NULL, NULL));
	for (uint64_t i = 0; i < 40; i++) {
		jobs[i] = (struct job){f.log, i, i % 3 == 2};
		if (i % 2 == 0) {
			EFAIL(sk_writer_run(w, job_append, &jobs[i]),
			      jobs[i].fail ? SK_ERR_INVALID : SK_OK);
			continue;
		}
		/* some in batches: several jobs share one commit */
		E(sk_writer_submit(w, job_append, NULL, &jobs[i]));
	}
	sk_writer_stop(w);
	for (uint64_t i = 0; i < 40; i++)
		ok += !jobs[i].fail;
	assert_int_equal(head_seq(&f, NULL), ok);
	verify_ok(&f, ok);
	fx_free(&f);
}

static void assert_text(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void assert_same(const audit_record *got, const audit_record *want)
{
	assert_text(got->org, want->org);
	assert_text(got->system, want->system);
	assert_text(got->event, want->event);
	assert_int_equal(got->action, want->action);
	assert_int_equal(got->outcome, want->outcome);
	assert_text(got->reason, want->reason);
	assert_text(got->user, want->user);
	assert_text(got->role, want->role);
	assert_text(got->responsible, want->responsible);
	assert_text(got->access_point, want->access_point);
	assert_text(got->client, want->client);
	assert_text(got->category, want->category);
	assert_text(got->purpose, want->purpose);
	assert_text(got->legal_basis, want->legal_basis);
	assert_text(got->consent_ref, want->consent_ref);
	assert_text(got->correlation_id, want->correlation_id);
	assert_text(got->counterpart, want->counterpart);
	assert_int_equal(got->break_glass, want->break_glass);
	if (want->time_ms != 0)
		assert_int_equal(got->time_ms, want->time_ms);
	if (want->retain_until_ms != 0)
		assert_int_equal(got->retain_until_ms, want->retain_until_ms);
}

static const audit_record full = {
	.org = "org-wijkteam",
	.system = "schakel-registry",
	.event = "entry.publish",
	.action = AUDIT_ACTION_CREATE,
	.outcome = AUDIT_OUTCOME_DENIED,
	.reason = "policy: \"gemeente\" may not see ggz = refused",
	.user = "Zoë de Vries",
	.role = "POH-ggz",
	.responsible = "beheer",
	.access_point = "tls:org-wijkteam",
	.client = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	.category = "sociaal-team",
	.purpose = "signaal",
	.legal_basis = "statutory:meldcode",
	.consent_ref = "consent-7",
	.correlation_id = "0123456789abcdef0123456789abcdef",
	.counterpart = "org-ggz",
	.break_glass = true,
	.time_ms = 1767605400123ULL, /* 2026-01-05T09:30:00.123Z */
	.retain_until_ms = 1799141400123ULL,
};

/* Every field comes back from get() as appended, and the seq, id and
 * hashes are the ones the append reported. */
static void test_roundtrip(void **state)
{
	struct fx f = fx_new();
	audit_record min = {.org = "o", .system = "s", .event = "e", .action = AUDIT_ACTION_EXECUTE,
			    .outcome = AUDIT_OUTCOME_FAILED};
	audit_record empty = full, *got = NULL, *got2 = NULL;
	uint8_t head1[AUDIT_HASH_BYTES], head2[AUDIT_HASH_BYTES], zero[AUDIT_HASH_BYTES] = {0};
	MDB_txn *txn = txn_begin(&f, NULL, 0);
	uint64_t seq, before = (uint64_t)time(NULL) * 1000;

	empty.reason = "";
	empty.break_glass = false;
	E(audit_log_append(f.log, txn, &full, &seq, head1));
	E(audit_log_append(f.log, txn, &min, &seq, head2));
	E(audit_log_append(f.log, txn, &empty, &seq, NULL));
	audit_log_set_retention(f.log, 1000);
	E(audit_log_append(f.log, txn, &min, &seq, NULL));
	txn_commit(txn);

	txn = txn_begin(&f, NULL, MDB_RDONLY);
	E(audit_log_get(f.log, txn, 1, &got));
	assert_same(got, &full);
	assert_int_equal(got->seq, 1);
	assert_memory_equal(got->prev_hash, zero, AUDIT_HASH_BYTES);
	assert_memory_equal(got->hash, head1, AUDIT_HASH_BYTES);
	assert_memory_not_equal(got->id, zero, AUDIT_ID_BYTES);

	E(audit_log_get(f.log, txn, 2, &got2));
	assert_same(got2, &min); /* absent fields stay NULL */
	assert_int_equal(got2->seq, 2);
	assert_memory_equal(got2->prev_hash, head1, AUDIT_HASH_BYTES);
	assert_memory_equal(got2->hash, head2, AUDIT_HASH_BYTES);
	assert_memory_not_equal(got2->id, got->id, AUDIT_ID_BYTES);
	/* time 0 is now, retain-until 0 is time + the retention */
	assert_true(got2->time_ms >= before && got2->time_ms < before + 60000);
	assert_int_equal(got2->retain_until_ms, got2->time_ms + AUDIT_RETAIN_DEFAULT_MS);
	audit_record_free(got2);

	E(audit_log_get(f.log, txn, 3, &got2));
	assert_same(got2, &empty); /* "" stays "" */
	audit_record_free(got2);
	E(audit_log_get(f.log, txn, 4, &got2));
	assert_int_equal(got2->retain_until_ms, got2->time_ms + 1000);
	audit_record_free(got2);
	EFAIL(audit_log_get(f.log, txn, 5, &got2), SK_ERR_NOTFOUND);
	EFAIL(audit_log_get(f.log, txn, 0, &got2), SK_ERR_NOTFOUND);
	mdb_txn_abort(txn);

	/* formatting: the human line and JSON */
	{
		char line[AUDIT_LINE_MAX], small[64], hex[2 * AUDIT_HASH_BYTES + 1];
		json_t *j = NULL;

		E(audit_record_line(line, sizeof(line), got));
		assert_non_null(strstr(line, "1 2026-01-05T09:30:00.123Z org-wijkteam "
					     "schakel-registry entry.publish C denied "));
		assert_non_null(strstr(line, " reason=\"policy: \\\"gemeente\\\" may not see ggz"
					     " = refused\""));
		assert_non_null(strstr(line, " user=\"Zoë de Vries\" role=POH-ggz "));
		assert_non_null(strstr(line, " break_glass id="));
		assert_null(strchr(line, '\n'));
		EFAIL(audit_record_line(small, sizeof(small), got), SK_ERR_TOOBIG);
		assert_string_equal(small, "");

		E(audit_record_json(&j, got));
		sodium_bin2hex(hex, sizeof(hex), got->hash, AUDIT_HASH_BYTES);
		assert_string_equal(json_string_value(json_object_get(j, "hash")), hex);
		sodium_bin2hex(hex, sizeof(hex), got->id, AUDIT_ID_BYTES);
		assert_string_equal(json_string_value(json_object_get(j, "id")), hex);
		assert_int_equal(json_integer_value(json_object_get(j, "seq")), 1);
		assert_string_equal(json_string_value(json_object_get(j, "time")),
				    "2026-01-05T09:30:00.123Z");
		assert_string_equal(json_string_value(json_object_get(j, "action")), "C");
		assert_string_equal(json_string_value(json_object_get(j, "outcome")), "denied");
		assert_string_equal(json_string_value(json_object_get(j, "user")), "Zoë de Vries");
		assert_string_equal(json_string_value(json_object_get(j, "legal_basis")),
				    "statutory:meldcode");
		assert_true(json_is_true(json_object_get(j, "break_glass")));
		json_decref(j);

		/* absent fields are null in JSON and left out of the line */
		txn = txn_begin(&f, NULL, MDB_RDONLY);
		E(audit_log_get(f.log, txn, 2, &got2));
		mdb_txn_abort(txn);
		E(audit_record_json(&j, got2));
		assert_true(json_is_null(json_object_get(j, "client")));
		assert_true(json_is_false(json_object_get(j, "break_glass")));
		json_decref(j);
		E(audit_record_line(line, sizeof(line), got2));
		assert_non_null(strstr(line, "2 "));
		assert_non_null(strstr(line, " o s e E failed id="));
		assert_null(strstr(line, "client="));
		audit_record_free(got2);
	}
	audit_record_free(got);
	audit_record_free(NULL);
	verify_ok(&f, 4);
	fx_free(&f);
}

/* Refused records: nothing is written and the head stays. */
static void test_refuse(void **state)
{
	struct fx f = fx_new();
	char big[AUDIT_REASON_MAX + 2], reason[32];
	MDB_txn *txn;
	audit_record r;
	uint64_t seq;

	append_n(&f, 2, 2);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	txn = txn_begin(&f, NULL, 0);
#define REFUSE(field, value, want)                                              \
	do {                                                                    \
		r = sample(reason, 1);                                          \
		r.field = value;                                                \
		EFAIL(audit_log_append(f.log, txn, &r, &seq, NULL), want);       \
		EFAIL(audit_record_check(&r), want);                            \
	} while (0)
	/* never a BSN: nine digits passing the elfproef, in any text field */
	REFUSE(client, "123456782", SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "client looks like a BSN"));
	assert_null(strstr(sk_error_detail(), "123456782"));
	REFUSE(user, "111222333", SK_ERR_INVALID);
	REFUSE(reason, "999999990", SK_ERR_INVALID);
	/* over-long fields */
	big[AUDIT_FIELD_MAX + 1] = '\0';
	REFUSE(user, big, SK_ERR_TOOBIG);
	REFUSE(org, big, SK_ERR_TOOBIG);
	big[AUDIT_FIELD_MAX + 1] = 'x';
	big[AUDIT_REASON_MAX + 1] = '\0';
	REFUSE(reason, big, SK_ERR_TOOBIG);
	assert_non_null(strstr(sk_error_detail(), "reason is longer than 1024 bytes"));
	/* missing or empty required fields */
	REFUSE(org, NULL, SK_ERR_INVALID);
	REFUSE(system, "", SK_ERR_INVALID);
	REFUSE(event, NULL, SK_ERR_INVALID);
	/* event codes, text rules, enums and times */
	REFUSE(event, "Lookup", SK_ERR_INVALID);
	REFUSE(event, "look up", SK_ERR_INVALID);
	REFUSE(reason, "line\nbreak", SK_ERR_INVALID);
	REFUSE(reason, "tab\there", SK_ERR_INVALID);
	REFUSE(user, "del\x7f", SK_ERR_INVALID);
	REFUSE(user, "c1\xc2\x9b", SK_ERR_INVALID);
	REFUSE(user, "bad\xff", SK_ERR_INVALID);
	REFUSE(user, "overlong\xc0\xaf", SK_ERR_INVALID);
	REFUSE(user, "surrogate\xed\xa0\x80", SK_ERR_INVALID);
	REFUSE(user, "cut\xe2\x82", SK_ERR_INVALID);
	REFUSE(action, (audit_action)'X', SK_ERR_INVALID);
	REFUSE(action, (audit_action)0, SK_ERR_INVALID);
	REFUSE(outcome, (audit_outcome)0, SK_ERR_INVALID);
	REFUSE(outcome, (audit_outcome)4, SK_ERR_INVALID);
	REFUSE(time_ms, AUDIT_TIME_MAX + 1, SK_ERR_INVALID);
	r = sample(reason, 1);
	r.time_ms = 2000;
	r.retain_until_ms = 1000;
	EFAIL(audit_log_append(f.log, txn, &r, &seq, NULL), SK_ERR_INVALID);
#undef REFUSE
	/* what is not a BSN is fine, and so is the longest field */
	big[AUDIT_REASON_MAX + 1] = 'x';
	big[AUDIT_REASON_MAX] = '\0';
	r = sample(reason, 1);
	r.client = "123456789"; /* fails the elfproef */
	r.user = "12345678";
	r.reason = big;
	r.purpose = "€uro ✓ 𝄞";
	E(audit_log_append(f.log, txn, &r, &seq, NULL));
	assert_int_equal(seq, 3);
	txn_commit(txn);
	verify_ok(&f, 3);
	fx_free(&f);
}

/* Every field at its cap, full of characters that need escaping: the record
 * fits AUDIT_RECORD_MAX, views within AUDIT_SCRATCH_BYTES, and its line
 * fits AUDIT_LINE_MAX. */
static void test_max_record(void **state)
{
	struct fx f = fx_new();
	char q[AUDIT_FIELD_MAX + 1], reason[AUDIT_REASON_MAX + 1], ev[AUDIT_FIELD_MAX + 1];
	char line[AUDIT_LINE_MAX];
	audit_record r, *got = NULL;
	MDB_txn *txn;
	json_t *j = NULL;

	memset(q, '"', AUDIT_FIELD_MAX);
	q[AUDIT_FIELD_MAX] = '\0';
	memset(ev, 'a', AUDIT_FIELD_MAX);
	ev[AUDIT_FIELD_MAX] = '\0';
	memset(reason, '\\', AUDIT_REASON_MAX);
	reason[AUDIT_REASON_MAX] = '\0';
	r = (audit_record){.org = q, .system = q, .event = ev, .action = AUDIT_ACTION_UPDATE,
			   .outcome = AUDIT_OUTCOME_OK, .reason = reason, .user = q, .role = q,
			   .responsible = q, .access_point = q, .client = q, .category = q,
			   .purpose = q, .legal_basis = q, .consent_ref = q,
			   .correlation_id = q, .counterpart = q, .break_glass = true,
			   .time_ms = AUDIT_TIME_MAX, .retain_until_ms = AUDIT_TIME_MAX};
	txn = txn_begin(&f, NULL, 0);
	E(audit_log_append(f.log, txn, &r, NULL, NULL));
	txn_commit(txn);
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	E(audit_log_get(f.log, txn, 1, &got));
	mdb_txn_abort(txn);
	assert_same(got, &r);
	E(audit_record_line(line, sizeof(line), got));
	assert_non_null(strstr(line, "9999-12-31T23:59:59.999Z"));
	E(audit_record_json(&j, got));
	json_decref(j);
	audit_record_free(got);
	verify_ok(&f, 1);
	fx_free(&f);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *buf;

	if (fd < 0 || fstat(fd, &st) != 0)
		fail_msg("cannot open %s", path);
	buf = malloc((size_t)st.st_size);
	if (buf == NULL || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		fail_msg("cannot read %s", path);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Writes byte at offset off of every occurrence of needle in the closed
 * env's data.mdb (LMDB may keep stale copies in free pages, so all of
 * them); returns how many it changed. */
static int patch_bytes(const char *dir, const void *needle, size_t n, size_t off,
		       uint8_t byte)
{
	char path[512];
	size_t len;
	uint8_t *buf;
	int fd, hits = 0;

	E(sk_path_join(path, sizeof(path), dir, "data.mdb"));
	buf = slurp(path, &len);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(buf + i, needle, n) != 0)
			continue;
		assert_int_equal(pwrite(fd, &byte, 1, (off_t)(i + off)), 1);
		hits++;
	}
	close(fd);
	free(buf);
	return hits;
}

static int patch_file(const char *dir, const char *needle, size_t off, uint8_t byte)
{
	return patch_bytes(dir, needle, strlen(needle), off, byte);
}

/* One byte of one record changed on disk, behind LMDB's back: verify
 * names that record; get() and scan() refuse it; undoing the change
 * restores the chain. */
static void test_tamper_file(void **state)
{
	struct fx f = fx_new();
	audit_record *got = NULL;
	MDB_txn *txn;

	append_n(&f, 60, 7);
	verify_ok(&f, 60);
	fx_close(&f);
	assert_true(patch_file(f.dir, "reason-0042", 0, 'R') >= 1);
	fx_open(&f);
	verify_bad(&f, 42);
	assert_non_null(strstr(sk_error_detail(), "audit record 42 is altered"));
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	EFAIL(audit_log_get(f.log, txn, 42, &got), SK_ERR_VERIFY);
	assert_null(got);
	E(audit_log_get(f.log, txn, 41, &got));
	audit_record_free(got);
	mdb_txn_abort(txn);

	/* undo: the chain is whole again */
	fx_close(&f);
	assert_true(patch_file(f.dir, "Reason-0042", 0, 'r') >= 1);
	fx_open(&f);
	verify_ok(&f, 60);

	/* a control character: the record no longer decodes */
	fx_close(&f);
	assert_true(patch_file(f.dir, "reason-0017", 6, '\n') >= 1);
	fx_open(&f);
	verify_bad(&f, 17);
	assert_non_null(strstr(sk_error_detail(), "not a valid audit record"));

	/* the stored hash itself */
	fx_close(&f);
	assert_true(patch_file(f.dir, "reason\n0017", 6, '-') >= 1);
	fx_open(&f);
	verify_ok(&f, 60);
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	E(audit_log_get(f.log, txn, 9, &got));
	mdb_txn_abort(txn);
	fx_close(&f);
	/* record 9's hash, stored after it and as record 10's prev_hash */
	assert_true(patch_bytes(f.dir, got->hash, AUDIT_HASH_BYTES, 3,
				(uint8_t)(got->hash[3] ^ 1)) >= 2);
	audit_record_free(got);
	fx_open(&f);
	verify_bad(&f, 9);
	fx_free(&f);
}

static MDB_dbi records_dbi(MDB_txn *txn)
{
	MDB_dbi dbi;

	E(sk_db_status(mdb_dbi_open(txn, AUDIT_DB_RECORDS, 0, &dbi)));
	return dbi;
}

static void del_record(struct fx *f, uint64_t seq)
{
	MDB_txn *txn = txn_begin(f, NULL, 0);
	uint8_t kb[8];
	MDB_val k = {8, kb};

	for (int i = 0; i < 8; i++)
		kb[i] = (uint8_t)(seq >> (56 - 8 * i));
	E(sk_db_status(mdb_del(txn, records_dbi(txn), &k, NULL)));
	txn_commit(txn);
}

static void test_delete(void **state)
{
	struct fx f = fx_new();

	append_n(&f, 30, 30);
	del_record(&f, 17);
	verify_bad(&f, 17);
	assert_non_null(strstr(sk_error_detail(), "audit record 17 is missing"));
	fx_free(&f);

	f = fx_new();
	append_n(&f, 30, 30);
	del_record(&f, 1);
	verify_bad(&f, 1);
	fx_free(&f);

	f = fx_new(); /* the last one: the head still names it */
	append_n(&f, 30, 30);
	del_record(&f, 30);
	verify_bad(&f, 30);
	fx_free(&f);
}

static void test_swap(void **state)
{
	struct fx f = fx_new();
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k5[8] = {0, 0, 0, 0, 0, 0, 0, 5}, k9[8] = {0, 0, 0, 0, 0, 0, 0, 9};
	MDB_val a = {8, k5}, b = {8, k9}, va, vb;
	uint8_t *ca, *cb;
	size_t la, lb;

	append_n(&f, 12, 12);
	txn = txn_begin(&f, NULL, 0);
	dbi = records_dbi(txn);
	E(sk_db_status(mdb_get(txn, dbi, &a, &va)));
	E(sk_db_status(mdb_get(txn, dbi, &b, &vb)));
	la = va.mv_size;
	lb = vb.mv_size;
	ca = malloc(la);
	cb = malloc(lb);
	assert_non_null(ca);
	assert_non_null(cb);
	memcpy(ca, va.mv_data, la);
	memcpy(cb, vb.mv_data, lb);
	va = (MDB_val){lb, cb};
	vb = (MDB_val){la, ca};
	E(sk_db_status(mdb_put(txn, dbi, &a, &va, 0)));
	E(sk_db_status(mdb_put(txn, dbi, &b, &vb, 0)));
	txn_commit(txn);
	free(ca);
	free(cb);
	verify_bad(&f, 5);
	assert_non_null(strstr(sk_error_detail(), "another sequence number"));
	fx_free(&f);
}

static void put_head(struct fx *f, uint64_t seq, const uint8_t hash[AUDIT_HASH_BYTES],
		     size_t len)
{
	MDB_txn *txn = txn_begin(f, NULL, 0);
	MDB_dbi dbi;
	uint8_t v[8 + AUDIT_HASH_BYTES];
	MDB_val k = {4, "head"}, val = {len, v};

	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(seq >> (56 - 8 * i));
	memcpy(v + 8, hash, AUDIT_HASH_BYTES);
	E(sk_db_status(mdb_dbi_open(txn, AUDIT_DB_META, 0, &dbi)));
	if (len == 0)
		E(sk_db_status(mdb_del(txn, dbi, &k, NULL)));
	else
		E(sk_db_status(mdb_put(txn, dbi, &k, &val, 0)));
	txn_commit(txn);
}

/* The head must name the last record exactly. */
static void test_meta(void **state)
{
	struct fx f = fx_new();
	uint8_t head[AUDIT_HASH_BYTES], bad[AUDIT_HASH_BYTES];
	char reason[32];
	MDB_txn *txn;
	audit_record r = sample(reason, 1);

	append_n(&f, 10, 3);
	assert_int_equal(head_seq(&f, head), 10);
	memcpy(bad, head, sizeof(bad));
	bad[31] ^= 0x80;
	put_head(&f, 10, bad, 40);
	verify_bad(&f, 10);
	assert_non_null(strstr(sk_error_detail(), "head's hash differs"));
	put_head(&f, 11, head, 40);
	verify_bad(&f, 11);
	put_head(&f, 9, head, 40);
	verify_bad(&f, 10);
	/* appending onto a head that lags the records is refused */
	txn = txn_begin(&f, NULL, 0);
	EFAIL(audit_log_append(f.log, txn, &r, NULL, NULL), SK_ERR_VERIFY);
	mdb_txn_abort(txn);
	put_head(&f, 10, head, 39);
	verify_bad(&f, 10);
	txn = txn_begin(&f, NULL, 0);
	EFAIL(audit_log_append(f.log, txn, &r, NULL, NULL), SK_ERR_VERIFY);
	mdb_txn_abort(txn);
	put_head(&f, 0, head, 0); /* no head at all */
	verify_bad(&f, 1);
	put_head(&f, 10, head, 40);
	verify_ok(&f, 10);
	fx_free(&f);
}

struct scan_ctx {
	uint64_t next, calls, stop_at;
};

static sk_status scan_fn(const audit_record *rec, void *arg)
{
	struct scan_ctx *c = arg;

	if (rec->seq != c->next)
		return SK_ERR_INVALID;
	c->next++;
	c->calls++;
	return rec->seq == c->stop_at ? SK_ERR_EXISTS : SK_OK;
}

static void test_scan(void **state)
{
	struct fx f = fx_new();
	MDB_txn *txn;
	struct scan_ctx c;

	append_n(&f, 25, 25);
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	c = (struct scan_ctx){10, 0, 0};
	E(audit_log_scan(f.log, txn, 10, 20, scan_fn, &c));
	assert_int_equal(c.calls, 11);
	c = (struct scan_ctx){1, 0, 0};
	E(audit_log_scan(f.log, txn, 0, 0, scan_fn, &c));
	assert_int_equal(c.calls, 25);
	c = (struct scan_ctx){20, 0, 22};
	EFAIL(audit_log_scan(f.log, txn, 20, 0, scan_fn, &c), SK_ERR_EXISTS);
	assert_int_equal(c.calls, 3);
	c = (struct scan_ctx){26, 0, 0};
	E(audit_log_scan(f.log, txn, 26, 0, scan_fn, &c));
	E(audit_log_scan(f.log, txn, 20, 10, scan_fn, &c));
	assert_int_equal(c.calls, 0);
	mdb_txn_abort(txn);

	fx_close(&f);
	assert_true(patch_file(f.dir, "reason-0015", 0, 'R') >= 1);
	fx_open(&f);
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	c = (struct scan_ctx){10, 0, 0};
	EFAIL(audit_log_scan(f.log, txn, 10, 20, scan_fn, &c), SK_ERR_VERIFY);
	assert_int_equal(c.calls, 5);
	mdb_txn_abort(txn);
	fx_free(&f);
}

/* The decoder on damaged stored values: every bit flip is caught by the
 * decoder or the hash, every prefix fails the hash, garbage never parses. */
static void test_decode_damaged(void **state)
{
	struct fx f = fx_new();
	static uint8_t scratch[AUDIT_SCRATCH_BYTES];
	uint8_t kb[8] = {0, 0, 0, 0, 0, 0, 0, 1}, buf[AUDIT_STORED_MAX + 1], junk[512];
	MDB_val k = {8, kb}, v;
	MDB_txn *txn;
	audit_record view, *r = NULL;
	size_t len;

	append_n(&f, 1, 1);
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	E(sk_db_status(mdb_get(txn, records_dbi(txn), &k, &v)));
	len = v.mv_size;
	memcpy(buf, v.mv_data, len);
	mdb_txn_abort(txn);

	E(audit_record_view(&view, scratch, sizeof(scratch), buf, len));
	E(audit_record_verify(buf, len, view.prev_hash));
	EFAIL(audit_record_view(&view, scratch, AUDIT_SCRATCH_BYTES - 1, buf, len),
	      SK_ERR_INVALID);
	for (size_t i = 0; i < len * 8; i++) {
		sk_status st;

		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		st = audit_record_view(&view, scratch, sizeof(scratch), buf, len);
		if (st == SK_OK)
			EFAIL(audit_record_verify(buf, len, view.prev_hash), SK_ERR_VERIFY);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (size_t n = 0; n < len; n++) {
		EFAIL(audit_record_verify(buf, n, view.prev_hash), SK_ERR_VERIFY);
		if (audit_record_decode(&r, buf, n) == SK_OK)
			audit_record_free(r);
	}
	EFAIL(audit_record_decode(&r, buf, AUDIT_STORED_MAX + 1), SK_ERR_TOOBIG);
	EFAIL(audit_record_decode(&r, buf, 0), SK_ERR_INVALID);
	assert_null(r);
	for (int i = 0; i < 200; i++) {
		randombytes_buf(junk, sizeof(junk));
		EFAIL(audit_record_decode(&r, junk, 1 + (size_t)i * 2), SK_ERR_INVALID);
	}
	fx_free(&f);
}

static void test_helpers(void **state)
{
	char out[16], user[64];
	audit_action a;
	audit_outcome o;

	audit_text_clean(out, sizeof(out), "a\nb\tc\xff");
	assert_string_equal(out, "a?b?c?");
	audit_text_clean(out, 6, "ééé"); /* 5 bytes left: two characters */
	assert_string_equal(out, "éé");
	audit_text_clean(out, 1, "abc");
	assert_string_equal(out, "");
	audit_text_clean(out, sizeof(out), NULL);
	assert_string_equal(out, "");
	audit_text_clean(out, sizeof(out), "\xe2\x82\xac\xc2\x9b");
	assert_string_equal(out, "€??");

	E(audit_action_parse(&a, "D"));
	assert_int_equal(a, AUDIT_ACTION_DELETE);
	EFAIL(audit_action_parse(&a, "X"), SK_ERR_INVALID);
	EFAIL(audit_action_parse(&a, "CR"), SK_ERR_INVALID);
	EFAIL(audit_action_parse(&a, ""), SK_ERR_INVALID);
	E(audit_outcome_parse(&o, "denied"));
	assert_int_equal(o, AUDIT_OUTCOME_DENIED);
	EFAIL(audit_outcome_parse(&o, "OK"), SK_ERR_INVALID);
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_FAILED), "failed");
	assert_string_equal(audit_outcome_name((audit_outcome)9), "?");

	E(audit_os_user(user, sizeof(user)));
	assert_true(user[0] != '\0');
	EFAIL(audit_os_user(user, 1), SK_ERR_TOOBIG);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SPEED_RECORDS 100000

static void append_fast(struct fx *f, uint64_t n)
{
	char reason[32];

	for (uint64_t i = 0; i < n; i += 10000) {
		MDB_txn *txn = txn_begin(f, NULL, 0);

		for (uint64_t j = i; j < i + 10000 && j < n; j++) {
			audit_record r = sample(reason, j);

			E(audit_log_append(f->log, txn, &r, NULL, NULL));
		}
		txn_commit(txn);
	}
}

static void flip_record(struct fx *f, uint64_t seq)
{
	MDB_txn *txn = txn_begin(f, NULL, 0);
	MDB_dbi dbi = records_dbi(txn);
	uint8_t kb[8], *copy;
	MDB_val k = {8, kb}, v;

	for (int i = 0; i < 8; i++)
		kb[i] = (uint8_t)(seq >> (56 - 8 * i));
	E(sk_db_status(mdb_get(txn, dbi, &k, &v)));
	copy = malloc(v.mv_size);
	assert_non_null(copy);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size / 2] ^= 0x01;
	v.mv_data = copy;
	E(sk_db_status(mdb_put(txn, dbi, &k, &v, 0)));
	txn_commit(txn);
	free(copy);
}

/* A log long enough for verify's two threads: a break in either half, or
 * where they meet, is found and named as by one thread. */
#define SPLIT_RECORDS (AUDIT_VERIFY_SPLIT + 4001)
static void test_verify_split(void **state)
{
	const uint64_t meet = 1 + (SPLIT_RECORDS - 1) / 2; /* the second half's first */
	const uint64_t cases[][2] = {
		{0, 0},         /* untouched */
		{1, 50000},     /* flipped in the second half */
		{1, 100},       /* flipped in the first half */
		{2, meet - 1},  /* the first half's last, deleted */
		{2, meet},      /* the second half's first, deleted */
		{2, SPLIT_RECORDS},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f = fx_new();
		MDB_txn *txn;
		uint64_t count = 0, bad = 0;

		append_fast(&f, SPLIT_RECORDS);
		if (cases[i][0] == 1)
			flip_record(&f, cases[i][1]);
		else if (cases[i][0] == 2)
			del_record(&f, cases[i][1]);
		if (cases[i][0] == 0) {
			txn = txn_begin(&f, NULL, MDB_RDONLY);
			E(audit_log_verify(f.log, txn, &count, &bad));
			mdb_txn_abort(txn);
			assert_int_equal(count, SPLIT_RECORDS);
		} else {
			verify_bad(&f, cases[i][1]);
		}
		fx_free(&f);
	}
}

/* 100k records: how fast they append and verify. */
static void test_speed(void **state)
{
	struct fx f = fx_new();
	MDB_txn *txn;
	char reason[32];
	uint64_t count = 0, bad = 0;
	double t0, t1, t2;

	t0 = seconds();
	for (uint64_t i = 0; i < SPEED_RECORDS; i += 10000) {
		txn = txn_begin(&f, NULL, 0);
		for (uint64_t j = i; j < i + 10000; j++) {
			audit_record r = sample(reason, j);

			r.correlation_id = "0123456789abcdef0123456789abcdef";
			r.counterpart = "org-wijkteam";
			E(audit_log_append(f.log, txn, &r, NULL, NULL));
		}
		txn_commit(txn);
	}
	t1 = seconds();
	txn = txn_begin(&f, NULL, MDB_RDONLY);
	E(audit_log_verify(f.log, txn, &count, &bad));
	mdb_txn_abort(txn);
	t2 = seconds();
	assert_int_equal(count, SPEED_RECORDS);
	print_message("audit: %d records appended at %.0f records/s, verified at %.0f records/s\n",
		      SPEED_RECORDS, SPEED_RECORDS / (t1 - t0), SPEED_RECORDS / (t2 - t1));
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_verify),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_max_record),
		cmocka_unit_test(test_tamper_file),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_decode_damaged),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_speed),
		cmocka_unit_test(test_verify_split),
	};
	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
