/* A TLS context for tests: a member certificate for org (OU unit) issued
 * by the CA (ca, ca_key) for a fresh key, trusting the CA trust. */
#ifndef SK_TEST_TLS_H
#define SK_TEST_TLS_H

#include <stdlib.h>
#include <time.h>

#include "crypto/key.h"
#include "net/cert.h"
#include "net/tls.h"
#include "test_util.h"

#define T_TLS_DAY 86400

static inline net_tls *t_member(const uint8_t *ca, size_t ca_len, const key_ed25519 *ca_key,
				const uint8_t *trust, size_t trust_len, const char *org,
				const char *unit)
{
	int64_t now = (int64_t)time(NULL);
	key_ed25519 k;
	uint8_t serial[NET_SERIAL_BYTES], *der;
	size_t len;
	net_tls *t;

	key_ed25519_generate(&k);
	E(net_cert_issue(&der, &len, serial, org, "Organisatie", unit, k.pk, now - 60,
			 now + T_TLS_DAY, ca, ca_len, ca_key));
	E(net_tls_new(&t, trust, trust_len, der, len, &k));
	key_ed25519_wipe(&k);
	free(der);
	return t;
}

#endif
