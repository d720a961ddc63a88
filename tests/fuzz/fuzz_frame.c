/* The frame decoder and envelope parser on arbitrary bytes, as a stream of
 * frames would arrive: peek, unpack, re-pack, until the input runs out; a
 * publish receipt also goes through the node's receipt check. */
#include <stdlib.h>
#include <string.h>

#include "protos/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = {0x3b, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d,
					0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, 0x0d, 0x73,
					0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6,
					0x3a, 0xc0, 0x48, 0xa1, 0x8b, 0x59, 0xda, 0x29};
	wire_receipt_cache cache = {0};

	while (size > 0) {
		size_t plen = 0, flen;
		wire_envelope *env = NULL;
		uint8_t *frame = NULL;

		if (wire_frame_peek(data, size, WIRE_FRAME_MAX, &plen) != SK_OK)
			break;
		if (wire_envelope_unpack(data + WIRE_FRAME_HEADER_BYTES, plen, &env) == SK_OK) {
			/* a receipt's batch root and signature, as a node checks
			 * them (any key: none of this input is signed by it) */
			if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT &&
			    wire_receipt_verify(env->publish_receipt, key, &cache) == SK_OK)
				abort();
			/* whatever parses must serialise again within the cap */
			if (wire_envelope_pack(env, &frame, &flen) != SK_OK)
				abort();
			free(frame);
			wire_envelope_free(env);
		}
		data += WIRE_FRAME_HEADER_BYTES + plen;
		size -= WIRE_FRAME_HEADER_BYTES + plen;
	}
	return 0;
}
