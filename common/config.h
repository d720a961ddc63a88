/* Configuration files: "name = value" lines standing for long options
 * (name is an option without its dashes), so one file holds what a unit
 * would otherwise pass as flags. This module only parses; common/cli.c
 * decides what the names mean (sk_cli_parse, --config FILE). */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stddef.h>

#include "common/status.h"

#define SK_CONFIG_FILE_MAX (64 * 1024) /* bytes of a whole file */
#define SK_CONFIG_LINE_MAX 1024        /* bytes of one line, without its newline */
#define SK_CONFIG_ENTRIES_MAX 512      /* name = value lines */
#define SK_CONFIG_NAME_MAX 64          /* bytes of a name */

typedef struct sk_config_entry {
	const char *name;  /* [a-z0-9][a-z0-9-]*, never empty */
	const char *value; /* trimmed; "" when nothing follows '=' */
	unsigned line;     /* 1-based line number in the file */
} sk_config_entry;

/* Entries in file order; the strings live inside the sk_config and are
 * valid until sk_config_free. */
typedef struct sk_config {
	sk_config_entry *entries;
	size_t n;
	char *text; /* private: the file's text, cut into the strings above */
} sk_config;

/* Parses len bytes of text. Blank lines and lines whose first non-blank
 * character is '#' are skipped; every other line is "name = value" with
 * blanks allowed around both. On SK_ERR_INVALID or SK_ERR_TOOBIG the
 * detail (sk_error_detail) names the line. *out is the caller's
 * (sk_config_free). */
sk_status sk_config_parse(sk_config **out, const char *text, size_t len) SK_MUST_CHECK;

/* Reads and parses the file at path: a regular file of at most
 * SK_CONFIG_FILE_MAX bytes that group and others cannot write
 * (SK_ERR_PERM). Details name the file. */
sk_status sk_config_load(sk_config **out, const char *path) SK_MUST_CHECK;

/* Accepts NULL. */
void sk_config_free(sk_config *c);

#endif
