/* Federation X.509 certificates with Ed25519 keys (OpenSSL 3): the
 * self-signed federation CA, member certificates (CN = org id, O = name,
 * OU = category, or the role for pseudonymisers; subjectAltName: the org id
 * and the host names and addresses the operator gives, so that standard
 * TLS clients check host names) and their verification.
 * Certificates travel as DER; every DER buffer returned is malloc'd and
 * owned by the caller (free()). Times are Unix seconds. */
#ifndef SK_NET_CERT_H
#define SK_NET_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "crypto/key.h"

#define NET_ORG_ID_MAX 63    /* bytes of [a-z0-9.-], starting with [a-z0-9] */
#define NET_CATEGORY_MAX 63  /* the same alphabet as org ids */
#define NET_NAME_MAX 64      /* bytes of UTF-8 without control characters
                              * (X.509 allows 64 characters in O and CN) */
#define NET_SERIAL_BYTES 16
#define NET_SHA256_BYTES 32
#define NET_CERT_MAX 8192    /* cap on a DER certificate */
#define NET_TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */
#define NET_HOSTS_MAX 16     /* host names and addresses in one certificate */
#define NET_HOST_MAX 253     /* bytes of one DNS name (RFC 1035) */

/* The DNS names and IP addresses a member serves under, for the
 * certificate's subjectAltName; the strings are borrowed. */
typedef struct net_hosts {
	const char *name[NET_HOSTS_MAX];
	size_t n;
} net_hosts;

/* The OU of the parties that are not nodes: their role, which no node's
 * category may be (a node's OU is its category). */
#define NET_ROLE_REGISTRY "registry"
#define NET_ROLE_PSEUDONYMISER "pseudonymiser"
#define NET_ROLE_WITNESS "witness"

/* Who is at the other end of a connection: the fields of a verified
 * member certificate. Strings are NUL-terminated and valid per the rules
 * above. */
typedef struct net_peer {
	char org_id[NET_ORG_ID_MAX + 1];
	char name[NET_NAME_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	uint8_t tls_pk[KEY_ED25519_PK_BYTES];   /* the certificate's Ed25519 key */
	uint8_t cert_sha256[NET_SHA256_BYTES];  /* SHA-256 of the DER */
	uint8_t serial[NET_SERIAL_BYTES];       /* big-endian, left-padded */
	int64_t not_before, not_after;
} net_peer;

/* A self-signed federation CA certificate for ca_key: CN = federation (a
 * name, as NET_NAME_MAX), basicConstraints CA:TRUE (critical), keyUsage
 * keyCertSign and cRLSign, a random serial, valid [not_before, not_after].
 * SK_ERR_INVALID for a bad name or validity. */
sk_status net_cert_ca_create(uint8_t **der, size_t *der_len, const char *federation,
			     int64_t not_before, int64_t not_after,
			     const key_ed25519 *ca_key) SK_MUST_CHECK;

/* A member certificate for the Ed25519 public key pk, signed by the CA
 * (ca_der with its key ca_key, which must match): CN = org_id, O = name,
 * OU = category, basicConstraints CA:FALSE, keyUsage digitalSignature,
 * extendedKeyUsage serverAuth and clientAuth, subjectAltName the org id as
 * a DNS name (net_cert_issue_hosts with no hosts). The random serial is written
 * to serial. SK_ERR_INVALID for a name outside the rules, a bad validity,
 * or a CA certificate that does not parse or match ca_key. */
sk_status net_cert_issue(uint8_t **der, size_t *der_len,
			 uint8_t serial[static NET_SERIAL_BYTES],
			 const char *org_id, const char *name, const char *category,
			 const uint8_t pk[static KEY_ED25519_PK_BYTES],
			 int64_t not_before, int64_t not_after,
			 const uint8_t *ca_der, size_t ca_len,
			 const key_ed25519 *ca_key) SK_MUST_CHECK;

/* The same with subjectAltName entries: the org id as a DNS name (when it
 * is one by net_cert_host_valid) and each of hosts (NULL: none) as a DNS
 * name or an IP address, each once. SK_ERR_INVALID also for more than
 * NET_HOSTS_MAX hosts or one that net_cert_host_valid refuses. */
sk_status net_cert_issue_hosts(uint8_t **der, size_t *der_len,
			       uint8_t serial[static NET_SERIAL_BYTES],
			       const char *org_id, const char *name, const char *category,
			       const net_hosts *hosts,
			       const uint8_t pk[static KEY_ED25519_PK_BYTES],
			       int64_t not_before, int64_t not_after,
			       const uint8_t *ca_der, size_t ca_len,
			       const key_ed25519 *ca_key) SK_MUST_CHECK;

/* Verifies a member certificate against the CA at time now and fills
 * *peer. The certificate must chain directly to the CA, be valid at now
 * (not_before <= now < not_after, the CA's validity too),
 * not be a CA, carry an Ed25519 key and exactly the subject CN, O, OU
 * within the rules. SK_ERR_VERIFY when the chain, signature or validity
 * fails (sk_error_detail says which: e.g. "certificate has expired");
 * SK_ERR_INVALID when either DER does not parse or a field breaks the
 * rules. */
sk_status net_cert_verify(net_peer *peer, const uint8_t *der, size_t len,
			  const uint8_t *ca_der, size_t ca_len,
			  int64_t now) SK_MUST_CHECK;

/* The validity period (unix seconds) of a certificate, unverified: for
 * showing when one expires, never for deciding whether to trust it.
 * SK_ERR_INVALID when der does not parse. */
sk_status net_cert_validity(const uint8_t *der, size_t len, int64_t *not_before,
			    int64_t *not_after) SK_MUST_CHECK;
/* The certificate der as PEM text ("-----BEGIN CERTIFICATE-----", as curl,
 * Python and Go read a CA file); *pem is malloc'd and owned by the caller,
 * NUL-terminated, *pem_len without the NUL. SK_ERR_INVALID when der does
 * not parse. */
sk_status net_cert_pem(char **pem, size_t *pem_len, const uint8_t *der,
		       size_t len) SK_MUST_CHECK;

/* 1 when s is a valid org id (or category), 0 otherwise. */
int net_cert_id_valid(const char *s, size_t max);

/* 1 when s is a host name for a certificate: an IPv4 or IPv6 address in
 * text, or a DNS name by RFC 1123 (labels of 1-63 letters, digits and '-',
 * not starting or ending with '-', at most NET_HOST_MAX bytes, no wildcard,
 * no trailing dot, a last label not all digits); 0 otherwise. */
int net_cert_host_valid(const char *s);

/* Adds a host to h after checking it (net_cert_host_valid, at most
 * NET_HOSTS_MAX; a repeated name is kept once); s is borrowed. SK_ERR_INVALID
 * with a sentence in sk_error_detail otherwise. */
sk_status net_hosts_add(net_hosts *h, const char *s) SK_MUST_CHECK;

#endif
