/* A small pool of worker threads for CPU work off the event loop:
 * signature checks, VOPRF evaluation, proof building. Jobs run in any
 * order on any worker; the queue is bounded. */
#ifndef SK_POOL_H
#define SK_POOL_H

#include <stddef.h>

#include "common/status.h"

#define SK_POOL_MAX_THREADS 64
#define SK_POOL_MAX_QUEUE 65536

typedef struct sk_pool sk_pool;

typedef void (*sk_pool_fn)(void *arg);

/* threads 0 means one per online CPU. */
sk_status sk_pool_start(sk_pool **out, unsigned threads) SK_MUST_CHECK;

/* Queues fn(arg). SK_ERR_TOOBIG when the queue is full (the caller answers
 * "busy"); SK_ERR_FAILED after stop began. fn runs exactly once on SK_OK. */
sk_status sk_pool_submit(sk_pool *p, sk_pool_fn fn, void *arg) SK_MUST_CHECK;

/* Runs every queued job, joins the workers and frees p. Accepts NULL. */
void sk_pool_stop(sk_pool *p);

#endif
