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
	char origin_hash[2 * 32 + 1];
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

static void handle(void *ctx, int is_post, const char *path, const uint8_t *body, size_t len,
		   wit_https_answer *out)
{
	wit_server *s = ctx;
	wit_reply r;
	char want[2 * 32 + 16];

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
	snprintf(want, sizeof(want), "/%s/checkpoint", s->origin_hash);
	if (!is_post && strcmp(path, want) == 0) {
		uint8_t root[MERKLE_HASH_BYTES], *note = NULL;
		uint64_t size;
		size_t nlen = 0;
		sk_status st = wit_latest(s->w, s->log_key.name, &size, root, &note, &nlen);

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
	uint8_t h[32];
	sk_status st;

	*out = NULL;
	if (s == NULL)
		return SK_ERR_NOMEM;
	s->log_key = *log_key;
	crypto_hash_sha256(h, (const uint8_t *)log_key->name, log_key->name_len);
	sodium_bin2hex(s->origin_hash, sizeof(s->origin_hash), h, sizeof(h));
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
