/* The frame decoder and envelope parser on arbitrary bytes, as a stream of
 * frames would arrive: peek, unpack, re-pack, until the input runs out. */
#include <stdlib.h>
#include <string.h>

#include "protos/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size > 0) {
		size_t plen = 0, flen;
		wire_envelope *env = NULL;
		uint8_t *frame = NULL;

		if (wire_frame_peek(data, size, WIRE_FRAME_MAX, &plen) != SK_OK)
			break;
		if (wire_envelope_unpack(data + WIRE_FRAME_HEADER_BYTES, plen, &env) == SK_OK) {
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
