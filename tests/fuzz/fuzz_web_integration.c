/* The integration API's batch parser (web/api_integration.c) on arbitrary
 * JSON: each item of "items" as a client, a case and a consent change.
 * An item is either refused with a code and a sentence, or holds a valid
 * external id, and for a client a BSN that passes the elfproef; every
 * field stays within its size. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "node/ecd.h"
#include "web/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *items = json_is_array(doc) ? doc : json_object_get(doc, "items"), *o;
	node_ecd_client *c;
	node_ecd_case *k = calloc(1, sizeof(*k));
	size_t i;
	bsn b;

	if (sodium_init() < 0 || (c = sodium_malloc(sizeof(*c))) == NULL || k == NULL)
		abort();
	json_array_foreach(items, i, o)
	{
		if (i >= NODE_ECD_BATCH_MAX)
			break;
		api_integration_client_parse(o, c);
		check_text(c->id, sizeof(c->id));
		check_text(c->name, sizeof(c->name));
		check_text(c->birthdate, sizeof(c->birthdate));
		if (c->refuse == NULL && (!node_ecd_id_valid(c->id) || bsn_parse(&b, c->b.digits) != SK_OK))
			abort();
		if (c->refuse != NULL && c->refuse_detail[0] == 0)
			abort();
		for (int mode = 0; mode < 2; mode++) {
			api_integration_case_parse(o, mode, k);
			check_text(k->id, sizeof(k->id));
			check_text(k->client, sizeof(k->client));
			check_text(k->professional, sizeof(k->professional));
			check_text(k->categories, sizeof(k->categories));
			check_text(k->reason, sizeof(k->reason));
			if (k->refuse == NULL &&
			    (!node_ecd_id_valid(k->id) || (!mode && !node_ecd_id_valid(k->client)) ||
			     (k->flags & ~(uint32_t)NODE_FLAGS_ALL) != 0 ||
			     (k->basis == NODE_BASIS_STATUTORY) != (k->reason[0] != 0)))
				abort();
		}
	}
	sodium_memzero(&b, sizeof(b));
	sodium_free(c);
	free(k);
	json_decref(doc);
	return 0;
}
