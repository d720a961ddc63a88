#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/case.h"
#include "node/entry.h"
#include "node/inboxkey.h"
#include "node/index.h"
#include "node/inbox.h"
#include "node/members.h"
#include "node/session_int.h"
#include "protos/domains.h"

struct match_seen {
	MDB_txn *txn;
	node_store *s;
	const char *counterpart;
	int shown, gone; /* a match with this partner; one gone since */
};

/* One row of the client's items: a match or a match gone with the partner. */
static sk_status match_row(const uint8_t *suffix, size_t slen, const uint8_t *val, size_t vlen,
			   void *arg)
{
	struct match_seen *m = arg;
	Schakel__V1__MailboxItem *it;
	uint32_t kind;
	MDB_val k = {8, (void *)suffix}, d;
	sk_status st;

	if (slen != 8 || vlen != 4)
		return SK_ERR_DB;
	kind = sk_be32_get(val);
	if (kind != SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH &&
	    kind != SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE)
		return SK_OK;
	if ((st = sk_db_status(mdb_get(m->txn, m->s->inbox, &k, &d))) != SK_OK)
		return st == SK_ERR_NOTFOUND ? SK_OK : st;
	if ((it = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
		return SK_ERR_DB;
	if (it->counterpart != NULL && strcmp(it->counterpart, m->counterpart) == 0) {
		if (it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH)
			m->shown = 1;
		else
			m->gone = 1;
	}
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return SK_OK;
}

/* A match of client with the item's partner that the node holds already, with no
 * "match gone" for them: the registry repeats it when an entry is published
 * again (after a rollover, or an epoch change), and the professional is not
 * shown the same partner twice. Conservative: after a "gone" it is kept. */
static sk_status match_known(node_store *s, MDB_txn *txn, const char *client,
			     const Schakel__V1__MailboxItem *it, int *known)
{
	struct match_seen m = {txn, s, it->counterpart, 0, 0};
	sk_status st;

	*known = 0;
	if (it->kind != SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH || client[0] == 0 ||
	    it->counterpart == NULL)
		return SK_OK;
	if ((st = node_index_each(txn, s->inbox_clients, client, match_row, &m)) != SK_OK)
		return st;
	*known = m.shown && !m.gone;
	return SK_OK;
}

/* Stores a mailbox item under the next local key (node/inboxkey.h: the
 * registry's seq stays in the item) and audits what the privacy officer
 * and the client's art. 15 report must see: disclosure notices, matches,
 * pattern flags. */
static sk_status keep_item(node_store *s, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	char client[NODE_CLIENT_ID_MAX + 1] = "";
	audit_record rec = {0};
	uint8_t key[8], *buf;
	uint64_t at;
	size_t len = schakel__v1__mailbox_item__get_packed_size(it);
	MDB_val k = {8, key}, d;
	sk_status st;
	int known = 0;

	if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
	    node_token_find(s, txn, it->token.data, it->epoch, client) != SK_OK)
		client[0] = 0;
	if ((st = match_known(s, txn, client, it, &known)) != SK_OK)
		return st;
	if (known)
		return SK_OK; /* audited when it first came */
	if ((st = node_meta_u64(s, txn, NODE_META_INBOX_NEXT, 1, &at)) != SK_OK ||
	    (st = node_inboxkey_next(txn, s->inbox, at, &at)) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, NODE_META_INBOX_NEXT, at + 1)) != SK_OK)
		return st;
	sk_be64_put(key, at);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__mailbox_item__pack(it, buf);
	d = (MDB_val){len, buf};
	st = sk_db_status(mdb_put(txn, s->inbox, &k, &d, 0));
	free(buf);
	/* the client's index follows the item in the same transaction */
	if (st == SK_OK && client[0] != 0)
		st = node_index_inbox(txn, s->inbox_clients, client, at,
				      (unsigned)it->kind);
	if (st != SK_OK)
		return st;
	switch (it->kind) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		rec.event = "disclosure.notice";
		rec.action = AUDIT_ACTION_READ;
		rec.role = it->role;
		rec.purpose = it->purpose;
		break;
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH:
		/* the partner got the same notice about us: it learned that we
		 * are involved (the client's art. 15 report names it) */
		rec.event = "match.notice";
		rec.action = AUDIT_ACTION_READ;
		break;
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN:
		rec.event = "pattern.flag";
		rec.action = AUDIT_ACTION_EXECUTE;
		rec.reason = it->detail;
		break;
	default:
		return SK_OK;
	}
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.access_point = "registry";
	rec.client = client[0] ? client : NULL;
	rec.counterpart = it->counterpart;
	rec.category = it->category;
	return node_audit(s, txn, &rec);
}

sk_status node_inbox_take(node_store *s, MDB_txn *txn, Schakel__V1__MailboxItem *const *items,
			  size_t n, uint64_t *cursor, size_t *taken)
{
	sk_status st = SK_OK;

	for (size_t i = 0; i < n && st == SK_OK; i++) {
		/* within one log the cursor is what was taken: an item at or
		 * below it is one we hold already */
		if (items[i]->seq <= *cursor)
			continue;
		st = keep_item(s, txn, items[i]);
		*cursor = items[i]->seq;
		(*taken)++;
	}
	return st;
}

sk_status node_inbox_pull(node_remote *r, size_t *items)
{
	for (;;) {
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		Schakel__V1__MailboxRequest req = SCHAKEL__V1__MAILBOX_REQUEST__INIT;
		const Schakel__V1__MailboxResponse *mr;
		MDB_txn *txn = NULL;
		uint64_t cursor;
		sk_status st;

		if ((st = node_remote_meta(r, NODE_META_MAILBOX_CURSOR, &cursor)) != SK_OK)
			return st;
		req.after = cursor;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST;
		env.mailbox_request = &req;
		if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_RESPONSE, &reply)) !=
		    SK_OK)
			return st;
		mr = reply->mailbox_response;
		if (mr->n_items == 0) {
			wire_envelope_free(reply);
			return SK_OK;
		}
		/* items and the cursor move together */
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
			st = node_inbox_take(r->s, txn, mr->items, mr->n_items, &cursor, items);
			if (st == SK_OK && (st = node_mailbox_cursor_put(r->s, txn, cursor)) == SK_OK)
				st = sk_db_status(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		wire_envelope_free(reply);
		if (st != SK_OK)
			return st;
	}
}

/* Stores a local alert for the privacy officer (kind PATTERN, its seq
 * u64 max - leaf, out of the registry's numbers) and audits it. */
static sk_status cert_alert(node_remote *r, MDB_txn *txn, uint64_t leaf)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	char detail[160];
	audit_record rec = {0};
	sk_status st;

	snprintf(detail, sizeof(detail),
		 "ALERT: the registry's log holds a certificate for our org id that this node did "
		 "not request (log leaf %llu)",
		 (unsigned long long)leaf);
	it.seq = UINT64_MAX - leaf;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN;
	it.time = sk_clock_now_ms();
	it.detail = detail;
	it.counterpart = r->s->org_id;
	if ((st = keep_item(r->s, txn, &it)) != SK_OK)
		return st;
	rec.event = "certificate.alert";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_FAILED;
	rec.reason = detail;
	rec.access_point = "registry";
	sk_log(SK_LOG_ERROR, "%s", detail);
	return node_audit(r->s, txn, &rec);
}

sk_status node_inbox_events(node_remote *r, size_t *alerts)
{
	for (;;) {
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		Schakel__V1__MemberEventsRequest req = SCHAKEL__V1__MEMBER_EVENTS_REQUEST__INIT;
		const Schakel__V1__MemberEventsResponse *mr;
		MDB_txn *txn = NULL;
		uint64_t cursor;
		sk_status st;

		if ((st = node_remote_meta(r, NODE_META_EVENTS_CURSOR, &cursor)) != SK_OK)
			return st;
		req.from = cursor;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST;
		env.member_events_request = &req;
		if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_RESPONSE,
				  &reply)) != SK_OK)
			return st;
		mr = reply->member_events_response;
		if (mr->n_events == 0) {
			wire_envelope_free(reply);
			return SK_OK;
		}
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
			for (size_t i = 0; i < mr->n_events && st == SK_OK; i++) {
				const Schakel__V1__SignedMemberEvent *se = mr->events[i];
				Schakel__V1__MemberEvent *ev;
				net_peer peer;

				if (se->leaf_index < cursor || se->signature.len != KEY_SIG_BYTES ||
				    key_verify(se->signature.data, WIRE_DOMAIN_MEMBER_EVENT,
					       se->body.data, se->body.len,
					       r->fed->registry_key) != SK_OK) {
					st = node_remote_integrity(r, "member-event",
						       "a member event does not verify under the "
						       "registry's key",
						       se->body.data, se->body.len, NULL, 0);
					break;
				}
				cursor = se->leaf_index + 1;
				ev = schakel__v1__member_event__unpack(NULL, se->body.len, se->body.data);
				if (ev != NULL &&
				    (st = node_members_apply(r->s, txn, ev, r->fed->ca_cert,
							     r->fed->ca_cert_len)) != SK_OK) {
					schakel__v1__member_event__free_unpacked(ev, NULL);
					if (st == SK_ERR_VERIFY)
						st = node_remote_integrity(r, "member-event", sk_error_detail(),
							       se->body.data, se->body.len, NULL, 0);
					break;
				}
				if (ev != NULL && strcmp(ev->org_id, r->s->org_id) == 0 && ev->has_cert &&
				    (net_cert_verify(&peer, ev->cert.data, ev->cert.len, r->fed->ca_cert,
						     r->fed->ca_cert_len,
						     (int64_t)(sk_clock_now_ms() / 1000)) != SK_OK ||
				     sodium_memcmp(peer.tls_pk, r->s->tls_pk, KEY_ED25519_PK_BYTES) != 0)) {
					st = cert_alert(r, txn, se->leaf_index);
					(*alerts)++;
				}
				schakel__v1__member_event__free_unpacked(ev, NULL);
			}
			if (st == SK_OK &&
			    (st = node_meta_u64_put(r->s, txn, NODE_META_EVENTS_CURSOR, cursor)) == SK_OK)
				st = sk_db_status(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		wire_envelope_free(reply);
		if (st != SK_OK)
			return st;
	}
}

sk_status node_inbox_scan(node_store *s, unsigned kind, node_inbox_fn fn, void *arg)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->inbox, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__MailboxItem *it =
			schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data);
		char client[NODE_CLIENT_ID_MAX + 1] = "";

		if (it == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (k.mv_size != 8) {
			st = SK_ERR_DB;
		} else if (kind == 0 || (unsigned)it->kind == kind) {
			if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
			    node_token_find(s, txn, it->token.data, it->epoch, client) != SK_OK)
				client[0] = 0;
			st = fn(sk_be64_get(k.mv_data), it, client, arg);
		}
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
	}
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return st;
}

/* ---- a professional's items, paged -------------------------------------- */

struct inbox_walk {
	MDB_txn *txn;
	node_store *s;
	uint32_t kinds;
	const char *client;
	node_page_keys *ks;
};

static int kind_in(uint32_t kinds, unsigned kind)
{
	return kind < 32 && (kinds >> kind & 1u);
}

/* One row of inbox_clients: suffix u64be(local key), value u32be(kind). */
static sk_status inbox_row(const uint8_t *suffix, size_t slen, const uint8_t *val, size_t vlen,
			   void *arg)
{
	struct inbox_walk *w = arg;

	if (slen != 8 || vlen != 4)
		return SK_ERR_DB;
	if (!kind_in(w->kinds, sk_be32_get(val)))
		return SK_OK;
	return node_page_add(w->ks, sk_be64_get(suffix), NULL, 0, w->client);
}

static sk_status inbox_client(const char *client, void *arg)
{
	struct inbox_walk *w = arg;

	w->client = client;
	return node_index_each(w->txn, w->s->inbox_clients, client, inbox_row, w);
}

sk_status node_inbox_keys(node_store *s, MDB_txn *txn, const char *prof, uint32_t kinds,
			  const char *q, node_page_keys *ks)
{
	struct inbox_walk w = {txn, s, kinds, NULL, ks};
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if (prof != NULL)
		return node_case_prof_clients(s, txn, prof, q, inbox_client, &w);
	if (q != NULL && q[0] != 0) {
		sk_error_set("a search by name is for a professional's own clients (give 'as')");
		return SK_ERR_INVALID;
	}
	/* the API token: every item of these kinds */
	if ((st = sk_db_status(mdb_cursor_open(txn, s->inbox, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__MailboxItem *it =
			schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data);
		char client[NODE_CLIENT_ID_MAX + 1] = "";

		if (it == NULL || k.mv_size != 8) {
			st = SK_ERR_DB;
		} else if (kind_in(kinds, (unsigned)it->kind)) {
			if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
			    node_token_find(s, txn, it->token.data, it->epoch, client) != SK_OK)
				client[0] = 0;
			st = node_page_add(ks, sk_be64_get(k.mv_data), NULL, 0, client);
		}
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
	}
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

sk_status node_inbox_page(node_store *s, MDB_txn *txn, const char *prof, uint32_t kinds,
			  const node_page_req *req, node_inbox_item_fn fn, void *arg,
			  node_page_out *pg)
{
	node_page_keys ks = {0};
	char name[NODE_NAME_MAX + 1] = "";
	size_t from = 0, to = 0;
	sk_status st;

	pg->next[0] = pg->prev[0] = 0;
	if ((st = node_page_check(req)) != SK_OK ||
	    (st = node_inbox_keys(s, txn, prof, kinds, req->q, &ks)) != SK_OK ||
	    (st = node_page_cut(&ks, req, &from, &to, pg)) != SK_OK)
		goto out;
	for (size_t i = from; i < to && st == SK_OK; i++) {
		uint8_t key[8];
		MDB_val k = {8, key}, d;
		Schakel__V1__MailboxItem *it;

		sk_be64_put(key, ks.v[i].at);
		if ((st = sk_db_status(mdb_get(txn, s->inbox, &k, &d))) != SK_OK)
			break;
		if ((it = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		name[0] = 0;
		if (ks.v[i].client[0] != 0 &&
		    node_client_name(s, txn, ks.v[i].client, name) != SK_OK)
			name[0] = 0;
		st = fn(ks.v[i].at, it, ks.v[i].client, name, arg);
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
	}
out:
	sodium_memzero(name, sizeof(name));
	node_page_keys_free(&ks);
	return st;
}

static const char *kind_name(Schakel__V1__MailboxKind k)
{
	switch (k) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH:
		return "match";
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE:
		return "match-gone";
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		return "disclosure";
	default:
		return "pattern";
	}
}

json_t *node_inbox_item_json(uint64_t id, const Schakel__V1__MailboxItem *it, const char *client)
{
	return json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)id, "kind",
			 kind_name(it->kind), "time", (json_int_t)it->time, "org",
			 it->counterpart ? it->counterpart : "", "category",
			 it->category ? it->category : "", "client", client, "role",
			 it->role ? it->role : "", "purpose", it->purpose ? it->purpose : "",
			 "detail", it->detail ? it->detail : "");
}
