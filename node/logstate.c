#include <string.h>

#include <sodium.h>

#include "node/logstate.h"
#include "protos/rollover.h"

static sk_status failed(node_log_failure *f, const char *what, const char *why,
			const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	*f = (node_log_failure){what, why, a->data, b != NULL ? b->data : NULL, a->len,
				b != NULL ? b->len : 0};
	return SK_ERR_VERIFY;
}

/* 1 when proof shows the tree t is a prefix of cp (equal trees: no proof). */
static int extends(const node_log_tree *t, const note_checkpoint *cp,
		   const ProtobufCBinaryData *proof)
{
	if (t->size > cp->size || proof->len % MERKLE_HASH_BYTES != 0)
		return 0;
	if (t->size == cp->size)
		return proof->len == 0 && memcmp(t->root, cp->root, MERKLE_HASH_BYTES) == 0;
	return merkle_consistency_verify(t->root, cp->root, t->size, cp->size, proof->data,
					 proof->len / MERKLE_HASH_BYTES) == SK_OK;
}

sk_status node_log_check(note_checkpoint *cp, note_sig_result *cosigs,
			 const Schakel__V1__ConsistencyResponse *cr, const note_verifier *log_key,
			 const note_verifier *witnesses, size_t n, const note_checkpoint *from,
			 const node_log_tree *also, size_t n_also, node_log_failure *f)
{
	const ProtobufCBinaryData *note = &cr->checkpoint;

	if (note_checkpoint_open(cp, cosigs, note->data, note->len, log_key, witnesses, n) != SK_OK)
		return failed(f, "checkpoint", "the registry's checkpoint does not verify", note,
			      NULL);
	if (from != NULL && from->size == 0 && cp->size == 0 &&
	    memcmp(from->root, cp->root, MERKLE_HASH_BYTES) != 0)
		return failed(f, "checkpoint", "two different empty trees", note, NULL);
	if (from != NULL && from->size > 0) {
		node_log_tree t = {from->size, {0}};

		memcpy(t.root, from->root, MERKLE_HASH_BYTES);
		if (!extends(&t, cp, &cr->proof))
			return failed(f, "inconsistent-checkpoint",
				      "the registry's latest checkpoint is not consistent with the "
				      "one this node verified before (a forked log)",
				      note, &cr->proof);
	}
	if (cr->n_also_proofs != n_also)
		return failed(f, "inconsistent-checkpoint",
			      "the registry left out consistency proofs this node asked for", note,
			      NULL);
	for (size_t i = 0; i < n_also; i++)
		if (!extends(&also[i], cp, &cr->also_proofs[i]))
			return failed(f, "inconsistent-checkpoint",
				      "a receipt's checkpoint is not consistent with the registry's "
				      "latest one (a forked log)",
				      note, &cr->also_proofs[i]);
	return SK_OK;
}

sk_status node_log_receipt_check(node_log_tree *tree, node_log_receipts *c,
				 const Schakel__V1__PublishReceipt *rc, const uint8_t *entry,
				 size_t elen, const uint8_t sig[static KEY_SIG_BYTES], uint64_t seq,
				 const uint8_t registry_key[static KEY_ED25519_PK_BYTES],
				 const note_verifier *log_key, node_log_failure *f)
{
	return node_log_receipt_check_leaf(tree, c, rc, WIRE_LEAF_ENTRY, entry, elen, sig, seq,
					   registry_key, log_key, f);
}

sk_status node_log_receipt_check_leaf(node_log_tree *tree, node_log_receipts *c,
				      const Schakel__V1__PublishReceipt *rc, unsigned kind,
				      const uint8_t *entry, size_t elen,
				      const uint8_t sig[static KEY_SIG_BYTES], uint64_t seq,
				      const uint8_t registry_key[static KEY_ED25519_PK_BYTES],
				      const note_verifier *log_key, node_log_failure *f)
{
	Schakel__V1__PublishReceiptBody *rb = NULL;
	uint8_t leaf[WIRE_LEAF_HASH_BYTES], h[32];
	note_checkpoint cp;
	sk_status st = SK_ERR_VERIFY;

	/* receipts of one group commit share a signature: checked once */
	if (wire_receipt_verify(rc, registry_key, &c->batch) != SK_OK ||
	    (rb = schakel__v1__publish_receipt_body__unpack(NULL, rc->body.len, rc->body.data)) ==
		    NULL) {
		failed(f, "receipt", "the registry's receipt does not verify", &rc->body, NULL);
		goto out;
	}
	if (wire_leaf_hash(leaf, kind, entry, elen, sig) != SK_OK || rb->seq != seq ||
	    rb->leaf_hash.len != sizeof(leaf) || memcmp(rb->leaf_hash.data, leaf, sizeof(leaf)) != 0) {
		failed(f, "receipt", "the receipt is for another entry", &rc->body, NULL);
		goto out;
	}
	if (!rc->has_checkpoint) {
		*f = (node_log_failure){"receipt-checkpoint", "the receipt carries no checkpoint",
					NULL, NULL, 0, 0};
		goto out;
	}
	/* receipts of one group commit share a checkpoint: verified once */
	crypto_hash_sha256(h, rc->checkpoint.data, rc->checkpoint.len);
	if (!c->have_note || memcmp(h, c->note_hash, sizeof(h)) != 0) {
		if (note_checkpoint_open(&cp, NULL, rc->checkpoint.data, rc->checkpoint.len, log_key,
					 NULL, 0) != SK_OK) {
			failed(f, "receipt-checkpoint", "the receipt's checkpoint does not verify",
			       &rc->checkpoint, NULL);
			goto out;
		}
		memcpy(c->note_hash, h, sizeof(h));
		c->note_tree.size = cp.size;
		memcpy(c->note_tree.root, cp.root, MERKLE_HASH_BYTES);
		c->have_note = 1;
	}
	if (!rc->has_inclusion_proof || rc->inclusion_proof.len % MERKLE_HASH_BYTES != 0 ||
	    merkle_inclusion_verify(c->note_tree.root, leaf, rb->leaf_index, c->note_tree.size,
				    rc->inclusion_proof.data,
				    rc->inclusion_proof.len / MERKLE_HASH_BYTES) != SK_OK) {
		failed(f, "inclusion", "the entry's inclusion proof does not verify", &rc->checkpoint,
		       &rc->inclusion_proof);
		goto out;
	}
	*tree = c->note_tree;
	st = SK_OK;
out:
	schakel__v1__publish_receipt_body__free_unpacked(rb, NULL);
	return st;
}

sk_status node_log_rollover_check(note_checkpoint *cp, note_verifier *new_log, size_t *cosigned,
				  const Schakel__V1__ConsistencyResponse *cr,
				  const note_verifier *old_log, const note_verifier *witnesses,
				  size_t n, uint64_t now, uint64_t max_age,
				  const note_checkpoint *from, node_log_failure *f)
{
	static const ProtobufCBinaryData none = {0, NULL};
	note_sig_result cosigs[NOTE_MAX_SIGS];
	const Schakel__V1__SignedRollover *sr = cr->rollover;
	wire_rollover ro = {0};
	sk_status st = SK_ERR_VERIFY;

	memset(cp, 0, sizeof(*cp));
	*cosigned = 0;
	if (n > NOTE_MAX_SIGS)
		return SK_ERR_TOOBIG;
	if (sr == NULL || !cr->has_rollover_proof || sr->signature.len != KEY_SIG_BYTES ||
	    cr->rollover_proof.len % MERKLE_HASH_BYTES != 0 ||
	    cr->rollover_proof.len / MERKLE_HASH_BYTES > WIRE_ROLLOVER_PROOF_MAX ||
	    cr->rollover_consistency.len % MERKLE_HASH_BYTES != 0 ||
	    cr->rollover_consistency.len / MERKLE_HASH_BYTES > WIRE_ROLLOVER_PROOF_MAX)
		return failed(f, "rollover", "the registry's log has another origin and no rollover "
					     "statement links it to the log this node verified",
			      &cr->checkpoint, NULL);
	if (wire_rollover_check(&ro, sr->body.data, sr->body.len, sr->signature.data,
				old_log->public_key, NULL, 0, NULL) != SK_OK ||
	    strcmp(ro.st->old_origin, old_log->name) != 0) {
		failed(f, "rollover", "the registry's rollover statement does not verify, or rolls "
				      "over another log than the one this node verified",
		       &sr->body, &none);
		goto out;
	}
	/* the statement must cover what this node verified of the old log */
	if (from != NULL && (from->size > ro.witnessed.size ||
			     (from->size == ro.witnessed.size &&
			      memcmp(from->root, ro.witnessed.root, MERKLE_HASH_BYTES) != 0))) {
		failed(f, "rollover", "the registry's rollover statement hides a checkpoint this node "
				      "verified (a rolled-back log)",
		       &sr->body, &none);
		goto out;
	}
	/* the new log: the same key under the new origin, witnessed, the
	 * restored tree's leaves first and then the statement */
	if (note_verifier_from_public(new_log, ro.st->new_origin, NOTE_TYPE_ED25519,
				      old_log->public_key) != SK_OK ||
	    note_checkpoint_open(cp, n > 0 ? cosigs : NULL, cr->checkpoint.data, cr->checkpoint.len,
				 new_log, witnesses, n) != SK_OK) {
		failed(f, "rollover", "the new log's checkpoint does not verify", &cr->checkpoint, NULL);
		goto out;
	}
	if (wire_rollover_linked(&ro, sr->body.data, sr->body.len, sr->signature.data, cp,
				 cr->rollover_proof.data, cr->rollover_proof.len / MERKLE_HASH_BYTES,
				 cr->rollover_consistency.data,
				 cr->rollover_consistency.len / MERKLE_HASH_BYTES) != SK_OK) {
		failed(f, "rollover", "the new log does not extend the restored tree with the "
				      "rollover statement as its next leaf",
		       &cr->checkpoint, &cr->rollover_proof);
		goto out;
	}
	*cosigned = n > 0 ? note_cosig_count(cosigs, witnesses, n, now, max_age) : 0;
	st = SK_OK;
out:
	if (st != SK_OK)
		memset(cp, 0, sizeof(*cp));
	wire_rollover_free(&ro);
	return st;
}
