/* The node's parsers on arbitrary bytes: the bundle body (every field
 * checked; the signature comes before it in node_join), the text check
 * of discussion messages, and the registry's reply to audit verify
 * --reconcile (every record well formed: an event, a known outcome). */
#include <stdlib.h>
#include <string.h>

#include "node/join.h"
#include "node/reconcile.h"
#include "node/textcheck.h"

/* The reconcile reply: a good page is taken whole. */
static void reconcile_reply(const uint8_t *data, size_t size)
{
	Schakel__V1__AuditRecordsResponse *resp =
		schakel__v1__audit_records_response__unpack(NULL, size, data);
	node_reconcile_set *set = NULL;
	node_reconcile_stats stats = {0};
	int more = 0;
	sk_status st;

	if (resp == NULL || node_reconcile_set_new(&set) != SK_OK)
		goto out;
	st = node_reconcile_take(set, resp, &stats, &more);
	if (st == SK_OK && (stats.fetched != resp->n_items || stats.matchable > stats.fetched ||
			    (more && resp->n_items == 0)))
		abort(); /* took less than a good page, or more than it held */
	if (st != SK_OK && st != SK_ERR_INVALID && st != SK_ERR_NOMEM && st != SK_ERR_TOOBIG)
		abort();
out:
	node_reconcile_set_free(set);
	schakel__v1__audit_records_response__free_unpacked(resp, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	node_federation *f = malloc(sizeof(*f));
	size_t at = 0;

	if (node_text_check((const char *)data, size, &at) != NODE_TEXT_OK && at >= size)
		abort(); /* a finding must point into the text */
	reconcile_reply(data, size);
	if (f == NULL)
		return 0;
	if (node_bundle_body_fill(f, data, size) == SK_OK &&
	    (f->n_pseudonymisers > OPRF_MAX_CHAIN || f->quorum > f->n_witnesses))
		abort(); /* accepted a bundle outside the bounds */
	free(f);
	return 0;
}
