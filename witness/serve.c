#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/log.h"
#include "witness/https.h"
#include "witness/serve.h"
#include "witness/witness.h"

struct wit_server {
	wit_witness *w;
	wit_https *http;
	note_signer *cosigner;
	note_verifier log_key;
};

static void answer_text(wit_https_answer *out, int status, const char *type, const char *text,
			size_t len)
{
	out->status = status;
	out->content_type = type;
	if ((out->body = malloc(len + 1)) == NULL) {
		out->status = 503;
		return;
	}
	memcpy(out->body, text, len);
	out->len = len;
}

/* The origin whose monitor path is path: the configured log's, or one
 * that replaced it by a rollover this witness cosigned. 0 when none. */
static int origin_of(wit_server *s, const char *path, char origin[static NOTE_ORIGIN_MAX + 1])
{
	char want[2 * 32 + 16], hex[2 * 32 + 1];
	uint8_t h[32];

	memcpy(origin, s->log_key.name, s->log_key.name_len + 1);
	for (unsigned hop = 0; hop < 64; hop++) {
		crypto_hash_sha256(h, (const uint8_t *)origin, strlen(origin));
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		snprintf(want, sizeof(want), "/%s/checkpoint", hex);
		if (strcmp(path, want) == 0)
			return 1;
		if (wit_successor(s->w, origin, origin) != SK_OK)
			return 0;
	}
	return 0;
}

static void handle(void *ctx, int is_post, const char *path, const uint8_t *body, size_t len,
		   wit_https_answer *out)
{
	wit_server *s = ctx;
	wit_reply r;
	char origin[NOTE_ORIGIN_MAX + 1];

	if (strcmp(path, "/add-checkpoint") == 0) {
		if (!is_post) {
			answer_text(out, 405, WIT_CONTENT_TEXT, "POST only\n", 10);
			return;
		}
		wit_add_checkpoint(s->w, body, len, sk_clock_now_ms() / 1000, &r);
		if (r.status != 200)
			sk_log(SK_LOG_WARNING, "witness: add-checkpoint refused (%d): %s", r.status,
			       r.status == 409 ? "old size differs" : r.body);
		answer_text(out, r.status, r.content_type, r.body, r.len);
		return;
	}
	if (strcmp(path, "/add-rollover") == 0) {
		if (!is_post) {
			answer_text(out, 405, WIT_CONTENT_TEXT, "POST only\n", 10);
			return;
		}
		wit_add_rollover(s->w, body, len, sk_clock_now_ms() / 1000, &r);
		if (r.status != 200)
			sk_log(SK_LOG_WARNING, "witness: add-rollover refused (%d): %s", r.status,
			       r.body);
		else
			sk_log(SK_LOG_NOTICE, "witness: cosigned a rollover of %s", s->log_key.name);
		answer_text(out, r.status, r.content_type, r.body, r.len);
		return;
	}
	if (!is_post && origin_of(s, path, origin)) {
		uint8_t root[MERKLE_HASH_BYTES], *note = NULL;
		uint64_t size;
		size_t nlen = 0;
		sk_status st = wit_latest(s->w, origin, &size, root, &note, &nlen);

		if (st == SK_OK) {
			out->status = 200;
			out->content_type = WIT_CONTENT_TEXT;
			out->body = note;
			out->len = nlen;
		} else {
			answer_text(out, st == SK_ERR_NOTFOUND ? 404 : 503, WIT_CONTENT_TEXT,
				    "no checkpoint\n", 14);
		}
		return;
	}
	answer_text(out, 404, WIT_CONTENT_TEXT, "not found\n", 10);
}

sk_status wit_server_start(wit_server **out, MDB_env *env, const net_tls *tls, const char *addr,
			   const note_verifier *log_key, const char *org_id, const key_ed25519 *id)
{
	wit_server *s = calloc(1, sizeof(*s));
	sk_status st;

	*out = NULL;
	if (s == NULL)
		return SK_ERR_NOMEM;
	s->log_key = *log_key;
	if ((st = wit_signer_from_identity(&s->cosigner, org_id, id->sk)) != SK_OK ||
	    (st = wit_open(&s->w, env, &s->log_key, 1, s->cosigner)) != SK_OK ||
	    (st = wit_https_start(&s->http, tls, addr, WIT_BODY_MAX, handle, s)) != SK_OK) {
		wit_server_stop(s);
		return st;
	}
	*out = s;
	return SK_OK;
}

const char *wit_server_address(const wit_server *w)
{
	return wit_https_address(w->http);
}

void wit_server_stop(wit_server *s)
{
	if (s == NULL)
		return;
	wit_https_stop(s->http);
	wit_close(s->w);
	note_signer_free(s->cosigner);
	free(s);
}
