/* Configuration-file parsing on arbitrary bytes: anything over the limits
 * or malformed is refused, and what is accepted holds only well-formed
 * names, values without line breaks, and line numbers in file order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sk_config *c = NULL;
	unsigned last = 0;

	if (sk_config_parse(&c, (const char *)data, size) != SK_OK) {
		if (c != NULL)
			abort();
		return 0;
	}
	if (size > SK_CONFIG_FILE_MAX || c->n > SK_CONFIG_ENTRIES_MAX)
		abort();
	for (size_t i = 0; i < c->n; i++) {
		const sk_config_entry *e = &c->entries[i];
		size_t nn = strlen(e->name);

		if (nn == 0 || nn > SK_CONFIG_NAME_MAX || e->name[0] == '-' ||
		    strspn(e->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != nn)
			abort();
		if (strlen(e->value) > SK_CONFIG_LINE_MAX || strpbrk(e->value, "\n") != NULL)
			abort();
		if (e->line <= last)
			abort();
		last = e->line;
	}
	sk_config_free(c);
	return 0;
}
