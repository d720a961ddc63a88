#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/inbox.h"
#include "node/logtrack.h"
#include "node/members.h"
#include "node/professional.h"
#include "node/session_int.h"
#include "node/table.h"

#define KEY_BYTES (WIRE_TABLE_ID_HEX + 1 + 8)

static size_t table_key(uint8_t k[static KEY_BYTES], const char *id, uint64_t seq)
{
	memcpy(k, id, WIRE_TABLE_ID_HEX);
	k[WIRE_TABLE_ID_HEX] = 0;
	for (int i = 7; i >= 0; i--, seq >>= 8)
		k[WIRE_TABLE_ID_HEX + 1 + i] = (uint8_t)seq;
	return KEY_BYTES;
}

/* Checks one signed record against the member directory and folds it. */
static sk_status record_check(node_store *s, MDB_txn *txn, wire_table *t,
			      const Schakel__V1__SignedTableRecord *sr, char id[static WIRE_TABLE_ID_HEX + 1])
{
	Schakel__V1__TableRecordBody *b = NULL;
	node_member m;
	sk_status st;

	if (sr->signature.len != KEY_SIG_BYTES)
		return SK_ERR_VERIFY;
	if ((st = wire_table_body_parse(&b, sr->body.data, sr->body.len)) != SK_OK)
		return st;
	snprintf(id, WIRE_TABLE_ID_HEX + 1, "%s", b->table_id);
	if ((st = node_members_get(s, txn, b->org_id, &m)) != SK_OK) {
		sk_error_set("table record: its signer %s is not in the member directory", b->org_id);
		st = SK_ERR_VERIFY;
	} else if (key_verify(sr->signature.data, WIRE_DOMAIN_TABLE_RECORD, sr->body.data,
			      sr->body.len, m.identity_pk) != SK_OK) {
		sk_error_set("table record: the signature of %s does not verify", b->org_id);
		st = SK_ERR_VERIFY;
	} else {
		st = wire_table_apply(t, b);
	}
	schakel__v1__table_record_body__free_unpacked(b, NULL);
	return st;
}

static sk_status record_put(node_store *s, MDB_txn *txn, const char *id, uint64_t seq,
			    const Schakel__V1__SignedTableRecord *sr)
{
	Schakel__V1__SignedTableRecord kept = *sr;
	uint8_t kb[KEY_BYTES], *buf;
	size_t n;
	MDB_val k = {table_key(kb, id, seq), kb}, d;
	sk_status st;

	/* kept with its leaf index; the proof held only for that answer */
	kept.has_inclusion_proof = 0;
	kept.inclusion_proof = (ProtobufCBinaryData){0, NULL};
	n = schakel__v1__signed_table_record__get_packed_size(&kept);
	if ((buf = malloc(n ? n : 1)) == NULL)
		return SK_ERR_NOMEM;
	d = (MDB_val){schakel__v1__signed_table_record__pack(&kept, buf), buf};
	st = sk_db_status(mdb_put(txn, s->tables, &k, &d, 0));
	free(buf);
	return st;
}

/* The table id of a signed record; "" when its body does not parse. */
static void record_table(const Schakel__V1__SignedTableRecord *sr, char id[static WIRE_TABLE_ID_HEX + 1])
{
	Schakel__V1__TableRecordBody *b = NULL;

	id[0] = 0;
	if (wire_table_body_parse(&b, sr->body.data, sr->body.len) == SK_OK)
		snprintf(id, WIRE_TABLE_ID_HEX + 1, "%s", b->table_id);
	schakel__v1__table_record_body__free_unpacked(b, NULL);
}

/* One served record's leaf and its inclusion proof against cp. */
static sk_status record_included(const Schakel__V1__SignedTableRecord *sr,
				 const note_checkpoint *cp)
{
	uint8_t leaf[WIRE_LEAF_HASH_BYTES];

	if (sr->signature.len != KEY_SIG_BYTES || !sr->has_leaf_index ||
	    !sr->has_inclusion_proof || sr->inclusion_proof.len % MERKLE_HASH_BYTES != 0 ||
	    wire_leaf_hash(leaf, WIRE_LEAF_TABLE, sr->body.data, sr->body.len,
			   sr->signature.data) != SK_OK ||
	    merkle_inclusion_verify(cp->root, leaf, sr->leaf_index, cp->size,
				    sr->inclusion_proof.data,
				    sr->inclusion_proof.len / MERKLE_HASH_BYTES) != SK_OK)
		return SK_ERR_VERIFY;
	return SK_OK;
}

/* An integrity failure of the registry: evidence kept when r is given. */
static sk_status refused(node_remote *r, const char *what, const char *why, const uint8_t *a,
			 size_t alen, const uint8_t *b, size_t blen)
{
	if (r != NULL)
		return node_remote_integrity(r, what, why, a != NULL ? a : (const uint8_t *)"",
					     alen, b != NULL && blen > 0 ? b : NULL, blen);
	sk_error_set("%s", why);
	return SK_ERR_VERIFY;
}

sk_status node_table_keep(node_store *s, MDB_txn *txn, const Schakel__V1__TablesResponse *resp,
			  const note_verifier *log_key, node_remote *r, size_t *tables,
			  size_t *rejected)
{
	wire_table *t = NULL;
	note_checkpoint cp;
	char id[WIRE_TABLE_ID_HEX + 1], next[WIRE_TABLE_ID_HEX + 1], got[WIRE_TABLE_ID_HEX + 1];
	size_t i, end, k;
	sk_status st, cs;

	*tables = *rejected = 0;
	/* every record is a leaf of the log this node tracks: one that is
	 * not, or a checkpoint not under the log key, fails the whole answer */
	if (!resp->has_checkpoint ||
	    note_checkpoint_open(&cp, NULL, resp->checkpoint.data, resp->checkpoint.len, log_key,
				 NULL, 0) != SK_OK)
		return refused(r, "tables-checkpoint", "the tables' checkpoint does not verify",
			       resp->checkpoint.data, resp->checkpoint.len, NULL, 0);
	for (i = 0; i < resp->n_records; i++)
		if (record_included(resp->records[i], &cp) != SK_OK)
			return refused(r, "table-inclusion", "a table record is not in the log "
							     "(its inclusion proof does not verify)",
				       resp->records[i]->body.data, resp->records[i]->body.len,
				       resp->records[i]->inclusion_proof.data,
				       resp->records[i]->inclusion_proof.len);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_drop(txn, s->tables, 0))) != SK_OK)
		goto out;
	/* the records come table by table, each in seq order; a table is kept
	 * whole, or not at all when one of its records fails */
	for (i = 0; i < resp->n_records && st == SK_OK; i = end) {
		record_table(resp->records[i], id);
		for (end = i + 1; end < resp->n_records; end++) {
			record_table(resp->records[end], next);
			if (id[0] == 0 || strcmp(next, id) != 0)
				break;
		}
		memset(t, 0, sizeof(*t));
		for (k = i, cs = SK_OK; k < end && cs == SK_OK; k++)
			cs = record_check(s, txn, t, resp->records[k], got);
		if (cs != SK_OK) {
			/* the registry checked these records: one that fails here
			 * is its integrity failure, kept as evidence */
			const Schakel__V1__SignedTableRecord *bad = resp->records[k - 1];

			sk_log(SK_LOG_WARNING, "tables: refused table %s from the registry: %s",
			       id[0] ? id : "(malformed)", sk_error_detail());
			if (r != NULL)
				node_remote_evidence(r, "table", bad->body.data, bad->body.len,
						     bad->signature.data, bad->signature.len);
			(*rejected)++;
			continue;
		}
		for (k = i; k < end && st == SK_OK; k++)
			st = record_put(s, txn, id, k - i + 1, resp->records[k]);
		(*tables)++;
	}
out:
	free(t);
	return st;
}

sk_status node_table_sync(node_remote *r, size_t *tables, size_t *rejected)
{
	Schakel__V1__TablesRequest req = SCHAKEL__V1__TABLES_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	note_checkpoint cp;
	MDB_txn *txn = NULL;
	sk_status st;

	*tables = *rejected = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLES_REQUEST;
	env.tables_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_TABLES_RESPONSE, &reply)) !=
	    SK_OK)
		return st;
	/* the answer's checkpoint, proven consistent with the one tracked */
	if ((st = node_remote_checkpoint_take(r, "tables-checkpoint",
					      reply->tables_response->checkpoint.data,
					      reply->tables_response->checkpoint.len, &cp)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
		if ((st = node_table_keep(r->s, txn, reply->tables_response, &r->log_key, r, tables,
					  rejected)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	wire_envelope_free(reply);
	return st;
}

sk_status node_table_get(node_store *s, MDB_txn *txn, const char *id, wire_table *t)
{
	uint8_t kb[KEY_BYTES];
	MDB_val k, d;
	MDB_cursor *cur = NULL;
	char got[WIRE_TABLE_ID_HEX + 1];
	sk_status st;
	int rc;

	memset(t, 0, sizeof(*t));
	if (id == NULL || strlen(id) != WIRE_TABLE_ID_HEX)
		return SK_ERR_NOTFOUND;
	k = (MDB_val){table_key(kb, id, 1), kb};
	if ((st = sk_db_status(mdb_cursor_open(txn, s->tables, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == KEY_BYTES && memcmp(k.mv_data, id, WIRE_TABLE_ID_HEX + 1) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__SignedTableRecord *sr =
			schakel__v1__signed_table_record__unpack(NULL, d.mv_size, d.mv_data);

		/* verified when it was stored; checked again, it costs little */
		st = sr == NULL ? SK_ERR_DB : record_check(s, txn, t, sr, got);
		schakel__v1__signed_table_record__free_unpacked(sr, NULL);
		if (st != SK_OK) {
			st = SK_ERR_DB;
			break;
		}
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	if (st == SK_OK && t->seq == 0)
		st = SK_ERR_NOTFOUND;
	return st;
}

sk_status node_table_scan(node_store *s, MDB_txn *txn, node_table_fn fn, void *arg)
{
	wire_table *t = calloc(1, sizeof(*t));
	char id[WIRE_TABLE_ID_HEX + 1];
	uint8_t kb[KEY_BYTES];
	MDB_val k, d;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	if (t == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->tables, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;) {
		if (k.mv_size != KEY_BYTES) {
			st = SK_ERR_DB;
			break;
		}
		memcpy(id, k.mv_data, WIRE_TABLE_ID_HEX);
		id[WIRE_TABLE_ID_HEX] = 0;
		if ((st = node_table_get(s, txn, id, t)) != SK_OK || (st = fn(t, arg)) != SK_OK)
			break;
		/* on to the next table */
		k = (MDB_val){table_key(kb, id, UINT64_MAX), kb};
		rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
		if (rc == 0 && k.mv_size == KEY_BYTES && memcmp(k.mv_data, id, WIRE_TABLE_ID_HEX) == 0)
			rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
out:
	mdb_cursor_close(cur);
	free(t);
	return st;
}

/* The audit record of one of our table records (or of its refusal). */
static sk_status audit_fill(node_store *s, MDB_txn *txn, audit_record *rec, char *what,
			    size_t what_len, const char *event, const char *prof, const char *id,
			    node_professional *p)
{
	if (prof != NULL && node_professional_get(s, txn, prof, p) == SK_OK)
		rec->role = p->role;
	snprintf(what, what_len, "table:%s", id);
	rec->event = event;
	rec->action = strcmp(event, "table.create") == 0 ? AUDIT_ACTION_CREATE : AUDIT_ACTION_UPDATE;
	rec->user = prof;
	rec->category = what;
	return SK_OK;
}

static sk_status audit_refusal(node_store *s, const char *event, const char *prof,
			       const char *id, const char *reason)
{
	audit_record rec = {0};
	node_professional p;
	MDB_txn *txn = NULL;
	char what[48], why[256];

	snprintf(why, sizeof(why), "%s", reason);
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == MDB_SUCCESS) {
		(void)audit_fill(s, txn, &rec, what, sizeof(what), event, prof, id, &p);
		mdb_txn_abort(txn);
	} else {
		(void)audit_fill(s, NULL, &rec, what, sizeof(what), event, NULL, id, &p);
	}
	rec.outcome = AUDIT_OUTCOME_DENIED;
	rec.reason = why;
	rec.user = prof;
	if (node_audit_commit(s, &rec) != SK_OK)
		sk_log(SK_LOG_WARNING, "tables: the refusal of %s could not be audited", event);
	sk_error_set("%s", why);
	return SK_OK;
}

/* Signs b, sends it and, on the registry's receipt, stores it with its
 * audit record in one transaction. A refusal is audited as denied. */
static sk_status record_send(node_remote *r, const char *prof, Schakel__V1__TableRecordBody *b)
{
	Schakel__V1__SignedTableRecord sr = SCHAKEL__V1__SIGNED_TABLE_RECORD__INIT;
	Schakel__V1__TableRecordRequest req = SCHAKEL__V1__TABLE_RECORD_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t body[WIRE_TABLE_BODY_MAX], sig[KEY_SIG_BYTES];
	char event[32], what[48];
	audit_record rec = {0};
	node_professional p;
	MDB_txn *txn = NULL;
	size_t n;
	sk_status st;

	snprintf(event, sizeof(event), "table.%s", wire_table_action_name(b->action));
	b->time = sk_clock_now_ms();
	if ((n = schakel__v1__table_record_body__get_packed_size(b)) > sizeof(body))
		return SK_ERR_TOOBIG;
	schakel__v1__table_record_body__pack(b, body);
	if ((st = key_sign(sig, WIRE_DOMAIN_TABLE_RECORD, body, n, r->id->sk)) != SK_OK)
		return st;
	sr.body = (ProtobufCBinaryData){n, body};
	sr.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	req.record = &sr;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_REQUEST;
	env.table_record_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_RECEIPT,
				  &reply)) != SK_OK) {
		(void)audit_refusal(r->s, event, prof, b->table_id, sk_error_detail());
		return st;
	}
	wire_envelope_free(reply);
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	(void)audit_fill(r->s, txn, &rec, what, sizeof(what), event, prof, b->table_id, &p);
	rec.outcome = AUDIT_OUTCOME_OK;
	if ((st = record_put(r->s, txn, b->table_id, b->seq, &sr)) == SK_OK &&
	    (st = node_audit(r->s, txn, &rec)) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	return st;
}

/* Before a change: the member directory and the tables as the registry
 * has them now, and prof one of our professionals. */
static sk_status prepare(node_remote *r, const char *event, const char *prof, const char *id,
			 wire_table *t)
{
	node_professional p;
	MDB_txn *txn = NULL;
	size_t alerts, n, rejected;
	sk_status st;

	if ((st = node_inbox_events(r, &alerts)) != SK_OK ||
	    (st = node_table_sync(r, &n, &rejected)) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_professional_get(r->s, txn, prof, &p);
	if (st == SK_OK && p.kind != NODE_KIND_PROFESSIONAL) {
		sk_error_set("%s is not a professional who may act for the organisation", prof);
		st = SK_ERR_PERM;
	} else if (st == SK_ERR_NOTFOUND) {
		sk_error_set("there is no professional %s at this organisation", prof);
	}
	if (st == SK_OK && id != NULL && (st = node_table_get(r->s, txn, id, t)) == SK_ERR_NOTFOUND)
		sk_error_set("there is no table %s that this organisation may see", id);
	mdb_txn_abort(txn);
	if (st != SK_OK && st != SK_ERR_NOMEM && st != SK_ERR_DB)
		(void)audit_refusal(r->s, event, prof, id != NULL ? id : "-", sk_error_detail());
	return st;
}

sk_status node_table_create(node_remote *r, const char *prof, const char *name,
			    const char *rhythm, int open, const char *const *members,
			    size_t n_members, char id[static WIRE_TABLE_ID_HEX + 1])
{
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur reg = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	Schakel__V1__TableRecordBody *check = NULL;
	wire_table *t = calloc(1, sizeof(*t));
	uint8_t raw[WIRE_TABLE_ID_HEX / 2], body[WIRE_TABLE_BODY_MAX];
	size_t n;
	sk_status st;

	if (t == NULL)
		return SK_ERR_NOMEM;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(id, WIRE_TABLE_ID_HEX + 1, raw, sizeof(raw));
	if ((st = prepare(r, "table.create", prof, NULL, t)) != SK_OK)
		goto out;
	reg.org_id = r->s->org_id;
	reg.professional = (char *)prof;
	b.table_id = id;
	b.action = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE;
	b.org_id = r->s->org_id;
	b.seq = 1;
	b.time = sk_clock_now_ms();
	b.name = (char *)name;
	b.rhythm = rhythm != NULL && rhythm[0] ? (char *)rhythm : NULL;
	b.has_open = 1;
	b.open = open != 0;
	b.members = (char **)members;
	b.n_members = n_members;
	b.regisseur = &reg;
	/* the rules the registry applies, here first, so that a person hears
	 * what is wrong in their terms */
	if ((n = schakel__v1__table_record_body__get_packed_size(&b)) > sizeof(body)) {
		sk_error_set("the table's definition is too long");
		st = SK_ERR_TOOBIG;
	} else {
		schakel__v1__table_record_body__pack(&b, body);
		if ((st = wire_table_body_parse(&check, body, n)) == SK_OK)
			st = wire_table_apply(t, check);
	}
	schakel__v1__table_record_body__free_unpacked(check, NULL);
	if (st != SK_OK) {
		(void)audit_refusal(r->s, "table.create", prof, id, sk_error_detail());
		goto out;
	}
	st = record_send(r, prof, &b);
out:
	free(t);
	return st;
}

/* join, leave: the record of our own org's membership. */
static sk_status membership(node_remote *r, const char *id, const char *prof, int join)
{
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	const char *event = join ? "table.join" : "table.leave";
	wire_table *t = calloc(1, sizeof(*t));
	wire_table_org_state now;
	sk_status st;

	if (t == NULL)
		return SK_ERR_NOMEM;
	if ((st = prepare(r, event, prof, id, t)) != SK_OK)
		goto out;
	now = wire_table_org(t, r->s->org_id);
	if (join && (now == 0 || now == WIRE_TABLE_MEMBER)) {
		sk_error_set(now == 0 ? "this organisation was not invited to table %s"
				      : "this organisation is a member of table %s already",
			     id);
		st = now == 0 ? SK_ERR_PERM : SK_ERR_EXISTS;
	} else if (!join && (now != WIRE_TABLE_MEMBER || strcmp(t->host, r->s->org_id) == 0)) {
		sk_error_set(now != WIRE_TABLE_MEMBER ? "this organisation is not a member of table %s"
						      : "the host cannot leave its own table %s",
			     id);
		st = SK_ERR_PERM;
	}
	if (st != SK_OK) {
		(void)audit_refusal(r->s, event, prof, id, sk_error_detail());
		goto out;
	}
	b.table_id = (char *)id;
	b.action = join ? SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN : SCHAKEL__V1__TABLE_ACTION__TABLE_LEAVE;
	b.org_id = r->s->org_id;
	b.seq = t->seq + 1;
	st = record_send(r, prof, &b);
out:
	free(t);
	return st;
}

sk_status node_table_join(node_remote *r, const char *id, const char *prof)
{
	return membership(r, id, prof, 1);
}

sk_status node_table_leave(node_remote *r, const char *id, const char *prof)
{
	return membership(r, id, prof, 0);
}

sk_status node_table_regisseur(node_remote *r, const char *id, const char *prof,
			       const char *add_org, const char *add_prof)
{
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur reg = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	wire_table *t = calloc(1, sizeof(*t));
	sk_status st;

	if (t == NULL)
		return SK_ERR_NOMEM;
	if ((st = prepare(r, "table.regisseur", prof, id, t)) != SK_OK)
		goto out;
	if (!wire_table_is_regisseur(t, r->s->org_id, prof)) {
		sk_error_set("%s is not a procesregisseur of table %s", prof, id);
		st = SK_ERR_PERM;
	} else if (wire_table_org(t, add_org) != WIRE_TABLE_MEMBER) {
		sk_error_set("%s is not a member of table %s", add_org, id);
		st = SK_ERR_PERM;
	}
	if (st != SK_OK) {
		(void)audit_refusal(r->s, "table.regisseur", prof, id, sk_error_detail());
		goto out;
	}
	reg.org_id = (char *)add_org;
	reg.professional = (char *)add_prof;
	b.table_id = (char *)id;
	b.action = SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR;
	b.org_id = r->s->org_id;
	b.seq = t->seq + 1;
	b.regisseur = &reg;
	st = record_send(r, prof, &b);
out:
	free(t);
	return st;
}
