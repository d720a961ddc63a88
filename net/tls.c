#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/clock.h"
#include "net/tls.h"

struct net_tls {
	SSL_CTX *ctx;
	uint8_t *ca_der;
	size_t ca_len;
};

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

static void ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static X509 *der_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;

	if (der == NULL || len == 0 || len > NET_CERT_MAX)
		return NULL;
	return d2i_X509(NULL, &p, (long)len);
}

sk_status net_tls_new(net_tls **out, const uint8_t *ca_der, size_t ca_len,
		      const uint8_t *cert_der, size_t cert_len,
		      const key_ed25519 *key)
{
	net_tls *t = NULL;
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *pk = NULL;
	sk_status st = SK_ERR_INVALID;

	*out = NULL;
	pthread_once(&sigpipe_once, ignore_sigpipe);
	if ((ca = der_parse(ca_der, ca_len)) == NULL || (cert = der_parse(cert_der, cert_len)) == NULL) {
		sk_error_set("a TLS certificate does not parse");
		goto out;
	}
	st = SK_ERR_NOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->ca_der = malloc(ca_len)) == NULL)
		goto out;
	memcpy(t->ca_der, ca_der, ca_len);
	t->ca_len = ca_len;
	st = SK_ERR_CRYPTO;
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key->sk,
					  KEY_ED25519_SEED_BYTES);
	if (pk == NULL || (t->ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION) ||
	    !X509_STORE_add_cert(SSL_CTX_get_cert_store(t->ctx), ca) ||
	    SSL_CTX_use_certificate(t->ctx, cert) != 1)
		goto out;
	if (SSL_CTX_use_PrivateKey(t->ctx, pk) != 1 || SSL_CTX_check_private_key(t->ctx) != 1) {
		sk_error_set("the TLS certificate does not match the TLS key");
		st = SK_ERR_INVALID;
		goto out;
	}
	/* No tickets and no cache: a resumed session would skip the
	 * certificate check that admits a peer. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(t->ctx, 0);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(t->ctx, 0); /* member certificate, then the CA */
	st = SK_OK;
	*out = t;
out:
	if (st != SK_OK)
		net_tls_free(t);
	EVP_PKEY_free(pk);
	X509_free(cert);
	X509_free(ca);
	ERR_clear_error();
	return st;
}

void net_tls_free(net_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->ca_der);
	free(t);
}

SSL_CTX *net_tls_ctx(const net_tls *t)
{
	return t->ctx;
}

sk_status net_tls_peer(const net_tls *t, SSL *ssl, net_peer *peer)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	unsigned char *der = NULL;
	int len;
	sk_status st;

	memset(peer, 0, sizeof(*peer));
	if (x == NULL || SSL_get_verify_result(ssl) != X509_V_OK) {
		sk_error_set("peer certificate did not verify");
		return SK_ERR_VERIFY;
	}
	if ((len = i2d_X509(x, &der)) <= 0)
		return SK_ERR_CRYPTO;
	st = net_cert_verify(peer, der, (size_t)len, t->ca_der, t->ca_len, (int64_t)(sk_clock_now_ms() / 1000));
	OPENSSL_free(der);
	if (st == SK_ERR_INVALID) {
		sk_error_set("peer certificate breaks the federation's naming rules");
		st = SK_ERR_VERIFY;
	}
	return st;
}
