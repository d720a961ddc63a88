#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/init.h"
#include "crypto/key.h"
#include "net/cert.h"
#include "test_util.h"

#define DAY 86400

struct ca {
	key_ed25519 key;
	uint8_t *der;
	size_t len;
};

static void ca_make(struct ca *ca, const char *name, int64_t now)
{
	key_ed25519_generate(&ca->key);
	E(net_cert_ca_create(&ca->der, &ca->len, name, now - DAY, now + 7300 * (int64_t)DAY,
			     &ca->key));
}

static void ca_free(struct ca *ca)
{
	key_ed25519_wipe(&ca->key);
	free(ca->der);
}

static void issue(const struct ca *ca, const key_ed25519 *member, int64_t nb, int64_t na,
		  uint8_t serial[NET_SERIAL_BYTES], uint8_t **der, size_t *len)
{
	E(net_cert_issue(der, len, serial, "ggz-noord.nl", "GGZ Noord – Zorg & Welzijn", "ggz",
			 member->pk, nb, na, ca->der, ca->len, &ca->key));
}

/* Issue, verify, and every field comes back as issued. */
static void test_roundtrip(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct ca ca;
	key_ed25519 m;
	uint8_t serial[NET_SERIAL_BYTES], zero[NET_SERIAL_BYTES] = {0}, h[32], *der;
	size_t len;
	net_peer p;

	ca_make(&ca, "Federatie Zorgregio Noord", now);
	key_ed25519_generate(&m);
	issue(&ca, &m, now - 60, now + 365 * DAY, serial, &der, &len);
	assert_memory_not_equal(serial, zero, sizeof(serial));
	E(net_cert_verify(&p, der, len, ca.der, ca.len, now));
	assert_string_equal(p.org_id, "ggz-noord.nl");
	assert_string_equal(p.name, "GGZ Noord – Zorg & Welzijn");
	assert_string_equal(p.category, "ggz");
	assert_memory_equal(p.tls_pk, m.pk, 32);
	assert_memory_equal(p.serial, serial, NET_SERIAL_BYTES);
	crypto_hash_sha256(h, der, len);
	assert_memory_equal(p.cert_sha256, h, 32);
	assert_int_equal(p.not_before, now - 60);
	assert_int_equal(p.not_after, now + 365 * DAY);

	/* two issues never share a serial */
	{
		uint8_t serial2[NET_SERIAL_BYTES], *der2;
		size_t len2;

		issue(&ca, &m, now - 60, now + DAY, serial2, &der2, &len2);
		assert_memory_not_equal(serial, serial2, NET_SERIAL_BYTES);
		free(der2);
	}
	free(der);
	ca_free(&ca);
}

/* A certificate from another CA, or issued with a key that is not the
 * CA's, fails; the CA certificate is not a member certificate. */
static void test_wrong_ca(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct ca ca, other;
	key_ed25519 m;
	uint8_t serial[NET_SERIAL_BYTES], *der, *bad = NULL;
	size_t len, bad_len;
	net_peer p;

	ca_make(&ca, "Federatie A", now);
	ca_make(&other, "Federatie A", now); /* same name, other key */
	key_ed25519_generate(&m);
	issue(&other, &m, now - 60, now + DAY, serial, &der, &len);
	EFAIL(net_cert_verify(&p, der, len, ca.der, ca.len, now), SK_ERR_VERIFY);
	E(net_cert_verify(&p, der, len, other.der, other.len, now));
	EFAIL(net_cert_verify(&p, ca.der, ca.len, ca.der, ca.len, now), SK_ERR_VERIFY);
	EFAIL(net_cert_issue(&bad, &bad_len, serial, "org", "Org", "ggz", m.pk, now, now + DAY,
			     ca.der, ca.len, &other.key),
	      SK_ERR_INVALID);
	assert_null(bad);
	free(der);
	ca_free(&ca);
	ca_free(&other);
}

/* Validity is checked at the given time: not_before <= now < not_after
 * (OpenSSL counts the last second as expired). */
static void test_validity(void **state)
{
	int64_t now = (int64_t)time(NULL), nb = now + DAY, na = now + 2 * DAY;
	struct ca ca;
	key_ed25519 m;
	uint8_t serial[NET_SERIAL_BYTES], *der;
	size_t len;
	net_peer p;

	ca_make(&ca, "Federatie", now);
	key_ed25519_generate(&m);
	issue(&ca, &m, nb, na, serial, &der, &len);
	EFAIL(net_cert_verify(&p, der, len, ca.der, ca.len, now), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "not yet valid"));
	EFAIL(net_cert_verify(&p, der, len, ca.der, ca.len, nb - 1), SK_ERR_VERIFY);
	E(net_cert_verify(&p, der, len, ca.der, ca.len, nb));
	E(net_cert_verify(&p, der, len, ca.der, ca.len, na - 1));
	EFAIL(net_cert_verify(&p, der, len, ca.der, ca.len, na), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "expired"));
	free(der);
	/* the CA's own validity counts too: a member certificate outliving it */
	issue(&ca, &m, now, now + 7400 * (int64_t)DAY, serial, &der, &len);
	E(net_cert_verify(&p, der, len, ca.der, ca.len, now + 7299 * (int64_t)DAY));
	EFAIL(net_cert_verify(&p, der, len, ca.der, ca.len, now + 7301 * (int64_t)DAY),
	      SK_ERR_VERIFY);
	free(der);
	ca_free(&ca);
}

/* Any changed byte, truncation or trailing garbage fails. */
static void test_tampered(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct ca ca;
	key_ed25519 m;
	uint8_t serial[NET_SERIAL_BYTES], *der, *copy;
	size_t len;
	net_peer p;
	int verified = 0;

	ca_make(&ca, "Federatie", now);
	key_ed25519_generate(&m);
	issue(&ca, &m, now - 60, now + DAY, serial, &der, &len);
	copy = malloc(len + 1);
	assert_non_null(copy);
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, der, len);
		copy[i] ^= 0x01;
		verified += net_cert_verify(&p, copy, len, ca.der, ca.len, now) == SK_OK;
	}
	assert_int_equal(verified, 0);
	/* the subject itself: org id "ggz-noord.nl" becomes "ggz-noord.nm" */
	memcpy(copy, der, len);
	for (size_t i = 0; i + 12 <= len; i++)
		if (memcmp(copy + i, "ggz-noord.nl", 12) == 0)
			copy[i + 11] = 'm';
	EFAIL(net_cert_verify(&p, copy, len, ca.der, ca.len, now), SK_ERR_VERIFY);
	assert_string_equal(p.org_id, ""); /* nothing filled on failure */
	EFAIL(net_cert_verify(&p, der, len - 1, ca.der, ca.len, now), SK_ERR_INVALID);
	memcpy(copy, der, len);
	copy[len] = 0;
	EFAIL(net_cert_verify(&p, copy, len + 1, ca.der, ca.len, now), SK_ERR_INVALID);
	EFAIL(net_cert_verify(&p, der, len, ca.der, ca.len - 1, now), SK_ERR_INVALID);
	EFAIL(net_cert_verify(&p, (const uint8_t *)"garbage", 7, ca.der, ca.len, now),
	      SK_ERR_INVALID);
	EFAIL(net_cert_verify(&p, NULL, 0, ca.der, ca.len, now), SK_ERR_INVALID);
	free(copy);
	free(der);
	ca_free(&ca);
}

static sk_status try_issue(const struct ca *ca, const char *org, const char *name,
			   const char *cat, int64_t nb, int64_t na)
{
	key_ed25519 m;
	uint8_t serial[NET_SERIAL_BYTES], *der = NULL;
	size_t len;
	sk_status st;

	key_ed25519_generate(&m);
	st = net_cert_issue(&der, &len, serial, org, name, cat, m.pk, nb, na, ca->der,
			    ca->len, &ca->key);
	if (st == SK_OK) {
		net_peer p;

		E(net_cert_verify(&p, der, len, ca->der, ca->len, nb));
		assert_string_equal(p.org_id, org);
		assert_string_equal(p.name, name);
		assert_string_equal(p.category, cat);
	} else {
		assert_null(der);
	}
	free(der);
	return st;
}

/* Names outside the rules are refused before anything is signed. */
static void test_names(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct ca ca;
	char id63[64], id64[65], name64[65], name65[66];
	static const char *bad_ids[] = {"", "Upper", "-lead", ".lead", "a b", "a_b", "é", "a/b"};
	static const char *bad_names[] = {"", "tab\there", "nl\n", "del\x7f",
					  "\xc2\x85" /* C1 */, "\xc3\x28" /* bad continuation */,
					  "\xc0\xaf" /* overlong */, "\xe0\x80\xaf" /* overlong */,
					  "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80" /* > U+10FFFF */,
					  "\xc3" /* truncated */, "\xff"};
	key_ed25519 k;
	uint8_t *der = NULL;
	size_t len;

	memset(id63, 'a', 63);
	id63[63] = '\0';
	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(name64, 'N', 64);
	name64[64] = '\0';
	memset(name65, 'N', 65);
	name65[65] = '\0';
	ca_make(&ca, "Federatie", now);

	E(try_issue(&ca, "a", "A", "b", now, now + 1));
	E(try_issue(&ca, id63, name64, id63, now, now + DAY));
	E(try_issue(&ca, "0rg-1.zorg.nl", "Stichting Súdwest-Fryslân 😀", "sociaal-team", now,
		    now + DAY));
	EFAIL(try_issue(&ca, id64, "A", "ggz", now, now + DAY), SK_ERR_INVALID);
	EFAIL(try_issue(&ca, "org", name65, "ggz", now, now + DAY), SK_ERR_INVALID);
	EFAIL(try_issue(&ca, "org", "A", id64, now, now + DAY), SK_ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		EFAIL(try_issue(&ca, bad_ids[i], "A", "ggz", now, now + DAY), SK_ERR_INVALID);
		EFAIL(try_issue(&ca, "org", "A", bad_ids[i], now, now + DAY), SK_ERR_INVALID);
		assert_int_equal(net_cert_id_valid(bad_ids[i], NET_ORG_ID_MAX), 0);
	}
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		EFAIL(try_issue(&ca, "org", bad_names[i], "ggz", now, now + DAY), SK_ERR_INVALID);
	/* validity: empty, reversed, negative, past 9999 */
	EFAIL(try_issue(&ca, "org", "A", "ggz", now, now), SK_ERR_INVALID);
	EFAIL(try_issue(&ca, "org", "A", "ggz", now, now - 1), SK_ERR_INVALID);
	EFAIL(try_issue(&ca, "org", "A", "ggz", -1, now), SK_ERR_INVALID);
	EFAIL(try_issue(&ca, "org", "A", "ggz", now, NET_TIME_MAX + 1), SK_ERR_INVALID);
	/* the CA's name follows the name rules; a CA that does not parse */
	key_ed25519_generate(&k);
	EFAIL(net_cert_ca_create(&der, &len, "", now, now + DAY, &k), SK_ERR_INVALID);
	EFAIL(net_cert_ca_create(&der, &len, name65, now, now + DAY, &k), SK_ERR_INVALID);
	EFAIL(net_cert_ca_create(&der, &len, "F", now + DAY, now, &k), SK_ERR_INVALID);
	assert_null(der);
	{
		uint8_t serial[NET_SERIAL_BYTES];

		EFAIL(net_cert_issue(&der, &len, serial, "org", "A", "ggz", k.pk, now, now + DAY,
				     ca.der, 10, &ca.key),
		      SK_ERR_INVALID);
	}
	ca_free(&ca);
}

static int setup(void **state)
{
	return sk_init() == SK_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
