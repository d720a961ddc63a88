/* The node as an OpenID Connect relying party (authorization code flow with
 * PKCE S256) for the organisation's identity provider: discovery, the
 * provider's keys (JWKS), the token request and the full check of the ID
 * token (signature, iss, aud/azp, exp/iat/nbf, nonce). HTTPS by libcurl
 * (the provider's certificate always verified; a CA file may be given),
 * JWS and JWK by cjose, JSON by jansson. The web front end keeps state,
 * nonce and verifier (web/oidc.h); this module keeps no per-sign-in state.
 *
 * Threads: a node_oidc is shared by the sign-in workers; its own lock
 * guards the discovered endpoints and the key set. Calls that reach the
 * provider block the calling worker until the deadline at the latest. */
#ifndef SK_NODE_OIDC_H
#define SK_NODE_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define NODE_OIDC_URL_MAX 512        /* issuer, endpoints, redirect URI */
#define NODE_OIDC_CLAIM_MAX 255      /* a claim value that names a professional */
#define NODE_OIDC_RESPONSE_MAX (256u * 1024) /* any answer of the provider */
#define NODE_OIDC_JWT_MAX (16u * 1024)       /* an ID token */
#define NODE_OIDC_KEYS_MAX 32        /* keys of the provider's JWKS kept */
#define NODE_OIDC_SKEW_MS (60ull * 1000)     /* clock skew allowed on exp/iat/nbf */
#define NODE_OIDC_IAT_MAX_MS (10ull * 60 * 1000) /* an ID token older than this is refused */
#define NODE_OIDC_JWKS_REFRESH_MS (60ull * 1000) /* at most one key refresh a minute */
#define NODE_OIDC_SECRET_MAX 1024    /* the client secret file */
/* state, nonce and PKCE verifier: 32 random bytes, base64url without padding */
#define NODE_OIDC_RANDOM_CHARS 43

typedef struct node_oidc node_oidc;

typedef struct node_oidc_conf {
	const char *issuer;       /* https://..., exactly as the provider names itself */
	const char *client_id;
	const char *secret_file;  /* the client secret, mode 0600 or stricter */
	const char *claim;        /* the ID token's claim naming the professional;
				   * NULL: "preferred_username" */
	const char *redirect_uri; /* https://NODE/oidc/callback as registered */
	const char *ca_file;      /* CA certificates for the provider's TLS; NULL: the system's */
} node_oidc_conf;

/* Reads the client secret (SK_ERR_PERM for a file others may read) and
 * copies c. Reaches nobody yet. *out is the caller's (node_oidc_free). */
sk_status node_oidc_new(node_oidc **out, const node_oidc_conf *c) SK_MUST_CHECK;
/* Wipes the secret; accepts NULL. */
void node_oidc_free(node_oidc *o);

/* Fetches the provider's discovery document and keys unless already
 * known; SK_ERR_IO (detail set) when the provider cannot be reached by
 * deadline (sk_clock_now_ms() time) or answers something unusable. */
sk_status node_oidc_discover(node_oidc *o, uint64_t deadline) SK_MUST_CHECK;

/* Fresh random state, nonce or verifier: NODE_OIDC_RANDOM_CHARS + NUL. */
void node_oidc_random(char out[static NODE_OIDC_RANDOM_CHARS + 1]);

/* The authorization URL to send the browser to (after discovery). */
sk_status node_oidc_auth_url(node_oidc *o, const char *state, const char *nonce,
			     const char *verifier, char *out, size_t cap) SK_MUST_CHECK;

/* Exchanges code (with the PKCE verifier) at the token endpoint and checks
 * the ID token against nonce at now_ms; *login (NUL-terminated, cap bytes)
 * gets the configured claim's value. SK_ERR_IO: the provider could not be
 * reached or refused the code; SK_ERR_VERIFY: the ID token failed a check
 * (detail says which, never the token). */
sk_status node_oidc_exchange(node_oidc *o, const char *code, const char *verifier,
			     const char *nonce, uint64_t now_ms, uint64_t deadline,
			     char *login, size_t cap) SK_MUST_CHECK;

/* The check of an ID token alone, against the keys of JWKS document jwks
 * (no I/O; for tests and the fuzzer): the same as node_oidc_exchange does
 * after the token request. SK_ERR_NOTFOUND when no key has the token's kid
 * (the caller may refresh the keys once). */
sk_status node_oidc_check(const char *jwks, size_t jwks_len, const char *issuer,
			  const char *client_id, const char *claim, const char *jwt,
			  size_t jwt_len, const char *nonce, uint64_t now_ms, char *login,
			  size_t cap) SK_MUST_CHECK;

/* The provider's discovery document parsed and checked against issuer
 * (no I/O; for the fuzzer). SK_ERR_INVALID when unusable. */
sk_status node_oidc_discovery_parse(const char *doc, size_t len, const char *issuer)
	SK_MUST_CHECK;

#endif
