#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "common/file.h"
#include "common/log.h"
#include "web/tls.h"

#define LABEL_WEB_TLS "node-web-tls" /* the self-made key's wrapping */
#define SCALAR_BYTES 32              /* a P-256 private key */

struct web_tls {
	SSL_CTX *ctx;
	char *cert, *key; /* the files read again on a reload */
	int self;
	sk_kek *kek;
	char fingerprint[WEB_TLS_FINGERPRINT_LEN];
};

/* ---- loopback ------------------------------------------------------------ */

static int addr_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

int web_host_loopback(const char *host)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE}, *res = NULL;
	int loop = 1;

	if (host == NULL || host[0] == 0 || getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	for (const struct addrinfo *a = res; a != NULL && loop; a = a->ai_next)
		loop = addr_loopback(a->ai_addr);
	freeaddrinfo(res);
	return loop;
}

/* ---- files --------------------------------------------------------------- */

/* A PEM file's passphrase prompt: never (a service has no terminal). */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf, (void)size, (void)rw, (void)u;
	return -1;
}

/* The organisation's chain (leaf first) into ctx; the leaf into *leaf
 * (not owned). */
static sk_status chain_use(SSL_CTX *ctx, const char *path, X509 **leaf)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	sk_status st;

	if ((st = sk_file_read(path, WEB_TLS_PEM_MAX, &pem, &len)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("the TLS certificate file %s does not exist", path);
		goto out;
	}
	st = SK_ERR_INVALID;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1) {
		sk_error_set("%s holds no PEM certificate; give the certificate chain, the "
			     "server's certificate first", path);
		goto out;
	}
	*leaf = SSL_CTX_get0_certificate(ctx);
	X509_free(x); /* ctx holds its own reference */
	x = NULL;
	while ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			sk_error_set("%s: a certificate of the chain is refused", path);
			goto out;
		}
		x = NULL;
	}
	st = SK_OK;
out:
	X509_free(x);
	BIO_free(bio);
	free(pem);
	ERR_clear_error(); /* the chain's end reads as "no start line" */
	return st;
}

/* The organisation's key (PEM, unencrypted, not readable by others). */
static sk_status key_read_pem(const char *path, EVP_PKEY **pk)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	sk_status st;

	if ((st = sk_file_read_secret(path, WEB_TLS_PEM_MAX, &pem, &len)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("the TLS key file %s does not exist", path);
		return st;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		st = SK_ERR_NOMEM;
	else if ((*pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL) {
		sk_error_set("%s holds no unencrypted PEM private key; give the key without a "
			     "passphrase, readable only by the node (chmod 600)", path);
		st = SK_ERR_INVALID;
	}
	BIO_free(bio);
	sk_secret_free(pem);
	ERR_clear_error();
	return st;
}

/* ---- the self-made certificate ------------------------------------------ */

/* host as a subjectAltName entry ("IP:…" or "DNS:…"), or "" when it is a
 * wildcard, already named, or not a plain name. */
static void alt_name(const char *host, char *out, size_t cap)
{
	unsigned char a[sizeof(struct in6_addr)];
	size_t n = strlen(host);

	out[0] = 0;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
	    strcmp(host, "::1") == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		return;
	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1) {
		snprintf(out, cap, ",IP:%s", host);
		return;
	}
	if (n == 0 || n > 253 || strspn(host, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n)
		return;
	snprintf(out, cap, ",DNS:%s", host);
}

static int ext_add(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A new P-256 key and a self-signed certificate for localhost, 127.0.0.1,
 * ::1 and host, written to cert_path (PEM) and key_path (the private
 * scalar, wrapped). */
static sk_status self_make(sk_kek *kek, const char *host, const char *cert_path,
			   const char *key_path)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	uint8_t scalar[SCALAR_BYTES], serial[16];
	char alt[300], san[400];
	sk_status st = SK_ERR_CRYPTO;

	alt_name(host, alt, sizeof(alt));
	snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1%s", alt);
	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f; /* a positive serial */
	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    X509_set_version(x, 2) != 1 || (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)WEB_TLS_SELF_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "O", MBSTRING_UTF8,
				       (const unsigned char *)"schakel-node (self-made)", -1, -1,
				       0) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
				       (const unsigned char *)(alt[0] ? host : "localhost"),
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 || X509_set_pubkey(x, pk) != 1 ||
	    !ext_add(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !ext_add(x, NID_key_usage, "critical,digitalSignature") ||
	    !ext_add(x, NID_ext_key_usage, "serverAuth") ||
	    !ext_add(x, NID_subject_key_identifier, "hash") ||
	    !ext_add(x, NID_subject_alt_name, san) || X509_sign(x, pk, EVP_sha256()) <= 0)
		goto out;
	BN_free(bn);
	bn = NULL;
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
	    BN_bn2binpad(bn, scalar, sizeof(scalar)) != (int)sizeof(scalar) ||
	    (bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, x) != 1 ||
	    BIO_get_mem_ptr(bio, &mem) != 1)
		goto out;
	/* a key without its certificate is made again at the next start */
	(void)unlink(cert_path);
	(void)unlink(key_path);
	if ((st = sk_keyfile_write(kek, key_path, LABEL_WEB_TLS, scalar, sizeof(scalar))) == SK_OK)
		st = sk_file_create(cert_path, mem->data, mem->length);
out:
	sodium_memzero(scalar, sizeof(scalar));
	BN_clear_free(bn);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return st;
}

/* The self-made key: the wrapped scalar with the public point of its
 * certificate. */
static sk_status self_key(sk_kek *kek, const char *key_path, X509 *cert, EVP_PKEY **pk)
{
	uint8_t scalar[SCALAR_BYTES], point[65];
	size_t plen = 0;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *c = NULL;
	sk_status st;

	if ((st = sk_keyfile_read(kek, key_path, LABEL_WEB_TLS, scalar, sizeof(scalar))) != SK_OK)
		return st;
	st = SK_ERR_INVALID;
	if (EVP_PKEY_get_octet_string_param(X509_get0_pubkey(cert), OSSL_PKEY_PARAM_PUB_KEY, point,
					    sizeof(point), &plen) != 1) {
		sk_error_set("%s is not the node's own P-256 certificate; remove it and %s to make "
			     "a new pair", WEB_TLS_SELF_CERT, WEB_TLS_SELF_KEY);
		goto out;
	}
	st = SK_ERR_CRYPTO;
	if ((d = BN_secure_new()) == NULL || BN_bin2bn(scalar, sizeof(scalar), d) == NULL ||
	    (b = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, plen) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, pk, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	st = SK_OK;
out:
	sodium_memzero(scalar, sizeof(scalar));
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(d);
	ERR_clear_error();
	return st;
}

/* 1 when the certificate in path is good for WEB_TLS_SELF_RENEW_DAYS more
 * and names host. */
static int self_fresh(const char *path, const char *host)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	time_t until = time(NULL) + (time_t)WEB_TLS_SELF_RENEW_DAYS * 86400;
	int fresh = 0;

	if (sk_file_read(path, WEB_TLS_PEM_MAX, &pem, &len) != SK_OK ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL)
		goto out;
	fresh = X509_cmp_time(X509_get0_notAfter(x), &until) > 0 &&
		(host[0] == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 ||
		 X509_check_host(x, host, 0, 0, NULL) == 1 || X509_check_ip_asc(x, host, 0) == 1);
out:
	X509_free(x);
	BIO_free(bio);
	free(pem);
	ERR_clear_error();
	return fresh;
}

/* ---- the context ---------------------------------------------------------- */

static sk_status ctx_new(const web_tls *t, SSL_CTX **out, char fp[static WEB_TLS_FINGERPRINT_LEN])
{
	SSL_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	X509 *leaf = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	sk_status st = SK_ERR_CRYPTO;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		goto out;
	/* a client that closes without close_notify is a closed client */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	if ((st = chain_use(ctx, t->cert, &leaf)) != SK_OK)
		goto out;
	st = t->self ? self_key(t->kek, t->key, leaf, &pk) : key_read_pem(t->key, &pk);
	if (st != SK_OK)
		goto out;
	if (SSL_CTX_use_PrivateKey(ctx, pk) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		sk_error_set("the TLS key in %s does not belong to the certificate in %s", t->key,
			     t->cert);
		st = SK_ERR_INVALID;
		goto out;
	}
	st = SK_ERR_CRYPTO;
	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		goto out;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0)
		sk_log(SK_LOG_WARNING, "serve: the TLS certificate in %s has expired; browsers "
				       "will refuse the pages", t->cert);
	*out = ctx;
	ctx = NULL;
	st = SK_OK;
out:
	EVP_PKEY_free(pk);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return st;
}

void web_tls_free(web_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->cert);
	free(t->key);
	free(t);
}

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

static void ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-write: an error, not a signal */
}

sk_status web_tls_open(web_tls **out, const web_tls_opts *o, int *made)
{
	web_tls *t = calloc(1, sizeof(*t));
	char cert[PATH_MAX], key[PATH_MAX];
	sk_status st = SK_ERR_NOMEM;

	*out = NULL;
	*made = 0;
	pthread_once(&sigpipe_once, ignore_sigpipe);
	if (t == NULL)
		goto fail;
	t->self = o->self;
	t->kek = o->kek;
	if (o->self) {
		if ((st = sk_path_join(cert, sizeof(cert), o->dir, WEB_TLS_SELF_CERT)) != SK_OK ||
		    (st = sk_path_join(key, sizeof(key), o->dir, WEB_TLS_SELF_KEY)) != SK_OK)
			goto fail;
		if (!self_fresh(cert, o->host != NULL ? o->host : "") || access(key, F_OK) != 0) {
			if ((st = self_make(o->kek, o->host != NULL ? o->host : "", cert, key)) != SK_OK)
				goto fail;
			*made = 1;
		}
	} else if (o->cert == NULL || o->key == NULL) {
		sk_error_set("give both --tls-cert FILE and --tls-key FILE");
		st = SK_ERR_INVALID;
		goto fail;
	}
	st = SK_ERR_NOMEM;
	if ((t->cert = strdup(o->self ? cert : o->cert)) == NULL ||
	    (t->key = strdup(o->self ? key : o->key)) == NULL)
		goto fail;
	if ((st = ctx_new(t, &t->ctx, t->fingerprint)) != SK_OK)
		goto fail;
	*out = t;
	return SK_OK;
fail:
	web_tls_free(t);
	return st;
}

sk_status web_tls_reload(web_tls *t)
{
	SSL_CTX *ctx = NULL;
	char fp[WEB_TLS_FINGERPRINT_LEN];
	sk_status st;

	if ((st = ctx_new(t, &ctx, fp)) != SK_OK)
		return st;
	SSL_CTX_free(t->ctx); /* open connections hold their own reference */
	t->ctx = ctx;
	memcpy(t->fingerprint, fp, sizeof(fp));
	return SK_OK;
}

const char *web_tls_fingerprint(const web_tls *t)
{
	return t->fingerprint;
}

/* ---- connections -------------------------------------------------------- */

/* A connection's handshake deadline; freed with its SSL. */
typedef struct handshake {
	struct event *timer;
	SSL *ssl;
} handshake;

static int hs_index = -1;
static pthread_once_t hs_once = PTHREAD_ONCE_INIT;

static void hs_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	handshake *h = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (h == NULL) /* an SSL of another server in this process */
		return;
	event_free(h->timer);
	free(h);
}

static void hs_init(void)
{
	hs_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, hs_free);
}

/* Past the deadline and still shaking hands (a slow, silent or broken
 * client): the socket is shut, so libevent sees an error and evhttp frees
 * the connection, the SSL and this timer the usual way. */
static void hs_expire(evutil_socket_t fd, short what, void *arg)
{
	handshake *h = arg;
	int sock;

	(void)fd, (void)what;
	if (!SSL_is_init_finished(h->ssl) && (sock = SSL_get_fd(h->ssl)) >= 0)
		(void)shutdown(sock, SHUT_RDWR);
}

struct bufferevent *web_tls_bev(struct event_base *base, void *arg)
{
	web_tls *t = arg;
	struct timeval tv = {WEB_TLS_HANDSHAKE_MS / 1000, (WEB_TLS_HANDSHAKE_MS % 1000) * 1000};
	struct bufferevent *bev;
	handshake *h = NULL;
	SSL *ssl;

	pthread_once(&hs_once, hs_init);
	if (hs_index < 0 || (ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->timer = evtimer_new(base, hs_expire, h)) == NULL) {
		if (h != NULL)
			free(h);
		SSL_free(ssl);
		return NULL;
	}
	h->ssl = ssl;
	if (SSL_set_ex_data(ssl, hs_index, h) != 1) {
		event_free(h->timer);
		free(h);
		SSL_free(ssl);
		return NULL;
	}
	/* from here on SSL_free frees h */
	if (evtimer_add(h->timer, &tv) != 0) {
		SSL_free(ssl);
		return NULL;
	}
	/* On failure (out of memory) libevent 2.1 may or may not have freed
	 * ssl: it is left, a leak rather than a double free; its timer then
	 * finds no socket to shut. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	return bev;
}
