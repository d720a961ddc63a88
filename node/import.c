#include <string.h>

#include <sodium.h>

#include "node/import.h"

/* Splits buf "a,b,c" in place into at most max fields; -1 for more. */
static int fields(char *buf, char **f, int max)
{
	int n = 0;

	for (char *p = buf; n < max; n++) {
		f[n] = p;
		if ((p = strchr(p, ',')) == NULL)
			return n + 1;
		*p++ = 0;
	}
	return -1;
}

node_import_line node_import_parse(node_import_row *row, const char *line, size_t len,
				   size_t lineno)
{
	char buf[NODE_IMPORT_LINE_MAX + 1], *f[3];
	node_import_line r = NODE_IMPORT_FIELDS;
	int k;

	sodium_memzero(row, sizeof(*row));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > NODE_IMPORT_LINE_MAX || memchr(line, 0, len) != NULL)
		return NODE_IMPORT_FIELDS;
	if (len > 0)
		memcpy(buf, line, len);
	buf[len] = 0;
	k = fields(buf, f, 3);
	if ((lineno == 1 && strcmp(f[0], "bsn") == 0) || (k == 1 && f[0][0] == 0)) {
		r = NODE_IMPORT_SKIP; /* a header, an empty line */
	} else if (k < 1 || f[0][0] == 0) {
		r = NODE_IMPORT_FIELDS;
	} else if (bsn_parse(&row->b, f[0]) != SK_OK) {
		r = NODE_IMPORT_BSN;
	} else if ((k > 1 && strlen(f[1]) > NODE_NAME_MAX) ||
		   (k > 2 && strlen(f[2]) != NODE_DATE_BYTES)) {
		r = NODE_IMPORT_VALUE;
	} else {
		if (k > 1)
			memcpy(row->name, f[1], strlen(f[1]) + 1);
		if (k > 2)
			memcpy(row->birthdate, f[2], NODE_DATE_BYTES + 1);
		r = NODE_IMPORT_ROW;
	}
	if (r != NODE_IMPORT_ROW)
		sodium_memzero(row, sizeof(*row));
	sodium_memzero(buf, sizeof(buf));
	return r;
}
