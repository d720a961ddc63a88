#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/logtrack.h"
#include "node/session_int.h"

/* Fetches the registry's checkpoint for us (the latest, or the latest
 * cosigned one) with the consistency proofs from tree size `from` and from
 * each of also (at most WIRE_CONSISTENCY_ALSO_MAX receipt trees), checks
 * them all, and the cosignatures of the bundle's witnesses: *cosigned
 * counts those under NODE_COSIG_MAX_AGE_S old. *cp and *note (malloc'd) on
 * SK_OK. SK_ERR_TRUNCATED (not an integrity failure): that checkpoint does
 * not cover one of also yet (the witnesses have not cosigned it). */
static sk_status latest_from_also(node_remote *r, const note_checkpoint *from,
				  const node_log_tree *also, size_t n_also, note_checkpoint *cp,
				  uint8_t **note, size_t *note_len, size_t *cosigned)
{
	note_sig_result cosigs[NODE_WITNESS_MAX];
	node_log_failure f;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__ConsistencyRequest req = SCHAKEL__V1__CONSISTENCY_REQUEST__INIT;
	const Schakel__V1__ConsistencyResponse *cr;
	uint64_t sizes[WIRE_CONSISTENCY_ALSO_MAX];
	sk_status st;

	*note = NULL;
	if (n_also > WIRE_CONSISTENCY_ALSO_MAX)
		return SK_ERR_TOOBIG;
	for (size_t i = 0; i < n_also; i++)
		sizes[i] = also[i].size;
	req.n_also = n_also;
	req.also = sizes;
	req.from = from != NULL ? from->size : 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_REQUEST;
	env.consistency_request = &req;
	st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_RESPONSE, &reply);
	if (st == SK_ERR_INVALID && req.from > 0) {
		/* our request is well formed: a registry that cannot prove
		 * consistency from a tree we verified has rolled its log back */
		const char *why = sk_error_detail();

		return node_remote_integrity(r, "rollback", "the registry cannot prove its log extends the one "
						"this node verified (a rolled-back log)",
				 (const uint8_t *)why, strlen(why), NULL, 0);
	}
	if (st != SK_OK)
		return st;
	cr = reply->consistency_response;
	*cosigned = 0;
	if (node_log_check(cp, cosigs, cr, &r->log_key, r->witnesses, r->n_witnesses, from, also,
			   n_also, &f) != SK_OK) {
		st = node_remote_integrity(r, f.what, f.why, f.a, f.alen, f.b, f.blen);
	} else if ((*note = malloc(cr->checkpoint.len + 1)) == NULL) {
		st = SK_ERR_NOMEM;
	} else {
		memcpy(*note, cr->checkpoint.data, cr->checkpoint.len);
		(*note)[cr->checkpoint.len] = 0;
		*note_len = cr->checkpoint.len;
		*cosigned = note_cosig_count(cosigs, r->witnesses, r->n_witnesses,
					     sk_clock_now_ms() / 1000, NODE_COSIG_MAX_AGE_S);
		/* cp->ext pointed into the reply: re-open on our copy */
		if (note_checkpoint_open(cp, NULL, *note, *note_len, &r->log_key, NULL, 0) != SK_OK)
			st = SK_ERR_VERIFY;
	}
	wire_envelope_free(reply);
	if (st != SK_OK) {
		free(*note);
		*note = NULL;
	}
	return st;
}

/* Sleeps NODE_COSIGN_POLL_MS unless *waits reached NODE_COSIGN_WAIT_MS. */
static int cosign_wait(unsigned *waits)
{
	struct timespec ts = {0, NODE_COSIGN_POLL_MS * 1000000L};

	if (++*waits >= NODE_COSIGN_WAIT_MS / NODE_COSIGN_POLL_MS)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

sk_status node_remote_checkpoint_advance(node_remote *r, const node_log_tree *trees, size_t nt,
					 uint64_t *tree_size)
{
	uint8_t *stored = NULL, *note = NULL;
	size_t slen = 0, nlen = 0;
	note_checkpoint old, latest;
	MDB_txn *txn = NULL;
	unsigned waits = 0;
	int have_old = 0;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_checkpoint_get(r->s, txn, &stored, &slen);
	mdb_txn_abort(txn);
	if (st == SK_OK) {
		if (note_checkpoint_open(&old, NULL, stored, slen, &r->log_key, NULL, 0) != SK_OK) {
			free(stored);
			sk_error_set("the checkpoint this node stored no longer verifies");
			return SK_ERR_VERIFY;
		}
		have_old = 1;
	} else if (st != SK_ERR_NOTFOUND) {
		return st;
	}
	for (size_t at = 0;;) {
		size_t k = nt - at < WIRE_CONSISTENCY_ALSO_MAX ? nt - at : WIRE_CONSISTENCY_ALSO_MAX;
		size_t cosigned = 0;
		int short_of = 0;

		free(note);
		note = NULL;
		st = latest_from_also(r, have_old ? &old : NULL, k ? trees + at : NULL, k, &latest,
				      &note, &nlen, &cosigned);
		short_of = st == SK_ERR_TRUNCATED || (st == SK_OK && cosigned < r->fed->quorum);
		if (short_of && cosign_wait(&waits))
			continue;
		if (short_of) {
			char why[256];

			if (st == SK_OK)
				snprintf(why, sizeof(why),
					 "the registry's checkpoint (tree size %llu) carries %zu of the "
					 "%u witness cosignatures under an hour old that this federation "
					 "requires (a stale or split view, or witnesses that are down)",
					 (unsigned long long)latest.size, cosigned, r->fed->quorum);
			else
				snprintf(why, sizeof(why),
					 "no checkpoint with the %u witness cosignatures this federation "
					 "requires covers this node's receipts (a stale or split view, or "
					 "witnesses that are down)",
					 r->fed->quorum);
			st = node_remote_integrity(r, "unwitnessed-checkpoint", why, note, note ? nlen : 0, NULL,
				       0);
		}
		if (st != SK_OK)
			goto out;
		old = latest;
		have_old = 1;
		at += k;
		if (at >= nt)
			break;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
		if ((st = node_checkpoint_put(r->s, txn, note, nlen)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	if (st == SK_OK && tree_size != NULL)
		*tree_size = old.size;
out:
	free(stored);
	free(note);
	return st;
}
