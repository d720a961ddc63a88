#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "net/cert.h"

int net_cert_id_valid(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static int label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* 4 or 16 bytes of an IP address in text into ip; 0 when s is none. */
static size_t ip_parse(const char *s, uint8_t ip[static 16])
{
	if (inet_pton(AF_INET, s, ip) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, ip) == 1)
		return 16;
	return 0;
}

int net_cert_host_valid(const char *s)
{
	uint8_t ip[16];
	size_t n = strnlen(s, NET_HOST_MAX + 1), start = 0;
	int digits_only = 1;

	if (n == 0 || n > NET_HOST_MAX)
		return 0;
	if (ip_parse(s, ip) != 0)
		return 1;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start;

			if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
				return 0;
			start = i + 1;
			if (i < n)
				digits_only = 1;
			continue;
		}
		if (!label_char(s[i]))
			return 0;
		if (s[i] < '0' || s[i] > '9')
			digits_only = 0;
	}
	return !digits_only; /* "1.2.3" would pass for an address */
}

sk_status net_hosts_add(net_hosts *h, const char *s)
{
	if (!net_cert_host_valid(s)) {
		sk_error_set("'%.80s' is not a host name (RFC 1123) or an IP address", s);
		return SK_ERR_INVALID;
	}
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], s) == 0)
			return SK_OK;
	if (h->n == NET_HOSTS_MAX) {
		sk_error_set("at most %d host names in a certificate", NET_HOSTS_MAX);
		return SK_ERR_INVALID;
	}
	h->name[h->n++] = s;
	return SK_OK;
}

/* 1..NET_NAME_MAX bytes of well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF) without C0/C1 control characters. */
static int name_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, NET_NAME_MAX + 1);

	if (n == 0 || n > NET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i];
		size_t k = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 :
			   c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 9;

		if (k == 9 || i + k >= n)
			return 0;
		c &= k == 0 ? 0x7f : 0x3f >> k;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && c < 0x800) || (k == 3 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff) || c < 0x20 || (c >= 0x7f && c < 0xa0))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int validity_ok(int64_t not_before, int64_t not_after)
{
	return not_before >= 0 && not_before < not_after && not_after <= NET_TIME_MAX;
}

static X509 *der_to_x509(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > NET_CERT_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) { /* trailing bytes */
		X509_free(x);
		x = NULL;
	}
	return x;
}

static sk_status x509_to_der(X509 *x, uint8_t **der, size_t *der_len)
{
	unsigned char *buf = NULL;
	int n = i2d_X509(x, &buf);

	if (n <= 0)
		return SK_ERR_CRYPTO;
	*der = malloc((size_t)n);
	if (*der == NULL) {
		OPENSSL_free(buf);
		return SK_ERR_NOMEM;
	}
	memcpy(*der, buf, (size_t)n);
	*der_len = (size_t)n;
	OPENSSL_free(buf);
	return SK_OK;
}

static EVP_PKEY *ed25519_private(const key_ed25519 *k)
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->sk,
					    KEY_ED25519_SEED_BYTES);
}

static int name_add(X509_NAME *n, int nid, const char *v)
{
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
					  (const unsigned char *)v, -1, -1, 0);
}

static int ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Appends s to names as a DNS name or an IP address (checked by caller). */
static int san_push(GENERAL_NAMES *names, const char *s)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *v = NULL;
	uint8_t ip[16];
	size_t ip_len = ip_parse(s, ip);

	if (g == NULL)
		return 0;
	if (ip_len != 0) {
		if ((v = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(v, ip, (int)ip_len))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_IPADD, v);
	} else {
		if ((v = ASN1_IA5STRING_new()) == NULL || !ASN1_STRING_set(v, s, -1))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_DNS, v);
	}
	if (sk_GENERAL_NAME_push(names, g) > 0)
		return 1;
	GENERAL_NAME_free(g);
	return 0;
fail:
	ASN1_STRING_free(v);
	GENERAL_NAME_free(g);
	return 0;
}

/* subjectAltName: the org id (when a DNS name), then each host once. */
static int san_add(X509 *x, const char *org_id, const net_hosts *hosts)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	int ok = names != NULL;

	if (ok && net_cert_host_valid(org_id))
		ok = san_push(names, org_id);
	for (size_t i = 0; ok && hosts != NULL && i < hosts->n; i++) {
		int seen = strcasecmp(hosts->name[i], org_id) == 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcasecmp(hosts->name[i], hosts->name[j]) == 0;
		if (!seen)
			ok = san_push(names, hosts->name[i]);
	}
	if (ok && sk_GENERAL_NAME_num(names) > 0)
		ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(names);
	return ok;
}

/* A fresh 16-byte serial: positive with a non-zero first byte, so that it
 * reads back as exactly these 16 bytes. */
static int serial_set(X509 *x, uint8_t serial[static NET_SERIAL_BYTES])
{
	BIGNUM *bn;
	int ok;

	randombytes_buf(serial, NET_SERIAL_BYTES);
	serial[0] = (serial[0] & 0x7f) | 0x40;
	bn = BN_bin2bn(serial, NET_SERIAL_BYTES, NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* The parts shared by CA and member certificates; x gets version 3, serial,
 * validity and subject key pk. */
static int cert_base(X509 *x, uint8_t serial[static NET_SERIAL_BYTES],
		     int64_t not_before, int64_t not_after, EVP_PKEY *pk)
{
	return X509_set_version(x, X509_VERSION_3) && serial_set(x, serial) &&
	       ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) != NULL &&
	       ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) != NULL &&
	       X509_set_pubkey(x, pk);
}

sk_status net_cert_ca_create(uint8_t **der, size_t *der_len, const char *federation,
			     int64_t not_before, int64_t not_after,
			     const key_ed25519 *ca_key)
{
	uint8_t serial[NET_SERIAL_BYTES];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	sk_status st = SK_ERR_CRYPTO;

	*der = NULL;
	*der_len = 0;
	if (!name_valid(federation) || !validity_ok(not_before, not_after)) {
		st = SK_ERR_INVALID;
		goto out;
	}
	if ((key = ed25519_private(ca_key)) == NULL || (x = X509_new()) == NULL)
		goto out;
	if (!cert_base(x, serial, not_before, not_after, key) ||
	    !name_add(X509_get_subject_name(x), NID_commonName, federation) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !ext_add(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !ext_add(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !ext_add(x, x, NID_subject_key_identifier, "hash") ||
	    X509_sign(x, key, NULL) <= 0)
		goto out;
	st = x509_to_der(x, der, der_len);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return st;
}

sk_status net_cert_issue(uint8_t **der, size_t *der_len,
			 uint8_t serial[static NET_SERIAL_BYTES],
			 const char *org_id, const char *name, const char *category,
			 const uint8_t pk[static KEY_ED25519_PK_BYTES],
			 int64_t not_before, int64_t not_after,
			 const uint8_t *ca_der, size_t ca_len,
			 const key_ed25519 *ca_key)
{
	return net_cert_issue_hosts(der, der_len, serial, org_id, name, category, NULL, pk,
				    not_before, not_after, ca_der, ca_len, ca_key);
}

sk_status net_cert_issue_hosts(uint8_t **der, size_t *der_len,
			       uint8_t serial[static NET_SERIAL_BYTES],
			       const char *org_id, const char *name, const char *category,
			       const net_hosts *hosts,
			       const uint8_t pk[static KEY_ED25519_PK_BYTES],
			       int64_t not_before, int64_t not_after,
			       const uint8_t *ca_der, size_t ca_len,
			       const key_ed25519 *ca_key)
{
	EVP_PKEY *key = NULL, *subject = NULL;
	X509 *ca = NULL, *x = NULL;
	X509_NAME *n;
	sk_status st = SK_ERR_INVALID;

	*der = NULL;
	*der_len = 0;
	memset(serial, 0, NET_SERIAL_BYTES);
	if (!net_cert_id_valid(org_id, NET_ORG_ID_MAX) || !name_valid(name) ||
	    !net_cert_id_valid(category, NET_CATEGORY_MAX) ||
	    !validity_ok(not_before, not_after))
		goto out;
	if (hosts != NULL && hosts->n > NET_HOSTS_MAX) {
		sk_error_set("at most %d host names in a certificate", NET_HOSTS_MAX);
		goto out;
	}
	for (size_t i = 0; hosts != NULL && i < hosts->n; i++)
		if (!net_cert_host_valid(hosts->name[i])) {
			sk_error_set("'%.80s' is not a host name (RFC 1123) or an IP address",
				     hosts->name[i]);
			goto out;
		}
	if ((ca = der_to_x509(ca_der, ca_len)) == NULL) {
		sk_error_set("the CA certificate does not parse");
		goto out;
	}
	st = SK_ERR_CRYPTO;
	if ((key = ed25519_private(ca_key)) == NULL ||
	    (subject = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk,
						   KEY_ED25519_PK_BYTES)) == NULL ||
	    (x = X509_new()) == NULL)
		goto out;
	if (X509_check_private_key(ca, key) != 1) {
		sk_error_set("the CA key does not match the CA certificate");
		st = SK_ERR_INVALID;
		goto out;
	}
	n = X509_get_subject_name(x);
	if (!cert_base(x, serial, not_before, not_after, subject) ||
	    !name_add(n, NID_commonName, org_id) ||
	    !name_add(n, NID_organizationName, name) ||
	    !name_add(n, NID_organizationalUnitName, category) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    !ext_add(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !ext_add(x, ca, NID_key_usage, "critical,digitalSignature") ||
	    !ext_add(x, ca, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !ext_add(x, ca, NID_authority_key_identifier, "keyid") ||
	    !san_add(x, org_id, hosts) || X509_sign(x, key, NULL) <= 0)
		goto out;
	st = x509_to_der(x, der, der_len);
out:
	if (st != SK_OK)
		memset(serial, 0, NET_SERIAL_BYTES);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(subject);
	EVP_PKEY_free(key);
	return st;
}

sk_status net_cert_pem(char **pem, size_t *pem_len, const uint8_t *der, size_t len)
{
	X509 *x = der_to_x509(der, len);
	BIO *bio = NULL;
	char *p = NULL;
	long n;
	sk_status st = SK_ERR_INVALID;

	*pem = NULL;
	*pem_len = 0;
	if (x == NULL)
		goto out;
	st = SK_ERR_CRYPTO;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, x) != 1 ||
	    (n = BIO_get_mem_data(bio, &p)) <= 0)
		goto out;
	st = SK_ERR_NOMEM;
	if ((*pem = malloc((size_t)n + 1)) == NULL)
		goto out;
	memcpy(*pem, p, (size_t)n);
	(*pem)[n] = '\0';
	*pem_len = (size_t)n;
	st = SK_OK;
out:
	BIO_free(bio);
	X509_free(x);
	return st;
}

/* Copies the one entry nid of the subject into out (cap bytes with NUL). */
static int subject_get(X509_NAME *n, int nid, char *out, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	unsigned char *utf8 = NULL;
	int len;

	if (i < 0 || X509_NAME_get_index_by_NID(n, nid, i) >= 0)
		return 0;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len <= 0 || (size_t)len >= cap || memchr(utf8, 0, (size_t)len) != NULL) {
		OPENSSL_free(utf8);
		return 0;
	}
	memcpy(out, utf8, (size_t)len);
	out[len] = '\0';
	OPENSSL_free(utf8);
	return 1;
}

static int time_get(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	*out = (int64_t)timegm(&tm);
	return 1;
}

/* Fills everything but cert_sha256 from a certificate whose chain verified. */
static int peer_fill(net_peer *p, X509 *x)
{
	X509_NAME *n = X509_get_subject_name(x);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	size_t pk_len = KEY_ED25519_PK_BYTES;
	int ok;

	ok = bn != NULL && !BN_is_negative(bn) &&
	     BN_bn2binpad(bn, p->serial, NET_SERIAL_BYTES) == NET_SERIAL_BYTES &&
	     pk != NULL && EVP_PKEY_get_id(pk) == EVP_PKEY_ED25519 &&
	     EVP_PKEY_get_raw_public_key(pk, p->tls_pk, &pk_len) == 1 &&
	     pk_len == KEY_ED25519_PK_BYTES && X509_NAME_entry_count(n) == 3 &&
	     subject_get(n, NID_commonName, p->org_id, sizeof(p->org_id)) &&
	     subject_get(n, NID_organizationName, p->name, sizeof(p->name)) &&
	     subject_get(n, NID_organizationalUnitName, p->category, sizeof(p->category)) &&
	     net_cert_id_valid(p->org_id, NET_ORG_ID_MAX) && name_valid(p->name) &&
	     net_cert_id_valid(p->category, NET_CATEGORY_MAX) &&
	     time_get(X509_get0_notBefore(x), &p->not_before) &&
	     time_get(X509_get0_notAfter(x), &p->not_after);
	BN_free(bn);
	return ok;
}

sk_status net_cert_verify(net_peer *peer, const uint8_t *der, size_t len,
			  const uint8_t *ca_der, size_t ca_len, int64_t now)
{
	X509 *x = NULL, *ca = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	sk_status st = SK_ERR_INVALID;

	memset(peer, 0, sizeof(*peer));
	if ((x = der_to_x509(der, len)) == NULL || (ca = der_to_x509(ca_der, ca_len)) == NULL)
		goto out;
	st = SK_ERR_CRYPTO;
	if ((store = X509_STORE_new()) == NULL || !X509_STORE_add_cert(store, ca) ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, store, x, NULL) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	X509_VERIFY_PARAM_set_depth(param, 0); /* leaf, then the CA itself */
	if (X509_verify_cert(ctx) != 1) {
		sk_error_set("certificate did not verify: %s",
			     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		st = SK_ERR_VERIFY;
		goto out;
	}
	if (X509_check_ca(x) != 0) {
		sk_error_set("certificate did not verify: a CA certificate, not a member's");
		st = SK_ERR_VERIFY;
		goto out;
	}
	st = SK_ERR_INVALID;
	if (!peer_fill(peer, x))
		goto out;
	crypto_hash_sha256(peer->cert_sha256, der, len);
	st = SK_OK;
out:
	if (st != SK_OK)
		memset(peer, 0, sizeof(*peer));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(x);
	return st;
}

sk_status net_cert_validity(const uint8_t *der, size_t len, int64_t *not_before,
			    int64_t *not_after)
{
	X509 *x = der_to_x509(der, len);
	sk_status st = SK_ERR_INVALID;

	if (x != NULL && time_get(X509_get0_notBefore(x), not_before) &&
	    time_get(X509_get0_notAfter(x), not_after))
		st = SK_OK;
	X509_free(x);
	return st;
}
