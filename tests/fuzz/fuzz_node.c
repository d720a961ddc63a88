/* The node's bundle parser on arbitrary bytes: every field of a
 * BundleBody is checked (the signature comes before it in node_join). */
#include <stdlib.h>

#include "node/join.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	node_federation *f = malloc(sizeof(*f));

	if (f == NULL)
		return 0;
	if (node_bundle_body_fill(f, data, size) == SK_OK &&
	    (f->n_pseudonymisers > OPRF_MAX_CHAIN || f->quorum > f->n_witnesses))
		abort(); /* accepted a bundle outside the bounds */
	free(f);
	return 0;
}
