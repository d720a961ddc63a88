#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "protos/rollover.h"
#include "witness/witness.h"

#define HASH_B64 44 /* canonical base64 of 32 bytes */
#define STATE_HEAD (8 + MERKLE_HASH_BYTES)
/* Rollover links live next to the origins' states under keys that start
 * with a NUL byte, which no origin does: NEXT || old -> the origin that
 * replaced it (the old one is closed), PREV || new -> the origin it
 * replaced (its key is the old one's, under the new name). */
#define LINK_NEXT "\0next\0"
#define LINK_PREV "\0prev\0"
#define LINK_TAG 6
#define LINK_KEY_MAX (LINK_TAG + NOTE_ORIGIN_MAX)
#define ROLLOVER_HOPS_MAX 64 /* rollovers one log may go through */

struct wit_witness {
	MDB_env *env;
	MDB_dbi db;
	size_t n;
	note_verifier logs[WIT_LOGS_MAX];
	const note_signer *cosigner;
};

/* A decimal without sign or leading zeros ("0" alone) ending at '\n'. */
static int parse_size(const uint8_t *p, size_t len, uint64_t *v, size_t *used)
{
	size_t i = 0;

	*v = 0;
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		uint64_t d = (uint64_t)(p[i] - '0');

		if (i == 1 && p[0] == '0')
			return 0;
		if (*v > (UINT64_MAX - d) / 10)
			return 0;
		*v = *v * 10 + d;
		i++;
	}
	if (i == 0 || i >= len || p[i] != '\n')
		return 0;
	*used = i + 1;
	return 1;
}

/* One canonical base64 hash: decodes and re-encodes to the same text. */
static int parse_hash(const char *b64, uint8_t out[static MERKLE_HASH_BYTES])
{
	char again[HASH_B64 + 1];
	size_t n = 0;

	if (sodium_base642bin(out, MERKLE_HASH_BYTES, b64, HASH_B64, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != MERKLE_HASH_BYTES)
		return 0;
	sodium_bin2base64(again, sizeof(again), out, MERKLE_HASH_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	return memcmp(again, b64, HASH_B64) == 0;
}

sk_status wit_request_parse(wit_request *r, const uint8_t *body, size_t len)
{
	size_t pos, used;

	memset(r, 0, sizeof(*r));
	if (len > WIT_BODY_MAX || len < 4 || memcmp(body, "old ", 4) != 0 ||
	    !parse_size(body + 4, len - 4, &r->old_size, &used))
		return SK_ERR_INVALID;
	pos = 4 + used;
	for (;;) {
		if (pos >= len)
			return SK_ERR_INVALID;
		if (body[pos] == '\n') {
			pos++;
			break;
		}
		if (r->proof_len == WIT_PROOF_MAX || len - pos < HASH_B64 + 1 ||
		    body[pos + HASH_B64] != '\n' ||
		    !parse_hash((const char *)body + pos, r->proof + r->proof_len * MERKLE_HASH_BYTES))
			goto bad;
		r->proof_len++;
		pos += HASH_B64 + 1;
	}
	if (pos == len)
		goto bad;
	r->note = body + pos;
	r->note_len = len - pos;
	return SK_OK;
bad:
	memset(r, 0, sizeof(*r));
	return SK_ERR_INVALID;
}

sk_status wit_request_format(uint8_t **out, size_t *out_len, uint64_t old_size,
			     const uint8_t *proof, size_t proof_len, const uint8_t *note,
			     size_t note_len)
{
	size_t cap, pos;
	uint8_t *b;
	int n;

	*out = NULL;
	*out_len = 0;
	if (proof_len > WIT_PROOF_MAX || note_len > NOTE_MAX_BYTES)
		return SK_ERR_TOOBIG;
	cap = 32 + proof_len * (HASH_B64 + 1) + 1 + note_len;
	if ((b = malloc(cap)) == NULL)
		return SK_ERR_NOMEM;
	n = snprintf((char *)b, cap, "old %llu\n", (unsigned long long)old_size);
	pos = (size_t)n;
	for (size_t i = 0; i < proof_len; i++) {
		sodium_bin2base64((char *)b + pos, HASH_B64 + 1, proof + i * MERKLE_HASH_BYTES,
				  MERKLE_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL);
		pos += HASH_B64;
		b[pos++] = '\n';
	}
	b[pos++] = '\n';
	memcpy(b + pos, note, note_len);
	*out = b;
	*out_len = pos + note_len;
	return SK_OK;
}

sk_status wit_open(wit_witness **out, MDB_env *env, const note_verifier *logs, size_t n,
		   const note_signer *cosigner)
{
	wit_witness *w;
	sk_status st;

	*out = NULL;
	if (n > WIT_LOGS_MAX)
		return SK_ERR_TOOBIG;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_dbi(env, WIT_DBI, MDB_CREATE, &w->db)) != SK_OK) {
		free(w);
		return st;
	}
	w->env = env;
	w->n = n;
	memcpy(w->logs, logs, n * sizeof(*logs));
	w->cosigner = cosigner;
	*out = w;
	return SK_OK;
}

void wit_close(wit_witness *w)
{
	free(w);
}

static void reply(wit_reply *out, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply(wit_reply *out, int status, const char *fmt, ...)
{
	va_list ap;
	int n;

	out->status = status;
	out->content_type = WIT_CONTENT_TEXT;
	va_start(ap, fmt);
	n = vsnprintf(out->body, sizeof(out->body), fmt, ap);
	va_end(ap);
	out->len = n < 0 ? 0 : (size_t)n < sizeof(out->body) ? (size_t)n : sizeof(out->body) - 1;
}

/* The checkpoint body of a signed note: up to and with the line before
 * the first empty line. 0 if there is none. */
static size_t note_text_len(const uint8_t *note, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (note[i] == '\n' && note[i + 1] == '\n')
			return i + 1;
	return 0;
}

/* The origin of a signed note: its first line, copied NUL-terminated. */
static int note_origin(char out[static NOTE_ORIGIN_MAX + 1], const uint8_t *note, size_t len)
{
	const uint8_t *nl = memchr(note, '\n', len);
	size_t olen = nl != NULL ? (size_t)(nl - note) : 0;

	if (olen == 0 || olen > NOTE_ORIGIN_MAX || memchr(note, 0, olen) != NULL)
		return 0;
	memcpy(out, note, olen);
	out[olen] = 0;
	return 1;
}

/* The link of origin under tag (LINK_NEXT or LINK_PREV) as of txn: 1 with
 * the linked origin in out, 0 when there is none, -1 when it cannot be
 * read. */
static int link_get(const wit_witness *w, MDB_txn *txn, const char *tag, const char *origin,
		    char out[static NOTE_ORIGIN_MAX + 1])
{
	uint8_t kb[LINK_KEY_MAX];
	size_t olen = strlen(origin);
	MDB_val k = {LINK_TAG + olen, kb}, d;
	int rc;

	if (olen > NOTE_ORIGIN_MAX)
		return -1;
	memcpy(kb, tag, LINK_TAG);
	memcpy(kb + LINK_TAG, origin, olen);
	if ((rc = mdb_get(txn, w->db, &k, &d)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0 || d.mv_size == 0 || d.mv_size > NOTE_ORIGIN_MAX)
		return -1;
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = 0;
	return 1;
}

static sk_status link_put(const wit_witness *w, MDB_txn *txn, const char *tag, const char *origin,
			  const char *to)
{
	uint8_t kb[LINK_KEY_MAX];
	size_t olen = strlen(origin);
	MDB_val k = {LINK_TAG + olen, kb}, d = {strlen(to), (void *)to};

	memcpy(kb, tag, LINK_TAG);
	memcpy(kb + LINK_TAG, origin, olen);
	return sk_db_status(mdb_put(txn, w->db, &k, &d, MDB_NOOVERWRITE));
}

/* The log key for origin as of txn: a configured one, or, for an origin
 * that replaced one by a rollover, the key of the log it replaced under
 * the new name. 1 found, 0 unknown, -1 state unreadable. */
static int find_log(const wit_witness *w, MDB_txn *txn, const char *origin, note_verifier *out)
{
	char at[NOTE_ORIGIN_MAX + 1], prev[NOTE_ORIGIN_MAX + 1];
	size_t olen = strlen(origin);

	memcpy(at, origin, olen + 1);
	for (unsigned hop = 0; hop <= ROLLOVER_HOPS_MAX; hop++) {
		int rc;

		for (size_t i = 0; i < w->n; i++)
			if (w->logs[i].name_len == strlen(at) && memcmp(w->logs[i].name, at, strlen(at)) == 0)
				return note_verifier_from_public(out, origin, NOTE_TYPE_ED25519,
								 w->logs[i].public_key) == SK_OK
					       ? 1
					       : -1;
		if ((rc = link_get(w, txn, LINK_PREV, at, prev)) <= 0)
			return rc;
		memcpy(at, prev, strlen(prev) + 1);
	}
	return -1;
}

/* Checks rq against the stored state in txn; 0 to cosign, else the status. */
static int check(wit_witness *w, MDB_txn *txn, const wit_request *rq, const note_checkpoint *cp,
		 uint64_t *stored_size, wit_reply *out)
{
	MDB_val k = {strlen(cp->origin), (void *)cp->origin}, d;
	uint8_t stored_root[MERKLE_HASH_BYTES], empty[MERKLE_HASH_BYTES];
	int rc = mdb_get(txn, w->db, &k, &d);

	*stored_size = 0;
	if (rc == 0) {
		if (d.mv_size < STATE_HEAD) {
			reply(out, 500, "the witness state is damaged\n");
			return 500;
		}
		*stored_size = sk_be64_get(d.mv_data);
		memcpy(stored_root, (uint8_t *)d.mv_data + 8, MERKLE_HASH_BYTES);
	} else if (rc != MDB_NOTFOUND) {
		reply(out, 500, "the witness state cannot be read\n");
		return 500;
	}
	if (rq->old_size != *stored_size) {
		out->status = 409;
		out->content_type = WIT_CONTENT_SIZE;
		out->len = (size_t)snprintf(out->body, sizeof(out->body), "%llu\n",
					    (unsigned long long)*stored_size);
		return 409;
	}
	merkle_empty_root(empty);
	if (cp->size == 0 && memcmp(cp->root, empty, MERKLE_HASH_BYTES) != 0) {
		reply(out, 422, "an empty tree with a root other than the empty root\n");
		return 422;
	}
	if (rq->old_size == 0) {
		if (rq->proof_len != 0) {
			reply(out, 422, "a consistency proof from the empty tree must be empty\n");
			return 422;
		}
		return 0;
	}
	if (merkle_consistency_verify(stored_root, cp->root, rq->old_size, cp->size, rq->proof,
				      rq->proof_len) != SK_OK) {
		reply(out, 422, "the checkpoint is not consistent with the one cosigned before\n");
		return 422;
	}
	return 0;
}

/* Cosigns note (its checkpoint cp, text_len bytes of text) at now,
 * stores it as the latest for cp's origin and commits txn, which the call
 * owns from here: the answer in out (200 with the cosignature line). */
static void cosign_commit(wit_witness *w, MDB_txn *txn, const uint8_t *note, size_t note_len,
			  size_t text_len, const note_checkpoint *cp, uint64_t now, wit_reply *out)
{
	uint8_t *cosigned = NULL;
	size_t clen = 0, line_len = 0;
	MDB_val k, d;

	if (note_checkpoint_cosign(&cosigned, &clen, note, note_len, now, w->cosigner) != SK_OK ||
	    note_cosign_line(out->body, &line_len, note, text_len, now, w->cosigner) != SK_OK) {
		reply(out, 500, "cosigning failed\n");
		goto out;
	}
	k = (MDB_val){strlen(cp->origin), (void *)cp->origin};
	d = (MDB_val){STATE_HEAD + clen, NULL};
	if (mdb_put(txn, w->db, &k, &d, MDB_RESERVE) != 0) {
		reply(out, 503, "the witness state cannot be written\n");
		goto out;
	}
	sk_be64_put(d.mv_data, cp->size);
	memcpy((uint8_t *)d.mv_data + 8, cp->root, MERKLE_HASH_BYTES);
	memcpy((uint8_t *)d.mv_data + STATE_HEAD, cosigned, clen);
	/* durable before the cosignature leaves */
	if (mdb_txn_commit(txn) != 0) {
		txn = NULL;
		reply(out, 503, "the witness state cannot be written\n");
		goto out;
	}
	txn = NULL;
	out->status = 200;
	out->content_type = WIT_CONTENT_TEXT;
	out->len = line_len;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(cosigned);
}

/* The log key of note's origin as of txn into *log; 0, or the status
 * answered. */
static int resolve_log(wit_witness *w, MDB_txn *txn, const uint8_t *note, size_t len,
		       note_verifier *log, wit_reply *out)
{
	char origin[NOTE_ORIGIN_MAX + 1];
	int rc;

	if (!note_origin(origin, note, len)) {
		reply(out, 400, "malformed checkpoint\n");
		return 400;
	}
	if ((rc = find_log(w, txn, origin, log)) < 0) {
		reply(out, 500, "the witness state cannot be read\n");
		return 500;
	}
	if (rc == 0) {
		reply(out, 404, "unknown log\n");
		return 404;
	}
	return 0;
}

void wit_add_checkpoint(wit_witness *w, const uint8_t *body, size_t len, uint64_t now,
			wit_reply *out)
{
	wit_request *rq = NULL;
	note_verifier log;
	note_checkpoint cp;
	MDB_txn *txn = NULL;
	char next[NOTE_ORIGIN_MAX + 1];
	size_t text_len;
	uint64_t stored;
	sk_status st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rq = malloc(sizeof(*rq))) == NULL) {
		reply(out, 503, "out of memory\n");
		return;
	}
	if (wit_request_parse(rq, body, len) != SK_OK ||
	    (text_len = note_text_len(rq->note, rq->note_len)) == 0) {
		reply(out, 400, "malformed add-checkpoint request\n");
		goto out;
	}
	if (mdb_txn_begin(w->env, NULL, 0, &txn) != 0) {
		reply(out, 503, "the witness state is busy\n");
		goto out;
	}
	if (resolve_log(w, txn, rq->note, rq->note_len, &log, out) != 0)
		goto out;
	st = note_checkpoint_open(&cp, NULL, rq->note, rq->note_len, &log, NULL, 0);
	if (st == SK_ERR_VERIFY) {
		reply(out, 403, "the log's signature does not verify\n");
		goto out;
	}
	if (st != SK_OK) {
		reply(out, st == SK_ERR_NOMEM ? 503 : 400, "malformed checkpoint\n");
		goto out;
	}
	if (rq->old_size > cp.size) {
		reply(out, 400, "the old size exceeds the checkpoint's size\n");
		goto out;
	}
	/* a log that rolled over is closed: its key signs nothing more here */
	if ((rc = link_get(w, txn, LINK_NEXT, cp.origin, next)) != 0) {
		if (rc < 0)
			reply(out, 500, "the witness state cannot be read\n");
		else
			reply(out, 410, "this log rolled over to %s\n", next);
		goto out;
	}
	if (check(w, txn, rq, &cp, &stored, out) != 0)
		goto out;
	cosign_commit(w, txn, rq->note, rq->note_len, text_len, &cp, now, out);
	txn = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(rq);
}

/* The stored state of origin as of txn: 1 with size and root, 0 none,
 * -1 unreadable. */
static int stored_state(const wit_witness *w, MDB_txn *txn, const char *origin, uint64_t *size,
			uint8_t root[static MERKLE_HASH_BYTES])
{
	MDB_val k = {strlen(origin), (void *)origin}, d;
	int rc = mdb_get(txn, w->db, &k, &d);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0 || d.mv_size < STATE_HEAD)
		return -1;
	*size = sk_be64_get(d.mv_data);
	memcpy(root, (uint8_t *)d.mv_data + 8, MERKLE_HASH_BYTES);
	return 1;
}

sk_status wit_rollover_request_parse(Schakel__V1__RolloverRequest **out, const uint8_t *body,
				     size_t len)
{
	Schakel__V1__RolloverRequest *rq;

	*out = NULL;
	if (len > WIRE_ROLLOVER_REQUEST_MAX)
		return SK_ERR_TOOBIG;
	if ((rq = schakel__v1__rollover_request__unpack(NULL, len, body)) == NULL)
		return SK_ERR_INVALID;
	if (rq->base.n_unknown_fields != 0 || rq->statement->base.n_unknown_fields != 0 ||
	    rq->statement->signature.len != KEY_SIG_BYTES ||
	    rq->statement->body.len > WIRE_ROLLOVER_BODY_MAX || rq->checkpoint.len == 0 ||
	    rq->checkpoint.len > WIRE_ROLLOVER_NOTE_MAX ||
	    rq->inclusion_proof.len % MERKLE_HASH_BYTES != 0 ||
	    rq->inclusion_proof.len / MERKLE_HASH_BYTES > WIRE_ROLLOVER_PROOF_MAX ||
	    rq->consistency_proof.len % MERKLE_HASH_BYTES != 0 ||
	    rq->consistency_proof.len / MERKLE_HASH_BYTES > WIRE_ROLLOVER_PROOF_MAX) {
		schakel__v1__rollover_request__free_unpacked(rq, NULL);
		return SK_ERR_INVALID;
	}
	*out = rq;
	return SK_OK;
}

/* Checks a parsed rollover request in txn against what this witness
 * cosigned; 0 with the new checkpoint in *cp to cosign, else the status
 * answered. */
static int rollover_check(wit_witness *w, MDB_txn *txn, const Schakel__V1__RolloverRequest *rq,
			  note_checkpoint *cp, wit_reply *out)
{
	const Schakel__V1__SignedRollover *sr = rq->statement;
	wire_rollover ro = {0};
	note_verifier old_log, new_log;
	uint8_t root[MERKLE_HASH_BYTES];
	char link[NOTE_ORIGIN_MAX + 1];
	uint64_t size = 0;
	sk_status st;
	int rc, ret = 0;

	/* the old origin's key, as configured or carried through rollovers */
	if ((st = wire_rollover_parse(&ro, sr->body.data, sr->body.len)) != SK_OK) {
		reply(out, 400, "malformed rollover statement\n");
		return 400;
	}
	rc = find_log(w, txn, ro.st->old_origin, &old_log);
	wire_rollover_free(&ro);
	if (rc <= 0) {
		reply(out, rc < 0 ? 500 : 404, rc < 0 ? "the witness state cannot be read\n"
						       : "unknown log\n");
		return out->status;
	}
	if ((st = wire_rollover_check(&ro, sr->body.data, sr->body.len, sr->signature.data,
				      old_log.public_key, NULL, 0, NULL)) != SK_OK) {
		reply(out, st == SK_ERR_VERIFY ? 403 : st == SK_ERR_NOMEM ? 503 : 400,
		      st == SK_ERR_VERIFY ? "the rollover statement's signatures do not verify\n"
					  : "malformed rollover statement\n");
		return out->status;
	}
	/* once: an old log rolls over to one new log, to an origin not followed */
	if ((rc = link_get(w, txn, LINK_NEXT, ro.st->old_origin, link)) != 0 ||
	    (rc = find_log(w, txn, ro.st->new_origin, &new_log)) != 0 ||
	    (rc = stored_state(w, txn, ro.st->new_origin, &size, root)) != 0) {
		reply(out, rc < 0 ? 500 : 409, rc < 0 ? "the witness state cannot be read\n"
						      : "the old log rolled over already, or the new "
							"origin is one this witness follows\n");
		ret = out->status;
		goto out;
	}
	/* the statement must cover what this witness cosigned of the old log */
	if ((rc = stored_state(w, txn, ro.st->old_origin, &size, root)) < 0) {
		reply(out, 500, "the witness state cannot be read\n");
		ret = 500;
		goto out;
	}
	if (rc == 1 && (size > ro.witnessed.size ||
			(size == ro.witnessed.size &&
			 memcmp(root, ro.witnessed.root, MERKLE_HASH_BYTES) != 0))) {
		reply(out, 422, "the rollover statement does not link to the checkpoint this witness "
				"cosigned (tree size %llu)\n",
		      (unsigned long long)size);
		ret = 422;
		goto out;
	}
	/* the new log's checkpoint, by the same key, extends the restored tree
	 * with the statement as its next leaf */
	if (note_verifier_from_public(&new_log, ro.st->new_origin, NOTE_TYPE_ED25519,
				      old_log.public_key) != SK_OK ||
	    note_checkpoint_open(cp, NULL, rq->checkpoint.data, rq->checkpoint.len, &new_log, NULL,
				 0) != SK_OK) {
		reply(out, 403, "the new log's checkpoint does not verify under the log's key\n");
		ret = 403;
		goto out;
	}
	if (wire_rollover_linked(&ro, sr->body.data, sr->body.len, sr->signature.data, cp,
				 rq->inclusion_proof.data,
				 rq->inclusion_proof.len / MERKLE_HASH_BYTES,
				 rq->consistency_proof.data,
				 rq->consistency_proof.len / MERKLE_HASH_BYTES) != SK_OK) {
		reply(out, 422, "the new log does not extend the restored tree with the statement as "
				"its next leaf\n");
		ret = 422;
		goto out;
	}
	if (link_put(w, txn, LINK_NEXT, ro.st->old_origin, ro.st->new_origin) != SK_OK ||
	    link_put(w, txn, LINK_PREV, ro.st->new_origin, ro.st->old_origin) != SK_OK) {
		reply(out, 503, "the witness state cannot be written\n");
		ret = 503;
	}
out:
	wire_rollover_free(&ro);
	return ret;
}

void wit_add_rollover(wit_witness *w, const uint8_t *body, size_t len, uint64_t now,
		      wit_reply *out)
{
	Schakel__V1__RolloverRequest *rq = NULL;
	note_checkpoint cp;
	MDB_txn *txn = NULL;
	size_t text_len;

	memset(out, 0, sizeof(*out));
	if (wit_rollover_request_parse(&rq, body, len) != SK_OK ||
	    (text_len = note_text_len(rq->checkpoint.data, rq->checkpoint.len)) == 0) {
		reply(out, 400, "malformed add-rollover request\n");
		goto out;
	}
	if (mdb_txn_begin(w->env, NULL, 0, &txn) != 0) {
		reply(out, 503, "the witness state is busy\n");
		goto out;
	}
	if (rollover_check(w, txn, rq, &cp, out) != 0)
		goto out;
	/* the links and the new log's first state commit together */
	cosign_commit(w, txn, rq->checkpoint.data, rq->checkpoint.len, text_len, &cp, now, out);
	txn = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	schakel__v1__rollover_request__free_unpacked(rq, NULL);
}

sk_status wit_successor(wit_witness *w, const char *origin, char out[static NOTE_ORIGIN_MAX + 1])
{
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(w->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	rc = link_get(w, txn, LINK_NEXT, origin, out);
	mdb_txn_abort(txn);
	return rc < 0 ? SK_ERR_DB : rc == 0 ? SK_ERR_NOTFOUND : SK_OK;
}

sk_status wit_latest(wit_witness *w, const char *origin, uint64_t *size,
		     uint8_t root[static MERKLE_HASH_BYTES], uint8_t **note, size_t *note_len)
{
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(origin), (void *)origin}, d;
	sk_status st;

	if (note != NULL)
		*note = NULL;
	if ((st = sk_db_status(mdb_txn_begin(w->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_get(txn, w->db, &k, &d))) != SK_OK)
		goto out;
	if (d.mv_size < STATE_HEAD) {
		st = SK_ERR_DB;
		goto out;
	}
	*size = sk_be64_get(d.mv_data);
	memcpy(root, (uint8_t *)d.mv_data + 8, MERKLE_HASH_BYTES);
	if (note != NULL) {
		*note_len = d.mv_size - STATE_HEAD;
		if ((*note = malloc(*note_len + 1)) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		memcpy(*note, (uint8_t *)d.mv_data + STATE_HEAD, *note_len);
		(*note)[*note_len] = 0;
	}
out:
	mdb_txn_abort(txn);
	return st;
}

sk_status wit_signer_from_identity(note_signer **out, const char *org_id,
				   const uint8_t seed[static NOTE_SEED_BYTES])
{
	return note_signer_from_seed(out, org_id, NOTE_TYPE_COSIG, seed);
}

sk_status wit_vkey_from_identity(char out[static NOTE_VKEY_MAX], const char *org_id,
				 const uint8_t pk[static NOTE_PUBLIC_KEY_BYTES])
{
	note_verifier v;
	sk_status st;

	if ((st = note_verifier_from_public(&v, org_id, NOTE_TYPE_COSIG, pk)) != SK_OK)
		return st;
	return note_verifier_format(out, &v);
}
