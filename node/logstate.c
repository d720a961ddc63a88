#include <stdio.h>
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
	return node_log_rollover_chain_check(cp, new_log, cosigned, cr, old_log, witnesses, n, now,
					     max_age, from, NULL, f);
}

/* Link l of a chain: signed by the registry's key (pk), rolls over the
 * log tracked so far (*tracked, then moved to the new log's verifier),
 * covers *known (that log's checkpoint known so far, NULL: none) and sits
 * after the restored tree in *next, its new log's checkpoint (l's own, or
 * last's, opened with the witnesses' cosignatures into cosigs). */
static sk_status link_check(const wire_rollover_link *l, const ProtobufCBinaryData *last,
			    note_verifier *tracked, const note_checkpoint *known,
			    note_checkpoint *next, node_log_hop *hop, const note_verifier *witnesses,
			    size_t n, note_sig_result *cosigs, node_log_failure *f)
{
	static const ProtobufCBinaryData none = {0, NULL};
	const ProtobufCBinaryData *note = l->checkpoint != NULL ? l->checkpoint : last;
	wire_rollover ro = {0};
	note_verifier nv;
	sk_status st = SK_ERR_VERIFY;

	if (wire_rollover_check(&ro, l->body->data, l->body->len, l->sig->data,
				tracked->public_key, NULL, 0, NULL) != SK_OK ||
	    strcmp(ro.st->old_origin, tracked->name) != 0) {
		failed(f, "rollover", "the registry's rollover statement does not verify, or rolls "
				      "over another log than the one this node verified",
		       l->body, &none);
		goto out;
	}
	/* the statement must cover what this node verified of the old log */
	if (known != NULL && (known->size > ro.witnessed.size ||
			      (known->size == ro.witnessed.size &&
			       memcmp(known->root, ro.witnessed.root, MERKLE_HASH_BYTES) != 0))) {
		failed(f, "rollover", "the registry's rollover statement hides a checkpoint this node "
				      "verified (a rolled-back log)",
		       l->body, &none);
		goto out;
	}
	/* the new log: the same key under the new origin, the restored
	 * tree's leaves first and then the statement */
	if (note_verifier_from_public(&nv, ro.st->new_origin, NOTE_TYPE_ED25519,
				      tracked->public_key) != SK_OK ||
	    note_checkpoint_open(next, l->checkpoint == NULL && n > 0 ? cosigs : NULL, note->data,
				 note->len, &nv, l->checkpoint == NULL ? witnesses : NULL,
				 l->checkpoint == NULL ? n : 0) != SK_OK) {
		failed(f, "rollover", "the new log's checkpoint does not verify", note, NULL);
		goto out;
	}
	if (wire_rollover_linked(&ro, l->body->data, l->body->len, l->sig->data, next,
				 l->inclusion, l->n_inc, l->consistency, l->n_cons) != SK_OK) {
		failed(f, "rollover", "the new log does not extend the restored tree with the "
				      "rollover statement as its next leaf",
		       note, &none);
		goto out;
	}
	snprintf(hop->old_origin, sizeof(hop->old_origin), "%s", ro.st->old_origin);
	hop->issued_ms = ro.st->issued_at;
	hop->restored_size = ro.restored.size;
	*tracked = nv;
	st = SK_OK;
out:
	wire_rollover_free(&ro);
	return st;
}

sk_status node_log_rollover_chain_check(note_checkpoint *cp, note_verifier *new_log,
					size_t *cosigned, const Schakel__V1__ConsistencyResponse *cr,
					const note_verifier *old_log, const note_verifier *witnesses,
					size_t n, uint64_t now, uint64_t max_age,
					const note_checkpoint *from, node_log_chain *chain,
					node_log_failure *f)
{
	note_sig_result cosigs[NOTE_MAX_SIGS];
	wire_rollover_link links[WIRE_ROLLOVER_CHAIN_MAX];
	node_log_chain own;
	note_checkpoint known[2];
	note_verifier tracked = *old_log;
	size_t nl = 0;
	sk_status st;

	memset(cp, 0, sizeof(*cp));
	*cosigned = 0;
	if (chain == NULL)
		chain = &own;
	chain->n = 0;
	if (n > NOTE_MAX_SIGS)
		return SK_ERR_TOOBIG;
	if ((st = wire_rollover_links(links, &nl, cr)) != SK_OK)
		return failed(f, "rollover",
			      st == SK_ERR_TOOBIG
				      ? "the registry's log rolled over more often than a node "
					"follows at once"
				      : "the registry's log has another origin and no rollover "
					"statement links it to the log this node verified",
			      &cr->checkpoint, NULL);
	/* each link in order, from the log this node verified to the new one */
	for (size_t k = 0; k < nl; k++) {
		const note_checkpoint *had = k == 0 ? from : &known[(k - 1) % 2];
		note_checkpoint *next = k + 1 == nl ? cp : &known[k % 2];

		if (link_check(&links[k], &cr->checkpoint, &tracked, had, next, &chain->hop[k],
			       witnesses, n, cosigs, f) != SK_OK) {
			memset(cp, 0, sizeof(*cp));
			chain->n = 0;
			return SK_ERR_VERIFY;
		}
		chain->hop[k].note = k > 0 ? links[k - 1].checkpoint->data : NULL;
		chain->hop[k].nlen = k > 0 ? links[k - 1].checkpoint->len : 0;
	}
	chain->n = nl;
	*new_log = tracked;
	*cosigned = n > 0 ? note_cosig_count(cosigs, witnesses, n, now, max_age) : 0;
	return SK_OK;
}
