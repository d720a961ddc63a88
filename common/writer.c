#include <pthread.h>
#include <stdlib.h>

#include "common/db.h"
#include "common/writer.h"

struct job {
	struct job *next;
	sk_write_fn fn;
	sk_write_done_fn done;
	void *arg;
	sk_status st;
	int flat; /* run in the batch's transaction itself (sk_writer_submit_flat) */
};

struct sk_writer {
	MDB_env *env;
	sk_batch_fn batch;
	sk_batch_end_fn end;
	void *batch_ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail; /* queue, under lock */
	size_t queued;
	int stopping;
	uint64_t jobs, commits; /* under lock */
};

/* Takes up to SK_WRITER_MAX_BATCH jobs off the queue; NULL when stopping
 * with nothing left. */
static struct job *take_batch(sk_writer *w)
{
	struct job *batch, *last;
	size_t n = 1;

	pthread_mutex_lock(&w->lock);
	while (w->head == NULL && !w->stopping)
		pthread_cond_wait(&w->wake, &w->lock);
	batch = w->head;
	if (batch != NULL) {
		for (last = batch; last->next != NULL && n < SK_WRITER_MAX_BATCH; n++)
			last = last->next;
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		w->queued -= n;
	}
	pthread_mutex_unlock(&w->lock);
	return batch;
}

static void run_batch(sk_writer *w, struct job *batch)
{
	MDB_txn *txn = NULL, *child;
	sk_status commit_st;
	uint64_t n = 0;
	int rc;

	commit_st = sk_db_status(mdb_txn_begin(w->env, NULL, 0, &txn));
	for (struct job *j = batch; j != NULL; j = j->next) {
		n++;
		if (commit_st != SK_OK) {
			j->st = commit_st;
			continue;
		}
		if (j->flat) {
			/* no nested transaction: a failure fails the whole batch */
			if ((j->st = j->fn(txn, j->arg)) != SK_OK) {
				commit_st = j->st;
				mdb_txn_abort(txn);
			}
			continue;
		}
		if ((rc = mdb_txn_begin(w->env, txn, 0, &child)) != 0) {
			j->st = sk_db_status(rc);
			continue;
		}
		j->st = j->fn(child, j->arg);
		if (j->st == SK_OK)
			j->st = sk_db_status(mdb_txn_commit(child));
		else
			mdb_txn_abort(child);
	}
	if (commit_st == SK_OK && w->batch != NULL &&
	    (commit_st = w->batch(txn, w->batch_ctx)) != SK_OK) {
		mdb_txn_abort(txn);
	} else if (commit_st == SK_OK) {
		commit_st = sk_db_status(mdb_txn_commit(txn));
		pthread_mutex_lock(&w->lock);
		w->commits++;
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_lock(&w->lock);
	w->jobs += n;
	pthread_mutex_unlock(&w->lock);
	while (batch != NULL) {
		struct job *next = batch->next;

		if (batch->done != NULL)
			batch->done(commit_st != SK_OK ? commit_st : batch->st, batch->arg);
		free(batch);
		batch = next;
	}
	if (w->end != NULL)
		w->end(w->batch_ctx);
}

static void *writer_main(void *arg)
{
	sk_writer *w = arg;
	struct job *batch;

	while ((batch = take_batch(w)) != NULL)
		run_batch(w, batch);
	return NULL;
}

sk_status sk_writer_start(sk_writer **out, MDB_env *env, sk_batch_fn batch, sk_batch_end_fn end,
			  void *batch_ctx)
{
	sk_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return SK_ERR_NOMEM;
	w->env = env;
	w->batch = batch;
	w->end = end;
	w->batch_ctx = batch_ctx;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		free(w);
		return SK_ERR_NOMEM;
	}
	if (pthread_cond_init(&w->wake, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return SK_ERR_NOMEM;
	}
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return SK_ERR_NOMEM;
	}
	*out = w;
	return SK_OK;
}

static sk_status submit(sk_writer *w, sk_write_fn fn, sk_write_done_fn done, void *arg, int flat)
{
	struct job *j;
	sk_status st = SK_OK;

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SK_ERR_NOMEM;
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	j->flat = flat;
	pthread_mutex_lock(&w->lock);
	if (w->stopping)
		st = SK_ERR_FAILED;
	else if (w->queued >= SK_WRITER_MAX_QUEUE)
		st = SK_ERR_TOOBIG;
	if (st == SK_OK) {
		if (w->tail != NULL)
			w->tail->next = j;
		else
			w->head = j;
		w->tail = j;
		w->queued++;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (st != SK_OK)
		free(j);
	return st;
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	sk_status st;
};

static void wake_waiter(sk_status st, void *arg)
{
	struct waiter *wt = arg;

	pthread_mutex_lock(&wt->lock);
	wt->st = st;
	wt->finished = 1;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->lock);
}

struct sync_job {
	sk_write_fn fn;
	void *arg;
	struct waiter wt;
};

static sk_status run_sync_job(MDB_txn *txn, void *arg)
{
	struct sync_job *s = arg;

	return s->fn(txn, s->arg);
}

static void sync_done(sk_status st, void *arg)
{
	struct sync_job *s = arg;

	wake_waiter(st, &s->wt);
}

sk_status sk_writer_submit(sk_writer *w, sk_write_fn fn, sk_write_done_fn done, void *arg)
{
	return submit(w, fn, done, arg, 0);
}

sk_status sk_writer_submit_flat(sk_writer *w, sk_write_fn fn, sk_write_done_fn done, void *arg)
{
	return submit(w, fn, done, arg, 1);
}

sk_status sk_writer_run(sk_writer *w, sk_write_fn fn, void *arg)
{
	struct sync_job s = {.fn = fn, .arg = arg};
	sk_status st;

	pthread_mutex_init(&s.wt.lock, NULL);
	pthread_cond_init(&s.wt.cond, NULL);
	st = sk_writer_submit(w, run_sync_job, sync_done, &s);
	if (st == SK_OK) {
		pthread_mutex_lock(&s.wt.lock);
		while (!s.wt.finished)
			pthread_cond_wait(&s.wt.cond, &s.wt.lock);
		st = s.wt.st;
		pthread_mutex_unlock(&s.wt.lock);
	}
	pthread_cond_destroy(&s.wt.cond);
	pthread_mutex_destroy(&s.wt.lock);
	return st;
}

void sk_writer_stats(sk_writer *w, uint64_t *jobs, uint64_t *commits)
{
	pthread_mutex_lock(&w->lock);
	*jobs = w->jobs;
	*commits = w->commits;
	pthread_mutex_unlock(&w->lock);
}

void sk_writer_stop(sk_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
