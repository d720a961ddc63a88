#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/anchor.h"
#include "node/dirty.h"
#include "node/directory.h"
#include "node/discuss.h"
#include "node/enckeys.h"
#include "node/inbox.h"
#include "node/logtrack.h"
#include "node/publish.h"
#include "node/resume.h"
#include "node/session_int.h"
#include "node/directory.h"
#include "node/sync.h"
#include "node/table.h"
#include "node/tablecase.h"

struct dirty_list {
	char (*ids)[NODE_CLIENT_ID_MAX + 1];
	size_t n, cap;
};

static sk_status collect_dirty(const char *client, uint64_t gen, void *arg)
{
	struct dirty_list *l = arg;

	if (l->n == l->cap)
		return SK_OK; /* the rest on the next sync */
	snprintf(l->ids[l->n++], NODE_CLIENT_ID_MAX + 1, "%s", client);
	return SK_OK;
}

/* The weekly encryption key; right after a rekey (certified by the new
 * identity; partners dropped the old ones) or a restore, a new one at once. */
static sk_status enc_maintain(node_remote *r, int *rotated)
{
	uint64_t renew = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = node_remote_meta(r, NODE_META_ENC_ROTATE_NOW, &renew)) != SK_OK ||
	    (st = node_enc_maintain(r, sk_clock_now_ms(), renew != 0, rotated)) != SK_OK || renew == 0)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, NODE_META_ENC_ROTATE_NOW, 0)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

/* Notes when this sync ran and how it ended, for 'status'. Returns st, or
 * the failure to note it when the sync itself succeeded. */
static sk_status sync_note(node_store *s, sk_status st)
{
	char error[256];
	uint64_t now = sk_clock_now_ms();
	MDB_txn *txn = NULL;
	sk_status wst;

	snprintf(error, sizeof(error), "%s",
		 st == SK_OK ? "" : sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
	if ((wst = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		if ((wst = node_meta_u64_put(s, txn, NODE_META_SYNC_TRIED, now)) == SK_OK &&
		    (st != SK_OK || (wst = node_meta_u64_put(s, txn, NODE_META_SYNC_OK, now)) == SK_OK))
			wst = node_meta_put(s, txn, NODE_META_SYNC_ERROR, (const uint8_t *)error,
					    strlen(error));
		if (wst == SK_OK)
			wst = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	if (st != SK_OK && error[0] != '\0')
		sk_error_set("%s", error); /* the sync's reason, not the note's */
	return st != SK_OK ? st : wst;
}

sk_status node_remote_sync(node_remote *r, node_sync_stats *stats)
{
	struct dirty_list l = {NULL, 0, NODE_PUBLISH_BATCH};
	MDB_txn *txn = NULL;
	size_t done = 0, failed = 0;
	sk_status st = SK_OK;

	memset(stats, 0, sizeof(*stats));
	if ((st = node_remote_resume(r)) != SK_OK)
		return sync_note(r->s, st);
	/* the log first: a registry that rolled its log over is followed (after
	 * its statement is checked) before anything is published to it, and
	 * what the new log may lack is marked for publishing (node/logtrack.h) */
	if ((st = node_remote_log_follow(r, &stats->tree_size, stats->rolled_to)) != SK_OK)
		return sync_note(r->s, st);
	if ((l.ids = calloc(l.cap, sizeof(*l.ids))) == NULL)
		return SK_ERR_NOMEM;
	/* every dirty entry, a batch at a time, while batches make progress */
	do {
		l.n = 0;
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			break;
		st = node_dirty_scan(r->s, txn, collect_dirty, &l);
		mdb_txn_abort(txn);
		if (st != SK_OK || l.n == 0)
			break;
		st = node_remote_publish_many(r, (const char(*)[NODE_CLIENT_ID_MAX + 1])l.ids, l.n,
					      &done, &failed);
		stats->published += done;
	} while (st == SK_OK && done > 0 && failed == 0 && l.n == l.cap);
	free(l.ids);
	if (st == SK_OK)
		st = node_remote_checkpoint_advance(r, NULL, 0, &stats->tree_size);
	/* members first: messages in the mailbox are checked against them */
	if (st == SK_OK)
		st = node_inbox_events(r, &stats->alerts);
	/* after the member events: records are checked under members' keys */
	if (st == SK_OK)
		st = node_remote_directory_sync(r, &stats->directory);
	if (st == SK_OK) {
		size_t tables, rejected;

		/* the tables after the members: their records are checked
		 * against the members' identity keys; a refused table is
		 * logged and kept as evidence, a record not in the log fails
		 * the sync as an integrity failure (node/table.h) */
		st = node_table_sync(r, &tables, &rejected);
	}
	if (st == SK_OK)
		st = enc_maintain(r, &stats->rotated);
	if (st == SK_OK)
		st = node_inbox_pull(r, &stats->items);
	if (st == SK_OK) {
		size_t taken, rejected;

		/* cases brought to our tables, from the items just pulled */
		st = node_table_cases_take(r, &taken, &rejected);
	}
	if (st == SK_OK) {
		node_discuss_stats ds = {0};

		st = node_discuss_sync(r, &ds);
		stats->messages = ds.messages;
		stats->rejected = ds.rejected;
		stats->forwarded = ds.forwarded;
		stats->stopped = ds.stopped;
		stats->resent = ds.resent;
		stats->undelivered = ds.undelivered;
	}
	if (st == SK_OK)
		st = node_remote_anchor(r, &stats->anchored);
	return sync_note(r->s, st);
}
