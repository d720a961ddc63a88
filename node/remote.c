#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "crypto/seal.h"
#include "net/conn.h"
#include "node/case.h"
#include "node/chain.h"
#include "node/client.h"
#include "node/contact.h"
#include "node/professional.h"
#include "node/remote.h"
#include "node/resume.h"
#include "node/session_int.h"
#include "node/token.h"
#include "node/discuss.h"
#include "node/enckeys.h"
#include "node/logtrack.h"
#include "node/lookup.h"
#include "node/members.h"
#include "node/publish.h"
#include "protos/wire.h"

struct dirty_list {
	char (*ids)[NODE_CLIENT_ID_MAX + 1];
	size_t n, cap;
};

static sk_status collect_dirty(const char *client, uint64_t gen, void *arg)
{
	struct dirty_list *l = arg;

	if (l->n == l->cap)
		return SK_OK; /* the rest on the next sync */
	snprintf(l->ids[l->n++], NODE_CLIENT_ID_MAX + 1, "%s", client);
	return SK_OK;
}

/* Stores a mailbox item and audits what the privacy officer must see. */
static sk_status keep_item(node_remote *r, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	char client[NODE_CLIENT_ID_MAX + 1] = "";
	audit_record rec = {0};
	uint8_t key[8], *buf;
	size_t len = schakel__v1__mailbox_item__get_packed_size(it);
	MDB_val k = {8, key}, d;
	sk_status st;

	if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
	    node_token_find(r->s, txn, it->token.data, it->epoch, client) != SK_OK)
		client[0] = 0;
	node_put_u64(key, it->seq);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__mailbox_item__pack(it, buf);
	d = (MDB_val){len, buf};
	st = sk_db_status(mdb_put(txn, r->inbox, &k, &d, 0));
	free(buf);
	if (st != SK_OK)
		return st;
	switch (it->kind) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		rec.event = "disclosure.notice";
		rec.action = AUDIT_ACTION_READ;
		rec.role = it->role;
		rec.purpose = it->purpose;
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
	return node_audit(r->s, txn, &rec);
}

static sk_status pull_mailbox(node_remote *r, size_t *items)
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
			for (size_t i = 0; i < mr->n_items && st == SK_OK; i++) {
				if (mr->items[i]->seq <= cursor)
					continue;
				st = keep_item(r, txn, mr->items[i]);
				cursor = mr->items[i]->seq;
				(*items)++;
			}
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

/* Stores a local alert for the privacy officer (kind PATTERN, negative
 * sequence space: key u64 max - leaf) and audits it. */
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
	it.time = node_now_ms();
	it.detail = detail;
	it.counterpart = r->s->org_id;
	if ((st = keep_item(r, txn, &it)) != SK_OK)
		return st;
	rec.event = "certificate.alert";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_FAILED;
	rec.reason = detail;
	rec.access_point = "registry";
	fprintf(stderr, "schakel-node: %s\n", detail);
	return node_audit(r->s, txn, &rec);
}

/* Follows the member events in the log: a certificate issued for our org
 * id with a key that is not ours means someone else was enrolled as us. */
static sk_status pull_events(node_remote *r, size_t *alerts)
{
	for (;;) {
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		Schakel__V1__MemberEventsRequest req = SCHAKEL__V1__MEMBER_EVENTS_REQUEST__INIT;
		const Schakel__V1__MemberEventsResponse *mr;
		MDB_txn *txn = NULL;
		uint64_t cursor;
		sk_status st;

		if ((st = node_remote_meta(r, "events.cursor", &cursor)) != SK_OK)
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
				    key_verify(se->signature.data, "schakel/v1/member-event",
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
						     (int64_t)(node_now_ms() / 1000)) != SK_OK ||
				     sodium_memcmp(peer.tls_pk, r->s->tls_pk, KEY_ED25519_PK_BYTES) != 0)) {
					st = cert_alert(r, txn, se->leaf_index);
					(*alerts)++;
				}
				schakel__v1__member_event__free_unpacked(ev, NULL);
			}
			if (st == SK_OK &&
			    (st = node_meta_u64_put(r->s, txn, "events.cursor", cursor)) == SK_OK)
				st = sk_db_status(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		wire_envelope_free(reply);
		if (st != SK_OK)
			return st;
	}
}

/* Anchors the current audit head in the registry's log when it moved on
 * since the last anchor: records before an anchored head cannot later be
 * cut off or changed unnoticed. */
static sk_status anchor(node_remote *r, int *done)
{
	Schakel__V1__AnchorBody b = SCHAKEL__V1__ANCHOR_BODY__INIT;
	Schakel__V1__AnchorRequest req = SCHAKEL__V1__ANCHOR_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t head[AUDIT_HASH_BYTES], body[256], sig[KEY_SIG_BYTES];
	uint64_t seq, last, when = 0, floor = 0;
	MDB_txn *txn = NULL;
	size_t n;
	sk_status st;

	*done = 0;
	if ((st = node_remote_resume(r)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = audit_log_head(r->s->audit, txn, &seq, head)) == SK_OK &&
	    (st = node_meta_u64(r->s, txn, "anchor.seq", 0, &last)) == SK_OK &&
	    (st = node_meta_u64(r->s, txn, NODE_META_ANCHOR_FLOOR, 0, &floor)) == SK_OK)
		st = node_meta_u64(r->s, txn, "anchor.time", 0, &when);
	mdb_txn_abort(txn);
	/* every few minutes while the log grows, not at every sync; after a
	 * restore, only past what the registry anchored already */
	if (st != SK_OK || seq == 0 || seq <= last || seq <= floor ||
	    (last != 0 && node_now_ms() < when + NODE_ANCHOR_MS))
		return st;
	b.org_id = r->s->org_id;
	b.seq = seq;
	b.head = (ProtobufCBinaryData){sizeof(head), head};
	b.time = node_now_ms();
	if ((n = schakel__v1__anchor_body__get_packed_size(&b)) > sizeof(body))
		return SK_ERR_TOOBIG;
	schakel__v1__anchor_body__pack(&b, body);
	if ((st = key_sign(sig, WIRE_DOMAIN_ANCHOR, body, n, r->id->sk)) != SK_OK)
		return st;
	req.body = (ProtobufCBinaryData){n, body};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST;
	env.anchor_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_RECEIPT, &reply)) !=
	    SK_OK)
		return st;
	wire_envelope_free(reply);
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, "anchor.seq", seq)) == SK_OK &&
	    (st = node_meta_u64_put(r->s, txn, "anchor.time", node_now_ms())) == SK_OK &&
	    (st = node_meta_put(r->s, txn, "anchor.head", head, sizeof(head))) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	*done = st == SK_OK;
	return st;
}

/* Record seq of the log must have the anchored head as its hash; a
 * record purged under retention is checked only when it is the signed
 * purge base (audit_log_verify() checked that signature). */
static sk_status anchor_matches(node_store *s, MDB_txn *txn, uint64_t seq, const uint8_t *head,
				uint64_t records, uint64_t *bad)
{
	audit_record *rec = NULL;
	audit_base base;
	sk_status st;

	if ((st = audit_log_base(s->audit, txn, &base)) != SK_OK)
		return st;
	if (seq < base.seq)
		return SK_OK;
	if (seq == base.seq) {
		if (sodium_memcmp(base.hash, head, AUDIT_HASH_BYTES) == 0)
			return SK_OK;
		*bad = seq + 1;
		sk_error_set("the purge marker at record %llu does not match the head anchored in "
			     "the registry's log", (unsigned long long)seq);
		return SK_ERR_VERIFY;
	}
	if (seq > records) {
		*bad = records + 1;
		sk_error_set("records up to %llu were anchored in the registry's log, but the log "
			     "ends at %llu: its tail was cut off",
			     (unsigned long long)seq, (unsigned long long)records);
		return SK_ERR_VERIFY;
	}
	if ((st = audit_log_get(s->audit, txn, seq, &rec)) != SK_OK ||
	    sodium_memcmp(rec->hash, head, AUDIT_HASH_BYTES) != 0) {
		*bad = seq;
		audit_record_free(rec);
		sk_error_set("record %llu is not the one anchored in the registry's log",
			     (unsigned long long)seq);
		return SK_ERR_VERIFY;
	}
	audit_record_free(rec);
	return SK_OK;
}

sk_status node_audit_anchor_check(node_store *s, MDB_txn *txn, uint64_t records, uint64_t *bad,
				  uint64_t *anchored)
{
	uint8_t *head = NULL;
	size_t len = 0;
	uint64_t seq;
	sk_status st;

	if ((st = node_meta_u64(s, txn, "anchor.seq", 0, &seq)) != SK_OK || seq == 0)
		return st;
	*anchored = seq;
	if ((st = node_meta_get(s, txn, "anchor.head", &head, &len)) != SK_OK)
		return st;
	st = len == AUDIT_HASH_BYTES ? anchor_matches(s, txn, seq, head, records, bad)
				     : SK_ERR_DB;
	free(head);
	return st;
}

sk_status node_remote_anchors_check(node_remote *r, uint64_t records, uint64_t *bad,
				    size_t *checked)
{
	Schakel__V1__AnchorsRequest req = SCHAKEL__V1__ANCHORS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	*checked = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST;
	env.anchors_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_RESPONSE, &reply)) !=
	    SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		for (size_t i = 0; i < reply->anchors_response->n_anchors && st == SK_OK; i++) {
			const Schakel__V1__AnchorBody *a = reply->anchors_response->anchors[i];

			if (a->head.len != AUDIT_HASH_BYTES) {
				st = SK_ERR_INVALID;
				break;
			}
			st = anchor_matches(r->s, txn, a->seq, a->head.data, records, bad);
			(*checked)++;
		}
		mdb_txn_abort(txn);
	}
	wire_envelope_free(reply);
	return st;
}

/* The weekly encryption key; right after a rekey (certified by the new
 * identity; partners dropped the old ones) or a restore, a new one at once. */
static sk_status enc_maintain(node_remote *r, int *rotated)
{
	uint64_t renew = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = node_remote_meta(r, NODE_META_ENC_ROTATE_NOW, &renew)) != SK_OK ||
	    (st = node_enc_maintain(r, node_now_ms(), renew != 0, rotated)) != SK_OK || renew == 0)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, NODE_META_ENC_ROTATE_NOW, 0)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status node_remote_sync(node_remote *r, node_sync_stats *stats)
{
	struct dirty_list l = {NULL, 0, NODE_PUBLISH_BATCH};
	MDB_txn *txn = NULL;
	size_t done = 0, failed = 0;
	sk_status st = SK_OK;

	memset(stats, 0, sizeof(*stats));
	if ((st = node_remote_resume(r)) != SK_OK)
		return st;
	if ((l.ids = calloc(l.cap, sizeof(*l.ids))) == NULL)
		return SK_ERR_NOMEM;
	/* every dirty entry, a batch at a time, while batches make progress */
	do {
		l.n = 0;
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			break;
		st = node_dirty_scan(r->s, txn, collect_dirty, &l);
		mdb_txn_abort(txn);
		if (st != SK_OK || l.n == 0)
			break;
		st = node_remote_publish_many(r, (const char(*)[NODE_CLIENT_ID_MAX + 1])l.ids, l.n,
					      &done, &failed);
		stats->published += done;
	} while (st == SK_OK && done > 0 && failed == 0 && l.n == l.cap);
	free(l.ids);
	if (st == SK_OK)
		st = node_remote_checkpoint_advance(r, NULL, 0, &stats->tree_size);
	/* members first: messages in the mailbox are checked against them */
	if (st == SK_OK)
		st = pull_events(r, &stats->alerts);
	if (st == SK_OK)
		st = enc_maintain(r, &stats->rotated);
	if (st == SK_OK)
		st = pull_mailbox(r, &stats->items);
	if (st == SK_OK)
		st = node_discuss_sync(r, stats);
	if (st == SK_OK)
		st = anchor(r, &stats->anchored);
	return st;
}

sk_status node_inbox_scan(node_store *s, unsigned kind, node_inbox_fn fn, void *arg)
{
	MDB_dbi dbi;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_dbi(s->env, "inbox", MDB_CREATE, &dbi)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_cursor_open(txn, dbi, &cur))) != SK_OK)
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
		if (kind == 0 || (unsigned)it->kind == kind) {
			if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
			    node_token_find(s, txn, it->token.data, it->epoch, client) != SK_OK)
				client[0] = 0;
			st = fn(it, client, arg);
		}
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
	}
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
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

json_t *node_inbox_item_json(const Schakel__V1__MailboxItem *it, const char *client)
{
	return json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)it->seq, "kind",
			 kind_name(it->kind), "time", (json_int_t)it->time, "org",
			 it->counterpart ? it->counterpart : "", "category",
			 it->category ? it->category : "", "client", client, "role",
			 it->role ? it->role : "", "purpose", it->purpose ? it->purpose : "",
			 "detail", it->detail ? it->detail : "");
}
