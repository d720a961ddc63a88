/* A small HTTPS/1.1 server on a thread of its own (libevent evhttp over
 * bufferevent_openssl) and a blocking HTTPS client: the witness protocol
 * and the registry's tlog-tiles. TLS 1.3 with the member's certificate;
 * clients present none (tlog clients and monitors need not be members);
 * the client checks the server's federation certificate and org id. */
#ifndef SK_WIT_HTTPS_H
#define SK_WIT_HTTPS_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "net/tls.h"

#define WIT_URL_MAX 255
#define WIT_HEADERS_MAX 8192

/* What a handler answers. body is malloc'd (or NULL), freed by the server. */
typedef struct wit_https_answer {
	int status;
	const char *content_type; /* static string */
	uint8_t *body;
	size_t len;
	int cache;                /* 1: immutable (full tiles), may be cached */
} wit_https_answer;

/* One request, on the server's thread: is_post (else GET), the decoded
 * path (no query) and the body (at most the server's body_max). */
typedef void (*wit_https_fn)(void *ctx, int is_post, const char *path, const uint8_t *body,
			     size_t len, wit_https_answer *out);

typedef struct wit_https wit_https;

/* Listens on addr (HOST:PORT, port 0: a free one) and serves fn from a new
 * thread. tls, fn and ctx must outlive the server. */
sk_status wit_https_start(wit_https **out, const net_tls *tls, const char *addr,
			  size_t body_max, wit_https_fn fn, void *ctx) SK_MUST_CHECK;

/* The bound address "HOST:PORT"; owned by h. */
const char *wit_https_address(const wit_https *h);

/* Stops the thread and frees h; accepts NULL. */
void wit_https_stop(wit_https *h);

/* Splits "https://HOST:PORT[/PREFIX]" into "HOST:PORT" and "/PREFIX" (""
 * when absent; no trailing '/'). SK_ERR_INVALID otherwise. */
sk_status wit_url_split(const char *url, char addr[static WIT_URL_MAX + 1],
			char prefix[static WIT_URL_MAX + 1]) SK_MUST_CHECK;

/* One blocking request (POST when body is not NULL, else GET) to addr; the
 * server's certificate must verify under tls's CA and, when peer_org is not
 * NULL, name that org. *resp (malloc'd, NUL-terminated, owned by the
 * caller) gets the body, at most resp_max bytes. SK_ERR_IO for network
 * failures and timeouts, SK_ERR_VERIFY for the certificate, SK_ERR_INVALID
 * for a malformed answer, SK_ERR_TOOBIG beyond resp_max. */
sk_status wit_https_request(const net_tls *tls, const char *addr, const char *peer_org,
			    const char *path, const uint8_t *body, size_t len,
			    unsigned timeout_ms, size_t resp_max, int *status,
			    char *content_type, size_t ct_cap, uint8_t **resp,
			    size_t *resp_len) SK_MUST_CHECK;

/* Parses an HTTP/1.x response (status line, headers, body by
 * Content-Length or up to the end); body points into buf. Exposed for the
 * fuzz harness. */
sk_status wit_http_response_parse(const uint8_t *buf, size_t len, int *status,
				  char *content_type, size_t ct_cap, const uint8_t **body,
				  size_t *body_len) SK_MUST_CHECK;

#endif
