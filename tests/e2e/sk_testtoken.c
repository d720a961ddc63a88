/* A node's token computation through the chain of pseudonymisers, for
 * end-to-end tests until the real node exists: validates the BSNs, blinds
 * once, sends one EvalRequest per pseudonymiser in the bundle's chain
 * order, verifies each hop's batched DLEQ proof against the key pinned for
 * that position (the bundle's, or --pin-key), finalizes and splits token
 * and contact key. Keys are the unwrapped ones sk-testnode init wrote.
 *
 *   sk-testtoken --dir NODE_DIR --bundle B (--bsn BSN | --bsn-file F)
 *        [--pin-key ID=HEXPK]... [--addr ID=HOST:PORT]... [--epoch N]
 *        [--send-invalid] [--show-points]
 *
 * Prints {"epoch":E,"token":"hex","contact_key":"hex"} per BSN (one line
 * each, in order); on a refusal {"error":CODE,"message":"..."} and exit 1;
 * on a proof that does not verify the same with exit 3. --show-points
 * first prints {"points":[hex...]}: every element sent or received, for a
 * test that looks for them in a pseudonymiser's files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/file.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/bsn.h"
#include "crypto/key.h"
#include "crypto/oprf.h"
#include "net/conn.h"
#include "protos/wire.h"

#define MAX_OVERRIDES 16

#define DIE(...)                                                   \
	do {                                                       \
		fprintf(stderr, "sk-testtoken: " __VA_ARGS__);     \
		fputc('\n', stderr);                               \
		exit(1);                                           \
	} while (0)

/* A refusal or failure, as JSON on stdout ("who: msg"); exits with code. */
static void fail_json(int code, sk_status st, const char *who, const char *msg)
{
	printf("{\"error\":%d,\"message\":\"%s%s", (int)st, who, who[0] ? ": " : "");
	for (const char *p = msg; *p != '\0'; p++)
		printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
	printf("\"}\n");
	exit(code);
}

static struct {
	const char *dir, *bundle, *bsn, *bsn_file;
	const char *pins[MAX_OVERRIDES], *addrs[MAX_OVERRIDES];
	size_t n_pins, n_addrs;
	long long epoch;
	int send_invalid, show_points;
} o = {.epoch = -1};

/* The value of "ID=VALUE" among list for id, or NULL. */
static const char *override(const char *const *list, size_t n, const char *id)
{
	size_t l = strlen(id);

	for (size_t i = 0; i < n; i++)
		if (strncmp(list[i], id, l) == 0 && list[i][l] == '=')
			return list[i] + l + 1;
	return NULL;
}

static void read_seed(const char *name, const char *label, uint8_t seed[32], sk_kek *kek)
{
	char p[PATH_MAX];

	if (sk_path_join(p, sizeof(p), o.dir, name) != SK_OK ||
	    sk_keyfile_read(kek, p, label, seed, 32) != SK_OK)
		DIE("cannot read %s/%s: %s", o.dir, name, sk_error_detail());
}

static Schakel__V1__BundleBody *load_bundle(void)
{
	Schakel__V1__SignedBundle *sb;
	Schakel__V1__BundleBody *b;
	uint8_t *data = NULL;
	size_t len = 0;

	if (sk_file_read(o.bundle, 1 << 20, &data, &len) != SK_OK)
		DIE("cannot read bundle %s", o.bundle);
	sb = schakel__v1__signed_bundle__unpack(NULL, len, data);
	free(data);
	if (sb == NULL ||
	    (b = schakel__v1__bundle_body__unpack(NULL, sb->body.len, sb->body.data)) == NULL)
		DIE("bad bundle");
	if (b->registry_key.len != 32 || sb->signature.len != 64 ||
	    key_verify(sb->signature.data, "schakel/v1/bundle", sb->body.data, sb->body.len,
		       b->registry_key.data) != SK_OK)
		DIE("bundle signature does not verify");
	schakel__v1__signed_bundle__free_unpacked(sb, NULL);
	if (b->n_pseudonymisers == 0)
		DIE("the bundle lists no pseudonymisers");
	return b;
}

/* The BSNs, validated before anything else is read or sent. */
static size_t load_bsns(bsn *out)
{
	char line[64];
	size_t n = 0, lineno = 0;
	FILE *f;

	if (o.bsn != NULL) {
		if (bsn_parse(&out[0], o.bsn) != SK_OK)
			fail_json(1, SK_ERR_BSN, "", "not a valid BSN; nothing was sent");
		return 1;
	}
	if ((f = fopen(o.bsn_file, "r")) == NULL)
		DIE("cannot open %s", o.bsn_file);
	while (fgets(line, sizeof(line), f) != NULL) {
		char num[24];

		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (n == OPRF_MAX_BATCH)
			DIE("at most %d BSNs per batch", OPRF_MAX_BATCH);
		if (bsn_parse(&out[n], line) != SK_OK) {
			snprintf(num, sizeof(num), "line %zu", lineno);
			fclose(f);
			fail_json(1, SK_ERR_BSN, num, "not a valid BSN; nothing was sent");
		}
		n++;
	}
	fclose(f);
	if (n == 0)
		DIE("no BSNs in %s", o.bsn_file);
	return n;
}

static void print_hex_list(const uint8_t *p, size_t n, int *first)
{
	char h[65];

	for (size_t i = 0; i < n; i++) {
		sodium_bin2hex(h, sizeof(h), p + 32 * i, 32);
		printf("%s\"%s\"", *first ? "" : ",", h);
		*first = 0;
	}
}

/* One hop: sends cur (n elements), verifies the proof against pk, and
 * replaces cur with the evaluated elements. */
static void hop(const net_tls *tls, const Schakel__V1__PseudonymiserInfo *ps, uint32_t epoch,
		const uint8_t pk[32], uint8_t *cur, size_t n)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__EvalRequest req = SCHAKEL__V1__EVAL_REQUEST__INIT;
	ProtobufCBinaryData *bl = calloc(n, sizeof(*bl));
	const Schakel__V1__EvalResponse *r;
	const char *addr = override(o.addrs, o.n_addrs, ps->org_id);
	uint8_t *ev = malloc(32 * n);
	net_sync *sc = NULL;
	sk_status st;

	if (bl == NULL || ev == NULL)
		DIE("out of memory");
	for (size_t i = 0; i < n; i++)
		bl[i] = (ProtobufCBinaryData){32, cur + 32 * i};
	req.epoch = epoch;
	req.n_blinded = n;
	req.blinded = bl;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST;
	env.eval_request = &req;
	if ((st = net_sync_connect(&sc, tls, addr ? addr : ps->address, ps->org_id, 10000)) !=
		    SK_OK ||
	    (st = net_sync_request(sc, &env, &reply)) != SK_OK)
		fail_json(1, st, ps->org_id, sk_error_detail());
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_EVAL_RESPONSE)
		fail_json(1, SK_ERR_INVALID, ps->org_id, "not an evaluation response");
	r = reply->eval_response;
	if (r->epoch != epoch || r->n_evaluated != n || r->proof.len != OPRF_PROOF_BYTES)
		fail_json(3, SK_ERR_VERIFY, ps->org_id,
			  "the response does not match the request");
	for (size_t i = 0; i < n; i++) {
		if (r->evaluated[i].len != 32)
			fail_json(3, SK_ERR_VERIFY, ps->org_id, "malformed element");
		memcpy(ev + 32 * i, r->evaluated[i].data, 32);
	}
	if ((st = oprf_proof_verify(r->proof.data, cur, ev, n, pk)) != SK_OK)
		fail_json(3, st, ps->org_id,
			  "the proof does not verify against the key pinned for it");
	memcpy(cur, ev, 32 * n);
	free(ev);
	free(bl);
	wire_envelope_free(reply);
	net_sync_close(sc);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"dir", 1, NULL, 'd'},      {"bundle", 1, NULL, 'b'},   {"bsn", 1, NULL, 's'},
		{"bsn-file", 1, NULL, 'f'}, {"pin-key", 1, NULL, 'p'},  {"addr", 1, NULL, 'a'},
		{"epoch", 1, NULL, 'e'},    {"send-invalid", 0, NULL, 'i'},
		{"show-points", 0, NULL, 'P'}, {0}};
	static bsn bsns[OPRF_MAX_BATCH];
	Schakel__V1__BundleBody *b;
	sk_kek *kek = NULL;
	key_ed25519 tls_key;
	net_tls *tls = NULL;
	uint8_t seed[32], *blind, *cur, *points, input[BSN_INPUT_BYTES], out[OPRF_OUTPUT_BYTES];
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES];
	char th[65], ch[65];
	size_t n, hops;
	int c, first = 1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 'b': o.bundle = optarg; break;
		case 's': o.bsn = optarg; break;
		case 'f': o.bsn_file = optarg; break;
		case 'p':
			if (o.n_pins == MAX_OVERRIDES)
				DIE("too many --pin-key");
			o.pins[o.n_pins++] = optarg;
			break;
		case 'a':
			if (o.n_addrs == MAX_OVERRIDES)
				DIE("too many --addr");
			o.addrs[o.n_addrs++] = optarg;
			break;
		case 'e': o.epoch = strtoll(optarg, NULL, 10); break;
		case 'i': o.send_invalid = 1; break;
		case 'P': o.show_points = 1; break;
		default: DIE("usage: see the header of tests/e2e/sk_testtoken.c");
		}
	}
	if (sk_init() != SK_OK || o.dir == NULL || o.bundle == NULL ||
	    (o.bsn == NULL) == (o.bsn_file == NULL))
		DIE("usage: see the header of tests/e2e/sk_testtoken.c");
	/* the BSNs first: an invalid one stops everything before any file or
	 * network access */
	n = load_bsns(bsns);
	if (sk_kek_open(&kek, NULL, 1) != SK_OK)
		DIE("kek");
	b = load_bundle();
	hops = b->n_pseudonymisers;
	read_seed("tls.key", "tls", seed, kek);
	key_ed25519_from_seed(&tls_key, seed);
	if (net_tls_new(&tls, b->ca_cert.data, b->ca_cert.len, b->member_cert.data,
			b->member_cert.len, &tls_key) != SK_OK)
		DIE("tls: %s", sk_error_detail());
	blind = malloc(32 * n);
	cur = malloc(32 * n);
	points = malloc(32 * n * (hops + 1));
	if (blind == NULL || cur == NULL || points == NULL)
		DIE("out of memory");
	for (size_t i = 0; i < n; i++) {
		bsn_token_input(input, &bsns[i]);
		if (oprf_blind(blind + 32 * i, cur + 32 * i, OPRF_MODE_VOPRF, input, sizeof(input)) !=
		    SK_OK)
			DIE("blind");
	}
	if (o.send_invalid)
		memset(cur, 0xff, 32);
	memcpy(points, cur, 32 * n);
	for (size_t j = 0; j < hops; j++) {
		const Schakel__V1__PseudonymiserInfo *ps = b->pseudonymisers[j];
		const char *pin = override(o.pins, o.n_pins, ps->org_id);
		uint8_t pk[32];
		size_t got = 0;

		if (pin != NULL) {
			if (sodium_hex2bin(pk, 32, pin, strlen(pin), NULL, &got, NULL) != 0 ||
			    got != 32)
				DIE("--pin-key %s: 64 hex digits", ps->org_id);
		} else if (ps->oprf_key.len == 32) {
			memcpy(pk, ps->oprf_key.data, 32);
		} else {
			DIE("the bundle has no key for %s", ps->org_id);
		}
		hop(tls, ps, o.epoch >= 0 ? (uint32_t)o.epoch : ps->epoch, pk, cur, n);
		memcpy(points + 32 * n * (j + 1), cur, 32 * n);
	}
	if (o.show_points) {
		printf("{\"points\":[");
		print_hex_list(points, n * (hops + 1), &first);
		printf("]}\n");
	}
	for (size_t i = 0; i < n; i++) {
		bsn_token_input(input, &bsns[i]);
		if (oprf_finalize(out, input, sizeof(input), cur + 32 * i, blind + 32 * i) != SK_OK)
			DIE("finalize");
		bsn_split_output(token, ck, out);
		sodium_bin2hex(th, sizeof(th), token, sizeof(token));
		sodium_bin2hex(ch, sizeof(ch), ck, sizeof(ck));
		printf("{\"epoch\":%u,\"token\":\"%s\",\"contact_key\":\"%s\"}\n",
		       o.epoch >= 0 ? (uint32_t)o.epoch : b->pseudonymisers[hops - 1]->epoch, th, ch);
	}
	sodium_memzero(blind, 32 * n);
	sodium_memzero(bsns, sizeof(bsns));
	sodium_memzero(seed, sizeof(seed));
	key_ed25519_wipe(&tls_key);
	free(blind);
	free(cur);
	free(points);
	net_tls_free(tls);
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	sk_kek_free(kek);
	return 0;
}
