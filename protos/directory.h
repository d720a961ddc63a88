/* The directory record (the sociale kaart, docs/design.md "Directory"):
 * the fixed vocabulary of services and target groups with their Dutch
 * and English names, the bounds of every field, and the checks a record
 * must pass before anyone signs, stores or shows it. No I/O, no clock:
 * callers pass the time. */
#ifndef SK_PROTOS_DIRECTORY_H
#define SK_PROTOS_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "protos/schakel.pb-c.h"

#define WIRE_DIR_RECORD_MAX 8192        /* bytes of a signed record */
#define WIRE_DIR_ORG_MAX 63             /* org id and category, as net/cert.h */
#define WIRE_DIR_NAME_MAX 64            /* display name, a contact's name and role */
#define WIRE_DIR_MUNICIPALITIES_MAX 32
#define WIRE_DIR_MUNICIPALITY_MAX 64
#define WIRE_DIR_CODES_MAX 16           /* services, and target groups */
#define WIRE_DIR_TEXT_MAX 1000          /* services_text, how_to_refer */
#define WIRE_DIR_WEEKS_MAX 104
#define WIRE_DIR_CONTACTS_MAX 8
#define WIRE_DIR_PHONE_MAX 32
#define WIRE_DIR_EMAIL_MAX 128
#define WIRE_DIR_STALE_MS (30ull * 24 * 3600 * 1000) /* a waiting time this old is stale */
#define WIRE_DIR_CLOCK_SKEW_MS (5ull * 60 * 1000)     /* issued_at this far off is refused */

typedef struct wire_dir_word {
	const char *code, *nl, *en;
} wire_dir_word;

/* The vocabularies, in display order, ending with a {NULL} row. */
extern const wire_dir_word wire_dir_services[];
extern const wire_dir_word wire_dir_target_groups[];

/* The word of code in vocab, or NULL. */
const wire_dir_word *wire_dir_word_find(const wire_dir_word *vocab, const char *code);

/* Checks r against the bounds and the vocabulary, and that it carries no
 * field this version does not know. SK_ERR_INVALID (or SK_ERR_TOOBIG for
 * a field over its bound) with one plain sentence in why. */
sk_status wire_dir_check(const Schakel__V1__DirectoryRecord *r, char *why,
			 size_t whylen) SK_MUST_CHECK;

/* Parses a signed record's bytes (at most WIRE_DIR_RECORD_MAX) and checks
 * it (wire_dir_check). *r owned by the caller
 * (schakel__v1__directory_record__free_unpacked). */
sk_status wire_dir_parse(const uint8_t *buf, size_t len, Schakel__V1__DirectoryRecord **r,
			 char *why, size_t whylen) SK_MUST_CHECK;

/* 1 when r's waiting time was given more than WIRE_DIR_STALE_MS before
 * now_ms (unix ms) or carries no date; 0 when fresh or when r gives none. */
int wire_dir_stale(const Schakel__V1__DirectoryRecord *r, uint64_t now_ms);

/* A search: NULL or "" fields match everything. service and target_group
 * are codes; municipality and category compare without case; text is
 * found, without case, in the name, the free texts, the municipalities
 * and the services' and target groups' names. */
typedef struct wire_dir_query {
	const char *service, *target_group, *municipality, *category, *text;
} wire_dir_query;

int wire_dir_match(const Schakel__V1__DirectoryRecord *r, const wire_dir_query *q);

#endif
