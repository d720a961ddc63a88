#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "registry/lookup.h"
#include "registry/mailbox.h"
#include "registry/op.h"
#include "registry/visibility.h"

/* One org a lookup returns. */
typedef struct reg_lookup_result {
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	int regie;
	uint8_t *contact;   /* malloc'd (the job stays small: no 2 KiB per slot) */
	size_t contact_len; /* 0: no contact released */
} reg_lookup_result;

/* One lookup, from the loop thread through the writer back to the loop
 * (reg_op_lookup). */
typedef struct reg_lookup {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	char role[64], purpose[64];
	uint8_t token[REG_TOKEN_BYTES];
	uint32_t epoch;
	char correlation[65], head[65];
	uint64_t now_ms;
	uint64_t volume_limit;
	sk_status result;
	char reason[256];
	size_t n;
	reg_lookup_result res[REG_LOOKUP_MAX];
} reg_lookup;

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = 0;
}

static sk_status lookup_new(void **job, reg_store *s, const net_peer *peer,
			    const wire_envelope *env)
{
	const Schakel__V1__LookupRequest *req = env->lookup_request;
	reg_lookup *l = calloc(1, sizeof(*l));

	*job = NULL;
	if (l == NULL)
		return SK_ERR_NOMEM;
	l->store = s;
	l->now_ms = sk_clock_now_ms();
	l->volume_limit = s->lookup_limit ? s->lookup_limit : REG_LOOKUP_VOLUME_DEFAULT;
	memcpy(l->org, peer->org_id, sizeof(l->org));
	copy_str(l->role, sizeof(l->role), req->role);
	copy_str(l->purpose, sizeof(l->purpose), req->purpose);
	l->epoch = req->epoch;
	if (req->token.len != REG_TOKEN_BYTES || req->audit_head.len != REG_AUDIT_HEAD_BYTES) {
		l->result = SK_ERR_INVALID;
		copy_str(l->reason, sizeof(l->reason), "token and audit head must be 32 bytes");
	} else {
		memcpy(l->token, req->token.data, REG_TOKEN_BYTES);
		sodium_bin2hex(l->head, sizeof(l->head), req->audit_head.data, REG_AUDIT_HEAD_BYTES);
	}
	if (req->has_correlation_id && req->correlation_id.len <= 32)
		sodium_bin2hex(l->correlation, sizeof(l->correlation), req->correlation_id.data,
			       req->correlation_id.len);
	*job = l;
	return SK_OK;
}

/* Drops the results (a job may be applied again after a failed batch). */
/* Only the first n results were ever filled (collect_one counts a result
 * before it fills it): the rest are still zero from calloc or the last
 * clear, so a lookup wipes what it used, not all REG_LOOKUP_MAX slots. */
static void results_clear(reg_lookup *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->res[i].contact != NULL)
			sodium_memzero(l->res[i].contact, l->res[i].contact_len);
		free(l->res[i].contact);
	}
	sodium_memzero(l->res, l->n * sizeof(l->res[0]));
	l->n = 0;
}

static void lookup_free(void *job)
{
	reg_lookup *l = job;

	if (l == NULL)
		return;
	results_clear(l);
	free(l);
}

static void refuse(reg_lookup *l, sk_status st, const char *why)
{
	l->result = st;
	copy_str(l->reason, sizeof(l->reason), why);
}

/* Counts this lookup in the org's daily volume; flags the day it passes
 * the limit, once. */
static sk_status count_volume(reg_lookup *l, MDB_txn *txn)
{
	uint8_t kb[NET_ORG_ID_MAX + 1 + 4], v[8];
	size_t olen = strlen(l->org);
	uint32_t day = (uint32_t)(l->now_ms / 86400000u);
	MDB_val k = {olen + 1 + 4, kb}, d;
	uint64_t count = 0;
	char detail[128];
	int rc;

	memcpy(kb, l->org, olen + 1);
	sk_be32_put(kb + olen + 1, day);
	if ((rc = mdb_get(txn, l->store->stats, &k, &d)) == 0 && d.mv_size == 8)
		count = sk_be64_get(d.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	count++;
	sk_be64_put(v, count);
	d = (MDB_val){8, v};
	if ((rc = mdb_put(txn, l->store->stats, &k, &d, 0)) != 0)
		return sk_db_status(rc);
	if (count != l->volume_limit + 1)
		return SK_OK;
	snprintf(detail, sizeof(detail), "lookup volume: more than %llu lookups today",
		 (unsigned long long)l->volume_limit);
	return reg_flag(l->store, txn, l->org, detail, NULL, 0, l->now_ms);
}

struct collect {
	reg_lookup *l;
	reg_live *self;
	MDB_txn *txn;
};

static sk_status collect_one(reg_live *other, void *arg)
{
	struct collect *c = arg;
	reg_lookup *l = c->l;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	reg_lookup_result *r;

	if (!reg_visible(&l->store->policy, c->self, other) || l->n == REG_LOOKUP_MAX)
		return SK_OK;
	r = &l->res[l->n++];
	copy_str(r->org, sizeof(r->org), other->org);
	copy_str(r->category, sizeof(r->category), other->category);
	r->regie = other->e->regie;
	if ((other->e->flags & REG_FLAG_CONTACT) && other->e->has_sealed_contact &&
	    other->e->sealed_contact.len <= REG_CONTACT_MAX && other->e->sealed_contact.len > 0) {
		if ((r->contact = malloc(other->e->sealed_contact.len)) == NULL)
			return SK_ERR_NOMEM;
		memcpy(r->contact, other->e->sealed_contact.data, other->e->sealed_contact.len);
		r->contact_len = other->e->sealed_contact.len;
	}
	/* the disclosed org learns who looked, in what role, for what */
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE;
	it.time = l->now_ms;
	it.has_token = 1;
	it.token = (ProtobufCBinaryData){REG_TOKEN_BYTES, l->token};
	it.has_epoch = 1;
	it.epoch = l->epoch;
	it.counterpart = l->org;
	it.category = c->self->category;
	it.role = l->role;
	it.purpose = l->purpose;
	return reg_mailbox_put(l->store, c->txn, other->org, &it);
}

static sk_status audit(reg_lookup *l, MDB_txn *txn)
{
	char token[2 * REG_TOKEN_BYTES + 1], access[NET_ORG_ID_MAX + 5];
	char seen[AUDIT_FIELD_MAX + 1] = "";
	audit_record rec = {0};
	size_t used = 0;

	sodium_bin2hex(token, sizeof(token), l->token, REG_TOKEN_BYTES);
	snprintf(access, sizeof(access), "tls:%s", l->org);
	for (size_t i = 0; i < l->n; i++) {
		int w = snprintf(seen + used, sizeof(seen) - used, "%s%s", i ? "," : "", l->res[i].org);

		if (w < 0 || (size_t)w >= sizeof(seen) - used)
			break;
		used += (size_t)w;
	}
	rec.event = "lookup";
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = l->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = l->result == SK_OK ? NULL : l->reason;
	rec.user = l->org;
	rec.role = l->role[0] ? l->role : NULL;
	rec.purpose = l->purpose[0] ? l->purpose : NULL;
	rec.access_point = access;
	rec.client = token;
	rec.counterpart = used ? seen : NULL;
	rec.correlation_id = l->correlation[0] ? l->correlation : NULL;
	rec.peer_head = l->head[0] ? l->head : NULL;
	return reg_audit(l->store, txn, &rec);
}

/* Writer job: the check, the notices, the flags and the audit record, in
 * txn. */
static sk_status lookup_apply(MDB_txn *txn, void *arg)
{
	reg_lookup *l = arg;
	reg_live self = {0};
	struct collect c = {l, &self, txn};
	uint8_t kb[REG_ENTRY_KEY_MAX];
	sk_status st = SK_OK;

	results_clear(l);
	if (l->result != SK_OK)
		goto audit_out;
	if (!wire_purpose_valid(l->purpose)) {
		refuse(l, SK_ERR_INVALID, "unknown purpose code");
		goto audit_out;
	}
	st = reg_live_load(l->store, txn, l->org, l->token, l->epoch, l->now_ms, &self);
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && !self.live)) {
		refuse(l, SK_ERR_PERM, "your organisation has no live entry for this client; "
				       "register the case first");
		st = SK_OK;
		goto audit_out;
	}
	if (st != SK_OK)
		goto out;
	if ((st = reg_peers(l->store, txn, l->token, l->epoch, l->org, l->now_ms, collect_one,
			    &c)) != SK_OK)
		goto out;
	/* for the publish -> lookup -> withdraw pattern */
	self.se->has_last_lookup_at = 1;
	self.se->last_lookup_at = l->now_ms;
	if ((st = reg_stored_put(l->store, txn, kb,
				 reg_entry_key(kb, l->org, l->token, l->epoch), self.se)) != SK_OK ||
	    (st = count_volume(l, txn)) != SK_OK)
		goto out;
audit_out:
	st = audit(l, txn);
out:
	reg_live_clear(&self);
	return st;
}

/* The answer, padded (REG_LOOKUP_PAD), or an Error. */
static sk_status lookup_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_lookup *l = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__LookupResponse r = SCHAKEL__V1__LOOKUP_RESPONSE__INIT;
	Schakel__V1__LookupResult res[REG_LOOKUP_MAX], *ptr[REG_LOOKUP_MAX];
	static const uint8_t zeros[REG_LOOKUP_PAD + 8];
	size_t size, target, plen;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (l->result != SK_OK)
		return reg_send_error(c, request_id, l->result, l->reason);
	for (size_t i = 0; i < l->n; i++) {
		schakel__v1__lookup_result__init(&res[i]);
		res[i].org_id = l->res[i].org;
		res[i].category = l->res[i].category;
		res[i].has_regie = l->res[i].regie != 0;
		res[i].regie = l->res[i].regie != 0;
		if (l->res[i].contact_len > 0) {
			res[i].has_sealed_contact = 1;
			res[i].sealed_contact = (ProtobufCBinaryData){l->res[i].contact_len,
								      l->res[i].contact};
		}
		ptr[i] = &res[i];
	}
	r.n_results = l->n;
	r.results = ptr;
	/* pad to a multiple of REG_LOOKUP_PAD: field 2 costs a tag byte, a
	 * length varint and the bytes */
	size = schakel__v1__lookup_response__get_packed_size(&r);
	target = (size + 8 + REG_LOOKUP_PAD - 1) / REG_LOOKUP_PAD * REG_LOOKUP_PAD;
	plen = target - size - 1;
	for (size_t v = 1; v < 4; v++) {
		size_t len = target - size - 1 - v;

		if ((len < 128 && v == 1) || (len >= 128 && len < 16384 && v == 2) ||
		    (len >= 16384 && v == 3)) {
			plen = len;
			break;
		}
	}
	if (plen > sizeof(zeros)) /* target - size < REG_LOOKUP_PAD + 8 */
		return reg_send_error(c, request_id, SK_ERR_FAILED, NULL);
	r.has_padding = 1;
	r.padding = (ProtobufCBinaryData){plen, (uint8_t *)zeros}; /* only read */
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_RESPONSE;
	env.lookup_response = &r;
	return net_conn_send(c, &env);
}

/* The lookup request kind (registry/op.h). */

static sk_status lookup_result(const void *job, const char **why)
{
	const reg_lookup *l = job;

	if (why != NULL)
		*why = l->reason;
	return l->result;
}

const reg_op reg_op_lookup = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST,
	.name = "lookup",
	.new = lookup_new,
	.apply = lookup_apply,
	.reply = lookup_reply,
	.result = lookup_result,
	.free = lookup_free,
};
