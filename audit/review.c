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

/* The local time of ms, cached per minute and thread: a review asks for
 * it several times per record, and localtime_r is slow. */
static struct tm local_tm(uint64_t ms)
{
	static _Thread_local uint64_t minute = UINT64_MAX;
	static _Thread_local struct tm cached;
	time_t t = (time_t)(ms / 60000 * 60);
	struct tm tm;

	if (ms / 60000 != minute) {
		if (localtime_r(&t, &cached) == NULL)
			memset(&cached, 0, sizeof(cached));
		minute = ms / 60000;
	}
	tm = cached;
	tm.tm_sec = (int)(ms / 1000 % 60);
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

/* Routine reads of one day folded: (user, client, event). */
struct day_group {
	char user[AUDIT_FIELD_MAX + 1], client[AUDIT_FIELD_MAX + 1], event[AUDIT_FIELD_MAX + 1];
	uint64_t first_seq, first_ms, last_ms, count;
	uint8_t first_id[AUDIT_ID_BYTES];
};

struct review {
	const audit_review_opts *o;
	audit_finding_fn fn;
	void *arg;
	uint64_t records;
	unsigned day; /* YYYYMMDD of the counts, 0 before the first lookup */
	struct day_count *counts;
	size_t n, cap;
	unsigned gday; /* YYYYMMDD of the groups */
	struct day_group *groups;
	size_t gn, gcap;
	uint32_t *slots; /* open addressing: group index + 1, 0 empty */
	size_t scap;     /* a power of two, > 2 * gcap */
};

static uint64_t group_hash(const char *user, const char *client, const char *event)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a over the three, NUL-separated */
	const char *parts[3] = {user, client, event};

	for (int i = 0; i < 3; i++) {
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (uint8_t)*c) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

/* Puts group i into the slots. */
static void slot_put(struct review *v, size_t i)
{
	const struct day_group *g = &v->groups[i];
	size_t k = (size_t)group_hash(g->user, g->client, g->event) & (v->scap - 1);

	while (v->slots[k] != 0)
		k = (k + 1) & (v->scap - 1);
	v->slots[k] = (uint32_t)(i + 1);
}

static unsigned day_of(uint64_t ms)
{
	struct tm tm = local_tm(ms);

	return (unsigned)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* Reports the day's groups and starts afresh. */
static sk_status flush_groups(struct review *v)
{
	audit_finding f = {0};
	sk_status st;

	f.flags = AUDIT_FLAG_AFTER_HOURS;
	f.group = 1;
	snprintf(f.day, sizeof(f.day), "%04u-%02u-%02u", v->gday / 10000 % 10000,
		 v->gday / 100 % 100, v->gday % 100);
	for (size_t i = 0; i < v->gn; i++) {
		struct day_group *g = &v->groups[i];

		f.user = g->user;
		f.client = g->client[0] ? g->client : NULL;
		f.event = g->event;
		f.count = g->count;
		f.first_seq = g->first_seq;
		f.first_ms = g->first_ms;
		f.last_ms = g->last_ms;
		memcpy(f.first_id, g->first_id, AUDIT_ID_BYTES);
		if ((st = v->fn(&f, v->arg)) != SK_OK)
			return st;
	}
	v->gn = 0;
	if (v->slots != NULL)
		memset(v->slots, 0, v->scap * sizeof(*v->slots));
	return SK_OK;
}

/* A routine read: a read (R, ok) by a professional, of a client or of a
 * list (no client), whose only flag is after-hours. */
static bool routine(const audit_record *r, unsigned flags)
{
	return flags == AUDIT_FLAG_AFTER_HOURS && r->action == AUDIT_ACTION_READ &&
	       r->outcome == AUDIT_OUTCOME_OK && r->user != NULL;
}

static sk_status group_read(struct review *v, const audit_record *r)
{
	const char *client = r->client != NULL ? r->client : "";
	unsigned day = day_of(r->time_ms);
	struct day_group *g;
	size_t i;
	sk_status st;

	if (day != v->gday && v->gn > 0 && (st = flush_groups(v)) != SK_OK)
		return st;
	v->gday = day;
	if (v->scap != 0) {
		size_t k = (size_t)group_hash(r->user, client, r->event) & (v->scap - 1);

		for (; v->slots[k] != 0; k = (k + 1) & (v->scap - 1)) {
			g = &v->groups[v->slots[k] - 1];
			if (strcmp(g->user, r->user) == 0 && strcmp(g->client, client) == 0 &&
			    strcmp(g->event, r->event) == 0) {
				g->count++;
				g->last_ms = r->time_ms;
				return SK_OK;
			}
		}
	}
	if (v->gn == AUDIT_REVIEW_GROUPS_MAX)
		return SK_ERR_TOOBIG;
	if (v->gn == v->gcap) {
		size_t cap = v->gcap ? 2 * v->gcap : 32;
		struct day_group *n = realloc(v->groups, cap * sizeof(*n));
		uint32_t *sl = calloc(4 * cap, sizeof(*sl));

		if (n != NULL)
			v->groups = n;
		if (n == NULL || sl == NULL) {
			free(sl);
			return SK_ERR_NOMEM;
		}
		v->gcap = cap;
		free(v->slots);
		v->slots = sl;
		v->scap = 4 * cap;
		for (i = 0; i < v->gn; i++)
			slot_put(v, i);
	}
	i = v->gn;
	g = &v->groups[v->gn++];
	snprintf(g->user, sizeof(g->user), "%s", r->user);
	snprintf(g->client, sizeof(g->client), "%s", client);
	snprintf(g->event, sizeof(g->event), "%s", r->event);
	g->first_seq = r->seq;
	g->first_ms = g->last_ms = r->time_ms;
	g->count = 1;
	memcpy(g->first_id, r->id, AUDIT_ID_BYTES);
	slot_put(v, i);
	return SK_OK;
}

/* Reports the day's professionals over the limit and starts afresh. */
static sk_status flush_day(struct review *v)
{
	audit_finding f = {.flags = AUDIT_FLAG_VOLUME};
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
	audit_finding f = {.rec = r, .flags = audit_review_classify(r, v->o)};
	sk_status st;

	if (v->o->max_records != 0 && v->records == v->o->max_records)
		return SK_ERR_TRUNCATED; /* bounded: the caller narrows the period */
	v->records++;
	if (strcmp(r->event, "lookup") == 0 && r->user != NULL &&
	    (st = count_lookup(v, r)) != SK_OK)
		return st;
	if (routine(r, f.flags))
		return group_read(v, r);
	return f.flags != 0 ? v->fn(&f, v->arg) : SK_OK;
}

sk_status audit_review(const audit_log *log, MDB_txn *txn, const audit_review_opts *o,
		       audit_finding_fn fn, void *arg, uint64_t *records)
{
	struct review v = {o, fn, arg, 0, 0, NULL, 0, 0, 0, NULL, 0, 0, NULL, 0};
	sk_status st;

	if (records != NULL)
		*records = 0;
	st = audit_log_scan_index(log, txn, AUDIT_BY_TIME, NULL, o->since_ms, o->until_ms,
				  review_one, &v);
	if (st == SK_ERR_TRUNCATED && o->max_records != 0 && v.records == o->max_records)
		st = SK_OK;
	if (st == SK_OK && v.gn > 0)
		st = flush_groups(&v);
	if (st == SK_OK && v.day != 0)
		st = flush_day(&v);
	free(v.counts);
	free(v.groups);
	free(v.slots);
	if (records != NULL)
		*records = v.records;
	return st;
}

void audit_period_id(char out[static AUDIT_PERIOD_ID_BYTES], uint64_t since_ms,
		     uint64_t until_ms)
{
	char a[AUDIT_TIME_BYTES], b[AUDIT_TIME_BYTES];

	audit_time_format(a, since_ms);
	audit_time_format(b, until_ms);
	snprintf(out, AUDIT_PERIOD_ID_BYTES, "period:%s/%s", a, b);
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
	if (f->group) {
		char first[AUDIT_TIME_BYTES], last[AUDIT_TIME_BYTES];

		sodium_bin2hex(id, sizeof(id), f->first_id, AUDIT_ID_BYTES);
		audit_time_format(first, f->first_ms);
		audit_time_format(last, f->last_ms);
		*out = json_pack("{s:s,s:o,s:b,s:s,s:s?,s:s,s:s,s:I,s:I,s:s,s:s}", "id", id, "kinds",
				 kinds, "group", 1, "user", f->user, "client", f->client, "event",
				 f->event, "day", f->day, "count", (json_int_t)f->count, "seq",
				 (json_int_t)f->first_seq, "first", first, "last", last);
	} else if (f->rec == NULL) {
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
