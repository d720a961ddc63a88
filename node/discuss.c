#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "crypto/seal.h"
#include "node/client.h"
#include "node/directory.h"
#include "node/discuss.h"
#include "node/enckeys.h"
#include "node/entry.h"
#include "node/inbox.h"
#include "node/index.h"
#include "node/members.h"
#include "node/professional.h"
#include "node/publish.h"
#include "node/resume.h"
#include "node/session_int.h"
#include "node/token.h"
#include "protos/domains.h"


static sk_status dbi(node_store *s, MDB_dbi *out)
{
	*out = s->discussions;
	return SK_OK;
}

/* The record id of client, indexed in the same transaction
 * (discussion_clients, node/index.h). */
static sk_status rec_store(node_store *s, MDB_txn *txn, const char *id, const json_t *rec)
{
	const char *client = json_string_value(json_object_get(rec, "client"));
	sk_status st = node_json_put(txn, s->discussions, id, strlen(id), rec);

	if (st == SK_OK && client != NULL && client[0] != 0)
		st = node_index_discussion(txn, s->discussion_clients, client, id);
	return st;
}

static sk_status audit(node_store *s, const char *event, const char *prof, const char *client,
		       const char *topic, const char *id, const char *reason)
{
	audit_record rec = {0};
	node_professional p;
	MDB_txn *txn = NULL;
	char why[512];

	/* reason may be the thread's error detail, which the lookup below may
	 * overwrite: keep a copy and put it back */
	if (reason != NULL) {
		snprintf(why, sizeof(why), "%s", reason);
		reason = why;
	}
	/* the role, so that the art. 15 report names it; none for an unknown id */
	if (prof != NULL && mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == MDB_SUCCESS) {
		if (node_professional_get(s, txn, prof, &p) == SK_OK)
			rec.role = p.role;
		mdb_txn_abort(txn);
	}
	if (reason != NULL)
		sk_error_set("%s", why);
	/* a crisis discussion is marked for the privacy officer's review */
	rec.break_glass = topic != NULL && strcmp(topic, "crisis") == 0;

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
		st = node_case_assigned_open(s, txn, client, prof, &yes);
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
	uint8_t sealed[SEAL_AEAD_BYTES(32)], corr[NODE_DISCUSSION_ID_BYTES];
	char corr_hex[NODE_DISCUSSION_HEX];
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
	/* a refusal is recorded under this id at both ends (audit verify
	 * --reconcile); an accepted request under the discussion's id */
	randombytes_buf(corr, sizeof(corr));
	sodium_bin2hex(corr_hex, sizeof(corr_hex), corr, sizeof(corr));
	req.has_correlation_id = 1;
	req.correlation_id = (ProtobufCBinaryData){sizeof(corr), corr};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST;
	env.discuss_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_CREATED, &reply)) !=
	    SK_OK) {
		(void)audit(s, "discuss.request", prof, client, topic, corr_hex, sk_error_detail());
		goto out;
	}
	if (reply->discuss_created->discussion_id.len != NODE_DISCUSSION_ID_BYTES) {
		st = SK_ERR_INVALID;
		goto out;
	}
	sodium_bin2hex(id, NODE_DISCUSSION_HEX, reply->discuss_created->discussion_id.data,
		       NODE_DISCUSSION_ID_BYTES);
	/* the discussion's private key, sealed under the data key, bound to its id */
	if ((st = seal_aead_encrypt(sealed, WIRE_DOMAIN_DISCUSSION_KEY, (const uint8_t *)id, strlen(id), dk.sk,
				    sizeof(dk.sk), s->data_key)) != SK_OK)
		goto out;
	sodium_bin2hex(sealed_hex, sizeof(sealed_hex), sealed, sizeof(sealed));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:{},s:{},s:{},s:[],s:I}", "id", id,
			"role", "requester", "client", client, "professional", prof, "topic", topic,
			"window_start", (json_int_t)window_start, "window_end",
			(json_int_t)window_end, "created", (json_int_t)sk_clock_now_ms(), "key",
			sealed_hex, "participants", "seq_in", "seq_out", "summary_to",
			"n_messages", (json_int_t)0);
	if (rec == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = dbi(s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = rec_store(s, txn, id, rec)) == SK_OK)
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

static sk_status find_invitation(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
				 void *arg)
{
	struct find_inv *f = arg;
	size_t n;
	uint8_t *buf;

	(void)at;
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

/* The local record of a discussion we accepted: ours to follow. */
static sk_status participant_new(node_store *s, const char *id, const char *client,
				 const char *prof, const Schakel__V1__MailboxItem *it)
{
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:{},s:{},s:{},s:I}", "id", id,
				"role", "participant", "client", client, "professional", prof,
				"topic", it->purpose ? it->purpose : "", "window_start",
				(json_int_t)it->window_start, "window_end",
				(json_int_t)it->window_end, "created", (json_int_t)sk_clock_now_ms(),
				"participants", "seq_in", "seq_out", "n_messages", (json_int_t)0);
	MDB_txn *txn = NULL;
	MDB_dbi db;
	sk_status st;

	if (rec == NULL)
		return SK_ERR_NOMEM;
	if ((st = dbi(s, &db)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		if ((st = rec_store(s, txn, id, rec)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	json_decref(rec);
	return st;
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
	ans.has_correlation_id = 1; /* both ends record the answer under the discussion's id */
	ans.correlation_id = ans.discussion_id;
	ans.accept = accept != 0;
	ans.audit_head = (ProtobufCBinaryData){sizeof(head), head};
	if (accept) {
		uint8_t enc_pk[KEY_X25519_PK_BYTES];

		if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			goto out;
		st = node_enc_current(s, txn, enc_pk);
		mdb_txn_abort(txn);
		if (st != SK_OK)
			goto out;
		/* who we are, only for the requester: sealed to the discussion key */
		sodium_bin2hex(enc, sizeof(enc), enc_pk, sizeof(enc_pk));
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
	if (st == SK_OK && accept)
		st = participant_new(s, id, client, prof, f.it);
	(void)audit(s, accept ? "discuss.accept" : "discuss.decline", prof, f.client,
		    f.it->purpose, id, st == SK_OK ? NULL : sk_error_detail());
out:
	free(text);
	json_decref(who);
	wire_envelope_free(reply);
	schakel__v1__mailbox_item__free_unpacked(f.it, NULL);
	return st;
}

/* ---- local records and messages ------------------------------------------ */

#define CONTEXT_BYTES (NODE_DISCUSSION_ID_BYTES + 8)

static sk_status msgs_dbi(node_store *s, MDB_dbi *out)
{
	*out = s->discussion_messages;
	return SK_OK;
}

static sk_status rec_get(node_store *s, MDB_txn *txn, const char *id, json_t **out)
{
	MDB_dbi db;
	sk_status st;

	*out = NULL;
	if ((st = dbi(s, &db)) != SK_OK)
		return st;
	if (strlen(id) != 2 * NODE_DISCUSSION_ID_BYTES) {
		sk_error_set("a discussion id is 32 hex digits");
		return SK_ERR_INVALID;
	}
	st = node_json_get(txn, db, id, strlen(id), out);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("this node takes no part in discussion %s (run 'sync', or accept the "
			     "invitation first)",
			     id);
	return st;
}

static sk_status rec_put(node_store *s, MDB_txn *txn, const char *id, const json_t *rec)
{
	MDB_dbi db;
	sk_status st;

	if ((st = dbi(s, &db)) != SK_OK)
		return st;
	return rec_store(s, txn, id, rec);
}

static uint64_t obj_u64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* Keeps msg (a JSON object) sealed under the data key as message number
 * n of discussion id (a new one, or one kept already written again). */
static sk_status msg_store(node_store *s, MDB_txn *txn, const char *id, uint64_t n,
			   const json_t *msg)
{
	uint8_t key[2 * NODE_DISCUSSION_ID_BYTES + 8], *sealed = NULL;
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;
	MDB_val k = {sizeof(key), key}, v;
	MDB_dbi db;
	sk_status st;

	if (text == NULL)
		return SK_ERR_NOMEM;
	len = strlen(text);
	memcpy(key, id, 2 * NODE_DISCUSSION_ID_BYTES);
	sk_be64_put(key + 2 * NODE_DISCUSSION_ID_BYTES, n);
	if ((sealed = malloc(SEAL_AEAD_BYTES(len))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = seal_aead_encrypt(sealed, WIRE_DOMAIN_DISCUSSION_AT_REST, key, sizeof(key), (uint8_t *)text, len,
				    s->data_key)) != SK_OK ||
	    (st = msgs_dbi(s, &db)) != SK_OK)
		goto out;
	v = (MDB_val){SEAL_AEAD_BYTES(len), sealed};
	st = sk_db_status(mdb_put(txn, db, &k, &v, 0));
out:
	sodium_memzero(text, len);
	free(text);
	free(sealed);
	return st;
}

/* Keeps msg as message number rec.n_messages + 1 of discussion id. */
static sk_status msg_put(node_store *s, MDB_txn *txn, const char *id, json_t *rec, json_t *msg)
{
	uint64_t n = obj_u64(rec, "n_messages") + 1;
	sk_status st = msg_store(s, txn, id, n, msg);

	if (st == SK_OK)
		json_object_set_new(rec, "n_messages", json_integer((json_int_t)n));
	return st;
}

/* The messages of discussion id, oldest first, into arr. */
static sk_status msgs_load(node_store *s, MDB_txn *txn, const char *id, json_t *arr)
{
	uint8_t key[2 * NODE_DISCUSSION_ID_BYTES + 8];
	MDB_cursor *cur = NULL;
	MDB_val k = {sizeof(key), key}, v;
	MDB_dbi db;
	sk_status st;
	int rc;

	memcpy(key, id, 2 * NODE_DISCUSSION_ID_BYTES);
	sk_be64_put(key + 2 * NODE_DISCUSSION_ID_BYTES, 0);
	if ((st = msgs_dbi(s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, db, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && st == SK_OK && k.mv_size == sizeof(key) &&
	     memcmp(k.mv_data, id, 2 * NODE_DISCUSSION_ID_BYTES) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint8_t *plain = malloc(v.mv_size > SEAL_AEAD_OVERHEAD ? v.mv_size : 1);
		size_t n = 0;
		json_t *m;

		if (plain == NULL) {
			st = SK_ERR_NOMEM;
			break;
		}
		if ((st = seal_aead_decrypt(plain, &n, WIRE_DOMAIN_DISCUSSION_AT_REST, k.mv_data, k.mv_size,
					    v.mv_data, v.mv_size, s->data_key)) == SK_OK) {
			if ((m = json_loadb((const char *)plain, n, 0, NULL)) != NULL)
				json_array_append_new(arr, m);
			else
				st = SK_ERR_DB;
		}
		sodium_memzero(plain, n);
		free(plain);
	}
	mdb_cursor_close(cur);
	return st;
}

/* Who sent or received a message, as the message says. */
static json_t *who_json(const char *org, const char *org_name, const char *category,
			const Schakel__V1__DiscussMessageBody *b)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "org", org, "org_name",
			 org_name ? org_name : "", "category", category ? category : "",
			 "professional", b->professional, "name", b->name ? b->name : "", "role",
			 b->role ? b->role : "", "phone", b->phone ? b->phone : "", "email",
			 b->email ? b->email : "");
}

static json_t *msg_json(const char *from, const Schakel__V1__DiscussMessageBody *b,
			const char *name, uint64_t seq)
{
	static const char *kinds[] = {"", "summary", "message", "close"};
	json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "from", from, "professional",
			      b->professional, "name", name ? name : "", "kind",
			      kinds[b->kind <= 3 ? b->kind : 0], "time", (json_int_t)b->time,
			      "seq", (json_int_t)seq);

	if (m == NULL)
		return NULL;
	json_object_set_new(m, "text", json_string(b->text ? b->text : ""));
	if (b->regie_org != NULL)
		json_object_set_new(m, "regie", json_pack("{s:s,s:s}", "org", b->regie_org,
							  "professional",
							  b->regie_professional
								  ? b->regie_professional
								  : ""));
	return m;
}

/* ---- receiving (at sync) ---------------------------------------------------- */

struct dsync {
	node_remote *r;
	node_store *s;
	node_discuss_stats *stats;
	uint64_t now_ms;
	key_x25519 *keys; /* sodium_malloc'd, NODE_ENC_LIVE_MAX */
	size_t n_keys;
	char regie[8][NODE_CLIENT_ID_MAX + 1]; /* clients to republish with regie */
	size_t n_regie;
};

/* A refused message: audited, told on stderr, never shown. */
static sk_status reject(struct dsync *c, MDB_txn *txn, const char *id, const char *client,
			const char *from, const char *why)
{
	audit_record rec = {0};

	sk_log(SK_LOG_WARNING, "refused a discussion message from %s: %s", from, why);
	c->stats->rejected++;
	rec.event = "discuss.receive";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_DENIED;
	rec.reason = why;
	rec.access_point = "registry";
	rec.client = client;
	rec.counterpart = from;
	rec.correlation_id = id;
	return node_audit(c->s, txn, &rec);
}

/* An acceptance of our request: opened with the discussion key; the
 * acceptor joins our participants. */
static sk_status take_acceptance(struct dsync *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it,
				 const char *id, json_t *rec)
{
	const char *keyhex = json_string_value(json_object_get(rec, "key"));
	uint8_t sealed[SEAL_AEAD_BYTES(32)], text[1024];
	size_t got = 0, dn = 0, n = 0;
	key_x25519 dk;
	json_t *who = NULL;
	const char *org;
	sk_status st = SK_OK;

	if (keyhex == NULL || !it->has_sealed ||
	    sodium_hex2bin(sealed, sizeof(sealed), keyhex, strlen(keyhex), NULL, &got, NULL) != 0 ||
	    seal_aead_decrypt(dk.sk, &dn, WIRE_DOMAIN_DISCUSSION_KEY, (const uint8_t *)id, strlen(id), sealed, got,
			      c->s->data_key) != SK_OK ||
	    dn != sizeof(dk.sk))
		return SK_OK; /* emptied by the registry, or not ours */
	crypto_scalarmult_base(dk.pk, dk.sk);
	if (it->sealed.len <= sizeof(text) + SEAL_BOX_OVERHEAD &&
	    seal_box_open(text, &n, it->sealed.data, it->sealed.len, &dk) == SK_OK &&
	    (who = json_loadb((const char *)text, n, 0, NULL)) != NULL &&
	    (org = json_string_value(json_object_get(who, "org"))) != NULL &&
	    net_cert_id_valid(org, NET_ORG_ID_MAX)) {
		json_object_del(who, "encryption_key"); /* the log's keys are used */
		json_object_set(json_object_get(rec, "participants"), org, who);
		st = rec_put(c->s, txn, id, rec);
	}
	json_decref(who);
	key_x25519_wipe(&dk);
	sodium_memzero(text, sizeof(text));
	return st;
}

/* Opens a message with one of our live keys, checking the sender's
 * signature over our org id, our key and the context. */
static sk_status open_message(struct dsync *c, const Schakel__V1__MailboxItem *it,
			      const node_member *m, uint8_t *out, size_t *len)
{
	uint8_t ctx[CONTEXT_BYTES];

	memcpy(ctx, it->discussion_id.data, NODE_DISCUSSION_ID_BYTES);
	sk_be64_put(ctx + NODE_DISCUSSION_ID_BYTES, it->message_seq);
	for (size_t i = 0; i < c->n_keys; i++)
		if (seal_signed_open(out, len, WIRE_DOMAIN_DISCUSS, (const uint8_t *)c->s->org_id,
				     strlen(c->s->org_id), ctx, sizeof(ctx), it->sealed.data,
				     it->sealed.len, &c->keys[i], m->identity_pk) == SK_OK)
			return SK_OK;
	return SK_ERR_VERIFY;
}

/* Whether it is a message the sender sent again after a rollover that the
 * thread of id holds already: the registry made the item after the
 * rollover this node followed (its statement's time), and the thread has
 * a message of the same sender and number (the identity a sender keeps
 * when it sends a message again, node_discuss_sync) with the same time
 * and text, opened as take_message opens it. Without a rollover a repeat
 * is a replay, refused. */
static sk_status read_before(struct dsync *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it,
			     const char *id, int *have)
{
	Schakel__V1__DiscussMessageBody *b = NULL;
	json_t *msgs = NULL, *x;
	uint8_t *plain = NULL;
	size_t plen = 0, i;
	uint64_t rolled = 0;
	node_member m;
	sk_status st;

	*have = 0;
	if ((st = node_meta_u64(c->s, txn, NODE_META_LOG_ROLLED_AT, 0, &rolled)) != SK_OK ||
	    rolled == 0 || it->time < rolled)
		return st;
	if ((st = node_members_get(c->s, txn, it->counterpart, &m)) == SK_ERR_NOTFOUND || m.revoked) {
		sk_error_clear();
		return SK_OK;
	}
	if (st != SK_OK)
		return st;
	if ((msgs = json_array()) == NULL || (plain = malloc(it->sealed.len)) == NULL) {
		json_decref(msgs);
		return SK_ERR_NOMEM;
	}
	if (open_message(c, it, &m, plain, &plen) != SK_OK ||
	    (b = schakel__v1__discuss_message_body__unpack(NULL, plen, plain)) == NULL) {
		st = SK_OK;
		goto out;
	}
	if ((st = msgs_load(c->s, txn, id, msgs)) != SK_OK)
		goto out;
	json_array_foreach(msgs, i, x) {
		const char *from = json_string_value(json_object_get(x, "from"));
		const char *text = json_string_value(json_object_get(x, "text"));

		if (from != NULL && strcmp(from, it->counterpart) == 0 &&
		    json_integer_value(json_object_get(x, "seq")) == (json_int_t)it->message_seq &&
		    json_integer_value(json_object_get(x, "time")) == (json_int_t)b->time &&
		    strcmp(text != NULL ? text : "", b->text != NULL ? b->text : "") == 0)
			*have = 1;
	}
out:
	schakel__v1__discuss_message_body__free_unpacked(b, NULL);
	sodium_memzero(plain, it->sealed.len);
	free(plain);
	json_decref(msgs);
	return st;
}

static sk_status take_message(struct dsync *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it,
			      const char *id, json_t *rec)
{
	const char *from = it->counterpart, *role = json_string_value(json_object_get(rec, "role"));
	int have = 0;
	const char *client = json_string_value(json_object_get(rec, "client"));
	const char *requester = json_string_value(json_object_get(rec, "requester"));
	json_t *parts = json_object_get(rec, "participants"), *seq_in = json_object_get(rec, "seq_in");
	int we_asked = role != NULL && strcmp(role, "requester") == 0;
	Schakel__V1__DiscussMessageBody *b = NULL;
	uint8_t *plain = NULL;
	size_t plen = 0;
	node_member m;
	char why[160];
	uint64_t last;
	sk_status st;

	if (!it->has_sealed || it->sealed.len <= SEAL_SIGNED_OVERHEAD)
		return SK_OK; /* emptied by the registry on close or expiry */
	if (from == NULL || !net_cert_id_valid(from, NET_ORG_ID_MAX) || !it->has_message_seq)
		return reject(c, txn, id, client, "?", "the message names no sender or sequence");
	last = obj_u64(seq_in, from);
	if (it->message_seq <= last) {
		snprintf(why, sizeof(why),
			 "replayed or out of order (number %llu after %llu already read)",
			 (unsigned long long)it->message_seq, (unsigned long long)last);
		/* sent again after a rollover, and read before: kept once */
		if ((st = read_before(c, txn, it, id, &have)) != SK_OK || have)
			return st;
		return reject(c, txn, id, client, from, why);
	}
	if (we_asked && json_object_get(parts, from) == NULL)
		return reject(c, txn, id, client, from, "the sender did not accept this discussion");
	if ((st = node_members_get(c->s, txn, from, &m)) == SK_ERR_NOTFOUND || m.revoked)
		return reject(c, txn, id, client, from, "the sender is not a live member");
	if (st != SK_OK)
		return st;
	if ((plain = malloc(it->sealed.len)) == NULL)
		return SK_ERR_NOMEM;
	if (open_message(c, it, &m, plain, &plen) != SK_OK) {
		st = reject(c, txn, id, client, from,
			    "it does not open or its signature does not verify: not sealed to "
			    "us for this discussion, or not signed by the sender");
		goto out;
	}
	if ((b = schakel__v1__discuss_message_body__unpack(NULL, plen, plain)) == NULL ||
	    (b->text != NULL && strlen(b->text) > NODE_DISCUSS_TEXT_MAX)) {
		st = reject(c, txn, id, client, from, "the message is malformed");
		goto out;
	}
	if (b->kind != SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_TEXT &&
	    (we_asked || (requester != NULL && strcmp(requester, from) != 0) ||
	     (requester == NULL && b->kind != SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY))) {
		st = reject(c, txn, id, client, from,
			    "only the requester sends the summary and closes, the summary first");
		goto out;
	}
	if (!we_asked && requester == NULL &&
	    b->kind != SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY) {
		st = reject(c, txn, id, client, from, "a message before the requester's summary");
		goto out;
	}
	if (b->kind == SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY)
		json_object_set_new(rec, "requester", json_string(from));
	json_object_set_new(seq_in, from, json_integer((json_int_t)it->message_seq));
	json_object_set_new(parts, from, who_json(from, m.name, m.category, b));
	if (b->kind == SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_CLOSE) {
		json_t *closed = msg_json(from, b, b->name, it->message_seq);

		json_object_del(closed, "text"); /* the outcome stays sealed, in the thread */
		json_object_set_new(rec, "closed", closed);
		if (b->regie_org != NULL && strcmp(b->regie_org, c->s->org_id) == 0 &&
		    client != NULL && c->n_regie < sizeof(c->regie) / sizeof(c->regie[0])) {
			if ((st = node_entry_regie_set(c->s, txn, client, id)) != SK_OK)
				goto out;
			snprintf(c->regie[c->n_regie++], sizeof(c->regie[0]), "%s", client);
		}
	}
	{
		json_t *msg = msg_json(from, b, b->name, it->message_seq);

		if (msg == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		json_object_set_new(msg, "org_name", json_string(m.name));
		st = msg_put(c->s, txn, id, rec, msg);
		json_decref(msg);
	}
	if (st == SK_OK)
		st = rec_put(c->s, txn, id, rec);
	if (st == SK_OK) {
		audit_record a = {0};

		a.event = "discuss.receive";
		a.action = AUDIT_ACTION_CREATE;
		a.outcome = AUDIT_OUTCOME_OK;
		a.access_point = "registry";
		a.client = client;
		a.counterpart = from;
		a.purpose = json_string_value(json_object_get(rec, "topic"));
		a.correlation_id = id;
		st = node_audit(c->s, txn, &a);
		c->stats->messages++;
	}
out:
	schakel__v1__discuss_message_body__free_unpacked(b, NULL);
	if (plain != NULL) {
		sodium_memzero(plain, it->sealed.len);
		free(plain);
	}
	return st;
}

/* One inbox item past the discussion cursor. */
static sk_status take_item(struct dsync *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	char id[NODE_DISCUSSION_HEX];
	json_t *rec = NULL;
	sk_status st;

	if ((it->kind != SCHAKEL__V1__MAILBOX_KIND__MAILBOX_ACCEPTED &&
	     it->kind != SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MESSAGE) ||
	    !it->has_discussion_id || it->discussion_id.len != NODE_DISCUSSION_ID_BYTES)
		return SK_OK;
	sodium_bin2hex(id, sizeof(id), it->discussion_id.data, NODE_DISCUSSION_ID_BYTES);
	if ((st = rec_get(c->s, txn, id, &rec)) == SK_ERR_NOTFOUND) {
		sk_error_clear();
		return it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MESSAGE && it->has_sealed
			       ? reject(c, txn, id, NULL, it->counterpart ? it->counterpart : "?",
					"a message for a discussion this node takes no part in")
			       : SK_OK;
	}
	if (st == SK_OK)
		st = it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_ACCEPTED
			     ? take_acceptance(c, txn, it, id, rec)
			     : take_message(c, txn, it, id, rec);
	json_decref(rec);
	return st;
}

sk_status node_discuss_take(node_store *s, MDB_txn *txn, const Schakel__V1__MailboxItem *it,
			    uint64_t now_ms, node_discuss_stats *stats)
{
	struct dsync c = {0};
	sk_status st;

	c.s = s;
	c.stats = stats;
	c.now_ms = now_ms;
	if ((c.keys = sodium_malloc(NODE_ENC_LIVE_MAX * sizeof(*c.keys))) == NULL)
		return SK_ERR_NOMEM;
	if ((st = node_enc_keys_load(s, txn, now_ms / 1000, c.keys, &c.n_keys)) == SK_OK)
		st = take_item(&c, txn, it);
	sodium_memzero(c.keys, NODE_ENC_LIVE_MAX * sizeof(*c.keys));
	sodium_free(c.keys);
	return st;
}

/* Takes the acceptances and messages that arrived since the last time,
 * in mailbox order, in one transaction with the cursor. */
static sk_status take_new(struct dsync *c)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	uint64_t cursor, seq = 0;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(c->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64(c->s, txn, NODE_META_DISCUSS_CURSOR, 0, &cursor)) != SK_OK ||
	    (st = node_enc_keys_load(c->s, txn, c->now_ms / 1000, c->keys, &c->n_keys)) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, c->s->inbox, &cur))) != SK_OK)
		goto out;
	sk_be64_put(kb, cursor + 1);
	/* local keys (node/inboxkey.h): what a pull after a rollover keeps
	 * comes after everything taken before it */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Schakel__V1__MailboxItem *it;

		if (k.mv_size != 8)
			break;
		seq = sk_be64_get(k.mv_data);
		if ((it = schakel__v1__mailbox_item__unpack(NULL, v.mv_size, v.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		st = take_item(c, txn, it);
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
		cursor = seq;
	}
	mdb_cursor_close(cur);
	if (st == SK_OK)
		st = node_meta_u64_put(c->s, txn, NODE_META_DISCUSS_CURSOR, cursor);
out:
	if (st == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	return st;
}

/* ---- sending ---------------------------------------------------------------- */

static sk_status rollover_recheck(node_remote *r, node_discuss_stats *stats);

/* What the registry holds from us in a discussion: per recipient, the
 * highest of our message numbers (a recipient not listed: none). */
typedef struct held {
	int listed; /* the registry answered the question */
	size_t n;
	char to[NODE_DISCUSS_PARTICIPANTS_MAX][NET_ORG_ID_MAX + 1];
	uint64_t seq[NODE_DISCUSS_PARTICIPANTS_MAX];
} held;

static uint64_t held_seq(const held *h, const char *org)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->to[i], org) == 0)
			return h->seq[i];
	return 0;
}

/* Whom we may write to in discussion id now, as the registry says; with
 * h, also what it holds from us. */
static sk_status roster(node_remote *r, const uint8_t *idbin, char (*orgs)[NET_ORG_ID_MAX + 1],
			size_t *n, int *closed, held *h)
{
	Schakel__V1__DiscussStateRequest req = SCHAKEL__V1__DISCUSS_STATE_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	const Schakel__V1__DiscussState *ds;
	sk_status st;

	*n = 0;
	req.discussion_id = (ProtobufCBinaryData){NODE_DISCUSSION_ID_BYTES, (uint8_t *)idbin};
	req.has_held = req.held = h != NULL;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE_REQUEST;
	env.discuss_state_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE, &reply)) !=
	    SK_OK)
		return st;
	ds = reply->discuss_state;
	*closed = ds->closed;
	for (size_t i = 0; i < ds->n_participants && *n < NODE_DISCUSS_PARTICIPANTS_MAX; i++)
		if (net_cert_id_valid(ds->participants[i], NET_ORG_ID_MAX))
			snprintf(orgs[(*n)++], NET_ORG_ID_MAX + 1, "%s", ds->participants[i]);
	if (h != NULL) {
		h->n = 0;
		h->listed = ds->has_held_listed && ds->held_listed;
		for (size_t i = 0; i < ds->n_held && h->n < NODE_DISCUSS_PARTICIPANTS_MAX; i++)
			if (net_cert_id_valid(ds->held[i]->recipient, NET_ORG_ID_MAX)) {
				snprintf(h->to[h->n], sizeof(h->to[0]), "%s", ds->held[i]->recipient);
				h->seq[h->n++] = ds->held[i]->seq;
			}
	}
	wire_envelope_free(reply);
	return SK_OK;
}

typedef struct outgoing {
	const char *id;
	uint8_t idbin[NODE_DISCUSSION_ID_BYTES];
	Schakel__V1__DiscussMessageBody body;
	const char *to[NODE_DISCUSS_PARTICIPANTS_MAX];
	size_t n_to;
	int close;
	int keep; /* into our thread (not for a summary forwarded again) */
	/* sent again after a rollover: each recipient's number as first sent
	 * (seq_out stays), nothing added to the thread */
	uint64_t again[NODE_DISCUSS_PARTICIPANTS_MAX];
	int resend;
	/* a summary forwarded: the thread's copy (number thread_n), whose
	 * "seqs" get the new recipients' numbers */
	json_t *thread_msg;
	uint64_t thread_n;
} outgoing;

/* Seals body to each recipient with the next sequence number, reserving
 * the numbers first (a crash after sending never reuses one), sends it
 * through the registry and keeps it in the thread, with each recipient's
 * number ("seqs": what a re-send after a rollover needs). */
static sk_status deliver(node_remote *r, json_t *rec, outgoing *o)
{
	node_store *s = node_remote_store(r);
	Schakel__V1__DiscussSend req = SCHAKEL__V1__DISCUSS_SEND__INIT;
	Schakel__V1__DiscussSealed items[NODE_DISCUSS_PARTICIPANTS_MAX],
		*ptrs[NODE_DISCUSS_PARTICIPANTS_MAX];
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	json_t *seq_out = json_object_get(rec, "seq_out"), *msg = NULL, *to = NULL;
	json_t *seqs = json_object();
	uint8_t *payload = NULL, *sealed[NODE_DISCUSS_PARTICIPANTS_MAX] = {0}, head[32];
	uint8_t ctx[CONTEXT_BYTES];
	uint64_t head_seq, now_s = sk_clock_now_ms() / 1000;
	size_t plen = schakel__v1__discuss_message_body__get_packed_size(&o->body);
	MDB_txn *txn = NULL;
	sk_status st;

	if (o->n_to == 0 || seqs == NULL) {
		json_decref(seqs);
		return seqs == NULL ? SK_ERR_NOMEM : SK_OK;
	}
	if ((payload = malloc(plen ? plen : 1)) == NULL) {
		json_decref(seqs);
		return SK_ERR_NOMEM;
	}
	schakel__v1__discuss_message_body__pack(&o->body, payload);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	for (size_t i = 0; i < o->n_to && st == SK_OK; i++) {
		uint64_t seq = o->resend ? o->again[i] : obj_u64(seq_out, o->to[i]) + 1;
		uint8_t pk[KEY_X25519_PK_BYTES];
		node_member m;

		if ((st = node_members_get(s, txn, o->to[i], &m)) == SK_ERR_NOTFOUND || m.revoked) {
			sk_error_set("%s is not a live member in this node's directory; run 'sync'",
				     o->to[i]);
			st = SK_ERR_NOTFOUND;
		}
		if (st != SK_OK || (st = node_member_enc_key(&m, now_s, pk)) != SK_OK)
			break;
		if ((sealed[i] = malloc(SEAL_SIGNED_BYTES(plen))) == NULL) {
			st = SK_ERR_NOMEM;
			break;
		}
		memcpy(ctx, o->idbin, NODE_DISCUSSION_ID_BYTES);
		sk_be64_put(ctx + NODE_DISCUSSION_ID_BYTES, seq);
		if ((st = seal_signed(sealed[i], WIRE_DOMAIN_DISCUSS, (const uint8_t *)o->to[i],
				      strlen(o->to[i]), ctx, sizeof(ctx), payload, plen, pk,
				      node_remote_identity(r)->sk)) != SK_OK)
			break;
		items[i] = (Schakel__V1__DiscussSealed)SCHAKEL__V1__DISCUSS_SEALED__INIT;
		items[i].recipient = (char *)o->to[i];
		items[i].seq = seq;
		items[i].sealed = (ProtobufCBinaryData){SEAL_SIGNED_BYTES(plen), sealed[i]};
		ptrs[i] = &items[i];
		json_object_set_new(seqs, o->to[i], json_integer((json_int_t)seq));
		if (!o->resend)
			json_object_set_new(seq_out, o->to[i], json_integer((json_int_t)seq));
	}
	if (st == SK_OK && (st = rec_put(s, txn, o->id, rec)) == SK_OK)
		st = audit_log_head(s->audit, txn, &head_seq, head);
	if (st == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	txn = NULL;
	if (st != SK_OK)
		goto out;
	req.discussion_id = (ProtobufCBinaryData){NODE_DISCUSSION_ID_BYTES, o->idbin};
	req.n_messages = o->n_to;
	req.messages = ptrs;
	req.has_close = o->close;
	req.close = o->close;
	req.has_correlation_id = 1; /* both ends record it under the discussion's id */
	req.correlation_id = req.discussion_id;
	req.audit_head = (ProtobufCBinaryData){sizeof(head), head};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND;
	env.discuss_send = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SENT, &reply)) !=
	    SK_OK || o->resend)
		goto out;
	/* our own copy of what we sent, for the thread */
	if ((msg = msg_json(s->org_id, &o->body, o->body.name, 0)) == NULL ||
	    (to = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < o->n_to; i++)
		json_array_append_new(to, json_string(o->to[i]));
	json_object_set_new(msg, "org_name", json_string(s->name));
	json_object_set(msg, "to", to);
	json_object_set(msg, "seqs", seqs);
	if (o->body.kind == SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY) {
		json_t *sent = json_object_get(rec, "summary_to");

		for (size_t i = 0; i < o->n_to; i++)
			json_array_append_new(sent, json_string(o->to[i]));
	}
	if (o->close) {
		json_t *closed = json_deep_copy(msg);

		json_object_del(closed, "text"); /* the outcome stays sealed, in the thread */
		json_object_set_new(rec, "closed", closed);
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if (o->keep) {
		st = msg_put(s, txn, o->id, rec, msg);
	} else if (o->thread_msg != NULL && o->thread_n > 0) {
		json_t *had = json_object_get(o->thread_msg, "seqs");

		if (had == NULL)
			json_object_set(o->thread_msg, "seqs", seqs);
		else
			json_object_update(had, seqs);
		st = msg_store(s, txn, o->id, o->thread_n, o->thread_msg);
	}
	if (st == SK_OK && o->close && o->body.regie_org != NULL &&
	    strcmp(o->body.regie_org, s->org_id) == 0)
		st = node_entry_regie_set(s, txn, json_string_value(json_object_get(rec, "client")),
					  o->id);
	if (st == SK_OK)
		st = rec_put(s, txn, o->id, rec);
	if (st == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
out:
	json_decref(msg);
	json_decref(to);
	json_decref(seqs);
	wire_envelope_free(reply);
	for (size_t i = 0; i < o->n_to; i++)
		free(sealed[i]);
	if (payload != NULL) {
		sodium_memzero(payload, plen);
		free(payload);
	}
	return st;
}

/* Fills the sender fields of a body from prof and our org. */
static void body_from(Schakel__V1__DiscussMessageBody *b, const node_store *s,
		      const node_professional *p)
{
	b->time = sk_clock_now_ms();
	b->professional = (char *)p->id;
	b->name = (char *)p->name;
	b->role = (char *)p->role;
	b->phone = p->phone[0] ? (char *)p->phone : NULL;
	b->email = p->email[0] ? (char *)p->email : NULL;
	b->org_name = (char *)s->name;
	b->category = (char *)s->category;
}

static int listed(const json_t *arr, const char *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
	if (json_string_value(x) != NULL && strcmp(json_string_value(x), v) == 0)
		return 1;
	return 0;
}

/* Sends our summary to the acceptors that have not had it yet. */
static sk_status forward_summary(node_remote *r, json_t *rec, char (*orgs)[NET_ORG_ID_MAX + 1],
				 size_t n, size_t *forwarded)
{
	node_store *s = node_remote_store(r);
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *sent = json_object_get(rec, "summary_to"), *msgs = json_array(), *sum = NULL, *x;
	outgoing o = {0};
	MDB_txn *txn = NULL;
	size_t i, got = 0;
	sk_status st;

	if (msgs == NULL)
		return SK_ERR_NOMEM;
	if (json_array_size(sent) == 0) /* no summary yet: nothing to forward */
		goto done;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto fail;
	st = msgs_load(s, txn, id, msgs);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto fail;
	json_array_foreach(msgs, i, x)
	if (sum == NULL && strcmp(json_string_value(json_object_get(x, "kind")), "summary") == 0) {
		sum = x;
		o.thread_msg = x;
		o.thread_n = i + 1; /* the thread is numbered from 1, in order */
	}
	if (sum == NULL)
		goto done;
	o.id = id;
	if (sodium_hex2bin(o.idbin, sizeof(o.idbin), id, strlen(id), NULL, &got, NULL) != 0 ||
	    got != sizeof(o.idbin)) {
		st = SK_ERR_DB;
		goto fail;
	}
	o.body = (Schakel__V1__DiscussMessageBody)SCHAKEL__V1__DISCUSS_MESSAGE_BODY__INIT;
	o.body.kind = SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY;
	o.body.time = (uint64_t)json_integer_value(json_object_get(sum, "time"));
	o.body.professional = (char *)json_string_value(json_object_get(sum, "professional"));
	o.body.name = (char *)json_string_value(json_object_get(sum, "name"));
	o.body.org_name = (char *)s->name;
	o.body.category = (char *)s->category;
	o.body.text = (char *)json_string_value(json_object_get(sum, "text"));
	for (i = 0; i < n; i++)
		if (!listed(sent, orgs[i]))
			o.to[o.n_to++] = orgs[i];
	if (o.body.professional == NULL)
		goto done;
	if ((st = deliver(r, rec, &o)) != SK_OK)
		goto fail;
	*forwarded += o.n_to;
done:
	st = SK_OK;
fail:
	json_decref(msgs);
	return st;
}

sk_status node_discuss_send(node_remote *r, const char *id, const char *prof, const char *text,
			    int close, const char *regie_org, const char *regie_prof)
{
	node_store *s = node_remote_store(r);
	char orgs[NODE_DISCUSS_PARTICIPANTS_MAX][NET_ORG_ID_MAX + 1];
	char client[NODE_CLIENT_ID_MAX + 1];
	const char *role, *event = close ? "discuss.close" : "discuss.send";
	size_t n = 0, got = 0, forwarded = 0;
	node_professional p;
	outgoing o = {0};
	MDB_txn *txn = NULL;
	json_t *rec = NULL;
	int closed = 0, asked;
	node_discuss_stats after = {0};
	sk_status st;

	/* after a restore, no message number may be used twice; after a
	 * rollover, what the restored registry lost of ours goes again first,
	 * so that each partner gets our numbers in their order */
	if ((st = node_remote_resume(r)) != SK_OK || (st = rollover_recheck(r, &after)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = rec_get(s, txn, id, &rec);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	role = json_string_value(json_object_get(rec, "role"));
	asked = role != NULL && strcmp(role, "requester") == 0;
	if ((st = check_prof(s, json_string_value(json_object_get(rec, "client")), prof, client,
			     &p)) != SK_OK) {
		if (st == SK_ERR_PERM)
			(void)audit(s, event, prof, NULL, NULL, id, sk_error_detail());
		goto out;
	}
	if (json_object_get(rec, "closed") != NULL) {
		sk_error_set("discussion %s is closed", id);
		st = SK_ERR_EXISTS;
		goto out;
	}
	if (close && !asked) {
		sk_error_set("only the organisation that asked for the discussion closes it");
		st = SK_ERR_PERM;
		goto out;
	}
	if (text == NULL || strlen(text) == 0 || strlen(text) > NODE_DISCUSS_TEXT_MAX ||
	    !node_discuss_text_ok(text)) {
		sk_error_set("the text must be 1-%u bytes of UTF-8 text", NODE_DISCUSS_TEXT_MAX);
		st = SK_ERR_INVALID;
		goto out;
	}
	o.id = id;
	if (sodium_hex2bin(o.idbin, sizeof(o.idbin), id, strlen(id), NULL, &got, NULL) != 0 ||
	    got != sizeof(o.idbin)) {
		st = SK_ERR_DB;
		goto out;
	}
	if ((st = roster(r, o.idbin, orgs, &n, &closed, NULL)) != SK_OK)
		goto out;
	if (closed) {
		sk_error_set("discussion %s is closed", id);
		st = SK_ERR_EXISTS;
		goto out;
	}
	if (n == 0) {
		sk_error_set(asked ? "nobody has accepted this invitation yet"
				   : "the requester has not sent its summary to us yet; run 'sync' "
				     "later");
		st = SK_ERR_PERM;
		goto out;
	}
	/* late acceptors get the summary before anything else */
	if (asked && (st = forward_summary(r, rec, orgs, n, &forwarded)) != SK_OK)
		goto out;
	o.body = (Schakel__V1__DiscussMessageBody)SCHAKEL__V1__DISCUSS_MESSAGE_BODY__INIT;
	body_from(&o.body, s, &p);
	o.body.kind = close ? SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_CLOSE
		      : asked && json_array_size(json_object_get(rec, "summary_to")) == 0
			      ? SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY
			      : SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_TEXT;
	o.body.text = (char *)text;
	o.body.regie_org = (char *)regie_org;
	o.body.regie_professional = (char *)regie_prof;
	o.close = close;
	o.keep = 1;
	for (size_t i = 0; i < n; i++)
		o.to[o.n_to++] = orgs[i];
	st = deliver(r, rec, &o);
	(void)audit(s, event, prof, client, json_string_value(json_object_get(rec, "topic")), id,
		    st == SK_OK ? NULL : sk_error_detail());
	if (st == SK_OK && close && regie_org != NULL && strcmp(regie_org, s->org_id) == 0)
		st = node_remote_publish(r, client);
out:
	json_decref(rec);
	return st;
}

int node_discuss_text_ok(const char *text)
{
	json_t *j = json_string(text); /* NULL for invalid UTF-8 */

	json_decref(j);
	return j != NULL && strchr(text, '\0') == text + strlen(text);
}

/* ---- after a rollover --------------------------------------------------------- */

/* A notice from the registry's recovery into the thread of id, audited,
 * in one transaction: with stop, the stop notice, and the record is
 * closed ("discuss.stop"); else the notice that a message of ours may not
 * have arrived ("discuss.resend", failed). A record closed meanwhile stays
 * as it is. */
static sk_status notice_one(node_store *s, const char *id, int stop, const char *why,
			    size_t *count)
{
	audit_record a = {0};
	MDB_txn *txn = NULL;
	json_t *rec = NULL, *msg = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = rec_get(s, txn, id, &rec)) != SK_OK ||
	    (stop && json_object_get(rec, "closed") != NULL))
		goto out;
	msg = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "from", "", "professional", "",
			"name", "verwijsindex", "org_name", "", "kind",
			stop ? "stopped" : "undelivered", "time", (json_int_t)sk_clock_now_ms(),
			"seq", (json_int_t)0, "text",
			stop ? NODE_DISCUSS_STOPPED_NOTICE : NODE_DISCUSS_UNDELIVERED_NOTICE);
	if (msg == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = msg_put(s, txn, id, rec, msg)) != SK_OK)
		goto out;
	json_object_del(msg, "text"); /* the notice stays in the thread */
	if (stop)
		json_object_set_new(rec, "closed", msg);
	else
		json_decref(msg);
	msg = NULL;
	if ((st = rec_put(s, txn, id, rec)) != SK_OK)
		goto out;
	a.event = stop ? "discuss.stop" : "discuss.resend";
	a.action = AUDIT_ACTION_UPDATE;
	a.outcome = stop ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_FAILED;
	a.reason = why;
	a.access_point = "registry";
	a.client = json_string_value(json_object_get(rec, "client"));
	a.purpose = json_string_value(json_object_get(rec, "topic"));
	a.correlation_id = id;
	if ((st = node_audit(s, txn, &a)) == SK_OK)
		(*count)++;
out:
	json_decref(msg);
	json_decref(rec);
	if (st == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	return st;
}

/* How long the registry still answers for a closed discussion (its
 * REG_DISCUSS_CLOSED_KEEP_MS): one closed here within it may have lost
 * messages of ours in the registry's recovery. */
#define CLOSED_KEEP_MS (7ull * 24 * 3600 * 1000)

/* Our open records (requests and acceptances), and those closed by a close
 * within CLOSED_KEEP_MS, into arr. */
static sk_status open_records(node_store *s, json_t *arr)
{
	uint64_t now = sk_clock_now_ms();
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->discussions, &cur))) == SK_OK) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == SK_OK;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			const char *role = json_string_value(json_object_get(o, "role"));
			json_t *closed = json_object_get(o, "closed");
			const char *how = json_string_value(json_object_get(closed, "kind"));

			if (o == NULL)
				st = SK_ERR_DB;
			else if (role != NULL &&
				 (strcmp(role, "requester") == 0 || strcmp(role, "participant") == 0) &&
				 (closed == NULL ||
				  (how != NULL && strcmp(how, "close") == 0 &&
				   obj_u64(closed, "time") + CLOSED_KEEP_MS > now)) &&
				 json_array_append(arr, o) != 0)
				st = SK_ERR_NOMEM;
			json_decref(o);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return st;
}

static int org_in(char (*orgs)[NET_ORG_ID_MAX + 1], size_t n, const char *org)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(orgs[i], org) == 0)
			return 1;
	return 0;
}

/* A refusal by the registry (as against a failure to reach it). */
static int refused(sk_status st)
{
	return st == SK_ERR_PERM || st == SK_ERR_EXISTS || st == SK_ERR_INVALID ||
	       st == SK_ERR_TOOBIG || st == SK_ERR_NOTFOUND;
}

/* Our message x of the thread of rec, sent again to those of its
 * recipients whose number the restored registry does not hold (h), with
 * the same numbers; *lost counts recipients it cannot reach again. */
static sk_status resend_msg(node_remote *r, json_t *rec, const uint8_t *idbin, const json_t *x,
			    char (*orgs)[NET_ORG_ID_MAX + 1], size_t n, int closed, const held *h,
			    node_discuss_stats *stats, size_t *lost)
{
	node_store *s = node_remote_store(r);
	const char *kind = json_string_value(json_object_get(x, "kind")), *to;
	const char *prof = json_string_value(json_object_get(x, "professional"));
	json_t *v;
	node_professional p;
	audit_record a = {0};
	MDB_txn *txn = NULL;
	outgoing o = {0};
	sk_status st;

	json_object_foreach(json_object_get(x, "seqs"), to, v) {
		json_int_t seq = json_integer_value(v);

		if (seq <= 0 || (uint64_t)seq <= held_seq(h, to))
			continue; /* the registry holds it */
		if (closed || !org_in(orgs, n, to) || o.n_to == NODE_DISCUSS_PARTICIPANTS_MAX) {
			(*lost)++;
			continue;
		}
		o.to[o.n_to] = to;
		o.again[o.n_to++] = (uint64_t)seq;
	}
	if (o.n_to == 0 || prof == NULL)
		return SK_OK;
	o.id = json_string_value(json_object_get(rec, "id"));
	memcpy(o.idbin, idbin, NODE_DISCUSSION_ID_BYTES);
	o.resend = 1;
	o.body = (Schakel__V1__DiscussMessageBody)SCHAKEL__V1__DISCUSS_MESSAGE_BODY__INIT;
	o.body.kind = strcmp(kind, "summary") == 0
			      ? SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_SUMMARY
		      : strcmp(kind, "close") == 0 ? SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_CLOSE
						   : SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_TEXT;
	/* our close the registry lost closes the discussion there again */
	o.close = o.body.kind == SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_CLOSE;
	o.body.regie_org = (char *)json_string_value(json_object_get(json_object_get(x, "regie"), "org"));
	o.body.regie_professional =
		(char *)json_string_value(json_object_get(json_object_get(x, "regie"), "professional"));
	if (o.body.regie_professional != NULL && o.body.regie_professional[0] == 0)
		o.body.regie_professional = NULL;
	o.body.time = (uint64_t)json_integer_value(json_object_get(x, "time"));
	o.body.professional = (char *)prof;
	o.body.name = (char *)json_string_value(json_object_get(x, "name"));
	o.body.org_name = (char *)s->name;
	o.body.category = (char *)s->category;
	o.body.text = (char *)json_string_value(json_object_get(x, "text"));
	/* the work contact as the professional's record holds it now */
	memset(&p, 0, sizeof(p));
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if (node_professional_get(s, txn, prof, &p) == SK_OK) {
		o.body.role = p.role;
		o.body.phone = p.phone[0] ? p.phone : NULL;
		o.body.email = p.email[0] ? p.email : NULL;
	}
	mdb_txn_abort(txn);
	if ((st = deliver(r, rec, &o)) != SK_OK) {
		if (!refused(st))
			return st; /* the registry out of reach: the next sync tries again */
		sk_log(SK_LOG_WARNING, "discussion %s: the registry refused a message sent again: %s",
		       o.id, sk_error_detail());
		sk_error_clear();
		*lost += o.n_to;
		return SK_OK;
	}
	stats->resent++;
	a.event = "discuss.resend";
	a.action = AUDIT_ACTION_CREATE;
	a.outcome = AUDIT_OUTCOME_OK;
	a.user = prof;
	a.role = p.role[0] ? p.role : NULL;
	a.access_point = "registry";
	a.client = json_string_value(json_object_get(rec, "client"));
	a.counterpart = o.n_to == 1 ? o.to[0] : NULL;
	a.purpose = json_string_value(json_object_get(rec, "topic"));
	a.correlation_id = o.id;
	return node_audit_commit(s, &a);
}

/* In a discussion that goes on after a rollover: our messages the restored
 * registry lost are sent again (resend_msg); what cannot be leaves a
 * notice in our thread. A registry that does not say what it holds is
 * left alone. */
static sk_status resend_lost(node_remote *r, const char *id, const uint8_t *idbin,
			     char (*orgs)[NET_ORG_ID_MAX + 1], size_t n, int closed, const held *h,
			     node_discuss_stats *stats)
{
	node_store *s = node_remote_store(r);
	json_t *rec = NULL, *msgs = json_array(), *x, *last = NULL, *v;
	MDB_txn *txn = NULL;
	size_t i, lost = 0;
	const char *to;
	sk_status st;

	if (msgs == NULL)
		return SK_ERR_NOMEM;
	if (!h->listed)
		goto done;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto fail;
	if ((st = rec_get(s, txn, id, &rec)) == SK_OK)
		st = msgs_load(s, txn, id, msgs);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto fail;
	/* oldest first: each recipient gets our numbers in their order */
	json_array_foreach(msgs, i, x) {
		const char *from = json_string_value(json_object_get(x, "from"));
		const char *kind = json_string_value(json_object_get(x, "kind"));

		if (from == NULL || kind == NULL || strcmp(from, s->org_id) != 0 ||
		    (strcmp(kind, "summary") != 0 && strcmp(kind, "message") != 0 &&
		     strcmp(kind, "close") != 0))
			continue;
		last = x;
		if ((st = resend_msg(r, rec, idbin, x, orgs, n, closed, h, stats, &lost)) != SK_OK)
			goto fail;
	}
	/* our newest message kept no numbers (an older version sent it): when
	 * the registry lacks a number we used, it may be that one */
	if (last != NULL && json_object_get(last, "seqs") == NULL)
		json_object_foreach(json_object_get(rec, "seq_out"), to, v)
		if (json_integer_value(v) > 0 && (uint64_t)json_integer_value(v) > held_seq(h, to))
			lost++;
	if (lost > 0 &&
	    (st = notice_one(s, id, 0,
			     "the registry was restored after a rollover and lost messages of ours "
			     "that cannot be sent again",
			     &stats->undelivered)) != SK_OK)
		goto fail;
done:
	st = SK_OK;
fail:
	json_decref(rec);
	json_decref(msgs);
	return st;
}

/* After the registry's log rolled over: a restored registry lacks what was
 * acknowledged after its backup. The lost steps cannot be sent again (the
 * registry chooses a discussion's id; an answer is not a signed message),
 * so a discussion it no longer knows, or one of ours whose acceptor it no
 * longer lists, stops here; the flag is cleared once every one was asked. */
static sk_status rollover_recheck(node_remote *r, node_discuss_stats *stats)
{
	node_store *s = node_remote_store(r);
	json_t *open = json_array(), *rec;
	MDB_txn *txn = NULL;
	uint64_t flag = 0;
	size_t i;
	sk_status st;

	if (open == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = node_meta_u64(s, txn, NODE_META_DISCUSS_RECHECK, 0, &flag);
	mdb_txn_abort(txn);
	if (st != SK_OK || flag == 0 || (st = open_records(s, open)) != SK_OK)
		goto out;
	json_array_foreach(open, i, rec)
	{
		char orgs[NODE_DISCUSS_PARTICIPANTS_MAX][NET_ORG_ID_MAX + 1];
		uint8_t idbin[NODE_DISCUSSION_ID_BYTES];
		const char *id = json_string_value(json_object_get(rec, "id")), *org;
		const char *role = json_string_value(json_object_get(rec, "role"));
		const char *why = NULL;
		size_t n = 0, got = 0;
		json_t *w;
		int closed = 0;
		held h = {0};

		if (id == NULL ||
		    sodium_hex2bin(idbin, sizeof(idbin), id, strlen(id), NULL, &got, NULL) != 0 ||
		    got != sizeof(idbin))
			continue;
		if (json_object_get(rec, "closed") != NULL) {
			/* closed here meanwhile: nothing to stop; what we sent that
			 * the registry lost goes again where it may, else the thread
			 * says so (a registry that forgot it: nothing to tell) */
			if ((st = roster(r, idbin, orgs, &n, &closed, &h)) == SK_ERR_NOTFOUND) {
				sk_error_clear();
				st = SK_OK;
				continue;
			}
			if (st != SK_OK ||
			    (st = resend_lost(r, id, idbin, orgs, n, closed, &h, stats)) != SK_OK)
				break;
			continue;
		}
		if ((st = roster(r, idbin, orgs, &n, &closed, &h)) == SK_ERR_NOTFOUND) {
			sk_error_clear();
			st = SK_OK;
			why = "the registry was restored after a rollover and no longer knows this "
			      "discussion";
		} else if (st != SK_OK)
			break;
		else if (!closed && strcmp(role, "requester") == 0)
			json_object_foreach(json_object_get(rec, "participants"), org, w)
			{
				size_t j = 0;

				while (j < n && strcmp(orgs[j], org) != 0)
					j++;
				if (j == n)
					why = "the registry was restored after a rollover and lost an "
					      "acceptance of this discussion";
			}
		if (why != NULL && (st = notice_one(s, id, 1, why, &stats->stopped)) != SK_OK)
			break;
		/* it goes on: what we sent that the registry lost, again */
		if (why == NULL &&
		    (st = resend_lost(r, id, idbin, orgs, n, closed, &h, stats)) != SK_OK)
			break;
	}
	if (st != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = node_meta_u64_put(s, txn, NODE_META_DISCUSS_RECHECK, 0)) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
out:
	json_decref(open);
	return st;
}

sk_status node_discuss_sync(node_remote *r, node_discuss_stats *stats)
{
	struct dsync c = {0};
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	MDB_dbi db;
	json_t *pending = json_array(), *rec;
	size_t i;
	sk_status st;
	int rc;

	c.r = r;
	c.s = node_remote_store(r);
	c.stats = stats;
	c.now_ms = sk_clock_now_ms();
	if (pending == NULL || (c.keys = sodium_malloc(NODE_ENC_LIVE_MAX * sizeof(*c.keys))) == NULL) {
		json_decref(pending);
		return SK_ERR_NOMEM;
	}
	if ((st = take_new(&c)) != SK_OK)
		goto out;
	for (i = 0; i < c.n_regie && st == SK_OK; i++)
		st = node_remote_publish(r, c.regie[i]);
	/* our open requests with a summary: late acceptors get it now */
	if (st != SK_OK || (st = dbi(c.s, &db)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(c.s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_cursor_open(txn, db, &cur))) == SK_OK) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			const char *role = json_string_value(json_object_get(o, "role"));

			if (o != NULL && role != NULL && strcmp(role, "requester") == 0 &&
			    json_object_get(o, "closed") == NULL &&
			    json_array_size(json_object_get(o, "summary_to")) <
				    json_object_size(json_object_get(o, "participants")))
				json_array_append(pending, o);
			json_decref(o);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	json_array_foreach(pending, i, rec)
	{
		char orgs[NODE_DISCUSS_PARTICIPANTS_MAX][NET_ORG_ID_MAX + 1];
		uint8_t idbin[NODE_DISCUSSION_ID_BYTES];
		const char *id = json_string_value(json_object_get(rec, "id"));
		size_t n = 0, got = 0;
		int closed = 0;

		if (st != SK_OK)
			break;
		if (id == NULL ||
		    sodium_hex2bin(idbin, sizeof(idbin), id, strlen(id), NULL, &got, NULL) != 0 ||
		    got != sizeof(idbin))
			continue;
		if ((st = roster(r, idbin, orgs, &n, &closed, NULL)) == SK_ERR_NOTFOUND) {
			st = SK_OK; /* ended at the registry */
			continue;
		}
		if (st == SK_OK && !closed)
			st = forward_summary(r, rec, orgs, n, &stats->forwarded);
	}
	if (st == SK_OK)
		st = rollover_recheck(r, stats);
out:
	json_decref(pending);
	sodium_memzero(c.keys, NODE_ENC_LIVE_MAX * sizeof(*c.keys));
	sodium_free(c.keys);
	return st;
}

/* ---- reading ------------------------------------------------------------- */

/* A record as shown: no sealed key, the acceptors as a list. */
static json_t *shown(json_t *rec)
{
	json_t *acc = json_array(), *w;
	const char *org;

	json_object_del(rec, "key");
	json_object_foreach(json_object_get(rec, "participants"), org, w)
	json_array_append(acc, w);
	json_object_set_new(rec, "accepted", acc);
	json_object_set_new(rec, "state", json_string(json_object_get(rec, "closed") != NULL
							      ? "closed"
							      : "open"));
	return rec;
}

/* Partners as they are shown now: each participant's and message's org
 * by its display name on the sociale kaart, else the member list's name
 * (node/directory.h), in place of the name stored when it arrived. */
static void names_now(node_store *s, json_t *rec)
{
	char name[WIRE_DIR_NAME_MAX + NET_NAME_MAX + 2];
	MDB_txn *txn = NULL;
	const char *org;
	json_t *w;
	size_t i;

	if (sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != SK_OK)
		return; /* the stored names stay */
	json_object_foreach(json_object_get(rec, "participants"), org, w) {
		node_directory_label(s, txn, org, name, sizeof(name));
		if (strcmp(name, org) != 0) /* else no name known: the stored one stays */
			json_object_set_new(w, "org_name", json_string(name));
	}
	json_array_foreach(json_object_get(rec, "messages"), i, w) {
		if ((org = json_string_value(json_object_get(w, "from"))) == NULL)
			continue;
		node_directory_label(s, txn, org, name, sizeof(name));
		if (strcmp(name, org) != 0)
			json_object_set_new(w, "org_name", json_string(name));
	}
	mdb_txn_abort(txn);
}

sk_status node_discuss_show(node_store *s, const char *id, const char *prof, json_t **out)
{
	char client[NODE_CLIENT_ID_MAX + 1];
	node_professional p;
	MDB_txn *txn = NULL;
	json_t *rec = NULL, *msgs = json_array();
	sk_status st;

	*out = NULL;
	if (msgs == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = rec_get(s, txn, id, &rec);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	if ((st = check_prof(s, json_string_value(json_object_get(rec, "client")), prof, client,
			     &p)) != SK_OK) {
		if (st == SK_ERR_PERM) {
			audit_record a = {0};

			a.event = "discuss.show";
			a.action = AUDIT_ACTION_READ;
			a.user = prof;
			a.correlation_id = id;
			node_audit_denied(s, &a);
		}
		goto out;
	}
	/* reading the thread is itself recorded, before it is shown */
	if ((st = node_audit_access(s, "discuss.show", prof, p.role, "discussion", client,
				    NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = msgs_load(s, txn, id, msgs);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	json_object_set(rec, "messages", msgs);
	names_now(s, rec);
	*out = shown(rec);
	rec = NULL;
out:
	json_decref(rec);
	json_decref(msgs);
	return st;
}

/* ---- a professional's discussions, paged ---------------------------------- */

struct dpage {
	node_store *s;
	MDB_txn *txn;
	node_page_keys *ks;
	const char *client;
};

/* An own record (requester or participant) of the client being walked. */
static sk_status own_row(const uint8_t *suffix, size_t slen, const uint8_t *val, size_t vlen,
			 void *arg)
{
	struct dpage *w = arg;
	uint8_t bin[NODE_DISCUSSION_ID_BYTES];
	char id[NODE_DISCUSSION_HEX];
	json_t *rec = NULL;
	size_t got = 0;
	sk_status st;

	(void)val;
	(void)vlen;
	if (slen != NODE_DISCUSSION_HEX - 1)
		return SK_ERR_DB;
	memcpy(id, suffix, slen);
	id[slen] = 0;
	if (sodium_hex2bin(bin, sizeof(bin), id, slen, NULL, &got, NULL) != 0 || got != sizeof(bin))
		return SK_ERR_DB;
	if ((st = node_json_get(w->txn, w->s->discussions, id, slen, &rec)) != SK_OK)
		return st == SK_ERR_NOTFOUND ? SK_OK : st;
	st = node_page_add(w->ks, obj_u64(rec, "created"), bin, sizeof(bin), w->client);
	json_decref(rec);
	return st;
}

static sk_status own_client(const char *client, void *arg)
{
	struct dpage *w = arg;

	w->client = client;
	return node_index_each(w->txn, w->s->discussion_clients, client, own_row, w);
}

/* The invitation under inbox key seq, unless we accepted it (then it is ours). */
static sk_status invitation_key(struct dpage *w, uint64_t seq, const char *client)
{
	uint8_t key[8];
	MDB_val k = {8, key}, d;
	char id[NODE_DISCUSSION_HEX];
	Schakel__V1__MailboxItem *it;
	sk_status st = SK_OK;

	sk_be64_put(key, seq);
	if ((st = sk_db_status(mdb_get(w->txn, w->s->inbox, &k, &d))) != SK_OK)
		return st;
	if ((it = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
		return SK_ERR_DB;
	if (it->has_discussion_id && it->discussion_id.len == NODE_DISCUSSION_ID_BYTES) {
		sodium_bin2hex(id, sizeof(id), it->discussion_id.data, NODE_DISCUSSION_ID_BYTES);
		k = (MDB_val){strlen(id), id};
		if (mdb_get(w->txn, w->s->discussions, &k, &d) == MDB_NOTFOUND &&
		    (st = node_page_add(w->ks, it->time, it->discussion_id.data,
					NODE_DISCUSSION_ID_BYTES, client)) == SK_OK)
			w->ks->v[w->ks->n - 1].ref = seq;
	}
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return st;
}

/* One listed discussion as the API shows it: an own record, or an
 * invitation (ref: its inbox key). */
static sk_status dpage_item(node_store *s, MDB_txn *txn, const node_page_key *key, json_t **out)
{
	char id[NODE_DISCUSSION_HEX];
	uint8_t k8[8];
	MDB_val k = {8, k8}, d;
	Schakel__V1__MailboxItem *it;
	json_t *rec = NULL;
	sk_status st;

	*out = NULL;
	sodium_bin2hex(id, sizeof(id), key->id, NODE_DISCUSSION_ID_BYTES);
	if (key->ref == 0) {
		if ((st = node_json_get(txn, s->discussions, id, strlen(id), &rec)) == SK_OK)
			*out = shown(rec);
		return st;
	}
	sk_be64_put(k8, key->ref);
	if ((st = sk_db_status(mdb_get(txn, s->inbox, &k, &d))) != SK_OK)
		return st;
	if ((it = schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
		return SK_ERR_DB;
	*out = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "id", id, "role", "invited",
			 "client", key->client, "topic", it->purpose ? it->purpose : "",
			 "window_start", (json_int_t)it->window_start, "window_end",
			 (json_int_t)it->window_end, "created", (json_int_t)it->time, "state",
			 it->window_end <= sk_clock_now_ms() ? "expired" : "open");
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return *out != NULL ? SK_OK : SK_ERR_NOMEM;
}

sk_status node_discuss_page(node_store *s, MDB_txn *txn, const char *prof,
			    const node_page_req *req, node_discuss_fn fn, void *arg,
			    node_page_out *pg)
{
	node_page_keys ks = {0}, inv = {0};
	struct dpage w = {s, txn, &ks, NULL};
	char name[NODE_NAME_MAX + 1] = "";
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	size_t from = 0, to = 0;
	sk_status st;
	int rc;

	pg->next[0] = pg->prev[0] = 0;
	if ((st = node_page_check(req)) != SK_OK)
		goto out;
	if (prof != NULL) {
		st = node_case_prof_clients(s, txn, prof, req->q, own_client, &w);
	} else if (req->q != NULL && req->q[0] != 0) {
		sk_error_set("a search by name is for a professional's own clients (give 'as')");
		st = SK_ERR_INVALID;
	} else if ((st = sk_db_status(mdb_cursor_open(txn, s->discussions, &cur))) == SK_OK) {
		for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
		     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
			json_t *rec = json_loadb(d.mv_data, d.mv_size, 0, NULL);
			const char *c = json_string_value(json_object_get(rec, "client"));

			w.client = c != NULL ? c : "";
			st = own_row(k.mv_data, k.mv_size, NULL, 0, &w);
			json_decref(rec);
		}
		if (st == SK_OK && rc != MDB_NOTFOUND)
			st = sk_db_status(rc);
	}
	if (st == SK_OK)
		st = node_inbox_keys(s, txn, prof,
				     NODE_INBOX_KIND(SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION),
				     req->q, &inv);
	for (size_t i = 0; st == SK_OK && i < inv.n; i++)
		st = invitation_key(&w, inv.v[i].at, inv.v[i].client);
	if (st != SK_OK || (st = node_page_cut(&ks, req, &from, &to, pg)) != SK_OK)
		goto out;
	for (size_t i = from; i < to && st == SK_OK; i++) {
		json_t *dj = NULL;

		if ((st = dpage_item(s, txn, &ks.v[i], &dj)) != SK_OK)
			break;
		name[0] = 0;
		if (ks.v[i].client[0] != 0 && node_client_name(s, txn, ks.v[i].client, name) != SK_OK)
			name[0] = 0;
		json_object_set_new(dj, "client_name", json_string(name));
		st = fn(dj, arg);
	}
out:
	sodium_memzero(name, sizeof(name));
	if (cur != NULL)
		mdb_cursor_close(cur);
	node_page_keys_free(&ks);
	node_page_keys_free(&inv);
	return st;
}

struct scan_ctx {
	node_discuss_fn fn;
	void *arg;
	json_t *own; /* id -> record */
	sk_status st;
};

static sk_status invitation(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
			    void *arg)
{
	struct scan_ctx *c = arg;
	char id[NODE_DISCUSSION_HEX];
	json_t *d;

	(void)at;
	if (!it->has_discussion_id || it->discussion_id.len != NODE_DISCUSSION_ID_BYTES)
		return SK_OK;
	sodium_bin2hex(id, sizeof(id), it->discussion_id.data, NODE_DISCUSSION_ID_BYTES);
	if (json_object_get(c->own, id) != NULL)
		return SK_OK; /* accepted: listed as ours */
	d = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "id", id, "role", "invited", "client",
		      client, "topic", it->purpose ? it->purpose : "", "window_start",
		      (json_int_t)it->window_start, "window_end", (json_int_t)it->window_end,
		      "state", it->window_end <= sk_clock_now_ms() ? "expired" : "open");
	return d != NULL ? c->fn(d, c->arg) : SK_ERR_NOMEM;
}

sk_status node_discuss_scan(node_store *s, sk_kek *kek, node_discuss_fn fn, void *arg)
{
	struct scan_ctx c = {fn, arg, json_object(), SK_OK};
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
			const char *id = json_string_value(json_object_get(o, "id"));

			if (o != NULL && id != NULL)
				json_object_set_new(c.own, id, o);
			else
				json_decref(o);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	json_object_foreach(c.own, key, val)
	{
		if (st == SK_OK)
			st = fn(shown(json_deep_copy(val)), arg);
	}
	if (st == SK_OK)
		st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION, invitation,
				     &c);
out:
	json_decref(c.own);
	return st;
}
