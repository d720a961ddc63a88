/* The operator's journal parser (registry/journal.h) on arbitrary bytes
 * under a fixed key (seed 7s; the corpus holds journals it signed): a
 * journal is refused, or every record it hands on follows the one before,
 * and its body is NUL-terminated text within the bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "registry/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	uint64_t last;
};

static sk_status each(const reg_journal_record *r, void *arg)
{
	struct walk *w = arg;
	json_t *o;

	if (r->seq != w->last + 1 || r->body_len > REG_JOURNAL_BODY_MAX ||
	    strlen(r->body) != r->body_len)
		abort();
	w->last = r->seq;
	/* what the replay does first with a body */
	o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
	json_decref(o);
	return SK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static key_ed25519 id;
	static int ready;
	struct walk w = {0};
	uint64_t n = 0;

	if (!ready) {
		uint8_t seed[32];

		if (sodium_init() < 0)
			abort();
		memset(seed, 7, sizeof(seed));
		key_ed25519_from_seed(&id, seed);
		ready = 1;
	}
	if (reg_journal_parse(data, size, id.pk, each, &w, &n, NULL) == SK_OK && w.last != n)
		abort();
	return 0;
}
