/* Passwords of professionals for the web pages: argon2id hashes
 * (libsodium crypto_pwhash_str, interactive limits: 64 MiB, 2 passes) in
 * the node's meta table, and the lock-out after repeated failures, kept in
 * the database so that a restart does not reset it. Every sign-in, good or
 * not, and every password change is recorded in the audit log. */
#ifndef SK_NODE_AUTH_H
#define SK_NODE_AUTH_H

#include <stdint.h>

#include "node/professional.h"
#include "node/store.h"

#define NODE_PASSWORD_MIN 12      /* characters (bytes) */
#define NODE_PASSWORD_MAX 256
#define NODE_SIGNIN_FAILURES_MAX 5 /* in a row, then locked */
#define NODE_SIGNIN_LOCK_MS (15ull * 60 * 1000)

/* Sets the password of professional id (audited "professional.passwd").
 * SK_ERR_NOTFOUND unknown professional; SK_ERR_INVALID (detail set) a
 * password shorter than NODE_PASSWORD_MIN, longer than NODE_PASSWORD_MAX
 * or not text. Clears a lock-out. */
sk_status node_password_set(node_store *s, const char *id, const char *password,
			    uint64_t now_ms) SK_MUST_CHECK;

/* Checks a sign-in at now_ms, audited ("signin", ok or denied).
 * SK_OK: *out is the professional, failures reset. SK_ERR_VERIFY: a wrong
 * password, an unknown professional or none set (all alike, with the same
 * work done); the failure counts. SK_ERR_PERM: locked; *locked_until (may
 * be NULL) says until when. Other codes: the database. */
sk_status node_signin(node_store *s, const char *id, const char *password, uint64_t now_ms,
		      node_professional *out, uint64_t *locked_until) SK_MUST_CHECK;

#endif
