#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "net/conn.h"
#include "node/chain.h"

/* One hop: sends cur (n elements), checks the reply's proof against the
 * pinned key and replaces cur with the evaluated elements. */
static sk_status hop(uint8_t *cur, size_t n, const node_hop *h, const net_tls *tls)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__EvalRequest req = SCHAKEL__V1__EVAL_REQUEST__INIT;
	ProtobufCBinaryData *bl = calloc(n, sizeof(*bl));
	uint8_t *ev = malloc(OPRF_ELEMENT_BYTES * n);
	const Schakel__V1__EvalResponse *r;
	net_sync *sc = NULL;
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
	if ((st = net_sync_connect(&sc, tls, h->address, h->org_id, NODE_CHAIN_TIMEOUT_MS)) != SK_OK ||
	    (st = net_sync_request(sc, &env, &reply)) != SK_OK) {
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
			    const net_tls *tls)
{
	uint8_t *blind = NULL, *cur = NULL, input[BSN_INPUT_BYTES], out[OPRF_OUTPUT_BYTES];
	sk_status st = SK_OK;

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
		st = hop(cur, n, &hops[j], tls);
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
