#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/merkle.h"
#include "protos/domains.h"
#include "protos/rollover.h"
#include "protos/wire.h"

/* An origin as a checkpoint's first line may carry it: 1 to
 * NOTE_ORIGIN_MAX bytes, no space or control character. */
static int origin_ok(const char *o)
{
	size_t n = o != NULL ? strlen(o) : 0;

	if (n == 0 || n > NOTE_ORIGIN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)o[i] <= 0x20 || (unsigned char)o[i] == 0x7f)
			return 0;
	return 1;
}

static int reason_ok(int reason)
{
	return reason == SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST ||
	       reason == SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_MOVE;
}

/* The checkpoint of a signed note (its text up to the empty line), of
 * origin; no signature is checked. */
static sk_status note_body(note_checkpoint *cp, const ProtobufCBinaryData *note,
			   const char *origin)
{
	if (note->len == 0 || note->len > WIRE_ROLLOVER_NOTE_MAX)
		return note->len == 0 ? SK_ERR_INVALID : SK_ERR_TOOBIG;
	for (size_t i = 0; i + 1 < note->len; i++)
		if (note->data[i] == '\n' && note->data[i + 1] == '\n') {
			if (note_checkpoint_parse(cp, note->data, i + 1) != SK_OK ||
			    strcmp(cp->origin, origin) != 0)
				return SK_ERR_INVALID;
			return SK_OK;
		}
	return SK_ERR_INVALID;
}

/* The fields' rules, shared by the writer and the reader. */
static sk_status fields_check(const Schakel__V1__RolloverStatement *s, note_checkpoint *restored,
			      note_checkpoint *witnessed)
{
	sk_status st;

	if (s->base.n_unknown_fields != 0 || !origin_ok(s->old_origin) ||
	    !origin_ok(s->new_origin) || strcmp(s->old_origin, s->new_origin) == 0 ||
	    !reason_ok(s->reason))
		return SK_ERR_INVALID;
	if ((st = note_body(restored, &s->restored_checkpoint, s->old_origin)) != SK_OK ||
	    (st = note_body(witnessed, &s->witnessed_checkpoint, s->old_origin)) != SK_OK)
		return st;
	/* what was lost lies between the two: never a witnessed tree smaller
	 * than the backup's, and the same size is the same tree */
	if (restored->size > witnessed->size ||
	    (restored->size == witnessed->size &&
	     memcmp(restored->root, witnessed->root, NOTE_HASH_BYTES) != 0))
		return SK_ERR_INVALID;
	return SK_OK;
}

sk_status wire_rollover_sign(uint8_t **body, size_t *len, uint8_t sig[static KEY_SIG_BYTES],
			     const char *old_origin, const char *new_origin,
			     const uint8_t *restored, size_t rlen, const uint8_t *witnessed,
			     size_t wlen, uint64_t issued_at, int reason,
			     const uint8_t sk[static KEY_ED25519_SK_BYTES])
{
	Schakel__V1__RolloverStatement s = SCHAKEL__V1__ROLLOVER_STATEMENT__INIT;
	note_checkpoint r, w;
	uint8_t *b = NULL;
	size_t n;
	sk_status st;

	*body = NULL;
	*len = 0;
	s.old_origin = (char *)old_origin;
	s.new_origin = (char *)new_origin;
	s.restored_checkpoint = (ProtobufCBinaryData){rlen, (uint8_t *)restored};
	s.witnessed_checkpoint = (ProtobufCBinaryData){wlen, (uint8_t *)witnessed};
	s.issued_at = issued_at;
	s.reason = (Schakel__V1__RolloverReason)reason;
	if ((st = fields_check(&s, &r, &w)) != SK_OK)
		return st;
	if ((n = schakel__v1__rollover_statement__get_packed_size(&s)) > WIRE_ROLLOVER_BODY_MAX)
		return SK_ERR_TOOBIG;
	if ((b = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__rollover_statement__pack(&s, b);
	if ((st = key_sign(sig, WIRE_DOMAIN_ROLLOVER, b, n, sk)) != SK_OK) {
		free(b);
		return st;
	}
	*body = b;
	*len = n;
	return SK_OK;
}

sk_status wire_rollover_parse(wire_rollover *r, const uint8_t *body, size_t len)
{
	sk_status st;

	memset(r, 0, sizeof(*r));
	if (len > WIRE_ROLLOVER_BODY_MAX)
		return SK_ERR_TOOBIG;
	if ((r->st = schakel__v1__rollover_statement__unpack(NULL, len, body)) == NULL)
		return SK_ERR_INVALID;
	if ((st = fields_check(r->st, &r->restored, &r->witnessed)) != SK_OK)
		wire_rollover_free(r);
	return st;
}

sk_status wire_rollover_check(wire_rollover *r, const uint8_t *body, size_t len,
			      const uint8_t sig[static KEY_SIG_BYTES],
			      const uint8_t pk[static KEY_ED25519_PK_BYTES],
			      const note_verifier *witnesses, size_t n, note_sig_result *cosigs)
{
	note_verifier old;
	sk_status st;

	memset(r, 0, sizeof(*r));
	if (len > WIRE_ROLLOVER_BODY_MAX)
		return SK_ERR_TOOBIG;
	if (key_verify(sig, WIRE_DOMAIN_ROLLOVER, body, len, pk) != SK_OK)
		return SK_ERR_VERIFY;
	if ((st = wire_rollover_parse(r, body, len)) != SK_OK)
		return st;
	/* both checkpoints signed by the same key under the old origin */
	if ((st = note_verifier_from_public(&old, r->st->old_origin, NOTE_TYPE_ED25519, pk)) !=
		    SK_OK ||
	    (st = note_checkpoint_open(&r->restored, NULL, r->st->restored_checkpoint.data,
				       r->st->restored_checkpoint.len, &old, NULL, 0)) != SK_OK ||
	    (st = note_checkpoint_open(&r->witnessed, n > 0 ? cosigs : NULL,
				       r->st->witnessed_checkpoint.data,
				       r->st->witnessed_checkpoint.len, &old, witnesses, n)) != SK_OK) {
		wire_rollover_free(r);
		return st == SK_ERR_NOMEM ? st : SK_ERR_VERIFY;
	}
	return SK_OK;
}

void wire_rollover_free(wire_rollover *r)
{
	if (r->st != NULL)
		schakel__v1__rollover_statement__free_unpacked(r->st, NULL);
	memset(r, 0, sizeof(*r));
}

sk_status wire_rollover_linked(const wire_rollover *r, const uint8_t *body, size_t len,
			       const uint8_t sig[static KEY_SIG_BYTES], const note_checkpoint *cp,
			       const uint8_t *inclusion, size_t n_inc, const uint8_t *consistency,
			       size_t n_cons)
{
	uint8_t leaf[WIRE_LEAF_HASH_BYTES];
	uint64_t at = r->restored.size;

	if (r->st == NULL || cp->size <= at || n_inc > WIRE_ROLLOVER_PROOF_MAX ||
	    n_cons > WIRE_ROLLOVER_PROOF_MAX ||
	    wire_leaf_hash(leaf, WIRE_LEAF_ROLLOVER, body, len, sig) != SK_OK ||
	    merkle_inclusion_verify(cp->root, leaf, at, cp->size, inclusion, n_inc) != SK_OK)
		return SK_ERR_VERIFY;
	/* the restored tree is the new log's prefix */
	if (at == 0)
		return n_cons == 0 ? SK_OK : SK_ERR_VERIFY;
	return merkle_consistency_verify(r->restored.root, cp->root, at, cp->size, consistency,
					 n_cons) == SK_OK
		       ? SK_OK
		       : SK_ERR_VERIFY;
}

/* A proof of whole hashes, at most WIRE_ROLLOVER_PROOF_MAX of them. */
static int proof_ok(const ProtobufCBinaryData *p)
{
	return p->len % MERKLE_HASH_BYTES == 0 &&
	       p->len / MERKLE_HASH_BYTES <= WIRE_ROLLOVER_PROOF_MAX;
}

static int statement_ok(const Schakel__V1__SignedRollover *sr)
{
	return sr != NULL && sr->body.len > 0 && sr->body.len <= WIRE_ROLLOVER_BODY_MAX &&
	       sr->signature.len == KEY_SIG_BYTES;
}

sk_status wire_rollover_links(wire_rollover_link out[static WIRE_ROLLOVER_CHAIN_MAX], size_t *n,
			      const Schakel__V1__ConsistencyResponse *cr)
{
	*n = 0;
	if (cr->n_chain >= WIRE_ROLLOVER_CHAIN_MAX)
		return SK_ERR_TOOBIG;
	for (size_t i = 0; i < cr->n_chain; i++) {
		const Schakel__V1__RolloverRequest *l = cr->chain[i];

		if (l == NULL || !statement_ok(l->statement) || l->checkpoint.len == 0 ||
		    l->checkpoint.len > WIRE_ROLLOVER_NOTE_MAX || !proof_ok(&l->inclusion_proof) ||
		    !proof_ok(&l->consistency_proof))
			return SK_ERR_INVALID;
		out[i] = (wire_rollover_link){&l->statement->body,
					      &l->statement->signature,
					      &l->checkpoint,
					      l->inclusion_proof.data,
					      l->consistency_proof.data,
					      l->inclusion_proof.len / MERKLE_HASH_BYTES,
					      l->consistency_proof.len / MERKLE_HASH_BYTES};
	}
	if (!statement_ok(cr->rollover) || !cr->has_rollover_proof ||
	    !proof_ok(&cr->rollover_proof) || !proof_ok(&cr->rollover_consistency))
		return SK_ERR_INVALID;
	out[cr->n_chain] = (wire_rollover_link){&cr->rollover->body,
						&cr->rollover->signature,
						NULL,
						cr->rollover_proof.data,
						cr->rollover_consistency.data,
						cr->rollover_proof.len / MERKLE_HASH_BYTES,
						cr->rollover_consistency.len / MERKLE_HASH_BYTES};
	*n = cr->n_chain + 1;
	return SK_OK;
}
