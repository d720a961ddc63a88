#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/pool.h"

struct task {
	struct task *next;
	sk_pool_fn fn;
	void *arg;
};

struct sk_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct task *head, *tail;
	size_t queued;
	int stopping;
	unsigned nthreads;
	pthread_t threads[SK_POOL_MAX_THREADS];
};

static void *pool_main(void *arg)
{
	sk_pool *p = arg;

	for (;;) {
		struct task *t;

		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		t = p->head;
		if (t != NULL) {
			p->head = t->next;
			if (p->head == NULL)
				p->tail = NULL;
			p->queued--;
		}
		pthread_mutex_unlock(&p->lock);
		if (t == NULL)
			return NULL; /* stopping and drained */
		t->fn(t->arg);
		free(t);
	}
}

sk_status sk_pool_start(sk_pool **out, unsigned threads)
{
	sk_pool *p;

	*out = NULL;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > SK_POOL_MAX_THREADS)
		threads = SK_POOL_MAX_THREADS;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return SK_ERR_NOMEM;
	if (pthread_mutex_init(&p->lock, NULL) != 0 || pthread_cond_init(&p->wake, NULL) != 0) {
		free(p);
		return SK_ERR_NOMEM;
	}
	for (; p->nthreads < threads; p->nthreads++) {
		if (pthread_create(&p->threads[p->nthreads], NULL, pool_main, p) != 0) {
			sk_pool_stop(p);
			return SK_ERR_NOMEM;
		}
	}
	*out = p;
	return SK_OK;
}

sk_status sk_pool_submit(sk_pool *p, sk_pool_fn fn, void *arg)
{
	struct task *t = malloc(sizeof(*t));
	sk_status st = SK_OK;

	if (t == NULL)
		return SK_ERR_NOMEM;
	t->next = NULL;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->stopping)
		st = SK_ERR_FAILED;
	else if (p->queued >= SK_POOL_MAX_QUEUE)
		st = SK_ERR_TOOBIG;
	if (st == SK_OK) {
		if (p->tail != NULL)
			p->tail->next = t;
		else
			p->head = t;
		p->tail = t;
		p->queued++;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	if (st != SK_OK)
		free(t);
	return st;
}

void sk_pool_stop(sk_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
