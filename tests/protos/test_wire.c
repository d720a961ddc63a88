#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_bad_envelopes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
