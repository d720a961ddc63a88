#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/case.h"
#include "node/contact.h"
#include "node/entry.h"
#include "node/lookup.h"
#include "node/session_int.h"
#include "node/token.h"

/* The node's audit record of a lookup, allowed or denied. */
static sk_status audit_lookup(node_remote *r, const char *client, const char *prof,
			      const char *role, const char *purpose, const char *reason,
			      const char *partners, const char *corr, const char *basis)
{
	audit_record rec = {0};

	rec.legal_basis = basis;
	rec.event = "lookup";
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = reason == NULL ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = reason;
	rec.user = prof;
	rec.role = role;
	rec.client = client;
	rec.purpose = purpose;
	rec.counterpart = partners != NULL && partners[0] ? partners : NULL;
	rec.correlation_id = corr;
	return node_audit_commit(r->s, &rec);
}

sk_status node_remote_lookup(node_remote *r, const char *client_ref, const char *prof,
			     const char *purpose, node_partner *out, size_t *n)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__LookupRequest req = SCHAKEL__V1__LOOKUP_REQUEST__INIT;
	char client[NODE_CLIENT_ID_MAX + 1], corr_hex[33], partners[AUDIT_FIELD_MAX + 1] = "";
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES], head[32], corr[16];
	int assigned = 0;
	node_professional p;
	node_entry_derived d;
	const char *basis = NULL;
	uint32_t epoch = node_remote_epoch(r);
	MDB_txn *txn = NULL;
	uint64_t head_seq;
	size_t used = 0;
	sk_status st;

	*n = 0;
	randombytes_buf(corr, sizeof(corr));
	sodium_bin2hex(corr_hex, sizeof(corr_hex), corr, sizeof(corr));
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = node_client_resolve(r->s, txn, client_ref, client)) == SK_OK &&
	    (st = node_professional_get(r->s, txn, prof, &p)) == SK_OK &&
	    (st = node_case_assigned_open(r->s, txn, client, prof, &assigned)) == SK_OK &&
	    (st = audit_log_head(r->s->audit, txn, &head_seq, head)) == SK_OK &&
	    node_entry_derive(r->s, txn, client, sk_clock_now_ms(), &d) == SK_OK && !d.withdraw)
		/* the basis the client's cases give, for the privacy officer's review */
		basis = d.basis == NODE_BASIS_STATUTORY ? "statutory" : "consent";
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	if (!assigned || !wire_purpose_valid(purpose)) {
		const char *why = !assigned ? "the professional is not assigned to an open case of "
					      "this client"
					    : "unknown purpose code";

		if ((st = audit_lookup(r, client, prof, p.role, purpose, why, NULL, corr_hex, basis)) !=
		    SK_OK)
			return st;
		sk_error_set("%s", why);
		return SK_ERR_PERM;
	}
	if ((st = node_remote_token(r, client, epoch, token, ck)) != SK_OK)
		return st;
	req.token = (ProtobufCBinaryData){sizeof(token), token};
	req.epoch = epoch;
	req.purpose = (char *)purpose;
	req.role = p.role;
	req.audit_head = (ProtobufCBinaryData){sizeof(head), head};
	req.has_correlation_id = 1;
	req.correlation_id = (ProtobufCBinaryData){sizeof(corr), corr};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &req;
	st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_RESPONSE, &reply);
	if (st != SK_OK) {
		char why[AUDIT_REASON_MAX + 1];

		audit_text_clean(why, sizeof(why), sk_error_detail());
		if (audit_lookup(r, client, prof, p.role, purpose, why, NULL, corr_hex, basis) != SK_OK)
			sk_error_set("%s (and the refusal could not be audited)", why);
		goto out;
	}
	for (size_t i = 0; i < reply->lookup_response->n_results && *n < NODE_LOOKUP_MAX; i++) {
		const Schakel__V1__LookupResult *res = reply->lookup_response->results[i];
		node_partner *o = &out[*n];
		int w;

		/* the node enforces the policy matrix too */
		if (!wire_policy_sees(&r->s->policy, r->s->category, res->category) ||
		    !wire_policy_sees(&r->s->policy, res->category, r->s->category))
			continue;
		snprintf(o->org, sizeof(o->org), "%s", res->org_id);
		snprintf(o->category, sizeof(o->category), "%s", res->category);
		o->regie = res->regie;
		node_contact_open(res, token, epoch, ck, o->contact, sizeof(o->contact));
		w = snprintf(partners + used, sizeof(partners) - used, "%s%s", *n ? "," : "", o->org);
		if (w > 0 && (size_t)w < sizeof(partners) - used)
			used += (size_t)w;
		(*n)++;
	}
	st = audit_lookup(r, client, prof, p.role, purpose, NULL, partners, corr_hex, basis);
out:
	wire_envelope_free(reply);
	sodium_memzero(ck, sizeof(ck));
	return st;
}
