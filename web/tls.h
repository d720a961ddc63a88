/* TLS for the node's pages (`serve --tls-cert F --tls-key F` or
 * `--tls-self`): a TLS 1.3 server context with the organisation's
 * certificate chain and key (PEM; RSA, ECDSA or Ed25519, whatever its PKI
 * issues), or an ECDSA P-256 certificate the node makes for itself and
 * keeps in its data dir (browsers take no Ed25519 server certificate).
 * Not the federation's TLS (net/tls.h): browsers present no certificate
 * and check host names. Each connection's handshake is bounded in time,
 * so a slow or broken client holds nothing but its own socket. All calls
 * on the loop thread. docs/operator.md, "De pagina's over TLS". */
#ifndef SK_WEB_TLS_H
#define SK_WEB_TLS_H

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/kek.h"
#include "common/status.h"

#define WEB_TLS_HANDSHAKE_MS 10000 /* a handshake not done by then: closed */
#define WEB_TLS_PEM_MAX (256u * 1024) /* a certificate chain or key file */
#define WEB_TLS_SELF_CERT "web-tls.crt" /* the self-made one, in the data dir */
#define WEB_TLS_SELF_KEY "web-tls.key"  /* its key, wrapped like every key */
#define WEB_TLS_SELF_DAYS 365
#define WEB_TLS_SELF_RENEW_DAYS 30 /* made anew at a start this close to expiry */
#define WEB_TLS_FINGERPRINT_LEN 96 /* "AB:CD:…" of SHA-256, with its NUL */

typedef struct web_tls web_tls;

typedef struct web_tls_opts {
	const char *cert; /* the organisation's PEM chain (leaf first) ... */
	const char *key;  /* ... and its PEM key, unencrypted, 0600 or 0400 */
	int self;         /* else: the node's own certificate in dir */
	const char *dir;  /* the data dir (self) */
	sk_kek *kek;      /* wraps the self-made key; must outlive the web_tls */
	const char *host; /* the listen host: named in a self-made certificate */
} web_tls_opts;

/* Loads (or, with self, makes once and then loads) the certificate and
 * key into a new context. *made is 1 when a certificate was made now.
 * SK_ERR_PERM for a key file readable by others, SK_ERR_INVALID for a file
 * that does not parse or a key that is not the certificate's (detail set,
 * naming the file). */
sk_status web_tls_open(web_tls **out, const web_tls_opts *o, int *made) SK_MUST_CHECK;

/* Reads the files again (a renewed certificate, SIGHUP): new connections
 * get the new one, open ones keep theirs. On failure the old stays. */
sk_status web_tls_reload(web_tls *t) SK_MUST_CHECK;

/* The leaf certificate's SHA-256 fingerprint as `openssl x509
 * -fingerprint -sha256` shows it; owned by t, changed by a reload. */
const char *web_tls_fingerprint(const web_tls *t);

/* evhttp's bufferevent callback: a TLS server connection that is closed
 * when its handshake has not finished within WEB_TLS_HANDSHAKE_MS. NULL
 * when memory ran out (evhttp then reads plain text from that one client,
 * which a browser's ClientHello turns into a 400). */
struct bufferevent *web_tls_bev(struct event_base *base, void *t);

/* Accepts NULL. Connections made with t must be freed first. */
void web_tls_free(web_tls *t);

/* 1 when host (a name or an address, IPv6 without brackets) is a loopback
 * address (127.0.0.0/8, ::1): every address a name resolves to must be.
 * "" and the wildcard addresses are not. */
int web_host_loopback(const char *host);

#endif
