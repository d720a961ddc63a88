/* The client import file's line parser (node/import.h) on arbitrary bytes,
 * split into lines as a file would be: a row must hold a valid BSN, a
 * name and birthdate within their sizes and without a separator, and
 * parse the same again from its own fields. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_row(const node_import_row *r)
{
	node_import_row again;
	char line[NODE_IMPORT_LINE_MAX + 1];
	size_t nl = strnlen(r->name, sizeof(r->name)), bl = strnlen(r->birthdate, sizeof(r->birthdate));
	int n;

	if (nl > NODE_NAME_MAX || (bl != 0 && bl != NODE_DATE_BYTES) || strchr(r->name, ',') ||
	    strchr(r->name, '\n') || strchr(r->birthdate, ','))
		abort();
	n = snprintf(line, sizeof(line), "%.*s,%s,%s", BSN_DIGITS, r->b.digits, r->name,
		     r->birthdate);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if ((bl > 0 && r->birthdate[bl - 1] == '\r') || (bl == 0 && nl > 0 && r->name[nl - 1] == '\r'))
		return; /* a last field's "\r" is the line end's when parsed again */
	if (bl == 0) /* "bsn,name," has an empty birthdate field: not a row */
		n = snprintf(line, sizeof(line), "%.*s,%s", BSN_DIGITS, r->b.digits, r->name);
	if (node_import_parse(&again, line, (size_t)n, 2) != NODE_IMPORT_ROW ||
	    memcmp(&again, r, sizeof(again)) != 0)
		abort();
	sodium_memzero(&again, sizeof(again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		node_import_row row;

		if (node_import_parse(&row, p, len, ++lineno) == NODE_IMPORT_ROW)
			check_row(&row);
		sodium_memzero(&row, sizeof(row));
		p += len;
	}
	return 0;
}
