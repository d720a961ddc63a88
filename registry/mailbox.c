#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "registry/entry.h"
#include "registry/mailbox.h"
#include "registry/op.h"

#define KEY_MAX REG_MAILBOX_KEY_MAX

size_t reg_mailbox_key(uint8_t *k, const char *org, uint64_t seq)
{
	return reg_org_seq_key(k, org, seq);
}

/* The newest seq in org's mailbox as txn sees it; 0 when empty. */
static sk_status last_seq(reg_store *s, MDB_txn *txn, const char *org, uint64_t *seq)
{
	return reg_org_seq_last(txn, s->mailbox, org, seq);
}

sk_status reg_mailbox_last_before(reg_store *s, MDB_txn *txn, const char *org,
				  uint64_t before_ms, uint64_t *seq)
{
	uint8_t kb[KEY_MAX];
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	uint64_t at;
	size_t plen = strlen(org) + 1;
	sk_status st;
	int rc;

	*seq = 0;
	if (strlen(org) > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	if ((st = last_seq(s, txn, org, &at)) != SK_OK || at == 0)
		return st;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->mailbox, &cur))) != SK_OK)
		return st;
	k = (MDB_val){reg_mailbox_key(kb, org, at), kb};
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_PREV)) {
		Schakel__V1__MailboxItem *it;
		int before;

		if (k.mv_size != plen + 8 || memcmp(k.mv_data, kb, plen) != 0)
			break; /* another org's */
		if ((it = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		before = it->time < before_ms;
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
		if (before) {
			*seq = sk_be64_get((const uint8_t *)k.mv_data + plen);
			break;
		}
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

sk_status reg_mailbox_put(reg_store *s, MDB_txn *txn, const char *org,
			  Schakel__V1__MailboxItem *item)
{
	uint8_t kb[KEY_MAX], *buf = NULL;
	MDB_val k, d;
	uint64_t seq;
	size_t n, klen;
	sk_status st;

	if (strlen(org) > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	if ((st = last_seq(s, txn, org, &seq)) != SK_OK)
		return st;
	item->seq = seq + 1;
	n = schakel__v1__mailbox_item__get_packed_size(item);
	if ((buf = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__mailbox_item__pack(item, buf);
	klen = reg_mailbox_key(kb, org, item->seq);
	k = (MDB_val){klen, kb};
	d = (MDB_val){n, buf};
	st = sk_db_status(mdb_put(txn, s->mailbox, &k, &d, MDB_NOOVERWRITE));
	free(buf);
	return st;
}

/* The flag in the registry's own audit log, for the operator's review. */
static sk_status audit_flag(reg_store *s, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	char token[2 * REG_TOKEN_BYTES + 1], reason[AUDIT_REASON_MAX + 1];
	audit_record rec = {0};

	audit_text_clean(reason, sizeof(reason), it->detail);
	if (it->has_token && it->token.len == REG_TOKEN_BYTES) {
		sodium_bin2hex(token, sizeof(token), it->token.data, REG_TOKEN_BYTES);
		rec.client = token;
	}
	rec.event = "pattern.flag";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = reason;
	rec.user = it->counterpart;
	rec.access_point = "registry";
	return reg_audit(s, txn, &rec);
}

sk_status reg_flag(reg_store *s, MDB_txn *txn, const char *org, const char *detail,
		   const uint8_t *token, uint32_t epoch, uint64_t now)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	uint8_t kb[8 + NET_ORG_ID_MAX + 1], *buf;
	MDB_val k, d;
	size_t n, olen = strlen(org);
	sk_status st;

	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN;
	it.time = now;
	it.detail = (char *)detail;
	it.counterpart = (char *)org;
	if (token != NULL) {
		it.has_token = 1;
		it.token = (ProtobufCBinaryData){REG_TOKEN_BYTES, (uint8_t *)token};
		it.has_epoch = 1;
		it.epoch = epoch;
	}
	if ((st = reg_mailbox_put(s, txn, org, &it)) != SK_OK ||
	    (st = audit_flag(s, txn, &it)) != SK_OK)
		return st;
	/* the operator's list, in time order */
	if (olen > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	sk_be64_put(kb, now);
	memcpy(kb + 8, org, olen + 1);
	n = schakel__v1__mailbox_item__get_packed_size(&it);
	if ((buf = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__mailbox_item__pack(&it, buf);
	k = (MDB_val){8 + olen + 1, kb};
	d = (MDB_val){n, buf};
	st = sk_db_status(mdb_put(txn, s->flags, &k, &d, 0));
	free(buf);
	return st;
}

sk_status reg_mailbox_read(reg_store *s, const char *org, uint64_t after, uint32_t max,
			   Schakel__V1__MailboxResponse *r)
{
	Schakel__V1__MailboxItem **items = NULL;
	uint8_t kb[KEY_MAX];
	size_t n = 0, olen = strlen(org), elen = olen + 9, bytes = 0;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	schakel__v1__mailbox_response__init(r);
	if (max == 0 || max > REG_MAILBOX_PULL_MAX)
		max = REG_MAILBOX_PULL_MAX;
	if (olen > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	if ((items = calloc(max, sizeof(*items))) == NULL)
		return SK_ERR_NOMEM;
	k = (MDB_val){reg_mailbox_key(kb, org, after == UINT64_MAX ? after : after + 1), kb};
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	/* a revoked org's mailbox is closed, whatever the connection */
	if (!reg_member_live(s, txn, org)) {
		sk_error_set("org '%s' is revoked or not enrolled; its mailbox is closed", org);
		st = SK_ERR_PERM;
		goto out;
	}
	if ((st = sk_db_status(mdb_cursor_open(txn, s->mailbox, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && n < max && bytes + d.mv_size < WIRE_FRAME_MAX / 2 && k.mv_size == elen &&
	     memcmp(k.mv_data, org, olen + 1) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if ((items[n] = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			st = SK_ERR_DB;
			goto out;
		}
		bytes += d.mv_size + 8;
		n++;
	}
	if ((st = last_seq(s, txn, org, &r->last)) != SK_OK)
		goto out;
	r->n_items = n;
	r->items = items;
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		for (size_t i = 0; i < n; i++)
			schakel__v1__mailbox_item__free_unpacked(items[i], NULL);
		free(items);
	}
	return st;
}

void reg_mailbox_response_clear(Schakel__V1__MailboxResponse *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		schakel__v1__mailbox_item__free_unpacked(r->items[i], NULL);
	free(r->items);
	r->items = NULL;
	r->n_items = 0;
}

/* Sends org the items with seq > after (at most max): reg_mailbox_read,
 * or its refusal as an Error reply. */
static sk_status mailbox_send(reg_store *s, net_conn *c, uint64_t request_id, const char *org,
			      uint64_t after, uint32_t max)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__MailboxResponse r;
	sk_status st;

	sk_error_clear();
	if ((st = reg_mailbox_read(s, org, after, max, &r)) != SK_OK)
		return reg_send_error(c, request_id, st, sk_error_detail());
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_RESPONSE;
	env.mailbox_response = &r;
	st = net_conn_send(c, &env);
	reg_mailbox_response_clear(&r);
	if (st != SK_OK && st != SK_ERR_FAILED && st != SK_ERR_TOOBIG)
		return reg_send_error(c, request_id, st, NULL);
	return st;
}

sk_status reg_mailbox_strip(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t klen)
{
	MDB_val k = {klen, (void *)key}, d;
	Schakel__V1__MailboxItem *it;
	uint8_t *buf;
	size_t n;
	sk_status st;
	int rc;

	if ((rc = mdb_get(txn, s->mailbox, &k, &d)) == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if ((it = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
		return SK_ERR_DB;
	it->has_sealed = 0;
	it->has_discussion_key = 0;
	n = schakel__v1__mailbox_item__get_packed_size(it);
	if ((buf = malloc(n ? n : 1)) == NULL) {
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
		return SK_ERR_NOMEM;
	}
	schakel__v1__mailbox_item__pack(it, buf);
	d = (MDB_val){n, buf};
	st = sk_db_status(mdb_put(txn, s->mailbox, &k, &d, 0));
	free(buf);
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return st;
}

static sk_status mailbox_read(reg_store *s, net_conn *c, uint64_t request_id,
			      const wire_envelope *env)
{
	return mailbox_send(s, c, request_id, net_conn_peer(c)->org_id,
			    env->mailbox_request->after, env->mailbox_request->max);
}

const reg_op reg_op_mailbox = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST,
	.name = "mailbox",
	.read = mailbox_read,
};
