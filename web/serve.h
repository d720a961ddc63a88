/* `schakel-node serve`: background sync on an interval, and on --web the
 * JSON API and the pages (web/web.h), over TLS 1.3 when given a
 * certificate (web/tls.h), for professionals signed in with a
 * password and for the organisation's own systems with the bearer token of
 * D/api-token (created 0600 at first start). With a witness address it also
 * cosigns the registry's checkpoints (witness/serve.h). SIGTERM and SIGINT
 * stop it cleanly. */
#ifndef SK_WEB_SERVE_H
#define SK_WEB_SERVE_H

#include "common/kek.h"
#include "node/oidc.h"
#include "node/store.h"

#define NODE_SYNC_SECONDS 60
#define NODE_API_TOKEN_FILE "api-token"

typedef struct node_serve_opts {
	const char *http;      /* HOST:PORT for the JSON API (port 0: a free one) */
	unsigned sync_seconds; /* 0: NODE_SYNC_SECONDS */
	const char *witness;   /* HOST:PORT of the cosigning witness (HTTPS); NULL: none */
	int secure_cookies;    /* the session cookie only over HTTPS (behind a TLS proxy) */
	/* TLS on `http` (web/tls.h): the organisation's PEM certificate chain
	 * and key, or (tls_self) the node's own certificate. Without either,
	 * `http` must be a loopback address. */
	const char *tls_cert, *tls_key;
	int tls_self;
	node_oidc_conf oidc;   /* the identity provider; oidc.issuer NULL: none */
	const char *oidc_name; /* its name on the sign-in page ("Inloggen met ...") */
	int oidc_only;         /* no password sign-in */
} node_serve_opts;

/* Runs until SIGTERM/SIGINT; prints "listening on HOST:PORT" when ready
 * (with TLS first the certificate's fingerprint). SIGHUP reads the TLS
 * certificate and key again. SK_ERR_INVALID (detail set) for a
 * non-loopback address without TLS. */
sk_status node_serve(node_store *s, sk_kek *kek, const node_serve_opts *o) SK_MUST_CHECK;

#endif
