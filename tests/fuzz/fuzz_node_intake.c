/* The intake file of `table submit` (node_intake_parse) on arbitrary
 * bytes: whatever parses has a question and an urgency from its list,
 * lists within their cap, every string inside the input buffer; and the
 * text check runs over it. */
#include <stdlib.h>
#include <string.h>

#include "node/tablecase.h"
#include "node/textcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *p, const char *buf, size_t n)
{
	if (p != NULL && (p < buf || p + strlen(p) > buf + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	node_intake in;
	char *text;

	if (size > NODE_INTAKE_FILE_MAX || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (node_intake_parse(text, &in) == SK_OK) {
		if (in.question == NULL || *in.question == 0 || in.urgency == NULL ||
		    in.n_domains > WIRE_TABLE_CASE_LIST_MAX || in.n_parties > WIRE_TABLE_CASE_LIST_MAX)
			abort();
		inside(in.question, text, size);
		inside(in.urgency, text, size);
		inside(in.tried, text, size);
		for (size_t i = 0; i < in.n_domains; i++)
			inside(in.domains[i], text, size);
		for (size_t i = 0; i < in.n_parties; i++)
			inside(in.parties[i], text, size);
		(void)node_intake_check(&in);
	}
	free(text);
	return 0;
}
