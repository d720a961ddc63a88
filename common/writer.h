/* The single LMDB writer of a data dir, with group commit: callers queue
 * write jobs from any thread; the writer thread runs every queued job in
 * one write transaction (each job in a nested transaction of its own, so a
 * failing job undoes only itself), commits once, durably, and only then
 * reports each job's outcome. An acknowledged write has reached the disk. */
#ifndef SK_WRITER_H
#define SK_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "common/status.h"

#define SK_WRITER_MAX_BATCH 1024 /* jobs per commit, at most */
#define SK_WRITER_MAX_QUEUE 65536 /* queued jobs, at most: then SK_ERR_TOOBIG */

typedef struct sk_writer sk_writer;

/* Runs on the writer thread inside txn (a nested transaction). SK_OK keeps
 * its changes for the commit; any other status discards them and becomes
 * the job's outcome. Must not block on anything but LMDB, and must not
 * commit or abort txn. */
typedef sk_status (*sk_write_fn)(MDB_txn *txn, void *arg);

/* Called on the writer thread once the job's fate is durable: st is the
 * job's own failure, or the commit's failure (e.g. SK_ERR_DISKFULL) for
 * every job of the batch, or SK_OK. Must not block; a server hands the
 * result back to its event loop. */
typedef void (*sk_write_done_fn)(sk_status st, void *arg);

/* Runs once per batch in the outer transaction, after the batch's jobs and
 * before the commit (e.g. the registry signs one checkpoint and one receipt
 * batch per commit). A failure aborts the whole batch: every job gets that
 * status. A batch that failed before it (a flat job's failure) skips it:
 * state the jobs left for it is dropped by the end hook below. */
typedef sk_status (*sk_batch_fn)(MDB_txn *txn, void *ctx);

/* Runs once per batch on the writer thread after every job's done
 * callback, whatever the outcome, failed batches too (e.g. a server hands
 * the batch's replies on together: one wake-up of the next thread instead
 * of one a job, and forgets what the batch hook did not consume). */
typedef void (*sk_batch_end_fn)(void *ctx);

/* Starts the writer thread on env (which must outlive the writer). batch
 * and end may be NULL; both get batch_ctx. */
sk_status sk_writer_start(sk_writer **out, MDB_env *env, sk_batch_fn batch, sk_batch_end_fn end,
			  void *batch_ctx) SK_MUST_CHECK;

/* Queues a job; done (may be NULL) is called exactly once, on the writer
 * thread, unless this returns an error (then neither fn nor done run).
 * SK_ERR_TOOBIG when the queue is full; SK_ERR_FAILED after stop. */
sk_status sk_writer_submit(sk_writer *w, sk_write_fn fn, sk_write_done_fn done,
			   void *arg) SK_MUST_CHECK;

/* As sk_writer_submit for a job that refuses (returning SK_OK and
 * recording its refusal) before it writes anything: it runs in the batch's
 * transaction itself, without the nested transaction (and its cost) that
 * isolates other jobs; should it still fail, the whole batch fails with
 * its status and nothing of it is stored. */
sk_status sk_writer_submit_flat(sk_writer *w, sk_write_fn fn, sk_write_done_fn done,
				void *arg) SK_MUST_CHECK;

/* Queues a job and waits for its durable outcome (CLI commands, tests). */
sk_status sk_writer_run(sk_writer *w, sk_write_fn fn, void *arg) SK_MUST_CHECK;

/* Counters since start: jobs finished and durable commits made. */
void sk_writer_stats(sk_writer *w, uint64_t *jobs, uint64_t *commits);

/* Runs every job already queued, stops the thread and frees w. Accepts NULL. */
void sk_writer_stop(sk_writer *w);

#endif
