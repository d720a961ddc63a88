/* `schakel-registry serve`: the event loop (TLS, frames), a worker pool for
 * entry checks and signatures, and the single LMDB writer whose batches
 * each end with one signed checkpoint; the cosigning rounds (cosign.h) and,
 * with http, the log as tlog-tiles (tiles.h). SIGTERM and SIGINT drain: no new
 * requests, in-flight ones answered, then exit 0. */
#ifndef SK_REG_SERVE_H
#define SK_REG_SERVE_H

#include "common/kek.h"
#include "registry/op.h"
#include "registry/store.h"

typedef struct reg_serve_opts {
	const char *listen;  /* HOST:PORT, port 0 picks one */
	unsigned workers;    /* 0: one per CPU */
	unsigned sweep_seconds; /* expiry sweeper period; 0: REG_SWEEP_SECONDS */
	const char *http;    /* HOST:PORT for tlog-tiles over HTTPS; NULL: none */
	unsigned members_check_ms; /* open connections re-checked against member
				    * changes this often; 0: 250 */
} reg_serve_opts;

/* The op that serves requests of kind body, NULL when serve answers none
 * (registry/op.h): serve's table of request kinds. */
const reg_op *reg_serve_op(Schakel__V1__Envelope__BodyCase body);

/* Runs until SIGTERM/SIGINT. Prints "listening on HOST:PORT" on stdout
 * once ready. Returns SK_OK after a clean drain. */
sk_status reg_serve(reg_store *s, sk_kek *kek, const reg_serve_opts *o) SK_MUST_CHECK;

#endif
