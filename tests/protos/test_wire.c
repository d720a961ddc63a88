#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/key.h"
#include "protos/wire.h"
#include "test_util.h"

static void make_lookup(wire_envelope *env, Schakel__V1__LookupRequest *req,
			uint8_t token[32])
{
	schakel__v1__envelope__init(env);
	schakel__v1__lookup_request__init(req);
	memset(token, 7, 32);
	req->token.data = token;
	req->token.len = 32;
	req->epoch = 3;
	req->purpose = "afstemming";
	req->role = "sociaal-werker";
	req->audit_head.data = token;
	req->audit_head.len = 32;
	env->request_id = 42;
	env->body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
	env->lookup_request = req;
}

static void test_roundtrip(void **state)
{
	wire_envelope env, *back = NULL;
	Schakel__V1__LookupRequest req;
	uint8_t token[32], *frame = NULL;
	size_t frame_len, plen;

	make_lookup(&env, &req, token);
	E(wire_envelope_pack(&env, &frame, &frame_len));
	E(wire_frame_peek(frame, frame_len, WIRE_FRAME_MAX, &plen));
	assert_int_equal(plen + WIRE_FRAME_HEADER_BYTES, frame_len);
	E(wire_envelope_unpack(frame + 4, plen, &back));
	assert_int_equal(back->request_id, 42);
	assert_int_equal(back->body_case, SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST);
	assert_string_equal(back->lookup_request->purpose, "afstemming");
	assert_memory_equal(back->lookup_request->token.data, token, 32);
	wire_envelope_free(back);

	/* every strict prefix is incomplete, never an error or a frame */
	for (size_t i = 0; i < frame_len; i++)
		EFAIL(wire_frame_peek(frame, i, WIRE_FRAME_MAX, &plen), SK_ERR_TRUNCATED);
	free(frame);
}

static void test_caps(void **state)
{
	uint8_t hdr[4];
	size_t plen = 0;

	/* the cap is checked from the header alone, before any payload */
	E(wire_frame_header(hdr, WIRE_FRAME_MAX));
	EFAIL(wire_frame_peek(hdr, 4, WIRE_FRAME_MAX, &plen), SK_ERR_TRUNCATED);
	assert_int_equal(plen, WIRE_FRAME_MAX);
	EFAIL(wire_frame_peek(hdr, 4, WIRE_FRAME_MAX_PREAUTH, &plen), SK_ERR_TOOBIG);
	EFAIL(wire_frame_header(hdr, WIRE_FRAME_MAX + 1), SK_ERR_TOOBIG);
	memcpy(hdr, "\x00\x10\x00\x01", 4); /* 1 MiB + 1 */
	EFAIL(wire_frame_peek(hdr, 4, WIRE_FRAME_MAX, &plen), SK_ERR_TOOBIG);
	memcpy(hdr, "\xff\xff\xff\xff", 4);
	EFAIL(wire_frame_peek(hdr, 4, UINT32_MAX, &plen), SK_ERR_TOOBIG);
	memcpy(hdr, "\x00\x00\x00\x00", 4);
	EFAIL(wire_frame_peek(hdr, 4, WIRE_FRAME_MAX, &plen), SK_ERR_INVALID);
	EFAIL(wire_frame_header(hdr, 0), SK_ERR_INVALID);
}

static void test_bad_envelopes(void **state)
{
	wire_envelope env, *back = (wire_envelope *)1;
	uint8_t *frame = NULL;
	size_t frame_len;
	/* request_id only: no body */
	static const uint8_t no_body[] = {0x08, 0x01};
	/* a lookup request missing its required fields */
	static const uint8_t missing[] = {0x08, 0x01, 0x72, 0x00};
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff};

	EFAIL(wire_envelope_unpack(no_body, sizeof(no_body), &back), SK_ERR_INVALID);
	assert_null(back);
	EFAIL(wire_envelope_unpack(missing, sizeof(missing), &back), SK_ERR_INVALID);
	EFAIL(wire_envelope_unpack(garbage, sizeof(garbage), &back), SK_ERR_INVALID);
	EFAIL(wire_envelope_unpack(garbage, 0, &back), SK_ERR_INVALID);

	schakel__v1__envelope__init(&env);
	EFAIL(wire_envelope_pack(&env, &frame, &frame_len), SK_ERR_INVALID);
	assert_null(frame);
	wire_envelope_free(NULL);
}

/* A signed entry travels as the exact bytes that were signed: the receiver
 * verifies them as received, with no re-encoding on either side. */
static void test_signed_bytes(void **state)
{
	Schakel__V1__Entry entry = SCHAKEL__V1__ENTRY__INIT, *back_entry;
	Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *back = NULL;
	char *cats[] = {"ggz", "sociaal-team"};
	uint8_t token[32] = {1}, salt[16] = {2}, head[32] = {3};
	uint8_t body[512], sig[KEY_SIG_BYTES], *frame = NULL;
	size_t blen, flen, plen;
	key_ed25519 id;
	const Schakel__V1__PublishRequest *got;

	key_ed25519_generate(&id);
	entry.token = (ProtobufCBinaryData){32, token};
	entry.epoch = 1;
	entry.org_id = "altrecht";
	entry.flags = SCHAKEL__V1__FLAG__FLAG_DISCOVER | SCHAKEL__V1__FLAG__FLAG_CONTACT;
	entry.n_categories = 2;
	entry.categories = cats;
	entry.basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
	entry.issued_at = 1795000000000ull;
	entry.expires_at = 1826000000000ull;
	entry.seq = 7;
	entry.salt = (ProtobufCBinaryData){16, salt};
	entry.audit_head = (ProtobufCBinaryData){32, head};
	blen = schakel__v1__entry__get_packed_size(&entry);
	assert_true(blen <= sizeof(body));
	assert_int_equal(schakel__v1__entry__pack(&entry, body), blen);
	E(key_sign(sig, "schakel/v1/entry", body, blen, id.sk));

	req.entry = (ProtobufCBinaryData){blen, body};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.request_id = 9;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &req;
	E(wire_envelope_pack(&env, &frame, &flen));
	E(wire_frame_peek(frame, flen, WIRE_FRAME_MAX, &plen));
	E(wire_envelope_unpack(frame + 4, plen, &back));
	got = back->publish_request;
	assert_int_equal(got->signature.len, KEY_SIG_BYTES);
	E(key_verify(got->signature.data, "schakel/v1/entry", got->entry.data, got->entry.len, id.pk));
	back_entry = schakel__v1__entry__unpack(NULL, got->entry.len, got->entry.data);
	assert_non_null(back_entry);
	assert_string_equal(back_entry->org_id, "altrecht");
	assert_int_equal(back_entry->n_categories, 2);
	schakel__v1__entry__free_unpacked(back_entry, NULL);

	/* one changed byte of the carried entry and the signature fails */
	got->entry.data[got->entry.len - 1] ^= 1;
	EFAIL(key_verify(got->signature.data, "schakel/v1/entry", got->entry.data,
			 got->entry.len, id.pk), SK_ERR_VERIFY);
	key_ed25519_wipe(&id);
	wire_envelope_free(back);
	free(frame);
}

/* The leaf hash is RFC 9162's over the documented leaf encoding. */
static void test_leaf_hash(void **state)
{
	uint8_t body[5] = {1, 2, 3, 4, 5}, sig[64], leaf[1 + 1 + 4 + 5 + 64], want[32], got[32];

	memset(sig, 0xab, sizeof(sig));
	leaf[0] = 0x00;
	leaf[1] = WIRE_LEAF_ENTRY;
	memcpy(leaf + 2, "\x00\x00\x00\x05", 4);
	memcpy(leaf + 6, body, 5);
	memcpy(leaf + 11, sig, 64);
	crypto_hash_sha256(want, leaf, sizeof(leaf));
	E(wire_leaf_hash(got, WIRE_LEAF_ENTRY, body, 5, sig));
	assert_memory_equal(want, got, 32);
	E(wire_leaf_hash(got, WIRE_LEAF_MEMBER, body, 5, sig));
	assert_memory_not_equal(want, got, 32);
	EFAIL(wire_leaf_hash(got, 0, body, 5, sig), SK_ERR_INVALID);
	EFAIL(wire_leaf_hash(got, 256, body, 5, sig), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_bad_envelopes),
		cmocka_unit_test(test_signed_bytes),
		cmocka_unit_test(test_leaf_hash),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
