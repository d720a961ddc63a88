/* A real LMDB env with an audit log in a temp dir, and records appended
 * with chosen fields, for the tests of audit/query, export, report and
 * review. */
#ifndef SK_TEST_AUDIT_FX_H
#define SK_TEST_AUDIT_FX_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "tmpdir.h"
#include "audit/log.h"
#include "common/db.h"

struct fx {
	char *dir;
	MDB_env *env;
	audit_log *log;
};

static inline void fx_open(struct fx *f)
{
	E(sk_db_open(&f->env, f->dir, (size_t)4 << 30, 0));
	E(audit_log_open(&f->log, f->env));
}

static inline void fx_close(struct fx *f)
{
	audit_log_close(f->log);
	sk_db_close(f->env);
	f->log = NULL;
	f->env = NULL;
}

static inline struct fx fx_new(void)
{
	struct fx f = {t_tmpdir(), NULL, NULL};

	fx_open(&f);
	return f;
}

static inline void fx_free(struct fx *f)
{
	fx_close(f);
	t_rmdir(f->dir);
}

static inline MDB_txn *fx_txn(struct fx *f, unsigned flags)
{
	MDB_txn *txn = NULL;

	E(sk_db_status(mdb_txn_begin(f->env, NULL, flags, &txn)));
	return txn;
}

/* A node record: event, action and outcome given, the rest from the
 * optional fields (NULL: absent). */
static inline audit_record fx_rec(const char *event, audit_action action, audit_outcome outcome,
				  uint64_t time_ms, const char *client, const char *user)
{
	return (audit_record){
		.org = "wijkteam",
		.system = "schakel-node",
		.event = event,
		.action = action,
		.outcome = outcome,
		.time_ms = time_ms,
		.responsible = "root",
		.access_point = "cli",
		.client = client,
		.user = user,
	};
}

/* Appends rec in a transaction of its own; returns its seq. */
static inline uint64_t fx_add(struct fx *f, const audit_record *rec)
{
	MDB_txn *txn = fx_txn(f, 0);
	uint64_t seq = 0;

	E(audit_log_append(f->log, txn, rec, &seq, NULL));
	E(sk_db_status(mdb_txn_commit(txn)));
	return seq;
}

/* UTC "YYYY-MM-DDTHH:MM:SS" in ms. */
static inline uint64_t fx_ms(const char *iso)
{
	struct tm tm = {0};

	if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		fail_msg("bad time %s", iso);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000;
}

static inline double fx_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Everything written to a memory stream, NUL-terminated; free() it. */
struct fx_mem {
	char *buf;
	size_t len;
	FILE *fp;
};

static inline void fx_mem_open(struct fx_mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->fp = open_memstream(&m->buf, &m->len);
	assert_non_null(m->fp);
}

static inline char *fx_mem_close(struct fx_mem *m)
{
	assert_int_equal(fclose(m->fp), 0);
	return m->buf;
}

#endif
