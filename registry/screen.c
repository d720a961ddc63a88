#include <stdio.h>
#include <stdlib.h>

#include "registry/caps.h"
#include "registry/op.h"
#include "registry/screen.h"

/* The request kinds the registry stores or forwards: their event (as
 * their handler audits them), body and the size their content may have. */
static const char *screened(const wire_envelope *env, const ProtobufCMessage **body,
			    size_t *len, size_t *cap)
{
	*len = *cap = 0;
	switch (env->body_case) {
	case SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST:
		*body = &env->publish_request->base;
		*len = env->publish_request->entry.len;
		*cap = REG_ENTRY_BYTES_MAX;
		return "entry.publish";
	case SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST:
		*body = &env->epoch_key_request->base;
		*len = env->epoch_key_request->body.len;
		*cap = REG_EPOCH_KEY_BYTES_MAX;
		return "epoch.key";
	case SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST:
		*body = &env->enc_key_request->base;
		return "encryption.key";
	case SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST:
		*body = &env->anchor_request->base;
		*len = env->anchor_request->body.len;
		*cap = REG_ANCHOR_BYTES_MAX;
		return "audit.anchor";
	case SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST:
		*body = &env->discuss_request->base;
		return "discuss.request";
	case SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER:
		*body = &env->discuss_answer->base;
		if (env->discuss_answer->has_sealed)
			*len = env->discuss_answer->sealed.len;
		*cap = REG_DISCUSS_SEALED_MAX;
		return env->discuss_answer->accept ? "discuss.accept" : "discuss.decline";
	case SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND:
		*body = &env->discuss_send->base;
		for (size_t i = 0; i < env->discuss_send->n_messages; i++)
			if (env->discuss_send->messages[i] != NULL)
				*len += env->discuss_send->messages[i]->sealed.len;
		*cap = REG_DISCUSS_SEND_BYTES_MAX;
		return env->discuss_send->close ? "discuss.close" : "discuss.message";
	default:
		return NULL;
	}
}

reg_refusal *reg_request_screen(reg_store *s, const net_peer *peer, const wire_envelope *env,
				sk_status *st)
{
	const ProtobufCMessage *body = NULL;
	size_t len, cap;
	const char *event = screened(env, &body, &len, &cap);
	reg_refusal *r;
	char why[sizeof(r->reason)];

	*st = SK_OK;
	if (event == NULL ||
	    (len <= cap && env->base.n_unknown_fields == 0 && !reg_message_unknown(body)))
		return NULL;
	if (len > cap)
		snprintf(why, sizeof(why), "the request carries %zu bytes where at most "
			 "%zu are allowed; nothing was stored", len, cap);
	else
		snprintf(why, sizeof(why), "the request has fields this registry does "
			 "not know; nothing was stored (update the node or ask the operator)");
	if ((r = reg_refusal_new(s, peer->org_id, event, AUDIT_ACTION_CREATE,
				 len > cap ? SK_ERR_TOOBIG : SK_ERR_INVALID, why)) == NULL)
		*st = SK_ERR_NOMEM;
	return r;
}

reg_refusal *reg_refusal_new(reg_store *s, const char *org, const char *event,
			     audit_action action, sk_status result, const char *reason)
{
	reg_refusal *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->store = s;
	snprintf(r->org, sizeof(r->org), "%s", org);
	r->event = event;
	r->action = action;
	r->result = result;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	return r;
}

sk_status reg_refusal_apply(MDB_txn *txn, void *arg)
{
	reg_refusal *r = arg;
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5];

	snprintf(access, sizeof(access), "tls:%s", r->org);
	rec.event = r->event;
	rec.action = r->action;
	rec.outcome = AUDIT_OUTCOME_DENIED;
	rec.reason = r->reason;
	rec.user = r->org;
	rec.role = "member";
	rec.access_point = access;
	rec.counterpart = r->org;
	return reg_audit(r->store, txn, &rec);
}

sk_status reg_refusal_send(reg_refusal *r, sk_status commit, net_conn *c, uint64_t request_id)
{
	return reg_send_error(c, request_id, commit != SK_OK ? commit : r->result,
			      commit != SK_OK ? NULL : r->reason);
}

void reg_refusal_free(reg_refusal *r)
{
	free(r);
}
