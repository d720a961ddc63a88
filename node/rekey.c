#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/file.h"
#include "node/rekey.h"
#include "protos/wire.h"

sk_status node_rekey(node_store *s, sk_kek *kek)
{
	Schakel__V1__RekeyRequestBody b = SCHAKEL__V1__REKEY_REQUEST_BODY__INIT;
	Schakel__V1__SignedRekeyRequest sr = SCHAKEL__V1__SIGNED_REKEY_REQUEST__INIT;
	uint8_t tls_pk[32], enc_pk[32], old_pk[32], old_sig[KEY_SIG_BYTES], new_sig[KEY_SIG_BYTES];
	uint8_t *body = NULL, *out = NULL;
	key_ed25519 *old = sodium_malloc(sizeof(*old)), *id = sodium_malloc(sizeof(*id));
	char path[PATH_MAX];
	size_t n, on;
	sk_status st;

	if (old == NULL || id == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (!s->joined) {
		sk_error_set("this node has not joined a federation; a new node needs no rekey");
		st = SK_ERR_INVALID;
		goto out;
	}
	memcpy(old_pk, s->identity_pk, sizeof(old_pk));
	if ((st = node_identity_load(s, kek, old)) != SK_OK ||
	    (st = node_rekey_prepare(s, kek, id, tls_pk, enc_pk)) != SK_OK)
		goto out;
	b.org_id = s->org_id;
	b.old_identity_key = (ProtobufCBinaryData){32, old_pk};
	b.identity_key = (ProtobufCBinaryData){32, id->pk};
	b.tls_key = (ProtobufCBinaryData){32, tls_pk};
	b.encryption_key = (ProtobufCBinaryData){32, enc_pk};
	b.created_at = sk_clock_now_ms();
	n = schakel__v1__rekey_request_body__get_packed_size(&b);
	if ((body = malloc(n)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__rekey_request_body__pack(&b, body);
	/* both keys sign: the old one says "this is us", the new one "we hold it" */
	if ((st = key_sign(old_sig, WIRE_DOMAIN_REKEY_REQUEST, body, n, old->sk)) != SK_OK ||
	    (st = key_sign(new_sig, WIRE_DOMAIN_REKEY_REQUEST, body, n, id->sk)) != SK_OK)
		goto out;
	sr.body = (ProtobufCBinaryData){n, body};
	sr.old_signature = (ProtobufCBinaryData){sizeof(old_sig), old_sig};
	sr.new_signature = (ProtobufCBinaryData){sizeof(new_sig), new_sig};
	on = schakel__v1__signed_rekey_request__get_packed_size(&sr);
	if ((out = malloc(on)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__signed_rekey_request__pack(&sr, out);
	if ((st = sk_path_join(path, sizeof(path), s->dir, NODE_FILE_REKEY_REQUEST)) == SK_OK)
		st = sk_file_replace(path, out, on);
out:
	if (old != NULL) {
		key_ed25519_wipe(old);
		sodium_free(old);
	}
	if (id != NULL) {
		key_ed25519_wipe(id);
		sodium_free(id);
	}
	free(body);
	free(out);
	return st;
}
