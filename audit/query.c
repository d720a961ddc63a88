#include <stdio.h>
#include <string.h>

#include "audit/query.h"

bool audit_filter_match(const audit_filter *f, const audit_record *rec)
{
	if (f->client != NULL && (rec->client == NULL || strcmp(f->client, rec->client) != 0))
		return false;
	if (f->user != NULL && (rec->user == NULL || strcmp(f->user, rec->user) != 0))
		return false;
	if (f->event != NULL && strcmp(f->event, rec->event) != 0)
		return false;
	if ((f->action != 0 && f->action != rec->action) ||
	    (f->outcome != 0 && f->outcome != rec->outcome))
		return false;
	return rec->time_ms >= f->since_ms && (f->until_ms == 0 || rec->time_ms <= f->until_ms);
}

struct query {
	const audit_filter *f;
	audit_scan_fn fn;
	void *arg;
};

static sk_status query_one(const audit_record *rec, void *arg)
{
	struct query *q = arg;

	return audit_filter_match(q->f, rec) ? q->fn(rec, q->arg) : SK_OK;
}

sk_status audit_query(const audit_log *log, MDB_txn *txn, const audit_filter *f,
		      audit_scan_fn fn, void *arg)
{
	struct query q = {f, fn, arg};

	if (f->client != NULL)
		return audit_log_scan_index(log, txn, AUDIT_BY_CLIENT, f->client, f->since_ms,
					    f->until_ms, query_one, &q);
	if (f->user != NULL)
		return audit_log_scan_index(log, txn, AUDIT_BY_USER, f->user, f->since_ms,
					    f->until_ms, query_one, &q);
	return audit_log_scan_index(log, txn, AUDIT_BY_TIME, NULL, f->since_ms, f->until_ms,
				    query_one, &q);
}

void audit_filter_text(char *buf, size_t cap, const audit_filter *f)
{
	char t[AUDIT_TIME_BYTES];
	size_t n = 0;

#define ADD(...)                                                                  \
	do {                                                                      \
		int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);                 \
		if (w_ > 0)                                                       \
			n = (size_t)w_ < cap - n ? n + (size_t)w_ : cap - 1;      \
	} while (0)
	if (cap == 0)
		return;
	buf[0] = '\0';
	if (f->client != NULL)
		ADD(" client=%s", f->client);
	if (f->user != NULL)
		ADD(" professional=%s", f->user);
	if (f->event != NULL)
		ADD(" event=%s", f->event);
	if (f->action != 0)
		ADD(" action=%c", (char)f->action);
	if (f->outcome != 0)
		ADD(" outcome=%s", audit_outcome_name(f->outcome));
	if (f->since_ms != 0) {
		audit_time_format(t, f->since_ms);
		ADD(" since=%s", t);
	}
	if (f->until_ms != 0) {
		audit_time_format(t, f->until_ms);
		ADD(" until=%s", t);
	}
#undef ADD
	if (n == 0)
		snprintf(buf, cap, "all records");
	else
		memmove(buf, buf + 1, n); /* the leading space, NUL included */
}
