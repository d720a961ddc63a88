/* The low-level SHA256_* calls are deprecated in OpenSSL 3 for the EVP
 * ones, which allocate a context per call; these need none and are as
 * fast as the library gets. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "crypto/sha256.h"

void sha256_parts(uint8_t out[static SHA256_OUT_BYTES], const sha256_part *parts, size_t n)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	for (size_t i = 0; i < n; i++)
		SHA256_Update(&c, parts[i].p, parts[i].len);
	SHA256_Final(out, &c);
}
