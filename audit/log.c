#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit/log.h"
#include "common/db.h"

#define HEAD_BYTES (8 + AUDIT_HASH_BYTES)

struct audit_log {
	MDB_env *env;
	MDB_dbi records, meta;
	uint64_t retention_ms;
};

static void be64_put(uint8_t b[static 8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t be64_get(const uint8_t b[static 8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

sk_status audit_log_open(audit_log **out, MDB_env *env)
{
	audit_log *log = calloc(1, sizeof(*log));
	MDB_txn *txn = NULL;
	sk_status st = SK_ERR_NOMEM;
	int rc;

	*out = NULL;
	if (log == NULL)
		goto out;
	log->env = env;
	log->retention_ms = AUDIT_RETAIN_DEFAULT_MS;
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, AUDIT_DB_RECORDS, MDB_CREATE, &log->records)) != 0 ||
	    (rc = mdb_dbi_open(txn, AUDIT_DB_META, MDB_CREATE, &log->meta)) != 0) {
		st = sk_db_status(rc);
		goto out;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if ((st = sk_db_status(rc)) != SK_OK)
		goto out;
	*out = log;
	log = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(log);
	return st;
}

void audit_log_close(audit_log *log)
{
	free(log);
}

void audit_log_set_retention(audit_log *log, uint64_t ms)
{
	log->retention_ms = ms;
}

/* Reads the head; a malformed one is SK_ERR_VERIFY. */
static sk_status read_head(const audit_log *log, MDB_txn *txn, uint64_t *seq,
			   uint8_t head[static AUDIT_HASH_BYTES])
{
	MDB_val k = {sizeof(AUDIT_META_HEAD) - 1, (void *)AUDIT_META_HEAD}, v;
	int rc = mdb_get(txn, log->meta, &k, &v);

	*seq = 0;
	memset(head, 0, AUDIT_HASH_BYTES);
	if (rc == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (v.mv_size != HEAD_BYTES) {
		sk_error_set("the audit log head is malformed; run audit verify");
		return SK_ERR_VERIFY;
	}
	*seq = be64_get(v.mv_data);
	memcpy(head, (const uint8_t *)v.mv_data + 8, AUDIT_HASH_BYTES);
	return SK_OK;
}

sk_status audit_log_head(const audit_log *log, MDB_txn *txn, uint64_t *seq,
			 uint8_t head[AUDIT_HASH_BYTES])
{
	return read_head(log, txn, seq, head);
}

sk_status audit_log_append(audit_log *log, MDB_txn *txn, const audit_record *rec,
			   uint64_t *seq_out, uint8_t head_out[AUDIT_HASH_BYTES])
{
	uint8_t buf[AUDIT_STORED_MAX], kb[8], hv[HEAD_BYTES], head[AUDIT_HASH_BYTES];
	MDB_val k = {sizeof(kb), kb}, v;
	MDB_val hk = {sizeof(AUDIT_META_HEAD) - 1, (void *)AUDIT_META_HEAD};
	audit_record r;
	uint64_t seq;
	size_t n;
	sk_status st;
	int rc;

	if ((st = audit_record_check(rec)) != SK_OK)
		return st;
	if ((st = read_head(log, txn, &seq, head)) != SK_OK)
		return st;
	r = *rec;
	r.seq = seq + 1;
	randombytes_buf(r.id, sizeof(r.id));
	memcpy(r.prev_hash, head, AUDIT_HASH_BYTES);
	if (r.time_ms == 0 && (r.time_ms = now_ms()) == 0)
		return SK_ERR_IO;
	if (r.retain_until_ms == 0)
		r.retain_until_ms = log->retention_ms > AUDIT_TIME_MAX - r.time_ms
					    ? AUDIT_TIME_MAX
					    : r.time_ms + log->retention_ms;
	if ((st = audit_record_encode(buf, AUDIT_RECORD_MAX, &n, &r)) != SK_OK)
		return st;
	audit_record_hash(buf + n, head, buf, n);
	be64_put(kb, r.seq);
	v.mv_size = n + AUDIT_HASH_BYTES;
	v.mv_data = buf;
	/* keys only grow: a key at or past seq means the head lags its records */
	if ((rc = mdb_put(txn, log->records, &k, &v, MDB_APPEND)) == MDB_KEYEXIST) {
		sk_error_set("the audit log head is behind its records at %" PRIu64
			     "; run audit verify", r.seq);
		return SK_ERR_VERIFY;
	}
	if (rc != 0)
		return sk_db_status(rc);
	memcpy(hv, kb, 8);
	memcpy(hv + 8, buf + n, AUDIT_HASH_BYTES);
	v.mv_size = sizeof(hv);
	v.mv_data = hv;
	if ((rc = mdb_put(txn, log->meta, &hk, &v, 0)) != 0)
		return sk_db_status(rc);
	if (seq_out != NULL)
		*seq_out = r.seq;
	if (head_out != NULL)
		memcpy(head_out, buf + n, AUDIT_HASH_BYTES);
	return SK_OK;
}

/* A stored value read back: it is record seq and its hash matches its bytes. */
static bool stored_ok(const audit_record *r, uint64_t seq, const MDB_val *v)
{
	return r->seq == seq && audit_record_verify(v->mv_data, v->mv_size, r->prev_hash) == SK_OK;
}

static sk_status damaged(uint64_t seq)
{
	sk_error_set("audit record %" PRIu64 " is damaged or altered; run audit verify", seq);
	return SK_ERR_VERIFY;
}

sk_status audit_log_get(const audit_log *log, MDB_txn *txn, uint64_t seq, audit_record **out)
{
	uint8_t kb[8];
	MDB_val k = {sizeof(kb), kb}, v;
	audit_record *r = NULL;
	sk_status st;
	int rc;

	*out = NULL;
	be64_put(kb, seq);
	if ((rc = mdb_get(txn, log->records, &k, &v)) != 0)
		return sk_db_status(rc);
	st = audit_record_decode(&r, v.mv_data, v.mv_size);
	if (st == SK_ERR_NOMEM)
		return st;
	if (st != SK_OK || !stored_ok(r, seq, &v)) {
		audit_record_free(r);
		return damaged(seq);
	}
	*out = r;
	return SK_OK;
}

sk_status audit_log_scan(const audit_log *log, MDB_txn *txn, uint64_t from, uint64_t to,
			 audit_scan_fn fn, void *arg)
{
	void *scratch = malloc(AUDIT_SCRATCH_BYTES);
	MDB_cursor *c = NULL;
	uint8_t kb[8];
	MDB_val k = {sizeof(kb), kb}, v;
	audit_record r;
	uint64_t seq;
	sk_status st = SK_ERR_NOMEM;
	int rc;

	if (scratch == NULL)
		goto out;
	if (from == 0)
		from = 1;
	if (to == 0)
		to = UINT64_MAX;
	st = SK_OK;
	if (from > to)
		goto out;
	if ((rc = mdb_cursor_open(txn, log->records, &c)) != 0) {
		st = sk_db_status(rc);
		goto out;
	}
	be64_put(kb, from);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		seq = k.mv_size == sizeof(kb) ? be64_get(k.mv_data) : 0;
		if (seq > to)
			break;
		if (seq == 0 ||
		    audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, v.mv_data,
				      v.mv_size) != SK_OK ||
		    !stored_ok(&r, seq, &v)) {
			st = damaged(seq);
			goto out;
		}
		if ((st = fn(&r, arg)) != SK_OK)
			goto out;
	}
	st = rc == 0 || rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(scratch);
	return st;
}

sk_status audit_log_verify(const audit_log *log, MDB_txn *txn, uint64_t *count,
			   uint64_t *first_bad_seq)
{
	void *scratch = malloc(AUDIT_SCRATCH_BYTES);
	MDB_cursor *c = NULL;
	MDB_val k, v;
	audit_record r;
	uint8_t prev[AUDIT_HASH_BYTES] = {0}, head[AUDIT_HASH_BYTES];
	uint64_t expect = 1, head_seq, bad = 0;
	const char *why = NULL; /* set: the chain breaks at bad */
	sk_status st = SK_ERR_NOMEM;
	int rc;

	if (count != NULL)
		*count = 0;
	if (first_bad_seq != NULL)
		*first_bad_seq = 0;
	if (scratch == NULL)
		goto out;
	if ((rc = mdb_cursor_open(txn, log->records, &c)) != 0) {
		st = sk_db_status(rc);
		goto out;
	}
	/* invariant: records 1 .. expect-1 check, prev is the hash of the last */
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), expect++) {
		if (k.mv_size != 8 || be64_get(k.mv_data) < expect)
			why = "stored under a malformed key";
		else if (be64_get(k.mv_data) > expect)
			why = "missing";
		else if (audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, v.mv_data,
					   v.mv_size) != SK_OK)
			why = "not a valid audit record";
		else if (r.seq != expect)
			why = "stored under another sequence number";
		else if (memcmp(r.prev_hash, prev, AUDIT_HASH_BYTES) != 0)
			why = "not linked to the record before it";
		else if (audit_record_verify(v.mv_data, v.mv_size, prev) != SK_OK)
			why = "altered: its hash does not match its contents";
		if (why != NULL) {
			bad = expect;
			goto out;
		}
		memcpy(prev, r.hash, AUDIT_HASH_BYTES);
	}
	if (rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto out;
	}
	expect--; /* now the last seq */
	st = read_head(log, txn, &head_seq, head);
	if (st == SK_ERR_VERIFY) {
		bad = expect == 0 ? 1 : expect;
		why = "not the head: the head is malformed";
	} else if (st == SK_OK && head_seq != expect) {
		bad = (head_seq < expect ? head_seq : expect) + 1;
		why = head_seq > expect ? "missing: the head names a later record"
					: "past the head of the log";
	} else if (st == SK_OK && memcmp(head, prev, AUDIT_HASH_BYTES) != 0) {
		bad = expect == 0 ? 1 : expect;
		why = "not the head: the head's hash differs";
	} else if (st == SK_OK && count != NULL) {
		*count = expect;
	}
out:
	if (why != NULL) {
		sk_error_set("audit record %" PRIu64
			     " is %s; the audit log was altered or damaged", bad, why);
		if (count != NULL)
			*count = bad - 1;
		if (first_bad_seq != NULL)
			*first_bad_seq = bad;
		st = SK_ERR_VERIFY;
	}
	if (c != NULL)
		mdb_cursor_close(c);
	free(scratch);
	return st;
}
