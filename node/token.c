#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "node/chain.h"
#include "node/entry.h"
#include "node/session_int.h"
#include "node/token.h"

/* Keeps (and frees) the evidence of a pseudonymiser's answer whose proof
 * did not verify (node_chain_tokens); the failure itself stays the
 * caller's, with the chain's message naming the pseudonymiser. */
static void chain_evidence(node_remote *r, char *ev)
{
	char why[256];

	if (ev == NULL)
		return;
	snprintf(why, sizeof(why), "%s", sk_error_detail());
	node_remote_evidence(r, "pseudonymiser-proof", (const uint8_t *)ev, strlen(ev), NULL, 0);
	sk_error_set("%s", why);
	free(ev);
}

/* The token of client for epoch: cached, else through the chain. */
sk_status node_remote_token(node_remote *r, const char *client, uint32_t epoch,
			      uint8_t token[static BSN_TOKEN_BYTES],
			      uint8_t ck[static BSN_CONTACT_KEY_BYTES])
{
	node_hop hops[OPRF_MAX_CHAIN];
	MDB_txn *txn = NULL;
	char *ev = NULL;
	bsn b;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_token_get(r->s, txn, client, epoch, token, ck);
	if (st == SK_ERR_NOTFOUND)
		st = node_client_bsn(r->s, txn, client, &b);
	else if (st == SK_OK) {
		mdb_txn_abort(txn);
		return SK_OK;
	}
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	if (r->fed->n_pseudonymisers == 0) {
		sk_error_set("the bundle lists no pseudonymisers");
		st = SK_ERR_INVALID;
		goto out;
	}
	for (size_t i = 0; i < r->fed->n_pseudonymisers; i++)
		hops[i] = (node_hop){r->fed->pseudonymisers[i].org_id,
				     r->fed->pseudonymisers[i].address,
				     r->fed->pseudonymisers[i].oprf_key,
				     r->fed->pseudonymisers[i].epoch, r->deadline_ms};
	if ((st = node_chain_tokens((uint8_t(*)[BSN_TOKEN_BYTES])token,
				    (uint8_t(*)[BSN_CONTACT_KEY_BYTES])ck, NULL, &b, 1, hops,
				    r->fed->n_pseudonymisers, r->tls, &ev)) != SK_OK) {
		chain_evidence(r, ev);
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = node_token_put(r->s, txn, client, epoch, token, ck)) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
out:
	sodium_memzero(&b, sizeof(b));
	return st;
}

/* Token batches shared by the workers of node_remote_tokens. */
typedef struct tok_work {
	node_remote *r;
	const char (*clients)[NODE_CLIENT_ID_MAX + 1];
	const size_t *missing; /* indexes into clients without a cached token */
	size_t n_missing, next;
	node_hop hops[OPRF_MAX_CHAIN];
	uint32_t epoch;
	pthread_mutex_t lock;
	sk_status st;
	char why[256];
	char *evidence; /* of the first answer whose proof failed, malloc'd */
	size_t made;
} tok_work;

/* One batch: the BSNs, the chain, the tokens stored. */
static sk_status tok_batch(tok_work *w, const size_t *which, size_t k, bsn *b,
			   uint8_t (*tok)[BSN_TOKEN_BYTES], uint8_t (*ck)[BSN_CONTACT_KEY_BYTES],
			   char **ev)
{
	node_remote *r = w->r;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	for (size_t i = 0; i < k && st == SK_OK; i++)
		st = node_client_bsn(r->s, txn, w->clients[which[i]], &b[i]);
	mdb_txn_abort(txn);
	if (st == SK_OK)
		st = node_chain_tokens(tok, ck, NULL, b, k, w->hops, r->fed->n_pseudonymisers,
				       r->tls, ev);
	sodium_memzero(b, k * sizeof(*b));
	if (st != SK_OK || (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	for (size_t i = 0; i < k && st == SK_OK; i++)
		st = node_token_put(r->s, txn, w->clients[which[i]], w->epoch, tok[i], ck[i]);
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static void *tok_main(void *arg)
{
	tok_work *w = arg;
	bsn *b = sodium_malloc(OPRF_MAX_BATCH * sizeof(*b));
	uint8_t(*tok)[BSN_TOKEN_BYTES] = malloc(OPRF_MAX_BATCH * BSN_TOKEN_BYTES);
	uint8_t(*ck)[BSN_CONTACT_KEY_BYTES] = sodium_malloc(OPRF_MAX_BATCH * BSN_CONTACT_KEY_BYTES);
	sk_status st = b != NULL && tok != NULL && ck != NULL ? SK_OK : SK_ERR_NOMEM;

	for (;;) {
		char *ev = NULL;
		size_t at, k;

		pthread_mutex_lock(&w->lock);
		if (st != SK_OK && w->st == SK_OK) {
			w->st = st;
			snprintf(w->why, sizeof(w->why), "%s", sk_error_detail());
		}
		at = w->next;
		k = w->st == SK_OK && at < w->n_missing
			    ? (w->n_missing - at < OPRF_MAX_BATCH ? w->n_missing - at : OPRF_MAX_BATCH)
			    : 0;
		w->next += k;
		pthread_mutex_unlock(&w->lock);
		if (k == 0)
			break;
		st = tok_batch(w, w->missing + at, k, b, tok, ck, &ev);
		pthread_mutex_lock(&w->lock);
		if (st == SK_OK)
			w->made += k;
		if (ev != NULL && w->evidence == NULL) {
			w->evidence = ev;
			ev = NULL;
		}
		pthread_mutex_unlock(&w->lock);
		free(ev);
	}
	if (b != NULL)
		sodium_free(b);
	if (ck != NULL)
		sodium_free(ck);
	free(tok);
	return NULL;
}

sk_status node_remote_tokens(node_remote *r, const char (*clients)[NODE_CLIENT_ID_MAX + 1],
			     size_t n, size_t *made)
{
	tok_work w = {0};
	size_t *missing = malloc((n ? n : 1) * sizeof(*missing)), started = 0;
	uint8_t tok[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES];
	pthread_t tid[NODE_TOKEN_THREADS];
	MDB_txn *txn = NULL;
	sk_status st;

	*made = 0;
	if (missing == NULL)
		return SK_ERR_NOMEM;
	w.r = r;
	w.clients = clients;
	w.missing = missing;
	w.epoch = node_remote_epoch(r);
	for (size_t i = 0; i < r->fed->n_pseudonymisers; i++)
		w.hops[i] = (node_hop){r->fed->pseudonymisers[i].org_id,
				       r->fed->pseudonymisers[i].address,
				       r->fed->pseudonymisers[i].oprf_key,
				       r->fed->pseudonymisers[i].epoch, r->deadline_ms};
	/* the clients without a cached token */
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		st = node_token_get(r->s, txn, clients[i], w.epoch, tok, ck);
		if (st == SK_ERR_NOTFOUND) {
			missing[w.n_missing++] = i;
			st = SK_OK;
		}
	}
	mdb_txn_abort(txn);
	sodium_memzero(ck, sizeof(ck));
	if (st != SK_OK || w.n_missing == 0)
		goto out;
	/* batches in flight on two threads: the chain's hops and our proof
	 * checks overlap instead of waiting on each other */
	pthread_mutex_init(&w.lock, NULL);
	for (size_t t = 0; t < NODE_TOKEN_THREADS && t * OPRF_MAX_BATCH < w.n_missing; t++) {
		if (pthread_create(&tid[t], NULL, tok_main, &w) != 0)
			break;
		started++;
	}
	if (started == 0)
		tok_main(&w);
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&w.lock);
	*made = w.made;
	if ((st = w.st) != SK_OK)
		sk_error_set("%s", w.why);
	if (st == SK_ERR_VERIFY)
		chain_evidence(r, w.evidence);
	else
		free(w.evidence);
out:
	free(missing);
	return st;
}
