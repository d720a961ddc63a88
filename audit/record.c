#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/record.h"
#include "crypto/sha256.h"
#include "crypto/bsn.h"
#include "protos/domains.h"
#include "protos/schakel.pb-c.h"

typedef Schakel__V1__AuditRecord pb_record;

#define F_REQUIRED 1u /* present and not empty */
#define F_CODE 2u     /* [a-z0-9._-] only */

/* Every text field once: its name (also its JSON member), where it lives
 * in audit_record and in the protobuf-c struct, its cap and its rules. */
struct field {
	const char *name;
	size_t rec_off, pb_off, max;
	unsigned flags;
};

#define FIELD(n, max, flags) {#n, offsetof(audit_record, n), offsetof(pb_record, n), max, flags}
static const struct field fields[] = {
	FIELD(org, AUDIT_FIELD_MAX, F_REQUIRED),
	FIELD(system, AUDIT_FIELD_MAX, F_REQUIRED),
	FIELD(event, AUDIT_FIELD_MAX, F_REQUIRED | F_CODE),
	FIELD(reason, AUDIT_REASON_MAX, 0),
	FIELD(user, AUDIT_FIELD_MAX, 0),
	FIELD(role, AUDIT_FIELD_MAX, 0),
	FIELD(responsible, AUDIT_FIELD_MAX, 0),
	FIELD(access_point, AUDIT_FIELD_MAX, 0),
	FIELD(client, AUDIT_FIELD_MAX, 0),
	FIELD(category, AUDIT_FIELD_MAX, 0),
	FIELD(purpose, AUDIT_FIELD_MAX, 0),
	FIELD(legal_basis, AUDIT_FIELD_MAX, 0),
	FIELD(consent_ref, AUDIT_FIELD_MAX, 0),
	FIELD(correlation_id, AUDIT_FIELD_MAX, 0),
	FIELD(counterpart, AUDIT_FIELD_MAX, 0),
	FIELD(peer_head, AUDIT_FIELD_MAX, 0),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct {
	audit_action action;
	Schakel__V1__AuditRecord__Action pb;
} actions[] = {
	{AUDIT_ACTION_CREATE, SCHAKEL__V1__AUDIT_RECORD__ACTION__ACTION_CREATE},
	{AUDIT_ACTION_READ, SCHAKEL__V1__AUDIT_RECORD__ACTION__ACTION_READ},
	{AUDIT_ACTION_UPDATE, SCHAKEL__V1__AUDIT_RECORD__ACTION__ACTION_UPDATE},
	{AUDIT_ACTION_DELETE, SCHAKEL__V1__AUDIT_RECORD__ACTION__ACTION_DELETE},
	{AUDIT_ACTION_EXECUTE, SCHAKEL__V1__AUDIT_RECORD__ACTION__ACTION_EXECUTE},
};

static const char *const outcome_names[] = {NULL, "ok", "denied", "failed"};

static const char *rec_text(const audit_record *r, const struct field *f)
{
	return *(const char *const *)((const char *)r + f->rec_off);
}

static void rec_set_text(audit_record *r, const struct field *f, const char *s)
{
	*(const char **)((char *)r + f->rec_off) = s;
}

static const char *pb_text(const pb_record *m, const struct field *f)
{
	return *(char *const *)((const char *)m + f->pb_off);
}

/* protobuf-c only reads the strings it packs. */
static void pb_set_text(pb_record *m, const struct field *f, const char *s)
{
	*(char **)((char *)m + f->pb_off) = (char *)s;
}

/* The length (1..4) of the printable UTF-8 character at s (n > 0 bytes
 * left), or 0 for invalid UTF-8 or a control character (C0, DEL, C1). */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n <= k)
		return 0;
	for (size_t j = 1; j <= k; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[j] & 0x3f);
	}
	if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return k + 1;
}

static bool text_ok(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0, k; i < n; i += k) {
		if (s[i] >= 0x20 && s[i] < 0x7f) { /* the common case, inline */
			k = 1;
			continue;
		}
		if ((k = utf8_char(s + i, n - i)) == 0)
			return false;
	}
	return true;
}

static bool code_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Nine digits passing the elfproef: a BSN, which a record never holds. */
static bool looks_like_bsn(const char *s, size_t n)
{
	uint8_t d[BSN_DIGITS];
	bool found = false;

	if (n != BSN_DIGITS)
		return false;
	for (size_t i = 0; i < BSN_DIGITS; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto out;
		d[i] = (uint8_t)(s[i] - '0');
	}
	found = bsn_elfproef(d) != 0;
out:
	sodium_memzero(d, sizeof(d));
	return found;
}

static sk_status check_text(const struct field *f, const char *s, bool append)
{
	size_t n;

	if (s == NULL) {
		if (!(f->flags & F_REQUIRED))
			return SK_OK;
		sk_error_set("audit record: %s is missing", f->name);
		return SK_ERR_INVALID;
	}
	n = strnlen(s, f->max + 1);
	if (n > f->max) {
		sk_error_set("audit record: %s is longer than %zu bytes", f->name, f->max);
		return SK_ERR_TOOBIG;
	}
	if ((f->flags & F_REQUIRED) && n == 0) {
		sk_error_set("audit record: %s is empty", f->name);
		return SK_ERR_INVALID;
	}
	if (!text_ok(s, n)) {
		sk_error_set("audit record: %s is not UTF-8 text without control characters",
			     f->name);
		return SK_ERR_INVALID;
	}
	if ((f->flags & F_CODE) && !code_ok(s, n)) {
		sk_error_set("audit record: %s may hold only a-z, 0-9, '.', '_' and '-'",
			     f->name);
		return SK_ERR_INVALID;
	}
	if (append && looks_like_bsn(s, n)) {
		sk_error_set("audit record: %s looks like a BSN; audit records never hold one",
			     f->name);
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

static int action_index(audit_action a)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].action == a)
			return (int)i;
	return -1;
}

/* The rules shared by records to append (append: the BSN rule, and times
 * may still be 0) and stored records. */
static sk_status check_fields(const audit_record *rec, bool append)
{
	sk_status st;

	for (size_t i = 0; i < NFIELDS; i++)
		if ((st = check_text(&fields[i], rec_text(rec, &fields[i]), append)) != SK_OK)
			return st;
	if (action_index(rec->action) < 0) {
		sk_error_set("audit record: action is not one of C, R, U, D, E");
		return SK_ERR_INVALID;
	}
	if (rec->outcome < AUDIT_OUTCOME_OK || rec->outcome > AUDIT_OUTCOME_FAILED) {
		sk_error_set("audit record: outcome is not ok, denied or failed");
		return SK_ERR_INVALID;
	}
	if (rec->time_ms > AUDIT_TIME_MAX || rec->retain_until_ms > AUDIT_TIME_MAX) {
		sk_error_set("audit record: a time lies after the year 9999");
		return SK_ERR_INVALID;
	}
	if ((!append || (rec->time_ms != 0 && rec->retain_until_ms != 0)) &&
	    rec->retain_until_ms < rec->time_ms) {
		sk_error_set("audit record: retain-until lies before the event time");
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

sk_status audit_record_check(const audit_record *rec)
{
	return check_fields(rec, true);
}

sk_status audit_record_encode(uint8_t *out, size_t cap, size_t *len, const audit_record *rec)
{
	pb_record m = SCHAKEL__V1__AUDIT_RECORD__INIT;
	size_t n;
	sk_status st;

	*len = 0;
	if ((st = audit_record_check(rec)) != SK_OK)
		return st;
	if (rec->seq == 0) {
		sk_error_set("audit record: sequence numbers start at 1");
		return SK_ERR_INVALID;
	}
	m.seq = rec->seq;
	m.id.len = AUDIT_ID_BYTES;
	m.id.data = (uint8_t *)rec->id;
	m.prev_hash.len = AUDIT_HASH_BYTES;
	m.prev_hash.data = (uint8_t *)rec->prev_hash;
	for (size_t i = 0; i < NFIELDS; i++)
		pb_set_text(&m, &fields[i], rec_text(rec, &fields[i]));
	m.time = rec->time_ms;
	m.action = actions[action_index(rec->action)].pb;
	m.outcome = (Schakel__V1__AuditRecord__Outcome)rec->outcome;
	if (rec->break_glass) {
		m.has_break_glass = 1;
		m.break_glass = 1;
	}
	m.retain_until = rec->retain_until_ms;
	n = schakel__v1__audit_record__get_packed_size(&m);
	if (n > AUDIT_RECORD_MAX || n > cap) {
		sk_error_set("audit record: %zu bytes exceed the limit", n);
		return SK_ERR_TOOBIG;
	}
	if (schakel__v1__audit_record__pack(&m, out) != n)
		return SK_ERR_INVALID;
	*len = n;
	return SK_OK;
}

void audit_record_hash(uint8_t out[static AUDIT_HASH_BYTES],
		       const uint8_t prev_hash[static AUDIT_HASH_BYTES],
		       const uint8_t *bytes, size_t len)
{
	const sha256_part parts[] = {
		{WIRE_DOMAIN_AUDIT, sizeof(WIRE_DOMAIN_AUDIT) - 1},
		{prev_hash, AUDIT_HASH_BYTES},
		{bytes, len},
	};

	sha256_parts(out, parts, sizeof(parts) / sizeof(parts[0]));
}

sk_status audit_record_verify(const uint8_t *stored, size_t len,
			      const uint8_t prev_hash[static AUDIT_HASH_BYTES])
{
	uint8_t h[AUDIT_HASH_BYTES];

	if (len <= AUDIT_HASH_BYTES || len > AUDIT_STORED_MAX)
		return SK_ERR_VERIFY;
	audit_record_hash(h, prev_hash, stored, len - AUDIT_HASH_BYTES);
	if (memcmp(h, stored + len - AUDIT_HASH_BYTES, AUDIT_HASH_BYTES) != 0)
		return SK_ERR_VERIFY;
	return SK_OK;
}

/* A bump allocator over the caller's scratch, so that viewing a record
 * costs no malloc; protobuf-c's frees are no-ops. */
struct arena {
	uint8_t *base;
	size_t cap, used;
};

static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t off = (a->used + 15) & ~(size_t)15;

	if (off > a->cap || size > a->cap - off)
		return NULL;
	a->used = off + size;
	return a->base + off;
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

sk_status audit_record_view(audit_record *rec, void *scratch, size_t scratch_len,
			    const uint8_t *stored, size_t len)
{
	struct arena a = {NULL, 0, 0};
	ProtobufCAllocator alloc = {arena_alloc, arena_free, &a};
	pb_record *m;
	sk_status st = SK_ERR_INVALID;
	size_t pad;
	int ai = -1;

	memset(rec, 0, sizeof(*rec));
	if (scratch_len < AUDIT_SCRATCH_BYTES)
		return SK_ERR_INVALID;
	if (len > AUDIT_STORED_MAX)
		return SK_ERR_TOOBIG;
	if (len <= AUDIT_HASH_BYTES)
		return SK_ERR_INVALID;
	pad = (size_t)(-(uintptr_t)scratch & 15);
	a.base = (uint8_t *)scratch + pad;
	a.cap = scratch_len - pad;
	m = schakel__v1__audit_record__unpack(&alloc, len - AUDIT_HASH_BYTES, stored);
	if (m == NULL || m->seq == 0 || m->id.len != AUDIT_ID_BYTES ||
	    m->prev_hash.len != AUDIT_HASH_BYTES)
		goto out;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].pb == m->action)
			ai = (int)i;
	if (ai < 0)
		goto out;
	rec->seq = m->seq;
	memcpy(rec->id, m->id.data, AUDIT_ID_BYTES);
	memcpy(rec->prev_hash, m->prev_hash.data, AUDIT_HASH_BYTES);
	memcpy(rec->hash, stored + len - AUDIT_HASH_BYTES, AUDIT_HASH_BYTES);
	for (size_t i = 0; i < NFIELDS; i++)
		rec_set_text(rec, &fields[i], pb_text(m, &fields[i]));
	rec->action = actions[ai].action;
	rec->outcome = (audit_outcome)m->outcome;
	rec->time_ms = m->time;
	rec->retain_until_ms = m->retain_until;
	rec->break_glass = m->has_break_glass && m->break_glass;
	st = check_fields(rec, false);
out:
	if (st != SK_OK)
		memset(rec, 0, sizeof(*rec));
	return st;
}

sk_status audit_record_decode(audit_record **out, const uint8_t *stored, size_t len)
{
	void *scratch = malloc(AUDIT_SCRATCH_BYTES);
	audit_record v, *r = NULL;
	size_t total = sizeof(*r);
	char *p;
	sk_status st = SK_ERR_NOMEM;

	*out = NULL;
	if (scratch == NULL)
		goto out;
	if ((st = audit_record_view(&v, scratch, AUDIT_SCRATCH_BYTES, stored, len)) != SK_OK)
		goto out;
	for (size_t i = 0; i < NFIELDS; i++)
		if (rec_text(&v, &fields[i]) != NULL)
			total += strlen(rec_text(&v, &fields[i])) + 1;
	st = SK_ERR_NOMEM;
	if ((r = malloc(total)) == NULL)
		goto out;
	*r = v;
	p = (char *)(r + 1);
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *s = rec_text(&v, &fields[i]);
		size_t n;

		if (s == NULL)
			continue;
		n = strlen(s) + 1;
		memcpy(p, s, n);
		rec_set_text(r, &fields[i], p);
		p += n;
	}
	*out = r;
	st = SK_OK;
out:
	free(scratch);
	return st;
}

void audit_record_free(audit_record *rec)
{
	free(rec);
}

/* ---- formatting ---------------------------------------------------------- */

struct sb {
	char *buf;
	size_t cap, len;
	bool over;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->over || n >= b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Appends s, quoted when it is empty or holds a space, quote, backslash or
 * '=' (fields hold no control characters). */
static void sb_value(struct sb *b, const char *s)
{
	if (s[0] != '\0' && strpbrk(s, " \"\\=") == NULL) {
		sb_str(b, s);
		return;
	}
	sb_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\", 1);
		sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

#define ISO_TIME_BYTES AUDIT_TIME_ISO_BYTES

sk_status audit_time_iso(char out[static AUDIT_TIME_ISO_BYTES], uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	int n;

	if (ms > AUDIT_TIME_MAX || gmtime_r(&t, &tm) == NULL)
		return SK_ERR_INVALID;
	n = snprintf(out, ISO_TIME_BYTES, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (unsigned)(ms % 1000));
	return n > 0 && n < ISO_TIME_BYTES ? SK_OK : SK_ERR_INVALID;
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

sk_status audit_record_line(char *buf, size_t cap, const audit_record *rec)
{
	struct sb b = {buf, cap, 0, false};
	char t[ISO_TIME_BYTES], num[24], id[2 * AUDIT_ID_BYTES + 1];
	sk_status st;

	if (cap == 0)
		return SK_ERR_TOOBIG;
	buf[0] = '\0';
	if ((st = audit_time_iso(t, rec->time_ms)) != SK_OK)
		return st;
	if (rec->org == NULL || rec->system == NULL || rec->event == NULL)
		return SK_ERR_INVALID;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)rec->seq);
	sb_str(&b, num);
	sb_add(&b, " ", 1);
	sb_str(&b, t);
	for (size_t i = 0; i < 3; i++) { /* org, system, event */
		sb_add(&b, " ", 1);
		sb_value(&b, rec_text(rec, &fields[i]));
	}
	sb_add(&b, " ", 1);
	sb_add(&b, (const char[]){(char)rec->action}, 1);
	sb_add(&b, " ", 1);
	sb_str(&b, audit_outcome_name(rec->outcome));
	for (size_t i = 3; i < NFIELDS; i++) {
		const char *s = rec_text(rec, &fields[i]);

		if (s == NULL)
			continue;
		sb_add(&b, " ", 1);
		sb_str(&b, fields[i].name);
		sb_add(&b, "=", 1);
		sb_value(&b, s);
	}
	if (rec->break_glass)
		sb_str(&b, " break_glass");
	sodium_bin2hex(id, sizeof(id), rec->id, AUDIT_ID_BYTES);
	sb_str(&b, " id=");
	sb_str(&b, id);
	if (b.over) {
		buf[0] = '\0';
		return SK_ERR_TOOBIG;
	}
	return SK_OK;
}

static json_t *hex_string(const uint8_t *bin, size_t len)
{
	char hex[2 * AUDIT_HASH_BYTES + 1];

	if (2 * len + 1 > sizeof(hex))
		return NULL;
	sodium_bin2hex(hex, sizeof(hex), bin, len);
	return json_string(hex);
}

static json_t *time_string(uint64_t ms)
{
	char t[ISO_TIME_BYTES];

	return audit_time_iso(t, ms) == SK_OK ? json_string(t) : NULL;
}

sk_status audit_record_json(json_t **out, const audit_record *rec)
{
	json_t *o = json_object();
	int bad = o == NULL;

	*out = NULL;
	/* json_object_set_new() takes the value even when it fails, and
	 * refuses a NULL value (a failed json_string()). */
	bad |= json_object_set_new(o, "id", hex_string(rec->id, AUDIT_ID_BYTES));
	bad |= json_object_set_new(o, "seq", json_integer((json_int_t)rec->seq));
	bad |= json_object_set_new(o, "time", time_string(rec->time_ms));
	for (size_t i = 0; i < 3; i++)
		bad |= json_object_set_new(o, fields[i].name,
					   json_string(rec_text(rec, &fields[i])));
	bad |= json_object_set_new(o, "action", json_stringn((const char[]){(char)rec->action}, 1));
	bad |= json_object_set_new(o, "outcome", json_string(audit_outcome_name(rec->outcome)));
	for (size_t i = 3; i < NFIELDS; i++) {
		const char *s = rec_text(rec, &fields[i]);

		bad |= json_object_set_new(o, fields[i].name, s ? json_string(s) : json_null());
	}
	bad |= json_object_set_new(o, "break_glass", json_boolean(rec->break_glass));
	bad |= json_object_set_new(o, "retain_until", time_string(rec->retain_until_ms));
	bad |= json_object_set_new(o, "prev_hash", hex_string(rec->prev_hash, AUDIT_HASH_BYTES));
	bad |= json_object_set_new(o, "hash", hex_string(rec->hash, AUDIT_HASH_BYTES));
	if (bad) {
		json_decref(o);
		/* text fields were checked, so only memory or a bad time is left */
		return o == NULL ? SK_ERR_NOMEM : SK_ERR_INVALID;
	}
	*out = o;
	return SK_OK;
}

const char *audit_outcome_name(audit_outcome o)
{
	if (o < AUDIT_OUTCOME_OK || o > AUDIT_OUTCOME_FAILED)
		return "?";
	return outcome_names[o];
}

sk_status audit_outcome_parse(audit_outcome *out, const char *s)
{
	for (int o = AUDIT_OUTCOME_OK; o <= AUDIT_OUTCOME_FAILED; o++)
		if (s != NULL && strcmp(s, outcome_names[o]) == 0) {
			*out = (audit_outcome)o;
			return SK_OK;
		}
	return SK_ERR_INVALID;
}

sk_status audit_action_parse(audit_action *out, const char *s)
{
	if (s == NULL || s[0] == '\0' || s[1] != '\0' || action_index((audit_action)s[0]) < 0)
		return SK_ERR_INVALID;
	*out = (audit_action)s[0];
	return SK_OK;
}

void audit_text_clean(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src != NULL ? src : "");
	size_t n = strlen((const char *)s), i = 0, o = 0;

	if (cap == 0)
		return;
	while (i < n) {
		size_t k = utf8_char(s + i, n - i);

		if (k == 0) {
			if (o + 1 > cap - 1)
				break;
			dst[o++] = '?';
			i++;
			continue;
		}
		if (k > cap - 1 - o)
			break;
		memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
}

sk_status audit_os_user(char *buf, size_t cap)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	uid_t uid = getuid();
	int n;

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL &&
	    res->pw_name != NULL && res->pw_name[0] != '\0')
		n = snprintf(buf, cap, "%s", res->pw_name);
	else
		n = snprintf(buf, cap, "uid:%u", (unsigned)uid);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return SK_ERR_TOOBIG;
	}
	return SK_OK;
}
