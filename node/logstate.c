#include <string.h>

#include <sodium.h>

#include "node/logstate.h"

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
