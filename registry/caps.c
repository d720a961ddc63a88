#include "registry/caps.h"

static int unknown_at(const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;

	if (m->n_unknown_fields != 0 || depth > REG_MESSAGE_DEPTH_MAX)
		return 1;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t j = 0; j < n; j++)
				if (arr[j] != NULL && unknown_at(arr[j], depth + 1))
					return 1;
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		{
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);

			if (sub != NULL && unknown_at(sub, depth + 1))
				return 1;
		}
	}
	return 0;
}

int reg_message_unknown(const ProtobufCMessage *m)
{
	return m != NULL && unknown_at(m, 0);
}
