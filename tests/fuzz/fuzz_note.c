/* The signed-note, checkpoint and key-string parsers on arbitrary bytes.
 * Whatever parses must format back to the same bytes (the formats are
 * canonical), and a note that gains a signature must then open under it.
 * Fixed keys: the log key is Ed25519 seed 01..01 named schakel.example/log,
 * the witness is seed 02..02 named w1.example/witness (type 0x04), so seeds
 * signed with them reach the verifying paths. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static note_signer *log_signer;
static note_verifier keys[2]; /* log, witness */

static void setup(void)
{
	uint8_t seed[NOTE_SEED_BYTES];
	note_signer *w = NULL;

	if (sodium_init() < 0)
		abort();
	memset(seed, 1, sizeof(seed));
	if (note_signer_from_seed(&log_signer, "schakel.example/log", NOTE_TYPE_ED25519, seed) !=
	    SK_OK)
		abort();
	memset(seed, 2, sizeof(seed));
	if (note_signer_from_seed(&w, "w1.example/witness", NOTE_TYPE_COSIG, seed) != SK_OK)
		abort();
	note_signer_verifier(&keys[0], log_signer);
	note_signer_verifier(&keys[1], w);
	note_signer_free(w);
}

static void key_strings(const uint8_t *data, size_t size)
{
	char out[NOTE_SKEY_MAX];
	note_verifier v;
	note_signer *s = NULL;

	if (note_verifier_parse(&v, (const char *)data, size) == SK_OK) {
		if (note_verifier_format(out, &v) != SK_OK || strlen(out) != size ||
		    memcmp(out, data, size) != 0)
			abort();
	}
	if (note_signer_parse(&s, (const char *)data, size) == SK_OK) {
		if (note_signer_format(out, s) != SK_OK || strlen(out) != size ||
		    memcmp(out, data, size) != 0)
			abort();
		note_signer_free(s);
	}
	sodium_memzero(out, sizeof(out));
}

static void checkpoint(const uint8_t *data, size_t size)
{
	note_checkpoint cp;
	note_sig_result res[1];
	uint8_t *out = NULL;
	size_t len = 0;

	if (note_checkpoint_parse(&cp, data, size) == SK_OK) {
		if (note_checkpoint_format(&out, &len, &cp) != SK_OK || len != size ||
		    memcmp(out, data, size) != 0)
			abort();
		free(out);
	}
	if (note_checkpoint_open(&cp, res, data, size, &keys[0], &keys[1], 1) == SK_OK) {
		if (note_checkpoint_format(&out, &len, &cp) != SK_OK || len >= size ||
		    memcmp(out, data, len) != 0)
			abort();
		free(out);
		(void)note_cosig_count(res, &keys[1], 1, res[0].timestamp, 3600);
	}
}

static void signed_note(const uint8_t *data, size_t size)
{
	const uint8_t *text = NULL, *text2 = NULL;
	size_t text_len = 0, text2_len = 0, len = 0;
	note_sig_result res[2];
	uint8_t *out = NULL;

	if (note_open(&text, &text_len, res, data, size, keys, 2) == SK_OK) {
		if (text_len == 0 || text_len >= size || text != data ||
		    !(res[0].verified || res[1].verified))
			abort();
	}
	/* any well-formed note takes one more signature, which then verifies */
	if (note_add_signatures(&out, &len, data, size,
				(const note_signer *const *)&log_signer, 1) == SK_OK) {
		if (note_open(&text2, &text2_len, res, out, len, keys, 1) != SK_OK ||
		    !res[0].verified)
			abort();
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		setup();
		ready = 1;
	}
	key_strings(data, size);
	checkpoint(data, size);
	signed_note(data, size);
	return 0;
}
