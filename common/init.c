#include <sodium.h>

#include "common/init.h"

sk_status sk_init(void)
{
	if (sodium_init() < 0) {
		sk_error_set("libsodium could not initialise (no random source?)");
		return SK_ERR_CRYPTO;
	}
	return SK_OK;
}
