#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "protos/wire.h"
#include "registry/rollchain.h"

#define META_FROM "log.rollover.from:" /* || old origin -> u64be: its statement's leaf */
#define META_LATEST "log.rollover.index" /* registry/rollover.c: the latest statement's leaf */

/* One statement of a chain, with the proofs against its new log's
 * checkpoint and the messages that point to them (pl: the link as a
 * ConsistencyResponse's chain and a witness's add-rollover carry it). */
struct link {
	uint8_t *body, sig[KEY_SIG_BYTES];
	size_t blen;
	uint64_t index, size; /* its leaf; its new log's checkpoint's tree size */
	wire_rollover ro;
	uint8_t inc[MERKLE_PROOF_BYTES], cons[MERKLE_PROOF_BYTES];
	size_t ni, nc;
	Schakel__V1__SignedRollover sr;
	Schakel__V1__RolloverRequest pl;
};

struct reg_rollchain {
	size_t n;
	struct link l[WIRE_ROLLOVER_CHAIN_MAX];
	Schakel__V1__RolloverRequest *chain[WIRE_ROLLOVER_CHAIN_MAX];
};

static sk_status from_key(char key[static sizeof(META_FROM) + NOTE_ORIGIN_MAX], const char *origin)
{
	size_t n = strlen(origin);

	if (n == 0 || n > NOTE_ORIGIN_MAX)
		return SK_ERR_INVALID;
	memcpy(key, META_FROM, sizeof(META_FROM) - 1);
	memcpy(key + sizeof(META_FROM) - 1, origin, n + 1);
	return SK_OK;
}

/* The statement at leaf index: body (malloc'd) and sig. */
static sk_status statement_at(reg_store *s, MDB_txn *txn, uint64_t index, uint8_t **body,
			      size_t *len, uint8_t sig[static KEY_SIG_BYTES])
{
	uint8_t key[8];
	MDB_val k = {8, key}, d;
	const uint8_t *v;
	int rc;

	sk_be64_put(key, index);
	if ((rc = mdb_get(txn, s->leafdata, &k, &d)) != 0)
		return sk_db_status(rc);
	v = d.mv_data;
	if (d.mv_size < 2 + KEY_SIG_BYTES || v[0] != WIRE_LEAF_ROLLOVER)
		return SK_ERR_DB;
	*len = d.mv_size - 1 - KEY_SIG_BYTES;
	if ((*body = malloc(*len)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*body, v + 1, *len);
	memcpy(sig, v + 1 + *len, KEY_SIG_BYTES);
	return SK_OK;
}

/* The latest statement's old origin (into origin) and leaf; SK_ERR_NOTFOUND
 * when the log never rolled over. */
static sk_status latest(reg_store *s, MDB_txn *txn, char origin[static NOTE_ORIGIN_MAX + 1],
			uint64_t *index)
{
	uint8_t *body = NULL, sig[KEY_SIG_BYTES];
	size_t len = 0;
	wire_rollover ro = {0};
	sk_status st;

	if ((st = reg_log_meta_u64(&s->log, txn, META_LATEST, index)) != SK_OK)
		return st;
	st = statement_at(s, txn, *index, &body, &len, sig);
	if (*index == 0 && (st == SK_ERR_NOTFOUND || st == SK_ERR_DB))
		return SK_ERR_NOTFOUND; /* never rolled over */
	if (st == SK_OK && (st = wire_rollover_parse(&ro, body, len)) == SK_OK)
		memcpy(origin, ro.st->old_origin, strlen(ro.st->old_origin) + 1);
	wire_rollover_free(&ro);
	free(body);
	return st == SK_ERR_INVALID || st == SK_ERR_TOOBIG ? SK_ERR_DB : st;
}

sk_status reg_rollchain_find(reg_store *s, MDB_txn *txn, const char *origin, uint64_t *index)
{
	char key[sizeof(META_FROM) + NOTE_ORIGIN_MAX], last[NOTE_ORIGIN_MAX + 1];
	MDB_val k, d;
	sk_status st;
	int rc;

	if (from_key(key, origin) != SK_OK)
		return SK_ERR_NOTFOUND;
	k = (MDB_val){strlen(key), key};
	if ((rc = mdb_get(txn, s->log.meta, &k, &d)) == 0) {
		if (d.mv_size != 8)
			return SK_ERR_DB;
		*index = sk_be64_get(d.mv_data);
		return SK_OK;
	}
	if (rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	/* a store that rolled over before the index: its latest statement */
	if ((st = latest(s, txn, last, index)) != SK_OK)
		return st;
	return strcmp(last, origin) == 0 ? SK_OK : SK_ERR_NOTFOUND;
}

sk_status reg_rollchain_put(reg_store *s, MDB_txn *txn, const char *old_origin, uint64_t index)
{
	char key[sizeof(META_FROM) + NOTE_ORIGIN_MAX];
	uint8_t v[8];
	MDB_val k, d = {8, v};

	if (from_key(key, old_origin) != SK_OK)
		return SK_ERR_INVALID;
	k = (MDB_val){strlen(key), key};
	sk_be64_put(v, index);
	return sk_db_status(mdb_put(txn, s->log.meta, &k, &d, 0));
}

sk_status reg_rollchain_begin(reg_store *s, MDB_txn *txn, const char *new_origin)
{
	char last[NOTE_ORIGIN_MAX + 1];
	uint64_t index = 0;
	sk_status st;

	if ((st = latest(s, txn, last, &index)) == SK_OK)
		st = reg_rollchain_put(s, txn, last, index);
	else if (st == SK_ERR_NOTFOUND)
		st = SK_OK;
	if (st != SK_OK)
		return st;
	if ((st = reg_rollchain_find(s, txn, new_origin, &index)) == SK_OK) {
		sk_error_set("this log was called %s before; choose a name it never had",
			     new_origin);
		return SK_ERR_INVALID;
	}
	return st == SK_ERR_NOTFOUND ? SK_OK : st;
}

void reg_rollchain_free(reg_rollchain *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->l[i].body);
		wire_rollover_free(&c->l[i].ro);
	}
	free(c);
}

/* The chain from origin to s's current origin into c: statements in
 * order, each proven against its new log's checkpoint (the next one's
 * restored checkpoint; the last one's of last_size leaves). */
static sk_status chain_build(reg_store *s, MDB_txn *txn, const char *origin, uint64_t last_size,
			     reg_rollchain *c)
{
	struct reg_log_ctx ctx;
	merkle_source src;
	const char *at = origin;
	sk_status st;

	reg_log_source(&src, &ctx, &s->log, txn);
	for (;;) {
		struct link *l = &c->l[c->n];

		if (c->n == WIRE_ROLLOVER_CHAIN_MAX) {
			sk_error_set("this registry's log rolled over more than %d times since %s",
				     WIRE_ROLLOVER_CHAIN_MAX, origin);
			return SK_ERR_TOOBIG;
		}
		if ((st = reg_rollchain_find(s, txn, at, &l->index)) != SK_OK) {
			if (st != SK_ERR_NOTFOUND)
				return st;
			sk_error_set("this registry's log is %s and did not roll over from %s",
				     s->origin, origin);
			return SK_ERR_INVALID;
		}
		if (c->n > 0 && l->index <= c->l[c->n - 1].index)
			return SK_ERR_DB; /* a statement before the one it follows */
		if ((st = statement_at(s, txn, l->index, &l->body, &l->blen, l->sig)) != SK_OK)
			return st;
		c->n++;
		if ((st = wire_rollover_parse(&l->ro, l->body, l->blen)) != SK_OK)
			return SK_ERR_DB;
		if (strcmp(l->ro.st->new_origin, s->origin) == 0)
			break;
		at = l->ro.st->new_origin;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct link *l = &c->l[i];

		l->size = i + 1 < c->n ? c->l[i + 1].ro.restored.size : last_size;
		if (l->size <= l->index) {
			sk_error_set("no checkpoint of the new log yet; ask again shortly");
			return SK_ERR_TRUNCATED;
		}
		if ((st = merkle_inclusion_proof(l->inc, &l->ni, &src, l->index, l->size)) != SK_OK ||
		    (l->index > 0 && (st = merkle_consistency_proof(l->cons, &l->nc, &src, l->index,
								    l->size)) != SK_OK))
			return st;
		schakel__v1__signed_rollover__init(&l->sr);
		l->sr.body = (ProtobufCBinaryData){l->blen, l->body};
		l->sr.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, l->sig};
		schakel__v1__rollover_request__init(&l->pl);
		l->pl.statement = &l->sr;
		if (i + 1 < c->n)
			l->pl.checkpoint = c->l[i + 1].ro.st->restored_checkpoint;
		l->pl.inclusion_proof = (ProtobufCBinaryData){l->ni * MERKLE_HASH_BYTES, l->inc};
		l->pl.consistency_proof = (ProtobufCBinaryData){l->nc * MERKLE_HASH_BYTES, l->cons};
		c->chain[i] = &l->pl;
	}
	return SK_OK;
}

sk_status reg_rollchain_answer(reg_store *s, MDB_txn *txn, const char *origin, uint64_t size,
			       Schakel__V1__ConsistencyResponse *r, reg_rollchain **out)
{
	reg_rollchain *c = calloc(1, sizeof(*c));
	struct link *last;
	sk_status st;

	*out = c;
	if (c == NULL)
		return SK_ERR_NOMEM;
	if ((st = chain_build(s, txn, origin, size, c)) != SK_OK)
		return st;
	/* the last link in the single fields, as a node that follows one
	 * rollover reads them; the links before it in chain */
	last = &c->l[c->n - 1];
	r->rollover = &last->sr;
	r->has_rollover_proof = 1;
	r->rollover_proof = last->pl.inclusion_proof;
	r->has_rollover_consistency = 1;
	r->rollover_consistency = last->pl.consistency_proof;
	r->n_chain = c->n - 1;
	r->chain = c->n > 1 ? c->chain : NULL;
	return SK_OK;
}

/* The oldest origin of the last WIRE_ROLLOVER_CHAIN_MAX statements the
 * index holds (with the latest statement, which may not be in it yet). */
static sk_status oldest_origin(reg_store *s, MDB_txn *txn, char origin[static NOTE_ORIGIN_MAX + 1])
{
	uint64_t idx[WIRE_ROLLOVER_CHAIN_MAX], index = 0, min_kept;
	size_t n = 0;
	MDB_cursor *cur = NULL;
	MDB_val k = {sizeof(META_FROM) - 1, META_FROM}, d;
	sk_status st;
	int rc;

	if ((st = latest(s, txn, origin, &index)) != SK_OK)
		return st;
	idx[n++] = index;
	/* the WIRE_ROLLOVER_CHAIN_MAX largest indices: the latest statements */
	if ((st = sk_db_status(mdb_cursor_open(txn, s->log.meta, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size > sizeof(META_FROM) - 1 &&
	     memcmp(k.mv_data, META_FROM, sizeof(META_FROM) - 1) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		size_t olen = k.mv_size - (sizeof(META_FROM) - 1), at = 0;

		if (d.mv_size != 8 || olen > NOTE_ORIGIN_MAX) {
			st = SK_ERR_DB;
			break;
		}
		index = sk_be64_get(d.mv_data);
		for (size_t i = 0; i < n; i++)
			if (idx[i] == index)
				goto next;
		if (n < WIRE_ROLLOVER_CHAIN_MAX) {
			at = n++;
		} else {
			for (size_t i = 1; i < n; i++)
				if (idx[i] < idx[at])
					at = i;
			if (idx[at] > index)
				goto next;
		}
		idx[at] = index;
next:;
	}
	mdb_cursor_close(cur);
	if (st != SK_OK)
		return st;
	min_kept = idx[0];
	for (size_t i = 1; i < n; i++)
		if (idx[i] < min_kept)
			min_kept = idx[i];
	/* its old origin: the statement's own */
	{
		uint8_t *body = NULL, sig[KEY_SIG_BYTES];
		size_t len = 0;
		wire_rollover ro = {0};

		if ((st = statement_at(s, txn, min_kept, &body, &len, sig)) == SK_OK &&
		    (st = wire_rollover_parse(&ro, body, len)) == SK_OK)
			memcpy(origin, ro.st->old_origin, strlen(ro.st->old_origin) + 1);
		else if (st == SK_ERR_INVALID || st == SK_ERR_TOOBIG)
			st = SK_ERR_DB;
		wire_rollover_free(&ro);
		free(body);
	}
	return st;
}

sk_status reg_rollchain_requests(reg_store *s, MDB_txn *txn,
				 uint8_t *out[static WIRE_ROLLOVER_CHAIN_MAX],
				 size_t len[static WIRE_ROLLOVER_CHAIN_MAX], size_t *n,
				 uint64_t *size)
{
	char origin[NOTE_ORIGIN_MAX + 1];
	reg_rollchain *c = NULL;
	uint8_t *note = NULL;
	size_t nlen = 0;
	sk_status st;

	*n = 0;
	if ((st = oldest_origin(s, txn, origin)) != SK_OK ||
	    (st = reg_log_checkpoint(&s->log, txn, &note, &nlen, size)) != SK_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = chain_build(s, txn, origin, *size, c)) != SK_OK)
		goto out;
	/* the links as the chain holds them, the last one in the latest checkpoint */
	c->l[c->n - 1].pl.checkpoint = (ProtobufCBinaryData){nlen, note};
	for (size_t i = 0; i < c->n; i++) {
		size_t m = schakel__v1__rollover_request__get_packed_size(&c->l[i].pl);

		if (m > WIRE_ROLLOVER_REQUEST_MAX) {
			st = SK_ERR_TOOBIG;
			goto out;
		}
		if ((out[i] = malloc(m)) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		len[i] = schakel__v1__rollover_request__pack(&c->l[i].pl, out[i]);
		(*n)++;
	}
out:
	if (st != SK_OK) {
		for (size_t i = 0; i < *n; i++)
			free(out[i]);
		*n = 0;
	}
	reg_rollchain_free(c);
	free(note);
	return st;
}
