#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

sk_status audit_time_parse(uint64_t *ms, const char *s, bool end_of_day)
{
	struct tm tm = {0}, want;
	size_t len = s != NULL ? strlen(s) : 0;
	time_t t;

	*ms = 0;
	if ((len != 10 && len != 20) || s[4] != '-' || s[7] != '-')
		return SK_ERR_INVALID;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_isdst = -1;
	if (len == 20) {
		if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
			return SK_ERR_INVALID;
		tm.tm_hour = digits(s + 11, 2);
		tm.tm_min = digits(s + 14, 2);
		tm.tm_sec = digits(s + 17, 2);
		if (tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
		    tm.tm_sec < 0 || tm.tm_sec > 59)
			return SK_ERR_INVALID;
	}
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1)
		return SK_ERR_INVALID;
	want = tm;
	t = len == 20 ? timegm(&tm) : mktime(&tm);
	/* a date that normalises (30 February) is refused */
	if (t == (time_t)-1 || t < 0 || tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon ||
	    tm.tm_mday != want.tm_mday)
		return SK_ERR_INVALID;
	if (end_of_day && len == 10) {
		want.tm_mday++; /* the next day's first millisecond, less one */
		if ((t = mktime(&want)) == (time_t)-1)
			return SK_ERR_INVALID;
		*ms = (uint64_t)t * 1000 - 1;
	} else {
		*ms = (uint64_t)t * 1000 + (end_of_day ? 999 : 0);
	}
	return *ms <= AUDIT_TIME_MAX ? SK_OK : SK_ERR_INVALID;
}

void audit_time_format(char out[static AUDIT_TIME_BYTES], uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms > AUDIT_TIME_MAX || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, AUDIT_TIME_BYTES, "?");
		return;
	}
	snprintf(out, AUDIT_TIME_BYTES, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ms % 1000));
}

void audit_time_local(char out[static AUDIT_TIME_BYTES], uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms > AUDIT_TIME_MAX || localtime_r(&t, &tm) == NULL) {
		snprintf(out, AUDIT_TIME_BYTES, "?");
		return;
	}
	snprintf(out, AUDIT_TIME_BYTES, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}
