#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "common/init.h"
#include "protos/rollover.h"

#define OLD "regio.example/registry"
#define NEW "regio.example/registry/2"

typedef struct fx {
	key_ed25519 id, other;
	note_signer *log, *wit;
	note_verifier wit_v;
	uint8_t *rn, *wn;
	size_t rlen, wlen;
} fx;

/* A checkpoint of origin with size and a root of fill bytes, signed by
 * the registry's key under origin's name (and cosigned by wit when cosign). */
static void note(fx *x, const char *origin, uint64_t size, uint8_t fill, int cosign,
		 uint8_t **out, size_t *len)
{
	note_checkpoint cp = {0};
	note_signer *k = NULL;

	E(note_signer_from_seed(&k, origin, NOTE_TYPE_ED25519, x->id.sk));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = size;
	memset(cp.root, fill, sizeof(cp.root));
	E(note_checkpoint_sign(out, len, &cp, k));
	if (cosign) {
		uint8_t *c = NULL;
		size_t clen = 0;

		E(note_checkpoint_cosign(&c, &clen, *out, *len, 1700000000, x->wit));
		free(*out);
		*out = c;
		*len = clen;
	}
	note_signer_free(k);
}

static int setup(void **state)
{
	fx *x = calloc(1, sizeof(*x));
	uint8_t seed[32];

	E(sk_init());
	randombytes_buf(seed, sizeof(seed));
	key_ed25519_from_seed(&x->id, seed);
	randombytes_buf(seed, sizeof(seed));
	key_ed25519_from_seed(&x->other, seed);
	E(note_signer_generate(&x->wit, "w1.example", NOTE_TYPE_COSIG));
	note_signer_verifier(&x->wit_v, x->wit);
	note(x, OLD, 10, 1, 0, &x->rn, &x->rlen);
	note(x, OLD, 17, 2, 1, &x->wn, &x->wlen);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;

	note_signer_free(x->wit);
	free(x->rn);
	free(x->wn);
	free(x);
	return 0;
}

/* Signed, it checks under the registry's key, with the witness's
 * cosignature on the witnessed checkpoint reported. */
static void test_roundtrip(void **state)
{
	fx *x = *state;
	uint8_t *body = NULL, sig[KEY_SIG_BYTES];
	size_t len = 0;
	note_sig_result res;
	wire_rollover r;

	E(wire_rollover_sign(&body, &len, sig, OLD, NEW, x->rn, x->rlen, x->wn, x->wlen, 42,
			     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, x->id.sk));
	E(wire_rollover_check(&r, body, len, sig, x->id.pk, &x->wit_v, 1, &res));
	assert_string_equal(r.st->old_origin, OLD);
	assert_string_equal(r.st->new_origin, NEW);
	assert_int_equal(r.restored.size, 10);
	assert_int_equal(r.witnessed.size, 17);
	assert_int_equal(r.st->issued_at, 42);
	assert_int_equal(res.verified, 1);
	wire_rollover_free(&r);
	/* another key, a flipped signature or body byte: refused */
	EFAIL(wire_rollover_check(&r, body, len, sig, x->other.pk, NULL, 0, NULL), SK_ERR_VERIFY);
	sig[0] ^= 1;
	EFAIL(wire_rollover_check(&r, body, len, sig, x->id.pk, NULL, 0, NULL), SK_ERR_VERIFY);
	sig[0] ^= 1;
	body[len - 1] ^= 1;
	EFAIL(wire_rollover_check(&r, body, len, sig, x->id.pk, NULL, 0, NULL), SK_ERR_VERIFY);
	free(body);
	EFAIL(wire_rollover_check(&r, body, WIRE_ROLLOVER_BODY_MAX + 1, sig, x->id.pk, NULL, 0,
				  NULL),
	      SK_ERR_TOOBIG);
}

/* What the statement's fields may not say. */
static void test_fields(void **state)
{
	fx *x = *state;
	uint8_t *body = NULL, sig[KEY_SIG_BYTES], *a = NULL, *b = NULL;
	size_t len = 0, alen = 0, blen = 0;
	wire_rollover r;
	int lost = SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST;

	/* the same origin; a bad origin; an unknown reason */
	EFAIL(wire_rollover_sign(&body, &len, sig, OLD, OLD, x->rn, x->rlen, x->wn, x->wlen, 1, lost,
				 x->id.sk),
	      SK_ERR_INVALID);
	EFAIL(wire_rollover_sign(&body, &len, sig, OLD, "a b", x->rn, x->rlen, x->wn, x->wlen, 1,
				 lost, x->id.sk),
	      SK_ERR_INVALID);
	EFAIL(wire_rollover_sign(&body, &len, sig, OLD, NEW, x->rn, x->rlen, x->wn, x->wlen, 1, 3,
				 x->id.sk),
	      SK_ERR_INVALID);
	/* restored larger than witnessed; the same size with another root */
	EFAIL(wire_rollover_sign(&body, &len, sig, OLD, NEW, x->wn, x->wlen, x->rn, x->rlen, 1, lost,
				 x->id.sk),
	      SK_ERR_INVALID);
	note(x, OLD, 17, 3, 0, &a, &alen);
	EFAIL(wire_rollover_sign(&body, &len, sig, OLD, NEW, a, alen, x->wn, x->wlen, 1, lost,
				 x->id.sk),
	      SK_ERR_INVALID);
	/* a checkpoint of another origin */
	note(x, "elsewhere.example/log", 12, 4, 0, &b, &blen);
	EFAIL(wire_rollover_sign(&body, &len, sig, OLD, NEW, b, blen, x->wn, x->wlen, 1, lost,
				 x->id.sk),
	      SK_ERR_INVALID);
	/* a planned move: both the same checkpoint */
	E(wire_rollover_sign(&body, &len, sig, OLD, NEW, x->wn, x->wlen, x->wn, x->wlen, 1,
			     SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_MOVE, x->id.sk));
	E(wire_rollover_check(&r, body, len, sig, x->id.pk, NULL, 0, NULL));
	wire_rollover_free(&r);
	/* a checkpoint signed by another key under the old origin */
	free(body);
	free(a);
	{
		note_checkpoint cp = {0};
		note_signer *k = NULL;

		E(note_signer_from_seed(&k, OLD, NOTE_TYPE_ED25519, x->other.sk));
		snprintf(cp.origin, sizeof(cp.origin), "%s", OLD);
		cp.size = 12;
		E(note_checkpoint_sign(&a, &alen, &cp, k));
		note_signer_free(k);
	}
	E(wire_rollover_sign(&body, &len, sig, OLD, NEW, a, alen, x->wn, x->wlen, 1, lost,
			     x->id.sk));
	E(wire_rollover_parse(&r, body, len)); /* no signature checked */
	wire_rollover_free(&r);
	EFAIL(wire_rollover_check(&r, body, len, sig, x->id.pk, NULL, 0, NULL), SK_ERR_VERIFY);
	free(body);
	free(a);
	free(b);
	/* not a statement at all */
	EFAIL(wire_rollover_parse(&r, (const uint8_t *)"\xff\xff", 2), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
