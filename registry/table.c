#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/be.h"
#include "common/db.h"
#include "common/log.h"
#include "crypto/seal.h"
#include "registry/caps.h"
#include "registry/log.h"
#include "registry/mailbox.h"
#include "registry/quota.h"
#include "registry/table.h"

#define KEY_MAX (WIRE_TABLE_ID_HEX + 1 + 8)

/* One signed table record, from the loop thread through the writer back
 * to the loop (reg_op_table_record). */
typedef struct reg_table_job {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint8_t *body;
	size_t body_len;
	uint8_t sig[KEY_SIG_BYTES];
	uint64_t leaf_index;
	char table[WIRE_TABLE_ID_HEX + 1];
	sk_status result;
	char reason[200];
} reg_table_job;

static sk_status record_new(void **job, reg_store *s, const net_peer *peer,
			    const wire_envelope *env)
{
	const Schakel__V1__SignedTableRecord *r = env->table_record_request->record;
	reg_table_job *t = calloc(1, sizeof(*t));

	*job = NULL;
	if (t == NULL)
		return SK_ERR_NOMEM;
	t->store = s;
	memcpy(t->org, peer->org_id, sizeof(t->org));
	*job = t;
	/* the screen capped the body at WIRE_TABLE_BODY_MAX */
	if (r == NULL || r->body.len == 0 || r->body.len > WIRE_TABLE_BODY_MAX ||
	    r->signature.len != KEY_SIG_BYTES) {
		t->result = SK_ERR_INVALID;
		snprintf(t->reason, sizeof(t->reason), "malformed table record");
		return SK_OK;
	}
	if ((t->body = malloc(r->body.len)) == NULL) {
		free(t);
		*job = NULL;
		return SK_ERR_NOMEM;
	}
	memcpy(t->body, r->body.data, r->body.len);
	t->body_len = r->body.len;
	memcpy(t->sig, r->signature.data, KEY_SIG_BYTES);
	return SK_OK;
}

static void record_free(void *job)
{
	reg_table_job *t = job;

	if (t == NULL)
		return;
	free(t->body);
	free(t);
}

static void refuse(reg_table_job *t, sk_status st, const char *why)
{
	t->result = st;
	snprintf(t->reason, sizeof(t->reason), "%s", why);
}

/* Folds the table's stored records; each was checked when it came in. */
sk_status reg_table_get(reg_store *s, MDB_txn *txn, const char *id, wire_table *t)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = {reg_org_seq_key(kb, id, 1), kb}, d;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	memset(t, 0, sizeof(*t));
	if (strlen(id) != WIRE_TABLE_ID_HEX)
		return SK_ERR_INVALID;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->tables, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == KEY_MAX && memcmp(k.mv_data, id, WIRE_TABLE_ID_HEX + 1) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__SignedTableRecord *r =
			schakel__v1__signed_table_record__unpack(NULL, d.mv_size, d.mv_data);
		Schakel__V1__TableRecordBody *b = NULL;

		if (r == NULL || wire_table_body_parse(&b, r->body.data, r->body.len) != SK_OK ||
		    wire_table_apply(t, b) != SK_OK)
			st = SK_ERR_DB;
		schakel__v1__table_record_body__free_unpacked(b, NULL);
		schakel__v1__signed_table_record__free_unpacked(r, NULL);
		if (st != SK_OK)
			break;
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	return st;
}

/* Writer job: the record's checks, its leaf and its audit record. */
static sk_status record_apply(MDB_txn *txn, void *arg)
{
	reg_table_job *j = arg;
	reg_store *s = j->store;
	Schakel__V1__TableRecordBody *b = NULL;
	Schakel__V1__SignedTableRecord sr = SCHAKEL__V1__SIGNED_TABLE_RECORD__INIT;
	Schakel__V1__Member *m = NULL;
	wire_table *t = NULL;
	audit_record rec = {0};
	uint8_t leaf[WIRE_LEAF_HASH_BYTES], kb[KEY_MAX], *packed = NULL;
	char access[NET_ORG_ID_MAX + 5], event[48] = "table.record", what[48] = "table";
	MDB_val k, d;
	sk_status st = SK_OK;

	if (j->result != SK_OK)
		goto audit;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (wire_table_body_parse(&b, j->body, j->body_len) != SK_OK) {
		refuse(j, SK_ERR_INVALID, sk_error_detail());
		goto audit;
	}
	snprintf(j->table, sizeof(j->table), "%s", b->table_id);
	/* the signer is the connection's own org, a live member */
	if (strcmp(b->org_id, j->org) != 0) {
		refuse(j, SK_ERR_PERM, "a table record is sent by the org that signs it");
		goto audit;
	}
	if ((st = reg_member_get(s, txn, j->org, &m)) != SK_OK || m->has_revoked_at) {
		refuse(j, SK_ERR_PERM, "the org is not a live member");
		st = SK_OK;
		goto audit;
	}
	if (key_verify(j->sig, WIRE_DOMAIN_TABLE_RECORD, j->body, j->body_len,
		       m->identity_key.data) != SK_OK) {
		refuse(j, SK_ERR_VERIFY, "the table record's signature does not verify");
		goto audit;
	}
	if ((st = reg_table_get(s, txn, b->table_id, t)) != SK_OK)
		goto out;
	if (b->action == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE && t->seq != 0) {
		refuse(j, SK_ERR_EXISTS, "a table with this id exists already");
		goto audit;
	}
	if (b->action == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE) {
		/* every org it invites is a live member */
		for (size_t i = 0; i < b->n_members; i++)
			if (!reg_member_live(s, txn, b->members[i])) {
				refuse(j, SK_ERR_PERM, "the table invites an org that is not a live member");
				goto audit;
			}
	}
	if ((st = wire_table_apply(t, b)) != SK_OK) {
		refuse(j, st, sk_error_detail());
		st = SK_OK;
		goto audit;
	}
	/* a leaf like an entry: the org's publishes a minute */
	if ((st = reg_quota_publish(s, txn, j->org, 0, sk_clock_now_ms(), j->reason,
				    sizeof(j->reason))) == SK_ERR_TOOBIG) {
		j->result = st;
		st = SK_OK;
		goto audit;
	} else if (st != SK_OK) {
		goto out;
	}
	if ((st = wire_leaf_hash(leaf, WIRE_LEAF_TABLE, j->body, j->body_len, j->sig)) != SK_OK ||
	    (st = reg_log_append(&s->log, txn, leaf, &j->leaf_index)) != SK_OK)
		goto out;
	/* stored with its leaf, so that tables_read proves its inclusion */
	sr.body = (ProtobufCBinaryData){j->body_len, j->body};
	sr.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, j->sig};
	sr.has_leaf_index = 1;
	sr.leaf_index = j->leaf_index;
	if ((packed = malloc(schakel__v1__signed_table_record__get_packed_size(&sr))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	d = (MDB_val){schakel__v1__signed_table_record__pack(&sr, packed), packed};
	k = (MDB_val){reg_org_seq_key(kb, b->table_id, b->seq), kb};
	if ((st = sk_db_status(mdb_put(txn, s->tables, &k, &d, MDB_NOOVERWRITE))) != SK_OK)
		goto out;
audit:
	if (b != NULL)
		snprintf(event, sizeof(event), "table.%s", wire_table_action_name(b->action));
	snprintf(access, sizeof(access), "tls:%s", j->org);
	rec.event = event;
	rec.action = b != NULL && b->action == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE
			     ? AUDIT_ACTION_CREATE
			     : AUDIT_ACTION_UPDATE;
	rec.outcome = j->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = j->result == SK_OK ? NULL : j->reason;
	rec.user = j->org;
	rec.access_point = access;
	rec.counterpart = j->org;
	if (j->table[0])
		snprintf(what, sizeof(what), "table:%s", j->table);
	rec.category = what;
	st = reg_audit(s, txn, &rec);
out:
	free(packed);
	free(t);
	schakel__v1__table_record_body__free_unpacked(b, NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

static sk_status record_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_table_job *j = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__TableRecordReceipt r = SCHAKEL__V1__TABLE_RECORD_RECEIPT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (j->result != SK_OK)
		return reg_send_error(c, request_id, j->result, j->reason);
	r.leaf_index = j->leaf_index;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_RECEIPT;
	env.table_record_receipt = &r;
	return net_conn_send(c, &env);
}

static const char *record_screen(const wire_envelope *env, const ProtobufCMessage **body,
				 size_t *len, size_t *cap)
{
	const Schakel__V1__SignedTableRecord *r = env->table_record_request->record;

	*body = &env->table_record_request->base;
	*len = r != NULL ? r->body.len : 0;
	*cap = WIRE_TABLE_BODY_MAX;
	return NULL;
}

static sk_status record_result(const void *job, const char **why)
{
	const reg_table_job *j = job;

	if (why != NULL)
		*why = j->reason;
	return j->result;
}

/* The records of every table org may see, each table in seq order, up
 * to REG_TABLES_REPLY_BYTES, each with its leaf index and inclusion proof
 * against the latest checkpoint, read in the same transaction. */
static sk_status tables_read(reg_store *s, net_conn *c, uint64_t request_id,
			     const wire_envelope *env)
{
	const char *org = net_conn_peer(c)->org_id;
	wire_envelope out = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__TablesResponse r = SCHAKEL__V1__TABLES_RESPONSE__INIT;
	Schakel__V1__SignedTableRecord **list = NULL;
	wire_table *t = calloc(1, sizeof(*t));
	uint8_t *note = NULL, proof[MERKLE_PROOF_BYTES];
	size_t n = 0, cap = 0, bytes = 0, first, note_len = 0, plen;
	uint64_t size = 0;
	struct reg_log_ctx ctx;
	merkle_source src;
	char id[WIRE_TABLE_ID_HEX + 1];
	MDB_val k = {0, NULL}, d;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	(void)env;
	if (t == NULL)
		return reg_send_error(c, request_id, SK_ERR_NOMEM, NULL);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK ||
	    (st = reg_log_checkpoint(&s->log, txn, &note, &note_len, &size)) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, s->tables, &cur))) != SK_OK)
		goto out;
	reg_log_source(&src, &ctx, &s->log, txn);
	rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	while (rc == 0 && st == SK_OK) {
		/* one table: fold its records, keep them when org may see it */
		if (k.mv_size != KEY_MAX) {
			st = SK_ERR_DB;
			break;
		}
		memcpy(id, k.mv_data, WIRE_TABLE_ID_HEX);
		id[WIRE_TABLE_ID_HEX] = '\0';
		memset(t, 0, sizeof(*t));
		first = n;
		for (; rc == 0 && k.mv_size == KEY_MAX && memcmp(k.mv_data, id, WIRE_TABLE_ID_HEX) == 0;
		     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
			Schakel__V1__SignedTableRecord *sr;
			Schakel__V1__TableRecordBody *b = NULL;

			if (n == cap) {
				void *p = realloc(list, (cap ? cap * 2 : 64) * sizeof(*list));

				if (p == NULL) {
					st = SK_ERR_NOMEM;
					break;
				}
				list = p;
				cap = cap ? cap * 2 : 64;
			}
			sr = schakel__v1__signed_table_record__unpack(NULL, d.mv_size, d.mv_data);
			if (sr == NULL || wire_table_body_parse(&b, sr->body.data, sr->body.len) != SK_OK ||
			    wire_table_apply(t, b) != SK_OK || !sr->has_leaf_index ||
			    sr->leaf_index >= size) {
				schakel__v1__table_record_body__free_unpacked(b, NULL);
				schakel__v1__signed_table_record__free_unpacked(sr, NULL);
				st = SK_ERR_DB;
				break;
			}
			schakel__v1__table_record_body__free_unpacked(b, NULL);
			list[n++] = sr;
			bytes += d.mv_size + 8;
		}
		if (st != SK_OK)
			break;
		/* the proofs of the records org sees (each freed with its
		 * record by protobuf-c, system allocator) */
		for (size_t i = first; i < n && st == SK_OK && wire_table_visible(t, org); i++) {
			Schakel__V1__SignedTableRecord *sr = list[i];

			if ((st = merkle_inclusion_proof(proof, &plen, &src, sr->leaf_index, size)) !=
			    SK_OK)
				break;
			if ((sr->inclusion_proof.data = malloc(plen ? plen * MERKLE_HASH_BYTES : 1)) ==
			    NULL) {
				st = SK_ERR_NOMEM;
				break;
			}
			memcpy(sr->inclusion_proof.data, proof, plen * MERKLE_HASH_BYTES);
			sr->inclusion_proof.len = plen * MERKLE_HASH_BYTES;
			sr->has_inclusion_proof = 1;
			bytes += plen * MERKLE_HASH_BYTES;
		}
		if (st != SK_OK)
			break;
		if (!wire_table_visible(t, org) || bytes > REG_TABLES_REPLY_BYTES) {
			for (size_t i = first; i < n; i++)
				schakel__v1__signed_table_record__free_unpacked(list[i], NULL);
			if (bytes > REG_TABLES_REPLY_BYTES) {
				sk_log(SK_LOG_WARNING, "tables: the reply to %s is cut at its cap", org);
				n = first;
				break;
			}
			n = first;
		}
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	if (st != SK_OK)
		goto out;
	r.n_records = n;
	r.records = list;
	r.has_checkpoint = 1;
	r.checkpoint = (ProtobufCBinaryData){note_len, note};
	out.request_id = request_id;
	out.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLES_RESPONSE;
	out.tables_response = &r;
	st = net_conn_send(c, &out);
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	for (size_t i = 0; i < n; i++)
		schakel__v1__signed_table_record__free_unpacked(list[i], NULL);
	free(list);
	free(note);
	free(t);
	if (st != SK_OK && st != SK_ERR_FAILED && st != SK_ERR_TOOBIG)
		return reg_send_error(c, request_id, st, NULL);
	return st;
}

const reg_op reg_op_table_record = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_REQUEST,
	.name = "table.record",
	.screen = record_screen,
	.new = record_new,
	.apply = record_apply,
	.reply = record_reply,
	.result = record_result,
	.free = record_free,
};

const reg_op reg_op_tables = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_TABLES_REQUEST,
	.name = "table.list",
	.read = tables_read,
};

/* ---- intake: a case brought to a table --------------------------------------- */

/* Keeps the mailbox key of org's item seq under the case (table_items),
 * so that the sweeper finds the case's ciphertext; counts it in tc. */
static sk_status item_add(reg_store *s, MDB_txn *txn, const uint8_t *case_id,
			  Schakel__V1__TableCase *tc, const char *org, uint64_t seq)
{
	uint8_t kb[WIRE_TABLE_CASE_ID_BYTES + 4], mk[REG_MAILBOX_KEY_MAX];
	MDB_val k = {sizeof(kb), kb}, d;

	memcpy(kb, case_id, WIRE_TABLE_CASE_ID_BYTES);
	sk_be32_put(kb + WIRE_TABLE_CASE_ID_BYTES, tc->n_items);
	d = (MDB_val){reg_mailbox_key(mk, org, seq), mk};
	tc->has_n_items = 1;
	tc->n_items++;
	return sk_db_status(mdb_put(txn, s->table_items, &k, &d, 0));
}

/* One TableSubmit, from the loop thread through the writer back to the
 * loop (reg_op_table_submit). */
typedef struct reg_table_submit {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	char table[WIRE_TABLE_ID_HEX + 1];
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES];
	Schakel__V1__TableSubmit *req; /* an owned copy */
	uint64_t time;
	sk_status result;
	char reason[200];
} reg_table_submit;

static void submit_free(void *job)
{
	reg_table_submit *j = job;

	if (j == NULL)
		return;
	schakel__v1__table_submit__free_unpacked(j->req, NULL);
	free(j);
}

static sk_status submit_new(void **job, reg_store *s, const net_peer *peer,
			    const wire_envelope *env)
{
	const Schakel__V1__TableSubmit *req = env->table_submit;
	reg_table_submit *j = calloc(1, sizeof(*j));
	uint8_t *buf = NULL;
	size_t n;

	*job = NULL;
	if (j == NULL)
		return SK_ERR_NOMEM;
	j->store = s;
	memcpy(j->org, peer->org_id, sizeof(j->org));
	*job = j;
	/* the screen capped the sealed bytes; the shape is checked here */
	if (req->table_id == NULL || strlen(req->table_id) != WIRE_TABLE_ID_HEX ||
	    req->case_id.len != WIRE_TABLE_CASE_ID_BYTES || req->n_sealed == 0 ||
	    req->n_sealed >= WIRE_TABLE_ORGS_MAX) {
		j->result = SK_ERR_INVALID;
		snprintf(j->reason, sizeof(j->reason), "malformed table case");
		return SK_OK;
	}
	for (size_t i = 0; i < req->n_sealed; i++)
		if (req->sealed[i] == NULL || req->sealed[i]->recipient == NULL ||
		    req->sealed[i]->sealed.len <= SEAL_SIGNED_OVERHEAD ||
		    req->sealed[i]->sealed.len > WIRE_TABLE_SEALED_MAX) {
			j->result = SK_ERR_INVALID;
			snprintf(j->reason, sizeof(j->reason), "a sealed copy is empty or over its cap");
			return SK_OK;
		}
	snprintf(j->table, sizeof(j->table), "%s", req->table_id);
	memcpy(j->case_id, req->case_id.data, WIRE_TABLE_CASE_ID_BYTES);
	/* a copy that outlives env: packed and parsed again */
	n = schakel__v1__table_submit__get_packed_size(req);
	if ((buf = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__table_submit__pack(req, buf);
	j->req = schakel__v1__table_submit__unpack(NULL, n, buf);
	free(buf);
	if (j->req == NULL) {
		*job = NULL;
		free(j);
		return SK_ERR_NOMEM;
	}
	return SK_OK;
}

static void submit_refuse(reg_table_submit *j, sk_status st, const char *why)
{
	j->result = st;
	snprintf(j->reason, sizeof(j->reason), "%s", why);
}

/* Each current member but the submitter exactly once, nobody else. */
static int recipients_exact(const wire_table *t, const char *submitter,
			    const Schakel__V1__TableSubmit *req)
{
	size_t want = 0;

	for (size_t i = 0; i < t->n_orgs; i++)
		if (t->orgs[i].state == WIRE_TABLE_MEMBER && strcmp(t->orgs[i].id, submitter) != 0)
			want++;
	if (req->n_sealed != want)
		return 0;
	for (size_t i = 0; i < req->n_sealed; i++) {
		const char *to = req->sealed[i]->recipient;

		if (strcmp(to, submitter) == 0 || wire_table_org(t, to) != WIRE_TABLE_MEMBER)
			return 0;
		for (size_t k = 0; k < i; k++)
			if (strcmp(req->sealed[k]->recipient, to) == 0)
				return 0;
	}
	return 1;
}

static sk_status submit_apply(MDB_txn *txn, void *arg)
{
	reg_table_submit *j = arg;
	reg_store *s = j->store;
	Schakel__V1__TableCase tc = SCHAKEL__V1__TABLE_CASE__INIT;
	wire_table *t = NULL;
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5], what[48], **to = NULL;
	uint8_t *packed = NULL;
	MDB_val k, d;
	sk_status st = SK_OK;

	if (j->result != SK_OK)
		goto audit;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (!reg_member_live(s, txn, j->org)) {
		submit_refuse(j, SK_ERR_PERM, "the org is not a live member");
		goto audit;
	}
	if ((st = reg_table_get(s, txn, j->table, t)) != SK_OK)
		goto out;
	/* one sentence for "no such table" and "a closed table you are not
	 * named in": the refusal does not tell whether the table exists */
	if (t->seq == 0 || (!t->open && wire_table_org(t, j->org) != WIRE_TABLE_MEMBER)) {
		submit_refuse(j, SK_ERR_PERM,
			      "this org may not bring cases to that table (no such table, or "
			      "a closed table it is not a member of)");
		goto audit;
	}
	if (!recipients_exact(t, j->org, j->req)) {
		submit_refuse(j, SK_ERR_INVALID,
			      "a case is sealed to each current member of the table, each once, "
			      "and to no one else");
		goto audit;
	}
	k = (MDB_val){WIRE_TABLE_CASE_ID_BYTES, j->case_id};
	if (mdb_get(txn, s->table_cases, &k, &d) == 0) {
		submit_refuse(j, SK_ERR_EXISTS, "a case with this id exists already");
		goto audit;
	}
	j->time = sk_clock_now_ms();
	/* sealed copies count as discussion messages a day */
	if ((st = reg_quota_messages(s, txn, j->org, j->req->n_sealed, 0, j->time, j->reason,
				     sizeof(j->reason))) == SK_ERR_TOOBIG) {
		j->result = st;
		st = SK_OK;
		goto audit;
	} else if (st != SK_OK) {
		goto out;
	}
	if ((to = calloc(j->req->n_sealed, sizeof(*to))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < j->req->n_sealed && st == SK_OK; i++) {
		Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;

		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_CASE;
		it.time = j->time;
		it.counterpart = j->org;
		it.table_id = j->table;
		it.has_table_case_id = 1;
		it.table_case_id = (ProtobufCBinaryData){WIRE_TABLE_CASE_ID_BYTES, j->case_id};
		it.has_sealed = 1;
		it.sealed = j->req->sealed[i]->sealed;
		to[i] = j->req->sealed[i]->recipient;
		if ((st = reg_mailbox_put(s, txn, to[i], &it)) == SK_OK)
			st = item_add(s, txn, j->case_id, &tc, to[i], it.seq);
	}
	if (st != SK_OK)
		goto out;
	tc.table_id = j->table;
	tc.org_id = j->org;
	tc.time = j->time;
	tc.recipients = to;
	tc.n_recipients = j->req->n_sealed;
	if ((packed = malloc(schakel__v1__table_case__get_packed_size(&tc))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	d = (MDB_val){schakel__v1__table_case__pack(&tc, packed), packed};
	if ((st = sk_db_status(mdb_put(txn, s->table_cases, &k, &d, 0))) != SK_OK)
		goto out;
audit:
	snprintf(access, sizeof(access), "tls:%s", j->org);
	snprintf(what, sizeof(what), "table:%s", j->table[0] ? j->table : "-");
	rec.event = "table.submit";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = j->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = j->result == SK_OK ? NULL : j->reason;
	rec.user = j->org;
	rec.access_point = access;
	rec.counterpart = j->org;
	rec.category = what;
	st = reg_audit(s, txn, &rec);
out:
	free(packed);
	free(to);
	free(t);
	return st;
}

static sk_status submit_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_table_submit *j = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__TableSubmitted r = SCHAKEL__V1__TABLE_SUBMITTED__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (j->result != SK_OK)
		return reg_send_error(c, request_id, j->result, j->reason);
	r.time = j->time;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMITTED;
	env.table_submitted = &r;
	return net_conn_send(c, &env);
}

static const char *submit_screen(const wire_envelope *env, const ProtobufCMessage **body,
				 size_t *len, size_t *cap)
{
	*body = &env->table_submit->base;
	for (size_t i = 0; i < env->table_submit->n_sealed; i++)
		if (env->table_submit->sealed[i] != NULL)
			*len += env->table_submit->sealed[i]->sealed.len;
	*cap = REG_TABLE_SUBMIT_BYTES_MAX;
	return NULL;
}

static sk_status submit_result(const void *job, const char **why)
{
	const reg_table_submit *j = job;

	if (why != NULL)
		*why = j->reason;
	return j->result;
}

const reg_op reg_op_table_submit = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMIT,
	.name = "table.submit",
	.screen = submit_screen,
	.new = submit_new,
	.apply = submit_apply,
	.reply = submit_reply,
	.result = submit_result,
	.free = submit_free,
};

/* ---- regie: messages in a table case ------------------------------------------ */

typedef struct reg_table_send {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES];
	Schakel__V1__TableSend *req; /* an owned copy */
	char table[WIRE_TABLE_ID_HEX + 1];
	uint64_t time;
	sk_status result;
	char reason[200];
} reg_table_send;

static void send_free(void *job)
{
	reg_table_send *j = job;

	if (j == NULL)
		return;
	schakel__v1__table_send__free_unpacked(j->req, NULL);
	free(j);
}

static sk_status send_new(void **job, reg_store *s, const net_peer *peer, const wire_envelope *env)
{
	const Schakel__V1__TableSend *req = env->table_send;
	reg_table_send *j = calloc(1, sizeof(*j));
	uint8_t *buf;
	size_t n;

	*job = NULL;
	if (j == NULL)
		return SK_ERR_NOMEM;
	j->store = s;
	memcpy(j->org, peer->org_id, sizeof(j->org));
	*job = j;
	if (req->case_id.len != WIRE_TABLE_CASE_ID_BYTES || req->n_sealed == 0 ||
	    req->n_sealed > WIRE_TABLE_PARTICIPANTS_MAX ||
	    req->n_notice > WIRE_TABLE_PARTICIPANTS_MAX ||
	    req->n_subgroup_orgs > WIRE_TABLE_PARTICIPANTS_MAX || req->seq == 0) {
		j->result = SK_ERR_INVALID;
		snprintf(j->reason, sizeof(j->reason), "malformed table message");
		return SK_OK;
	}
	for (size_t i = 0; i < req->n_sealed; i++)
		if (req->sealed[i] == NULL || req->sealed[i]->recipient == NULL ||
		    req->sealed[i]->sealed.len <= SEAL_SIGNED_OVERHEAD ||
		    req->sealed[i]->sealed.len > WIRE_TABLE_MESSAGE_SEALED_MAX) {
			j->result = SK_ERR_INVALID;
			snprintf(j->reason, sizeof(j->reason), "a sealed copy is empty or over its cap");
			return SK_OK;
		}
	for (size_t i = 0; i < req->n_notice; i++)
		if (req->notice[i] == NULL || req->notice[i]->recipient == NULL ||
		    req->notice[i]->sealed.len <= SEAL_SIGNED_OVERHEAD ||
		    req->notice[i]->sealed.len > WIRE_TABLE_MESSAGE_SEALED_MAX) {
			j->result = SK_ERR_INVALID;
			snprintf(j->reason, sizeof(j->reason), "a sealed copy is empty or over its cap");
			return SK_OK;
		}
	memcpy(j->case_id, req->case_id.data, WIRE_TABLE_CASE_ID_BYTES);
	n = schakel__v1__table_send__get_packed_size(req);
	if ((buf = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__table_send__pack(req, buf);
	j->req = schakel__v1__table_send__unpack(NULL, n, buf);
	free(buf);
	if (j->req == NULL) {
		*job = NULL;
		free(j);
		return SK_ERR_NOMEM;
	}
	return SK_OK;
}

static void send_refuse(reg_table_send *j, sk_status st, const char *why)
{
	j->result = st;
	snprintf(j->reason, sizeof(j->reason), "%s", why);
}

static int name_in(char **list, size_t n, const char *org)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], org) == 0)
			return 1;
	return 0;
}

/* org takes part in case tc: its submitter, a recipient or invited. */
static int participant(const Schakel__V1__TableCase *tc, const char *org)
{
	return strcmp(tc->org_id, org) == 0 || name_in(tc->recipients, tc->n_recipients, org) ||
	       name_in(tc->invited, tc->n_invited, org);
}

static const char *send_event(const Schakel__V1__TableSend *req)
{
	if (req == NULL)
		return "table.send";
	if (req->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT && req->subgroup != NULL)
		return "table.subgroup.send";
	switch (req->kind) {
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE:
		return "table.schedule";
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE:
		return "table.invite";
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME:
		return "table.outcome";
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP:
		return "table.subgroup";
	default:
		return "table.send";
	}
}

/* The copies in got go to exactly the names in want, each once. */
static int sealed_exact(const char *const *want, size_t n_want,
			Schakel__V1__TableSealed *const *got, size_t n_got)
{
	if (n_want != n_got)
		return 0;
	for (size_t i = 0; i < n_got; i++) {
		int in = 0;

		for (size_t m = 0; m < i; m++)
			if (strcmp(got[m]->recipient, got[i]->recipient) == 0)
				return 0;
		for (size_t m = 0; m < n_want; m++)
			in |= strcmp(want[m], got[i]->recipient) == 0;
		if (!in)
			return 0;
	}
	return 1;
}

static const Schakel__V1__TableSubgroup *subgroup_find(const Schakel__V1__TableCase *tc,
						       const char *id)
{
	for (size_t i = 0; i < tc->n_subgroups; i++)
		if (strcmp(tc->subgroups[i]->id, id) == 0)
			return tc->subgroups[i];
	return NULL;
}

/* A subgroup's routing (formed, or a text to it): the refusal's sentence,
 * NULL when the copies go where they must. Forming one: 2 or more
 * distinct participants, a fresh id, sealed to exactly its orgs but the
 * sender and notice to exactly the other participants but the sender. A
 * text: the sender's org in the subgroup, sealed to exactly its other
 * orgs. *st: SK_ERR_PERM, SK_ERR_EXISTS or SK_ERR_INVALID. */
static const char *subgroup_route(const Schakel__V1__TableCase *tc, const char *org,
				  const Schakel__V1__TableSend *req, sk_status *st)
{
	const char *in[WIRE_TABLE_PARTICIPANTS_MAX + 1], *out[WIRE_TABLE_PARTICIPANTS_MAX + 1];
	const Schakel__V1__TableSubgroup *sg;
	size_t n_in = 0, n_out = 0;

	*st = SK_ERR_INVALID;
	if (!wire_table_subgroup_id_ok(req->subgroup))
		return "a subgroup id is 16 lowercase hex characters";
	sg = subgroup_find(tc, req->subgroup);
	if (req->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT) {
		if (sg == NULL || !name_in(sg->orgs, sg->n_orgs, org)) {
			*st = SK_ERR_PERM;
			return "no such subgroup, or this org is not in it";
		}
		if (req->n_subgroup_orgs != 0 || req->n_notice != 0)
			return "a message to a subgroup names no orgs and has no notices";
		for (size_t i = 0; i < sg->n_orgs && n_in < WIRE_TABLE_PARTICIPANTS_MAX; i++)
			if (strcmp(sg->orgs[i], org) != 0)
				in[n_in++] = sg->orgs[i];
		if (!sealed_exact(in, n_in, req->sealed, req->n_sealed))
			return "a message to a subgroup is sealed to each org of the subgroup, each "
			       "once, and to no one else";
		return NULL;
	}
	if (sg != NULL) {
		*st = SK_ERR_EXISTS;
		return "this subgroup was formed already";
	}
	if (tc->n_subgroups >= WIRE_TABLE_SUBGROUPS_MAX)
		return "a case has at most 8 subgroups";
	if (!wire_table_subgroup_orgs_ok((const char *const *)req->subgroup_orgs,
					 req->n_subgroup_orgs))
		return "a subgroup has 2 or more distinct orgs";
	for (size_t i = 0; i < req->n_subgroup_orgs; i++)
		if (!participant(tc, req->subgroup_orgs[i]))
			return "every org of a subgroup takes part in the case";
	/* the participants but the sender, split: in the subgroup or not */
	for (size_t i = 0; i <= tc->n_recipients + tc->n_invited; i++) {
		const char *p = i == 0			   ? tc->org_id
				: i <= tc->n_recipients ? tc->recipients[i - 1]
							: tc->invited[i - 1 - tc->n_recipients];

		if (strcmp(p, org) == 0 || n_in + n_out >= WIRE_TABLE_PARTICIPANTS_MAX)
			continue;
		if (name_in(req->subgroup_orgs, req->n_subgroup_orgs, p))
			in[n_in++] = p;
		else
			out[n_out++] = p;
	}
	if (!sealed_exact(in, n_in, req->sealed, req->n_sealed) ||
	    !sealed_exact(out, n_out, req->notice, req->n_notice))
		return "a subgroup's mandate is sealed to each org of the subgroup and its notice "
		       "to each other participant, each once, and to no one else";
	return NULL;
}

static sk_status send_apply(MDB_txn *txn, void *arg)
{
	reg_table_send *j = arg;
	reg_store *s = j->store;
	Schakel__V1__TableCase *tc = NULL;
	Schakel__V1__TableMessageKind kind = j->req ? j->req->kind : 0;
	const char *invite = NULL;
	wire_table *t = NULL;
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5], what[48], **inv = NULL, **orig = NULL;
	Schakel__V1__TableSubgroup sg = SCHAKEL__V1__TABLE_SUBGROUP__INIT, **sgs = NULL,
				   **orig_sgs = NULL;
	uint8_t *packed = NULL;
	size_t want = 0;
	MDB_val k = {WIRE_TABLE_CASE_ID_BYTES, j->case_id}, d;
	sk_status st = SK_OK;
	int rc;

	if (j->result != SK_OK)
		goto audit;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (!reg_member_live(s, txn, j->org)) {
		send_refuse(j, SK_ERR_PERM, "the org is not a live member");
		goto audit;
	}
	/* one sentence for "no such case" and "not a participant" */
	if ((rc = mdb_get(txn, s->table_cases, &k, &d)) != 0 && rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto out;
	}
	if (rc == 0 && (tc = schakel__v1__table_case__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
		st = SK_ERR_DB;
		goto out;
	}
	if (tc == NULL || !participant(tc, j->org)) {
		send_refuse(j, SK_ERR_PERM, "no such table case, or this org takes no part in it");
		goto audit;
	}
	snprintf(j->table, sizeof(j->table), "%s", tc->table_id);
	if (tc->has_outcome_at) {
		send_refuse(j, SK_ERR_EXISTS, "the case has its outcome: it is closed");
		goto audit;
	}
	if (tc->has_purged_at) {
		/* purged without an outcome (reg_table_sweep): nothing more in it */
		send_refuse(j, SK_ERR_EXISTS, "the case had no outcome within the maximum age "
					      "and was purged: it is closed");
		goto audit;
	}
	if ((st = reg_table_get(s, txn, tc->table_id, t)) != SK_OK)
		goto out;
	if (kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT &&
	    !wire_table_is_regisseur(t, j->org, NULL)) {
		send_refuse(j, SK_ERR_PERM,
			    "only a procesregisseur schedules, invites, forms a subgroup and "
			    "records the outcome");
		goto audit;
	}
	if (kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE) {
		invite = j->req->invite_org;
		if (invite == NULL || !reg_member_live(s, txn, invite) || participant(tc, invite) ||
		    tc->n_invited >= WIRE_TABLE_INVITED_MAX) {
			send_refuse(j, SK_ERR_INVALID,
				    "an invitation names a live member that takes no part yet (at most 8 a case)");
			goto audit;
		}
	} else if (j->req->invite_org != NULL) {
		send_refuse(j, SK_ERR_INVALID, "only an invitation names an org");
		goto audit;
	}
	if (kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP || j->req->subgroup != NULL) {
		sk_status why_st;
		const char *why;

		if (kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP &&
		    kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT) {
			send_refuse(j, SK_ERR_INVALID, "only a subgroup or a text names a subgroup");
			goto audit;
		}
		if ((why = subgroup_route(tc, j->org, j->req, &why_st)) != NULL) {
			send_refuse(j, why_st, why);
			goto audit;
		}
		goto routed;
	}
	if (j->req->n_subgroup_orgs != 0 || j->req->n_notice != 0) {
		send_refuse(j, SK_ERR_INVALID, "only a subgroup names orgs and has notices");
		goto audit;
	}
	/* sealed to each participant but the sender (and the invited org), once */
	want = (strcmp(tc->org_id, j->org) != 0) + (invite != NULL);
	for (size_t i = 0; i < tc->n_recipients; i++)
		want += strcmp(tc->recipients[i], j->org) != 0;
	for (size_t i = 0; i < tc->n_invited; i++)
		want += strcmp(tc->invited[i], j->org) != 0;
	for (size_t i = 0; i < j->req->n_sealed; i++) {
		const char *to = j->req->sealed[i]->recipient;
		int dup = 0;

		for (size_t m = 0; m < i; m++)
			dup |= strcmp(j->req->sealed[m]->recipient, to) == 0;
		if (dup || strcmp(to, j->org) == 0 ||
		    !(participant(tc, to) || (invite != NULL && strcmp(to, invite) == 0)))
			want = SIZE_MAX;
	}
	if (want != j->req->n_sealed) {
		send_refuse(j, SK_ERR_INVALID,
			    "a table message is sealed to each participant of the case, each once, "
			    "and to no one else");
		goto audit;
	}
routed:
	j->time = sk_clock_now_ms();
	if ((st = reg_quota_messages(s, txn, j->org, j->req->n_sealed + j->req->n_notice, 0,
				     j->time, j->reason,
				     sizeof(j->reason))) == SK_ERR_TOOBIG) {
		j->result = st;
		st = SK_OK;
		goto audit;
	} else if (st != SK_OK) {
		goto out;
	}
	for (size_t i = 0; i < j->req->n_sealed + j->req->n_notice && st == SK_OK; i++) {
		Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
		const Schakel__V1__TableSealed *to = i < j->req->n_sealed
							     ? j->req->sealed[i]
							     : j->req->notice[i - j->req->n_sealed];

		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_MESSAGE;
		it.time = j->time;
		it.counterpart = j->org;
		it.table_id = j->table;
		it.has_table_case_id = 1;
		it.table_case_id = (ProtobufCBinaryData){WIRE_TABLE_CASE_ID_BYTES, j->case_id};
		it.has_sealed = 1;
		it.sealed = to->sealed;
		it.has_message_seq = 1;
		it.message_seq = j->req->seq;
		if ((st = reg_mailbox_put(s, txn, to->recipient, &it)) == SK_OK)
			st = item_add(s, txn, j->case_id, tc, to->recipient, it.seq);
	}
	if (st != SK_OK)
		goto out;
	/* the case's record: an invited org, the outcome's time, schedules */
	if (invite != NULL) {
		if ((inv = calloc(tc->n_invited + 1, sizeof(*inv))) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		if (tc->n_invited > 0)
			memcpy(inv, tc->invited, tc->n_invited * sizeof(*inv));
		inv[tc->n_invited] = (char *)invite;
		orig = tc->invited;
		tc->invited = inv;
		tc->n_invited++;
	}
	if (kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME) {
		tc->has_outcome_at = 1;
		tc->outcome_at = j->time;
	}
	if (kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE) {
		tc->has_scheduled = 1;
		tc->scheduled++;
	}
	if (kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP) {
		if ((sgs = calloc(tc->n_subgroups + 1, sizeof(*sgs))) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		if (tc->n_subgroups > 0)
			memcpy(sgs, tc->subgroups, tc->n_subgroups * sizeof(*sgs));
		sg.id = j->req->subgroup;
		sg.n_orgs = j->req->n_subgroup_orgs;
		sg.orgs = j->req->subgroup_orgs;
		sgs[tc->n_subgroups] = &sg;
		orig_sgs = tc->subgroups;
		tc->subgroups = sgs;
		tc->n_subgroups++;
	}
	if ((packed = malloc(schakel__v1__table_case__get_packed_size(tc))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	d = (MDB_val){schakel__v1__table_case__pack(tc, packed), packed};
	if (inv != NULL) { /* the record gets its own list back before it is freed */
		tc->n_invited--;
		tc->invited = orig;
	}
	if (sgs != NULL) {
		tc->n_subgroups--;
		tc->subgroups = orig_sgs;
	}
	if ((st = sk_db_status(mdb_put(txn, s->table_cases, &k, &d, 0))) != SK_OK)
		goto out;
audit:
	snprintf(access, sizeof(access), "tls:%s", j->org);
	snprintf(what, sizeof(what), "table:%s", j->table[0] ? j->table : "-");
	rec.event = send_event(j->req);
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = j->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = j->result == SK_OK ? NULL : j->reason;
	rec.user = j->org;
	rec.access_point = access;
	rec.counterpart = invite != NULL && j->result == SK_OK ? invite : j->org;
	rec.category = what;
	st = reg_audit(s, txn, &rec);
out:
	free(packed);
	free(t);
	schakel__v1__table_case__free_unpacked(tc, NULL);
	free(inv);
	free(sgs);
	return st;
}

static sk_status send_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_table_send *j = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__TableSent r = SCHAKEL__V1__TABLE_SENT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (j->result != SK_OK)
		return reg_send_error(c, request_id, j->result, j->reason);
	r.time = j->time;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SENT;
	env.table_sent = &r;
	return net_conn_send(c, &env);
}

static const char *send_screen(const wire_envelope *env, const ProtobufCMessage **body,
			       size_t *len, size_t *cap)
{
	*body = &env->table_send->base;
	for (size_t i = 0; i < env->table_send->n_sealed; i++)
		if (env->table_send->sealed[i] != NULL)
			*len += env->table_send->sealed[i]->sealed.len;
	for (size_t i = 0; i < env->table_send->n_notice; i++)
		if (env->table_send->notice[i] != NULL)
			*len += env->table_send->notice[i]->sealed.len;
	*cap = REG_TABLE_SEND_BYTES_MAX;
	return send_event(env->table_send);
}

static sk_status send_result(const void *job, const char **why)
{
	const reg_table_send *j = job;

	if (why != NULL)
		*why = j->reason;
	return j->result;
}

const reg_op reg_op_table_send = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SEND,
	.name = "table.send",
	.screen = send_screen,
	.new = send_new,
	.apply = send_apply,
	.reply = send_reply,
	.result = send_result,
	.free = send_free,
};

/* ---- purge after the outcome, or without one ------------------------------------------ */

static sk_status case_purge(reg_store *s, MDB_txn *txn, const uint8_t *case_id,
			    Schakel__V1__TableCase *tc, uint64_t now, const char *reason)
{
	uint8_t kb[WIRE_TABLE_CASE_ID_BYTES + 4], *packed;
	MDB_val k = {sizeof(kb), kb}, d;
	audit_record rec = {0};
	char what[48];
	sk_status st = SK_OK;
	int rc;

	memcpy(kb, case_id, WIRE_TABLE_CASE_ID_BYTES);
	for (uint32_t i = 0; i < tc->n_items && st == SK_OK; i++) {
		sk_be32_put(kb + WIRE_TABLE_CASE_ID_BYTES, i);
		if ((rc = mdb_get(txn, s->table_items, &k, &d)) == MDB_NOTFOUND)
			continue;
		if (rc != 0)
			return sk_db_status(rc);
		if ((st = reg_mailbox_strip(s, txn, d.mv_data, d.mv_size)) == SK_OK)
			st = sk_db_status(mdb_del(txn, s->table_items, &k, NULL));
	}
	if (st != SK_OK)
		return st;
	tc->has_purged_at = 1;
	tc->purged_at = now;
	if ((packed = malloc(schakel__v1__table_case__get_packed_size(tc))) == NULL)
		return SK_ERR_NOMEM;
	d = (MDB_val){schakel__v1__table_case__pack(tc, packed), packed};
	k = (MDB_val){WIRE_TABLE_CASE_ID_BYTES, (void *)case_id};
	st = sk_db_status(mdb_put(txn, s->table_cases, &k, &d, 0));
	free(packed);
	if (st != SK_OK)
		return st;
	snprintf(what, sizeof(what), "table:%s", tc->table_id);
	rec.event = "table.purge";
	rec.action = AUDIT_ACTION_DELETE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.user = REG_SYSTEM;
	rec.access_point = "sweep";
	rec.category = what;
	rec.counterpart = tc->org_id;
	rec.reason = reason;
	return reg_audit(s, txn, &rec);
}

sk_status reg_table_sweep(reg_store *s, MDB_txn *txn, uint64_t now, uint64_t retain_ms,
			  uint64_t case_max_ms, size_t max, size_t *purged)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	size_t n = 0;
	sk_status st;
	int rc;

	if (purged != NULL)
		*purged = 0;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->table_cases, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && n < max && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		uint8_t id[WIRE_TABLE_CASE_ID_BYTES];
		Schakel__V1__TableCase *tc;
		const char *why;

		if (k.mv_size != WIRE_TABLE_CASE_ID_BYTES)
			continue;
		memcpy(id, k.mv_data, sizeof(id));
		if ((tc = schakel__v1__table_case__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (tc->has_purged_at)
			why = NULL;
		else if (tc->has_outcome_at)
			why = now >= tc->outcome_at && now - tc->outcome_at >= retain_ms
				      ? "retention after the outcome ended"
				      : NULL;
		else
			why = now >= tc->time && now - tc->time >= case_max_ms
				      ? "no outcome within the maximum age of a case"
				      : NULL;
		/* the put in case_purge replaces the value under the cursor's
		 * key: the cursor stays on it (LMDB) */
		if (why != NULL && (st = case_purge(s, txn, id, tc, now, why)) == SK_OK)
			n++;
		schakel__v1__table_case__free_unpacked(tc, NULL);
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND && n < max)
		st = sk_db_status(rc);
	if (purged != NULL)
		*purged = n;
	return st;
}
