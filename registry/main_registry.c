#include "common/init.h"
#include "common/cli.h"
#include "registry/cli.h"

int main(int argc, char **argv)
{
	if (sk_init() != SK_OK)
		return sk_cli_fail(SK_ERR_CRYPTO, "start-up");
	return reg_cli_main(argc, argv);
}
