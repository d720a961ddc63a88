#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "test_tls.h"
#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "protos/rollover.h"
#include "protos/wire.h"
#include "witness/https.h"
#include "witness/serve.h"
#include "witness/witness.h"

#define DAY T_TLS_DAY

static struct {
	net_tls *w1, *registry, *foreign;
	key_ed25519 w1_id;
} fx;

static int setup(void **state)
{
	int64_t now = (int64_t)time(NULL);
	key_ed25519 ca_key, ca2_key;
	uint8_t *ca = NULL, *ca2 = NULL;
	size_t ca_len = 0, ca2_len = 0;

	if (sk_init() != SK_OK)
		return -1;
	key_ed25519_generate(&ca_key);
	key_ed25519_generate(&ca2_key);
	E(net_cert_ca_create(&ca, &ca_len, "Federatie", now - DAY, now + DAY, &ca_key));
	E(net_cert_ca_create(&ca2, &ca2_len, "Federatie", now - DAY, now + DAY, &ca2_key));
	fx.w1 = t_member(ca, ca_len, &ca_key, ca, ca_len, "w1", "witness");
	fx.registry = t_member(ca, ca_len, &ca_key, ca, ca_len, "registry", "witness");
	fx.foreign = t_member(ca2, ca2_len, &ca2_key, ca, ca_len, "w1", "witness");
	key_ed25519_generate(&fx.w1_id);
	key_ed25519_wipe(&ca_key);
	key_ed25519_wipe(&ca2_key);
	free(ca);
	free(ca2);
	return 0;
}

static int teardown(void **state)
{
	net_tls_free(fx.w1);
	net_tls_free(fx.registry);
	net_tls_free(fx.foreign);
	key_ed25519_wipe(&fx.w1_id);
	return 0;
}

static void echo(void *ctx, int is_post, const char *path, const uint8_t *body, size_t len,
		 wit_https_answer *out)
{
	(void)ctx;
	if (is_post && strcmp(path, "/echo") == 0) {
		out->status = 200;
		out->body = malloc(len + 1);
		memcpy(out->body, body, len);
		out->len = len;
	} else if (!is_post && strcmp(path, "/big") == 0) {
		out->status = 200;
		out->body = calloc(1, 10000);
		out->len = 10000;
	} else {
		out->status = 404;
	}
}

/* The server and client over TLS 1.3: bodies both ways, the server's org
 * id and CA checked, answers capped. */
static void test_roundtrip(void **state)
{
	wit_https *h = NULL;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	char ct[64];
	int status;

	(void)state;
	E(wit_https_start(&h, fx.w1, "127.0.0.1:0", 1024, echo, NULL));
	E(wit_https_request(fx.registry, wit_https_address(h), "w1", "/echo",
			    (const uint8_t *)"hello\n", 6, 5000, 100, &status, ct, sizeof(ct),
			    &resp, &rlen));
	assert_int_equal(status, 200);
	assert_int_equal(rlen, 6);
	assert_memory_equal(resp, "hello\n", 6);
	free(resp);
	E(wit_https_request(fx.registry, wit_https_address(h), NULL, "/nothing", NULL, 0, 5000,
			    100, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 404);
	free(resp);
	EFAIL(wit_https_request(fx.registry, wit_https_address(h), "w2", "/echo",
				(const uint8_t *)"x", 1, 5000, 100, &status, ct, sizeof(ct), &resp,
				&rlen),
	      SK_ERR_VERIFY);
	EFAIL(wit_https_request(fx.registry, wit_https_address(h), "w1", "/big", NULL, 0, 5000,
				100, &status, ct, sizeof(ct), &resp, &rlen),
	      SK_ERR_TOOBIG);
	/* a body over the server's cap is refused (413) */
	{
		uint8_t big[2048] = {0};

		E(wit_https_request(fx.registry, wit_https_address(h), "w1", "/echo", big,
				    sizeof(big), 5000, 4096, &status, ct, sizeof(ct), &resp,
				    &rlen));
		assert_int_equal(status, 413);
		free(resp);
	}
	wit_https_stop(h);
	/* a server whose certificate another CA issued */
	E(wit_https_start(&h, fx.foreign, "127.0.0.1:0", 1024, echo, NULL));
	EFAIL(wit_https_request(fx.registry, wit_https_address(h), "w1", "/echo",
				(const uint8_t *)"x", 1, 5000, 100, &status, ct, sizeof(ct), &resp,
				&rlen),
	      SK_ERR_VERIFY);
	wit_https_stop(h);
	EFAIL(wit_https_request(fx.registry, "127.0.0.1:1", "w1", "/echo", (const uint8_t *)"x", 1,
				5000, 100, &status, ct, sizeof(ct), &resp, &rlen),
	      SK_ERR_IO);
}

/* The witness service end to end in one process: add-checkpoint cosigns
 * with the identity key under the org id; the monitor endpoint serves it. */
static void test_witness_service(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	note_signer *log = NULL;
	note_verifier logv, wv;
	wit_server *w = NULL;
	note_checkpoint cp = {"example.org/log", 0, {0}, NULL, 0};
	uint8_t *note = NULL, *body = NULL, *resp = NULL, *all = NULL, h[32];
	size_t nlen = 0, blen = 0, rlen = 0;
	char ct[64], vkey[NOTE_VKEY_MAX], path[80], hex[65];
	note_sig_result res;
	int status;

	(void)state;
	E(sk_db_open(&env, d, 64 << 20, 8));
	E(note_signer_generate(&log, "example.org/log", NOTE_TYPE_ED25519));
	note_signer_verifier(&logv, log);
	E(wit_server_start(&w, env, fx.w1, "127.0.0.1:0", &logv, "w1", &fx.w1_id));
	merkle_empty_root(cp.root);
	E(note_checkpoint_sign(&note, &nlen, &cp, log));
	E(wit_request_format(&body, &blen, 0, NULL, 0, note, nlen));
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-checkpoint", body, blen,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 200);
	E(wit_vkey_from_identity(vkey, "w1", fx.w1_id.pk));
	E(note_verifier_parse(&wv, vkey, strlen(vkey)));
	all = malloc(nlen + rlen);
	memcpy(all, note, nlen);
	memcpy(all + nlen, resp, rlen);
	E(note_checkpoint_open(&cp, &res, all, nlen + rlen, &logv, &wv, 1));
	assert_int_equal(res.verified, 1);
	free(resp);
	crypto_hash_sha256(h, (const uint8_t *)"example.org/log", 15);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(path, sizeof(path), "/%s/checkpoint", hex);
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", path, NULL, 0, 5000, 4096,
			    &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 200);
	E(note_checkpoint_open(&cp, &res, resp, rlen, &logv, &wv, 1));
	assert_int_equal(res.verified, 1);
	free(resp);
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-checkpoint", NULL, 0,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 405);
	free(resp);
	wit_server_stop(w);
	free(all);
	free(body);
	free(note);
	note_signer_free(log);
	sk_db_close(env);
	t_rmdir(d);
}

/* A RolloverRequest moving old (at its empty tree) to new_origin, signed
 * with sk; the new log is the statement alone (the restored tree is
 * empty). *out malloc'd. */
static void rollover_request(uint8_t **out, size_t *len, const uint8_t *old_note, size_t old_len,
			     const char *new_origin, const uint8_t sk[static 64],
			     const note_signer *new_key)
{
	Schakel__V1__RolloverRequest rq = SCHAKEL__V1__ROLLOVER_REQUEST__INIT;
	Schakel__V1__SignedRollover sr = SCHAKEL__V1__SIGNED_ROLLOVER__INIT;
	note_checkpoint cp = {0};
	uint8_t *body = NULL, *note = NULL, sig[KEY_SIG_BYTES];
	size_t blen = 0, nlen = 0;

	E(wire_rollover_sign(&body, &blen, sig, "example.org/log", new_origin, old_note, old_len,
			     old_note, old_len, 1, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_MOVE, sk));
	snprintf(cp.origin, sizeof(cp.origin), "%s", new_origin);
	cp.size = 1;
	E(wire_leaf_hash(cp.root, WIRE_LEAF_ROLLOVER, body, blen, sig));
	E(note_checkpoint_sign(&note, &nlen, &cp, new_key));
	sr.body = (ProtobufCBinaryData){blen, body};
	sr.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	rq.statement = &sr;
	rq.checkpoint = (ProtobufCBinaryData){nlen, note};
	rq.inclusion_proof = (ProtobufCBinaryData){0, NULL};
	*out = malloc(schakel__v1__rollover_request__get_packed_size(&rq));
	*len = schakel__v1__rollover_request__pack(&rq, *out);
	free(body);
	free(note);
}

/* add-rollover over HTTPS: refused under another key, cosigned under the
 * log's; then the new origin's checkpoint is served at its monitor path
 * and the old origin is refused (410). */
static void test_rollover_service(void **state)
{
	char *d = t_tmpdir();
	MDB_env *env = NULL;
	note_signer *log = NULL, *new_log = NULL;
	note_verifier logv, newv, wv;
	wit_server *w = NULL;
	note_checkpoint cp = {"example.org/log", 0, {0}, NULL, 0};
	uint8_t seed[32], *note = NULL, *body = NULL, *resp = NULL, h[32];
	size_t nlen = 0, blen = 0, rlen = 0;
	char ct[64], vkey[NOTE_VKEY_MAX], path[80], hex[65];
	key_ed25519 id, other;
	note_sig_result res;
	int status;

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	key_ed25519_from_seed(&id, seed);
	key_ed25519_generate(&other);
	E(sk_db_open(&env, d, 64 << 20, 8));
	E(note_signer_from_seed(&log, "example.org/log", NOTE_TYPE_ED25519, seed));
	E(note_signer_from_seed(&new_log, "example.org/log/2", NOTE_TYPE_ED25519, seed));
	note_signer_verifier(&logv, log);
	note_signer_verifier(&newv, new_log);
	E(wit_server_start(&w, env, fx.w1, "127.0.0.1:0", &logv, "w1", &fx.w1_id));
	merkle_empty_root(cp.root);
	E(note_checkpoint_sign(&note, &nlen, &cp, log));
	E(wit_request_format(&body, &blen, 0, NULL, 0, note, nlen));
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-checkpoint", body, blen,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 200);
	free(resp);
	free(body);

	rollover_request(&body, &blen, note, nlen, "example.org/log/2", other.sk, new_log);
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-rollover", body, blen,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 403);
	free(resp);
	free(body);
	rollover_request(&body, &blen, note, nlen, "example.org/log/2", id.sk, new_log);
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-rollover", NULL, 0,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 405);
	free(resp);
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-rollover", body, blen,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 200);
	free(resp);
	free(body);
	/* the new log's latest, cosigned, at its monitor path */
	E(wit_vkey_from_identity(vkey, "w1", fx.w1_id.pk));
	E(note_verifier_parse(&wv, vkey, strlen(vkey)));
	crypto_hash_sha256(h, (const uint8_t *)"example.org/log/2", 17);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(path, sizeof(path), "/%s/checkpoint", hex);
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", path, NULL, 0, 5000, 4096,
			    &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 200);
	E(note_checkpoint_open(&cp, &res, resp, rlen, &newv, &wv, 1));
	assert_int_equal(res.verified, 1);
	assert_int_equal(cp.size, 1);
	free(resp);
	/* the old log is closed */
	E(wit_request_format(&body, &blen, 0, NULL, 0, note, nlen));
	E(wit_https_request(fx.registry, wit_server_address(w), "w1", "/add-checkpoint", body, blen,
			    5000, 4096, &status, ct, sizeof(ct), &resp, &rlen));
	assert_int_equal(status, 410);
	free(resp);
	free(body);
	wit_server_stop(w);
	free(note);
	note_signer_free(log);
	note_signer_free(new_log);
	key_ed25519_wipe(&id);
	key_ed25519_wipe(&other);
	sk_db_close(env);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_witness_service),
		cmocka_unit_test(test_rollover_service),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
