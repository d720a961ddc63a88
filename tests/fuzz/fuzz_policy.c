/* The policy matrix's text form (schakel-registry init --policy, and the
 * registry's stored copy) on arbitrary bytes. Whatever parses must format
 * and parse back to the same matrix, and never claim more categories than
 * a federation may have. */
#include <stdlib.h>
#include <string.h>

#include "protos/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[WIRE_POLICY_TEXT_MAX];
	wire_policy p, q;
	size_t len = 0;

	if (wire_policy_parse(&p, (const char *)data, size) != SK_OK)
		return 0;
	if (p.n == 0 || p.n > WIRE_POLICY_MAX)
		abort();
	for (size_t i = 0; i < p.n; i++)
		if ((p.sees[i] >> p.n) != 0 || wire_policy_index(&p, p.name[i]) != (int)i)
			abort();
	if (wire_policy_format(out, sizeof(out), &len, &p) != SK_OK ||
	    wire_policy_parse(&q, out, len) != SK_OK || memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	return 0;
}
