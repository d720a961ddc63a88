#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit/log.h"
#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "protos/domains.h"

#define HEAD_BYTES (8 + AUDIT_HASH_BYTES)
#define BASE_BYTES (8 + AUDIT_HASH_BYTES + 8 + KEY_SIG_BYTES)
#define INDEX_VERSION 1
#define INDEX_KEY_MAX (AUDIT_FIELD_MAX + 1 + 16)
#define NINDEX 3

struct audit_log {
	MDB_env *env;
	MDB_dbi records, meta;
	MDB_dbi index[NINDEX]; /* by audit_index */
	uint64_t retention_ms;
	bool retention_stored; /* retention_ms came from the log's meta */
	bool has_key;
	uint8_t pk[KEY_ED25519_PK_BYTES]; /* signs purge bases */
	audit_exempt_fn exempt;           /* records the owner indexes by client */
	audit_extra_fn extra;             /* ... and how it finds them */
	void *extra_ctx;
};

/* The key of a record in index by, [field NUL] u64be(time) u64be(seq), into
 * out; its length, or 0 when field is too long to be a field. */
static size_t index_key(uint8_t out[static INDEX_KEY_MAX], audit_index by, const char *field,
			uint64_t time_ms, uint64_t seq)
{
	size_t n = 0;

	if (by != AUDIT_BY_TIME) {
		n = strnlen(field, AUDIT_FIELD_MAX + 1);
		if (n > AUDIT_FIELD_MAX)
			return 0;
		memcpy(out, field, n);
		out[n++] = 0;
	}
	sk_be64_put(out + n, time_ms);
	sk_be64_put(out + n + 8, seq);
	return n + 16;
}

/* The field of rec that index by is keyed on; NULL when rec has none. */
static const char *index_field(const audit_record *rec, audit_index by)
{
	return by == AUDIT_BY_CLIENT ? rec->client : by == AUDIT_BY_USER ? rec->user : "";
}

/* Writes rec's index entries (check: only looks whether they are there;
 * SK_ERR_NOTFOUND when one is missing), but for the client index when
 * no_client (the owner keeps that pointer). */
static sk_status index_record(const audit_log *log, MDB_txn *txn, const audit_record *rec,
			      bool check, bool no_client)
{
	uint8_t kb[INDEX_KEY_MAX];
	MDB_val k = {0, kb}, v = {0, NULL};

	for (int by = 0; by < NINDEX; by++) {
		const char *field = index_field(rec, (audit_index)by);
		int rc;

		if (field == NULL || (no_client && by == AUDIT_BY_CLIENT))
			continue;
		if ((k.mv_size = index_key(kb, (audit_index)by, field, rec->time_ms, rec->seq)) == 0)
			return SK_ERR_TOOBIG;
		rc = check ? mdb_get(txn, log->index[by], &k, &v)
			   : mdb_put(txn, log->index[by], &k, &v, 0);
		if (rc != 0)
			return sk_db_status(rc);
	}
	return SK_OK;
}

/* Indexes a log written before the indexes existed, once: every record
 * that decodes (audit_log_verify() reports the others). */
static sk_status index_catch_up(audit_log *log, MDB_txn *txn)
{
	MDB_val k = {sizeof(AUDIT_META_INDEX) - 1, (void *)AUDIT_META_INDEX}, v;
	uint8_t ver[8];
	void *scratch = NULL;
	MDB_cursor *c = NULL;
	audit_record r;
	sk_status st = SK_OK;
	int rc = mdb_get(txn, log->meta, &k, &v);

	if (rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	if ((scratch = malloc(AUDIT_SCRATCH_BYTES)) == NULL)
		return SK_ERR_NOMEM;
	if ((rc = mdb_cursor_open(txn, log->records, &c)) != 0) {
		st = sk_db_status(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if (audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, v.mv_data, v.mv_size) ==
		    SK_OK)
			st = index_record(log, txn, &r, false, false);
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	sk_be64_put(ver, INDEX_VERSION);
	k = (MDB_val){sizeof(AUDIT_META_INDEX) - 1, (void *)AUDIT_META_INDEX};
	v = (MDB_val){sizeof(ver), ver};
	if (st == SK_OK)
		st = sk_db_status(mdb_put(txn, log->meta, &k, &v, 0));
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(scratch);
	return st;
}

/* A meta value of exactly len bytes into out; *found says whether there
 * was one. A value of another size is SK_ERR_VERIFY. */
static sk_status meta_fixed(const audit_log *log, MDB_txn *txn, const char *name, void *out,
			    size_t len, bool *found)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc = mdb_get(txn, log->meta, &k, &v);

	*found = false;
	if (rc == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (v.mv_size != len) {
		sk_error_set("the audit log's %s is malformed; run audit verify", name);
		return SK_ERR_VERIFY;
	}
	memcpy(out, v.mv_data, len);
	*found = true;
	return SK_OK;
}

static sk_status retention_load(audit_log *log, MDB_txn *txn)
{
	uint8_t b[8];
	bool found;
	sk_status st = meta_fixed(log, txn, AUDIT_META_RETENTION, b, sizeof(b), &found);

	if (st == SK_OK && found) {
		log->retention_ms = sk_be64_get(b);
		log->retention_stored = true;
	}
	return st;
}

sk_status audit_log_open_in(audit_log **out, MDB_env *env, MDB_txn *txn)
{
	audit_log *log = calloc(1, sizeof(*log));
	sk_status st = SK_ERR_NOMEM;
	int rc;

	*out = NULL;
	if (log == NULL)
		goto out;
	log->env = env;
	log->retention_ms = AUDIT_RETAIN_DEFAULT_MS;
	if ((rc = mdb_dbi_open(txn, AUDIT_DB_RECORDS, MDB_CREATE, &log->records)) != 0 ||
	    (rc = mdb_dbi_open(txn, AUDIT_DB_META, MDB_CREATE, &log->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, AUDIT_DB_BY_TIME, MDB_CREATE, &log->index[AUDIT_BY_TIME])) != 0 ||
	    (rc = mdb_dbi_open(txn, AUDIT_DB_BY_CLIENT, MDB_CREATE,
			       &log->index[AUDIT_BY_CLIENT])) != 0 ||
	    (rc = mdb_dbi_open(txn, AUDIT_DB_BY_USER, MDB_CREATE, &log->index[AUDIT_BY_USER])) != 0) {
		st = sk_db_status(rc);
		goto out;
	}
	if ((st = index_catch_up(log, txn)) != SK_OK || (st = retention_load(log, txn)) != SK_OK)
		goto out;
	*out = log;
	log = NULL;
out:
	free(log);
	return st;
}

sk_status audit_log_open(audit_log **out, MDB_env *env)
{
	MDB_txn *txn = NULL;
	sk_status st;

	*out = NULL;
	if ((st = sk_db_status(mdb_txn_begin(env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = audit_log_open_in(out, env, txn)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK) {
		audit_log_close(*out);
		*out = NULL;
	}
	return st;
}

void audit_log_close(audit_log *log)
{
	free(log);
}

void audit_log_set_retention(audit_log *log, uint64_t ms)
{
	if (!log->retention_stored)
		log->retention_ms = ms;
}

uint64_t audit_log_retention(const audit_log *log)
{
	return log->retention_ms;
}

sk_status audit_log_retention_store(audit_log *log, MDB_txn *txn, uint64_t ms)
{
	uint8_t b[8];
	MDB_val k = {sizeof(AUDIT_META_RETENTION) - 1, (void *)AUDIT_META_RETENTION},
		v = {sizeof(b), b};
	sk_status st;

	if (ms < AUDIT_DAY_MS || ms > AUDIT_TIME_MAX) {
		sk_error_set("the retention must be at least one day");
		return SK_ERR_INVALID;
	}
	sk_be64_put(b, ms);
	if ((st = sk_db_status(mdb_put(txn, log->meta, &k, &v, 0))) != SK_OK)
		return st;
	log->retention_ms = ms;
	log->retention_stored = true;
	return SK_OK;
}

void audit_log_set_key(audit_log *log, const uint8_t pk[KEY_ED25519_PK_BYTES])
{
	memcpy(log->pk, pk, KEY_ED25519_PK_BYTES);
	log->has_key = true;
}

void audit_log_set_client_exempt(audit_log *log, audit_exempt_fn fn)
{
	log->exempt = fn;
}

void audit_log_set_client_extra(audit_log *log, audit_extra_fn fn, void *ctx)
{
	log->extra = fn;
	log->extra_ctx = ctx;
}

sk_status audit_log_base(const audit_log *log, MDB_txn *txn, audit_base *out)
{
	uint8_t b[BASE_BYTES];
	bool found;
	sk_status st = meta_fixed(log, txn, AUDIT_META_BASE, b, sizeof(b), &found);

	memset(out, 0, sizeof(*out));
	if (st != SK_OK || !found)
		return st;
	out->seq = sk_be64_get(b);
	memcpy(out->hash, b + 8, AUDIT_HASH_BYTES);
	out->time_ms = sk_be64_get(b + 8 + AUDIT_HASH_BYTES);
	memcpy(out->sig, b + 16 + AUDIT_HASH_BYTES, KEY_SIG_BYTES);
	return SK_OK;
}

/* The signed parts of a base: u64be(seq), hash, u64be(time). */
static void base_parts(key_part parts[static 3], uint8_t seq_b[static 8], uint8_t time_b[static 8],
		       const audit_base *b)
{
	sk_be64_put(seq_b, b->seq);
	sk_be64_put(time_b, b->time_ms);
	parts[0] = (key_part){seq_b, 8};
	parts[1] = (key_part){b->hash, AUDIT_HASH_BYTES};
	parts[2] = (key_part){time_b, 8};
}

/* SK_OK when b is the genesis or a base signed with the log's key. */
static sk_status base_check(const audit_log *log, const audit_base *b)
{
	uint8_t seq_b[8], time_b[8];
	key_part parts[3];

	if (b->seq == 0)
		return SK_OK;
	if (!log->has_key) {
		sk_error_set("records up to %" PRIu64 " were purged, but the key that signed the "
			     "purge is not known here", b->seq);
		return SK_ERR_VERIFY;
	}
	base_parts(parts, seq_b, time_b, b);
	if (key_verify_parts(b->sig, WIRE_DOMAIN_AUDIT_PURGE, parts, 3, log->pk) != SK_OK) {
		sk_error_set("the signed purge marker (records up to %" PRIu64 " purged) does not "
			     "verify; the audit log was altered", b->seq);
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}

sk_status audit_log_hold_get(const audit_log *log, MDB_txn *txn, audit_hold *out)
{
	MDB_val k = {sizeof(AUDIT_META_HOLD) - 1, (void *)AUDIT_META_HOLD}, v;
	int rc = mdb_get(txn, log->meta, &k, &v);

	memset(out, 0, sizeof(*out));
	if (rc == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (v.mv_size < 9 || v.mv_size > 8 + AUDIT_REASON_MAX) {
		sk_error_set("the audit log's legal hold is malformed");
		return SK_ERR_VERIFY;
	}
	out->until_ms = sk_be64_get(v.mv_data);
	memcpy(out->reason, (const uint8_t *)v.mv_data + 8, v.mv_size - 8);
	out->reason[v.mv_size - 8] = 0;
	return SK_OK;
}

sk_status audit_log_hold_set(audit_log *log, MDB_txn *txn, const audit_hold *h)
{
	uint8_t b[8 + AUDIT_REASON_MAX];
	MDB_val k = {sizeof(AUDIT_META_HOLD) - 1, (void *)AUDIT_META_HOLD}, v = {0, b};
	audit_record probe = {.org = "-", .system = "-", .event = "audit.hold",
			      .action = AUDIT_ACTION_UPDATE, .outcome = AUDIT_OUTCOME_OK};
	audit_hold old;
	size_t n;
	sk_status st;
	int rc;

	if (h->until_ms == 0) {
		rc = mdb_del(txn, log->meta, &k, NULL);
		return rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
	}
	if ((st = audit_log_hold_get(log, txn, &old)) != SK_OK)
		return st;
	if (old.until_ms > sk_clock_now_ms() && h->until_ms < old.until_ms) {
		sk_error_set("a legal hold is only ever extended; release it first (recorded) to "
			     "set an earlier end");
		return SK_ERR_PERM;
	}
	probe.reason = h->reason;
	n = strnlen(h->reason, sizeof(h->reason));
	if (n == 0 || n > AUDIT_REASON_MAX || h->until_ms > AUDIT_TIME_MAX ||
	    audit_record_check(&probe) != SK_OK) {
		sk_error_set("a legal hold needs an end date and a reason of at most %d bytes of "
			     "text", AUDIT_REASON_MAX);
		return SK_ERR_INVALID;
	}
	sk_be64_put(b, h->until_ms);
	memcpy(b + 8, h->reason, n);
	v.mv_size = 8 + n;
	return sk_db_status(mdb_put(txn, log->meta, &k, &v, 0));
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
	*seq = sk_be64_get(v.mv_data);
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
	return audit_log_append_flags(log, txn, rec, 0, seq_out, head_out);
}

sk_status audit_log_append_flags(audit_log *log, MDB_txn *txn, const audit_record *rec,
				 unsigned flags, uint64_t *seq_out,
				 uint8_t head_out[AUDIT_HASH_BYTES])
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
	/* only records the owner's rule names may leave the client index:
	 * verify holds every other record to it */
	if ((flags & ~AUDIT_APPEND_NO_CLIENT_INDEX) != 0 ||
	    ((flags & AUDIT_APPEND_NO_CLIENT_INDEX) && (log->exempt == NULL || !log->exempt(rec)))) {
		sk_error_set("this audit record must be indexed by client");
		return SK_ERR_INVALID;
	}
	if ((st = read_head(log, txn, &seq, head)) != SK_OK)
		return st;
	r = *rec;
	r.seq = seq + 1;
	randombytes_buf(r.id, sizeof(r.id));
	memcpy(r.prev_hash, head, AUDIT_HASH_BYTES);
	if (r.time_ms == 0 && (r.time_ms = sk_clock_now_ms()) == 0)
		return SK_ERR_IO;
	if (r.retain_until_ms == 0)
		r.retain_until_ms = log->retention_ms > AUDIT_TIME_MAX - r.time_ms
					    ? AUDIT_TIME_MAX
					    : r.time_ms + log->retention_ms;
	if ((st = audit_record_encode(buf, AUDIT_RECORD_MAX, &n, &r)) != SK_OK)
		return st;
	audit_record_hash(buf + n, head, buf, n);
	sk_be64_put(kb, r.seq);
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
	if ((st = index_record(log, txn, &r, false,
			       (flags & AUDIT_APPEND_NO_CLIENT_INDEX) != 0)) != SK_OK)
		return st;
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
	sk_be64_put(kb, seq);
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
	sk_be64_put(kb, from);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		seq = k.mv_size == sizeof(kb) ? sk_be64_get(k.mv_data) : 0;
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

/* A record a scan returns, in scan order. */
typedef struct scan_pos {
	uint64_t time_ms, seq;
} scan_pos;

static int scan_pos_cmp(const void *a, const void *b)
{
	const scan_pos *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The owner's records about one client within a scan's time range. */
struct extra_set {
	const audit_log *log;
	MDB_txn *txn;
	const char *client;
	uint64_t since_ms, until_ms, base_seq;
	void *scratch;
	scan_pos *v;
	size_t n, cap;
};

static sk_status extra_add(uint64_t seq, void *arg)
{
	struct extra_set *x = arg;
	uint8_t kb[8];
	MDB_val k = {sizeof(kb), kb}, v;
	audit_record r;
	scan_pos *nv;
	size_t cap;
	int rc;

	sk_be64_put(kb, seq);
	rc = mdb_get(x->txn, x->log->records, &k, &v);
	if (rc == MDB_NOTFOUND && seq != 0 && seq <= x->base_seq)
		return SK_OK; /* purged by retention; the owner's pointer outlives it */
	if (rc != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	if (rc == MDB_NOTFOUND ||
	    audit_record_view(&r, x->scratch, AUDIT_SCRATCH_BYTES, v.mv_data, v.mv_size) !=
		    SK_OK ||
	    !stored_ok(&r, seq, &v) || r.client == NULL || strcmp(r.client, x->client) != 0)
		return damaged(seq);
	if (r.time_ms < x->since_ms || r.time_ms > x->until_ms)
		return SK_OK;
	if (x->n == x->cap) {
		if (x->cap >= AUDIT_EXTRA_MAX) {
			sk_error_set("more than %d audit records about one client",
				     AUDIT_EXTRA_MAX);
			return SK_ERR_TOOBIG;
		}
		cap = x->cap == 0 ? 64 : x->cap * 2;
		if (cap > AUDIT_EXTRA_MAX)
			cap = AUDIT_EXTRA_MAX;
		if ((nv = realloc(x->v, cap * sizeof(*nv))) == NULL)
			return SK_ERR_NOMEM;
		x->v = nv;
		x->cap = cap;
	}
	x->v[x->n++] = (scan_pos){r.time_ms, seq};
	return SK_OK;
}

/* Collects the owner's records about client into x->v in scan order, each
 * once. */
static sk_status extra_collect(struct extra_set *x)
{
	audit_base base;
	size_t j = 0;
	sk_status st;

	if ((st = audit_log_base(x->log, x->txn, &base)) != SK_OK)
		return st;
	x->base_seq = base.seq;
	if ((st = x->log->extra(x->txn, x->client, extra_add, x, x->log->extra_ctx)) != SK_OK)
		return st;
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), scan_pos_cmp);
	for (size_t i = 0; i < x->n; i++)
		if (j == 0 || x->v[i].seq != x->v[j - 1].seq)
			x->v[j++] = x->v[i];
	x->n = j;
	return SK_OK;
}

/* Reads record seq, expected at time t, checks it against the scan (as
 * its index entry says) and calls fn with it. */
static sk_status scan_emit(const audit_log *log, MDB_txn *txn, void *scratch, audit_index by,
			   const char *key, uint64_t t, uint64_t seq, audit_scan_fn fn, void *arg)
{
	uint8_t kb[8];
	MDB_val k = {sizeof(kb), kb}, v;
	audit_record r;
	const char *field;
	int rc;

	sk_be64_put(kb, seq);
	if ((rc = mdb_get(txn, log->records, &k, &v)) != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	if (rc == MDB_NOTFOUND ||
	    audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, v.mv_data, v.mv_size) != SK_OK ||
	    !stored_ok(&r, seq, &v) || r.time_ms != t || (field = index_field(&r, by)) == NULL ||
	    (by != AUDIT_BY_TIME && strcmp(field, key) != 0))
		return damaged(seq);
	return fn(&r, arg);
}

/* The index by (key's records) in time order, oldest first or with rev
 * newest first, the owner's own records (log->extra) merged in. */
static sk_status scan_index(const audit_log *log, MDB_txn *txn, audit_index by, const char *key,
			    uint64_t since_ms, uint64_t until_ms, int rev, audit_scan_fn fn,
			    void *arg)
{
	void *scratch = malloc(AUDIT_SCRATCH_BYTES);
	uint8_t edge[INDEX_KEY_MAX];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	struct extra_set x = {0};
	const scan_pos *e;
	uint64_t t, seq;
	size_t n, plen, xi = 0;
	sk_status st = SK_ERR_NOMEM;
	int rc;

	if ((unsigned)by >= NINDEX || (by == AUDIT_BY_TIME) != (key == NULL))
		abort(); /* programmer misuse */
	if (scratch == NULL)
		goto out;
	st = SK_OK;
	if (until_ms == 0)
		until_ms = UINT64_MAX;
	/* where the scan starts: the first key of since, or the last of until */
	n = rev ? index_key(edge, by, key, until_ms, UINT64_MAX) : index_key(edge, by, key, since_ms, 0);
	if (n == 0 || since_ms > until_ms)
		goto out; /* no record holds such a field */
	plen = n - 16;
	/* the owner's records first, to merge into the index's order */
	if (by == AUDIT_BY_CLIENT && log->extra != NULL) {
		x = (struct extra_set){log, txn, key, since_ms, until_ms, 0, scratch, NULL, 0, 0};
		if ((st = extra_collect(&x)) != SK_OK)
			goto out;
	}
/* the owner's record xi in scan order */
#define EXTRA(i) (&x.v[rev ? x.n - 1 - (i) : (i)])
	if ((rc = mdb_cursor_open(txn, log->index[by], &c)) != 0) {
		st = sk_db_status(rc);
		goto out;
	}
	k = (MDB_val){n, edge};
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rev && rc == MDB_NOTFOUND) /* the last key before edge */
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	else if (rev && rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, rev ? MDB_PREV : MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, edge, plen) != 0)
			break; /* past this client or user */
		if (k.mv_size != plen + 16) {
			sk_error_set("the audit index is damaged; run audit verify");
			st = SK_ERR_VERIFY;
			goto out;
		}
		t = sk_be64_get((const uint8_t *)k.mv_data + plen);
		seq = sk_be64_get((const uint8_t *)k.mv_data + plen + 8);
		if (rev ? t < since_ms : t > until_ms)
			break;
		for (; xi < x.n; xi++) {
			int cmp = scan_pos_cmp(EXTRA(xi), &(scan_pos){t, seq});

			if (rev ? cmp <= 0 : cmp >= 0)
				break;
			e = EXTRA(xi);
			if ((st = scan_emit(log, txn, scratch, by, key, e->time_ms, e->seq, fn, arg)) !=
			    SK_OK)
				goto out;
		}
		if (xi < x.n && EXTRA(xi)->seq == seq)
			xi++; /* in both: once */
		if ((st = scan_emit(log, txn, scratch, by, key, t, seq, fn, arg)) != SK_OK)
			goto out;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto out;
	}
	for (; xi < x.n; xi++) {
		e = EXTRA(xi);
		if ((st = scan_emit(log, txn, scratch, by, key, e->time_ms, e->seq, fn, arg)) != SK_OK)
			goto out;
	}
#undef EXTRA
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(x.v);
	free(scratch);
	return st;
}

sk_status audit_log_scan_index(const audit_log *log, MDB_txn *txn, audit_index by,
			       const char *key, uint64_t since_ms, uint64_t until_ms,
			       audit_scan_fn fn, void *arg)
{
	return scan_index(log, txn, by, key, since_ms, until_ms, 0, fn, arg);
}

sk_status audit_log_scan_index_rev(const audit_log *log, MDB_txn *txn, audit_index by,
				   const char *key, uint64_t since_ms, uint64_t until_ms,
				   audit_scan_fn fn, void *arg)
{
	return scan_index(log, txn, by, key, since_ms, until_ms, 1, fn, arg);
}

/* Removes rec (stored under kb) and its index entries. */
static sk_status purge_one(const audit_log *log, MDB_txn *txn, const audit_record *rec)
{
	uint8_t kb[INDEX_KEY_MAX];
	MDB_val k = {0, kb};
	int rc;

	for (int by = 0; by < NINDEX; by++) {
		const char *field = index_field(rec, (audit_index)by);

		if (field == NULL)
			continue;
		if ((k.mv_size = index_key(kb, (audit_index)by, field, rec->time_ms, rec->seq)) == 0)
			return SK_ERR_TOOBIG;
		if ((rc = mdb_del(txn, log->index[by], &k, NULL)) != 0 && rc != MDB_NOTFOUND)
			return sk_db_status(rc);
	}
	sk_be64_put(kb, rec->seq);
	k.mv_size = 8;
	return sk_db_status(mdb_del(txn, log->records, &k, NULL));
}

static uint64_t now_ms_real(void)
{
	return sk_clock_now_ms();
}

sk_status audit_log_purge(audit_log *log, MDB_txn *txn, uint64_t now_ms, size_t max,
			  audit_purge_fn each, void *arg, const uint8_t sk[KEY_ED25519_SK_BYTES],
			  audit_purge_result *res)
{
	void *scratch = malloc(AUDIT_SCRATCH_BYTES);
	uint8_t kb[8], head[AUDIT_HASH_BYTES], seq_b[8], time_b[8], b[BASE_BYTES];
	char until[AUDIT_TIME_BYTES], hash_hex[2 * AUDIT_HASH_BYTES + 1];
	char sig_hex[2 * KEY_SIG_BYTES + 1];
	MDB_val k, v;
	MDB_cursor *c = NULL;
	audit_record r;
	audit_hold hold;
	audit_base base;
	key_part parts[3];
	uint64_t head_seq;
	sk_status st;
	int rc;

	memset(res, 0, sizeof(*res));
	if (scratch == NULL)
		return SK_ERR_NOMEM;
	if (max == 0)
		max = AUDIT_PURGE_BATCH;
	if ((st = audit_log_hold_get(log, txn, &hold)) != SK_OK ||
	    (st = audit_log_base(log, txn, &base)) != SK_OK ||
	    (st = read_head(log, txn, &head_seq, head)) != SK_OK)
		goto out;
	/* in force now or at the time purged for: either blocks */
	if (hold.until_ms > now_ms || hold.until_ms > now_ms_real()) {
		audit_time_format(until, hold.until_ms);
		sk_error_set("a legal hold until %s blocks the purge (%s); release it with 'audit "
			     "hold --release'", until, hold.reason);
		st = SK_ERR_PERM;
		goto out;
	}
	if ((st = sk_db_status(mdb_cursor_open(txn, log->records, &c))) != SK_OK)
		goto out;
	/* collect the due prefix; delete after, the cursor walks the keys */
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && res->count < max;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t seq = k.mv_size == 8 ? sk_be64_get(k.mv_data) : 0;

		if (seq == 0 || seq != base.seq + res->count + 1 ||
		    audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, v.mv_data, v.mv_size) !=
			    SK_OK ||
		    !stored_ok(&r, seq, &v)) {
			st = damaged(seq ? seq : base.seq + res->count + 1);
			goto out;
		}
		if (seq >= head_seq || r.retain_until_ms >= now_ms)
			break;
		if (each != NULL && sk != NULL && (st = each(txn, &r, arg)) != SK_OK)
			goto out;
		if (res->count++ == 0)
			res->first = seq;
		res->last = seq;
		memcpy(res->hash, r.hash, AUDIT_HASH_BYTES);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto out;
	}
	mdb_cursor_close(c);
	c = NULL;
	if (res->count == 0 || sk == NULL)
		goto out;
	/* delete first..last: each is read again for its index keys */
	for (uint64_t seq = res->first; seq <= res->last; seq++) {
		sk_be64_put(kb, seq);
		k = (MDB_val){8, kb};
		if ((rc = mdb_get(txn, log->records, &k, &v)) != 0) {
			st = sk_db_status(rc);
			goto out;
		}
		if ((st = audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, v.mv_data,
					    v.mv_size)) != SK_OK ||
		    (st = purge_one(log, txn, &r)) != SK_OK)
			goto out;
	}
	base.seq = res->last;
	memcpy(base.hash, res->hash, AUDIT_HASH_BYTES);
	base.time_ms = now_ms;
	base_parts(parts, seq_b, time_b, &base);
	if ((st = key_sign_parts(base.sig, WIRE_DOMAIN_AUDIT_PURGE, parts, 3, sk)) != SK_OK)
		goto out;
	memcpy(b, seq_b, 8);
	memcpy(b + 8, base.hash, AUDIT_HASH_BYTES);
	memcpy(b + 8 + AUDIT_HASH_BYTES, time_b, 8);
	memcpy(b + 16 + AUDIT_HASH_BYTES, base.sig, KEY_SIG_BYTES);
	k = (MDB_val){sizeof(AUDIT_META_BASE) - 1, (void *)AUDIT_META_BASE};
	v = (MDB_val){sizeof(b), b};
	if ((st = sk_db_status(mdb_put(txn, log->meta, &k, &v, 0))) != SK_OK)
		goto out;
	sodium_bin2hex(hash_hex, sizeof(hash_hex), base.hash, AUDIT_HASH_BYTES);
	sodium_bin2hex(sig_hex, sizeof(sig_hex), base.sig, KEY_SIG_BYTES);
	snprintf(res->reason, sizeof(res->reason),
		 "retention: purged records %" PRIu64 "-%" PRIu64 " (%" PRIu64
		 ") past their retain-until; chain hash at %" PRIu64 ": %s; marker "
		 "signature (%s): %s",
		 res->first, res->last, res->count, res->last, hash_hex, WIRE_DOMAIN_AUDIT_PURGE,
		 sig_hex);
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(scratch);
	return st;
}

struct extra_find {
	uint64_t seq;
	bool found;
};

static sk_status extra_find_one(uint64_t seq, void *arg)
{
	struct extra_find *f = arg;

	f->found |= seq == f->seq;
	return SK_OK;
}

/* SK_OK when rec is in every index that applies to it, the client index
 * but for a record the owner's rule exempts and the owner names;
 * SK_ERR_NOTFOUND when it is missing. */
static sk_status index_check(const audit_log *log, MDB_txn *txn, const audit_record *rec)
{
	bool owned = log->exempt != NULL && rec->client != NULL && log->exempt(rec);
	uint8_t kb[INDEX_KEY_MAX];
	MDB_val k = {0, kb}, v;
	struct extra_find f = {rec->seq, false};
	sk_status st;
	int rc;

	if ((st = index_record(log, txn, rec, true, owned)) != SK_OK || !owned)
		return st;
	if ((k.mv_size = index_key(kb, AUDIT_BY_CLIENT, rec->client, rec->time_ms, rec->seq)) == 0)
		return SK_ERR_TOOBIG;
	if ((rc = mdb_get(txn, log->index[AUDIT_BY_CLIENT], &k, &v)) != MDB_NOTFOUND)
		return sk_db_status(rc); /* indexed after all (the owner's list was full) */
	if (log->extra == NULL)
		return SK_ERR_NOTFOUND;
	/* only the owner's enumeration proves a client query finds it */
	if ((st = log->extra(txn, rec->client, extra_find_one, &f, log->extra_ctx)) != SK_OK)
		return st;
	return f.found ? SK_OK : SK_ERR_NOTFOUND;
}

/* One stretch of the chain: the records from `from` on (through `to`, or
 * to the end when to is 0), each checked as audit_log_verify says, the
 * first linked to prev. On a break, *bad and *why say where and what. */
typedef struct verify_range {
	const audit_log *log;
	MDB_txn *txn;
	uint64_t from, to, base_seq;
	uint8_t prev[AUDIT_HASH_BYTES]; /* in: before from; out: the last record's */
	uint64_t last;                  /* out: the last seq checked (from - 1: none) */
	uint64_t bad;
	const char *why;
	sk_status st;
} verify_range;

static void verify_stretch(verify_range *v)
{
	void *scratch = malloc(AUDIT_SCRATCH_BYTES);
	uint8_t kb[8];
	MDB_cursor *c = NULL;
	MDB_val k = {8, kb}, val;
	audit_record r;
	uint64_t expect = v->from;
	int rc;

	v->last = v->from - 1;
	v->st = SK_ERR_NOMEM;
	if (scratch == NULL)
		return;
	if ((rc = mdb_cursor_open(v->txn, v->log->records, &c)) != 0) {
		v->st = sk_db_status(rc);
		goto out;
	}
	v->st = SK_OK;
	sk_be64_put(kb, v->from);
	/* the first stretch starts at the first key: a record kept below the
	 * base must show */
	for (rc = v->from == v->base_seq + 1 ? mdb_cursor_get(c, &k, &val, MDB_FIRST)
					     : mdb_cursor_get(c, &k, &val, MDB_SET_RANGE);
	     rc == 0 && (v->to == 0 || expect <= v->to);
	     rc = mdb_cursor_get(c, &k, &val, MDB_NEXT), expect++) {
		if (k.mv_size == 8 && sk_be64_get(k.mv_data) <= v->base_seq)
			v->why = "kept although the log says it was purged";
		else if (k.mv_size != 8 || sk_be64_get(k.mv_data) < expect)
			v->why = "stored under a malformed key";
		else if (sk_be64_get(k.mv_data) > expect)
			v->why = "missing";
		else if (audit_record_view(&r, scratch, AUDIT_SCRATCH_BYTES, val.mv_data,
					   val.mv_size) != SK_OK)
			v->why = "not a valid audit record";
		else if (r.seq != expect)
			v->why = "stored under another sequence number";
		else if (memcmp(r.prev_hash, v->prev, AUDIT_HASH_BYTES) != 0)
			v->why = "not linked to the record before it";
		else if (audit_record_verify(val.mv_data, val.mv_size, v->prev) != SK_OK)
			v->why = "altered: its hash does not match its contents";
		else if ((v->st = index_check(v->log, v->txn, &r)) == SK_ERR_NOTFOUND)
			v->why = "missing from the audit index, so queries would not show it";
		else if (v->st != SK_OK)
			goto out;
		if (v->why != NULL) {
			v->bad = k.mv_size == 8 && sk_be64_get(k.mv_data) <= v->base_seq
					 ? sk_be64_get(k.mv_data) : expect;
			v->st = SK_OK;
			goto out;
		}
		memcpy(v->prev, r.hash, AUDIT_HASH_BYTES);
		v->last = expect;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		v->st = sk_db_status(rc);
	else if (v->to != 0 && v->last != v->to && v->why == NULL) {
		v->bad = v->last + 1;
		v->why = "missing";
	}
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(scratch);
}

static void *verify_thread(void *arg)
{
	verify_range *v = arg;

	verify_stretch(v);
	return NULL;
}

/* The stored hash of record seq (the chain's value at it). */
static sk_status stored_hash(const audit_log *log, MDB_txn *txn, uint64_t seq,
			     uint8_t out[static AUDIT_HASH_BYTES])
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int rc;

	sk_be64_put(kb, seq);
	if ((rc = mdb_get(txn, log->records, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? SK_ERR_NOTFOUND : sk_db_status(rc);
	if (v.mv_size <= AUDIT_HASH_BYTES)
		return SK_ERR_NOTFOUND;
	memcpy(out, (const uint8_t *)v.mv_data + v.mv_size - AUDIT_HASH_BYTES, AUDIT_HASH_BYTES);
	return SK_OK;
}

sk_status audit_log_verify(const audit_log *log, MDB_txn *txn, uint64_t *count,
			   uint64_t *first_bad_seq)
{
	verify_range a = {0}, b = {0};
	MDB_txn *txn_b = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	pthread_t tid;
	uint8_t head[AUDIT_HASH_BYTES];
	uint64_t expect, head_seq, bad = 0, last_key = 0;
	audit_base base;
	const char *why = NULL; /* set: the chain breaks at bad */
	int two = 0, rc;
	sk_status st;

	if (count != NULL)
		*count = 0;
	if (first_bad_seq != NULL)
		*first_bad_seq = 0;
	if ((st = audit_log_base(log, txn, &base)) != SK_OK || (st = base_check(log, &base)) != SK_OK) {
		if (st == SK_ERR_VERIFY && first_bad_seq != NULL)
			*first_bad_seq = base.seq + 1;
		return st;
	}
	/* after a purge the chain starts at the signed base */
	a = (verify_range){log, txn, base.seq + 1, 0, base.seq, {0}, 0, 0, NULL, SK_OK};
	memcpy(a.prev, base.hash, AUDIT_HASH_BYTES);
	if ((rc = mdb_cursor_open(txn, log->records, &c)) != 0)
		return sk_db_status(rc);
	if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
		last_key = sk_be64_get(k.mv_data);
	mdb_cursor_close(c);
	/* a long log: its second half on a thread of its own, with a read
	 * transaction of the same snapshot, starting from the stored hash the
	 * first half must end on */
	if (last_key > a.from && last_key - a.from >= AUDIT_VERIFY_SPLIT &&
	    mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn_b) == 0) {
		b = a;
		b.txn = txn_b;
		b.from = a.from + (last_key - a.from) / 2;
		a.to = b.from - 1;
		if (mdb_txn_id(txn_b) == mdb_txn_id(txn) &&
		    stored_hash(log, txn, b.from - 1, b.prev) == SK_OK &&
		    pthread_create(&tid, NULL, verify_thread, &b) == 0)
			two = 1;
		else
			a.to = 0;
	}
	verify_stretch(&a);
	if (two)
		pthread_join(tid, NULL);
	if (txn_b != NULL)
		mdb_txn_abort(txn_b);
	if ((st = a.st) != SK_OK || (two && (st = b.st) != SK_OK))
		return st;
	if (a.why != NULL) {
		why = a.why;
		bad = a.bad;
		goto out;
	}
	if (two && b.why != NULL) {
		why = b.why;
		bad = b.bad;
		goto out;
	}
	if (two) { /* the halves meet: a ended on the hash b started from */
		memcpy(a.prev, b.prev, AUDIT_HASH_BYTES);
		a.last = b.last;
	}
	expect = a.last; /* the last seq (base.seq when no record is left) */
	st = read_head(log, txn, &head_seq, head);
	if (st == SK_ERR_VERIFY) {
		bad = expect == 0 ? 1 : expect;
		why = "not the head: the head is malformed";
	} else if (st == SK_OK && head_seq != expect) {
		bad = (head_seq < expect ? head_seq : expect) + 1;
		why = head_seq > expect ? "missing: the head names a later record"
					: "past the head of the log";
	} else if (st == SK_OK && memcmp(head, a.prev, AUDIT_HASH_BYTES) != 0) {
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
	return st;
}
