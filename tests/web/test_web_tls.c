/* The pages' TLS (web/tls.h): which hosts are loopback; the self-made
 * certificate made once, kept, made again for a host it does not name,
 * its key wrapped under a passphrase's KEK; the organisation's PEM files
 * with a loose key mode, another certificate's key, an encrypted key and
 * garbage refused. tests/e2e/web_tls.sh serves with them. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/init.h"
#include "common/kek.h"
#include "web/tls.h"

static void test_loopback(void **state)
{
	static const char *const yes[] = {"127.0.0.1", "127.8.9.10", "::1", "localhost",
					  "::ffff:127.0.0.1"};
	static const char *const no[] = {"", "0.0.0.0", "::", "192.0.2.1", "10.1.2.3",
					 "::ffff:10.1.2.3", "2001:db8::1"};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!web_host_loopback(yes[i]))
			fail_msg("%s is loopback", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (web_host_loopback(no[i]))
			fail_msg("'%s' is not loopback", no[i]);
}

static int mode_of(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st) != 0)
		fail_msg("no %s", p);
	return (int)(st.st_mode & 0777);
}

static void test_self(void **state)
{
	char *dir = t_tmpdir();
	sk_kek *kek = NULL;
	web_tls *t = NULL;
	web_tls_opts o = {.self = 1, .dir = dir, .host = "127.0.0.1"};
	char fp[WEB_TLS_FINGERPRINT_LEN];
	int made = 0;

	(void)state;
	E(sk_init());
	E(sk_kek_open(&kek, NULL, 1));
	o.kek = kek;
	E(web_tls_open(&t, &o, &made));
	assert_int_equal(made, 1);
	assert_int_equal(strlen(web_tls_fingerprint(t)), WEB_TLS_FINGERPRINT_LEN - 1);
	snprintf(fp, sizeof(fp), "%s", web_tls_fingerprint(t));
	assert_int_equal(mode_of(dir, WEB_TLS_SELF_CERT), 0600);
	assert_int_equal(mode_of(dir, WEB_TLS_SELF_KEY), 0600);
	E(web_tls_reload(t));
	assert_string_equal(web_tls_fingerprint(t), fp);
	web_tls_free(t);

	/* kept: the same host, localhost, the wildcard */
	o.host = "localhost";
	E(web_tls_open(&t, &o, &made));
	assert_int_equal(made, 0);
	assert_string_equal(web_tls_fingerprint(t), fp);
	web_tls_free(t);
	o.host = "0.0.0.0";
	E(web_tls_open(&t, &o, &made));
	assert_int_equal(made, 0);
	web_tls_free(t);

	/* a host it does not name: a new one */
	o.host = "192.0.2.7";
	E(web_tls_open(&t, &o, &made));
	assert_int_equal(made, 1);
	assert_string_not_equal(web_tls_fingerprint(t), fp);
	web_tls_free(t);
	sk_kek_free(kek);
	t_rmdir(dir);
}

/* With a passphrase the self-made key is wrapped: --dev alone cannot
 * read it. */
static void test_self_wrapped(void **state)
{
	char *dir = t_tmpdir(), pass[512];
	sk_kek *kek = NULL, *dev = NULL;
	web_tls *t = NULL;
	web_tls_opts o = {.self = 1, .dir = dir, .host = "localhost"};
	int made = 0;

	(void)state;
	E(sk_init());
	t_write(dir, "pass", "een-lange-wachtwoordzin\n", 0600);
	snprintf(pass, sizeof(pass), "%s/pass", dir);
	E(sk_kek_open(&kek, pass, 0));
	o.kek = kek;
	E(web_tls_open(&t, &o, &made));
	assert_int_equal(made, 1);
	web_tls_free(t);
	E(sk_kek_open(&dev, NULL, 1));
	o.kek = dev;
	EFAIL(web_tls_open(&t, &o, &made), SK_ERR_WRAPPED);
	assert_null(t);
	sk_kek_free(dev);
	sk_kek_free(kek);
	t_rmdir(dir);
}

/* A PEM key (encrypted with pass when not NULL) and a self-signed
 * certificate for it into dir/name.key and dir/name.crt. */
static void pem_pair(const char *dir, const char *name, const char *pass, int key_mode)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	char p[512];
	FILE *f;

	if (pk == NULL || x == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 7) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
				       (const unsigned char *)"localhost", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 || X509_set_pubkey(x, pk) != 1 ||
	    X509_sign(x, pk, EVP_sha256()) <= 0)
		fail_msg("cannot make a certificate");
	snprintf(p, sizeof(p), "%s/%s.crt", dir, name);
	if ((f = fopen(p, "w")) == NULL || PEM_write_X509(f, x) != 1 || fclose(f) != 0)
		fail_msg("cannot write %s", p);
	snprintf(p, sizeof(p), "%s/%s.key", dir, name);
	if ((f = fopen(p, "w")) == NULL ||
	    PEM_write_PrivateKey(f, pk, pass != NULL ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
				 (void *)pass) != 1 ||
	    fclose(f) != 0 || chmod(p, (mode_t)key_mode) != 0)
		fail_msg("cannot write %s", p);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static sk_status open_pair(const char *dir, const char *cert, const char *key)
{
	char c[512], k[512];
	web_tls_opts o = {.cert = c, .key = k};
	web_tls *t = NULL;
	int made = 1;
	sk_status st;

	snprintf(c, sizeof(c), "%s/%s", dir, cert);
	snprintf(k, sizeof(k), "%s/%s", dir, key);
	st = web_tls_open(&t, &o, &made);
	assert_int_equal(made, 0);
	assert_true((st == SK_OK) == (t != NULL));
	web_tls_free(t);
	return st;
}

static void test_org_files(void **state)
{
	char *dir = t_tmpdir(), p[512];

	(void)state;
	E(sk_init());
	pem_pair(dir, "a", NULL, 0600);
	pem_pair(dir, "b", NULL, 0644);
	pem_pair(dir, "c", "geheim-wachtwoord", 0600);
	t_write(dir, "junk.crt", "-----BEGIN CERTIFICATE-----\nnee\n-----END CERTIFICATE-----\n", 0644);
	E(open_pair(dir, "a.crt", "a.key"));
	EFAIL(open_pair(dir, "b.crt", "b.key"), SK_ERR_PERM);
	assert_non_null(strstr(sk_error_detail(), "chmod 600"));
	snprintf(p, sizeof(p), "%s/b.key", dir);
	assert_int_equal(chmod(p, 0400), 0);
	E(open_pair(dir, "b.crt", "b.key"));
	EFAIL(open_pair(dir, "a.crt", "b.key"), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "does not belong"));
	EFAIL(open_pair(dir, "c.crt", "c.key"), SK_ERR_INVALID);
	assert_non_null(strstr(sk_error_detail(), "unencrypted"));
	EFAIL(open_pair(dir, "junk.crt", "a.key"), SK_ERR_INVALID);
	EFAIL(open_pair(dir, "none.crt", "a.key"), SK_ERR_NOTFOUND);
	t_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_self_wrapped),
		cmocka_unit_test(test_org_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
