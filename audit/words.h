/* Audit records in words for people: every event code as a Dutch and an
 * English sentence (the art. 15 report) and a short name (the privacy
 * officer's pages), purpose codes and roles in words, and dates as people
 * write them ("7 december 2026, 14:05", local time). An event code the
 * table lacks gets a generic sentence, never the code itself; the unit
 * test `audit_events` checks that every code the sources emit is here. */
#ifndef SK_AUDIT_WORDS_H
#define SK_AUDIT_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef enum audit_lang {
	AUDIT_LANG_NL = 1,
	AUDIT_LANG_EN,
} audit_lang;

/* "nl" or "en"; SK_ERR_INVALID otherwise. */
sk_status audit_lang_parse(audit_lang *out, const char *s) SK_MUST_CHECK;

/* One event code in words. sentence: what the actor did, said to the
 * client, after the actor ("heeft uw dossier%n bekeken"); "%n" marks
 * where a count goes (" 3 keer", " 3 times"; nothing for once). name: a
 * short name for lists and filters ("Dossier bekeken"). */
typedef struct audit_event_words {
	const char *code;
	const char *name_nl, *name_en;
	const char *sentence_nl, *sentence_en;
} audit_event_words;

/* The table, in the order the officer's pages list it. */
size_t audit_event_count(void);
const audit_event_words *audit_event_at(size_t i);

/* The entry of code, or NULL when the table lacks it. */
const audit_event_words *audit_event_find(const char *code);

/* The sentence of code in lang (a generic one for an unknown code). */
const char *audit_event_sentence(const char *code, audit_lang lang);
/* The short name of code in lang (a generic one for an unknown code). */
const char *audit_event_name(const char *code, audit_lang lang);

/* sentence with its last "%n" replaced by the count in words (nothing for 1) into
 * out (cut to fit cap). */
void audit_sentence_count(char *out, size_t cap, const char *sentence, uint64_t count,
			  audit_lang lang);

/* A purpose code in words ("afstemming van de zorg"); NULL for an
 * unknown code (say nothing rather than the code). */
const char *audit_purpose_words(const char *code, audit_lang lang);

/* A role as people say it: the role codes of the code base in words
 * ("privacy-officer": "functionaris gegevensbescherming"), any other role
 * (free text an admin gave) as it is. */
const char *audit_role_words(const char *role, audit_lang lang);

/* "ok", "denied", "failed" for people ("gelukt", "geweigerd", "mislukt"). */
const char *audit_outcome_words(int outcome, audit_lang lang);
/* The action letter for people ("aangemaakt", "ingezien", ...). */
const char *audit_action_words(int action, audit_lang lang);

#define AUDIT_DATE_WORDS_MAX 64
/* ms as a local date in words: "7 december 2026" (with_time: "7 december
 * 2026, 14:05"; English "7 December 2026, 14:05"). */
void audit_date_words(char out[static AUDIT_DATE_WORDS_MAX], uint64_t ms, audit_lang lang,
		      bool with_time);

#endif
