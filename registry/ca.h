/* The federation authority: an Ed25519 key and a self-signed X.509 CA
 * certificate in a directory of its own, kept apart from the registry's
 * data dir and needed only while admitting members. */
#ifndef SK_REG_CA_H
#define SK_REG_CA_H

#include <stddef.h>
#include <stdint.h>

#include "common/kek.h"
#include "crypto/key.h"
#include "net/cert.h"

#define REG_CA_FILE_KEY "ca.key"
#define REG_CA_FILE_CERT "ca.crt" /* DER */
#define REG_CA_FILE_PEM "ca.pem"  /* the same certificate as PEM, for curl & co */
#define REG_CA_FILE_NAME "name"
#define REG_CA_YEARS 20

typedef struct reg_ca {
	key_ed25519 *key; /* sodium_malloc'd */
	uint8_t *der;
	size_t der_len;
	char name[NET_NAME_MAX + 1];
} reg_ca;

/* Creates the CA in dir (0700, created if missing; refused if it holds
 * one): ca.key, ca.crt (DER), ca.pem (the same as PEM) and name. */
sk_status reg_ca_init(const char *dir, const char *name, sk_kek *kek) SK_MUST_CHECK;

/* Loads the CA of dir; free with reg_ca_close(). */
sk_status reg_ca_open(reg_ca **out, const char *dir, sk_kek *kek) SK_MUST_CHECK;

/* Accepts NULL. */
void reg_ca_close(reg_ca *ca);

/* Issues a member certificate valid from now for days, with the org id and
 * hosts (NULL: none) as subjectAltName (net_cert_issue_hosts). */
sk_status reg_ca_issue(const reg_ca *ca, uint8_t **der, size_t *der_len,
		       const char *org_id, const char *name, const char *unit,
		       const net_hosts *hosts,
		       const uint8_t pk[static KEY_ED25519_PK_BYTES], int64_t now,
		       unsigned days) SK_MUST_CHECK;

/* Writes the CA certificate der as PEM to path (0600, must not exist). */
sk_status reg_ca_pem_write(const char *path, const uint8_t *der, size_t len) SK_MUST_CHECK;

#endif
