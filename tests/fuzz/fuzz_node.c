/* The node's parsers on arbitrary bytes: the bundle body (every field
 * checked; the signature comes before it in node_join) and the text check
 * of discussion messages. */
#include <stdlib.h>

#include "node/join.h"
#include "node/textcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	node_federation *f = malloc(sizeof(*f));
	size_t at = 0;

	if (node_text_check((const char *)data, size, &at) != NODE_TEXT_OK && at >= size)
		abort(); /* a finding must point into the text */
	if (f == NULL)
		return 0;
	if (node_bundle_body_fill(f, data, size) == SK_OK &&
	    (f->n_pseudonymisers > OPRF_MAX_CHAIN || f->quorum > f->n_witnesses))
		abort(); /* accepted a bundle outside the bounds */
	free(f);
	return 0;
}
