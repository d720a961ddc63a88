/* The lines of a client import file (`schakel-node client import`):
 * "bsn[,name[,birthdate]]" a line, no quoting (a name with a comma is
 * refused), an optional "bsn" header on the first line, empty lines
 * skipped. Parsing only: the CLI reads the file and stores the rows. */
#ifndef SK_NODE_IMPORT_H
#define SK_NODE_IMPORT_H

#include <stddef.h>

#include "crypto/bsn.h"
#include "node/date.h"
#include "node/professional.h"

#define NODE_IMPORT_LINE_MAX 511 /* bytes of one line, without its newline */

/* One row. WARNING: holds a BSN and a name; wipe it (sodium_memzero). */
typedef struct node_import_row {
	bsn b;
	char name[NODE_NAME_MAX + 1];          /* "" when not given */
	char birthdate[NODE_DATE_BYTES + 1];   /* "" when not given; checked when stored */
} node_import_row;

typedef enum node_import_line {
	NODE_IMPORT_ROW = 0, /* *row is filled */
	NODE_IMPORT_SKIP,    /* the header (first line only) or an empty line */
	NODE_IMPORT_FIELDS,  /* not bsn[,name[,birthdate]], a NUL byte, or too long */
	NODE_IMPORT_BSN,     /* not a valid BSN (nine digits, elfproef) */
	NODE_IMPORT_VALUE,   /* a name too long or a birthdate not 10 characters */
} node_import_line;

/* Parses line number lineno (from 1) of len bytes; a trailing "\n" or
 * "\r\n" is ignored, no NUL is needed. *row is written only for
 * NODE_IMPORT_ROW, and wiped otherwise. Every copy of the line made here
 * is wiped before returning. */
node_import_line node_import_parse(node_import_row *row, const char *line, size_t len,
				   size_t lineno) SK_MUST_CHECK;

#endif
