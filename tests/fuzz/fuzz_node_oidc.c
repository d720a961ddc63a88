/* What the identity provider sends the node (node/oidc.h) on arbitrary
 * bytes: the first two bytes give the length of an ID token, the rest after
 * it is the provider's JWKS; the whole input is also read as a discovery
 * document. Whatever passes the checks names a login of bounded length
 * without control characters; nothing crashes, leaks or reads out of
 * bounds. */
#include <stdlib.h>
#include <string.h>

#include "node/oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISSUER "https://idp.test"
#define CLIENT "schakel"
#define NONCE "nonce-of-this-sign-in"
#define NOW_MS 1800000000000ull /* 2027-01-15 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char login[NODE_OIDC_CLAIM_MAX + 1];
	size_t n;

	if (node_oidc_discovery_parse((const char *)data, size, ISSUER) == SK_OK &&
	    (size < 20 || memchr(data, '{', size) == NULL))
		abort(); /* a document that passes is a JSON object with three URLs */
	if (size < 2)
		return 0;
	n = (size_t)data[0] << 8 | data[1];
	if (n > size - 2)
		return 0;
	if (node_oidc_check((const char *)data + 2 + n, size - 2 - n, ISSUER, CLIENT,
			    "preferred_username", (const char *)data + 2, n, NONCE, NOW_MS, login,
			    sizeof(login)) != SK_OK)
		return 0;
	n = strlen(login);
	if (n == 0 || n > NODE_OIDC_CLAIM_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)login[i] < 0x20 || login[i] == 0x7f)
			abort();
	return 0;
}
