#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/file.h"
#include "crypto/key.h"
#include "crypto/merkle.h"

#include "protos/wire.h"

sk_status wire_frame_peek(const uint8_t *buf, size_t len, uint32_t cap,
			  size_t *payload_len)
{
	uint32_t n;

	if (cap > WIRE_FRAME_MAX)
		cap = WIRE_FRAME_MAX;
	if (len < WIRE_FRAME_HEADER_BYTES)
		return SK_ERR_TRUNCATED;
	n = sk_be32_get(buf);
	if (n == 0)
		return SK_ERR_INVALID;
	if (n > cap)
		return SK_ERR_TOOBIG;
	*payload_len = n;
	if (len - WIRE_FRAME_HEADER_BYTES < n)
		return SK_ERR_TRUNCATED;
	return SK_OK;
}

sk_status wire_frame_header(uint8_t out[static WIRE_FRAME_HEADER_BYTES], size_t len)
{
	if (len == 0)
		return SK_ERR_INVALID;
	if (len > WIRE_FRAME_MAX)
		return SK_ERR_TOOBIG;
	sk_be32_put(out, (uint32_t)len);
	return SK_OK;
}

sk_status wire_envelope_pack(const wire_envelope *env, uint8_t **frame,
			     size_t *frame_len)
{
	size_t n;
	uint8_t *buf;
	sk_status st;

	*frame = NULL;
	*frame_len = 0;
	if (env == NULL || env->body_case == SCHAKEL__V1__ENVELOPE__BODY__NOT_SET)
		return SK_ERR_INVALID;
	n = schakel__v1__envelope__get_packed_size(env);
	if ((st = wire_frame_header((uint8_t[WIRE_FRAME_HEADER_BYTES]){0}, n)) != SK_OK)
		return st;
	buf = malloc(WIRE_FRAME_HEADER_BYTES + n);
	if (buf == NULL)
		return SK_ERR_NOMEM;
	if (wire_frame_header(buf, n) != SK_OK ||
	    schakel__v1__envelope__pack(env, buf + WIRE_FRAME_HEADER_BYTES) != n) {
		free(buf);
		return SK_ERR_INVALID;
	}
	*frame = buf;
	*frame_len = WIRE_FRAME_HEADER_BYTES + n;
	return SK_OK;
}

sk_status wire_envelope_unpack(const uint8_t *payload, size_t len,
			       wire_envelope **env)
{
	wire_envelope *e;

	*env = NULL;
	if (len == 0)
		return SK_ERR_INVALID;
	if (len > WIRE_FRAME_MAX)
		return SK_ERR_TOOBIG;
	/* protobuf-c checks required fields and bounds every length against
	 * the input, so allocation is bounded by len. */
	e = schakel__v1__envelope__unpack(NULL, len, payload);
	if (e == NULL)
		return SK_ERR_INVALID;
	if (e->body_case == SCHAKEL__V1__ENVELOPE__BODY__NOT_SET) {
		schakel__v1__envelope__free_unpacked(e, NULL);
		return SK_ERR_INVALID;
	}
	*env = e;
	return SK_OK;
}

void wire_envelope_free(wire_envelope *env)
{
	if (env != NULL)
		schakel__v1__envelope__free_unpacked(env, NULL);
}

sk_status wire_leaf_hash(uint8_t out[static WIRE_LEAF_HASH_BYTES], unsigned kind,
			 const uint8_t *body, size_t len,
			 const uint8_t sig[static WIRE_LEAF_SIG_BYTES])
{
	crypto_hash_sha256_state h;
	uint8_t head[6];

	if (kind == 0 || kind > 255 || len > WIRE_FRAME_MAX)
		return SK_ERR_INVALID;
	head[0] = 0x00; /* RFC 9162 leaf prefix */
	head[1] = (uint8_t)kind;
	sk_be32_put(head + 2, (uint32_t)len);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, head, sizeof(head));
	crypto_hash_sha256_update(&h, body, len);
	crypto_hash_sha256_update(&h, sig, WIRE_LEAF_SIG_BYTES);
	crypto_hash_sha256_final(&h, out);
	return SK_OK;
}

sk_status wire_enrol_request_write(const char *path, const Schakel__V1__EnrolRequestBody *b,
				   const uint8_t identity_sk[static 64])
{
	Schakel__V1__SignedEnrolRequest sr = SCHAKEL__V1__SIGNED_ENROL_REQUEST__INIT;
	uint8_t body[WIRE_ENROL_REQUEST_MAX], out[WIRE_ENROL_REQUEST_MAX + 128], sig[KEY_SIG_BYTES];
	size_t n;
	sk_status st;

	if (schakel__v1__enrol_request_body__get_packed_size(b) > sizeof(body))
		return SK_ERR_TOOBIG;
	n = schakel__v1__enrol_request_body__pack(b, body);
	if ((st = key_sign(sig, WIRE_DOMAIN_ENROL_REQUEST, body, n, identity_sk)) != SK_OK)
		return st;
	sr.body = (ProtobufCBinaryData){n, body};
	sr.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	n = schakel__v1__signed_enrol_request__pack(&sr, out);
	return sk_file_create(path, out, n);
}

void wire_receipt_leaf(uint8_t out[static 32], const uint8_t salt[static WIRE_RECEIPT_SALT_BYTES],
		       const uint8_t *body, size_t len)
{
	crypto_hash_sha256_state h;
	static const uint8_t prefix = 0x00; /* RFC 9162 leaf */

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, &prefix, 1);
	crypto_hash_sha256_update(&h, salt, WIRE_RECEIPT_SALT_BYTES);
	crypto_hash_sha256_update(&h, body, len);
	crypto_hash_sha256_final(&h, out);
}

sk_status wire_receipt_root(uint8_t root[static 32], const Schakel__V1__PublishReceipt *rc)
{
	uint8_t leaf[MERKLE_HASH_BYTES];

	if (rc->batch_size == 0 || rc->batch_size > WIRE_RECEIPT_BATCH_MAX ||
	    rc->batch_index >= rc->batch_size || rc->batch_proof.len % MERKLE_HASH_BYTES != 0 ||
	    rc->body.len > WIRE_FRAME_MAX || rc->batch_salt.len != WIRE_RECEIPT_SALT_BYTES)
		return SK_ERR_VERIFY;
	wire_receipt_leaf(leaf, rc->batch_salt.data, rc->body.data, rc->body.len);
	return merkle_inclusion_root(root, leaf, rc->batch_index, rc->batch_size,
				     rc->batch_proof.data,
				     rc->batch_proof.len / MERKLE_HASH_BYTES);
}

static void batch_parts(key_part parts[2], uint8_t size_be[8], uint64_t size,
			const uint8_t root[static 32])
{
	for (int i = 7; i >= 0; i--, size >>= 8)
		size_be[i] = (uint8_t)size;
	parts[0] = (key_part){size_be, 8};
	parts[1] = (key_part){root, 32};
}

sk_status wire_receipts_sign(uint8_t sig[static 64], uint64_t size, const uint8_t root[static 32],
			     const uint8_t sk[static 64])
{
	key_part parts[2];
	uint8_t size_be[8];

	batch_parts(parts, size_be, size, root);
	return key_sign_parts(sig, WIRE_DOMAIN_RECEIPTS, parts, 2, sk);
}

sk_status wire_receipts_verify(const uint8_t sig[static 64], uint64_t size,
			       const uint8_t root[static 32], const uint8_t pk[static 32])
{
	key_part parts[2];
	uint8_t size_be[8];

	batch_parts(parts, size_be, size, root);
	return key_verify_parts(sig, WIRE_DOMAIN_RECEIPTS, parts, 2, pk) == SK_OK ? SK_OK
										   : SK_ERR_VERIFY;
}

sk_status wire_receipt_verify(const Schakel__V1__PublishReceipt *rc, const uint8_t pk[static 32],
			      wire_receipt_cache *cache)
{
	uint8_t root[32];

	if (rc->signature.len != 64 || wire_receipt_root(root, rc) != SK_OK)
		return SK_ERR_VERIFY;
	if (cache != NULL && cache->have && cache->size == rc->batch_size &&
	    sodium_memcmp(cache->root, root, 32) == 0 &&
	    sodium_memcmp(cache->sig, rc->signature.data, 64) == 0)
		return SK_OK;
	if (wire_receipts_verify(rc->signature.data, rc->batch_size, root, pk) != SK_OK)
		return SK_ERR_VERIFY;
	if (cache != NULL) {
		cache->have = 1;
		cache->size = rc->batch_size;
		memcpy(cache->root, root, 32);
		memcpy(cache->sig, rc->signature.data, 64);
	}
	return SK_OK;
}
