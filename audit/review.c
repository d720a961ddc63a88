#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit/review.h"

static const char *const flag_names[AUDIT_FLAG_COUNT] = {
	"statutory", "break-glass", "after-hours", "denied", "pattern-flag", "volume",
};

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

void audit_review_defaults(audit_review_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->office_start = 8 * 60;
	o->office_end = 18 * 60;
	o->office_days = 0x3e; /* Monday .. Friday */
	o->max_lookups = 50;
}

/* "HH:MM" at s (5 bytes) in minutes, or -1. */
static int hhmm(const char *s)
{
	if (s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[2] != ':' || s[3] < '0' ||
	    s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	return h > 24 ? -1 : h * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

sk_status audit_hours_parse(audit_review_opts *o, const char *s)
{
	int a, b;

	if (s == NULL || strlen(s) != 11 || s[5] != '-' || (a = hhmm(s)) < 0 ||
	    (b = hhmm(s + 6)) < 0 || a >= b || b > 24 * 60)
		return SK_ERR_INVALID;
	o->office_start = (unsigned)a;
	o->office_end = (unsigned)b;
	return SK_OK;
}

static int day_index(const char *s, size_t n)
{
	for (int d = 0; d < 7; d++)
		if (n == 3 && strncmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

sk_status audit_days_parse(audit_review_opts *o, const char *s)
{
	unsigned days = 0;

	if (s == NULL || s[0] == '\0')
		return SK_ERR_INVALID;
	for (const char *p = s;;) {
		size_t n = strcspn(p, ",");
		int a = day_index(p, n < 3 ? n : 3), b = a;

		if (n == 7 && p[3] == '-')
			b = day_index(p + 4, 3);
		else if (n != 3)
			a = -1;
		if (a < 0 || b < 0)
			return SK_ERR_INVALID;
		for (int d = a;; d = (d + 1) % 7) { /* "fri-mon" wraps */
			days |= 1u << d;
			if (d == b)
				break;
		}
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	o->office_days = days;
	return SK_OK;
}

const char *audit_flag_name(unsigned bit)
{
	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		if (bit == 1u << i)
			return flag_names[i];
	return "?";
}

static struct tm local_tm(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	return tm;
}

unsigned audit_review_classify(const audit_record *r, const audit_review_opts *o)
{
	unsigned f = 0;

	if (r->legal_basis != NULL && strncmp(r->legal_basis, "statutory", 9) == 0)
		f |= AUDIT_FLAG_STATUTORY;
	if (r->break_glass)
		f |= AUDIT_FLAG_BREAK_GLASS;
	if (r->outcome == AUDIT_OUTCOME_DENIED)
		f |= AUDIT_FLAG_DENIED;
	if (strcmp(r->event, "pattern.flag") == 0)
		f |= AUDIT_FLAG_PATTERN;
	if (r->user != NULL) {
		struct tm tm = local_tm(r->time_ms);
		unsigned min = (unsigned)(tm.tm_hour * 60 + tm.tm_min);

		if (!(o->office_days & 1u << tm.tm_wday) || min < o->office_start ||
		    min >= o->office_end)
			f |= AUDIT_FLAG_AFTER_HOURS;
	}
	return f;
}

/* Lookups per professional on one local day. A linear list: an
 * organisation has hundreds of professionals, not millions. */
struct day_count {
	char user[AUDIT_FIELD_MAX + 1];
	uint64_t count;
};

struct review {
	const audit_review_opts *o;
	audit_finding_fn fn;
	void *arg;
	uint64_t records;
	unsigned day; /* YYYYMMDD of the counts, 0 before the first lookup */
	struct day_count *counts;
	size_t n, cap;
};

/* Reports the day's professionals over the limit and starts afresh. */
static sk_status flush_day(struct review *v)
{
	audit_finding f = {NULL, AUDIT_FLAG_VOLUME, NULL, "", 0};
	sk_status st;

	snprintf(f.day, sizeof(f.day), "%04u-%02u-%02u", v->day / 10000 % 10000,
		 v->day / 100 % 100, v->day % 100);
	for (size_t i = 0; i < v->n; i++) {
		if (v->counts[i].count <= v->o->max_lookups)
			continue;
		f.user = v->counts[i].user;
		f.count = v->counts[i].count;
		if ((st = v->fn(&f, v->arg)) != SK_OK)
			return st;
	}
	v->n = 0;
	return SK_OK;
}

static sk_status count_lookup(struct review *v, const audit_record *r)
{
	struct tm tm = local_tm(r->time_ms);
	unsigned day = (unsigned)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
	size_t i;
	sk_status st;

	if (day != v->day && v->day != 0 && (st = flush_day(v)) != SK_OK)
		return st;
	v->day = day;
	for (i = 0; i < v->n && strcmp(v->counts[i].user, r->user) != 0; i++)
		;
	if (i == v->n) {
		if (v->n == AUDIT_REVIEW_USERS_MAX)
			return SK_ERR_TOOBIG;
		if (v->n == v->cap) {
			size_t cap = v->cap ? 2 * v->cap : 64;
			struct day_count *c = realloc(v->counts, cap * sizeof(*c));

			if (c == NULL)
				return SK_ERR_NOMEM;
			v->counts = c;
			v->cap = cap;
		}
		snprintf(v->counts[i].user, sizeof(v->counts[i].user), "%s", r->user);
		v->counts[i].count = 0;
		v->n++;
	}
	v->counts[i].count++;
	return SK_OK;
}

static sk_status review_one(const audit_record *r, void *arg)
{
	struct review *v = arg;
	audit_finding f = {r, audit_review_classify(r, v->o), NULL, "", 0};
	sk_status st;

	v->records++;
	if (strcmp(r->event, "lookup") == 0 && r->user != NULL &&
	    (st = count_lookup(v, r)) != SK_OK)
		return st;
	return f.flags != 0 ? v->fn(&f, v->arg) : SK_OK;
}

sk_status audit_review(const audit_log *log, MDB_txn *txn, const audit_review_opts *o,
		       audit_finding_fn fn, void *arg, uint64_t *records)
{
	struct review v = {o, fn, arg, 0, 0, NULL, 0, 0};
	sk_status st;

	if (records != NULL)
		*records = 0;
	st = audit_log_scan_index(log, txn, AUDIT_BY_TIME, NULL, o->since_ms, o->until_ms,
				  review_one, &v);
	if (st == SK_OK && v.day != 0)
		st = flush_day(&v);
	free(v.counts);
	if (records != NULL)
		*records = v.records;
	return st;
}

sk_status audit_finding_json(json_t **out, const audit_finding *f)
{
	char line[2 * AUDIT_FIELD_MAX + 32], id[2 * AUDIT_ID_BYTES + 1];
	json_t *kinds = json_array(), *rec = NULL;
	sk_status st;

	*out = NULL;
	if (kinds == NULL)
		return SK_ERR_NOMEM;
	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		if (f->flags & 1u << i)
			json_array_append_new(kinds, json_string(audit_flag_name(1u << i)));
	if (f->rec == NULL) {
		snprintf(line, sizeof(line), "volume:%s:%s", f->user, f->day);
		*out = json_pack("{s:s,s:o,s:s,s:s,s:I}", "id", line, "kinds", kinds, "user",
				 f->user, "day", f->day, "count", (json_int_t)f->count);
	} else if ((st = audit_record_json(&rec, f->rec)) == SK_OK) {
		sodium_bin2hex(id, sizeof(id), f->rec->id, AUDIT_ID_BYTES);
		*out = json_pack("{s:s,s:o,s:o}", "id", id, "kinds", kinds, "record", rec);
	} else {
		json_decref(kinds);
		return st;
	}
	return *out != NULL ? SK_OK : SK_ERR_NOMEM;
}
