/* Certificates on arbitrary bytes. An even first byte: the rest is a host
 * name as an enrolment request or --host gives it; whatever
 * net_cert_host_valid accepts must go into a certificate whose
 * subjectAltName OpenSSL's host name check (curl's, Python's) then matches.
 * An odd first byte: the rest is a peer's DER certificate for
 * net_cert_verify and net_cert_pem under a fixed CA (seed 01..01). An
 * outcome other than a status is a bug: abort. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>
#include <sodium.h>

#include "net/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static key_ed25519 ca_key, member;
static uint8_t *ca_der;
static size_t ca_len;

static void setup(void)
{
	uint8_t seed[KEY_ED25519_SEED_BYTES];

	if (sodium_init() < 0)
		abort();
	memset(seed, 1, sizeof(seed));
	key_ed25519_from_seed(&ca_key, seed);
	memset(seed, 2, sizeof(seed));
	key_ed25519_from_seed(&member, seed);
	if (net_cert_ca_create(&ca_der, &ca_len, "Fuzz", 0, NET_TIME_MAX, &ca_key) != SK_OK)
		abort();
}

static void host(const uint8_t *data, size_t size)
{
	char s[NET_HOST_MAX + 8];
	uint8_t serial[NET_SERIAL_BYTES], *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	net_hosts h = {{s}, 1};
	X509 *x;
	int ok;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!net_cert_host_valid(s)) {
		if (net_cert_issue_hosts(&der, &len, serial, "org", "Org", "ggz", &h, member.pk, 0,
					 1, ca_der, ca_len, &ca_key) != SK_ERR_INVALID || der != NULL)
			abort();
		return;
	}
	if (strlen(s) > NET_HOST_MAX ||
	    net_cert_issue_hosts(&der, &len, serial, "org", "Org", "ggz", &h, member.pk, 0, 1,
				 ca_der, ca_len, &ca_key) != SK_OK)
		abort();
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		abort();
	ok = X509_check_host(x, s, 0, 0, NULL) == 1 || X509_check_ip_asc(x, s, 0) == 1;
	X509_free(x);
	free(der);
	if (!ok)
		abort();
}

static void peer(const uint8_t *data, size_t size)
{
	net_peer p;
	char *pem = NULL;
	size_t pem_len = 0;
	sk_status st = net_cert_verify(&p, data, size, ca_der, ca_len, 1800000000);

	if (st == SK_OK && (!net_cert_id_valid(p.org_id, NET_ORG_ID_MAX) ||
			    !net_cert_id_valid(p.category, NET_CATEGORY_MAX)))
		abort();
	st = net_cert_pem(&pem, &pem_len, data, size);
	if ((st == SK_OK) != (pem != NULL) || (pem != NULL && strlen(pem) != pem_len))
		abort();
	free(pem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] & 1)
		peer(data + 1, size - 1);
	else
		host(data + 1, size - 1);
	return 0;
}
