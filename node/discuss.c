#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "crypto/seal.h"
#include "node/client.h"
#include "node/discuss.h"
#include "node/professional.h"

#define DOMAIN_KEY "schakel/v1/discussion-key"

static sk_status dbi(node_store *s, MDB_dbi *out)
{
	return sk_db_dbi(s->env, "discussions", MDB_CREATE, out);
}

static sk_status audit(node_store *s, const char *event, const char *prof, const char *client,
		       const char *topic, const char *id, const char *reason)
{
	audit_record rec = {0};

	rec.event = event;
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = reason == NULL ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = reason;
	rec.user = prof;
	rec.client = client;
	rec.purpose = topic;
	rec.correlation_id = id;
	return node_audit_commit(s, &rec);
}

/* The client of ref, checking that prof is assigned to an open case. */
static sk_status check_prof(node_store *s, const char *ref, const char *prof,
			    char client[static NODE_CLIENT_ID_MAX + 1], node_professional *p)
{
	MDB_txn *txn = NULL;
	int yes = 0;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = node_client_resolve(s, txn, ref, client)) == SK_OK &&
	    (st = node_professional_get(s, txn, prof, p)) == SK_OK)
		st = node_remote_assigned(s, txn, client, prof, &yes);
	mdb_txn_abort(txn);
	if (st == SK_OK && !yes) {
		sk_error_set("%s is not assigned to an open case of this client", prof);
		st = SK_ERR_PERM;
	}
	return st;
}

sk_status node_discuss_request(node_remote *r, const char *client_ref, const char *prof,
			       const char *topic, uint64_t window_start, uint64_t window_end,
			       char id[static NODE_DISCUSSION_HEX])
{
	node_store *s = node_remote_store(r);
	Schakel__V1__DiscussRequest req = SCHAKEL__V1__DISCUSS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	char client[NODE_CLIENT_ID_MAX + 1], sealed_hex[2 * SEAL_AEAD_BYTES(32) + 1];
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES], head[32];
	uint8_t sealed[SEAL_AEAD_BYTES(32)];
	uint32_t epoch = node_remote_epoch(r);
	node_professional p;
	key_x25519 dk;
	MDB_txn *txn = NULL;
	MDB_dbi db;
	json_t *rec = NULL;
	uint64_t head_seq;
	sk_status st;

	id[0] = 0;
	key_x25519_generate(&dk);
	if ((st = check_prof(s, client_ref, prof, client, &p)) != SK_OK) {
		if (st == SK_ERR_PERM)
			(void)audit(s, "discuss.request", prof, NULL, topic, NULL, sk_error_detail());
		goto out;
	}
	if (!wire_purpose_valid(topic)) {
		sk_error_set("unknown topic code '%.32s'", topic);
		st = SK_ERR_INVALID;
		goto out;
	}
	if ((st = node_remote_token(r, client, epoch, token, ck)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = audit_log_head(s->audit, txn, &head_seq, head);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	req.token = (ProtobufCBinaryData){sizeof(token), token};
	req.epoch = epoch;
	req.topic = (char *)topic;
	req.window_start = window_start;
	req.window_end = window_end;
	req.discussion_key = (ProtobufCBinaryData){sizeof(dk.pk), dk.pk};
	req.audit_head = (ProtobufCBinaryData){sizeof(head), head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST;
	env.discuss_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_CREATED, &reply)) !=
	    SK_OK) {
		(void)audit(s, "discuss.request", prof, client, topic, NULL, sk_error_detail());
		goto out;
	}
	if (reply->discuss_created->discussion_id.len != NODE_DISCUSSION_ID_BYTES) {
		st = SK_ERR_INVALID;
		goto out;
	}
	sodium_bin2hex(id, NODE_DISCUSSION_HEX, reply->discuss_created->discussion_id.data,
		       NODE_DISCUSSION_ID_BYTES);
	/* the discussion's private key, sealed under the data key, bound to its id */
	if ((st = seal_aead_encrypt(sealed, DOMAIN_KEY, (const uint8_t *)id, strlen(id), dk.sk,
				    sizeof(dk.sk), s->data_key)) != SK_OK)
		goto out;
	sodium_bin2hex(sealed_hex, sizeof(sealed_hex), sealed, sizeof(sealed));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "id", id, "client", client, "professional",
			prof, "topic", topic, "window_start", (json_int_t)window_start,
			"window_end", (json_int_t)window_end, "key", sealed_hex);
	if (rec == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = dbi(s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = node_json_put(txn, db, id, strlen(id), rec)) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	if (st == SK_OK)
		st = audit(s, "discuss.request", prof, client, topic, id, NULL);
out:
	json_decref(rec);
	wire_envelope_free(reply);
	key_x25519_wipe(&dk);
	sodium_memzero(ck, sizeof(ck));
	return st;
}

struct find_inv {
	uint8_t id[NODE_DISCUSSION_ID_BYTES];
	Schakel__V1__MailboxItem *it;
	char client[NODE_CLIENT_ID_MAX + 1];
};

static sk_status find_invitation(const Schakel__V1__MailboxItem *it, const char *client, void *arg)
{
	struct find_inv *f = arg;
	size_t n;
	uint8_t *buf;

	if (f->it != NULL || !it->has_discussion_id ||
	    it->discussion_id.len != NODE_DISCUSSION_ID_BYTES ||
	    memcmp(it->discussion_id.data, f->id, NODE_DISCUSSION_ID_BYTES) != 0)
		return SK_OK;
	n = schakel__v1__mailbox_item__get_packed_size(it);
	if ((buf = malloc(n ? n : 1)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__mailbox_item__pack(it, buf);
	f->it = schakel__v1__mailbox_item__unpack(NULL, n, buf);
	free(buf);
	snprintf(f->client, sizeof(f->client), "%s", client);
	return f->it != NULL ? SK_OK : SK_ERR_NOMEM;
}

sk_status node_discuss_answer(node_remote *r, const char *id, const char *prof, int accept)
{
	node_store *s = node_remote_store(r);
	Schakel__V1__DiscussAnswer ans = SCHAKEL__V1__DISCUSS_ANSWER__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	struct find_inv f = {{0}, NULL, ""};
	char client[NODE_CLIENT_ID_MAX + 1], enc[2 * KEY_X25519_PK_BYTES + 1], *text = NULL;
	uint8_t head[32], sealed[SEAL_BOX_BYTES(1024)];
	size_t got = 0, tlen;
	uint64_t head_seq;
	node_professional p;
	MDB_txn *txn = NULL;
	json_t *who = NULL;
	sk_status st;

	if (sodium_hex2bin(f.id, sizeof(f.id), id, strlen(id), NULL, &got, NULL) != 0 ||
	    got != sizeof(f.id)) {
		sk_error_set("a discussion id is 32 hex digits");
		return SK_ERR_INVALID;
	}
	if ((st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION, find_invitation,
				  &f)) != SK_OK)
		return st;
	if (f.it == NULL || f.client[0] == 0 || f.it->discussion_key.len != KEY_X25519_PK_BYTES) {
		sk_error_set("no invitation %s for one of our clients here; run 'sync' first", id);
		st = SK_ERR_NOTFOUND;
		goto out;
	}
	if ((st = check_prof(s, f.client, prof, client, &p)) != SK_OK) {
		if (st == SK_ERR_PERM)
			(void)audit(s, accept ? "discuss.accept" : "discuss.decline", prof, f.client,
				    f.it->purpose, id, sk_error_detail());
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = audit_log_head(s->audit, txn, &head_seq, head);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	ans.discussion_id = (ProtobufCBinaryData){sizeof(f.id), f.id};
	ans.accept = accept != 0;
	ans.audit_head = (ProtobufCBinaryData){sizeof(head), head};
	if (accept) {
		/* who we are, only for the requester: sealed to the discussion key */
		sodium_bin2hex(enc, sizeof(enc), s->enc_pk, sizeof(s->enc_pk));
		who = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "org", s->org_id,
				"org_name", s->name, "category", s->category, "professional",
				p.id, "name", p.name, "role", p.role, "phone", p.phone, "email",
				p.email, "encryption_key", enc);
		if (who == NULL || (text = json_dumps(who, JSON_COMPACT)) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		if ((tlen = strlen(text)) > 1024) {
			st = SK_ERR_TOOBIG;
			goto out;
		}
		if ((st = seal_box(sealed, (const uint8_t *)text, tlen,
				   f.it->discussion_key.data)) != SK_OK)
			goto out;
		ans.has_sealed = 1;
		ans.sealed = (ProtobufCBinaryData){SEAL_BOX_BYTES(tlen), sealed};
	}
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER;
	env.discuss_answer = &ans;
	st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWERED, &reply);
	(void)audit(s, accept ? "discuss.accept" : "discuss.decline", prof, f.client,
		    f.it->purpose, id, st == SK_OK ? NULL : sk_error_detail());
out:
	free(text);
	json_decref(who);
	wire_envelope_free(reply);
	schakel__v1__mailbox_item__free_unpacked(f.it, NULL);
	return st;
}

struct scan_ctx {
	node_store *s;
	node_discuss_fn fn;
	void *arg;
	json_t *own; /* id -> request JSON */
};

static sk_status invitation(const Schakel__V1__MailboxItem *it, const char *client, void *arg)
{
	struct scan_ctx *c = arg;
	char id[NODE_DISCUSSION_HEX];
	json_t *d;

	if (!it->has_discussion_id || it->discussion_id.len != NODE_DISCUSSION_ID_BYTES)
		return SK_OK;
	sodium_bin2hex(id, sizeof(id), it->discussion_id.data, NODE_DISCUSSION_ID_BYTES);
	d = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "id", id, "role", "invited", "client", client,
		      "topic", it->purpose ? it->purpose : "", "window_start",
		      (json_int_t)it->window_start, "window_end", (json_int_t)it->window_end);
	return d != NULL ? c->fn(d, c->arg) : SK_ERR_NOMEM;
}

/* An acceptance of one of our requests: opened with its discussion key. */
static sk_status acceptance(const Schakel__V1__MailboxItem *it, const char *client, void *arg)
{
	struct scan_ctx *c = arg;
	char id[NODE_DISCUSSION_HEX];
	const char *keyhex;
	uint8_t sealed[SEAL_AEAD_BYTES(32)], text[1024];
	key_x25519 dk;
	size_t got = 0, n = 0, dn = 0;
	json_t *req, *who;

	if (!it->has_discussion_id || it->discussion_id.len != NODE_DISCUSSION_ID_BYTES ||
	    !it->has_sealed)
		return SK_OK;
	sodium_bin2hex(id, sizeof(id), it->discussion_id.data, NODE_DISCUSSION_ID_BYTES);
	if ((req = json_object_get(c->own, id)) == NULL ||
	    (keyhex = json_string_value(json_object_get(req, "key"))) == NULL ||
	    sodium_hex2bin(sealed, sizeof(sealed), keyhex, strlen(keyhex), NULL, &got, NULL) != 0 ||
	    seal_aead_decrypt(dk.sk, &dn, DOMAIN_KEY, (const uint8_t *)id, strlen(id), sealed, got,
			      c->s->data_key) != SK_OK ||
	    dn != sizeof(dk.sk))
		return SK_OK; /* not ours, or not openable: shown nowhere */
	crypto_scalarmult_base(dk.pk, dk.sk);
	if (it->sealed.len <= sizeof(text) + SEAL_BOX_OVERHEAD &&
	    seal_box_open(text, &n, it->sealed.data, it->sealed.len, &dk) == SK_OK &&
	    (who = json_loadb((const char *)text, n, 0, NULL)) != NULL)
		json_array_append_new(json_object_get(req, "accepted"), who);
	key_x25519_wipe(&dk);
	sodium_memzero(text, sizeof(text));
	(void)client;
	return SK_OK;
}

sk_status node_discuss_scan(node_store *s, sk_kek *kek, node_discuss_fn fn, void *arg)
{
	struct scan_ctx c = {s, fn, arg, json_object()};
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	MDB_dbi db;
	const char *key;
	json_t *val;
	sk_status st;
	int rc;

	(void)kek;
	if (c.own == NULL)
		return SK_ERR_NOMEM;
	if ((st = dbi(s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_cursor_open(txn, db, &cur))) == SK_OK) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);

			if (o == NULL)
				continue;
			json_object_set_new(o, "role", json_string("requester"));
			json_object_set_new(o, "accepted", json_array());
			json_object_set_new(c.own, json_string_value(json_object_get(o, "id")), o);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (st == SK_OK)
		st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_ACCEPTED, acceptance, &c);
	json_object_foreach(c.own, key, val)
	{
		json_object_del(val, "key"); /* the sealed private key stays inside */
		if (st == SK_OK)
			st = fn(json_incref(val), arg);
	}
	if (st == SK_OK)
		st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION, invitation,
				     &c);
out:
	json_decref(c.own);
	return st;
}
