#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "node/anchor.h"
#include "node/resume.h"
#include "node/session_int.h"

#define MADE_PREFIX "anchor.made:" /* || %016llx seq -> time || leaf || head || origin */
#define MADE_FIXED (8 + 8 + AUDIT_HASH_BYTES)

/* Keeps the anchor this node just made (for `audit verify --reconcile`
 * after a rollover) and forgets those older than NODE_ANCHOR_MADE_KEEP_MS. */
static sk_status made_put(node_store *s, MDB_txn *txn, const node_anchor_made *a)
{
	char key[sizeof(MADE_PREFIX) + 16];
	uint8_t v[MADE_FIXED + NOTE_ORIGIN_MAX];
	size_t olen = strlen(a->origin);
	MDB_cursor *cur = NULL;
	MDB_val k = {sizeof(MADE_PREFIX) - 1, MADE_PREFIX}, d;
	sk_status st;
	int rc;

	snprintf(key, sizeof(key), MADE_PREFIX "%016llx", (unsigned long long)a->seq);
	sk_be64_put(v, a->time_ms);
	sk_be64_put(v + 8, a->leaf);
	memcpy(v + 16, a->head, AUDIT_HASH_BYTES);
	memcpy(v + MADE_FIXED, a->origin, olen);
	if ((st = node_meta_put(s, txn, key, v, MADE_FIXED + olen)) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, s->meta, &cur))) != SK_OK)
		return st;
	/* oldest first: the ones past keeping */
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == sizeof(key) - 1 &&
	     memcmp(k.mv_data, MADE_PREFIX, sizeof(MADE_PREFIX) - 1) == 0 && d.mv_size >= 8 &&
	     sk_be64_get(d.mv_data) + NODE_ANCHOR_MADE_KEEP_MS < a->time_ms;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
}

sk_status node_remote_anchor(node_remote *r, int *done)
{
	Schakel__V1__AnchorBody b = SCHAKEL__V1__ANCHOR_BODY__INIT;
	Schakel__V1__AnchorRequest req = SCHAKEL__V1__ANCHOR_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t head[AUDIT_HASH_BYTES], body[256], sig[KEY_SIG_BYTES];
	uint64_t seq, last, when = 0, floor = 0;
	node_anchor_made made;
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
	    (last != 0 && sk_clock_now_ms() < when + NODE_ANCHOR_MS))
		return st;
	b.org_id = r->s->org_id;
	b.seq = seq;
	b.head = (ProtobufCBinaryData){sizeof(head), head};
	b.time = sk_clock_now_ms();
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
	made = (node_anchor_made){seq, b.time, reply->anchor_receipt->leaf_index, {0}, {0}};
	memcpy(made.head, head, sizeof(head));
	memcpy(made.origin, r->log_key.name, r->log_key.name_len + 1);
	wire_envelope_free(reply);
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, "anchor.seq", seq)) == SK_OK &&
	    (st = node_meta_u64_put(r->s, txn, "anchor.time", sk_clock_now_ms())) == SK_OK &&
	    (st = node_meta_put(r->s, txn, "anchor.head", head, sizeof(head))) == SK_OK &&
	    (st = made_put(r->s, txn, &made)) == SK_OK)
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

size_t node_anchor_explain(const node_anchor_made *made, size_t n, const node_anchor_held *held,
			   size_t nh, node_anchor_lost *out)
{
	size_t lost = 0;

	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = nh;
		node_anchor_lost *l;

		/* the first held anchor at or past this record */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (held[mid].seq < made[i].seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nh && held[lo].seq == made[i].seq &&
		    sodium_memcmp(held[lo].head, made[i].head, AUDIT_HASH_BYTES) == 0)
			continue; /* the registry holds it */
		/* lost: a later record's anchor covers it (the same record with
		 * another head does not) */
		if (lo < nh && held[lo].seq == made[i].seq)
			lo++;
		l = &out[lost++];
		memset(l, 0, sizeof(*l));
		l->made = made[i];
		if (lo < nh) {
			l->covered = 1;
			l->by_seq = held[lo].seq;
			l->by_time_ms = held[lo].time_ms;
			memcpy(l->by_head, held[lo].head, AUDIT_HASH_BYTES);
		}
	}
	return lost;
}

/* Our kept anchors, oldest first, into *out (malloc'd). */
static sk_status made_list(node_store *s, MDB_txn *txn, node_anchor_made **out, size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k = {sizeof(MADE_PREFIX) - 1, MADE_PREFIX}, d;
	size_t cap = 0;
	sk_status st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->meta, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == sizeof(MADE_PREFIX) - 1 + 16 &&
	     memcmp(k.mv_data, MADE_PREFIX, sizeof(MADE_PREFIX) - 1) == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *v = d.mv_data;
		char hex[17];
		node_anchor_made *a;

		if (d.mv_size < MADE_FIXED || d.mv_size > MADE_FIXED + NOTE_ORIGIN_MAX) {
			st = SK_ERR_DB;
			break;
		}
		if (*n == NODE_ANCHOR_MADE_MAX) {
			st = SK_ERR_TOOBIG;
			break;
		}
		if (*n == cap) {
			node_anchor_made *grown;

			cap = cap ? 2 * cap : 64;
			if ((grown = realloc(*out, cap * sizeof(*grown))) == NULL) {
				st = SK_ERR_NOMEM;
				break;
			}
			*out = grown;
		}
		a = &(*out)[(*n)++];
		memcpy(hex, (const char *)k.mv_data + sizeof(MADE_PREFIX) - 1, 16);
		hex[16] = '\0';
		a->seq = strtoull(hex, NULL, 16);
		a->time_ms = sk_be64_get(v);
		a->leaf = sk_be64_get(v + 8);
		memcpy(a->head, v + 16, AUDIT_HASH_BYTES);
		memcpy(a->origin, v + MADE_FIXED, d.mv_size - MADE_FIXED);
		a->origin[d.mv_size - MADE_FIXED] = '\0';
	}
	mdb_cursor_close(cur);
	if (st != SK_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return st;
}

/* The registry's anchors for us with seq > after, every page, into *out. */
static sk_status held_list(node_remote *r, uint64_t after, node_anchor_held **out, size_t *n)
{
	Schakel__V1__AnchorsRequest req = SCHAKEL__V1__ANCHORS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	size_t cap = 0;
	sk_status st = SK_OK;

	*out = NULL;
	*n = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST;
	env.anchors_request = &req;
	for (;;) {
		const Schakel__V1__AnchorsResponse *a;

		req.after_seq = after;
		if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_RESPONSE,
					  &reply)) != SK_OK)
			break;
		a = reply->anchors_response;
		if (a->n_anchors == 0)
			break;
		if (a->n_anchors > NODE_ANCHOR_HELD_MAX - *n) {
			st = SK_ERR_TOOBIG;
			break;
		}
		if (*n + a->n_anchors > cap) {
			node_anchor_held *grown;

			cap = *n + a->n_anchors > 2 * cap ? *n + a->n_anchors : 2 * cap;
			if ((grown = realloc(*out, cap * sizeof(*grown))) == NULL) {
				st = SK_ERR_NOMEM;
				break;
			}
			*out = grown;
		}
		for (size_t i = 0; i < a->n_anchors && st == SK_OK; i++) {
			/* peer input: whole heads, strictly after the last */
			if (a->anchors[i]->head.len != AUDIT_HASH_BYTES || a->anchors[i]->seq <= after) {
				sk_error_set("the registry sent a malformed list of our anchors");
				st = SK_ERR_INVALID;
				break;
			}
			after = a->anchors[i]->seq;
			(*out)[*n].seq = after;
			(*out)[*n].time_ms = a->anchors[i]->time;
			memcpy((*out)[*n].head, a->anchors[i]->head.data, AUDIT_HASH_BYTES);
			(*n)++;
		}
		wire_envelope_free(reply);
		reply = NULL;
		if (st != SK_OK)
			break;
	}
	wire_envelope_free(reply);
	if (st != SK_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return st;
}

sk_status node_remote_anchors_lost(node_remote *r, node_anchor_lost **out, size_t *n,
				   size_t *uncovered)
{
	node_anchor_made *made = NULL;
	node_anchor_held *held = NULL;
	size_t nm = 0, nh = 0;
	uint64_t records = 0, bad = 0;
	uint8_t head[AUDIT_HASH_BYTES];
	MDB_txn *txn = NULL;
	sk_status st;

	*out = NULL;
	*n = *uncovered = 0;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = made_list(r->s, txn, &made, &nm);
	mdb_txn_abort(txn);
	if (st != SK_OK || nm == 0)
		return st;
	if ((st = held_list(r, made[0].seq - 1, &held, &nh)) != SK_OK)
		goto out;
	if ((*out = calloc(nm, sizeof(**out))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	*n = node_anchor_explain(made, nm, held, nh, *out);
	/* a covering anchor counts when both heads are records of our log */
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = audit_log_head(r->s->audit, txn, &records, head)) == SK_OK)
		for (size_t i = 0; i < *n; i++) {
			node_anchor_lost *l = &(*out)[i];

			if (l->covered &&
			    (anchor_matches(r->s, txn, l->made.seq, l->made.head, records, &bad) !=
				     SK_OK ||
			     anchor_matches(r->s, txn, l->by_seq, l->by_head, records, &bad) != SK_OK))
				l->covered = 0;
			*uncovered += !l->covered;
		}
	mdb_txn_abort(txn);
	sk_error_clear();
out:
	if (st != SK_OK) {
		free(*out);
		*out = NULL;
		*n = *uncovered = 0;
	}
	free(made);
	free(held);
	return st;
}
