/* The adversaries of a case discussion, for end-to-end tests: a registry
 * (or a participant colluding with it) that writes into members'
 * mailboxes what the protocol would never put there. It edits the
 * registry's LMDB directly (LMDB takes another process's writes safely
 * while the registry serves) and reads keys from node dirs (--dev keys,
 * test only).
 *
 *   sk-testdiscuss replay  REGDIR ORG ID          a message ORG already has, again
 *   sk-testdiscuss swap    REGDIR ORG ID          the last two messages to ORG, swapped
 *   sk-testdiscuss reseal  REGDIR NODEDIR TO ID   the newest message to NODEDIR's org,
 *                                                 opened and sealed again to TO, whose
 *                                                 own copies from that sender are
 *                                                 emptied (so its number is fresh there)
 *   sk-testdiscuss forge   REGDIR NODEDIR TO AS ID a message to TO signed by NODEDIR's
 *                                                 org, delivered as if AS sent it
 *   sk-testdiscuss count   REGDIR ORG ID          how many messages of the discussion in
 *                                                 ORG's mailbox still hold ciphertext
 *   sk-testdiscuss entries REGDIR ORG             ORG's stored entries as the registry
 *                                                 sees them: one JSON line each (epoch,
 *                                                 seq, issued_at, expires_at, categories)
 *
 * And for a case table (casustafel), a participant that breaks the
 * subgroup rules the registry would have enforced:
 *
 *   sk-testdiscuss table-forge REGDIR NODEDIR TO TABLE CASE SEQ PROF subgroup SG ORGS MANDATE
 *   sk-testdiscuss table-forge REGDIR NODEDIR TO TABLE CASE SEQ PROF text SG TEXT
 *        a table message signed by NODEDIR's org (as PROF, its number SEQ),
 *        sealed to TO and put in TO's mailbox as if the registry routed it:
 *        forming subgroup SG of ORGS (a comma list) with MANDATE, or a text
 *        to subgroup SG
 *
 * And a member collecting what the registry gives it (over the node's own
 * TLS session, --dev keys):
 *
 *   sk-testdiscuss collect NODEDIR ID RAW [ORG...]
 *        asks, as NODEDIR's org, for its audit records (reconcile, every
 *        page), its whole mailbox, the state of discussion ID, its anchors
 *        and resume point, and tries to write in ID to each ORG; appends
 *        every reply's bytes (or error message) to the file RAW and prints
 *        one JSON object describing them
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/seal.h"
#include "node/enckeys.h"
#include "node/session.h"
#include "node/members.h"
#include "node/store.h"
#include "protos/domains.h"
#include "protos/table.h"
#include "registry/mailbox.h"
#include "registry/store.h"

#define DIE(...)                                                    \
	do {                                                        \
		fprintf(stderr, "sk-testdiscuss: " __VA_ARGS__);    \
		fprintf(stderr, "\n");                              \
		exit(1);                                            \
	} while (0)

static void idbin(const char *hex, uint8_t id[16])
{
	size_t got = 0;

	if (sodium_hex2bin(id, 16, hex, strlen(hex), NULL, &got, NULL) != 0 || got != 16)
		DIE("bad discussion id %s", hex);
}

/* The message items of discussion id in org's mailbox, newest last (at
 * most 64): their keys and unpacked items. */
typedef struct found {
	uint64_t seq[64];
	Schakel__V1__MailboxItem *it[64];
	size_t n;
} found;

static void find(reg_store *s, MDB_txn *txn, const char *org, const uint8_t id[16], found *f)
{
	uint8_t kb[REG_MAILBOX_KEY_MAX];
	size_t olen = strlen(org);
	MDB_cursor *cur = NULL;
	MDB_val k = {reg_mailbox_key(kb, org, 0), kb}, v;
	int rc;

	memset(f, 0, sizeof(*f));
	if (mdb_cursor_open(txn, s->mailbox, &cur) != 0)
		DIE("cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == olen + 9 && memcmp(k.mv_data, org, olen + 1) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Schakel__V1__MailboxItem *it = schakel__v1__mailbox_item__unpack(NULL, v.mv_size,
										  v.mv_data);

		if (it != NULL && it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MESSAGE &&
		    it->has_discussion_id && it->discussion_id.len == 16 &&
		    memcmp(it->discussion_id.data, id, 16) == 0 && it->has_sealed && f->n < 64) {
			f->seq[f->n] = it->seq;
			f->it[f->n++] = it;
		} else {
			schakel__v1__mailbox_item__free_unpacked(it, NULL);
		}
	}
	mdb_cursor_close(cur);
}

static void need(const found *f, size_t n)
{
	if (f->n < n)
		DIE("fewer than %zu messages of that discussion in the mailbox", n);
}

static void put_at(reg_store *s, MDB_txn *txn, const char *org, Schakel__V1__MailboxItem *it)
{
	uint8_t kb[REG_MAILBOX_KEY_MAX], *buf;
	size_t n = schakel__v1__mailbox_item__get_packed_size(it);
	MDB_val k = {reg_mailbox_key(kb, org, it->seq), kb}, v;

	if ((buf = malloc(n)) == NULL)
		DIE("nomem");
	schakel__v1__mailbox_item__pack(it, buf);
	v = (MDB_val){n, buf};
	if (mdb_put(txn, s->mailbox, &k, &v, 0) != 0)
		DIE("put");
	free(buf);
}

static node_store *open_node(const char *dir, sk_kek *kek)
{
	node_store *n = NULL;

	if (node_store_open(&n, dir, kek) != SK_OK)
		DIE("cannot open node %s: %s", dir, sk_error_detail());
	return n;
}

static void enc_pk_of(node_store *n, const char *org, uint8_t pk[32])
{
	MDB_txn *txn = NULL;
	node_member m;

	if (mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn) != 0 ||
	    node_members_get(n, txn, org, &m) != SK_OK || node_member_enc_key(&m, 0, pk) != SK_OK)
		DIE("%s has no encryption key in the node's directory", org);
	mdb_txn_abort(txn);
}

/* ---- collect --------------------------------------------------------------- */

static FILE *raw;

/* Asks r; the reply's bytes (repacked with any unknown fields) or the
 * error's message go to raw. Returns the reply (NULL on an error, whose
 * "code message" is put in err). */
static wire_envelope *ask(node_remote *r, wire_envelope *req, int want, char *err, size_t cap,
			  size_t *bytes)
{
	wire_envelope *reply = NULL;
	uint8_t *frame = NULL;
	size_t n = 0;
	sk_status st = node_remote_ask(r, req, want, &reply);

	*bytes = 0;
	if (st != SK_OK) {
		snprintf(err, cap, "%d %s", (int)st, sk_error_detail());
		fprintf(raw, "%s\n", err);
		return NULL;
	}
	if (wire_envelope_pack(reply, &frame, &n) != SK_OK)
		DIE("pack");
	fwrite(frame, 1, n, raw);
	*bytes = n;
	free(frame);
	return reply;
}

static void collect(const char *dir, const char *idhex, const char *rawpath, char **orgs,
		    size_t norgs, sk_kek *kek)
{
	node_store *n = open_node(dir, kek);
	node_remote *r = NULL;
	wire_envelope env, *rep;
	uint8_t id[16], zero[32] = {0}, dummy[48] = {1};
	uint64_t after_time = 0, after_seq = 0, after = 0;
	char err[512];
	size_t bytes;
	int more = 1, first = 1;

	idbin(idhex, id);
	if ((raw = fopen(rawpath, "ab")) == NULL)
		DIE("cannot write %s", rawpath);
	if (node_remote_open(&r, n, kek) != SK_OK)
		DIE("remote: %s", sk_error_detail());
	printf("{\"reconcile\":[");
	while (more) {
		Schakel__V1__AuditRecordsRequest q = SCHAKEL__V1__AUDIT_RECORDS_REQUEST__INIT;

		q.has_after_time = q.has_after_seq = 1;
		q.after_time = after_time;
		q.after_seq = after_seq;
		env = (wire_envelope)SCHAKEL__V1__ENVELOPE__INIT;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST;
		env.audit_records_request = &q;
		if ((rep = ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_RESPONSE, err,
			       sizeof(err), &bytes)) == NULL)
			DIE("audit records: %s", err);
		for (size_t i = 0; i < rep->audit_records_response->n_items; i++) {
			const Schakel__V1__ReconcileRecord *it = rep->audit_records_response->items[i];

			printf("%s{\"seq\":%llu,\"event\":\"%s\",\"outcome\":%d,\"correlation_id\":"
			       "\"%s\",\"unknown\":%u,\"size\":%zu}",
			       first ? "" : ",", (unsigned long long)it->seq, it->event,
			       (int)it->outcome, it->correlation_id ? it->correlation_id : "",
			       it->base.n_unknown_fields,
			       schakel__v1__reconcile_record__get_packed_size(it));
			first = 0;
			after_time = it->time;
			after_seq = it->seq;
		}
		more = rep->audit_records_response->more &&
		       rep->audit_records_response->n_items > 0;
		if (rep->audit_records_response->base.n_unknown_fields > 0)
			printf("%s{\"unknown_in_response\":%u}", first ? "" : ",",
			       rep->audit_records_response->base.n_unknown_fields);
		wire_envelope_free(rep);
	}
	printf("],\"mailbox\":[");
	first = 1;
	for (more = 1; more;) {
		Schakel__V1__MailboxRequest q = SCHAKEL__V1__MAILBOX_REQUEST__INIT;

		q.after = after;
		env = (wire_envelope)SCHAKEL__V1__ENVELOPE__INIT;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST;
		env.mailbox_request = &q;
		if ((rep = ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_RESPONSE, err,
			       sizeof(err), &bytes)) == NULL)
			DIE("mailbox: %s", err);
		for (size_t i = 0; i < rep->mailbox_response->n_items; i++) {
			const Schakel__V1__MailboxItem *it = rep->mailbox_response->items[i];

			printf("%s{\"seq\":%llu,\"kind\":%d,\"counterpart\":\"%s\"}", first ? "" : ",",
			       (unsigned long long)it->seq, (int)it->kind,
			       it->counterpart ? it->counterpart : "");
			first = 0;
			after = it->seq;
		}
		more = rep->mailbox_response->n_items > 0 && after < rep->mailbox_response->last;
		wire_envelope_free(rep);
	}
	printf("],\"mailbox_last\":%llu", (unsigned long long)after);
	{
		Schakel__V1__DiscussStateRequest q = SCHAKEL__V1__DISCUSS_STATE_REQUEST__INIT;

		q.discussion_id = (ProtobufCBinaryData){16, id};
		env = (wire_envelope)SCHAKEL__V1__ENVELOPE__INIT;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE_REQUEST;
		env.discuss_state_request = &q;
		if ((rep = ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE, err, sizeof(err),
			       &bytes)) == NULL) {
			printf(",\"state\":{\"error\":\"%s\"}", err);
			goto anchors;
		}
		printf(",\"state\":{\"participants\":[");
		for (size_t i = 0; i < rep->discuss_state->n_participants; i++)
			printf("%s\"%s\"", i ? "," : "", rep->discuss_state->participants[i]);
		printf("],\"closed\":%d,\"size\":%zu}", (int)rep->discuss_state->closed, bytes);
		wire_envelope_free(rep);
	}
anchors: {
		Schakel__V1__AnchorsRequest q = SCHAKEL__V1__ANCHORS_REQUEST__INIT;
		Schakel__V1__ResumeRequest rq = SCHAKEL__V1__RESUME_REQUEST__INIT;

		env = (wire_envelope)SCHAKEL__V1__ENVELOPE__INIT;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST;
		env.anchors_request = &q;
		if ((rep = ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_RESPONSE, err,
			       sizeof(err), &bytes)) == NULL)
			DIE("anchors: %s", err);
		wire_envelope_free(rep);
		env = (wire_envelope)SCHAKEL__V1__ENVELOPE__INIT;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_RESUME_REQUEST;
		env.resume_request = &rq;
		if ((rep = ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_RESUME_RESPONSE, err,
			       sizeof(err), &bytes)) == NULL)
			DIE("resume: %s", err);
		wire_envelope_free(rep);
	}
	/* writing to an org: refused alike whether it was invited or not */
	printf(",\"send\":{");
	for (size_t i = 0; i < norgs; i++) {
		Schakel__V1__DiscussSend q = SCHAKEL__V1__DISCUSS_SEND__INIT;
		Schakel__V1__DiscussSealed m = SCHAKEL__V1__DISCUSS_SEALED__INIT, *mp = &m;

		m.recipient = orgs[i];
		m.seq = 1;
		m.sealed = (ProtobufCBinaryData){sizeof(dummy), dummy};
		q.discussion_id = (ProtobufCBinaryData){16, id};
		q.n_messages = 1;
		q.messages = &mp;
		q.audit_head = (ProtobufCBinaryData){32, zero};
		env = (wire_envelope)SCHAKEL__V1__ENVELOPE__INIT;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND;
		env.discuss_send = &q;
		err[0] = 0;
		if ((rep = ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SENT, err, sizeof(err),
			       &bytes)) != NULL) {
			snprintf(err, sizeof(err), "sent");
			wire_envelope_free(rep);
		}
		printf("%s\"%s\":\"%s\"", i ? "," : "", orgs[i], err);
	}
	printf("}}\n");
	node_remote_close(r);
	node_store_close(n);
	fclose(raw);
}

/* ORG's entries in the registry's store, one JSON line each. */
static int entries(const char *dir, const char *org)
{
	reg_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t olen = strlen(org);

	if (sk_kek_open(&kek, NULL, 1) != SK_OK || reg_store_open(&s, dir, kek) != SK_OK)
		DIE("cannot open registry %s: %s", dir, sk_error_detail());
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0 ||
	    mdb_cursor_open(txn, s->entries, &cur) != 0)
		DIE("txn");
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Schakel__V1__StoredEntry *se;
		Schakel__V1__Entry *e;

		if (k.mv_size != 36 + olen || memcmp((uint8_t *)k.mv_data + 36, org, olen) != 0)
			continue;
		if ((se = schakel__v1__stored_entry__unpack(NULL, v.mv_size, v.mv_data)) == NULL)
			DIE("stored entry");
		if (!se->purged &&
		    (e = schakel__v1__entry__unpack(NULL, se->entry.len, se->entry.data)) != NULL) {
			printf("{\"epoch\":%u,\"seq\":%llu,\"issued_at\":%llu,\"expires_at\":%llu,"
			       "\"categories\":\"",
			       e->epoch, (unsigned long long)e->seq, (unsigned long long)e->issued_at,
			       (unsigned long long)e->expires_at);
			for (size_t i = 0; i < e->n_categories; i++)
				printf("%s%s", i ? "," : "", e->categories[i]);
			printf("\"}\n");
			schakel__v1__entry__free_unpacked(e, NULL);
		}
		schakel__v1__stored_entry__free_unpacked(se, NULL);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	reg_store_close(s);
	sk_kek_free(kek);
	return 0;
}

/* table-forge (above): argv from REGDIR on. */
static void table_forge(reg_store *s, MDB_txn *txn, char **argv, int argc, sk_kek *kek)
{
	node_store *n = open_node(argv[1], kek);
	Schakel__V1__TableMessageBody b = SCHAKEL__V1__TABLE_MESSAGE_BODY__INIT;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	uint8_t pk[32], ctx[WIRE_TABLE_CASE_CONTEXT_BYTES], case_id[WIRE_TABLE_CASE_ID_BYTES];
	uint8_t payload[8192], sealed[SEAL_SIGNED_BYTES(8192)];
	char *orgs[16], *save = NULL, *w;
	const char *to = argv[2], *table = argv[3];
	uint64_t seq = strtoull(argv[5], NULL, 10);
	size_t plen, got = 0;
	key_ed25519 me;

	if (sodium_hex2bin(case_id, sizeof(case_id), argv[4], strlen(argv[4]), NULL, &got, NULL) != 0 ||
	    got != sizeof(case_id) || strlen(table) != WIRE_TABLE_ID_HEX || seq == 0)
		DIE("table-forge: bad table, case or number");
	b.professional = argv[6];
	b.name = "Vervalser";
	b.subgroup = argv[8];
	if (strcmp(argv[7], "subgroup") == 0 && argc == 11) {
		b.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP;
		for (w = strtok_r(argv[9], ",", &save); w != NULL && b.n_subgroup_orgs < 16;
		     w = strtok_r(NULL, ",", &save))
			orgs[b.n_subgroup_orgs++] = w;
		b.subgroup_orgs = orgs;
		b.mandate = argv[10];
	} else if (strcmp(argv[7], "text") == 0 && argc == 10) {
		b.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT;
		b.text = argv[9];
	} else {
		DIE("table-forge: subgroup SG ORGS MANDATE, or text SG TEXT");
	}
	if (schakel__v1__table_message_body__get_packed_size(&b) > sizeof(payload))
		DIE("table-forge: too long");
	plen = schakel__v1__table_message_body__pack(&b, payload);
	enc_pk_of(n, to, pk);
	if (node_identity_load(n, kek, &me) != SK_OK)
		DIE("identity");
	wire_table_message_context(ctx, table, case_id, seq);
	if (seal_signed(sealed, WIRE_DOMAIN_TABLE_MESSAGE, (const uint8_t *)to, strlen(to), ctx,
			sizeof(ctx), payload, plen, pk, me.sk) != SK_OK)
		DIE("seal_signed");
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_MESSAGE;
	it.time = 1;
	it.counterpart = n->org_id;
	it.table_id = (char *)table;
	it.has_table_case_id = it.has_sealed = it.has_message_seq = 1;
	it.table_case_id = (ProtobufCBinaryData){sizeof(case_id), case_id};
	it.sealed = (ProtobufCBinaryData){SEAL_SIGNED_BYTES(plen), sealed};
	it.message_seq = seq;
	if (reg_mailbox_put(s, txn, to, &it) != SK_OK)
		DIE("put");
	key_ed25519_wipe(&me);
	node_store_close(n);
}

int main(int argc, char **argv)
{
	reg_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	uint8_t id[16];
	found f;

	if (sk_init() == SK_OK && argc == 4 && strcmp(argv[1], "entries") == 0)
		return entries(argv[2], argv[3]);
	if (sk_init() != SK_OK || argc < 5)
		DIE("usage: see the comment at the top of sk_testdiscuss.c");
	if (strcmp(argv[1], "collect") == 0) {
		if (sk_kek_open(&kek, NULL, 1) != SK_OK)
			DIE("kek");
		collect(argv[2], argv[3], argv[4], argv + 5, (size_t)(argc - 5), kek);
		sk_kek_free(kek);
		return 0;
	}
	if (sk_kek_open(&kek, NULL, 1) != SK_OK || reg_store_open(&s, argv[2], kek) != SK_OK)
		DIE("cannot open registry %s: %s", argv[2], sk_error_detail());
	if (mdb_txn_begin(s->env, NULL, 0, &txn) != 0)
		DIE("txn");
	if (strcmp(argv[1], "count") == 0 && argc == 5) {
		idbin(argv[4], id);
		find(s, txn, argv[3], id, &f);
		printf("%zu\n", f.n);
		for (size_t i = 0; i < f.n; i++)
			schakel__v1__mailbox_item__free_unpacked(f.it[i], NULL);
		mdb_txn_abort(txn);
		reg_store_close(s);
		sk_kek_free(kek);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	if (strcmp(argv[1], "replay") == 0 && argc == 5) {
		idbin(argv[4], id);
		find(s, txn, argv[3], id, &f);
		need(&f, 1);
		if (reg_mailbox_put(s, txn, argv[3], f.it[f.n - 1]) != SK_OK)
			DIE("put");
	} else if (strcmp(argv[1], "swap") == 0 && argc == 5) {
		Schakel__V1__MailboxItem *a, *b;

		idbin(argv[4], id);
		find(s, txn, argv[3], id, &f);
		need(&f, 2);
		a = f.it[f.n - 2];
		b = f.it[f.n - 1];
		a->seq = f.seq[f.n - 1];
		b->seq = f.seq[f.n - 2];
		put_at(s, txn, argv[3], a);
		put_at(s, txn, argv[3], b);
	} else if (strcmp(argv[1], "reseal") == 0 && argc == 6) {
		node_store *n = open_node(argv[3], kek);
		key_x25519 *keys = sodium_malloc(NODE_ENC_LIVE_MAX * sizeof(*keys));
		Schakel__V1__MailboxItem *it;
		uint8_t pk[32], *inner, *out;
		size_t nk = 0, len = 0;
		MDB_txn *nt = NULL;
		int opened = 0;

		idbin(argv[5], id);
		find(s, txn, n->org_id, id, &f);
		need(&f, 1);
		it = f.it[0];
		for (size_t i = 1; i < f.n; i++)
			if (f.it[i]->message_seq > it->message_seq)
				it = f.it[i];
		{
			found g;

			find(s, txn, argv[4], id, &g);
			for (size_t i = 0; i < g.n; i++) {
				uint8_t kb[REG_MAILBOX_KEY_MAX];

				if (strcmp(g.it[i]->counterpart, it->counterpart) == 0 &&
				    reg_mailbox_strip(s, txn, kb, reg_mailbox_key(kb, argv[4], g.seq[i])) != SK_OK)
					DIE("strip");
				schakel__v1__mailbox_item__free_unpacked(g.it[i], NULL);
			}
		}
		if (keys == NULL || mdb_txn_begin(n->env, NULL, MDB_RDONLY, &nt) != 0 ||
		    node_enc_keys_load(n, nt, 0, keys, &nk) != SK_OK)
			DIE("keys");
		mdb_txn_abort(nt);
		inner = malloc(it->sealed.len);
		out = malloc(it->sealed.len);
		for (size_t i = 0; i < nk && !opened; i++)
			opened = seal_box_open(inner, &len, it->sealed.data, it->sealed.len,
					       &keys[i]) == SK_OK;
		if (!opened)
			DIE("the last message to %s does not open with its keys", n->org_id);
		enc_pk_of(n, argv[4], pk);
		if (seal_box(out, inner, len, pk) != SK_OK)
			DIE("seal");
		{
			ProtobufCBinaryData orig = it->sealed;

			it->sealed = (ProtobufCBinaryData){SEAL_BOX_BYTES(len), out};
			if (reg_mailbox_put(s, txn, argv[4], it) != SK_OK)
				DIE("put");
			it->sealed = orig; /* freed with the item */
		}
		free(inner);
		free(out);
		sodium_free(keys);
		node_store_close(n);
	} else if (strcmp(argv[1], "table-forge") == 0 && argc >= 12) {
		table_forge(s, txn, argv + 2, argc - 2, kek); /* from REGDIR on */
	} else if (strcmp(argv[1], "forge") == 0 && argc == 7) {
		node_store *n = open_node(argv[3], kek);
		Schakel__V1__DiscussMessageBody b = SCHAKEL__V1__DISCUSS_MESSAGE_BODY__INIT;
		Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
		uint8_t pk[32], ctx[24], payload[512], sealed[SEAL_SIGNED_BYTES(512)];
		key_ed25519 me;
		size_t plen;

		idbin(argv[6], id);
		enc_pk_of(n, argv[4], pk);
		if (node_identity_load(n, kek, &me) != SK_OK)
			DIE("identity");
		b.kind = SCHAKEL__V1__DISCUSS_MESSAGE_BODY__KIND__KIND_TEXT;
		b.time = 1;
		b.professional = "forger";
		b.text = "FORGED TEXT";
		plen = schakel__v1__discuss_message_body__pack(&b, payload);
		memcpy(ctx, id, 16);
		for (int i = 0; i < 8; i++)
			ctx[16 + i] = i == 7 ? 99 : 0;
		if (seal_signed(sealed, "schakel/v1/discuss", (const uint8_t *)argv[4],
				strlen(argv[4]), ctx, sizeof(ctx), payload, plen, pk, me.sk) != SK_OK)
			DIE("seal_signed");
		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MESSAGE;
		it.time = 1;
		it.counterpart = argv[5];
		it.has_discussion_id = it.has_sealed = it.has_message_seq = 1;
		it.discussion_id = (ProtobufCBinaryData){16, id};
		it.sealed = (ProtobufCBinaryData){SEAL_SIGNED_BYTES(plen), sealed};
		it.message_seq = 99;
		if (reg_mailbox_put(s, txn, argv[4], &it) != SK_OK)
			DIE("put");
		key_ed25519_wipe(&me);
		node_store_close(n);
	} else {
		DIE("unknown or incomplete command %s", argv[1]);
	}
	for (size_t i = 0; i < f.n; i++)
		schakel__v1__mailbox_item__free_unpacked(f.it[i], NULL);
	if (mdb_txn_commit(txn) != 0)
		DIE("commit");
	reg_store_close(s);
	sk_kek_free(kek);
	printf("ok\n");
	return 0;
}
