/* Key-file parsing on arbitrary bytes: header checks must reject anything
 * malformed before argon2id or decryption runs, and never read past the
 * blob. The dev KEK reaches the unwrapped form; wrapped blobs stop at the
 * header checks with SK_ERR_WRAPPED. */
#include <stdlib.h>

#include "common/init.h"
#include "common/kek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sk_kek *kek;
	uint8_t key[SK_KEY_MAX];
	size_t keylen = size > 0 ? (size_t)(data[0] % SK_KEY_MAX) + 1 : 32;

	if (kek == NULL && (sk_init() != SK_OK || sk_kek_open(&kek, NULL, 1) != SK_OK))
		abort();
	if (sk_key_unwrap(kek, "fuzz", data, size, key, keylen) == SK_OK &&
	    size != SK_KEYFILE_HEADER_BYTES + keylen)
		abort(); /* only the exact unwrapped form may succeed */
	return 0;
}
