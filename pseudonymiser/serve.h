/* `schakel-pseudonymiser serve`: TLS 1.3 with the member certificate from
 * the bundle; admission and every request check the allow-list and the
 * revoked orgs in LMDB (so allow, deny and revocations apply at once);
 * batched VOPRF evaluation with one DLEQ proof per batch on a worker pool;
 * per-org rate limit and daily quota with grants, counted in evaluations;
 * a background thread pulling the registry's member events; usage counters
 * saved every few seconds and daily totals in the audit log (at rollover
 * and at shutdown); with http, the cosigning witness (witness/serve.h). SIGTERM and SIGINT drain and return SK_OK. */
#ifndef SK_PS_SERVE_H
#define SK_PS_SERVE_H

#include <stdint.h>

#include "common/kek.h"
#include "pseudonymiser/store.h"

#define PS_SYNC_SECONDS_DEFAULT 5
#define PS_SYNC_SECONDS_MAX 3600
#define PS_FLUSH_MS 2000     /* usage counters saved at least this often */
#define PS_KEYS_MAX 64       /* epoch keys held at once */

typedef struct ps_serve_opts {
	const char *listen;     /* HOST:PORT, port 0 picks one */
	unsigned workers;       /* 0: one per CPU */
	unsigned sync_seconds;  /* member events pulled this often; 0: default */
	uint64_t rate, burst;   /* per-org evaluations a second and at once; 0: defaults */
	const char *http;       /* HOST:PORT of the cosigning witness (HTTPS); NULL: none */
} ps_serve_opts;

/* Runs until SIGTERM/SIGINT. Prints "listening on HOST:PORT" on stdout
 * once ready. Returns SK_OK after a clean drain. */
sk_status ps_serve(ps_store *s, sk_kek *kek, const ps_serve_opts *o) SK_MUST_CHECK;

#endif
