#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/db.h"
#include "registry/mailbox.h"
#include "registry/sweep.h"
#include "registry/visibility.h"

struct target {
	char org[NET_ORG_ID_MAX + 1];
	uint8_t token[REG_TOKEN_BYTES];
	uint32_t epoch;
};

/* Loads and purges each target; gone, if not NULL, runs first. */
static sk_status purge_all(reg_store *s, MDB_txn *txn, const struct target *t, size_t n,
			   uint64_t now, reg_peer_fn gone, size_t *purged)
{
	sk_status st = SK_OK;

	for (size_t i = 0; i < n && st == SK_OK; i++) {
		reg_live l;

		st = reg_live_load(s, txn, t[i].org, t[i].token, t[i].epoch, now, &l);
		if (st == SK_ERR_NOTFOUND) {
			st = SK_OK;
			continue;
		}
		if (st == SK_OK && gone != NULL)
			st = reg_peers(s, txn, t[i].token, t[i].epoch, t[i].org, now, gone, &l);
		if (st == SK_OK && l.e != NULL) {
			st = reg_entry_purge(s, txn, &l);
			if (purged != NULL)
				(*purged)++;
		}
		reg_live_clear(&l);
	}
	return st;
}

/* What the sweep does with one expiry index key. */
enum sweep_verdict { SWEEP_PURGE, SWEEP_WAIT, SWEEP_STALE };

/* Judges the index key k (its first 8 bytes <= now) against the entry it
 * names, filling t: purge when it indexes the current version and that
 * expired; wait when that has not expired yet (it shares the hour bucket
 * with now); stale when the key indexes no current version. An entries
 * value that does not parse is the database's error. */
static sk_status judge(reg_store *s, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		       uint64_t now, struct target *t, enum sweep_verdict *verdict)
{
	const uint8_t *p = k->mv_data, *ek;
	Schakel__V1__StoredEntry *se = NULL;
	Schakel__V1__Entry *e = NULL;
	size_t eklen;
	MDB_val ekv, d;
	sk_status st = SK_OK;
	int rc, current;

	*verdict = SWEEP_STALE;
	if (k->mv_size == REG_EXPIRY_KEY_BYTES) {
		ek = v->mv_data; /* bucket || leaf index -> entry key */
		eklen = v->mv_size;
	} else {
		ek = p + 8;      /* before hour buckets: expiry || entry key -> "" */
		eklen = k->mv_size - 8;
	}
	if (!reg_entry_key_split(ek, eklen, t->org, t->token, &t->epoch))
		return SK_OK;
	ekv = (MDB_val){eklen, (void *)ek};
	if ((rc = mdb_get(txn, s->entries, &ekv, &d)) == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if ((se = schakel__v1__stored_entry__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
		st = SK_ERR_DB;
		goto out;
	}
	if (se->purged)
		goto out;
	if ((e = schakel__v1__entry__unpack(NULL, se->entry.len, se->entry.data)) == NULL) {
		st = SK_ERR_DB;
		goto out;
	}
	if (k->mv_size == REG_EXPIRY_KEY_BYTES)
		current = se->leaf_index == sk_be64_get(p + 8) &&
			  e->expires_at - e->expires_at % REG_EXPIRY_BUCKET_MS == sk_be64_get(p);
	else
		current = e->expires_at == sk_be64_get(p);
	if (current && !e->withdrawn)
		*verdict = e->expires_at <= now ? SWEEP_PURGE : SWEEP_WAIT;
out:
	schakel__v1__entry__free_unpacked(e, NULL);
	schakel__v1__stored_entry__free_unpacked(se, NULL);
	return st;
}

sk_status reg_sweep(reg_store *s, MDB_txn *txn, uint64_t now, size_t max, size_t *purged)
{
	struct target *t = calloc(max ? max : 1, sizeof(*t));
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	size_t n = 0, stale = 0, waiting = 0;
	sk_status st;
	int rc;

	if (purged != NULL)
		*purged = 0;
	if (t == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->expiry, &cur))) != SK_OK)
		goto out;
	/* collect first: purging deletes these very keys. Keys sort by their
	 * first 8 bytes, an hour bucket's start or (older keys) the exact
	 * expiry, never later than the expiry itself. */
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	     rc == 0 && n < max && stale < max && waiting < max;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		enum sweep_verdict v;

		if (k.mv_size < 8)
			continue;
		if (sk_be64_get(k.mv_data) > now)
			break;
		if ((st = judge(s, txn, &k, &d, now, &t[n], &v)) != SK_OK)
			break;
		if (v == SWEEP_PURGE) {
			n++;
		} else if (v == SWEEP_WAIT) {
			waiting++; /* later in this hour */
		} else {
			/* MDB_NEXT then reads the key after the deleted one */
			if ((st = sk_db_status(mdb_cursor_del(cur, 0))) != SK_OK)
				break;
			stale++;
		}
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	if (st == SK_OK)
		st = purge_all(s, txn, t, n, now, NULL, purged);
out:
	free(t);
	return st;
}

struct gone_ctx {
	reg_store *s;
	MDB_txn *txn;
	reg_live departing;
	uint64_t now;
};

/* A partner whose entry was mutually visible with the departing org's
 * hears that the match is gone. */
static sk_status tell_gone(reg_live *other, void *arg)
{
	struct gone_ctx *g = arg;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;

	if (!reg_visible(&g->s->policy, &g->departing, other))
		return SK_OK;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE;
	it.time = g->now;
	it.has_token = 1;
	it.token = g->departing.e->token;
	it.has_epoch = 1;
	it.epoch = g->departing.e->epoch;
	it.counterpart = g->departing.org;
	it.category = g->departing.category;
	return reg_mailbox_put(g->s, g->txn, other->org, &it);
}

#define PURGE_BATCH 1024

/* Collects up to PURGE_BATCH entries of org after key `from` (exclusive;
 * from_len 0: from the start). Entries are keyed by token first, so this
 * scans them all: a departure is rare, and it runs on the writer. */
static sk_status collect_org(reg_store *s, MDB_txn *txn, const char *org, uint8_t *from,
			     size_t *from_len, struct target *t, size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k = {*from_len, from}, d;
	sk_status st;
	int rc;

	*n = 0;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->entries, &cur))) != SK_OK)
		return st;
	rc = *from_len ? mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE)
		       : mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	if (rc == 0 && *from_len && k.mv_size == *from_len && memcmp(k.mv_data, from, *from_len) == 0)
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	for (; rc == 0 && *n < PURGE_BATCH; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (reg_entry_key_split(k.mv_data, k.mv_size, t[*n].org, t[*n].token, &t[*n].epoch) &&
		    strcmp(t[*n].org, org) == 0) {
			memcpy(from, k.mv_data, k.mv_size);
			*from_len = k.mv_size;
			(*n)++;
		}
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
}

sk_status reg_purge_org(reg_store *s, MDB_txn *txn, const char *org, uint64_t now,
			size_t *purged)
{
	uint8_t from[REG_ENTRY_KEY_MAX];
	size_t from_len = 0, n;
	struct target *t = calloc(PURGE_BATCH, sizeof(*t));
	sk_status st;

	if (purged != NULL)
		*purged = 0;
	if (t == NULL)
		return SK_ERR_NOMEM;
	if (strlen(org) == 0 || strlen(org) > NET_ORG_ID_MAX) {
		free(t);
		return SK_ERR_INVALID;
	}
	do {
		if ((st = collect_org(s, txn, org, from, &from_len, t, &n)) != SK_OK)
			break;
		for (size_t i = 0; i < n && st == SK_OK; i++) {
			struct gone_ctx g = {s, txn, {0}, now};

			if ((st = reg_live_load(s, txn, t[i].org, t[i].token, t[i].epoch, now,
						&g.departing)) != SK_OK)
				break;
			/* visibility as it was before the revocation */
			g.departing.live = g.departing.e != NULL && !g.departing.e->withdrawn &&
					   g.departing.e->expires_at > now;
			if (g.departing.live)
				st = reg_peers(s, txn, t[i].token, t[i].epoch, org, now, tell_gone, &g);
			if (st == SK_OK && g.departing.e != NULL) {
				st = reg_entry_purge(s, txn, &g.departing);
				if (purged != NULL)
					(*purged)++;
			}
			reg_live_clear(&g.departing);
		}
	} while (st == SK_OK && n == PURGE_BATCH);
	free(t);
	return st;
}
