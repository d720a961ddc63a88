/* The ID token's checks (node/oidc.h node_oidc_check) on the tokens of
 * tests/vectors/oidc/id_tokens.json (made by make.mjs there with node's
 * crypto): RS256, PS256 and ES256 pass; a flipped signature bit, claims
 * changed after signing, another key, alg none, HS256, another audience,
 * issuer or nonce, expiry beyond the skew, a future or old iat, nbf, and a
 * missing or unusable claim each fail; an unknown kid asks for the keys
 * again. Also the discovery document's checks. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "test_util.h"
#include "node/oidc.h"

static sk_status want_of(const char *w)
{
	return strcmp(w, "ok") == 0 ? SK_OK : strcmp(w, "notfound") == 0 ? SK_ERR_NOTFOUND
									 : SK_ERR_VERIFY;
}

static void test_id_tokens(void **state)
{
	json_t *v = json_load_file(SK_VECTORS_DIR "/oidc/id_tokens.json", 0, NULL), *c;
	char *jwks, login[NODE_OIDC_CLAIM_MAX + 1];
	uint64_t now;
	size_t i, ok = 0;

	(void)state;
	assert_non_null(v);
	now = (uint64_t)json_integer_value(json_object_get(v, "now_ms"));
	jwks = json_dumps(json_object_get(v, "jwks"), JSON_COMPACT);
	assert_non_null(jwks);
	json_array_foreach(json_object_get(v, "cases"), i, c)
	{
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *jwt = json_string_value(json_object_get(c, "jwt"));
		sk_status want = want_of(json_string_value(json_object_get(c, "want")));
		sk_status st = node_oidc_check(jwks, strlen(jwks), "https://idp.test", "schakel",
					       "preferred_username", jwt, strlen(jwt),
					       "nonce-of-this-sign-in", now, login, sizeof(login));

		if (st != want)
			fail_msg("%s: got \"%s\", want \"%s\"", name, sk_strerror(st),
				 sk_strerror(want));
		if (st == SK_OK) {
			assert_string_equal(login, "anna");
			ok++;
		} else {
			assert_string_equal(login, "");
		}
	}
	assert_true(ok >= 4 && i >= 20);
	/* a client that is not the token's, and a nonce that is not its */
	c = json_array_get(json_object_get(v, "cases"), 0);
	EFAIL(node_oidc_check(jwks, strlen(jwks), "https://idp.test", "other", "preferred_username",
			      json_string_value(json_object_get(c, "jwt")),
			      strlen(json_string_value(json_object_get(c, "jwt"))),
			      "nonce-of-this-sign-in", now, login, sizeof(login)),
	      SK_ERR_VERIFY);
	EFAIL(node_oidc_check(jwks, strlen(jwks), "https://idp.test", "schakel",
			      "preferred_username", json_string_value(json_object_get(c, "jwt")),
			      strlen(json_string_value(json_object_get(c, "jwt"))), "nonce-of-this-sign-i",
			      now, login, sizeof(login)),
	      SK_ERR_VERIFY);
	/* no keys at all: ask for them again */
	EFAIL(node_oidc_check("{\"keys\":[]}", 11, "https://idp.test", "schakel",
			      "preferred_username", json_string_value(json_object_get(c, "jwt")),
			      strlen(json_string_value(json_object_get(c, "jwt"))),
			      "nonce-of-this-sign-in", now, login, sizeof(login)),
	      SK_ERR_NOTFOUND);
	free(jwks);
	json_decref(v);
}

static void test_discovery(void **state)
{
	static const char good[] =
		"{\"issuer\":\"https://idp.test\",\"authorization_endpoint\":\"https://idp.test/a\","
		"\"token_endpoint\":\"https://idp.test/t\",\"jwks_uri\":\"https://idp.test/k\"}";
	static const char http[] =
		"{\"issuer\":\"https://idp.test\",\"authorization_endpoint\":\"https://idp.test/a\","
		"\"token_endpoint\":\"http://idp.test/t\",\"jwks_uri\":\"https://idp.test/k\"}";
	static const char nobasic[] =
		"{\"issuer\":\"https://idp.test\",\"authorization_endpoint\":\"https://idp.test/a\","
		"\"token_endpoint\":\"https://idp.test/t\",\"jwks_uri\":\"https://idp.test/k\","
		"\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"]}";

	(void)state;
	E(node_oidc_discovery_parse(good, strlen(good), "https://idp.test"));
	EFAIL(node_oidc_discovery_parse(good, strlen(good), "https://idp.test/"), SK_ERR_INVALID);
	EFAIL(node_oidc_discovery_parse(http, strlen(http), "https://idp.test"), SK_ERR_INVALID);
	EFAIL(node_oidc_discovery_parse(nobasic, strlen(nobasic), "https://idp.test"),
	      SK_ERR_INVALID);
	EFAIL(node_oidc_discovery_parse("[]", 2, "https://idp.test"), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_tokens),
		cmocka_unit_test(test_discovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
