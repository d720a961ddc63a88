/* A directory record (protos/directory.h) on arbitrary bytes, as the
 * registry and every node parse what a member signed. Whatever parses is
 * within every bound, packs back to bytes that parse again, and searches
 * and the stale check run on it. */
#include <stdlib.h>
#include <string.h>

#include "protos/directory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[2 * WIRE_DIR_RECORD_MAX];
	Schakel__V1__DirectoryRecord *r = NULL, *again = NULL;
	wire_dir_query q = {"ggz", "volwassenen", "Zeist", "ggz", "zorg"};
	char why[200];
	size_t n;

	if (wire_dir_parse(data, size, &r, why, sizeof(why)) != SK_OK) {
		if (r != NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (strlen(r->display_name) == 0 || strlen(r->display_name) > WIRE_DIR_NAME_MAX ||
	    r->n_municipalities > WIRE_DIR_MUNICIPALITIES_MAX ||
	    r->n_services > WIRE_DIR_CODES_MAX || r->n_target_groups > WIRE_DIR_CODES_MAX ||
	    r->n_wegwijzers > WIRE_DIR_CONTACTS_MAX)
		abort();
	for (size_t i = 0; i < r->n_services; i++)
		if (wire_dir_word_find(wire_dir_services, r->services[i]) == NULL)
			abort();
	if (!wire_dir_match(r, &(wire_dir_query){0}))
		abort();
	(void)wire_dir_match(r, &q);
	(void)wire_dir_stale(r, UINT64_MAX);
	if ((n = schakel__v1__directory_record__get_packed_size(r)) > sizeof(out))
		abort();
	schakel__v1__directory_record__pack(r, out);
	if (wire_dir_parse(out, n, &again, why, sizeof(why)) != SK_OK)
		abort();
	schakel__v1__directory_record__free_unpacked(again, NULL);
	schakel__v1__directory_record__free_unpacked(r, NULL);
	return 0;
}
