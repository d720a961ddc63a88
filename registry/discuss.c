#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "registry/discuss.h"
#include "registry/lookup.h"
#include "registry/mailbox.h"
#include "registry/publish.h"

/* Copies a protobuf message through its bytes (the envelope goes away). */
#define COPY_MSG(type, fn, src, dst)                                                  \
	do {                                                                          \
		size_t n_ = schakel__v1__##fn##__get_packed_size(src);                \
		uint8_t *b_ = malloc(n_ ? n_ : 1);                                    \
		if (b_ == NULL)                                                       \
			return SK_ERR_NOMEM;                                          \
		schakel__v1__##fn##__pack(src, b_);                                   \
		dst = schakel__v1__##fn##__unpack(NULL, n_, b_);                      \
		free(b_);                                                             \
		if (dst == NULL)                                                      \
			return SK_ERR_NOMEM;                                          \
	} while (0)

sk_status reg_discuss_new(reg_discuss **out, reg_store *s, const net_peer *peer,
			  const wire_envelope *env)
{
	reg_discuss *d = calloc(1, sizeof(*d));
	const ProtobufCBinaryData *head, *corr = NULL;

	*out = NULL;
	if (d == NULL)
		return SK_ERR_NOMEM;
	*out = d;
	d->store = s;
	d->now_ms = reg_now_ms();
	memcpy(d->org, peer->org_id, sizeof(d->org));
	memcpy(d->category, peer->category, sizeof(d->category));
	if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST) {
		COPY_MSG(Schakel__V1__DiscussRequest, discuss_request, env->discuss_request, d->req);
		head = &d->req->audit_head;
		if (d->req->has_correlation_id)
			corr = &d->req->correlation_id;
	} else {
		COPY_MSG(Schakel__V1__DiscussAnswer, discuss_answer, env->discuss_answer, d->answer);
		head = &d->answer->audit_head;
		if (d->answer->has_correlation_id)
			corr = &d->answer->correlation_id;
	}
	if (head->len == REG_AUDIT_HEAD_BYTES)
		sodium_bin2hex(d->head, sizeof(d->head), head->data, head->len);
	if (corr != NULL && corr->len <= 32)
		sodium_bin2hex(d->correlation, sizeof(d->correlation), corr->data, corr->len);
	return SK_OK;
}

void reg_discuss_free(reg_discuss *d)
{
	if (d == NULL)
		return;
	schakel__v1__discuss_request__free_unpacked(d->req, NULL);
	schakel__v1__discuss_answer__free_unpacked(d->answer, NULL);
	free(d);
}

static void refuse(reg_discuss *d, sk_status st, const char *why)
{
	d->result = st;
	snprintf(d->reason, sizeof(d->reason), "%s", why);
}

static int contains(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

struct invite_ctx {
	reg_discuss *d;
	MDB_txn *txn;
	reg_live *self;
	char *invited[REG_LOOKUP_MAX];
	char names[REG_LOOKUP_MAX][NET_ORG_ID_MAX + 1];
	size_t n;
};

/* Invites other when both entries allow each other's category, other
 * takes discussions and the invitation rules allow the pair. */
static sk_status invite_one(reg_live *other, void *arg)
{
	struct invite_ctx *c = arg;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	const Schakel__V1__DiscussRequest *r = c->d->req;

	if (!other->live || !(other->e->flags & REG_FLAG_DISCUSS) || c->n == REG_LOOKUP_MAX ||
	    !contains(c->self->e->categories, c->self->e->n_categories, other->category) ||
	    !contains(other->e->categories, other->e->n_categories, c->self->category) ||
	    !wire_policy_invites(&c->d->store->policy, c->self->category, other->category))
		return SK_OK;
	snprintf(c->names[c->n], sizeof(c->names[c->n]), "%s", other->org);
	c->invited[c->n] = c->names[c->n];
	c->n++;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION;
	it.time = c->d->now_ms;
	it.has_token = 1;
	it.token = r->token;
	it.has_epoch = 1;
	it.epoch = r->epoch;
	it.purpose = r->topic; /* the topic code; no category, no requester */
	it.has_discussion_id = 1;
	it.discussion_id = (ProtobufCBinaryData){REG_DISCUSSION_ID_BYTES, c->d->id};
	it.has_discussion_key = 1;
	it.discussion_key = r->discussion_key;
	it.has_window_start = it.has_window_end = 1;
	it.window_start = r->window_start;
	it.window_end = r->window_end;
	return reg_mailbox_put(c->d->store, c->txn, other->org, &it);
}

static sk_status put_discussion(reg_store *s, MDB_txn *txn, const uint8_t *id,
				const Schakel__V1__Discussion *ds)
{
	size_t n = schakel__v1__discussion__get_packed_size(ds);
	uint8_t *buf = malloc(n);
	MDB_val k = {REG_DISCUSSION_ID_BYTES, (void *)id}, v = {n, buf};
	sk_status st;

	if (buf == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__discussion__pack(ds, buf);
	st = sk_db_status(mdb_put(txn, s->discussions, &k, &v, 0));
	free(buf);
	return st;
}

static sk_status create(reg_discuss *d, MDB_txn *txn, struct invite_ctx *c)
{
	const Schakel__V1__DiscussRequest *r = d->req;
	Schakel__V1__Discussion ds = SCHAKEL__V1__DISCUSSION__INIT;
	reg_live self = {0};
	sk_status st;

	if (r->token.len != REG_TOKEN_BYTES || r->discussion_key.len != 32 ||
	    sodium_is_zero(r->discussion_key.data, 32)) {
		refuse(d, SK_ERR_INVALID, "token or discussion key malformed");
		return SK_OK;
	}
	if (!wire_purpose_valid(r->topic)) {
		refuse(d, SK_ERR_INVALID, "unknown topic code");
		return SK_OK;
	}
	if (r->window_end <= r->window_start || r->window_end <= d->now_ms ||
	    r->window_end > d->now_ms + REG_DISCUSS_WINDOW_MAX_MS) {
		refuse(d, SK_ERR_INVALID, "the time window must end in the future, within 90 days");
		return SK_OK;
	}
	st = reg_live_load(d->store, txn, d->org, r->token.data, r->epoch, d->now_ms, &self);
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && !self.live)) {
		refuse(d, SK_ERR_PERM, "your organisation has no live entry for this client");
		reg_live_clear(&self);
		return SK_OK;
	}
	if (st != SK_OK)
		return st;
	randombytes_buf(d->id, sizeof(d->id));
	c->self = &self;
	if ((st = reg_peers(d->store, txn, r->token.data, r->epoch, d->org, d->now_ms, invite_one,
			    c)) == SK_OK) {
		ds.requester = d->org;
		ds.token = r->token;
		ds.epoch = r->epoch;
		ds.topic = r->topic;
		ds.window_start = r->window_start;
		ds.window_end = r->window_end;
		ds.discussion_key = r->discussion_key;
		ds.n_invited = c->n;
		ds.invited = c->invited;
		ds.created_at = d->now_ms;
		ds.expires_at = r->window_end;
		st = put_discussion(d->store, txn, d->id, &ds);
	}
	reg_live_clear(&self);
	return st;
}

static sk_status answer(reg_discuss *d, MDB_txn *txn)
{
	const Schakel__V1__DiscussAnswer *a = d->answer;
	Schakel__V1__Discussion *ds = NULL;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	char **grown = NULL, *org = d->org;
	MDB_val k = {REG_DISCUSSION_ID_BYTES, NULL}, v;
	sk_status st = SK_OK;
	int rc;

	if (a->discussion_id.len != REG_DISCUSSION_ID_BYTES) {
		refuse(d, SK_ERR_INVALID, "malformed discussion id");
		return SK_OK;
	}
	memcpy(d->id, a->discussion_id.data, sizeof(d->id));
	k.mv_data = d->id;
	if ((rc = mdb_get(txn, d->store->discussions, &k, &v)) == MDB_NOTFOUND ||
	    (rc == 0 && (ds = schakel__v1__discussion__unpack(NULL, v.mv_size, v.mv_data)) != NULL &&
	     (ds->expires_at <= d->now_ms || !contains(ds->invited, ds->n_invited, d->org)))) {
		/* not invited and not there look the same */
		refuse(d, SK_ERR_NOTFOUND, "no open invitation with this id for your organisation");
		goto out;
	}
	if (rc != 0 || ds == NULL) {
		st = rc != 0 ? sk_db_status(rc) : SK_ERR_DB;
		goto out;
	}
	if (contains(ds->accepted, ds->n_accepted, d->org) ||
	    contains(ds->declined, ds->n_declined, d->org)) {
		refuse(d, SK_ERR_EXISTS, "your organisation has already answered this invitation");
		goto out;
	}
	if (a->accept && (!a->has_sealed || a->sealed.len == 0 ||
			  a->sealed.len > REG_DISCUSS_SEALED_MAX)) {
		refuse(d, SK_ERR_INVALID, "an acceptance carries its sealed details");
		goto out;
	}
	/* the answer joins its list (the original array goes back before the
	 * free); the requester hears only of acceptances */
	{
		size_t *n = a->accept ? &ds->n_accepted : &ds->n_declined;
		char ***list = a->accept ? &ds->accepted : &ds->declined;
		char **old = *list;

		if ((grown = malloc((*n + 1) * sizeof(*grown))) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		if (*n > 0)
			memcpy(grown, old, *n * sizeof(*grown));
		grown[*n] = org;
		*list = grown;
		(*n)++;
		st = put_discussion(d->store, txn, d->id, ds);
		(*n)--;
		*list = old;
	}
	if (st == SK_OK && a->accept) {
		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_ACCEPTED;
		it.time = d->now_ms;
		it.has_token = 1;
		it.token = ds->token;
		it.has_epoch = 1;
		it.epoch = ds->epoch;
		it.purpose = ds->topic;
		it.has_discussion_id = 1;
		it.discussion_id = (ProtobufCBinaryData){REG_DISCUSSION_ID_BYTES, d->id};
		it.has_sealed = 1;
		it.sealed = a->sealed;
		st = reg_mailbox_put(d->store, txn, ds->requester, &it);
	}
out:
	free(grown);
	schakel__v1__discussion__free_unpacked(ds, NULL);
	return st;
}

static sk_status audit(reg_discuss *d, MDB_txn *txn, const struct invite_ctx *c)
{
	char token[2 * REG_TOKEN_BYTES + 1] = "", access[NET_ORG_ID_MAX + 5], id[33];
	char seen[AUDIT_FIELD_MAX + 1] = "";
	audit_record rec = {0};
	size_t used = 0;

	if (d->req != NULL && d->req->token.len == REG_TOKEN_BYTES)
		sodium_bin2hex(token, sizeof(token), d->req->token.data, REG_TOKEN_BYTES);
	sodium_bin2hex(id, sizeof(id), d->id, sizeof(d->id));
	snprintf(access, sizeof(access), "tls:%s", d->org);
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		int w = snprintf(seen + used, sizeof(seen) - used, "%s%s", i ? "," : "", c->invited[i]);

		if (w < 0 || (size_t)w >= sizeof(seen) - used)
			break;
		used += (size_t)w;
	}
	rec.event = d->req != NULL ? "discuss.request"
		    : d->answer->accept ? "discuss.accept" : "discuss.decline";
	rec.action = d->req != NULL ? AUDIT_ACTION_CREATE : AUDIT_ACTION_UPDATE;
	rec.outcome = d->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = d->result == SK_OK ? NULL : d->reason;
	rec.user = d->org;
	rec.role = "node";
	rec.access_point = access;
	rec.client = token[0] ? token : NULL;
	rec.purpose = d->req != NULL ? d->req->topic : NULL;
	rec.counterpart = used ? seen : NULL; /* who was invited: the registry's record only */
	rec.correlation_id = d->correlation[0] ? d->correlation : id;
	rec.peer_head = d->head[0] ? d->head : NULL;
	return reg_audit(d->store, txn, &rec);
}

sk_status reg_discuss_apply(MDB_txn *txn, void *arg)
{
	reg_discuss *d = arg;
	struct invite_ctx *c = calloc(1, sizeof(*c));
	Schakel__V1__Member *m = NULL;
	sk_status st;

	if (c == NULL)
		return SK_ERR_NOMEM;
	c->d = d;
	c->txn = txn;
	d->result = SK_OK;
	if ((st = reg_member_get(d->store, txn, d->org, &m)) != SK_OK || m->has_revoked_at) {
		refuse(d, SK_ERR_PERM, "the org is not a live member");
		st = SK_OK;
	} else if (d->req != NULL) {
		st = create(d, txn, c);
	} else {
		st = answer(d, txn);
	}
	if (st == SK_OK)
		st = audit(d, txn, d->req != NULL && d->result == SK_OK ? c : NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	free(c);
	return st;
}

sk_status reg_discuss_send(reg_discuss *d, sk_status commit, net_conn *c, uint64_t request_id)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__DiscussCreated cr = SCHAKEL__V1__DISCUSS_CREATED__INIT;
	Schakel__V1__DiscussAnswered an = SCHAKEL__V1__DISCUSS_ANSWERED__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (d->result != SK_OK)
		return reg_send_error(c, request_id, d->result, d->reason);
	env.request_id = request_id;
	if (d->req != NULL) {
		cr.discussion_id = (ProtobufCBinaryData){sizeof(d->id), d->id};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_CREATED;
		env.discuss_created = &cr;
	} else {
		an.discussion_id = (ProtobufCBinaryData){sizeof(d->id), d->id};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWERED;
		env.discuss_answered = &an;
	}
	return net_conn_send(c, &env);
}
