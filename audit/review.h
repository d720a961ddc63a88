/* The privacy officer's periodic review of the audit log: which records of
 * a period deserve a look — statutory-basis actions, break-glass, actions
 * by professionals outside office hours, denied attempts, the registry's
 * pattern flags — and which professionals looked up more clients in a day
 * than usual. Days and office hours are in the local time zone (TZ). */
#ifndef SK_AUDIT_REVIEW_H
#define SK_AUDIT_REVIEW_H

#include <stdint.h>

#include <jansson.h>

#include "audit/log.h"

#define AUDIT_REVIEW_USERS_MAX 100000 /* distinct professionals a day */

/* Why something is listed (bits). */
enum {
	AUDIT_FLAG_STATUTORY = 1u << 0,   /* legal basis "statutory..." */
	AUDIT_FLAG_BREAK_GLASS = 1u << 1,
	AUDIT_FLAG_AFTER_HOURS = 1u << 2, /* a professional acted outside office hours */
	AUDIT_FLAG_DENIED = 1u << 3,
	AUDIT_FLAG_PATTERN = 1u << 4,     /* a registry pattern flag ("pattern.flag") */
	AUDIT_FLAG_VOLUME = 1u << 5,      /* more lookups in a day than max_lookups */
};
#define AUDIT_FLAG_COUNT 6

typedef struct audit_review_opts {
	uint64_t since_ms, until_ms; /* UTC ms, inclusive; until 0: no end */
	unsigned office_start;       /* minutes after local midnight, inclusive */
	unsigned office_end;         /* minutes after local midnight, exclusive */
	unsigned office_days;        /* bit d: weekday d (0 Sunday .. 6 Saturday) */
	uint64_t max_lookups;        /* per professional and local day */
	uint64_t max_records;        /* records reviewed, at most (0: all); a
				      * review that stops there says so by
				      * *records == max_records */
} audit_review_opts;

/* 08:00-18:00, Monday to Friday, 50 lookups a day, the whole log. */
void audit_review_defaults(audit_review_opts *o);

/* "HH:MM-HH:MM" (start before end) into office_start / office_end. */
sk_status audit_hours_parse(audit_review_opts *o, const char *s) SK_MUST_CHECK;

/* "mon-fri", "mon,wed,fri" or a mix ("mon-wed,sat") into office_days. */
sk_status audit_days_parse(audit_review_opts *o, const char *s) SK_MUST_CHECK;

/* The flag's name: "statutory", "break-glass", "after-hours", "denied",
 * "pattern-flag", "volume"; bit is one AUDIT_FLAG_*. */
const char *audit_flag_name(unsigned bit);

/* The flags of one record under o (never AUDIT_FLAG_VOLUME). */
unsigned audit_review_classify(const audit_record *rec, const audit_review_opts *o);

/* One finding: a record and its flags; or (rec NULL, flags
 * AUDIT_FLAG_VOLUME) a professional's lookups on one day; or (rec NULL,
 * group set) routine reads folded: the reads of one kind (event) by one
 * professional of one client (or of no client: lists) on one day whose
 * only flag is after-hours,
 * one finding with their count, signed off through its first record.
 * Valid only during the callback. */
typedef struct audit_finding {
	const audit_record *rec;
	unsigned flags;
	const char *user;  /* volume, group */
	char day[11];      /* volume, group: YYYY-MM-DD, local */
	uint64_t count;    /* volume: lookups that day; group: reads */
	int group;
	const char *client, *event; /* group; client NULL: reads of no client */
	uint64_t first_seq, first_ms, last_ms; /* group: its first record, times */
	uint8_t first_id[AUDIT_ID_BYTES];
} audit_finding;

#define AUDIT_REVIEW_GROUPS_MAX 20000 /* groups of routine reads a day */

/* f as JSON (a new reference): {"id": record id hex, "kinds": [flag
 * names], "record": audit_record_json}; for volume {"id":
 * "volume:USER:DAY", "kinds", "user", "day", "count"}; for a group {"id":
 * first record id hex, "kinds", "group": true, "user", "client" (null for
 * lists), "event",
 * "day", "count", "seq" (the first record's), "first", "last" (ISO
 * times)}. */
sk_status audit_finding_json(json_t **out, const audit_finding *f) SK_MUST_CHECK;

typedef sk_status (*audit_finding_fn)(const audit_finding *f, void *arg);

/* The correlation id of a period's sign-off ("period:SINCE/UNTIL", ISO
 * UTC), the same from the CLI and the web. */
#define AUDIT_PERIOD_ID_BYTES 144
void audit_period_id(char out[static AUDIT_PERIOD_ID_BYTES], uint64_t since_ms, uint64_t until_ms);

/* Reviews the records of the period in time order, calling fn for each
 * finding (volume and group findings once their day is over). *records (may be NULL)
 * gets the number of records reviewed. Any status but SK_OK from fn stops
 * the review and is returned; SK_ERR_TOOBIG past AUDIT_REVIEW_USERS_MAX. */
sk_status audit_review(const audit_log *log, MDB_txn *txn, const audit_review_opts *o,
		       audit_finding_fn fn, void *arg, uint64_t *records) SK_MUST_CHECK;

#endif
