#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
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

/* What a host name may be: RFC 1123 names and IP addresses, nothing else. */
static void test_host_valid(void **state)
{
	static const char *const good[] = {
		"localhost", "registry", "a", "reg-1.example.nl", "ZORG.Example.NL", "127.0.0.1",
		"10.1.2.3", "::1", "2001:db8::1", "1a.example", "xn--bcher-kva.example",
		"a.b.c.d.e.f.g",
	};
	static const char *const bad[] = {
		"", ".", "a.", ".a", "a..b", "-a.example", "a-.example", "a_b.example", "*.example",
		"a b", "a/b", "1.2.3", "256.1.1.1", "1.2.3.4.5", "ex@mple", "a.example:443",
		"[::1]", "a\nb", "é.example",
	};
	char label64[80], long254[300];
	net_hosts h = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(net_cert_host_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(net_cert_host_valid(bad[i]));
	memset(label64, 'a', 64);
	memcpy(label64 + 64, ".example", 9);
	assert_false(net_cert_host_valid(label64));
	assert_true(net_cert_host_valid(label64 + 1)); /* 63 */
	/* 253 bytes: 63 + '.' + 63 + '.' + 63 + '.' + 61 */
	memset(long254, 'a', sizeof(long254));
	long254[63] = long254[127] = long254[191] = '.';
	long254[253] = 0;
	assert_true(net_cert_host_valid(long254));
	long254[253] = 'a';
	long254[254] = 0;
	assert_false(net_cert_host_valid(long254));
	/* a list: checked, once each, at most NET_HOSTS_MAX */
	E(net_hosts_add(&h, "a.example"));
	E(net_hosts_add(&h, "A.EXAMPLE"));
	assert_int_equal(h.n, 1);
	EFAIL(net_hosts_add(&h, "a..b"), SK_ERR_INVALID);
	{
		char names[NET_HOSTS_MAX][16];

		for (int i = 1; i < NET_HOSTS_MAX; i++) {
			snprintf(names[i], sizeof(names[i]), "h%d.example", i);
			E(net_hosts_add(&h, names[i]));
		}
		assert_int_equal(h.n, NET_HOSTS_MAX);
		EFAIL(net_hosts_add(&h, "one-more.example"), SK_ERR_INVALID);
	}
}

static X509 *x509_of(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	return x;
}

/* The certificate's subjectAltName: the org id and each host once, as
 * OpenSSL's own host name checks (what curl and Python use) see them; a
 * name outside them fails; bad or too many hosts are refused. */
static void test_san(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct ca ca;
	key_ed25519 m;
	uint8_t serial[NET_SERIAL_BYTES], *der = NULL;
	size_t len;
	net_hosts h = {{"zorg.example.nl", "10.0.0.7", "2001:db8::7", "ZORG.example.nl", "org"}, 5};
	net_hosts bad = {{"ok.example", "bad_name"}, 2};
	net_hosts many = {{NULL}, NET_HOSTS_MAX + 1};
	GENERAL_NAMES *names;
	net_peer peer;
	X509 *x;

	(void)state;
	ca_make(&ca, "Federatie", now);
	key_ed25519_generate(&m);
	E(net_cert_issue_hosts(&der, &len, serial, "org", "Org", "ggz", &h, m.pk, now - 60,
			       now + DAY, ca.der, ca.len, &ca.key));
	E(net_cert_verify(&peer, der, len, ca.der, ca.len, now)); /* as before */
	assert_string_equal(peer.org_id, "org");
	x = x509_of(der, len);
	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(names);
	assert_int_equal(sk_GENERAL_NAME_num(names), 4); /* org, name, v4, v6 */
	GENERAL_NAMES_free(names);
	assert_int_equal(X509_check_host(x, "org", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "zorg.example.nl", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.7", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "2001:db8::7", 0), 1);
	assert_int_equal(X509_check_host(x, "other.example.nl", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.8", 0), 0);
	X509_free(x);
	free(der);
	/* without hosts: the org id alone; an org id that is no DNS name
	 * (two dots in a row) gets no subjectAltName at all */
	E(net_cert_issue(&der, &len, serial, "org", "Org", "ggz", m.pk, now - 60, now + DAY,
			 ca.der, ca.len, &ca.key));
	x = x509_of(der, len);
	assert_int_equal(X509_check_host(x, "org", 0, 0, NULL), 1);
	X509_free(x);
	free(der);
	E(net_cert_issue(&der, &len, serial, "a..b", "Org", "ggz", m.pk, now - 60, now + DAY,
			 ca.der, ca.len, &ca.key));
	x = x509_of(der, len);
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	X509_free(x);
	free(der);
	/* the most a certificate may name stays within NET_CERT_MAX and verifies */
	{
		char big[NET_HOSTS_MAX][NET_HOST_MAX + 1];
		net_hosts all = {{NULL}, NET_HOSTS_MAX};

		for (int i = 0; i < NET_HOSTS_MAX; i++) {
			memset(big[i], 'a', NET_HOST_MAX);
			big[i][0] = (char)('a' + i);
			big[i][63] = big[i][127] = big[i][191] = '.';
			big[i][NET_HOST_MAX] = 0;
			all.name[i] = big[i];
		}
		E(net_cert_issue_hosts(&der, &len, serial, "org", "Org", "ggz", &all, m.pk, now - 60,
				       now + DAY, ca.der, ca.len, &ca.key));
		assert_true(len <= NET_CERT_MAX);
		E(net_cert_verify(&peer, der, len, ca.der, ca.len, now));
		x = x509_of(der, len);
		assert_int_equal(X509_check_host(x, big[NET_HOSTS_MAX - 1], 0, 0, NULL), 1);
		X509_free(x);
		free(der);
		der = NULL;
	}
	EFAIL(net_cert_issue_hosts(&der, &len, serial, "org", "Org", "ggz", &bad, m.pk, now - 60,
				   now + DAY, ca.der, ca.len, &ca.key),
	      SK_ERR_INVALID);
	assert_null(der);
	EFAIL(net_cert_issue_hosts(&der, &len, serial, "org", "Org", "ggz", &many, m.pk, now - 60,
				   now + DAY, ca.der, ca.len, &ca.key),
	      SK_ERR_INVALID);
	assert_null(der);
	ca_free(&ca);
}

/* The CA as PEM reads back as the same DER. */
static void test_pem(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct ca ca;
	char *pem = NULL;
	size_t len = 0;
	unsigned char *back = NULL;
	int back_len;
	BIO *bio;
	X509 *x;

	(void)state;
	ca_make(&ca, "Federatie", now);
	E(net_cert_pem(&pem, &len, ca.der, ca.len));
	assert_int_equal(strlen(pem), len);
	assert_memory_equal(pem, "-----BEGIN CERTIFICATE-----\n", 28);
	assert_non_null(bio = BIO_new_mem_buf(pem, (int)len));
	assert_non_null(x = PEM_read_bio_X509(bio, NULL, NULL, NULL));
	back_len = i2d_X509(x, &back);
	assert_int_equal(back_len, (int)ca.len);
	assert_memory_equal(back, ca.der, ca.len);
	OPENSSL_free(back);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	EFAIL(net_cert_pem(&pem, &len, ca.der, 10), SK_ERR_INVALID);
	assert_null(pem);
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
		cmocka_unit_test(test_host_valid),
		cmocka_unit_test(test_san),
		cmocka_unit_test(test_pem),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
