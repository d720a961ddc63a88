#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/file.h"
#include "common/log.h"
#include "node/oidc.h"

struct node_oidc {
	pthread_mutex_t lock;
	char issuer[NODE_OIDC_URL_MAX + 1];
	char client_id[NODE_OIDC_URL_MAX + 1];
	char claim[64];
	char redirect_uri[NODE_OIDC_URL_MAX + 1];
	char ca_file[NODE_OIDC_URL_MAX + 1]; /* "" for the system's */
	uint8_t *secret;                     /* sodium_malloc'd (sk_file_read_secret) */
	size_t secret_len;
	/* under lock */
	int discovered;
	char auth_ep[NODE_OIDC_URL_MAX + 1];
	char token_ep[NODE_OIDC_URL_MAX + 1];
	char jwks_uri[NODE_OIDC_URL_MAX + 1];
	int secret_post; /* the provider takes client_secret_post only */
	char *jwks;      /* the key set as fetched (malloc'd) */
	size_t jwks_len;
	uint64_t jwks_at; /* when fetched, sk_clock_now_ms() */
};

/* ---- HTTPS ------------------------------------------------------------------ */

typedef struct {
	char *b;
	size_t n;
} resp;

static void resp_free(resp *r)
{
	if (r->b != NULL)
		sodium_memzero(r->b, r->n); /* may hold tokens */
	free(r->b);
	r->b = NULL;
	r->n = 0;
}

/* Keeps at most NODE_OIDC_RESPONSE_MAX bytes; more aborts the transfer. */
static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	resp *r = arg;
	size_t len = sz * nm;
	char *nb;

	if (nm != 0 && len / nm != sz)
		return 0;
	if (len > NODE_OIDC_RESPONSE_MAX - r->n)
		return 0;
	if ((nb = malloc(r->n + len + 1)) == NULL)
		return 0;
	if (r->b != NULL)
		memcpy(nb, r->b, r->n);
	memcpy(nb + r->n, p, len);
	nb[r->n + len] = 0;
	resp_free(r);
	r->b = nb;
	r->n += len;
	return len;
}

/* GET url (form NULL) or POST form to it, with the client's credentials
 * as HTTP Basic when basic; the answer into *out (the caller frees it
 * with resp_free), its status into *code. */
static sk_status fetch(node_oidc *o, const char *url, const char *form, int basic,
		       uint64_t deadline, resp *out, long *code)
{
	uint64_t now = sk_clock_now_ms();
	char *user = NULL, *pass = NULL;
	CURL *h = NULL;
	CURLcode cc;
	sk_status st = SK_ERR_IO;

	*code = 0;
	if (now >= deadline) {
		sk_error_set("the identity provider did not answer in time");
		return SK_ERR_IO;
	}
	if ((h = curl_easy_init()) == NULL)
		return SK_ERR_NOMEM;
	if (basic) {
		/* RFC 6749 2.3.1: id and secret form-encoded before Basic */
		user = curl_easy_escape(h, o->client_id, 0);
		pass = curl_easy_escape(h, (const char *)o->secret, (int)o->secret_len);
		if (user == NULL || pass == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
	}
	/* WARNING: never turn off CURLOPT_SSL_VERIFYPEER/HOST; give a CA file */
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(deadline - now)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			     (curl_off_t)NODE_OIDC_RESPONSE_MAX) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, out) != CURLE_OK ||
	    (o->ca_file[0] != 0 && curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file) != CURLE_OK) ||
	    (form != NULL && curl_easy_setopt(h, CURLOPT_POSTFIELDS, form) != CURLE_OK) ||
	    (basic && (curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_USERNAME, user) != CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_PASSWORD, pass) != CURLE_OK))) {
		sk_error_set("cannot set up a request to the identity provider");
		goto out;
	}
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		sk_error_set("the identity provider cannot be reached: %s", curl_easy_strerror(cc));
		resp_free(out);
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code) != CURLE_OK)
		goto out;
	st = SK_OK;
out:
	if (user != NULL) {
		sodium_memzero(user, strlen(user));
		curl_free(user);
	}
	if (pass != NULL) {
		sodium_memzero(pass, strlen(pass));
		curl_free(pass);
	}
	curl_easy_cleanup(h);
	return st;
}

/* ---- setup ------------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_start(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static sk_status copy(char *dst, size_t cap, const char *src, const char *what)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n == 0 || n >= cap) {
		sk_error_set("the identity provider's %s is missing or too long", what);
		return SK_ERR_INVALID;
	}
	memcpy(dst, src, n + 1);
	return SK_OK;
}

static int https_url(const char *u)
{
	return u != NULL && strncmp(u, "https://", 8) == 0 && strlen(u) <= NODE_OIDC_URL_MAX;
}

sk_status node_oidc_new(node_oidc **out, const node_oidc_conf *c)
{
	node_oidc *o = NULL;
	sk_status st;

	*out = NULL;
	pthread_once(&curl_once, curl_start);
	if (!curl_ok)
		return SK_ERR_NOMEM;
	/* plain HTTP only back to the node on this machine (tests, a local proxy) */
	if (!https_url(c->issuer) ||
	    (!https_url(c->redirect_uri) && (c->redirect_uri == NULL ||
					     (strncmp(c->redirect_uri, "http://127.0.0.1:", 17) != 0 &&
					      strncmp(c->redirect_uri, "http://localhost:", 17) != 0)))) {
		sk_error_set("--oidc-issuer and --oidc-redirect-uri take https:// URLs (http:// "
			     "only for 127.0.0.1 or localhost)");
		return SK_ERR_INVALID;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return SK_ERR_NOMEM;
	pthread_mutex_init(&o->lock, NULL);
	if ((st = copy(o->issuer, sizeof(o->issuer), c->issuer, "issuer")) != SK_OK ||
	    (st = copy(o->client_id, sizeof(o->client_id), c->client_id, "client id")) != SK_OK ||
	    (st = copy(o->claim, sizeof(o->claim), c->claim ? c->claim : "preferred_username",
		       "claim")) != SK_OK ||
	    (st = copy(o->redirect_uri, sizeof(o->redirect_uri), c->redirect_uri,
		       "redirect URI")) != SK_OK ||
	    (c->ca_file != NULL &&
	     (st = copy(o->ca_file, sizeof(o->ca_file), c->ca_file, "CA file")) != SK_OK))
		goto out;
	if (c->secret_file == NULL) {
		sk_error_set("--oidc-client-secret-file is required");
		st = SK_ERR_INVALID;
		goto out;
	}
	if ((st = sk_file_read_secret(c->secret_file, NODE_OIDC_SECRET_MAX, &o->secret,
				      &o->secret_len)) != SK_OK) {
		if (st == SK_ERR_PERM)
			sk_error_set("the client secret file %s may be read by others; run "
				     "chmod 600 %s", c->secret_file, c->secret_file);
		goto out;
	}
	while (o->secret_len > 0 && (o->secret[o->secret_len - 1] == '\n' ||
				     o->secret[o->secret_len - 1] == '\r'))
		o->secret[--o->secret_len] = 0;
	if (o->secret_len == 0) {
		sk_error_set("the client secret file %s is empty", c->secret_file);
		st = SK_ERR_INVALID;
		goto out;
	}
	*out = o;
	o = NULL;
out:
	node_oidc_free(o);
	return st;
}

void node_oidc_free(node_oidc *o)
{
	if (o == NULL)
		return;
	sk_secret_free(o->secret);
	free(o->jwks);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* ---- discovery -------------------------------------------------------------- */

typedef struct {
	const char *auth, *token, *jwks;
	int secret_post;
} endpoints;

/* The endpoints of doc (pointers into it). */
static sk_status discovery_read(json_t *doc, const char *issuer, endpoints *e)
{
	json_t *methods = json_object_get(doc, "token_endpoint_auth_methods_supported");
	const char *iss = json_string_value(json_object_get(doc, "issuer"));
	int basic = methods == NULL, post = 0;
	size_t i;
	json_t *m;

	e->auth = json_string_value(json_object_get(doc, "authorization_endpoint"));
	e->token = json_string_value(json_object_get(doc, "token_endpoint"));
	e->jwks = json_string_value(json_object_get(doc, "jwks_uri"));
	if (iss == NULL || strcmp(iss, issuer) != 0) {
		sk_error_set("the identity provider names another issuer than --oidc-issuer");
		return SK_ERR_INVALID;
	}
	if (!https_url(e->auth) || !https_url(e->token) || !https_url(e->jwks)) {
		sk_error_set("the identity provider's endpoints are missing or not https://");
		return SK_ERR_INVALID;
	}
	json_array_foreach(methods, i, m)
	{
		const char *s = json_string_value(m);

		basic |= s != NULL && strcmp(s, "client_secret_basic") == 0;
		post |= s != NULL && strcmp(s, "client_secret_post") == 0;
	}
	if (!basic && !post) {
		sk_error_set("the identity provider takes neither client_secret_basic nor "
			     "client_secret_post");
		return SK_ERR_INVALID;
	}
	e->secret_post = !basic;
	return SK_OK;
}

sk_status node_oidc_discovery_parse(const char *doc, size_t len, const char *issuer)
{
	json_t *d = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
	endpoints e;
	sk_status st = json_is_object(d) ? discovery_read(d, issuer, &e) : SK_ERR_INVALID;

	json_decref(d);
	return st;
}

/* The key set into o->jwks; o->lock held. */
static sk_status jwks_fetch(node_oidc *o, uint64_t deadline)
{
	resp r = {0};
	long code;
	json_t *d;
	sk_status st;

	if ((st = fetch(o, o->jwks_uri, NULL, 0, deadline, &r, &code)) != SK_OK)
		return st;
	d = code == 200 ? json_loadb(r.b, r.n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_array(json_object_get(d, "keys"))) {
		sk_error_set("the identity provider's key set (HTTP %ld) is not a JWKS", code);
		st = SK_ERR_IO;
	} else {
		free(o->jwks);
		o->jwks = r.b;
		o->jwks_len = r.n;
		o->jwks_at = sk_clock_now_ms();
		r.b = NULL;
	}
	json_decref(d);
	resp_free(&r);
	return st;
}

sk_status node_oidc_discover(node_oidc *o, uint64_t deadline)
{
	char url[NODE_OIDC_URL_MAX + 64];
	json_t *d = NULL;
	resp r = {0};
	endpoints e;
	long code;
	sk_status st = SK_OK;

	pthread_mutex_lock(&o->lock);
	if (o->discovered)
		goto out;
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration", o->issuer,
		 o->issuer[strlen(o->issuer) - 1] == '/' ? "" : "/");
	if ((st = fetch(o, url, NULL, 0, deadline, &r, &code)) != SK_OK)
		goto out;
	d = code == 200 ? json_loadb(r.b, r.n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(d)) {
		sk_error_set("the identity provider's discovery document (HTTP %ld) does not parse",
			     code);
		st = SK_ERR_IO;
		goto out;
	}
	if ((st = discovery_read(d, o->issuer, &e)) != SK_OK) {
		st = SK_ERR_IO;
		goto out;
	}
	if ((st = copy(o->auth_ep, sizeof(o->auth_ep), e.auth, "authorization endpoint")) != SK_OK ||
	    (st = copy(o->token_ep, sizeof(o->token_ep), e.token, "token endpoint")) != SK_OK ||
	    (st = copy(o->jwks_uri, sizeof(o->jwks_uri), e.jwks, "jwks_uri")) != SK_OK)
		goto out;
	o->secret_post = e.secret_post;
	if ((st = jwks_fetch(o, deadline)) != SK_OK)
		goto out;
	o->discovered = 1;
	sk_log(SK_LOG_INFO, "oidc: the identity provider %s is known", o->issuer);
out:
	pthread_mutex_unlock(&o->lock);
	json_decref(d);
	resp_free(&r);
	return st;
}

/* ---- the flow --------------------------------------------------------------- */

void node_oidc_random(char out[static NODE_OIDC_RANDOM_CHARS + 1])
{
	uint8_t b[32];

	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, NODE_OIDC_RANDOM_CHARS + 1, b, sizeof(b),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof(b));
}

/* Appends s percent-encoded (RFC 3986 unreserved kept) at out[*n]. */
static int enc(char *out, size_t cap, size_t *n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != 0; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (*n + 1 >= cap)
				return -1;
			out[(*n)++] = (char)c;
		} else {
			if (*n + 3 >= cap)
				return -1;
			out[(*n)++] = '%';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		}
	}
	out[*n] = 0;
	return 0;
}

/* out = the fields of a form or query, name=value&...; NULL ends them. */
static sk_status form(char *out, size_t cap, size_t start, const char *const *kv)
{
	size_t n = start;

	for (size_t i = 0; kv[i] != NULL; i += 2) {
		if (kv[i + 1] == NULL)
			continue;
		if (n + 1 >= cap)
			return SK_ERR_TOOBIG;
		if (n > start)
			out[n++] = '&';
		out[n] = 0;
		if (enc(out, cap, &n, kv[i]) != 0 || n + 1 >= cap)
			return SK_ERR_TOOBIG;
		out[n++] = '=';
		out[n] = 0;
		if (enc(out, cap, &n, kv[i + 1]) != 0)
			return SK_ERR_TOOBIG;
	}
	return SK_OK;
}

/* The PKCE S256 challenge of verifier (RFC 7636 4.2). */
static void challenge(char out[static NODE_OIDC_RANDOM_CHARS + 1], const char *verifier)
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const uint8_t *)verifier, strlen(verifier));
	sodium_bin2base64(out, NODE_OIDC_RANDOM_CHARS + 1, h, sizeof(h),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

sk_status node_oidc_auth_url(node_oidc *o, const char *state, const char *nonce,
			     const char *verifier, char *out, size_t cap)
{
	char ch[NODE_OIDC_RANDOM_CHARS + 1];
	size_t n;
	sk_status st;

	challenge(ch, verifier);
	pthread_mutex_lock(&o->lock);
	n = strlen(o->auth_ep);
	if (!o->discovered || n + 2 >= cap) {
		pthread_mutex_unlock(&o->lock);
		return o->discovered ? SK_ERR_TOOBIG : SK_ERR_IO;
	}
	memcpy(out, o->auth_ep, n);
	out[n++] = strchr(o->auth_ep, '?') != NULL ? '&' : '?';
	pthread_mutex_unlock(&o->lock);
	st = form(out, cap, n,
		  (const char *const[]){"response_type", "code", "client_id", o->client_id,
					"redirect_uri", o->redirect_uri, "scope", "openid profile",
					"state", state, "nonce", nonce, "code_challenge", ch,
					"code_challenge_method", "S256", NULL});
	return st;
}

/* ---- the ID token ----------------------------------------------------------- */

/* The claim name of doc as unix ms; -1 when absent or not a number. */
static int64_t claim_ms(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, name);
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	return d >= 0 && d < 1e12 ? (int64_t)(d * 1000) : -1;
}

/* The claims of a token whose signature verified (RFC 9068/OIDC Core 3.1.3.7). */
static sk_status claims_check(json_t *c, const char *issuer, const char *client_id,
			      const char *claim, const char *nonce, uint64_t now_ms, char *login,
			      size_t cap)
{
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *n = json_string_value(json_object_get(c, "nonce"));
	const char *azp = json_string_value(json_object_get(c, "azp"));
	json_t *aud = json_object_get(c, "aud"), *v;
	int64_t exp = claim_ms(c, "exp"), iat = claim_ms(c, "iat"), nbf = claim_ms(c, "nbf");
	int for_us = 0;
	size_t i, len;
	const char *who;

	if (iss == NULL || strcmp(iss, issuer) != 0) {
		sk_error_set("the ID token is from another issuer");
		return SK_ERR_VERIFY;
	}
	if (json_is_string(aud)) {
		for_us = strcmp(json_string_value(aud), client_id) == 0;
	} else if (json_is_array(aud)) {
		json_array_foreach(aud, i, v)
			for_us |= json_is_string(v) && strcmp(json_string_value(v), client_id) == 0;
		if (json_array_size(aud) > 1 && azp == NULL)
			for_us = 0;
	}
	if (!for_us || (azp != NULL && strcmp(azp, client_id) != 0)) {
		sk_error_set("the ID token is for another client (aud)");
		return SK_ERR_VERIFY;
	}
	if (exp < 0 || (uint64_t)exp + NODE_OIDC_SKEW_MS <= now_ms) {
		sk_error_set("the ID token has expired");
		return SK_ERR_VERIFY;
	}
	if (iat < 0 || (uint64_t)iat > now_ms + NODE_OIDC_SKEW_MS ||
	    (uint64_t)iat + NODE_OIDC_IAT_MAX_MS + NODE_OIDC_SKEW_MS < now_ms) {
		sk_error_set("the ID token's issue time (iat) is off");
		return SK_ERR_VERIFY;
	}
	if (json_object_get(c, "nbf") != NULL && (nbf < 0 || (uint64_t)nbf > now_ms + NODE_OIDC_SKEW_MS)) {
		sk_error_set("the ID token is not valid yet (nbf)");
		return SK_ERR_VERIFY;
	}
	if (n == NULL || strlen(n) != strlen(nonce) ||
	    sodium_memcmp(n, nonce, strlen(nonce)) != 0) {
		sk_error_set("the ID token's nonce is not this sign-in's");
		return SK_ERR_VERIFY;
	}
	who = json_string_value(json_object_get(c, claim));
	len = who != NULL ? strlen(who) : 0;
	if (len == 0 || len > NODE_OIDC_CLAIM_MAX || len >= cap) {
		sk_error_set("the ID token has no usable claim '%s'", claim);
		return SK_ERR_VERIFY;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)who[i] < 0x20 || who[i] == 0x7f) {
			sk_error_set("the ID token's claim '%s' holds control characters", claim);
			return SK_ERR_VERIFY;
		}
	memcpy(login, who, len + 1);
	return SK_OK;
}

/* A JWS in compact form: three dot-separated base64url parts (no padding),
 * header and payload not empty. Checked before cjose sees it: cjose 0.6
 * asserts (aborts) on a part whose length is 1 more than a multiple of 4. */
static int compact_ok(const char *jwt, size_t len)
{
	size_t parts = 1, seg = 0;

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? jwt[i] : '.';

		if (c == '.') {
			if (seg % 4 == 1 || (seg == 0 && parts < 3) || ++parts > 4)
				return 0;
			seg = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return parts == 4;
}

/* A JWK's key material in a form cjose decodes without aborting (see
 * compact_ok): the base64url members cjose reads (RSA, EC and oct keys);
 * others (x5c, x5t, key_ops, ...) cjose leaves alone. */
static int jwk_ok(json_t *k)
{
	static const char *const b64[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"};

	for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		json_t *v = json_object_get(k, b64[i]);
		const char *t = json_string_value(v);
		size_t n = t != NULL ? strlen(t) : 0;

		if (v == NULL)
			continue;
		if (t == NULL || n % 4 == 1 ||
		    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
			return 0;
	}
	return 1;
}

/* The key type an accepted alg needs; 0 for any other alg (none, HS*, ...). */
static cjose_jwk_kty_t alg_kty(const char *alg)
{
	if (alg == NULL)
		return 0;
	if (strcmp(alg, "RS256") == 0 || strcmp(alg, "PS256") == 0)
		return CJOSE_JWK_KTY_RSA;
	if (strcmp(alg, "ES256") == 0)
		return CJOSE_JWK_KTY_EC;
	return 0;
}

/* Does the JWKS key k (kid, use, kty) fit? 1 when it verifies jws. */
static int key_verifies(cjose_jws_t *jws, json_t *k, const char *kid, cjose_jwk_kty_t kty,
			int *seen)
{
	const char *use = json_string_value(json_object_get(k, "use"));
	const char *kkid = json_string_value(json_object_get(k, "kid"));
	cjose_jwk_t *jwk = NULL;
	cjose_err err;
	char *txt;
	int ok = 0;

	if ((use != NULL && strcmp(use, "sig") != 0) ||
	    (kid != NULL && (kkid == NULL || strcmp(kid, kkid) != 0)))
		return 0;
	if (!jwk_ok(k) || (txt = json_dumps(k, JSON_COMPACT)) == NULL)
		return 0;
	jwk = cjose_jwk_import(txt, strlen(txt), &err);
	free(txt);
	if (jwk == NULL || cjose_jwk_get_kty(jwk, &err) != kty) {
		cjose_jwk_release(jwk);
		return 0;
	}
	*seen = 1;
	ok = cjose_jws_verify(jws, jwk, &err);
	cjose_jwk_release(jwk);
	return ok;
}

sk_status node_oidc_check(const char *jwks, size_t jwks_len, const char *issuer,
			  const char *client_id, const char *claim, const char *jwt,
			  size_t jwt_len, const char *nonce, uint64_t now_ms, char *login,
			  size_t cap)
{
	json_t *set = NULL, *keys, *k, *claims = NULL;
	cjose_jws_t *jws = NULL;
	cjose_header_t *hdr;
	cjose_jwk_kty_t kty;
	const char *kid;
	uint8_t *pt = NULL;
	size_t pt_len = 0, i;
	int seen = 0, good = 0;
	cjose_err err;
	sk_status st = SK_ERR_VERIFY;

	if (cap > 0)
		login[0] = 0;
	if (jwt_len == 0 || jwt_len > NODE_OIDC_JWT_MAX || memchr(jwt, 0, jwt_len) != NULL) {
		sk_error_set("the ID token is missing or too long");
		return SK_ERR_VERIFY;
	}
	if (!compact_ok(jwt, jwt_len) || (jws = cjose_jws_import(jwt, jwt_len, &err)) == NULL ||
	    (hdr = cjose_jws_get_protected(jws)) == NULL) {
		sk_error_set("the ID token does not parse");
		goto out;
	}
	if ((kty = alg_kty(cjose_header_get(hdr, CJOSE_HDR_ALG, &err))) == 0) {
		sk_error_set("the ID token's algorithm is not RS256, PS256 or ES256");
		goto out;
	}
	kid = cjose_header_get(hdr, CJOSE_HDR_KID, &err);
	set = json_loadb(jwks, jwks_len, JSON_REJECT_DUPLICATES, NULL);
	keys = json_object_get(set, "keys");
	json_array_foreach(keys, i, k)
	{
		if (i >= NODE_OIDC_KEYS_MAX || good)
			break;
		good = key_verifies(jws, k, kid, kty, &seen);
	}
	if (!seen) {
		sk_error_set("no key of the identity provider has the ID token's kid");
		st = SK_ERR_NOTFOUND;
		goto out;
	}
	if (!good) {
		sk_error_set("the ID token's signature does not verify");
		goto out;
	}
	if (cjose_jws_get_plaintext(jws, &pt, &pt_len, &err))
		claims = json_loadb((const char *)pt, pt_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(claims)) { /* (a macro: its argument is read twice) */
		sk_error_set("the ID token's claims do not parse");
		goto out;
	}
	st = claims_check(claims, issuer, client_id, claim, nonce, now_ms, login, cap);
out:
	json_decref(claims);
	json_decref(set);
	cjose_jws_release(jws);
	return st;
}

/* ---- the token request ------------------------------------------------------- */

sk_status node_oidc_exchange(node_oidc *o, const char *code, const char *verifier,
			     const char *nonce, uint64_t now_ms, uint64_t deadline,
			     char *login, size_t cap)
{
	char body[4096];
	resp r = {0};
	json_t *doc = NULL;
	const char *idt;
	long http = 0;
	sk_status st;

	if (cap > 0)
		login[0] = 0;
	pthread_mutex_lock(&o->lock);
	if (!o->discovered) {
		st = SK_ERR_IO;
		goto out;
	}
	st = form(body, sizeof(body), 0,
		  (const char *const[]){"grant_type", "authorization_code", "code", code,
					"redirect_uri", o->redirect_uri, "code_verifier", verifier,
					"client_id", o->secret_post ? o->client_id : NULL,
					"client_secret", o->secret_post ? (const char *)o->secret : NULL,
					NULL});
	if (st != SK_OK)
		goto out;
	/* the token request with the lock released: the provider may be slow */
	pthread_mutex_unlock(&o->lock);
	st = fetch(o, o->token_ep, body, !o->secret_post, deadline, &r, &http);
	pthread_mutex_lock(&o->lock);
	if (st != SK_OK)
		goto out;
	if (http != 200) {
		sk_error_set("the identity provider refused the code (HTTP %ld)", http);
		st = http >= 500 ? SK_ERR_IO : SK_ERR_VERIFY;
		goto out;
	}
	doc = json_loadb(r.b, r.n, JSON_REJECT_DUPLICATES, NULL);
	if ((idt = json_string_value(json_object_get(doc, "id_token"))) == NULL) {
		sk_error_set("the identity provider's token answer has no ID token");
		st = SK_ERR_VERIFY;
		goto out;
	}
	st = node_oidc_check(o->jwks, o->jwks_len, o->issuer, o->client_id, o->claim, idt,
			     strlen(idt), nonce, now_ms, login, cap);
	/* a key the provider rotated in: fetch the set again, at most once a minute */
	if (st == SK_ERR_NOTFOUND && o->jwks_at + NODE_OIDC_JWKS_REFRESH_MS <= sk_clock_now_ms() &&
	    (st = jwks_fetch(o, deadline)) == SK_OK)
		st = node_oidc_check(o->jwks, o->jwks_len, o->issuer, o->client_id, o->claim, idt,
				     strlen(idt), nonce, now_ms, login, cap);
	if (st == SK_ERR_NOTFOUND)
		st = SK_ERR_VERIFY;
out:
	pthread_mutex_unlock(&o->lock);
	sodium_memzero(body, sizeof(body));
	if (doc != NULL) {
		const char *k;
		json_t *v;

		json_object_foreach(doc, k, v) /* the tokens: wiped before they go */
			if (json_is_string(v))
				sodium_memzero((void *)json_string_value(v), json_string_length(v));
	}
	json_decref(doc);
	resp_free(&r);
	return st;
}
