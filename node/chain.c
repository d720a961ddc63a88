#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "net/conn.h"
#include "node/chain.h"

/* Evidence text being written: at moves on, end is the capacity. */
typedef struct ev_text {
	char *at, *end;
} ev_text;

/* Appends label, then k byte strings of len bytes each in hex, each after
 * a space, then a newline (evidence() sized the buffer for all of it). */
static void ev_line(ev_text *t, const char *label, const ProtobufCBinaryData *b, size_t k)
{
	t->at += snprintf(t->at, (size_t)(t->end - t->at), "%s", label);
	for (size_t i = 0; i < k; i++) {
		*t->at++ = ' ';
		sodium_bin2hex(t->at, (size_t)(t->end - t->at), b[i].data, b[i].len);
		t->at += 2 * b[i].len;
	}
	t->at += snprintf(t->at, (size_t)(t->end - t->at), "\n");
}

/* The evidence of a hop whose answer did not verify (chain.h); NULL when
 * out of memory (the failure is reported all the same). */
static char *evidence(const node_hop *h, const ProtobufCBinaryData *sent, size_t n,
		      const Schakel__V1__EvalResponse *r)
{
	ProtobufCBinaryData key = {OPRF_ELEMENT_BYTES, (uint8_t *)h->oprf_key};
	size_t cap = 512 + (2 * OPRF_ELEMENT_BYTES + 1) * (n + 1);
	ev_text t;
	char *text;

	if (r != NULL) {
		cap += 2 * r->proof.len + 1;
		for (size_t i = 0; i < r->n_evaluated; i++)
			cap += 2 * r->evaluated[i].len + 1;
	}
	if ((text = malloc(cap)) == NULL)
		return NULL;
	t = (ev_text){text, text + cap};
	t.at += snprintf(t.at, 320, "pseudonymiser %.64s at %.128s, epoch %u\n", h->org_id,
			 h->address, h->epoch);
	ev_line(&t, "pinned-key", &key, 1);
	ev_line(&t, "sent", sent, n);
	if (r == NULL) {
		snprintf(t.at, (size_t)(t.end - t.at), "answer: another kind of message\n");
		return text;
	}
	t.at += snprintf(t.at, (size_t)(t.end - t.at), "answer-epoch %u\n", r->epoch);
	ev_line(&t, "evaluated", r->evaluated, r->n_evaluated);
	ev_line(&t, "proof", &r->proof, 1);
	return text;
}

/* The timeout of a hop's next step: NODE_CHAIN_TIMEOUT_MS, or what is left
 * of its deadline; SK_ERR_IO once that has passed. */
static sk_status hop_timeout(const node_hop *h, unsigned *ms)
{
	uint64_t now = sk_clock_now_ms();

	*ms = NODE_CHAIN_TIMEOUT_MS;
	if (h->deadline_ms == 0)
		return SK_OK;
	if (now >= h->deadline_ms) {
		sk_error_set("timed out");
		return SK_ERR_IO;
	}
	if (h->deadline_ms - now < *ms)
		*ms = (unsigned)(h->deadline_ms - now);
	return SK_OK;
}

/* One hop: sends cur (n elements), checks the reply's proof against the
 * pinned key and replaces cur with the evaluated elements; on a bad answer
 * *evidence_out (if not NULL) gets its evidence. */
static sk_status hop(uint8_t *cur, size_t n, const node_hop *h, const net_tls *tls,
		     char **evidence_out)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__EvalRequest req = SCHAKEL__V1__EVAL_REQUEST__INIT;
	ProtobufCBinaryData *bl = calloc(n, sizeof(*bl));
	uint8_t *ev = malloc(OPRF_ELEMENT_BYTES * n);
	const Schakel__V1__EvalResponse *r;
	net_sync *sc = NULL;
	unsigned ms;
	sk_status st;

	if (bl == NULL || ev == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		bl[i] = (ProtobufCBinaryData){OPRF_ELEMENT_BYTES, cur + OPRF_ELEMENT_BYTES * i};
	req.epoch = h->epoch;
	req.n_blinded = n;
	req.blinded = bl;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST;
	env.eval_request = &req;
	if ((st = hop_timeout(h, &ms)) == SK_OK &&
	    (st = net_sync_connect(&sc, tls, h->address, h->org_id, ms)) == SK_OK &&
	    (st = hop_timeout(h, &ms)) == SK_OK) {
		net_sync_set_timeout(sc, ms);
		st = net_sync_request(sc, &env, &reply);
	}
	if (st != SK_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", sk_error_detail());
		sk_error_set("pseudonymiser %s: %s", h->org_id, why);
		goto out;
	}
	st = SK_ERR_VERIFY;
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_EVAL_RESPONSE)
		goto bad;
	r = reply->eval_response;
	if (r->epoch != h->epoch || r->n_evaluated != n || r->proof.len != OPRF_PROOF_BYTES)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (r->evaluated[i].len != OPRF_ELEMENT_BYTES)
			goto bad;
		memcpy(ev + OPRF_ELEMENT_BYTES * i, r->evaluated[i].data, OPRF_ELEMENT_BYTES);
	}
	if (oprf_proof_verify(r->proof.data, cur, ev, n, h->oprf_key) != SK_OK)
		goto bad;
	memcpy(cur, ev, OPRF_ELEMENT_BYTES * n);
	st = SK_OK;
	goto out;
bad:
	if (evidence_out != NULL)
		*evidence_out = evidence(h, bl, n,
					 reply->body_case == SCHAKEL__V1__ENVELOPE__BODY_EVAL_RESPONSE
						 ? reply->eval_response
						 : NULL);
	sk_error_set("pseudonymiser %s answered with a proof that does not verify against its "
		     "pinned key; no token was made",
		     h->org_id);
out:
	wire_envelope_free(reply);
	net_sync_close(sc);
	free(ev);
	free(bl);
	return st;
}

sk_status node_chain_tokens(uint8_t (*tokens)[BSN_TOKEN_BYTES],
			    uint8_t (*contact_keys)[BSN_CONTACT_KEY_BYTES], uint8_t *points,
			    const bsn *bsns, size_t n, const node_hop *hops, size_t nhops,
			    const net_tls *tls, char **evidence_out)
{
	uint8_t *blind = NULL, *cur = NULL, input[BSN_INPUT_BYTES], out[OPRF_OUTPUT_BYTES];
	sk_status st = SK_OK;

	if (evidence_out != NULL)
		*evidence_out = NULL;
	if (n == 0 || n > OPRF_MAX_BATCH || nhops == 0 || nhops > OPRF_MAX_CHAIN)
		return SK_ERR_INVALID;
	blind = sodium_malloc(OPRF_SCALAR_BYTES * n);
	cur = malloc(OPRF_ELEMENT_BYTES * n);
	if (blind == NULL || cur == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		bsn_token_input(input, &bsns[i]);
		st = oprf_blind(blind + OPRF_SCALAR_BYTES * i, cur + OPRF_ELEMENT_BYTES * i,
				OPRF_MODE_VOPRF, input, sizeof(input));
	}
	if (points != NULL && st == SK_OK)
		memcpy(points, cur, OPRF_ELEMENT_BYTES * n);
	for (size_t j = 0; j < nhops && st == SK_OK; j++) {
		st = hop(cur, n, &hops[j], tls, evidence_out);
		if (points != NULL && st == SK_OK)
			memcpy(points + OPRF_ELEMENT_BYTES * n * (j + 1), cur, OPRF_ELEMENT_BYTES * n);
	}
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		bsn_token_input(input, &bsns[i]);
		st = oprf_finalize(out, input, sizeof(input), cur + OPRF_ELEMENT_BYTES * i,
				   blind + OPRF_SCALAR_BYTES * i);
		if (st == SK_OK)
			bsn_split_output(tokens[i], contact_keys[i], out);
	}
out:
	sodium_memzero(input, sizeof(input));
	sodium_memzero(out, sizeof(out));
	if (blind != NULL)
		sodium_free(blind);
	free(cur);
	return st;
}
