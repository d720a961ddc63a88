#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/logtrack.h"
#include "protos/rollover.h"
#include "node/resume.h"
#include "node/session_int.h"

/* The text of a signed note: up to and with the line before the empty
 * one (0 when there is none). */
static size_t note_text(const uint8_t *note, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (note[i] == '\n' && note[i + 1] == '\n')
			return i + 1;
	return 0;
}

/* A copy of note (len bytes) with a NUL after it, opened into *cp under
 * key: the tracker's own, independent of the answer it came in. */
static sk_status keep_note(uint8_t **out, note_checkpoint *cp, const uint8_t *note, size_t len,
			   const note_verifier *key)
{
	if ((*out = malloc(len + 1)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*out, note, len);
	(*out)[len] = 0;
	if (note_checkpoint_open(cp, NULL, *out, len, key, NULL, 0) != SK_OK) {
		free(*out);
		*out = NULL;
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}

sk_status node_logtrack_start(node_logtrack *t, const uint8_t *note, size_t len)
{
	sk_status st;

	t->note = NULL;
	t->note_len = 0;
	memset(&t->cp, 0, sizeof(t->cp));
	if (note == NULL)
		return SK_OK;
	if ((st = keep_note(&t->note, &t->cp, note, len, t->log_key)) == SK_ERR_VERIFY)
		sk_error_set("the checkpoint this node stored no longer verifies");
	if (st == SK_OK)
		t->note_len = len;
	return st;
}

static void hops_clear(node_logtrack *t)
{
	for (size_t i = 0; i < t->n_hops; i++)
		free(t->hops[i].note);
	t->n_hops = 0;
}

/* The logs a chain went through after the first, with their checkpoints
 * (pointing into the answer), copied into t. */
static sk_status hops_keep(node_logtrack *t, const node_log_chain *c)
{
	hops_clear(t);
	for (size_t k = 1; k < c->n; k++) {
		struct node_logtrack_hop *h = &t->hops[t->n_hops];

		if ((h->note = malloc(c->hop[k].nlen ? c->hop[k].nlen : 1)) == NULL)
			return SK_ERR_NOMEM;
		memcpy(h->note, c->hop[k].note, c->hop[k].nlen);
		h->len = c->hop[k].nlen;
		memcpy(h->origin, c->hop[k].old_origin, sizeof(h->origin));
		t->n_hops++;
	}
	return SK_OK;
}

void node_logtrack_clear(node_logtrack *t)
{
	free(t->note);
	free(t->old_note);
	t->note = t->old_note = NULL;
	t->note_len = t->old_note_len = 0;
	hops_clear(t);
}

/* Fetches the registry's checkpoint for us (the latest, or the latest
 * cosigned one) with the consistency proofs from tree size `from` and from
 * each of also (at most WIRE_CONSISTENCY_ALSO_MAX receipt trees), checks
 * them all, and the cosignatures of the witnesses: *cosigned counts those
 * under NODE_COSIG_MAX_AGE_S old. *cp and *note (malloc'd) on SK_OK.
 * SK_ERR_TRUNCATED (not an integrity failure): that checkpoint does not
 * cover one of also yet (the witnesses have not cosigned it). */
static sk_status latest_from_also(node_logtrack *t, const note_checkpoint *from,
				  const node_log_tree *also, size_t n_also, note_checkpoint *cp,
				  uint8_t **note, size_t *note_len, size_t *cosigned,
				  note_verifier *rolled, uint64_t *issued,
				  uint64_t *restored)
{
	note_sig_result cosigs[NODE_WITNESS_MAX];
	node_log_failure f;
	wire_envelope *reply = NULL;
	Schakel__V1__ConsistencyRequest req = SCHAKEL__V1__CONSISTENCY_REQUEST__INIT;
	const Schakel__V1__ConsistencyResponse *cr;
	uint64_t sizes[WIRE_CONSISTENCY_ALSO_MAX];
	sk_status st;

	*note = NULL;
	if (n_also > WIRE_CONSISTENCY_ALSO_MAX || t->n_witnesses > NODE_WITNESS_MAX)
		return SK_ERR_TOOBIG;
	for (size_t i = 0; i < n_also; i++)
		sizes[i] = also[i].size;
	req.n_also = n_also;
	req.also = sizes;
	req.from = from != NULL ? from->size : 0;
	/* the log we track: a registry that rolled it over answers with the
	 * statement that links its new log to it */
	req.origin = from != NULL ? (char *)t->log_key->name : NULL;
	st = t->fetch(t->arg, &req, &reply);
	if (st == SK_ERR_INVALID && req.from > 0) {
		/* our request is well formed: a registry that cannot prove
		 * consistency from a tree we verified has rolled its log back */
		const char *why = sk_error_detail();

		return t->fail(t->arg, "rollback", "the registry cannot prove its log extends the one "
						   "this node verified (a rolled-back log)",
			       (const uint8_t *)why, strlen(why), NULL, 0);
	}
	if (st != SK_OK)
		return st;
	cr = reply->consistency_response;
	*cosigned = 0;
	rolled->name_len = 0;
	if (cr->rollover != NULL && from != NULL) {
		node_log_chain chain;

		/* another origin: accepted only with a chain of statements that
		 * covers what we verified; receipt trees of the old log do not
		 * carry over */
		if (n_also > 0 ||
		    node_log_rollover_chain_check(cp, rolled, cosigned, cr, t->log_key, t->witnesses,
						  t->n_witnesses, sk_clock_now_ms() / 1000,
						  NODE_COSIG_MAX_AGE_S, from, &chain, &f) != SK_OK) {
			if (n_also > 0)
				f = (node_log_failure){"rollover", "the registry rolled its log over "
								   "while receipts were checked",
						       NULL, NULL, 0, 0};
			rolled->name_len = 0;
			st = t->fail(t->arg, f.what, f.why, f.a, f.alen, f.b, f.blen);
		} else if ((st = keep_note(note, cp, cr->checkpoint.data, cr->checkpoint.len,
					   rolled)) == SK_OK) {
			*note_len = cr->checkpoint.len;
			/* the stretch the registry lost began with the first */
			*issued = chain.hop[0].issued_ms;
			*restored = chain.hop[0].restored_size;
			if ((st = hops_keep(t, &chain)) != SK_OK) {
				free(*note);
				*note = NULL;
				rolled->name_len = 0;
			}
		}
	} else if (node_log_check(cp, cosigs, cr, t->log_key, t->witnesses, t->n_witnesses, from, also,
			   n_also, &f) != SK_OK) {
		st = t->fail(t->arg, f.what, f.why, f.a, f.alen, f.b, f.blen);
	} else if ((st = keep_note(note, cp, cr->checkpoint.data, cr->checkpoint.len,
				   t->log_key)) == SK_OK) {
		/* cp->ext pointed into the reply: opened again on our copy */
		*note_len = cr->checkpoint.len;
		*cosigned = note_cosig_count(cosigs, t->witnesses, t->n_witnesses,
					     sk_clock_now_ms() / 1000, NODE_COSIG_MAX_AGE_S);
	}
	wire_envelope_free(reply);
	return st;
}

/* Sleeps t->poll_ms unless *waits reached t->wait_ms. */
static int cosign_wait(const node_logtrack *t, unsigned *waits)
{
	struct timespec ts = {(time_t)(t->poll_ms / 1000), (long)(t->poll_ms % 1000) * 1000000L};

	if (t->poll_ms == 0 || ++*waits >= t->wait_ms / t->poll_ms)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

sk_status node_logtrack_advance(node_logtrack *t, const node_log_tree *trees, size_t nt)
{
	uint8_t *note = NULL;
	size_t nlen = 0;
	note_checkpoint old = t->cp, latest;
	note_verifier rolled = {0};
	uint64_t issued = 0, restored = 0;
	unsigned waits = 0;
	int have_old = t->note != NULL, switched = 0;
	sk_status st;

	for (size_t at = 0;;) {
		size_t k = nt - at < WIRE_CONSISTENCY_ALSO_MAX ? nt - at : WIRE_CONSISTENCY_ALSO_MAX;
		size_t cosigned = 0;
		int short_of = 0;

		free(note);
		note = NULL;
		st = latest_from_also(t, have_old ? &old : NULL, k ? trees + at : NULL, k, &latest,
				      &note, &nlen, &cosigned, &rolled, &issued,
				      &restored);
		short_of = st == SK_ERR_TRUNCATED || (st == SK_OK && cosigned < t->quorum);
		if (short_of && cosign_wait(t, &waits))
			continue;
		if (short_of) {
			char why[256];

			if (st == SK_OK)
				snprintf(why, sizeof(why),
					 "the registry's checkpoint (tree size %llu) carries %zu of the "
					 "%u witness cosignatures under an hour old that this federation "
					 "requires (a stale or split view, or witnesses that are down)",
					 (unsigned long long)latest.size, cosigned, t->quorum);
			else
				snprintf(why, sizeof(why),
					 "no checkpoint with the %u witness cosignatures this federation "
					 "requires covers this node's receipts (a stale or split view, or "
					 "witnesses that are down)",
					 t->quorum);
			st = t->fail(t->arg, "unwitnessed-checkpoint", why, note, note ? nlen : 0, NULL,
				     0);
		}
		if (st != SK_OK)
			goto out;
		old = latest;
		have_old = 1;
		if (rolled.name_len > 0) {
			switched = 1; /* the answer's origin, for the rest of this advance */
			break;
		}
		at += k;
		if (at >= nt)
			break;
	}
	if (switched) {
		/* the old log's checkpoint stays as evidence; the new key from now on */
		free(t->old_note);
		t->old_note = t->note;
		t->old_note_len = t->note_len;
		t->note = NULL;
		t->rolled_key = rolled;
		t->log_key = &t->rolled_key;
		t->rolled = 1;
		t->rolled_issued_ms = issued;
		t->rolled_restored = restored;
	}
	free(t->note);
	t->note = note;
	t->note_len = nlen;
	t->cp = old;
	note = NULL;
out:
	free(note);
	return st;
}

static sk_status session_fetch(void *arg, const Schakel__V1__ConsistencyRequest *req,
			       wire_envelope **reply)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;

	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_REQUEST;
	env.consistency_request = (Schakel__V1__ConsistencyRequest *)req;
	return node_remote_ask(arg, &env, SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_RESPONSE, reply);
}

static sk_status session_fail(void *arg, const char *what, const char *why, const uint8_t *a,
			      size_t alen, const uint8_t *b, size_t blen)
{
	return node_remote_integrity(arg, what, why, a, alen, b, blen);
}

sk_status node_remote_logtrack(node_remote *r, node_logtrack *t, const uint8_t *stored,
			       size_t slen)
{
	*t = (node_logtrack){.log_key = &r->log_key,
			     .witnesses = r->witnesses,
			     .n_witnesses = r->n_witnesses,
			     .quorum = r->fed->quorum,
			     .wait_ms = NODE_COSIGN_WAIT_MS,
			     .poll_ms = NODE_COSIGN_POLL_MS,
			     .fetch = session_fetch,
			     .fail = session_fail,
			     .arg = r};
	return node_logtrack_start(t, stored, slen);
}

sk_status node_remote_checkpoint_advance(node_remote *r, const node_log_tree *trees, size_t nt,
					 uint64_t *tree_size)
{
	node_logtrack t = {0};
	uint8_t *stored = NULL;
	size_t slen = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_checkpoint_get(r->s, txn, &stored, &slen);
	mdb_txn_abort(txn);
	if (st == SK_OK || st == SK_ERR_NOTFOUND)
		st = node_remote_logtrack(r, &t, st == SK_OK ? stored : NULL, slen);
	free(stored);
	if (st != SK_OK || (st = node_logtrack_advance(&t, trees, nt)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
		note_checkpoint was;

		/* across a rollover: the new origin, the old checkpoint as
		 * evidence and what to republish, with the new checkpoint */
		if (t.rolled &&
		    (note_checkpoint_parse(&was, t.old_note, note_text(t.old_note, t.old_note_len)) !=
			     SK_OK ||
		     (st = node_remote_rolled(r, txn, &t.rolled_key, was.origin, t.old_note,
					      t.old_note_len, t.rolled_issued_ms,
					      t.rolled_restored)) != SK_OK)) {
			mdb_txn_abort(txn);
			st = st != SK_OK ? st : SK_ERR_DB;
			goto out;
		}
		/* the logs in between keep the checkpoint the chain proved */
		for (size_t i = 0; t.rolled && st == SK_OK && i < t.n_hops; i++) {
			char key[sizeof(NODE_META_LOG_ROLLED) + NOTE_ORIGIN_MAX];

			snprintf(key, sizeof(key), "%s%s", NODE_META_LOG_ROLLED, t.hops[i].origin);
			st = node_meta_put(r->s, txn, key, t.hops[i].note, t.hops[i].len);
		}
		if (st == SK_OK && (st = node_checkpoint_put(r->s, txn, t.note, t.note_len)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	if (st == SK_OK && t.rolled)
		sk_log(SK_LOG_NOTICE, "the registry's log rolled over to %s; open cases, the "
				      "encryption key and the audit anchor are published again",
		       t.rolled_key.name);
	if (st == SK_OK && tree_size != NULL)
		*tree_size = t.cp.size;
out:
	node_logtrack_clear(&t);
	return st;
}

sk_status node_remote_log_follow(node_remote *r, uint64_t *tree_size,
				 char rolled_to[static NOTE_ORIGIN_MAX + 1])
{
	char before[NOTE_ORIGIN_MAX + 1];
	sk_status st;

	rolled_to[0] = '\0';
	memcpy(before, r->log_key.name, r->log_key.name_len + 1);
	if ((st = node_remote_checkpoint_advance(r, NULL, 0, tree_size)) != SK_OK)
		return st;
	if (strcmp(before, r->log_key.name) != 0)
		memcpy(rolled_to, r->log_key.name, r->log_key.name_len + 1);
	/* the restored registry numbers our mailbox items anew: pending from
	 * this rollover or from one followed before the node stopped */
	return node_remote_mailbox_rewind(r, NULL);
}

sk_status node_remote_checkpoint_take(node_remote *r, const char *what, const uint8_t *note,
				      size_t len, note_checkpoint *cp)
{
	node_log_tree tree;

	if (note == NULL) { /* an answer without one: kept as empty evidence */
		note = (const uint8_t *)"";
		len = 0;
	}
	if (note_checkpoint_open(cp, NULL, note, len, &r->log_key, NULL, 0) != SK_OK)
		return node_remote_integrity(r, what, "the registry's checkpoint does not verify",
					     note, len, NULL, 0);
	/* the answer's tree must extend the one this node verified */
	tree.size = cp->size;
	memcpy(tree.root, cp->root, sizeof(tree.root));
	return node_remote_checkpoint_advance(r, &tree, 1, NULL);
}
