#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "registry/log.h"

#define KEY_SIZE "log.size"
#define KEY_CHECKPOINT "log.checkpoint"
#define KEY_CHECKPOINT_SIZE "log.checkpoint.size"
#define KEY_LAYOUT "log.tree.layout"

/* The key of the subtree of 2^level leaves starting at leaf index << level
 * (log.h: the two layouts). */
static void node_key(const reg_log *log, uint8_t k[9], unsigned level, uint64_t index)
{
	if (log->layout == 1) {
		sk_be64_put(k, ((index + 1) << level) - 1);
		k[8] = (uint8_t)level;
	} else {
		k[0] = (uint8_t)level;
		sk_be64_put(k + 1, index);
	}
}

/* Reads the tree's layout; an empty tree without one gets layout 1. */
static sk_status open_layout(reg_log *log, MDB_env *env)
{
	MDB_val k = {strlen(KEY_LAYOUT), KEY_LAYOUT}, d;
	MDB_txn *txn = NULL;
	MDB_stat ms;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	rc = mdb_get(txn, log->meta, &k, &d);
	if (rc == 0 && d.mv_size == 1 && (((const char *)d.mv_data)[0] == '0' ||
					  ((const char *)d.mv_data)[0] == '1'))
		log->layout = ((const char *)d.mv_data)[0] - '0';
	else if (rc == 0)
		st = SK_ERR_DB;
	else if (rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	else if ((st = sk_db_status(mdb_stat(txn, log->tree, &ms))) == SK_OK)
		log->layout = ms.ms_entries == 0 ? 1 : 0;
	mdb_txn_abort(txn);
	if (st != SK_OK || rc == 0)
		return st;
	/* written once, so that the tree keeps the layout it was started in */
	if ((st = sk_db_status(mdb_txn_begin(env, NULL, 0, &txn))) != SK_OK)
		return st;
	d = (MDB_val){1, log->layout == 1 ? "1" : "0"};
	if ((st = sk_db_status(mdb_put(txn, log->meta, &k, &d, MDB_NOOVERWRITE))) == SK_ERR_EXISTS) {
		mdb_txn_abort(txn); /* another process was first: read what it wrote */
		return open_layout(log, env);
	}
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status reg_log_open(reg_log *log, MDB_env *env)
{
	sk_status st;

	if ((st = sk_db_dbi(env, "tree", MDB_CREATE, &log->tree)) != SK_OK ||
	    (st = sk_db_dbi(env, "meta", MDB_CREATE, &log->meta)) != SK_OK)
		return st;
	return open_layout(log, env);
}

sk_status reg_log_meta_u64(const reg_log *log, MDB_txn *txn, const char *name, uint64_t *v)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc = mdb_get(txn, log->meta, &k, &d);

	if (rc == MDB_NOTFOUND) {
		*v = 0;
		return SK_OK;
	}
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != 8)
		return SK_ERR_DB;
	*v = sk_be64_get(d.mv_data);
	return SK_OK;
}

sk_status reg_log_meta_put_u64(const reg_log *log, MDB_txn *txn, const char *name, uint64_t v)
{
	uint8_t b[8];
	MDB_val k = {strlen(name), (void *)name}, d = {8, b};

	sk_be64_put(b, v);
	return sk_db_status(mdb_put(txn, log->meta, &k, &d, 0));
}

sk_status reg_log_size(const reg_log *log, MDB_txn *txn, uint64_t *size)
{
	return reg_log_meta_u64(log, txn, KEY_SIZE, size);
}

static sk_status get_node(void *ctx, unsigned level, uint64_t index,
			  uint8_t out[static MERKLE_HASH_BYTES])
{
	struct reg_log_ctx *c = ctx;
	uint8_t kb[9];
	MDB_val k = {sizeof(kb), kb}, d;
	int rc;

	node_key(c->log, kb, level, index);
	if ((rc = mdb_get(c->txn, c->log->tree, &k, &d)) != 0)
		return rc == MDB_NOTFOUND ? SK_ERR_DB : sk_db_status(rc);
	if (d.mv_size != MERKLE_HASH_BYTES)
		return SK_ERR_DB;
	memcpy(out, d.mv_data, MERKLE_HASH_BYTES);
	return SK_OK;
}

void reg_log_source(merkle_source *src, struct reg_log_ctx *ctx, const reg_log *log,
		    MDB_txn *txn)
{
	ctx->log = log;
	ctx->txn = txn;
	src->get = get_node;
	src->ctx = ctx;
}

sk_status reg_log_append(const reg_log *log, MDB_txn *txn,
			 const uint8_t leaf_hash[static MERKLE_HASH_BYTES], uint64_t *index)
{
	struct reg_log_ctx ctx = {log, txn};
	uint8_t h[MERKLE_HASH_BYTES], left[MERKLE_HASH_BYTES], kb[9];
	MDB_val k = {sizeof(kb), kb}, d = {MERKLE_HASH_BYTES, h};
	uint64_t n, i;
	sk_status st;

	if ((st = reg_log_size(log, txn, &n)) != SK_OK)
		return st;
	if (n == UINT64_MAX)
		return SK_ERR_TOOBIG;
	memcpy(h, leaf_hash, MERKLE_HASH_BYTES);
	/* the leaf, then every subtree whose last leaf it is */
	i = n;
	for (unsigned level = 0;; level++) {
		node_key(log, kb, level, i);
		if ((st = sk_db_status(mdb_put(txn, log->tree, &k, &d, 0))) != SK_OK)
			return st;
		if ((i & 1) == 0 || level == MERKLE_LEVEL_MAX)
			break;
		if ((st = get_node(&ctx, level, i - 1, left)) != SK_OK)
			return st;
		merkle_node_hash(h, left, h);
		i >>= 1;
	}
	*index = n;
	return reg_log_meta_put_u64(log, txn, KEY_SIZE, n + 1);
}

sk_status reg_log_root(const reg_log *log, MDB_txn *txn, uint64_t size,
		       uint8_t root[static MERKLE_HASH_BYTES])
{
	struct reg_log_ctx ctx;
	merkle_source src;

	reg_log_source(&src, &ctx, log, txn);
	return merkle_root(root, &src, size);
}

sk_status reg_log_checkpoint_update(const reg_log *log, MDB_txn *txn,
				    const note_signer *log_key, const char *origin)
{
	note_checkpoint cp = {0};
	MDB_val k = {strlen(KEY_CHECKPOINT), KEY_CHECKPOINT}, d;
	uint64_t size, signed_size;
	uint8_t *note = NULL;
	size_t len = 0;
	sk_status st;
	int have;

	if ((st = reg_log_size(log, txn, &size)) != SK_OK ||
	    (st = reg_log_meta_u64(log, txn, KEY_CHECKPOINT_SIZE, &signed_size)) != SK_OK)
		return st;
	have = mdb_get(txn, log->meta, &k, &d) == 0;
	if (have && signed_size == size)
		return SK_OK;
	if (strlen(origin) > NOTE_ORIGIN_MAX)
		return SK_ERR_INVALID;
	memcpy(cp.origin, origin, strlen(origin) + 1);
	cp.size = size;
	if ((st = reg_log_root(log, txn, size, cp.root)) != SK_OK ||
	    (st = note_checkpoint_sign(&note, &len, &cp, log_key)) != SK_OK)
		return st;
	d.mv_size = len;
	d.mv_data = note;
	st = sk_db_status(mdb_put(txn, log->meta, &k, &d, 0));
	if (st == SK_OK)
		st = reg_log_meta_put_u64(log, txn, KEY_CHECKPOINT_SIZE, size);
	free(note);
	return st;
}

sk_status reg_log_checkpoint(const reg_log *log, MDB_txn *txn, uint8_t **note, size_t *len,
			     uint64_t *size)
{
	MDB_val k = {strlen(KEY_CHECKPOINT), KEY_CHECKPOINT}, d;
	sk_status st;
	int rc;

	*note = NULL;
	*len = 0;
	if ((rc = mdb_get(txn, log->meta, &k, &d)) != 0)
		return sk_db_status(rc);
	if ((st = reg_log_meta_u64(log, txn, KEY_CHECKPOINT_SIZE, size)) != SK_OK)
		return st;
	*note = malloc(d.mv_size + 1);
	if (*note == NULL)
		return SK_ERR_NOMEM;
	memcpy(*note, d.mv_data, d.mv_size);
	(*note)[d.mv_size] = 0;
	*len = d.mv_size;
	return SK_OK;
}
