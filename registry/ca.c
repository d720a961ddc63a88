#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/file.h"
#include "registry/ca.h"

#define LABEL_CA "federation-ca"

sk_status reg_ca_pem_write(const char *path, const uint8_t *der, size_t len)
{
	char *pem = NULL;
	size_t pem_len = 0;
	sk_status st;

	if ((st = net_cert_pem(&pem, &pem_len, der, len)) == SK_OK)
		st = sk_file_create(path, pem, pem_len);
	free(pem);
	return st;
}

sk_status reg_ca_init(const char *dir, const char *name, sk_kek *kek)
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	uint8_t seed[KEY_ED25519_SEED_BYTES], *der = NULL;
	key_ed25519 key;
	size_t len = 0;
	int64_t now = (int64_t)(sk_clock_now_ms() / 1000);
	sk_status st;

	if ((st = sk_dir_create(dir)) != SK_OK ||
	    (st = sk_path_join(kpath, sizeof(kpath), dir, REG_CA_FILE_KEY)) != SK_OK ||
	    (st = sk_path_join(cpath, sizeof(cpath), dir, REG_CA_FILE_CERT)) != SK_OK)
		return st;
	randombytes_buf(seed, sizeof(seed));
	key_ed25519_from_seed(&key, seed);
	if ((st = net_cert_ca_create(&der, &len, name, now - 60,
				     now + (int64_t)REG_CA_YEARS * 365 * 86400, &key)) != SK_OK)
		goto out;
	if ((st = sk_keyfile_write(kek, kpath, LABEL_CA, seed, sizeof(seed))) != SK_OK) {
		if (st == SK_ERR_EXISTS)
			sk_error_set("%s already holds a federation CA", dir);
		goto out;
	}
	if ((st = sk_file_create(cpath, der, len)) != SK_OK ||
	    (st = sk_path_join(cpath, sizeof(cpath), dir, REG_CA_FILE_PEM)) != SK_OK ||
	    (st = reg_ca_pem_write(cpath, der, len)) != SK_OK ||
	    (st = sk_path_join(cpath, sizeof(cpath), dir, REG_CA_FILE_NAME)) != SK_OK)
		goto out;
	st = sk_file_create(cpath, name, strlen(name));
out:
	sodium_memzero(seed, sizeof(seed));
	key_ed25519_wipe(&key);
	free(der);
	return st;
}

void reg_ca_close(reg_ca *ca)
{
	if (ca == NULL)
		return;
	if (ca->key != NULL)
		sodium_free(ca->key);
	free(ca->der);
	free(ca);
}

sk_status reg_ca_open(reg_ca **out, const char *dir, sk_kek *kek)
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	reg_ca *ca = calloc(1, sizeof(*ca));
	uint8_t *name = NULL;
	size_t name_len = 0;
	sk_status st;

	*out = NULL;
	if (ca == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_dir_check(dir)) != SK_OK ||
	    (st = sk_path_join(kpath, sizeof(kpath), dir, REG_CA_FILE_KEY)) != SK_OK ||
	    (st = sk_path_join(cpath, sizeof(cpath), dir, REG_CA_FILE_CERT)) != SK_OK ||
	    (st = sk_file_read(cpath, NET_CERT_MAX, &ca->der, &ca->der_len)) != SK_OK)
		goto fail;
	ca->key = sodium_malloc(sizeof(*ca->key));
	if (ca->key == NULL) {
		st = SK_ERR_NOMEM;
		goto fail;
	}
	if ((st = sk_keyfile_read(kek, kpath, LABEL_CA, seed, sizeof(seed))) != SK_OK)
		goto fail;
	key_ed25519_from_seed(ca->key, seed);
	sodium_memzero(seed, sizeof(seed));
	if ((st = sk_path_join(cpath, sizeof(cpath), dir, REG_CA_FILE_NAME)) != SK_OK ||
	    (st = sk_file_read(cpath, NET_NAME_MAX, &name, &name_len)) != SK_OK)
		goto fail;
	memcpy(ca->name, name, name_len + 1);
	free(name);
	*out = ca;
	return SK_OK;
fail:
	reg_ca_close(ca);
	return st;
}

sk_status reg_ca_issue(const reg_ca *ca, uint8_t **der, size_t *der_len, const char *org_id,
		       const char *name, const char *unit, const net_hosts *hosts,
		       const uint8_t pk[static KEY_ED25519_PK_BYTES], int64_t now, unsigned days)
{
	uint8_t serial[NET_SERIAL_BYTES];

	return net_cert_issue_hosts(der, der_len, serial, org_id, name, unit, hosts, pk, now - 60,
				    now + (int64_t)days * 86400, ca->der, ca->der_len, ca->key);
}
