/* The witness as a service: tlog-witness over HTTPS for one federation's
 * log, on a thread of its own. POST <prefix>/add-checkpoint cosigns (see
 * witness.h), POST <prefix>/add-rollover cosigns a new log that replaces
 * it; GET /<hex SHA-256 of the origin>/checkpoint serves the latest
 * checkpoint cosigned, with our cosignature (the spec's monitor
 * retrieval), for the log's origin and for each that replaced it. The cosigning key is the member's identity key under the
 * name of its org id (wit_signer_from_identity). */
#ifndef SK_WIT_SERVE_H
#define SK_WIT_SERVE_H

#include <lmdb.h>

#include "crypto/key.h"
#include "crypto/note.h"
#include "net/tls.h"

typedef struct wit_server wit_server;

/* Starts serving on addr (HOST:PORT, port 0: a free one). env, tls must
 * outlive the server; log_key (type 0x01, named after the origin) and id
 * are copied (the copy of id lives in sodium_malloc memory). */
sk_status wit_server_start(wit_server **out, MDB_env *env, const net_tls *tls, const char *addr,
			   const note_verifier *log_key, const char *org_id,
			   const key_ed25519 *id) SK_MUST_CHECK;

/* "HOST:PORT" it listens on; owned by w. */
const char *wit_server_address(const wit_server *w);

/* Stops and frees (wiping the key); accepts NULL. */
void wit_server_stop(wit_server *w);

#endif
