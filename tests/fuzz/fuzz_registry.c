/* The registry's entry rules on arbitrary bytes: parse, then every static
 * rule; whatever passes must respect the rules it claims to check. */
#include <stdlib.h>
#include <string.h>

#include "registry/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static wire_policy policy;
	reg_entry_ctx ctx = {"wijkteam", "sociaal-team", &policy, 1795000000000ull};
	Schakel__V1__Entry *e = NULL;

	if (policy.n == 0)
		wire_policy_default(&policy);
	if (reg_entry_check(&e, data, size, &ctx) != SK_OK)
		return 0;
	if (strcmp(e->org_id, "wijkteam") != 0 || e->token.len != REG_TOKEN_BYTES ||
	    (e->basis == SCHAKEL__V1__BASIS__BASIS_STATUTORY && !e->withdrawn &&
	     e->flags != REG_FLAG_DISCUSS))
		abort();
	schakel__v1__entry__free_unpacked(e, NULL);
	return 0;
}
