#include <string.h>

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
