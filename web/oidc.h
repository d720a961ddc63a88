/* Sign-in with the organisation's identity provider (OpenID Connect, code
 * flow with PKCE) for the node's pages: GET /oidc/start and GET
 * /oidc/callback (docs/web.md, "Sign-in with the identity provider"). Each
 * sign-in under way is a short-lived pre-session: state, nonce and PKCE
 * verifier kept here in locked memory under a random id that only the
 * browser's cookie `schakel_oidc` names, taken (and so ended) by the first
 * callback. The provider's side is node/oidc.h. Both routes run on the
 * sign-in workers with a deadline (they reach the provider). */
#ifndef SK_WEB_OIDC_H
#define SK_WEB_OIDC_H

#include "node/oidc.h"
#include "web/req.h"

#define WEB_OIDC_COOKIE "schakel_oidc"
#define WEB_OIDC_PENDING_MAX 256          /* sign-ins under way; the oldest goes first */
#define WEB_OIDC_PENDING_MS (10ull * 60 * 1000) /* a sign-in under way lives this long */
#define WEB_OIDC_LABEL_MAX 80
#define WEB_OIDC_METHOD "openid-connect"  /* the audit records' word for it */

typedef struct web_oidc web_oidc;

/* The relying party of c, shown as "Inloggen met label" on /signin; only:
 * no password sign-in at all. *out is the caller's (web_oidc_free). */
sk_status web_oidc_new(web_oidc **out, const node_oidc_conf *c, const char *label, int only)
	SK_MUST_CHECK;
/* Wipes the sign-ins under way; accepts NULL. */
void web_oidc_free(web_oidc *w);
/* Reaches the provider once (at serve's start): a warning when it cannot;
 * the first sign-in tries again. */
void web_oidc_warm(web_oidc *w, uint64_t deadline);

/* The provider's name for the sign-in page; NULL without a provider. */
const char *web_oidc_label(const web_oidc *w);
/* 1 when passwords are off (serve --oidc-only). */
int web_oidc_only(const web_oidc *w);

/* GET /oidc/start or /oidc/callback (a sign-in worker). */
void web_oidc_handle(web_req *r);

#endif
