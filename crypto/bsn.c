#include <string.h>

#include <sodium.h>

#include "crypto/bsn.h"

int bsn_elfproef(const uint8_t d[static BSN_DIGITS])
{
	int sum = 0, nonzero = 0;

	for (int i = 0; i < BSN_DIGITS - 1; i++) {
		sum += (BSN_DIGITS - i) * d[i];
		nonzero |= d[i];
	}
	sum -= d[BSN_DIGITS - 1];
	nonzero |= d[BSN_DIGITS - 1];
	return nonzero != 0 && sum % 11 == 0;
}

sk_status bsn_parse(bsn *out, const char *text)
{
	uint8_t d[BSN_DIGITS];
	sk_status st = SK_ERR_BSN;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		goto out;
	for (int i = 0; i < BSN_DIGITS; i++) {
		if (text[i] < '0' || text[i] > '9')
			goto out;
		d[i] = (uint8_t)(text[i] - '0');
	}
	if (text[BSN_DIGITS] != '\0' || !bsn_elfproef(d))
		goto out;
	memcpy(out->digits, text, BSN_DIGITS);
	st = SK_OK;
out:
	sodium_memzero(d, sizeof(d));
	return st;
}

void bsn_token_input(uint8_t out[static BSN_INPUT_BYTES], const bsn *b)
{
	memcpy(out, BSN_PREFIX, BSN_PREFIX_BYTES);
	memcpy(out + BSN_PREFIX_BYTES, b->digits, BSN_DIGITS);
}

void bsn_split_output(uint8_t token[static BSN_TOKEN_BYTES],
		      uint8_t contact_key[static BSN_CONTACT_KEY_BYTES],
		      const uint8_t output[static 64])
{
	memcpy(token, output, BSN_TOKEN_BYTES);
	memcpy(contact_key, output + BSN_TOKEN_BYTES, BSN_CONTACT_KEY_BYTES);
}
