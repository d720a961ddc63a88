/* TLS contexts of schakel: TLS 1.3 only, mutual authentication always,
 * trusting exactly the federation CA (never the system store), no session
 * tickets or resumption. One context serves both roles, server and client.
 * Peers are identified by their verified member certificate (net_peer);
 * there is no host name check: callers compare the peer's org id with the
 * one they expect. */
#ifndef SK_NET_TLS_H
#define SK_NET_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "common/status.h"
#include "crypto/key.h"
#include "net/cert.h"

typedef struct net_tls net_tls;

/* A context presenting cert_der (issued by ca_der for key) and accepting
 * peers with certificates from ca_der. The DER inputs are copied; the key
 * is copied into OpenSSL's memory. SK_ERR_INVALID when a certificate does
 * not parse or cert_der does not match key.
 * WARNING: ignores SIGPIPE for the whole process (once): OpenSSL writes to
 * sockets with write(2), and a peer that went away must give an error, not
 * a signal. */
sk_status net_tls_new(net_tls **out, const uint8_t *ca_der, size_t ca_len,
		      const uint8_t *cert_der, size_t cert_len,
		      const key_ed25519 *key) SK_MUST_CHECK;

/* Accepts NULL. Connections made with t must be freed first. */
void net_tls_free(net_tls *t);

/* The OpenSSL context, owned by t (for net/conn and tests). */
SSL_CTX *net_tls_ctx(const net_tls *t);

/* The verified identity of ssl's peer after a completed handshake:
 * OpenSSL's chain result, then net_cert_verify() of the peer's certificate
 * against t's CA now. SK_ERR_VERIFY (detail set) when either fails. */
sk_status net_tls_peer(const net_tls *t, SSL *ssl, net_peer *peer) SK_MUST_CHECK;

#endif
