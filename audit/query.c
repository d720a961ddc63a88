#include <stdio.h>
#include <stdlib.h>
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

struct page {
	const audit_filter *f;
	audit_cursor before, last;
	size_t limit, found;
	uint64_t max_scan, scanned;
	int full; /* stopped with limit found or max_scan read */
	audit_scan_fn fn;
	void *arg;
};

static sk_status page_one(const audit_record *rec, void *arg)
{
	struct page *p = arg;
	sk_status st;

	if (p->before.time_ms != 0 && rec->time_ms == p->before.time_ms &&
	    rec->seq >= p->before.seq)
		return SK_OK; /* on the cursor's millisecond, at or after it */
	if (p->found == p->limit || p->scanned == p->max_scan) {
		p->full = 1; /* one more exists: the next page starts after the last */
		return SK_ERR_TRUNCATED;
	}
	p->scanned++;
	p->last = (audit_cursor){rec->time_ms, rec->seq};
	if (!audit_filter_match(p->f, rec))
		return SK_OK;
	p->found++;
	if ((st = p->fn(rec, p->arg)) == SK_ERR_TRUNCATED)
		st = SK_ERR_INVALID; /* not the page's own stop */
	return st;
}

sk_status audit_query_page(const audit_log *log, MDB_txn *txn, const audit_filter *f,
			   const audit_cursor *before, size_t limit, uint64_t max_scan,
			   audit_scan_fn fn, void *arg, audit_cursor *next, uint64_t *scanned_out)
{
	struct page p = {f, {0, 0}, {0, 0}, limit, 0, max_scan ? max_scan : AUDIT_PAGE_SCAN,
			 0, 0, fn, arg};
	uint64_t until = f->until_ms;
	sk_status st;

	*next = (audit_cursor){0, 0};
	if (limit == 0 || limit > AUDIT_PAGE_MAX)
		return SK_ERR_INVALID;
	if (before != NULL && before->time_ms != 0) {
		p.before = *before;
		if (until == 0 || before->time_ms < until)
			until = before->time_ms;
	}
	if (f->client != NULL)
		st = audit_log_scan_index_rev(log, txn, AUDIT_BY_CLIENT, f->client, f->since_ms,
					      until, page_one, &p);
	else if (f->user != NULL)
		st = audit_log_scan_index_rev(log, txn, AUDIT_BY_USER, f->user, f->since_ms, until,
					      page_one, &p);
	else
		st = audit_log_scan_index_rev(log, txn, AUDIT_BY_TIME, NULL, f->since_ms, until,
					      page_one, &p);
	if (st == SK_ERR_TRUNCATED && p.full)
		st = SK_OK;
	if (st == SK_OK && p.full)
		*next = p.last;
	if (scanned_out != NULL)
		*scanned_out = p.scanned;
	return st;
}

void audit_cursor_format(char out[static AUDIT_CURSOR_TEXT], const audit_cursor *c)
{
	snprintf(out, AUDIT_CURSOR_TEXT, "%llu-%llu", (unsigned long long)c->time_ms,
		 (unsigned long long)c->seq);
}

sk_status audit_cursor_parse(audit_cursor *c, const char *s)
{
	unsigned long long t, q;
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return SK_ERR_INVALID;
	t = strtoull(s, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return SK_ERR_INVALID;
	q = strtoull(end + 1, &end, 10);
	if (*end != '\0' || t == 0 || t > AUDIT_TIME_MAX || q == 0 || q == ~0ULL)
		return SK_ERR_INVALID;
	*c = (audit_cursor){t, q};
	return SK_OK;
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
