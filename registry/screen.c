#include <stdio.h>
#include <stdlib.h>

#include "registry/caps.h"
#include "registry/op.h"
#include "registry/screen.h"

/* One refusal: its audit record's fields and the sentence it answers with. */
struct reg_refusal {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	const char *event; /* static */
	audit_action action;
	sk_status result;
	char reason[200];
};

reg_refusal *reg_request_screen(reg_store *s, const net_peer *peer, const reg_op *op,
				const wire_envelope *env, sk_status *st)
{
	const ProtobufCMessage *body = NULL;
	size_t len = 0, cap = 0;
	const char *event = NULL;
	reg_refusal *r;
	char why[sizeof(r->reason)];

	*st = SK_OK;
	if (op->screen == NULL)
		return NULL;
	event = op->screen(env, &body, &len, &cap);
	if (len <= cap && env->base.n_unknown_fields == 0 && !reg_message_unknown(body))
		return NULL;
	if (len > cap)
		snprintf(why, sizeof(why), "the request carries %zu bytes where at most "
			 "%zu are allowed; nothing was stored", len, cap);
	else
		snprintf(why, sizeof(why), "the request has fields this registry does "
			 "not know; nothing was stored (update the node or ask the operator)");
	if ((r = reg_refusal_new(s, peer->org_id, event != NULL ? event : op->name,
				 AUDIT_ACTION_CREATE, len > cap ? SK_ERR_TOOBIG : SK_ERR_INVALID,
				 why)) == NULL)
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

static sk_status refusal_apply(MDB_txn *txn, void *arg)
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

static sk_status refusal_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_refusal *r = job;

	return reg_send_error(c, request_id, commit != SK_OK ? commit : r->result,
			      commit != SK_OK ? NULL : r->reason);
}

static void refusal_free(void *job)
{
	free(job);
}

static sk_status refusal_result(const void *job, const char **why)
{
	const reg_refusal *r = job;

	if (why != NULL)
		*why = r->reason;
	return r->result;
}

/* No body: serve hands it the refusals of reg_request_screen and of its
 * membership re-checks. */
const reg_op reg_op_refusal = {
	.body = SCHAKEL__V1__ENVELOPE__BODY__NOT_SET,
	.name = "refusal",
	.apply = refusal_apply,
	.reply = refusal_reply,
	.result = refusal_result,
	.free = refusal_free,
};
