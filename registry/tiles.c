#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "protos/wire.h"
#include "registry/cosign.h"
#include "registry/tiles.h"
#include "witness/https.h"

/* n decimal digits exactly. */
static int digits(const char *p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return 1;
}

/* A decimal 1..max without leading zeros, the whole of p. */
static int small(const char *p, uint64_t max, uint64_t *v)
{
	size_t n = strlen(p);

	if (n == 0 || n > 3 || (p[0] == '0' && n > 1) || !digits(p, n, v))
		return 0;
	return *v <= max;
}

sk_status reg_tile_parse(reg_tile *t, const char *path)
{
	const char *p;
	uint64_t v, idx = 0;
	int elems = 0;

	memset(t, 0, sizeof(*t));
	if (strncmp(path, "/tile/", 6) != 0)
		return SK_ERR_INVALID;
	p = path + 6;
	if (strncmp(p, "entries/", 8) == 0) {
		t->entries = 1;
		p += 8;
	} else {
		const char *slash = strchr(p, '/');
		char lv[4];
		size_t n = slash != NULL ? (size_t)(slash - p) : 0;

		if (n == 0 || n > 2)
			return SK_ERR_INVALID;
		memcpy(lv, p, n);
		lv[n] = 0;
		if (!small(lv, REG_TILE_LEVEL_MAX, &v))
			return SK_ERR_INVALID;
		t->level = (unsigned)v;
		p = slash + 1;
	}
	/* x001/x234/067 */
	while (*p == 'x') {
		if (!digits(p + 1, 3, &v) || p[4] != '/' || (elems == 0 && v == 0))
			return SK_ERR_INVALID;
		idx = idx * 1000 + v;
		elems++;
		p += 5;
		if (elems > 5)
			return SK_ERR_INVALID;
	}
	if (!digits(p, 3, &v))
		return SK_ERR_INVALID;
	idx = idx * 1000 + v;
	p += 3;
	if (idx >= REG_TILE_INDEX_MAX)
		return SK_ERR_INVALID;
	t->index = idx;
	t->width = REG_TILE_WIDTH;
	if (*p == 0)
		return SK_OK;
	if (strncmp(p, ".p/", 3) != 0 || !small(p + 3, REG_TILE_WIDTH - 1, &v) || v == 0)
		return SK_ERR_INVALID;
	t->width = (unsigned)v;
	return SK_OK;
}

/* A stored member-event leaf (kind || body || sig) that fits a bundle. */
static int public_leaf(const MDB_val *d)
{
	return d->mv_size > 1 + WIRE_LEAF_SIG_BYTES && d->mv_size + 4 <= 0xffff &&
	       ((const uint8_t *)d->mv_data)[0] == WIRE_LEAF_MEMBER;
}

sk_status reg_tile_read(reg_store *s, MDB_txn *txn, const reg_tile *t, uint8_t **out,
			size_t *len)
{
	struct reg_log_ctx ctx;
	merkle_source src;
	uint64_t size, count, first = t->index * REG_TILE_WIDTH;
	unsigned shift = 8 * t->level;
	uint8_t *b = NULL;
	size_t pos = 0, cap;
	sk_status st;

	*out = NULL;
	*len = 0;
	if ((st = reg_log_size(&s->log, txn, &size)) != SK_OK)
		return st;
	count = t->entries ? size : size >> shift; /* complete subtrees at this level */
	if (first > count || t->width > count - first)
		return SK_ERR_NOTFOUND;
	reg_log_source(&src, &ctx, &s->log, txn);
	if (!t->entries) {
		if ((b = malloc((size_t)t->width * MERKLE_HASH_BYTES)) == NULL)
			return SK_ERR_NOMEM;
		for (unsigned i = 0; i < t->width; i++)
			if ((st = src.get(src.ctx, shift, first + i, b + i * MERKLE_HASH_BYTES)) !=
			    SK_OK) {
				free(b);
				return st;
			}
		*out = b;
		*len = (size_t)t->width * MERKLE_HASH_BYTES;
		return SK_OK;
	}
	/* member events in full, other leaves as empty placeholders */
	cap = (size_t)t->width * 2;
	for (unsigned i = 0; i < t->width; i++) {
		uint8_t kb[8];
		MDB_val k = {8, kb}, d;
		int rc;

		sk_be64_put(kb, first + i);
		rc = mdb_get(txn, s->leafdata, &k, &d);
		if (rc == 0 && public_leaf(&d)) {
			cap += d.mv_size + 4;
		} else if (rc != 0 && rc != MDB_NOTFOUND) {
			return sk_db_status(rc);
		}
	}
	if ((b = malloc(cap)) == NULL)
		return SK_ERR_NOMEM;
	for (unsigned i = 0; i < t->width; i++) {
		uint8_t kb[8];
		MDB_val k = {8, kb}, d;

		sk_be64_put(kb, first + i);
		if (mdb_get(txn, s->leafdata, &k, &d) == 0 && public_leaf(&d)) {
			/* stored: kind || body || sig; the leaf: kind || u32be len || body || sig */
			size_t body = d.mv_size - 1 - WIRE_LEAF_SIG_BYTES;
			const uint8_t *v = d.mv_data;

			sk_be16_put(b + pos, (uint16_t)(d.mv_size + 4));
			b[pos + 2] = v[0];
			sk_be32_put(b + pos + 3, (uint32_t)body);
			memcpy(b + pos + 7, v + 1, d.mv_size - 1);
			pos += 2 + d.mv_size + 4;
		} else {
			sk_be16_put(b + pos, 0);
			pos += 2;
		}
	}
	*out = b;
	*len = pos;
	return SK_OK;
}

static void answer(struct wit_https_answer *out, int status, const char *text)
{
	size_t n = strlen(text);

	out->status = status;
	out->content_type = "text/plain; charset=utf-8";
	if ((out->body = malloc(n)) != NULL) {
		memcpy(out->body, text, n);
		out->len = n;
	}
}

void reg_tiles_handle(void *ctx, int is_post, const char *path, const uint8_t *body, size_t len,
		      struct wit_https_answer *out)
{
	reg_store *s = ctx;
	MDB_txn *txn = NULL;
	reg_tile t;
	uint64_t size;
	sk_status st;

	if (is_post) {
		answer(out, 405, "this log is read-only\n");
		return;
	}
	if (strcmp(path, "/checkpoint") != 0 && reg_tile_parse(&t, path) != SK_OK) {
		answer(out, 404, "not found\n");
		return;
	}
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0) {
		answer(out, 503, "busy\n");
		return;
	}
	if (strcmp(path, "/checkpoint") == 0) {
		st = reg_checkpoint_served(s, txn, NULL, 0, &out->body, &out->len, &size);
		out->content_type = "text/plain; charset=utf-8";
	} else {
		st = reg_tile_read(s, txn, &t, &out->body, &out->len);
		out->content_type = "application/octet-stream";
		out->cache = 1;
	}
	mdb_txn_abort(txn);
	if (st == SK_OK)
		out->status = 200;
	else
		answer(out, st == SK_ERR_NOTFOUND ? 404 : 503,
		       st == SK_ERR_NOTFOUND ? "not in the tree\n" : "unavailable\n");
}
