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

/* Sign-in through the organisation's identity provider (node/oidc.h): the
 * value of the configured claim (a "login") is linked to one professional
 * in the meta table. Up to NODE_LOGIN_MAX bytes of text. */
#define NODE_LOGIN_MAX 255

/* Links login to professional id (audited "professional.link"); a login
 * linked before moves to id. SK_ERR_NOTFOUND unknown professional;
 * SK_ERR_INVALID (detail set) a login that is no text or too long. */
sk_status node_login_link(node_store *s, const char *id, const char *login) SK_MUST_CHECK;

/* Signs in the professional linked to login, audited "signin" with method
 * (e.g. "openid-connect") as the reason. SK_ERR_NOTFOUND: no professional
 * has login (audited as a denied sign-in; nothing is created). */
sk_status node_signin_login(node_store *s, const char *login, const char *method,
			    node_professional *out) SK_MUST_CHECK;

/* Audits a sign-in by method that was refused before anyone was known
 * (a token that failed its checks): reason says why. */
void node_signin_refused(node_store *s, const char *method, const char *reason);

#endif
