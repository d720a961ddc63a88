/* The audit record decoder on arbitrary bytes, as a stored value (record
 * bytes || hash) read back from LMDB: view, decode, check the hash, and
 * format whatever decodes, which must always fit the documented bounds. */
#include <stdlib.h>
#include <string.h>

#include "audit/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[AUDIT_SCRATCH_BYTES];
	static char line[AUDIT_LINE_MAX];
	audit_record v, *r = NULL;
	json_t *j = NULL;
	sk_status vs, ds;

	vs = audit_record_view(&v, scratch, sizeof(scratch), data, size);
	ds = audit_record_decode(&r, data, size);
	if (vs != ds && ds != SK_ERR_NOMEM)
		abort(); /* the two parsers must agree */
	if (ds != SK_OK)
		return 0;
	vs = audit_record_verify(data, size, r->prev_hash);
	if (vs != SK_OK && vs != SK_ERR_VERIFY)
		abort();
	/* every decoded record formats, within AUDIT_LINE_MAX */
	if (audit_record_line(line, sizeof(line), r) != SK_OK ||
	    strlen(line) >= sizeof(line) || audit_record_json(&j, r) != SK_OK)
		abort();
	if (r->seq != v.seq || strcmp(r->org, v.org) != 0)
		abort();
	json_decref(j);
	audit_record_free(r);
	return 0;
}
